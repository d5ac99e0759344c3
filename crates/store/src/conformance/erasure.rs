//! What every backend of [`ErasureRegister`] must do: an erasure sets the household's personal columns to NULL and
//! nothing else, touches no other household, is recorded once with its rows per source, is a no-op when nothing
//! personal is left, and writes nothing when it is refused.

use std::future::Future;

use integrate::register::{Filter, Versions};

use super::load_rows;
use crate::erasure::{Erased, Erasure, ErasureRegister};
use crate::{Cell, CellType, NewRecord, RecordColumn, RecordStore, RecordTable, StoreError};

fn column(name: &str, ty: CellType, personal: bool) -> RecordColumn {
    RecordColumn { name: name.to_string(), ty, indexed: name == "household_id" || name.ends_with("_bidx"), personal }
}

/// A `members` table: household, member number, birth year in clear; name, phone and the phone's blind index
/// personal.
pub fn members_table() -> RecordTable {
    RecordTable {
        source: "members".to_string(),
        columns: vec![
            column("household_id", CellType::Text, false),
            column("member_no", CellType::Integer, false),
            column("birth_year", CellType::Integer, false),
            column("name", CellType::Text, true),
            column("phone", CellType::Text, true),
            column("phone_bidx", CellType::Text, true),
        ],
    }
}

/// An `accounts` table with a personal account number, for a source that may never have been loaded.
pub fn accounts_table() -> RecordTable {
    RecordTable {
        source: "accounts".to_string(),
        columns: vec![column("household_id", CellType::Text, false), column("account_no", CellType::Text, true)],
    }
}

/// The token a member's `field` is stored as in these checks: distinctive bytes a test can look for in files.
pub fn token(household: &str, member: i64, field: &str) -> String {
    format!("v1:k1:{field}:TOKEN-{household}-{member}-{field}")
}

/// Member `member` of `household`, with a name, a phone and the phone's blind index.
pub fn member(household: &str, member: i64) -> NewRecord {
    NewRecord {
        key: format!("{household}|{member}"),
        hash: format!("{household}/{member}"),
        cells: vec![
            Cell::Text(household.to_string()),
            Cell::Int(member),
            Cell::Int(1970 + member),
            Cell::Text(token(household, member, "name")),
            Cell::Text(token(household, member, "phone")),
            Cell::Text(format!("BIDX-{household}-{member}")),
        ],
    }
}

/// Loads members 1 and 2 of H1 and member 1 of H2.
pub async fn load_members<S: RecordStore>(store: &S) {
    let rows = vec![(member("H1", 1), 1, None), (member("H1", 2), 1, None), (member("H2", 1), 1, None)];
    load_rows(store, &members_table(), &super::file_sha(41), "2026-06-30", rows, Vec::new()).await;
}

/// Every member row's cells, in load order.
pub async fn all_members<S: RecordStore>(store: &S) -> Vec<Vec<Cell>> {
    let table = members_table();
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    store.scan_records(&table, &names, Filter::All, Versions::Current, None).await.expect("scan")
}

/// An erasure of `household` judged on 2040-01-01 for `reason`.
pub fn erasure(household: &str, reason: &str) -> Erasure {
    Erasure {
        household_id: household.to_string(),
        as_of: domain::parse_date("2040-01-01").expect("date"),
        rule: "aml_identity".to_string(),
        reason: reason.to_string(),
        override_hold: None,
        seen: crate::LoanFacts::default(),
    }
}

/// Runs every erasure check, each on a fresh store from `fresh`.
pub async fn check_erasures<S, F, Fut>(fresh: F)
where
    S: RecordStore + ErasureRegister + crate::LoanStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    an_erasure_judged_on_loans_that_moved_since_is_refused(fresh().await).await;
    an_erasure_clears_the_households_personal_columns_only(fresh().await).await;
    erasing_what_is_gone_writes_nothing(fresh().await).await;
    a_refused_erasure_changes_nothing(fresh().await).await;
}

