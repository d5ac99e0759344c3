//! A real simulator run (tiny preset) validates with zero quarantined rows for every implemented source, loaded in
//! the manifest's order with each source's keys made known to the next; the deferred references are checked after.

use ingest::{KnownKeys, contracts, validate};

use crate::{csv_of, sim};

fn files() -> Vec<(&'static ingest::Contract, Vec<u8>)> {
    crate::simulator_files().iter().map(|(contract, csv, _)| (*contract, csv.clone())).collect()
}

#[test]
fn tiny_simulation_validates_clean_for_every_implemented_source() {
    let files = files();
    assert_eq!(files.len(), contracts::SIMULATOR.len(), "every implemented contract is exercised");
    let mut keys = KnownKeys::new();
    for (contract, bytes) in &files {
        let file = format!("{}.csv", contract.name);
        let mut validation = validate(contract, &file, bytes, None, &keys).expect("header matches the contract");
        let problems: Vec<String> = validation
            .by_ref()
            .filter_map(|o| match o {
                ingest::Outcome::Quarantined(q) => Some(q.to_string()),
                _ => None,
            })
            .take(5)
            .collect();
        let summary = validation.summary().clone();
        assert!(problems.is_empty(), "{file}: {problems:#?}");
        assert_eq!(summary.quarantined, 0, "{file}");
        assert_eq!(summary.duplicates, 0, "{file}");
        assert!(summary.valid > 0, "{file} has rows in the tiny preset");
        assert!(summary.is_consistent());
        keys.extend(contract.name, validation.into_keys());
    }
    // Deferred references: households → groups and applications → loans, now that both targets are known.
    for (contract, bytes) in files.iter().filter(|(c, _)| c.name == "households" || c.name == "applications") {
        let (quarantined, summary) = validate(contract, contract.name, bytes, None, &keys).expect("header").finish();
        assert!(quarantined.is_empty(), "{}: {:?}", contract.name, quarantined.first().map(ToString::to_string));
        assert!(summary.valid > 0);
    }
}

#[test]
fn deferred_reference_to_an_unloaded_source_is_not_checked() {
    let t = &sim().tables;
    let mut keys = crate::keys_through_households();
    keys.extend("groups", std::iter::empty());
    // With `groups` declared known but empty, every household with a group dangles: the check is live.
    let (quarantined, _) = validate(&contracts::HOUSEHOLDS, "households.csv", &csv_of(&t.households), None, &keys)
        .expect("header")
        .finish();
    let with_group = t.households.iter().filter(|h| !h.group_id.is_empty()).count();
    assert_eq!(quarantined.len(), with_group);
    assert!(quarantined.iter().all(|q| q.reason == ingest::Reason::DanglingReference && q.field == Some("group_id")));
}
