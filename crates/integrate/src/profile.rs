//! The borrower 360° profile: everything the lender held about one household on a date D, in one document, for a
//! loan officer's screen.
//!
//! A profile is found by household id, national ID, phone or a blind index ([`Query`]); personal values are looked
//! up by their blind index only, never by their plain text. Members' names, ID numbers and phones are decrypted and
//! masked at once ([`privacy::Secret::masked`]): no plain personal value leaves this module.
//!
//! **Point in time.** Stored versions are read as of D (`Versions::AsOf`), and the records shown are the ones known
//! by D under the feature engine's rules (`BorrowerRecords::known_as_of`, built on `features::known`): a loan that
//! starts after D, a repayment row dated after D, a later rating or bureau report are not shown. External sources
//! follow the same conservative rules: a livestock count or a farm plot's season is known when its month has ended,
//! an insurance policy from its start date. The features are the engine's own row for the household
//! ([`features::for_applicant`]), against a social summary of its village's households as of D, which equals the
//! batch ([`features::build`]) over the whole portfolio because village and group aggregates only ever read
//! households of the same village.

use std::collections::BTreeMap;

use crate::register::{Cell, Filter, RecordStore, Versions};
use domain::{Date, Money, add_months};
use features::input::{BorrowerRecords, Counterparty, FarmCrop, InsuranceCover, LoanClass, Month};
use features::{CATALOGUE, PeerState, Snapshot, Social};
use lending::ProductKind;
use privacy::{FieldCipher, FieldKind, NonceSource, mask};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::IntegrateError;
use crate::history::{Row, Scope, load_borrowers, load_context, read};
use crate::schema::{index_column, record_table};

/// What a profile is asked for, parsed from the text a user typed.
#[derive(Clone, PartialEq, Eq)]
pub enum Query {
    /// A household id, `H` and 7 digits.
    Household(String),
    /// An 18-character national ID (normalised: upper-case `X`, no spaces).
    NationalId(String),
    /// A mobile phone number (normalised: 11 digits).
    Phone(String),
    /// A blind index (64 lower-case hex digits) of a national ID or phone, as stored.
    BlindIndex(String),
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query({})", self.masked())
    }
}

impl Query {
    /// Parses a household id, a national ID, a phone number or a blind index.
    pub fn parse(text: &str) -> Result<Query, IntegrateError> {
        let trimmed = text.trim();
        let is_household =
            trimmed.len() == 8 && trimmed.starts_with('H') && trimmed[1..].bytes().all(|b| b.is_ascii_digit());
        if is_household {
            return Ok(Query::Household(trimmed.to_string()));
        }
        if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Ok(Query::BlindIndex(trimmed.to_string()));
        }
        let id = privacy::normalise_national_id(trimmed);
        if id.chars().count() == 18 && id.chars().take(17).all(|c| c.is_ascii_digit()) {
            return Ok(Query::NationalId(id));
        }
        let phone = privacy::normalise_phone(trimmed);
        if phone.len() == 11 && phone.starts_with('1') && !trimmed.chars().any(char::is_alphabetic) {
            return Ok(Query::Phone(phone));
        }
        Err(IntegrateError::Input {
            field: "id",
            reason: format!(
                "`{}` is not a household id (H0000001), an 18-character national ID, an 11-digit phone or a \
                 64-hex blind index",
                mask(FieldKind::NationalId, trimmed)
            ),
        })
    }

    /// The query as it may be shown: personal values masked.
    pub fn masked(&self) -> String {
        match self {
            Query::Household(id) => format!("household {id}"),
            Query::NationalId(id) => format!("national ID {}", mask(FieldKind::NationalId, id)),
            Query::Phone(phone) => format!("phone {}", mask(FieldKind::Phone, phone)),
            Query::BlindIndex(index) => format!("blind index {}…", &index[..12]),
        }
    }
}

