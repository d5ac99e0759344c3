//! The decision model: a WoE scorecard trained on the point-in-time feature table (features as of a date, label
//! = 90+ days past due within the horizon), so its inputs are exactly what the engine computes for an applicant.
//! Reason texts say, in words a farmer can read, which of their facts weighed against them.

use std::collections::BTreeMap;
use std::path::Path;

use domain::Date;
use scoring::artifact::Artifact;
use scoring::pipeline::{Kind, TrainConfig, TrainData, train};
use scoring::scorecard::ReasonLabel;
use store::SqliteStore;

/// Reason texts by feature: `{bin}` becomes the applicant's range.
pub const LABELS: &[(&str, &str, &str)] = &[
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
    /// The feature table could not be built.
    #[error(transparent)]
    Data(#[from] integrate::IntegrateError),
    /// Training failed.
    #[error("training the decision model: {0}")]
    Train(String),
}

/// Quarterly snapshots stacked into the training data: features as of the given date and of the seven quarter
/// ends before it, each with its own label (a household appears once per snapshot in which it had a loan open).
pub const SNAPSHOTS: i32 = 8;

/// Trains the decision scorecard on the store's feature tables as of `as_of` and the [`SNAPSHOTS`]` − 1` quarters
/// before it, each with a `horizon_months` label. Folds of the cross-validation are by household, so no household
/// is in the training and the validation part of a fold at once.
pub async fn train_on_store(
    store: &SqliteStore,
    as_of: Date,
    horizon_months: u32,
    created_at: &str,
) -> Result<Artifact, ModelError> {
    let mut csv = Vec::new();
    let mut label = String::new();
    for k in 0..SNAPSHOTS {
        let date = domain::add_months(as_of, -3 * k);
        let table = integrate::feature_table::build_training(store, date, horizon_months, 2).await?;
        let mut part = Vec::new();
        table.write_csv(&mut part).map_err(|e| ModelError::Train(e.to_string()))?;
        // Keep the header of the first table only.
        let body = if k == 0 { &part[..] } else { part.splitn(2, |b| *b == b'\n').nth(1).unwrap_or(&[]) };
        csv.extend_from_slice(body);
        label = table.label_name();
    }
    let source = format!("feature tables as of {as_of} and {} quarter ends before", SNAPSHOTS - 1);
    let mut frame =
        scoring::data::read_csv_bytes(&csv, Path::new(&source)).map_err(|e| ModelError::Train(e.to_string()))?;
    let target = frame.take_target(&label).map_err(|e| ModelError::Train(e.to_string()))?;
    let households: Vec<String> = csv
        .split(|b| *b == b'\n')
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| String::from_utf8_lossy(line.split(|b| *b == b',').next().unwrap_or(&[])).into_owned())
        .collect();
    let folds: Vec<u8> =
        households.iter().map(|h| u8::try_from(crate::split::bucket("folds", h) % 5).unwrap_or(0)).collect();
    let fingerprint = scoring::artifact::fingerprint(&csv);
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
