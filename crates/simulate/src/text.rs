//! Chinese free text for the synthetic county: loan purposes, labelled news headlines, and names.
//!
//! Everything is drawn from the caller's [`Rng`], so a run's text is as reproducible as its numbers. Texts come
//! from hand-written templates with slots (crop, mu, heads, amount, season) so that downstream text features see
//! realistic variety; headlines carry their ground-truth sentiment and topic, which is what a sentiment signal is
//! scored against. Purposes may be deliberately vague or misleading ([`stated_purpose`]): fund diversion hides
//! behind productive-sounding forms. The template tables are kept dense (`rustfmt::skip`) so they read as tables.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// What a loan is (said to be) for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Seed, fertiliser, pesticide (种子化肥农药).
    CropInputs,
    /// Rent for land transferred in (土地流转租金).
    LandRent,
    /// Farm machinery (农机).
    Machinery,
    /// Piglets, feed, other livestock (仔猪饲料).
    Livestock,
    /// Greenhouses (大棚).
    Greenhouse,
    /// Shop, farm-stay, produce trading (小卖部/农家乐/收购).
    SmallBusiness,
    /// Building or refurbishing a house (建房装修).
    HouseBuilding,
    /// Wedding, bride price (婚嫁).
    Wedding,
    /// Medical bills (看病).
    Medical,
    /// School fees (学费).
    Education,
    /// Repaying another loan (还其他借款).
    DebtRepayment,
}

impl Purpose {
    /// Every purpose, productive ones first.
    #[rustfmt::skip]
    pub const ALL: [Purpose; 11] = [
        Purpose::CropInputs, Purpose::LandRent, Purpose::Machinery, Purpose::Livestock, Purpose::Greenhouse,
        Purpose::SmallBusiness, Purpose::HouseBuilding, Purpose::Wedding, Purpose::Medical, Purpose::Education,
        Purpose::DebtRepayment,
    ];

    /// Stable machine-readable code (the serde name).
    pub fn code(self) -> &'static str {
        self.info().0
    }

    /// Chinese category name as on a loan form.
    pub fn name_zh(self) -> &'static str {
        self.info().1
    }

    /// Whether the money goes into production (the first six purposes).
    pub fn is_productive(self) -> bool {
        self <= Purpose::SmallBusiness
    }

    /// (code, Chinese name, form templates).
    #[rustfmt::skip]
    fn info(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Purpose::CropInputs => ("crop-inputs", "种植农资", &[
                "购买{crop}种子和复合肥，准备{season}", "买化肥农药，{mu}亩{crop}{season}用",
                "{season}前购买种子、化肥、农药", "种{mu}亩{crop}，买种子化肥",
                "购置{crop}生产所需农资（种子、化肥、农药）", "{crop}追肥打药，买尿素和农药"]),
            Purpose::LandRent => ("land-rent", "土地流转", &[
                "流转土地{mu}亩，支付租金", "付{mu}亩承包地的流转费，种{crop}", "租村里{mu}亩地种{crop}，交地租",
                "土地流转租金，{mu}亩，一年一付", "扩大种植规模，新流转{mu}亩地"]),
            Purpose::Machinery => ("machinery", "农机购置", &[
                "购买{machine}一台", "买一台二手{machine}，{season}用", "购置{machine}，自家用也给别人代耕",
                "农机购置，{machine}，补贴后差额部分", "更新{machine}，旧的坏了修不好", "买{machine}，搞农机作业服务"]),
            Purpose::Livestock => ("livestock", "畜禽养殖", &[
                "扩建猪圈，补栏仔猪{n}头", "买仔猪{n}头和饲料", "购买饲料、兽药，养猪周转", "补栏{n}头仔猪，年底出栏",
                "买{n}只羊羔，扩大养殖", "购进肉牛{k}头育肥", "养猪买饲料，{n}头猪的料钱"]),
            Purpose::Greenhouse => ("greenhouse", "设施大棚", &[
                "新建{k}个蔬菜大棚", "搭建钢架大棚，种{veg}", "大棚换膜、买{veg}苗", "建{k}个大棚种{veg}",
                "维修大棚，购买棚膜和保温被"]),
            Purpose::SmallBusiness => ("small-business", "个体经营", &[
                "开小卖部进货", "村里开农家乐，装修添置桌椅", "收购{crop}，粮食经纪周转资金", "小卖部进货，补充货架",
                "开个快递代收点，添置货架", "做农产品收购生意，资金周转"]),
            Purpose::HouseBuilding => ("house-building", "建房装修", &[
                "翻建自家住房", "盖新房，买砖和水泥", "老房子装修", "建两层楼房，预算{amt}", "房子漏雨，翻修屋顶",
                "给儿子盖婚房"]),
            Purpose::Wedding => ("wedding", "婚嫁", &[
                "儿子结婚办酒席", "{who}结婚，准备彩礼", "女儿出嫁，办嫁妆", "儿子娶媳妇，彩礼{amt}", "给儿子操办婚事",
                "{who}订婚，彩礼和酒席"]),
            Purpose::Medical => ("medical", "医疗", &[
                "家里老人住院看病", "{kin}住院做手术", "{kin}看病，医药费", "{kin}生病住院，交住院押金", "给{kin}治病",
                "{kin}慢性病长期吃药"]),
            Purpose::Education => ("education", "教育", &[
                "孩子上大学交学费", "交女儿大学学费和生活费", "儿子读高中，住校费用", "孩子考上大学，交第一年学费",
                "孩子上职校，交学费"]),
            Purpose::DebtRepayment => ("debt-repayment", "偿还他债", &[
                "还亲戚的借款", "还别的银行贷款", "归还之前的民间借款", "还欠款{amt}", "还去年买化肥欠的账"]),
        }
    }
}