/// A household member as shown: personal values masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// Position in the household; 1 is the head.
    pub member_no: u32,
    /// Relation to the head (户主, 配偶, 子女, 父母).
    pub relation: String,
    /// Birth year.
    pub birth_year: i32,
    /// The surname and two stars (`段**`).
    pub name: String,
    /// First 6 and last 4 characters (`110101********123X`).
    pub national_id: String,
    /// First 3 and last 4 digits (`180****1999`); `None` when the member has no phone.
    pub phone: Option<String>,
}

/// The household's static file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdView {
    /// `H` + 7 digits.
    pub household_id: String,
    /// Members, persons.
    pub size: u32,
    /// Working-age labourers.
    pub labourers: u32,
    /// Children and elderly.
    pub dependants: u32,
    /// The head's years of schooling.
    pub education_years: u32,
    /// Joint-liability group, if any.
    pub group_id: Option<String>,
}

/// The household's village and county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VillageView {
    /// 12-digit village code.
    pub village_code: String,
    /// Village name (when the villages file is loaded).
    pub name: Option<String>,
    /// 6-digit county code.
    pub county_code: Option<String>,
    /// The county's agro-ecological zone.
    pub zone: Option<String>,
    /// Holds the 信用村 title.
    pub credit_village: Option<bool>,
    /// Irrigated share of the land, 0–1.
    pub irrigation_share: Option<Decimal>,
    /// Distance to the branch, km.
    pub distance_km: Option<Decimal>,
}

/// One farm plot's season (`farm_plots`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlotView {
    /// Land-contract plot code.
    pub plot_id: String,
    /// The season's harvest month.
    pub harvest_month: String,
    /// Crop grown.
    pub crop: String,
    /// `contracted` or `rented-in`.
    pub tenure: String,
    /// Sown area, mu.
    pub area_mu: Decimal,
    /// Irrigated.
    pub irrigated: bool,
    /// Expected yield, kg/mu.
    pub expected_yield_kg_per_mu: Decimal,
    /// Harvested yield, kg/mu, when reported.
    pub actual_yield_kg_per_mu: Option<Decimal>,
}

/// The latest monthly count of one species (`livestock`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LivestockView {
    /// Species.
    pub species: String,
    /// Month of the count.
    pub month: String,
    /// Animals held at the month end.
    pub stock_head: i64,
    /// Breeding females among them.
    pub breeding_head: i64,
    /// Sold in the month.
    pub sold_head: i64,
    /// Died or culled in the month.
    pub dead_head: i64,
}

/// Crops, land and animals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FarmView {
    /// Crop seasons farmed, main season first.
    pub crops: Vec<String>,
    /// Contracted land, mu.
    pub land_contracted_mu: Decimal,
    /// Land rented in, mu.
    pub land_rented_mu: Decimal,
    /// Sows.
    pub sows: u32,
    /// Fattening pigs per batch.
    pub fattening_pigs: u32,
    /// Cattle.
    pub cattle: u32,
    /// Plots of the seasons harvested in the 12 months to D (empty when `farm_plots` is not loaded).
    pub plots: Vec<PlotView>,
    /// The latest count known by D per species (empty when `livestock` is not loaded).
    pub livestock: Vec<LivestockView>,
}

/// Off-farm income.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomeView {
    /// Members working away.
    pub migrants: u32,
    /// Runs a small business.
    pub business: bool,
    /// Cooperative member.
    pub coop_member: bool,
}

/// What the household owns and owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetsView {
    /// Deposits.
    pub deposits: Money,
    /// House value.
    pub house_value: Money,
    /// Machinery value.
    pub machinery_value: Money,
    /// Rural credit cooperative shares.
    pub rcc_shares: Money,
    /// Debts to other lenders (household file).
    pub debts_other: Money,
    /// Balance elsewhere on the latest bureau report known by D.
    pub bureau_other_balance: Option<Money>,
}

