//! The instants records are stamped with: [`Timestamp`], RFC 3339 with whole seconds and the UTC offset.
//!
//! A timestamp reads and writes one text form only (`2026-12-06T19:33:02+08:00`, `Z` for UTC), the one
//! [`crate::Clock::now`] produces, so a value parsed and written again is byte-identical: stored columns, JSON
//! documents and keyset cursors do not change when they pass through this type.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::Date;

/// An instant with its UTC offset, to the second.
///
/// Invariant: whole seconds; its text is `YYYY-MM-DDTHH:MM:SS` then `Z` or `±HH:MM`, and parsing accepts only that
/// form, so text → timestamp → text is the identity. Equality and order are by instant: the same instant written
/// with two offsets is one timestamp twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<FixedOffset>);

/// Why a text is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a timestamp such as 2026-12-06T19:33:02+08:00 (RFC 3339, whole seconds)")]
pub struct TimestampError {
    /// The text given.
    pub text: String,
}

/// China Standard Time, UTC+8, the offset agririsk's clocks stamp records in.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

impl Timestamp {
    /// Parses the one accepted form (see the type's invariant).
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let refused = || TimestampError { text: text.to_string() };
        let instant = DateTime::parse_from_rfc3339(text).map_err(|_| refused())?;
        let timestamp = Timestamp(instant);
        // Fractions, lower-case letters, `+00:00` for UTC: valid RFC 3339, but not the form written back.
        if instant.nanosecond() != 0 || timestamp.to_string() != text {
            return Err(refused());
        }
        Ok(timestamp)
    }

    /// The instant, truncated to the second.
    pub fn from_instant(instant: DateTime<FixedOffset>) -> Timestamp {
        Timestamp(instant.with_nanosecond(0).unwrap_or(instant))
    }

    /// Midnight at the start of `date` in China Standard Time.
    pub fn midnight_cst(date: Date) -> Timestamp {
        let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists on every date");
        let instant = naive.and_local_timezone(china_standard_time()).single().expect("a fixed offset is unambiguous");
        Timestamp(instant)
    }

    /// The instant with its offset.
    pub fn instant(self) -> DateTime<FixedOffset> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_form_is_the_parsed_text() {
        for text in ["2026-12-06T19:33:02+08:00", "2026-12-01T08:00:00Z", "1970-01-01T00:00:00-04:30"] {
            let timestamp = Timestamp::parse(text).expect(text);
            assert_eq!(timestamp.to_string(), text);
            let json = serde_json::to_string(&timestamp).expect("json");
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Timestamp>(&json).expect("back"), timestamp);
        }
    }

    #[test]
    fn other_spellings_are_refused_rather_than_rewritten() {
        for text in [
            "",
            "t",
            "2026-12-06",
            "2026-12-06T19:33:02",
            "2026-12-06T19:33:02.5+08:00",
            "2026-12-06T19:33:02+00:00",
            "2026-12-06t19:33:02z",
            "2026-12-06 19:33:02+08:00",
            "2026-02-30T00:00:00Z",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn instants_compare_whatever_their_offset() {
        let cst = Timestamp::parse("2026-05-01T09:00:00+08:00").expect("cst");
        let utc = Timestamp::parse("2026-05-01T01:00:00Z").expect("utc");
        assert_eq!(cst, utc);
        assert!(Timestamp::parse("2026-05-01T01:00:01Z").expect("later") > cst);
        let midnight = Timestamp::midnight_cst(Date::from_ymd_opt(2026, 12, 6).expect("date"));
        assert_eq!(midnight.to_string(), "2026-12-06T00:00:00+08:00");
    }
}
