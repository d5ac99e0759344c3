//! Blind indexes and pseudonyms: stable, normalised, keyed and separated by kind and scope.

use privacy::FieldKind;

use crate::{INDEX, K1, K2, NATIONAL_ID, k1_only, keyring};

#[test]
fn blind_indexes_are_keyed_hashes_of_the_normalised_value() {
    let ring = keyring(&k1_only());
    let index = ring.blind_index(FieldKind::Phone, "18000001999");
    assert_eq!(index.as_str().len(), 64);
    assert!(index.as_str().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(ring.blind_index(FieldKind::Phone, "+86 180 0000 1999"), index);
    assert_ne!(ring.blind_index(FieldKind::Phone, "18000001998"), index);
    // The same text as another kind hashes differently.
    assert_ne!(ring.blind_index(FieldKind::BankCard, "18000001999"), index);
    assert_eq!(ring.blind_index(FieldKind::Name, " 段正淳 "), ring.blind_index(FieldKind::Name, "段正淳"));
}

#[test]
fn blind_indexes_follow_the_index_key_not_the_encryption_keys() {
    let a = keyring(&k1_only());
    let b = keyring(&format!("index:{INDEX}\nk2:{K2}"));
    let other_index = keyring(&format!("index:{K2}\nk1:{K1}"));
    assert_eq!(a.blind_index(FieldKind::NationalId, NATIONAL_ID), b.blind_index(FieldKind::NationalId, NATIONAL_ID));
    assert_ne!(
        a.blind_index(FieldKind::NationalId, NATIONAL_ID),
        other_index.blind_index(FieldKind::NationalId, NATIONAL_ID)
    );
}

#[test]
fn pseudonyms_are_stable_distinct_and_scoped() {
    let ring = keyring(&k1_only());
    let p = ring.pseudonym("training-2026q1", FieldKind::NationalId, NATIONAL_ID);
    assert_eq!(p.as_str().len(), 18);
    assert!(p.as_str().starts_with("P-"));
    assert_eq!(ring.pseudonym("training-2026q1", FieldKind::NationalId, &NATIONAL_ID.to_lowercase()), p);
    assert_eq!(
        keyring(&format!("index:{INDEX}\nk2:{K2}")).pseudonym("training-2026q1", FieldKind::NationalId, NATIONAL_ID),
        p
    );
    assert_ne!(ring.pseudonym("training-2026q2", FieldKind::NationalId, NATIONAL_ID), p);
    // Not a prefix of the stored blind index, so an export cannot be joined back to the database without the key.
    let index = ring.blind_index(FieldKind::NationalId, NATIONAL_ID);
    assert!(!index.as_str().starts_with(&p.as_str()[2..]));
    // Distinct for distinct people.
    let ids: std::collections::HashSet<_> =
        (0..10_000).map(|n| ring.pseudonym("t", FieldKind::Phone, &format!("180{n:08}"))).collect();
    assert_eq!(ids.len(), 10_000);
}