/// One insurance indemnity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimView {
    /// Harvest month of the poor harvest.
    pub harvest_month: String,
    /// Crop.
    pub crop: String,
    /// Indemnity paid.
    pub indemnity: Money,
}

/// One insurance policy (`insurance_policies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyView {
    /// Policy number.
    pub policy_no: String,
    /// Insurer.
    pub insurer: String,
    /// Cover.
    pub cover: String,
    /// Crop or species insured.
    pub insured: String,
    /// Sum insured.
    pub sum_insured: Money,
    /// Whole premium.
    pub premium: Money,
    /// Cover starts.
    pub start_date: Date,
    /// Cover ends.
    pub end_date: Date,
    /// In force on D.
    pub in_force: bool,
}

/// Insurance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InsuranceView {
    /// Has crop insurance (household file).
    pub insured: bool,
    /// Its cover.
    pub cover: Option<String>,
    /// Indemnities known in the 12 months to D.
    pub claims_12m: Vec<ClaimView>,
    /// Their total.
    pub claims_12m_total: Money,
    /// Policies started by D (empty when `insurance_policies` is not loaded).
    pub policies: Vec<PolicyView>,
}

/// The latest bureau report known by D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BureauView {
    /// Report date.
    pub report_date: Date,
    /// Has a central-bank credit record.
    pub has_record: bool,
    /// Open accounts elsewhere.
    pub open_accounts: u32,
    /// Inquiries in the 6 months before the report.
    pub inquiries_6m: u32,
    /// Worst DPD in the 24 months before the report.
    pub worst_dpd_24m: u32,
    /// Balance elsewhere.
    pub other_balance: Money,
}

/// The latest rating known by D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingView {
    /// Rating date.
    pub rated_on: Date,
    /// Card score, 0–100.
    pub score: u32,
    /// Grade.
    pub grade: String,
    /// 信用户.
    pub credit_household: bool,
    /// Credit-only limit.
    pub limit: Money,
}

/// One loan as known on D, with its repayment behaviour up to D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoanView {
    /// Loan id.
    pub loan_id: String,
    /// Product.
    pub product: ProductKind,
    /// Principal (the line limit of a revolving line).
    pub principal: Money,
    /// Contract annual rate.
    pub annual_rate: Decimal,
    /// Value date.
    pub start_date: Date,
    /// Maturity date at booking.
    pub maturity_date: Date,
    /// Security.
    pub collateral: String,
    /// Days past due on D: the last row's DPD, aged to D while past due (the feature engine's rule).
    pub dpd: u32,
    /// Worst DPD on any row up to D, or on D.
    pub worst_dpd: u32,
    /// Five-category class after the last row up to D (`normal` without rows).
    pub class: String,
    /// Repayment rows up to D.
    pub rows: usize,
    /// Paid in those rows.
    pub paid: Money,
    /// Due and unpaid after the last row up to D.
    pub unpaid: Money,
    /// Date of the last row up to D.
    pub last_row: Option<Date>,
}

/// Inflows and outflows with one kind of counterparty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowView {
    /// Counterparty type.
    pub counterparty_type: String,
    /// Movements.
    pub count: u32,
    /// Sum of inflows.
    pub inflows: Money,
    /// Sum of outflows, as a positive amount.
    pub outflows: Money,
}

/// Account movements in the 12 months to D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionsView {
    /// First day of the window (exclusive).
    pub after: Date,
    /// Last day (inclusive): D.
    pub until: Date,
    /// Per counterparty type, in the contract's order.
    pub by_counterparty: Vec<FlowView>,
    /// All inflows.
    pub inflows: Money,
    /// All outflows, as a positive amount.
    pub outflows: Money,
}

/// Another household of the joint-liability group, as its peers see it on D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerView {
    /// The household.
    pub household_id: String,
    /// Worst DPD on D over its loans.
    pub dpd: u32,
    /// Had a loan open in the last 12 months.
    pub borrowed_12m: bool,
    /// Reached 90 DPD in the last 12 months.
    pub defaulted_12m: bool,
}