const ORCHARD_CROPS: [&str; 7] = ["苹果", "柑橘", "橘", "茶", "梨", "桃", "葡萄"];
#[rustfmt::skip]
const ORCHARD_INPUTS: [&str; 5] = ["果园买化肥农药，给{crop}树追肥", "{mu}亩{crop}园购买有机肥和农药",
    "{crop}园打药施肥，买农资", "购买{crop}果袋、农药和化肥", "{crop}园修剪施肥，买肥料农药"];
/// Deliberately uninformative purposes: what a form says when the applicant does not want to say.
const VAGUE: [&str; 5] = ["资金周转", "生产经营周转", "家庭开支", "综合消费", "经营周转，具体用途面谈"];
const SUFFIXES: [&str; 5] = ["，按时还款", "，年底还清", "，急用", "，一年内还清", "，秋后就还"];

/// Probability that a purpose text is vague rather than specific.
const VAGUE_P: f64 = 0.05;
/// Probability that a diverting borrower states a productive purpose rather than the true one.
const DIVERSION_DISGUISE_P: f64 = 0.8;

/// Replaces each `{slot}` key in `template` with its value.
fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    slots.iter().fold(template.to_owned(), |s, (k, v)| s.replace(k, v))
}

/// An amount as a farmer writes it: "3万", "3.5万", "8000元".
fn yuan_zh(amount_yuan: i64) -> String {
    let amount = amount_yuan.max(0);
    if amount < 10_000 {
        return format!("{amount}元");
    }
    let tenths = (amount + 500) / 1_000;
    match tenths % 10 {
        0 => format!("{}万", tenths / 10),
        f => format!("{}.{f}万", tenths / 10),
    }
}

