//! Validation throughput: the county preset's files (50,000 households) serialised as the simulator writes them,
//! then validated against their contracts in load order, each source's keys made known to the next. Prints rows
//! per second per source and overall (one thread; decoding, parsing, typing, key and reference checks included;
//! nothing stored — storage comes with `agririsk ingest`).
//!
//! Run with `cargo bench -p ingest --bench validate` (or `cargo xtask bench ingest`).

use std::time::Instant;

use ingest::{KnownKeys, Outcome, contracts, validate};

fn csv_of<T: serde::Serialize>(rows: &[T]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).expect("rows serialise");
    }
    w.into_inner().expect("in memory")
}

fn main() {
    let config = simulate::Config::preset(simulate::Preset::County);
    let sim = simulate::run(&config, 1, 2, &|_, _| {});
    let t = &sim.tables;
    let files = [
        (&contracts::COUNTIES, csv_of(&t.counties)),
        (&contracts::VILLAGES, csv_of(&t.villages)),
        (&contracts::HOUSEHOLDS, csv_of(&t.households)),
        (&contracts::MEMBERS, csv_of(&t.members)),
        (&contracts::GROUPS, csv_of(&t.groups)),
        (&contracts::RATINGS, csv_of(&t.ratings)),
        (&contracts::BUREAU_REPORTS, csv_of(&t.bureau)),
        (&contracts::APPLICATIONS, csv_of(&t.applications)),
        (&contracts::LOANS, csv_of(&t.loans)),
        (&contracts::REPAYMENTS, csv_of(&t.repayments)),
        (&contracts::TRANSACTIONS, csv_of(&t.transactions)),
        (&contracts::PRICES, csv_of(&t.prices)),
    ];
    println!("| source | rows | MB | rows/s |\n|---|---|---|---|");
    let (mut all_rows, mut all_secs) = (0usize, 0f64);
    let mut keys = KnownKeys::new();
    for (contract, bytes) in &files {
        let start = Instant::now();
        let mut validation = validate(contract, contract.name, bytes, None, &keys).expect("header matches");
        let quarantined = validation.by_ref().filter(|o| matches!(o, Outcome::Quarantined(_))).count();
        let secs = start.elapsed().as_secs_f64();
        let rows = validation.summary().read as usize;
        assert_eq!(quarantined, 0, "{}: the simulator's output is valid", contract.name);
        keys.extend(contract.name, validation.into_keys());
        println!(
            "| {} | {rows} | {:.1} | {:.0} |",
            contract.name,
            bytes.len() as f64 / 1e6,
            rows as f64 / secs.max(1e-9)
        );
        all_rows += rows;
        all_secs += secs;
    }
    println!("| all | {all_rows} | | {:.0} |", all_rows as f64 / all_secs.max(1e-9));
}
