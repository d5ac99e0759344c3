//! Integration tests of the privacy crate, through its public API only: one test binary (`tests/it`) to keep link
//! time down.

mod index;
mod keys;
mod mask;
mod properties;
mod seal;

use privacy::{CounterNonces, FieldCipher, Keyring};

/// Encryption key `k1` (bytes 0..32).
pub const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Encryption key `k2`.
pub const K2: &str = "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// The blind-index key.
pub const INDEX: &str = "YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=";
/// A valid national ID (GB 11643 check code `X`).
pub const NATIONAL_ID: &str = "11010119900107123X";

/// A keyring from key text, panicking on errors.
pub fn keyring(text: &str) -> Keyring {
    Keyring::parse("test keys", text).expect("valid key text")
}

/// A cipher over key text with a deterministic nonce counter.
pub fn cipher(text: &str) -> FieldCipher<CounterNonces> {
    FieldCipher::new(keyring(text), CounterNonces::new(*b"it\0\0"))
}

/// The standard test ring: index key and `k1`.
pub fn k1_only() -> String {
    format!("index:{INDEX}\nk1:{K1}")
}
