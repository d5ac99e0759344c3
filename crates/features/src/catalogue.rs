//! The feature catalogue: every feature's name, definition, sources, window and unit, in column order.
//!
//! One table (the `catalogue!` invocation below) defines both the [`Feature`] enum the engine writes values with
//! and the [`CATALOGUE`] that documents them, so the two cannot drift; a test checks that `docs/features.md` lists
//! exactly these names. Names are snake_case with the window and then the unit last (`dpd_max_12m`,
//! `rating_limit_yuan`). No feature reads a protected attribute (head gender, minority, head age, member data):
//! the input types do not even carry them.

use std::fmt;

/// Which part of a borrower's picture a feature describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Static household and village attributes.
    Household,
    /// The 100-point rating card.
    Rating,
    /// Repayment behaviour on the lender's own loans.
    Repayment,
    /// The credit-bureau report.
    Bureau,
    /// Repayment capacity.
    Capacity,
    /// Collateral, savings and insurance cover.
    Collateral,
    /// Commodity prices.
    Market,
    /// Weather, disease, employment and news.
    Environment,
    /// Account transactions and use of loan proceeds.
    Transactions,
    /// Joint-liability group and village peers.
    Social,
    /// The latest application and its free-text purpose.
    Application,
}

impl Group {
    /// Lower-case name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Group::Household => "household",
            Group::Rating => "rating",
            Group::Repayment => "repayment",
            Group::Bureau => "bureau",
            Group::Capacity => "capacity",
            Group::Collateral => "collateral",
            Group::Market => "market",
            Group::Environment => "environment",
            Group::Transactions => "transactions",
            Group::Social => "social",
            Group::Application => "application",
        }
    }
}

/// A source file of `docs/data-contracts.md` a feature reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `households`.
    Households,
    /// `villages`.
    Villages,
    /// `ratings`.
    Ratings,
    /// `bureau_reports`.
    BureauReports,
    /// `applications`.
    Applications,
    /// `loans` (terms only).
    Loans,
    /// `repayments`.
    Repayments,
    /// `transactions`.
    Transactions,
    /// `insurance_claims`.
    InsuranceClaims,
    /// `prices`.
    Prices,
    /// `weather_events`.
    WeatherEvents,
    /// `disease_events`.
    DiseaseEvents,
    /// `employment_shocks`.
    EmploymentShocks,
    /// `news`.
    News,
}

impl Source {
    /// The entity (file) name.
    pub fn name(self) -> &'static str {
        match self {
            Source::Households => "households",
            Source::Villages => "villages",
            Source::Ratings => "ratings",
            Source::BureauReports => "bureau_reports",
            Source::Applications => "applications",
            Source::Loans => "loans",
            Source::Repayments => "repayments",
            Source::Transactions => "transactions",
            Source::InsuranceClaims => "insurance_claims",
            Source::Prices => "prices",
            Source::WeatherEvents => "weather_events",
            Source::DiseaseEvents => "disease_events",
            Source::EmploymentShocks => "employment_shocks",
            Source::News => "news",
        }
    }
}

/// The span of time a feature looks at, relative to the as-of date D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// Static attributes, always known.
    Static,
    /// The state on D, from everything known by D.
    AsOf,
    /// The latest record known by D.
    Latest,
    /// Records dated in (D − n months, D].
    Months(u32),
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Static => f.write_str("static"),
            Window::AsOf => f.write_str("as of D"),
            Window::Latest => f.write_str("latest known"),
            Window::Months(n) => write!(f, "(D−{n}m, D]"),
        }
    }
}

/// The unit of a feature's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Persons.
    Persons,
    /// Years.
    Years,
    /// Mu (亩, 1/15 hectare).
    Mu,
    /// Head of livestock.
    Head,
    /// Kilometres.
    Km,
    /// 1 for yes, 0 for no.
    Flag,
    /// A share in 0–1.
    Share,
    /// A ratio (unbounded; relative changes may be negative).
    Ratio,
    /// Points on the rating card.
    Points,
    /// Yuan.
    Yuan,
    /// A count of records or people.
    Count,
    /// Days.
    Days,
    /// Months.
    Months,
    /// An ordinal level (0 lowest).
    Level,
}

