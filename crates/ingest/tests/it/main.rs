//! Integration tests of the validation core: a real simulator run validates clean as CSV and as JSON Lines, the
//! external sources' sample files validate clean, each kind of bad row or line lands in quarantine with its reason
//! while the good rows of the same file pass, every cross-column rule catches a row that breaks it, wrong headers
//! are refused whole, GB18030 files decode, and no quarantine record shows a whole national ID, phone or card number.

mod bad_rows;
mod encoding;
mod external;
mod header;
mod jsonl;
mod rules;
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

/// Rows serialised as the CLI writes `<entity>.jsonl`: one object per line.
pub fn jsonl_of<T: Serialize>(rows: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut out, row).expect("serialises");
        out.push(b'\n');
    }
    out
}

/// One source's contract and its file as CSV and as JSON Lines.
pub type SimulatorFile = (&'static Contract, Vec<u8>, Vec<u8>);

/// The tiny simulation's model-facing files as `(contract, csv, jsonl)`, in the manifest's load order, serialised
/// once for all tests.
pub fn simulator_files() -> &'static [SimulatorFile] {
    static FILES: OnceLock<Vec<SimulatorFile>> = OnceLock::new();
    FILES.get_or_init(serialise_simulator_files)
}

fn serialise_simulator_files() -> Vec<SimulatorFile> {
    use ingest::contracts as c;
    let t = &sim().tables;
    macro_rules! file {
        ($contract:expr, $rows:expr) => {
            (&$contract, csv_of(&$rows), jsonl_of(&$rows))
        };
    }
    vec![
        file!(c::COUNTIES, t.counties),
        file!(c::VILLAGES, t.villages),
        file!(c::HOUSEHOLDS, t.households),
        file!(c::MEMBERS, t.members),
        file!(c::GROUPS, t.groups),
        file!(c::RATINGS, t.ratings),
        file!(c::BUREAU_REPORTS, t.bureau),
        file!(c::APPLICATIONS, t.applications),
        file!(c::LOANS, t.loans),
        file!(c::REPAYMENTS, t.repayments),
        file!(c::TRANSACTIONS, t.transactions),
        file!(c::PRICES, t.prices),
        file!(c::WEATHER_EVENTS, t.weather),
        file!(c::DISEASE_EVENTS, t.disease),
        file!(c::EMPLOYMENT_SHOCKS, t.employment),
        file!(c::INSURANCE_CLAIMS, t.insurance),
        file!(c::NEWS, t.news),
        file!(c::CROP_OBSERVATIONS, t.crop_observations),
    ]
}

/// A sample file of an external source, from `tests/data/`.
pub fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
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
