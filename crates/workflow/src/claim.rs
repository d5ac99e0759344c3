//! Claims on the review queue: an officer takes the oldest open case they may act on, for a bounded lease, so two
//! officers working the queue at once never pick the same case.
//!
//! A claim is a work lease, not part of the review's history: it decides nothing about the case and is never
//! audited as a review step (the store audits it as a write of its own). While a claim's lease runs, only its holder
//! acts on the case ([`check_claim`]); once it expires anyone may claim the case again. A review action that leaves
//! the case open (an approval above the maker's authority) ends the claim: the check is another officer's work.

use std::time::Duration;

use domain::{DecisionId, OfficerId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::decision::{Invalid, Subject};
use crate::review::{Officer, QueueItem, ReviewRefusal, ReviewState};

/// How long a claim holds its case: from [`Lease::MIN_S`] to [`Lease::MAX_S`] seconds, [`Lease::DEFAULT`] when
/// the officer does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lease {
    seconds: u32,
}

impl Lease {
    /// The shortest lease: one minute.
    pub const MIN_S: u32 = 60;
    /// The longest lease: eight hours, a working day.
    pub const MAX_S: u32 = 8 * 3600;
    /// The lease when none is asked for: thirty minutes.
    pub const DEFAULT: Lease = Lease { seconds: 30 * 60 };

    /// A lease of `seconds`, refused outside [`Lease::MIN_S`]..=[`Lease::MAX_S`] naming the field `lease_s`.
    pub fn seconds(seconds: u32) -> Result<Lease, Invalid> {
        if !(Lease::MIN_S..=Lease::MAX_S).contains(&seconds) {
            return Err(Invalid::field(
                Subject::Claim,
                &format!("{seconds} s"),
                "lease_s",
                "must be from 60 to 28800 seconds (one minute to eight hours)",
            ));
        }
        Ok(Lease { seconds })
    }

    /// The lease's length in seconds.
    pub fn as_seconds(self) -> u32 {
        self.seconds
    }

    /// When a lease taken at `at` ends, written in `at`'s offset.
    pub fn expiry(self, at: &Timestamp) -> Timestamp {
        let end = at.instant().checked_add_signed(chrono::TimeDelta::seconds(i64::from(self.seconds)));
        // Eight hours after any representable instant is representable but at the very end of chrono's range;
        // there the lease ends at the latest instant chrono knows, which no clock reaches.
        Timestamp::from_instant(end.unwrap_or(at.instant()))
    }

    /// The lease's length.
    pub fn duration(self) -> Duration {
        Duration::from_secs(u64::from(self.seconds))
    }
}

impl Default for Lease {
    fn default() -> Lease {
        Lease::DEFAULT
    }
}

/// Who holds a case and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The officer holding the case.
    pub officer_id: OfficerId,
    /// When they claimed it.
    pub claimed_at: Timestamp,
    /// When the lease ends; from then on anyone may claim the case.
    pub expires_at: Timestamp,
}

impl Hold {
    /// Whether the lease still runs at `at`.
    pub fn live_at(&self, at: &Timestamp) -> bool {
        *at < self.expires_at
    }
}

/// A case given to an officer: the queue item and the hold on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The case, as the queue lists it.
    #[serde(flatten)]
    pub item: QueueItem,
    /// The hold the claim put on it.
    pub hold: Hold,
}

impl Claim {
    /// The claimed decision.
    pub fn decision_id(&self) -> &DecisionId {
        &self.item.decision_id
    }
}

/// Refuses `officer`'s action on a case another officer holds under a lease still running at `at`; a case held by
/// the officer themself, by nobody or under an expired lease is theirs to act on.
pub fn check_claim(hold: Option<&Hold>, officer: &OfficerId, at: &Timestamp) -> Result<(), ReviewRefusal> {
    match hold {
        Some(hold) if hold.officer_id != *officer && hold.live_at(at) => {
            Err(ReviewRefusal::Claimed { holder: hold.officer_id.clone(), until: hold.expires_at })
        }
        _ => Ok(()),
    }
}

impl ReviewState {
    /// Whether `officer` may take the next step on a case in this state: anyone registered on a pending case; on an
    /// approval awaiting its check, an officer other than the maker whose authority covers the amount. Claims give
    /// out only cases their officer may act on.
    pub fn actionable_by(&self, officer: &Officer) -> bool {
        match self {
            ReviewState::Pending => true,
            ReviewState::AwaitingCheck { maker, amount } => {
                *maker != officer.officer_id && officer.authority >= *amount
            }
            ReviewState::NotReferred | ReviewState::Approved { .. } | ReviewState::Declined { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::Money;

    use super::*;
    use crate::review::tests::{id, officer};

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("timestamp")
    }

    #[test]
    fn a_lease_is_one_minute_to_eight_hours_and_ends_in_the_offset_it_was_taken_in() {
        assert!(Lease::seconds(59).is_err());
        assert!(Lease::seconds(8 * 3600 + 1).is_err());
        assert_eq!(Lease::seconds(59).map_err(|e| e.field_name()), Err("lease_s"));
        assert_eq!(Lease::default().as_seconds(), 1800);
        let lease = Lease::seconds(60).expect("a minute");
        assert_eq!(lease.expiry(&ts("2026-12-07T23:59:30+08:00")).to_string(), "2026-12-08T00:00:30+08:00");
        assert_eq!(Lease::seconds(28_800).expect("eight hours").duration(), Duration::from_secs(28_800));
    }

    #[test]
    fn only_the_holder_acts_while_the_lease_runs() {
        let hold = Hold {
            officer_id: id("li"),
            claimed_at: ts("2026-12-07T09:00:00Z"),
            expires_at: ts("2026-12-07T09:30:00Z"),
        };
        let before = ts("2026-12-07T09:29:59Z");
        assert_eq!(check_claim(Some(&hold), &id("li"), &before), Ok(()));
        assert_eq!(
            check_claim(Some(&hold), &id("wang"), &before),
            Err(ReviewRefusal::Claimed { holder: id("li"), until: hold.expires_at })
        );
        assert_eq!(check_claim(Some(&hold), &id("wang"), &ts("2026-12-07T09:30:00Z")), Ok(()), "expired");
        assert_eq!(check_claim(None, &id("wang"), &before), Ok(()));
    }

    #[test]
    fn a_check_is_given_only_to_a_second_officer_with_enough_authority() {
        let awaiting = ReviewState::AwaitingCheck { maker: id("li"), amount: Money::from_fen(8_000_000) };
        assert!(!awaiting.actionable_by(&officer("li", 10_000_000)), "the maker");
        assert!(!awaiting.actionable_by(&officer("zhao", 7_999_999)), "too little authority");
        assert!(awaiting.actionable_by(&officer("wang", 8_000_000)));
        assert!(ReviewState::Pending.actionable_by(&officer("zhao", 0)));
        assert!(!ReviewState::NotReferred.actionable_by(&officer("wang", i64::MAX)));
    }
}
