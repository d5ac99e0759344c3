//! Loan servicing by replay: the one days-past-due clock, the repayment waterfall, penalties, prepayment,
//! reversals, restructuring, disaster deferral, write-off and the history of every bucket, class and status
//! change.
//!
//! A loan's financial history is an append-only list of dated events ([`DatedEvent`]). Its state on any date is
//! computed by replaying the events dated on or before that date ([`Loan::state_as_of`]), so DPD, class and
//! stage can be asked for any past date, and a correction is a new event (a reversal), never an edit. A reversed
//! repayment is left out of the replay entirely, which is exactly "as if it never arrived": the state after a
//! reversal equals the state without the repayment.
//!
//! Time runs in whole days, end of day. An installment due on day D is overdue from day D + 1; DPD on day x is
//! x − (due date of the oldest unpaid installment), floored at zero, after that day's postings. Overdue principal
//! accrues penalty interest (contract rate × the product's penalty multiplier) for each day it stays unpaid, in
//! place of contract interest.

use std::collections::HashSet;

use domain::{Date, Decimal, Money, MoneyError, Rate, RepaymentId, UnroundedMoney, add_months, days_between};
use serde::{Deserialize, Serialize};

use crate::classify::{Bucket, ClassificationRules, FiveCategory, IfrsStage, Standing};
use crate::product::{Component, LoanTerms, Plan, ProductKind, TermsError};
use crate::schedule::{Installment, Method, Period, amortize, skeleton};
use crate::status::{LoanStatus, TransitionError};

/// What happened to a loan on a date. Events are facts: they are appended, never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum LoanEvent {
    /// The application was approved.
    Approved {
        /// Who approved it.
        by: String,
    },
    /// The application was sent to manual review.
    Referred {
        /// Why.
        reason: String,
    },
    /// The application was declined.
    Declined {
        /// Why.
        reason: String,
    },
    /// Money paid out: the whole principal for term loans, a draw for revolving lines.
    Disbursed {
        /// Amount paid out.
        amount: Money,
    },
    /// Money received from the borrower.
    Repaid {
        /// Idempotency key: the same id is never applied twice.
        id: RepaymentId,
        /// Amount received.
        amount: Money,
    },
    /// A repayment reversed (bounced, posted in error).
    Reversed {
        /// The reversal's own idempotency key.
        id: RepaymentId,
        /// The repayment it reverses.
        of: RepaymentId,
        /// Why.
        reason: String,
    },
    /// New terms for the outstanding balance.
    Restructured {
        /// The new terms.
        terms: RestructureTerms,
    },
    /// Installments deferred after a declared disaster.
    Deferred {
        /// Months every not-yet-due installment moves by.
        months: u32,
        /// Whether interest for the extra time is charged.
        interest: DeferralInterest,
        /// The disaster or decision behind it.
        reason: String,
    },
    /// A manual classification (override), recorded with its reason and approver.
    Reclassified {
        /// The class chosen; it may be worse than the DPD floor, never better.
        class: FiveCategory,
        /// Why.
        reason: String,
        /// Who approved it.
        approver: String,
    },
    /// Written off the balance sheet.
    WrittenOff {
        /// Why.
        reason: String,
        /// Who approved it.
        approver: String,
    },
}

impl LoanEvent {
    /// A short label for histories and tables.
    pub fn label(&self) -> String {
        match self {
            LoanEvent::Approved { .. } => "approved".into(),
            LoanEvent::Referred { .. } => "referred".into(),
            LoanEvent::Declined { .. } => "declined".into(),
            LoanEvent::Disbursed { amount } => format!("disbursed {amount}"),
            LoanEvent::Repaid { id, amount } => format!("repayment {id} of {amount}"),
            LoanEvent::Reversed { of, .. } => format!("reversal of {of}"),
            LoanEvent::Restructured { .. } => "restructured".into(),
            LoanEvent::Deferred { months, .. } => format!("deferred {months} months"),
            LoanEvent::Reclassified { class, .. } => format!("reclassified {}", class.name_zh()),
            LoanEvent::WrittenOff { .. } => "written off".into(),
        }
    }
}

/// An event with the date it takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedEvent {
    /// Effective date.
    pub date: Date,
    /// What happened.
    pub event: LoanEvent,
}

/// How interest for the extra months of a disaster deferral is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeferralInterest {
    /// The lender waives it (as disaster-relief programmes often require).
    Waived,
    /// Simple interest on the deferred principal for the extra days, due with the first deferred installment.
    Charged,
}

/// Terms of a restructuring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestructureTerms {
    plan: Plan,
    annual_rate: Option<Rate>,
    capitalise_arrears: bool,
}

