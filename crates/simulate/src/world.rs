//! The static world: counties and their agro-zones, villages, households with every variable lenders use, joint-
//! liability groups and the 100-point rating card (section 1–3 of the specification).

use domain::{Crop, Region, gb11643_check_char};
use serde::Serialize;

use crate::config::Config;
use crate::market::Commodity;
use crate::rng::Rng;
use crate::text;

/// Live-hog price at which a fattening batch breaks even, yuan per kg (12–16 in 2019–2023).
pub const HOG_BREAKEVEN_YUAN_PER_KG: f64 = 12.5;

/// Agro-ecological zone of a county.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Zone {
    /// Huang-Huai-Hai plain: winter wheat + summer maize.
    Hhh,
    /// Yangtze: middle rice + wheat.
    Yangtze,
    /// South: early + late rice.
    South,
    /// Northeast: spring maize, soybean, rice.
    Northeast,
    /// Hills: fruit and tea.
    Hill,
    /// Livestock counties: wheat–maize land with many hog keepers.
    Livestock,
}

impl Zone {
    const CYCLE: [Zone; 6] = [Zone::Hhh, Zone::Livestock, Zone::Yangtze, Zone::South, Zone::Northeast, Zone::Hill];

    /// Probability range that a labourer migrates, by zone (position within the configured bounds).
    fn migrant_weight(self) -> f64 {
        match self {
            Zone::Hill | Zone::South => 1.0,
            Zone::Yangtze => 0.7,
            Zone::Hhh | Zone::Livestock => 0.5,
            Zone::Northeast => 0.2,
        }
    }

    /// The code used in files.
    pub fn code(self) -> &'static str {
        match self {
            Zone::Hhh => "hhh",
            Zone::Yangtze => "yangtze",
            Zone::South => "south",
            Zone::Northeast => "northeast",
            Zone::Hill => "hill",
            Zone::Livestock => "livestock",
        }
    }
}

/// One crop season a household farms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Season {
    /// Crop, for the crop calendar; `None` for fruit (no calendar entry).
    pub crop: Option<Crop>,
    /// Region for the crop calendar.
    pub region: Region,
    /// Commodity whose price the harvest sells at (`None`: fruit at a fixed price path).
    pub commodity: Option<Commodity>,
    /// Month (1–12) inputs are bought.
    pub sow_month: u32,
    /// Month (1–12) the harvest is sold.
    pub harvest_month: u32,
    /// Area in mu.
    pub area_mu: f64,
    /// Potential yield, kg per mu.
    pub yield_kg_per_mu: f64,
    /// Input cost, yuan per mu (rent included for rented land).
    pub cost_per_mu: f64,
}

/// The price a farmer expects at harvest, yuan/kg: the specification's mean price less the harvest dip (6%);
/// fruit sells at about 4 元/kg.
fn harvest_price(commodity: Option<Commodity>) -> f64 {
    0.94 * match commodity {
        Some(Commodity::Wheat) => 2.4,
        Some(Commodity::Paddy) => 2.6,
        Some(Commodity::Maize) => 2.3,
        Some(Commodity::Soybean) => 4.8,
        // Fruit (no season sells hogs).
        Some(Commodity::Hog) | None => 4.0 / 0.94,
    }
}

/// The share of potential yield a farmer expects to bring in, after the average year's weather losses.
const EXPECTED_YIELD_SHARE: f64 = 0.95;

/// A household's crop-insurance cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cover {
    /// Not insured.
    None,
    /// Input-cost insurance: pays the disaster loss share of the insured input cost once the loss reaches 20%.
    Cost,
    /// Income insurance: pays up to 80% of the expected value of the harvest.
    Income,
}

impl Cover {
    /// The code in output files (empty when not insured).
    pub fn code(self) -> &'static str {
        match self {
            Cover::None => "",
            Cover::Cost => "cost",
            Cover::Income => "income",
        }
    }
}

/// A county.
#[derive(Debug, Clone, Serialize)]
pub struct County {
    /// Index from 0.
    pub index: u32,
    /// Synthetic 6-digit code (prefix 99: no real county).
    pub code: String,
    /// Agro-zone.
    pub zone: Zone,
}

