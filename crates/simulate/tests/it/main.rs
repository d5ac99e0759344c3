//! End-to-end checks of the simulator: determinism, synthetic identifiers, and calibration against the
//! specification's targets.

use simulate::{Config, Preset, Simulation};

fn run(preset: Preset, seed: u64, threads: usize) -> Simulation {
    simulate::run(&Config::preset(preset), seed, threads, &|_, _| {})
}

fn json<T: serde::Serialize>(rows: &[T]) -> String {
    serde_json::to_string(rows).expect("rows serialise")
}

#[test]
fn the_same_config_and_seed_give_identical_output_whatever_the_threads() {
    let a = run(Preset::Tiny, 7, 1);
    let b = run(Preset::Tiny, 7, 2);
    assert_eq!(json(&a.tables.loans), json(&b.tables.loans));
    assert_eq!(json(&a.tables.repayments), json(&b.tables.repayments));
    assert_eq!(json(&a.tables.transactions), json(&b.tables.transactions));
    assert_eq!(json(&a.tables.members), json(&b.tables.members));
    let c = run(Preset::Tiny, 8, 2);
    assert_ne!(json(&a.tables.loans), json(&c.tables.loans));
}

#[test]
fn identifiers_are_synthetic_and_valid() {
    let sim = run(Preset::Tiny, 3, 2);
    for m in &sim.tables.members {
        let id = domain::NationalId::parse(&m.national_id).expect("valid GB 11643 check digit");
        assert_eq!(&id.area_code()[..2], "99", "area prefix 99 belongs to no real area");
        if !m.phone.is_empty() {
            assert!(["10", "11", "12"].contains(&&m.phone[..2]), "phone {} uses an unassigned prefix", m.phone);
            assert_eq!(m.phone.len(), 11);
            assert!(domain::MobileNumber::parse(&m.phone).is_err(), "no operator's prefix");
        }
    }
    assert!(sim.tables.households.iter().all(|h| h.synthetic));
    let heads = sim.tables.members.iter().filter(|m| m.member_no == 1).count();
    assert_eq!(heads, sim.tables.households.len());
}
