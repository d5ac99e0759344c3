//! [`Verifier`]: walks a chain entry by entry in the order of their numbers, holding only the last hash, so a chain
//! of any length is checked in constant memory; the first entry found edited, deleted, inserted or moved stops it
//! with a [`Break`] naming that entry. Checkpoints given to it are checked as the entries they sign go by.

use std::fmt;

use domain::Timestamp;

use crate::{Checkpoint, Digest, Entry, PublicKey, link};

/// What a verified chain holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Entries checked.
    pub entries: u64,
    /// The number of the last entry (0 for an empty chain).
    pub head_seq: u64,
    /// The hash of the last entry ([`Digest::GENESIS`] for an empty chain).
    pub head: Digest,
    /// Signed checkpoints matched against the chain.
    pub checkpoints: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} entries verified; head is entry {} ({})", self.entries, self.head_seq, self.head)?;
        if self.checkpoints > 0 {
            write!(f, "; {} signed checkpoints match", self.checkpoints)?;
        }
        Ok(())
    }
}

/// Where a chain stops being what was appended: the entry and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(*seq, kind))]
pub struct Break {
    /// The entry named.
    pub seq: u64,
    /// What is wrong.
    pub kind: BreakKind,
}

/// What is wrong at a [`Break`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The entry's contents no longer hash to its stored hash: a field was changed.
    Edited {
        /// The hash stored with it.
        stored: Digest,
        /// What its contents hash to now.
        computed: Digest,
    },
    /// Entries from `seq` were removed: the next entry present is `found`.
    Missing {
        /// The number of the next entry present.
        found: u64,
    },
    /// The entry comes after a later one: the entries were reordered or one is repeated.
    OutOfOrder {
        /// The number of the entry before it.
        after: u64,
    },
    /// The entry hashes right only under another number: it was stored as entry `was`, so an entry was inserted
    /// before it (`was` < seq), or one was deleted before it or two were swapped (`was` > seq).
    Renumbered {
        /// The number it was appended as.
        was: u64,
    },
    /// The entry is intact but was chained to another hash than the entry before it has now: the entry before it
    /// was replaced (or inserted) with its hash recomputed; for entry 1, the chain does not start at genesis.
    Unlinked {
        /// The hash the entry was chained to.
        chained_to: Digest,
        /// The hash of the entry before it now.
        previous: Digest,
    },
    /// A signed checkpoint of this entry has another hash: the chain up to here was rewritten.
    CheckpointMismatch {
        /// The hash signed.
        signed: Digest,
        /// The hash the chain has.
        found: Digest,
        /// When the checkpoint was signed.
        at: Timestamp,
    },
    /// A signed checkpoint covers this entry but the chain ends before it: its tail was deleted.
    Truncated {
        /// The last entry of the chain (0 if empty).
        head_seq: u64,
        /// When the checkpoint was signed.
        at: Timestamp,
    },
    /// The checkpoint of this entry is not signed by the key given: the checkpoints file was edited or comes from
    /// another key.
    BadSignature {
        /// The key the checkpoint names.
        key_id: String,
    },
}

