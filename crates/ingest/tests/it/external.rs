//! The external sources (§4 of the contract): each sample file in `tests/data/` validates clean against the
//! simulator's households; card numbers are Luhn-checked and never appear whole in a quarantine record; and every
//! contract's columns are documented in `docs/data-contracts.md`.

use ingest::{Outcome, Reason, contracts, validate};

use crate::{keys_through_households, quarantined, sample};

#[test]
fn external_sample_files_validate_clean() {
    let keys = keys_through_households();
    for contract in contracts::EXTERNAL {
        let file = format!("{}.csv", contract.name);
        let bytes = sample(&file);
        let (q, summary) = validate(contract, &file, &bytes, None, &keys).expect("header matches").finish();
        assert!(q.is_empty(), "{file}: {:#?}", q.iter().map(ToString::to_string).collect::<Vec<_>>());
        let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
        assert!(rows >= 4, "{file}: a sample worth the name");
        assert_eq!((summary.valid, summary.read), (rows, rows), "{file}");
    }
}

#[test]
fn external_samples_refer_to_known_households_only() {
    let mut keys = ingest::KnownKeys::new();
    keys.insert("households", &["H0000002"]);
    let bytes = sample("accounts.csv");
    let (q, _) = validate(&contracts::ACCOUNTS, "accounts.csv", &bytes, None, &keys).expect("header").finish();
    assert!(!q.is_empty());
    assert!(q.iter().all(|q| q.reason == Reason::DanglingReference && q.field == Some("household_id")));
}

#[test]
fn card_numbers_are_luhn_checked_and_masked_in_quarantine() {
    let text = String::from_utf8(sample("accounts.csv")).expect("utf-8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let card = lines[1].split(',').nth(3).expect("account_no").to_owned();
    let last = card.chars().last().and_then(|c| c.to_digit(10)).expect("digit");
    let wrong_check = format!("{}{}", &card[..card.len() - 1], (last + 1) % 10);
    let too_short = card[..15].to_owned();
    lines[1] = lines[1].replace(&card, &wrong_check);
    lines[3] = lines[3].replace(lines[3].split(',').nth(3).expect("account_no"), &too_short);
    let bytes = (lines.join("\n") + "\n").into_bytes();
    let keys = keys_through_households();
    let outs: Vec<Outcome> =
        validate(&contracts::ACCOUNTS, "accounts.csv", &bytes, None, &keys).expect("header").collect();
    let q = quarantined(&outs);
    let got: Vec<(u64, Option<&str>, Reason, &str)> =
        q.iter().map(|q| (q.line, q.field, q.reason, q.value.as_str())).collect();
    let masked_wrong = format!("{} **** **** **** {}", &wrong_check[..4], &wrong_check[wrong_check.len() - 4..]);
    let masked_short = format!("{} **** **** **** {}", &too_short[..4], &too_short[11..]);
    assert_eq!(
        got,
        vec![
            (2, Some("account_no"), Reason::BadCheckDigit, masked_wrong.as_str()),
            (4, Some("account_no"), Reason::WrongType, masked_short.as_str()),
        ]
    );
    let secrets: Vec<String> = text.lines().skip(1).map(|l| l.split(',').nth(3).expect("no").to_owned()).collect();
    for record in q {
        let shown = format!("{record} {record:?}");
        for secret in secrets.iter().chain([&wrong_check, &too_short]) {
            assert!(!shown.contains(secret.as_str()), "leaks a card number: {shown}");
        }
    }
    // A valid card number's Debug is masked too.
    let Some(Outcome::Valid(row)) = outs.get(1) else { panic!("line 3 passes") };
    assert!(!format!("{row:?}").contains(&secrets[1]));
}

/// The `### <name>` section of the contract document.
fn section<'d>(doc: &'d str, name: &str) -> Option<&'d str> {
    let start = doc.find(&format!("### {name} — "))?;
    let rest = &doc[start + 4..];
    Some(rest.find("\n### ").map_or(rest, |end| &rest[..end]))
}

#[test]
fn every_contract_is_documented_column_by_column() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/data-contracts.md"))
        .expect("the contract document");
    for contract in contracts::ALL {
        let text = section(&doc, contract.name).unwrap_or_else(|| panic!("no section for {}", contract.name));
        let documented: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("| `")?.split_once('`').map(|(name, _)| name)).collect();
        let columns: Vec<&str> = contract.columns.iter().map(|c| c.name).collect();
        assert_eq!(
            documented, columns,
            "{}: the document's table lists the contract's columns in order",
            contract.name
        );
    }
}