impl Unit {
    /// Lower-case name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Persons => "persons",
            Unit::Years => "years",
            Unit::Mu => "mu",
            Unit::Head => "head",
            Unit::Km => "km",
            Unit::Flag => "flag",
            Unit::Share => "share",
            Unit::Ratio => "ratio",
            Unit::Points => "points",
            Unit::Yuan => "yuan",
            Unit::Count => "count",
            Unit::Days => "days",
            Unit::Months => "months",
            Unit::Level => "level",
        }
    }
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureDef {
    /// The feature this entry documents.
    pub feature: Feature,
    /// Column name: snake_case, window and unit last.
    pub name: &'static str,
    /// Feature group.
    pub group: Group,
    /// What the value means, including when it is missing.
    pub definition: &'static str,
    /// The files it reads.
    pub sources: &'static [Source],
    /// The span of time it looks at.
    pub window: Window,
    /// Its unit.
    pub unit: Unit,
}

macro_rules! catalogue {
    ($($id:ident => $name:literal, $group:ident, $unit:ident, $window:expr, [$($src:ident),+], $def:literal;)+) => {
        /// A feature of the catalogue; its discriminant is its column index.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Feature {
            $(#[doc = $def] $id,)+
        }

        impl Feature {
            /// Every feature, in column order.
            pub const ALL: &'static [Feature] = &[$(Feature::$id,)+];
        }

        /// The catalogue, in column order (= [`Feature::ALL`] order).
        pub static CATALOGUE: &[FeatureDef] = &[$(
            FeatureDef {
                feature: Feature::$id,
                name: $name,
                group: Group::$group,
                unit: Unit::$unit,
                window: $window,
                sources: &[$(Source::$src),+],
                definition: $def,
            },
        )+];
    };
}

impl Feature {
    /// The column index of the feature.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The feature's catalogue entry.
    pub fn def(self) -> &'static FeatureDef {
        &CATALOGUE[self.index()]
    }

    /// The feature's column name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The feature with this column name.
    pub fn by_name(name: &str) -> Option<Feature> {
        CATALOGUE.iter().find(|d| d.name == name).map(|d| d.feature)
    }
}

use Window::{AsOf, Latest, Months, Static};

