//! Integration tests of the validation core: a real simulator run validates clean, each kind of bad row lands in
//! quarantine with its reason while the good rows of the same file pass, wrong headers are refused whole, GB18030
//! files decode, and no quarantine record shows a whole national ID or phone number.

mod bad_rows;
mod encoding;
mod header;
mod simulator;

use std::sync::OnceLock;

use ingest::{Contract, KnownKeys, Outcome, Quarantined, TextEncoding, validate};
use serde::Serialize;

/// The tiny preset, simulated once for all tests.
pub fn sim() -> &'static simulate::Simulation {
    static SIM: OnceLock<simulate::Simulation> = OnceLock::new();
    SIM.get_or_init(|| simulate::run(&simulate::Config::preset(simulate::Preset::Tiny), 1, 2, &|_, _| {}))
}

/// Rows serialised as the CLI writes them: a header row, then one line per row (header only for no rows).
pub fn csv_of<T: Serialize + Default>(rows: &[T]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(true).from_writer(Vec::new());
    if rows.is_empty() {
        w.serialize(T::default()).expect("serialises");
        let bytes = w.into_inner().expect("in memory");
        let end = bytes.iter().position(|&b| b == b'\n').expect("header line") + 1;
        return bytes[..end].to_vec();
    }
    for row in rows {
        w.serialize(row).expect("serialises");
    }
    w.into_inner().expect("in memory")
}

/// Validates a whole file, returning the outcomes.
pub fn outcomes(contract: &'static Contract, bytes: &[u8], refs: &KnownKeys) -> Vec<Outcome> {
    let file = format!("{}.csv", contract.name);
    validate(contract, &file, bytes, None, refs).expect("header matches").collect()
}

/// The quarantined outcomes only.
pub fn quarantined(outcomes: &[Outcome]) -> Vec<&Quarantined> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Quarantined(q) => Some(q),
            _ => None,
        })
        .collect()
}

/// Keys of every source up to and including households, from the simulation.
pub fn keys_through_households() -> KnownKeys {
    let t = &sim().tables;
    let mut keys = KnownKeys::new();
    for c in &t.counties {
        keys.insert("counties", &[&c.county_code]);
    }
    for v in &t.villages {
        keys.insert("villages", &[&v.village_code]);
    }
    for h in &t.households {
        keys.insert("households", &[&h.household_id]);
    }
    keys
}

/// Sanity: detection of the simulator's own output.
#[test]
fn simulator_output_is_detected_as_utf8() {
    assert_eq!(TextEncoding::detect(&csv_of(&sim().tables.members)), TextEncoding::Utf8);
}
