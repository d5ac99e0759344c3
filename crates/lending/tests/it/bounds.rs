//! Amounts without bounds, found by an attack on a running server: a repayment of 9,999,999,999,999.99 yuan on a
//! 25,000 loan was accepted, and thousands of repayments on one loan ended in a `money overflow` panic. A
//! repayment is bounded by what the loan can take plus the overpayment margin; a running total that overflows is
//! an error naming it, never a panic.

use domain::{Money, RepaymentId};
use lending::{Conventions, DatedEvent, Loan, LoanEvent, LoanStatus, ServicingError};

use crate::{at, booked, d, loan, repay, terms, y};

fn repaid(date: &str, id: &str, amount: Money) -> DatedEvent {
    at(date, LoanEvent::Repaid { id: RepaymentId::parse(id).expect("valid id"), amount })
}

fn reversal(date: &str, id: &str, of: &str) -> DatedEvent {
    at(
        date,
        LoanEvent::Reversed {
            id: RepaymentId::parse(id).expect("valid id"),
            of: RepaymentId::parse(of).expect("valid id"),
            reason: "posted in error".into(),
        },
    )
}

fn field_of(err: &ServicingError) -> &'static str {
    match err {
        ServicingError::Invalid { field, .. } => field,
        ServicingError::Transition { .. } => "(transition)",
    }
}

/// A 25,000 equal-installment loan disbursed on 2026-03-01.
fn small_loan() -> (Loan, Vec<DatedEvent>) {
    let l = loan(terms("equal-installment", |r| r.principal = Some("25000".into())));
    let events = booked(&l, "2026-03-01");
    (l, events)
}

#[test]
fn a_repayment_beyond_what_the_loan_can_take_plus_the_margin_is_refused() {
    let (l, events) = small_loan();
    let err = l.check_append(&events, &repay("2026-04-15", "huge", "9999999999.99")).expect_err("far too much");
    assert_eq!(field_of(&err), "amount", "{err}");
    assert!(err.to_string().contains("9999999999.99 is more than the loan can take"), "{err}");
    // The payoff on 04-15 plus the 1,000 yuan margin is the most it takes; one fen more is refused.
    let payoff = l.state_as_of(&events, d("2026-04-15")).expect("replay").payoff();
    let most = payoff + Conventions::DEFAULT_OVERPAYMENT_MARGIN;
    let err = l.check_append(&events, &repaid("2026-04-15", "r1", most + Money::from_fen(1))).expect_err("one fen");
    assert!(err.to_string().contains(&format!("so at most {most}")), "{err}");
    let (state, _) = l.check_append(&events, &repaid("2026-04-15", "r1", most)).expect("within the margin");
    assert_eq!((state.status, state.overpaid), (LoanStatus::Closed, Conventions::DEFAULT_OVERPAYMENT_MARGIN));
    // With a margin of zero, exactly the payoff is accepted and not a fen more.
    let strict = loan(l.terms().clone().with_overpayment_margin(Money::ZERO).expect("valid margin"));
    assert!(strict.check_append(&events, &repaid("2026-04-15", "r1", payoff)).is_ok());
    assert!(strict.check_append(&events, &repaid("2026-04-15", "r1", payoff + Money::from_fen(1))).is_err());
    assert!(l.terms().clone().with_overpayment_margin(Money::from_fen(-1)).is_err());
}

#[test]
fn the_overpayment_held_never_exceeds_the_margin_over_many_repayments() {
    // A revolving line stays open until it expires, so it can be overpaid again and again.
    let l = loan(terms("revolving", |r| r.principal = Some("50000".into())));
    let mut events = vec![at("2026-03-01", LoanEvent::Approved { by: "officer".into() })];
    events.push(at("2026-03-05", LoanEvent::Disbursed { amount: y("20000") }));
    let payoff = l.state_as_of(&events, d("2026-03-05")).expect("replay").payoff();
    assert_eq!(payoff, y("20000"));
    events.push(repaid("2026-03-05", "r1", payoff + y("600")));
    l.check_append(&events[..2], &events[2]).expect("600 over: within the margin");
    let err = l.check_append(&events, &repay("2026-03-06", "r2", "500")).expect_err("would hold 1100");
    assert!(err.to_string().contains("at most 400.00 more may be held"), "{err}");
    events.push(repay("2026-03-06", "r2", "400"));
    let (state, _) = l.check_append(&events[..3], &events[3]).expect("exactly the margin");
    assert_eq!(state.overpaid, y("1000"));
    assert!(l.check_append(&events, &repay("2026-03-07", "r3", "0.01")).is_err());
}

