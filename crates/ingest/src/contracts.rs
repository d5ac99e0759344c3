//! Contract version 2 as data (`docs/data-contracts.md`): the simulator's model-facing files (§3) and the external
//! sources a lender receives from other systems (§4), one constant per source, written to read like the document's
//! tables: column, type, rules. Single-column types, ranges, code lists, keys and foreign keys are expressed, and so
//! are the rules between columns of a row ("`insurance_cover` empty iff not `insured`", "`village_code` starts with
//! its `county_code`") as [`Rule`]s. Rules across rows or files ("`size` equals its rows in members") are not.

use lending::ProductKind;

use crate::contract::{
    CONTRACT_VERSION, Column, ColumnType, Condition, Contract, DecimalRange, ForeignKey, IntRange, Rule,
};

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
/// Loan products: the lending core's codes ([`ProductKind::ALL`]), never a copy of them.
pub const PRODUCTS: &[&str] = &{
    let mut codes = [""; ProductKind::ALL.len()];
    let mut i = 0;
    while i < codes.len() {
        codes[i] = ProductKind::ALL[i].code();
        i += 1;
    }
    codes
};
/// The one product whose loans name a crop.
const CROP_PRODUCTS: &[&str] = &[ProductKind::HarvestBullet.code()];
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
/// Weather events (`weather_events.event_type`).
pub const WEATHER_EVENT_TYPES: &[&str] = &["drought", "flood", "hail", "typhoon", "frost", "harvest-rain"];
/// Livestock species (`livestock.species`, `insurance_policies.species`, `disease_events.species`).
pub const SPECIES: &[&str] = &["hog", "cattle", "sheep", "goat", "poultry"];
/// News topics.
pub const NEWS_TOPICS: &[&str] = &[
    "hog-price",
    "grain-price",
    "farm-price",
    "drought",
    "flood",
    "hail",
    "typhoon",
    "frost",
    "harvest-rain",
    "disaster",
    "disease",
    "policy",
    "employment",
    "rural-life",
];
/// News sentiments.
pub const SENTIMENTS: &[&str] = &["positive", "neutral", "negative"];
/// How a household holds a plot (`farm_plots.tenure`).
pub const TENURES: &[&str] = &["contracted", "rented-in"];
/// Agricultural insurers (`insurance_policies.insurer`).
pub const INSURERS: &[&str] = &["picc", "china-united", "cpic", "ping-an", "guoyuan", "anhua", "sunlight", "other"];
/// Insurance covers of a policy (`insurance_policies.cover`): the household covers plus area-yield index and
/// livestock mortality cover.
pub const POLICY_COVERS: &[&str] = &["cost", "income", "area-yield-index", "livestock-mortality"];
/// E-commerce platforms (`ecommerce_sales.platform`).
pub const PLATFORMS: &[&str] = &["taobao", "pinduoduo", "jd", "douyin", "kuaishou", "wechat-shop", "other"];
/// Account kinds (`accounts.account_type`).
pub const ACCOUNT_TYPES: &[&str] = &["debit-card", "credit-card", "e-wallet"];
/// Account providers (`accounts.provider`): the lender itself, another bank, or a payment wallet.
pub const PROVIDERS: &[&str] = &["rcc", "other-bank", "alipay", "wechat-pay"];
/// The providers of e-wallets.
pub const WALLET_PROVIDERS: &[&str] = &["alipay", "wechat-pay"];
/// Account states (`accounts.status`).
pub const ACCOUNT_STATUSES: &[&str] = &["active", "dormant", "closed"];
/// The only value of `synthetic`.
pub const SYNTHETIC_ONLY: &[&str] = &["true"];

// ---- identifier shapes ----

const COUNTY: &str = "99####";
const VILLAGE: &str = "99##########";
const HOUSEHOLD: &str = "H#######";
const GROUP: &str = "G######";
const APPLICATION: &str = "A#####-####";
const LOAN: &str = "L#####-####";
/// A land-contract plot code: the 12-digit village code, a 2-digit village group, a 5-digit plot number.
const PLOT: &str = "99#################";
const POLICY: &str = "IP############";

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
/// A vegetation index (NDVI) with three decimals in [-1, 1].
const NDVI: ColumnType = dec(3, -1_000, 1_000);
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

const TRUE: &[&str] = &["true"];
const FALSE: &[&str] = &["false"];