impl RestructureTerms {
    /// New terms: equal-installment, equal-principal or interest-only over `term_months`, or harvest-bullet with
    /// a `harvest_month`. `capitalise_arrears` adds overdue interest, accrued interest and penalty to the new
    /// principal; otherwise they fall due with the first new installment.
    pub fn new(
        product: ProductKind,
        term_months: Option<u32>,
        harvest_month: Option<u32>,
        annual_rate: Option<Rate>,
        capitalise_arrears: bool,
    ) -> Result<RestructureTerms, TermsError> {
        let term = || -> Result<u32, TermsError> {
            match term_months {
                Some(t) if (1..=crate::product::MAX_TERM_MONTHS).contains(&t) => Ok(t),
                Some(t) => Err(TermsError { field: "term-months", reason: format!("{t} is out of range (1–120)") }),
                None => Err(TermsError { field: "term-months", reason: format!("is required for {product}") }),
            }
        };
        let plan = match product {
            ProductKind::EqualInstallment => Plan::EqualInstallment { term_months: term()? },
            ProductKind::EqualPrincipal => Plan::EqualPrincipal { term_months: term()? },
            ProductKind::InterestOnly => {
                Plan::InterestOnly { term_months: term()?, interest_every: crate::product::InterestFrequency::Monthly }
            }
            ProductKind::HarvestBullet => match harvest_month {
                Some(m) if (1..=12).contains(&m) => Plan::HarvestBullet {
                    harvest_month: m,
                    days_after_harvest: 30,
                    interest_every: crate::product::InterestFrequency::Monthly,
                    harvest_source: crate::product::HarvestSource::Explicit,
                },
                _ => return Err(TermsError { field: "harvest-month", reason: "a month 1–12 is required".into() }),
            },
            ProductKind::LivestockBatch | ProductKind::Revolving => {
                debug_assert!(!product.restructures_into());
                return Err(TermsError {
                    field: "product",
                    reason: format!("a loan cannot be restructured into {product}"),
                });
            }
        };
        Ok(RestructureTerms { plan, annual_rate, capitalise_arrears })
    }
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServicingError {
    /// The loan is in the wrong state for this event.
    #[error("{date}: {source}")]
    Transition {
        /// The event's date.
        date: Date,
        /// The illegal move.
        #[source]
        source: TransitionError,
    },
    /// A field of the event is invalid.
    #[error("{date}: {field}: {reason}")]
    Invalid {
        /// The event's date.
        date: Date,
        /// The offending field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

fn invalid(date: Date, field: &'static str, reason: impl Into<String>) -> ServicingError {
    ServicingError::Invalid { date, field, reason: reason.into() }
}

impl ServicingError {
    /// A running total (`field`: `disbursed`, `overpaid`, …) that no longer fits in 64-bit fen. Reported as
    /// [`ServicingError::Invalid`] naming the total, so every caller's mapping of invalid events applies.
    pub fn overflow(date: Date, field: &'static str) -> ServicingError {
        invalid(date, field, format!("the total overflows 64-bit fen (at most {} yuan)", Money::from_fen(i64::MAX)))
    }

    /// Whether this is an [`overflow`](ServicingError::overflow) of a running total.
    pub fn is_overflow(&self) -> bool {
        matches!(self, ServicingError::Invalid { reason, .. } if reason.starts_with("the total overflows"))
    }
}

/// `sum`, or the overflow of the running total `field` on `date`.
fn total(date: Date, field: &'static str, sum: Result<Money, MoneyError>) -> Result<Money, ServicingError> {
    sum.map_err(|_| ServicingError::overflow(date, field))
}

/// One installment and how much of it has been paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallmentState {
    /// Position, from 1, across every schedule version of the loan.
    pub seq: u32,
    /// Schedule version: 1 at disbursement, +1 for each restructuring.
    pub version: u32,
    /// First day of the interest period.
    pub period_start: Date,
    /// Due date.
    pub due_date: Date,
    /// Principal due.
    pub principal: Money,
    /// Interest due.
    pub interest: Money,
    /// Principal paid so far.
    pub principal_paid: Money,
    /// Interest paid so far.
    pub interest_paid: Money,
    /// Replaced by a restructuring: its unpaid amounts moved to the new schedule.
    pub superseded: bool,
    #[serde(skip)]
    months: u32,
    #[serde(skip)]
    principal_weight: u32,
}

impl InstallmentState {
    /// Principal still unpaid.
    pub fn principal_unpaid(&self) -> Money {
        self.principal - self.principal_paid
    }

    /// Interest still unpaid.
    pub fn interest_unpaid(&self) -> Money {
        self.interest - self.interest_paid
    }

    /// True when nothing is left to pay.
    pub fn settled(&self) -> bool {
        self.principal_unpaid().is_zero() && self.interest_unpaid().is_zero()
    }
}

/// How one repayment was split. The parts always sum to the amount received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Penalty interest.
    pub penalty: Money,
    /// Interest of past-due installments.
    pub overdue_interest: Money,
    /// Principal of past-due installments.
    pub overdue_principal: Money,
    /// Interest of the current period (revolving: accrued to date).
    pub current_interest: Money,
    /// Principal of the current installment (revolving: drawn balance).
    pub current_principal: Money,
    /// Principal prepaid ahead of schedule.
    pub prepaid_principal: Money,
    /// Money beyond everything owed, held for refund (溢缴款).
    pub overpayment: Money,
}

impl Breakdown {
    /// Sum of the parts.
    pub fn total(&self) -> Money {
        self.parts().iter().map(|(_, m)| *m).sum()
    }

    /// Named parts, in ledger order.
    pub fn parts(&self) -> [(&'static str, Money); 7] {
        [
            ("penalty", self.penalty),
            ("overdue-interest", self.overdue_interest),
            ("overdue-principal", self.overdue_principal),
            ("current-interest", self.current_interest),
            ("current-principal", self.current_principal),
            ("prepaid-principal", self.prepaid_principal),
            ("overpayment", self.overpayment),
        ]
    }

    /// Part by part, this split minus another.
    pub fn minus(&self, other: &Breakdown) -> Breakdown {
        Breakdown {
            penalty: self.penalty - other.penalty,
            overdue_interest: self.overdue_interest - other.overdue_interest,
            overdue_principal: self.overdue_principal - other.overdue_principal,
            current_interest: self.current_interest - other.current_interest,
            current_principal: self.current_principal - other.current_principal,
            prepaid_principal: self.prepaid_principal - other.prepaid_principal,
            overpayment: self.overpayment - other.overpayment,
        }
    }

    /// Every part negated: the reversal of this split.
    pub fn negated(&self) -> Breakdown {
        Breakdown {
            penalty: -self.penalty,
            overdue_interest: -self.overdue_interest,
            overdue_principal: -self.overdue_principal,
            current_interest: -self.current_interest,
            current_principal: -self.current_principal,
            prepaid_principal: -self.prepaid_principal,
            overpayment: -self.overpayment,
        }
    }
}

/// A repayment as the replay saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepaymentRecord {
    /// Its idempotency key.
    pub id: RepaymentId,
    /// Effective date.
    pub date: Date,
    /// Amount received.
    pub amount: Money,
    /// How it was split (zero parts when reversed).
    pub breakdown: Breakdown,
    /// Reversed on or before the as-of date.
    pub reversed: bool,
}

/// A change in a loan's standing, recorded with its cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    /// Status moved.
    Status {
        /// Before.
        from: LoanStatus,
        /// After.
        to: LoanStatus,
    },
    /// Delinquency bucket moved.
    Bucket {
        /// Before.
        from: Bucket,
        /// After.
        to: Bucket,
    },
    /// Five-category class moved.
    Class {
        /// Before.
        from: FiveCategory,
        /// After.
        to: FiveCategory,
    },
    /// IFRS 9 stage moved.
    Stage {
        /// Before.
        from: IfrsStage,
        /// After.
        to: IfrsStage,
    },
}

