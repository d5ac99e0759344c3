//! The portfolio report: the book's figures as a serialisable [`Report`] with stable field names (amounts as whole
//! fen plus yuan text, ratios as decimal text with four places), and the concentration limit [`breaches`] the
//! monitoring run turns into alerts.

use domain::{Date, Money, Rounding};
use lending::portfolio::ratio;
use lending::{FiveCategory, IfrsStage, ParWindow, PortfolioQuality};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::book::{Book, Position};
use crate::config::{Config, Limit};
use crate::history::{ROLL_BUCKETS, ROLL_TO};
use crate::{Dimension, PortfolioError};

/// An amount: whole fen and the same in yuan text (`"1234.50"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Amount {
    /// Whole fen.
    pub fen: i64,
    /// Yuan with two decimals.
    pub yuan: Money,
}

impl From<Money> for Amount {
    fn from(m: Money) -> Amount {
        Amount { fen: m.fen(), yuan: m }
    }
}

/// Balances of one five-category class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassRow {
    /// `normal`, `special-mention`, …
    pub class: &'static str,
    /// 正常, 关注, …
    pub name_zh: &'static str,
    /// Loans.
    pub loans: u64,
    /// Outstanding principal.
    pub outstanding: Amount,
    /// Share of the gross outstanding.
    pub share: Decimal,
    /// The specific provisioning ratio.
    pub provision_ratio: Decimal,
    /// The specific provision.
    pub provision: Amount,
}

/// Portfolio quality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    /// Loans on the books.
    pub loans: u64,
    /// Borrowers with a loan on the books.
    pub households: u64,
    /// Gross outstanding principal.
    pub outstanding: Amount,
    /// PAR1.
    pub par1: Decimal,
    /// PAR30.
    pub par30: Decimal,
    /// PAR90.
    pub par90: Decimal,
    /// Non-performing (次级 + 可疑 + 损失) balance.
    pub non_performing: Amount,
    /// NPL ratio.
    pub npl_ratio: Decimal,
    /// By class, best to worst.
    pub by_class: Vec<ClassRow>,
}

/// ECL of one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    /// 1, 2 or 3.
    pub stage: u8,
    /// Loans.
    pub loans: u64,
    /// Outstanding principal.
    pub outstanding: Amount,
    /// Exposure at default.
    pub ead: Amount,
    /// Expected credit loss.
    pub ecl: Amount,
    /// ECL ÷ EAD.
    pub coverage: Decimal,
}

/// Expected credit loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ecl {
    /// Total ECL.
    pub total: Amount,
    /// Total EAD.
    pub ead: Amount,
    /// Accrued interest in the EAD.
    pub accrued_interest: Amount,
    /// ECL ÷ gross outstanding.
    pub coverage: Decimal,
    /// By stage.
    pub by_stage: Vec<StageRow>,
    /// Loans whose PD came from the model.
    pub pd_from_model: u64,
    /// Loans whose PD came from the fallback table.
    pub pd_from_fallback: u64,
}

/// The regulatory provision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provisions {
    /// The ratio set's name.
    pub ratios: String,
    /// The general provision on the whole book.
    pub general: Amount,
    /// The specific provisions, all classes.
    pub specific: Amount,
    /// General + specific.
    pub total: Amount,
    /// Provision coverage (拨备覆盖率): total ÷ non-performing balance.
    pub coverage_of_npl: Decimal,
    /// Loan provision ratio (贷款拨备率): total ÷ gross outstanding.
    pub coverage_of_loans: Decimal,
}

/// One point of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendRow {
    /// The date (a month end, or the as-of date).
    pub on: Date,
    /// Loans on the books.
    pub loans: u64,
    /// Gross outstanding.
    pub outstanding: Amount,
    /// PAR30.
    pub par30: Decimal,
    /// NPL ratio.
    pub npl_ratio: Decimal,
}

/// One point of a vintage curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VintagePoint {
    /// Month on book (1 = the first).
    pub mob: u32,
    /// Share of the cohort's loans ever 30+ DPD by then.
    pub ever_30_loans: Decimal,
    /// Share of its original principal.
    pub ever_30_balance: Decimal,
    /// Share of its loans ever 90+ DPD by then.
    pub ever_90_loans: Decimal,
    /// Share of its original principal.
    pub ever_90_balance: Decimal,
}

