//! A modelling table from a run: one row per loan whose outcome is known, with what a lender could see at
//! application (the household's file, its rating, the bureau report, the village, the loan asked for) and the
//! outcome `bad` (reached 90 days past due). Protected attributes (`head_gender`, `minority`, `head_age`) are
//! included for fairness audits and must be excluded from models ([`NOT_FEATURES`]).
//!
//! With `truth` the latent causes are appended (character, village cohesion, diversion, the planted drought): the
//! "oracle" table against which a realistic model's accuracy is judged. Never train a production model on them.

use std::collections::{HashMap, HashSet};

use lending::ProductKind;

use crate::Simulation;
use crate::report::outcome_known;

/// A table of text cells with a header, ready to write as CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<String>>,
}

/// Columns never to use as model features: the row id, the target and the protected attributes (the
/// specification's gender, ethnicity and age band: `head_gender`, `minority`, `head_age`).
pub const NOT_FEATURES: &[&str] = &["id", "bad", "head_gender", "minority", "head_age"];

/// The columns of the latent causes, present only with `truth`.
pub const TRUTH_COLUMNS: &[&str] = &["character", "village_cohesion", "diverted_share", "drought_hit"];

/// Plain-language reason texts for the table's features, Chinese and English (`{bin}` is the applicant's range),
/// with what would improve the outcome where the household can act on it.
pub const LABELS: &[(&str, &str, &str)] = &[
    ("segment", "客群（{bin}）风险较高", "segment ({bin}) carries more risk"),
    ("product", "贷款产品（{bin}）风险较高", "loan product ({bin}) carries more risk"),
    (
        "principal",
        "贷款金额较大（{bin} 元）；申请较小金额更易获批",
        "large loan amount ({bin} yuan); a smaller amount is easier to approve",
    ),
    ("annual_rate", "利率档次（{bin}）对应较低信用等级", "rate band ({bin}) of a lower grade"),
    ("stated_purpose", "申请用途（{bin}）", "stated purpose ({bin})"),
    ("size", "家庭人口（{bin} 人）", "household size ({bin})"),
    ("labourers", "家庭劳动力少（{bin} 人）", "few working members ({bin})"),
    ("dependants", "需抚养赡养的人口多（{bin} 人）", "many dependants ({bin})"),
    ("head_age", "户主年龄（{bin} 岁）", "age of the head of household ({bin})"),
    ("education_years", "受教育年限（{bin} 年）", "years of schooling ({bin})"),
    ("land_contracted_mu", "承包地面积（{bin} 亩）", "contracted land ({bin} mu)"),
    (
        "land_rented_mu",
        "租入土地多，地租负担重（{bin} 亩）；签订长期租约或投保完全成本保险可降低风险",
        "much rented land, a heavy rent ({bin} mu); a longer lease or full-cost insurance lowers the risk",
    ),
    (
        "fattening_pigs",
        "生猪存栏（{bin} 头），受猪价波动影响大；投保生猪价格保险可降低风险",
        "hog herd ({bin} head) exposed to hog prices; hog price insurance lowers the risk",
    ),
    ("cattle", "牛存栏（{bin} 头）", "cattle ({bin} head)"),
    ("migrants", "外出务工人数少（{bin} 人）", "few members working away ({bin})"),
    ("business", "非农经营状况不利于还款", "business situation weighs on repayment"),
    ("coop_member", "合作社参与情况不利于还款", "cooperative membership weighs on repayment"),
    (
        "insurance_cover",
        "农业保险保障不足（{bin}）；投保收入保险或完全成本保险有助于获批",
        "weak crop insurance cover ({bin}); income or full-cost insurance would help",
    ),
    ("rcc_shares", "信用社入股较少（{bin} 元）", "few credit-cooperative shares ({bin} yuan)"),
    (
        "deposits",
        "存款较少（{bin} 元）；保持一定存款余额有助于提高评分",
        "low savings ({bin} yuan); keeping a savings balance would raise the score",
    ),
    ("house_value", "房产价值较低（{bin} 元）", "low house value ({bin} yuan)"),
    ("machinery_value", "农机具价值（{bin} 元）", "farm machinery ({bin} yuan)"),
    (
        "debts_other",
        "其他负债较多（{bin} 元）；先偿还部分欠款有助于提高评分",
        "other debts ({bin} yuan); paying some of them down would raise the score",
    ),
    (
        "in_group",
        "联保小组情况不利于还款；加入按时还款的联保小组有助于获批",
        "joint-liability group standing weighs on repayment; a group that repays on time would help",
    ),
    (
        "rating_score",
        "农户信用评级得分较低（{bin} 分）；按时还款、参加村级评议可提高评级",
        "low household credit rating ({bin} points); repaying on time and the village review raise it",
    ),
    ("grade", "信用等级（{bin}）", "credit grade ({bin})"),
    (
        "credit_household",
        "尚未评为信用户；可向村委会和信用社申请信用户评定",
        "not yet rated a credit household; ask the village committee and the cooperative for a rating",
    ),
    ("rating_limit", "授信额度（{bin} 元）", "credit limit ({bin} yuan)"),
    (
        "bureau_record",
        "征信记录不足；小额借款并按时还款可积累信用记录",
        "thin credit-bureau record; a small loan repaid on time builds one",
    ),
    ("open_accounts", "在贷账户数（{bin} 个）", "open credit accounts ({bin})"),
    (
        "inquiries_6m",
        "近6个月征信查询次数较多（{bin} 次）；避免短期内多头申请贷款",
        "many credit inquiries in 6 months ({bin}); avoid applying to many lenders at once",
    ),
    (
        "worst_dpd_24m",
        "近两年有逾期（最长 {bin} 天）；保持按时还款，记录会逐步改善",
        "arrears in the last two years (worst {bin} days); on-time payments improve the record over time",
    ),
    (
        "other_balance",
        "他行贷款余额较多（{bin} 元）；结清部分他行贷款有助于获批",
        "balances with other lenders ({bin} yuan); settling some of them would help",
    ),
    ("irrigation_share", "所在村灌溉条件较差（{bin}）", "poor irrigation in the village ({bin})"),
    ("credit_village", "所在村尚非信用村", "the village is not a credit village"),
    ("distance_km", "距离网点较远（{bin} 公里）", "far from the branch ({bin} km)"),
    ("zone", "所在农业区（{bin}）风险较高", "farming zone ({bin}) carries more risk"),
];