/// A dated change with its cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The day the change took effect (end of day).
    pub date: Date,
    /// What changed.
    #[serde(flatten)]
    pub change: Change,
    /// Why: an event label, or the DPD figure reached.
    pub cause: String,
}

/// A manual classification in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// The class chosen.
    pub class: FiveCategory,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approver: String,
    /// When.
    pub date: Date,
}

/// A loan's full state on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanState {
    /// The date the state is for (end of day).
    pub as_of: Date,
    /// Lifecycle status.
    pub status: LoanStatus,
    /// DPD, bucket, class, floor and stage.
    pub standing: Standing,
    /// The name of the classification rule set used.
    pub rules: String,
    /// Ever restructured.
    pub restructured: bool,
    /// The manual classification in force, if any.
    pub classification_override: Option<Override>,
    /// Every installment, superseded ones included.
    pub installments: Vec<InstallmentState>,
    /// Total paid out.
    pub disbursed: Money,
    /// Principal not yet repaid.
    pub principal_outstanding: Money,
    /// Past-due principal.
    pub principal_overdue: Money,
    /// Past-due interest.
    pub interest_overdue: Money,
    /// Interest accrued on a revolving line since its last settlement, not yet due.
    pub interest_accrued: Money,
    /// Penalty interest owed now.
    pub penalty_due: Money,
    /// Money received beyond everything owed, held for refund.
    pub overpaid: Money,
    /// Every repayment, reversed ones included.
    pub repayments: Vec<RepaymentRecord>,
    /// Every change of status, bucket, class and stage up to `as_of`.
    pub changes: Vec<StatusChange>,
}

impl LoanState {
    /// Everything owed now if the borrower repaid in full today: principal, due and current interest, penalty.
    pub fn payoff(&self) -> Money {
        let current_interest = self
            .installments
            .iter()
            .filter(|i| !i.superseded && i.due_date >= self.as_of)
            .map(InstallmentState::interest_unpaid)
            .next()
            .unwrap_or(Money::ZERO);
        self.principal_outstanding + self.interest_overdue + current_interest + self.interest_accrued + self.penalty_due
    }
}

/// The ledger lines one event produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// Ledger component, e.g. `disbursement`, `penalty`, `current-principal`.
    pub component: &'static str,
    /// Signed amount: reversals are negative.
    pub amount: Money,
    /// For a reallocation line: the earlier repayment whose split the new event changed. A back-dated event (a
    /// reversal of an old payment, a late-booked draw) can change how later repayments are split; the ledger
    /// records the difference instead of editing the earlier lines.
    pub reallocates: Option<RepaymentId>,
}

impl Posting {
    /// A line of the event's own.
    pub fn new(component: &'static str, amount: Money) -> Posting {
        Posting { component, amount, reallocates: None }
    }
}

/// A loan's contract: its terms and the classification rules it is judged by. Servicing is a pure function of
/// the contract and the event list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loan {
    terms: LoanTerms,
    rules: ClassificationRules,
}

impl Loan {
    /// A loan with the given terms and classification rules.
    pub fn new(terms: LoanTerms, rules: ClassificationRules) -> Loan {
        Loan { terms, rules }
    }

    /// The original terms.
    pub fn terms(&self) -> &LoanTerms {
        &self.terms
    }

    /// The state at the end of `as_of`, from the events dated on or before it. Events of one date apply in list
    /// order.
    pub fn state_as_of(&self, events: &[DatedEvent], as_of: Date) -> Result<LoanState, ServicingError> {
        let mut ordered: Vec<&DatedEvent> = events.iter().filter(|e| e.date <= as_of).collect();
        ordered.sort_by_key(|e| e.date); // stable: same-day events keep their posting order
        let reversed: HashSet<&RepaymentId> = ordered
            .iter()
            .filter_map(|e| match &e.event {
                LoanEvent::Reversed { of, .. } => Some(of),
                _ => None,
            })
            .collect();
        let mut engine = Engine::new(&self.terms, self.rules);
        for event in ordered {
            engine.advance(event.date);
            engine.apply(event, &reversed)?;
        }
        engine.advance(as_of);
        Ok(engine.finish(as_of))
    }

