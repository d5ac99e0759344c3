//! `agririsk village credit`: one roster row per household of the village (by id, never by name), lines in whole
//! thousands of yuan, no line for a decline, totals that add up, the four credit-village criteria, and exit 2 for
//! an unknown village.

use serde_json::Value;

use super::county::{county, rows, run, run_json};
use super::{money, stderr};

const ON: &str = "2026-06-30";

#[test]
fn the_roster_has_one_row_per_household_with_whole_thousand_lines_and_totals() {
    let c = county();
    let households = rows(&c.files.join("households.csv"));
    let village = households[0]["village_code"].clone();
    let mut expected: Vec<String> =
        households.iter().filter(|h| h["village_code"] == village).map(|h| h["household_id"].clone()).collect();
    expected.sort();

    let v = run_json(&["village", "credit", &village, "--on", ON, "--format", "json"]);
    assert_eq!(v["village"], village.as_str());
    assert_eq!(v["on"], ON);
    let roster = v["rows"].as_array().expect("rows");
    let ids: Vec<String> = roster.iter().map(|r| r["household_id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(ids, expected, "one row per household of the village, in id order");

    let (mut approved, mut total) = (0, 0);
    for r in roster {
        let limit = money(&r["limit_yuan"]);
        assert_eq!(limit % 100_000, 0, "a line is whole thousands of yuan: {r}");
        assert!(r["reasons"].as_array().expect("reasons").len() <= 4);
        match r["outcome"].as_str().expect("outcome") {
            "decline" => {
                assert_eq!(limit, 0, "a decline has no line: {r}");
                assert_eq!(r["tier"], Value::Null);
            }
            "approve" => {
                approved += 1;
                total += limit;
                assert!(limit > 0 && r["annual_rate"].is_string() && r["product"].is_string(), "{r}");
            }
            "refer" => {}
            other => panic!("outcome {other} for {r}"),
        }
        assert!(["crop", "livestock", "business"].contains(&r["programme"].as_str().expect("programme")));
    }
    assert_eq!(v["totals"]["households"], expected.len());
    assert_eq!(v["totals"]["approved"], approved);
    assert_eq!(money(&v["totals"]["total_line_yuan"]), total);

    let rating = &v["rating"];
    assert_eq!(rating["households"], expected.len());
    let codes: Vec<&str> =
        rating["criteria"].as_array().expect("criteria").iter().map(|c| c["code"].as_str().expect("code")).collect();
    assert_eq!(codes, ["credit-households", "borrowers-without-arrears", "npl-ratio", "new-npl-ratio"]);
    let all_met = rating["criteria"].as_array().expect("criteria").iter().all(|c| c["met"] == true);
    assert_eq!(rating["credit_village"], all_met);
    assert!(rating["borrowing_without_arrears"].as_u64() <= rating["borrowing_households"].as_u64());
    assert!(money(&rating["non_performing_yuan"]) <= money(&rating["outstanding_yuan"]));
    assert!(money(&rating["new_non_performing_yuan"]) <= money(&rating["non_performing_yuan"]));
}

#[test]
fn the_table_names_households_by_id_only_and_shows_each_criterion() {
    let c = county();
    let households = rows(&c.files.join("households.csv"));
    let village = households[0]["village_code"].clone();
    let out = run(&["village", "credit", &village, "--on", ON]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("village {village} whole-village pre-credit as of {ON}")), "{text}");
    for member in rows(&c.files.join("members.csv")) {
        assert!(!text.contains(&member["name"]), "a name in the roster");
    }
    assert!(text.contains(&households[0]["household_id"]));
    assert!(text.contains("信用户占农户总数") && text.contains("新增不良贷款率"), "{text}");
    assert!(text.contains("not met") || text.contains("  met"), "{text}");
}

#[test]
fn an_unknown_village_exits_2_naming_the_code() {
    let out = run(&["village", "credit", "999999999999", "--on", ON]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("error: village: ") && stderr(&out).contains("999999999999"), "{}", stderr(&out));
}