/// One origination quarter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vintage {
    /// `2025Q3`.
    pub cohort: String,
    /// Loans originated.
    pub loans: u64,
    /// Original principal.
    pub principal: Amount,
    /// The curve, to the cohort's age.
    pub curve: Vec<VintagePoint>,
}

/// Roll rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollRates {
    /// Month-end transitions counted.
    pub transitions: usize,
    /// From-buckets (rows).
    pub from: Vec<&'static str>,
    /// To-buckets (columns).
    pub to: Vec<&'static str>,
    /// Loan counts, `counts[from][to]`.
    pub counts: Vec<Vec<u64>>,
    /// Rates, each row summing to 1 (to rounding) when it has loans.
    pub rates: Vec<Vec<Decimal>>,
}

/// Write-offs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteOff {
    /// Loans written off in the 12 months to the date.
    pub loans: u64,
    /// Their outstanding when written off.
    pub amount: Amount,
    /// Average of the gross outstanding a year before and on the date.
    pub average_portfolio: Amount,
    /// Amount ÷ average portfolio.
    pub ratio: Decimal,
}

/// One group's share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    /// The group.
    pub key: String,
    /// Loans.
    pub loans: u64,
    /// Outstanding.
    pub outstanding: Amount,
    /// Share of the gross outstanding.
    pub share: Decimal,
}

/// Concentration in one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    /// `village`, `county`, `crop`, `product`, `buyer`.
    pub dimension: &'static str,
    /// Groups.
    pub groups: usize,
    /// Herfindahl–Hirschman index of the shares, 0–1.
    pub hhi: Decimal,
    /// The limit in force.
    pub limit: Limit,
    /// The largest groups (at most ten), largest first.
    pub top: Vec<Share>,
}

/// A concentration limit exceeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// The dimension.
    pub dimension: &'static str,
    /// The group (`None` for an HHI breach, which is the dimension's).
    pub key: Option<String>,
    /// `max_share` or `max_hhi`.
    pub limit: &'static str,
    /// The figure.
    pub value: Decimal,
    /// The limit.
    pub threshold: Decimal,
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// The group.
    pub key: String,
    /// Loans.
    pub loans: u64,
    /// Outstanding.
    pub outstanding: Amount,
    /// PAR30.
    pub par30: Decimal,
    /// NPL ratio.
    pub npl_ratio: Decimal,
    /// ECL.
    pub ecl: Amount,
    /// Regulatory provision (general + specific).
    pub provision: Amount,
}

/// A breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    /// `branch`, `product` or `segment`.
    pub dimension: &'static str,
    /// Groups in key order.
    pub groups: Vec<GroupRow>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The date.
    pub as_of: Date,
    /// The configuration version.
    pub config_version: u32,
    /// The classification rules.
    pub rules: &'static str,
    /// Assumptions, in words.
    pub assumptions: Vec<String>,
    /// PAR, NPL, classes.
    pub quality: Quality,
    /// ECL.
    pub ecl: Ecl,
    /// Regulatory provision.
    pub provisions: Provisions,
    /// PAR30 and NPL at month ends.
    pub trend: Vec<TrendRow>,
    /// Vintage curves.
    pub vintages: Vec<Vintage>,
    /// Roll rates.
    pub roll_rates: RollRates,
    /// Write-offs.
    pub write_off: WriteOff,
    /// Concentration.
    pub concentration: Vec<Concentration>,
    /// Limit breaches.
    pub breaches: Vec<Breach>,
    /// Breakdowns.
    pub breakdowns: Vec<Breakdown>,
}

fn checked_sum(parts: impl IntoIterator<Item = Money>, field: &'static str) -> Result<Money, PortfolioError> {
    Money::checked_sum(parts).map_err(|_| PortfolioError::Overflow { field })
}

/// The regulatory provision of a quality: general on the whole, specific by class, each rounded half to even.
pub fn provision_of(q: &PortfolioQuality, config: &Config) -> Result<(Money, Money), PortfolioError> {
    let general = q.outstanding().times(config.provisions.general).round(Rounding::HalfEven);
    let specific = checked_sum(
        q.outstanding_by_class().map(|(c, m)| m.times(config.provisions.of(c)).round(Rounding::HalfEven)),
        "provision",
    )?;
    Ok((general, specific))
}

