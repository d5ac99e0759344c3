//! Social aggregates: the repayment state of a borrower's joint-liability group and village as of D.
//!
//! These need every household's state, so they come from a [`Social`] summary: [`build`](crate::build) computes
//! it from the whole batch, and a single applicant is scored against a summary computed once (for the whole
//! portfolio or the applicant's village) with [`Social::from_borrowers`]. Each household's own contribution is
//! remembered, so the household itself is always excluded from its peers, whether or not it is in the summary.

use std::collections::HashMap;

use domain::Date;

use crate::catalogue::Feature as F;
use crate::engine::RowValues;
use crate::history::{borrowed_within, dpd_now, in_window};
use crate::input::BorrowerRecords;
use crate::known::KnownRecords;

/// One household's repayment state as of D, as its peers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerState {
    /// The household's village.
    pub village_code: String,
    /// Its joint-liability group, if any.
    pub group_id: Option<String>,
    /// Worst days past due on D over its loans (0 without loans).
    pub dpd_now: u32,
    /// Had a loan open at some time in the last 12 months.
    pub borrowed_12m: bool,
    /// Reached 90 or more days past due in the last 12 months.
    pub defaulted_12m: bool,
}

impl PeerState {
    /// A household's state from its records known by `as_of`.
    pub fn of(as_of: Date, records: &BorrowerRecords) -> PeerState {
        PeerState::from_known(&KnownRecords::new(as_of, records))
    }

    pub(crate) fn from_known(known: &KnownRecords) -> PeerState {
        let now = dpd_now(known).unwrap_or(0);
        let defaulted = now >= 90
            || known
                .loans
                .iter()
                .flat_map(|(_, rows)| rows.iter())
                .any(|r| r.dpd_after >= 90 && in_window(r.date, known.as_of, 12));
        PeerState {
            village_code: known.household.village_code.clone(),
            group_id: known.household.group_id.clone(),
            dpd_now: now,
            borrowed_12m: borrowed_within(known, 12),
            defaulted_12m: defaulted,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    borrowers: u32,
    defaults: u32,
    dpd30: u32,
    dpd90: u32,
}

impl Counts {
    fn of(state: &PeerState) -> Counts {
        Counts {
            borrowers: u32::from(state.borrowed_12m),
            defaults: u32::from(state.borrowed_12m && state.defaulted_12m),
            dpd30: u32::from(state.dpd_now >= 30),
            dpd90: u32::from(state.dpd_now >= 90),
        }
    }

    fn add(&mut self, other: Counts) {
        self.borrowers += other.borrowers;
        self.defaults += other.defaults;
        self.dpd30 += other.dpd30;
        self.dpd90 += other.dpd90;
    }

    fn minus(self, other: Counts) -> Counts {
        Counts {
            borrowers: self.borrowers.saturating_sub(other.borrowers),
            defaults: self.defaults.saturating_sub(other.defaults),
            dpd30: self.dpd30.saturating_sub(other.dpd30),
            dpd90: self.dpd90.saturating_sub(other.dpd90),
        }
    }
}

/// Village and group repayment states of a population as of one date.
#[derive(Debug, Clone, PartialEq)]
pub struct Social {
    as_of: Date,
    members: HashMap<String, Counts>,
    villages: HashMap<String, Counts>,
    groups: HashMap<String, Counts>,
}

/// Social features need a summary of the same as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the social summary is as of {summary}, but features were asked as of {as_of}")]
pub struct SocialDateMismatch {
    /// The summary's date.
    pub summary: Date,
    /// The requested as-of date.
    pub as_of: Date,
}

impl Social {
    /// The summary of these households' states (each computed from its records known by `as_of`).
    pub fn from_borrowers(as_of: Date, borrowers: &[BorrowerRecords]) -> Social {
        Social::from_states(
            as_of,
            borrowers.iter().map(|b| (b.household.household_id.clone(), PeerState::of(as_of, b))),
        )
    }

    /// The summary of precomputed states, keyed by household id (a later state of the same household replaces an
    /// earlier one).
    pub fn from_states(as_of: Date, states: impl IntoIterator<Item = (String, PeerState)>) -> Social {
        let unique: HashMap<String, PeerState> = states.into_iter().collect();
        let mut social = Social {
            as_of,
            members: HashMap::with_capacity(unique.len()),
            villages: HashMap::new(),
            groups: HashMap::new(),
        };
        for (household_id, state) in unique {
            let counts = Counts::of(&state);
            social.villages.entry(state.village_code).or_default().add(counts);
            if let Some(group) = state.group_id {
                social.groups.entry(group).or_default().add(counts);
            }
            social.members.insert(household_id, counts);
        }
        social
    }

    /// The summary's as-of date.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// The group and village counts around a household, the household itself excluded.
    fn peers(&self, known: &KnownRecords) -> (Option<Counts>, Counts) {
        let h = known.household;
        let own = self.members.get(&h.household_id).copied().unwrap_or_default();
        let group = h.group_id.as_ref().map(|g| self.groups.get(g).copied().unwrap_or_default().minus(own));
        let village = self.villages.get(&h.village_code).copied().unwrap_or_default().minus(own);
        (group, village)
    }
}

/// Social features.
pub(crate) fn write(known: &KnownRecords, social: &Social, out: &mut RowValues) {
    let (group, village) = social.peers(known);
    out.set(F::GroupPeersDpd30, group.map(|g| f64::from(g.dpd30)));
    out.set(F::GroupPeersDpd90, group.map(|g| f64::from(g.dpd90)));
    out.set(F::VillageBorrowers12m, Some(f64::from(village.borrowers)));
    out.set(
        F::VillageDefaultRate12m,
        (village.borrowers > 0).then(|| f64::from(village.defaults) / f64::from(village.borrowers)),
    );
}
