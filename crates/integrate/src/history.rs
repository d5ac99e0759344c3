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
    Application, BorrowerRecords, BureauReport, CollateralCode, Commodity, Context, Counterparty, Decision,
    DiseaseEvent, EmploymentShock, FarmCrop, Grade, Household, InputError, InsuranceClaim, InsuranceCover, Loan,
    LoanClass, Month, NewsItem, NewsTopic, PriceRow, Product, Rating, Repayment, Sentiment, Species, StatedPurpose,
    Transaction, Village, WeatherEvent, WeatherType,
};
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

impl Row<'_> {
    pub(crate) fn bad(&self, i: usize, reason: impl std::fmt::Display) -> IntegrateError {
        IntegrateError::Stored { table: self.source, column: self.columns[i], reason: reason.to_string() }
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<&str>, IntegrateError> {
        match &self.cells[i] {
            Cell::Text(t) if !t.is_empty() => Ok(Some(t)),
            Cell::Text(_) | Cell::Null => Ok(None),
            Cell::Int(_) => Err(self.bad(i, "is an integer, text was expected")),
        }
    }

    pub(crate) fn text(&self, i: usize) -> Result<String, IntegrateError> {
        self.opt_text(i)?.map(str::to_owned).ok_or_else(|| self.bad(i, "is empty"))
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, IntegrateError> {
        match &self.cells[i] {
            Cell::Int(v) => Ok(Some(*v)),
            Cell::Null => Ok(None),
            Cell::Text(_) => Err(self.bad(i, "is text, an integer was expected")),
        }
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64, IntegrateError> {
        self.opt_int(i)?.ok_or_else(|| self.bad(i, "is empty"))
    }

    pub(crate) fn u32(&self, i: usize) -> Result<u32, IntegrateError> {
        let v = self.int(i)?;
        u32::try_from(v).map_err(|_| self.bad(i, format!("{v} is out of range")))
    }

    pub(crate) fn bool(&self, i: usize) -> Result<bool, IntegrateError> {
        Ok(self.int(i)? != 0)
    }

    pub(crate) fn money(&self, i: usize) -> Result<Money, IntegrateError> {
        Ok(Money::from_fen(self.int(i)?))
    }

    pub(crate) fn decimal(&self, i: usize) -> Result<Decimal, IntegrateError> {
        let text = self.text(i)?;
        text.parse().map_err(|_| self.bad(i, format!("`{text}` is not a decimal")))
    }

    pub(crate) fn opt_decimal(&self, i: usize) -> Result<Option<Decimal>, IntegrateError> {
        match self.opt_text(i)? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| self.bad(i, format!("`{text}` is not a decimal"))),
        }
    }

    pub(crate) fn date(&self, i: usize) -> Result<Date, IntegrateError> {
        let text = self.text(i)?;
        domain::parse_date(&text).map_err(|e| self.bad(i, e))
    }

    pub(crate) fn month(&self, i: usize) -> Result<Month, IntegrateError> {
        Month::parse(&self.text(i)?).map_err(|e| self.bad(i, e))
    }

    pub(crate) fn code<T>(&self, i: usize, parse: fn(&str) -> Result<T, InputError>) -> Result<T, IntegrateError> {
        parse(&self.text(i)?).map_err(|e| self.bad(i, e))
    }

    pub(crate) fn opt_code<T>(
        &self,
        i: usize,
        parse: fn(&str) -> Result<T, InputError>,
    ) -> Result<Option<T>, IntegrateError> {
        self.opt_text(i)?.map(|t| parse(t).map_err(|e| self.bad(i, e))).transpose()
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

/// The shared context as of the versions given.
pub async fn load_context(store: &impl RecordStore, versions: Versions<'_>) -> Result<Context, IntegrateError> {
    let all = Filter::All;
    let villages = read(
        store,
        "villages",
        &["village_code", "county_code", "irrigation_share", "credit_village", "distance_km"],
        all,
        versions,
        |r| {
            Ok(Village {
                village_code: r.text(0)?,
                county_code: r.text(1)?,
                irrigation_share: r.decimal(2)?,
                credit_village: r.bool(3)?,
                distance_km: r.decimal(4)?,
            })
        },
    )
    .await?;
    let prices = read(
        store,
        "prices",
        &["month", "commodity", "price_yuan_per_kg", "pig_grain_ratio", "hog_alert_tier"],
        all,
        versions,
        |r| {
            let tier = r.opt_int(4)?.map(|t| u8::try_from(t).map_err(|_| r.bad(4, "out of range"))).transpose()?;
            Ok(PriceRow {
                month: r.month(0)?,
                commodity: r.code(1, Commodity::parse)?,
                price_yuan_per_kg: r.decimal(2)?,
                pig_grain_ratio: r.opt_decimal(3)?,
                hog_alert_tier: tier,
            })
        },
    )
    .await?;
    let weather_events = read(
        store,
        "weather_events",
        &["village_code", "harvest_month", "event_type", "loss_share"],
        all,
        versions,
        |r| {
            Ok(WeatherEvent {
                village_code: r.text(0)?,
                harvest_month: r.month(1)?,
                event_type: r.code(2, WeatherType::parse)?,
                loss_share: r.decimal(3)?,
            })
        },
    )
    .await?;
    let disease_events = read(
        store,
        "disease_events",
        &["county_code", "species", "start_month", "end_month", "cull_rate"],
        all,
        versions,
        |r| {
            Ok(DiseaseEvent {
                county_code: r.text(0)?,
                species: r.code(1, Species::parse)?,
                start_month: r.month(2)?,
                end_month: r.month(3)?,
                cull_rate: r.decimal(4)?,
            })
        },
    )
    .await?;
    let employment_shocks = read(
        store,
        "employment_shocks",
        &["county_code", "start_month", "end_month", "income_drop"],
        all,
        versions,
        |r| {
            Ok(EmploymentShock {
                county_code: r.text(0)?,
                start_month: r.month(1)?,
                end_month: r.month(2)?,
                income_drop: r.decimal(3)?,
            })
        },
    )
    .await?;
    let news = read(store, "news", &["date", "county_code", "topic", "sentiment"], all, versions, |r| {
        Ok(NewsItem {
            date: r.date(0)?,
            county_code: r.text(1)?,
            topic: r.code(2, NewsTopic::parse)?,
            sentiment: r.code(3, Sentiment::parse)?,
        })
    })
    .await?;
    Ok(Context { villages, prices, weather_events, disease_events, employment_shocks, news })
}

const HOUSEHOLD_COLUMNS: &[&str] = &[
    "household_id",
    "village_code",
    "size",
    "labourers",
    "dependants",
    "education_years",
    "land_contracted_mu",
    "land_rented_mu",
    "crops",
    "sows",
    "fattening_pigs",
    "cattle",
    "migrants",
    "business",
    "coop_member",
    "insured",
    "insurance_cover",
    "rcc_shares",
    "deposits",
    "house_value",
    "machinery_value",
    "debts_other",
    "group_id",
];

fn household(r: &Row<'_>) -> Result<Household, IntegrateError> {
    let crops =
        r.text(8)?.split(';').map(|c| FarmCrop::parse(c).map_err(|e| r.bad(8, e))).collect::<Result<Vec<_>, _>>()?;
    Ok(Household {
        household_id: r.text(0)?,
        village_code: r.text(1)?,
        size: r.u32(2)?,
        labourers: r.u32(3)?,
        dependants: r.u32(4)?,
        education_years: r.u32(5)?,
        land_contracted_mu: r.decimal(6)?,
        land_rented_mu: r.decimal(7)?,
        crops,
        sows: r.u32(9)?,
        fattening_pigs: r.u32(10)?,
        cattle: r.u32(11)?,
        migrants: r.u32(12)?,
        business: r.bool(13)?,
        coop_member: r.bool(14)?,
        insured: r.bool(15)?,
        insurance_cover: r.opt_code(16, InsuranceCover::parse)?,
        rcc_shares: r.money(17)?,
        deposits: r.money(18)?,
        house_value: r.money(19)?,
        machinery_value: r.money(20)?,
        debts_other: r.money(21)?,
        group_id: r.opt_text(22)?.map(str::to_owned),
    })
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
    let mut households = read(store, "households", HOUSEHOLD_COLUMNS, by_household, versions, household).await?;
    households.sort_by(|a, b| a.household_id.cmp(&b.household_id));
    let mut borrowers: Vec<BorrowerRecords> = households.into_iter().map(BorrowerRecords::new).collect();
    let index: HashMap<String, usize> =
        borrowers.iter().enumerate().map(|(i, b)| (b.household.household_id.clone(), i)).collect();
    let slot = |id: &str| index.get(id).copied();

    let ratings = read(
        store,
        "ratings",
        &["household_id", "rated_on", "score", "grade", "credit_household", "limit"],
        by_household,
        versions,
        |r| {
            Ok(Rating {
                household_id: r.text(0)?,
                rated_on: r.date(1)?,
                score: r.u32(2)?,
                grade: r.code(3, Grade::parse)?,
                credit_household: r.bool(4)?,
                limit: r.money(5)?,
            })
        },
    )
    .await?;
    for rating in ratings {
        if let Some(i) = slot(&rating.household_id) {
            borrowers[i].ratings.push(rating);
        }
    }
    let reports = read(
        store,
        "bureau_reports",
        &[
            "household_id",
            "report_date",
            "has_record",
            "open_accounts",
            "inquiries_6m",
            "worst_dpd_24m",
            "other_balance",
        ],
        by_household,
        versions,
        |r| {
            Ok(BureauReport {
                household_id: r.text(0)?,
                report_date: r.date(1)?,
                has_record: r.bool(2)?,
                open_accounts: r.u32(3)?,
                inquiries_6m: r.u32(4)?,
                worst_dpd_24m: r.u32(5)?,
                other_balance: r.money(6)?,
            })
        },
    )
    .await?;
    for report in reports {
        if let Some(i) = slot(&report.household_id) {
            borrowers[i].bureau_reports.push(report);
        }
    }
    let applications = read(
        store,
        "applications",
        &[
            "application_id",
            "household_id",
            "applied_on",
            "product",
            "amount_requested",
            "stated_purpose",
            "purpose_text",
            "decision",
            "loan_id",
        ],
        by_household,
        versions,
        |r| {
            Ok(Application {
                application_id: r.text(0)?,
                household_id: r.text(1)?,
                applied_on: r.date(2)?,
                product: r.code(3, Product::parse)?,
                amount_requested: r.money(4)?,
                stated_purpose: r.code(5, StatedPurpose::parse)?,
                purpose_text: r.opt_text(6)?.unwrap_or_default().to_owned(),
                decision: r.opt_code(7, Decision::parse)?,
                loan_id: r.opt_text(8)?.map(str::to_owned),
            })
        },
    )
    .await?;
    for application in applications {
        if let Some(i) = slot(&application.household_id) {
            borrowers[i].applications.push(application);
        }
    }
    let loans = read(
        store,
        "loans",
        &[
            "loan_id",
            "household_id",
            "application_id",
            "product",
            "principal",
            "annual_rate",
            "start_date",
            "maturity_date",
            "collateral",
            "crop",
        ],
        by_household,
        versions,
        |r| {
            Ok(Loan {
                loan_id: r.text(0)?,
                household_id: r.text(1)?,
                application_id: r.text(2)?,
                product: r.code(3, Product::parse)?,
                principal: r.money(4)?,
                annual_rate: r.decimal(5)?,
                start_date: r.date(6)?,
                maturity_date: r.date(7)?,
                collateral: r.code(8, CollateralCode::parse)?,
                crop: r.opt_code(9, FarmCrop::parse)?,
            })
        },
    )
    .await?;
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
    let repayments = read(
        store,
        "repayments",
        &["loan_id", "date", "amount_due", "amount_paid", "dpd_after", "class_after"],
        by_loan,
        versions,
        |r| {
            Ok(Repayment {
                loan_id: r.text(0)?,
                date: r.date(1)?,
                amount_due: r.money(2)?,
                amount_paid: r.money(3)?,
                dpd_after: r.u32(4)?,
                class_after: r.code(5, LoanClass::parse)?,
            })
        },
    )
    .await?;
    for repayment in repayments {
        if let Some(&i) = loan_owner.get(&repayment.loan_id) {
            borrowers[i].repayments.push(repayment);
        }
    }
    let transactions = read(
        store,
        "transactions",
        &["household_id", "date", "amount", "counterparty_type", "counterparty_id", "loan_id"],
        by_household,
        versions,
        |r| {
            Ok(Transaction {
                household_id: r.text(0)?,
                date: r.date(1)?,
                amount: r.money(2)?,
                counterparty_type: r.code(3, Counterparty::parse)?,
                counterparty_id: r.text(4)?,
                loan_id: r.opt_text(5)?.map(str::to_owned),
            })
        },
    )
    .await?;
    for transaction in transactions {
        if let Some(i) = slot(&transaction.household_id) {
            borrowers[i].transactions.push(transaction);
        }
    }
    let claims = read(
        store,
        "insurance_claims",
        &["household_id", "harvest_month", "crop", "indemnity"],
        by_household,
        versions,
        |r| {
            Ok(InsuranceClaim {
                household_id: r.text(0)?,
                harvest_month: r.month(1)?,
                crop: r.code(2, FarmCrop::parse)?,
                indemnity: r.money(3)?,
            })
        },
    )
    .await?;
    for claim in claims {
        if let Some(i) = slot(&claim.household_id) {
            borrowers[i].insurance_claims.push(claim);
        }
    }
    for b in &mut borrowers {
        // The engine reads histories in date order; the store returns them in key order.
        b.ratings.sort_by_key(|r| r.rated_on);
        b.bureau_reports.sort_by_key(|r| r.report_date);
        b.applications.sort_by(|x, y| (x.applied_on, &x.application_id).cmp(&(y.applied_on, &y.application_id)));
        b.loans.sort_by(|x, y| (x.start_date, &x.loan_id).cmp(&(y.start_date, &y.loan_id)));
        b.repayments.sort_by(|x, y| (x.date, &x.loan_id).cmp(&(y.date, &y.loan_id)));
        b.transactions.sort_by_key(|t| t.date);
        b.insurance_claims.sort_by_key(|c| c.harvest_month);
    }
    Ok(borrowers)
}
