//! An application as submitted: read from JSON field by field, so that every refusal names the field, its value
//! and the reason, with a stable [`ErrorCode`]. Amounts are yuan with at most two decimals and become whole fen
//! exactly; nothing is read through a binary float. Every text is bounded in length and every refusal quotes at
//! most [`QUOTED_CHARS`] characters of what it refuses, so a large or deeply nested value cannot make a large
//! error; serde_json refuses JSON nested deeper than 128 levels before any of this runs.

use chrono::Datelike;
use domain::{Date, Money};
use privacy::consent::Sources;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{DecideError, ErrorCode};

/// The products an applicant can ask for, as the policy knows them.
pub const PRODUCTS: &[&str] = &["crop", "livestock", "business", "cooperative", "poverty_microcredit"];

/// Smallest amount that can be asked for, yuan.
pub const MIN_AMOUNT_YUAN: i64 = 1_000;
/// Largest amount that can be asked for, yuan (the whole-village programme's cap is 300,000).
pub const MAX_AMOUNT_YUAN: i64 = 3_000_000;
/// Longest term that can be asked for, months.
pub const MAX_TERM_MONTHS: u32 = 60;
/// Longest amount text, characters (`3000000.00` is ten).
pub const MAX_AMOUNT_CHARS: usize = 40;
/// Most characters of a refused value or field name an error quotes.
pub const QUOTED_CHARS: usize = 64;

/// A validated application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRequest {
    /// The client's id for this request: submitting it again returns the same decision.
    pub request_id: String,
    /// The application's id.
    pub application_id: String,
    /// The applying household.
    pub household_id: String,
    /// The application date; the decision is made as of it.
    pub applied_on: Date,
    /// Product asked for: one of [`PRODUCTS`].
    pub product: String,
    /// Stated purpose code (`crop-inputs`, `livestock`, … as on the application form).
    pub purpose: features::input::StatedPurpose,
    /// The purpose in the applicant's words.
    pub purpose_text: String,
    /// Amount asked for.
    pub amount: Money,
    /// Term asked for, months.
    pub term_months: u32,
    /// Consent to the credit check and the use of the applicant's data (PIPL) on file: from the lender's screening
    /// register, set by the caller ([`ApplicationRequest::screened`]); never read from the application.
    pub consent: bool,
    /// Hit on the lender's or a court's list of dishonest debtors: from the screening register, never from the
    /// application.
    pub blacklisted: bool,
    /// An open fraud case on file: from the screening register, never from the application.
    pub fraud_suspected: bool,
    /// Registered as lifted out of poverty (脱贫户).
    pub poverty_registered: bool,
    /// Appraised value of pledged land-management rights, if any.
    pub land_right_appraised: Option<Money>,
    /// Applying through a whole-village credit programme (整村授信).
    pub whole_village_programme: bool,
    /// The sources the decision must not read, for want of the applicant's consent to them for credit assessment
    /// on the application date: from the screening register, set by the caller ([`ApplicationRequest::screened`]).
    pub withheld: Sources,
}

/// What the lender's own records say and an applicant must not assert: refused in an application.
pub const SCREENING_FIELDS: &[&str] = &["consent", "blacklisted", "fraud_suspected"];

/// The screening of an applicant on the application date, from the lender's register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screening {
    /// A consent to the credit check is on file and not withdrawn.
    pub consent: bool,
    /// On a list of dishonest debtors or the lender's blacklist.
    pub blacklisted: bool,
    /// A fraud case is open.
    pub fraud_suspected: bool,
    /// The sources needing a separate consent (`privacy::consent::CLASSIFICATION`) with none in force for credit
    /// assessment: the decision does not read them.
    pub withheld: Sources,
}

impl Default for Screening {
    /// Nothing on file: no consent of any kind, so every separately consented source is withheld.
    fn default() -> Screening {
        Screening { consent: false, blacklisted: false, fraud_suspected: false, withheld: Sources::ALL }
    }
}