/// The column's text is one of `values`.
const fn is(column: &'static str, values: &'static [&'static str]) -> Condition {
    Condition::Is { column, values }
}

// ---- the sources, in the manifest's load order ----

/// `counties.csv`: one row per county. Key `county_code`.
pub const COUNTIES: Contract = Contract {
    name: "counties",
    version: CONTRACT_VERSION,
    columns: &[req("county_code", id(COUNTY)), req("zone", code(ZONES)), SYNTHETIC],
    key: &["county_code"],
    foreign_keys: &[],
    rules: &[],
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
    rules: &[Rule::StartsWithColumn { column: "village_code", prefix: "county_code" }],
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
    rules: &[
        Rule::EqualsSum { total: "size", parts: &["labourers", "dependants"] },
        Rule::Less { a: "migrants", b: "labourers" },
        Rule::Iff(Condition::Present("insurance_cover"), is("insured", TRUE)),
    ],
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
    rules: &[
        Rule::Iff(is("member_no", &["1"]), is("relation", &["户主"])),
        Rule::Implies(Condition::Present("phone"), is("member_no", &["1"])),
    ],
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
    rules: &[],
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
    rules: &[
        Rule::Iff(is("credit_household", TRUE), Condition::IsNot { column: "grade", values: &["-"] }),
        Rule::Iff(Condition::Zero("limit"), is("credit_household", FALSE)),
    ],
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
    rules: &[
        Rule::Implies(is("has_record", FALSE), Condition::Zero("open_accounts")),
        Rule::Implies(is("has_record", FALSE), Condition::Zero("worst_dpd_24m")),
    ],
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
    rules: &[Rule::Iff(Condition::Present("loan_id"), is("decision", &["approved"]))],
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
    rules: &[
        Rule::NotGreater { a: "start_date", b: "maturity_date" },
        Rule::Iff(Condition::Present("crop"), is("product", CROP_PRODUCTS)),
        Rule::Iff(Condition::Positive("dpd_at_end"), is("status_at_end", &["overdue", "written-off"])),
        Rule::NotGreater { a: "dpd_at_end", b: "max_dpd" },
        Rule::NotGreater { a: "principal_outstanding_at_end", b: "principal" },
    ],
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
    rules: &[Rule::NotGreater { a: "amount_paid", b: "amount_due" }],
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
    rules: &[],
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
    rules: &[
        Rule::Iff(Condition::Present("pig_grain_ratio"), is("commodity", &["hog"])),
        Rule::Implies(Condition::Present("hog_alert_tier"), is("commodity", &["hog"])),
    ],
};

/// `weather_events.csv`: a weather loss in a village's harvest month. Key (`village_code`, `harvest_month`);
/// `village_code` → villages.
pub const WEATHER_EVENTS: Contract = Contract {
    name: "weather_events",
    version: CONTRACT_VERSION,
    columns: &[
        req("village_code", id(VILLAGE)),
        req("harvest_month", ColumnType::Month),
        req("event_type", code(WEATHER_EVENT_TYPES)),
        req("loss_share", SHARE),
        SYNTHETIC,
    ],
    key: &["village_code", "harvest_month"],
    foreign_keys: &[fk(&["village_code"], "villages")],
    rules: &[],
};

/// `disease_events.csv`: an animal-disease outbreak in a county with its movement ban. No key; `county_code` →
/// counties.
pub const DISEASE_EVENTS: Contract = Contract {
    name: "disease_events",
    version: CONTRACT_VERSION,
    columns: &[
        req("county_code", id(COUNTY)),
        req("species", code(SPECIES)),
        req("start_month", ColumnType::Month),
        req("end_month", ColumnType::Month),
        req("cull_rate", SHARE),
        SYNTHETIC,
    ],
    key: &[],
    foreign_keys: &[fk(&["county_code"], "counties")],
    rules: &[Rule::NotGreater { a: "start_month", b: "end_month" }],
};

/// `employment_shocks.csv`: a regional off-farm employment shock. No key; `county_code` → counties.
pub const EMPLOYMENT_SHOCKS: Contract = Contract {
    name: "employment_shocks",
    version: CONTRACT_VERSION,
    columns: &[
        req("county_code", id(COUNTY)),
        req("start_month", ColumnType::Month),
        req("end_month", ColumnType::Month),
        req("income_drop", SHARE),
        SYNTHETIC,
    ],
    key: &[],
    foreign_keys: &[fk(&["county_code"], "counties")],
    rules: &[Rule::NotGreater { a: "start_month", b: "end_month" }],
};

/// `insurance_claims.csv`: a crop-insurance indemnity paid after a poor harvest. Key (`household_id`,
/// `harvest_month`, `crop`); `household_id` → households.
pub const INSURANCE_CLAIMS: Contract = Contract {
    name: "insurance_claims",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("harvest_month", ColumnType::Month),
        req("crop", code(CROPS)),
        req(
            "indemnity",
            ColumnType::Amount { range: DecimalRange { min: Some((100, 2, true)), max: None }, nonzero: false },
        ),
        SYNTHETIC,
    ],
    key: &["household_id", "harvest_month", "crop"],
    foreign_keys: &[fk(&["household_id"], "households")],
    rules: &[],
};

