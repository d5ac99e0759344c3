//! `agririsk policy simulate`: a candidate identical to the champion swaps nobody; a stricter one (lower approve
//! cutoffs) only declines applications the champion approved; a candidate failing its static checks is exit 2;
//! nothing is written to the store.

use super::county::{DEFAULT_POLICY, county, exclusive, s};
use super::{agririsk, money, ok_json, snapshot, stderr};

const GAP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../policy/tests/broken/gap.json");
const FROM: &str = "2020-01-01";
const TO: &str = "2026-11-28";

fn simulate(candidate: &str) -> serde_json::Value {
    let c = county();
    let _guard = exclusive();
    ok_json(&c.data, &["policy", "simulate", "--candidate", candidate, "--from", FROM, "--to", TO, "--format", "json"])
}

#[test]
fn a_candidate_identical_to_the_champion_swaps_nobody_and_writes_nothing() {
    let c = county();
    let args = ["policy", "simulate", "--candidate", DEFAULT_POLICY, "--from", FROM, "--to", TO, "--format", "json"];
    let (before, v, after) = {
        let _guard = exclusive();
        (snapshot(&c.data), ok_json(&c.data, &args), snapshot(&c.data))
    };
    assert!(after == before, "a simulation writes nothing");
    assert!(v["replayed"].as_u64().expect("replayed") > 0, "{v}");
    assert_eq!(v["champion"], v["candidate_results"]);
    assert_eq!(v["swap"]["newly_approved"], 0);
    assert_eq!(v["swap"]["newly_declined"], 0);
    let total = &v["champion"]["total"];
    assert_eq!(total["applications"], v["replayed"]);
    let by_segment: u64 = v["champion"]["by_segment"]
        .as_object()
        .expect("segments")
        .values()
        .map(|g| g["applications"].as_u64().expect("n"))
        .sum();
    assert_eq!(Some(by_segment), total["applications"].as_u64());
    let volume: i64 =
        v["champion"]["by_tier"].as_object().expect("tiers").values().map(|g| money(&g["volume_yuan"])).sum();
    assert_eq!(volume, money(&total["volume_yuan"]));
}

#[test]
fn a_stricter_candidate_only_declines_and_approves_less() {
    let dir = tempfile::tempdir().expect("temp dir");
    let strict = dir.path().join("strict.json");
    let text = std::fs::read_to_string(DEFAULT_POLICY).expect("default policy");
    // Halve the planting and merchant approve cutoffs: PD below 2% approves, [2%, 10%) is referred.
    let edited = text.replace("\"< 0.04\"", "\"< 0.02\"").replace("\"[0.04..0.10)\"", "\"[0.02..0.10)\"");
    assert_ne!(edited, text);
    std::fs::write(&strict, edited).expect("write");
    let v = simulate(s(&strict));
    let swap = &v["swap"];
    assert_eq!(swap["newly_approved"], 0, "{swap}");
    let declined = swap["newly_declined"].as_u64().expect("count");
    assert!(declined > 0, "{v}");
    assert_eq!(swap["newly_declined_ids"].as_array().expect("ids").len() as u64, declined.min(5));
    let approved = |side: &str| v[side]["total"]["approved"].as_u64().expect("approved");
    assert_eq!(approved("candidate_results"), approved("champion") - declined);
}

#[test]
fn a_candidate_failing_its_checks_exits_2_naming_the_file_and_node() {
    let c = county();
    let _guard = exclusive();
    let out = agririsk(&c.data, &["policy", "simulate", "--candidate", GAP, "--from", FROM, "--to", TO]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("gap.json") && err.contains("node \"Age check\""), "{err}");
}
