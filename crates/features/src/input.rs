//! The engine's input: one owned struct per model-facing source file of `docs/data-contracts.md` (version 2),
//! field for field, already parsed.
//!
//! These types are the seam between storage and feature computation: each stored row is parsed once into these
//! types (ids as `String`, dates as [`Date`], calendar months as [`Month`], amounts as [`Money`] in fen, shares and
//! prices as [`Decimal`], closed code lists as enums) and the engine never sees text again. Each record type is
//! declared once, through [`crate::record`]'s `records!`: the declaration is the struct, the source it comes from,
//! the columns it reads (its field names, in order) and the reader of a stored row, so the integration layer has no
//! column list or mapper of its own; [`RECORD_SHAPES`] lists them for the check against the data contracts.
//!
//! What is deliberately *absent* is as important as what is here:
//! - the audit-only and protected columns (`households.head_gender`, `households.minority`, `households.head_age`,
//!   `villages.minority_share`, and the whole `members` file with its gender, names and national ids) have no
//!   field, so no feature can be computed from them;
//! - the end-of-horizon outcome columns of `loans.csv` (`status_at_end`, `dpd_at_end`, `class_at_end`, `max_dpd`,
//!   `principal_outstanding_at_end`) are labels, not inputs, and [`Loan`] holds the booked terms only;
//! - the ground-truth files (`household_truth`, `loan_truth`, `shocks`, `shock_households`) have no type at all.

use std::fmt;

use chrono::Datelike;
use domain::{Date, Money};
use lending::ProductKind;
use rust_decimal::Decimal;

use crate::record::{FromValue, OrEmpty, Stored, Value, records};

/// A code outside its closed code list, or a malformed month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A value outside a closed code list of the contract.
    #[error("unknown {kind} code '{text}'")]
    UnknownCode {
        /// Which code list (e.g. "product").
        kind: &'static str,
        /// The rejected text.
        text: String,
    },
    /// A month that is not `YYYY-MM`.
    #[error("'{text}' is not a month (expected YYYY-MM, e.g. 2026-03)")]
    Month {
        /// The rejected text.
        text: String,
    },
}

/// Defines a closed code list: an enum with `code()`, `parse()` and `ALL`, the codes exactly as in the contract.
macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The code as written in the source file.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// Parses a code of the contract's closed list.
            pub fn parse(text: &str) -> Result<$name, InputError> {
                match text {
                    $($code => Ok($name::$variant),)+
                    _ => Err(InputError::UnknownCode { kind: $kind, text: text.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.code())
            }
        }

        impl FromValue for $name {
            const STORED: Stored = Stored::Text;

            fn from_value(value: Value<'_>) -> Result<$name, String> {
                $name::parse(&String::from_value(value)?).map_err(|e| e.to_string())
            }
        }
    };
}

code_list! {
    /// A crop season a household farms (`households.crops`, `loans.crop`, `insurance_claims.crop`).
    FarmCrop, "crop" {
        /// 冬小麦.
        WinterWheat => "winter-wheat",
        /// 夏玉米.
        SummerMaize => "summer-maize",
        /// 一季稻.
        SingleRice => "single-rice",
        /// 早稻.
        EarlyRice => "early-rice",
        /// 晚稻.
        LateRice => "late-rice",
        /// 春玉米.
        SpringMaize => "spring-maize",
        /// 大豆.
        Soybean => "soybean",
        /// Orchards and tea (no crop-calendar entry, no traded commodity).
        Fruit => "fruit",
    }
}

code_list! {
    /// A commodity of `prices.csv`.
    Commodity, "commodity" {
        /// 小麦.
        Wheat => "wheat",
        /// 稻谷.
        Paddy => "paddy",
        /// 玉米.
        Maize => "maize",
        /// 大豆.
        Soybean => "soybean",
        /// 生猪 (live hogs).
        Hog => "hog",
    }
}

code_list! {
    /// `households.insurance_cover`.
    InsuranceCover, "insurance cover" {
        /// Pays the disaster loss share of the insured input cost.
        Cost => "cost",
        /// Pays up to 80% of the expected harvest value.
        Income => "income",
    }
}

