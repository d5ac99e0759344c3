//! Signed checkpoints: the chain head at an entry, signed with an Ed25519 [`AuditKey`] that is kept apart from the
//! database. Whoever can rewrite the database can recompute every hash after an edit, but cannot sign the new
//! head; a [`Checkpoint`] written earlier to a file outside the database then no longer matches the chain.

use std::fmt;

use domain::Timestamp;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::Digest;

/// Tag that starts every signed message, so a checkpoint signature can never be taken for a signature of anything
/// else made with the same key.
const CHECKPOINT_TAG: &[u8] = b"agririsk.audit.checkpoint.v1\0";
/// The prefix of a signing key's text form (a key file).
const SECRET_PREFIX: &str = "agririsk-audit-key-v1:";
/// The prefix of a public key's text form.
const PUBLIC_PREFIX: &str = "agririsk-audit-pub-v1:";

/// A key's text that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not the text form this crate writes.
    #[error("not an audit {what} key: expected `{prefix}` followed by 64 hex digits")]
    Malformed {
        /// `signing` or `public`.
        what: &'static str,
        /// The prefix expected.
        prefix: &'static str,
    },
    /// 32 bytes that are not an Ed25519 public key.
    #[error("the audit public key is not a valid Ed25519 point")]
    InvalidPoint,
}

/// The signing key of the audit trail's checkpoints. Made from 32 random bytes the caller reads from the operating
/// system; its text form goes in a key file readable by its owner only. Its `Debug` shows only the key id; the
/// secret bytes are wiped when it is dropped.
pub struct AuditKey {
    signing: SigningKey,
}

/// The public half of an [`AuditKey`]: what an inspector needs to check the checkpoints.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl AuditKey {
    /// The key whose secret is `seed` (32 random bytes).
    pub fn from_seed(seed: [u8; 32]) -> AuditKey {
        AuditKey { signing: SigningKey::from_bytes(&seed) }
    }

    /// Reads the text form [`AuditKey::to_text`] writes (surrounding white space ignored).
    pub fn parse(text: &str) -> Result<AuditKey, KeyError> {
        let malformed = KeyError::Malformed { what: "signing", prefix: SECRET_PREFIX };
        let hex = text.trim().strip_prefix(SECRET_PREFIX).ok_or(malformed.clone())?;
        let mut seed = [0; 32];
        domain::unhex(hex, &mut seed).ok_or(malformed)?;
        let key = AuditKey::from_seed(seed);
        seed.fill(0);
        Ok(key)
    }

    /// The text form for a key file: a prefix naming what it is, then the secret as hex.
    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX}{}", domain::hex(self.signing.as_bytes()))
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey { key: self.signing.verifying_key() }
    }

    /// Signs the chain head: entry `seq` whose hash is `head`, at `at`.
    pub fn checkpoint(&self, seq: u64, head: Digest, at: Timestamp) -> Checkpoint {
        let key_id = self.public().key_id();
        let signature = self.signing.sign(&message(seq, &head, &at, &key_id));
        Checkpoint { seq, head, at, key_id, signature: signature.to_bytes() }
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditKey({})", self.public().key_id())
    }
}

impl PublicKey {
    /// Reads the text form [`PublicKey`]'s `Display` writes (surrounding white space ignored).
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let hex = text
            .trim()
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or(KeyError::Malformed { what: "public", prefix: PUBLIC_PREFIX })?;
        let mut bytes = [0; 32];
        domain::unhex(hex, &mut bytes).ok_or(KeyError::Malformed { what: "public", prefix: PUBLIC_PREFIX })?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPoint)?;
        Ok(PublicKey { key })
    }

    /// A short name of the key, written in each checkpoint: the first 8 bytes of the SHA-256 of the key, as hex.
    pub fn key_id(&self) -> String {
        domain::hex(&Sha256::digest(self.key.as_bytes())[..8])
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", domain::hex(self.key.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

fn message(seq: u64, head: &Digest, at: &Timestamp, key_id: &str) -> Vec<u8> {
    let at = at.to_string();
    let mut message = Vec::with_capacity(CHECKPOINT_TAG.len() + 8 + 32 + 16 + at.len() + key_id.len());
    message.extend_from_slice(CHECKPOINT_TAG);
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(head.as_bytes());
    for field in [at.as_bytes(), key_id.as_bytes()] {
        message.extend_from_slice(&(field.len() as u64).to_be_bytes());
        message.extend_from_slice(field);
    }
    message
}

/// The chain head at entry `seq`, signed: one line (JSON) of a checkpoints file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The entry signed.
    pub seq: u64,
    /// Its hash.
    pub head: Digest,
    /// When it was signed.
    pub at: Timestamp,
    /// The signing key's [`PublicKey::key_id`].
    pub key_id: String,
    /// The Ed25519 signature over the tagged message of the fields above.
    #[serde(serialize_with = "signature_hex", deserialize_with = "signature_from_hex")]
    pub signature: [u8; 64],
}

fn signature_hex<S: Serializer>(signature: &[u8; 64], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&domain::hex(signature))
}

fn signature_from_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 64], D::Error> {
    let text = String::deserialize(deserializer)?;
    let mut bytes = [0; 64];
    domain::unhex(&text, &mut bytes).ok_or_else(|| serde::de::Error::custom("a signature is 128 hex digits"))?;
    Ok(bytes)
}

impl Checkpoint {
    /// Whether `key` signed exactly this checkpoint (and it names that key).
    pub fn is_signed_by(&self, key: &PublicKey) -> bool {
        self.key_id == key.key_id()
            && key
                .key
                .verify(&message(self.seq, &self.head, &self.at, &self.key_id), &Signature::from_bytes(&self.signature))
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::tests::at;

    fn key() -> AuditKey {
        AuditKey::from_seed([7; 32])
    }

    #[test]
    fn a_checkpoint_verifies_with_its_key_and_not_once_changed() {
        let key = key();
        let checkpoint = key.checkpoint(42, Digest::of(b"head"), at());
        assert!(checkpoint.is_signed_by(&key.public()));
        let other = AuditKey::from_seed([8; 32]);
        assert!(!checkpoint.is_signed_by(&other.public()));
        let mut moved = checkpoint.clone();
        moved.seq = 41;
        assert!(!moved.is_signed_by(&key.public()));
        let mut rehead = checkpoint.clone();
        rehead.head = Digest::of(b"other");
        assert!(!rehead.is_signed_by(&key.public()));
        let mut flipped = checkpoint;
        flipped.signature[0] ^= 1;
        assert!(!flipped.is_signed_by(&key.public()));
    }

    #[test]
    fn keys_round_trip_through_their_text() {
        let key = key();
        let again = AuditKey::parse(&format!("{}\n", key.to_text())).expect("parses");
        assert_eq!(again.public(), key.public());
        let public = PublicKey::parse(&key.public().to_string()).expect("parses");
        assert_eq!(public, key.public());
        assert_eq!(public.key_id().len(), 16);
        assert!(!format!("{key:?}").contains(&key.to_text()[SECRET_PREFIX.len()..]));
        assert!(AuditKey::parse(&key.public().to_string()).is_err());
        assert!(PublicKey::parse(&key.to_text()).is_err());
        assert!(PublicKey::parse("agririsk-audit-pub-v1:xyz").is_err());
    }

    #[test]
    fn a_checkpoint_round_trips_through_json() {
        let checkpoint = key().checkpoint(3, Digest::of(b"h"), at());
        let line = serde_json::to_string(&checkpoint).expect("serialises");
        assert_eq!(serde_json::from_str::<Checkpoint>(&line).expect("parses"), checkpoint);
    }
}
