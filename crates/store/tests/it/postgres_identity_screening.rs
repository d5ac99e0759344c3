//! The identity register and the screening register on PostgreSQL: their conformance suites, the schema's own
//! refusals, the same audit entries as SQLite for the same writes, and the races that matter — two accounts with one
//! username or one skeleton made at once, two loads of the same screening entries at once, and the identity version
//! under concurrent changes. Skipped, saying so, without `AGRIRISK_TEST_POSTGRES_URL` (see [`super::postgres`]).

use std::sync::Arc;

use audit::Entry;
use domain::Timestamp;
use identity::{Role, Username};
use privacy::consent::{DataSource, Purpose};
use store::conformance::audit::read_all;
use store::conformance::identity::{at, check_identity, key_row, session_row, user_row};
use store::{
    ConsentScope, IdentityStore, LoginAttempt, PgStore, ScreeningEntry, ScreeningKind, ScreeningRegister, SqliteStore,
    StoreError, conformance,
};

use super::error_chain;
use super::postgres::cluster;

#[tokio::test]
async fn postgres_passes_the_screening_register_suite() {
    let Some(cluster) = cluster("postgres_passes_the_screening_register_suite") else { return };
    let c = &cluster;
    conformance::check_screening(|| c.fresh()).await;
    cluster.drop_all().await;
}

#[tokio::test]
async fn postgres_passes_the_identity_suite() {
    let Some(cluster) = cluster("postgres_passes_the_identity_suite") else { return };
    let c = &cluster;
    check_identity(|| c.fresh()).await;
    cluster.drop_all().await;
}

fn entry(household: &str, kind: ScreeningKind, on: &str, source: &str) -> ScreeningEntry {
    ScreeningEntry {
        household_id: household.to_owned(),
        kind,
        effective_on: domain::parse_date(on).expect("date"),
        source: source.to_owned(),
        recorded_by: "risk.li".to_owned(),
        recorded_at: "2026-12-01T09:00:00+08:00".to_owned(),
        note: "form 17".to_owned(),
        scope: None,
    }
}

fn attempt(username: &str, at: Timestamp, succeeded: bool) -> LoginAttempt {
    LoginAttempt { username: username.to_owned(), address: "10.0.0.7".to_owned(), at, succeeded }
}

#[tokio::test]
async fn the_schema_keeps_users_keys_attempts_and_screening_from_raw_statements() {
    let Some(cluster) = cluster("the_schema_keeps_users_keys_attempts_and_screening_from_raw_statements") else {
        return;
    };
    let store = cluster.fresh().await;
    let bob = user_row("bob", Role::LoanOfficer);
    store.add_user(&bob).await.expect("add");
    let key = key_row("0123456789ab");
    store.add_key(&key).await.expect("add key");
    store.record_login(&attempt("bob", at(1, 0), false)).await.expect("record");
    let listed = entry("H1", ScreeningKind::Blacklisted, "2026-02-01", "pboc-dishonest-list");
    store.record_screening(std::slice::from_ref(&listed)).await.expect("record");
    let refused = [
        "DELETE FROM users",
        "TRUNCATE users CASCADE",
        "UPDATE users SET username = 'rob'",
        "UPDATE users SET skeleton = 'x'",
        "UPDATE users SET created_at = created_at + interval '1 day'",
        "DELETE FROM api_keys",
        "TRUNCATE api_keys",
        "UPDATE api_keys SET secret_digest = 'cd' || substr(secret_digest, 3)",
        "UPDATE api_keys SET role = 'admin'",
        "UPDATE api_keys SET expires_at = '2099-01-01T00:00:00Z'",
        "DELETE FROM login_attempts",
        "TRUNCATE login_attempts",
        "UPDATE login_attempts SET succeeded = true",
        "UPDATE screening_entries SET note = 'edited'",
        "DELETE FROM screening_entries",
        "TRUNCATE screening_entries",
        "DELETE FROM identity_version",
        "DELETE FROM screening_version",
        // A scope on a list hit, or half a scope, is refused by the table itself.
        "INSERT INTO screening_entries VALUES ('H2', 'blacklisted', '2026-01-01', 'x', 'y', 'z', '', 'transactions',
                                               'credit_assessment')",
        "INSERT INTO screening_entries VALUES ('H2', 'consent', '2026-01-01', 'x', 'y', 'z', '', 'transactions', '')",
    ];
    for sql in refused {
        let err = store.execute_raw(sql).await.expect_err(sql);
        assert!(matches!(err, StoreError::Database(_)), "{sql}: {}", error_chain(&err));
    }
    store.revoke_key(&key.id, at(2, 0)).await.expect("revoke");
    let err = store.execute_raw("UPDATE api_keys SET revoked_at = NULL, revoked_at_offset_s = NULL").await;
    assert!(error_chain(&err.expect_err("a revocation stands")).contains("revoked once"));
    // What may change does: a user is disabled, a key is used.
    store.execute_raw("UPDATE users SET enabled = false").await.expect("users may be disabled");
    store.touch_keys(&[(key.id.clone(), at(3, 0))]).await.expect("touch");
    let stored = store.api_key(&key.id).await.expect("read").expect("exists");
    assert_eq!((stored.secret_digest, stored.role, stored.revoked_at), (key.secret_digest, key.role, Some(at(2, 0))));
    assert_eq!(store.screening_of("H1").await.expect("read"), vec![listed]);
    assert_eq!(store.login_failures("bob", "10.0.0.7", at(0, 0)).await.expect("count").account, 1);
    cluster.drop_all().await;
}