code_list! {
    /// `ratings.grade`.
    Grade, "grade" {
        /// 90 points or more.
        Aaa => "AAA",
        /// 80–89.
        Aa => "AA",
        /// 70–79.
        A => "A",
        /// 60–69.
        B => "B",
        /// Below 60: not a credit household.
        Unrated => "-",
    }
}

// A loan product (`applications.product`, `loans.product`) is the lending core's [`ProductKind`], whose codes are
// the contract's.
impl From<lending::UnknownProduct> for InputError {
    fn from(e: lending::UnknownProduct) -> InputError {
        InputError::UnknownCode { kind: "product", text: e.0 }
    }
}

impl FromValue for ProductKind {
    const STORED: Stored = Stored::Text;

    fn from_value(value: Value<'_>) -> Result<ProductKind, String> {
        ProductKind::parse::<InputError>(&String::from_value(value)?).map_err(|e| e.to_string())
    }
}

code_list! {
    /// `applications.stated_purpose`.
    StatedPurpose, "stated purpose" {
        /// Seed, fertiliser, pesticide.
        CropInputs => "crop-inputs",
        /// Rent for land transferred in.
        LandRent => "land-rent",
        /// Farm machinery.
        Machinery => "machinery",
        /// Piglets, feed, other livestock.
        Livestock => "livestock",
        /// Greenhouses.
        Greenhouse => "greenhouse",
        /// Shop, farm-stay, produce trading.
        SmallBusiness => "small-business",
        /// Building or refurbishing a house.
        HouseBuilding => "house-building",
        /// Wedding, bride price.
        Wedding => "wedding",
        /// Medical bills.
        Medical => "medical",
        /// School fees.
        Education => "education",
        /// Repaying another loan.
        DebtRepayment => "debt-repayment",
    }
}

impl StatedPurpose {
    /// Whether the stated purpose is productive (the first six codes).
    pub fn is_productive(self) -> bool {
        self <= StatedPurpose::SmallBusiness
    }
}

code_list! {
    /// `applications.decision`.
    Decision, "decision" {
        /// Approved: a loan was booked.
        Approved => "approved",
        /// Declined.
        Declined => "declined",
    }
}

code_list! {
    /// `loans.collateral`.
    CollateralCode, "collateral" {
        /// A credit household's unsecured loan.
        CreditOnly => "credit-only",
        /// Joint liability (联保).
        Group => "group",
    }
}

code_list! {
    /// The five-category class (`repayments.class_after`).
    LoanClass, "class" {
        /// DPD 0.
        Normal => "normal",
        /// DPD 1–90.
        SpecialMention => "special-mention",
        /// DPD 91–270.
        Substandard => "substandard",
        /// DPD 271–360.
        Doubtful => "doubtful",
        /// DPD above 360.
        Loss => "loss",
    }
}

code_list! {
    /// `transactions.counterparty_type`.
    Counterparty, "counterparty type" {
        /// Input dealer.
        AgriInput => "agri_input",
        /// Produce buyer.
        AgriBuyer => "agri_buyer",
        /// Employer.
        Wage => "wage",
        /// A private person.
        TransferPerson => "transfer_person",
        /// A consumer merchant.
        Consumer => "consumer",
        /// A real-estate merchant.
        RealEstate => "real_estate",
        /// A securities account.
        Securities => "securities",
        /// Another lender.
        OtherLender => "other_lender",
        /// The lender's own loan account (disbursements and repayments).
        Loan => "loan",
    }
}

impl Counterparty {
    /// Counterparties to which loan proceeds count as diverted (early-warning.md: individuals, consumer or
    /// real-estate merchants, securities accounts, other lenders).
    pub fn is_diversion(self) -> bool {
        matches!(
            self,
            Counterparty::TransferPerson
                | Counterparty::Consumer
                | Counterparty::RealEstate
                | Counterparty::Securities
                | Counterparty::OtherLender
        )
    }
}