    /// Checks that `new` can be appended to `events` and returns the state on its date together with the ledger
    /// lines it posts. Nothing is changed: the caller stores the event only if this succeeds.
    pub fn check_append(
        &self,
        events: &[DatedEvent],
        new: &DatedEvent,
    ) -> Result<(LoanState, Vec<Posting>), ServicingError> {
        let latest = events.iter().map(|e| e.date).max().unwrap_or(new.date).max(new.date);
        if let LoanEvent::Repaid { id, .. } | LoanEvent::Reversed { id, .. } = &new.event {
            let clash = events.iter().any(|e| match &e.event {
                LoanEvent::Repaid { id: other, .. } | LoanEvent::Reversed { id: other, .. } => other == id,
                _ => false,
            });
            if clash {
                return Err(invalid(new.date, "id", format!("{id} is already used by another posting")));
            }
        }
        if matches!(new.event, LoanEvent::Repaid { .. }) {
            let disbursed_on =
                events.iter().filter(|e| matches!(e.event, LoanEvent::Disbursed { .. })).map(|e| e.date).min();
            if let Some(first) = disbursed_on.filter(|first| new.date < *first) {
                return Err(invalid(new.date, "date", format!("is before the disbursement on {first}")));
            }
        }
        // The loan must be able to take the event on its own date and on every later day already recorded.
        let before = self.state_as_of(events, latest)?;
        if matches!(new.event, LoanEvent::Repaid { .. }) && before.status == LoanStatus::Closed {
            return Err(ServicingError::Transition {
                date: new.date,
                source: TransitionError { from: LoanStatus::Closed, action: "post a repayment to" },
            });
        }
        let mut all = events.to_vec();
        all.push(new.clone());
        // Every later event must still apply after the new one is slotted in by date.
        let after = self.state_as_of(&all, latest)?;
        if let LoanEvent::Repaid { amount, .. } = &new.event {
            self.check_overpayment(new.date, *amount, &before, &after)?;
        }
        let at_date = self.state_as_of(&all, new.date)?;
        let (own_id, reversed_id) = match &new.event {
            LoanEvent::Repaid { id, .. } => (Some(id), None),
            LoanEvent::Reversed { id, of, .. } => (Some(id), Some(of)),
            _ => (None, None),
        };
        let mut postings = match &new.event {
            LoanEvent::Disbursed { amount } => vec![Posting::new("disbursement", *amount)],
            LoanEvent::Repaid { id, .. } => after
                .repayments
                .iter()
                .find(|r| &r.id == id)
                .map(|r| breakdown_postings(&r.breakdown, None))
                .unwrap_or_default(),
            LoanEvent::Reversed { of, .. } => before
                .repayments
                .iter()
                .find(|r| &r.id == of)
                .map(|r| breakdown_postings(&r.breakdown.negated(), None))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for later in &after.repayments {
            if Some(&later.id) == own_id || Some(&later.id) == reversed_id {
                continue;
            }
            if let Some(earlier) = before.repayments.iter().find(|r| r.id == later.id) {
                let diff = later.breakdown.minus(&earlier.breakdown);
                postings.extend(breakdown_postings(&diff, Some(&later.id)));
            }
        }
        Ok((at_date, postings))
    }
}

impl Loan {
    /// A repayment may leave at most the overpayment margin held for refund: everything owed to settle the loan in
    /// full on its date (principal, interest, penalty) is what the loan can take, and the margin is all it may hold
    /// beyond that. A history already above the margin (posted before the margin existed) may not grow.
    fn check_overpayment(
        &self,
        date: Date,
        amount: Money,
        before: &LoanState,
        after: &LoanState,
    ) -> Result<(), ServicingError> {
        let margin = self.terms.conventions().overpayment_margin;
        if after.overpaid <= margin.max(before.overpaid) {
            return Ok(());
        }
        let added = total(date, "overpaid", after.overpaid.checked_sub(before.overpaid))?;
        let owed = total(date, "amount", amount.checked_sub(added))?;
        let room = margin.checked_sub(before.overpaid).unwrap_or(Money::ZERO).max(Money::ZERO);
        let can_take = owed.checked_add(room).unwrap_or(Money::MAX_INPUT);
        Err(invalid(
            date,
            "amount",
            format!(
                "{amount} is more than the loan can take: {owed} settles it in full and at most {room} more may be \
                 held as overpayment (margin {margin}, {} already held), so at most {can_take}",
                before.overpaid
            ),
        ))
    }
}

/// Incremental servicing: events applied one at a time in date order, with the loan's standing readable between
/// them. Same engine and rules as [`Loan::state_as_of`], without replaying history for every question, so a
/// simulator or a nightly batch costs O(events) per loan. Reversals need a replay and are refused here.
#[derive(Clone)]
pub struct Servicer {
    engine: Engine,
}

impl Loan {
    /// A servicer for this loan, before any event.
    pub fn servicer(&self) -> Servicer {
        Servicer { engine: Engine::new(&self.terms, self.rules) }
    }
}

impl Servicer {
    /// Applies the next event. Its date must not be before the servicer's current date.
    pub fn apply(&mut self, event: &DatedEvent) -> Result<(), ServicingError> {
        if let Some(cursor) = self.engine.cursor {
            if event.date < cursor {
                return Err(invalid(event.date, "date", format!("events must come in date order (now at {cursor})")));
            }
        }
        if let LoanEvent::Reversed { .. } = event.event {
            return Err(invalid(event.date, "event", "reversals need a full replay (Loan::state_as_of)"));
        }
        self.engine.advance(event.date);
        self.engine.apply(event, &HashSet::new())
    }

    /// Moves the clock to the end of `date` (accrues penalty, settles revolving interest, records changes).
    pub fn advance_to(&mut self, date: Date) {
        if self.engine.cursor.is_none_or(|c| c < date) {
            self.engine.advance(date);
        }
    }

    /// Lifecycle status now.
    pub fn status(&self) -> LoanStatus {
        self.engine.status
    }

    /// DPD, bucket, class and stage now.
    pub fn standing(&self) -> Standing {
        self.engine.standing
    }

    /// Everything due on or before `date` and unpaid, penalty included: what a borrower must pay to be current.
    pub fn due_by(&self, date: Date) -> Money {
        let unpaid: Money = self
            .engine
            .active()
            .filter(|i| i.due_date <= date)
            .map(|i| i.principal_unpaid() + i.interest_unpaid())
            .sum();
        unpaid + self.engine.penalty_due()
    }

    /// Principal not yet repaid.
    pub fn principal_outstanding(&self) -> Money {
        self.engine.active().map(InstallmentState::principal_unpaid).sum()
    }

    /// Installments, superseded ones included.
    pub fn installments(&self) -> &[InstallmentState] {
        &self.engine.installments
    }

    /// The full state at the end of `as_of` (not before the servicer's current date).
    pub fn state(&self, as_of: Date) -> LoanState {
        self.clone().into_state(as_of)
    }

    /// The full state at the end of `as_of`, consuming the servicer.
    pub fn into_state(mut self, as_of: Date) -> LoanState {
        self.advance_to(as_of);
        let as_of = self.engine.cursor.map_or(as_of, |c| c.max(as_of));
        self.engine.finish(as_of)
    }
}

fn breakdown_postings(b: &Breakdown, reallocates: Option<&RepaymentId>) -> Vec<Posting> {
    b.parts()
        .into_iter()
        .filter(|(_, m)| !m.is_zero())
        .map(|(component, amount)| Posting { component, amount, reallocates: reallocates.cloned() })
        .collect()
}

/// Revolving-line bookkeeping.
#[derive(Debug, Clone)]
struct Line {
    expiry: Date,
    draw_term_months: u32,
    next_settlement: Date,
    settlements: u32,
    accrued: UnroundedMoney,
}

/// The replay machine. Private: the public surface is [`Loan`] and [`Servicer`].
#[derive(Clone)]
struct Engine {
    terms: LoanTerms,
    rules: ClassificationRules,
    status: LoanStatus,
    method: Method,
    version: u32,
    installments: Vec<InstallmentState>,
    cursor: Option<Date>,
    penalty_accrued: UnroundedMoney,
    penalty_settled: Money,
    overpaid: Money,
    disbursed: Money,
    restructured: bool,
    written_off: bool,
    classification_override: Option<Override>,
    standing: Standing,
    line: Option<Line>,
    repayments: Vec<RepaymentRecord>,
    repayment_ids: HashSet<RepaymentId>,
    reversals_seen: HashSet<RepaymentId>,
    changes: Vec<StatusChange>,
}

impl Engine {
    fn new(terms: &LoanTerms, rules: ClassificationRules) -> Engine {
        let line = match terms.plan() {
            Plan::Revolving { validity_months, draw_term_months } => Some(Line {
                expiry: add_months(terms.start(), i32::try_from(*validity_months).unwrap_or(36)),
                draw_term_months: *draw_term_months,
                next_settlement: add_months(terms.start(), 1),
                settlements: 1,
                accrued: UnroundedMoney::ZERO,
            }),
            _ => None,
        };
        Engine {
            terms: terms.clone(),
            rules,
            status: LoanStatus::Applied,
            method: Method::ActualDays,
            version: 0,
            installments: Vec::new(),
            cursor: None,
            penalty_accrued: UnroundedMoney::ZERO,
            penalty_settled: Money::ZERO,
            overpaid: Money::ZERO,
            disbursed: Money::ZERO,
            restructured: false,
            written_off: false,
            classification_override: None,
            standing: Standing {
                dpd: 0,
                bucket: Bucket::Current,
                class: FiveCategory::Normal,
                floor: FiveCategory::Normal,
                stage: IfrsStage::Stage1,
            },
            line,
            repayments: Vec::new(),
            repayment_ids: HashSet::new(),
            reversals_seen: HashSet::new(),
            changes: Vec::new(),
        }
    }