/// A loan booked for the household or an event posted on one between the judgement's read
/// ([`ErasureRegister::loan_facts`]) and the erasure refuses it, writing nothing; judged again, it goes through.
pub async fn an_erasure_judged_on_loans_that_moved_since_is_refused<S>(store: S)
where
    S: RecordStore + ErasureRegister + crate::LoanStore,
{
    load_members(&store).await;
    let before = all_members(&store).await;
    let mut loan = crate::conformance::sample_loan("L-erase-1");
    loan.borrower = domain::BorrowerId::parse("H1").expect("id");
    let seen = store.loan_facts("H1").await.expect("facts");
    assert_eq!(seen, crate::LoanFacts::default(), "nothing booked yet");
    store.create_loan(&loan, &[]).await.expect("book a loan meanwhile");
    let mut stale = erasure("H1", "judged before the loan was booked");
    stale.seen = seen;
    let refused = store.erase(&stale, &[members_table()]).await;
    assert!(matches!(refused, Err(StoreError::HouseholdChanged(ref h)) if h == "H1"), "{refused:?}");
    assert_eq!(all_members(&store).await, before, "nothing cleared");
    assert!(store.erasures().await.expect("read").is_empty(), "nothing recorded");
    let now = store.loan_facts("H1").await.expect("facts");
    assert_eq!((now.booked_loans, now.ingested_loans), (1, 0), "the loan booked is counted");
    assert_eq!(store.loan_facts("H2").await.expect("facts"), crate::LoanFacts::default(), "per household");
    stale.seen = now;
    assert!(matches!(store.erase(&stale, &[members_table()]).await, Ok(Erased::Done(_))), "judged again, it goes");
}

/// The household's name, phone and blind index become NULL; its other columns, and every column of another
/// household, are as loaded; the erasure is recorded with its rows per source (a source never loaded is skipped).
pub async fn an_erasure_clears_the_households_personal_columns_only<S: RecordStore + ErasureRegister>(store: S) {
    load_members(&store).await;
    let before = all_members(&store).await;
    let mut request = erasure("H1", "the borrower asked (PIPL art. 47)");
    request.override_hold = Some("court order 2039-17".to_string());
    let erased = store.erase(&request, &[members_table(), accounts_table()]).await.expect("erase");
    let Erased::Done(record) = erased else { panic!("an erasure of stored personal data is done: {erased:?}") };
    assert_eq!(record.household_id, "H1");
    assert_eq!(record.rows.into_iter().collect::<Vec<_>>(), [("members".to_string(), 2)], "two rows, one source");
    assert_eq!(record.reason, request.reason);
    assert_eq!(record.override_hold, request.override_hold);
    assert_eq!((record.as_of, record.rule.as_str()), (request.as_of, "aml_identity"));
    assert!(!record.actor.is_empty() && !record.erased_at.is_empty(), "who and when are recorded");
    let after = all_members(&store).await;
    assert_eq!(after.len(), before.len(), "no row is removed");
    for (old, new) in before.iter().zip(&after) {
        if old[0] == Cell::Text("H1".into()) {
            assert_eq!(&new[..3], &old[..3], "the household's other columns are kept");
            assert_eq!(&new[3..], &[Cell::Null, Cell::Null, Cell::Null], "its personal columns are cleared");
        } else {
            assert_eq!(new, old, "another household is untouched");
        }
    }
    let stored = store.erasures_of("H1").await.expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].rows.get("members"), Some(&2));
    assert_eq!(store.erasures().await.expect("read"), stored);
    assert!(store.erasures_of("H2").await.expect("read").is_empty());
}

/// A second erasure of the same household, and one of a household never on file, write nothing.
pub async fn erasing_what_is_gone_writes_nothing<S: RecordStore + ErasureRegister>(store: S) {
    load_members(&store).await;
    let first = store.erase(&erasure("H1", "asked"), &[members_table()]).await.expect("first");
    let Erased::Done(done) = first else { panic!("first erasure done: {first:?}") };
    let again = store.erase(&erasure("H1", "asked again"), &[members_table()]).await.expect("again");
    assert_eq!(again, Erased::NothingLeft(Some(done)), "the earlier erasure is named");
    let unknown = store.erase(&erasure("H9", "asked"), &[members_table()]).await.expect("unknown");
    assert_eq!(unknown, Erased::NothingLeft(None));
    assert_eq!(store.erasures().await.expect("read").len(), 1, "only the first is recorded");
}

/// A blank reason, or a table with personal columns but no household, refuses the erasure: nothing is cleared
/// (not even the tables listed before the bad one) and nothing recorded.
pub async fn a_refused_erasure_changes_nothing<S: RecordStore + ErasureRegister>(store: S) {
    load_members(&store).await;
    let before = all_members(&store).await;
    let blank = store.erase(&erasure("H1", "  "), &[members_table()]).await;
    assert!(matches!(blank, Err(StoreError::InvalidErasure { field: "reason", .. })), "{blank:?}");
    let headless = RecordTable { source: "cards".to_string(), columns: vec![column("card_no", CellType::Text, true)] };
    let refused = store.erase(&erasure("H1", "asked"), &[members_table(), headless]).await;
    assert!(matches!(refused, Err(StoreError::InvalidErasure { field: "table", .. })), "{refused:?}");
    assert_eq!(all_members(&store).await, before, "nothing cleared");
    assert!(store.erasures().await.expect("read").is_empty(), "nothing recorded");
}
