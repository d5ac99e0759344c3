//! The pseudonymised export: no personal value or household id in it, joins kept, scopes unlinkable.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use integrate::IntegrateError;
use integrate::export::{ExportOptions, export_pseudonymised};

use crate::fixtures::{cipher, loaded_store, sim};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Every exported CSV file: name → (header, rows of fields).
fn read_export(dir: &Path) -> BTreeMap<String, (Vec<String>, Vec<Vec<String>>)> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("export dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "csv") {
            let mut reader = csv::Reader::from_path(&path).expect("csv");
            let header = reader.headers().expect("header").iter().map(str::to_string).collect();
            let rows = reader.records().map(|r| r.expect("record").iter().map(str::to_string).collect()).collect();
            files.insert(path.file_stem().expect("stem").to_string_lossy().into_owned(), (header, rows));
        }
    }
    files
}

fn column<'a>(file: &'a (Vec<String>, Vec<Vec<String>>), name: &str) -> Vec<&'a str> {
    let at = file.0.iter().position(|c| c == name).expect("column");
    file.1.iter().map(|r| r[at].as_str()).collect()
}

/// Whether the text holds something shaped like an original household id, `H` and 7 digits.
fn has_household_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(8).any(|w| w[0] == b'H' && w[1..].iter().all(u8::is_ascii_digit))
}

#[test]
fn an_export_holds_no_personal_value_or_household_id_and_still_joins() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let out = dir.path().join("export");
        let options = ExportOptions { scope: "training".into(), as_of: None, out: out.clone() };
        let manifest = export_pseudonymised(&store, &cipher(), &options).await.expect("export");
        assert!(manifest.pseudonymised);
        assert_eq!(manifest.sources.len(), 17);
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).expect("manifest")).expect("json");
        assert_eq!(written["pseudonymised"], true);
        assert_eq!(written["scope"], "training");
        assert!(!dir.path().join(".export.partial").exists(), "the staging directory is renamed into place");

        let t = &sim().tables;
        let personal: BTreeSet<&[u8]> = t
            .members
            .iter()
            .flat_map(|m| [m.national_id.as_bytes(), m.phone.as_bytes()])
            .filter(|v| !v.is_empty())
            .collect();
        for entry in std::fs::read_dir(&out).expect("dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            assert!(!has_household_id(&text), "{} holds an original household id", path.display());
            let bytes = text.as_bytes();
            let leaked = [11, 18].iter().any(|&n| bytes.windows(n).any(|w| personal.contains(w)));
            assert!(!leaked, "{}: a national ID or phone in clear", path.display());
        }
        let files = read_export(&out);
        let members = &files["members"];
        assert!(column(members, "name").iter().all(|n| n.is_empty()), "names are dropped");
        assert!(column(members, "national_id").iter().all(|v| v.starts_with("P-")));
        assert_eq!(members.1.len(), t.members.len());
        for entry in &manifest.sources {
            assert_eq!(files[&entry.source].1.len() as u64, entry.rows, "{}", entry.source);
        }

        // Joins: one household has one pseudonym in every file.
        let loan = &t.loans[0];
        let pseudonym = cipher().record_pseudonym("training", "household", &loan.household_id);
        let p = pseudonym.as_str();
        let household = t.households.iter().find(|h| h.household_id == loan.household_id).expect("household");
        assert_eq!(column(&files["households"], "household_id").iter().filter(|h| **h == p).count(), 1);
        assert_eq!(column(members, "household_id").iter().filter(|h| **h == p).count(), household.size as usize);
        let loans = t.loans.iter().filter(|l| l.household_id == loan.household_id).count();
        assert_eq!(column(&files["loans"], "household_id").iter().filter(|h| **h == p).count(), loans);
        let known: BTreeSet<&str> = column(&files["households"], "household_id").into_iter().collect();
        for source in ["members", "ratings", "loans", "transactions", "applications"] {
            assert!(column(&files[source], "household_id").iter().all(|h| known.contains(h)), "{source} joins");
        }
        for list in column(&files["groups"], "members") {
            assert!(list.split(';').all(|h| known.contains(h)), "group members join");
        }
        // Amounts are written as the contract writes them.
        assert!(
            column(&files["loans"], "principal").iter().all(|a| a.split_once('.').is_some_and(|(_, f)| f.len() == 2))
        );

        // Another scope: no pseudonym in common.
        let other = dir.path().join("audit");
        let options = ExportOptions { scope: "audit".into(), as_of: None, out: other.clone() };
        export_pseudonymised(&store, &cipher(), &options).await.expect("second export");
        let theirs = read_export(&other);
        let audit: BTreeSet<&str> = column(&theirs["households"], "household_id").into_iter().collect();
        assert_eq!(audit.len(), known.len());
        assert!(audit.is_disjoint(&known), "two scopes give different pseudonyms");
        let ids = |f: &(Vec<String>, Vec<Vec<String>>)| {
            column(f, "national_id").into_iter().map(str::to_string).collect::<BTreeSet<_>>()
        };
        assert!(ids(&theirs["members"]).is_disjoint(&ids(members)));

        // An existing export is never overwritten.
        let options = ExportOptions { scope: "training".into(), as_of: None, out: out.clone() };
        let err = export_pseudonymised(&store, &cipher(), &options).await.expect_err("exists");
        assert!(matches!(err, IntegrateError::Input { field: "out", .. }), "{err}");
    });
}

#[test]
fn account_numbers_are_pseudonymised_and_join_with_the_rest() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        crate::fixtures::load_external(&store, dir.path()).await;
        // Stored, an account number is a token and a blind index, also where it is part of the record's key.
        for entry in std::fs::read_dir(dir.path().join("data")).expect("data directory") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            let card = b"9910345678012345672";
            assert!(!bytes.windows(card.len()).any(|w| w == card), "a card number in clear in {}", path.display());
        }
        let out = dir.path().join("export");
        let options = ExportOptions { scope: "training".into(), as_of: None, out: out.clone() };
        let manifest = export_pseudonymised(&store, &cipher(), &options).await.expect("export");
        assert_eq!(manifest.sources.len(), 22, "every simulator and external source");
        let text = std::fs::read_to_string(out.join("accounts.csv")).expect("accounts");
        assert!(!text.contains("9910345678012345672"), "a card number in clear");
        assert!(!has_household_id(&text));
        let files = read_export(&out);
        let cards = column(&files["accounts"], "account_no");
        assert!(cards.iter().all(|c| c.starts_with("P-")));
        // The same card bound to two providers has one pseudonym.
        assert!(cards.len() > cards.iter().collect::<BTreeSet<_>>().len());
        let known: BTreeSet<&str> = column(&files["households"], "household_id").into_iter().collect();
        for source in ["accounts", "farm_plots", "livestock", "insurance_policies", "ecommerce_sales"] {
            assert!(column(&files[source], "household_id").iter().all(|h| known.contains(h)), "{source} joins");
        }
        let treated: Vec<(&str, &str, &str)> =
            manifest.personal_columns.iter().map(|t| (t.source.as_str(), t.column.as_str(), t.treatment)).collect();
        assert!(treated.contains(&("accounts", "account_no", "pseudonym")));
        assert!(treated.contains(&("members", "name", "dropped")));
    });
}
