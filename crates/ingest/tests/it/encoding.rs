//! GB18030 files: Chinese names decode correctly, and a stray invalid byte sequence spoils only its own row.

use ingest::{Outcome, Reason, TextEncoding, Value, contracts, validate};

use crate::{csv_of, keys_through_households, quarantined, sim};

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn gb18030_members_file_decodes_chinese_names() {
    let members = &sim().tables.members;
    let bytes = gb18030(&String::from_utf8(csv_of(members)).expect("utf-8"));
    assert_ne!(bytes, csv_of(members), "the encoding really differs");
    let keys = keys_through_households();
    let validation = validate(&contracts::MEMBERS, "members.csv", &bytes, None, &keys).expect("header");
    assert_eq!(validation.encoding(), TextEncoding::Gb18030);
    let names: Vec<String> = validation
        .map(|o| match o {
            Outcome::Valid(row) => match row.get("name") {
                Some(Value::Text(name)) => name.clone(),
                other => panic!("name is text: {other:?}"),
            },
            other => panic!("every row passes: {other:?}"),
        })
        .collect();
    let expected: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names, expected);
    assert!(names.iter().any(|n| !n.is_ascii()), "names are Chinese");
}

#[test]
fn stray_invalid_bytes_in_a_gb18030_file_quarantine_that_row_only() {
    let members = &sim().tables.members;
    let text = String::from_utf8(csv_of(members)).expect("utf-8");
    let mut lines: Vec<Vec<u8>> = text.lines().map(gb18030).collect();
    // Line 4 (third member): its name becomes a lead byte followed by a byte no GB18030 sequence allows.
    let fields: Vec<&[u8]> = lines[3].split(|&b| b == b',').collect();
    let mut broken: Vec<u8> = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            broken.push(b',');
        }
        broken.extend_from_slice(if i == 3 { b"\x81\x20\xFF" } else { field });
    }
    lines[3] = broken;
    let mut bytes = lines.join(&b'\n');
    bytes.push(b'\n');
    let keys = keys_through_households();
    let outs: Vec<Outcome> =
        validate(&contracts::MEMBERS, "members.csv", &bytes, Some(TextEncoding::Gb18030), &keys).expect("h").collect();
    let q = quarantined(&outs);
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].line, q[0].field, q[0].reason), (4, Some("name"), Reason::InvalidEncoding));
    assert_eq!(outs.iter().filter(|o| matches!(o, Outcome::Valid(_))).count(), members.len() - 1);
    // Detection still picks GB18030 for the file as a whole.
    assert_eq!(TextEncoding::detect(&bytes), TextEncoding::Gb18030);
}

#[test]
fn utf8_with_bom_validates_clean() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(csv_of(&sim().tables.villages));
    let mut keys = ingest::KnownKeys::new();
    for c in &sim().tables.counties {
        keys.insert("counties", &[&c.county_code]);
    }
    let (q, summary) = validate(&contracts::VILLAGES, "villages.csv", &bytes, None, &keys).expect("header").finish();
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(summary.valid as usize, sim().tables.villages.len());
}
