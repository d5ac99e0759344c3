//! The report's parameters as a versioned JSON document: loss given default by collateral, the regulatory
//! provisioning ratios by class, the significant-increase threshold, the fallback PD table, the write-off and
//! accrual conventions and the concentration limits. Every field has a default ([`Config::default`], version 1,
//! with its source in `docs/portfolio.md`); a file overrides any of them, and an unknown field or an out-of-range
//! value is an error naming the field.

use lending::ClassificationRules;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The one configuration version this build reads.
pub const CONFIG_VERSION: u32 = 1;

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not JSON of the configuration's shape (an unknown field, a wrong type); serde's message names the field.
    #[error("{0}")]
    Parse(String),
    /// A field holds a value outside its range.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, dotted (`lgd.group`).
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// Loss given default by kind of security, each a share in [0, 1].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lgd {
    /// A credit household's unsecured loan (信用贷款).
    pub credit_only: Decimal,
    /// Joint liability (联保): the peers answer for part of the loss.
    pub group: Decimal,
    /// Mortgage of the land-management right (土地经营权抵押).
    pub land_right: Decimal,
    /// Mortgage of a rural house right (农房抵押).
    pub house_right: Decimal,
    /// A third-party guarantor (保证).
    pub guarantor: Decimal,
}

impl Default for Lgd {
    /// Basel foundation IRB: 45% for senior unsecured claims; joint liability and guarantees take 10 points off,
    /// rural property rights (hard to repossess and sell) 15 to 20 points (see `docs/portfolio.md`).
    fn default() -> Lgd {
        Lgd {
            credit_only: Decimal::new(45, 2),
            group: Decimal::new(35, 2),
            land_right: Decimal::new(30, 2),
            house_right: Decimal::new(25, 2),
            guarantor: Decimal::new(35, 2),
        }
    }
}

/// Regulatory loan-loss provisioning ratios: a general ratio on every loan plus a specific ratio by class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProvisionRatios {
    /// Name of the set, shown in the report.
    pub name: String,
    /// General provision on the whole book (一般准备).
    pub general: Decimal,
    /// 正常.
    pub normal: Decimal,
    /// 关注.
    pub special_mention: Decimal,
    /// 次级.
    pub substandard: Decimal,
    /// 可疑.
    pub doubtful: Decimal,
    /// 损失.
    pub loss: Decimal,
}

impl ProvisionRatios {
    /// 《银行贷款损失准备计提指引》 (PBOC, 银发〔2002〕98号): a general provision of 1% of loans and specific
    /// provisions of 2% for 关注, 25% for 次级, 50% for 可疑 and 100% for 损失.
    pub fn pboc_2002() -> ProvisionRatios {
        ProvisionRatios {
            name: "pboc-2002".into(),
            general: Decimal::new(1, 2),
            normal: Decimal::ZERO,
            special_mention: Decimal::new(2, 2),
            substandard: Decimal::new(25, 2),
            doubtful: Decimal::new(50, 2),
            loss: Decimal::ONE,
        }
    }

    /// The standard-method risk coefficients of 《金融企业准备金计提管理办法》 (MoF, 财金〔2012〕20号): 正常 1.5%,
    /// 关注 3%, 次级 30%, 可疑 60%, 损失 100%, with no separate general ratio.
    pub fn mof_2012() -> ProvisionRatios {
        ProvisionRatios {
            name: "mof-2012".into(),
            general: Decimal::ZERO,
            normal: Decimal::new(15, 3),
            special_mention: Decimal::new(3, 2),
            substandard: Decimal::new(30, 2),
            doubtful: Decimal::new(60, 2),
            loss: Decimal::ONE,
        }
    }

    /// The specific ratio of a class.
    pub fn of(&self, class: lending::FiveCategory) -> Decimal {
        use lending::FiveCategory::*;
        match class {
            Normal => self.normal,
            SpecialMention => self.special_mention,
            Substandard => self.substandard,
            Doubtful => self.doubtful,
            Loss => self.loss,
        }
    }
}

impl Default for ProvisionRatios {
    fn default() -> ProvisionRatios {
        ProvisionRatios::pboc_2002()
    }
}