/// One feature of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureValue {
    /// Catalogue name.
    pub name: &'static str,
    /// Value; `None` when not defined as of D.
    pub value: Option<f64>,
}

impl FeatureValue {
    /// The value as the feature engine writes it in CSV (empty when missing).
    pub fn formatted(&self) -> String {
        features::format_value(self.value)
    }
}

/// Post-loan monitoring alerts (not built yet: always empty, with a note).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertsView {
    /// Alerts.
    pub items: Vec<String>,
    /// Why the list is empty.
    pub note: &'static str,
}

/// The 360° profile of one household as of a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// The date D.
    pub as_of: Date,
    /// The static file.
    pub household: HouseholdView,
    /// Members, masked.
    pub members: Vec<MemberView>,
    /// Village and county.
    pub village: VillageView,
    /// Crops, land and animals.
    pub farm: FarmView,
    /// Off-farm income.
    pub income: IncomeView,
    /// Assets and debts.
    pub assets: AssetsView,
    /// Insurance.
    pub insurance: InsuranceView,
    /// Latest bureau report known by D.
    pub bureau: Option<BureauView>,
    /// Latest rating known by D.
    pub rating: Option<RatingView>,
    /// Loans started by D, oldest first.
    pub loans: Vec<LoanView>,
    /// Account movements in the 12 months to D.
    pub transactions_12m: TransactionsView,
    /// The other households of the joint-liability group.
    pub group_peers: Vec<PeerView>,
    /// Every catalogue feature, in catalogue order.
    pub features: Vec<FeatureValue>,
    /// Monitoring alerts.
    pub alerts: AlertsView,
    /// Set when the members' personal data was erased (by the caller that keeps the erasures register): the members
    /// are then listed without names, ID numbers or phones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erasure: Option<ErasureNote>,
}

/// That a household's personal data was erased, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureNote {
    /// When the latest erasure was made (RFC 3339).
    pub erased_at: String,
    /// What it means for this answer.
    pub note: String,
}

/// The note shown while post-loan monitoring does not exist.
pub const ALERTS_NOTE: &str = "post-loan monitoring is not built yet: no alerts are computed";

fn cell_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(t) if !t.is_empty() => Some(t.clone()),
        _ => None,
    }
}

/// The household a query names, as of `as_of`: found by id, or through the members' blind indexes.
pub async fn resolve<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    query: &Query,
    as_of: Date,
) -> Result<String, IntegrateError> {
    let date = as_of.to_string();
    let versions = Versions::AsOf(&date);
    let (table, lookups): (&str, Vec<(String, String)>) = match query {
        Query::Household(id) => ("households", vec![("household_id".into(), id.clone())]),
        Query::NationalId(id) => (
            "members",
            vec![(index_column("national_id"), cipher.blind_index(FieldKind::NationalId, id).as_str().into())],
        ),
        Query::Phone(phone) => {
            ("members", vec![(index_column("phone"), cipher.blind_index(FieldKind::Phone, phone).as_str().into())])
        }
        Query::BlindIndex(index) => {
            ("members", vec![(index_column("national_id"), index.clone()), (index_column("phone"), index.clone())])
        }
    };
    let contract = ingest::contracts::by_name(table).ok_or_else(|| IntegrateError::UnknownSource(table.into()))?;
    let record = record_table(contract);
    for (column, value) in &lookups {
        let rows = store.scan_records(&record, &["household_id"], Filter::Eq(column, value), versions, None).await?;
        if let Some(id) = rows.first().and_then(|r| r.first()).and_then(cell_text) {
            // A member's household must itself be on file as of D.
            let households = record_table(
                ingest::contracts::by_name("households")
                    .ok_or_else(|| IntegrateError::UnknownSource("households".into()))?,
            );
            let found = store
                .scan_records(&households, &["household_id"], Filter::Eq("household_id", &id), versions, None)
                .await?;
            if !found.is_empty() {
                return Ok(id);
            }
        }
    }
    Err(IntegrateError::Input {
        field: "id",
        reason: format!("no household on file for {} as of {as_of}", query.masked()),
    })
}

