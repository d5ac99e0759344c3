//! Passwords: the rules a new one must meet and its argon2id hash.
//!
//! Rules follow NIST SP 800-63B rather than composition rules: 12 to 128 characters, any characters at all (one
//! character class is fine), but not the username inside it. Hashes are argon2id with OWASP's parameters
//! (m = 19,456 KiB, t = 2, p = 1) as PHC strings, which carry their own parameters and salt, so raising the
//! parameters later still verifies the old hashes. The salt comes in as an argument: this crate makes no randomness.
//! No error here ever quotes the password.

use std::sync::OnceLock;

use argon2::password_hash::SaltString;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::username::Username;

/// Why a password is refused. The message names the rule, never the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefusal {
    /// Too short.
    #[error("password must be at least {min} characters long, not {chars}", min = MIN_CHARS)]
    TooShort {
        /// Its length in characters.
        chars: usize,
    },
    /// Too long (argon2 would take it; the limit keeps a login request from being a denial of service).
    #[error("password must be at most {max} characters long, not {chars}", max = MAX_CHARS)]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The username appears in it, in any case.
    #[error("password must not contain the username")]
    ContainsUsername,
    /// The hash could not be computed (an argon2 parameter or salt refused; a programming error).
    #[error("password could not be hashed: {0}")]
    Hashing(String),
}

/// Fewest characters.
pub const MIN_CHARS: usize = 12;
/// Most characters.
pub const MAX_CHARS: usize = 128;

/// OWASP's argon2id minimum: 19 MiB of memory, two passes, one lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn hasher() -> Result<Argon2<'static>, PasswordRefusal> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| PasswordRefusal::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks the rules for a new password of `username`.
pub fn check_password(username: &Username, password: &str) -> Result<(), PasswordRefusal> {
    check_length(password)?;
    if password.to_lowercase().contains(username.as_str()) {
        return Err(PasswordRefusal::ContainsUsername);
    }
    Ok(())
}

fn check_length(password: &str) -> Result<(), PasswordRefusal> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordRefusal::TooShort { chars });
    }
    if chars > MAX_CHARS {
        return Err(PasswordRefusal::TooLong { chars });
    }
    Ok(())
}

/// The argon2id hash of `password` with `salt`, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Checks the
/// length rules; the username rule needs the username: call [`check_password`] first.
pub fn hash_password(password: &str, salt: [u8; 16]) -> Result<String, PasswordRefusal> {
    check_length(password)?;
    hash_unchecked(password, &salt)
}

fn hash_unchecked(password: &str, salt: &[u8]) -> Result<String, PasswordRefusal> {
    let salt = SaltString::encode_b64(salt).map_err(|e| PasswordRefusal::Hashing(e.to_string()))?;
    let hash =
        hasher()?.hash_password(password.as_bytes(), &salt).map_err(|e| PasswordRefusal::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `phc`. A malformed `phc` matches nothing. The comparison of the
/// computed and stored hashes is constant-time (argon2's own).
pub fn verify_password(phc: &str, password: &str) -> bool {
    if password.chars().count() > MAX_CHARS {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Spends the time of one [`verify_password`] and answers `false`: for a login under an unknown username, so the
/// answer's timing does not tell which usernames exist. The dummy hash has the real parameters.
pub fn verify_dummy(password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| {
        hash_unchecked("no account has this password", &[0x5a; 16])
            .expect("the fixed parameters and salt are valid for argon2")
    });
    let _ = verify_password(phc, password);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> Username {
        Username::parse(name).expect("valid username")
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash_password("correct horse battery", [7; 16]).expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&phc, "correct horse battery"));
        assert!(!verify_password(&phc, "correct horse batterY"));
        assert!(!verify_password("not a phc string", "correct horse battery"));
        // Another salt, another hash of the same password.
        assert_ne!(phc, hash_password("correct horse battery", [8; 16]).expect("hash"));
    }

    #[test]
    fn length_rules_name_the_rule_and_never_the_password() {
        let e = hash_password("short-secret", [0; 16]).map(|_| ()).and(check_password(&user("bob"), "tiny"));
        assert_eq!(e, Err(PasswordRefusal::TooShort { chars: 4 }));
        assert!(!e.expect_err("refused").to_string().contains("tiny"));
        assert!(check_password(&user("bob"), &"x".repeat(12)).is_ok(), "one character class is fine");
        assert!(check_password(&user("bob"), &"é".repeat(128)).is_ok(), "characters, not bytes");
        assert_eq!(check_password(&user("bob"), &"x".repeat(129)), Err(PasswordRefusal::TooLong { chars: 129 }));
        assert_eq!(hash_password("eleven char", [0; 16]), Err(PasswordRefusal::TooShort { chars: 11 }));
    }

    #[test]
    fn the_username_may_not_be_inside_the_password() {
        let e = check_password(&user("li.wei"), "my name is LI.WEI ok").expect_err("contains the username");
        assert_eq!(e, PasswordRefusal::ContainsUsername);
        assert!(!e.to_string().contains("LI.WEI"));
        assert!(check_password(&user("li.wei"), "my name is li wei ok").is_ok());
    }

    #[test]
    fn the_dummy_never_matches() {
        assert!(!verify_dummy("no account has this password"));
        assert!(!verify_dummy(""));
    }
}
