//! Field encryption: AES-256-GCM tokens that name their key and field, and key rotation.
//!
//! # Token format
//!
//! ```text
//! v1:<key id>:<field kind>:<nonce>:<ciphertext and tag>
//! v1:k2:national_id:q83vEjRWeJASNFZ4:3yXo…
//! ```
//!
//! `nonce` (12 bytes) and `ciphertext and tag` (plaintext length + 16 bytes) are URL-safe base64 without padding,
//! so a token is plain ASCII without `:` inside its parts, safe in CSV, JSON and SQL text columns. The key id lets
//! old tokens open after a new key becomes current. The field kind is written in the token, so a token in the
//! wrong column is reported as such, and it is also authenticated: the associated data of the AEAD is
//! `agririsk/privacy/v1`, the kind and the key id, so editing the kind or key id in a token makes it fail to open
//! rather than open as another field.

use std::fmt;
use std::str::FromStr;

use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, Payload};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::field::FieldKind;
use crate::index::{BlindIndex, Pseudonym};
use crate::keys::{KeyId, Keyring};
use crate::mask::Secret;
use crate::nonce::{NONCE_LEN, NonceError, NonceSource};

/// The token version this code writes and reads.
const VERSION: &str = "v1";
/// Length in bytes of the AES-GCM authentication tag.
const TAG_LEN: usize = 16;

/// Why a field could not be sealed, opened or rotated. Never contains plaintext or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// No nonce could be had.
    #[error(transparent)]
    Nonce(#[from] NonceError),
    /// The plaintext is longer than AES-GCM can seal (64 GiB).
    #[error("plaintext too long to seal")]
    TooLong,
    /// The text is not a token.
    #[error("not a sealed token: {reason}")]
    Malformed {
        /// What is wrong with its shape.
        reason: &'static str,
    },
    /// A token of a version this code does not read.
    #[error("sealed token version `{version}` is not supported (this build reads v1)")]
    UnsupportedVersion {
        /// The version it carries (at most 8 characters of it).
        version: String,
    },
    /// The token was sealed for another kind of field.
    #[error("token holds a {found} field, not a {expected} field")]
    WrongField {
        /// The kind the caller asked to open.
        expected: FieldKind,
        /// The kind written in the token.
        found: FieldKind,
    },
    /// The token's key is not in the keyring (retired and removed, or from another keyring).
    #[error("token was sealed under key `{key_id}`, which is not in the keyring")]
    UnknownKey {
        /// The key the token names.
        key_id: KeyId,
    },
    /// Authentication failed: the token was altered, or the key with its id is not the one that sealed it.
    #[error("token under key `{key_id}` failed authentication: it was altered or sealed with a different key")]
    Rejected {
        /// The key the token names.
        key_id: KeyId,
    },
    /// Authentic plaintext that is not UTF-8 (only possible if something other than this crate sealed it).
    #[error("token under key `{key_id}` holds bytes that are not UTF-8 text")]
    NotUtf8 {
        /// The key the token names.
        key_id: KeyId,
    },
}

/// A sealed field, parsed: see the module docs for the format. The ciphertext reveals nothing but the length of
/// the plaintext, so `Debug` and `Display` show the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sealed {
    /// The token text.
    text: String,
    /// The key it was sealed under.
    key_id: KeyId,
    /// The kind of field it holds.
    kind: FieldKind,
    /// The AES-GCM nonce.
    nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the tag.
    ciphertext: Vec<u8>,
}

impl Sealed {
    /// Parses a token's shape (nothing is decrypted or authenticated).
    pub fn parse(text: &str) -> Result<Sealed, SealError> {
        let malformed = |reason| SealError::Malformed { reason };
        let mut parts = text.split(':');
        let version = parts.next().unwrap_or_default();
        if version != VERSION {
            // Only a short `v…` prefix is quoted: anything else is not a token at all and might be plaintext.
            return match version.strip_prefix('v') {
                Some(n) if (1..=6).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()) => {
                    Err(SealError::UnsupportedVersion { version: version.to_owned() })
                }
                _ => Err(malformed("it does not start with `v1:`")),
            };
        }
        let (Some(key_id), Some(kind), Some(nonce), Some(ciphertext), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("it does not have five `:`-separated parts"));
        };
        let key_id = KeyId::parse(key_id).ok_or(malformed("the key id is not valid"))?;
        let kind = FieldKind::from_name(kind).ok_or(malformed("the field kind is not known"))?;
        let nonce = URL_SAFE_NO_PAD
            .decode(nonce)
            .ok()
            .and_then(|bytes| <[u8; NONCE_LEN]>::try_from(bytes).ok())
            .ok_or(malformed("the nonce is not 12 bytes of base64"))?;
        let ciphertext = URL_SAFE_NO_PAD.decode(ciphertext).map_err(|_| malformed("the ciphertext is not base64"))?;
        if ciphertext.len() < TAG_LEN {
            return Err(malformed("the ciphertext is shorter than the authentication tag"));
        }
        Ok(Sealed { text: text.to_owned(), key_id, kind, nonce, ciphertext })
    }

    /// The token text, as stored.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The token text, as stored.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The id of the key it was sealed under.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The kind of field it holds.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }
}