/// A short purpose sentence as written on an application form.
///
/// `crop_zh` fills the crop slot (a default grain is drawn when `None`); orchard crops (苹果, 柑橘, 茶…) get orchard
/// wording. Greenhouse texts name their own vegetables. A small share of texts is vague whatever the purpose.
pub fn purpose_text(purpose: Purpose, crop_zh: Option<&str>, amount_yuan: i64, rng: &mut Rng) -> String {
    let amt = yuan_zh(amount_yuan);
    if rng.chance(VAGUE_P) {
        return rng.pick(&VAGUE).to_string();
    }
    let orchard = crop_zh.is_some_and(|c| ORCHARD_CROPS.iter().any(|o| c.contains(o)));
    let templates = if orchard && purpose == Purpose::CropInputs { &ORCHARD_INPUTS } else { purpose.info().2 };
    let template = *rng.pick(templates);
    let crop = crop_zh.map_or_else(|| rng.pick(&["玉米", "小麦", "水稻"]).to_string(), str::to_owned);
    let mu = if purpose == Purpose::LandRent { rng.int(4, 40) * 5 } else { rng.int(5, 60) }.to_string();
    let n = (rng.int(2, 12) * 5).to_string();
    let k = rng.int(2, 10).to_string();
    let slots = [
        ("{crop}", crop.as_str()),
        ("{mu}", mu.as_str()),
        ("{n}", n.as_str()),
        ("{k}", k.as_str()),
        ("{amt}", amt.as_str()),
        ("{season}", *rng.pick(&["春耕", "秋种", "夏播"])),
        ("{machine}", *rng.pick(&["拖拉机", "旋耕机", "小麦收割机", "玉米收获机", "插秧机", "植保无人机", "播种机"])),
        ("{veg}", *rng.pick(&["草莓", "西红柿", "黄瓜", "辣椒", "香菇", "西瓜"])),
        ("{who}", *rng.pick(&["儿子", "女儿", "侄子"])),
        ("{kin}", *rng.pick(&["老人", "父亲", "母亲", "老伴", "孩子"])),
    ];
    let mut text = fill(template, &slots);
    if !template.contains("{amt}") {
        let r = rng.uniform();
        if r < 0.15 {
            text = format!("申请{amt}，{text}");
        } else if r < 0.3 {
            text = format!("{text}，需资金{amt}");
        }
    }
    if rng.chance(0.2) {
        text.push_str(rng.pick::<&str>(&SUFFIXES));
    }
    text
}

/// The purpose a borrower writes down. An honest borrower (`diverting == false`) states the true purpose; a
/// diverting one states a productive purpose with probability 0.8 and otherwise the true one.
pub fn stated_purpose(true_purpose: Purpose, diverting: bool, rng: &mut Rng) -> Purpose {
    if !diverting || !rng.chance(DIVERSION_DISGUISE_P) {
        return true_purpose;
    }
    // Crop inputs and livestock are the commonest cover stories: cheap to claim, hard to check.
    const WEIGHTS: [f64; 6] = [0.35, 0.10, 0.10, 0.20, 0.10, 0.15];
    Purpose::ALL[rng.weighted(&WEIGHTS)]
}

/// Ground-truth tone of a headline for the borrowers it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sentiment {
    /// Good news for farmers (prices up, subsidies).
    Positive,
    /// Neither.
    Neutral,
    /// Bad news (price falls, disasters, disease, lay-offs).
    Negative,
}

/// A news headline with its known topic and sentiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    /// The Chinese headline.
    pub text: String,
    /// Topic code: "hog-price", "grain-price", "farm-price", a disaster kind, "disease", "policy", "employment",
    /// "rural-life".
    pub topic: &'static str,
    /// The label a sentiment model is scored against.
    pub sentiment: Sentiment,
}

#[rustfmt::skip]
const PRICE_UP: [&str; 5] = ["{r}{c}价格上涨{p}%，{who}增收有望", "{c}价格明显回升，{r}{who}喜笑颜开",
    "{r}{c}收购价上涨{p}%，{who}惜售心态增强", "{c}行情走强，环比上涨{p}%", "{r}{c}价格持续上扬，{who}{act}积极性提高"];
#[rustfmt::skip]
const PRICE_DOWN: [&str; 5] = ["{c}价格连续下跌，{who}亏损加剧", "{r}{c}价格下跌{p}%，{who}压力增大",
    "{c}行情低迷，环比下降{p}%", "{r}{c}收购价走低，{who}惜售观望", "{c}价格跌至近期低点，{r}{who}{act}意愿下降"];
#[rustfmt::skip]
const PRICE_FLAT: [&str; 5] = ["{r}{c}价格基本平稳", "{c}收购价{steady}", "{r}{c}市场供需平衡，价格波动不大",
    "{c}价格窄幅波动，{r}市场交易正常", "{r}{c}行情平稳，{who}按计划出售"];
#[rustfmt::skip]
const DISASTER: [&str; 5] = ["{r}遭遇{ev}，{impact}", "{ev}袭击{r}，{impact}", "受{ev}影响，{r}{impact}",
    "{r}出现{ev}，{impact}", "{r}发生{ev}，{impact}，农业部门紧急部署抗灾"];