/// A village.
#[derive(Debug, Clone, Serialize)]
pub struct Village {
    /// Index from 0.
    pub index: u32,
    /// 12-digit code.
    pub code: String,
    /// County index.
    pub county: u32,
    /// Name.
    pub name: String,
    /// Share of irrigated land.
    pub irrigation_share: f64,
    /// Social cohesion, N(0, 1).
    pub cohesion: f64,
    /// Holds the 信用村 title at the start.
    pub credit_village: bool,
    /// Distance to the branch, km.
    pub distance_km: f64,
    /// Share of minority households (fairness audits only).
    pub minority_share: f64,
    /// Village-level yield effect per season (drawn at the start of each season).
    #[serde(skip)]
    pub yield_sd: f64,
}

/// A household.
#[derive(Debug, Clone, Serialize)]
pub struct Household {
    /// Index from 0.
    pub index: u32,
    /// Record id, e.g. `H0000001`.
    pub id: String,
    /// Village index.
    pub village: u32,
    /// Members.
    pub size: u32,
    /// Working-age labourers.
    pub labourers: u32,
    /// Children under 16 and elderly over 65.
    pub dependants: u32,
    /// Head's age at the start.
    pub head_age: u32,
    /// Head is female (audit-only: no causal weight).
    pub head_female: bool,
    /// Head's years of schooling.
    pub education_years: u32,
    /// Minority ethnicity (audit-only).
    pub minority: bool,
    /// Contracted land, mu.
    pub land_contracted_mu: f64,
    /// Land rented in, mu.
    pub land_rented_mu: f64,
    /// Crop seasons.
    pub seasons: Vec<Season>,
    /// Sows.
    pub sows: u32,
    /// Fattening pigs per batch.
    pub fattening_pigs: u32,
    /// Cattle.
    pub cattle: u32,
    /// Members working away.
    pub migrants: u32,
    /// Yearly migrant wage per migrant, yuan.
    pub migrant_wage_yuan: f64,
    /// Yearly local part-time income, yuan.
    pub local_income_yuan: f64,
    /// Has a small business (shop, collection, agritourism).
    pub business: bool,
    /// Yearly net income of that business, yuan (0 without one).
    pub business_income_yuan: f64,
    /// Index of the season the household borrows for, in `seasons`.
    pub credit_season: usize,
    /// Cooperative member.
    pub coop_member: bool,
    /// Crop insurance cover.
    pub insurance: Cover,
    /// Shares in the rural credit cooperative, yuan.
    pub rcc_shares_yuan: f64,
    /// Deposits at the start, yuan.
    pub deposits_yuan: f64,
    /// House value, yuan.
    pub house_value_yuan: f64,
    /// Machinery value, yuan.
    pub machinery_value_yuan: f64,
    /// Other debts, yuan.
    pub debts_other_yuan: f64,
    /// No central-bank credit record.
    pub thin_file: bool,
    /// Past loans.
    pub past_loans: u32,
    /// Worst DPD in the last 24 months.
    pub max_dpd_24m: u32,
    /// Latent character, N(0, 1). Never exported to model-facing files.
    #[serde(skip)]
    pub character: f64,
    /// Persistent household yield effect.
    #[serde(skip)]
    pub yield_effect: f64,
    /// Joint-liability group index, if any.
    pub group: Option<u32>,
}

impl Household {
    /// Expected yearly net farm income at expected harvest prices and at the yields this farm usually brings in
    /// (a household knows its own land and skill), yuan.
    pub fn expected_farm_income(&self) -> f64 {
        let usual = EXPECTED_YIELD_SHARE * self.yield_effect.exp();
        self.seasons
            .iter()
            .map(|s| s.area_mu * (s.yield_kg_per_mu * usual * harvest_price(s.commodity) - s.cost_per_mu))
            .sum()
    }

    /// Expected yearly hog margin, yuan (two batches at a 16 元/kg reference price).
    pub fn expected_hog_income(&self) -> f64 {
        f64::from(self.fattening_pigs) * 2.0 * 115.0 * (16.0 - HOG_BREAKEVEN_YUAN_PER_KG)
    }

    /// Expected yearly off-farm income and transfers, yuan.
    pub fn expected_offfarm_income(&self) -> f64 {
        f64::from(self.migrants) * self.migrant_wage_yuan
            + self.local_income_yuan
            + self.business_income_yuan
            + 1_600.0 * f64::from(self.size)
    }

