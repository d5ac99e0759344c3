//! Loans booked through agririsk, as monitoring reads the book: the same `loans` and `repayments` records the
//! lender's core system sends, so one set of detectors watches both, on the lending core's one DPD clock.
//!
//! A booked loan becomes a [`Loan`] record from its terms (value date: the first disbursement; maturity: the last
//! due date of the schedule in force; no collateral or crop is recorded at booking, so `credit-only` and none) and
//! [`Repayment`] rows from its events, one per day something happened or fell due: every due date and every event
//! date up to `through`, and the day after each due date, when the core starts counting an unpaid installment. A
//! row's `dpd_after` and `class_after` are the lending core's state at the end of that day
//! (`lending::Loan::state_as_of`); `amount_due` is what was past due at the end of the day before plus what fell due
//! that day, and `amount_paid` the repayments dated that day that are not reversed (a day-after row with nothing
//! due or paid carries zero amounts, so a shortfall is counted once). Between rows the DPD ages as the core's does,
//! so `lending::dpd_on` over these rows gives the core's figure on every day.
//!
//! Loans not yet disbursed are left out; a booked loan whose id is also an ingested loan's is left to the ingested
//! one (the core system's file is the record of that loan); a booked loan of a household with no ingested file
//! cannot be placed in a village and is counted, not watched.

use std::collections::{BTreeSet, HashMap, HashSet};

use domain::{Date, Money};
use features::input::{BorrowerRecords, CollateralCode, Loan, LoanClass, Repayment};
use lending::{DatedEvent, LoanEvent, LoanState};
use store::{LoanRecord, LoanStore};

use crate::error::Error;

/// What merging the booked loans did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BookedMerge {
    /// Booked loans added to their households' records.
    pub added: u32,
    /// Booked loans not yet disbursed by `through`.
    pub not_disbursed: u32,
    /// Booked loans whose id an ingested loan already has (the ingested record stands).
    pub also_ingested: u32,
    /// Booked loans of households with no ingested household file.
    pub unknown_household: u32,
}

/// The records of one booked loan through `through`: `None` when it was not disbursed by then.
pub fn records_of(
    record: &LoanRecord,
    events: &[DatedEvent],
    through: Date,
) -> Result<Option<(Loan, Vec<Repayment>)>, Error> {
    let Some(start) = events
        .iter()
        .filter(|e| e.date <= through && matches!(e.event, LoanEvent::Disbursed { .. }))
        .map(|e| e.date)
        .min()
    else {
        return Ok(None);
    };
    let loan = lending::Loan::new(record.terms.clone(), crate::loans::rules_named(&record.rules)?);
    let at_end = loan.state_as_of(events, through)?;
    let in_force = at_end.installments.iter().filter(|i| !i.superseded);
    let maturity = in_force.clone().map(|i| i.due_date).max().unwrap_or(through);
    let terms = Loan {
        loan_id: record.id.as_str().to_string(),
        household_id: record.borrower.as_str().to_string(),
        application_id: String::new(),
        product: record.terms.product(),
        principal: record.terms.principal(),
        annual_rate: record.terms.annual_rate().annual(),
        start_date: start,
        maturity_date: maturity,
        collateral: CollateralCode::CreditOnly,
        crop: None,
    };
    // Every day something fell due or happened, from the value date on, and the day after each due date, when the
    // core's clock starts counting an unpaid installment (a due date ends at 0 DPD).
    let due: BTreeSet<Date> = at_end.installments.iter().map(|i| i.due_date).collect();
    let happened: BTreeSet<Date> = events.iter().map(|e| e.date).collect();
    let mut days: BTreeSet<Date> = due.iter().chain(&happened).copied().collect();
    days.extend(due.iter().filter_map(|d| d.succ_opt()));
    let days: Vec<Date> = days.into_iter().filter(|d| *d >= start && *d <= through).collect();
    let mut rows = Vec::with_capacity(days.len());
    let mut before: Option<LoanState> = None;
    for day in days {
        let state = loan.state_as_of(events, day)?;
        let carried = match &before {
            Some(s) if s.as_of + chrono::Duration::days(1) == day => arrears(s),
            _ => arrears(&loan.state_as_of(events, day.pred_opt().unwrap_or(day))?),
        };
        let falling_due =
            state.installments.iter().filter(|i| i.due_date == day && !i.superseded).fold(Money::ZERO, |sum, i| {
                sum.checked_add(i.principal).and_then(|s| s.checked_add(i.interest)).unwrap_or(sum)
            });
        let paid = state
            .repayments
            .iter()
            .filter(|r| r.date == day && !r.reversed)
            .fold(Money::ZERO, |sum, r| sum.checked_add(r.amount).unwrap_or(sum));
        // A day on the clock alone carries no amounts: nothing was due or paid on it that the due date's row
        // did not already say, and a shortfall is counted once.
        let clock_only = !due.contains(&day) && !happened.contains(&day);
        let amount_due = if clock_only { Money::ZERO } else { carried.checked_add(falling_due).unwrap_or(carried) };
        rows.push(Repayment {
            loan_id: terms.loan_id.clone(),
            date: day,
            amount_due,
            amount_paid: paid,
            dpd_after: state.standing.dpd,
            class_after: LoanClass::parse(state.standing.class.code())
                .map_err(|e| Error::internal(format!("loan {}: {e}", terms.loan_id)))?,
        });
        before = Some(state);
    }
    Ok(Some((terms, rows)))
}

