//! The keyring: the AES keys fields are sealed with (one of them current) and the separate blind-index key.
//!
//! # Key text format
//!
//! The same text is read from a key file ([`Keyring::load`]) or from an environment variable's value that the
//! caller passes in ([`Keyring::parse`]; this crate reads no environment itself). Entries are separated by newlines
//! or `;` (so the whole ring fits in one variable); blank entries and entries starting with `#` are ignored.
//!
//! ```text
//! # agririsk privacy keys (chmod 600)
//! index:YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=
//! k2:3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
//! k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
//! current:k2
//! ```
//!
//! - `ID:BASE64` is an encryption key: `ID` is 1–32 of `A–Z a–z 0–9 _ - .` (not `index` or `current`) and
//!   `BASE64` is exactly 32 random bytes in standard padded base64 (`openssl rand -base64 32`).
//! - `index:BASE64` is the blind-index key, required exactly once. It is deliberately not one of the encryption
//!   keys: rotating encryption keys leaves every blind index and pseudonym unchanged, while replacing the index key
//!   changes all of them, so it means recomputing every stored index (re-indexing).
//! - `current:ID` names the key new tokens are sealed with; without it the first encryption key listed is current.
//!
//! Neither key is used directly: each goes through HKDF-SHA256 with its own label, so the AES key and the HMAC key
//! differ even if an operator pasted the same bytes twice (which is refused anyway).
//!
//! Errors name the source and line and what is wrong, never the key material (not even a base64 decoder's message,
//! which quotes the offending character).

use std::fmt;
use std::path::Path;

use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Length in bytes of every key in the key text.
pub const KEY_LEN: usize = 32;

/// HKDF salt shared by every derivation: names the scheme, so keys derived here are useless elsewhere.
const HKDF_SALT: &[u8] = b"agririsk/privacy/v1";
/// HKDF label of the AES-256-GCM key derived from an encryption key.
const ENCRYPTION_LABEL: &[u8] = b"field-encryption";
/// HKDF label of the HMAC-SHA256 key derived from the index key.
const INDEX_LABEL: &[u8] = b"blind-index";

/// Why a keyring could not be read or changed. Never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read.
    #[error("{path}: cannot read key file: {error}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// The key file can be read or written by someone other than its owner.
    #[error("{path}: key file is accessible to group or others (mode {mode:o}); run `chmod 600` on it")]
    Permissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// An entry is not `ID:BASE64`, `index:BASE64` or `current:ID`.
    #[error("{source_name}:{line}: expected `ID:BASE64`, `index:BASE64` or `current:ID`")]
    Syntax {
        /// The file path or variable name.
        source_name: String,
        /// 1-based line number.
        line: usize,
    },
    /// A key id with characters other than `A–Z a–z 0–9 _ - .`, empty, longer than 32, or reserved.
    #[error("{source_name}:{line}: key id must be 1–32 of A–Z a–z 0–9 _ - . and not `index` or `current`")]
    BadId {
        /// The file path or variable name.
        source_name: String,
        /// 1-based line number.
        line: usize,
    },
    /// The key text is not standard padded base64.
    #[error("{source_name}:{line}: key `{id}` is not valid base64 (standard alphabet, with `=` padding)")]
    Base64 {
        /// The file path or variable name.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// The key's id (`index` for the index key).
        id: String,
    },
    /// The key does not decode to 32 bytes.
    #[error("{source_name}:{line}: key `{id}` is {bytes} bytes; keys must be 32 bytes (256 bits)")]
    Length {
        /// The file path or variable name.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// The key's id (`index` for the index key).
        id: String,
        /// How many bytes it decoded to.
        bytes: usize,
    },
    /// The same id (or a second `index` or `current` entry) appears twice.
    #[error("{source_name}:{line}: `{id}` is already given on line {first_line}")]
    Duplicate {
        /// The file path or variable name.
        source_name: String,
        /// 1-based line number of the repeat.
        line: usize,
        /// The repeated id, `index` or `current`.
        id: String,
        /// Where it first appeared.
        first_line: usize,
    },
    /// No encryption key at all.
    #[error("{source_name}: no encryption keys (add a line `ID:BASE64`)")]
    NoKeys {
        /// The file path or variable name.
        source_name: String,
    },
    /// No `index:` entry.
    #[error("{source_name}: no blind-index key (add a line `index:BASE64`)")]
    NoIndexKey {
        /// The file path or variable name.
        source_name: String,
    },
    /// `current:` names a key that is not listed.
    #[error("{source_name}:{line}: current key `{id}` is not in the keyring")]
    UnknownCurrent {
        /// The file path or variable name.
        source_name: String,
        /// 1-based line number of the `current:` entry.
        line: usize,
        /// The id it names.
        id: String,
    },
    /// The index key has the same bytes as an encryption key.
    #[error("{source_name}: the index key must differ from encryption key `{id}`")]
    IndexKeyReused {
        /// The file path or variable name.
        source_name: String,
        /// The encryption key with the same bytes.
        id: String,
    },
    /// [`Keyring::remove`] or [`Keyring::set_current`] named a key that is not in the ring.
    #[error("key `{id}` is not in the keyring")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// [`Keyring::remove`] was asked to remove the current key.
    #[error("key `{id}` is current and cannot be removed; make another key current first")]
    RemoveCurrent {
        /// The current key's id.
        id: String,
    },
}