    fn active(&self) -> impl Iterator<Item = &InstallmentState> {
        self.installments.iter().filter(|i| !i.superseded)
    }

    fn rounding(&self) -> domain::Rounding {
        self.terms.conventions().rounding
    }

    fn penalty_due(&self) -> Money {
        (self.penalty_accrued.round(self.rounding()) - self.penalty_settled).max(Money::ZERO)
    }

    /// Due date of the oldest installment with anything unpaid.
    fn oldest_unpaid(&self) -> Option<Date> {
        self.active().filter(|i| !i.settled()).map(|i| i.due_date).min()
    }

    fn dpd_on(&self, day: Date) -> u32 {
        self.oldest_unpaid().map_or(0, |o| u32::try_from(days_between(o, day).max(0)).unwrap_or(u32::MAX))
    }

    /// Accrues penalty (and revolving interest) for every day after the cursor up to and including `to`, records
    /// every change of standing on the day it happens, and settles revolving interest on settlement days.
    fn advance(&mut self, to: Date) {
        let Some(mut cursor) = self.cursor else {
            self.cursor = Some(to);
            return;
        };
        if !self.status.in_servicing() && self.status != LoanStatus::WrittenOff {
            self.cursor = Some(to.max(cursor));
            return;
        }
        while cursor < to {
            let start = cursor + chrono::Duration::days(1);
            // The segment ends at the next day on which the base amounts change: a due date (principal becomes
            // overdue the day after) or a revolving settlement.
            if let Some(line) = self.line.as_mut() {
                // Settlement days passed while nothing was drawn are skipped.
                while line.next_settlement < start {
                    line.settlements += 1;
                    line.next_settlement =
                        add_months(self.terms.start(), i32::try_from(line.settlements).unwrap_or(i32::MAX));
                }
            }
            let mut end = to;
            for i in self.active().filter(|i| i.due_date >= start) {
                end = end.min(i.due_date);
            }
            if let Some(line) = &self.line {
                if line.next_settlement >= start {
                    end = end.min(line.next_settlement);
                }
            }
            let days = days_between(start, end) + 1;
            let overdue_principal: Money =
                self.active().filter(|i| i.due_date < start).map(InstallmentState::principal_unpaid).sum();
            let penalty = self.terms.penalty_rate().simple_interest(overdue_principal, days, self.day_count());
            self.penalty_accrued = self.penalty_accrued + penalty;
            if self.line.is_some() {
                let performing: Money =
                    self.active().filter(|i| i.due_date >= start).map(InstallmentState::principal_unpaid).sum();
                let interest = self.terms.annual_rate().simple_interest(performing, days, self.day_count());
                if let Some(line) = self.line.as_mut() {
                    line.accrued = line.accrued + interest;
                }
            }
            // Standing changes by the passage of time within [start, end].
            if let Some(oldest) = self.oldest_unpaid() {
                let mut points: Vec<Date> = Bucket::STARTS
                    .iter()
                    .chain(self.rules.change_points().iter())
                    .map(|t| oldest + chrono::Duration::days(i64::from(*t)))
                    .filter(|d| *d >= start && *d < end)
                    .collect();
                points.sort();
                points.dedup();
                for day in points {
                    let dpd = self.dpd_on(day);
                    self.observe(day, &format!("{dpd} days past due"));
                }
            }
            if self.line.as_ref().is_some_and(|l| l.next_settlement == end) {
                self.settle(end);
            }
            let dpd = self.dpd_on(end);
            let cause = if dpd == 0 { "installment fell due".to_string() } else { format!("{dpd} days past due") };
            self.observe(end, &cause);
            cursor = end;
        }
        self.cursor = Some(cursor);
    }

    fn day_count(&self) -> domain::DayCount {
        self.terms.conventions().day_count
    }

    /// Revolving settlement day: accrued interest becomes an installment due that day.
    fn settle(&mut self, day: Date) {
        let rounding = self.rounding();
        let Some(line) = self.line.as_mut() else { return };
        let interest = line.accrued.round(rounding);
        line.accrued = UnroundedMoney::ZERO;
        line.settlements += 1;
        line.next_settlement = add_months(self.terms.start(), i32::try_from(line.settlements).unwrap_or(i32::MAX));
        if interest.is_positive() {
            let seq = self.next_seq();
            let period_start = self.installments.iter().map(|i| i.period_start).max().unwrap_or(day);
            self.installments.push(InstallmentState {
                seq,
                version: self.version.max(1),
                period_start: period_start.min(day),
                due_date: day,
                principal: Money::ZERO,
                interest,
                principal_paid: Money::ZERO,
                interest_paid: Money::ZERO,
                superseded: false,
                months: 1,
                principal_weight: 0,
            });
        }
    }

    fn next_seq(&self) -> u32 {
        self.installments.last().map_or(1, |i| i.seq + 1)
    }

