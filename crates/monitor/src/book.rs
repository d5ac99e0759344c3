//! The whole book as monitoring reads it: every borrowing household with its records (the `loans` and
//! `repayments` sources, whether the lender's core system sent them or agririsk booked them), and the shared
//! environment (prices, weather, disease, employment shocks, news, satellite passes), indexed once so a day's
//! assessment is a few lookups per borrower.
//!
//! Point in time: the book may hold records past the day assessed; the detectors read a record only when it is
//! known on the day (`features::known`'s rules: a repayment row on its date, a weather loss at the end of its harvest
//! month, a price at the end of its month, a pass on the day it is observed).

use std::collections::HashMap;

use domain::{Date, Money};
use features::crop_condition::CropObservation;
use features::input::{
    BorrowerRecords, Commodity, Context, CropPass, DiseaseEvent, EmploymentShock, FarmCrop, Loan, NewsItem, PriceRow,
    Repayment, WeatherEvent,
};
use features::known::KnownOn;

/// The month a crop season is harvested (1–12), by the crop calendars the simulator and the lender share
/// (`shared/domain/synthetic-population.md` §2 and the crop calendars of `shared/domain`): winter wheat in June,
/// early rice in July, orchards in September, single rice, summer and spring maize and soybean in October, late
/// rice in November.
pub fn harvest_month(crop: FarmCrop) -> u32 {
    match crop {
        FarmCrop::WinterWheat => 6,
        FarmCrop::EarlyRice => 7,
        FarmCrop::Fruit => 9,
        FarmCrop::SingleRice | FarmCrop::SummerMaize | FarmCrop::SpringMaize | FarmCrop::Soybean => 10,
        FarmCrop::LateRice => 11,
    }
}

/// The commodity a crop sells as (`None`: orchards, which have no traded price series).
pub fn commodity_of(crop: FarmCrop) -> Option<Commodity> {
    features::capacity::agronomy_of(crop).commodity
}

/// One loan of the book with its repayment rows in date order.
#[derive(Debug, Clone, PartialEq)]
pub struct BookLoan {
    /// The loan's terms.
    pub loan: Loan,
    /// Its repayment rows, in date order (same-day rows in the order recorded).
    pub rows: Vec<Repayment>,
}

impl BookLoan {
    /// The DPD at the end of `on`, by the lending core's clock over the rows known by then.
    pub fn dpd_on(&self, on: Date) -> u32 {
        lending::dpd_on(&self.rows, on)
    }

    /// Whether the loan is on the book on `on`: disbursed by then, and either not yet past its maturity or still in
    /// arrears.
    pub fn active_on(&self, on: Date) -> bool {
        self.loan.start_date <= on && (on <= self.loan.maturity_date || self.dpd_on(on) > 0)
    }

    /// The rows known by `on` (dated on or before it).
    pub fn rows_known(&self, on: Date) -> &[Repayment] {
        &self.rows[..self.rows.partition_point(|r| r.date <= on)]
    }
}

/// A borrowing household as monitoring reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct BorrowerFile {
    /// Everything the lender holds about the household (its loans' rows also in `loans`).
    pub records: BorrowerRecords,
    /// The loans with their rows.
    pub loans: Vec<BookLoan>,
    /// The household's county (6 digits).
    pub county: String,
    /// The branch that serves it: the township, the first 9 digits of the village code.
    pub branch: String,
    /// The other households of its joint-liability group, as indices into [`Book::borrowers`].
    pub peers: Vec<usize>,
}

impl BorrowerFile {
    /// The household id.
    pub fn household_id(&self) -> &str {
        &self.records.household.household_id
    }

    /// The village code.
    pub fn village(&self) -> &str {
        &self.records.household.village_code
    }

    /// Whether any loan is on the book on `on`.
    pub fn active_on(&self, on: Date) -> bool {
        self.loans.iter().any(|l| l.active_on(on))
    }

    /// Whether the household keeps pigs.
    pub fn keeps_pigs(&self) -> bool {
        self.records.household.sows > 0 || self.records.household.fattening_pigs > 0
    }
}