/// What is past due at the end of a state's day: overdue principal and interest, and penalty.
fn arrears(s: &LoanState) -> Money {
    s.principal_overdue
        .checked_add(s.interest_overdue)
        .and_then(|m| m.checked_add(s.penalty_due))
        .unwrap_or(s.principal_overdue)
}

/// A loan booked through agririsk with its events, as read from the loan store.
#[derive(Debug, Clone, PartialEq)]
pub struct BookedLoan {
    /// The loan as booked.
    pub record: LoanRecord,
    /// Its events in sequence order.
    pub events: Vec<DatedEvent>,
}

/// Reads the booked loans of these households, or every booked loan, with their events.
pub async fn read_booked<S: LoanStore>(store: &S, only: Option<&HashSet<String>>) -> Result<Vec<BookedLoan>, Error> {
    // A few households (an event's): their loans by the borrower index; the whole book: every loan at once.
    let records = match only {
        Some(only) => {
            let mut records = Vec::new();
            for household in only {
                if let Ok(borrower) = domain::BorrowerId::parse(household) {
                    records.extend(store.loans_of(&borrower).await?);
                }
            }
            records
        }
        None => store.loans().await?,
    };
    let mut booked = Vec::with_capacity(records.len());
    for record in records {
        let events = store.events(&record.id).await?.into_iter().map(|e| e.dated).collect();
        booked.push(BookedLoan { record, events });
    }
    Ok(booked)
}

/// Adds these booked loans, read through `through`, to their households' records beside the ingested ones. A
/// household's records are found by household id; the counts say what was left out and why.
pub fn merge_into<'a>(
    households: &mut [BorrowerRecords],
    booked: impl IntoIterator<Item = &'a BookedLoan>,
    through: Date,
) -> Result<BookedMerge, Error> {
    let mut merge = BookedMerge::default();
    let index: HashMap<String, usize> =
        households.iter().enumerate().map(|(i, r)| (r.household.household_id.clone(), i)).collect();
    let ingested: HashSet<String> = households.iter().flat_map(|r| r.loans.iter().map(|l| l.loan_id.clone())).collect();
    for BookedLoan { record, events } in booked {
        if ingested.contains(record.id.as_str()) {
            merge.also_ingested += 1;
            continue;
        }
        let Some(&at) = index.get(record.borrower.as_str()) else {
            merge.unknown_household += 1;
            continue;
        };
        match records_of(record, events, through)? {
            None => merge.not_disbursed += 1,
            Some((loan, rows)) => {
                let target = &mut households[at];
                target.loans.push(loan);
                target.repayments.extend(rows);
                merge.added += 1;
            }
        }
    }
    Ok(merge)
}

