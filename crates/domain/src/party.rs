//! The people and places a rural loan involves: households, borrowers, villages, joint-liability groups and
//! collateral.
//!
//! Constructors enforce what must always hold (a group has distinct members from one village, a household has at
//! least one member and no more labourers than members), so code that receives one of these can rely on it.

use serde::{Deserialize, Serialize};

use crate::ids::{BorrowerId, CollateralId, GroupId, HouseholdId, MobileNumber, NationalId, VillageCode};
use crate::money::Money;

/// Why a party record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyError {
    /// A field is out of its range.
    #[error("{field}: {reason}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> PartyError {
    PartyError::Invalid { field, reason: reason.into() }
}

/// A village (行政村), the unit of whole-village credit granting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Village {
    /// Statistical division code.
    pub code: VillageCode,
    /// Name, e.g. 桃源村.
    pub name: String,
    /// Whether the village holds the 信用村 (credit village) title.
    pub credit_village: bool,
}

/// A farm household (农户).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    id: HouseholdId,
    village: VillageCode,
    members: u8,
    labourers: u8,
}

impl Household {
    /// A household with at least one member and no more labourers than members.
    pub fn new(id: HouseholdId, village: VillageCode, members: u8, labourers: u8) -> Result<Household, PartyError> {
        if members == 0 {
            return Err(invalid("members", "a household has at least one member"));
        }
        if labourers > members {
            return Err(invalid("labourers", format!("{labourers} labourers exceed {members} members")));
        }
        Ok(Household { id, village, members, labourers })
    }

    /// The household's id.
    pub fn id(&self) -> &HouseholdId {
        &self.id
    }

    /// The village the household lives in.
    pub fn village(&self) -> &VillageCode {
        &self.village
    }

    /// Number of household members.
    pub fn members(&self) -> u8 {
        self.members
    }

    /// Number of working-age labourers.
    pub fn labourers(&self) -> u8 {
        self.labourers
    }
}

/// A borrower: the household member who signs. Personal identifiers are typed and masked in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Borrower {
    /// Record id.
    pub id: BorrowerId,
    /// The borrower's household.
    pub household: HouseholdId,
    /// Resident identity card number.
    pub national_id: NationalId,
    /// Mobile number, when known.
    pub mobile: Option<MobileNumber>,
}

/// A joint-liability group (联保小组): households of one village that guarantee each other's loans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointLiabilityGroup {
    id: GroupId,
    village: VillageCode,
    members: Vec<BorrowerId>,
}

impl JointLiabilityGroup {
    /// Smallest group size accepted. Practice is 4–6, typically 5 (PBOC guidance of 2000).
    pub const MIN_MEMBERS: usize = 3;
    /// Largest group size accepted.
    pub const MAX_MEMBERS: usize = 10;

    /// A group of 3–10 distinct members.
    pub fn new(id: GroupId, village: VillageCode, members: Vec<BorrowerId>) -> Result<JointLiabilityGroup, PartyError> {
        if !(Self::MIN_MEMBERS..=Self::MAX_MEMBERS).contains(&members.len()) {
            return Err(invalid(
                "members",
                format!("a group has {}–{} members, not {}", Self::MIN_MEMBERS, Self::MAX_MEMBERS, members.len()),
            ));
        }
        let mut sorted = members.clone();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid("members", format!("{} is listed twice", w[0])));
        }
        Ok(JointLiabilityGroup { id, village, members })
    }

    /// The group's id.
    pub fn id(&self) -> &GroupId {
        &self.id
    }

    /// The village all members live in.
    pub fn village(&self) -> &VillageCode {
        &self.village
    }

    /// The members, in joining order.
    pub fn members(&self) -> &[BorrowerId] {
        &self.members
    }
}

/// What secures a loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CollateralKind {
    /// 信用: no security, the borrower's rating only.
    CreditOnly,
    /// 保证: a named guarantor.
    Guarantor {
        /// The guarantor.
        guarantor: BorrowerId,
    },
    /// 联保: the joint-liability group.
    Group {
        /// The group.
        group: GroupId,
    },
    /// 土地经营权抵押: a mortgage on a land-management right, lent against at 50–70% of appraisal.
    LandManagementRight {
        /// Appraised value.
        appraised: Money,
        /// Area in mu (亩), a whole number of tenths.
        area_tenth_mu: u32,
    },
    /// 农民住房财产权抵押: a mortgage on a rural housing right.
    RuralHousingRight {
        /// Appraised value.
        appraised: Money,
    },
    /// 存单质押: a pledged deposit.
    Deposit {
        /// Pledged amount.
        amount: Money,
    },
}

/// A piece of collateral or a guarantee attached to a loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collateral {
    /// Record id.
    pub id: CollateralId,
    /// What it is.
    pub kind: CollateralKind,
}

impl CollateralKind {
    /// The money value the collateral brings before haircut (zero for personal guarantees).
    pub fn appraised_value(&self) -> Money {
        match self {
            CollateralKind::CreditOnly | CollateralKind::Guarantor { .. } | CollateralKind::Group { .. } => Money::ZERO,
            CollateralKind::LandManagementRight { appraised, .. } | CollateralKind::RuralHousingRight { appraised } => {
                *appraised
            }
            CollateralKind::Deposit { amount } => *amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> BorrowerId {
        BorrowerId::parse(s).expect("valid id")
    }

    #[test]
    fn groups_need_distinct_members() {
        let village = VillageCode::parse("990101001001").expect("valid");
        let gid = GroupId::parse("G1").expect("valid");
        assert!(JointLiabilityGroup::new(gid.clone(), village.clone(), vec![b("a"), b("b"), b("c"), b("d")]).is_ok());
        assert!(JointLiabilityGroup::new(gid.clone(), village.clone(), vec![b("a"), b("b")]).is_err());
        let dup = JointLiabilityGroup::new(gid, village, vec![b("a"), b("b"), b("a")]);
        assert!(matches!(dup, Err(PartyError::Invalid { field: "members", .. })));
    }

    #[test]
    fn households_need_members() {
        let village = VillageCode::parse("990101001001").expect("valid");
        let id = HouseholdId::parse("H1").expect("valid");
        assert!(Household::new(id.clone(), village.clone(), 0, 0).is_err());
        assert!(Household::new(id.clone(), village.clone(), 2, 3).is_err());
        assert_eq!(Household::new(id, village, 4, 2).map(|h| h.labourers()), Ok(2));
    }

    #[test]
    fn collateral_values() {
        let land = CollateralKind::LandManagementRight { appraised: Money::from_yuan(80_000), area_tenth_mu: 305 };
        assert_eq!(land.appraised_value(), Money::from_yuan(80_000));
        assert_eq!(CollateralKind::CreditOnly.appraised_value(), Money::ZERO);
    }
}