#[test]
fn a_repayment_dated_before_the_disbursement_is_refused() {
    let (l, events) = small_loan();
    let events: Vec<DatedEvent> = events
        .into_iter()
        .map(|e| if e.date == d("2026-03-01") { DatedEvent { date: d("2026-03-10"), ..e } } else { e })
        .collect();
    let err = l.check_append(&events, &repay("2026-03-09", "early", "100")).expect_err("before the money left");
    assert_eq!(err.to_string(), "2026-03-09: date: is before the disbursement on 2026-03-10");
    assert!(l.check_append(&events, &repay("2026-03-10", "same-day", "100")).is_ok());
}

/// A written-off loan accepts recoveries for ever and a revolving line until it expires: neither closes, so
/// before the bound their overpayment grew with every repayment.
fn open_ended_loans() -> Vec<(Loan, Vec<DatedEvent>)> {
    let (l, mut written_off) = small_loan();
    written_off
        .push(at("2027-06-01", LoanEvent::WrittenOff { reason: "uncollectable".into(), approver: "board".into() }));
    let line = loan(terms("revolving", |r| r.principal = Some("50000".into())));
    let drawn = vec![
        at("2026-03-01", LoanEvent::Approved { by: "officer".into() }),
        at("2026-03-05", LoanEvent::Disbursed { amount: y("20000") }),
    ];
    vec![(l, written_off), (line, drawn)]
}

#[test]
fn thousands_of_maximal_repayments_end_in_an_error_never_a_panic() {
    for (l, mut events) in open_ended_loans() {
        let base = events.clone();
        let day = events.iter().map(|e| e.date).max().expect("events").to_string();
        // Posted as the server does, through check_append: every maximal amount is refused, and the largest
        // legal repayment, reversed each time so the loan keeps taking more, is accepted every time.
        for i in 0..2_000 {
            let attempt = repaid(&day, &format!("max-{i}"), Money::MAX_INPUT);
            let err = l.check_append(&events, &attempt).expect_err("more than the loan can take");
            assert_eq!(field_of(&err), "amount", "{err}");
            if i % 10 == 0 {
                let payoff = l.state_as_of(&events, d(&day)).expect("replay").payoff();
                let legal = repaid(&day, &format!("legal-{i}"), payoff + Conventions::DEFAULT_OVERPAYMENT_MARGIN);
                l.check_append(&events, &legal).expect("payoff plus the margin");
                events.push(legal);
                let undo = reversal(&day, &format!("undo-{i}"), &format!("legal-{i}"));
                l.check_append(&events, &undo).expect("a reversal");
                events.push(undo);
            }
        }
        let state = l.state_as_of(&events, d(&day)).expect("replay");
        assert_eq!(state.overpaid, Money::ZERO, "every legal repayment was reversed");
        assert_eq!(state.repayments.len(), 200);

        // The attack's history, as a store written before the bound may hold it (or any caller that skips
        // check_append): thousands of repayments of the old input bound, 9,999,999,999,999.99 yuan. Their sum
        // passes i64::MAX after 9,224 of them: the replay now stops there with an error naming the total.
        let old_bound = Money::from_fen(999_999_999_999_999);
        let mut attack = events.clone();
        attack.extend((0..10_000).map(|i| repaid(&day, &format!("attack-{i}"), old_bound)));
        let err = l.state_as_of(&attack, d(&day)).expect_err("the overpaid total overflows");
        assert!(err.is_overflow() && field_of(&err) == "overpaid", "{err}");
        // The incremental servicer (which takes no reversals) stops with the same error.
        let mut servicer = l.servicer();
        let stream = base.iter().chain(attack.iter().filter(|e| e.event.label().starts_with("repayment attack")));
        let first_error = stream.into_iter().find_map(|e| servicer.apply(e).err()).expect("the servicer stops too");
        assert!(first_error.is_overflow(), "{first_error}");
        // And check_append refuses the next repayment on such a history instead of panicking.
        assert!(l.check_append(&attack, &repay(&day, "one-more", "1")).is_err());
    }
}