/// Adds every loan booked in `store` (disbursed by `through`), or those of the households `only` names, to their
/// households' records ([`read_booked`], [`merge_into`]).
pub async fn merge_booked<S: LoanStore>(
    store: &S,
    households: &mut [BorrowerRecords],
    through: Date,
    only: Option<&HashSet<String>>,
) -> Result<BookedMerge, Error> {
    let booked = read_booked(store, only).await?;
    merge_into(households, &booked, through)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::RepaymentId;
    use domain::{BorrowerId, LoanId};
    use lending::{LoanTerms, TermsRequest};

    fn day(text: &str) -> Date {
        domain::parse_date(text).expect("date")
    }

    fn record(terms: LoanTerms) -> LoanRecord {
        LoanRecord {
            id: LoanId::parse("L000001").expect("id"),
            borrower: BorrowerId::parse("H0000001").expect("borrower"),
            booked_on: terms.start(),
            terms,
            rules: "cbirc-2023".to_string(),
        }
    }

    fn monthly(principal: &str, months: i64) -> LoanTerms {
        let request = TermsRequest {
            term_months: Some(months),
            ..TermsRequest::new("equal-installment", principal, "0.06", "2026-01-01")
        };
        LoanTerms::new(&request, &domain::CropCalendar::china_default()).expect("terms")
    }

    fn repaid(date: &str, id: &str, yuan: i64) -> DatedEvent {
        DatedEvent {
            date: day(date),
            event: LoanEvent::Repaid { id: RepaymentId::parse(id).expect("id"), amount: Money::from_yuan(yuan) },
        }
    }

    #[test]
    fn a_booked_loan_reads_on_the_lending_cores_dpd_clock() {
        let terms = monthly("1200", 3);
        let record = record(terms.clone());
        let events = vec![
            DatedEvent { date: day("2026-01-01"), event: LoanEvent::Approved { by: "wang".into() } },
            DatedEvent { date: day("2026-01-01"), event: LoanEvent::Disbursed { amount: Money::from_yuan(1_200) } },
            repaid("2026-02-01", "R1", 406),
            // The March installment is missed; paid in full late.
            repaid("2026-04-20", "R2", 900),
        ];
        let (loan, rows) = records_of(&record, &events, day("2026-05-31")).expect("records").expect("disbursed");
        assert_eq!((loan.start_date, loan.maturity_date), (day("2026-01-01"), day("2026-04-01")));
        assert_eq!(loan.household_id, "H0000001");
        let core = lending::Loan::new(terms, crate::loans::rules_named("cbirc-2023").expect("rules"));
        for d in day("2026-01-01").iter_days().take_while(|d| *d <= day("2026-05-31")) {
            let expected = core.state_as_of(&events, d).expect("state").standing.dpd;
            assert_eq!(lending::dpd_on(&rows, d), expected, "DPD on {d}");
        }
        assert!(lending::dpd_on(&rows, day("2026-04-19")) > 0, "the missed installment shows");
        let missed: Vec<Date> = monitor::signals::missed_installments(&rows).collect();
        assert_eq!(missed.first(), Some(&day("2026-03-01")), "{rows:?}");
        let paid: Money = rows.iter().fold(Money::ZERO, |s, r| s.checked_add(r.amount_paid).expect("sum"));
        assert_eq!(paid, Money::from_yuan(1_306));
    }

    #[test]
    fn a_loan_not_yet_disbursed_is_not_on_the_book() {
        let record = record(monthly("1200", 3));
        let approved = vec![DatedEvent { date: day("2026-01-01"), event: LoanEvent::Approved { by: "wang".into() } }];
        assert!(records_of(&record, &approved, day("2026-03-01")).expect("records").is_none());
    }
}