/// Builds the modelling table of a run.
pub fn loan_table(sim: &Simulation, truth: bool) -> ModelTable {
    let t = &sim.tables;
    let households: HashMap<&str, _> = t.households.iter().map(|h| (h.household_id.as_str(), h)).collect();
    let ratings: HashMap<&str, _> = t.ratings.iter().map(|r| (r.household_id.as_str(), r)).collect();
    let villages: HashMap<&str, _> = t.villages.iter().map(|v| (v.village_code.as_str(), v)).collect();
    let zones: HashMap<&str, &str> = t.counties.iter().map(|c| (c.county_code.as_str(), c.zone)).collect();
    let applications: HashMap<&str, _> = t.applications.iter().map(|a| (a.application_id.as_str(), a)).collect();
    let bureau: HashMap<(&str, &str), _> =
        t.bureau.iter().map(|b| ((b.household_id.as_str(), b.report_date.as_str()), b)).collect();
    let character: HashMap<&str, _> = t.household_truth.iter().map(|h| (h.household_id.as_str(), h)).collect();
    let diversion: HashMap<&str, _> = t.loan_truth.iter().map(|l| (l.loan_id.as_str(), l)).collect();
    let drought: HashSet<&str> =
        t.shock_households.iter().filter(|s| s.scenario == "S1").map(|s| s.household_id.as_str()).collect();

    let mut header: Vec<String> = [
        "id",
        "segment",
        "product",
        "principal",
        "annual_rate",
        "stated_purpose",
        "size",
        "labourers",
        "dependants",
        "head_age",
        "education_years",
        "land_contracted_mu",
        "land_rented_mu",
        "fattening_pigs",
        "cattle",
        "migrants",
        "business",
        "coop_member",
        "insurance_cover",
        "rcc_shares",
        "deposits",
        "house_value",
        "machinery_value",
        "debts_other",
        "in_group",
        "rating_score",
        "grade",
        "credit_household",
        "rating_limit",
        "bureau_record",
        "open_accounts",
        "inquiries_6m",
        "worst_dpd_24m",
        "other_balance",
        "irrigation_share",
        "credit_village",
        "distance_km",
        "zone",
        "head_gender",
        "minority",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if truth {
        header.extend(TRUTH_COLUMNS.iter().map(|s| s.to_string()));
    }
    header.push("bad".into());

    let mut rows = Vec::new();
    for loan in t.loans.iter().filter(|l| outcome_known(&sim.config, l)) {
        let (Some(h), Some(r), Some(a)) = (
            households.get(loan.household_id.as_str()),
            ratings.get(loan.household_id.as_str()),
            applications.get(loan.application_id.as_str()),
        ) else {
            continue;
        };
        let Some(b) = bureau.get(&(loan.household_id.as_str(), a.applied_on.as_str())) else { continue };
        let Some(v) = villages.get(h.village_code.as_str()) else { continue };
        let segment = if !b.has_record {
            "thin-file"
        } else if loan.product == ProductKind::LivestockBatch {
            "livestock"
        } else if h.business || loan.product == ProductKind::EqualInstallment {
            "merchant"
        } else {
            "planting"
        };
        let flag = |x: bool| if x { "1" } else { "0" }.to_string();
        let mut row = vec![
            loan.loan_id.clone(),
            segment.into(),
            loan.product.code().into(),
            loan.principal.clone(),
            loan.annual_rate.clone(),
            a.stated_purpose.into(),
            h.size.to_string(),
            h.labourers.to_string(),
            h.dependants.to_string(),
            h.head_age.to_string(),
            h.education_years.to_string(),
            h.land_contracted_mu.clone(),
            h.land_rented_mu.clone(),
            h.fattening_pigs.to_string(),
            h.cattle.to_string(),
            h.migrants.to_string(),
            flag(h.business),
            flag(h.coop_member),
            if h.insurance_cover.is_empty() { "none".into() } else { h.insurance_cover.into() },
            h.rcc_shares.clone(),
            h.deposits.clone(),
            h.house_value.clone(),
            h.machinery_value.clone(),
            h.debts_other.clone(),
            flag(!h.group_id.is_empty()),
            r.score.to_string(),
            if r.grade.is_empty() { "none".into() } else { r.grade.into() },
            flag(r.credit_household),
            r.limit.clone(),
            flag(b.has_record),
            b.open_accounts.to_string(),
            b.inquiries_6m.to_string(),
            b.worst_dpd_24m.to_string(),
            b.other_balance.clone(),
            v.irrigation_share.clone(),
            flag(v.credit_village),
            v.distance_km.clone(),
            zones.get(v.county_code.as_str()).copied().unwrap_or("unknown").into(),
            h.head_gender.into(),
            flag(h.minority),
        ];
        if truth {
            let c = character.get(loan.household_id.as_str());
            row.push(c.map_or_else(String::new, |c| c.character.clone()));
            row.push(c.map_or_else(String::new, |c| c.village_cohesion.clone()));
            row.push(diversion.get(loan.loan_id.as_str()).map_or_else(|| "0".into(), |d| d.diverted_share.clone()));
            row.push(flag(drought.contains(loan.household_id.as_str())));
        }
        row.push(flag(loan.max_dpd >= 90));
        rows.push(row);
    }
    ModelTable { header, rows }
}

impl ModelTable {
    /// The table as CSV text (cells never contain commas or quotes).
    pub fn to_csv(&self) -> String {
        let mut out = self.header.join(",");
        out.push('\n');
        for row in &self.rows {
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
}