/// The PD used when the caller has no model PD for a borrower: the larger of the grade's PD and the DPD
/// bucket's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FallbackPd {
    /// Rated AAA.
    pub aaa: Decimal,
    /// Rated AA.
    pub aa: Decimal,
    /// Rated A.
    pub a: Decimal,
    /// Rated B.
    pub b: Decimal,
    /// Below B, or no rating known.
    pub unrated: Decimal,
    /// 1–30 DPD.
    pub dpd_1_30: Decimal,
    /// 31–60 DPD.
    pub dpd_31_60: Decimal,
    /// 61–90 DPD.
    pub dpd_61_90: Decimal,
}

impl Default for FallbackPd {
    /// Grades spread around the specification's 1.5–3% yearly default rate; buckets from the usual roll rates of
    /// microcredit books (a third of 1–30 DPD loans roll on to default, two thirds of 61–90).
    fn default() -> FallbackPd {
        FallbackPd {
            aaa: Decimal::new(5, 3),
            aa: Decimal::new(1, 2),
            a: Decimal::new(2, 2),
            b: Decimal::new(4, 2),
            unrated: Decimal::new(6, 2),
            dpd_1_30: Decimal::new(30, 2),
            dpd_31_60: Decimal::new(50, 2),
            dpd_61_90: Decimal::new(70, 2),
        }
    }
}

/// A concentration limit on one dimension: the largest share one group may hold and the largest HHI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Largest share of the outstanding one group may hold (`None`: no limit).
    pub max_share: Option<Decimal>,
    /// Largest Herfindahl–Hirschman index, 0–1 (`None`: no limit).
    pub max_hhi: Option<Decimal>,
}

impl Limit {
    fn new(max_share: Option<(i64, u32)>, max_hhi: Option<(i64, u32)>) -> Limit {
        Limit {
            max_share: max_share.map(|(m, s)| Decimal::new(m, s)),
            max_hhi: max_hhi.map(|(m, s)| Decimal::new(m, s)),
        }
    }
}

/// Concentration limits by dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// By village.
    pub village: Limit,
    /// By county.
    pub county: Limit,
    /// By crop financed (or the borrower's main crop).
    pub crop: Limit,
    /// By product.
    pub product: Limit,
    /// By the borrowers' main produce buyer.
    pub buyer: Limit,
}

impl Default for Limits {
    /// Shares: a village 15%, a crop 60%, a product 70%, a buyer 20%, a county none (a county lender holds one);
    /// HHI 0.25 (the 2,500 points above which the 2010 US Horizontal Merger Guidelines call a market highly
    /// concentrated) for villages and buyers.
    fn default() -> Limits {
        Limits {
            village: Limit::new(Some((15, 2)), Some((25, 2))),
            county: Limit::new(None, None),
            crop: Limit::new(Some((60, 2)), None),
            product: Limit::new(Some((70, 2)), None),
            buyer: Limit::new(Some((20, 2)), Some((25, 2))),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Must be [`CONFIG_VERSION`].
    pub version: u32,
    /// The classification rule set (`cbirc-2023` or `cbrc-2007`).
    pub rules: String,
    /// LGD by security.
    pub lgd: Lgd,
    /// Regulatory provisioning.
    pub provisions: ProvisionRatios,
    /// A 12-month PD at or above this is a significant increase in credit risk (IFRS 9 stage 2).
    pub sicr_pd: Decimal,
    /// PDs when the caller has no model PD.
    pub fallback_pd: FallbackPd,
    /// A loan this many days past due is written off and leaves the book.
    pub write_off_dpd: u32,
    /// Interest accrues for at most this many days past the last day the loan was current.
    pub accrual_cap_days: u32,
    /// The horizon, months, of a loan past its maturity (its workout).
    pub matured_horizon_months: u32,
    /// Vintage curves run to this many months on book.
    pub vintage_max_mob: u32,
    /// Months of history in the PAR trend and the roll rates.
    pub trend_months: u32,
    /// Concentration limits.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            version: CONFIG_VERSION,
            rules: ClassificationRules::CBIRC_2023.name.to_owned(),
            lgd: Lgd::default(),
            provisions: ProvisionRatios::default(),
            sicr_pd: Decimal::new(20, 2),
            fallback_pd: FallbackPd::default(),
            write_off_dpd: 1_080,
            accrual_cap_days: 360,
            matured_horizon_months: 12,
            vintage_max_mob: 36,
            trend_months: 12,
            limits: Limits::default(),
        }
    }
}

fn share(field: &str, value: Decimal) -> Result<(), ConfigError> {
    if value < Decimal::ZERO || value > Decimal::ONE {
        return Err(ConfigError::Invalid { field: field.to_owned(), reason: format!("{value} is outside [0, 1]") });
    }
    Ok(())
}

