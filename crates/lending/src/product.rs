//! Loan products and the validated terms of one loan.
//!
//! Raw terms arrive as a [`TermsRequest`] (every field optional, as a form or the command line gives them) and
//! become [`LoanTerms`] through [`LoanTerms::new`], which parses the text into [`TermsParts`] and checks every
//! field against the product, naming the field it rejects. A caller already holding typed values (a decision's
//! terms) passes [`TermsParts`] to [`LoanTerms::from_parts`], the same checks without the text. Everything
//! downstream (schedules, servicing) takes `LoanTerms` and can rely on it.

use std::fmt;
use std::str::FromStr;

use chrono::Datelike;
use domain::{Crop, CropCalendar, Date, DayCount, Decimal, Money, Rate, Region, Rounding};
use serde::{Deserialize, Serialize};

/// The repayment shape of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProductKind {
    /// 等额本息: a level payment every month.
    EqualInstallment,
    /// 等额本金: equal principal every month, interest on the falling balance.
    EqualPrincipal,
    /// 按期付息到期还本: interest monthly or quarterly, principal at maturity.
    InterestOnly,
    /// Seasonal crop loan: interest monthly or quarterly, principal due a set number of days after harvest.
    HarvestBullet,
    /// Livestock loan: interest quarterly, principal repaid after each planned sale batch.
    LivestockBatch,
    /// 随借随还 revolving line: draws within a limit and validity, daily interest on the drawn balance.
    Revolving,
}

impl ProductKind {
    /// Every product, in a stable order.
    pub const ALL: [ProductKind; 6] = [
        ProductKind::EqualInstallment,
        ProductKind::EqualPrincipal,
        ProductKind::InterestOnly,
        ProductKind::HarvestBullet,
        ProductKind::LivestockBatch,
        ProductKind::Revolving,
    ];

    /// The product with this code; the error is whichever of the caller's types can hold an [`UnknownProduct`], so
    /// `ProductKind::parse` serves where a reader of code lists expects `fn(&str) -> Result<T, ItsError>`.
    pub fn parse<E: From<UnknownProduct>>(code: &str) -> Result<ProductKind, E> {
        code.parse::<ProductKind>().map_err(E::from)
    }

    /// The code used on the command line and in files.
    pub const fn code(self) -> &'static str {
        match self {
            ProductKind::EqualInstallment => "equal-installment",
            ProductKind::EqualPrincipal => "equal-principal",
            ProductKind::InterestOnly => "interest-only",
            ProductKind::HarvestBullet => "harvest-bullet",
            ProductKind::LivestockBatch => "livestock-batch",
            ProductKind::Revolving => "revolving",
        }
    }

    /// The Chinese name a loan officer knows.
    pub fn name_zh(self) -> &'static str {
        match self {
            ProductKind::EqualInstallment => "等额本息",
            ProductKind::EqualPrincipal => "等额本金",
            ProductKind::InterestOnly => "按期付息到期还本",
            ProductKind::HarvestBullet => "季节性收获还本",
            ProductKind::LivestockBatch => "养殖分批还本",
            ProductKind::Revolving => "随借随还循环额度",
        }
    }

    /// True for products that pay interest apart from principal, at an [`InterestFrequency`] (interest-only,
    /// harvest-bullet, livestock-batch); the others take no interest frequency.
    pub fn pays_interest_apart(self) -> bool {
        matches!(self, ProductKind::InterestOnly | ProductKind::HarvestBullet | ProductKind::LivestockBatch)
    }

    /// True for products a term loan in difficulty can be restructured into (not a livestock loan, whose batches
    /// are the farm's, nor a revolving line).
    pub fn restructures_into(self) -> bool {
        !matches!(self, ProductKind::LivestockBatch | ProductKind::Revolving)
    }

    /// True for products whose interest accrues by actual days at a daily rate (all but the two amortising ones,
    /// which charge the monthly rate per month as Chinese banks do for 等额本息 and 等额本金).
    pub fn daily_interest(self) -> bool {
        !matches!(self, ProductKind::EqualInstallment | ProductKind::EqualPrincipal)
    }
}

impl fmt::Display for ProductKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// Error for an unknown product code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown product '{0}' (known: equal-installment, equal-principal, interest-only, harvest-bullet, livestock-batch, revolving)"
)]
pub struct UnknownProduct(pub String);

impl FromStr for ProductKind {
    type Err = UnknownProduct;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProductKind::ALL.into_iter().find(|p| p.code() == s).ok_or_else(|| UnknownProduct(s.to_string()))
    }
}

/// How often interest falls due on products that pay interest separately from principal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InterestFrequency {
    /// Every month on the start day.
    #[default]
    Monthly,
    /// Every three months on the start day.
    Quarterly,
}

impl InterestFrequency {
    /// Months between interest dates.
    pub fn months(self) -> u32 {
        match self {
            InterestFrequency::Monthly => 1,
            InterestFrequency::Quarterly => 3,
        }
    }
}

impl FromStr for InterestFrequency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "monthly" => Ok(InterestFrequency::Monthly),
            "quarterly" => Ok(InterestFrequency::Quarterly),
            other => Err(format!("unknown interest frequency '{other}' (known: monthly, quarterly)")),
        }
    }
}

/// One component a repayment can pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// 罚息: penalty interest on overdue principal.
    Penalty,
    /// Interest of installments already past due.
    OverdueInterest,
    /// Principal of installments already past due.
    OverduePrincipal,
    /// Interest of the current period (revolving: accrued to date).
    CurrentInterest,
    /// Principal of the current installment (revolving: the drawn balance).
    CurrentPrincipal,
}

