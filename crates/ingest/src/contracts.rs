//! The simulator's files as contract version 2 states them (`docs/data-contracts.md` §3), one constant per source,
//! written to read like the document's tables: column, type, rules. Cross-column rules ("empty iff not insured",
//! "starts with its county code") are not expressed yet; single-column types, ranges, code lists, keys and foreign
//! keys are.

use crate::contract::{CONTRACT_VERSION, Column, ColumnType, Contract, DecimalRange, ForeignKey, IntRange};

// ---- code lists (closed) ----

/// Agro-ecological zones.
pub const ZONES: &[&str] = &["hhh", "yangtze", "south", "northeast", "hill", "livestock"];
/// Crop-season codes (`households.crops`, `loans.crop`).
pub const CROPS: &[&str] =
    &["winter-wheat", "summer-maize", "single-rice", "early-rice", "late-rice", "spring-maize", "soybean", "fruit"];
/// Genders (audit-only).
pub const GENDERS: &[&str] = &["F", "M"];
/// Relations to the household head.
pub const RELATIONS: &[&str] = &["户主", "配偶", "子女", "父母"];
/// Crop-insurance covers.
pub const COVERS: &[&str] = &["cost", "income"];
/// Rating grades on the 100-point card.
pub const GRADES: &[&str] = &["AAA", "AA", "A", "B", "-"];
/// Loan products.
pub const PRODUCTS: &[&str] =
    &["equal-installment", "equal-principal", "interest-only", "harvest-bullet", "livestock-batch", "revolving"];
/// Loan purposes (`Purpose::code`).
pub const PURPOSES: &[&str] = &[
    "crop-inputs",
    "land-rent",
    "machinery",
    "livestock",
    "greenhouse",
    "small-business",
    "house-building",
    "wedding",
    "medical",
    "education",
    "debt-repayment",
];
/// Application decisions.
pub const DECISIONS: &[&str] = &["approved", "declined"];
/// Loan security.
pub const COLLATERAL: &[&str] = &["credit-only", "group"];
/// Loan status at the horizon end.
pub const LOAN_STATUSES: &[&str] = &["disbursed", "active", "overdue", "closed", "written-off"];
/// The five-category loan classification (CBIRC 2023).
pub const CLASSES: &[&str] = &["normal", "special-mention", "substandard", "doubtful", "loss"];
/// Transaction counterparty kinds.
pub const COUNTERPARTY_TYPES: &[&str] = &[
    "agri_input",
    "agri_buyer",
    "wage",
    "transfer_person",
    "consumer",
    "real_estate",
    "securities",
    "other_lender",
    "loan",
];
/// Commodities of the price file.
pub const COMMODITIES: &[&str] = &["wheat", "paddy", "maize", "soybean", "hog"];
/// The only value of `synthetic`.
pub const SYNTHETIC_ONLY: &[&str] = &["true"];

// ---- identifier shapes ----

const COUNTY: &str = "99####";
const VILLAGE: &str = "99##########";
const HOUSEHOLD: &str = "H#######";
const GROUP: &str = "G######";
const APPLICATION: &str = "A#####-####";
const LOAN: &str = "L#####-####";

// ---- building blocks ----

const fn req(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, optional: false }
}

const fn opt(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, optional: true }
}

const fn id(pattern: &'static str) -> ColumnType {
    ColumnType::Id { pattern }
}

const fn int(min: i64, max: i64) -> ColumnType {
    ColumnType::Int(IntRange { min: Some(min), max: Some(max) })
}

const fn int_from(min: i64) -> ColumnType {
    ColumnType::Int(IntRange { min: Some(min), max: None })
}

/// A decimal with `places` decimals in `[min, max]`, bounds given in units of the last place.
const fn dec(places: u32, min: i64, max: i64) -> ColumnType {
    ColumnType::Decimal {
        places,
        range: DecimalRange { min: Some((min, places, false)), max: Some((max, places, false)) },
    }
}

/// A decimal with `places` decimals, ≥ 0.
const fn dec_non_negative(places: u32) -> ColumnType {
    ColumnType::Decimal { places, range: DecimalRange { min: Some((0, 0, false)), max: None } }
}

/// A decimal with `places` decimals, > 0.
const fn dec_positive(places: u32) -> ColumnType {
    ColumnType::Decimal { places, range: DecimalRange { min: Some((0, 0, true)), max: None } }
}

/// A share with four decimals in 0–1.
const SHARE: ColumnType = dec(4, 0, 10_000);
/// An amount ≥ 0.
const AMOUNT_NON_NEGATIVE: ColumnType =
    ColumnType::Amount { range: DecimalRange { min: Some((0, 0, false)), max: None }, nonzero: false };
/// An amount > 0.
const AMOUNT_POSITIVE: ColumnType =
    ColumnType::Amount { range: DecimalRange { min: Some((0, 0, true)), max: None }, nonzero: false };

const fn amount(min_yuan: i64, max_yuan: i64) -> ColumnType {
    ColumnType::Amount {
        range: DecimalRange { min: Some((min_yuan, 0, false)), max: Some((max_yuan, 0, false)) },
        nonzero: false,
    }
}