const FIELDS: &[&str] = &[
    "request_id",
    "application_id",
    "household_id",
    "applied_on",
    "product",
    "purpose",
    "purpose_text",
    "amount_yuan",
    "term_months",
    "poverty_registered",
    "land_right_appraised_yuan",
    "whole_village_programme",
];

impl ApplicationRequest {
    /// Reads a request from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<ApplicationRequest, DecideError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| DecideError::whole(ErrorCode::MalformedJson, format!("the request is not valid JSON: {e}")))?;
        ApplicationRequest::from_value(&value)
    }

    /// Reads a request from parsed JSON.
    pub fn from_value(value: &Value) -> Result<ApplicationRequest, DecideError> {
        let Value::Object(object) = value else {
            return Err(DecideError::whole(ErrorCode::MalformedJson, "the request must be a JSON object"));
        };
        if let Some(asserted) = object.keys().find(|k| SCREENING_FIELDS.contains(&k.as_str())) {
            return Err(DecideError::field(
                ErrorCode::InvalidField,
                asserted,
                "comes from the lender's screening register (list hits, fraud cases, consents), not from the application",
            ));
        }
        if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(DecideError::field(
                ErrorCode::InvalidField,
                &quoted(unknown),
                format!("is not a field of an application (fields: {})", FIELDS.join(", ")),
            ));
        }
        let r = Reader(object);
        let product = r.text("product", 40)?;
        if !PRODUCTS.contains(&product.as_str()) {
            return Err(DecideError::field(
                ErrorCode::UnknownProduct,
                "product",
                format!("'{product}' is not a product (known: {})", PRODUCTS.join(", ")),
            ));
        }
        let purpose_code = r.text("purpose", 40)?;
        let purpose = features::input::StatedPurpose::parse(&purpose_code).map_err(|_| {
            let known: Vec<&str> = features::input::StatedPurpose::ALL.iter().map(|p| p.code()).collect();
            DecideError::field(
                ErrorCode::UnknownPurpose,
                "purpose",
                format!("'{purpose_code}' is not a purpose code (known: {})", known.join(", ")),
            )
        })?;
        let amount = r.amount("amount_yuan")?.ok_or_else(|| missing("amount_yuan"))?;
        if amount < Money::from_yuan(MIN_AMOUNT_YUAN) || amount > Money::from_yuan(MAX_AMOUNT_YUAN) {
            return Err(DecideError::field(
                ErrorCode::OutOfRange,
                "amount_yuan",
                format!("{amount} is outside {MIN_AMOUNT_YUAN}–{MAX_AMOUNT_YUAN} yuan"),
            ));
        }
        let term = r.integer("term_months")?;
        let term_months = u32::try_from(term).ok().filter(|t| (1..=MAX_TERM_MONTHS).contains(t)).ok_or_else(|| {
            DecideError::field(ErrorCode::OutOfRange, "term_months", format!("{term} is outside 1–{MAX_TERM_MONTHS}"))
        })?;
        Ok(ApplicationRequest {
            request_id: r.id("request_id", 128)?,
            application_id: r.id("application_id", 64)?,
            household_id: r.id("household_id", 64)?,
            applied_on: r.date("applied_on")?,
            product,
            purpose,
            purpose_text: r.optional_text("purpose_text", 2_000)?.unwrap_or_default(),
            amount,
            term_months,
            // Nothing on file until the caller screens the applicant: no consent, so a forgotten screening declines.
            consent: false,
            blacklisted: false,
            fraud_suspected: false,
            poverty_registered: r.flag("poverty_registered")?.unwrap_or(false),
            land_right_appraised: r.amount("land_right_appraised_yuan")?,
            whole_village_programme: r.flag("whole_village_programme")?.unwrap_or(false),
            // Nor any source's consent: an unscreened request reads none of them.
            withheld: Sources::ALL,
        })
    }

    /// A past application as a request, to replay it through a policy (`policy simulate`, benchmarks): the
    /// programme from its product and purpose, its amount, the term of the loan booked from it (12 months when none
    /// was), consent given (to the credit check and to every source), no list hit, request id
    /// `replay-<application id>`.
    pub fn replay(application: &features::input::Application, loans: &[features::input::Loan]) -> ApplicationRequest {
        let term_months =
            application.loan_id.as_ref().and_then(|id| loans.iter().find(|l| &l.loan_id == id)).map_or(12, |loan| {
                let months = (loan.maturity_date.year() - loan.start_date.year()) * 12
                    + i32::try_from(loan.maturity_date.month()).unwrap_or(0)
                    - i32::try_from(loan.start_date.month()).unwrap_or(0);
                u32::try_from(months).unwrap_or(12).clamp(1, MAX_TERM_MONTHS)
            });
        ApplicationRequest {
            request_id: format!("replay-{}", application.application_id),
            application_id: application.application_id.clone(),
            household_id: application.household_id.clone(),
            applied_on: application.applied_on,
            product: crate::engine::programme_of(application.product, application.stated_purpose).to_owned(),
            purpose: application.stated_purpose,
            purpose_text: application.purpose_text.clone(),
            amount: application.amount_requested,
            term_months,
            consent: true,
            blacklisted: false,
            fraud_suspected: false,
            poverty_registered: false,
            land_right_appraised: None,
            whole_village_programme: false,
            withheld: Sources::NONE,
        }
    }

    /// The request with the applicant's screening on the application date.
    pub fn screened(mut self, screening: Screening) -> ApplicationRequest {
        self.consent = screening.consent;
        self.blacklisted = screening.blacklisted;
        self.fraud_suspected = screening.fraud_suspected;
        self.withheld = screening.withheld;
        self
    }

    /// The request in canonical JSON (fixed field order, amounts in yuan with two decimals), with the screening it
    /// was decided on (`consent`, `blacklisted`, `fraud_suspected`) for the record.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "request_id": self.request_id,
            "application_id": self.application_id,
            "household_id": self.household_id,
            "applied_on": self.applied_on.to_string(),
            "product": self.product,
            "purpose": self.purpose.code(),
            "purpose_text": self.purpose_text,
            "amount_yuan": self.amount.to_yuan_decimal().to_string(),
            "term_months": self.term_months,
            "consent": self.consent,
            "blacklisted": self.blacklisted,
            "fraud_suspected": self.fraud_suspected,
            "poverty_registered": self.poverty_registered,
            "land_right_appraised_yuan": self.land_right_appraised.map(|m| m.to_yuan_decimal().to_string()),
            "whole_village_programme": self.whole_village_programme,
        })
    }

    /// What the applicant sent, in canonical JSON: [`ApplicationRequest::to_json`] without the screening.
    pub fn applicant_json(&self) -> Value {
        let mut canonical = self.to_json();
        if let Value::Object(fields) = &mut canonical {
            for field in SCREENING_FIELDS {
                fields.shift_remove(*field);
            }
        }
        canonical
    }

    /// SHA-256 of [`ApplicationRequest::applicant_json`], lowercase hex: the same application however it was
    /// spelled hashes the same, whatever the register said when it came in.
    pub fn sha256(&self) -> String {
        integrate::schema::hex(&Sha256::digest(self.applicant_json().to_string().as_bytes()))
    }
}

