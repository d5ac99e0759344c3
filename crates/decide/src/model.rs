//! The decision model: a WoE application scorecard trained on past applications with the features the engine
//! computes for an applicant as of the application date, so its inputs are exactly what the decider sees.
//! Reason texts say, in words a farmer can read, which of their facts weighed against them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::world::World;
use domain::Date;
use scoring::artifact::Artifact;
use scoring::pipeline::{Kind, TrainConfig, TrainData, train};
use scoring::scorecard::ReasonLabel;

/// Reason texts by feature: `{bin}` becomes the applicant's range.
pub const LABELS: &[(&str, &str, &str)] = &[
    ("size_persons", "家庭人口（{bin} 人）", "household size ({bin})"),
    ("fattening_pigs_head", "生猪养殖规模（{bin} 头）", "fattening pigs per batch ({bin})"),
    ("sows_head", "能繁母猪数量（{bin} 头）", "sows ({bin})"),
    ("has_business", "家庭经营情况", "whether the household runs a business"),
    ("village_irrigation_share", "所在村灌溉条件（{bin}）", "the village's irrigated share ({bin})"),
    ("is_credit_village", "所在村尚未评为信用村", "the village is not a credit village (信用村)"),
    ("branch_distance_km", "距网点较远（{bin} 公里）", "far from the branch ({bin} km)"),
    ("is_group_member", "未加入联保小组", "not in a joint-liability group"),
    ("insurance_cover_income", "未投保收入保险", "no income insurance cover"),
    ("main_price_volatility_3m", "主要作物近3个月价格波动（{bin}）", "main crop's 3-month price volatility ({bin})"),
    ("main_price_volatility_12m", "主要作物近12个月价格波动（{bin}）", "main crop's 12-month price volatility ({bin})"),
    ("weather_loss_max_6m", "本季受灾减产（{bin}）", "weather loss this season ({bin})"),
    ("village_borrowers_12m", "所在村借款户数（{bin}）", "borrowers in the village ({bin})"),
    (
        "dpd_current",
        "当前有逾期（{bin} 天）；结清欠款可改善",
        "currently past due ({bin} days); clearing arrears helps",
    ),
    ("dpd_max_6m", "近6个月最长逾期 {bin} 天", "worst arrears in 6 months: {bin} days"),
    (
        "dpd_max_12m",
        "近12个月最长逾期 {bin} 天；按时还款可改善",
        "worst arrears in 12 months: {bin} days; paying on time helps",
    ),
    ("dpd_max_24m", "近24个月最长逾期 {bin} 天", "worst arrears in 24 months: {bin} days"),
    ("on_time_ratio_12m", "近12个月按时还款比例偏低（{bin}）", "share of payments on time in 12 months is low ({bin})"),
    ("cured_episodes_24m", "近24个月曾多次逾期后补还（{bin} 次）", "arrears cleared late {bin} times in 24 months"),
    ("since_delinquency_months", "距上次逾期时间较短（{bin} 个月）", "recent arrears ({bin} months ago)"),
    ("loans_open", "在贷笔数（{bin}）", "loans open ({bin})"),
    ("inquiries_3m", "近3个月申请次数较多（{bin}）", "many applications in 3 months ({bin})"),
    ("inquiries_6m", "近6个月申请次数较多（{bin}）", "many applications in 6 months ({bin})"),
    ("bureau_inquiries_6m", "征信查询次数较多（{bin}）", "many credit-report inquiries ({bin})"),
    ("bureau_open_accounts", "他行在贷账户较多（{bin}）", "many accounts open elsewhere ({bin})"),
    ("bureau_worst_dpd_24m", "征信显示近24个月逾期 {bin} 天", "credit report shows {bin} days past due in 24 months"),
    ("bureau_has_record", "征信记录不足", "little credit history"),
    ("bureau_other_balance_yuan", "他行欠款余额较高（{bin} 元）", "high balance owed elsewhere ({bin} yuan)"),
    ("harvest_value_expected_yuan", "预期种养收入偏低（{bin} 元）", "expected farm income is low ({bin} yuan)"),
    ("offfarm_income_proxy_yuan", "非农收入偏低（{bin} 元）", "off-farm income is low ({bin} yuan)"),
    (
        "income_expected_yuan",
        "预期年收入偏低（{bin} 元）；提供收入证明可改善",
        "expected yearly income is low ({bin} yuan); proof of income helps",
    ),
    ("debt_service_annual_yuan", "年还款负担较重（{bin} 元）", "heavy yearly debt service ({bin} yuan)"),
    (
        "debt_service_ratio",
        "负债收入比偏高（{bin}）；减少负债可改善",
        "debt service is high relative to income ({bin}); less debt helps",
    ),
    ("debts_other_yuan", "其他负债较多（{bin} 元）", "other debts are high ({bin} yuan)"),
    ("house_value_yuan", "房产价值（{bin} 元）", "house value ({bin} yuan)"),
    ("machinery_value_yuan", "农机具价值（{bin} 元）", "machinery value ({bin} yuan)"),
    ("rcc_shares_yuan", "信用社入股金额（{bin} 元）", "credit-cooperative shares ({bin} yuan)"),
    ("deposits_yuan", "存款较少（{bin} 元）", "low deposits ({bin} yuan)"),
    (
        "rating_score_points",
        "信用评级得分（{bin} 分）；保持良好信用可提高",
        "credit rating score ({bin} points); a good record raises it",
    ),
    ("rating_limit_yuan", "评级授信额度（{bin} 元）", "rating limit ({bin} yuan)"),
    ("is_credit_household", "尚未评为信用户", "not yet a rated credit household (信用户)"),
    ("land_contracted_mu", "承包地面积（{bin} 亩）", "contracted land ({bin} mu)"),
    ("land_rented_mu", "流转土地面积（{bin} 亩）", "rented land ({bin} mu)"),
    ("labourers_persons", "劳动力人数（{bin}）", "working members ({bin})"),
    ("dependants_persons", "赡养抚养人口（{bin}）", "dependants ({bin})"),
    ("migrants_persons", "外出务工人数（{bin}）", "members working away ({bin})"),
    ("education_years", "户主受教育年限（{bin} 年）", "head's schooling ({bin} years)"),
    ("is_insured", "未参加农业保险；投保可降低风险", "no crop insurance; insuring lowers risk"),
    ("main_price_trend_3m", "主要作物近3个月价格走势（{bin}）", "main crop's 3-month price trend ({bin})"),
    ("main_price_trend_12m", "主要作物近12个月价格走势（{bin}）", "main crop's 12-month price trend ({bin})"),
    ("hog_price_trend_3m", "生猪近3个月价格走势（{bin}）", "hog price trend over 3 months ({bin})"),
    ("weather_loss_max_12m", "近12个月受灾减产（{bin}）", "weather loss in 12 months ({bin})"),
    ("diversion_share_max_12m", "贷款资金曾被挪用（比例 {bin}）", "loan proceeds diverted (share {bin})"),
    ("inflow_3m_yuan", "近3个月账户流入较少（{bin} 元）", "low account inflows in 3 months ({bin} yuan)"),
    ("inflow_trend_6m", "账户流入下降（{bin}）", "account inflows falling ({bin})"),
    ("net_flow_sd_12m_yuan", "资金流波动较大（{bin} 元）", "volatile cash flow ({bin} yuan)"),
    ("group_peers_dpd30", "联保小组内有成员逾期（{bin} 户）", "joint-liability group members in arrears ({bin})"),
    (
        "village_default_rate_12m",
        "所在村近12个月违约率偏高（{bin}）",
        "village default rate in 12 months is high ({bin})",
    ),
    ("purpose_consumption", "贷款用途为消费", "the purpose is consumption"),
    ("purpose_debt", "贷款用途为偿还其他欠款", "the purpose is repaying other debts"),
    ("purpose_vague", "贷款用途表述不清；写明具体用途可改善", "the purpose is vague; stating it clearly helps"),
    ("purpose_mismatch", "申请表用途与描述不一致", "the stated purpose and the description disagree"),
    (
        "requested_amount_yuan",
        "申请金额较大（{bin} 元）；申请较小金额更易获批",
        "large amount asked ({bin} yuan); a smaller amount is easier",
    ),
];