/// How a profile shows personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// Masked (`段**`, `110101********123X`, `180****1999`): the default everywhere.
    Masked,
    /// In the clear: only for a caller allowed to unmask, with a stated purpose, and audited by the caller.
    Plain,
}

/// Opens a sealed cell and masks it at once, unless `reveal` says to show it.
fn opened<N: NonceSource>(
    cipher: &FieldCipher<N>,
    row: &Row<'_>,
    i: usize,
    kind: FieldKind,
    reveal: Reveal,
) -> Result<Option<String>, IntegrateError> {
    match row.opt_text(i)? {
        None => Ok(None),
        Some(token) => cipher
            .open(kind, token)
            .map(|secret| {
                Some(match reveal {
                    Reveal::Masked => secret.masked(),
                    Reveal::Plain => secret.expose().to_owned(),
                })
            })
            .map_err(|source| IntegrateError::Unseal { table: row.source, column: row.columns[i], source }),
    }
}

async fn members<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    household_id: &str,
    versions: Versions<'_>,
    reveal: Reveal,
) -> Result<Vec<MemberView>, IntegrateError> {
    let mut members = read(
        store,
        "members",
        &["member_no", "relation", "birth_year", "name", "national_id", "phone"],
        Filter::Eq("household_id", household_id),
        versions,
        |r| {
            let birth_year = r.int(2)?;
            Ok(MemberView {
                member_no: r.u32(0)?,
                relation: r.text(1)?,
                birth_year: i32::try_from(birth_year).map_err(|_| r.bad(2, "out of range"))?,
                name: opened(cipher, r, 3, FieldKind::Name, reveal)?.unwrap_or_default(),
                national_id: opened(cipher, r, 4, FieldKind::NationalId, reveal)?.unwrap_or_default(),
                phone: opened(cipher, r, 5, FieldKind::Phone, reveal)?,
            })
        },
    )
    .await?;
    members.sort_by_key(|m| m.member_no);
    Ok(members)
}

async fn village(
    store: &impl RecordStore,
    village_code: &str,
    versions: Versions<'_>,
) -> Result<VillageView, IntegrateError> {
    let rows = read(
        store,
        "villages",
        &["name", "county_code", "credit_village", "irrigation_share", "distance_km"],
        Filter::Eq("village_code", village_code),
        versions,
        |r| Ok((r.text(0)?, r.text(1)?, r.bool(2)?, r.decimal(3)?, r.decimal(4)?)),
    )
    .await?;
    let mut view = VillageView {
        village_code: village_code.to_string(),
        name: None,
        county_code: None,
        zone: None,
        credit_village: None,
        irrigation_share: None,
        distance_km: None,
    };
    if let Some((name, county, credit, irrigation, distance)) = rows.into_iter().next() {
        let zones =
            read(store, "counties", &["zone"], Filter::Eq("county_code", &county), versions, |r| r.text(0)).await?;
        view.name = Some(name);
        view.zone = zones.into_iter().next();
        view.county_code = Some(county);
        view.credit_village = Some(credit);
        view.irrigation_share = Some(irrigation);
        view.distance_km = Some(distance);
    }
    Ok(view)
}

