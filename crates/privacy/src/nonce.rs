//! Where the 96-bit AES-GCM nonces come from: injected, like the clock.
//!
//! AES-GCM loses both confidentiality and integrity if a nonce is ever used twice under one key, so the source is
//! a deliberate choice of the caller. Production code uses [`OsNonces`], random nonces from the operating system;
//! with random 96-bit nonces one key may seal about 2³² fields before the chance of a repeat passes 2⁻³² (the NIST
//! SP 800-38D bound), so make a new key current well before that. [`CounterNonces`] is for tests only: it is
//! deterministic, and starts from zero again in every process.

use std::sync::atomic::{AtomicU64, Ordering};

/// Length in bytes of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;

/// Why no nonce could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {reason}")]
    Os {
        /// What it reported.
        reason: String,
    },
    /// A counter source has handed out every nonce it can.
    #[error("the nonce counter is exhausted")]
    Exhausted,
}

/// A source of nonces that never repeats one. Shared across threads, so it takes `&self`.
pub trait NonceSource: Send + Sync {
    /// A nonce not handed out before.
    fn next_nonce(&self) -> Result<[u8; NONCE_LEN], NonceError>;
}

/// Random nonces from the operating system (`getrandom`): the one source for production.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsNonces;

impl NonceSource for OsNonces {
    fn next_nonce(&self) -> Result<[u8; NONCE_LEN], NonceError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|err| NonceError::Os { reason: err.to_string() })?;
        Ok(nonce)
    }
}

/// Random nonces from the operating system, fetched [`BatchedOsNonces::BATCH`] at a time: the same generator as
/// [`OsNonces`] with one system call per batch instead of one per sealed value (a bulk load seals hundreds of
/// thousands of values, and the calls cost more than the encryption). Every 12 bytes are handed out exactly once.
#[derive(Debug, Default)]
pub struct BatchedOsNonces {
    batch: std::sync::Mutex<(Vec<u8>, usize)>,
}

impl BatchedOsNonces {
    /// Nonces fetched per system call.
    pub const BATCH: usize = 256;

    /// A source with nothing fetched yet.
    pub fn new() -> BatchedOsNonces {
        BatchedOsNonces::default()
    }
}

impl NonceSource for BatchedOsNonces {
    fn next_nonce(&self) -> Result<[u8; NONCE_LEN], NonceError> {
        // A poisoned lock only means another thread panicked mid-call; the buffer position is still consistent
        // because it is advanced after the copy.
        let mut guard = self.batch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (buffer, used) = &mut *guard;
        if *used + NONCE_LEN > buffer.len() {
            buffer.resize(Self::BATCH * NONCE_LEN, 0);
            getrandom::fill(buffer).map_err(|err| NonceError::Os { reason: err.to_string() })?;
            *used = 0;
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&buffer[*used..*used + NONCE_LEN]);
        *used += NONCE_LEN;
        Ok(nonce)
    }
}

/// Deterministic nonces for tests: a 4-byte prefix then a 64-bit big-endian counter.
///
/// **Tests only.** It restarts at zero in each process, so two runs sealing under the same key would repeat nonces.
#[doc(hidden)]
#[derive(Debug)]
pub struct CounterNonces {
    /// Fixed first four bytes, so two test sources can be told apart.
    prefix: [u8; 4],
    /// The next counter value.
    next: AtomicU64,
}

impl CounterNonces {
    /// A counter starting at zero behind `prefix`.
    pub fn new(prefix: [u8; 4]) -> CounterNonces {
        CounterNonces { prefix, next: AtomicU64::new(0) }
    }
}

impl NonceSource for CounterNonces {
    fn next_nonce(&self) -> Result<[u8; NONCE_LEN], NonceError> {
        let count = self
            .next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .map_err(|_| NonceError::Exhausted)?;
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..4].copy_from_slice(&self.prefix);
        nonce[4..].copy_from_slice(&count.to_be_bytes());
        Ok(nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_counts_and_stops_at_the_end() {
        let counter = CounterNonces::new(*b"test");
        assert_eq!(counter.next_nonce(), Ok(*b"test\0\0\0\0\0\0\0\0"));
        assert_eq!(counter.next_nonce(), Ok(*b"test\0\0\0\0\0\0\0\x01"));
        let last = CounterNonces { prefix: *b"test", next: AtomicU64::new(u64::MAX) };
        assert_eq!(last.next_nonce(), Err(NonceError::Exhausted));
    }

    #[test]
    fn batched_nonces_never_repeat_across_batches() {
        let source = BatchedOsNonces::new();
        let n = BatchedOsNonces::BATCH * 3 + 5;
        let nonces: std::collections::HashSet<[u8; NONCE_LEN]> =
            (0..n).map(|_| source.next_nonce().expect("OS RNG")).collect();
        assert_eq!(nonces.len(), n);
    }

    #[test]
    fn os_nonces_differ() {
        let a = OsNonces.next_nonce().expect("OS RNG");
        let b = OsNonces.next_nonce().expect("OS RNG");
        assert_ne!(a, b);
    }
}
