//! What the one days-past-due clock means: delinquency buckets, China's five-category classification and IFRS 9
//! stages.
//!
//! All three derive from the same DPD figure (see `servicing`), so they can never disagree about how late a loan
//! is. Regulatory DPD thresholds are data ([`ClassificationRules`]) with the 2023 rules as the default; the
//! DPD-based class is a *floor*: a recorded manual override may classify worse, never better.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Delinquency bucket by days past due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Bucket {
    /// Nothing overdue.
    #[serde(rename = "current")]
    Current,
    /// 1–30 DPD.
    #[serde(rename = "1-30")]
    Dpd1To30,
    /// 31–60 DPD.
    #[serde(rename = "31-60")]
    Dpd31To60,
    /// 61–90 DPD.
    #[serde(rename = "61-90")]
    Dpd61To90,
    /// 91–180 DPD.
    #[serde(rename = "91-180")]
    Dpd91To180,
    /// 181–270 DPD.
    #[serde(rename = "181-270")]
    Dpd181To270,
    /// 271–360 DPD.
    #[serde(rename = "271-360")]
    Dpd271To360,
    /// More than 360 DPD.
    #[serde(rename = "360+")]
    Dpd361Plus,
}

impl Bucket {
    /// The bucket for a DPD figure.
    pub fn of(dpd: u32) -> Bucket {
        match dpd {
            0 => Bucket::Current,
            1..=30 => Bucket::Dpd1To30,
            31..=60 => Bucket::Dpd31To60,
            61..=90 => Bucket::Dpd61To90,
            91..=180 => Bucket::Dpd91To180,
            181..=270 => Bucket::Dpd181To270,
            271..=360 => Bucket::Dpd271To360,
            _ => Bucket::Dpd361Plus,
        }
    }

    /// The DPD figures at which some bucket begins (for finding change dates).
    pub const STARTS: [u32; 7] = [1, 31, 61, 91, 181, 271, 361];

    /// The label used in files and tables.
    pub fn label(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::Dpd1To30 => "1-30",
            Bucket::Dpd31To60 => "31-60",
            Bucket::Dpd61To90 => "61-90",
            Bucket::Dpd91To180 => "91-180",
            Bucket::Dpd181To270 => "181-270",
            Bucket::Dpd271To360 => "271-360",
            Bucket::Dpd361Plus => "360+",
        }
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

/// China's five-category loan classification (五级分类), ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FiveCategory {
    /// 正常.
    Normal,
    /// 关注.
    SpecialMention,
    /// 次级.
    Substandard,
    /// 可疑.
    Doubtful,
    /// 损失.
    Loss,
}

impl FiveCategory {
    /// Every class from best to worst.
    pub const ALL: [FiveCategory; 5] = [
        FiveCategory::Normal,
        FiveCategory::SpecialMention,
        FiveCategory::Substandard,
        FiveCategory::Doubtful,
        FiveCategory::Loss,
    ];

    /// The code used in files.
    pub fn code(self) -> &'static str {
        match self {
            FiveCategory::Normal => "normal",
            FiveCategory::SpecialMention => "special-mention",
            FiveCategory::Substandard => "substandard",
            FiveCategory::Doubtful => "doubtful",
            FiveCategory::Loss => "loss",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            FiveCategory::Normal => "正常",
            FiveCategory::SpecialMention => "关注",
            FiveCategory::Substandard => "次级",
            FiveCategory::Doubtful => "可疑",
            FiveCategory::Loss => "损失",
        }
    }

    /// True for the three non-performing classes (次级, 可疑, 损失) that make up the NPL ratio.
    pub fn is_non_performing(self) -> bool {
        self >= FiveCategory::Substandard
    }
}

impl fmt::Display for FiveCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

impl FromStr for FiveCategory {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FiveCategory::ALL.into_iter().find(|c| c.code() == s || c.name_zh() == s).ok_or_else(|| {
            format!("unknown class '{s}' (known: normal, special-mention, substandard, doubtful, loss, or 正常 关注 次级 可疑 损失)")
        })
    }
}

/// IFRS 9 impairment stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IfrsStage {
    /// Performing: 12-month expected credit loss.
    #[serde(rename = "stage-1")]
    Stage1,
    /// Significant increase in credit risk: lifetime ECL.
    #[serde(rename = "stage-2")]
    Stage2,
    /// Credit-impaired: lifetime ECL.
    #[serde(rename = "stage-3")]
    Stage3,
}

impl IfrsStage {
    /// The stage number, 1–3.
    pub fn number(self) -> u8 {
        match self {
            IfrsStage::Stage1 => 1,
            IfrsStage::Stage2 => 2,
            IfrsStage::Stage3 => 3,
        }
    }
}

impl fmt::Display for IfrsStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            IfrsStage::Stage1 => "stage-1",
            IfrsStage::Stage2 => "stage-2",
            IfrsStage::Stage3 => "stage-3",
        })
    }
}

/// DPD thresholds for the classification floors and IFRS 9 presumptions. A loan whose DPD is *greater than* a
/// threshold is at least that class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationRules {
    /// Name of the rule set, recorded with every classification.
    pub name: &'static str,
    /// DPD above which a loan is at least 关注 (0: any amount overdue).
    pub special_mention_after: u32,
    /// DPD above which a loan is at least 次级.
    pub substandard_after: u32,
    /// DPD above which a loan is at least 可疑.
    pub doubtful_after: u32,
    /// DPD above which a loan is 损失.
    pub loss_after: u32,
    /// DPD above which IFRS 9 presumes a significant increase in credit risk (Stage 2).
    pub stage2_after: u32,
    /// DPD above which IFRS 9 presumes credit impairment (Stage 3).
    pub stage3_after: u32,
}