/// `news.csv`: Chinese headlines about a county with their known sentiment. No key; `county_code` → counties.
pub const NEWS: Contract = Contract {
    name: "news",
    version: CONTRACT_VERSION,
    columns: &[
        req("date", ColumnType::Date),
        req("county_code", id(COUNTY)),
        req("topic", code(NEWS_TOPICS)),
        req("text", ColumnType::Text),
        req("sentiment", code(SENTIMENTS)),
        SYNTHETIC,
    ],
    key: &[],
    foreign_keys: &[fk(&["county_code"], "counties")],
    rules: &[],
};

// ---- external sources (§4): files a lender receives from other systems, not written by the simulator ----

/// `farm_plots.csv`: one row per plot a household farms in a season (the harvest month), from the land-contract
/// register and the household's yield report. Key (`household_id`, `plot_id`, `harvest_month`); `household_id` →
/// households.
pub const FARM_PLOTS: Contract = Contract {
    name: "farm_plots",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("plot_id", id(PLOT)),
        req("harvest_month", ColumnType::Month),
        req("crop", code(CROPS)),
        req("tenure", code(TENURES)),
        req("area_mu", dec_positive(1)),
        req("irrigated", ColumnType::Bool),
        req("expected_yield_kg_per_mu", dec_positive(1)),
        opt("actual_yield_kg_per_mu", dec_non_negative(1)),
        SYNTHETIC,
    ],
    key: &["household_id", "plot_id", "harvest_month"],
    foreign_keys: &[fk(&["household_id"], "households")],
    rules: &[],
};

/// `livestock.csv`: a household's herd of one species at the end of a month, from the veterinary station's
/// register. Key (`household_id`, `month`, `species`); `household_id` → households.
pub const LIVESTOCK: Contract = Contract {
    name: "livestock",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("month", ColumnType::Month),
        req("species", code(SPECIES)),
        req("stock_head", int_from(0)),
        req("breeding_head", int_from(0)),
        req("sold_head", int_from(0)),
        req("dead_head", int_from(0)),
        SYNTHETIC,
    ],
    key: &["household_id", "month", "species"],
    foreign_keys: &[fk(&["household_id"], "households")],
    rules: &[Rule::NotGreater { a: "breeding_head", b: "stock_head" }],
};

/// `insurance_policies.csv`: one row per agricultural insurance policy, from the insurer. Key `policy_no`;
/// `household_id` → households.
pub const INSURANCE_POLICIES: Contract = Contract {
    name: "insurance_policies",
    version: CONTRACT_VERSION,
    columns: &[
        req("policy_no", id(POLICY)),
        req("household_id", id(HOUSEHOLD)),
        req("insurer", code(INSURERS)),
        req("cover", code(POLICY_COVERS)),
        opt("crop", code(CROPS)),
        opt("species", code(SPECIES)),
        opt("insured_area_mu", dec_positive(1)),
        opt("insured_head", int_from(1)),
        req("sum_insured", AMOUNT_POSITIVE),
        req("premium", AMOUNT_POSITIVE),
        req("subsidy_share", SHARE),
        req("start_date", ColumnType::Date),
        req("end_date", ColumnType::Date),
        SYNTHETIC,
    ],
    key: &["policy_no"],
    foreign_keys: &[fk(&["household_id"], "households")],
    rules: &[
        Rule::Iff(Condition::Present("crop"), Condition::Absent("species")),
        Rule::Iff(Condition::Present("species"), is("cover", &["livestock-mortality"])),
        Rule::Iff(Condition::Present("insured_area_mu"), Condition::Present("crop")),
        Rule::Iff(Condition::Present("insured_head"), Condition::Present("species")),
        Rule::NotGreater { a: "premium", b: "sum_insured" },
        Rule::Less { a: "start_date", b: "end_date" },
    ],
};