/// Plots of seasons harvested in the 12 months to D (a season is known once its harvest month has ended).
async fn plots(
    store: &impl RecordStore,
    household_id: &str,
    as_of: Date,
    versions: Versions<'_>,
) -> Result<Vec<PlotView>, IntegrateError> {
    let rows = read(
        store,
        "farm_plots",
        &[
            "plot_id",
            "harvest_month",
            "crop",
            "tenure",
            "area_mu",
            "irrigated",
            "expected_yield_kg_per_mu",
            "actual_yield_kg_per_mu",
        ],
        Filter::Eq("household_id", household_id),
        versions,
        |r| {
            Ok((
                r.month(1)?,
                PlotView {
                    plot_id: r.text(0)?,
                    harvest_month: r.text(1)?,
                    crop: r.text(2)?,
                    tenure: r.text(3)?,
                    area_mu: r.decimal(4)?,
                    irrigated: r.bool(5)?,
                    expected_yield_kg_per_mu: r.decimal(6)?,
                    actual_yield_kg_per_mu: r.opt_decimal(7)?,
                },
            ))
        },
    )
    .await?;
    let mut plots: Vec<(Month, PlotView)> =
        rows.into_iter().filter(|(month, _)| in_12m(month.last_day(), as_of)).collect();
    plots.sort_by(|a, b| (a.0, &a.1.plot_id).cmp(&(b.0, &b.1.plot_id)));
    Ok(plots.into_iter().map(|(_, plot)| plot).collect())
}

/// The latest count of each species whose month has ended by D.
async fn livestock(
    store: &impl RecordStore,
    household_id: &str,
    as_of: Date,
    versions: Versions<'_>,
) -> Result<Vec<LivestockView>, IntegrateError> {
    let rows = read(
        store,
        "livestock",
        &["month", "species", "stock_head", "breeding_head", "sold_head", "dead_head"],
        Filter::Eq("household_id", household_id),
        versions,
        |r| {
            Ok((
                r.month(0)?,
                LivestockView {
                    month: r.text(0)?,
                    species: r.text(1)?,
                    stock_head: r.int(2)?,
                    breeding_head: r.int(3)?,
                    sold_head: r.int(4)?,
                    dead_head: r.int(5)?,
                },
            ))
        },
    )
    .await?;
    let mut latest: BTreeMap<String, (Month, LivestockView)> = BTreeMap::new();
    for (month, view) in rows.into_iter().filter(|(month, _)| month.last_day() <= as_of) {
        match latest.get(&view.species) {
            Some((seen, _)) if *seen >= month => {}
            _ => {
                latest.insert(view.species.clone(), (month, view));
            }
        }
    }
    Ok(latest.into_values().map(|(_, view)| view).collect())
}

/// Policies whose cover started by D.
async fn policies(
    store: &impl RecordStore,
    household_id: &str,
    as_of: Date,
    versions: Versions<'_>,
) -> Result<Vec<PolicyView>, IntegrateError> {
    let mut policies = read(
        store,
        "insurance_policies",
        &["policy_no", "insurer", "cover", "crop", "species", "sum_insured", "premium", "start_date", "end_date"],
        Filter::Eq("household_id", household_id),
        versions,
        |r| {
            let end_date = r.date(8)?;
            Ok(PolicyView {
                policy_no: r.text(0)?,
                insurer: r.text(1)?,
                cover: r.text(2)?,
                insured: r.opt_text(3)?.or(r.opt_text(4)?).unwrap_or_default().to_string(),
                sum_insured: r.money(5)?,
                premium: r.money(6)?,
                start_date: r.date(7)?,
                end_date,
                in_force: false,
            })
        },
    )
    .await?;
    policies.retain(|p| p.start_date <= as_of);
    for policy in &mut policies {
        policy.in_force = policy.end_date >= as_of;
    }
    policies.sort_by(|a, b| (a.start_date, &a.policy_no).cmp(&(b.start_date, &b.policy_no)));
    Ok(policies)
}

/// True if `date` lies in the 12 months to D, (D − 12 months, D].
fn in_12m(date: Date, as_of: Date) -> bool {
    date > add_months(as_of, -12) && date <= as_of
}

