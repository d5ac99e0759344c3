//! Who a store's writes are recorded as: the acting context every backend's store carries ([`Acting`], the clock
//! entries are stamped with, the dual-control proposal carried out), and the audit entries it makes, so the same
//! write makes the same entry on SQLite and on PostgreSQL.

use std::sync::Arc;

use ::audit::{Digest, NewEntry};
use domain::{Clock, Date, Timestamp};

/// Who a store's writes are recorded as, and from where: `user:alice` from `10.0.0.7`, `os:jdoe` from `cli`. A
/// store just opened acts as `system` from `local`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    /// The actor, as `audit::NewEntry::actor`.
    pub actor: String,
    /// The origin, as `audit::NewEntry::origin`.
    pub origin: String,
}

impl Default for Acting {
    fn default() -> Acting {
        Acting { actor: "system".into(), origin: "local".into() }
    }
}

/// The wall clock a store stamps audit entries with unless given another ([`crate::SqliteStore::with_clock`],
/// [`crate::PgStore::with_clock`]): the store is an edge, like the binary, and an entry's time is when it was written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WallClock;

impl Clock for WallClock {
    fn today(&self) -> Date {
        self.now().instant().date_naive()
    }

    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let instant = chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0).unwrap_or_default();
        Timestamp::from_instant(instant.with_timezone(&domain::china_standard_time()))
    }
}

/// The acting context a store carries: who, from where, and the clock entries are stamped with. Every backend's
/// store carries one, so their entries are made alike.
#[derive(Clone)]
pub(crate) struct Context {
    pub(crate) acting: Acting,
    pub(crate) clock: Arc<dyn Clock + Send + Sync>,
    /// The dual-control proposal the writes carry out, named in their entries' detail
    /// ([`crate::SqliteStore::carrying_out`]).
    pub(crate) proposal: Option<String>,
}

impl Default for Context {
    fn default() -> Context {
        Context { acting: Acting::default(), clock: Arc::new(WallClock), proposal: None }
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("acting", &self.acting).finish_non_exhaustive()
    }
}

impl Context {
    /// An audit entry of this context's actor and origin, now, with outcome `ok`.
    pub(crate) fn entry(&self, action: &str, target: String, after: Option<Digest>) -> NewEntry {
        let mut entry = NewEntry::new(self.clock.now(), &self.acting.actor, &self.acting.origin, action, target);
        entry.after = after;
        entry
    }

    /// Adds the proposal carried out, if any, to each entry's JSON detail.
    pub(crate) fn note_proposal(&self, entries: &mut [NewEntry]) {
        let Some(id) = &self.proposal else { return };
        for entry in entries {
            let mut detail = match serde_json::from_str::<serde_json::Value>(&entry.detail) {
                Ok(serde_json::Value::Object(map)) => map,
                _ => serde_json::Map::new(),
            };
            detail.insert("proposal".into(), serde_json::Value::String(id.clone()));
            entry.detail = serde_json::Value::Object(detail).to_string();
        }
    }
}