const fn code(codes: &'static [&'static str]) -> ColumnType {
    ColumnType::Code(codes)
}

const fn fk(columns: &'static [&'static str], references: &'static str) -> ForeignKey {
    ForeignKey { columns, references, deferred: false }
}

const fn fk_deferred(columns: &'static [&'static str], references: &'static str) -> ForeignKey {
    ForeignKey { columns, references, deferred: true }
}

const SYNTHETIC: Column = req("synthetic", code(SYNTHETIC_ONLY));

// ---- the sources, in the manifest's load order ----

/// `counties.csv`: one row per county. Key `county_code`.
pub const COUNTIES: Contract = Contract {
    name: "counties",
    version: CONTRACT_VERSION,
    columns: &[req("county_code", id(COUNTY)), req("zone", code(ZONES)), SYNTHETIC],
    key: &["county_code"],
    foreign_keys: &[],
};

/// `villages.csv`: one row per village. Key `village_code`; `county_code` → counties.
pub const VILLAGES: Contract = Contract {
    name: "villages",
    version: CONTRACT_VERSION,
    columns: &[
        req("village_code", id(VILLAGE)),
        req("county_code", id(COUNTY)),
        req("name", ColumnType::Text),
        req("irrigation_share", dec(4, 3_000, 9_500)),
        req("credit_village", ColumnType::Bool),
        req("distance_km", dec_positive(1)),
        req("minority_share", SHARE),
        SYNTHETIC,
    ],
    key: &["village_code"],
    foreign_keys: &[fk(&["county_code"], "counties")],
};

/// `households.csv`: one row per household. Key `household_id`; `village_code` → villages; `group_id` → groups
/// (deferred, may be empty).
pub const HOUSEHOLDS: Contract = Contract {
    name: "households",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("village_code", id(VILLAGE)),
        req("size", int(1, 7)),
        req("labourers", int(1, 7)),
        req("dependants", int(0, 6)),
        req("head_age", int(20, 75)),
        req("head_gender", code(GENDERS)),
        req("education_years", int(3, 12)),
        req("minority", ColumnType::Bool),
        req("land_contracted_mu", dec_non_negative(1)),
        req("land_rented_mu", dec_non_negative(1)),
        req("crops", ColumnType::CodeList { codes: CROPS }),
        req("sows", int_from(0)),
        req("fattening_pigs", int_from(0)),
        req("cattle", int(0, 10)),
        req("migrants", int(0, 6)),
        req("business", ColumnType::Bool),
        req("coop_member", ColumnType::Bool),
        req("insured", ColumnType::Bool),
        opt("insurance_cover", code(COVERS)),
        req("rcc_shares", amount(0, 20_000)),
        req("deposits", AMOUNT_POSITIVE),
        req("house_value", AMOUNT_POSITIVE),
        req("machinery_value", AMOUNT_POSITIVE),
        req("debts_other", AMOUNT_NON_NEGATIVE),
        opt("group_id", id(GROUP)),
        SYNTHETIC,
    ],
    key: &["household_id"],
    foreign_keys: &[fk(&["village_code"], "villages"), fk_deferred(&["group_id"], "groups")],
};

/// `members.csv` (KYC): one row per household member. Key (`household_id`, `member_no`); `household_id` →
/// households. A repeated national ID is a data-quality finding, never a key.
pub const MEMBERS: Contract = Contract {
    name: "members",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("member_no", int(1, 7)),
        req("relation", code(RELATIONS)),
        req("name", ColumnType::Text),
        req("gender", code(GENDERS)),
        req("birth_year", int(1900, 2100)),
        req("national_id", ColumnType::NationalId),
        opt("phone", ColumnType::Phone),
        SYNTHETIC,
    ],
    key: &["household_id", "member_no"],
    foreign_keys: &[fk(&["household_id"], "households")],
};

/// `groups.csv`: one row per joint-liability group of 4–6 households. Key `group_id`; `village_code` → villages.
pub const GROUPS: Contract = Contract {
    name: "groups",
    version: CONTRACT_VERSION,
    columns: &[
        req("group_id", id(GROUP)),
        req("village_code", id(VILLAGE)),
        req("members", ColumnType::IdList { pattern: HOUSEHOLD, min: 4, max: 6 }),
        SYNTHETIC,
    ],
    key: &["group_id"],
    foreign_keys: &[fk(&["village_code"], "villages")],
};

/// `ratings.csv`: one rating per household. Key `household_id`; `household_id` → households.
pub const RATINGS: Contract = Contract {
    name: "ratings",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("rated_on", ColumnType::Date),
        req("score", int(0, 100)),
        req("grade", code(GRADES)),
        req("credit_household", ColumnType::Bool),
        req("limit", AMOUNT_NON_NEGATIVE),
        SYNTHETIC,
    ],
    key: &["household_id"],
    foreign_keys: &[fk(&["household_id"], "households")],
};

