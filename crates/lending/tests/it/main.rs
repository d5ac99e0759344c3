//! Integration tests of the lending engine: servicing scenarios, property tests and golden schedules.

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
    let mut req = TermsRequest {
        product: Some(product.into()),
        principal: Some("100000".into()),
        annual_rate: Some("0.0435".into()),
        start: Some("2026-03-01".into()),
        term_months: Some(12),
        ..TermsRequest::default()
    };
    edit(&mut req);
    LoanTerms::new(&req, &CropCalendar::china_default()).expect("valid test terms")
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
