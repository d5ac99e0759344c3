//! Keyed hashes of personal fields: blind indexes to join and de-duplicate on, pseudonyms for exports.
//!
//! Both are HMAC-SHA256 under the keyring's index key, over the normalised value (see [`crate::normalise`]), so
//! `11010519491231002x` and `11010519491231002X` index alike. An ID number or phone number has so little entropy
//! that a plain SHA-256 of it is reversed by enumeration in minutes; without the key the HMAC is not.
//!
//! The index key is separate from the encryption keys: rotating encryption keys leaves indexes and pseudonyms
//! unchanged, and replacing the index key changes all of them (every stored index must be recomputed).

use std::fmt;

use domain::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::field::{FieldKind, normalise};
use crate::keys::Keyring;

/// Domain label of blind indexes.
const INDEX_DOMAIN: &str = "agririsk/privacy/v1/blind-index";
/// Domain label of pseudonyms, so a pseudonym is not a prefix of the stored blind index.
const PSEUDONYM_DOMAIN: &str = "agririsk/privacy/v1/pseudonym";
/// Domain label of record-id pseudonyms (household ids and the like), apart from personal-field pseudonyms.
const RECORD_DOMAIN: &str = "agririsk/privacy/v1/record-pseudonym";
/// Hex digits of a pseudonym (64 bits: a collision among ten million people has odds of about 1 in 370,000).
const PSEUDONYM_HEX: usize = 16;

/// A blind index: 64 lower-case hex digits of HMAC-SHA256. Equal values give equal indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlindIndex(String);

impl BlindIndex {
    /// The hex text, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex text, as stored.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// A pseudonym for an export: `P-` and 16 lower-case hex digits, stable for one (scope, kind, value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym(String);

impl Pseudonym {
    /// The text, e.g. `P-3f9a0c41d2e87b65`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl Keyring {
    /// The blind index of `value` as a field of `kind`: hex HMAC-SHA256 of the kind and the normalised value.
    ///
    /// Normalisation is applied here (it is idempotent), so callers may pass raw or normalised text.
    pub fn blind_index(&self, kind: FieldKind, value: &str) -> BlindIndex {
        BlindIndex(hex(&self.mac(&[INDEX_DOMAIN, kind.as_str(), &normalise(kind, value)])))
    }

    /// A pseudonym of `value` for exports such as model-training data: the same person gets the same pseudonym in
    /// every table exported under one `scope` (e.g. `training-2026q1`), so tables still join, while pseudonyms
    /// under different scopes, and the stored blind indexes, cannot be linked to them without the index key.
    pub fn pseudonym(&self, scope: &str, kind: FieldKind, value: &str) -> Pseudonym {
        let digest = self.mac(&[PSEUDONYM_DOMAIN, scope, kind.as_str(), &normalise(kind, value)]);
        Pseudonym(format!("P-{}", &hex(&digest)[..PSEUDONYM_HEX]))
    }

    /// A pseudonym of a record identifier that is not itself personal data but leads to a person (a household
    /// id): stable within one `scope` and one `entity` (e.g. `household`), so exported tables still join on it,
    /// and unlinkable across scopes and to the personal-field pseudonyms without the index key. The identifier is
    /// hashed as given (trimmed), since record ids have one canonical spelling.
    pub fn record_pseudonym(&self, scope: &str, entity: &str, id: &str) -> Pseudonym {
        let digest = self.mac(&[RECORD_DOMAIN, scope, entity, id.trim()]);
        Pseudonym(format!("P-{}", &hex(&digest)[..PSEUDONYM_HEX]))
    }

    /// HMAC-SHA256 under the index key of the parts, each prefixed by its length so no two lists collide.
    fn mac(&self, parts: &[&str]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.index_key()).expect("HMAC accepts keys of any length");
        for part in parts {
            let len = u64::try_from(part.len()).expect("a string's length fits in 64 bits");
            mac.update(&len.to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn record_pseudonyms_are_stable_and_scoped() {
        let ring = Keyring::parse(
            "test",
            "index:YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=\nk1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .expect("test keys parse");
        let p = ring.record_pseudonym("training", "household", "H0000001");
        assert_eq!(p, ring.record_pseudonym("training", "household", " H0000001 "));
        assert_eq!(p.as_str().len(), 18);
        assert_ne!(p, ring.record_pseudonym("audit", "household", "H0000001"));
        assert_ne!(p, ring.record_pseudonym("training", "loan", "H0000001"));
        assert_ne!(p, ring.pseudonym("training", FieldKind::Name, "H0000001"));
    }
}