/// The order in which a repayment pays what is owed. Whatever is left after the five components prepays future
/// principal (term loans) and then becomes an overpayment held for refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Component>", into = "Vec<Component>")]
pub struct Waterfall(Vec<Component>);

impl Waterfall {
    /// An order that names each of the five components exactly once.
    pub fn new(order: Vec<Component>) -> Result<Waterfall, String> {
        let all = [
            Component::Penalty,
            Component::OverdueInterest,
            Component::OverduePrincipal,
            Component::CurrentInterest,
            Component::CurrentPrincipal,
        ];
        if order.len() != all.len() || !all.iter().all(|c| order.contains(c)) {
            return Err("a waterfall names each of penalty, overdue-interest, overdue-principal, current-interest and current-principal exactly once".into());
        }
        Ok(Waterfall(order))
    }

    /// The components in payment order.
    pub fn order(&self) -> &[Component] {
        &self.0
    }
}

impl Default for Waterfall {
    /// Penalty → overdue interest → overdue principal → current interest → current principal.
    fn default() -> Self {
        Waterfall(vec![
            Component::Penalty,
            Component::OverdueInterest,
            Component::OverduePrincipal,
            Component::CurrentInterest,
            Component::CurrentPrincipal,
        ])
    }
}

impl TryFrom<Vec<Component>> for Waterfall {
    type Error = String;
    fn try_from(value: Vec<Component>) -> Result<Self, Self::Error> {
        Waterfall::new(value)
    }
}

impl From<Waterfall> for Vec<Component> {
    fn from(value: Waterfall) -> Self {
        value.0
    }
}

/// Conventions a product fixes for every loan (its servicing configuration): day count, rounding, repayment order,
/// penalty rate and the overpayment margin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conventions {
    /// Day count for daily interest and penalty interest.
    pub day_count: DayCount,
    /// How each interest amount becomes whole fen.
    pub rounding: Rounding,
    /// Repayment allocation order.
    pub waterfall: Waterfall,
    /// Penalty rate as a multiple of the contract rate: 1.5 means contract rate + 50%.
    #[serde(with = "rust_decimal_str")]
    pub penalty_multiplier: Decimal,
    /// The most a loan holds for refund (溢缴款) beyond everything owed: a repayment that would leave more
    /// overpaid is refused (`Loan::check_append`). Terms stored before the margin existed read the default.
    #[serde(default = "Conventions::default_overpayment_margin")]
    pub overpayment_margin: Money,
}

impl Conventions {
    /// The default overpayment margin: 1,000 yuan. Enough for a borrower who rounds a payoff up to the next
    /// hundred or thousand yuan; anything more is a keying error or a payment meant elsewhere, which the cashier
    /// should refund at the counter rather than the loan hold.
    pub const DEFAULT_OVERPAYMENT_MARGIN: Money = Money::from_yuan(1_000);

    fn default_overpayment_margin() -> Money {
        Conventions::DEFAULT_OVERPAYMENT_MARGIN
    }
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions {
            day_count: DayCount::Act360,
            rounding: Rounding::HalfEven,
            waterfall: Waterfall::default(),
            penalty_multiplier: Decimal::new(15, 1),
            overpayment_margin: Conventions::DEFAULT_OVERPAYMENT_MARGIN,
        }
    }
}

/// Serialises a decimal as a string so no float ever represents it in JSON.
mod rust_decimal_str {
    use domain::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        Decimal::from_str_exact(&text).map_err(serde::de::Error::custom)
    }
}

/// Where a seasonal loan's harvest month came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum HarvestSource {
    /// Given explicitly.
    Explicit,
    /// Looked up in the crop calendar.
    CropCalendar {
        /// The crop.
        crop: Crop,
        /// The region.
        region: Region,
    },
}

/// The product-specific part of validated terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "product", rename_all = "kebab-case")]
pub enum Plan {
    /// Level monthly payment over `term_months`.
    EqualInstallment {
        /// Number of monthly installments.
        term_months: u32,
    },
    /// Equal monthly principal over `term_months`.
    EqualPrincipal {
        /// Number of monthly installments.
        term_months: u32,
    },
    /// Interest every period, principal at maturity.
    InterestOnly {
        /// Months to maturity.
        term_months: u32,
        /// How often interest falls due.
        interest_every: InterestFrequency,
    },
    /// Interest every period, principal `days_after_harvest` days after the end of `harvest_month`.
    HarvestBullet {
        /// The month harvest ends (1–12); the first such month after the start.
        harvest_month: u32,
        /// Days after the end of the harvest month when principal falls due.
        days_after_harvest: u32,
        /// How often interest falls due.
        interest_every: InterestFrequency,
        /// Where the harvest month came from.
        harvest_source: HarvestSource,
    },
    /// Interest every period, principal in equal parts at each sale batch.
    LivestockBatch {
        /// Months after the start at which each batch is sold, strictly increasing.
        batch_months: Vec<u32>,
        /// How often interest falls due.
        interest_every: InterestFrequency,
    },
    /// A revolving line: `principal` is the limit.
    Revolving {
        /// Months the line stays open for new draws.
        validity_months: u32,
        /// Longest life of one draw (one crop cycle).
        draw_term_months: u32,
    },
}