/// A payment of loan proceeds to a counterparty outside the productive use, within the watch window after
/// disbursement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProceedsPayment {
    /// The day paid.
    pub date: Date,
    /// The paying borrower, an index into [`Book::borrowers`].
    pub borrower: usize,
    /// The loan the money came from.
    pub loan_id: String,
    /// The amount paid (positive).
    pub amount: Money,
}

/// The environment every borrower shares, indexed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    /// Monthly prices by commodity, in month order.
    pub prices: HashMap<Commodity, Vec<PriceRow>>,
    /// Weather losses by village, in harvest-month order.
    pub weather: HashMap<String, Vec<WeatherEvent>>,
    /// Outbreaks by county.
    pub disease: HashMap<String, Vec<DiseaseEvent>>,
    /// Employment shocks by county.
    pub employment: HashMap<String, Vec<EmploymentShock>>,
    /// News by county, in date order.
    pub news: HashMap<String, Vec<NewsItem>>,
    /// Satellite passes by village and crop, in date order.
    pub crops: HashMap<(String, FarmCrop), Vec<CropObservation>>,
    /// Payments of proceeds to diversion-type counterparties, by counterparty id, in date order.
    pub payees: HashMap<String, Vec<ProceedsPayment>>,
    /// Counties by village code.
    pub county_of: HashMap<String, String>,
}

/// The whole book and its environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    /// The borrowing households, in household-id order.
    pub borrowers: Vec<BorrowerFile>,
    /// The shared environment.
    pub env: Environment,
    /// Index into `borrowers` by household id.
    pub by_household: HashMap<String, usize>,
    /// The borrowers of each village, as indices into `borrowers`.
    pub by_village: HashMap<String, Vec<usize>>,
}

impl Book {
    /// Builds the book from the households' records (those without a loan are left out), the shared context and
    /// the satellite passes. `diversion_window_days` is the watch window after disbursement for proceeds payments.
    pub fn new(
        households: Vec<BorrowerRecords>,
        context: Context,
        passes: Vec<CropPass>,
        diversion_window_days: u32,
    ) -> Book {
        // Each household's file is its own: a large book is built on the machine's threads.
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let threads = if households.len() < 20_000 { 1 } else { threads };
        Book::new_on(households, context, passes, diversion_window_days, threads)
    }