/// Why the model could not be trained.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Training failed.
    #[error("training the decision model: {0}")]
    Train(String),
}

/// Trains the decision scorecard as an application scorecard: one row per past application that led to a loan,
/// made on or before `up_to`, with the applicant's features as of the application date (what the decider sees)
/// and the label "90+ days past due within `horizon_months` of the loan's start" — only applications whose
/// horizon ends within the data are used. First-time borrowers are in this population, so a thin file is scored
/// from what thin files did, not from a "missing" bin no training row fell in. Folds of the cross-validation are
/// by household.
pub fn train_on_applications(
    world: &World,
    up_to: Date,
    horizon_months: u32,
    created_at: &str,
) -> Result<Artifact, ModelError> {
    let horizon = i32::try_from(horizon_months).unwrap_or(12);
    let data_end = world.borrowers().iter().flat_map(|b| b.repayments.iter().map(|r| r.date)).max();
    let Some(data_end) = data_end else {
        return Err(ModelError::Train("no repayments are loaded: no outcome is known".into()));
    };
    let mut cases = Vec::new();
    for records in world.borrowers() {
        for application in records.applications.iter().filter(|a| a.applied_on <= up_to) {
            let Some(loan) =
                application.loan_id.as_ref().and_then(|id| records.loans.iter().find(|l| &l.loan_id == id))
            else {
                continue;
            };
            if domain::add_months(loan.start_date, horizon) > data_end {
                continue;
            }
            if let Some(bad) = features::label(loan.start_date, horizon_months, records) {
                cases.push((records, application, bad));
            }
        }
    }
    let mut csv = String::from("household_id,as_of");
    for def in features::CATALOGUE {
        csv.push(',');
        csv.push_str(def.name);
    }
    let label = format!("default_90dpd_{horizon_months}m");
    csv.push_str(&format!(",{label}\n"));
    for (records, application, bad) in &cases {
        // What the decider saw: the records known that day, nothing booked from the application, and the application.
        let market = world.market(application.applied_on);
        let row = features::for_application(&market.snapshot, &market.social, records, application)
            .map_err(|e| ModelError::Train(e.to_string()))?;
        csv.push_str(&format!("{},{}", row.household_id, application.applied_on));
        for value in row.values() {
            csv.push(',');
            csv.push_str(&features::format_value(*value));
        }
        csv.push_str(if *bad { ",1\n" } else { ",0\n" });
    }
    let source = format!("applications to {up_to} with a known {horizon_months}-month outcome");
    let mut frame = scoring::data::read_csv_bytes(csv.as_bytes(), Path::new(&source))
        .map_err(|e| ModelError::Train(e.to_string()))?;
    let target = frame.take_target(&label).map_err(|e| ModelError::Train(e.to_string()))?;
    let folds: Vec<u8> = cases
        .iter()
        .map(|(r, _, _)| u8::try_from(crate::split::bucket("folds", &r.household.household_id) % 5).unwrap_or(0))
        .collect();
    let fingerprint = scoring::artifact::fingerprint(csv.as_bytes());
    let data = TrainData {
        frame: &frame,
        target: &target,
        target_name: &label,
        source: &source,
        fingerprint: &fingerprint,
        folds: Some(&folds),
    };
    // Identifiers never enter the model; a feature nearly constant on this population carries no information.
    let mut exclude = vec!["household_id".to_owned(), "as_of".to_owned()];
    for (name, column) in frame.names().iter().zip(frame.columns()) {
        if uninformative(column) && !exclude.contains(name) {
            exclude.push(name.clone());
        }
    }
    let mut config = TrainConfig { name: "decision-scorecard".into(), exclude, ..TrainConfig::default() };
    // A lean card: features below the textbook information value of 0.02 are dropped.
    config.scorecard.min_iv = 0.02;
    config.scorecard.labels = labels();
    train(data, Kind::Scorecard, &config, created_at, &mut |_| {}).map_err(|e| ModelError::Train(e.to_string()))
}