/// Share `part ÷ whole` to four places (the lending core's ratio).
fn share(part: Money, whole: Money) -> Decimal {
    ratio(part, whole)
}

fn count_share(part: u64, whole: u64) -> Decimal {
    if whole == 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) / Decimal::from(whole)).round_dp(4)
}

/// Groups the book's exposures by one dimension with a counting sort: the positions' indices in group order and
/// each group's range.
fn grouped(book: &Book, dimension: Dimension) -> (Vec<u32>, Vec<std::ops::Range<usize>>) {
    let d = dimension.index();
    let groups = book.names[d].len();
    let mut starts = vec![0usize; groups + 1];
    for p in &book.positions {
        starts[p.groups[d] as usize + 1] += 1;
    }
    for g in 0..groups {
        starts[g + 1] += starts[g];
    }
    let mut next = starts.clone();
    let mut order = vec![0u32; book.positions.len()];
    for (i, p) in book.positions.iter().enumerate() {
        let g = p.groups[d] as usize;
        order[next[g]] = u32::try_from(i).unwrap_or(u32::MAX);
        next[g] += 1;
    }
    let ranges = (0..groups).map(|g| starts[g]..starts[g + 1]).collect();
    (order, ranges)
}

fn breakdown(book: &Book, dimension: Dimension, config: &Config) -> Result<Breakdown, PortfolioError> {
    let (order, ranges) = grouped(book, dimension);
    let mut buffer = Vec::new();
    let mut groups = Vec::with_capacity(ranges.len());
    for (g, range) in ranges.into_iter().enumerate() {
        buffer.clear();
        let members: Vec<&Position> = order[range].iter().map(|&i| &book.positions[i as usize]).collect();
        buffer.extend(members.iter().map(|p| p.exposure));
        let q = PortfolioQuality::of(&buffer)?;
        let (general, specific) = provision_of(&q, config)?;
        groups.push(GroupRow {
            key: book.names[dimension.index()][g].clone(),
            loans: q.loans() as u64,
            outstanding: q.outstanding().into(),
            par30: q.par30(),
            npl_ratio: q.npl_ratio(),
            ecl: checked_sum(members.iter().map(|p| p.ecl), "ecl")?.into(),
            provision: general
                .checked_add(specific)
                .map_err(|_| PortfolioError::Overflow { field: "provision" })?
                .into(),
        });
    }
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Breakdown { dimension: dimension.code(), groups })
}

fn limit_of(config: &Config, dimension: Dimension) -> Limit {
    let l = &config.limits;
    match dimension {
        Dimension::Village => l.village.clone(),
        Dimension::County => l.county.clone(),
        Dimension::Crop => l.crop.clone(),
        Dimension::Product => l.product.clone(),
        Dimension::Buyer => l.buyer.clone(),
        Dimension::Branch | Dimension::Segment => Limit { max_share: None, max_hhi: None },
    }
}

/// The buyer group of borrowers with no known produce buyer.
pub const NO_BUYER: &str = "none";

/// The dimensions concentration is measured in.
pub const CONCENTRATION: [Dimension; 5] =
    [Dimension::Village, Dimension::County, Dimension::Crop, Dimension::Product, Dimension::Buyer];

/// The Herfindahl–Hirschman index of a list of amounts: the sum of the squared shares, to four places.
pub fn hhi(amounts: &[Money]) -> Decimal {
    let total: i128 = amounts.iter().map(|m| i128::from(m.fen())).sum();
    if total <= 0 {
        return Decimal::ZERO;
    }
    let whole = Decimal::from_i128_with_scale(total, 0);
    amounts
        .iter()
        .map(|m| {
            let s = Decimal::from(m.fen()) / whole;
            s * s
        })
        .sum::<Decimal>()
        .round_dp(4)
}