code_list! {
    /// `weather_events.event_type`.
    WeatherType, "weather event" {
        /// 干旱.
        Drought => "drought",
        /// 洪涝.
        Flood => "flood",
        /// 冰雹.
        Hail => "hail",
        /// 台风.
        Typhoon => "typhoon",
        /// 霜冻.
        Frost => "frost",
        /// 烂场雨.
        HarvestRain => "harvest-rain",
    }
}

code_list! {
    /// `disease_events.species`.
    Species, "species" {
        /// Hogs (African swine fever).
        Hog => "hog",
    }
}

code_list! {
    /// `news.topic`.
    NewsTopic, "news topic" {
        /// Hog prices.
        HogPrice => "hog-price",
        /// Grain prices.
        GrainPrice => "grain-price",
        /// Other farm prices.
        FarmPrice => "farm-price",
        /// Drought.
        Drought => "drought",
        /// Flood.
        Flood => "flood",
        /// Hail.
        Hail => "hail",
        /// Typhoon.
        Typhoon => "typhoon",
        /// Frost.
        Frost => "frost",
        /// Harvest rain.
        HarvestRain => "harvest-rain",
        /// Another disaster.
        Disaster => "disaster",
        /// Animal disease.
        Disease => "disease",
        /// Policy.
        Policy => "policy",
        /// Off-farm employment.
        Employment => "employment",
        /// Village life.
        RuralLife => "rural-life",
    }
}

code_list! {
    /// `news.sentiment`.
    Sentiment, "sentiment" {
        /// Good news for borrowers.
        Positive => "positive",
        /// Neither.
        Neutral => "neutral",
        /// Bad news for borrowers.
        Negative => "negative",
    }
}

/// A calendar month (`YYYY-MM` in the files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    /// Months since year 0: `year * 12 + (month - 1)`; orders and subtracts months exactly.
    index: i32,
}

impl Month {
    /// The month of a year (`month` in 1–12).
    ///
    /// # Panics
    /// If `month` is not in 1..=12 (a programmer error; parsed months are checked by [`Month::parse`]).
    pub fn new(year: i32, month: u32) -> Month {
        assert!((1..=12).contains(&month), "month is 1..=12");
        let month0 = i32::try_from(month - 1).expect("month - 1 < 12");
        Month { index: year * 12 + month0 }
    }

    /// Parses `YYYY-MM` (years 1900–2199).
    pub fn parse(text: &str) -> Result<Month, InputError> {
        let err = || InputError::Month { text: text.to_owned() };
        let bytes = text.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' || !bytes.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit())
        {
            return Err(err());
        }
        let year: i32 = text[..4].parse().map_err(|_| err())?;
        let month: u32 = text[5..].parse().map_err(|_| err())?;
        if !(1900..2200).contains(&year) || !(1..=12).contains(&month) {
            return Err(err());
        }
        Ok(Month::new(year, month))
    }

    /// The month a date falls in.
    pub fn of(date: Date) -> Month {
        Month::new(date.year(), date.month())
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.index.div_euclid(12)
    }

    /// The month of the year, 1–12.
    pub fn month(self) -> u32 {
        u32::try_from(self.index.rem_euclid(12)).expect("rem_euclid(12) is in 0..12") + 1
    }

    /// This month shifted by `months` (negative: earlier).
    pub fn plus(self, months: i32) -> Month {
        Month { index: self.index + months }
    }

    /// Whole months from `earlier` to `self` (negative when `earlier` is later).
    pub fn months_since(self, earlier: Month) -> i32 {
        self.index - earlier.index
    }

    /// The first day of the month.
    pub fn first_day(self) -> Date {
        Date::from_ymd_opt(self.year(), self.month(), 1).expect("the first of a valid month exists")
    }

    /// The last day of the month.
    pub fn last_day(self) -> Date {
        domain::end_of_month(self.year(), self.month())
    }
}

impl FromValue for Month {
    const STORED: Stored = Stored::Text;

    fn from_value(value: Value<'_>) -> Result<Month, String> {
        Month::parse(&String::from_value(value)?).map_err(|e| e.to_string())
    }
}

/// A `;`-joined list of crop seasons (`households.crops`), main season first.
impl FromValue for Vec<FarmCrop> {
    const STORED: Stored = Stored::Text;