    /// Records any change in status, bucket, class or stage on `day`.
    fn observe(&mut self, day: Date, cause: &str) {
        let dpd = self.dpd_on(day);
        let floor = self.rules.floor(dpd, self.restructured);
        let mut class = match &self.classification_override {
            Some(o) => floor.max(o.class),
            None => floor,
        };
        if self.written_off {
            class = FiveCategory::Loss;
        }
        let stage = self.rules.stage(dpd, self.restructured, class);
        let standing = Standing { dpd, bucket: Bucket::of(dpd), class, floor, stage };
        let old = self.standing;
        let mut record =
            |change: Change| self.changes.push(StatusChange { date: day, change, cause: cause.to_string() });
        if old.bucket != standing.bucket {
            record(Change::Bucket { from: old.bucket, to: standing.bucket });
        }
        if old.class != standing.class {
            record(Change::Class { from: old.class, to: standing.class });
        }
        if old.stage != standing.stage {
            record(Change::Stage { from: old.stage, to: standing.stage });
        }
        self.standing = standing;
        if self.status.in_servicing() {
            let target = self.servicing_status(day, dpd);
            if target != self.status {
                // These moves are legal from every servicing state by construction; a failure is a bug.
                let moved = match target {
                    LoanStatus::Overdue => self.status.mark_overdue(),
                    LoanStatus::Active if self.status == LoanStatus::Overdue => self.status.cure(),
                    LoanStatus::Active => self.status.fall_due(),
                    LoanStatus::Closed => self.status.close(),
                    _ => Ok(self.status),
                };
                let to = moved.expect("servicing moves between disbursed, active, overdue and closed are legal");
                if to != self.status {
                    self.changes.push(StatusChange {
                        date: day,
                        change: Change::Status { from: self.status, to },
                        cause: cause.to_string(),
                    });
                    self.status = to;
                }
            }
        }
    }

    fn servicing_status(&self, day: Date, dpd: u32) -> LoanStatus {
        let nothing_owed = self.active().all(InstallmentState::settled) && self.penalty_due().is_zero();
        let line_open =
            self.line.as_ref().is_some_and(|l| day < l.expiry || !l.accrued.round(self.rounding()).is_zero());
        if nothing_owed && self.disbursed.is_positive() && !line_open {
            LoanStatus::Closed
        } else if dpd > 0 {
            LoanStatus::Overdue
        } else if self.active().any(|i| i.due_date <= day) || self.status == LoanStatus::Active {
            LoanStatus::Active
        } else {
            LoanStatus::Disbursed
        }
    }

    fn transition(
        &mut self,
        date: Date,
        moved: Result<LoanStatus, TransitionError>,
        cause: &str,
    ) -> Result<(), ServicingError> {
        let to = moved.map_err(|source| ServicingError::Transition { date, source })?;
        if to != self.status {
            self.changes.push(StatusChange {
                date,
                change: Change::Status { from: self.status, to },
                cause: cause.to_string(),
            });
            self.status = to;
        }
        Ok(())
    }

    fn apply(&mut self, dated: &DatedEvent, reversed: &HashSet<&RepaymentId>) -> Result<(), ServicingError> {
        let date = dated.date;
        let label = dated.event.label();
        match &dated.event {
            LoanEvent::Approved { by } => {
                require_text(date, "by", by)?;
                self.transition(date, self.status.approve(), &label)?;
            }
            LoanEvent::Referred { reason } => {
                require_text(date, "reason", reason)?;
                self.transition(date, self.status.refer(), &label)?;
            }
            LoanEvent::Declined { reason } => {
                require_text(date, "reason", reason)?;
                self.transition(date, self.status.decline(), &label)?;
            }
            LoanEvent::Disbursed { amount } => self.disburse(date, *amount, &label)?,
            LoanEvent::Repaid { id, amount } => {
                if !amount.is_positive() {
                    return Err(invalid(date, "amount", format!("must be greater than zero, got {amount}")));
                }
                if self.repayment_ids.contains(id) {
                    return Err(invalid(date, "id", format!("{id} was already posted")));
                }
                self.status.accept_repayment().map_err(|source| ServicingError::Transition { date, source })?;
                let breakdown = if reversed.contains(id) { Breakdown::default() } else { self.repay(date, *amount)? };
                self.repayment_ids.insert(id.clone());
                self.repayments.push(RepaymentRecord {
                    id: id.clone(),
                    date,
                    amount: *amount,
                    breakdown,
                    reversed: reversed.contains(id),
                });
            }
            LoanEvent::Reversed { of, reason, .. } => {
                require_text(date, "reason", reason)?;
                if !self.repayment_ids.contains(of) {
                    return Err(invalid(date, "of", format!("no repayment {of} was posted on or before {date}")));
                }
                if !self.reversals_seen.insert(of.clone()) {
                    return Err(invalid(date, "of", format!("{of} is already reversed")));
                }
            }
            LoanEvent::Restructured { terms } => {
                self.transition(date, self.status.restructure(), &label)?;
                self.restructure(date, terms)?;
            }
            LoanEvent::Deferred { months, interest, reason } => {
                require_text(date, "reason", reason)?;
                self.status.defer().map_err(|source| ServicingError::Transition { date, source })?;
                self.defer(date, *months, *interest)?;
            }
            LoanEvent::Reclassified { class, reason, approver } => {
                require_text(date, "reason", reason)?;
                require_text(date, "approver", approver)?;
                self.status.reclassify().map_err(|source| ServicingError::Transition { date, source })?;
                let floor = self.rules.floor(self.dpd_on(date), self.restructured);
                if *class < floor {
                    return Err(invalid(
                        date,
                        "class",
                        format!("{} is better than the DPD floor {} on {date}", class.name_zh(), floor.name_zh()),
                    ));
                }
                self.classification_override =
                    Some(Override { class: *class, reason: reason.clone(), approver: approver.clone(), date });
            }
            LoanEvent::WrittenOff { reason, approver } => {
                require_text(date, "reason", reason)?;
                require_text(date, "approver", approver)?;
                self.transition(date, self.status.write_off(), &label)?;
                self.written_off = true;
            }
        }
        self.observe(date, &label);
        Ok(())
    }

