//! Servicing scenarios worked by hand: each expected figure is derived in a comment.

use domain::RepaymentId;
use lending::{
    Bucket, Change, DeferralInterest, FiveCategory, IfrsStage, LoanEvent, LoanStatus, ProductKind, RestructureTerms,
    ServicingError,
};

use crate::{at, booked, d, harvest_bullet_50k, loan, repay, terms, y};

#[test]
fn late_installment_accrues_penalty_and_cures() {
    let l = loan(terms("equal-installment", |_| {}));
    let mut events = booked(&l, "2026-03-01");
    events.push(repay("2026-04-01", "r1", "8530.99"));

    let s = l.state_as_of(&events, d("2026-05-01")).expect("replay");
    assert_eq!((s.status, s.standing.dpd), (LoanStatus::Active, 0));

    // Installment 2 (due 05-01) is missed: DPD 1 on 05-02, 31 on 06-01.
    let s = l.state_as_of(&events, d("2026-05-02")).expect("replay");
    assert_eq!((s.status, s.standing.dpd, s.standing.bucket), (LoanStatus::Overdue, 1, Bucket::Dpd1To30));
    assert_eq!((s.standing.class, s.standing.stage), (FiveCategory::SpecialMention, IfrsStage::Stage1));
    let s = l.state_as_of(&events, d("2026-06-01")).expect("replay");
    assert_eq!((s.standing.dpd, s.standing.stage), (31, IfrsStage::Stage2));

    // Balance after installment 1: 91831.51. Installment 2 interest 91831.51 × 0.003625 = 332.89,
    // principal 8530.99 − 332.89 = 8198.10. Penalty for 10 days at 0.0435 × 1.5:
    // 8198.10 × 0.06525 × 10 / 360 = 14.8592… → 14.86.
    let s = l.state_as_of(&events, d("2026-05-11")).expect("replay");
    assert_eq!(s.penalty_due, y("14.86"));
    assert_eq!((s.principal_overdue, s.interest_overdue), (y("8198.10"), y("332.89")));

    events.push(repay("2026-05-11", "r2", "8545.85"));
    let s = l.state_as_of(&events, d("2026-05-11")).expect("replay");
    let b = s.repayments[1].breakdown;
    assert_eq!((b.penalty, b.overdue_interest, b.overdue_principal), (y("14.86"), y("332.89"), y("8198.10")));
    assert_eq!(b.total(), y("8545.85"));
    assert_eq!((s.status, s.standing.dpd, s.standing.class), (LoanStatus::Active, 0, FiveCategory::Normal));

    let status_moves: Vec<(String, LoanStatus, LoanStatus)> = s
        .changes
        .iter()
        .filter_map(|c| match c.change {
            Change::Status { from, to } => Some((c.date.to_string(), from, to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        status_moves,
        vec![
            ("2026-03-01".into(), LoanStatus::Applied, LoanStatus::Approved),
            ("2026-03-01".into(), LoanStatus::Approved, LoanStatus::Disbursed),
            ("2026-04-01".into(), LoanStatus::Disbursed, LoanStatus::Active),
            ("2026-05-02".into(), LoanStatus::Active, LoanStatus::Overdue),
            ("2026-05-11".into(), LoanStatus::Overdue, LoanStatus::Active),
        ]
    );
}

#[test]
fn unpaid_loan_walks_down_the_five_categories_on_the_right_days() {
    let l = loan(harvest_bullet_50k());
    let events = booked(&l, "2026-03-10");
    // The first interest installment falls due 2026-04-10 and is never paid.
    let class_on = |date: &str| l.state_as_of(&events, d(date)).expect("replay").standing.class;
    assert_eq!(class_on("2026-04-10"), FiveCategory::Normal);
    assert_eq!(class_on("2026-04-11"), FiveCategory::SpecialMention);
    assert_eq!(class_on("2026-07-09"), FiveCategory::SpecialMention); // DPD 90
    assert_eq!(class_on("2026-07-10"), FiveCategory::Substandard); // DPD 91
    assert_eq!(class_on("2027-01-06"), FiveCategory::Doubtful); // DPD 271
    assert_eq!(class_on("2027-04-06"), FiveCategory::Loss); // DPD 361

    let s = l.state_as_of(&events, d("2027-06-30")).expect("replay");
    let class_moves: Vec<(String, FiveCategory, String)> = s
        .changes
        .iter()
        .filter_map(|c| match c.change {
            Change::Class { to, .. } => Some((c.date.to_string(), to, c.cause.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        class_moves,
        vec![
            ("2026-04-11".into(), FiveCategory::SpecialMention, "1 days past due".into()),
            ("2026-07-10".into(), FiveCategory::Substandard, "91 days past due".into()),
            ("2027-01-06".into(), FiveCategory::Doubtful, "271 days past due".into()),
            ("2027-04-06".into(), FiveCategory::Loss, "361 days past due".into()),
        ]
    );
    assert_eq!(s.standing.stage, IfrsStage::Stage3);
    // The whole principal is overdue after maturity (2026-11-30) and accrues penalty.
    assert_eq!(s.principal_overdue, y("50000"));
    assert!(s.penalty_due.is_positive());
}

#[test]
fn reversal_restores_the_state_without_the_payment() {
    let l = loan(terms("equal-installment", |_| {}));
    let mut base = booked(&l, "2026-03-01");
    base.push(repay("2026-04-01", "r1", "8530.99"));
    let mut with = base.clone();
    with.push(repay("2026-05-01", "r2", "8530.99"));
    let reversal = at(
        "2026-05-20",
        LoanEvent::Reversed {
            id: RepaymentId::parse("r2-rev").expect("id"),
            of: RepaymentId::parse("r2").expect("id"),
            reason: "cheque bounced".into(),
        },
    );
    let (_, postings) = l.check_append(&with, &reversal).expect("reversal is valid");
    let reversed_total: domain::Money = postings.iter().map(|p| p.amount).sum();
    assert_eq!(reversed_total, -y("8530.99"));
    with.push(reversal.clone());

    let a = l.state_as_of(&base, d("2026-06-15")).expect("replay");
    let b = l.state_as_of(&with, d("2026-06-15")).expect("replay");
    assert_eq!(a.installments, b.installments);
    assert_eq!((a.penalty_due, a.standing, a.status), (b.penalty_due, b.standing, b.status));
    assert_eq!(a.changes, b.changes);
    assert!(b.repayments[1].reversed);

    // Before the reversal date the payment still counts.
    assert_eq!(l.state_as_of(&with, d("2026-05-10")).expect("replay").standing.dpd, 0);
    // A second reversal of the same payment is refused.
    let again = at(
        "2026-05-21",
        LoanEvent::Reversed {
            id: RepaymentId::parse("r2-rev2").expect("id"),
            of: RepaymentId::parse("r2").expect("id"),
            reason: "again".into(),
        },
    );
    assert!(matches!(l.check_append(&with, &again), Err(ServicingError::Invalid { field: "of", .. })));
}

#[test]
fn full_prepayment_closes_and_holds_the_overpayment() {
    let l = loan(terms("equal-installment", |_| {}));
    let mut events = booked(&l, "2026-03-01");
    events.push(repay("2026-04-01", "r1", "8530.99"));
    // Payoff on 04-15: principal 91831.51 + the current period's interest 332.89 = 92164.40.
    let s = l.state_as_of(&events, d("2026-04-15")).expect("replay");
    assert_eq!(s.payoff(), y("92164.40"));
    events.push(repay("2026-04-15", "r2", "92200.00"));
    let s = l.state_as_of(&events, d("2026-04-15")).expect("replay");
    assert_eq!(s.status, LoanStatus::Closed);
    assert_eq!(s.overpaid, y("35.60"));
    assert_eq!(s.principal_outstanding, domain::Money::ZERO);
    let b = s.repayments[1].breakdown;
    assert_eq!((b.current_interest, b.current_principal), (y("332.89"), y("8198.10")));
    assert_eq!(b.prepaid_principal, y("83633.41"));
    // Nothing accrues after closing, and a further repayment is refused.
    assert_eq!(l.state_as_of(&events, d("2027-01-01")).expect("replay").status, LoanStatus::Closed);
    let err = l.check_append(&events, &repay("2026-06-01", "r3", "100")).expect_err("closed");
    assert_eq!(err.to_string(), "2026-06-01: cannot post a repayment to a loan that is closed");
}

#[test]
fn partial_prepayment_reamortises_over_the_remaining_dates() {
    let l = loan(terms("equal-installment", |_| {}));
    let mut events = booked(&l, "2026-03-01");
    events.push(repay("2026-04-01", "r1", "28530.99"));
    let s = l.state_as_of(&events, d("2026-04-01")).expect("replay");
    assert_eq!(s.repayments[0].breakdown.prepaid_principal, y("20000"));
    assert_eq!(s.installments.len(), 12);
    let total: domain::Money = s.installments.iter().map(|i| i.principal).sum();
    assert_eq!(total, y("100000"));
    // The new level payment repeats over installments 2..11; the last absorbs the remainder.
    let level = s.installments[1].principal + s.installments[1].interest;
    assert!(s.installments[1..11].iter().all(|i| i.principal + i.interest == level));
    assert!(level < y("8530.99"));
    assert_eq!(s.principal_outstanding, y("71831.51"));
}

#[test]
fn revolving_line_draws_settles_and_repays_any_day() {
    let l = loan(terms("revolving", |r| {
        r.principal = Some("50000".into());
        r.annual_rate = Some("0.0365".into());
    }));
    let mut events = vec![at("2026-03-01", LoanEvent::Approved { by: "officer".into() })];
    events.push(at("2026-03-05", LoanEvent::Disbursed { amount: y("20000") }));
    // Settlement on 04-01: 27 days × 20000 × 0.0365 / 360 = 54.75.
    let s = l.state_as_of(&events, d("2026-04-01")).expect("replay");
    assert_eq!(s.installments.last().map(|i| (i.interest, i.due_date)), Some((y("54.75"), d("2026-04-01"))));
    assert_eq!(s.status, LoanStatus::Active);
    events.push(repay("2026-04-01", "r1", "54.75"));
    let too_much = at("2026-04-02", LoanEvent::Disbursed { amount: y("40000") });
    let err = l.check_append(&events, &too_much).expect_err("over the limit");
    assert!(err.to_string().contains("exceeds the available limit 30000.00"), "{err}");
    // Repay 10000 on 04-10: 9 days of interest on 20000 = 18.25, then 9981.75 of principal.
    events.push(repay("2026-04-10", "r2", "10000"));
    let s = l.state_as_of(&events, d("2026-04-10")).expect("replay");
    let b = s.repayments[1].breakdown;
    assert_eq!((b.current_interest, b.current_principal), (y("18.25"), y("9981.75")));
    assert_eq!(s.principal_outstanding, y("10018.25"));
    // Repaid in full and left alone, the line closes at expiry (2027-03-01).
    events.push(repay("2026-05-01", "r3", "20000"));
    assert_eq!(l.state_as_of(&events, d("2026-12-01")).expect("replay").status, LoanStatus::Active);
    assert_eq!(l.state_as_of(&events, d("2027-03-01")).expect("replay").status, LoanStatus::Closed);
}

#[test]
fn restructuring_resets_dpd_but_keeps_the_class_at_special_mention() {
    let l = loan(terms("equal-installment", |_| {}));
    let mut events = booked(&l, "2026-03-01");
    let before = l.state_as_of(&events, d("2026-06-20")).expect("replay");
    assert_eq!(before.standing.dpd, 80);
    let new_terms =
        RestructureTerms::new(ProductKind::EqualInstallment, Some(24), None, None, true).expect("valid terms");
    events.push(at("2026-06-20", LoanEvent::Restructured { terms: new_terms }));
    let s = l.state_as_of(&events, d("2026-06-20")).expect("replay");
    assert_eq!((s.standing.dpd, s.status), (0, LoanStatus::Active));
    assert_eq!((s.standing.class, s.standing.stage), (FiveCategory::SpecialMention, IfrsStage::Stage2));
    assert!(s.restructured);
    let new_schedule: Vec<_> = s.installments.iter().filter(|i| i.version == 2).collect();
    assert_eq!(new_schedule.len(), 24);
    let capitalised: domain::Money = new_schedule.iter().map(|i| i.principal).sum();
    // Arrears (three installments of interest, the current period's accrued interest, penalty) were capitalised.
    assert_eq!(capitalised, s.principal_outstanding);
    assert!(capitalised > y("100000"));
    assert!(s.installments.iter().filter(|i| i.version == 1).all(|i| i.superseded));
}

#[test]
fn disaster_deferral_moves_future_installments() {
    let t = harvest_bullet_50k();
    let l = loan(t);
    let mut events = booked(&l, "2026-03-10");
    for (i, date) in ["2026-04-10", "2026-05-10", "2026-06-10", "2026-07-10"].iter().enumerate() {
        let s = l.state_as_of(&events, d(date)).expect("replay");
        let amount = s.installments.iter().find(|x| x.due_date == d(date)).map(|x| x.interest).expect("due");
        events.push(repay(date, &format!("r{i}"), &amount.to_string()));
    }
    let mut waived = events.clone();
    waived.push(at(
        "2026-08-01",
        LoanEvent::Deferred {
            months: 3,
            interest: DeferralInterest::Waived,
            reason: "2026 flood, county declaration".into(),
        },
    ));
    let s = l.state_as_of(&waived, d("2026-08-01")).expect("replay");
    assert_eq!(s.installments.last().map(|i| i.due_date), Some(d("2027-02-28")));
    assert_eq!(s.installments.iter().find(|i| i.due_date == d("2026-11-10")).map(|i| i.seq), Some(5));
    let mut charged = events;
    charged.push(at(
        "2026-08-01",
        LoanEvent::Deferred { months: 3, interest: DeferralInterest::Charged, reason: "flood".into() },
    ));
    let c = l.state_as_of(&charged, d("2026-08-01")).expect("replay");
    // Extra interest: 50000 × 0.05 × 92 days (08-10 → 11-10) / 360 = 638.888… → 638.89, on the first deferred one.
    let first_w = s.installments.iter().find(|i| i.seq == 5).expect("installment 5");
    let first_c = c.installments.iter().find(|i| i.seq == 5).expect("installment 5");
    assert_eq!(first_c.interest - first_w.interest, y("638.89"));
}

#[test]
fn overrides_may_downgrade_but_never_upgrade_past_the_floor() {
    let l = loan(terms("equal-installment", |_| {}));
    let mut events = booked(&l, "2026-03-01");
    let upgrade = at(
        "2026-04-11",
        LoanEvent::Reclassified { class: FiveCategory::Normal, reason: "looks fine".into(), approver: "chief".into() },
    );
    let err = l.check_append(&events, &upgrade).expect_err("better than the floor");
    assert!(matches!(err, ServicingError::Invalid { field: "class", .. }), "{err}");
    let no_approver = at(
        "2026-04-11",
        LoanEvent::Reclassified { class: FiveCategory::Substandard, reason: "drought".into(), approver: " ".into() },
    );
    assert!(matches!(l.check_append(&events, &no_approver), Err(ServicingError::Invalid { field: "approver", .. })));
    events.push(at(
        "2026-04-11",
        LoanEvent::Reclassified {
            class: FiveCategory::Substandard,
            reason: "village hit by drought".into(),
            approver: "risk-chief".into(),
        },
    ));
    let s = l.state_as_of(&events, d("2026-04-11")).expect("replay");
    assert_eq!((s.standing.floor, s.standing.class), (FiveCategory::SpecialMention, FiveCategory::Substandard));
    assert_eq!(s.standing.stage, IfrsStage::Stage3);
    // Later the DPD floor passes the override; the class follows the floor.
    let s = l.state_as_of(&events, d("2027-01-01")).expect("replay");
    assert_eq!(s.standing.class, FiveCategory::Doubtful);
}

#[test]
fn write_off_needs_an_overdue_loan_and_recoveries_still_post() {
    let l = loan(terms("equal-installment", |_| {}));
    let mut events = booked(&l, "2026-03-01");
    let early = at("2026-03-20", LoanEvent::WrittenOff { reason: "x".into(), approver: "board".into() });
    assert!(matches!(l.check_append(&events, &early), Err(ServicingError::Transition { .. })));
    events.push(at("2027-06-01", LoanEvent::WrittenOff { reason: "uncollectable".into(), approver: "board".into() }));
    events.push(repay("2027-07-01", "recovery-1", "5000"));
    let s = l.state_as_of(&events, d("2027-07-01")).expect("replay");
    assert_eq!((s.status, s.standing.class), (LoanStatus::WrittenOff, FiveCategory::Loss));
    assert_eq!(s.repayments[0].breakdown.total(), y("5000"));
}

#[test]
fn repayments_before_disbursement_and_duplicate_ids_are_refused() {
    let l = loan(terms("equal-installment", |_| {}));
    let approved = vec![at("2026-03-01", LoanEvent::Approved { by: "officer".into() })];
    let err = l.check_append(&approved, &repay("2026-03-02", "r1", "100")).expect_err("not disbursed");
    assert_eq!(err.to_string(), "2026-03-02: cannot post a repayment to a loan that is approved");
    let mut events = booked(&l, "2026-03-01");
    events.push(repay("2026-04-01", "r1", "100"));
    assert!(matches!(
        l.check_append(&events, &repay("2026-04-02", "r1", "100")),
        Err(ServicingError::Invalid { field: "id", .. })
    ));
    let wrong_amount = at("2026-03-01", LoanEvent::Disbursed { amount: y("99999") });
    assert!(matches!(l.check_append(&approved, &wrong_amount), Err(ServicingError::Invalid { field: "amount", .. })));
    let declined = vec![at("2026-03-01", LoanEvent::Declined { reason: "over-indebted".into() })];
    let disburse = at("2026-03-02", LoanEvent::Disbursed { amount: y("100000") });
    assert_eq!(
        l.check_append(&declined, &disburse).expect_err("declined").to_string(),
        "2026-03-02: cannot disburse a loan that is declined"
    );
}