catalogue! {
    SizePersons => "size_persons", Household, Persons, Static, [Households],
        "Household members.";
    LabourersPersons => "labourers_persons", Household, Persons, Static, [Households],
        "Working-age labourers.";
    DependantsPersons => "dependants_persons", Household, Persons, Static, [Households],
        "Children under 16 and elderly over 65.";
    MigrantsPersons => "migrants_persons", Household, Persons, Static, [Households],
        "Members working away from the village.";
    EducationYears => "education_years", Household, Years, Static, [Households],
        "The head's years of schooling.";
    LandContractedMu => "land_contracted_mu", Household, Mu, Static, [Households],
        "Contracted land.";
    LandRentedMu => "land_rented_mu", Household, Mu, Static, [Households],
        "Land rented in.";
    FatteningPigsHead => "fattening_pigs_head", Household, Head, Static, [Households],
        "Fattening pigs per batch.";
    SowsHead => "sows_head", Household, Head, Static, [Households],
        "Sows.";
    CattleHead => "cattle_head", Household, Head, Static, [Households],
        "Cattle.";
    HasBusiness => "has_business", Household, Flag, Static, [Households],
        "1 if the household runs a small business.";
    IsCoopMember => "is_coop_member", Household, Flag, Static, [Households],
        "1 if the household belongs to a cooperative.";
    VillageIrrigationShare => "village_irrigation_share", Household, Share, Static, [Villages],
        "Irrigated share of the village's land; missing if the village is not in the context.";
    IsCreditVillage => "is_credit_village", Household, Flag, Static, [Villages],
        "1 if the village holds the 信用村 title; missing if the village is not in the context.";
    BranchDistanceKm => "branch_distance_km", Household, Km, Static, [Villages],
        "Distance from the village to the branch; missing if the village is not in the context.";

    RatingScorePoints => "rating_score_points", Rating, Points, Latest, [Ratings],
        "Score of the latest rating on the 100-point card; missing if never rated by D.";
    RatingLimitYuan => "rating_limit_yuan", Rating, Yuan, Latest, [Ratings],
        "Credit-only limit of the latest rating; missing if never rated by D.";
    IsCreditHousehold => "is_credit_household", Rating, Flag, Latest, [Ratings],
        "1 if the latest rating made the household a 信用户; missing if never rated by D.";

    LoansOpen => "loans_open", Repayment, Count, AsOf, [Loans, Repayments],
        "Loans open on D: started by D and either not yet matured or still past due on D.";
    DpdCurrent => "dpd_current", Repayment, Days, AsOf, [Loans, Repayments],
        "Worst days past due on D over the household's loans: a loan's last repayment row on or before D, plus the days since that row if it was past due. Missing if the household had no loan by D.";
    DpdMax6m => "dpd_max_6m", Repayment, Days, Months(6), [Loans, Repayments],
        "Worst days past due over the window: the largest `dpd_after` of repayment rows in the window and `dpd_current`. Missing if the household had no loan by D.";
    DpdMax12m => "dpd_max_12m", Repayment, Days, Months(12), [Loans, Repayments],
        "As `dpd_max_6m` over 12 months.";
    DpdMax24m => "dpd_max_24m", Repayment, Days, Months(24), [Loans, Repayments],
        "As `dpd_max_6m` over 24 months.";
    OnTimeRatio12m => "on_time_ratio_12m", Repayment, Share, Months(12), [Repayments],
        "Share of repayment rows in the window paid in full (`amount_paid` ≥ `amount_due`); missing if there is no row in the window.";
    CuredEpisodes24m => "cured_episodes_24m", Repayment, Count, Months(24), [Repayments],
        "Repayment rows in the window at 0 DPD whose previous row on the same loan was past due: arrears cleared.";
    SinceDelinquencyMonths => "since_delinquency_months", Repayment, Months, AsOf, [Repayments],
        "Calendar months from the last past-due repayment row (or from D, if past due on D) to D; missing if never past due by D.";

    Inquiries3m => "inquiries_3m", Bureau, Count, Months(3), [BureauReports],
        "Bureau reports the lender pulled in the window (one per application).";
    Inquiries6m => "inquiries_6m", Bureau, Count, Months(6), [BureauReports],
        "Bureau reports the lender pulled in the window.";
    BureauInquiries6m => "bureau_inquiries_6m", Bureau, Count, Latest, [BureauReports],
        "Inquiries by any lender in the 6 months before the latest report; missing if no report by D.";
    BureauOpenAccounts => "bureau_open_accounts", Bureau, Count, Latest, [BureauReports],
        "Open accounts elsewhere on the latest report; missing if no report by D.";
    BureauWorstDpd24m => "bureau_worst_dpd_24m", Bureau, Days, Latest, [BureauReports],
        "Worst DPD in the 24 months before the latest report (worst bureau status); missing if no report by D.";
    BureauHasRecord => "bureau_has_record", Bureau, Flag, Latest, [BureauReports],
        "1 if the latest report found a central-bank record, 0 for a thin file; missing if no report by D.";
    BureauOtherBalanceYuan => "bureau_other_balance_yuan", Bureau, Yuan, Latest, [BureauReports],
        "Balance owed to other lenders on the latest report; missing if no report by D.";

    HarvestValueExpectedYuan => "harvest_value_expected_yuan", Capacity, Yuan, Months(12), [Households, Prices],
        "Expected yearly net farm income: over the household's crop seasons, area × expected yield × expected price − area × cost, less rent on rented land. Area is contracted plus rented land (40% of it for orchards); expected yield is 95% of the national potential yield; expected price is the mean of the crop commodity's monthly prices known by D over the last 12 such months (orchards: a fixed 4 yuan/kg). Missing if a commodity the household grows has no price known by D.";
    OfffarmIncomeProxyYuan => "offfarm_income_proxy_yuan", Capacity, Yuan, Static, [Households],
        "Off-farm income proxy: 47,500 yuan a year per migrant (4,750 yuan a month for 10 months) plus 10,000 yuan for a small business.";
    IncomeExpectedYuan => "income_expected_yuan", Capacity, Yuan, Months(12), [Households, Prices],
        "`harvest_value_expected_yuan` + `offfarm_income_proxy_yuan`; missing when the harvest value is.";
    DebtServiceAnnualYuan => "debt_service_annual_yuan", Capacity, Yuan, AsOf, [Loans, Repayments],
        "Scheduled debt service over the next year on the loans open on D: per loan, principal × (min(1, 12 ÷ term months) + annual rate × min(term months, 12) ÷ 12).";
    DebtServiceRatio => "debt_service_ratio", Capacity, Ratio, AsOf, [Loans, Repayments, Households, Prices],
        "`debt_service_annual_yuan` ÷ `income_expected_yuan`; missing if the expected income is missing or not positive.";
    DebtsOtherYuan => "debts_other_yuan", Capacity, Yuan, Static, [Households],
        "Debts to other lenders declared in the household's file.";

    HouseValueYuan => "house_value_yuan", Collateral, Yuan, Static, [Households],
        "House value.";
    MachineryValueYuan => "machinery_value_yuan", Collateral, Yuan, Static, [Households],
        "Machinery value.";
    RccSharesYuan => "rcc_shares_yuan", Collateral, Yuan, Static, [Households],
        "Shares in the rural credit cooperative.";
    DepositsYuan => "deposits_yuan", Collateral, Yuan, Static, [Households],
        "Deposits in the household's file.";
    IsGroupMember => "is_group_member", Collateral, Flag, Static, [Households],
        "1 if the household belongs to a joint-liability (联保) group.";
    IsInsured => "is_insured", Collateral, Flag, Static, [Households],
        "1 if the household has crop insurance.";
    InsuranceCoverCost => "insurance_cover_cost", Collateral, Flag, Static, [Households],
        "1 if the cover is cost insurance (pays the loss share of the input cost).";
    InsuranceCoverIncome => "insurance_cover_income", Collateral, Flag, Static, [Households],
        "1 if the cover is income insurance (pays up to 80% of the expected harvest value).";
    Claims12m => "claims_12m", Collateral, Count, Months(12), [InsuranceClaims],
        "Indemnities known in the window (a claim is known at the end of its harvest month).";
    ClaimsIndemnity12mYuan => "claims_indemnity_12m_yuan", Collateral, Yuan, Months(12), [InsuranceClaims],
        "Sum of the indemnities known in the window.";

    MainPriceTrend3m => "main_price_trend_3m", Market, Ratio, Months(3), [Households, Prices],
        "Relative change of the main crop's commodity price: the latest month known by D over the month 3 months earlier, minus 1. Missing for orchards or without both prices.";
    MainPriceTrend12m => "main_price_trend_12m", Market, Ratio, Months(12), [Households, Prices],
        "As `main_price_trend_3m` over 12 months.";
    MainPriceVolatility3m => "main_price_volatility_3m", Market, Ratio, Months(3), [Households, Prices],
        "Standard deviation of the monthly log price changes of the main crop's commodity over the last 3 known months (at least 2 changes); missing for orchards.";
    MainPriceVolatility12m => "main_price_volatility_12m", Market, Ratio, Months(12), [Households, Prices],
        "As `main_price_volatility_3m` over the last 12 known months.";
    HogPriceTrend3m => "hog_price_trend_3m", Market, Ratio, Months(3), [Households, Prices],
        "As `main_price_trend_3m` for live hogs; missing unless the household keeps pigs (fattening pigs or sows).";
    PigGrainRatio => "pig_grain_ratio", Market, Ratio, Latest, [Households, Prices],
        "Hog price ÷ maize price of the latest hog month known by D; missing unless the household keeps pigs.";
    HogAlertLevel => "hog_alert_level", Market, Level, Latest, [Households, Prices],
        "NDRC hog-price alert of the latest hog month known by D as a level: 0 none, 1 tier 3, 2 tier 2, 3 tier 1 (most severe); missing unless the household keeps pigs.";

    WeatherLossMax6m => "weather_loss_max_6m", Environment, Share, Months(6), [WeatherEvents, Villages],
        "Largest yield loss share of the village's weather events whose harvest month ended in the window (this season); 0 without events; missing if the village is not in the context.";
    WeatherLossMax12m => "weather_loss_max_12m", Environment, Share, Months(12), [WeatherEvents, Villages],
        "As `weather_loss_max_6m` over 12 months.";
    DiseaseActive => "disease_active", Environment, Flag, AsOf, [DiseaseEvents, Villages],
        "1 if an animal-disease outbreak known by D in the village's county has its movement ban in force in D's month.";
    DiseaseOutbreak6m => "disease_outbreak_6m", Environment, Flag, Months(6), [DiseaseEvents, Villages],
        "1 if an outbreak known by D in the county was in force in D's month or in the 6 months before.";
    EmploymentShockActive => "employment_shock_active", Environment, Flag, AsOf, [EmploymentShocks, Villages],
        "1 if an off-farm employment shock known by D in the county is in force in D's month.";
    EmploymentIncomeDropShare => "employment_income_drop_share", Environment, Share, AsOf, [EmploymentShocks, Villages],
        "Largest share of migrant income lost to shocks in force in D's month; 0 without one.";
    NewsNegativeShare3m => "news_negative_share_3m", Environment, Share, Months(3), [News, Villages],
        "Share of the county's news items in the window with negative sentiment; missing without items.";

    Inflow3mYuan => "inflow_3m_yuan", Transactions, Yuan, Months(3), [Transactions],
        "Account inflows in the window, loan disbursements excluded.";
    InflowTrend6m => "inflow_trend_6m", Transactions, Ratio, Months(6), [Transactions],
        "(inflows of the last 3 months − inflows of the 3 months before) ÷ their sum, in −1..1, disbursements excluded; missing if both are zero.";
    NetFlowSd12mYuan => "net_flow_sd_12m_yuan", Transactions, Yuan, Months(12), [Transactions],
        "Balance volatility proxy: standard deviation of the 12 monthly net flows (month k = (D−k−1 months, D−k months]); missing without transactions in the window.";
    DiversionShareMax12m => "diversion_share_max_12m", Transactions, Share, Months(12), [Transactions],
        "Largest share, over disbursements in the window, of the proceeds paid within 14 days of disbursement (and by D) to non-agricultural counterparties (persons, consumer or real-estate merchants, securities, other lenders); missing without a disbursement in the window.";

    GroupPeersDpd30 => "group_peers_dpd30", Social, Count, AsOf, [Households, Loans, Repayments],
        "Other members of the household's joint-liability group at 30 or more days past due on D; missing if not in a group.";
    GroupPeersDpd90 => "group_peers_dpd90", Social, Count, AsOf, [Households, Loans, Repayments],
        "Other members of the group at 90 or more days past due on D; missing if not in a group.";
    VillageBorrowers12m => "village_borrowers_12m", Social, Count, Months(12), [Households, Loans, Repayments],
        "Other households of the village with a loan open at some time in the window.";
    VillageDefaultRate12m => "village_default_rate_12m", Social, Share, Months(12), [Households, Loans, Repayments],
        "Share of those borrowers that reached 90 or more days past due in the window, the household itself excluded; missing without other borrowers.";

    PurposeProductive => "purpose_productive", Application, Flag, Months(12), [Applications],
        "1 if the latest application in the window states a productive purpose in its own words (keyword rules on `purpose_text`: seed, fertiliser, land rent, machinery, livestock, greenhouse, shop…); missing without an application in the window.";
    PurposeConsumption => "purpose_consumption", Application, Flag, Months(12), [Applications],
        "1 if the purpose text names consumption (house building, wedding, medical bills, school fees).";
    PurposeDebt => "purpose_debt", Application, Flag, Months(12), [Applications],
        "1 if the purpose text names repaying other debts (checked first: '还去年买化肥欠的账' is debt).";
    PurposeVague => "purpose_vague", Application, Flag, Months(12), [Applications],
        "1 if the purpose text matches none of the rules ('资金周转', '家庭开支').";
    PurposeMismatch => "purpose_mismatch", Application, Flag, Months(12), [Applications],
        "1 if the form states a productive purpose code but the text reads as consumption or debt.";
    RequestedAmountYuan => "requested_amount_yuan", Application, Yuan, Months(12), [Applications],
        "Amount asked for on the latest application in the window.";
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn enum_and_catalogue_agree_and_names_are_unique_snake_case() {
        assert_eq!(Feature::ALL.len(), CATALOGUE.len());
        for (i, def) in CATALOGUE.iter().enumerate() {
            assert_eq!(def.feature.index(), i);
            assert_eq!(Feature::by_name(def.name), Some(def.feature));
            assert!(
                def.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                def.name
            );
            assert!(!def.definition.is_empty());
        }
        let names: HashSet<&str> = CATALOGUE.iter().map(|d| d.name).collect();
        assert_eq!(names.len(), CATALOGUE.len());
    }
}