fn describe(seq: u64, kind: &BreakKind) -> String {
    match kind {
        BreakKind::Edited { stored, computed } => {
            format!("audit entry {seq} was edited: it is stored with hash {stored} but its contents hash to {computed}")
        }
        BreakKind::Missing { found } if *found == seq + 1 => {
            format!("audit entry {seq} was deleted: entry {found} follows entry {}", seq.saturating_sub(1))
        }
        BreakKind::Missing { found } => format!(
            "audit entries {seq} to {} were deleted: entry {found} follows entry {}",
            found - 1,
            seq.saturating_sub(1)
        ),
        BreakKind::OutOfOrder { after } => {
            format!("audit entry {seq} comes after entry {after}: entries were reordered or repeated")
        }
        BreakKind::Renumbered { was } if *was < seq => format!(
            "audit entry {seq} was appended as entry {was}: an entry was inserted before it and the rest renumbered"
        ),
        BreakKind::Renumbered { was } => format!(
            "audit entry {seq} was appended as entry {was}: an entry before it was deleted or entries were reordered"
        ),
        BreakKind::Unlinked { chained_to, previous } if seq == 1 => format!(
            "audit entry 1 does not start the chain: it is chained to {chained_to}, not to genesis ({previous})"
        ),
        BreakKind::Unlinked { chained_to, previous } => format!(
            "audit entry {} was replaced or inserted: entry {seq} was chained to {chained_to} but entry {} now \
             hashes to {previous}",
            seq - 1,
            seq - 1
        ),
        BreakKind::CheckpointMismatch { signed, found, at } => format!(
            "audit entry {seq} is not the entry signed at {at}: the checkpoint holds {signed}, the chain {found}; \
             the chain up to entry {seq} was rewritten"
        ),
        BreakKind::Truncated { head_seq, at } => format!(
            "audit entries {} to {seq} were deleted: the chain ends at entry {head_seq} but the checkpoint signed at \
             {at} covers entry {seq}",
            head_seq + 1
        ),
        BreakKind::BadSignature { key_id } => format!(
            "the checkpoint of audit entry {seq} is not signed by the key given (it names key {key_id}): the \
             checkpoints file was edited or belongs to another key"
        ),
    }
}

/// Checks a chain pushed entry by entry in the order of their numbers; see the module doc.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The number the next entry must have; `None` before the first entry of a segment.
    next_seq: Option<u64>,
    prev: Digest,
    entries: u64,
    /// Checkpoints not yet reached, by number, the nearest last.
    pending: Vec<Checkpoint>,
    matched: usize,
}

impl Default for Verifier {
    fn default() -> Verifier {
        Verifier::new()
    }
}

impl Verifier {
    /// A verifier of a whole chain: its first entry must be number 1, chained to [`Digest::GENESIS`].
    pub fn new() -> Verifier {
        Verifier { next_seq: Some(1), prev: Digest::GENESIS, entries: 0, pending: Vec::new(), matched: 0 }
    }

    /// A verifier of a segment of a chain (an export of some dates): its first entry is taken as it is and every
    /// later one must follow it.
    pub fn segment() -> Verifier {
        Verifier { next_seq: None, ..Verifier::new() }
    }

    /// Adds signed checkpoints to check against the chain; each must be signed by `key`, else the break names it.
    /// A checkpoint before a segment's first entry is not checked.
    pub fn with_checkpoints(mut self, checkpoints: &[Checkpoint], key: &PublicKey) -> Result<Verifier, Break> {
        for checkpoint in checkpoints {
            if !checkpoint.is_signed_by(key) {
                return Err(Break {
                    seq: checkpoint.seq,
                    kind: BreakKind::BadSignature { key_id: checkpoint.key_id.clone() },
                });
            }
        }
        self.pending.extend_from_slice(checkpoints);
        self.pending.sort_by_key(|checkpoint| std::cmp::Reverse(checkpoint.seq));
        Ok(self)
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &Entry) -> Result<(), Break> {
        let seq = entry.seq;
        let broken = |kind| Err(Break { seq, kind });
        let first_of_segment = self.next_seq.is_none();
        let expected = self.next_seq.unwrap_or(seq);
        if seq < expected {
            return broken(BreakKind::OutOfOrder { after: expected - 1 });
        }
        if seq > expected {
            return Err(Break { seq: expected, kind: BreakKind::Missing { found: seq } });
        }
        let computed = link(entry.prev, seq, &entry.entry);
        if computed != entry.hash {
            for was in [seq.checked_sub(1), seq.checked_add(1)].into_iter().flatten() {
                if was > 0 && link(entry.prev, was, &entry.entry) == entry.hash {
                    return broken(BreakKind::Renumbered { was });
                }
            }
            return broken(BreakKind::Edited { stored: entry.hash, computed });
        }
        if !first_of_segment && entry.prev != self.prev {
            return broken(BreakKind::Unlinked { chained_to: entry.prev, previous: self.prev });
        }
        while let Some(checkpoint) = self.pending.last() {
            if checkpoint.seq > seq {
                break;
            }
            if checkpoint.seq == seq {
                if checkpoint.head != entry.hash {
                    return broken(BreakKind::CheckpointMismatch {
                        signed: checkpoint.head,
                        found: entry.hash,
                        at: checkpoint.at,
                    });
                }
                self.matched += 1;
            }
            // A checkpoint of an entry before a segment began cannot be checked here.
            self.pending.pop();
        }
        self.prev = entry.hash;
        self.next_seq = Some(seq + 1);
        self.entries += 1;
        Ok(())
    }