    fn from_value(value: Value<'_>) -> Result<Vec<FarmCrop>, String> {
        String::from_value(value)?.split(';').map(|c| FarmCrop::parse(c).map_err(|e| e.to_string())).collect()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

records! {
    /// A village (`villages.csv` without the audit-only `minority_share` and the display-only `name`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Village from "villages" {
        /// 12-digit village code.
        pub village_code: String,
        /// 6-digit county code: the key of county-level context (disease, employment shocks, news).
        pub county_code: String,
        /// Irrigated share of the village's land, 0–1.
        pub irrigation_share: Decimal,
        /// Holds the 信用村 title at the start.
        pub credit_village: bool,
        /// Distance to the branch, km.
        pub distance_km: Decimal,
    }

    /// A household's static file (`households.csv`), without the protected columns `head_age`, `head_gender` and
    /// `minority`, which must never be features.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Household from "households" {
        /// `H` + 7 digits.
        pub household_id: String,
        /// The household's village.
        pub village_code: String,
        /// Members, persons.
        pub size: u32,
        /// Working-age labourers, persons.
        pub labourers: u32,
        /// Children under 16 and elderly over 65, persons.
        pub dependants: u32,
        /// The head's years of schooling.
        pub education_years: u32,
        /// Contracted land, mu.
        pub land_contracted_mu: Decimal,
        /// Land rented in, mu.
        pub land_rented_mu: Decimal,
        /// Crop seasons farmed, main season first.
        pub crops: Vec<FarmCrop>,
        /// Sows, head.
        pub sows: u32,
        /// Fattening pigs per batch, head.
        pub fattening_pigs: u32,
        /// Cattle, head.
        pub cattle: u32,
        /// Members working away, persons.
        pub migrants: u32,
        /// Has a small business.
        pub business: bool,
        /// Cooperative member.
        pub coop_member: bool,
        /// Has crop insurance.
        pub insured: bool,
        /// The insurance cover; `None` iff not insured.
        pub insurance_cover: Option<InsuranceCover>,
        /// Shares in the rural credit cooperative.
        pub rcc_shares: Money,
        /// Deposits at the start.
        pub deposits: Money,
        /// House value.
        pub house_value: Money,
        /// Machinery value.
        pub machinery_value: Money,
        /// Debts to other lenders.
        pub debts_other: Money,
        /// Joint-liability (联保) group, if any.
        pub group_id: Option<String>,
    }

