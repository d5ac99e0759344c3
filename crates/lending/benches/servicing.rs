//! Benchmarks of the lending core: schedule generation, replay of a serviced loan, and checking one more event.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p lending`). Each figure is the median over 15 samples of the
//! time per operation; the machine is shared, so compare ratios within one run.

use std::hint::black_box;
use std::time::Instant;

use domain::{CropCalendar, RepaymentId, parse_date};
use lending::{ClassificationRules, DatedEvent, Loan, LoanEvent, LoanTerms, TermsRequest, schedule};

fn terms(product: &str, term: Option<i64>, harvest: Option<i64>) -> LoanTerms {
    let request = TermsRequest {
        product: Some(product.into()),
        principal: Some("100000".into()),
        annual_rate: Some("0.0435".into()),
        start: Some("2026-03-01".into()),
        term_months: term,
        harvest_month: harvest,
        ..TermsRequest::default()
    };
    LoanTerms::new(&request, &CropCalendar::china_default()).expect("valid bench terms")
}

/// Median nanoseconds per call of `f`, over 15 samples of `iterations` calls.
fn median_ns(iterations: u32, mut f: impl FnMut()) -> u128 {
    let mut samples: Vec<u128> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() / u128::from(iterations)
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// A 12-month equal-installment loan with every installment paid on its due date.
fn serviced() -> (Loan, Vec<DatedEvent>) {
    let t = terms("equal-installment", Some(12), None);
    let loan = Loan::new(t.clone(), ClassificationRules::CBIRC_2023);
    let start = t.start();
    let mut events = vec![
        DatedEvent { date: start, event: LoanEvent::Approved { by: "bench".into() } },
        DatedEvent { date: start, event: LoanEvent::Disbursed { amount: t.principal() } },
    ];
    for (i, inst) in schedule::build(&t).installments.iter().enumerate() {
        let id = RepaymentId::parse(&format!("r{i}")).expect("id");
        events.push(DatedEvent { date: inst.due_date, event: LoanEvent::Repaid { id, amount: inst.total() } });
    }
    (loan, events)
}

fn main() {
    let ei = terms("equal-installment", Some(12), None);
    let hb = terms("harvest-bullet", None, Some(10));
    let (loan, events) = serviced();
    let as_of = parse_date("2027-06-30").expect("date");
    let (head, last) = events.split_at(events.len() - 1);

    let rows = [
        (
            "schedule: equal-installment, 12 months",
            median_ns(20_000, || drop(black_box(schedule::build(black_box(&ei))))),
        ),
        (
            "schedule: harvest-bullet, 9 installments",
            median_ns(20_000, || drop(black_box(schedule::build(black_box(&hb))))),
        ),
        (
            "replay: 12-month loan, 12 repayments",
            median_ns(2_000, || drop(black_box(loan.state_as_of(black_box(&events), as_of)))),
        ),
        ("check_append: the 12th repayment", median_ns(1_000, || drop(black_box(loan.check_append(head, &last[0]))))),
    ];
    println!("lending benchmarks (median of 15 samples)");
    for (name, ns) in rows {
        let per_sec = 1_000_000_000u128.checked_div(ns).unwrap_or(0);
        println!("  {name:<44} {:>7}.{:01} µs   {per_sec:>9} per second", ns / 1000, (ns % 1000) / 100);
    }
}