    /// Ends the walk: the summary, or a break if a checkpoint covers entries beyond the last one.
    pub fn finish(self) -> Result<Summary, Break> {
        let head_seq = self.next_seq.map_or(0, |next| next - 1);
        if let Some(beyond) = self.pending.first() {
            return Err(Break { seq: beyond.seq, kind: BreakKind::Truncated { head_seq, at: beyond.at } });
        }
        Ok(Summary { entries: self.entries, head_seq, head: self.prev, checkpoints: self.matched })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuditKey;
    use crate::entry::tests::{at, sample};

    fn chain(n: u64) -> Vec<Entry> {
        let mut prev = Digest::GENESIS;
        (1..=n)
            .map(|seq| {
                let entry = Entry::chain(prev, seq, sample(seq));
                prev = entry.hash;
                entry
            })
            .collect()
    }

    fn verify(entries: &[Entry]) -> Result<Summary, Break> {
        let mut verifier = Verifier::new();
        for entry in entries {
            verifier.push(entry)?;
        }
        verifier.finish()
    }

    fn verify_with(entries: &[Entry], checkpoints: &[Checkpoint], key: &AuditKey) -> Result<Summary, Break> {
        let mut verifier = Verifier::new().with_checkpoints(checkpoints, &key.public())?;
        for entry in entries {
            verifier.push(entry)?;
        }
        verifier.finish()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        let summary = verify(&entries).expect("intact");
        assert_eq!(summary, Summary { entries: 5, head_seq: 5, head: entries[4].hash, checkpoints: 0 });
        assert_eq!(verify(&[]).expect("empty").head, Digest::GENESIS);
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut entries = chain(5);
        entries[2].entry.target = "loan:L999999".into();
        let found = verify(&entries).expect_err("edited");
        assert_eq!(found.seq, 3);
        assert!(matches!(found.kind, BreakKind::Edited { .. }));
        assert!(found.to_string().contains("audit entry 3 was edited"), "{found}");
    }

    #[test]
    fn an_entry_rewritten_with_its_hash_recomputed_is_found_at_the_next() {
        let mut entries = chain(5);
        entries[2].entry.outcome = "forbidden".into();
        entries[2].hash = link(entries[2].prev, 3, &entries[2].entry);
        let found = verify(&entries).expect_err("rewritten");
        assert_eq!(found.seq, 4);
        assert!(matches!(found.kind, BreakKind::Unlinked { .. }));
        assert!(found.to_string().contains("audit entry 3 was replaced"), "{found}");
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut entries = chain(5);
        entries.remove(1);
        let found = verify(&entries).expect_err("deleted");
        assert_eq!(found, Break { seq: 2, kind: BreakKind::Missing { found: 3 } });
        assert!(found.to_string().contains("audit entry 2 was deleted"), "{found}");
    }

    #[test]
    fn a_deleted_entry_with_the_rest_renumbered_is_named() {
        let mut entries = chain(5);
        entries.remove(1);
        for entry in &mut entries[1..] {
            entry.seq -= 1;
        }
        let found = verify(&entries).expect_err("deleted");
        assert_eq!(found, Break { seq: 2, kind: BreakKind::Renumbered { was: 3 } });
    }

    #[test]
    fn an_inserted_entry_is_named() {
        let mut entries = chain(5);
        let mut forged = Entry::chain(entries[1].hash, 3, sample(99));
        forged.entry.actor = "user:mallory".into();
        forged.hash = link(forged.prev, 3, &forged.entry);
        entries.insert(2, forged);
        for entry in &mut entries[3..] {
            entry.seq += 1;
        }
        let found = verify(&entries).expect_err("inserted");
        assert_eq!(found, Break { seq: 4, kind: BreakKind::Renumbered { was: 3 } });
        assert!(found.to_string().contains("inserted before it"), "{found}");
    }

    #[test]
    fn a_reordered_pair_is_named() {
        let mut entries = chain(5);
        entries.swap(1, 2);
        // Lines of an export swapped: entry 2 is not where it belongs.
        let found = verify(&entries).expect_err("reordered");
        assert_eq!(found, Break { seq: 2, kind: BreakKind::Missing { found: 3 } });
        // Rows of a table kept their numbers and swapped their contents.
        let mut swapped = chain(5);
        let (a, b) = (swapped[1].clone(), swapped[2].clone());
        swapped[1] = Entry { seq: 2, ..b };
        swapped[2] = Entry { seq: 3, ..a };
        let found = verify(&swapped).expect_err("swapped");
        assert_eq!(found, Break { seq: 2, kind: BreakKind::Renumbered { was: 3 } });
    }

    #[test]
    fn a_chain_not_starting_at_genesis_is_named() {
        let entries = chain(3);
        let found = verify(&entries[1..]).expect_err("no start");
        assert_eq!(found, Break { seq: 1, kind: BreakKind::Missing { found: 2 } });
        let mut verifier = Verifier::segment();
        for entry in &entries[1..] {
            verifier.push(entry).expect("a segment starts anywhere");
        }
        assert_eq!(verifier.finish().expect("segment").entries, 2);
    }

    #[test]
    fn checkpoints_match_an_intact_chain() {
        let key = AuditKey::from_seed([1; 32]);
        let entries = chain(6);
        let checkpoints = [key.checkpoint(2, entries[1].hash, at()), key.checkpoint(6, entries[5].hash, at())];
        assert_eq!(verify_with(&entries, &checkpoints, &key).expect("intact").checkpoints, 2);
    }

    #[test]
    fn a_chain_rewritten_consistently_fails_its_checkpoint() {
        let key = AuditKey::from_seed([1; 32]);
        let entries = chain(6);
        let checkpoints = [key.checkpoint(5, entries[4].hash, at())];
        // Rewrite entry 3 and recompute every hash after it: the chain alone verifies.
        let mut forged = entries[..2].to_vec();
        let mut prev = entries[1].hash;
        for original in &entries[2..] {
            let mut content = original.entry.clone();
            if original.seq == 3 {
                content.actor = "user:mallory".into();
            }
            let entry = Entry::chain(prev, original.seq, content);
            prev = entry.hash;
            forged.push(entry);
        }
        verify(&forged).expect("consistent on its own");
        let found = verify_with(&forged, &checkpoints, &key).expect_err("checkpoint");
        assert_eq!(found.seq, 5);
        assert!(matches!(found.kind, BreakKind::CheckpointMismatch { .. }));
        assert!(found.to_string().contains("rewritten"), "{found}");
    }

    #[test]
    fn a_deleted_tail_fails_its_checkpoint() {
        let key = AuditKey::from_seed([1; 32]);
        let entries = chain(6);
        let checkpoints = [key.checkpoint(6, entries[5].hash, at())];
        let found = verify_with(&entries[..4], &checkpoints, &key).expect_err("truncated");
        assert_eq!(found, Break { seq: 6, kind: BreakKind::Truncated { head_seq: 4, at: at() } });
        assert!(found.to_string().contains("audit entries 5 to 6 were deleted"), "{found}");
    }

    #[test]
    fn a_forged_checkpoint_is_named() {
        let key = AuditKey::from_seed([1; 32]);
        let entries = chain(3);
        let mut checkpoint = key.checkpoint(3, entries[2].hash, at());
        checkpoint.head = entries[1].hash;
        let found = verify_with(&entries, &[checkpoint], &key).expect_err("forged");
        assert_eq!(found.seq, 3);
        assert!(matches!(found.kind, BreakKind::BadSignature { .. }));
        let other = AuditKey::from_seed([2; 32]);
        let foreign = other.checkpoint(3, entries[2].hash, at());
        assert!(verify_with(&entries, &[foreign], &key).is_err());
    }
}