    /// A rating on the 100-point card (`ratings.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Rating from "ratings" {
        /// The household rated.
        pub household_id: String,
        /// Rating date.
        pub rated_on: Date,
        /// Card score, 0–100 points.
        pub score: u32,
        /// Grade.
        pub grade: Grade,
        /// 信用户.
        pub credit_household: bool,
        /// Credit-only limit.
        pub limit: Money,
    }

    /// A credit-bureau-style report (`bureau_reports.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct BureauReport from "bureau_reports" {
        /// The household.
        pub household_id: String,
        /// Report date (= the application date).
        pub report_date: Date,
        /// Has a central-bank credit record (`false`: thin file).
        pub has_record: bool,
        /// Open accounts elsewhere.
        pub open_accounts: u32,
        /// Inquiries in the 6 months before the report.
        pub inquiries_6m: u32,
        /// Worst DPD in the 24 months before the report, days.
        pub worst_dpd_24m: u32,
        /// Outstanding balance elsewhere.
        pub other_balance: Money,
    }

    /// A loan application with its free-text purpose (`applications.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Application from "applications" {
        /// Application id.
        pub application_id: String,
        /// The applicant.
        pub household_id: String,
        /// Application date.
        pub applied_on: Date,
        /// Product asked for.
        pub product: ProductKind,
        /// Amount asked for (the limit for a revolving line).
        pub amount_requested: Money,
        /// Purpose code on the form.
        pub stated_purpose: StatedPurpose,
        /// Purpose in the applicant's words (Chinese).
        pub purpose_text: String as OrEmpty,
        /// The decision; `None` while pending (an applicant being scored).
        pub decision: Option<Decision>,
        /// The loan booked, when approved.
        pub loan_id: Option<String>,
    }

    /// A loan's booked terms (`loans.csv` without its end-of-horizon outcome columns, which are labels).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Loan from "loans" {
        /// Loan id.
        pub loan_id: String,
        /// The borrower.
        pub household_id: String,
        /// The application it was booked from.
        pub application_id: String,
        /// Product.
        pub product: ProductKind,
        /// Principal (the line limit for a revolving line).
        pub principal: Money,
        /// Contract annual rate, a decimal fraction (0.055 = 5.5%).
        pub annual_rate: Decimal,
        /// Value date.
        pub start_date: Date,
        /// Last scheduled due date at booking.
        pub maturity_date: Date,
        /// Security.
        pub collateral: CollateralCode,
        /// Crop financed (harvest-bullet loans).
        pub crop: Option<FarmCrop>,
    }

    /// One dated repayment attempt on a loan (`repayments.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Repayment from "repayments" {
        /// The loan.
        pub loan_id: String,
        /// The payment date, or the date of a missed due.
        pub date: Date,
        /// Everything due and unpaid at that date, penalty included.
        pub amount_due: Money,
        /// Paid.
        pub amount_paid: Money,
        /// Days past due after the day's postings.
        pub dpd_after: u32,
        /// Five-category class after the day's postings.
        pub class_after: LoanClass,
    }

    /// An account movement (`transactions.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Transaction from "transactions" {
        /// Account holder.
        pub household_id: String,
        /// Value date.
        pub date: Date,
        /// Signed amount: inflows positive.
        pub amount: Money,
        /// Kind of counterparty.
        pub counterparty_type: Counterparty,
        /// Opaque counterparty id (`RCC`, `AG-nnn`, `CP-nnnnn`).
        pub counterparty_id: String,
        /// The loan the money came from or went to.
        pub loan_id: Option<String>,
    }

    /// A crop-insurance indemnity (`insurance_claims.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct InsuranceClaim from "insurance_claims" {
        /// The insured household.
        pub household_id: String,
        /// Harvest month of the poor harvest.
        pub harvest_month: Month,
        /// The crop.
        pub crop: FarmCrop,
        /// Indemnity paid.
        pub indemnity: Money,
    }

    /// A monthly commodity price (`prices.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct PriceRow from "prices" {
        /// Calendar month.
        pub month: Month,
        /// Commodity.
        pub commodity: Commodity,
        /// Price, yuan/kg.
        pub price_yuan_per_kg: Decimal,
        /// Hog price ÷ maize price (hog rows only).
        pub pig_grain_ratio: Option<Decimal>,
        /// NDRC hog-price alert tier, 1 most severe (hog rows with a ratio below 6 only).
        pub hog_alert_tier: Option<u8>,
    }

    /// A weather loss in a village's harvest month (`weather_events.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct WeatherEvent from "weather_events" {
        /// The village hit.
        pub village_code: String,
        /// The harvest month hit.
        pub harvest_month: Month,
        /// Event type.
        pub event_type: WeatherType,
        /// Yield loss share, 0–1.
        pub loss_share: Decimal,
    }

    /// An animal-disease outbreak with its movement ban (`disease_events.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct DiseaseEvent from "disease_events" {
        /// The county.
        pub county_code: String,
        /// Species.
        pub species: Species,
        /// First month.
        pub start_month: Month,
        /// Last month of the movement ban.
        pub end_month: Month,
        /// Share of herds culled, 0–1.
        pub cull_rate: Decimal,
    }

    /// A regional off-farm employment shock (`employment_shocks.csv`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct EmploymentShock from "employment_shocks" {
        /// The county.
        pub county_code: String,
        /// First month.
        pub start_month: Month,
        /// Last month.
        pub end_month: Month,
        /// Share of migrant income lost, 0–1.
        pub income_drop: Decimal,
    }

    /// A satellite pass over a village's crop (`crop_observations.csv`, 遥感). Not a model feature: post-loan
    /// monitoring reads it through `crop_condition`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct CropPass from "crop_observations" {
        /// The village.
        pub village_code: String,
        /// The crop observed.
        pub crop: FarmCrop,
        /// Date of the pass.
        pub observed_on: Date,
        /// Vegetation index seen, in [-1, 1].
        pub ndvi: Decimal,
        /// The usual index for the crop and date, in [-1, 1].
        pub ndvi_normal: Decimal,
        /// Share of the village under cloud, 0–1.
        pub cloud_share: Decimal,
    }

    /// A news headline about a county (`news.csv`; the headline text itself is not an input).
    #[derive(Debug, Clone, PartialEq)]
    pub struct NewsItem from "news" {
        /// Publication date.
        pub date: Date,
        /// The county.
        pub county_code: String,
        /// Topic.
        pub topic: NewsTopic,
        /// Tone for borrowers.
        pub sentiment: Sentiment,
    }
}