#[rustfmt::skip]
const DISEASE: [&str; 5] = ["{r}发生非洲猪瘟疫情，疫区生猪全部扑杀", "{r}确诊非洲猪瘟疫情，生猪调运暂停",
    "非洲猪瘟疫情波及{r}，养殖户损失严重", "{r}划定非洲猪瘟疫区，实施封锁",
    "{r}发现非洲猪瘟疫情，周边养殖场加强防控"];
#[rustfmt::skip]
const JOBS_LOST: [&str; 5] = ["{r}多家工厂停工，外出务工人员提前返乡", "{r}外出务工岗位减少，农民工收入下滑",
    "部分企业订单下滑，{r}务工人员工资被拖欠", "{r}返乡农民工增多，就业压力加大",
    "沿海工厂裁员，{r}外出务工人员收入减少"];
#[rustfmt::skip]
const JOBS_GAINED: [&str; 5] = ["{r}劳务输出人数稳步增长", "{r}举办春风行动招聘会，提供岗位{n}个",
    "{r}农民工务工收入同比增长{p}%", "家门口就业，{r}帮扶车间吸纳{k}人就业", "{r}外出务工人员返岗率超九成"];
#[rustfmt::skip]
const POLICY: [(&str, Sentiment); 9] = [
    ("中央一号文件发布，加大强农惠农富农政策力度", Sentiment::Positive),
    ("三大粮食作物完全成本保险和种植收入保险实现全覆盖", Sentiment::Positive),
    ("创业担保贷款贴息政策延续实施", Sentiment::Positive),
    ("脱贫人口小额信贷政策延续，继续给予贴息支持", Sentiment::Positive),
    ("耕地地力保护补贴开始发放", Sentiment::Positive),
    ("农业保险保费补贴标准调整", Sentiment::Neutral), ("农村信用体系建设推进会召开", Sentiment::Neutral),
    ("农机购置与应用补贴新目录公布", Sentiment::Neutral), ("贷款市场报价利率（LPR）保持不变", Sentiment::Neutral)];
#[rustfmt::skip]
const FILLER: [&str; 6] = ["{v}新修水泥路通车", "乡镇卫生院到{v}开展义诊活动", "{v}村委会换届选举顺利完成",
    "{v}农家书屋新到一批科普图书", "县里举办农民丰收节文艺演出", "{v}{n}户村民参加农业技术培训"];

fn headline(text: String, topic: &'static str, sentiment: Sentiment) -> Headline {
    Headline { text, topic, sentiment }
}

/// A price headline. `change_pct` is in percent (−12.5 means a 12.5% fall); ≥ +5 is positive for producers,
/// ≤ −5 negative, anything else (including NaN) neutral.
pub fn price_headline(commodity_zh: &str, change_pct: f64, region_zh: &str, rng: &mut Rng) -> Headline {
    let grains = ["小麦", "玉米", "稻", "大豆", "粮", "麦"];
    let (topic, who, act) = if commodity_zh.contains('猪') {
        ("hog-price", "养殖户", "补栏")
    } else if grains.iter().any(|g| commodity_zh.contains(g)) {
        ("grain-price", "种粮农户", "种植")
    } else {
        ("farm-price", "农户", "种植")
    };
    let (sentiment, templates) = match change_pct {
        x if x >= 5.0 => (Sentiment::Positive, &PRICE_UP),
        x if x <= -5.0 => (Sentiment::Negative, &PRICE_DOWN),
        _ => (Sentiment::Neutral, &PRICE_FLAT),
    };
    let steady = match change_pct {
        x if x >= 0.5 => "稳中有升",
        x if x <= -0.5 => "稳中略降",
        _ => "保持稳定",
    };
    let p = format!("{:.1}", change_pct.abs());
    let slots =
        [("{r}", region_zh), ("{c}", commodity_zh), ("{p}", &p), ("{who}", who), ("{act}", act), ("{steady}", steady)];
    headline(fill(rng.pick::<&str>(templates), &slots), topic, sentiment)
}