/// Concentration in one dimension, with its breaches appended to `breaches`.
fn concentration(
    book: &Book,
    dimension: Dimension,
    total: Money,
    config: &Config,
    breaches: &mut Vec<Breach>,
) -> Result<Concentration, PortfolioError> {
    let d = dimension.index();
    let names = &book.names[d];
    let mut amounts = vec![Money::ZERO; names.len()];
    let mut loans = vec![0u64; names.len()];
    for p in &book.positions {
        let g = p.groups[d] as usize;
        amounts[g] = amounts[g]
            .checked_add(p.exposure.outstanding())
            .map_err(|_| PortfolioError::Overflow { field: "concentration" })?;
        loans[g] += 1;
    }
    let limit = limit_of(config, dimension);
    // Borrowers with no known buyer are no counterparty: they are shown, but neither limited nor in the HHI.
    let unnamed = |g: usize| dimension == Dimension::Buyer && names[g] == NO_BUYER;
    let named: Vec<Money> = (0..names.len()).filter(|&g| !unnamed(g)).map(|g| amounts[g]).collect();
    let hhi = hhi(&named);
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| amounts[b].cmp(&amounts[a]).then(names[a].cmp(&names[b])));
    for &g in order.iter().filter(|&&g| !unnamed(g)) {
        let s = share(amounts[g], total);
        match limit.max_share {
            Some(max) if s > max => breaches.push(Breach {
                dimension: dimension.code(),
                key: Some(names[g].clone()),
                limit: "max_share",
                value: s,
                threshold: max,
            }),
            _ => break,
        }
    }
    if let Some(max) = limit.max_hhi
        && hhi > max
    {
        breaches.push(Breach { dimension: dimension.code(), key: None, limit: "max_hhi", value: hhi, threshold: max });
    }
    let top = order
        .iter()
        .take(10)
        .map(|&g| Share {
            key: names[g].clone(),
            loans: loans[g],
            outstanding: amounts[g].into(),
            share: share(amounts[g], total),
        })
        .collect();
    Ok(Concentration { dimension: dimension.code(), groups: names.len(), hhi, limit, top })
}