impl Plan {
    /// The product this plan belongs to.
    pub fn kind(&self) -> ProductKind {
        match self {
            Plan::EqualInstallment { .. } => ProductKind::EqualInstallment,
            Plan::EqualPrincipal { .. } => ProductKind::EqualPrincipal,
            Plan::InterestOnly { .. } => ProductKind::InterestOnly,
            Plan::HarvestBullet { .. } => ProductKind::HarvestBullet,
            Plan::LivestockBatch { .. } => ProductKind::LivestockBatch,
            Plan::Revolving { .. } => ProductKind::Revolving,
        }
    }
}

/// Terms as entered, before validation. Every field is optional so the validator can name what is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermsRequest {
    /// Product code.
    pub product: Option<String>,
    /// Principal (or line limit) in yuan, as text.
    pub principal: Option<String>,
    /// Annual rate, as text (`0.0435` or `4.35%`).
    pub annual_rate: Option<String>,
    /// Start (value) date, `YYYY-MM-DD`.
    pub start: Option<String>,
    /// Term in months.
    pub term_months: Option<i64>,
    /// Harvest month (1–12).
    pub harvest_month: Option<i64>,
    /// Crop code, with `region`, to look the harvest month up.
    pub crop: Option<String>,
    /// Region code.
    pub region: Option<String>,
    /// Days after the harvest month when principal falls due (default 30).
    pub days_after_harvest: Option<i64>,
    /// Months at the start with nothing due.
    pub grace_months: Option<i64>,
    /// Days from the start on which no interest accrues.
    pub interest_free_days: Option<i64>,
    /// `monthly` or `quarterly`.
    pub interest_every: Option<String>,
    /// Sale-batch months for livestock loans.
    pub batch_months: Option<Vec<i64>>,
    /// Longest draw for revolving lines, in months.
    pub draw_term_months: Option<i64>,
    /// Accept an annual rate above 36%.
    pub allow_high_rate: bool,
    /// Day count: `act360` (default) or `act365`.
    pub day_count: Option<String>,
    /// Rounding: `half-even` (default), `half-up`, `down` or `up`.
    pub rounding: Option<String>,
    /// Repayment order: the five components, comma-separated codes.
    pub waterfall: Option<Vec<String>>,
    /// Penalty rate as a multiple of the contract rate, 1–2 (default 1.5).
    pub penalty_multiplier: Option<String>,
}

/// Parses a kebab-case enum value through its serde names, naming the field on failure.
fn parse_code<T: serde::de::DeserializeOwned>(field: &'static str, text: &str, known: &str) -> Result<T, TermsError> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| reject(field, format!("unknown value '{text}' (known: {known})")))
}

/// Validates the convention fields of a request.
fn conventions(request: &TermsRequest) -> Result<Conventions, TermsError> {
    let mut c = Conventions::default();
    if let Some(text) = &request.day_count {
        c.day_count = parse_code("day-count", text, "act360, act365")?;
    }
    if let Some(text) = &request.rounding {
        c.rounding = parse_code("rounding", text, "half-even, half-up, down, up")?;
    }
    if let Some(codes) = &request.waterfall {
        let known = "penalty, overdue-interest, overdue-principal, current-interest, current-principal";
        let order = codes
            .iter()
            .map(|code| parse_code::<Component>("waterfall", code.trim(), known))
            .collect::<Result<Vec<_>, _>>()?;
        c.waterfall = Waterfall::new(order).map_err(|e| reject("waterfall", e))?;
    }
    if let Some(text) = &request.penalty_multiplier {
        let m = Decimal::from_str_exact(text.trim())
            .map_err(|_| reject("penalty-multiplier", format!("'{text}' is not a decimal number")))?;
        c.penalty_multiplier = m;
    }
    Ok(c)
}

/// Checks conventions given as values: the penalty multiplier and the overpayment margin within their bounds.
fn check_conventions(c: &Conventions) -> Result<(), TermsError> {
    let m = c.penalty_multiplier;
    if m < Decimal::ONE || m > Decimal::TWO {
        return Err(reject("penalty-multiplier", format!("{m} is out of range (1–2: contract rate + 0–100%)")));
    }
    check_margin(c.overpayment_margin)
}

/// The overpayment margin: 0 (refuse any overpayment) to [`Money::MAX_INPUT`].
fn check_margin(margin: Money) -> Result<(), TermsError> {
    if margin.is_negative() || margin > Money::MAX_INPUT {
        return Err(reject("overpayment-margin", format!("{margin} is out of range (0–{})", Money::MAX_INPUT)));
    }
    Ok(())
}

impl TermsRequest {
    /// A request with the four fields every product needs; set the others with struct update syntax.
    pub fn new(product: &str, principal: &str, annual_rate: &str, start: &str) -> TermsRequest {
        TermsRequest {
            product: Some(product.to_string()),
            principal: Some(principal.to_string()),
            annual_rate: Some(annual_rate.to_string()),
            start: Some(start.to_string()),
            ..TermsRequest::default()
        }
    }
}

/// Why terms were rejected: always names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct TermsError {
    /// The command-line style name of the offending field, e.g. `principal` or `harvest-month`.
    pub field: &'static str,
    /// Why it was rejected.
    pub reason: String,
}

fn reject(field: &'static str, reason: impl Into<String>) -> TermsError {
    TermsError { field, reason: reason.into() }
}

