//! Masking: the examples of the privacy requirements, exactly.

use privacy::{COMPOUND_SURNAMES, FieldKind, Secret, mask, mask_bank_card, mask_name, mask_national_id, mask_phone};

use crate::NATIONAL_ID;

#[test]
fn examples_from_the_requirements() {
    assert_eq!(mask_national_id(NATIONAL_ID), "110101********123X");
    assert_eq!(mask_national_id("11010119900107123x"), "110101********123X");
    assert_eq!(mask_phone("18000001999"), "180****1999");
    assert_eq!(mask_phone("+86 180-0000-1999"), "180****1999");
    assert_eq!(mask_name("段正淳"), "段**");
    assert_eq!(mask_name("段誉"), "段**");
    assert_eq!(mask_bank_card("6222021234567893256"), "6222 **** **** **** 3256");
    assert_eq!(mask_bank_card("6222 0212 3456 3256"), "6222 **** **** **** 3256");
}

#[test]
fn compound_surnames_are_kept_whole() {
    assert_eq!(mask_name("欧阳修"), "欧阳**");
    assert_eq!(mask_name("诸葛亮"), "诸葛**");
    assert_eq!(mask_name("司马相如"), "司马**");
    assert_eq!(mask_name(" 令狐冲 "), "令狐**");
    for surname in COMPOUND_SURNAMES {
        assert_eq!(mask_name(&format!("{surname}明")), format!("{surname}**"));
    }
    // 欧 alone is a surname too.
    assert_eq!(mask_name("欧明"), "欧**");
}

#[test]
fn invalid_ids_are_masked_anyway() {
    // Check digit should be X.
    assert_eq!(mask_national_id("110101199001071230"), "110101********1230");
    assert_eq!(mask(FieldKind::NationalId, "abc"), "***");
}

#[test]
fn secrets_print_masked() {
    let card = Secret::new(FieldKind::BankCard, "6222021234567893256".to_owned());
    assert_eq!(card.to_string(), "6222 **** **** **** 3256");
    assert_eq!(format!("{card:?}"), "Secret(bank_card: 6222 **** **** **** 3256)");
    assert_eq!(card.expose(), "6222021234567893256");
    let name = Secret::new(FieldKind::Name, "欧阳修".to_owned());
    assert_eq!(format!("[{name:>6}]"), "[  欧阳**]");
}