/// The report of a book.
pub fn build(book: &Book, config: &Config) -> Result<Report, PortfolioError> {
    let exposures: Vec<lending::Exposure> = book.positions.iter().map(|p| p.exposure).collect();
    let q = PortfolioQuality::of(&exposures)?;
    drop(exposures);
    let total = q.outstanding();

    let mut class_loans = [0u64; 5];
    let mut stage = [(0u64, Money::ZERO, Money::ZERO, Money::ZERO); 3];
    let (mut accrued, mut from_model) = (Money::ZERO, 0u64);
    for p in &book.positions {
        class_loans[FiveCategory::ALL.iter().position(|c| *c == p.exposure.class()).unwrap_or(0)] += 1;
        let s = &mut stage[usize::from(p.stage.number() - 1)];
        let overflow = |_| PortfolioError::Overflow { field: "ecl" };
        s.0 += 1;
        s.1 = s.1.checked_add(p.exposure.outstanding()).map_err(overflow)?;
        s.2 = s.2.checked_add(p.ead).map_err(overflow)?;
        s.3 = s.3.checked_add(p.ecl).map_err(overflow)?;
        accrued = accrued.checked_add(p.accrued).map_err(overflow)?;
        from_model += u64::from(p.pd_from_model);
    }
    let by_class = FiveCategory::ALL
        .iter()
        .zip(class_loans)
        .map(|(&c, loans)| {
            let outstanding = q.outstanding_in(c);
            ClassRow {
                class: c.code(),
                name_zh: c.name_zh(),
                loans,
                outstanding: outstanding.into(),
                share: share(outstanding, total),
                provision_ratio: config.provisions.of(c),
                provision: outstanding.times(config.provisions.of(c)).round(Rounding::HalfEven).into(),
            }
        })
        .collect();
    let quality = Quality {
        loans: q.loans() as u64,
        households: book.households as u64,
        outstanding: total.into(),
        par1: q.par(ParWindow::Over1),
        par30: q.par30(),
        par90: q.par90(),
        non_performing: q.non_performing().into(),
        npl_ratio: q.npl_ratio(),
        by_class,
    };

    let ecl_total = checked_sum(stage.iter().map(|s| s.3), "ecl")?;
    let ead_total = checked_sum(stage.iter().map(|s| s.2), "ead")?;
    let by_stage = [IfrsStage::Stage1, IfrsStage::Stage2, IfrsStage::Stage3]
        .iter()
        .zip(stage)
        .map(|(st, (loans, outstanding, ead, ecl))| StageRow {
            stage: st.number(),
            loans,
            outstanding: outstanding.into(),
            ead: ead.into(),
            ecl: ecl.into(),
            coverage: share(ecl, ead),
        })
        .collect();
    let ecl = Ecl {
        total: ecl_total.into(),
        ead: ead_total.into(),
        accrued_interest: accrued.into(),
        coverage: share(ecl_total, total),
        by_stage,
        pd_from_model: from_model,
        pd_from_fallback: book.positions.len() as u64 - from_model,
    };

    let (general, specific) = provision_of(&q, config)?;
    let provision_total = general.checked_add(specific).map_err(|_| PortfolioError::Overflow { field: "provision" })?;
    let provisions = Provisions {
        ratios: config.provisions.name.clone(),
        general: general.into(),
        specific: specific.into(),
        total: provision_total.into(),
        coverage_of_npl: share(provision_total, q.non_performing()),
        coverage_of_loans: share(provision_total, total),
    };

    let h = &book.history;
    let trend = h
        .trend
        .iter()
        .map(|p| TrendRow {
            on: p.on,
            loans: p.loans,
            outstanding: p.outstanding.into(),
            par30: share(p.at_risk_30, p.outstanding),
            npl_ratio: share(p.non_performing, p.outstanding),
        })
        .collect();
    let vintages = h
        .cohorts
        .iter()
        .map(|(&(year, quarter), c)| {
            let (mut n30, mut p30, mut n90, mut p90) = (0u64, Money::ZERO, 0u64, Money::ZERO);
            let mut curve = Vec::new();
            for m in 0..c.age_months.max(1) as usize {
                n30 += c.first_30.get(m).copied().unwrap_or(0);
                n90 += c.first_90.get(m).copied().unwrap_or(0);
                p30 = p30
                    .checked_add(c.first_30_principal.get(m).copied().unwrap_or(Money::ZERO))
                    .map_err(|_| PortfolioError::Overflow { field: "vintage" })?;
                p90 = p90
                    .checked_add(c.first_90_principal.get(m).copied().unwrap_or(Money::ZERO))
                    .map_err(|_| PortfolioError::Overflow { field: "vintage" })?;
                curve.push(VintagePoint {
                    mob: u32::try_from(m + 1).unwrap_or(u32::MAX),
                    ever_30_loans: count_share(n30, c.loans),
                    ever_30_balance: share(p30, c.principal),
                    ever_90_loans: count_share(n90, c.loans),
                    ever_90_balance: share(p90, c.principal),
                });
            }
            Ok(Vintage { cohort: format!("{year}Q{quarter}"), loans: c.loans, principal: c.principal.into(), curve })
        })
        .collect::<Result<Vec<_>, PortfolioError>>()?;
    let roll_rates = RollRates {
        transitions: h.trend.len().saturating_sub(1),
        from: ROLL_BUCKETS.to_vec(),
        to: ROLL_TO.to_vec(),
        counts: h.roll.iter().map(|r| r.to_vec()).collect(),
        rates: h.roll.iter().map(|r| r.iter().map(|&n| count_share(n, r.iter().sum())).collect()).collect(),
    };
    let average = Money::from_fen(
        i64::try_from((i128::from(h.outstanding_year_ago.fen()) + i128::from(total.fen())) / 2).unwrap_or(i64::MAX),
    );
    let write_off = WriteOff {
        loans: h.written_off_loans,
        amount: h.written_off.into(),
        average_portfolio: average.into(),
        ratio: share(h.written_off, average),
    };

    let mut breaches = Vec::new();
    let concentration = CONCENTRATION
        .iter()
        .map(|&d| concentration(book, d, total, config, &mut breaches))
        .collect::<Result<Vec<_>, _>>()?;
    let breakdowns = [Dimension::Branch, Dimension::Product, Dimension::Segment]
        .iter()
        .map(|&d| breakdown(book, d, config))
        .collect::<Result<Vec<_>, _>>()?;

    let fallback = ecl.pd_from_fallback;
    let mut assumptions = vec![
        format!("classification {} ; a loaded loan's balance is its principal until maturity, then what is due while it is past due", book.rules.name),
        format!("EAD = outstanding principal + interest accrued ACT/360 since the loan was last current (at most {} days)", config.accrual_cap_days),
        format!("PD over t months = 1 − (1 − PD12)^k × (1 − PD12 × r/12), t = 12k + r; stage 1 takes min(t, 12), stage 2 the remaining term ({} months once matured), stage 3 PD = 1", config.matured_horizon_months),
        format!("stage 2 also when the 12-month PD ≥ {}", config.sicr_pd),
        format!(
            "LGD: credit-only {}, group {}, land right {}, house right {}, guarantor {}",
            config.lgd.credit_only, config.lgd.group, config.lgd.land_right, config.lgd.house_right, config.lgd.guarantor
        ),
        format!("regulatory provision: {} (general {} on all loans, specific by class)", config.provisions.name, config.provisions.general),
        format!("a loan {} or more days past due is written off and leaves the book", config.write_off_dpd),
        "segment = product × agricultural zone (the credit model has no segments); branch = township (first 9 digits of the village code)".to_owned(),
    ];
    if fallback > 0 {
        assumptions.push(format!(
            "{fallback} of {} loans have no model PD: their PD is the fallback table's by rating grade and DPD bucket",
            book.positions.len()
        ));
    }

    Ok(Report {
        as_of: book.as_of,
        config_version: config.version,
        rules: book.rules.name,
        assumptions,
        quality,
        ecl,
        provisions,
        trend,
        vintages,
        roll_rates,
        write_off,
        concentration,
        breaches,
        breakdowns,
    })
}