#[tokio::test]
async fn instants_read_back_as_the_text_they_were_written_with() {
    let Some(cluster) = cluster("instants_read_back_as_the_text_they_were_written_with") else { return };
    let store = cluster.fresh().await;
    let t = |text: &str| Timestamp::parse(text).expect("valid");
    let mut user = user_row("bob", Role::LoanOfficer);
    user.created_at = t("2026-12-07T01:00:00Z");
    user.updated_at = t("2026-12-06T20:00:00-05:00");
    store.add_user(&user).await.expect("add");
    let mut key = key_row("0123456789ab");
    key.created_at = t("2026-12-07T06:45:03+05:45");
    key.expires_at = t("2027-12-07T01:00:00Z");
    key.last_used_at = Some(t("2026-12-07T09:30:00+08:00"));
    store.add_key(&key).await.expect("add key");
    store.revoke_key(&key.id, t("2026-12-07T02:00:00Z")).await.expect("revoke");
    let mut session = session_row('a', "bob");
    session.idle_expires_at = t("2026-12-07T01:30:00Z");
    store.create_session(&session).await.expect("session");
    store.end_session(&session.digest, t("2026-12-06T21:00:00-05:00")).await.expect("end");

    let back = store.user(&user.username).await.expect("read").expect("exists");
    assert_eq!(
        [back.created_at.to_string(), back.updated_at.to_string()],
        ["2026-12-07T01:00:00Z", "2026-12-06T20:00:00-05:00"]
    );
    let back = store.api_key(&key.id).await.expect("read").expect("exists");
    let texts = [back.created_at, back.expires_at, back.last_used_at.expect("used"), back.revoked_at.expect("revoked")]
        .map(|t| t.to_string());
    assert_eq!(
        texts,
        ["2026-12-07T06:45:03+05:45", "2027-12-07T01:00:00Z", "2026-12-07T09:30:00+08:00", "2026-12-07T02:00:00Z"]
    );
    let back = store.session(&session.digest).await.expect("read").expect("exists");
    assert_eq!(back.idle_expires_at.to_string(), "2026-12-07T01:30:00Z");
    assert_eq!(back.ended_at.map(|t| t.to_string()).as_deref(), Some("2026-12-06T21:00:00-05:00"));
    // Keys list by instant: 09:00:02+08:00 is 01:00:02Z, before 06:45:03+05:45 (01:00:03Z), though its text sorts
    // after.
    let mut early = key_row("00000000000f");
    early.created_at = t("2026-12-07T09:00:02+08:00");
    store.add_key(&early).await.expect("add");
    let ids: Vec<String> = store.api_keys().await.expect("list").into_iter().map(|k| k.id).collect();
    assert_eq!(ids, ["00000000000f", "0123456789ab"], "by instant, whatever the offset");
    cluster.drop_all().await;
}

