//! Account-flow features: income inflows and their trend, a balance-volatility proxy, and the use of loan proceeds
//! (diversion: money sent to non-agricultural counterparties within 14 days of a disbursement).

use domain::add_months;

use crate::catalogue::Feature as F;
use crate::engine::RowValues;
use crate::history::{in_window, yuan};
use crate::input::Counterparty;
use crate::known::KnownRecords;

/// Days after a disbursement within which payments count as the use of its proceeds.
pub const PROCEEDS_WINDOW_DAYS: i64 = 14;

/// Transaction features.
pub(crate) fn write(known: &KnownRecords, out: &mut RowValues) {
    let as_of = known.as_of;
    let txs = &known.transactions;
    let income = |from: i32, to: i32| -> f64 {
        let (start, end) = (add_months(as_of, -from), add_months(as_of, -to));
        txs.iter()
            .filter(|t| t.date > start && t.date <= end && t.amount.is_positive())
            .filter(|t| t.counterparty_type != Counterparty::Loan)
            .map(|t| yuan(t.amount))
            .sum()
    };
    let recent = income(3, 0);
    let prior = income(6, 3);
    out.set(F::Inflow3mYuan, Some(recent));
    out.set(F::InflowTrend6m, (recent + prior > 0.0).then(|| (recent - prior) / (recent + prior)));

    let mut monthly = [0.0f64; 12];
    let mut any = false;
    for t in txs.iter().filter(|t| in_window(t.date, as_of, 12)) {
        // Month k holds (D − (k+1) months, D − k months].
        let k = (0..12).find(|k| t.date > add_months(as_of, -(k + 1))).unwrap_or(11);
        monthly[usize::try_from(k).unwrap_or(11)] += yuan(t.amount);
        any = true;
    }
    let mean = monthly.iter().sum::<f64>() / 12.0;
    let sd = (monthly.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 11.0).sqrt();
    out.set(F::NetFlowSd12mYuan, any.then_some(sd));

    let diversion = txs
        .iter()
        .filter(|t| t.counterparty_type == Counterparty::Loan && t.amount.is_positive())
        .filter(|t| in_window(t.date, as_of, 12))
        .map(|disbursement| {
            let until = disbursement.date + chrono::Duration::days(PROCEEDS_WINDOW_DAYS);
            let diverted: f64 = txs
                .iter()
                .filter(|t| t.date >= disbursement.date && t.date <= until && t.amount.is_negative())
                .filter(|t| t.counterparty_type.is_diversion())
                .map(|t| -yuan(t.amount))
                .sum();
            (diverted / yuan(disbursement.amount)).min(1.0)
        })
        .fold(None, |max: Option<f64>, share| Some(max.map_or(share, |m| m.max(share))));
    out.set(F::DiversionShareMax12m, diversion);
}