impl fmt::Display for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl FromStr for Sealed {
    type Err = SealError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sealed::parse(s)
    }
}

impl AsRef<str> for Sealed {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Seals, opens and rotates fields with a keyring and an injected nonce source. `Sync` when the source is, so one
/// cipher can serve every ingestion thread.
#[derive(Debug)]
pub struct FieldCipher<N> {
    /// The keys.
    keyring: Keyring,
    /// Where nonces come from.
    nonces: N,
}

impl<N: NonceSource> FieldCipher<N> {
    /// A cipher over `keyring`, taking nonces from `nonces` (`OsNonces` in production).
    pub fn new(keyring: Keyring, nonces: N) -> FieldCipher<N> {
        FieldCipher { keyring, nonces }
    }

    /// The keyring.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The keyring, to make another key current or remove a retired one.
    pub fn keyring_mut(&mut self) -> &mut Keyring {
        &mut self.keyring
    }

    /// Encrypts `plaintext` as a field of `kind` under the current key, with a fresh nonce.
    pub fn seal(&self, kind: FieldKind, plaintext: &str) -> Result<Sealed, SealError> {
        let key = self.keyring.current();
        let nonce = self.nonces.next_nonce()?;
        let aad = associated_data(kind, &key.id);
        let ciphertext = key
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext.as_bytes(), aad: &aad })
            .map_err(|_| SealError::TooLong)?;
        // Written into one string of the right size (a bulk load seals a value or more per row).
        let (id, kind_name) = (key.id.as_str(), kind.as_str());
        let encoded = |bytes: usize| bytes.div_ceil(3) * 4;
        let mut text = String::with_capacity(
            VERSION.len() + id.len() + kind_name.len() + encoded(NONCE_LEN) + encoded(ciphertext.len()) + 4,
        );
        for part in [VERSION, ":", id, ":", kind_name, ":"] {
            text.push_str(part);
        }
        URL_SAFE_NO_PAD.encode_string(nonce, &mut text);
        text.push(':');
        URL_SAFE_NO_PAD.encode_string(&ciphertext, &mut text);
        Ok(Sealed { text, key_id: key.id.clone(), kind, nonce, ciphertext })
    }

    /// Decrypts a token holding a field of `kind`, with whichever key of the ring it names.
    pub fn open(&self, kind: FieldKind, token: &str) -> Result<Secret, SealError> {
        let sealed = Sealed::parse(token)?;
        if sealed.kind != kind {
            return Err(SealError::WrongField { expected: kind, found: sealed.kind });
        }
        self.open_sealed(&sealed)
    }

    /// Re-seals a token under the current key; returns it unchanged if it already is under the current key. The
    /// token is opened (so authenticated) either way.
    pub fn rotate(&self, token: &str) -> Result<Sealed, SealError> {
        let sealed = Sealed::parse(token)?;
        let plaintext = self.open_sealed(&sealed)?;
        if sealed.key_id == self.keyring.current().id {
            return Ok(sealed);
        }
        self.seal(sealed.kind, plaintext.expose())
    }

    /// The keyed hash of a value, for joins: see [`Keyring::blind_index`].
    pub fn blind_index(&self, kind: FieldKind, value: &str) -> BlindIndex {
        self.keyring.blind_index(kind, value)
    }

    /// A stable pseudonym of a value for an export: see [`Keyring::pseudonym`].
    pub fn pseudonym(&self, scope: &str, kind: FieldKind, value: &str) -> Pseudonym {
        self.keyring.pseudonym(scope, kind, value)
    }

    /// A stable pseudonym of a record identifier for an export: see [`Keyring::record_pseudonym`].
    pub fn record_pseudonym(&self, scope: &str, entity: &str, id: &str) -> Pseudonym {
        self.keyring.record_pseudonym(scope, entity, id)
    }

    /// Authenticates and decrypts a parsed token of any kind.
    fn open_sealed(&self, sealed: &Sealed) -> Result<Secret, SealError> {
        let key = self
            .keyring
            .get(sealed.key_id.as_str())
            .ok_or_else(|| SealError::UnknownKey { key_id: sealed.key_id.clone() })?;
        let aad = associated_data(sealed.kind, &key.id);
        let plaintext = key
            .cipher
            .decrypt(&Nonce::from(sealed.nonce), Payload { msg: &sealed.ciphertext, aad: &aad })
            .map_err(|_| SealError::Rejected { key_id: key.id.clone() })?;
        let text = String::from_utf8(plaintext).map_err(|_| SealError::NotUtf8 { key_id: key.id.clone() })?;
        Ok(Secret::new(sealed.kind, text))
    }
}

/// The AEAD associated data: scheme, field kind and key id, NUL-separated (none of them contains a NUL).
fn associated_data(kind: FieldKind, key_id: &KeyId) -> Vec<u8> {
    [b"agririsk/privacy/v1".as_slice(), kind.as_str().as_bytes(), key_id.as_str().as_bytes()].join(&0u8)
}
