//! Personal-data protection for ingestion and display: ID numbers, names, phones and account numbers are stored
//! encrypted ([`FieldCipher::seal`], AES-256-GCM tokens that name their key and field), joined on keyed hashes
//! ([`Keyring::blind_index`]), exported under pseudonyms ([`Keyring::pseudonym`]) and shown masked ([`mask()`],
//! [`Secret`]), as PIPL art. 51 and JR/T 0171-2020 (C2 data encrypted at rest, masked on display) require.
//!
//! Which of a borrower's sources a decision may read, by the borrower's consent per source and purpose, is
//! [`consent`]'s.
//!
//! Keys come from a key file or an environment variable's value ([`Keyring`]); nonces from an injected
//! [`NonceSource`] ([`OsNonces`] in production). Nothing here reads the clock or the environment; [`Keyring::load`]
//! reads the key file and [`OsNonces`] the operating system's random number generator.
//!
//! ```
//! use privacy::{FieldCipher, FieldKind, Keyring, OsNonces};
//!
//! let keys = "index:YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=\n\
//!             k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
//! let cipher = FieldCipher::new(Keyring::parse("example", keys)?, OsNonces);
//! let token = cipher.seal(FieldKind::Phone, "18000001999")?;
//! assert!(token.as_str().starts_with("v1:k1:phone:"));
//! let phone = cipher.open(FieldKind::Phone, token.as_str())?;
//! assert_eq!(phone.to_string(), "180****1999");
//! assert_eq!(cipher.blind_index(FieldKind::Phone, "+86 180-0000-1999"), cipher.blind_index(FieldKind::Phone, "18000001999"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod consent;
pub mod field;
pub mod index;
pub mod keys;
pub mod mask;
pub mod nonce;
pub mod retention;
pub mod seal;

pub use field::{FieldKind, normalise, normalise_national_id, normalise_phone, normalise_text};
pub use index::{BlindIndex, Pseudonym};
pub use keys::{KEY_LEN, KeyError, KeyGenError, KeyId, Keyring, generate_key_text, generate_rotation_entry};
pub use mask::{
    COMPOUND_SURNAMES, Secret, mask, mask_address, mask_bank_card, mask_name, mask_national_id, mask_phone,
};
#[doc(hidden)]
pub use nonce::CounterNonces;
pub use nonce::{BatchedOsNonces, NONCE_LEN, NonceError, NonceSource, OsNonces};
pub use seal::{FieldCipher, SealError, Sealed};
