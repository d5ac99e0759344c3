//! The purpose of a loan read from the applicant's own words: keyword rules over `applications.purpose_text`.
//!
//! The rules follow the phrases of the simulator's form templates (`crates/simulate/src/text.rs`) and of real
//! forms. They are checked in a fixed order, because one text can hold words of two kinds: debt first
//! ("还去年买化肥欠的账" repays a fertiliser debt), then productive ("村里开农家乐，装修添置桌椅" fits out a
//! farm-stay), then consumption; a text matching none is vague ("资金周转", "家庭开支", "综合消费").

use crate::catalogue::Feature as F;
use crate::engine::RowValues;
use crate::history::{in_window, yuan};
use crate::known::KnownRecords;

/// What a purpose text says the money is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurposeCategory {
    /// Production: inputs, land, machinery, livestock, greenhouses, a shop.
    Productive,
    /// Household consumption: a house, a wedding, medical bills, school fees.
    Consumption,
    /// Repaying other debts.
    Debt,
    /// Nothing specific.
    Vague,
}

/// Words of a debt purpose ("还款" and "还清" are absent: they appear in promises such as "按时还款").
const DEBT: &[&str] = &["归还", "欠款", "欠的", "欠账", "借款", "贷款", "还债", "还账", "还钱"];
/// Words of a productive purpose.
const PRODUCTIVE: &[&str] = &[
    "种子",
    "化肥",
    "农药",
    "肥料",
    "尿素",
    "农资",
    "打药",
    "施肥",
    "追肥",
    "流转",
    "租金",
    "地租",
    "承包地",
    "亩",
    "农机",
    "拖拉机",
    "旋耕机",
    "收割机",
    "收获机",
    "插秧机",
    "无人机",
    "播种机",
    "代耕",
    "猪",
    "饲料",
    "兽药",
    "补栏",
    "羊",
    "牛",
    "养殖",
    "出栏",
    "大棚",
    "棚膜",
    "保温被",
    "小卖部",
    "农家乐",
    "收购",
    "进货",
    "货架",
    "快递",
    "生意",
    "果园",
    "果袋",
    "修剪",
    "种植",
    "春耕",
    "秋种",
    "夏播",
];
/// Words of a consumption purpose.
const CONSUMPTION: &[&str] = &[
    "房", "装修", "屋顶", "砖", "水泥", "婚", "彩礼", "酒席", "嫁", "娶", "病", "住院", "手术", "医药", "吃药", "学费",
    "大学", "高中", "住校", "职校", "上学",
];

/// Classifies a purpose text by the keyword rules.
pub fn classify(text: &str) -> PurposeCategory {
    let any = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if any(DEBT) {
        PurposeCategory::Debt
    } else if any(PRODUCTIVE) {
        PurposeCategory::Productive
    } else if any(CONSUMPTION) {
        PurposeCategory::Consumption
    } else {
        PurposeCategory::Vague
    }
}

/// Application features from the latest application in the last 12 months.
pub(crate) fn write(known: &KnownRecords, out: &mut RowValues) {
    let latest = known
        .applications
        .iter()
        .filter(|a| in_window(a.applied_on, known.as_of, 12))
        .max_by(|a, b| (a.applied_on, &a.application_id).cmp(&(b.applied_on, &b.application_id)));
    let category = latest.map(|a| classify(&a.purpose_text));
    let is = |c: PurposeCategory| category.map(|x| if x == c { 1.0 } else { 0.0 });
    out.set(F::PurposeProductive, is(PurposeCategory::Productive));
    out.set(F::PurposeConsumption, is(PurposeCategory::Consumption));
    out.set(F::PurposeDebt, is(PurposeCategory::Debt));
    out.set(F::PurposeVague, is(PurposeCategory::Vague));
    let mismatch = latest.zip(category).map(|(a, c)| {
        let reads_unproductive = matches!(c, PurposeCategory::Consumption | PurposeCategory::Debt);
        if a.stated_purpose.is_productive() && reads_unproductive { 1.0 } else { 0.0 }
    });
    out.set(F::PurposeMismatch, mismatch);
    out.set(F::RequestedAmountYuan, latest.map(|a| yuan(a.amount_requested)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use PurposeCategory::*;

    #[test]
    fn simulator_phrases_fall_in_their_category() {
        let cases = [
            ("购买玉米种子和复合肥，准备春耕", Productive),
            ("流转土地40亩，支付租金", Productive),
            ("买一台二手拖拉机，秋种用，按时还款", Productive),
            ("补栏30头仔猪，年底出栏", Productive),
            ("维修大棚，购买棚膜和保温被", Productive),
            ("村里开农家乐，装修添置桌椅", Productive),
            ("收购小麦，粮食经纪周转资金", Productive),
            ("苹果园打药施肥，买农资", Productive),
            ("翻建自家住房", Consumption),
            ("建两层楼房，预算3万", Consumption),
            ("儿子娶媳妇，彩礼5万", Consumption),
            ("父亲住院做手术", Consumption),
            ("孩子考上大学，交第一年学费", Consumption),
            ("还亲戚的借款", Debt),
            ("还别的银行贷款", Debt),
            ("还去年买化肥欠的账", Debt),
            ("申请3万，还欠款3万", Debt),
            ("资金周转", Vague),
            ("生产经营周转", Vague),
            ("家庭开支", Vague),
            ("综合消费", Vague),
            ("经营周转，具体用途面谈", Vague),
            ("", Vague),
        ];
        for (text, expected) in cases {
            assert_eq!(classify(text), expected, "{text}");
        }
    }
}
