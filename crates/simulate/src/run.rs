//! The monthly simulation: incomes, shocks, loans booked and serviced by the lending core, the payment decision of
//! the causal chain (income → cash at the due date → capacity ratio → pay / partial / miss), fund diversion, cure
//! at the next income, and the planted scenarios with their ground truth.
//!
//! County-level processes (prices, weather draws, outbreaks, employment shocks, scenario choices) are computed
//! first; then villages run independently, each from its own random stream, on as many threads as asked. Results
//! are joined in village order, so the output does not depend on the thread count.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Datelike;
use domain::{CropCalendar, Date, Money, RepaymentId};
use lending::{
    ClassificationRules, DatedEvent, Loan, LoanEvent, LoanStatus, LoanTerms, ProductKind, Servicer, TermsRequest,
};

use crate::config::Config;
use crate::market::{self, Commodity, HogCrash, MarketPrices, MarketShocks};
use crate::rng::{Rng, sigmoid};
use crate::satellite;
use crate::tables::*;
use crate::text;
use crate::world::{self, Household, Rating, World, Zone};

/// A finished run.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The configuration it ran with.
    pub config: Config,
    /// The seed.
    pub seed: u64,
    /// Every output table.
    pub tables: Tables,
}

/// Where the planted scenarios landed, decided once per run.
#[derive(Debug, Clone, Default)]
struct Plan {
    drought_county: Option<u32>,
    drought_month: u32,
    rain_county: Option<u32>,
    rain_month: u32,
    disease: Vec<(u32, u32, u32, f64, &'static str)>, // county, start, end, cull, scenario
    employment: Vec<(u32, u32, u32, f64, &'static str)>, // county, start, end, drop, scenario
    ring_village: Option<u32>,
    ring_month: u32,
    /// The ring's counterparty: an id like any other, so model-facing files do not give the ring away.
    ring_counterparty: Arc<str>,
    county_weather: HashMap<(u32, u32), (bool, &'static str)>, // (county, harvest month index) → (event?, type)
}

const EVENT_TYPES: [&str; 6] = ["drought", "flood", "hail", "typhoon", "frost", "harvest-rain"];

fn month_label(prices: &MarketPrices, m: u32) -> String {
    let (y, mo) = prices.year_month(m);
    format!("{y}-{mo:02}")
}

fn month_date(prices: &MarketPrices, m: u32, day: u32) -> Date {
    let (y, mo) = prices.year_month(m);
    Date::from_ymd_opt(y, mo, day.min(domain::calendar::last_day_of_month(y, mo))).expect("valid day")
}

fn month_end(prices: &MarketPrices, m: u32) -> Date {
    let (y, mo) = prices.year_month(m);
    domain::end_of_month(y, mo)
}

/// Runs a simulation and hands its output to `sink` in parts, always in the same order: the county-level tables,
/// then each village's tables in village order, then the ground-truth shocks. Memory stays bounded by a few
/// villages, whatever the scale.
pub fn run_streaming(
    config: &Config,
    seed: u64,
    threads: usize,
    progress: &(dyn Fn(u32, u32) + Sync),
    sink: &mut dyn FnMut(Tables),
) {
    let root = Rng::new(seed);
    let world = world::build(config, &root);
    let plan = plan(config, &world, &root);
    let shocks = MarketShocks {
        hog_crash: config
            .scenarios
            .s3_hog_crash
            .enabled
            .then_some(HogCrash { start_month: config.scenarios.s3_hog_crash.month, months: 3 }),
        disease_months: plan.disease.iter().map(|d| d.1).collect(),
    };
    let prices = market::simulate(
        &config.market,
        config.start_year,
        config.start_month,
        config.months,
        &shocks,
        &mut root.derive_named("market"),
    );

    let mut head = Tables::default();
    static_tables(&world, &prices, &mut head);
    global_tables(config, &world, &plan, &prices, &root, &mut head);
    // Ground truth is complete only once every village has reported its households: it goes last.
    let mut shock_rows = std::mem::take(&mut head.shocks);
    sink(head);

    // Households are stored village by village: each village's members are one contiguous range.
    let mut ranges = vec![(0usize, 0usize); world.villages.len()];
    for (i, h) in world.households.iter().enumerate() {
        let r = &mut ranges[h.village as usize];
        if r.1 == 0 {
            r.0 = i;
        }
        r.1 = i + 1;
    }
    let total = world.villages.len() as u32;
    let next = std::sync::atomic::AtomicU32::new(0);
    let threads = threads.max(1).min(world.villages.len().max(1));
    let ctx = Context {
        config,
        world: &world,
        plan: &plan,
        prices: &prices,
        root: &root,
        calendar: CropCalendar::china_default(),
        ranges,
        bank: Arc::from("RCC"),
    };
    let mut affected: HashMap<&'static str, u32> = HashMap::new();
    std::thread::scope(|scope| {
        // Workers take the next village; the caller's thread puts results back in village order and hands them
        // to the sink while the workers go on. The bounded channel keeps memory to a few villages.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(u32, Tables)>(threads * 4);
        for _ in 0..threads {
            let (ctx, next, tx) = (&ctx, &next, tx.clone());
            scope.spawn(move || {
                loop {
                    let v = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if v >= total || tx.send((v, simulate_village(ctx, v))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: std::collections::BTreeMap<u32, Tables> = std::collections::BTreeMap::new();
        let mut expected = 0u32;
        for (v, part) in rx {
            waiting.insert(v, part);
            while let Some(part) = waiting.remove(&expected) {
                for h in &part.shock_households {
                    *affected.entry(h.scenario).or_default() += 1;
                }
                sink(part);
                expected += 1;
                progress(expected, total);
            }
        }
    });
    for s in &mut shock_rows {
        s.households_affected = affected.get(s.scenario).copied().unwrap_or(0);
    }
    sink(Tables { shocks: shock_rows, ..Tables::default() });
}

/// Runs a whole simulation in memory. `threads` ≥ 1; `progress(done, total)` is called as villages finish.
pub fn run(config: &Config, seed: u64, threads: usize, progress: &(dyn Fn(u32, u32) + Sync)) -> Simulation {
    let mut tables = Tables::default();
    run_streaming(config, seed, threads, progress, &mut |part| tables.extend(part));
    Simulation { config: config.clone(), seed, tables }
}

/// Decides where scenarios and county-level events fall.
fn plan(config: &Config, world: &World, root: &Rng) -> Plan {
    let mut rng = root.derive_named("plan");
    let mut plan = Plan::default();
    let s = &config.scenarios;
    let county_of_zone = |zones: &[Zone]| world.counties.iter().find(|c| zones.contains(&c.zone)).map(|c| c.index);
    if s.s1_drought.enabled {
        plan.drought_county = Some(0);
        plan.drought_month = s.s1_drought.month;
    }
    if s.s2_harvest_rain.enabled {
        plan.rain_county = county_of_zone(&[Zone::Hhh, Zone::Livestock]);
        plan.rain_month = s.s2_harvest_rain.month;
    }
    if s.s4_disease.enabled {
        let county = county_of_zone(&[Zone::Livestock]).unwrap_or(0);
        plan.disease.push((county, s.s4_disease.month, s.s4_disease.month + 6, rng.range(0.6, 1.0), "S4"));
    }
    if s.s5_diversion_ring.enabled {
        plan.ring_village = Some((world.villages.len() as u32 / 2).min(world.villages.len() as u32 - 1));
        plan.ring_month = s.s5_diversion_ring.month;
        plan.ring_counterparty = Arc::from(format!("CP-{}", rng.int(10_000, 99_999)));
    }
    if s.s6_migrant_shock.enabled {
        let county = (config.counties - 1).min(1);
        plan.employment.push((
            county,
            s.s6_migrant_shock.month,
            s.s6_migrant_shock.month + 5,
            config.shocks.employment_shock_size,
            "S6",
        ));
    }
    for c in &world.counties {
        let mut r = rng.derive(u64::from(c.index));
        for m in 0..config.months {
            if r.chance(config.shocks.disease_probability) {
                let ban = r.int(3, 6) as u32;
                plan.disease.push((c.index, m, m + ban - 1, r.range(0.3, 1.0), ""));
            }
            if m % 12 == 0 && r.chance(config.shocks.employment_shock_probability) {
                plan.employment.push((c.index, m, m + 5, config.shocks.employment_shock_size, ""));
            }
            // A county-wide weather event can hit any harvest month.
            let event = r.chance(config.weather.county_event_probability);
            plan.county_weather.insert((c.index, m), (event, *r.pick(&EVENT_TYPES)));
        }
    }
    plan
}

struct Context<'a> {
    config: &'a Config,
    world: &'a World,
    plan: &'a Plan,
    prices: &'a MarketPrices,
    root: &'a Rng,
    calendar: CropCalendar,
    ranges: Vec<(usize, usize)>,
    /// The lender, as the counterparty of disbursements and repayments.
    bank: Arc<str>,
}

fn static_tables(world: &World, prices: &MarketPrices, t: &mut Tables) {
    t.counties = world
        .counties
        .iter()
        .map(|c| CountyRow { county_code: c.code.clone(), zone: c.zone.code(), synthetic: true })
        .collect();
    t.villages = world
        .villages
        .iter()
        .map(|v| VillageRow {
            village_code: v.code.clone(),
            county_code: world.counties[v.county as usize].code.clone(),
            name: v.name.clone(),
            irrigation_share: share(v.irrigation_share),
            credit_village: v.credit_village,
            distance_km: format!("{:.1}", v.distance_km),
            minority_share: share(v.minority_share),
            synthetic: true,
        })
        .collect();
    t.groups = world
        .groups
        .iter()
        .map(|g| GroupRow {
            group_id: g.id.clone(),
            village_code: world.villages[g.village as usize].code.clone(),
            members: g.members.iter().map(|m| world.households[*m as usize].id.clone()).collect::<Vec<_>>().join(";"),
            synthetic: true,
        })
        .collect();
    t.prices = prices.rows();
}

fn global_tables(config: &Config, world: &World, plan: &Plan, prices: &MarketPrices, root: &Rng, t: &mut Tables) {
    let last = config.months.saturating_sub(1);
    for (county, start, end, cull, _) in &plan.disease {
        t.disease.push(DiseaseRow {
            county_code: world.counties[*county as usize].code.clone(),
            species: "hog",
            start_month: month_label(prices, *start),
            end_month: month_label(prices, (*end).min(last)),
            cull_rate: share(*cull),
            synthetic: true,
        });
    }
    for (county, start, end, drop, _) in &plan.employment {
        t.employment.push(EmploymentShockRow {
            county_code: world.counties[*county as usize].code.clone(),
            start_month: month_label(prices, *start),
            end_month: month_label(prices, (*end).min(last)),
            income_drop: share(*drop),
            synthetic: true,
        });
    }
    // News: a price item every quarter per county, and an item for every county event.
    let mut rng = root.derive_named("news");
    for c in &world.counties {
        let region = format!("{}县", &c.code[2..]);
        for m in (3..config.months).step_by(3) {
            let commodity = if c.zone == Zone::Livestock { Commodity::Hog } else { Commodity::Wheat };
            let change = prices.price(commodity, m) / prices.price(commodity, m - 3) - 1.0;
            let h = text::price_headline(commodity.name_zh(), change * 100.0, &region, &mut rng);
            t.news.push(news_row(prices, m, &c.code, h));
            if rng.chance(0.3) {
                t.news.push(news_row(prices, m, &c.code, text::policy_headline(&mut rng)));
            }
            t.news.push(news_row(prices, m, &c.code, text::filler_headline(&mut rng)));
        }
    }
    for (county, start, _, _, _) in &plan.disease {
        let c = &world.counties[*county as usize];
        t.news.push(news_row(
            prices,
            *start,
            &c.code,
            text::disease_headline(&format!("{}县", &c.code[2..]), &mut rng),
        ));
    }
    for (county, start, _, _, _) in &plan.employment {
        let c = &world.counties[*county as usize];
        t.news.push(news_row(
            prices,
            *start,
            &c.code,
            text::employment_headline(&format!("{}县", &c.code[2..]), true, &mut rng),
        ));
    }
    if let Some(county) = plan.drought_county {
        let c = &world.counties[county as usize];
        let h = text::disaster_headline("drought", &format!("{}县", &c.code[2..]), 0.45, &mut rng);
        t.news.push(news_row(prices, plan.drought_month, &c.code, h));
    }
    t.news.sort_by(|a, b| a.date.cmp(&b.date).then(a.county_code.cmp(&b.county_code)));
    // Ground truth of the county-level scenarios; household lists are filled in by the villages.
    let label = |m: u32| month_label(prices, m.min(last));
    if let Some(county) = plan.drought_county {
        t.shocks.push(shock(
            "S1",
            "summer drought: 30–60% yield loss in 60% of villages, rain-fed first",
            &world.counties[county as usize].code,
            "",
            label(plan.drought_month),
            label(plan.drought_month + 4),
        ));
    }
    if let Some(county) = plan.rain_county {
        t.shocks.push(shock(
            "S2",
            "continuous rain at wheat harvest: affected lots sold 15% lower",
            &world.counties[county as usize].code,
            "",
            label(plan.rain_month),
            label(plan.rain_month + 1),
        ));
    }
    if let Some(crash) = config.scenarios.s3_hog_crash.enabled.then_some(config.scenarios.s3_hog_crash.month) {
        t.shocks.push(shock(
            "S3",
            "hog price crash: pig-grain ratio below 5 for 3 months",
            "",
            "",
            label(crash),
            label(crash + 2),
        ));
    }
    for (county, start, end, _, scenario) in &plan.disease {
        if !scenario.is_empty() {
            t.shocks.push(shock(
                scenario,
                "ASF outbreak: herds culled, 6-month movement ban",
                &world.counties[*county as usize].code,
                "",
                label(*start),
                label(*end),
            ));
        }
    }
    if let Some(v) = plan.ring_village {
        let village = &world.villages[v as usize];
        t.shocks.push(shock(
            "S5",
            &format!(
                "fund-diversion ring: 15 borrowers route proceeds to one counterparty, {}",
                plan.ring_counterparty
            ),
            &world.counties[village.county as usize].code,
            &village.code,
            label(plan.ring_month),
            label(config.months),
        ));
    }
    for (county, start, end, _, scenario) in &plan.employment {
        if !scenario.is_empty() {
            t.shocks.push(shock(
                scenario,
                "migrant income −30% for 6 months",
                &world.counties[*county as usize].code,
                "",
                label(*start),
                label(*end),
            ));
        }
    }
}

fn shock(
    scenario: &'static str,
    description: &str,
    county: &str,
    village: &str,
    start: String,
    end: String,
) -> ShockRow {
    ShockRow {
        scenario,
        description: description.to_string(),
        county_code: county.to_string(),
        village_code: village.to_string(),
        start_month: start,
        end_month: end,
        households_affected: 0,
        synthetic: true,
    }
}

fn news_row(prices: &MarketPrices, m: u32, county: &str, h: text::Headline) -> NewsRow {
    NewsRow {
        date: month_date(prices, m, 15).to_string(),
        county_code: county.to_string(),
        topic: h.topic,
        text: h.text,
        sentiment: match h.sentiment {
            text::Sentiment::Positive => "positive",
            text::Sentiment::Neutral => "neutral",
            text::Sentiment::Negative => "negative",
        },
        synthetic: true,
    }
}

/// A household's loan in servicing.
struct Active {
    id: Arc<str>,
    servicer: Servicer,
    max_dpd: u32,
    row: usize,
}

/// Per-household running state.
struct Running {
    id: Arc<str>,
    /// Liquid savings, yuan; negative while a season's inputs are bought on short-term credit before the harvest.
    cash: f64,
    /// Long-term debt to relatives, friends and other informal lenders (a wedding, a funeral, an illness), yuan;
    /// repaid from surpluses once the bank is covered.
    family_debt: f64,
    current: bool,
    loans: Vec<Active>,
    diversion_penalty: f64,
    life_event_month: Option<u32>,
    pigs: f64,
}

fn simulate_village(ctx: &Context<'_>, v: u32) -> Tables {
    let config = ctx.config;
    let world = ctx.world;
    let prices = ctx.prices;
    let village = &world.villages[v as usize];
    let county = &world.counties[village.county as usize];
    let mut rng = ctx.root.derive(0x7000_0000 + u64::from(v));
    let mut t = Tables::default();
    let (first, last) = ctx.ranges[v as usize];
    let members: Vec<&Household> = world.households[first..last].iter().collect();
    let ratings: Vec<&Rating> = members.iter().map(|h| &world.ratings[h.index as usize]).collect();
    let mut state: Vec<Running> = members
        .iter()
        .map(|h| Running {
            id: Arc::from(h.id.as_str()),
            cash: h.deposits_yuan,
            family_debt: h.debts_other_yuan,
            current: true,
            loans: Vec::new(),
            diversion_penalty: 0.0,
            life_event_month: None,
            pigs: f64::from(h.fattening_pigs),
        })
        .collect();
    household_tables(ctx, &members, &ratings, &mut rng, &mut t);

    let lpr: f64 = config.lending.lpr_1y.parse().unwrap_or(0.03);
    let b = &config.behaviour;
    let mut loan_seq = 0u32;
    // Village-season yield effects, drawn per harvest month.
    let mut village_effect: HashMap<u32, f64> = HashMap::new();
    let mut drought_hit = vec![false; members.len()];
    let in_drought_village = ctx.plan.drought_county == Some(village.county) && {
        // Rain-fed villages first: the 60% least irrigated of the county.
        let mut irr: Vec<f64> =
            world.villages.iter().filter(|x| x.county == village.county).map(|x| x.irrigation_share).collect();
        irr.sort_by(f64::total_cmp);
        let cut = irr[((irr.len() as f64 * 0.6).ceil() as usize).saturating_sub(1).min(irr.len() - 1)];
        village.irrigation_share <= cut
    };
    let ring = ctx.plan.ring_village == Some(v);
    let mut ring_members = 0u32;
    // Informal credit: a few months of a household's expected income, less whatever the village lost at its last
    // harvest in the past year, since a covariate shock leaves neighbours with nothing to lend.
    let expected_monthly: Vec<f64> = members.iter().map(|h| h.expected_income() / 12.0).collect();
    let mut informal_room = vec![0.0f64; members.len()];
    let mut last_harvest_loss: Option<(u32, f64)> = None;
    let mut share_90 = 0.0f64;
    // What each month's harvests lost, for the satellite series.
    let mut harvest_losses: Vec<satellite::HarvestLoss> = Vec::with_capacity(config.months as usize);

    for m in 0..config.months {
        let (_, calendar_month) = prices.year_month(m);
        let day5 = month_date(prices, m, 5);
        let end = month_end(prices, m);
        // County and village weather for a harvest this month.
        let (county_event, event_type) =
            ctx.plan.county_weather.get(&(village.county, m)).copied().unwrap_or((false, "drought"));
        let hit = if county_event {
            rng.chance(config.weather.village_inherit_probability)
        } else {
            rng.chance(config.weather.village_event_probability)
        };
        let mut loss = if hit {
            let u = rng.uniform();
            if u < 0.5 {
                rng.range(0.1, 0.3)
            } else if u < 0.93 {
                rng.range(0.3, 0.8)
            } else {
                rng.range(0.8, 1.0)
            }
        } else {
            0.0
        };
        // The summer season's harvests: the four months after the drought sets in.
        let drought_now = in_drought_village && (ctx.plan.drought_month + 1..ctx.plan.drought_month + 5).contains(&m);
        if drought_now {
            loss = loss.max(rng.range(0.3, 0.6));
        }
        let harvest_here = members.iter().any(|h| h.seasons.iter().any(|s| s.harvest_month == calendar_month));
        if harvest_here && loss > 0.0 {
            t.weather.push(WeatherRow {
                village_code: village.code.clone(),
                harvest_month: month_label(prices, m),
                event_type: if drought_now { "drought" } else { event_type },
                loss_share: share(loss),
                synthetic: true,
            });
        }
        if harvest_here {
            last_harvest_loss = Some((m, loss));
        }
        harvest_losses.push(satellite::HarvestLoss {
            share: if harvest_here { loss } else { 0.0 },
            event_type: if drought_now { "drought" } else { event_type },
        });
        let liquidity = match last_harvest_loss {
            Some((at, loss)) if m - at < 12 => (1.0 - 2.0 * loss).max(0.0),
            _ => 1.0,
        };
        for (room, monthly) in informal_room.iter_mut().zip(&expected_monthly) {
            *room = b.informal_credit_months * monthly * liquidity;
        }
        let v_effect = *village_effect
            .entry(m)
            .or_insert_with(|| rng.normal(-village.yield_sd * village.yield_sd / 2.0, village.yield_sd));
        let disease_now = ctx.plan.disease.iter().find(|d| d.0 == village.county && (d.1..=d.2).contains(&m));
        let employment = ctx.plan.employment.iter().find(|e| e.0 == village.county && (e.1..=e.2).contains(&m));
        let rain_now = ctx.plan.rain_county == Some(village.county) && m == ctx.plan.rain_month;
        let mut village_borrowers = 0u32;
        let mut village_90 = 0u32;
        // Whether every member of each joint-liability group was current at the end of last month.
        let mut group_current: HashMap<u32, bool> = HashMap::new();
        for (i, h) in members.iter().enumerate() {
            if let Some(g) = h.group {
                let entry = group_current.entry(g).or_insert(true);
                *entry = *entry && state[i].current;
            }
        }

        for (i, h) in members.iter().enumerate() {
            let st = &mut state[i];
            let mut hr = rng.derive(u64::from(h.index) << 8 | u64::from(m % 256));
            // 1. Income and spending this month (yuan).
            let mut income = f64::from(h.migrants) * h.migrant_wage_yuan / 12.0 * employment.map_or(1.0, |e| 1.0 - e.3);
            // Local part-time work (harvest labour, hauling, building) shrinks with a failed harvest in the village.
            let local_work = h.local_income_yuan * if drought_now { 1.0 - loss } else { 1.0 };
            income += (local_work + h.business_income_yuan + 1_600.0 * f64::from(h.size)) / 12.0;
            for s in &h.seasons {
                if s.sow_month == calendar_month {
                    st.cash -= s.area_mu * s.cost_per_mu * (1.0 - st.diversion_penalty.min(0.5));
                }
                if s.harvest_month == calendar_month {
                    let price = s.commodity.map_or_else(|| 4.0 * hr.lognormal(-0.02, 0.2), |c| prices.price(c, m));
                    let rain_discount =
                        if rain_now && s.commodity == Some(Commodity::Wheat) && hr.chance(0.5) { 0.85 } else { 1.0 };
                    let e = hr.normal(-0.28 * 0.28 / 2.0, 0.28);
                    let y = s.yield_kg_per_mu
                        * (v_effect + h.yield_effect + e).exp()
                        * (1.0 - loss)
                        * (1.0 - st.diversion_penalty);
                    let revenue = s.area_mu * y * price * rain_discount;
                    income += revenue;
                    if drought_now {
                        drought_hit[i] = true;
                    }
                    if let (Some(commodity), true) = (s.commodity, h.insurance != world::Cover::None) {
                        let indemnity = if h.insurance == world::Cover::Income {
                            let expected = s.area_mu * s.yield_kg_per_mu * prices.expected_price(commodity, m);
                            (0.8 * expected - revenue).max(0.0)
                        } else if loss >= 0.2 {
                            // The adjuster assesses the disaster loss; the insured amount is the input cost.
                            loss * s.area_mu * s.cost_per_mu
                        } else {
                            0.0
                        };
                        if indemnity > 1.0 {
                            income += indemnity;
                            t.insurance.push(InsuranceClaimRow {
                                household_id: h.id.clone(),
                                harvest_month: month_label(prices, m),
                                crop: s.crop.map_or("fruit".into(), |c| c.code().into()),
                                indemnity: yuan(indemnity),
                                synthetic: true,
                            });
                        }
                    }
                    st.diversion_penalty = 0.0;
                }
            }
            if st.pigs > 0.0 {
                if let Some(d) = disease_now {
                    if m == d.1 {
                        st.pigs *= 1.0 - d.3;
                    }
                }
                // Two sale batches a year, none during a movement ban.
                if h.hog_sale_months().contains(&calendar_month) && disease_now.is_none() {
                    // Margin over the breakeven price; in a trough farmers cut losses (earlier sale, less feed), so the
                    // loss per kg is bounded.
                    let per_kg = (prices.price(Commodity::Hog, m) - world::HOG_BREAKEVEN_YUAN_PER_KG).max(-1.5);
                    income += st.pigs * 115.0 * per_kg;
                    st.pigs = f64::from(h.fattening_pigs);
                }
            }
            let planned = hr.range(0.65, 0.85) * expected_monthly[i];
            // A household deep in debt to relatives cuts spending towards subsistence.
            let consumption = if st.cash < 0.0 || st.family_debt > 3.0 * expected_monthly[i] {
                planned * 0.7
            } else {
                // Savings beyond a year and a half of income go, bit by bit, into a house, a car, schooling.
                planned + 0.02 * (st.cash - 18.0 * expected_monthly[i]).max(0.0)
            };
            let mut shock_cost = 0.0;
            if hr.chance(config.population.health_shock_probability / 12.0) {
                // Rural resident medical insurance reimburses roughly half to two thirds of inpatient costs.
                shock_cost += hr.lognormal(15_000f64.ln(), 0.8) * hr.range(0.3, 0.5);
            }
            if hr.chance(config.population.life_event_probability / 12.0) {
                // Gifts (礼金) from relatives and neighbours cover part of a wedding, funeral or house.
                shock_cost += hr.range(30_000.0, 150_000.0) * hr.range(0.3, 0.6);
                st.life_event_month = Some(m);
            }
            // Savings absorb a shock first; relatives lend the rest.
            let from_savings = shock_cost.min(st.cash.max(0.0));
            st.family_debt += shock_cost - from_savings;
            st.cash += income - consumption - from_savings;

            // 2. A new loan in the sowing month of the season the household borrows for.
            let main = h.credit_season();
            let sowing = main.is_some_and(|s| s.sow_month == calendar_month);
            let has_open = st.loans.iter().any(|a| !matches!(a.servicer.status(), LoanStatus::Closed));
            if sowing && !has_open && hr.chance(config.lending.application_probability) {
                loan_seq += 1;
                originate(
                    ctx,
                    h,
                    ratings[i],
                    st,
                    &mut hr,
                    m,
                    day5,
                    lpr,
                    v,
                    loan_seq,
                    ring && ring_members < 15 && m >= ctx.plan.ring_month,
                    &mut t,
                );
                if ring
                    && m >= ctx.plan.ring_month
                    && st.loans.last().is_some_and(|a| a.row + 1 == t.loans.len())
                    && ring_members < 15
                {
                    ring_members += 1;
                    t.shock_households.push(ShockHouseholdRow {
                        scenario: "S5",
                        household_id: h.id.clone(),
                        synthetic: true,
                    });
                }
            }

            // 3. Due dates this month, then a cure attempt at month end.
            for a in &mut st.loans {
                let mut dues: Vec<Date> = a
                    .servicer
                    .installments()
                    .iter()
                    .filter(|x| !x.superseded && x.due_date >= day5.with_day(1).unwrap_or(day5) && x.due_date <= end)
                    .map(|x| x.due_date)
                    .collect();
                dues.sort();
                dues.dedup();
                dues.push(end);
                let mut last_pay: Option<Date> = None;
                for date in dues {
                    if last_pay == Some(date) {
                        continue;
                    }
                    a.servicer.advance_to(date);
                    if a.servicer.status() == LoanStatus::Closed {
                        break;
                    }
                    let due = a.servicer.due_by(date);
                    if !due.is_positive() {
                        continue;
                    }
                    let due_yuan = due.fen() as f64 / 100.0;
                    // Cash at hand plus what relatives and neighbours can still lend; even a household in deficit can
                    // put half of this month's income towards the bank before the shop.
                    let cash = (st.cash + (informal_room[i] - st.family_debt).max(0.0)).max(0.5 * income.max(0.0));
                    let pay = if cash >= due_yuan {
                        let mut logit = b.base + b.character * h.character + b.cohesion * village.cohesion;
                        if let Some(g) = h.group {
                            logit += b.group;
                            if group_current.get(&g).copied().unwrap_or(true) {
                                logit += b.peer_pressure;
                            }
                        }
                        if village.credit_village {
                            logit += b.credit_village;
                        }
                        if share_90 >= 0.3 {
                            logit -= b.contagion;
                        }
                        if a.servicer.standing().dpd >= 90 {
                            logit += b.after_default;
                        }
                        // Paying in full pays exactly what is due, to the fen.
                        if hr.chance(sigmoid(logit)) { due } else { Money::ZERO }
                    } else {
                        let partial = cash.min(due_yuan) * (0.5 + 0.5 * sigmoid(h.character));
                        Money::from_fen((partial * 100.0).floor() as i64).min(due)
                    };
                    if pay.is_positive() {
                        let rid =
                            RepaymentId::parse(&format!("{}-{}", a.id, date.format("%Y%m%d"))).expect("ids are codes");
                        let event = DatedEvent { date, event: LoanEvent::Repaid { id: rid, amount: pay } };
                        if a.servicer.apply(&event).is_ok() {
                            st.cash -= pay.fen() as f64 / 100.0;
                            last_pay = Some(date);
                            t.transactions.push(txn(&st.id, date, -pay, "loan", &ctx.bank, &a.id));
                        }
                    }
                    let standing = a.servicer.standing();
                    a.max_dpd = a.max_dpd.max(standing.dpd);
                    t.repayments.push(RepaymentRow {
                        loan_id: a.id.clone(),
                        date,
                        amount_due: due,
                        amount_paid: pay,
                        dpd_after: standing.dpd,
                        class_after: standing.class.code(),
                        synthetic: true,
                    });
                }
                a.servicer.advance_to(end);
                let dpd = a.servicer.standing().dpd;
                a.max_dpd = a.max_dpd.max(dpd);
                // A loss-class loan whose collection has failed for two years is written off the balance sheet.
                if dpd >= WRITE_OFF_DPD && a.servicer.status() != LoanStatus::WrittenOff {
                    let reason = "loss class: collection exhausted".to_string();
                    let event = LoanEvent::WrittenOff { reason, approver: "rcc".into() };
                    // A refusal leaves the loan on the book, which the output then shows.
                    let _ = a.servicer.apply(&DatedEvent { date: end, event });
                }
            }
            // Surplus cash beyond three months of spending and what the bank is owed repays relatives, half at a time:
            // the bank comes first, since a default there costs the household its credit.
            if st.family_debt > 0.0 {
                let owed_to_bank: f64 =
                    st.loans.iter().map(|a| a.servicer.principal_outstanding().fen() as f64 / 100.0).sum();
                let surplus = st.cash - 3.0 * planned - owed_to_bank;
                if surplus > 0.0 {
                    let repaid = (0.5 * surplus).min(st.family_debt);
                    st.family_debt -= repaid;
                    st.cash -= repaid;
                }
            }
            let worst = st
                .loans
                .iter()
                .filter(|a| !matches!(a.servicer.status(), LoanStatus::Closed))
                .map(|a| a.servicer.standing().dpd)
                .max();
            if let Some(dpd) = worst {
                village_borrowers += 1;
                if dpd >= 90 {
                    village_90 += 1;
                }
            }
            st.current = worst.is_none_or(|d| d == 0);
        }
        share_90 = if village_borrowers > 0 { f64::from(village_90) / f64::from(village_borrowers) } else { 0.0 };
    }

    // Loans at the end of the horizon.
    let horizon_end = month_end(prices, config.months - 1);
    t.crop_observations = crop_observations(ctx, v, &members, &harvest_losses, horizon_end);
    for st in &mut state {
        for a in st.loans.drain(..) {
            finish(a, horizon_end, &mut t);
        }
    }
    for (i, h) in members.iter().enumerate() {
        if drought_hit[i] {
            t.shock_households.push(ShockHouseholdRow { scenario: "S1", household_id: h.id.clone(), synthetic: true });
        }
        if county.index == ctx.plan.disease.iter().find(|d| d.4 == "S4").map_or(u32::MAX, |d| d.0)
            && h.fattening_pigs > 0
        {
            t.shock_households.push(ShockHouseholdRow { scenario: "S4", household_id: h.id.clone(), synthetic: true });
        }
        if ctx.plan.employment.iter().any(|e| e.4 == "S6" && e.0 == county.index) && h.migrants > 0 {
            t.shock_households.push(ShockHouseholdRow { scenario: "S6", household_id: h.id.clone(), synthetic: true });
        }
        if ctx.plan.rain_county == Some(county.index) && h.seasons.iter().any(|s| s.commodity == Some(Commodity::Wheat))
        {
            t.shock_households.push(ShockHouseholdRow { scenario: "S2", household_id: h.id.clone(), synthetic: true });
        }
    }
    t
}

/// The satellite series over the village's crops (every distinct crop season its households grow), from a
/// stream of its own so that the other tables do not change with it.
fn crop_observations(
    ctx: &Context<'_>,
    v: u32,
    members: &[&Household],
    losses: &[satellite::HarvestLoss],
    horizon_end: Date,
) -> Vec<CropObservationRow> {
    let mut seasons: Vec<satellite::CropSeason> = Vec::new();
    for s in members.iter().flat_map(|h| &h.seasons) {
        let season = satellite::CropSeason {
            crop: s.crop.map_or("fruit", |c| c.code()),
            sow_month: s.sow_month,
            harvest_month: s.harvest_month,
        };
        if !seasons.contains(&season) {
            seasons.push(season);
        }
    }
    seasons.sort_by_key(|s| (s.crop, s.sow_month, s.harvest_month));
    let mut rng = ctx.root.derive_named("satellite").derive(u64::from(v));
    let village = &ctx.world.villages[v as usize];
    satellite::observe(&village.code, &seasons, losses, month_date(ctx.prices, 0, 1), horizon_end, &mut rng)
}

/// Writes a loan's final state (as of `date`, or its closing) into its row.
fn finish(a: Active, date: Date, t: &mut Tables) {
    let s = a.servicer.into_state(date);
    let row = &mut t.loans[a.row];
    row.status_at_end = s.status.code();
    row.dpd_at_end = s.standing.dpd;
    row.class_at_end = s.standing.class.code();
    row.max_dpd = a.max_dpd.max(s.standing.dpd);
    row.principal_outstanding_at_end = s.principal_outstanding.to_string();
}

/// The one place simulated cash (a behavioural quantity in yuan, f64) becomes money: rounded to the fen.
fn to_money(yuan: f64) -> Money {
    Money::from_fen((yuan * 100.0).round() as i64)
}

fn txn(
    household: &Arc<str>,
    date: Date,
    amount: Money,
    kind: &'static str,
    counterparty: &Arc<str>,
    loan: &Arc<str>,
) -> TransactionRow {
    TransactionRow {
        household_id: Arc::clone(household),
        date,
        amount,
        counterparty_type: kind,
        counterparty_id: Arc::clone(counterparty),
        loan_id: Arc::clone(loan),
        synthetic: true,
    }
}

/// Applies for, decides and books a loan in the sowing month; records the application, bureau report, proceeds
/// trail and (if any) diversion.
#[allow(clippy::too_many_arguments)]
fn originate(
    ctx: &Context<'_>,
    h: &Household,
    rating: &Rating,
    st: &mut Running,
    rng: &mut Rng,
    m: u32,
    date: Date,
    lpr: f64,
    village: u32,
    seq: u32,
    in_ring: bool,
    t: &mut Tables,
) {
    let config = ctx.config;
    let app_id = format!("A{:05}-{:04}", village, seq);
    let season = h.credit_season();
    let input_cost = season.map_or(20_000.0, |s| s.area_mu * s.cost_per_mu);
    let in_group = h.group.is_some();
    let bias = if h.head_female { config.fairness.historical_decision_bias } else { 0.0 };
    let approved = (rating.credit_household || in_group) && !rng.chance(bias);
    let cap = if rating.credit_household { rating.limit_yuan as f64 } else { 50_000.0 };
    let (product, crop) = if h.fattening_pigs >= 20 {
        (ProductKind::LivestockBatch, None)
    } else if h.business {
        (ProductKind::EqualInstallment, None)
    } else if rng.chance(config.lending.revolving_share) && rating.credit_household {
        (ProductKind::Revolving, None)
    } else {
        match season.and_then(|s| s.crop.map(|c| (c, s.region))) {
            Some((c, r)) if ctx.calendar.season(c, r).is_ok() => (ProductKind::HarvestBullet, Some((c, r))),
            _ => (ProductKind::InterestOnly, None),
        }
    };
    let wanted = match product {
        ProductKind::LivestockBatch => f64::from(h.fattening_pigs) * rng.range(1_000.0, 1_500.0),
        ProductKind::EqualInstallment => rng.range(20_000.0, 80_000.0),
        ProductKind::Revolving => cap.max(10_000.0),
        // Seasonal loans cover 60–100% of the season's inputs.
        _ => input_cost * rng.range(0.6, 1.0),
    };
    // Needs under the minimum are met from savings, relatives and supplier credit, and a household whose savings
    // still hold a year's income after buying its inputs finances itself: neither applies.
    if !in_ring && (wanted < MIN_APPLICATION_YUAN || st.cash >= h.expected_income()) {
        return;
    }
    // The lender caps every loan by repayment capacity: half a year's expected income plus a third of savings.
    let capacity = 0.5 * h.expected_income() + (h.deposits_yuan - h.debts_other_yuan).max(0.0) / 3.0;
    let amount = (wanted.min(cap.max(3_000.0)).min(capacity.max(3_000.0)) / 100.0).round().max(30.0) * 100.0;
    // The true purpose: productive, unless a life event pulls the money away.
    let life_event = st.life_event_month.is_some_and(|e| m.abs_diff(e) <= 2);
    let p_div = config.behaviour.diversion_base
        + if life_event { 0.10 } else { 0.0 }
        + if h.character < -1.0 { 0.05 } else { 0.0 };
    let diverting = in_ring || rng.chance(p_div);
    let productive = match product {
        ProductKind::LivestockBatch => text::Purpose::Livestock,
        ProductKind::EqualInstallment => text::Purpose::SmallBusiness,
        _ => text::Purpose::CropInputs,
    };
    let true_purpose = if diverting && !in_ring {
        *rng.pick(&[
            text::Purpose::HouseBuilding,
            text::Purpose::Wedding,
            text::Purpose::Medical,
            text::Purpose::DebtRepayment,
        ])
    } else {
        productive
    };
    let stated = if diverting { text::stated_purpose(true_purpose, true, rng) } else { productive };
    let stated = if stated.is_productive() { productive } else { stated };
    let crop_zh = crop.map(|(c, _)| c.name_zh());
    let purpose_text = text::purpose_text(stated, crop_zh, amount as i64, rng);
    // Bureau report taken at application.
    t.bureau.push(BureauRow {
        household_id: h.id.clone(),
        report_date: date.to_string(),
        has_record: !h.thin_file,
        open_accounts: if h.thin_file { 0 } else { rng.int(0, 3) as u32 },
        inquiries_6m: rng.int(0, 2) as u32 + u32::from(h.debts_other_yuan > 0.0),
        worst_dpd_24m: h.max_dpd_24m,
        other_balance: yuan(h.debts_other_yuan),
        synthetic: true,
    });
    let mut request = TermsRequest::new(
        product.code(),
        &format!("{amount:.0}"),
        &format!("{:.4}", lpr + spread(rating)),
        &date.to_string(),
    );
    match product {
        ProductKind::HarvestBullet => {
            if let Some((c, r)) = crop {
                request.crop = Some(c.code().into());
                request.region = Some(r.code().into());
            }
        }
        ProductKind::LivestockBatch => {
            // Batches are sold five and eleven months after sowing; principal is due the month after each sale.
            request.term_months = Some(12);
            request.batch_months = Some(vec![6, 12]);
        }
        ProductKind::Revolving => {
            request.term_months = Some(36);
            request.draw_term_months = Some(11);
        }
        _ => request.term_months = Some(12),
    }
    let terms = LoanTerms::new(&request, &ctx.calendar);
    let (decision, loan_id) = match (&terms, approved) {
        (Ok(_), true) => ("approved", format!("L{:05}-{:04}", village, seq)),
        _ => ("declined", String::new()),
    };
    t.applications.push(ApplicationRow {
        application_id: app_id.clone(),
        household_id: h.id.clone(),
        applied_on: date.to_string(),
        product,
        amount_requested: yuan(amount),
        stated_purpose: stated.code(),
        purpose_text,
        decision,
        loan_id: loan_id.clone(),
        synthetic: true,
    });
    let (Ok(terms), true) = (terms, approved) else { return };
    let loan = Loan::new(terms.clone(), ClassificationRules::CBIRC_2023);
    let mut servicer = loan.servicer();
    let draw = if product == ProductKind::Revolving {
        // A line is the household's working capital: it draws the year's inputs and three months of spending.
        let year_inputs: f64 = h.seasons.iter().map(|s| s.area_mu * s.cost_per_mu).sum();
        let need = year_inputs * rng.range(0.6, 1.0) + 0.25 * h.expected_income() * 0.75;
        to_money(need.clamp(1_000.0, amount))
    } else {
        terms.principal()
    };
    let events = [
        DatedEvent { date, event: LoanEvent::Approved { by: "rcc".into() } },
        DatedEvent { date, event: LoanEvent::Disbursed { amount: draw } },
    ];
    if events.iter().any(|e| servicer.apply(e).is_err()) {
        return;
    }
    let drawn = draw.fen() as f64 / 100.0;
    st.cash += drawn;
    let loan_ref: Arc<str> = Arc::from(loan_id.as_str());
    t.transactions.push(txn(&st.id, date, draw, "loan", &ctx.bank, &loan_ref));
    // Use of proceeds within 14 days.
    let diverted_share = if diverting { rng.range(0.3, 1.0) } else { 0.0 };
    // The two uses of the proceeds sum exactly to the draw.
    let diverted = to_money(drawn * diverted_share);
    let invested = draw - diverted;
    let spend_day = |d: i64| date + chrono::Duration::days(d);
    if diverted_share > 0.0 {
        let kind = *rng.pick(&["transfer_person", "consumer", "real_estate", "other_lender"]);
        let counterparty: Arc<str> = if in_ring {
            Arc::clone(&ctx.plan.ring_counterparty)
        } else {
            Arc::from(format!("CP-{}", rng.int(10_000, 99_999)))
        };
        t.transactions.push(txn(&st.id, spend_day(rng.int(1, 14)), -diverted, kind, &counterparty, &loan_ref));
        st.cash -= drawn * diverted_share;
        st.diversion_penalty = 0.5 * diverted_share;
    }
    if diverted_share < 1.0 {
        let supplier: Arc<str> = Arc::from(format!("AG-{}", rng.int(100, 999)));
        t.transactions.push(txn(&st.id, spend_day(rng.int(1, 14)), -invested, "agri_input", &supplier, &loan_ref));
    }
    let maturity = servicer.installments().iter().map(|i| i.due_date).max().unwrap_or(date);
    t.loan_truth.push(LoanTruthRow {
        loan_id: loan_id.clone(),
        true_purpose: true_purpose.code(),
        diverted: diverting,
        diverted_share: share(diverted_share),
        synthetic: true,
    });
    t.loans.push(LoanRow {
        loan_id: loan_id.clone(),
        household_id: h.id.clone(),
        application_id: app_id,
        product,
        principal: terms.principal().to_string(),
        annual_rate: terms.annual_rate().to_string(),
        start_date: date.to_string(),
        maturity_date: maturity.to_string(),
        collateral: if rating.credit_household { "credit-only" } else { "group" },
        crop: crop.map_or(String::new(), |(c, _)| c.code().to_string()),
        status_at_end: "active",
        dpd_at_end: 0,
        class_at_end: "normal",
        max_dpd: 0,
        principal_outstanding_at_end: terms.principal().to_string(),
        synthetic: true,
    });
    // Closed loans leave the household's running list with their final state written.
    let (closed, open) = std::mem::take(&mut st.loans)
        .into_iter()
        .partition::<Vec<_>, _>(|a| matches!(a.servicer.status(), LoanStatus::Closed));
    st.loans = open;
    for a in closed {
        finish(a, date, t);
    }
    st.loans.push(Active { id: loan_ref, servicer, max_dpd: 0, row: t.loans.len() - 1 });
}

/// Days past due at which the lender writes a loan off: two years in the loss class, which starts after 360 days.
const WRITE_OFF_DPD: u32 = 1080;

/// The smallest need worth a loan application (a day's travel and paperwork at the branch), yuan.
const MIN_APPLICATION_YUAN: f64 = 10_000.0;

/// The spread over LPR by grade; households below B borrow only in a joint-liability group, at LPR + 3%.
fn spread(rating: &Rating) -> f64 {
    match rating.grade {
        "AAA" => 0.010,
        "AA" => 0.015,
        "A" => 0.020,
        "B" => 0.025,
        _ => 0.030,
    }
}

fn household_tables(ctx: &Context<'_>, members: &[&Household], ratings: &[&Rating], rng: &mut Rng, t: &mut Tables) {
    let world = ctx.world;
    let prices = ctx.prices;
    let mut resident = 0u32;
    for (h, r) in members.iter().zip(ratings) {
        let village = &world.villages[h.village as usize];
        t.households.push(HouseholdRow {
            household_id: h.id.clone(),
            village_code: village.code.clone(),
            size: h.size,
            labourers: h.labourers,
            dependants: h.dependants,
            head_age: h.head_age,
            head_gender: if h.head_female { "F" } else { "M" },
            education_years: h.education_years,
            minority: h.minority,
            land_contracted_mu: format!("{:.1}", h.land_contracted_mu),
            land_rented_mu: format!("{:.1}", h.land_rented_mu),
            crops: h.seasons.iter().map(|s| s.crop.map_or("fruit", |c| c.code())).collect::<Vec<_>>().join(";"),
            sows: h.sows,
            fattening_pigs: h.fattening_pigs,
            cattle: h.cattle,
            migrants: h.migrants,
            business: h.business,
            coop_member: h.coop_member,
            insured: h.insurance != world::Cover::None,
            insurance_cover: h.insurance.code(),
            rcc_shares: yuan(h.rcc_shares_yuan),
            deposits: yuan(h.deposits_yuan),
            house_value: yuan(h.house_value_yuan),
            machinery_value: yuan(h.machinery_value_yuan),
            debts_other: yuan(h.debts_other_yuan),
            group_id: h.group.map_or(String::new(), |g| world.groups[g as usize].id.clone()),
            synthetic: true,
        });
        t.household_truth.push(HouseholdTruthRow {
            household_id: h.id.clone(),
            character: share(h.character),
            village_cohesion: share(village.cohesion),
            synthetic: true,
        });
        t.ratings.push(RatingRow {
            household_id: h.id.clone(),
            rated_on: month_date(prices, 0, 1).to_string(),
            score: r.score,
            grade: r.grade,
            credit_household: r.credit_household,
            limit: yuan(r.limit_yuan as f64),
            synthetic: true,
        });
        // Members: the head, a spouse for households of two or more, then children and parents.
        let start_year = prices.year_month(0).0;
        for n in 0..h.size {
            let (relation, age, female) = match n {
                0 => ("户主", h.head_age, h.head_female),
                1 => ("配偶", h.head_age.saturating_sub(2), !h.head_female),
                k if k < 2 + h.dependants => ("子女", rng.int(1, 25) as u32, rng.chance(0.48)),
                _ => ("父母", h.head_age + 25, rng.chance(0.5)),
            };
            let birth_year = start_year - age as i32;
            t.members.push(MemberRow {
                household_id: h.id.clone(),
                member_no: n + 1,
                relation,
                name: text::person_name(rng, female),
                gender: if female { "F" } else { "M" },
                birth_year,
                // Area "99" + the village (no real area); the order number counts the village's residents, so
                // two residents share an ID only if they also share a birthday and their counts differ by 500.
                national_id: world::synthetic_national_id(
                    &format!("99{:04}", village.index % 10_000),
                    birth_year,
                    rng.int(1, 365) as u32,
                    resident,
                    female,
                ),
                phone: if n == 0 { world::synthetic_phone(rng) } else { String::new() },
                synthetic: true,
            });
            resident += 1;
        }
    }
}