impl Config {
    /// Reads a configuration from JSON text and checks it.
    pub fn from_json(text: &str) -> Result<Config, ConfigError> {
        let config: Config = serde_json::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// The classification rules named by [`Config::rules`].
    pub fn classification(&self) -> Result<ClassificationRules, ConfigError> {
        ClassificationRules::named(&self.rules).ok_or_else(|| ConfigError::Invalid {
            field: "rules".into(),
            reason: format!("unknown rule set '{}' (known: cbirc-2023, cbrc-2007)", self.rules),
        })
    }

    /// Checks every range.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.version != CONFIG_VERSION {
            return Err(ConfigError::Invalid {
                field: "version".into(),
                reason: format!("{} is not a version this build reads ({CONFIG_VERSION})", self.version),
            });
        }
        self.classification()?;
        let l = &self.lgd;
        for (f, v) in [
            ("lgd.credit_only", l.credit_only),
            ("lgd.group", l.group),
            ("lgd.land_right", l.land_right),
            ("lgd.house_right", l.house_right),
            ("lgd.guarantor", l.guarantor),
        ] {
            share(f, v)?;
        }
        let p = &self.provisions;
        for (f, v) in [
            ("provisions.general", p.general),
            ("provisions.normal", p.normal),
            ("provisions.special_mention", p.special_mention),
            ("provisions.substandard", p.substandard),
            ("provisions.doubtful", p.doubtful),
            ("provisions.loss", p.loss),
        ] {
            share(f, v)?;
        }
        share("sicr_pd", self.sicr_pd)?;
        let b = &self.fallback_pd;
        for (f, v) in [
            ("fallback_pd.aaa", b.aaa),
            ("fallback_pd.aa", b.aa),
            ("fallback_pd.a", b.a),
            ("fallback_pd.b", b.b),
            ("fallback_pd.unrated", b.unrated),
            ("fallback_pd.dpd_1_30", b.dpd_1_30),
            ("fallback_pd.dpd_31_60", b.dpd_31_60),
            ("fallback_pd.dpd_61_90", b.dpd_61_90),
        ] {
            share(f, v)?;
        }
        for (name, limit) in [
            ("village", &self.limits.village),
            ("county", &self.limits.county),
            ("crop", &self.limits.crop),
            ("product", &self.limits.product),
            ("buyer", &self.limits.buyer),
        ] {
            if let Some(v) = limit.max_share {
                share(&format!("limits.{name}.max_share"), v)?;
            }
            if let Some(v) = limit.max_hhi {
                share(&format!("limits.{name}.max_hhi"), v)?;
            }
        }
        let bounded = |field: &str, v: u32, lo: u32, hi: u32| {
            if v < lo || v > hi {
                return Err(ConfigError::Invalid {
                    field: field.into(), reason: format!("{v} is outside {lo}–{hi}")
                });
            }
            Ok(())
        };
        bounded("write_off_dpd", self.write_off_dpd, 91, 3_650)?;
        bounded("accrual_cap_days", self.accrual_cap_days, 0, 3_650)?;
        bounded("matured_horizon_months", self.matured_horizon_months, 1, 120)?;
        bounded("vintage_max_mob", self.vintage_max_mob, 1, 120)?;
        bounded("trend_months", self.trend_months, 1, 60)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_check_and_a_file_overrides_one_field() {
        assert_eq!(Config::default().check(), Ok(()));
        let c = Config::from_json(r#"{"version": 1, "lgd": {"group": "0.4"}}"#).expect("valid");
        assert_eq!(c.lgd.group, Decimal::new(4, 1));
        assert_eq!(c.lgd.credit_only, Decimal::new(45, 2));
    }

    #[test]
    fn unknown_fields_and_bad_ranges_name_the_field() {
        let e = Config::from_json(r#"{"version": 1, "lgd": {"cattle": "0.4"}}"#).expect_err("unknown field");
        assert!(e.to_string().contains("cattle"), "{e}");
        let e = Config::from_json(r#"{"version": 1, "lgd": {"group": "1.5"}}"#).expect_err("out of range");
        assert!(e.to_string().starts_with("lgd.group:"), "{e}");
        let e = Config::from_json(r#"{"version": 2}"#).expect_err("version");
        assert!(e.to_string().starts_with("version:"), "{e}");
        let e = Config::from_json(r#"{"rules": "basel"}"#).expect_err("rules");
        assert!(e.to_string().starts_with("rules:"), "{e}");
    }
}
