//! A tiny simulated county written as contract files into a temporary directory, a key ring and an open store.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use integrate::{LoadOptions, Silent};
use privacy::{CounterNonces, FieldCipher, Keyring};
use serde::Serialize;
use store::SqliteStore;

/// Test keys (never used outside tests).
pub const KEYS: &str =
    "index:YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=\nk1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub fn cipher() -> FieldCipher<CounterNonces> {
    FieldCipher::new(Keyring::parse("test", KEYS).expect("test keys parse"), CounterNonces::new(*b"test"))
}

pub fn sim() -> &'static simulate::Simulation {
    static SIM: OnceLock<simulate::Simulation> = OnceLock::new();
    SIM.get_or_init(|| simulate::run(&simulate::Config::preset(simulate::Preset::Tiny), 1, 2, &|_, _| {}))
}

/// CSV bytes of a table, header included.
pub fn csv_of<T: Serialize>(rows: &[T]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).expect("rows serialise");
    }
    writer.into_inner().expect("flush to memory")
}

/// The tiny county's model-facing files, in manifest order.
pub fn files() -> Vec<(&'static str, Vec<u8>)> {
    let t = &sim().tables;
    vec![
        ("counties", csv_of(&t.counties)),
        ("villages", csv_of(&t.villages)),
        ("households", csv_of(&t.households)),
        ("members", csv_of(&t.members)),
        ("groups", csv_of(&t.groups)),
        ("ratings", csv_of(&t.ratings)),
        ("bureau_reports", csv_of(&t.bureau)),
        ("applications", csv_of(&t.applications)),
        ("loans", csv_of(&t.loans)),
        ("repayments", csv_of(&t.repayments)),
        ("transactions", csv_of(&t.transactions)),
        ("prices", csv_of(&t.prices)),
        ("weather_events", csv_of(&t.weather)),
        ("disease_events", csv_of(&t.disease)),
        ("employment_shocks", csv_of(&t.employment)),
        ("insurance_claims", csv_of(&t.insurance)),
        ("news", csv_of(&t.news)),
    ]
}

/// Writes the files and a manifest into `dir`.
pub fn write_county(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("create dir");
    let mut entries = Vec::new();
    for (entity, bytes) in files() {
        std::fs::write(dir.join(format!("{entity}.csv")), &bytes).expect("write file");
        let rows = bytes.iter().filter(|&&b| b == b'\n').count().saturating_sub(1);
        entries.push(serde_json::json!({"entity": entity, "rows": rows, "model_facing": true}));
    }
    entries.push(serde_json::json!({"entity": "household_truth", "rows": 0, "model_facing": false}));
    let manifest = serde_json::json!({
        "contract_version": ingest::CONTRACT_VERSION,
        "synthetic": true,
        "formats": ["csv"],
        "files": entries,
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).expect("json")).expect("write");
    dir.to_path_buf()
}

pub fn options(dir: &Path, as_of: &str) -> LoadOptions {
    LoadOptions {
        encoding: None,
        as_of: domain::parse_date(as_of).expect("date"),
        loaded_at: "2026-11-28T12:00:00Z".to_string(),
        quarantine_dir: dir.join("quarantine"),
    }
}

/// A store with the whole tiny county loaded.
pub async fn loaded_store(dir: &Path) -> SqliteStore {
    let data = write_county(&dir.join("county"));
    let store = SqliteStore::open(&dir.join("data")).await.expect("open store");
    let report = integrate::load_directory(&store, &cipher(), &data, &options(dir, "2026-11-28"), &mut Silent)
        .await
        .expect("county loads");
    assert!(report.loads.iter().all(|l| l.info.counts.quarantined == 0), "the tiny county loads clean");
    store
}

/// Loads the ingest crate's sample files of the external sources (farm plots, livestock, insurance policies,
/// e-commerce sales, accounts: households of the tiny county) into a loaded store.
pub async fn load_external(store: &SqliteStore, dir: &Path) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/data");
    for contract in ingest::contracts::EXTERNAL {
        let path = data.join(format!("{}.csv", contract.name));
        let report = integrate::load_file(store, &cipher(), contract, &path, &options(dir, "2026-11-28"), &mut Silent)
            .await
            .expect("external file loads");
        assert_eq!(report.info.counts.quarantined, 0, "{} loads clean", contract.name);
    }
}