/// The same identity and screening writes under the same actor and clock, on either engine.
async fn write_identity_and_screening<S: IdentityStore + ScreeningRegister>(store: &S) {
    let admin = user_row("admin", Role::Admin);
    store.add_first_user(&admin).await.expect("first user");
    let bob = user_row("bob.chen", Role::LoanOfficer);
    store.add_user(&bob).await.expect("add");
    store.set_user_enabled(&bob.username, false, at(1, 0)).await.expect("disable");
    store.set_user_enabled(&bob.username, true, at(2, 0)).await.expect("enable");
    store.set_password(&bob.username, "$argon2id$v=19$new", at(3, 0)).await.expect("password");
    let key = key_row("0123456789ab");
    store.add_key(&key).await.expect("key");
    store.revoke_key(&key.id, at(4, 0)).await.expect("revoke");
    store.revoke_key(&key.id, at(5, 0)).await.expect("revoke again, unaudited");
    store.touch_keys(&[(key.id.clone(), at(6, 0))]).await.expect("use, unaudited");
    let consent = ScreeningEntry {
        scope: Some(ConsentScope { data_source: DataSource::BureauReports, purpose: Purpose::CreditAssessment }),
        ..entry("H1", ScreeningKind::Consent, "2026-01-10", "branch-01")
    };
    let listed = entry("H2", ScreeningKind::Blacklisted, "2026-02-01", "pboc-dishonest-list");
    let general = entry("H1", ScreeningKind::Consent, "2026-01-10", "branch-01");
    assert_eq!(store.record_screening(&[consent.clone(), listed, general]).await.expect("record"), 3);
    assert_eq!(store.record_screening(&[consent]).await.expect("again, unaudited"), 0);
}

#[tokio::test]
async fn the_same_identity_and_screening_writes_make_the_same_audit_entries_on_both_engines() {
    let Some(cluster) = cluster("the_same_identity_and_screening_writes_make_the_same_audit_entries_on_both_engines")
    else {
        return;
    };
    let clock: Arc<dyn domain::Clock + Send + Sync> =
        Arc::new(domain::FixedClock(domain::parse_date("2026-12-07").expect("date")));
    let pg = cluster.fresh().await.acting("os:root", "cli").with_clock(clock.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open").acting("os:root", "cli").with_clock(clock);
    write_identity_and_screening(&pg).await;
    write_identity_and_screening(&sqlite).await;
    let (on_pg, verified): (Vec<Entry>, _) = read_all(&pg, 100).await;
    verified.expect("the PostgreSQL chain verifies");
    let on_sqlite = read_all(&sqlite, 100).await.0;
    let actions: Vec<&str> = on_pg.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.init",
            "user.add",
            "user.disable",
            "user.enable",
            "user.password",
            "key.create",
            "key.revoke",
            "screening.record",
            "screening.record",
            "screening.record"
        ]
    );
    assert_eq!(on_pg, on_sqlite, "entry for entry, digest for digest, hash for hash");
    assert_eq!(pg.identity_version().await.expect("version"), sqlite.identity_version().await.expect("version"));
    cluster.drop_all().await;
}

#[tokio::test]
async fn two_accounts_with_one_username_or_skeleton_made_at_once_make_one() {
    let Some(cluster) = cluster("two_accounts_with_one_username_or_skeleton_made_at_once_make_one") else { return };
    let store = cluster.fresh().await;
    // Each round races a pair: the same name twice, then two names of one skeleton.
    let pairs = [("amy", "amy"), ("modern", "rnodern"), ("bob.chen", "bob-chen"), ("li0", "lio"), ("vvux", "wux")];
    for (a, b) in pairs {
        let (one, other) = (user_row(a, Role::LoanOfficer), user_row(b, Role::Admin));
        let (first, second) = tokio::join!(store.add_user(&one), store.add_user(&other));
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{a} / {b}: {outcomes:?}");
        let refusal = outcomes.iter().find_map(|o| o.as_ref().err()).expect("one refused");
        match refusal {
            StoreError::UserExists(name) => assert_eq!((a, name.as_str()), (b, a), "only the same name is taken"),
            StoreError::UserLooksLike { username, existing } => {
                assert_ne!(a, b);
                assert!([(a, b), (b, a)].contains(&(username.as_str(), existing.as_str())), "{refusal}");
            }
            other => panic!("{a} / {b}: a clash must be named: {other:?}"),
        }
    }
    // Two first administrators at once: one is made, the other told users exist.
    let fresh = cluster.fresh().await;
    let (admin, root) = (user_row("admin", Role::Admin), user_row("root", Role::Admin));
    let (first, second) = tokio::join!(fresh.add_first_user(&admin), fresh.add_first_user(&root));
    let outcomes = [first, second];
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| matches!(o, Err(StoreError::UsersExist))), "{outcomes:?}");
    assert_eq!(fresh.user_count().await.expect("count"), 1);

    assert_eq!(store.user_count().await.expect("count"), u64::try_from(pairs.len()).expect("small"));
    let (entries, verified) = read_all(&store, 10).await;
    verified.expect("one chain");
    assert_eq!(entries.len(), pairs.len(), "only the winners are audited");
    assert_eq!(store.identity_version().await.expect("version"), i64::try_from(pairs.len()).expect("small"));
    cluster.drop_all().await;
}