/// The id of an encryption key, as written in key text and tokens (e.g. `k2`).
///
/// Invariant: 1–32 of `A–Z a–z 0–9 _ - .`, not `index` or `current` (so never a `:`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Parses and validates an id; `None` if it breaks the invariant.
    pub fn parse(text: &str) -> Option<KeyId> {
        let valid = (1..=32).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            && !matches!(text, "index" | "current");
        valid.then(|| KeyId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// One encryption key, ready to use.
pub(crate) struct EncryptionKey {
    /// Its id.
    pub(crate) id: KeyId,
    /// AES-256-GCM keyed with the HKDF-derived key (zeroised on drop by the `zeroize` feature).
    pub(crate) cipher: Aes256Gcm,
}

/// The encryption keys (one current) and the blind-index key. `Debug` shows key ids only.
pub struct Keyring {
    /// In the order given; ids are unique.
    keys: Vec<EncryptionKey>,
    /// Index into `keys` of the key new tokens are sealed with.
    current: usize,
    /// The HKDF-derived HMAC-SHA256 key for blind indexes and pseudonyms.
    index_key: Zeroizing<[u8; KEY_LEN]>,
}

impl Keyring {
    /// Reads a key file (format in the module docs).
    ///
    /// On Unix the file must not be accessible to group or others (`chmod 600`); otherwise it is refused with
    /// [`KeyError::Permissions`] before it is read.
    pub fn load(path: &Path) -> Result<Keyring, KeyError> {
        let name = path.display().to_string();
        let io = |error| KeyError::Io { path: name.clone(), error };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Permissions { path: name, mode });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        Keyring::parse(&name, &text)
    }

    /// Parses key text (format in the module docs); `source_name` (a path or a variable name) labels errors.
    pub fn parse(source_name: &str, text: &str) -> Result<Keyring, KeyError> {
        let src = || source_name.to_owned();
        let mut raw_keys: Vec<(KeyId, usize, Zeroizing<[u8; KEY_LEN]>)> = Vec::new();
        let mut index: Option<(usize, Zeroizing<[u8; KEY_LEN]>)> = None;
        let mut current: Option<(usize, KeyId)> = None;
        let entries = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim_start().starts_with('#'))
            .flat_map(|(n, line)| line.split(';').map(move |entry| (n + 1, entry.trim())));
        for (line, entry) in entries.filter(|(_, entry)| !entry.is_empty() && !entry.starts_with('#')) {
            let Some((name, value)) = entry.split_once(':') else {
                return Err(KeyError::Syntax { source_name: src(), line });
            };
            let (name, value) = (name.trim(), value.trim());
            match name {
                "current" => {
                    if let Some((first_line, _)) = current {
                        return Err(KeyError::Duplicate { source_name: src(), line, id: name.to_owned(), first_line });
                    }
                    // Validated before it can be quoted in an error: a key pasted here by mistake is not an id.
                    let id = KeyId::parse(value).ok_or_else(|| KeyError::BadId { source_name: src(), line })?;
                    current = Some((line, id));
                }
                "index" => {
                    if let Some((first_line, _)) = index {
                        return Err(KeyError::Duplicate { source_name: src(), line, id: name.to_owned(), first_line });
                    }
                    index = Some((line, decode_key(source_name, line, name, value)?));
                }
                _ => {
                    let id = KeyId::parse(name).ok_or_else(|| KeyError::BadId { source_name: src(), line })?;
                    if let Some((_, first_line, _)) = raw_keys.iter().find(|(other, _, _)| *other == id) {
                        let first_line = *first_line;
                        return Err(KeyError::Duplicate { source_name: src(), line, id: name.to_owned(), first_line });
                    }
                    let key = decode_key(source_name, line, name, value)?;
                    raw_keys.push((id, line, key));
                }
            }
        }
        if raw_keys.is_empty() {
            return Err(KeyError::NoKeys { source_name: src() });
        }
        let Some((_, index_raw)) = index else {
            return Err(KeyError::NoIndexKey { source_name: src() });
        };
        if let Some((id, _, _)) = raw_keys.iter().find(|(_, _, key)| **key == *index_raw) {
            return Err(KeyError::IndexKeyReused { source_name: src(), id: id.to_string() });
        }
        let current = match current {
            None => 0,
            Some((line, id)) => raw_keys
                .iter()
                .position(|(key_id, _, _)| *key_id == id)
                .ok_or_else(|| KeyError::UnknownCurrent { source_name: src(), line, id: id.to_string() })?,
        };
        let keys = raw_keys
            .into_iter()
            .map(|(id, _, raw)| {
                let derived = derive(&raw, ENCRYPTION_LABEL);
                EncryptionKey { id, cipher: Aes256Gcm::new(derived.as_ref().into()) }
            })
            .collect();
        Ok(Keyring { keys, current, index_key: derive(&index_raw, INDEX_LABEL) })
    }

    /// The id of the key new tokens are sealed with.
    pub fn current_id(&self) -> &KeyId {
        &self.keys[self.current].id
    }

    /// The ids of every encryption key, in the order given.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|key| &key.id)
    }

    /// Whether a key with this id is in the ring.
    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Makes the key with this id current.
    pub fn set_current(&mut self, id: &str) -> Result<(), KeyError> {
        self.current = self.position(id)?;
        Ok(())
    }

    /// Removes a retired key: tokens sealed under it no longer open, so rotate them first. The current key cannot
    /// be removed.
    pub fn remove(&mut self, id: &str) -> Result<(), KeyError> {
        let at = self.position(id)?;
        if at == self.current {
            return Err(KeyError::RemoveCurrent { id: id.to_owned() });
        }
        self.keys.remove(at);
        if at < self.current {
            self.current -= 1;
        }
        Ok(())
    }

    /// The current key.
    pub(crate) fn current(&self) -> &EncryptionKey {
        &self.keys[self.current]
    }

    /// The key with this id.
    pub(crate) fn get(&self, id: &str) -> Option<&EncryptionKey> {
        self.keys.iter().find(|key| key.id.as_str() == id)
    }

    /// The derived HMAC key for blind indexes and pseudonyms.
    pub(crate) fn index_key(&self) -> &[u8; KEY_LEN] {
        &self.index_key
    }

    /// Where the key with this id sits in `keys`.
    fn position(&self, id: &str) -> Result<usize, KeyError> {
        self.keys.iter().position(|key| key.id.as_str() == id).ok_or_else(|| KeyError::NotFound { id: id.to_owned() })
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current_id().as_str())
            .field("keys", &self.ids().map(KeyId::as_str).collect::<Vec<_>>())
            .field("index_key", &"<redacted>")
            .finish()
    }
}