fn missing(field: &str) -> DecideError {
    DecideError::field(ErrorCode::MissingField, field, "is required")
}

fn invalid(field: &str, message: impl Into<String>) -> DecideError {
    DecideError::field(ErrorCode::InvalidField, field, message)
}

/// A text as an error quotes it: its first [`QUOTED_CHARS`] characters, `…` marking a cut.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A JSON value as an error quotes it, cut as [`quoted`] cuts a text.
fn quoted_json(value: &Value) -> String {
    quoted(&value.to_string())
}

/// Field-by-field access to the request object.
struct Reader<'a>(&'a Map<String, Value>);

impl Reader<'_> {
    fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    fn optional_text(&self, field: &str, max_chars: usize) -> Result<Option<String>, DecideError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(text)) if text.chars().count() <= max_chars => Ok(Some(text.clone())),
            Some(Value::String(_)) => Err(invalid(field, format!("is longer than {max_chars} characters"))),
            Some(other) => Err(invalid(field, format!("must be a string, found {}", quoted_json(other)))),
        }
    }

    fn text(&self, field: &str, max_chars: usize) -> Result<String, DecideError> {
        self.optional_text(field, max_chars)?.filter(|t| !t.trim().is_empty()).ok_or_else(|| missing(field))
    }

    /// An identifier: letters, digits and `-_.:` only.
    fn id(&self, field: &str, max_chars: usize) -> Result<String, DecideError> {
        let text = self.text(field, max_chars)?;
        if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
            return Err(invalid(field, format!("'{text}' may hold only letters, digits and - _ . :")));
        }
        Ok(text)
    }

    fn date(&self, field: &str) -> Result<Date, DecideError> {
        let text = self.text(field, 10)?;
        domain::parse_date(&text).map_err(|e| invalid(field, format!("'{text}' is not a date YYYY-MM-DD ({e})")))
    }

    fn flag(&self, field: &str) -> Result<Option<bool>, DecideError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(invalid(field, format!("must be true or false, found {}", quoted_json(other)))),
        }
    }

    fn integer(&self, field: &str) -> Result<i64, DecideError> {
        match self.get(field) {
            None => Err(missing(field)),
            // JSON does not tell 8 from 8.0: a number with no fraction is a whole number, as JSON Schema's
            // `integer` says. Anything else, or beyond ±2^53 where floats skip whole numbers, is refused.
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0).map(|f| f as i64)
                })
                .ok_or_else(|| invalid(field, format!("{n} is not a whole number"))),
            Some(other) => Err(invalid(field, format!("must be a whole number, found {}", quoted_json(other)))),
        }
    }

    /// An amount of yuan, a JSON number or string with at most two decimals, never negative.
    fn amount(&self, field: &str) -> Result<Option<Money>, DecideError> {
        let text = match self.get(field) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(invalid(field, format!("must be an amount of yuan, found {}", quoted_json(other))));
            }
        };
        if text.chars().count() > MAX_AMOUNT_CHARS {
            return Err(invalid(field, format!("'{}' is longer than {MAX_AMOUNT_CHARS} characters", quoted(&text))));
        }
        let money = Money::parse_yuan(&text).map_err(|e| invalid(field, format!("'{text}': {e}")))?;
        if money.is_negative() {
            return Err(DecideError::field(ErrorCode::OutOfRange, field, format!("{money} is negative")));
        }
        Ok(Some(money))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Value {
        serde_json::json!({
            "request_id": "r-1", "application_id": "A1", "household_id": "H0000002", "applied_on": "2025-10-05",
            "product": "crop", "purpose": "crop-inputs", "purpose_text": "买化肥", "amount_yuan": "7400.00",
            "term_months": 9, "whole_village_programme": false
        })
    }

    fn refused(change: impl FnOnce(&mut Map<String, Value>)) -> DecideError {
        let mut value = valid();
        change(value.as_object_mut().expect("object"));
        match ApplicationRequest::from_value(&value) {
            Ok(request) => panic!("accepted {request:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_valid_request_reads_into_fen_and_defaults() {
        let request = ApplicationRequest::from_value(&valid()).expect("valid");
        assert_eq!(request.amount, Money::from_fen(740_000));
        assert!(!request.fraud_suspected && !request.poverty_registered && !request.whole_village_programme);
        assert_eq!(request.land_right_appraised, None);
        // A number and a string of the same amount are the same request.
        let mut other = valid();
        other["amount_yuan"] = serde_json::json!(7400);
        let other = ApplicationRequest::from_value(&other).expect("valid");
        assert_eq!(other.sha256(), request.sha256());
        let mut changed = valid();
        changed["amount_yuan"] = serde_json::json!(7401);
        assert_ne!(ApplicationRequest::from_value(&changed).expect("valid").sha256(), request.sha256());
    }

    #[test]
    fn a_whole_number_written_with_a_zero_fraction_is_a_whole_number() {
        let mut eight = valid();
        eight["term_months"] = serde_json::json!(8.0);
        assert_eq!(ApplicationRequest::from_value(&eight).expect("8.0 is 8").term_months, 8);
        let half = refused(|o| drop(o.insert("term_months".into(), serde_json::json!(8.5))));
        assert_eq!((half.code, half.field.as_deref()), (ErrorCode::InvalidField, Some("term_months")));
    }

    #[test]
    fn every_refusal_names_its_field_and_code() {
        type Change = Box<dyn FnOnce(&mut Map<String, Value>)>;
        let cases: Vec<(ErrorCode, &str, Change)> = vec![
            (ErrorCode::MissingField, "household_id", Box::new(|o| drop(o.remove("household_id")))),
            (ErrorCode::InvalidField, "consent", Box::new(|o| drop(o.insert("consent".into(), true.into())))),
            (ErrorCode::InvalidField, "blacklisted", Box::new(|o| drop(o.insert("blacklisted".into(), false.into())))),
            (
                ErrorCode::InvalidField,
                "fraud_suspected",
                Box::new(|o| drop(o.insert("fraud_suspected".into(), false.into()))),
            ),
            (ErrorCode::UnknownProduct, "product", Box::new(|o| drop(o.insert("product".into(), "car".into())))),
            (ErrorCode::UnknownPurpose, "purpose", Box::new(|o| drop(o.insert("purpose".into(), "gambling".into())))),
            (ErrorCode::OutOfRange, "amount_yuan", Box::new(|o| drop(o.insert("amount_yuan".into(), "999".into())))),
            (
                ErrorCode::InvalidField,
                "amount_yuan",
                Box::new(|o| drop(o.insert("amount_yuan".into(), "1.001".into()))),
            ),
            (ErrorCode::OutOfRange, "term_months", Box::new(|o| drop(o.insert("term_months".into(), 0.into())))),
            (ErrorCode::InvalidField, "term_months", Box::new(|o| drop(o.insert("term_months".into(), "9".into())))),
            (
                ErrorCode::InvalidField,
                "applied_on",
                Box::new(|o| drop(o.insert("applied_on".into(), "2025-13-01".into()))),
            ),
            (
                ErrorCode::InvalidField,
                "whole_village_programme",
                Box::new(|o| drop(o.insert("whole_village_programme".into(), "yes".into()))),
            ),
            (ErrorCode::InvalidField, "request_id", Box::new(|o| drop(o.insert("request_id".into(), "a b".into())))),
            (ErrorCode::InvalidField, "amonut_yuan", Box::new(|o| drop(o.insert("amonut_yuan".into(), 1.into())))),
            (
                ErrorCode::OutOfRange,
                "land_right_appraised_yuan",
                Box::new(|o| drop(o.insert("land_right_appraised_yuan".into(), "-5".into()))),
            ),
        ];
        for (code, field, change) in cases {
            let e = refused(change);
            assert_eq!((e.code, e.field.as_deref()), (code, Some(field)), "{e}");
            assert!(e.message.starts_with(field), "{e}");
        }
        let e = ApplicationRequest::from_json(b"{\"request_id\": ").expect_err("malformed");
        assert_eq!(e.code, ErrorCode::MalformedJson);
        let e = ApplicationRequest::from_json(b"[1]").expect_err("not an object");
        assert_eq!(e.code, ErrorCode::MalformedJson);
    }

    /// Reads `json` on a thread with a small stack (1 MiB unoptimised, 256 KiB optimised).
    fn from_json_small(json: Vec<u8>) -> Result<ApplicationRequest, DecideError> {
        let stack_bytes = if cfg!(debug_assertions) { 1024 * 1024 } else { 256 * 1024 };
        std::thread::scope(|scope| {
            let read = std::thread::Builder::new()
                .stack_size(stack_bytes)
                .spawn_scoped(scope, move || ApplicationRequest::from_json(&json));
            read.expect("a thread starts").join().expect("no panic")
        })
    }

    fn with(field: &str, raw: &str) -> Vec<u8> {
        let mut object = valid();
        object[field] = Value::Null;
        object.to_string().replacen(&format!("\"{field}\":null"), &format!("\"{field}\":{raw}"), 1).into_bytes()
    }

    #[test]
    fn nesting_past_serde_jsons_limit_is_malformed_json_not_a_stack_overflow() {
        for raw in ["[".repeat(60_000), "{\"a\":".repeat(60_000) + "1" + &"}".repeat(60_000)] {
            let e = from_json_small(with("whole_village_programme", &raw)).expect_err("too deep");
            assert_eq!(e.code, ErrorCode::MalformedJson);
            assert!(e.message.contains("recursion limit exceeded"), "{e}");
        }
        // Within the limit, the value is read and refused for its type, quoted in part.
        let e = from_json_small(with("whole_village_programme", &("[".repeat(100) + &"]".repeat(100))))
            .expect_err("not a flag");
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::InvalidField, Some("whole_village_programme")));
        assert_eq!(
            e.message,
            format!("whole_village_programme: must be true or false, found {}…", "[".repeat(QUOTED_CHARS))
        );
    }

    #[test]
    fn refusals_quote_long_values_and_names_in_part() {
        let long = "稻".repeat(100_000);
        let cases = [
            with("whole_village_programme", &format!("\"{long}\"")),
            with("term_months", &format!("[\"{long}\"]")),
            with("purpose_text", &format!("{{\"a\": \"{long}\"}}")),
            with("purpose_text", &format!("\"{long}\"")),
            with("amount_yuan", &format!("\"{}\"", "1".repeat(100_000))),
            with("amount_yuan", &format!("{{\"{long}\": 1}}")),
            with(&long, "1"),
        ];
        for json in cases {
            let e = from_json_small(json).expect_err("refused");
            assert_eq!(e.code, ErrorCode::InvalidField, "{e}");
            assert!(e.message.chars().count() < 400, "{e}");
            assert!(e.field.as_deref().is_some_and(|field| field.chars().count() <= QUOTED_CHARS + 1), "{e}");
        }
        let e = from_json_small(with("amount_yuan", &format!("\"{}\"", "9".repeat(41)))).expect_err("too long");
        assert_eq!(e.message, format!("amount_yuan: '{}' is longer than 40 characters", "9".repeat(41)));
        let padded = format!("\"{}7400.00\"", "0".repeat(MAX_AMOUNT_CHARS - 7));
        let request = from_json_small(with("amount_yuan", &padded)).expect("40 characters are read");
        assert_eq!(request.amount, Money::from_fen(740_000));
    }

    #[test]
    fn the_canonical_form_reads_back_as_the_same_request() {
        let mut full = valid();
        full["land_right_appraised_yuan"] = serde_json::json!(12000.5);
        full["poverty_registered"] = Value::Bool(true);
        let screening = Screening { consent: true, blacklisted: false, fraud_suspected: true, withheld: Sources::NONE };
        for value in [valid(), full] {
            let request = ApplicationRequest::from_value(&value).expect("valid").screened(screening);
            let again = ApplicationRequest::from_json(request.applicant_json().to_string().as_bytes())
                .expect("canonical")
                .screened(screening);
            assert_eq!(again, request);
            assert_eq!(again.sha256(), request.sha256());
            // The record shows the screening the decision used; the hash does not depend on it.
            assert_eq!(request.to_json()["fraud_suspected"], Value::Bool(true));
            assert_eq!(request.clone().screened(Screening::default()).sha256(), request.sha256());
        }
    }
}
