//! From a decision to a loan: the decided terms become `lending::LoanTerms`, the loan is booked, disbursed and the
//! disbursement recorded in **one** store transaction ([`store::ReviewWorkflow::record_disbursement`]), so a kill at
//! any instant leaves either everything or nothing, and the same request id is answered the same way ever after.
//!
//! The request is idempotent by its request id and the SHA-256 of its canonical form (decision, request id, date):
//! the same request again answers the loan (not new); the same id with another date, or for another decision, is
//! `request_reused`; another request id for a decision disbursed already is `already_disbursed`. Dates are checked
//! against the decision ([`DECISION_VALID_DAYS`]) and a window around today ([`DateWindow`]).

use domain::{BorrowerId, Clock, CropCalendar, Date, LoanId, Money};
use lending::{DatedEvent, Loan, LoanEvent, LoanTerms};
use serde_json::Value;
use sha2::{Digest, Sha256};
use store::{Booking, DecisionLog, Disbursed, LoanStore, NewEvent, NewLoan, ReviewWorkflow};
use workflow::{Disbursement, DisbursementRefusal, Outcome, ReviewState};

use crate::error::{Error, ErrorCode};
use crate::loans::{Loans, Position};

/// The classification rules loans booked from decisions follow.
pub const RULES: &str = "cbirc-2023";
/// How long after its application date a decision may be disbursed, in days.
pub const DECISION_VALID_DAYS: i64 = 90;

/// How far from today a money-moving date may lie: a back-dated posting within `back_days`, a future one within
/// `ahead_days`. The server passes its configuration; the command line, which replays simulated years, none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    /// Days before today still accepted.
    pub back_days: u32,
    /// Days after today accepted.
    pub ahead_days: u32,
}

impl DateWindow {
    /// Two years back (a core system's late-booked history), nothing ahead: money is not received in the future.
    pub const REPAYMENTS: DateWindow = DateWindow { back_days: 730, ahead_days: 0 };
    /// Two years back, a month ahead (a disbursement scheduled for the coming weeks).
    pub const DISBURSEMENTS: DateWindow = DateWindow { back_days: 730, ahead_days: 31 };

    /// Refuses `date` outside the window around `today`, naming `field`.
    pub fn check(&self, field: &str, date: Date, today: Date) -> Result<(), Error> {
        let first = today - chrono::Duration::days(i64::from(self.back_days));
        let last = today + chrono::Duration::days(i64::from(self.ahead_days));
        if date < first || date > last {
            return Err(Error::coded(
                ErrorCode::OutOfRange,
                field,
                format!("{date} is outside {first} – {last} (today {today})"),
            ));
        }
        Ok(())
    }
}

/// A disbursement request.
#[derive(Debug, Clone)]
pub struct DisbursementRequest {
    /// The decision to disburse.
    pub decision_id: String,
    /// The client's id of this request (idempotency key).
    pub request_id: String,
    /// The disbursement date: the loan starts on it.
    pub disbursed_on: Date,
}

impl DisbursementRequest {
    /// SHA-256 (hex) of the canonical form: every field, in order, one per line.
    pub fn sha256(&self) -> String {
        let text = format!("{}\n{}\n{}", self.decision_id, self.request_id, self.disbursed_on);
        domain::hex(&Sha256::digest(text.as_bytes()))
    }
}

/// What a disbursement did.
#[derive(Debug)]
pub struct Disbursal {
    /// The loan and its state on the disbursement date.
    pub position: Position,
    /// False when the same request was disbursed before: nothing was written.
    pub new: bool,
}

/// The decided terms read back from a stored record: the record's `terms`, typed ([`decide::Terms`]).
pub fn decided_terms(record: &Value) -> Result<decide::Terms, Error> {
    decide::terms_of(record)
        .map_err(|e| Error::internal(format!("stored decision record: the terms are unreadable: {e}")))
}

/// The application date of a stored record.
pub fn applied_on(record: &Value) -> Result<Date, Error> {
    record["request"]["applied_on"]
        .as_str()
        .and_then(|d| domain::parse_date(d).ok())
        .ok_or_else(|| Error::internal("stored decision record: request.applied_on is unreadable"))
}