impl ClassificationRules {
    /// 《商业银行金融资产风险分类办法》 (2023-02-11, effective 2023-07-01): 关注 1+, 次级 > 90, 可疑 > 270,
    /// 损失 > 360; IFRS 9 presumptions at 30 and 90 DPD.
    pub const CBIRC_2023: ClassificationRules = ClassificationRules {
        name: "cbirc-2023",
        special_mention_after: 0,
        substandard_after: 90,
        doubtful_after: 270,
        loss_after: 360,
        stage2_after: 30,
        stage3_after: 90,
    };

    /// The 2007 guidance still seen in rural cooperatives: 关注 ≤ 90, 次级 91–180, 可疑 > 180. The 2007 text sets
    /// no DPD floor for 损失; 360 is our assumption, configurable like every threshold here.
    pub const CBRC_2007: ClassificationRules = ClassificationRules {
        name: "cbrc-2007",
        special_mention_after: 0,
        substandard_after: 90,
        doubtful_after: 180,
        loss_after: 360,
        stage2_after: 30,
        stage3_after: 90,
    };

    /// The rule set with a given name.
    pub fn named(name: &str) -> Option<ClassificationRules> {
        [Self::CBIRC_2023, Self::CBRC_2007].into_iter().find(|r| r.name == name)
    }

    /// The minimum class for a DPD figure and restructuring flag.
    pub fn floor(&self, dpd: u32, restructured: bool) -> FiveCategory {
        let by_dpd = if dpd > self.loss_after {
            FiveCategory::Loss
        } else if dpd > self.doubtful_after {
            FiveCategory::Doubtful
        } else if dpd > self.substandard_after {
            FiveCategory::Substandard
        } else if dpd > self.special_mention_after {
            FiveCategory::SpecialMention
        } else {
            FiveCategory::Normal
        };
        if restructured { by_dpd.max(FiveCategory::SpecialMention) } else { by_dpd }
    }

    /// The IFRS 9 stage for a DPD figure, restructuring flag and final class.
    pub fn stage(&self, dpd: u32, restructured: bool, class: FiveCategory) -> IfrsStage {
        if dpd > self.stage3_after || class.is_non_performing() {
            IfrsStage::Stage3
        } else if dpd > self.stage2_after || restructured || class > self.floor(dpd, false) {
            // A restructuring or a judgemental downgrade is itself evidence of increased credit risk.
            IfrsStage::Stage2
        } else {
            IfrsStage::Stage1
        }
    }

    /// DPD figures at which the class or stage can change (threshold + 1), for finding change dates.
    pub fn change_points(&self) -> [u32; 6] {
        [
            self.special_mention_after + 1,
            self.substandard_after + 1,
            self.doubtful_after + 1,
            self.loss_after + 1,
            self.stage2_after + 1,
            self.stage3_after + 1,
        ]
    }
}

impl Default for ClassificationRules {
    fn default() -> Self {
        Self::CBIRC_2023
    }
}

/// A loan's standing on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// Days past due.
    pub dpd: u32,
    /// Delinquency bucket.
    pub bucket: Bucket,
    /// Five-category class after any manual override.
    pub class: FiveCategory,
    /// The DPD floor the class may not be better than.
    pub floor: FiveCategory,
    /// IFRS 9 stage.
    pub stage: IfrsStage,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rules_2023_floors() {
        let r = ClassificationRules::CBIRC_2023;
        assert_eq!(r.floor(0, false), FiveCategory::Normal);
        assert_eq!(r.floor(0, true), FiveCategory::SpecialMention);
        assert_eq!(r.floor(1, false), FiveCategory::SpecialMention);
        assert_eq!(r.floor(90, false), FiveCategory::SpecialMention);
        assert_eq!(r.floor(91, false), FiveCategory::Substandard);
        assert_eq!(r.floor(271, false), FiveCategory::Doubtful);
        assert_eq!(r.floor(361, false), FiveCategory::Loss);
        assert_eq!(ClassificationRules::CBRC_2007.floor(181, false), FiveCategory::Doubtful);
        assert_eq!(r.stage(31, false, r.floor(31, false)), IfrsStage::Stage2);
        assert_eq!(r.stage(30, false, r.floor(30, false)), IfrsStage::Stage1);
        assert_eq!(r.stage(0, false, FiveCategory::Substandard), IfrsStage::Stage3);
        assert_eq!(Bucket::of(31), Bucket::Dpd31To60);
        assert_eq!("次级".parse::<FiveCategory>(), Ok(FiveCategory::Substandard));
    }

    proptest! {
        #[test]
        fn floors_and_stages_are_monotone_in_dpd(a in 0u32..2000, b in 0u32..2000, restructured in any::<bool>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            for r in [ClassificationRules::CBIRC_2023, ClassificationRules::CBRC_2007] {
                prop_assert!(r.floor(lo, restructured) <= r.floor(hi, restructured));
                let (flo, fhi) = (r.floor(lo, restructured), r.floor(hi, restructured));
                prop_assert!(r.stage(lo, restructured, flo) <= r.stage(hi, restructured, fhi));
                prop_assert!(Bucket::of(lo) <= Bucket::of(hi));
            }
        }
    }
}