/// Decodes one key, checking base64 and length without quoting the text in an error.
fn decode_key(source_name: &str, line: usize, id: &str, text: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let bytes = Zeroizing::new(STANDARD.decode(text).map_err(|_| KeyError::Base64 {
        source_name: source_name.to_owned(),
        line,
        id: id.to_owned(),
    })?);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(KeyError::Length {
            source_name: source_name.to_owned(),
            line,
            id: id.to_owned(),
            bytes: bytes.len(),
        });
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// HKDF-SHA256 of a raw key under the scheme's salt and a purpose label.
fn derive(raw: &[u8; KEY_LEN], label: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    Hkdf::<Sha256>::new(Some(HKDF_SALT), raw)
        .expand(label, out.as_mut())
        .expect("32 bytes is far below HKDF-SHA256's 8,160-byte limit");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const IX: &str = "YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=";

    fn parse(text: &str) -> Result<Keyring, KeyError> {
        Keyring::parse("keys.txt", text)
    }

    #[test]
    fn first_key_is_current_unless_named() {
        let ring = parse(&format!("# keys\n\nindex:{IX}\nk2:{K2}\nk1:{K1}\n")).expect("valid");
        assert_eq!(ring.current_id().as_str(), "k2");
        assert_eq!(ring.ids().map(KeyId::as_str).collect::<Vec<_>>(), ["k2", "k1"]);
        let ring = parse(&format!("index:{IX}; k2:{K2}; k1:{K1}; current:k1")).expect("one-line form");
        assert_eq!(ring.current_id().as_str(), "k1");
    }

    #[test]
    fn errors_name_the_line_and_problem() {
        let err = |text: &str| parse(text).expect_err("invalid").to_string();
        assert_eq!(
            err(&format!("index:{IX}\nk1 {K1}")),
            "keys.txt:2: expected `ID:BASE64`, `index:BASE64` or `current:ID`"
        );
        let bad = err(&format!("index:{IX}\nk1:{}!", &K1[..43]));
        assert_eq!(bad, "keys.txt:2: key `k1` is not valid base64 (standard alphabet, with `=` padding)");
        assert_eq!(
            err(&format!("index:{IX}\nk1:AAECAwQ=")),
            "keys.txt:2: key `k1` is 5 bytes; keys must be 32 bytes (256 bits)"
        );
        assert_eq!(err(&format!("index:{IX}\nk1:{K1}\n\nk1:{K2}")), "keys.txt:4: `k1` is already given on line 2");
        assert_eq!(err(&format!("index:{IX}\nindex:{K2}")), "keys.txt:2: `index` is already given on line 1");
        assert_eq!(err(&format!("index:{IX}")), "keys.txt: no encryption keys (add a line `ID:BASE64`)");
        assert_eq!(err(&format!("k1:{K1}")), "keys.txt: no blind-index key (add a line `index:BASE64`)");
        assert_eq!(
            err(&format!("index:{IX}\nk1:{K1}\ncurrent:k9")),
            "keys.txt:3: current key `k9` is not in the keyring"
        );
        assert_eq!(
            err(&format!("index:{K1}\nk1:{K1}")),
            "keys.txt: the index key must differ from encryption key `k1`"
        );
        assert!(err(&format!("index:{IX}\nk/1:{K1}")).starts_with("keys.txt:2: key id must be"));
        // A key pasted after `current:` is refused without being quoted.
        assert!(!err(&format!("index:{IX}\nk1:{K1}\ncurrent:{K2}")).contains(K2));
        assert!(parse(&format!("# old; retired\nindex:{IX}\nk1:{K1}")).is_ok(), "a `;` inside a comment is ignored");
    }

    #[test]
    fn removing_keys() {
        let mut ring = parse(&format!("index:{IX}\nk1:{K1}\nk2:{K2}\ncurrent:k2")).expect("valid");
        assert!(matches!(ring.remove("k2"), Err(KeyError::RemoveCurrent { .. })));
        assert!(matches!(ring.remove("k3"), Err(KeyError::NotFound { .. })));
        ring.remove("k1").expect("k1 is retired");
        assert_eq!(ring.current_id().as_str(), "k2");
        assert!(!ring.contains("k1"));
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let raw = Zeroizing::new([7u8; KEY_LEN]);
        assert_ne!(*derive(&raw, ENCRYPTION_LABEL), *derive(&raw, INDEX_LABEL));
        assert_ne!(*derive(&raw, INDEX_LABEL), *raw);
    }
}

/// Fresh key text for a new key file: a random blind-index key and one random encryption key named `id`, each
/// 32 bytes from the operating system, with a comment line. Write it to a file only the service account can read
/// (`chmod 600`).
pub fn generate_key_text(id: &str) -> Result<String, KeyGenError> {
    KeyId::parse(id).ok_or(KeyGenError::BadId)?;
    Ok(format!(
        "# agririsk privacy keys (chmod 600)\nindex:{}\n{id}:{}\n",
        random_key()?.as_str(),
        random_key()?.as_str()
    ))
}

/// An extra encryption key entry `id:BASE64` and the line that makes it current, to append to a key file when
/// rotating: new tokens are sealed with it, older tokens stay readable while their key remains in the file.
pub fn generate_rotation_entry(id: &str) -> Result<String, KeyGenError> {
    KeyId::parse(id).ok_or(KeyGenError::BadId)?;
    Ok(format!("{id}:{}\ncurrent:{id}\n", random_key()?.as_str()))
}

fn random_key() -> Result<Zeroizing<String>, KeyGenError> {
    let mut raw = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(raw.as_mut()).map_err(|e| KeyGenError::Random(e.to_string()))?;
    Ok(Zeroizing::new(STANDARD.encode(raw.as_ref())))
}

/// Why key text could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyGenError {
    /// The key id is not 1–32 of `A–Z a–z 0–9 _ - .`.
    #[error("a key id is 1-32 of A-Z a-z 0-9 _ - . (not `index` or `current`)")]
    BadId,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}