/// A weather-disaster headline (always negative). `kind` is one of "drought", "flood", "hail", "typhoon", "frost",
/// "harvest-rain" (others read as a generic disaster); `severity` is the loss share in 0..1 and sets the wording:
/// under 0.3 受灾, 0.3–0.8 成灾, 0.8 and over 绝收.
pub fn disaster_headline(kind: &str, region_zh: &str, severity: f64, rng: &mut Rng) -> Headline {
    let (topic, nouns) = match kind {
        "drought" => ("drought", ["旱情", "严重旱灾", "特大旱灾"]),
        "flood" => ("flood", ["洪涝", "严重洪涝灾害", "特大洪涝灾害"]),
        "hail" => ("hail", ["冰雹", "强冰雹", "特大冰雹"]),
        "typhoon" => ("typhoon", ["台风", "强台风", "超强台风"]),
        "frost" => ("frost", ["霜冻", "严重冻害", "特大冻害"]),
        "harvest-rain" => ("harvest-rain", ["烂场雨", "持续烂场雨", "罕见烂场雨"]),
        _ => ("disaster", ["自然灾害", "严重自然灾害", "特大自然灾害"]),
    };
    let severity = if severity.is_nan() { 0.0 } else { severity.clamp(0.0, 1.0) };
    let (band, impacts) = match severity {
        s if s >= 0.8 => (2, ["部分地块绝收", "成片农田绝收", "农作物减产{loss}%，多地绝收"]),
        s if s >= 0.3 => (1, ["大面积成灾", "农作物减产约{loss}%，多地成灾", "成灾面积不断扩大"]),
        _ => (0, ["部分农田受灾", "作物长势受到影响", "部分作物减产约{loss}%"]),
    };
    let loss = format!("{:.0}", severity * 100.0);
    let slots = [("{impact}", *rng.pick(&impacts)), ("{ev}", nouns[band]), ("{r}", region_zh), ("{loss}", &loss)];
    headline(fill(rng.pick::<&str>(&DISASTER), &slots), topic, Sentiment::Negative)
}

/// An African swine fever outbreak headline (negative).
pub fn disease_headline(region_zh: &str, rng: &mut Rng) -> Headline {
    headline(rng.pick(&DISEASE).replace("{r}", region_zh), "disease", Sentiment::Negative)
}

/// An off-farm employment headline: lay-offs and returning migrants when `negative`, hiring otherwise.
pub fn employment_headline(region_zh: &str, negative: bool, rng: &mut Rng) -> Headline {
    let (sentiment, templates) =
        if negative { (Sentiment::Negative, &JOBS_LOST) } else { (Sentiment::Positive, &JOBS_GAINED) };
    let n = (rng.int(5, 40) * 100).to_string();
    let p = rng.int(3, 12).to_string();
    let k = rng.int(20, 200).to_string();
    let slots = [("{r}", region_zh), ("{n}", &n), ("{p}", &p), ("{k}", &k)];
    headline(fill(rng.pick::<&str>(templates), &slots), "employment", sentiment)
}

/// A rural-finance policy headline (positive or neutral).
pub fn policy_headline(rng: &mut Rng) -> Headline {
    let (text, sentiment) = *rng.pick(&POLICY);
    headline(text.to_owned(), "policy", sentiment)
}

/// An everyday rural news item (neutral).
pub fn filler_headline(rng: &mut Rng) -> Headline {
    let template = *rng.pick(&FILLER);
    let n = rng.int(10, 80).to_string();
    let village = village_name(rng);
    headline(fill(template, &[("{v}", &village), ("{n}", &n)]), "rural-life", Sentiment::Neutral)
}

/// Common surnames with rough population shares (percent; 2020 census order).
#[rustfmt::skip]
const SURNAMES: [&str; 50] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈",
];
#[rustfmt::skip]
const SURNAME_WEIGHTS: [f64; 50] = [
    7.1, 7.0, 6.8, 5.4, 4.6, 3.1, 2.1, 2.0, 1.9, 1.9, 1.5, 1.5, 1.4, 1.3, 1.3, 1.2, 1.2, 1.1, 1.1,
    1.0, 0.9, 0.9, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5,
    0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4,
];
const MALE_CHARS: [&str; 35] = [
    "伟", "强", "军", "勇", "杰", "涛", "明", "刚", "平", "辉", "建", "国", "华", "志", "海", "林", "东", "兵", "峰",
    "磊", "斌", "波", "鹏", "超", "洪", "德", "福", "春", "生", "文", "永", "新", "忠", "成", "金",
];
const FEMALE_CHARS: [&str; 30] = [
    "芳", "娟", "敏", "静", "丽", "艳", "秀", "英", "霞", "燕", "玲", "红", "梅", "兰", "凤", "萍", "桂", "琴", "云",
    "莲", "翠", "珍", "娜", "婷", "雪", "芬", "菊", "花", "玉", "琳",
];