/// Fewest rows that must differ from a feature's most common value for it to be modelled: below this, a fold
/// of the cross-validation can see it constant, and a bin that small says nothing reliable.
pub const MIN_MINORITY_ROWS: usize = 30;

/// Whether a column has fewer than [`MIN_MINORITY_ROWS`] present values that differ from its most common one.
fn uninformative(column: &scoring::data::Column) -> bool {
    match column {
        scoring::data::Column::Numeric(values) => {
            let mut counts: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
            for v in values.iter().filter(|v| !v.is_nan()) {
                *counts.entry(v.to_bits()).or_default() += 1;
            }
            let present: usize = counts.values().sum();
            let mode = counts.values().copied().max().unwrap_or(0);
            present - mode < MIN_MINORITY_ROWS
        }
        other => other.is_constant(),
    }
}

/// [`LABELS`] as the scorecard configuration wants them.
pub fn labels() -> BTreeMap<String, ReasonLabel> {
    LABELS
        .iter()
        .map(|(name, zh, en)| ((*name).to_owned(), ReasonLabel { zh: (*zh).to_owned(), en: (*en).to_owned() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_names_a_catalogue_feature() {
        for (name, _, _) in LABELS {
            assert!(features::Feature::by_name(name).is_some(), "{name} is not a feature");
        }
    }
}