/// `ecommerce_sales.csv`: a household's monthly sales on one e-commerce platform, from the platform's merchant
/// statement. Key (`household_id`, `platform`, `month`); `household_id` → households.
pub const ECOMMERCE_SALES: Contract = Contract {
    name: "ecommerce_sales",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("platform", code(PLATFORMS)),
        req("month", ColumnType::Month),
        req("orders", int_from(0)),
        req("gross_sales", AMOUNT_NON_NEGATIVE),
        req("refunds", AMOUNT_NON_NEGATIVE),
        SYNTHETIC,
    ],
    key: &["household_id", "platform", "month"],
    foreign_keys: &[fk(&["household_id"], "households")],
    rules: &[
        Rule::Iff(Condition::Zero("orders"), Condition::Zero("gross_sales")),
        Rule::NotGreater { a: "refunds", b: "gross_sales" },
    ],
};

/// `accounts.csv`: one row per bank card or e-wallet a household uses, from the lender's core system and its
/// wallet partners. Key (`provider`, `account_no`); `household_id` → households. `account_no` is personal data.
pub const ACCOUNTS: Contract = Contract {
    name: "accounts",
    version: CONTRACT_VERSION,
    columns: &[
        req("household_id", id(HOUSEHOLD)),
        req("provider", code(PROVIDERS)),
        req("account_type", code(ACCOUNT_TYPES)),
        req("account_no", ColumnType::CardNumber),
        req("opened_on", ColumnType::Date),
        req("status", code(ACCOUNT_STATUSES)),
        opt("closed_on", ColumnType::Date),
        SYNTHETIC,
    ],
    key: &["provider", "account_no"],
    foreign_keys: &[fk(&["household_id"], "households")],
    rules: &[
        Rule::Iff(is("account_type", &["e-wallet"]), is("provider", WALLET_PROVIDERS)),
        Rule::Iff(Condition::Present("closed_on"), is("status", &["closed"])),
        Rule::NotGreater { a: "opened_on", b: "closed_on" },
    ],
};

/// `crop_observations.csv`: a satellite pass over a village's crop (遥感), the vegetation index seen beside its
/// usual value for the crop and date. Key (`village_code`, `crop`, `observed_on`); `village_code` → villages.
pub const CROP_OBSERVATIONS: Contract = Contract {
    name: "crop_observations",
    version: CONTRACT_VERSION,
    columns: &[
        req("village_code", id(VILLAGE)),
        req("crop", code(CROPS)),
        req("observed_on", ColumnType::Date),
        req("ndvi", NDVI),
        req("ndvi_normal", NDVI),
        req("cloud_share", SHARE),
        SYNTHETIC,
    ],
    key: &["village_code", "crop", "observed_on"],
    foreign_keys: &[fk(&["village_code"], "villages")],
    rules: &[],
};

/// The simulator's model-facing files, in the manifest's load order. The ground-truth files (`household_truth`,
/// `loan_truth`, `shocks`, `shock_households`) are not model-facing and have no loadable contract.
pub const SIMULATOR: &[&Contract] = &[
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
    &WEATHER_EVENTS,
    &DISEASE_EVENTS,
    &EMPLOYMENT_SHOCKS,
    &INSURANCE_CLAIMS,
    &NEWS,
    &CROP_OBSERVATIONS,
];

/// The external sources (§4), in load order: each refers only to households.
pub const EXTERNAL: &[&Contract] = &[&FARM_PLOTS, &LIVESTOCK, &INSURANCE_POLICIES, &ECOMMERCE_SALES, &ACCOUNTS];

/// Every source with a contract: the simulator's files in the manifest's load order, then the external sources.
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
    &WEATHER_EVENTS,
    &DISEASE_EVENTS,
    &EMPLOYMENT_SHOCKS,
    &INSURANCE_CLAIMS,
    &NEWS,
    &CROP_OBSERVATIONS,
    &FARM_PLOTS,
    &LIVESTOCK,
    &INSURANCE_POLICIES,
    &ECOMMERCE_SALES,
    &ACCOUNTS,
];