/// Books and disburses the loan of an approved decision (see the module documentation).
pub async fn disburse<S>(
    store: &S,
    clock: &(dyn Clock + Send + Sync),
    window: Option<DateWindow>,
    request: &DisbursementRequest,
) -> Result<Disbursal, Error>
where
    S: DecisionLog + ReviewWorkflow + LoanStore + Clone + Send + Sync,
{
    let id = &request.decision_id;
    let decision = store
        .decision(id)
        .await?
        .ok_or_else(|| Error::coded(ErrorCode::UnknownDecision, "decision", format!("decision {id} not found")))?;
    let loans = Loans::new(store.clone());
    let hash = request.sha256();
    // Disbursed before: the same request answers the loan; anything else is refused before any check of the date.
    if let Some(earlier) = store.disbursement_of(id).await? {
        if earlier.request_id != request.request_id {
            return Err(Error::coded(
                ErrorCode::AlreadyDisbursed,
                "request_id",
                format!("decision {id} was disbursed as loan {} under another request id", earlier.loan_id),
            ));
        }
        if !earlier.request_sha256.is_empty() && earlier.request_sha256 != hash {
            return Err(reused(&request.request_id));
        }
        let loan = LoanId::parse(&earlier.loan_id).map_err(Error::internal)?;
        let position = loans.position(&loan, request.disbursed_on).await?;
        return Ok(Disbursal { position, new: false });
    }
    let record: Value = serde_json::from_str(decision.record_json.as_str()).map_err(Error::internal)?;
    let applied = applied_on(&record)?;
    let start = request.disbursed_on;
    if start < applied || start > applied + chrono::Duration::days(DECISION_VALID_DAYS) {
        return Err(Error::coded(
            ErrorCode::OutOfRange,
            "disbursed_on",
            format!(
                "{start} is outside the decision's validity: from its application date {applied} for \
                 {DECISION_VALID_DAYS} days"
            ),
        ));
    }
    if let Some(window) = window {
        window.check("disbursed_on", start, clock.today())?;
    }
    // An automated approval lends the decided amount; a referral only once a person approved it, for the amount
    // approved (maker-checker above the officer's authority).
    let mut decided = decided_terms(&record)?;
    if decision.outcome != Outcome::Approve {
        match store.review_state(id).await? {
            ReviewState::Approved { amount, .. } => decided.amount = amount,
            state => {
                return Err(Error::coded(
                    ErrorCode::NotApproved,
                    "outcome",
                    format!(
                        "decision {id} is a {} (review: {state:?}); only an approval is disbursed",
                        decision.outcome
                    ),
                ));
            }
        }
    }
    let terms = decided
        .loan_terms(start, &CropCalendar::china_default())
        .ok_or_else(|| Error::internal(format!("approved decision {id} without terms")))?
        .map_err(|e| {
            Error::coded(
                ErrorCode::InvalidField,
                e.field,
                format!("the decided terms cannot start on {start}: {}", e.reason),
            )
        })?;
    let loan_id = LoanId::parse(&format!("L{}", decision.decision_id)).map_err(Error::internal)?;
    let borrower = BorrowerId::parse(&decision.subject).map_err(Error::internal)?;
    let amount = terms.principal();
    let booking = booking(loan_id.clone(), borrower, terms, &format!("decision {id}"), &request.request_id, amount)?;
    let disbursement = Disbursement {
        decision_id: decision.decision_id.clone(),
        loan_id: loan_id.as_str().to_owned(),
        request_id: request.request_id.clone(),
        amount,
        disbursed_at: clock.now(),
        request_sha256: hash,
    };
    let new = match store.record_disbursement(&disbursement, &booking).await {
        Ok(Disbursed::New) => true,
        // A concurrent twin of this very request committed first.
        Ok(Disbursed::Existing(_)) => false,
        Err(store::StoreError::RequestReused { request_id }) => return Err(reused(&request_id)),
        Err(store::StoreError::Disbursement {
            refusal: DisbursementRefusal::AlreadyDisbursed { request_id }, ..
        }) => {
            return Err(Error::coded(
                ErrorCode::AlreadyDisbursed,
                "request_id",
                format!("decision {id} was disbursed under another request id ({request_id})"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let position = loans.position(&loan_id, start).await?;
    Ok(Disbursal { position, new })
}

fn reused(request_id: &str) -> Error {
    Error::coded(
        ErrorCode::RequestReused,
        "request_id",
        format!("request id {request_id} was used before for a different disbursement"),
    )
}

/// The loan's first two events — approved (which posts nothing), then disbursed under the request id with what the
/// lending core says it posts — and the status changes they cause.
fn booking(
    id: LoanId,
    borrower: BorrowerId,
    terms: LoanTerms,
    approved_by: &str,
    request_id: &str,
    amount: Money,
) -> Result<Booking, Error> {
    let start = terms.start();
    let rules = lending::ClassificationRules::named(RULES).ok_or_else(|| Error::internal("unknown rule set"))?;
    let core = Loan::new(terms.clone(), rules);
    let approved = DatedEvent { date: start, event: LoanEvent::Approved { by: approved_by.to_owned() } };
    let disbursed = DatedEvent { date: start, event: LoanEvent::Disbursed { amount } };
    let (state, postings) = core.check_append(std::slice::from_ref(&approved), &disbursed)?;
    let changes = state.changes.iter().filter(|c| c.date <= start).cloned().collect();
    Ok(Booking {
        loan: NewLoan { id, borrower, booked_on: start, terms, rules: RULES.to_owned() },
        events: vec![
            (NewEvent { dated: approved, key: None }, Vec::new()),
            (NewEvent { dated: disbursed, key: Some(request_id.to_owned()) }, postings),
        ],
        changes,
    })
}
