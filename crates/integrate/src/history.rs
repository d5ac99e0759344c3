//! Stored records back out as the feature engine's input: a [`Context`] (villages, prices, weather, disease,
//! employment shocks, news) and one [`BorrowerRecords`] per household, for every household or for a chosen few.
//!
//! Versions are chosen as of a date: a correction loaded with `--as-of` after that date is not seen, so features as
//! of D cannot change when later corrections arrive. Which records were *known* by D (a repayment dated after D, a
//! price of a later month) is the engine's business (`features::known`); this module reads everything the versions
//! allow, because labels look past D.
//!
//! Personal data is never read here: the engine has no use for names, ID numbers or phones.

use std::collections::HashMap;

use crate::register::{Cell, Filter, RecordStore, Versions};
use domain::{Date, Money};
use features::input::{
    Application, BorrowerRecords, BureauReport, Context, Household, InsuranceClaim, Loan, Month, Rating, Repayment,
    Transaction,
};
use features::record::{FromValue, Record, Value};
use rust_decimal::Decimal;

use crate::IntegrateError;
use crate::schema::record_table;

/// Which households to read.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every stored household.
    All,
    /// These household ids.
    Households(&'a [String]),
}

/// One stored row, read by column position with the source and column named in every error.
pub(crate) struct Row<'a> {
    pub(crate) source: &'static str,
    pub(crate) columns: &'a [&'static str],
    pub(crate) cells: Vec<Cell>,
}

/// A stored cell as the feature inputs' readers see it.
pub(crate) fn value_of(cell: &Cell) -> Value<'_> {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(v) => Value::Int(*v),
        Cell::Text(t) => Value::Text(t),
    }
}

