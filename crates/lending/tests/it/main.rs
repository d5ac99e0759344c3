//! Integration tests of the lending engine: servicing scenarios, property tests and golden schedules.

mod bounds;
mod golden;
mod properties;
mod scenarios;

use domain::{CropCalendar, Date, Money, RepaymentId, parse_date};
use lending::{ClassificationRules, DatedEvent, Loan, LoanEvent, LoanTerms, TermsRequest};

/// A date from text; test input is always valid.
pub fn d(text: &str) -> Date {
    parse_date(text).expect("valid test date")
}

/// Yuan from text.
pub fn y(text: &str) -> Money {
    Money::parse_yuan(text).expect("valid test amount")
}

/// Terms for `product` with the usual test figures, adjusted by `edit`.
pub fn terms(product: &str, edit: impl FnOnce(&mut TermsRequest)) -> LoanTerms {
    let mut req =
        TermsRequest { term_months: Some(12), ..TermsRequest::new(product, "100000", "0.0435", "2026-03-01") };
    edit(&mut req);
    LoanTerms::new(&req, &CropCalendar::china_default()).expect("valid test terms")
}

/// The seasonal loan of the acceptance example: 50000 at 5% from 2026-03-10, harvest in October.
pub fn harvest_bullet_50k() -> LoanTerms {
    terms("harvest-bullet", |r| {
        r.principal = Some("50000".into());
        r.annual_rate = Some("0.05".into());
        r.start = Some("2026-03-10".into());
        r.term_months = None;
        r.harvest_month = Some(10);
    })
}

/// A loan under the 2023 rules.
pub fn loan(terms: LoanTerms) -> Loan {
    Loan::new(terms, ClassificationRules::CBIRC_2023)
}

/// An event on a date.
pub fn at(date: &str, event: LoanEvent) -> DatedEvent {
    DatedEvent { date: d(date), event }
}

/// A repayment event.
pub fn repay(date: &str, id: &str, amount: &str) -> DatedEvent {
    at(date, LoanEvent::Repaid { id: RepaymentId::parse(id).expect("valid id"), amount: y(amount) })
}

/// Approval and disbursement of the full principal on `date`.
pub fn booked(loan: &Loan, date: &str) -> Vec<DatedEvent> {
    vec![
        at(date, LoanEvent::Approved { by: "officer".into() }),
        at(date, LoanEvent::Disbursed { amount: loan.terms().principal() }),
    ]
}
