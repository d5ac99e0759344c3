//! What the decider reads about applicants, held in memory: every household's records, the shared market and
//! environment context, the household heads' birth years and the villages' growing regions, loaded once from the
//! store. The market snapshot and the portfolio's social summary are computed once per application date and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::{Date, Region};
use features::input::{BorrowerRecords, Context};
use features::{Snapshot, Social};
use integrate::IntegrateError;
use integrate::history::{Scope, load_borrowers, load_context, load_head_birth_years, load_village_zones};
use integrate::register::{RecordStore, Versions};

use crate::engine::{Applicant, region_of_zone};

/// The market snapshot and social summary of one date.
#[derive(Debug)]
pub struct Market {
    /// Prices, weather, disease, news as of the date.
    pub snapshot: Snapshot,
    /// The portfolio's peers as of the date.
    pub social: Social,
}

/// Applicants' records and the context, in memory.
#[derive(Debug)]
pub struct World {
    context: Context,
    borrowers: Vec<BorrowerRecords>,
    /// Position of each household in `borrowers`, with the head's birth year and the village's region.
    index: HashMap<String, (usize, Option<i32>, Option<Region>)>,
    markets: Mutex<(Markets, u64)>,
}

/// Markets by date, with when each was last used (the value of a use counter, kept beside the map).
type Markets = HashMap<Date, (Arc<Market>, u64)>;

/// Most dates whose market snapshot and social summary a world keeps. Each takes a pass over every household to
/// make (about 70 ms for a county of 50,000) and a server meets a new date every day, so they are kept for the
/// dates in use and the least recently used is dropped beyond this many.
pub const MARKET_DATES: usize = 64;

impl World {
    /// A world from its parts; `zones` maps village codes to agricultural zones (`counties.zone`).
    pub fn new(
        context: Context,
        borrowers: Vec<BorrowerRecords>,
        heads: HashMap<String, i32>,
        zones: &HashMap<String, String>,
    ) -> World {
        let index = borrowers
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let id = &b.household.household_id;
                let region = zones.get(&b.household.village_code).and_then(|z| region_of_zone(z));
                (id.clone(), (i, heads.get(id).copied(), region))
            })
            .collect();
        World { context, borrowers, index, markets: Mutex::new((HashMap::new(), 0)) }
    }

    /// Loads the current version of every record from the store.
    pub async fn load(store: &impl RecordStore) -> Result<World, IntegrateError> {
        let versions = Versions::Current;
        let context = load_context(store, versions).await?;
        let borrowers = load_borrowers(store, Scope::All, versions).await?;
        let heads = load_head_birth_years(store, versions).await?;
        let zones = load_village_zones(store, versions).await?;
        Ok(World::new(context, borrowers, heads, &zones))
    }

    /// Households on file.
    pub fn households(&self) -> usize {
        self.borrowers.len()
    }

    /// Every household's records, in household-id order.
    pub fn borrowers(&self) -> &[BorrowerRecords] {
        &self.borrowers
    }

    /// The shared context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// An applicant's records and facts, if the household is on file.
    pub fn applicant(&self, household_id: &str) -> Option<Applicant<'_>> {
        let &(i, head_birth_year, region) = self.index.get(household_id)?;
        Some(Applicant { records: &self.borrowers[i], head_birth_year, region })
    }

    /// The market snapshot and social summary as of `date`, computed on first use and kept while in use (see
    /// [`MARKET_DATES`]).
    pub fn market(&self, date: Date) -> Arc<Market> {
        {
            let mut guard = self.markets.lock().unwrap_or_else(|p| p.into_inner());
            let (markets, clock) = &mut *guard;
            *clock += 1;
            if let Some((market, used)) = markets.get_mut(&date) {
                *used = *clock;
                return Arc::clone(market);
            }
        }
        // Computed outside the lock: two threads may both compute a new date; either result is the same.
        let market = Arc::new(Market {
            snapshot: Snapshot::new(date, &self.context),
            social: Social::from_borrowers(date, &self.borrowers),
        });
        let mut guard = self.markets.lock().unwrap_or_else(|p| p.into_inner());
        let (markets, clock) = &mut *guard;
        *clock += 1;
        if !markets.contains_key(&date) && markets.len() >= MARKET_DATES {
            let oldest = markets.iter().min_by_key(|(_, (_, used))| *used).map(|(date, _)| *date);
            if let Some(oldest) = oldest {
                markets.remove(&oldest);
            }
        }
        let entry = markets.entry(date).or_insert((market, *clock));
        entry.1 = *clock;
        Arc::clone(&entry.0)
    }

    /// How many dates' markets are kept now (at most [`MARKET_DATES`]).
    pub fn markets_kept(&self) -> usize {
        self.markets.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }
}
