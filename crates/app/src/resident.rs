//! The resident book: monitoring's whole book kept in memory by a long-running process (the server), brought up
//! to date before each run by reading only what was stored since it last read, so that a daily run costs the
//! assessment and the alerts written, not a read of every household's history.
//!
//! What it keeps: the ingested records of every household with a loan (ingested, or booked through agririsk), the
//! booked loans with their events, the shared context and the satellite passes; and where it stands: the last row
//! of every source it reads ([`integrate::history::Marks`]), the last load, the number of erasures, and every
//! booked loan's event count.
//!
//! How it catches up ([`ResidentBook::refresh`]):
//! - rows stored since: with no correction among them each is a new key's first version, read once and appended
//!   to its household's history (a repayment's through its loan's holder), which is then sorted as a fresh read
//!   sorts it; a household whose first loan arrived is read whole; a changed shared source reloads the context
//!   (or the passes). The cost follows the rows stored since, not the book;
//! - a booked loan whose event count grew, or a new one: its record and events are read again;
//! - a load that corrected rows, an erasure, or a source renumbered: everything is read again. A correction may
//!   move a record from one household to another, and an erasure rewrites rows in place, neither of which the
//!   rows stored since can tell; both are rare.
//!
//! The marks are taken *before* the reads they mark, so a load committed during a refresh is read again at the
//! next one rather than missed. A test checks that a refreshed book equals one read from scratch after loads of
//! new rows, corrections, postings to booked loans and area events.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use domain::Date;
use features::input::{BorrowerRecords, Context, CropPass};
use integrate::history::{
    Changes, Marks, NewRows, Scope, changes_since, load_borrowers, load_context, load_crop_passes, marks,
    sort_histories,
};
use integrate::register::{RecordStore, Versions};
use monitor::{Book, MonitorConfig};
use store::{ErasureRegister, LoanStore};

use crate::booked::{BookedLoan, BookedMerge, merge_into, read_booked};
use crate::error::Error;

/// The book kept in memory between runs.
#[derive(Debug, Clone)]
pub struct ResidentBook {
    /// Ingested records of every household that borrows, by household id.
    households: BTreeMap<String, BorrowerRecords>,
    /// Booked loans with their events, by loan id.
    booked: BTreeMap<String, BookedLoan>,
    /// Each booked loan's event count when read.
    counts: HashMap<String, u32>,
    context: Context,
    passes: Vec<CropPass>,
    marks: Marks,
    last_load: i64,
    erasures: usize,
    diversion_window_days: u32,
}

/// What a [`ResidentBook::refresh`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Refreshed {
    /// Everything was read again, and why (`None`: only what changed).
    pub everything: Option<&'static str>,
    /// Households read again.
    pub households: usize,
    /// Booked loans read again.
    pub booked_loans: usize,
    /// Whether the shared context was read again.
    pub context: bool,
    /// Whether the satellite passes were read again.
    pub passes: bool,
}

/// Where the store stands before a read: taken first, so that what is committed during the read is read again
/// next time.
struct Position {
    marks: Marks,
    last_load: i64,
    erasures: usize,
    counts: HashMap<String, u32>,
    corrected_since: Option<i64>,
}

async fn position<S: RecordStore + LoanStore + ErasureRegister>(store: &S, after_load: i64) -> Result<Position, Error> {
    let erasures = store.erasures().await?.len();
    let loads = store.loads().await?;
    let last_load = loads.iter().map(|l| l.load_id).max().unwrap_or(0);
    let corrected_since =
        loads.iter().filter(|l| l.load_id > after_load && l.counts.corrected > 0).map(|l| l.load_id).min();
    let marks = marks(store).await?;
    let counts = store.event_counts().await?;
    Ok(Position { marks, last_load, erasures, counts, corrected_since })
}

impl ResidentBook {
    /// Reads the whole book.
    pub async fn load<S: RecordStore + LoanStore + ErasureRegister>(
        store: &S,
        config: &MonitorConfig,
    ) -> Result<ResidentBook, Error> {
        let at = position(store, i64::MAX).await?;
        let context = load_context(store, Versions::Current).await?;
        let passes = load_crop_passes(store, Versions::Current).await?;
        let all = load_borrowers(store, Scope::All, Versions::Current).await?;
        let booked: BTreeMap<String, BookedLoan> =
            read_booked(store, None).await?.into_iter().map(|b| (b.record.id.as_str().to_string(), b)).collect();
        let borrowing: HashSet<&str> = booked.values().map(|b| b.record.borrower.as_str()).collect();
        let households = all
            .into_iter()
            .filter(|h| !h.loans.is_empty() || borrowing.contains(h.household.household_id.as_str()))
            .map(|h| (h.household.household_id.clone(), h))
            .collect();
        Ok(ResidentBook {
            households,
            booked,
            counts: at.counts,
            context,
            passes,
            marks: at.marks,
            last_load: at.last_load,
            erasures: at.erasures,
            diversion_window_days: config.diversion.window_days,
        })
    }