/// The concentration limit breaches of a book: what a monitoring run raises `concentration` alerts from.
pub fn breaches(book: &Book, config: &Config) -> Result<Vec<Breach>, PortfolioError> {
    let total = checked_sum(book.positions.iter().map(|p| p.exposure.outstanding()), "outstanding")?;
    let mut out = Vec::new();
    for d in CONCENTRATION {
        concentration(book, d, total, config, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hhi_of_known_shares() {
        let m = Money::from_yuan;
        assert_eq!(hhi(&[m(50), m(30), m(20)]), Decimal::new(38, 2));
        assert_eq!(hhi(&[m(100)]), Decimal::ONE);
        assert_eq!(hhi(&[m(25), m(25), m(25), m(25)]), Decimal::new(25, 2));
        assert_eq!(hhi(&[]), Decimal::ZERO);
    }

    #[test]
    fn provisions_by_class_round_once_per_class() {
        use FiveCategory::*;
        let e = |yuan, dpd, class| lending::Exposure::new(Money::from_yuan(yuan), dpd, class, false).expect("valid");
        let q = PortfolioQuality::of(&[
            e(80_000, 0, Normal),
            e(10_000, 10, SpecialMention),
            e(6_000, 100, Substandard),
            e(3_000, 300, Doubtful),
            e(1_000, 400, Loss),
        ])
        .expect("small");
        let (general, specific) = provision_of(&q, &Config::default()).expect("small");
        // 1% of 100,000; 2% × 10,000 + 25% × 6,000 + 50% × 3,000 + 100% × 1,000 = 200 + 1,500 + 1,500 + 1,000.
        assert_eq!(general, Money::from_yuan(1_000));
        assert_eq!(specific, Money::from_yuan(4_200));
        let mof = Config { provisions: crate::config::ProvisionRatios::mof_2012(), ..Config::default() };
        let (general, specific) = provision_of(&q, &mof).expect("small");
        // 1.5% × 80,000 + 3% × 10,000 + 30% × 6,000 + 60% × 3,000 + 1,000 = 1,200 + 300 + 1,800 + 1,800 + 1,000.
        assert_eq!((general, specific), (Money::ZERO, Money::from_yuan(6_100)));
        // Coverage of the NPL: 5,200 ÷ 10,000.
        assert_eq!(share(Money::from_yuan(5_200), q.non_performing()), Decimal::new(52, 2));
    }
}