impl lending::DpdObservation for Repayment {
    /// A repayment row is an observation of the loan's DPD at the end of its date, after that day's postings.
    fn observed_on(&self) -> Date {
        self.date
    }

    fn dpd_observed(&self) -> u32 {
        self.dpd_after
    }
}

/// Everything the lender holds about one household, over any span of time: the engine keeps only what was known
/// by the as-of date (see `crate::known`).
#[derive(Debug, Clone, PartialEq)]
pub struct BorrowerRecords {
    /// The static file.
    pub household: Household,
    /// Ratings.
    pub ratings: Vec<Rating>,
    /// Bureau reports.
    pub bureau_reports: Vec<BureauReport>,
    /// Applications.
    pub applications: Vec<Application>,
    /// Loans (terms only).
    pub loans: Vec<Loan>,
    /// Repayment rows of the household's loans.
    pub repayments: Vec<Repayment>,
    /// Account movements.
    pub transactions: Vec<Transaction>,
    /// Insurance indemnities.
    pub insurance_claims: Vec<InsuranceClaim>,
}

impl BorrowerRecords {
    /// A household with no history yet.
    pub fn new(household: Household) -> BorrowerRecords {
        BorrowerRecords {
            household,
            ratings: Vec::new(),
            bureau_reports: Vec::new(),
            applications: Vec::new(),
            loans: Vec::new(),
            repayments: Vec::new(),
            transactions: Vec::new(),
            insurance_claims: Vec::new(),
        }
    }
}

/// The market, environment and social data shared by every borrower.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Villages (code → county and static village attributes).
    pub villages: Vec<Village>,
    /// Monthly commodity prices.
    pub prices: Vec<PriceRow>,
    /// Weather losses.
    pub weather_events: Vec<WeatherEvent>,
    /// Animal-disease outbreaks.
    pub disease_events: Vec<DiseaseEvent>,
    /// Employment shocks.
    pub employment_shocks: Vec<EmploymentShock>,
    /// News items.
    pub news: Vec<NewsItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_errors() {
        for p in ProductKind::ALL {
            assert_eq!(ProductKind::parse::<InputError>(p.code()), Ok(p));
        }
        assert_eq!(
            ProductKind::parse::<InputError>("balloon"),
            Err(InputError::UnknownCode { kind: "product", text: "balloon".into() })
        );
        assert_eq!(FarmCrop::parse("fruit"), Ok(FarmCrop::Fruit));
        assert!(matches!(Counterparty::parse("bank"), Err(InputError::UnknownCode { kind: "counterparty type", .. })));
        assert!(StatedPurpose::SmallBusiness.is_productive());
        assert!(!StatedPurpose::HouseBuilding.is_productive());
    }

    #[test]
    fn months_parse_order_and_bound_dates() {
        let m = Month::parse("2026-02").expect("valid month");
        assert_eq!((m.year(), m.month()), (2026, 2));
        assert_eq!(m.last_day(), Date::from_ymd_opt(2026, 2, 28).expect("date"));
        assert_eq!(m.plus(-2).to_string(), "2025-12");
        assert_eq!(m.months_since(Month::new(2025, 2)), 12);
        assert!(Month::parse("2026-13").is_err());
        assert!(Month::parse("2026-1").is_err());
        assert_eq!(Month::of(Date::from_ymd_opt(2026, 7, 31).expect("date")), Month::new(2026, 7));
    }
}
