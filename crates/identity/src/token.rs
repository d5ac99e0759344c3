//! The bearer secrets: API keys for systems and session tokens for people.
//!
//! An API key reads `agr_<12 hex id>_<64 hex secret>`: the id is public (it names the key in lists and the audit
//! trail), the secret is 256 random bits stored only as its SHA-256 ([`secret_digest`]) — a secret that cannot be
//! guessed needs no slow hash, and a fast one keeps authentication off the request's critical path. A session token
//! is 32 random bytes as hex, stored as its digest too; its CSRF token is derived from it
//! ([`SessionToken::csrf_token`]) so the server checks one without storing it. Random bytes come in as arguments.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix of every API key's text.
pub const API_KEY_PREFIX: &str = "agr_";
/// Hex digits of a key id.
const ID_HEX: usize = 12;
/// Hex digits of a secret.
const SECRET_HEX: usize = 64;

/// The domain-separation prefix of a CSRF token's hash, so it is never equal to a digest of the same secret used
/// elsewhere.
const CSRF_DOMAIN: &[u8] = b"agririsk csrf v1\0";

/// An API key as issued: shown to its owner once, then only its id and digest remain.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyToken {
    id: String,
    secret: [u8; 32],
}

impl ApiKeyToken {
    /// A key from 6 random bytes of id and 32 of secret.
    pub fn new(id_bytes: [u8; 6], secret: [u8; 32]) -> ApiKeyToken {
        ApiKeyToken { id: domain::hex(&id_bytes), secret }
    }

    /// The public id: 12 lowercase hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret's digest, as stored.
    pub fn digest(&self) -> String {
        secret_digest(&self.secret)
    }

    /// The full text handed to the owner, `agr_<id>_<secret>`. Call only to show it once.
    pub fn expose(&self) -> String {
        format!("{API_KEY_PREFIX}{}_{}", self.id, domain::hex(&self.secret))
    }

    /// Splits a presented key into its id and secret; `None` unless it has exactly the issued shape (prefix, 12
    /// and 64 lowercase hex digits).
    pub fn parse(text: &str) -> Option<(String, [u8; 32])> {
        let rest = text.strip_prefix(API_KEY_PREFIX)?;
        if rest.len() != ID_HEX + 1 + SECRET_HEX || rest.as_bytes()[ID_HEX] != b'_' {
            return None;
        }
        let (id, secret) = (&rest[..ID_HEX], &rest[ID_HEX + 1..]);
        if !id.bytes().all(is_lower_hex) {
            return None;
        }
        let secret = lower_hex_32(secret)?;
        Some((id.to_owned(), secret))
    }
}

impl fmt::Debug for ApiKeyToken {
    /// The id only: a key's secret never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyToken").field("id", &self.id).field("secret", &"…").finish()
    }
}

fn is_lower_hex(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'a'..=b'f')
}

/// Exactly 64 lowercase hex digits to 32 bytes; `None` for anything else.
fn lower_hex_32(text: &str) -> Option<[u8; 32]> {
    if !text.bytes().all(is_lower_hex) {
        return None;
    }
    let mut bytes = [0; 32];
    domain::unhex(text, &mut bytes)?;
    Some(bytes)
}

/// The SHA-256 of a secret, lowercase hex: what the store keeps of a key's secret or a session token.
pub fn secret_digest(secret: &[u8; 32]) -> String {
    domain::hex(&Sha256::digest(secret))
}

/// Whether a stored digest equals a presented one, in time independent of where they differ.
pub fn digest_matches(stored: &str, presented: &str) -> bool {
    // The lengths are public (every digest has 64 digits); the contents are compared in constant time.
    stored.len() == presented.len() && bool::from(stored.as_bytes().ct_eq(presented.as_bytes()))
}

/// A person's session, as the cookie carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken([u8; 32]);

impl SessionToken {
    /// A token from 32 random bytes.
    pub fn new(random: [u8; 32]) -> SessionToken {
        SessionToken(random)
    }

    /// Reads a presented token: exactly 64 lowercase hex digits.
    pub fn parse(text: &str) -> Option<SessionToken> {
        let bytes = lower_hex_32(text)?;
        Some(SessionToken(bytes))
    }

    /// The cookie's text, 64 hex digits. Call only to set the cookie.
    pub fn expose(&self) -> String {
        domain::hex(&self.0)
    }

    /// The digest the store keys the session by.
    pub fn digest(&self) -> String {
        secret_digest(&self.0)
    }

    /// The session's CSRF token: SHA-256 of a domain-separated prefix and the secret, hex. Whoever holds the
    /// cookie can derive it, a page of another site cannot read it, and the server needs no table for it.
    pub fn csrf_token(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(CSRF_DOMAIN);
        hash.update(self.0);
        domain::hex(&hash.finalize())
    }

    /// Whether `presented` is this session's CSRF token, compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        digest_matches(&self.csrf_token(), presented)
    }
}

impl fmt::Debug for SessionToken {
    /// Never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_its_text() {
        let key = ApiKeyToken::new([0xab, 0x01, 0x02, 0x03, 0x04, 0xff], [0x11; 32]);
        let text = key.expose();
        assert_eq!(text, format!("agr_ab01020304ff_{}", "11".repeat(32)));
        let (id, secret) = ApiKeyToken::parse(&text).expect("parses");
        assert_eq!(id, "ab01020304ff");
        assert_eq!(id, key.id());
        assert!(digest_matches(&key.digest(), &secret_digest(&secret)));
        assert!(!format!("{key:?}").contains("1111"), "Debug hides the secret");
    }

    #[test]
    fn malformed_keys_are_refused() {
        let good = ApiKeyToken::new([1; 6], [2; 32]).expose();
        assert!(ApiKeyToken::parse(&good).is_some());
        let bad = [
            good.to_uppercase(),
            good.replacen("agr_", "agx_", 1),
            format!("{good}0"),
            good[..good.len() - 1].to_owned(),
            good.replacen('_', "-", 2),
            format!(" {good}"),
            good.replace("0202", "0g02"),
            String::new(),
            "agr_".to_owned(),
        ];
        for text in bad {
            assert_eq!(ApiKeyToken::parse(&text), None, "{text}");
        }
    }

    #[test]
    fn digests_differ_by_secret_and_compare_exactly() {
        let a = secret_digest(&[1; 32]);
        let b = secret_digest(&[2; 32]);
        assert_eq!(a.len(), 64);
        assert!(digest_matches(&a, &a.clone()));
        assert!(!digest_matches(&a, &b));
        assert!(!digest_matches(&a, &a[..63]));
    }

    #[test]
    fn sessions_have_a_digest_and_a_derived_csrf_token() {
        let s = SessionToken::new([9; 32]);
        let again = SessionToken::parse(&s.expose()).expect("parses");
        assert_eq!(again, s);
        assert_eq!(s.digest(), secret_digest(&[9; 32]));
        assert_ne!(s.csrf_token(), s.digest(), "domain-separated");
        assert_ne!(s.csrf_token(), SessionToken::new([8; 32]).csrf_token());
        assert!(s.csrf_matches(&again.csrf_token()));
        assert!(!s.csrf_matches(&SessionToken::new([8; 32]).csrf_token()));
        assert_eq!(SessionToken::parse(&"A".repeat(64)), None);
        assert_eq!(SessionToken::parse(&"a".repeat(62)), None);
        assert!(!format!("{s:?}").contains("09"));
    }
}