/// Validated terms of one loan.
///
/// Invariants: principal > 0; 0 ≤ rate (≤ 36% unless explicitly allowed); term, grace and windows within the
/// product's limits; a seasonal loan knows its harvest month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanTerms {
    plan: Plan,
    principal: Money,
    annual_rate: Rate,
    start: Date,
    grace_months: u32,
    interest_free_days: u32,
    conventions: Conventions,
}

/// Longest term accepted, in months (poverty-alleviation loans run to 3 years; land-right loans to 3–5).
pub const MAX_TERM_MONTHS: u32 = 120;
/// Longest grace period, in months.
pub const MAX_GRACE_MONTHS: u32 = 24;

/// Longest validity of a revolving line, in months.
pub const MAX_VALIDITY_MONTHS: u32 = 36;

/// A whole number from text input. Whatever a `u32` holds goes on to [`LoanTerms::from_parts`], which checks the
/// product's bounds; anything else is out of range for every product (`min`–`max` are the field's widest bounds).
fn whole(field: &'static str, value: i64, min: u32, max: u32) -> Result<u32, TermsError> {
    u32::try_from(value).map_err(|_| out_of_range(field, value, min, max))
}

/// A whole number within `min..=max`.
fn within(field: &'static str, value: u32, min: u32, max: u32) -> Result<u32, TermsError> {
    if value < min || value > max {
        return Err(out_of_range(field, i64::from(value), min, max));
    }
    Ok(value)
}

fn out_of_range(field: &'static str, value: i64, min: u32, max: u32) -> TermsError {
    reject(field, format!("{value} is out of range (allowed {min}–{max})"))
}

/// How a seasonal loan's harvest month is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harvest {
    /// The month harvest ends (1–12), given explicitly.
    Month(u32),
    /// A crop and region whose season in the crop calendar gives the month.
    Calendar {
        /// The crop.
        crop: Crop,
        /// The region.
        region: Region,
    },
}

/// Terms as typed values, before the product's rules are checked: what a caller that already holds domain types
/// (a decision, a restructuring) gives the lending core instead of text. [`LoanTerms::from_parts`] validates them,
/// and [`LoanTerms::new`] parses a [`TermsRequest`] into them, so text and typed callers meet the same rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermsParts {
    /// The product.
    pub product: ProductKind,
    /// Principal (for revolving lines: the limit).
    pub principal: Money,
    /// Annual contract rate.
    pub annual_rate: Rate,
    /// Start (value) date.
    pub start: Date,
    /// Term in months (for `livestock-batch` the last sale month, for `revolving` the line's validity).
    pub term_months: Option<u32>,
    /// The harvest month of a seasonal loan.
    pub harvest: Option<Harvest>,
    /// Days after the harvest month when principal falls due (default 30).
    pub days_after_harvest: Option<u32>,
    /// Months at the start with nothing due.
    pub grace_months: u32,
    /// Days from the start on which no interest accrues.
    pub interest_free_days: u32,
    /// How often interest falls due, for the products that pay it apart from principal.
    pub interest_every: Option<InterestFrequency>,
    /// Sale-batch months of a livestock loan.
    pub batch_months: Option<Vec<u32>>,
    /// Longest draw of a revolving line, in months.
    pub draw_term_months: Option<u32>,
    /// Accept an annual rate above 36%.
    pub allow_high_rate: bool,
    /// Day count, rounding, waterfall, penalty, overpayment margin.
    pub conventions: Conventions,
}

impl TermsParts {
    /// Parts with the four values every product needs and the defaults for the rest; set the others with struct
    /// update syntax.
    pub fn new(product: ProductKind, principal: Money, annual_rate: Rate, start: Date) -> TermsParts {
        TermsParts {
            product,
            principal,
            annual_rate,
            start,
            term_months: None,
            harvest: None,
            days_after_harvest: None,
            grace_months: 0,
            interest_free_days: 0,
            interest_every: None,
            batch_months: None,
            draw_term_months: None,
            allow_high_rate: false,
            conventions: Conventions::default(),
        }
    }