#[tokio::test]
async fn concurrent_loads_of_the_same_screening_entries_record_each_once() {
    let Some(cluster) = cluster("concurrent_loads_of_the_same_screening_entries_record_each_once") else { return };
    let store = cluster.fresh().await;
    let entries: Vec<ScreeningEntry> = (0..40)
        .map(|i| {
            let kind = if i % 2 == 0 { ScreeningKind::Consent } else { ScreeningKind::Blacklisted };
            entry(&format!("H{:03}", i % 10), kind, &format!("2026-03-{:02}", 1 + i / 2), "feed")
        })
        .collect();
    // Four loaders, each the whole list in a different order, with some entries of their own.
    let mut loads = Vec::new();
    for n in 0..4usize {
        let mut mine = entries.clone();
        mine.rotate_left(n * 7);
        if n % 2 == 1 {
            mine.reverse();
        }
        mine.push(entry("H999", ScreeningKind::FraudCase, "2026-04-01", &format!("team-{n}")));
        loads.push(mine);
    }
    let stores: Vec<PgStore> = (0..4).map(|_| store.clone()).collect();
    let tasks: Vec<_> = stores
        .into_iter()
        .zip(loads)
        .map(|(s, load)| tokio::spawn(async move { s.record_screening(&load).await }))
        .collect();
    let mut new = 0;
    for task in tasks {
        new += task.await.expect("joined").expect("a load");
    }
    assert_eq!(new, entries.len() + 4, "each shared entry counted new by one load only");
    let mut stored = 0;
    for h in 0..10 {
        stored += store.screening_of(&format!("H{h:03}")).await.expect("read").len();
    }
    assert_eq!(stored, entries.len());
    assert_eq!(store.screening_of("H999").await.expect("read").len(), 4);
    let (audited, verified) = read_all(&store, 16).await;
    verified.expect("one chain");
    assert_eq!(audited.len(), entries.len() + 4, "one audit entry per entry recorded");
    assert_eq!(store.screening_version().await.expect("version"), i64::try_from(entries.len() + 4).expect("small"));
    cluster.drop_all().await;
}

#[tokio::test]
async fn the_identity_version_moves_once_per_change_under_concurrent_changes() {
    let Some(cluster) = cluster("the_identity_version_moves_once_per_change_under_concurrent_changes") else { return };
    let store = cluster.fresh().await;
    let before = store.identity_version().await.expect("version");
    let mut tasks = Vec::new();
    for n in 0..8u32 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("user{}", char::from(b'a' + u8::try_from(n).expect("small")));
            s.add_user(&user_row(&name, Role::LoanOfficer)).await.expect("add user");
            s.set_user_enabled(&Username::parse(&name).expect("valid"), false, at(1, n)).await.expect("disable");
            let id = format!("{n:012x}");
            s.add_key(&key_row(&id)).await.expect("add key");
            s.touch_keys(&[(id.clone(), at(2, n))]).await.expect("use, not a change");
            // Two revocations of one key race: one changes it, the other finds it revoked.
            let (a, b) = tokio::join!(s.revoke_key(&id, at(3, n)), s.revoke_key(&id, at(4, n)));
            a.expect("revoke");
            b.expect("revoke");
        }));
    }
    for task in tasks {
        task.await.expect("joined");
    }
    let after = store.identity_version().await.expect("version");
    assert_eq!(after - before, 8 * 4, "add, disable, add key, revoke: four changes each, none lost, use not counted");
    let (entries, verified) = read_all(&store, 16).await;
    verified.expect("one chain");
    assert_eq!(entries.iter().filter(|e| e.entry.action == "key.revoke").count(), 8, "each key revoked once");
    cluster.drop_all().await;
}

#[tokio::test]
async fn the_screening_version_counts_entries_recorded_and_the_whole_register_reads_at_one_version() {
    let Some(cluster) =
        cluster("the_screening_version_counts_entries_recorded_and_the_whole_register_reads_at_one_version")
    else {
        return;
    };
    let store = cluster.fresh().await;
    assert_eq!(store.all_screening().await.expect("read"), (0, Vec::new()));
    let a = entry("H2", ScreeningKind::Blacklisted, "2026-02-01", "pboc-dishonest-list");
    let b = entry("H1", ScreeningKind::ConsentWithdrawn, "2026-05-01", "branch-01");
    let c = entry("H1", ScreeningKind::Consent, "2026-01-10", "branch-01");
    assert_eq!(store.record_screening(&[a.clone(), b.clone()]).await.expect("record"), 2);
    assert_eq!(store.screening_version().await.expect("version"), 2);
    assert_eq!(store.record_screening(&[a.clone(), b.clone()]).await.expect("again"), 0);
    assert_eq!(store.screening_version().await.expect("version"), 2, "a repeat records nothing and moves nothing");
    assert!(store.record_screening(&[]).await.is_ok());
    assert_eq!(store.record_screening(&[c.clone(), a.clone()]).await.expect("record"), 1);
    assert_eq!(store.all_screening().await.expect("read"), (3, vec![c, b, a]), "by household, then by day");
    cluster.drop_all().await;
}