    /// Expected yearly income at reference prices, yuan: off-farm work and transfers plus the farm and hog margins
    /// (a loss-making activity counts as zero, since a household plans on giving it up).
    pub fn expected_income(&self) -> f64 {
        self.expected_offfarm_income() + self.expected_farm_income().max(0.0) + self.expected_hog_income().max(0.0)
    }

    /// The two calendar months hog batches are sold: five and eleven months after the main season's sowing, when
    /// livestock loans are due the month after.
    pub fn hog_sale_months(&self) -> [u32; 2] {
        let sow = self.credit_season().map_or(12, |s| s.sow_month);
        [(sow + 4) % 12 + 1, (sow + 10) % 12 + 1]
    }

    /// The season a household borrows for (its loans start at that season's sowing).
    pub fn credit_season(&self) -> Option<&Season> {
        self.seasons.get(self.credit_season).or(self.seasons.first())
    }

    /// Total assets, yuan.
    pub fn total_assets(&self) -> f64 {
        self.deposits_yuan + self.house_value_yuan + self.machinery_value_yuan + self.rcc_shares_yuan
    }
}

/// A joint-liability group of 4–6 households of one village.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Index.
    pub index: u32,
    /// Record id.
    pub id: String,
    /// Village index.
    pub village: u32,
    /// Member household indices.
    pub members: Vec<u32>,
}

/// A household's rating on the 100-point card.
#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    /// Household index.
    pub household: u32,
    /// Score 0–100.
    pub score: u32,
    /// AAA, AA, A, B or "-" (not a credit household).
    pub grade: &'static str,
    /// 信用户.
    pub credit_household: bool,
    /// Credit-only limit, yuan.
    pub limit_yuan: i64,
}

/// The whole static world.
#[derive(Debug, Clone)]
pub struct World {
    /// Counties.
    pub counties: Vec<County>,
    /// Villages.
    pub villages: Vec<Village>,
    /// Households, grouped by village in index order.
    pub households: Vec<Household>,
    /// Joint-liability groups.
    pub groups: Vec<Group>,
    /// Ratings at the start.
    pub ratings: Vec<Rating>,
}

/// A synthetic national ID: valid GB 11643 check character, area prefix 99 (no real area).
pub fn synthetic_national_id(
    area_code: &str,
    birth_year: i32,
    birth_day_of_year: u32,
    seq: u32,
    female: bool,
) -> String {
    let date = chrono::NaiveDate::from_yo_opt(birth_year, birth_day_of_year.clamp(1, 365))
        .unwrap_or_else(|| chrono::NaiveDate::from_yo_opt(1970, 1).expect("a valid date"));
    // The 17th digit is odd for men and even for women.
    let order = (seq % 500) * 2 + if female { 0 } else { 1 };
    let first17 = format!("{area_code}{}{order:03}", date.format("%Y%m%d"));
    format!("{first17}{}", gb11643_check_char(&first17))
}

/// A synthetic phone number with a prefix no operator uses (10–12).
pub fn synthetic_phone(rng: &mut Rng) -> String {
    format!("1{}{:09}", rng.int(0, 2), rng.int(0, 999_999_999))
}

fn seasons_for(zone: Zone, land: f64, rng: &mut Rng) -> Vec<Season> {
    let s = |crop, region, commodity, sow, harvest, area: f64, y: f64, cost: f64| Season {
        crop,
        region,
        commodity,
        sow_month: sow,
        harvest_month: harvest,
        area_mu: area,
        yield_kg_per_mu: y,
        cost_per_mu: cost,
    };
    // The specification's 700–1,100 元/mu is a year's cash cost of grain; double cropping splits it between the
    // seasons (a little over the whole, since two crops need more inputs than one).
    let cost = rng.range(700.0, 1_100.0);
    match zone {
        Zone::Hhh | Zone::Livestock => vec![
            s(
                Some(Crop::WinterWheat),
                Region::NorthChinaPlain,
                Some(Commodity::Wheat),
                10,
                6,
                land,
                385.0,
                cost * 0.55,
            ),
            s(
                Some(Crop::SummerMaize),
                Region::NorthChinaPlain,
                Some(Commodity::Maize),
                6,
                10,
                land,
                435.0,
                cost * 0.45,
            ),
        ],
        Zone::Yangtze => vec![
            s(Some(Crop::SingleRice), Region::Yangtze, Some(Commodity::Paddy), 5, 10, land, 476.0, cost * 0.7),
            s(Some(Crop::WinterWheat), Region::Yangtze, Some(Commodity::Wheat), 11, 6, land * 0.7, 330.0, cost * 0.45),
        ],
        Zone::South => vec![
            s(Some(Crop::EarlyRice), Region::South, Some(Commodity::Paddy), 3, 7, land, 400.0, cost * 0.6),
            s(Some(Crop::LateRice), Region::South, Some(Commodity::Paddy), 7, 11, land, 420.0, cost * 0.6),
        ],
        Zone::Northeast => {
            let pick = rng.weighted(&[0.6, 0.25, 0.15]);
            let (crop, commodity, y) = match pick {
                0 => (Crop::SpringMaize, Commodity::Maize, 520.0),
                1 => (Crop::Soybean, Commodity::Soybean, 130.0),
                _ => (Crop::SingleRice, Commodity::Paddy, 500.0),
            };
            vec![s(Some(crop), Region::Northeast, Some(commodity), 4, 10, land, y, cost * 0.9)]
        }
        Zone::Hill => {
            vec![s(None, Region::Yangtze, None, 3, 9, (land * 0.4).max(0.5), 2_000.0, rng.range(3_000.0, 5_000.0))]
        }
    }
}

