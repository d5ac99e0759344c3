//! Bytes to text. The contract says UTF-8, but files from county branches often arrive in GB18030; a file is read
//! in the encoding it declares or, failing a declaration, the one detected here. Decoding is per field, after the
//! CSV structure has been read from the raw bytes (safe for both encodings: every GB18030 trail byte is ≥ 0x30,
//! so `,`, `"`, CR and LF never occur inside a multi-byte character), so that an undecodable byte sequence spoils
//! one field of one row, which is quarantined with its line, and never the file.

use std::borrow::Cow;

/// The UTF-8 byte-order mark, accepted and skipped.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A text encoding a source file may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// UTF-8, with or without a BOM (the contract's encoding).
    Utf8,
    /// GB18030 (a superset of GBK and GB2312).
    Gb18030,
}

impl TextEncoding {
    /// Detects the encoding of a whole file: a UTF-8 BOM means UTF-8; otherwise each line holding non-ASCII bytes
    /// votes for UTF-8 if it is valid UTF-8 and for GB18030 if not, and UTF-8 wins ties. Voting by line, rather than
    /// asking whether the whole file is valid UTF-8, keeps one stray bad byte in a UTF-8 file from turning every
    /// Chinese name into mojibake (that line is then quarantined instead).
    pub fn detect(bytes: &[u8]) -> TextEncoding {
        if bytes.starts_with(UTF8_BOM) {
            return TextEncoding::Utf8;
        }
        let (mut utf8, mut other) = (0usize, 0usize);
        for line in bytes.split(|&b| b == b'\n').filter(|line| !line.is_ascii()) {
            if std::str::from_utf8(line).is_ok() {
                utf8 += 1;
            } else {
                other += 1;
            }
        }
        if other > utf8 { TextEncoding::Gb18030 } else { TextEncoding::Utf8 }
    }

    /// Decodes one field; `None` if it holds a byte sequence that is not valid in this encoding.
    pub fn decode(self, bytes: &[u8]) -> Option<Cow<'_, str>> {
        match self {
            // One pass: UTF-8 validation checks ASCII as quickly as `is_ascii` would.
            TextEncoding::Utf8 => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
            // ASCII is the same in both encodings, and most fields are ASCII.
            TextEncoding::Gb18030 if bytes.is_ascii() => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
            TextEncoding::Gb18030 => encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_utf8_with_and_without_bom_and_gb18030() {
        assert_eq!(TextEncoding::detect("a,b\n徐家沟村,1\n".as_bytes()), TextEncoding::Utf8);
        assert_eq!(TextEncoding::detect(b"\xEF\xBB\xBFa,b\n"), TextEncoding::Utf8);
        let (gb, _, _) = encoding_rs::GB18030.encode("a,b\n徐家沟村,1\n");
        assert_eq!(TextEncoding::detect(&gb), TextEncoding::Gb18030);
        assert_eq!(TextEncoding::detect(b"plain,ascii\n"), TextEncoding::Utf8);
    }

    #[test]
    fn decodes_gb18030_and_refuses_invalid_sequences() {
        let (gb, _, _) = encoding_rs::GB18030.encode("张伟");
        assert_eq!(TextEncoding::Gb18030.decode(&gb).as_deref(), Some("张伟"));
        assert_eq!(TextEncoding::Gb18030.decode(b"\x81\x20"), None);
        assert_eq!(TextEncoding::Utf8.decode(b"\xFF"), None);
    }
}