    fn disburse(&mut self, date: Date, amount: Money, label: &str) -> Result<(), ServicingError> {
        if !amount.is_positive() {
            return Err(invalid(date, "amount", format!("must be greater than zero, got {amount}")));
        }
        match self.line.clone() {
            None => {
                if amount != self.terms.principal() {
                    return Err(invalid(
                        date,
                        "amount",
                        format!("{amount} differs from the approved principal {}", self.terms.principal()),
                    ));
                }
                self.transition(date, self.status.disburse(), label)?;
                self.terms = self.terms.clone().starting(date);
                let sk = skeleton(&self.terms);
                self.version = 1;
                self.method = sk.method;
                let installments = amortize(&self.terms, sk.method, amount, date, &sk.periods, 1);
                self.push_schedule(&installments, &sk.periods);
            }
            Some(line) => {
                if date < self.terms.start() || date >= line.expiry {
                    return Err(invalid(
                        date,
                        "date",
                        format!("draws are allowed from {} until {} (exclusive)", self.terms.start(), line.expiry),
                    ));
                }
                if self.status == LoanStatus::Approved {
                    self.transition(date, self.status.disburse(), label)?;
                    self.version = 1;
                } else if self.status == LoanStatus::Overdue {
                    return Err(invalid(date, "amount", "no new draws while the line is overdue"));
                } else if !self.status.in_servicing() {
                    return Err(ServicingError::Transition {
                        date,
                        source: TransitionError { from: self.status, action: "draw on" },
                    });
                }
                let drawn: Money = self.active().map(InstallmentState::principal_unpaid).sum();
                let available = self.terms.principal() - drawn;
                if amount > available {
                    return Err(invalid(date, "amount", format!("{amount} exceeds the available limit {available}")));
                }
                let due = add_months(date, i32::try_from(line.draw_term_months).unwrap_or(12)).min(line.expiry);
                let seq = self.next_seq();
                self.installments.push(InstallmentState {
                    seq,
                    version: 1,
                    period_start: date,
                    due_date: due,
                    principal: amount,
                    interest: Money::ZERO,
                    principal_paid: Money::ZERO,
                    interest_paid: Money::ZERO,
                    superseded: false,
                    months: 0,
                    principal_weight: 1,
                });
            }
        }
        self.disbursed = total(date, "disbursed", self.disbursed.checked_add(amount))?;
        Ok(())
    }

    fn push_schedule(&mut self, installments: &[Installment], periods: &[Period]) {
        for (i, p) in installments.iter().zip(periods) {
            self.installments.push(InstallmentState {
                seq: i.seq,
                version: self.version,
                period_start: i.period_start,
                due_date: i.due_date,
                principal: i.principal,
                interest: i.interest,
                principal_paid: Money::ZERO,
                interest_paid: Money::ZERO,
                superseded: false,
                months: p.months,
                principal_weight: p.principal_weight,
            });
        }
    }

    /// Splits a repayment by the product's waterfall; what is left prepays principal, then is held as
    /// overpayment. Each part paid is at most what is unpaid, so only the running totals over repayments (penalty
    /// settled, overpaid) can grow without bound, and they are checked.
    fn repay(&mut self, date: Date, amount: Money) -> Result<Breakdown, ServicingError> {
        let mut left = amount;
        let mut b = Breakdown::default();
        let current = self.installments.iter().position(|i| !i.superseded && i.due_date >= date);
        let order = self.terms.conventions().waterfall.order().to_vec();
        for component in order {
            if left.is_zero() {
                break;
            }
            match component {
                Component::Penalty => {
                    let pay = left.min(self.penalty_due());
                    self.penalty_settled = total(date, "penalty", self.penalty_settled.checked_add(pay))?;
                    b.penalty = pay;
                    left = left - pay;
                }
                Component::OverdueInterest => {
                    b.overdue_interest = self.pay_each(&mut left, |i| i.due_date < date, true);
                }
                Component::OverduePrincipal => {
                    b.overdue_principal = self.pay_each(&mut left, |i| i.due_date < date, false);
                }
                Component::CurrentInterest => {
                    if self.line.is_some() {
                        let mut paid = self.pay_each(&mut left, |i| i.due_date >= date, true);
                        let rounding = self.rounding();
                        if let Some(line) = self.line.as_mut() {
                            let accrued = line.accrued.round(rounding).max(Money::ZERO);
                            let pay = left.min(accrued);
                            line.accrued = line.accrued - pay.to_unrounded();
                            left = left - pay;
                            paid = paid + pay;
                        }
                        b.current_interest = paid;
                    } else if let Some(c) = current {
                        b.current_interest = self.pay_one(&mut left, c, true);
                    }
                }
                Component::CurrentPrincipal => {
                    if self.line.is_some() {
                        b.current_principal = self.pay_each(&mut left, |i| i.due_date >= date, false);
                    } else if let Some(c) = current {
                        b.current_principal = self.pay_one(&mut left, c, false);
                    }
                }
            }
        }
        if left.is_positive() {
            if let (Some(c), None) = (current, &self.line) {
                b.prepaid_principal = self.prepay(c, &mut left);
            }
        }
        b.overpayment = left;
        self.overpaid = total(date, "overpaid", self.overpaid.checked_add(left))?;
        debug_assert_eq!(b.total(), amount);
        Ok(b)
    }

    fn pay_one(&mut self, left: &mut Money, index: usize, interest: bool) -> Money {
        let inst = &mut self.installments[index];
        let unpaid = if interest { inst.interest_unpaid() } else { inst.principal_unpaid() };
        let pay = (*left).min(unpaid);
        if interest {
            inst.interest_paid = inst.interest_paid + pay;
        } else {
            inst.principal_paid = inst.principal_paid + pay;
        }
        *left = *left - pay;
        pay
    }

    fn pay_each(&mut self, left: &mut Money, which: impl Fn(&InstallmentState) -> bool, interest: bool) -> Money {
        let mut indices: Vec<usize> = (0..self.installments.len())
            .filter(|i| !self.installments[*i].superseded && which(&self.installments[*i]))
            .collect();
        indices.sort_by_key(|i| (self.installments[*i].due_date, self.installments[*i].seq));
        let mut total = Money::ZERO;
        for i in indices {
            if left.is_zero() {
                break;
            }
            total = total + self.pay_one(left, i, interest);
        }
        total
    }