    /// Catches up with what was stored since the last read (see the module).
    pub async fn refresh<S: RecordStore + LoanStore + ErasureRegister>(
        &mut self,
        store: &S,
        config: &MonitorConfig,
    ) -> Result<Refreshed, Error> {
        let at = position(store, self.last_load).await?;
        let everything = if at.erasures != self.erasures {
            Some("an erasure")
        } else if at.corrected_since.is_some() {
            Some("a load of corrections")
        } else {
            None
        };
        let changes = match everything {
            Some(_) => None,
            None => changes_since(store, &self.marks, &at.marks).await?,
        };
        let Some(changes) = changes else {
            *self = ResidentBook::load(store, config).await?;
            return Ok(Refreshed {
                everything: Some(everything.unwrap_or("a source renumbered")),
                households: self.households.len(),
                booked_loans: self.booked.len(),
                context: true,
                passes: true,
            });
        };
        let mut refreshed = Refreshed::default();

        // Booked loans with new events, and new booked loans; their holders may be new to the book.
        let mut fresh: BTreeSet<String> = BTreeSet::new();
        for (loan_id, count) in &at.counts {
            if self.counts.get(loan_id) == Some(count) {
                continue;
            }
            let Ok(id) = domain::LoanId::parse(loan_id) else { continue };
            let Some(record) = store.loan(&id).await? else { continue };
            let events = store.events(&id).await?.into_iter().map(|e| e.dated).collect();
            if !self.households.contains_key(record.borrower.as_str()) {
                fresh.insert(record.borrower.as_str().to_string());
            }
            self.booked.insert(loan_id.clone(), BookedLoan { record, events });
            refreshed.booked_loans += 1;
        }
        // Households whose first loan arrived: read whole (their rows stored since included).
        for loan in &changes.rows.loans {
            if !self.households.contains_key(&loan.household_id) {
                fresh.insert(loan.household_id.clone());
            }
        }
        if !fresh.is_empty() {
            let ids: Vec<String> = fresh.iter().cloned().collect();
            let borrowing: HashSet<&str> = self.booked.values().map(|b| b.record.borrower.as_str()).collect();
            for h in load_borrowers(store, Scope::Households(&ids), Versions::Current).await? {
                if !h.loans.is_empty() || borrowing.contains(h.household.household_id.as_str()) {
                    self.households.insert(h.household.household_id.clone(), h);
                    refreshed.households += 1;
                }
            }
        }
        // Every other row stored since is a new key's first version (a load of corrections reads everything
        // again): appended to its household's history, which is then sorted as a fresh read sorts it.
        let Changes { rows, context, passes } = changes;
        refreshed.households += self.append(rows, &fresh);
        if !context.is_empty() {
            self.context = load_context(store, Versions::Current).await?;
            refreshed.context = true;
        }
        if passes {
            self.passes = load_crop_passes(store, Versions::Current).await?;
            refreshed.passes = true;
        }
        self.marks = at.marks;
        self.last_load = at.last_load;
        self.counts = at.counts;
        self.diversion_window_days = config.diversion.window_days;
        Ok(refreshed)
    }

    /// Appends rows stored since to the histories of the households kept and not in `fresh` (read whole just
    /// now); returns how many households gained rows. (A new `households` row is a new household, not kept unless it
    /// borrows, and then it arrives with a `loans` row and is read whole.)
    fn append(&mut self, rows: NewRows, fresh: &BTreeSet<String>) -> usize {
        // Loan holders, for the repayments: only when some arrived (it walks every kept loan).
        let mut owner: HashMap<String, String> = HashMap::new();
        if !rows.repayments.is_empty() {
            for (id, h) in &self.households {
                for loan in &h.loans {
                    owner.insert(loan.loan_id.clone(), id.clone());
                }
            }
        }
        for loan in &rows.loans {
            owner.insert(loan.loan_id.clone(), loan.household_id.clone());
        }
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let kept = &mut self.households;
        // Each source's rows onto the same history of the household they name.
        macro_rules! append_by_household {
            ($($history:ident),+) => {$(
                for r in rows.$history {
                    if let Some(h) = slot(kept, fresh, &mut touched, &r.household_id) {
                        h.$history.push(r);
                    }
                }
            )+};
        }
        append_by_household!(ratings, bureau_reports, applications, loans, transactions, insurance_claims);
        for r in rows.repayments {
            if let Some(h) = owner.get(&r.loan_id).and_then(|id| slot(kept, fresh, &mut touched, id)) {
                h.repayments.push(r);
            }
        }
        for id in &touched {
            if let Some(h) = kept.get_mut(id) {
                sort_histories(h);
            }
        }
        touched.len()
    }

    /// Households kept (every one with a loan) and booked loans kept.
    pub fn size(&self) -> (usize, usize) {
        (self.households.len(), self.booked.len())
    }

    /// The book as a run assesses it, with the booked loans read through `through` (the last day the run assesses).
    pub fn book(&self, through: Date) -> Result<(Book, BookedMerge), Error> {
        let mut households = copy_records(&self.households);
        let merge = merge_into(&mut households, self.booked.values(), through)?;
        let book = Book::new(households, self.context.clone(), self.passes.clone(), self.diversion_window_days);
        Ok((book, merge))
    }
}

/// The kept household `id` to append to, unless it was read whole just now; notes it as touched.
fn slot<'a>(
    kept: &'a mut BTreeMap<String, BorrowerRecords>,
    fresh: &BTreeSet<String>,
    touched: &mut BTreeSet<String>,
    id: &str,
) -> Option<&'a mut BorrowerRecords> {
    if fresh.contains(id) {
        return None;
    }
    let h = kept.get_mut(id)?;
    if !touched.contains(id) {
        touched.insert(id.to_string());
    }
    Some(h)
}

/// The kept records copied for a run, on the machine's threads for a large book (a copy per household, in id
/// order).
fn copy_records(kept: &BTreeMap<String, BorrowerRecords>) -> Vec<BorrowerRecords> {
    let all: Vec<&BorrowerRecords> = kept.values().collect();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if threads <= 1 || all.len() < 20_000 {
        return all.into_iter().cloned().collect();
    }
    let chunk = all.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = all
            .chunks(chunk)
            .map(|slice| scope.spawn(move || slice.iter().map(|r| (*r).clone()).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}