/// Reading a cell goes through the one set of readers of `features::record`, with the source and column named.
impl Row<'_> {
    pub(crate) fn bad(&self, i: usize, reason: impl std::fmt::Display) -> IntegrateError {
        IntegrateError::Stored { table: self.source, column: self.columns[i], reason: reason.to_string() }
    }

    /// The cell read as `T`.
    pub(crate) fn get<T: FromValue>(&self, i: usize) -> Result<T, IntegrateError> {
        T::from_value(value_of(&self.cells[i])).map_err(|reason| self.bad(i, reason))
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<&str>, IntegrateError> {
        match &self.cells[i] {
            Cell::Text(t) if !t.is_empty() => Ok(Some(t)),
            Cell::Text(_) | Cell::Null => Ok(None),
            Cell::Int(_) => Err(self.bad(i, "is an integer, text was expected")),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn u32(&self, i: usize) -> Result<u32, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn bool(&self, i: usize) -> Result<bool, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn money(&self, i: usize) -> Result<Money, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn decimal(&self, i: usize) -> Result<Decimal, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn opt_decimal(&self, i: usize) -> Result<Option<Decimal>, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn date(&self, i: usize) -> Result<Date, IntegrateError> {
        self.get(i)
    }

    pub(crate) fn month(&self, i: usize) -> Result<Month, IntegrateError> {
        self.get(i)
    }
}

/// Reads the given columns of a source's records and maps each row.
pub(crate) async fn read<T>(
    store: &impl RecordStore,
    source: &'static str,
    columns: &[&'static str],
    filter: Filter<'_>,
    versions: Versions<'_>,
    map: impl Fn(&Row<'_>) -> Result<T, IntegrateError>,
) -> Result<Vec<T>, IntegrateError> {
    let contract = ingest::contracts::by_name(source).ok_or_else(|| IntegrateError::UnknownSource(source.into()))?;
    let rows = store.scan_records(&record_table(contract), columns, filter, versions, None).await?;
    rows.into_iter().map(|cells| map(&Row { source, columns, cells })).collect()
}

/// Reads a source's records as their feature-input type: the columns are the type's fields
/// ([`Record::COLUMNS`]), and so is the mapping of each stored row.
pub(crate) async fn read_records<T: Record>(
    store: &impl RecordStore,
    filter: Filter<'_>,
    versions: Versions<'_>,
) -> Result<Vec<T>, IntegrateError> {
    let contract =
        ingest::contracts::by_name(T::SOURCE).ok_or_else(|| IntegrateError::UnknownSource(T::SOURCE.into()))?;
    let rows = store.scan_records(&record_table(contract), T::COLUMNS, filter, versions, None).await?;
    let mut values = Vec::with_capacity(T::COLUMNS.len());
    rows.iter()
        .map(|cells| {
            values.clear();
            values.extend(cells.iter().map(value_of));
            T::from_values(&values).map_err(|e| IntegrateError::Stored {
                table: T::SOURCE,
                column: e.column,
                reason: e.reason,
            })
        })
        .collect()
}

/// The shared context as of the versions given.
pub async fn load_context(store: &impl RecordStore, versions: Versions<'_>) -> Result<Context, IntegrateError> {
    let all = Filter::All;
    Ok(Context {
        villages: read_records(store, all, versions).await?,
        prices: read_records(store, all, versions).await?,
        weather_events: read_records(store, all, versions).await?,
        disease_events: read_records(store, all, versions).await?,
        employment_shocks: read_records(store, all, versions).await?,
        news: read_records(store, all, versions).await?,
    })
}

/// The shared context as one set of villages sees it: those villages (their counties with them), every price
/// month (prices are national), the villages' weather losses and their counties' outbreaks, employment shocks and
/// news. What an event-driven evaluation of a few households reads instead of the whole context.
pub async fn load_context_in(
    store: &impl RecordStore,
    village_codes: &[String],
    versions: Versions<'_>,
) -> Result<Context, IntegrateError> {
    let villages: Vec<features::input::Village> =
        read_records(store, Filter::In("village_code", village_codes), versions).await?;
    let mut counties: Vec<String> = villages.iter().map(|v| v.county_code.clone()).collect();
    counties.sort_unstable();
    counties.dedup();
    let in_counties = Filter::In("county_code", &counties);
    Ok(Context {
        villages,
        prices: read_records(store, Filter::All, versions).await?,
        weather_events: read_records(store, Filter::In("village_code", village_codes), versions).await?,
        disease_events: read_records(store, in_counties, versions).await?,
        employment_shocks: read_records(store, in_counties, versions).await?,
        news: read_records(store, in_counties, versions).await?,
    })
}

/// Every satellite pass of `crop_observations` as of the versions given (none when the source was never loaded),
/// for post-loan monitoring's crop-condition detector.
pub async fn load_crop_passes(
    store: &impl RecordStore,
    versions: Versions<'_>,
) -> Result<Vec<features::input::CropPass>, IntegrateError> {
    read_records(store, Filter::All, versions).await
}

/// The satellite passes over these villages only: what one borrower's event-driven evaluation reads.
pub async fn load_crop_passes_in(
    store: &impl RecordStore,
    villages: &[String],
    versions: Versions<'_>,
) -> Result<Vec<features::input::CropPass>, IntegrateError> {
    read_records(store, Filter::In("village_code", villages), versions).await
}

/// The households that hold these loans (`loans` records), each once, in id order.
pub async fn households_of_loans(
    store: &impl RecordStore,
    loan_ids: &[String],
    versions: Versions<'_>,
) -> Result<Vec<String>, IntegrateError> {
    let loans: Vec<Loan> = read_records(store, Filter::In("loan_id", loan_ids), versions).await?;
    let mut households: Vec<String> = loans.into_iter().map(|l| l.household_id).collect();
    households.sort_unstable();
    households.dedup();
    Ok(households)
}

/// Every stored household's id, each once, in id order: whom a national event (a price month) concerns.
pub async fn household_ids(store: &impl RecordStore, versions: Versions<'_>) -> Result<Vec<String>, IntegrateError> {
    let mut households = read(store, "households", &["household_id"], Filter::All, versions, |r| r.text(0)).await?;
    households.sort_unstable();
    households.dedup();
    Ok(households)
}

/// The households of these villages and of every village of these counties (`households` and `villages`
/// records), each once, in id order: who an area's event (a weather loss, a satellite pass, an outbreak, news)
/// concerns.
pub async fn households_in_areas(
    store: &impl RecordStore,
    villages: &[String],
    counties: &[String],
    versions: Versions<'_>,
) -> Result<Vec<String>, IntegrateError> {
    let mut codes: Vec<String> = villages.to_vec();
    if !counties.is_empty() {
        let filter = Filter::In("county_code", counties);
        codes.extend(read(store, "villages", &["village_code"], filter, versions, |r| r.text(0)).await?);
    }
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let filter = Filter::In("village_code", &codes);
    let mut households = read(store, "households", &["household_id"], filter, versions, |r| r.text(0)).await?;
    households.sort_unstable();
    households.dedup();
    Ok(households)
}

/// The household head's year of birth by household id, from the KYC file (`members`, member 1 is the head). The
/// year is enough for the age rule of a credit policy; the birth date itself stays inside the sealed ID number.
pub async fn load_head_birth_years(
    store: &impl RecordStore,
    versions: Versions<'_>,
) -> Result<HashMap<String, i32>, IntegrateError> {
    let heads = read(store, "members", &["household_id", "member_no", "birth_year"], Filter::All, versions, |r| {
        let year = r.int(2)?;
        let year = i32::try_from(year).map_err(|_| r.bad(2, format!("{year} is out of range")))?;
        Ok((r.text(0)?, r.int(1)?, year))
    })
    .await?;
    Ok(heads.into_iter().filter(|(_, no, _)| *no == 1).map(|(id, _, year)| (id, year)).collect())
}

/// The agricultural zone (`counties.zone`) of every village, by village code.
pub async fn load_village_zones(
    store: &impl RecordStore,
    versions: Versions<'_>,
) -> Result<HashMap<String, String>, IntegrateError> {
    let zones: HashMap<String, String> =
        read(store, "counties", &["county_code", "zone"], Filter::All, versions, |r| Ok((r.text(0)?, r.text(1)?)))
            .await?
            .into_iter()
            .collect();
    let villages = read(store, "villages", &["village_code", "county_code"], Filter::All, versions, |r| {
        Ok((r.text(0)?, r.text(1)?))
    })
    .await?;
    Ok(villages.into_iter().filter_map(|(village, county)| Some((village, zones.get(&county)?.clone()))).collect())
}

/// The record bundles of the households in `scope`, as of the versions given, in household-id order.
pub async fn load_borrowers(
    store: &impl RecordStore,
    scope: Scope<'_>,
    versions: Versions<'_>,
) -> Result<Vec<BorrowerRecords>, IntegrateError> {
    let by_household = match scope {
        Scope::All => Filter::All,
        Scope::Households(ids) => Filter::In("household_id", ids),
    };
    let mut households: Vec<Household> = read_records(store, by_household, versions).await?;
    households.sort_by(|a, b| a.household_id.cmp(&b.household_id));
    let mut borrowers: Vec<BorrowerRecords> = households.into_iter().map(BorrowerRecords::new).collect();
    let index: HashMap<String, usize> =
        borrowers.iter().enumerate().map(|(i, b)| (b.household.household_id.clone(), i)).collect();
    let slot = |id: &str| index.get(id).copied();

    let ratings = read_records::<Rating>(store, by_household, versions).await?;
    for rating in ratings {
        if let Some(i) = slot(&rating.household_id) {
            borrowers[i].ratings.push(rating);
        }
    }
    let reports = read_records::<BureauReport>(store, by_household, versions).await?;
    for report in reports {
        if let Some(i) = slot(&report.household_id) {
            borrowers[i].bureau_reports.push(report);
        }
    }
    let applications = read_records::<Application>(store, by_household, versions).await?;
    for application in applications {
        if let Some(i) = slot(&application.household_id) {
            borrowers[i].applications.push(application);
        }
    }
    let loans = read_records::<Loan>(store, by_household, versions).await?;
    let mut loan_owner: HashMap<String, usize> = HashMap::new();
    for loan in loans {
        if let Some(i) = slot(&loan.household_id) {
            loan_owner.insert(loan.loan_id.clone(), i);
            borrowers[i].loans.push(loan);
        }
    }
    let loan_ids: Vec<String> = loan_owner.keys().cloned().collect();
    let by_loan = match scope {
        Scope::All => Filter::All,
        Scope::Households(_) => Filter::In("loan_id", &loan_ids),
    };
    let repayments = read_records::<Repayment>(store, by_loan, versions).await?;
    for repayment in repayments {
        if let Some(&i) = loan_owner.get(&repayment.loan_id) {
            borrowers[i].repayments.push(repayment);
        }
    }
    let transactions = read_records::<Transaction>(store, by_household, versions).await?;
    for transaction in transactions {
        if let Some(i) = slot(&transaction.household_id) {
            borrowers[i].transactions.push(transaction);
        }
    }
    let claims = read_records::<InsuranceClaim>(store, by_household, versions).await?;
    for claim in claims {
        if let Some(i) = slot(&claim.household_id) {
            borrowers[i].insurance_claims.push(claim);
        }
    }
    borrowers.iter_mut().for_each(sort_histories);
    Ok(borrowers)
}

/// Puts a household's histories in the order the engine reads them: by date, ties in the order stored (the sorts
/// are stable, and the store returns rows in storage order). Rows appended in storage order to histories so
/// sorted come out as a fresh read would give them.
pub fn sort_histories(b: &mut BorrowerRecords) {
    b.ratings.sort_by_key(|r| r.rated_on);
    b.bureau_reports.sort_by_key(|r| r.report_date);
    b.applications.sort_by(|x, y| (x.applied_on, &x.application_id).cmp(&(y.applied_on, &y.application_id)));
    b.loans.sort_by(|x, y| (x.start_date, &x.loan_id).cmp(&(y.start_date, &y.loan_id)));
    b.repayments.sort_by(|x, y| (x.date, &x.loan_id).cmp(&(y.date, &y.loan_id)));
    b.transactions.sort_by_key(|t| t.date);
    b.insurance_claims.sort_by_key(|c| c.harvest_month);
}

/// The sources a household's records come from (`repayments` name a loan, whose holder is in `loans`).
pub const HOUSEHOLD_SOURCES: &[&str] = &[
    "households",
    "ratings",
    "bureau_reports",
    "applications",
    "loans",
    "repayments",
    "transactions",
    "insurance_claims",
];

/// The sources of the shared [`Context`] and of the satellite passes.
pub const CONTEXT_SOURCES: &[&str] =
    &["villages", "prices", "weather_events", "disease_events", "employment_shocks", "news", "crop_observations"];

/// How far a reader that keeps records in memory has read: the last row of every source of
/// [`HOUSEHOLD_SOURCES`] and [`CONTEXT_SOURCES`] ([`RecordStore::last_row`]). Taken *before* the reading it
/// marks, so that a load committed meanwhile is read again next time rather than missed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    rows: HashMap<&'static str, i64>,
}

/// The rows of the household sources stored after a [`Marks`], as records, each source in storage order. New
/// `households` rows are not read: a new household matters once it borrows, and then a reader reads it whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRows {
    /// `ratings` rows.
    pub ratings: Vec<Rating>,
    /// `bureau_reports` rows.
    pub bureau_reports: Vec<BureauReport>,
    /// `applications` rows.
    pub applications: Vec<Application>,
    /// `loans` rows.
    pub loans: Vec<Loan>,
    /// `repayments` rows.
    pub repayments: Vec<Repayment>,
    /// `transactions` rows.
    pub transactions: Vec<Transaction>,
    /// `insurance_claims` rows.
    pub insurance_claims: Vec<InsuranceClaim>,
}

/// What was stored after a [`Marks`]: the household sources' new rows, and which shared sources gained rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The household sources' rows stored since.
    pub rows: NewRows,
    /// Context sources (villages, prices, weather, disease, employment, news) that gained rows.
    pub context: Vec<&'static str>,
    /// Whether `crop_observations` gained rows.
    pub passes: bool,
}

/// Where every source monitoring reads stands now.
pub async fn marks(store: &impl RecordStore) -> Result<Marks, IntegrateError> {
    let mut rows = HashMap::new();
    let sources = HOUSEHOLD_SOURCES.iter().copied().chain(CONTEXT_SOURCES.iter().copied());
    for source in sources {
        let contract =
            ingest::contracts::by_name(source).ok_or_else(|| IntegrateError::UnknownSource(source.into()))?;
        rows.insert(source, store.last_row(&record_table(contract)).await?);
    }
    Ok(Marks { rows })
}

/// What was stored after `since` (rows of later loads, and of loads committed since `now` was taken), read as
/// the current versions of their keys. `None` when a source's last row is now below its mark: its rows were
/// renumbered (an erasure's `VACUUM`), and the caller must read everything again.
pub async fn changes_since(
    store: &impl RecordStore,
    since: &Marks,
    now: &Marks,
) -> Result<Option<Changes>, IntegrateError> {
    let mut changes = Changes::default();
    let mut grown: Vec<&'static str> = Vec::new();
    for source in HOUSEHOLD_SOURCES.iter().copied().chain(CONTEXT_SOURCES.iter().copied()) {
        let (before, after) =
            (since.rows.get(source).copied().unwrap_or(0), now.rows.get(source).copied().unwrap_or(0));
        if after < before {
            return Ok(None);
        }
        if after > before {
            grown.push(source);
        }
    }
    let after = |source: &str| Filter::After(since.rows.get(source).copied().unwrap_or(0));
    let rows = &mut changes.rows;
    for source in grown {
        let (filter, versions) = (after(source), Versions::Current);
        match source {
            "households" => {}
            "ratings" => rows.ratings = read_records(store, filter, versions).await?,
            "bureau_reports" => rows.bureau_reports = read_records(store, filter, versions).await?,
            "applications" => rows.applications = read_records(store, filter, versions).await?,
            "loans" => rows.loans = read_records(store, filter, versions).await?,
            "repayments" => rows.repayments = read_records(store, filter, versions).await?,
            "transactions" => rows.transactions = read_records(store, filter, versions).await?,
            "insurance_claims" => rows.insurance_claims = read_records(store, filter, versions).await?,
            "crop_observations" => changes.passes = true,
            _ => changes.context.push(source),
        }
    }
    Ok(Some(changes))
}