    /// Prepays principal of the installments after the current one and re-amortises them over their own due
    /// dates with the product's method. The current period's interest stays as scheduled.
    fn prepay(&mut self, current: usize, left: &mut Money) -> Money {
        let after: Vec<usize> =
            (current + 1..self.installments.len()).filter(|i| !self.installments[*i].superseded).collect();
        let future_principal: Money = after.iter().map(|i| self.installments[*i].principal_unpaid()).sum();
        let pay = (*left).min(future_principal);
        if pay.is_zero() {
            return Money::ZERO;
        }
        let balance = future_principal - pay;
        let periods: Vec<Period> = after
            .iter()
            .map(|i| {
                let s = &self.installments[*i];
                Period { due_date: s.due_date, months: s.months, principal_weight: s.principal_weight }
            })
            .collect();
        let accrual_start = self.installments[current].due_date;
        let first_seq = self.installments[after[0]].seq;
        let fresh = amortize(&self.terms, self.method, balance, accrual_start, &periods, first_seq);
        for (slot, inst) in after.iter().zip(fresh) {
            let s = &mut self.installments[*slot];
            s.principal = inst.principal;
            s.interest = inst.interest;
        }
        // The prepaid principal is recorded on the current installment as due and paid, so the principal of all
        // installments still sums to what was disbursed.
        let c = &mut self.installments[current];
        c.principal = c.principal + pay;
        c.principal_paid = c.principal_paid + pay;
        *left = *left - pay;
        pay
    }

    fn restructure(&mut self, date: Date, new: &RestructureTerms) -> Result<(), ServicingError> {
        if self.line.is_some() {
            return Err(invalid(
                date,
                "product",
                "a revolving line cannot be restructured; close it and book a term loan",
            ));
        }
        let rounding = self.rounding();
        let principal: Money = self.active().map(InstallmentState::principal_unpaid).sum();
        let overdue_interest: Money =
            self.active().filter(|i| i.due_date < date).map(InstallmentState::interest_unpaid).sum();
        // Interest earned in the current period up to the restructuring date, pro rata by days.
        let accrued_current = self
            .active()
            .find(|i| i.due_date >= date)
            .map(|i| {
                let period_days = days_between(i.period_start, i.due_date).max(1);
                let elapsed = days_between(i.period_start, date).clamp(0, period_days);
                let earned =
                    i.interest.times(Decimal::from(elapsed)).divided_by(Decimal::from(period_days)).round(rounding);
                (earned - i.interest_paid).max(Money::ZERO)
            })
            .unwrap_or(Money::ZERO);
        let penalty = self.penalty_due();
        let arrears = total(date, "arrears", Money::checked_sum([overdue_interest, accrued_current, penalty]))?;
        if principal.is_zero() && arrears.is_zero() {
            return Err(invalid(date, "terms", "nothing is outstanding to restructure"));
        }
        self.penalty_settled = total(date, "penalty", self.penalty_settled.checked_add(penalty))?;
        for i in self.installments.iter_mut().filter(|i| !i.superseded) {
            i.superseded = true;
        }
        let new_principal =
            if new.capitalise_arrears { total(date, "principal", principal.checked_add(arrears))? } else { principal };
        let rate = new.annual_rate.unwrap_or(self.terms.annual_rate());
        self.terms = self.terms.restructured(new.plan.clone(), new_principal.max(Money::from_fen(1)), rate, date);
        let sk = skeleton(&self.terms);
        self.version += 1;
        self.method = sk.method;
        let mut fresh = amortize(&self.terms, sk.method, new_principal, date, &sk.periods, self.next_seq());
        if !new.capitalise_arrears {
            if let Some(first) = fresh.first_mut() {
                first.interest = total(date, "interest", first.interest.checked_add(arrears))?;
            }
        }
        self.push_schedule(&fresh, &sk.periods);
        self.restructured = true;
        Ok(())
    }

    fn defer(&mut self, date: Date, months: u32, interest: DeferralInterest) -> Result<(), ServicingError> {
        if self.line.is_some() {
            return Err(invalid(
                date,
                "product",
                "revolving lines are not deferred; their draws can be repaid at any time",
            ));
        }
        if !(1..=12).contains(&months) {
            return Err(invalid(date, "months", format!("{months} is out of range (1–12)")));
        }
        let shift = i32::try_from(months).unwrap_or(12);
        let deferred: Vec<usize> = (0..self.installments.len())
            .filter(|i| {
                let s = &self.installments[*i];
                !s.superseded && !s.settled() && s.due_date >= date
            })
            .collect();
        let Some(first) = deferred.first().copied() else {
            return Err(invalid(date, "months", "no installment falls due on or after the deferral date"));
        };
        let old_due = self.installments[first].due_date;
        let principal: Money = deferred.iter().map(|i| self.installments[*i].principal_unpaid()).sum();
        for i in &deferred {
            let s = &mut self.installments[*i];
            s.due_date = add_months(s.due_date, shift);
        }
        if interest == DeferralInterest::Charged {
            let extra_days = days_between(old_due, self.installments[first].due_date);
            let extra = self
                .terms
                .annual_rate()
                .simple_interest(principal, extra_days, self.day_count())
                .round(self.rounding());
            let s = &mut self.installments[first];
            s.interest = total(date, "interest", s.interest.checked_add(extra))?;
        }
        Ok(())
    }

    fn finish(self, as_of: Date) -> LoanState {
        let principal_outstanding: Money = self.active().map(InstallmentState::principal_unpaid).sum();
        let principal_overdue: Money =
            self.active().filter(|i| i.due_date < as_of).map(InstallmentState::principal_unpaid).sum();
        let interest_overdue: Money =
            self.active().filter(|i| i.due_date < as_of).map(InstallmentState::interest_unpaid).sum();
        let interest_accrued = self.line.as_ref().map_or(Money::ZERO, |l| l.accrued.round(self.rounding()));
        let penalty_due = self.penalty_due();
        LoanState {
            as_of,
            status: self.status,
            standing: self.standing,
            rules: self.rules.name.to_string(),
            restructured: self.restructured,
            classification_override: self.classification_override,
            installments: self.installments,
            disbursed: self.disbursed,
            principal_outstanding,
            principal_overdue,
            interest_overdue,
            interest_accrued,
            penalty_due,
            overpaid: self.overpaid,
            repayments: self.repayments,
            changes: self.changes,
        }
    }
}

fn require_text(date: Date, field: &'static str, text: &str) -> Result<(), ServicingError> {
    if text.trim().is_empty() { Err(invalid(date, field, "is required")) } else { Ok(()) }
}
