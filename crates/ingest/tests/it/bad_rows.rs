//! Each kind of bad row lands in quarantine with its reason and line, while every good row of the same file passes;
//! quarantine records never show a whole national ID or phone number.

use ingest::{Outcome, Reason, contracts};

use crate::{csv_of, keys_through_households, outcomes, quarantined, sim};

/// The file's lines (header first) as strings.
fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec()).expect("utf-8").lines().map(str::to_owned).collect()
}

/// Replaces field `index` of an unquoted CSV line.
fn set_field(line: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[index] = value;
    fields.join(",")
}

fn join(lines: &[String]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

#[test]
fn each_kind_of_bad_household_row_is_quarantined_and_good_rows_pass() {
    let mut l = lines(&csv_of(&sim().tables.households));
    let total_rows = l.len() - 1;
    assert!(total_rows > 12, "tiny preset has enough households");
    l[2] = set_field(&l[2], 2, "abc"); // size: wrong type
    l[3] = set_field(&l[3], 5, "90"); // head_age: out of range 20–75
    l[4] = set_field(&l[4], 6, "X"); // head_gender: unknown code
    l[5] = set_field(&l[5], 1, "990199999999"); // village_code: dangling reference
    l[6] = l[6].split(',').take(5).collect::<Vec<_>>().join(","); // truncated line
    let changed = set_field(&l[10], 21, "123.45"); // same key, different deposits
    let exact = l[11].clone();
    l.push(changed);
    l.push(exact);
    let outs = outcomes(&contracts::HOUSEHOLDS, &join(&l), &keys_through_households());
    let got: Vec<(u64, Option<&str>, Reason)> =
        quarantined(&outs).iter().map(|q| (q.line, q.field, q.reason)).collect();
    let n = l.len() as u64;
    assert_eq!(
        got,
        vec![
            (3, Some("size"), Reason::WrongType),
            (4, Some("head_age"), Reason::OutOfRange),
            (5, Some("head_gender"), Reason::UnknownCode),
            (6, Some("village_code"), Reason::DanglingReference),
            (7, None, Reason::FieldCount),
            (n - 1, Some("household_id"), Reason::DuplicateKey),
        ]
    );
    let duplicates: Vec<_> = outs.iter().filter(|o| matches!(o, Outcome::Duplicate { .. })).collect();
    assert_eq!(duplicates, vec![&Outcome::Duplicate { line: n, first_line: 12 }]);
    let valid = outs.iter().filter(|o| matches!(o, Outcome::Valid(_))).count();
    assert_eq!(valid, total_rows - 5, "every untouched row passes");
}

#[test]
fn load_summary_counts_per_reason() {
    let mut l = lines(&csv_of(&sim().tables.households));
    l[2] = set_field(&l[2], 2, "abc");
    l[3] = set_field(&l[3], 2, "x");
    l[4] = set_field(&l[4], 5, "19");
    let exact = l[5].clone();
    l.push(exact);
    let bytes = join(&l);
    let keys = keys_through_households();
    let (_, summary) =
        ingest::validate(&contracts::HOUSEHOLDS, "households.csv", &bytes, None, &keys).expect("header").finish();
    assert_eq!(summary.read, (l.len() - 1) as u64);
    assert_eq!(summary.quarantined, 3);
    assert_eq!(summary.duplicates, 1);
    assert_eq!(summary.by_reason.get(&Reason::WrongType), Some(&2));
    assert_eq!(summary.by_reason.get(&Reason::OutOfRange), Some(&1));
    assert!(summary.is_consistent());
}

#[test]
fn bad_national_id_check_digit_and_bad_phone_are_quarantined_masked() {
    let members = &sim().tables.members;
    let mut l = lines(&csv_of(members));
    let head = (1..l.len()).find(|&i| l[i].split(',').nth(7).is_some_and(|p| !p.is_empty())).expect("a head");
    let other = (1..l.len()).find(|&i| i != head).expect("another member");
    let id = l[other].split(',').nth(6).expect("national_id").to_owned();
    let last = id.chars().last().expect("18 chars");
    let wrong = if last == '0' { '1' } else { '0' };
    let bad_id = format!("{}{wrong}", &id[..17]);
    l[other] = set_field(&l[other], 6, &bad_id);
    let phone = l[head].split(',').nth(7).expect("phone").to_owned();
    l[head] = set_field(&l[head], 7, &format!("2{}", &phone[1..]));
    let outs = outcomes(&contracts::MEMBERS, &join(&l), &keys_through_households());
    let q = quarantined(&outs);
    assert_eq!(q.len(), 2, "{q:#?}");
    let id_row = q.iter().find(|q| q.field == Some("national_id")).expect("id quarantined");
    assert_eq!(id_row.reason, Reason::BadCheckDigit);
    assert_eq!(id_row.line, other as u64 + 1);
    assert_eq!(id_row.value, format!("{}********{}", &bad_id[..6], &bad_id[14..]));
    let phone_row = q.iter().find(|q| q.field == Some("phone")).expect("phone quarantined");
    assert_eq!(phone_row.reason, Reason::WrongType);
    assert_eq!(phone_row.value, format!("2{}****{}", &phone[1..3], &phone[7..]));
    // No whole identifier of any member, nor the corrupted ones, appears anywhere in a quarantine record.
    let mut secrets: Vec<String> = members.iter().map(|m| m.national_id.clone()).collect();
    secrets.extend(members.iter().filter(|m| !m.phone.is_empty()).map(|m| m.phone.clone()));
    secrets.push(bad_id);
    secrets.push(format!("2{}", &phone[1..]));
    for record in q {
        let shown = format!("{record} {record:?}");
        assert!(!secrets.iter().any(|s| shown.contains(s.as_str())), "leaks an identifier: {shown}");
    }
    assert_eq!(outs.len(), l.len() - 1);
}

#[test]
fn valid_rows_carry_typed_values() {
    let outs = outcomes(&contracts::HOUSEHOLDS, &csv_of(&sim().tables.households), &keys_through_households());
    let Some(Outcome::Valid(row)) = outs.first() else { panic!("first household passes") };
    let first = &sim().tables.households[0];
    assert_eq!(row.get("household_id"), Some(&ingest::Value::Id(first.household_id.clone())));
    assert!(matches!(row.get("deposits"), Some(ingest::Value::Amount(m)) if m.is_positive()));
    assert!(matches!(row.get("crops"), Some(ingest::Value::Codes(c)) if !c.is_empty()));
}

/// A repeated CSV row is compared field by field as read, not by its bytes on the line: quoting a field does not
/// make another row, a different trailing (unknown) column does; and the first row is found again however far
/// back it is.
#[test]
fn a_repeated_row_is_the_same_row_by_its_fields_trailing_columns_included() {
    let mut l = lines(&csv_of(&sim().tables.households));
    l[0].push_str(",note");
    for line in &mut l[1..] {
        line.push_str(",x");
    }
    let first = l[1].clone();
    let mut quoted: Vec<String> = first.split(',').map(str::to_owned).collect();
    quoted[0] = format!("\"{}\"", quoted[0]);
    l.push(quoted.join(","));
    l.push(format!("{},y", first.strip_suffix(",x").expect("the trailing column")));
    let outs = outcomes(&contracts::HOUSEHOLDS, &join(&l), &keys_through_households());
    let n = l.len() as u64;
    let duplicates: Vec<_> = outs.iter().filter(|o| matches!(o, Outcome::Duplicate { .. })).collect();
    assert_eq!(duplicates, vec![&Outcome::Duplicate { line: n - 1, first_line: 2 }]);
    let got: Vec<(u64, Reason)> = quarantined(&outs).iter().map(|q| (q.line, q.reason)).collect();
    assert_eq!(got, vec![(n, Reason::DuplicateKey)]);
}