    /// Parses the text of a request into typed parts, naming the field it cannot read.
    pub fn parse(request: &TermsRequest) -> Result<TermsParts, TermsError> {
        let product: ProductKind = request
            .product
            .as_deref()
            .ok_or_else(|| reject("product", "is required"))?
            .parse()
            .map_err(|e: UnknownProduct| reject("product", e.to_string()))?;
        let principal_text = request.principal.as_deref().ok_or_else(|| reject("principal", "is required"))?;
        let principal = Money::parse_yuan(principal_text).map_err(|e| reject("principal", e.to_string()))?;
        let rate_text = request.annual_rate.as_deref().ok_or_else(|| reject("annual-rate", "is required"))?;
        let annual_rate = Rate::parse(rate_text).map_err(|e| reject("annual-rate", e.to_string()))?;
        let start_text = request.start.as_deref().ok_or_else(|| reject("start", "is required"))?;
        let start = domain::parse_date(start_text).map_err(|e| reject("start", e.to_string()))?;
        let count = |field: &'static str, value: Option<i64>, min: u32, max: u32| -> Result<Option<u32>, TermsError> {
            value.map(|v| whole(field, v, min, max)).transpose()
        };
        let term_max = if product == ProductKind::Revolving { MAX_VALIDITY_MONTHS } else { MAX_TERM_MONTHS };
        let harvest_given = request.harvest_month.is_some() || request.crop.is_some() || request.region.is_some();
        if product != ProductKind::HarvestBullet && harvest_given {
            let field = if request.harvest_month.is_some() { "harvest-month" } else { "crop" };
            return Err(not_for(product, field));
        }
        let harvest = match (request.harvest_month, &request.crop, &request.region) {
            (None, None, None) => None,
            (Some(m), None, None) => Some(Harvest::Month(whole("harvest-month", m, 1, 12)?)),
            (Some(_), _, _) => {
                return Err(reject("harvest-month", "give either --harvest-month or --crop with --region"));
            }
            (None, Some(crop), Some(region)) => Some(Harvest::Calendar {
                crop: crop.parse().map_err(|e: domain::UnknownCode| reject("crop", e.to_string()))?,
                region: region.parse().map_err(|e: domain::UnknownCode| reject("region", e.to_string()))?,
            }),
            (None, Some(_), None) => return Err(reject("region", "is required with --crop")),
            (None, None, Some(_)) => return Err(reject("crop", "is required with --region")),
        };
        Ok(TermsParts {
            product,
            principal,
            annual_rate,
            start,
            term_months: count("term-months", request.term_months, 1, term_max)?,
            harvest,
            days_after_harvest: count("days-after-harvest", request.days_after_harvest, 0, 120)?,
            grace_months: count("grace-months", request.grace_months, 0, MAX_GRACE_MONTHS)?.unwrap_or(0),
            interest_free_days: count("interest-free-days", request.interest_free_days, 0, 366)?.unwrap_or(0),
            interest_every: request
                .interest_every
                .as_deref()
                .map(|text| text.parse().map_err(|e: String| reject("interest-every", e)))
                .transpose()?,
            batch_months: request
                .batch_months
                .as_ref()
                .map(|list| list.iter().map(|m| whole("batch-months", *m, 1, MAX_TERM_MONTHS)).collect())
                .transpose()?,
            draw_term_months: count("draw-term-months", request.draw_term_months, 1, MAX_VALIDITY_MONTHS)?,
            allow_high_rate: request.allow_high_rate,
            conventions: conventions(request)?,
        })
    }
}

fn not_for(product: ProductKind, field: &'static str) -> TermsError {
    reject(field, format!("does not apply to {product}"))
}

impl LoanTerms {
    /// Validates a request: parses its text ([`TermsParts::parse`]), then checks the parts against the product
    /// ([`LoanTerms::from_parts`]). The crop calendar resolves `crop` + `region` to a harvest month.
    pub fn new(request: &TermsRequest, calendar: &CropCalendar) -> Result<LoanTerms, TermsError> {
        LoanTerms::from_parts(TermsParts::parse(request)?, calendar)
    }

