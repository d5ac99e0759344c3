//! Digests as text: the one way every crate writes a hash (content hashes of artifacts and records, request hashes,
//! blind indexes) — lowercase hexadecimal, two digits a byte.

/// `bytes` as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Fills `out` from exactly `2 × out.len()` hexadecimal digits (either case); `None` for anything else.
pub fn unhex(text: &str, out: &mut [u8]) -> Option<()> {
    let text = text.as_bytes();
    if text.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhex_reads_back_what_hex_writes_and_nothing_else() {
        let all: Vec<u8> = (0..=255).collect();
        let mut back = vec![0; 256];
        assert_eq!(unhex(&hex(&all), &mut back), Some(()));
        assert_eq!(back, all);
        let mut two = [0; 2];
        assert_eq!(unhex("A5ff", &mut two), Some(()));
        assert_eq!(two, [0xa5, 0xff]);
        assert_eq!(unhex("a5f", &mut two), None, "too short");
        assert_eq!(unhex("a5fg", &mut two), None, "not a digit");
        assert_eq!(unhex("+5ff", &mut two), None, "a sign is no digit");
    }

    #[test]
    fn every_byte_is_two_lowercase_digits() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), expected);
    }
}