/// Builds the world from a configuration and the run's root generator.
pub fn build(config: &Config, root: &Rng) -> World {
    let mut rng = root.derive_named("world");
    let counties: Vec<County> = (0..config.counties)
        .map(|i| County {
            index: i,
            code: format!("99{:02}{:02}", 1 + i / 50, 1 + i % 50),
            zone: Zone::CYCLE[i as usize % 6],
        })
        .collect();
    let villages: Vec<Village> = (0..config.villages)
        .map(|v| {
            let county = v * config.counties / config.villages;
            let mut r = rng.derive(u64::from(v));
            let irrigation_share = r.range(0.3, 0.95);
            let cohesion = r.standard_normal();
            Village {
                index: v,
                code: format!("{}{:03}{:03}", counties[county as usize].code, 100 + v % 30, v % 1000),
                county,
                name: text::village_name(&mut r),
                irrigation_share,
                cohesion,
                credit_village: r.chance(0.35 + 0.2 * cohesion.clamp(-1.0, 1.0)),
                distance_km: r.lognormal(8f64.ln(), 0.6),
                minority_share: if r.chance(0.15) { r.range(0.2, 0.9) } else { r.range(0.0, 0.05) },
                yield_sd: if irrigation_share > 0.8 { 0.125 } else { 0.25 },
            }
        })
        .collect();
    let p = &config.population;
    let mut households = Vec::with_capacity(config.households as usize);
    for h in 0..config.households {
        let village = h * config.villages / config.households;
        let v = &villages[village as usize];
        let zone = counties[v.county as usize].zone;
        let mut r = rng.derive(0x1000_0000 + u64::from(h));
        let size = 1 + r.weighted(&[0.10, 0.25, 0.22, 0.20, 0.13, 0.07, 0.03]) as u32;
        let children = if size >= 3 { r.binomial(size - 2, 0.35) } else { 0 };
        let elderly = r.binomial(2, 0.3).min(size - children);
        let dependants = (children + elderly).min(size.saturating_sub(1));
        let labourers = size - dependants;
        let large = r.chance(p.large_grower_share);
        let land = if large { r.lognormal(300f64.ln(), 0.9).min(3_000.0) } else { r.lognormal(6f64.ln(), 0.8) };
        let rented = if large { land * 0.8 } else { land * r.range(0.0, 0.1 * f64::from(size)) };
        let contracted = land - rented;
        let pig_share = if zone == Zone::Livestock { p.pig_share_livestock_zone } else { p.pig_share_other };
        let fattening_pigs = if r.chance(pig_share) {
            if r.chance(0.02 / pig_share.max(0.02)) {
                r.int(100, 1_000) as u32
            } else {
                r.lognormal(10f64.ln(), 1.0).round() as u32
            }
        } else {
            0
        };
        let migrant_p =
            p.migrant_probability[0] + (p.migrant_probability[1] - p.migrant_probability[0]) * zone.migrant_weight();
        let migrants = r.binomial(labourers.saturating_sub(1), migrant_p);
        let character = r.standard_normal();
        let thin_file = r.chance(p.thin_file_share);
        let max_dpd_24m = if thin_file {
            0
        } else {
            let u = r.uniform();
            if u < 0.02 {
                r.int(31, 120) as u32
            } else if u < 0.10 {
                r.int(1, 30) as u32
            } else {
                0
            }
        };
        let business = r.chance(0.08);
        let mut seasons = seasons_for(zone, land, &mut r);
        let credit_season = r.int(0, seasons.len().max(1) as i64 - 1) as usize;
        // Rent for rented land is a yearly sum, paid season by season; it raises the cost per mu.
        let rent = if land > 0.0 { rented / land * r.range(300.0, 800.0) / seasons.len().max(1) as f64 } else { 0.0 };
        for s in &mut seasons {
            s.cost_per_mu += rent;
        }
        households.push(Household {
            index: h,
            id: format!("H{:07}", h + 1),
            village,
            size,
            labourers,
            dependants,
            head_age: r.truncated_normal(52.0, 10.0, 20.0, 75.0).round() as u32,
            head_female: r.chance(0.12),
            education_years: r.int(3, 12) as u32,
            minority: r.chance(v.minority_share),
            land_contracted_mu: contracted,
            land_rented_mu: rented,
            seasons,
            sows: if fattening_pigs > 0 { (f64::from(fattening_pigs) / 10.0).floor() as u32 } else { 0 },
            fattening_pigs,
            cattle: if r.chance(0.05) { r.int(1, 10) as u32 } else { 0 },
            migrants,
            migrant_wage_yuan: r.range(3_500.0, 6_000.0) * r.range(9.0, 11.0),
            local_income_yuan: if r.chance(0.5) { r.lognormal(8_000f64.ln(), 0.7) } else { 0.0 },
            business,
            credit_season,
            business_income_yuan: if business { r.lognormal(30_000f64.ln(), 0.6) } else { 0.0 },
            coop_member: r.chance(0.3),
            insurance: if !r.chance(p.insurance_uptake) {
                Cover::None
            } else if r.chance(p.income_insurance_share) {
                Cover::Income
            } else {
                Cover::Cost
            },
            rcc_shares_yuan: if r.chance(0.4) { r.range(500.0, 20_000.0) } else { 0.0 },
            deposits_yuan: r.lognormal(20_000f64.ln(), 1.0),
            house_value_yuan: r.lognormal(150_000f64.ln(), 0.6),
            machinery_value_yuan: if large { r.range(50_000.0, 400_000.0) } else { r.lognormal(5_000f64.ln(), 1.0) },
            debts_other_yuan: if r.chance(0.3) { r.lognormal(20_000f64.ln(), 0.8) } else { 0.0 },
            thin_file,
            past_loans: if thin_file { 0 } else { r.int(1, 6) as u32 },
            max_dpd_24m,
            character,
            yield_effect: r.normal(-0.21 * 0.21 / 2.0, 0.21),
            group: None,
        });
        // A farm keeps working capital in proportion to its scale: a third of a year's expected margin.
        if let Some(h) = households.last_mut() {
            h.deposits_yuan += (h.expected_farm_income() + h.expected_hog_income()).max(0.0) / 3.0;
        }
    }
    let groups = form_groups(&mut households, &villages, &mut rng);
    let ratings = rate(config, &households, &villages);
    World { counties, villages, households, groups, ratings }
}

