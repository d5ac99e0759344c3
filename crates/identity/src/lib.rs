//! Identity and authorisation, as pure types: the [`Role`]s people and systems hold, the [`Permission`]s each route
//! needs and the table of which role is granted which ([`Role::grants`]), the [`Branches`] a caller's queries are
//! scoped to, and the authenticated [`Principal`] every action is taken by.
//!
//! Credentials, as pure functions: [`Username`]s that cannot look alike ([`username`]), argon2id password hashes
//! ([`password`]), and the bearer tokens of API keys and sessions with their digests and CSRF tokens ([`token`]).
//!
//! Boundary: pure — no I/O, no clock, no randomness (callers pass random bytes in). The store keeps users, keys and
//! sessions as rows; the service layer authenticates; the server asks [`Principal::may`] and [`Branches::covers`]
//! before any handler runs.

pub mod password;
pub mod role;
pub mod token;
pub mod username;

pub use password::{PasswordRefusal, check_password, hash_password, verify_dummy, verify_password};
pub use role::{Actor, BranchCode, Branches, Permission, Principal, Role, UnknownCode};
pub use token::{ApiKeyToken, SessionToken, digest_matches, secret_digest};
pub use username::{Username, UsernameRefusal};
