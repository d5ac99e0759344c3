//! Erasure on SQLite: the conformance suite, the record tables' trigger that lets through nothing but personal
//! columns set to NULL (also on a database made before erasure existed), the append-only `erasures` table, and the
//! old tokens gone from the database and WAL files' bytes.

use store::conformance::erasure::{
    accounts_table, all_members, check_erasures, erasure, load_members, member, members_table, token,
};
use store::conformance::{file_sha, load_rows};
use store::{Erased, ErasureRegister, SqliteStore};

use super::{error_chain, fresh};

#[tokio::test]
async fn sqlite_passes_the_erasure_register_suite() {
    check_erasures(fresh).await;
}

#[tokio::test]
async fn a_raw_update_of_a_record_table_may_only_set_personal_columns_to_null() {
    let store = fresh().await;
    load_members(&store).await;
    for sql in [
        "UPDATE rec_members SET birth_year = 1900 WHERE household_id = 'H1'",
        "UPDATE rec_members SET household_id = 'H7' WHERE household_id = 'H1'",
        "UPDATE rec_members SET _hash = 'forged' WHERE household_id = 'H1'",
        "UPDATE rec_members SET name = 'v1:k1:name:other' WHERE household_id = 'H1'",
        "UPDATE rec_members SET name = NULL, birth_year = 1900 WHERE household_id = 'H1'",
        "DELETE FROM rec_members WHERE household_id = 'H1'",
    ] {
        let err = store.execute_raw(sql).await.expect_err(sql);
        assert!(error_chain(&err).contains("rec_members is append-only"), "{sql}: {}", error_chain(&err));
    }
    let cleared = store.execute_raw("UPDATE rec_members SET phone = NULL, phone_bidx = NULL WHERE household_id = 'H2'");
    assert_eq!(cleared.await.expect("personal columns to NULL pass"), 1);
}

#[tokio::test]
async fn erasures_are_append_only() {
    let store = fresh().await;
    load_members(&store).await;
    store.erase(&erasure("H1", "asked"), &[members_table()]).await.expect("erase");
    assert!(store.execute_raw("UPDATE erasures SET reason = 'other'").await.is_err());
    assert!(store.execute_raw("DELETE FROM erasures").await.is_err());
}

/// A database whose record tables were made before columns were marked personal has the trigger refusing every
/// update; the erasure renews it from the table it is given, and the table is still accepted on the next load.
#[tokio::test]
async fn a_table_made_before_erasure_existed_is_erased_under_a_renewed_trigger() {
    let store = fresh().await;
    let mut unmarked = members_table();
    for column in &mut unmarked.columns {
        column.personal = false;
    }
    store.ensure_record_table(&unmarked).await.expect("old table");
    load_members(&store).await;
    assert!(store.execute_raw("UPDATE rec_members SET name = NULL").await.is_err(), "the old trigger refuses all");
    let erased = store.erase(&erasure("H1", "asked"), &[members_table()]).await.expect("erase");
    assert!(matches!(erased, Erased::Done(ref r) if r.rows.get("members") == Some(&2)), "{erased:?}");
    assert!(store.execute_raw("UPDATE rec_members SET birth_year = 1 WHERE household_id = 'H2'").await.is_err());
    store.ensure_record_table(&members_table()).await.expect("the marked table matches the unmarked one");
}

/// After an erasure, the household's old tokens are in neither the database file nor its WAL; another
/// household's are.
#[tokio::test]
async fn erased_tokens_are_gone_from_the_files_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    load_members(&store).await;
    store.erase(&erasure("H1", "asked"), &[members_table(), accounts_table()]).await.expect("erase");
    assert_eq!(all_members(&store).await.len(), 3);
    let files = || {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            let path = format!("{}{suffix}", store.path().display());
            bytes.extend(std::fs::read(&path).unwrap_or_default());
        }
        bytes
    };
    let found = |needle: &str| files().windows(needle.len()).any(|w| w == needle.as_bytes());
    for member in [1, 2] {
        for field in ["name", "phone"] {
            let old = token("H1", member, field);
            assert!(!found(&old), "{old} is still in the files");
        }
        assert!(!found(&format!("BIDX-H1-{member}")), "a blind index of H1 is still in the files");
    }
    assert!(found(&token("H2", 1, "name")), "the check can see a token that is there");
}

/// Blind indexes arrive in the key's order, random to the index: pages split in the middle and keep stale copies of
/// values in their unused bytes. A household whose blind index has such a copy before the erasure has none after.
#[tokio::test]
async fn stale_copies_left_by_page_splits_are_gone_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut rows = Vec::new();
    let mut bidx = Vec::new();
    for h in 0..4_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let household = format!("H{h:05}");
        let mut record = member(&household, 1);
        let value = format!("BIDX-{state:016x}");
        record.cells[5] = store::Cell::Text(value.clone());
        bidx.push((household, value));
        rows.push((record, 1, None));
    }
    load_rows(&store, &members_table(), &file_sha(42), "2026-06-30", rows, Vec::new()).await;
    store.execute_raw("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
    let copies = |needle: &str| {
        let bytes = std::fs::read(store.path()).expect("database file");
        let wal = std::fs::read(format!("{}-wal", store.path().display())).unwrap_or_default();
        let count = |b: &[u8]| b.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count();
        count(&bytes) + count(&wal)
    };
    // The row and its index entry are two copies; a third is a stale one.
    let stale: Vec<&(String, String)> = bidx.iter().filter(|(_, v)| copies(v) > 2).take(3).collect();
    assert!(!stale.is_empty(), "the load leaves stale copies for the check to find");
    for (household, value) in stale {
        store.erase(&erasure(household, "asked"), &[members_table()]).await.expect("erase");
        assert_eq!(copies(value), 0, "{household}'s blind index {value} is still in the files");
    }
    assert_eq!(copies(&bidx[0].1).max(copies(&bidx[1].1)), 2, "other households' values are where they were");
}
