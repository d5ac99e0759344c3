//! A decision record's packed form, the form the decision log stores it in. A record is about 12 KB of JSON and
//! most of it is the same from one decision to the next: the field names, the feature catalogue, the policy's
//! rules, reasons and trace steps. Packed, it is raw deflate (RFC 1951) whose window is first filled with a preset
//! dictionary of typical record text, behind one byte naming that dictionary: [`pack`] makes it, [`unpack`] gives
//! back the very text packed, byte for byte (the audit trail digests the text, never the packed bytes).
//!
//! **Invariant:** a dictionary, once shipped, never changes and is never removed: a packed record names the one it
//! was made with, and a test pins each one's SHA-256. A better dictionary (for a new record format or a new policy)
//! is a new number beside the old ones. The dictionaries are files in this crate, not rows of a store, so no
//! erasure, retired policy or lost table can leave a record unreadable; with the file, any zlib reads a record
//! (Python: `zlib.decompressobj(-15, zdict=dictionary).decompress(packed[1:])`).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// Dictionary 1: three records of the tiny simulated county (seed 1) decided by the shipped scorecard and the
/// default policy, a decline, an approval and a referral of about median size each, one a line (synthetic
/// households, no person's data): 30,858 bytes, within deflate's 32 KiB window. The commonest outcome comes last,
/// where matches are nearest.
const DICTIONARY_1: &[u8] = include_bytes!("dictionary-1.json");

/// The dictionary new records are packed with.
const CURRENT: u8 = 1;

/// Deflate's level: 6, zlib's default. Level 9 saved under 1% of the bytes for twice the time (measured on the
/// county's records, docs/benchmarks.md).
const LEVEL: u32 = 6;

/// The dictionary numbered `id`, if this build knows it.
fn dictionary(id: u8) -> Option<&'static [u8]> {
    match id {
        1 => Some(DICTIONARY_1),
        _ => None,
    }
}

/// A packed record's refusal to unpack: the stored bytes are not what [`pack`] makes.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unpack {
    /// No bytes at all.
    #[error("packed record is empty")]
    Empty,
    /// A dictionary number this build does not know (a record written by a newer release).
    #[error("packed record names dictionary {0}, which this build does not know")]
    UnknownDictionary(u8),
    /// The deflate stream is damaged or cut short.
    #[error("packed record does not inflate: {0}")]
    Inflate(String),
    /// It inflates to bytes that are not UTF-8.
    #[error("packed record is not UTF-8 text")]
    NotText,
}

/// `json` packed with the current dictionary.
pub(crate) fn pack(json: &str) -> Vec<u8> {
    let dictionary = dictionary(CURRENT).expect("the current dictionary is one this build knows");
    let mut deflate = Compress::new(Compression::new(LEVEL), false);
    deflate.set_dictionary(dictionary).expect("a raw deflate stream takes a dictionary before its first input");
    let input = json.as_bytes();
    let mut packed = Vec::with_capacity(1 + input.len() / 4 + 64);
    packed.push(CURRENT);
    loop {
        if packed.capacity() - packed.len() < 64 {
            packed.reserve(packed.capacity());
        }
        let consumed = usize::try_from(deflate.total_in()).expect("input consumed fits in memory");
        let status = deflate
            .compress_vec(&input[consumed..], &mut packed, FlushCompress::Finish)
            .expect("deflating from memory into memory cannot fail");
        if status == Status::StreamEnd {
            return packed;
        }
    }
}

/// The JSON text `packed` was made from.
pub(crate) fn unpack(packed: &[u8]) -> Result<String, Unpack> {
    let (&id, stream) = packed.split_first().ok_or(Unpack::Empty)?;
    let dictionary = dictionary(id).ok_or(Unpack::UnknownDictionary(id))?;
    let mut inflate = Decompress::new(false);
    inflate.set_dictionary(dictionary).map_err(|e| Unpack::Inflate(e.to_string()))?;
    let mut text = Vec::with_capacity(stream.len() * 8);
    loop {
        if text.capacity() - text.len() < 4096 {
            text.reserve(text.capacity().max(4096));
        }
        let consumed = usize::try_from(inflate.total_in()).map_err(|e| Unpack::Inflate(e.to_string()))?;
        let written = text.len();
        let status = inflate
            .decompress_vec(&stream[consumed..], &mut text, FlushDecompress::Finish)
            .map_err(|e| Unpack::Inflate(e.to_string()))?;
        match status {
            Status::StreamEnd => break,
            // Room was made above; no progress with input left means the stream is cut short.
            _ if text.len() == written && inflate.total_in() == consumed as u64 => {
                return Err(Unpack::Inflate("the stream ends early".into()));
            }
            _ => {}
        }
    }
    if usize::try_from(inflate.total_in()).ok() != Some(stream.len()) {
        return Err(Unpack::Inflate("bytes follow the end of the stream".into()));
    }
    String::from_utf8(text).map_err(|_| Unpack::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_hex(bytes: &[u8]) -> String {
        ::audit::Digest::of(bytes).to_string()
    }

    #[test]
    fn a_record_unpacks_to_the_very_text_packed() {
        for text in ["", "{}", r#"{"outcome":"approve","reasons":[]}"#, "{\"名\":\"王\"}", "x"] {
            assert_eq!(unpack(&pack(text)).expect("unpacks"), text);
        }
        let long = std::str::from_utf8(DICTIONARY_1).expect("text").repeat(3);
        assert_eq!(unpack(&pack(&long)).expect("unpacks"), long, "longer than deflate's window");
    }

    #[test]
    fn dictionary_1_never_changes() {
        assert_eq!(sha256_hex(DICTIONARY_1), DICTIONARY_1_SHA256, "a shipped dictionary was edited: add a new one");
    }

    const DICTIONARY_1_SHA256: &str = "534e5abe5bc630fd06dfaaffd2f4ce5f21d15a70266df5a9b8003fb09371c686";

    #[test]
    fn damaged_packed_records_are_refused_not_misread() {
        let packed = pack(r#"{"outcome":"decline","reasons":["dpd"]}"#);
        assert!(matches!(unpack(&[]), Err(Unpack::Empty)));
        assert!(matches!(unpack(&[9, 1, 2]), Err(Unpack::UnknownDictionary(9))));
        assert!(unpack(&packed[..packed.len() - 2]).is_err(), "cut short");
        let mut longer = packed.clone();
        longer.push(0);
        assert!(unpack(&longer).is_err(), "trailing bytes");
    }
}