    /// Validates typed parts against the product, naming the field it rejects with the names [`LoanTerms::new`]
    /// uses. The crop calendar resolves a [`Harvest::Calendar`] to a harvest month.
    pub fn from_parts(parts: TermsParts, calendar: &CropCalendar) -> Result<LoanTerms, TermsError> {
        let TermsParts {
            product,
            principal,
            annual_rate,
            start,
            term_months,
            harvest,
            days_after_harvest,
            grace_months,
            interest_free_days,
            interest_every,
            batch_months,
            draw_term_months,
            allow_high_rate,
            conventions,
        } = parts;
        if !principal.is_positive() {
            return Err(reject("principal", format!("must be greater than zero, got {principal}")));
        }
        if principal > Money::MAX_INPUT {
            return Err(reject("principal", format!("{principal} is out of range (at most {})", Money::MAX_INPUT)));
        }
        if annual_rate > Rate::standard_ceiling() && !allow_high_rate {
            return Err(reject(
                "annual-rate",
                format!("{annual_rate} is above the 0.36 ceiling (pass --allow-high-rate if this is intended)"),
            ));
        }
        let grace_months = within("grace-months", grace_months, 0, MAX_GRACE_MONTHS)?;
        let interest_free_days = within("interest-free-days", interest_free_days, 0, 366)?;
        if interest_free_days > 0 && !product.daily_interest() {
            return Err(reject(
                "interest-free-days",
                format!(
                    "{product} charges interest by the month; an interest-free window needs a daily-interest product"
                ),
            ));
        }
        let term = |default: Option<u32>| -> Result<u32, TermsError> {
            match (term_months, default) {
                (Some(t), _) => within("term-months", t, 1, MAX_TERM_MONTHS),
                (None, Some(d)) => Ok(d),
                (None, None) => Err(reject("term-months", format!("is required for {product}"))),
            }
        };
        let refuse = |present: bool, field: &'static str| -> Result<(), TermsError> {
            if present { Err(not_for(product, field)) } else { Ok(()) }
        };
        if product != ProductKind::HarvestBullet {
            refuse(
                harvest.is_some(),
                if matches!(harvest, Some(Harvest::Month(_))) { "harvest-month" } else { "crop" },
            )?;
            refuse(days_after_harvest.is_some(), "days-after-harvest")?;
        }
        if product != ProductKind::LivestockBatch {
            refuse(batch_months.is_some(), "batch-months")?;
        }
        if product != ProductKind::Revolving {
            refuse(draw_term_months.is_some(), "draw-term-months")?;
        }
        if !product.pays_interest_apart() {
            refuse(interest_every.is_some(), "interest-every")?;
        }
        let interest_every = interest_every.unwrap_or(match product {
            ProductKind::LivestockBatch => InterestFrequency::Quarterly,
            _ => InterestFrequency::Monthly,
        });
        let plan = match product {
            ProductKind::EqualInstallment => Plan::EqualInstallment { term_months: term(None)? },
            ProductKind::EqualPrincipal => Plan::EqualPrincipal { term_months: term(None)? },
            ProductKind::InterestOnly => Plan::InterestOnly { term_months: term(None)?, interest_every },
            ProductKind::HarvestBullet => {
                if term_months.is_some() {
                    return Err(reject("term-months", "a harvest-bullet loan's term is set by its harvest month"));
                }
                let (harvest_month, harvest_source) = match harvest {
                    Some(Harvest::Month(m)) => (within("harvest-month", m, 1, 12)?, HarvestSource::Explicit),
                    Some(Harvest::Calendar { crop, region }) => {
                        let season = calendar.season(crop, region).map_err(|e| reject("crop", e.to_string()))?;
                        (season.harvest_month, HarvestSource::CropCalendar { crop, region })
                    }
                    None => return Err(reject("harvest-month", "is required (or --crop with --region)")),
                };
                let days_after_harvest = match days_after_harvest {
                    Some(d) => within("days-after-harvest", d, 0, 120)?,
                    None => 30,
                };
                Plan::HarvestBullet { harvest_month, days_after_harvest, interest_every, harvest_source }
            }
            ProductKind::LivestockBatch => {
                let batch_months = match batch_months {
                    Some(months) => {
                        if months.is_empty() {
                            return Err(reject("batch-months", "needs at least one sale month"));
                        }
                        for m in &months {
                            within("batch-months", *m, 1, MAX_TERM_MONTHS)?;
                        }
                        if months.windows(2).any(|w| w[0] >= w[1]) {
                            return Err(reject("batch-months", "sale months must be strictly increasing"));
                        }
                        if term_months.is_some_and(|t| months[months.len() - 1] != t) {
                            return Err(reject("term-months", "must equal the last sale month"));
                        }
                        months
                    }
                    None => {
                        // Fattening batches take 5–6 months: one sale every 6 months, the last at the term.
                        let term = term(Some(12))?;
                        let mut months: Vec<u32> = (1..).map(|k| k * 6).take_while(|m| *m < term).collect();
                        months.push(term);
                        months
                    }
                };
                Plan::LivestockBatch { batch_months, interest_every }
            }
            ProductKind::Revolving => {
                let validity_months = within("term-months", term_months.unwrap_or(12), 1, MAX_VALIDITY_MONTHS)?;
                let draw_term_months = match draw_term_months {
                    Some(d) => within("draw-term-months", d, 1, validity_months)?,
                    None => validity_months.min(12),
                };
                Plan::Revolving { validity_months, draw_term_months }
            }
        };
        check_conventions(&conventions)?;
        let terms = LoanTerms { plan, principal, annual_rate, start, grace_months, interest_free_days, conventions };
        if grace_months > 0 && grace_months >= terms.maturity_months_hint() {
            return Err(reject("grace-months", format!("{grace_months} months of grace leave no repayment period")));
        }
        if let Plan::HarvestBullet { .. } = terms.plan {
            let months = terms.maturity_months_hint();
            if months > 18 {
                return Err(reject("harvest-month", "the harvest falls more than 18 months after the start"));
            }
        }
        Ok(terms)
    }

    /// Terms with non-default conventions (day count, rounding, waterfall, penalty).
    pub fn with_conventions(mut self, conventions: Conventions) -> LoanTerms {
        self.conventions = conventions;
        self
    }

    /// The same terms starting on another date (a loan disbursed later than planned).
    pub fn starting(mut self, start: Date) -> LoanTerms {
        self.start = start;
        self
    }

    /// The same terms with another overpayment margin (0 refuses any overpayment), at most [`Money::MAX_INPUT`].
    pub fn with_overpayment_margin(mut self, margin: Money) -> Result<LoanTerms, TermsError> {
        check_margin(margin)?;
        self.conventions.overpayment_margin = margin;
        Ok(self)
    }

    /// The same terms with a new principal and plan, for a restructuring.
    pub(crate) fn restructured(&self, plan: Plan, principal: Money, rate: Rate, start: Date) -> LoanTerms {
        LoanTerms {
            plan,
            principal,
            annual_rate: rate,
            start,
            grace_months: 0,
            interest_free_days: 0,
            conventions: self.conventions.clone(),
        }
    }

    /// The product.
    pub fn product(&self) -> ProductKind {
        self.plan.kind()
    }

    /// The product-specific plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Principal (for revolving lines: the limit).
    pub fn principal(&self) -> Money {
        self.principal
    }

    /// Annual contract rate.
    pub fn annual_rate(&self) -> Rate {
        self.annual_rate
    }

    /// Start (value) date.
    pub fn start(&self) -> Date {
        self.start
    }

    /// Months at the start with nothing due.
    pub fn grace_months(&self) -> u32 {
        self.grace_months
    }

    /// Days from the start with no interest.
    pub fn interest_free_days(&self) -> u32 {
        self.interest_free_days
    }

    /// Day count, rounding, waterfall, penalty.
    pub fn conventions(&self) -> &Conventions {
        &self.conventions
    }

    /// The penalty rate: contract rate × penalty multiplier.
    pub fn penalty_rate(&self) -> Rate {
        self.annual_rate.scaled(self.conventions.penalty_multiplier)
    }

    /// Whole months from start to the last principal date (approximate for harvest loans), used for sanity checks.
    fn maturity_months_hint(&self) -> u32 {
        match &self.plan {
            Plan::EqualInstallment { term_months }
            | Plan::EqualPrincipal { term_months }
            | Plan::InterestOnly { term_months, .. } => *term_months + self.grace_months_for_amortising(),
            Plan::HarvestBullet { .. } => {
                let maturity = crate::schedule::harvest_maturity(self);
                let months = (maturity.year() - self.start.year()) * 12 + i32::try_from(maturity.month()).unwrap_or(0)
                    - i32::try_from(self.start.month()).unwrap_or(0);
                u32::try_from(months.max(0)).unwrap_or(0)
            }
            Plan::LivestockBatch { batch_months, .. } => batch_months.last().copied().unwrap_or(0),
            Plan::Revolving { validity_months, .. } => *validity_months,
        }
    }

    fn grace_months_for_amortising(&self) -> u32 {
        // Amortising products add grace before their term; the others count grace inside it.
        match self.plan {
            Plan::EqualInstallment { .. } | Plan::EqualPrincipal { .. } => self.grace_months,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(product: &str) -> TermsRequest {
        TermsRequest { term_months: Some(12), ..TermsRequest::new(product, "100000", "0.0435", "2026-03-01") }
    }

    fn field_of(request: &TermsRequest) -> &'static str {
        LoanTerms::new(request, &CropCalendar::china_default()).expect_err("should be rejected").field
    }

    #[test]
    fn rejections_name_the_field() {
        let cal = CropCalendar::china_default();
        assert!(LoanTerms::new(&request("equal-installment"), &cal).is_ok());
        assert_eq!(
            field_of(&TermsRequest { principal: Some("-5".into()), ..request("equal-installment") }),
            "principal"
        );
        assert_eq!(
            field_of(&TermsRequest { principal: Some("0".into()), ..request("equal-installment") }),
            "principal"
        );
        assert_eq!(
            field_of(&TermsRequest { annual_rate: Some("0.5".into()), ..request("equal-installment") }),
            "annual-rate"
        );
        assert_eq!(field_of(&TermsRequest { term_months: Some(0), ..request("equal-installment") }), "term-months");
        assert_eq!(
            field_of(&TermsRequest { start: Some("2026-13-01".into()), ..request("equal-installment") }),
            "start"
        );
        assert_eq!(field_of(&request("balloon")), "product");
        assert_eq!(field_of(&TermsRequest { term_months: None, ..request("harvest-bullet") }), "harvest-month");
        assert_eq!(field_of(&request("harvest-bullet")), "term-months");
        assert_eq!(field_of(&TermsRequest { harvest_month: Some(3), ..request("equal-principal") }), "harvest-month");
        assert_eq!(field_of(&TermsRequest { grace_months: Some(12), ..request("interest-only") }), "grace-months");
        assert_eq!(
            field_of(&TermsRequest { interest_free_days: Some(30), ..request("equal-installment") }),
            "interest-free-days"
        );
        let high =
            TermsRequest { annual_rate: Some("0.5".into()), allow_high_rate: true, ..request("equal-installment") };
        assert!(LoanTerms::new(&high, &cal).is_ok());
        assert_eq!(
            field_of(&TermsRequest { day_count: Some("30/360".into()), ..request("equal-installment") }),
            "day-count"
        );
        assert_eq!(
            field_of(&TermsRequest { rounding: Some("nearest".into()), ..request("equal-installment") }),
            "rounding"
        );
        let short = TermsRequest { waterfall: Some(vec!["penalty".into()]), ..request("equal-installment") };
        assert_eq!(field_of(&short), "waterfall");
        assert_eq!(
            field_of(&TermsRequest { penalty_multiplier: Some("3".into()), ..request("equal-installment") }),
            "penalty-multiplier"
        );
    }

    #[test]
    fn conventions_are_configurable() {
        let cal = CropCalendar::china_default();
        let req = TermsRequest {
            day_count: Some("act365".into()),
            rounding: Some("half-up".into()),
            waterfall: Some(
                ["overdue-principal", "overdue-interest", "penalty", "current-principal", "current-interest"]
                    .map(String::from)
                    .to_vec(),
            ),
            penalty_multiplier: Some("1.3".into()),
            ..request("interest-only")
        };
        let terms = LoanTerms::new(&req, &cal).expect("valid");
        let c = terms.conventions();
        assert_eq!((c.day_count, c.rounding), (DayCount::Act365, Rounding::HalfUp));
        assert_eq!(c.waterfall.order()[0], Component::OverduePrincipal);
        assert_eq!(terms.penalty_rate().to_string(), "0.05655");
    }

    #[test]
    fn crop_calendar_sets_the_harvest_month() {
        let cal = CropCalendar::china_default();
        let req = TermsRequest {
            term_months: None,
            crop: Some("summer-maize".into()),
            region: Some("north-china-plain".into()),
            ..request("harvest-bullet")
        };
        let terms = LoanTerms::new(&req, &cal).expect("valid");
        assert!(matches!(terms.plan(), Plan::HarvestBullet { harvest_month: 10, days_after_harvest: 30, .. }));
        let wrong = TermsRequest { crop: Some("early-rice".into()), region: Some("northeast".into()), ..req };
        assert_eq!(field_of(&wrong), "crop");
    }

    #[test]
    fn livestock_batches_default_to_every_six_months() {
        let cal = CropCalendar::china_default();
        let terms =
            LoanTerms::new(&TermsRequest { term_months: Some(18), ..request("livestock-batch") }, &cal).expect("valid");
        assert_eq!(
            terms.plan(),
            &Plan::LivestockBatch { batch_months: vec![6, 12, 18], interest_every: InterestFrequency::Quarterly }
        );
        let bad = TermsRequest { batch_months: Some(vec![6, 6]), term_months: None, ..request("livestock-batch") };
        assert_eq!(field_of(&bad), "batch-months");
    }

    #[test]
    fn typed_parts_meet_the_same_rules_as_text() {
        let cal = CropCalendar::china_default();
        let start = domain::parse_date("2026-03-01").expect("date");
        let rate = Rate::parse("0.0435").expect("rate");
        let parts = |product| TermsParts::new(product, Money::from_yuan(100_000), rate, start);
        let harvest = TermsParts {
            harvest: Some(Harvest::Calendar { crop: Crop::SummerMaize, region: Region::NorthChinaPlain }),
            ..parts(ProductKind::HarvestBullet)
        };
        let text = TermsRequest {
            crop: Some("summer-maize".into()),
            region: Some("north-china-plain".into()),
            ..TermsRequest::new("harvest-bullet", "100000", "0.0435", "2026-03-01")
        };
        assert_eq!(LoanTerms::from_parts(harvest, &cal), LoanTerms::new(&text, &cal));
        let livestock = TermsParts { batch_months: Some(vec![5, 10]), ..parts(ProductKind::LivestockBatch) };
        let text = TermsRequest { batch_months: Some(vec![5, 10]), ..request("livestock-batch") };
        let text = TermsRequest { term_months: None, ..text };
        assert_eq!(LoanTerms::from_parts(livestock, &cal), LoanTerms::new(&text, &cal));
        for product in ProductKind::ALL {
            let typed = TermsParts {
                term_months: (product != ProductKind::HarvestBullet).then_some(12),
                harvest: (product == ProductKind::HarvestBullet).then_some(Harvest::Month(10)),
                ..parts(product)
            };
            let terms = LoanTerms::from_parts(typed, &cal).expect("valid");
            assert_eq!(terms.product(), product);
        }
        let field = |parts: TermsParts| LoanTerms::from_parts(parts, &cal).expect_err("rejected").field;
        let installment = || TermsParts { term_months: Some(12), ..parts(ProductKind::EqualInstallment) };
        assert_eq!(field(TermsParts { principal: Money::ZERO, ..installment() }), "principal");
        assert_eq!(
            field(TermsParts { annual_rate: Rate::parse("0.5").expect("rate"), ..installment() }),
            "annual-rate"
        );
        assert_eq!(field(TermsParts { term_months: Some(0), ..installment() }), "term-months");
        assert_eq!(field(TermsParts { term_months: None, ..installment() }), "term-months");
        assert_eq!(
            field(TermsParts { interest_every: Some(InterestFrequency::Monthly), ..installment() }),
            "interest-every"
        );
        assert_eq!(field(TermsParts { batch_months: Some(vec![12]), ..installment() }), "batch-months");
        assert_eq!(field(TermsParts { harvest: Some(Harvest::Month(6)), ..installment() }), "harvest-month");
        assert_eq!(
            field(TermsParts { harvest: Some(Harvest::Month(13)), ..parts(ProductKind::HarvestBullet) }),
            "harvest-month"
        );
        let penalty = Conventions { penalty_multiplier: Decimal::from(3), ..Conventions::default() };
        assert_eq!(field(TermsParts { conventions: penalty, ..installment() }), "penalty-multiplier");
        let margin = Conventions { overpayment_margin: Money::from_fen(-1), ..Conventions::default() };
        assert_eq!(field(TermsParts { conventions: margin, ..installment() }), "overpayment-margin");
        let revolving = || TermsParts { term_months: Some(12), ..parts(ProductKind::Revolving) };
        assert_eq!(field(TermsParts { draw_term_months: Some(13), ..revolving() }), "draw-term-months");
        assert_eq!(field(TermsParts { term_months: Some(37), ..revolving() }), "term-months");
    }

    #[test]
    fn text_out_of_every_range_names_the_widest_bounds() {
        let err = LoanTerms::new(
            &TermsRequest { term_months: Some(-3), ..request("equal-installment") },
            &CropCalendar::china_default(),
        )
        .expect_err("negative");
        assert_eq!(err.to_string(), "term-months: -3 is out of range (allowed 1–120)");
        let err = LoanTerms::new(
            &TermsRequest { term_months: Some(0), ..request("equal-installment") },
            &CropCalendar::china_default(),
        )
        .expect_err("zero");
        assert_eq!(err.to_string(), "term-months: 0 is out of range (allowed 1–120)");
    }

    #[test]
    fn the_products_a_loan_restructures_into_are_those_restructuring_accepts() {
        for product in ProductKind::ALL {
            let terms = crate::servicing::RestructureTerms::new(product, Some(12), Some(10), None, false);
            assert_eq!(terms.is_ok(), product.restructures_into(), "{product}");
        }
    }

    #[test]
    fn waterfall_must_name_every_component_once() {
        assert!(Waterfall::new(vec![Component::Penalty]).is_err());
        let json = serde_json::to_string(&Waterfall::default()).expect("serialise");
        assert_eq!(
            json,
            r#"["penalty","overdue-interest","overdue-principal","current-interest","current-principal"]"#
        );
    }
}