/// The loans of records already cut to D, each with its behaviour up to D.
fn loans(known: &BorrowerRecords, as_of: Date) -> Vec<LoanView> {
    known
        .loans
        .iter()
        .map(|loan| {
            let rows: Vec<_> = known.repayments.iter().filter(|r| r.loan_id == loan.loan_id).cloned().collect();
            // The DPD on D comes from the feature engine's own rule: the state of a household whose only loan is
            // this one, so the profile and the features can never disagree.
            let mut alone = BorrowerRecords::new(known.household.clone());
            alone.loans.push(loan.clone());
            alone.repayments.clone_from(&rows);
            let dpd = PeerState::of(as_of, &alone).dpd_now;
            let last = rows.last();
            LoanView {
                loan_id: loan.loan_id.clone(),
                product: loan.product,
                principal: loan.principal,
                annual_rate: loan.annual_rate,
                start_date: loan.start_date,
                maturity_date: loan.maturity_date,
                collateral: loan.collateral.code().to_string(),
                dpd,
                worst_dpd: rows.iter().map(|r| r.dpd_after).fold(dpd, u32::max),
                class: last.map_or(LoanClass::Normal, |r| r.class_after).code().to_string(),
                rows: rows.len(),
                paid: rows.iter().map(|r| r.amount_paid).sum(),
                unpaid: last.map_or(Money::ZERO, |r| (r.amount_due - r.amount_paid).max(Money::ZERO)),
                last_row: last.map(|r| r.date),
            }
        })
        .collect()
}

fn transactions(known: &BorrowerRecords, as_of: Date) -> TransactionsView {
    let mut flows: BTreeMap<Counterparty, FlowView> = BTreeMap::new();
    for t in known.transactions.iter().filter(|t| in_12m(t.date, as_of)) {
        let flow = flows.entry(t.counterparty_type).or_insert_with(|| FlowView {
            counterparty_type: t.counterparty_type.code().to_string(),
            count: 0,
            inflows: Money::ZERO,
            outflows: Money::ZERO,
        });
        flow.count += 1;
        if t.amount.is_positive() {
            flow.inflows = flow.inflows + t.amount;
        } else {
            flow.outflows = flow.outflows - t.amount;
        }
    }
    let by_counterparty: Vec<FlowView> = flows.into_values().collect();
    TransactionsView {
        after: add_months(as_of, -12),
        until: as_of,
        inflows: by_counterparty.iter().map(|f| f.inflows).sum(),
        outflows: by_counterparty.iter().map(|f| f.outflows).sum(),
        by_counterparty,
    }
}

fn crops(crops: &[FarmCrop]) -> Vec<String> {
    crops.iter().map(|c| c.code().to_string()).collect()
}

/// The profile of the household `query` names, as of `as_of`.
pub async fn profile<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    query: &Query,
    as_of: Date,
) -> Result<Profile, IntegrateError> {
    profile_revealing(store, cipher, query, as_of, Reveal::Masked).await
}

