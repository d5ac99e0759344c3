//! Property tests: the invariants of schedules and servicing hold for every product and random valid terms.

use domain::{CropCalendar, Money, RepaymentId};
use lending::{ClassificationRules, DatedEvent, Loan, LoanEvent, LoanTerms, ProductKind, TermsRequest, schedule};
use proptest::prelude::*;

use crate::{at, d};

/// Random valid terms for any product.
fn any_terms() -> impl Strategy<Value = LoanTerms> {
    (
        0usize..6,
        100_000i64..50_000_000,             // principal in fen: 1,000.00 – 500,000.00
        0u32..=3600,                        // annual rate in basis points: 0 – 36%
        0i64..900,                          // start: days after 2025-01-01
        1i64..=36,                          // term months
        1i64..=12,                          // harvest month
        0i64..=2,                           // grace months
        prop_oneof![Just(0i64), 30i64..90], // interest-free days
        any::<bool>(),                      // quarterly interest
    )
        .prop_filter_map(
            "terms the validator accepts",
            |(p, fen, bp, start_days, term, harvest, grace, free_days, quarterly)| {
                let product = ProductKind::ALL[p];
                let start = d("2025-01-01") + chrono::Duration::days(start_days);
                let mut req = TermsRequest {
                    product: Some(product.code().into()),
                    principal: Some(Money::from_fen(fen).to_string()),
                    annual_rate: Some(domain::Rate::from_basis_points(bp).to_string()),
                    start: Some(start.to_string()),
                    term_months: Some(term),
                    grace_months: Some(grace),
                    ..TermsRequest::default()
                };
                if product.daily_interest() {
                    req.interest_free_days = Some(free_days);
                }
                match product {
                    ProductKind::HarvestBullet => {
                        req.term_months = None;
                        req.harvest_month = Some(harvest);
                    }
                    ProductKind::InterestOnly | ProductKind::LivestockBatch if quarterly => {
                        req.interest_every = Some("quarterly".into());
                    }
                    ProductKind::Revolving => {
                        req.grace_months = None;
                    }
                    _ => {}
                }
                LoanTerms::new(&req, &CropCalendar::china_default()).ok()
            },
        )
}