#[tokio::test]
async fn lists_come_back_in_the_same_order_on_both_engines_whatever_the_locale() {
    let Some(cluster) = cluster("lists_come_back_in_the_same_order_on_both_engines_whatever_the_locale") else {
        return;
    };
    // A database whose default collation is language-aware (ICU `en-US`), as a provincial server's may well be; the
    // test cluster's own default is `C`, which would hide the difference.
    let helper = cluster.fresh().await;
    let name = format!("agririsk_it_icu_{}", std::process::id());
    let create =
        format!("CREATE DATABASE {name} LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8' TEMPLATE template0");
    helper.execute_raw(&create).await.expect("an ICU database (PostgreSQL built with ICU)");
    let url = std::env::var("AGRIRISK_TEST_POSTGRES_URL").expect("the cluster");
    let prefix = url.split('?').next().and_then(|u| u.rsplit_once('/')).expect("a database URL").0;
    let pg = PgStore::open(&format!("{prefix}/{name}")).await.expect("open");
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open");
    // Names a language-aware collation would order otherwise than byte by byte (punctuation ignored, case folded).
    let sources = ["a-feed", "Z-feed", "afeed", "a_feed", "a.feed", "Afeed"];
    let entries: Vec<ScreeningEntry> =
        sources.iter().map(|s| entry("H3", ScreeningKind::Blacklisted, "2026-02-01", s)).collect();
    let names = ["amy-x", "amyb", "amy_c", "amy.d", "amy0e", "amya"];
    pg.record_screening(&entries).await.expect("record");
    sqlite.record_screening(&entries).await.expect("record");
    for name in names {
        pg.add_user(&user_row(name, Role::LoanOfficer)).await.expect("add");
        sqlite.add_user(&user_row(name, Role::LoanOfficer)).await.expect("add");
    }
    let on_pg: Vec<String> = pg.screening_of("H3").await.expect("read").into_iter().map(|e| e.source).collect();
    let on_sqlite: Vec<String> = sqlite.screening_of("H3").await.expect("read").into_iter().map(|e| e.source).collect();
    assert_eq!(on_pg, on_sqlite);
    let mut bytewise = sources.map(String::from).to_vec();
    bytewise.sort();
    assert_eq!(on_pg, bytewise, "byte order");
    let users = |rows: Vec<store::UserRow>| rows.into_iter().map(|u| u.username.to_string()).collect::<Vec<_>>();
    let (on_pg, on_sqlite) = (users(pg.users().await.expect("list")), users(sqlite.users().await.expect("list")));
    assert_eq!(on_pg, on_sqlite);
    let mut bytewise = names.map(String::from).to_vec();
    bytewise.sort();
    assert_eq!(on_pg, bytewise, "byte order");
    pg.close().await;
    helper.execute_raw(&format!("DROP DATABASE {name} WITH (FORCE)")).await.expect("drop");
    cluster.drop_all().await;
}

#[tokio::test]
async fn two_batches_of_key_uses_in_opposite_orders_neither_deadlock_nor_go_backwards() {
    let Some(cluster) = cluster("two_batches_of_key_uses_in_opposite_orders_neither_deadlock_nor_go_backwards") else {
        return;
    };
    let store = cluster.fresh().await;
    let ids: Vec<String> = (1..=6u32).map(|n| format!("{n:012x}")).collect();
    for id in &ids {
        store.add_key(&key_row(id)).await.expect("add");
    }
    for round in 0..10u32 {
        // Two replicas flush their batches at once, one in id order and one reversed, one second apart.
        let forwards: Vec<(String, Timestamp)> = ids.iter().map(|id| (id.clone(), at(10 + round, 0))).collect();
        let backwards: Vec<(String, Timestamp)> = ids.iter().rev().map(|id| (id.clone(), at(10 + round, 1))).collect();
        let (a, b) = tokio::join!(store.touch_keys(&forwards), store.touch_keys(&backwards));
        a.expect("forwards");
        b.expect("backwards");
        for id in &ids {
            let used = store.api_key(id).await.expect("read").expect("exists").last_used_at;
            assert_eq!(used, Some(at(10 + round, 1)), "round {round}: the later use stands");
        }
    }
    cluster.drop_all().await;
}
