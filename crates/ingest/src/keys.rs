//! Keys of already-loaded sources, for referential integrity: the validator asks a [`KeyLookup`] whether a foreign
//! key names a known row. [`KnownKeys`] is the in-memory implementation; a store-backed one can come later.

use std::collections::{HashMap, HashSet};

/// Separates the parts of a composite key (a control character no field of the contracts contains).
const KEY_SEPARATOR: char = '\u{1f}';

/// Joins the parts of a key into one string.
pub fn join_key<S: AsRef<str>>(parts: &[S]) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(KEY_SEPARATOR);
        }
        out.push_str(part.as_ref());
    }
    out
}

/// Answers whether a key of a source exists.
pub trait KeyLookup {
    /// Whether this lookup holds the keys of `source` at all. References to a source it does not hold are not
    /// checked (the contract's deferred references, or a partial load).
    fn knows(&self, source: &str) -> bool;
    /// Whether `source` has a row with this key (parts in key-column order).
    fn contains(&self, source: &str, key: &[&str]) -> bool;
}

/// Keys of sources held in memory.
#[derive(Debug, Clone, Default)]
pub struct KnownKeys {
    sources: HashMap<String, HashSet<String>>,
}

impl KnownKeys {
    /// No sources known.
    pub fn new() -> KnownKeys {
        KnownKeys::default()
    }

    /// Adds one key of `source` (declaring the source known).
    pub fn insert<S: AsRef<str>>(&mut self, source: &str, key: &[S]) {
        self.sources.entry(source.to_owned()).or_default().insert(join_key(key));
    }

    /// Declares `source` known and adds already-joined keys (as [`crate::Validation::into_keys`] returns them).
    pub fn extend(&mut self, source: &str, joined_keys: impl IntoIterator<Item = String>) {
        self.sources.entry(source.to_owned()).or_default().extend(joined_keys);
    }
}

impl KeyLookup for KnownKeys {
    fn knows(&self, source: &str) -> bool {
        self.sources.contains_key(source)
    }

    fn contains(&self, source: &str, key: &[&str]) -> bool {
        self.sources.get(source).is_some_and(|keys| match key {
            // A key of one part is joined as itself: looked up without building a string.
            [one] => keys.contains(*one),
            _ => keys.contains(&join_key(key)),
        })
    }
}
