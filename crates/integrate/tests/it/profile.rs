//! The borrower profile: found by id, national ID or phone alike; nothing personal in clear; only what was known on
//! the date; the feature engine's own values.

use domain::Date;
use integrate::history::{Scope, load_borrowers, load_context};
use integrate::profile::{Profile, Query, profile};
use privacy::FieldKind;
use store::Versions;

use crate::fixtures::{cipher, loaded_store, sim};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn date(text: &str) -> Date {
    domain::parse_date(text).expect("date")
}

/// A household in a group with a loan, and that loan's start date.
fn subject() -> (String, String, Date) {
    let t = &sim().tables;
    let loan = t
        .loans
        .iter()
        .find(|l| {
            t.households.iter().any(|h| h.household_id == l.household_id && !h.group_id.is_empty())
                && t.members.iter().any(|m| m.household_id == l.household_id && !m.phone.is_empty())
        })
        .expect("a grouped household with a loan and a phone");
    (loan.household_id.clone(), loan.loan_id.clone(), date(&loan.start_date))
}

async fn profile_of(store: &store::SqliteStore, text: &str, as_of: Date) -> Profile {
    let query = Query::parse(text).expect("query parses");
    profile(store, &cipher(), &query, as_of).await.expect("profile")
}

#[test]
fn a_household_is_found_by_id_national_id_phone_and_blind_index_alike() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let (household, _, start) = subject();
        let as_of = start + chrono::Duration::days(90);
        let head = sim().tables.members.iter().find(|m| m.household_id == household && m.member_no == 1).expect("head");
        let by_id = profile_of(&store, &household, as_of).await;
        let by_national_id = profile_of(&store, &head.national_id.to_lowercase(), as_of).await;
        let by_phone = profile_of(&store, &format!("+86 {}", head.phone), as_of).await;
        let index = cipher().blind_index(FieldKind::NationalId, &head.national_id);
        let by_index = profile_of(&store, index.as_str(), as_of).await;
        assert_eq!(by_id.household.household_id, household);
        assert_eq!(by_id, by_national_id);
        assert_eq!(by_id, by_phone);
        assert_eq!(by_id, by_index);
        assert_eq!(by_id.members.len(), sim().tables.members.iter().filter(|m| m.household_id == household).count());
        assert!(by_id.alerts.items.is_empty() && !by_id.alerts.note.is_empty());

        // An unknown national ID is refused without echoing it.
        let unknown = "990101199001011234";
        let err =
            profile(&store, &cipher(), &Query::parse(unknown).expect("parses"), as_of).await.expect_err("unknown");
        assert!(err.is_input_error());
        assert!(!err.to_string().contains(unknown), "{err}");
        assert!(err.to_string().contains("990101********1234"), "{err}");
        assert!(Query::parse("somebody").is_err());
    });
}

#[test]
fn a_profile_holds_no_plaintext_name_id_or_phone() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let (household, _, start) = subject();
        let p = profile_of(&store, &household, start + chrono::Duration::days(30)).await;
        let json = serde_json::to_string(&p).expect("json");
        let members: Vec<_> = sim().tables.members.iter().filter(|m| m.household_id == household).collect();
        for m in &members {
            assert!(!json.contains(&m.national_id), "a national ID in clear");
            assert!(!json.contains(&m.name), "a name in clear");
            if !m.phone.is_empty() {
                assert!(!json.contains(&m.phone), "a phone in clear");
            }
        }
        let head = members.iter().find(|m| m.member_no == 1).expect("head");
        let shown = &p.members[0];
        assert_eq!(shown.national_id, privacy::mask_national_id(&head.national_id));
        assert_eq!(shown.phone.as_deref(), Some(privacy::mask_phone(&head.phone).as_str()));
        assert_eq!(shown.name, privacy::mask_name(&head.name));
        assert!(shown.national_id.contains("********"));
    });
}

#[test]
fn a_date_before_a_loan_starts_hides_the_loan_and_its_rows() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let (household, loan, start) = subject();
        let before = profile_of(&store, &household, start - chrono::Duration::days(1)).await;
        assert!(before.loans.iter().all(|l| l.loan_id != loan), "a loan starting after D is hidden");
        assert!(before.loans.iter().all(|l| l.start_date < start));
        let later = start + chrono::Duration::days(200);
        let after = profile_of(&store, &household, later).await;
        let shown = after.loans.iter().find(|l| l.loan_id == loan).expect("the loan once started");
        let rows_known =
            sim().tables.repayments.iter().filter(|r| *r.loan_id == *loan && r.date <= later).collect::<Vec<_>>();
        assert_eq!(shown.rows, rows_known.len(), "repayment rows after D are not counted");
        let paid: domain::Money = rows_known.iter().map(|r| r.amount_paid).sum();
        assert_eq!(shown.paid, paid);
        assert!(after.transactions_12m.by_counterparty.iter().all(|f| f.count > 0));
    });
}

#[test]
fn profile_features_equal_the_batch_for_that_household() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let (household, _, start) = subject();
        for as_of in [start - chrono::Duration::days(1), start + chrono::Duration::days(250)] {
            let p = profile_of(&store, &household, as_of).await;
            let text = as_of.to_string();
            let versions = Versions::AsOf(&text);
            let context = load_context(&store, versions).await.expect("context");
            let borrowers = load_borrowers(&store, Scope::All, versions).await.expect("borrowers");
            let table = features::build(as_of, &context, &borrowers);
            let row = table.rows.iter().find(|r| r.household_id == household).expect("batch row");
            assert_eq!(p.features.len(), features::CATALOGUE.len());
            for (shown, def) in p.features.iter().zip(features::CATALOGUE) {
                assert_eq!(shown.name, def.name);
                assert_eq!(shown.value, row.get(def.feature), "{} as of {as_of}", def.name);
            }
            // Group peers are the group's other households, with the engine's states.
            let group = p.household.group_id.clone().expect("a grouped household");
            let expected: Vec<&str> = borrowers
                .iter()
                .filter(|b| b.household.group_id.as_deref() == Some(&group) && b.household.household_id != household)
                .map(|b| b.household.household_id.as_str())
                .collect();
            let shown: Vec<&str> = p.group_peers.iter().map(|g| g.household_id.as_str()).collect();
            assert_eq!(shown, expected);
        }
    });
}

#[test]
fn external_sources_show_only_as_known_on_the_date() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        crate::fixtures::load_external(&store, dir.path()).await;
        let p = profile_of(&store, "H0000001", date("2025-07-15")).await;
        // The June season has been harvested; the October one has not.
        let months: Vec<&str> = p.farm.plots.iter().map(|plot| plot.harvest_month.as_str()).collect();
        assert!(months.contains(&"2025-06") && !months.contains(&"2025-10"), "{months:?}");
        // The June count is the latest whose month has ended.
        let hogs = p.farm.livestock.iter().find(|l| l.species == "hog").expect("hog count");
        assert_eq!(hogs.month, "2025-06");
        // Policies started by the date, in force or not.
        assert!(p.insurance.policies.iter().all(|policy| policy.start_date <= date("2025-07-15")));
        assert!(p.insurance.policies.iter().any(|policy| policy.in_force));
        assert!(p.insurance.policies.iter().any(|policy| !policy.in_force));
    });
}