/// The contract of a source, by entity name.
pub fn by_name(name: &str) -> Option<&'static Contract> {
    ALL.iter().copied().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse;

    /// What a rule can compare or add: numbers, dates, months.
    fn kind(ty: &ColumnType) -> Option<&'static str> {
        match ty {
            ColumnType::Int(_) | ColumnType::Decimal { .. } | ColumnType::Amount { .. } | ColumnType::Rate => {
                Some("number")
            }
            ColumnType::Date => Some("date"),
            ColumnType::Month => Some("month"),
            _ => None,
        }
    }

    #[test]
    fn all_is_the_simulator_files_then_the_external_sources_with_unique_names() {
        let names: Vec<&str> = ALL.iter().map(|c| c.name).collect();
        let expected: Vec<&str> = SIMULATOR.iter().chain(EXTERNAL).map(|c| c.name).collect();
        assert_eq!(names, expected);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        for ground_truth in ["household_truth", "loan_truth", "shocks", "shock_households"] {
            assert!(by_name(ground_truth).is_none(), "{ground_truth} is not model-facing");
        }
        assert_eq!(by_name("accounts"), Some(&ACCOUNTS));
    }

    /// The bad input: a crop observation outside [-1, 1] or for an unknown village is refused with an error
    /// naming the field, while the good rows of the file pass.
    #[test]
    fn a_crop_observation_out_of_range_or_of_an_unknown_village_names_its_field() {
        let mut keys = crate::KnownKeys::new();
        keys.insert("villages", &["990101000001"]);
        let csv = "village_code,crop,observed_on,ndvi,ndvi_normal,cloud_share,synthetic\n\
                   990101000001,summer-maize,2024-07-01,0.412,0.455,0.0300,true\n\
                   990101000001,summer-maize,2024-07-11,1.204,0.520,0.0300,true\n\
                   990101000001,summer-maize,2024-07-21,0.512,-1.001,0.0300,true\n\
                   990101000099,summer-maize,2024-08-01,0.512,0.600,0.0300,true\n\
                   990101000001,barley,2024-08-11,0.512,0.600,0.0300,true\n\
                   990101000001,summer-maize,2024-08-21,0.512,0.600,1.5000,true\n\
                   990101000001,summer-maize,2024-09-01,-0.050,0.600,0.9000,true\n";
        let (quarantined, summary) =
            crate::validate(&CROP_OBSERVATIONS, "crop_observations.csv", csv.as_bytes(), None, &keys)
                .expect("the header is the contract's")
                .finish();
        let found: Vec<(Option<&str>, crate::Reason)> = quarantined.iter().map(|q| (q.field, q.reason)).collect();
        assert_eq!(
            found,
            [
                (Some("ndvi"), crate::Reason::OutOfRange),
                (Some("ndvi_normal"), crate::Reason::OutOfRange),
                (Some("village_code"), crate::Reason::DanglingReference),
                (Some("crop"), crate::Reason::UnknownCode),
                (Some("cloud_share"), crate::Reason::OutOfRange),
            ]
        );
        assert_eq!(summary.valid, 2, "the good rows pass, a negative index among them");
    }

    #[test]
    fn every_contract_is_well_formed() {
        for (position, contract) in ALL.iter().enumerate() {
            let name = contract.name;
            assert_eq!(contract.version, CONTRACT_VERSION);
            assert_eq!(contract.columns.last().map(|c| c.name), Some("synthetic"), "{name}");
            for key in contract.key {
                assert!(contract.column(key).is_some_and(|c| !c.optional), "{name}: key column {key}");
            }
            for fk in contract.foreign_keys {
                assert!(fk.columns.iter().all(|c| contract.column(c).is_some()), "{name}: {fk:?}");
                let target = ALL.iter().position(|c| c.name == fk.references);
                if !fk.deferred {
                    assert!(target.is_some_and(|t| t < position), "{name}: {} loads earlier", fk.references);
                }
            }
            for rule in contract.rules {
                let columns = rule.columns();
                let types: Vec<&ColumnType> = columns
                    .iter()
                    .map(|c| &contract.column(c).unwrap_or_else(|| panic!("{name}: {rule:?} names {c}")).ty)
                    .collect();
                match rule {
                    Rule::Less { .. } | Rule::NotGreater { .. } | Rule::EqualsSum { .. } => {
                        let first = kind(types[0]);
                        assert!(first.is_some(), "{name}: {rule:?} compares a non-ordinal column");
                        assert!(types.iter().all(|t| kind(t) == first), "{name}: {rule:?} mixes kinds");
                    }
                    Rule::StartsWithColumn { .. } => {}
                    Rule::Iff(p, q) | Rule::Implies(p, q) => {
                        for condition in [p, q] {
                            let ty = &contract.column(condition.column()).expect("checked above").ty;
                            match condition {
                                Condition::Is { values, .. } | Condition::IsNot { values, .. } => {
                                    for v in *values {
                                        assert!(parse(ty, v).is_ok(), "{name}: {condition:?} value {v} parses");
                                    }
                                }
                                Condition::Zero(_) | Condition::Positive(_) => {
                                    assert_eq!(kind(ty), Some("number"), "{name}: {condition:?}");
                                }
                                Condition::Present(_) | Condition::Absent(_) => {}
                            }
                        }
                    }
                }
            }
        }
    }
}