/// `bureau_reports.csv`: one report per application. Key (`household_id`, `report_date`); `household_id` →
/// households.
pub const BUREAU_REPORTS: Contract = Contract {
    name: "bureau_reports",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("report_date", ColumnType::Date),
        req("has_record", ColumnType::Bool),
        req("open_accounts", int(0, 3)),
        req("inquiries_6m", int(0, 3)),
        req("worst_dpd_24m", int_from(0)),
        req("other_balance", AMOUNT_NON_NEGATIVE),
        SYNTHETIC,
    ],
    key: &["household_id", "report_date"],
    foreign_keys: &[fk(&["household_id"], "households")],
};

/// `applications.csv`: one row per application. Key `application_id`; `household_id` → households; `loan_id` →
/// loans (deferred, empty when declined).
pub const APPLICATIONS: Contract = Contract {
    name: "applications",
    version: CONTRACT_VERSION,
    columns: &[
        req("application_id", id(APPLICATION)),
        req("household_id", id(HOUSEHOLD)),
        req("applied_on", ColumnType::Date),
        req("product", code(PRODUCTS)),
        req(
            "amount_requested",
            ColumnType::Amount { range: DecimalRange { min: Some((3_000, 0, false)), max: None }, nonzero: false },
        ),
        req("stated_purpose", code(PURPOSES)),
        req("purpose_text", ColumnType::Text),
        req("decision", code(DECISIONS)),
        opt("loan_id", id(LOAN)),
        SYNTHETIC,
    ],
    key: &["application_id"],
    foreign_keys: &[fk(&["household_id"], "households"), fk_deferred(&["loan_id"], "loans")],
};

/// `loans.csv`: one row per booked loan with its state at the horizon end. Key `loan_id`; `household_id` →
/// households; `application_id` → applications.
pub const LOANS: Contract = Contract {
    name: "loans",
    version: CONTRACT_VERSION,
    columns: &[
        req("loan_id", id(LOAN)),
        req("household_id", id(HOUSEHOLD)),
        req("application_id", id(APPLICATION)),
        req("product", code(PRODUCTS)),
        req("principal", AMOUNT_POSITIVE),
        req("annual_rate", ColumnType::Rate),
        req("start_date", ColumnType::Date),
        req("maturity_date", ColumnType::Date),
        req("collateral", code(COLLATERAL)),
        opt("crop", code(CROPS)),
        req("status_at_end", code(LOAN_STATUSES)),
        req("dpd_at_end", int_from(0)),
        req("class_at_end", code(CLASSES)),
        req("max_dpd", int_from(0)),
        req("principal_outstanding_at_end", AMOUNT_NON_NEGATIVE),
        SYNTHETIC,
    ],
    key: &["loan_id"],
    foreign_keys: &[fk(&["household_id"], "households"), fk(&["application_id"], "applications")],
};

/// `repayments.csv`: one row per date something was due on a loan. No unique key ((`loan_id`, `date`) may occur
/// twice); `loan_id` → loans.
pub const REPAYMENTS: Contract = Contract {
    name: "repayments",
    version: CONTRACT_VERSION,
    columns: &[
        req("loan_id", id(LOAN)),
        req("date", ColumnType::Date),
        req("amount_due", AMOUNT_POSITIVE),
        req("amount_paid", AMOUNT_NON_NEGATIVE),
        req("dpd_after", int_from(0)),
        req("class_after", code(CLASSES)),
        SYNTHETIC,
    ],
    key: &[],
    foreign_keys: &[fk(&["loan_id"], "loans")],
};

/// `transactions.csv`: account movements, an event log without a key. `household_id` → households; `loan_id` →
/// loans (optional).
pub const TRANSACTIONS: Contract = Contract {
    name: "transactions",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("date", ColumnType::Date),
        req("amount", ColumnType::Amount { range: DecimalRange::ANY, nonzero: true }),
        req("counterparty_type", code(COUNTERPARTY_TYPES)),
        req("counterparty_id", ColumnType::Text),
        opt("loan_id", id(LOAN)),
        SYNTHETIC,
    ],
    key: &[],
    foreign_keys: &[fk(&["household_id"], "households"), fk(&["loan_id"], "loans")],
};

/// `prices.csv`: monthly commodity prices. Key (`month`, `commodity`).
pub const PRICES: Contract = Contract {
    name: "prices",
    version: CONTRACT_VERSION,
    columns: &[
        req("month", ColumnType::Month),
        req("commodity", code(COMMODITIES)),
        req("price_yuan_per_kg", dec_positive(2)),
        opt("pig_grain_ratio", dec_positive(2)),
        opt("hog_alert_tier", int(1, 3)),
        SYNTHETIC,
    ],
    key: &["month", "commodity"],
    foreign_keys: &[],
};

/// Every implemented source, in the manifest's load order.
pub const ALL: &[&Contract] = &[
    &COUNTIES,
    &VILLAGES,
    &HOUSEHOLDS,
    &MEMBERS,
    &GROUPS,
    &RATINGS,
    &BUREAU_REPORTS,
    &APPLICATIONS,
    &LOANS,
    &REPAYMENTS,
    &TRANSACTIONS,
    &PRICES,
];

/// The contract of a source, by entity name.
pub fn by_name(name: &str) -> Option<&'static Contract> {
    ALL.iter().copied().find(|c| c.name == name)
}