/// A synthetic person's name: a frequency-weighted surname and one or two gender-typical given-name characters.
pub fn person_name(rng: &mut Rng, female: bool) -> String {
    let chars: &[&str] = if female { &FEMALE_CHARS } else { &MALE_CHARS };
    let mut name = SURNAMES[rng.weighted(&SURNAME_WEIGHTS)].to_owned();
    name.push_str(rng.pick::<&str>(chars));
    if rng.chance(0.65) {
        name.push_str(rng.pick::<&str>(chars));
    }
    name
}

/// A village name in one of the common patterns: 王家庄村, 李集村, 河湾村, 桃源村.
pub fn village_name(rng: &mut Rng) -> String {
    let surname = SURNAMES[rng.weighted(&SURNAME_WEIGHTS)];
    let name = match rng.weighted(&[0.35, 0.2, 0.3, 0.15]) {
        0 => format!("{surname}家{}", rng.pick(&["庄", "湾", "洼", "沟", "岭", "坪", "寨", "营"])),
        1 => format!("{surname}{}", rng.pick(&["庄", "集", "屯", "寨", "营", "店"])),
        2 => {
            let first = rng.pick(&["东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "石", "柳", "龙"]);
            format!("{first}{}", rng.pick(&["河", "湾", "桥", "沟", "岭", "坡", "塘", "堡", "井", "山", "林", "湖"]))
        }
        _ => rng.pick(&["桃源", "河湾", "红旗", "前进", "和平", "东风", "青山", "龙泉", "白马", "三里"]).to_string(),
    };
    format!("{name}村")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn is_cjk(c: char) -> bool {
        ('\u{4E00}'..='\u{9FFF}').contains(&c)
    }

    #[test]
    fn same_seed_gives_same_text() {
        let draw = |seed| {
            let mut r = Rng::new(seed).derive_named("text");
            let mut out = vec![person_name(&mut r, true), person_name(&mut r, false), village_name(&mut r)];
            for p in Purpose::ALL {
                out.push(purpose_text(p, Some("玉米"), 35_000, &mut r));
            }
            out.push(price_headline("生猪", -8.0, "本县", &mut r).text);
            out.push(disaster_headline("flood", "河湾村", 0.5, &mut r).text);
            out.push(disease_headline("本县", &mut r).text);
            out.push(employment_headline("本省", true, &mut r).text);
            out.push(policy_headline(&mut r).text);
            out.push(filler_headline(&mut r).text);
            out
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }

    #[test]
    fn every_purpose_has_varied_chinese_text_without_slots_left() {
        let mut r = Rng::new(1);
        for p in Purpose::ALL {
            let texts: HashSet<String> = (0..100).map(|_| purpose_text(p, None, 28_000, &mut r)).collect();
            assert!(texts.len() >= 4, "{p:?}: only {} distinct texts", texts.len());
            for t in &texts {
                assert!(t.chars().any(is_cjk), "{p:?}: {t}");
                assert!(!t.contains('{') && !t.contains('}'), "unfilled slot in {t}");
            }
        }
        let orchard = purpose_text(Purpose::CropInputs, Some("苹果"), 5_000, &mut Rng::new(3));
        assert!(!orchard.contains("种子"), "{orchard}");
    }

    #[test]
    fn codes_match_serde_and_productive_split_is_first_six() {
        for (i, p) in Purpose::ALL.into_iter().enumerate() {
            assert_eq!(serde_json::to_string(&p).ok(), Some(format!("\"{}\"", p.code())));
            assert_eq!(p.is_productive(), i < 6, "{p:?}");
            assert!(p.name_zh().chars().all(is_cjk));
        }
        assert_eq!(serde_json::to_string(&Sentiment::Negative).ok().as_deref(), Some("\"negative\""));
    }

    #[test]
    fn amounts_are_written_in_wan_or_yuan() {
        assert_eq!(yuan_zh(8_000), "8000元");
        assert_eq!(yuan_zh(30_000), "3万");
        assert_eq!(yuan_zh(35_400), "3.5万");
        assert_eq!(yuan_zh(-1), "0元");
    }

    #[test]
    fn stated_purpose_is_true_or_productive_and_disguises_about_80_percent() {
        let mut r = Rng::new(5);
        for p in Purpose::ALL {
            assert_eq!(stated_purpose(p, false, &mut r), p);
        }
        let n = 10_000;
        let disguised = (0..n)
            .map(|_| stated_purpose(Purpose::Wedding, true, &mut r))
            .inspect(|s| assert!(*s == Purpose::Wedding || s.is_productive(), "{s:?}"))
            .filter(|s| s.is_productive())
            .count();
        assert!((disguised as f64 / n as f64 - 0.8).abs() < 0.02, "{disguised}");
    }

    #[test]
    fn price_sentiment_follows_the_five_percent_thresholds() {
        let mut r = Rng::new(2);
        let cases = [(5.0, Sentiment::Positive), (4.99, Sentiment::Neutral), (0.0, Sentiment::Neutral)];
        let cases = cases.into_iter().chain([(-4.99, Sentiment::Neutral), (-5.0, Sentiment::Negative)]);
        for (pct, want) in cases.chain([(f64::NAN, Sentiment::Neutral), (-30.0, Sentiment::Negative)]) {
            for _ in 0..20 {
                let h = price_headline("生猪", pct, "本县", &mut r);
                assert_eq!(h.sentiment, want, "{pct}: {}", h.text);
                assert_eq!(h.topic, "hog-price");
                assert!(!h.text.contains('{'), "{}", h.text);
            }
        }
        assert_eq!(price_headline("小麦", 1.0, "豫北", &mut r).topic, "grain-price");
        assert_eq!(price_headline("苹果", 1.0, "陕西", &mut r).topic, "farm-price");
    }

    #[test]
    fn disaster_wording_scales_with_severity() {
        let mut r = Rng::new(4);
        for _ in 0..50 {
            let h = disaster_headline("drought", "本县", 0.9, &mut r);
            assert!(h.text.contains("绝收") && h.text.contains("特大旱灾"), "{}", h.text);
            assert_eq!((h.topic, h.sentiment), ("drought", Sentiment::Negative));
            let mild = disaster_headline("drought", "本县", 0.15, &mut r);
            assert!(mild.text.contains("旱情") && !mild.text.contains("绝收"), "{}", mild.text);
            assert!(disaster_headline("flood", "本县", 0.5, &mut r).text.contains("严重洪涝"));
        }
        assert_eq!(disaster_headline("meteor", "本县", 0.5, &mut r).topic, "disaster");
    }

    #[test]
    fn other_headlines_carry_their_labels() {
        let mut r = Rng::new(6);
        for _ in 0..50 {
            let d = disease_headline("本县", &mut r);
            assert!(d.text.contains("非洲猪瘟") && d.sentiment == Sentiment::Negative);
            assert_eq!(employment_headline("本省", true, &mut r).sentiment, Sentiment::Negative);
            assert_eq!(employment_headline("本省", false, &mut r).sentiment, Sentiment::Positive);
            assert_ne!(policy_headline(&mut r).sentiment, Sentiment::Negative);
            let f = filler_headline(&mut r);
            assert!(f.sentiment == Sentiment::Neutral && !f.text.contains('{'), "{}", f.text);
        }
    }

    #[test]
    fn names_are_two_or_three_cjk_characters_and_surnames_follow_frequency() {
        let mut r = Rng::new(8);
        let names: Vec<String> = (0..5_000).map(|i| person_name(&mut r, i % 2 == 0)).collect();
        for n in &names {
            let len = n.chars().count();
            assert!((2..=3).contains(&len) && n.chars().all(is_cjk), "{n}");
        }
        let wang = names.iter().filter(|n| n.starts_with('王')).count();
        let shen = names.iter().filter(|n| n.starts_with('沈')).count();
        assert!(wang > 4 * shen, "王 {wang} vs 沈 {shen}");
        for _ in 0..200 {
            let v = village_name(&mut r);
            assert!(v.ends_with('村') && v.chars().all(is_cjk) && (3..=4).contains(&v.chars().count()), "{v}");
        }
    }
}