/// [`profile`], the members' personal data shown as `reveal` says.
pub async fn profile_revealing<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    query: &Query,
    as_of: Date,
    reveal: Reveal,
) -> Result<Profile, IntegrateError> {
    let household_id = resolve(store, cipher, query, as_of).await?;
    let date = as_of.to_string();
    let versions = Versions::AsOf(&date);
    let village_code =
        read(store, "households", &["village_code"], Filter::Eq("household_id", &household_id), versions, |r| {
            r.text(0)
        })
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| IntegrateError::Input {
            field: "id",
            reason: format!("household {household_id} is not on file"),
        })?;
    let neighbours =
        read(store, "households", &["household_id"], Filter::Eq("village_code", &village_code), versions, |r| {
            r.text(0)
        })
        .await?;
    // The village's borrowers: the social summary (village and group peers) and the household's own records.
    let borrowers = load_borrowers(store, Scope::Households(&neighbours), versions).await?;
    let own = borrowers.iter().find(|b| b.household.household_id == household_id).ok_or_else(|| {
        IntegrateError::Input { field: "id", reason: format!("household {household_id} is not on file") }
    })?;
    let context = load_context(store, versions).await?;
    let snapshot = Snapshot::new(as_of, &context);
    let social = Social::from_borrowers(as_of, &borrowers);
    let row = features::for_applicant(&snapshot, &social, own)
        .map_err(|e| IntegrateError::Input { field: "as-of", reason: e.to_string() })?;
    let features = CATALOGUE.iter().map(|def| FeatureValue { name: def.name, value: row.get(def.feature) }).collect();

    let known = own.known_as_of(as_of);
    let h = &known.household;
    let group_peers = match &h.group_id {
        None => Vec::new(),
        Some(group) => borrowers
            .iter()
            .filter(|b| b.household.group_id.as_ref() == Some(group) && b.household.household_id != household_id)
            .map(|b| {
                let state = PeerState::of(as_of, b);
                PeerView {
                    household_id: b.household.household_id.clone(),
                    dpd: state.dpd_now,
                    borrowed_12m: state.borrowed_12m,
                    defaulted_12m: state.defaulted_12m,
                }
            })
            .collect(),
    };
    let bureau = known.bureau_reports.last().map(|b| BureauView {
        report_date: b.report_date,
        has_record: b.has_record,
        open_accounts: b.open_accounts,
        inquiries_6m: b.inquiries_6m,
        worst_dpd_24m: b.worst_dpd_24m,
        other_balance: b.other_balance,
    });
    let rating = known.ratings.last().map(|r| RatingView {
        rated_on: r.rated_on,
        score: r.score,
        grade: r.grade.code().to_string(),
        credit_household: r.credit_household,
        limit: r.limit,
    });
    let claims_12m: Vec<ClaimView> = known
        .insurance_claims
        .iter()
        .filter(|c| in_12m(c.harvest_month.last_day(), as_of))
        .map(|c| ClaimView {
            harvest_month: c.harvest_month.to_string(),
            crop: c.crop.code().to_string(),
            indemnity: c.indemnity,
        })
        .collect();
    Ok(Profile {
        as_of,
        household: HouseholdView {
            household_id: household_id.clone(),
            size: h.size,
            labourers: h.labourers,
            dependants: h.dependants,
            education_years: h.education_years,
            group_id: h.group_id.clone(),
        },
        members: members(store, cipher, &household_id, versions, reveal).await?,
        village: village(store, &village_code, versions).await?,
        farm: FarmView {
            crops: crops(&h.crops),
            land_contracted_mu: h.land_contracted_mu,
            land_rented_mu: h.land_rented_mu,
            sows: h.sows,
            fattening_pigs: h.fattening_pigs,
            cattle: h.cattle,
            plots: plots(store, &household_id, as_of, versions).await?,
            livestock: livestock(store, &household_id, as_of, versions).await?,
        },
        income: IncomeView { migrants: h.migrants, business: h.business, coop_member: h.coop_member },
        assets: AssetsView {
            deposits: h.deposits,
            house_value: h.house_value,
            machinery_value: h.machinery_value,
            rcc_shares: h.rcc_shares,
            debts_other: h.debts_other,
            bureau_other_balance: bureau.as_ref().map(|b| b.other_balance),
        },
        insurance: InsuranceView {
            insured: h.insured,
            cover: h.insurance_cover.map(|c: InsuranceCover| c.code().to_string()),
            claims_12m_total: claims_12m.iter().map(|c| c.indemnity).sum(),
            claims_12m,
            policies: policies(store, &household_id, as_of, versions).await?,
        },
        bureau,
        rating,
        loans: loans(&known, as_of),
        transactions_12m: transactions(&known, as_of),
        group_peers,
        features,
        alerts: AlertsView { items: Vec::new(), note: ALERTS_NOTE },
        erasure: None,
    })
}