    /// [`Book::new`] with the households' files made on `threads` threads, in slices whose order the
    /// concatenation keeps (the same book whatever the threads).
    pub fn new_on(
        households: Vec<BorrowerRecords>,
        context: Context,
        passes: Vec<CropPass>,
        diversion_window_days: u32,
        threads: usize,
    ) -> Book {
        let county_of: HashMap<String, String> =
            context.villages.iter().map(|v| (v.village_code.clone(), v.county_code.clone())).collect();
        let file_of = |records: BorrowerRecords| {
            let village = records.household.village_code.clone();
            let county = county_of.get(&village).cloned().unwrap_or_else(|| village.chars().take(6).collect());
            let branch = village.chars().take(9).collect();
            let mut rows: HashMap<&str, Vec<Repayment>> = HashMap::new();
            for r in &records.repayments {
                rows.entry(r.loan_id.as_str()).or_default().push(r.clone());
            }
            let loans = records
                .loans
                .iter()
                .map(|loan| {
                    let mut rows = rows.remove(loan.loan_id.as_str()).unwrap_or_default();
                    // Stable: same-day rows keep the order recorded.
                    rows.sort_by_key(|r| r.date);
                    BookLoan { loan: loan.clone(), rows }
                })
                .collect();
            BorrowerFile { records, loans, county, branch, peers: Vec::new() }
        };
        let files = |part: Vec<BorrowerRecords>| -> Vec<BorrowerFile> {
            part.into_iter().filter(|r| !r.loans.is_empty()).map(file_of).collect()
        };
        let mut borrowers: Vec<BorrowerFile> = if threads <= 1 || households.len() < 2 {
            files(households)
        } else {
            let chunk = households.len().div_ceil(threads);
            let mut slices = Vec::with_capacity(threads);
            let mut rest = households;
            while rest.len() > chunk {
                let tail = rest.split_off(chunk);
                slices.push(rest);
                rest = tail;
            }
            slices.push(rest);
            std::thread::scope(|scope| {
                let handles: Vec<_> = slices
                    .into_iter()
                    .map(|slice| {
                        let files = &files;
                        scope.spawn(move || files(slice))
                    })
                    .collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
            })
        };
        borrowers.sort_by(|a, b| a.household_id().cmp(b.household_id()));
        let by_household: HashMap<String, usize> =
            borrowers.iter().enumerate().map(|(i, b)| (b.household_id().to_string(), i)).collect();
        let mut by_village: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, b) in borrowers.iter().enumerate() {
            by_village.entry(b.village().to_string()).or_default().push(i);
        }

        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, b) in borrowers.iter().enumerate() {
            if let Some(g) = &b.records.household.group_id {
                groups.entry(g.clone()).or_default().push(i);
            }
        }
        for members in groups.values() {
            for &i in members {
                borrowers[i].peers = members.iter().copied().filter(|&j| j != i).collect();
            }
        }

        let mut payees: HashMap<String, Vec<ProceedsPayment>> = HashMap::new();
        for (i, b) in borrowers.iter().enumerate() {
            for l in &b.loans {
                let start = l.loan.start_date;
                let end = start + chrono::Duration::days(i64::from(diversion_window_days));
                for t in &b.records.transactions {
                    let from_loan = t.loan_id.as_deref() == Some(l.loan.loan_id.as_str());
                    if from_loan && t.counterparty_type.is_diversion() && t.date >= start && t.date <= end {
                        payees.entry(t.counterparty_id.clone()).or_default().push(ProceedsPayment {
                            date: t.date,
                            borrower: i,
                            loan_id: l.loan.loan_id.clone(),
                            amount: Money::from_fen(t.amount.fen().saturating_abs()),
                        });
                    }
                }
            }
        }
        for list in payees.values_mut() {
            list.sort_by_key(|a| (a.date, a.borrower));
        }

        let mut prices: HashMap<Commodity, Vec<PriceRow>> = HashMap::new();
        for p in context.prices {
            prices.entry(p.commodity).or_default().push(p);
        }
        for list in prices.values_mut() {
            list.sort_by_key(|p| p.month);
        }
        let mut weather: HashMap<String, Vec<WeatherEvent>> = HashMap::new();
        for w in context.weather_events {
            weather.entry(w.village_code.clone()).or_default().push(w);
        }
        for list in weather.values_mut() {
            list.sort_by_key(|w| w.harvest_month);
        }
        let mut disease: HashMap<String, Vec<DiseaseEvent>> = HashMap::new();
        for d in context.disease_events {
            disease.entry(d.county_code.clone()).or_default().push(d);
        }
        let mut employment: HashMap<String, Vec<EmploymentShock>> = HashMap::new();
        for e in context.employment_shocks {
            employment.entry(e.county_code.clone()).or_default().push(e);
        }
        let mut news: HashMap<String, Vec<NewsItem>> = HashMap::new();
        for n in context.news {
            news.entry(n.county_code.clone()).or_default().push(n);
        }
        for list in news.values_mut() {
            list.sort_by_key(|n| n.date);
        }
        let mut crops: HashMap<(String, FarmCrop), Vec<CropObservation>> = HashMap::new();
        for p in passes {
            crops.entry((p.village_code.clone(), p.crop)).or_default().push(CropObservation {
                observed_on: p.known_on(),
                ndvi: p.ndvi,
                ndvi_normal: p.ndvi_normal,
                cloud_share: p.cloud_share,
            });
        }
        for list in crops.values_mut() {
            list.sort_by_key(|o| o.observed_on);
        }
        Book {
            borrowers,
            env: Environment { prices, weather, disease, employment, news, crops, payees, county_of },
            by_household,
            by_village,
        }
    }

    /// The first and last day the book's repayment rows and loans cover (`None` for an empty book).
    pub fn span(&self) -> Option<(Date, Date)> {
        let mut first: Option<Date> = None;
        let mut last: Option<Date> = None;
        for b in &self.borrowers {
            for l in &b.loans {
                first = Some(first.map_or(l.loan.start_date, |f| f.min(l.loan.start_date)));
                let end = l.rows.last().map_or(l.loan.start_date, |r| r.date);
                last = Some(last.map_or(end, |e| e.max(end)));
            }
        }
        first.zip(last)
    }
}