/// A loan disbursed at its start plus a random stream of repayments (and draws for revolving lines), keeping only
/// the events the engine accepts.
fn serviced() -> impl Strategy<Value = (Loan, Vec<DatedEvent>)> {
    (any_terms(), proptest::collection::vec((1i64..120, 1i64..2_000_000, any::<bool>()), 1..12)).prop_map(
        |(terms, steps)| {
            let loan = Loan::new(terms.clone(), ClassificationRules::CBIRC_2023);
            let start = terms.start();
            let first_draw = if terms.product() == ProductKind::Revolving {
                Money::from_fen((terms.principal().fen() / 2).max(1))
            } else {
                terms.principal()
            };
            let mut events = vec![
                DatedEvent { date: start, event: LoanEvent::Approved { by: "p".into() } },
                DatedEvent { date: start, event: LoanEvent::Disbursed { amount: first_draw } },
            ];
            let mut day = start;
            for (i, (gap, fen, draw)) in steps.into_iter().enumerate() {
                day += chrono::Duration::days(gap);
                let event = if draw && terms.product() == ProductKind::Revolving {
                    LoanEvent::Disbursed { amount: Money::from_fen(fen) }
                } else {
                    LoanEvent::Repaid {
                        id: RepaymentId::parse(&format!("r{i}")).expect("id"),
                        amount: Money::from_fen(fen),
                    }
                };
                let candidate = DatedEvent { date: day, event };
                if loan.check_append(&events, &candidate).is_ok() {
                    events.push(candidate);
                }
            }
            (loan, events)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn schedules_are_exact_and_non_negative(terms in any_terms()) {
        let s = schedule::build(&terms);
        prop_assert_eq!(s.total_principal(), terms.principal());
        prop_assert!(!s.installments.is_empty());
        for w in s.installments.windows(2) {
            prop_assert!(w[0].due_date < w[1].due_date);
        }
        for i in &s.installments {
            prop_assert!(!i.principal.is_negative() && !i.interest.is_negative());
            prop_assert!(i.due_date > terms.start());
        }
    }

    #[test]
    fn servicing_invariants((loan, events) in serviced(), days_after in 0i64..800) {
        let last = events.iter().map(|e| e.date).max().expect("events");
        let as_of = last + chrono::Duration::days(days_after);
        let s = loan.state_as_of(&events, as_of).expect("accepted events replay");
        // Every fen of every repayment is allocated, and no part is negative.
        for r in &s.repayments {
            prop_assert_eq!(r.breakdown.total(), r.amount);
            prop_assert!(r.breakdown.parts().iter().all(|(_, m)| !m.is_negative()));
        }
        // No balance is ever negative.
        for i in &s.installments {
            prop_assert!(!i.principal_unpaid().is_negative() && !i.interest_unpaid().is_negative());
            prop_assert!(!i.principal_paid.is_negative() && !i.interest_paid.is_negative());
        }
        prop_assert!(!s.principal_outstanding.is_negative() && !s.penalty_due.is_negative());
        // Principal is conserved: disbursed = repaid principal + outstanding (+ capitalised arrears, none here).
        let repaid_principal: Money = s.installments.iter().map(|i| i.principal_paid).sum();
        prop_assert_eq!(repaid_principal + s.principal_outstanding, s.disbursed);
        // The class is never better than the DPD floor.
        let rules = ClassificationRules::CBIRC_2023;
        prop_assert_eq!(s.standing.floor, rules.floor(s.standing.dpd, s.restructured));
        prop_assert!(s.standing.class >= s.standing.floor);
        // With no further events, the class and DPD never improve as time passes.
        let later = loan.state_as_of(&events, as_of + chrono::Duration::days(45)).expect("replay");
        prop_assert!(later.standing.class >= s.standing.class);
        prop_assert!(later.standing.dpd >= s.standing.dpd);
    }

    #[test]
    fn a_reversal_restores_the_exact_prior_state((loan, events) in serviced(), pick in any::<prop::sample::Index>(), delay in 0i64..60) {
        let repayments: Vec<(usize, RepaymentId, domain::Date)> = events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match &e.event {
                LoanEvent::Repaid { id, .. } => Some((i, id.clone(), e.date)),
                _ => None,
            })
            .collect();
        prop_assume!(!repayments.is_empty());
        let (index, id, date) = repayments[pick.index(repayments.len())].clone();
        let last = events.iter().map(|e| e.date).max().expect("events");
        let reversal_date = date + chrono::Duration::days(delay);
        let mut with = events.clone();
        with.push(at(&reversal_date.to_string(), LoanEvent::Reversed {
            id: RepaymentId::parse("rev").expect("id"),
            of: id,
            reason: "bounced".into(),
        }));
        let mut without = events.clone();
        without.remove(index);
        let as_of = last.max(reversal_date);
        // Later repayments that the engine accepted with the payment may be refused without it (a closed loan can
        // reopen); compare only when both histories replay.
        if let (Ok(a), Ok(b)) = (loan.state_as_of(&with, as_of), loan.state_as_of(&without, as_of)) {
            prop_assert_eq!(&a.installments, &b.installments);
            prop_assert_eq!(a.penalty_due, b.penalty_due);
            prop_assert_eq!(a.overpaid, b.overpaid);
            prop_assert_eq!(a.standing, b.standing);
            prop_assert_eq!(a.status, b.status);
            prop_assert_eq!(&a.changes, &b.changes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Posting events one by one — a back-dated reversal included — the ledger lines attributed to each repayment
    /// (its own lines, reversal lines and reallocation lines) always sum to its split in the final replay.
    #[test]
    fn the_ledger_always_sums_to_the_replayed_split((loan, events) in serviced(), pick in any::<prop::sample::Index>()) {
        use std::collections::HashMap;
        let mut ledger: HashMap<String, lending::Breakdown> = HashMap::new();
        let mut add = |id: &RepaymentId, component: &str, amount: Money| {
            let b = ledger.entry(id.to_string()).or_default();
            let slot = match component {
                "penalty" => &mut b.penalty,
                "overdue-interest" => &mut b.overdue_interest,
                "overdue-principal" => &mut b.overdue_principal,
                "current-interest" => &mut b.current_interest,
                "current-principal" => &mut b.current_principal,
                "prepaid-principal" => &mut b.prepaid_principal,
                _ => &mut b.overpayment,
            };
            *slot = *slot + amount;
        };
        let mut posted: Vec<DatedEvent> = Vec::new();
        let mut stream = events.clone();
        let repayments: Vec<(RepaymentId, domain::Date)> = events.iter().filter_map(|e| match &e.event {
            LoanEvent::Repaid { id, .. } => Some((id.clone(), e.date)),
            _ => None,
        }).collect();
        if !repayments.is_empty() {
            let (of, date) = repayments[pick.index(repayments.len())].clone();
            stream.push(at(&(date + chrono::Duration::days(1)).to_string(), LoanEvent::Reversed {
                id: RepaymentId::parse("rev").expect("id"), of, reason: "bounced".into(),
            }));
        }
        for event in stream {
            let Ok((_, postings)) = loan.check_append(&posted, &event) else { continue };
            let owner = match &event.event {
                LoanEvent::Repaid { id, .. } => Some(id.clone()),
                LoanEvent::Reversed { of, .. } => Some(of.clone()),
                _ => None,
            };
            for p in postings {
                match (&p.reallocates, &owner) {
                    (Some(target), _) => add(target, p.component, p.amount),
                    (None, Some(owner)) if p.component != "disbursement" => add(owner, p.component, p.amount),
                    _ => {}
                }
            }
            posted.push(event);
        }
        let last = posted.iter().map(|e| e.date).max().expect("events");
        let state = loan.state_as_of(&posted, last).expect("replay");
        for r in &state.repayments {
            let booked = ledger.get(r.id.as_str()).copied().unwrap_or_default();
            prop_assert_eq!(booked, r.breakdown, "repayment {}", r.id);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// The incremental servicer and the full replay are the same engine: same state on every date asked.
    #[test]
    fn incremental_servicing_equals_replay((loan, events) in serviced(), days_after in 0i64..400) {
        let mut ordered = events.clone();
        ordered.sort_by_key(|e| e.date);
        let mut servicer = loan.servicer();
        for (i, e) in ordered.iter().enumerate() {
            servicer.apply(e).expect("accepted events apply incrementally");
            // Compare at the end of each day, once all of that day's events are in.
            if ordered.get(i + 1).is_some_and(|next| next.date == e.date) {
                continue;
            }
            let replayed = loan.state_as_of(&ordered, e.date).expect("replay");
            prop_assert_eq!(servicer.standing(), replayed.standing);
            prop_assert_eq!(servicer.status(), replayed.status);
            prop_assert_eq!(servicer.principal_outstanding(), replayed.principal_outstanding);
        }
        let last = ordered.last().map(|e| e.date).expect("events");
        let as_of = last + chrono::Duration::days(days_after);
        prop_assert_eq!(servicer.into_state(as_of), loan.state_as_of(&ordered, as_of).expect("replay"));
    }
}

/// The replayed DPD at the end of every day from the first event to `days_after` days after the last one.
fn replayed_dpd_by_day(loan: &Loan, events: &[DatedEvent], days_after: i64) -> Vec<(domain::Date, u32)> {
    let mut ordered = events.to_vec();
    ordered.sort_by_key(|e| e.date);
    let (first, last) = match (ordered.first(), ordered.last()) {
        (Some(f), Some(l)) => (f.date, l.date + chrono::Duration::days(days_after)),
        _ => return Vec::new(),
    };
    let mut servicer = loan.servicer();
    let mut next = ordered.iter().peekable();
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        while let Some(e) = next.next_if(|e| e.date == day) {
            servicer.apply(e).expect("accepted events apply incrementally");
        }
        servicer.advance_to(day);
        out.push((day, servicer.standing().dpd));
        day += chrono::Duration::days(1);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// One clock: the same history seen as dated DPD observations (`lending::arrears`) gives the replayed DPD on
    /// every day, when observed on each day the replayed DPD does anything but age by one (plus, harmlessly, any
    /// other days: here every event date). Observed only on event and due dates, as a loan file records it, the
    /// DPD reads low between rows (a missed due date shows from the next row), never high.
    #[test]
    fn observed_dpd_equals_replayed_dpd_on_every_day((loan, events) in serviced(), days_after in 0i64..400) {
        use lending::arrears::{Observed, dpd_on};
        let replayed = replayed_dpd_by_day(&loan, &events, days_after);
        let event_days: std::collections::BTreeSet<domain::Date> = events.iter().map(|e| e.date).collect();
        let mut observed = Vec::new();
        let mut previous = 0u32;
        for &(day, dpd) in &replayed {
            let ages = if previous == 0 { dpd == 0 } else { dpd == previous + 1 };
            if !ages || event_days.contains(&day) {
                observed.push(Observed { on: day, dpd });
            }
            previous = dpd;
        }
        for &(day, dpd) in &replayed {
            prop_assert_eq!(dpd_on(&observed, day), dpd, "on {}", day);
        }
        // A loan file's view: rows on event dates and due dates only.
        let last = replayed.last().map(|(d, _)| *d).expect("days");
        let state = loan.state_as_of(&events, last).expect("replay");
        let due_days: std::collections::BTreeSet<domain::Date> = state.installments.iter().map(|i| i.due_date).collect();
        let rows: Vec<Observed> = replayed
            .iter()
            .filter(|(day, _)| event_days.contains(day) || due_days.contains(day))
            .map(|&(on, dpd)| Observed { on, dpd })
            .collect();
        for &(day, dpd) in &replayed {
            prop_assert!(dpd_on(&rows, day) <= dpd, "on {}", day);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Whatever repayments are offered, the ones check_append accepts never leave more than the margin overpaid,
    /// and a refused repayment is refused for its amount or date, never by a panic.
    #[test]
    fn accepted_repayments_never_hold_more_than_the_margin((loan, events) in serviced(), extra in 0i64..=Money::MAX_INPUT_FEN) {
        let margin = loan.terms().conventions().overpayment_margin;
        let last = events.iter().map(|e| e.date).max().expect("events");
        let s = loan.state_as_of(&events, last).expect("replay");
        prop_assert!(s.overpaid <= margin, "{} held", s.overpaid);
        let offer = DatedEvent {
            date: last,
            event: LoanEvent::Repaid { id: RepaymentId::parse("offer").expect("id"), amount: s.payoff() + Money::from_fen(extra) },
        };
        match loan.check_append(&events, &offer) {
            Ok((after, _)) => prop_assert!(after.overpaid <= margin),
            Err(lending::ServicingError::Invalid { field, .. }) => prop_assert!(field == "amount" || field == "date"),
            Err(lending::ServicingError::Transition { .. }) => prop_assert_eq!(s.status, lending::LoanStatus::Closed),
        }
    }
}
