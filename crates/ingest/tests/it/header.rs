//! A file whose header does not match its contract is refused whole, naming the file and the column; trailing
//! unknown columns are ignored as the versioning rules ask.

use ingest::{HeaderError, KnownKeys, contracts, validate};

fn check(bytes: &[u8]) -> Result<u64, HeaderError> {
    let keys = KnownKeys::new();
    validate(&contracts::COUNTIES, "counties.csv", bytes, None, &keys).map(|v| v.finish().1.valid)
}

#[test]
fn missing_column_is_refused_whole() {
    let err = check(b"county_code,synthetic\n990101,true\n").expect_err("refused");
    assert_eq!(err, HeaderError::Missing { file: "counties.csv".into(), column: "zone" });
    assert!(err.to_string().contains("counties.csv") && err.to_string().contains("zone"));
}

#[test]
fn unknown_column_is_refused_whole() {
    let err = check(b"county_code,region,zone,synthetic\n990101,north,hhh,true\n").expect_err("refused");
    assert!(matches!(&err, HeaderError::Unknown { column, expected: "zone", .. } if column == "region"), "{err}");
    // A renamed column is reported as the contract column it lacks.
    let err = check(b"county_code,zone_name,synthetic\n990101,hhh,true\n").expect_err("refused");
    assert_eq!(err, HeaderError::Missing { file: "counties.csv".into(), column: "zone" });
}

#[test]
fn reordered_columns_are_refused_whole() {
    let err = check(b"zone,county_code,synthetic\nhhh,990101,true\n").expect_err("refused");
    assert!(
        matches!(&err, HeaderError::OutOfOrder { column, expected: "county_code", position: 1, .. } if column == "zone")
    );
}

#[test]
fn empty_file_is_refused_and_header_only_file_is_accepted() {
    assert_eq!(check(b""), Err(HeaderError::Empty { file: "counties.csv".into() }));
    assert_eq!(check(b"county_code,zone,synthetic\n"), Ok(0));
}

#[test]
fn unknown_trailing_columns_are_ignored() {
    assert_eq!(check(b"county_code,zone,synthetic,added_later\n990101,hhh,true,x\n990102,livestock,true,y\n"), Ok(2));
}