/// Forms 联保 groups of 4–6 among about a third of each village's households.
fn form_groups(households: &mut [Household], villages: &[Village], rng: &mut Rng) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut start = 0;
    for v in villages {
        let end = households[start..].iter().position(|h| h.village != v.index).map_or(households.len(), |p| start + p);
        let mut candidates: Vec<u32> = (start..end).filter(|_| rng.chance(0.33)).map(|i| i as u32).collect();
        while candidates.len() >= 4 {
            let size = (rng.int(4, 6) as usize).min(candidates.len());
            let members: Vec<u32> = candidates.drain(..size).collect();
            let index = groups.len() as u32;
            for m in &members {
                households[*m as usize].group = Some(index);
            }
            groups.push(Group { index, id: format!("G{:06}", index + 1), village: v.index, members });
        }
        start = end;
    }
    groups
}

/// The 100-point card of the specification (section 3), scored against village means.
pub fn rate(config: &Config, households: &[Household], villages: &[Village]) -> Vec<Rating> {
    let mut sums = vec![(0.0f64, 0.0f64, 0.0f64, 0u32); villages.len()];
    let net_income = |h: &Household| h.expected_farm_income() + h.expected_hog_income() + h.expected_offfarm_income();
    for h in households {
        let s = &mut sums[h.village as usize];
        s.0 += h.total_assets();
        s.1 += h.total_assets() - h.debts_other_yuan;
        s.2 += net_income(h);
        s.3 += 1;
    }
    let bias = config.fairness.historical_decision_bias;
    households
        .iter()
        .map(|h| {
            let (assets, net, income, n) = sums[h.village as usize];
            let n = f64::from(n.max(1));
            let ratio_points = |value: f64, mean: f64, max: f64| (max * (value / mean.max(1.0)).min(1.5) / 1.5).round();
            let people = match h.size {
                0 | 1 => 5.0,
                2 => 7.0,
                _ => 8.0,
            };
            let labour = match h.labourers {
                0 => 0.0,
                1 => 3.0,
                2 => 7.0,
                _ => 8.0,
            };
            let shares = if h.rcc_shares_yuan >= 10_000.0 {
                4.0
            } else if h.rcc_shares_yuan > 0.0 {
                2.0
            } else {
                0.0
            };
            // The village panel sees character through noise (0.6·character + noise).
            let mut noise = Rng::new(u64::from(h.index)).derive_named("panel");
            let seen = 0.6 * h.character + 0.8 * noise.standard_normal();
            let assessment = if seen > 0.5 {
                30.0
            } else if seen > -0.3 {
                25.0
            } else if seen > -1.2 {
                15.0
            } else {
                0.0
            };
            let record = if h.thin_file {
                6.0
            } else if h.max_dpd_24m == 0 {
                10.0
            } else if h.max_dpd_24m <= 30 {
                5.0
            } else {
                0.0
            };
            let score = people
                + labour
                + ratio_points(h.total_assets(), assets / n, 13.0)
                + ratio_points(h.total_assets() - h.debts_other_yuan, net / n, 13.0).max(0.0)
                + shares
                + ratio_points(net_income(h), income / n, 14.0).max(0.0)
                + assessment
                + record;
            let score = score.clamp(0.0, 100.0) as u32;
            let (grade, base) = match score {
                90.. => ("AAA", 100_000.0),
                80..=89 => ("AA", 80_000.0),
                70..=79 => ("A", 50_000.0),
                60..=69 => ("B", 20_000.0),
                _ => ("-", 0.0),
            };
            let credit_household = base > 0.0;
            let cap = config.lending.limit_cap_yuan as f64;
            let mut limit = if credit_household {
                (base + 0.1 * h.total_assets() + 0.3 * net_income(h).max(0.0)).min(cap)
            } else {
                0.0
            };
            if h.head_female {
                limit *= 1.0 - bias;
            }
            Rating {
                household: h.index,
                score,
                grade,
                credit_household,
                limit_yuan: ((limit / 1_000.0).round() * 1_000.0) as i64,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Preset};

    #[test]
    fn the_tiny_world_has_the_specified_shape() {
        let config = Config::preset(Preset::Tiny);
        let world = build(&config, &Rng::new(1));
        assert_eq!(world.households.len(), 2_000);
        assert_eq!(world.villages.len(), 20);
        let mean_size = world.households.iter().map(|h| f64::from(h.size)).sum::<f64>() / 2_000.0;
        assert!((2.9..3.5).contains(&mean_size), "mean household size {mean_size}");
        assert!(world.groups.iter().all(|g| (4..=6).contains(&g.members.len())));
        let credit = world.ratings.iter().filter(|r| r.credit_household).count() as f64 / 2_000.0;
        assert!((0.6..0.95).contains(&credit), "信用户 share {credit}");
        let id = synthetic_national_id(&world.counties[0].code, 1975, 120, 7, false);
        assert!(domain::NationalId::parse(&id).is_ok(), "{id} has a valid check digit");
        assert!(id.starts_with("99"));
    }

    #[test]
    fn the_same_seed_builds_the_same_world() {
        let config = Config::preset(Preset::Tiny);
        let a = build(&config, &Rng::new(9));
        let b = build(&config, &Rng::new(9));
        assert_eq!(serde_json::to_string(&a.households).ok(), serde_json::to_string(&b.households).ok());
        let c = build(&config, &Rng::new(10));
        assert_ne!(serde_json::to_string(&a.households).ok(), serde_json::to_string(&c.households).ok());
    }
}
