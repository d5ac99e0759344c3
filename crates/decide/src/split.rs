//! Which policy decides: the champion, a challenger on a fixed share of applicants, and shadow policies that are
//! evaluated on every applicant and recorded but never act. The split is deterministic by applicant (a hash of
//! the household id and the split's salt), so a household meets the same policy on every application while the
//! split stands, and a replay assigns it the same way.

use sha2::{Digest, Sha256};

use crate::engine::VersionedPolicy;

/// Which arm an applicant falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arm {
    /// The active policy.
    Champion,
    /// The challenger.
    Challenger,
}

/// A policy version with where and from when it decides.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Region prefix it serves (a province, prefecture or county code; empty = everywhere), matched against the
    /// applicant's village code.
    pub region: String,
    /// Product it serves (empty = every product).
    pub segment: String,
    /// First day it decides.
    pub effective_from: domain::Date,
    /// The policy.
    pub policy: VersionedPolicy,
}

impl Entry {
    /// An entry serving every region and product from the first day.
    pub fn everywhere(policy: VersionedPolicy) -> Entry {
        Entry { region: String::new(), segment: String::new(), effective_from: domain::Date::MIN, policy }
    }

    fn serves(&self, village: &str, product: &str, on: domain::Date) -> Option<(usize, bool, domain::Date)> {
        let region = village.starts_with(&self.region);
        let segment = self.segment.is_empty() || self.segment == product;
        (region && segment && self.effective_from <= on).then_some((
            self.region.len(),
            !self.segment.is_empty(),
            self.effective_from,
        ))
    }
}

/// The policies in play: the active versions (dispatched by region, product and date like the policy register's
/// `dispatch_policy`), an optional challenger deciding a fixed share of applicants, and shadow versions evaluated
/// on every applicant but never acting.
#[derive(Debug, Clone)]
pub struct Lineup {
    /// Active versions.
    pub active: Vec<Entry>,
    /// A challenger and the share of applicants it decides, in basis points (0–10,000).
    pub challenger: Option<(VersionedPolicy, u32)>,
    /// Versions evaluated in shadow mode.
    pub shadows: Vec<VersionedPolicy>,
    /// Salt of the split: a new salt reshuffles applicants between arms.
    pub salt: String,
}

impl Lineup {
    /// One policy deciding everywhere.
    pub fn single(policy: VersionedPolicy) -> Lineup {
        Lineup { active: vec![Entry::everywhere(policy)], challenger: None, shadows: Vec::new(), salt: String::new() }
    }

    /// The applicant's arm.
    pub fn arm(&self, household_id: &str) -> Arm {
        match &self.challenger {
            Some((_, share_bp)) if bucket(&self.salt, household_id) < *share_bp => Arm::Challenger,
            _ => Arm::Champion,
        }
    }

    /// The champion for an applicant: the most specific active version serving the village and product on the
    /// date, then the latest effective; `None` when no version serves them.
    pub fn champion(&self, village: &str, product: &str, on: domain::Date) -> Option<&VersionedPolicy> {
        self.active
            .iter()
            .filter_map(|e| Some((e.serves(village, product, on)?, e)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, e)| &e.policy)
    }

    /// The policy that decides for the applicant, and its arm.
    pub fn acting(
        &self,
        household_id: &str,
        village: &str,
        product: &str,
        on: domain::Date,
    ) -> Option<(&VersionedPolicy, Arm)> {
        match (self.arm(household_id), &self.challenger) {
            (Arm::Challenger, Some((policy, _))) => Some((policy, Arm::Challenger)),
            _ => self.champion(village, product, on).map(|p| (p, Arm::Champion)),
        }
    }
}

/// The applicant's bucket, 0–9,999: the first eight bytes of SHA-256(salt ":" household id) modulo 10,000.
pub fn bucket(salt: &str, household_id: &str) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(household_id.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u32::try_from(u64::from_be_bytes(first) % 10_000).expect("below 10,000")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_spread() {
        assert_eq!(bucket("s", "H0000001"), bucket("s", "H0000001"));
        assert_ne!(bucket("s", "H0000001"), bucket("t", "H0000001"));
        let ids: Vec<String> = (0..20_000).map(|i| format!("H{i:07}")).collect();
        let below = ids.iter().filter(|id| bucket("2026-q4", id) < 2_000).count();
        // 20% of 20,000 = 4,000; a fair hash stays within ±3 standard deviations (±170).
        assert!((3_830..=4_170).contains(&below), "{below} of 20,000 in a 20% arm");
    }
}
