//! Repayment capacity, collateral and the household's exposure to markets and its environment.
//!
//! Expected farm income follows the causal chain of `shared/domain/synthetic-population.md` §6: area × yield ×
//! price − cost. Yields and costs are the specification's national figures ([`AGRONOMY`]); the expected price is
//! the trailing 12-month mean of the commodity's known monthly prices, so the figure moves with the market as of D
//! and never with a price not yet known.

use crate::catalogue::Feature as F;
use crate::engine::RowValues;
use crate::history::{debt_service_yuan, in_window, yuan};
use crate::input::{Commodity, FarmCrop, InsuranceCover};
use crate::known::KnownRecords;
use crate::snapshot::Snapshot;

/// Agronomic constants of one crop season.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agronomy {
    /// The crop.
    pub crop: FarmCrop,
    /// The commodity its harvest sells as (`None`: orchards, sold at [`FRUIT_PRICE_YUAN_PER_KG`]).
    pub commodity: Option<Commodity>,
    /// National mean potential yield, kg/mu (NBS 2023 via synthetic-population.md §2).
    pub yield_kg_per_mu: f64,
    /// Input cost of the season, yuan/mu: the mid-point 900 yuan/mu of a year's grain cost split over the seasons
    /// (3,000–5,000 mid-point for orchards).
    pub cost_yuan_per_mu: f64,
    /// Share of the household's land the season covers (orchards cover 40% of it).
    pub area_share: f64,
}

/// The agronomy table, one entry per [`FarmCrop`].
pub const AGRONOMY: [Agronomy; 8] = [
    agronomy(FarmCrop::WinterWheat, Some(Commodity::Wheat), 385.0, 495.0, 1.0),
    agronomy(FarmCrop::SummerMaize, Some(Commodity::Maize), 435.0, 405.0, 1.0),
    agronomy(FarmCrop::SingleRice, Some(Commodity::Paddy), 476.0, 630.0, 1.0),
    agronomy(FarmCrop::EarlyRice, Some(Commodity::Paddy), 400.0, 540.0, 1.0),
    agronomy(FarmCrop::LateRice, Some(Commodity::Paddy), 420.0, 540.0, 1.0),
    agronomy(FarmCrop::SpringMaize, Some(Commodity::Maize), 520.0, 810.0, 1.0),
    agronomy(FarmCrop::Soybean, Some(Commodity::Soybean), 130.0, 810.0, 1.0),
    agronomy(FarmCrop::Fruit, None, 2_000.0, 4_000.0, 0.4),
];

const fn agronomy(crop: FarmCrop, commodity: Option<Commodity>, y: f64, cost: f64, area_share: f64) -> Agronomy {
    Agronomy { crop, commodity, yield_kg_per_mu: y, cost_yuan_per_mu: cost, area_share }
}

/// Share of the potential yield a farmer expects in an average year, after the usual weather losses.
pub const EXPECTED_YIELD_SHARE: f64 = 0.95;
/// The price orchards are assumed to sell at, yuan/kg.
pub const FRUIT_PRICE_YUAN_PER_KG: f64 = 4.0;
/// Yearly rent on land rented in, yuan/mu (mid-point of 300–800).
pub const RENT_YUAN_PER_MU: f64 = 550.0;
/// Yearly off-farm income per migrant, yuan (4,750 a month for 10 months).
pub const MIGRANT_INCOME_YUAN: f64 = 47_500.0;
/// Yearly income of a small business, yuan.
pub const BUSINESS_INCOME_YUAN: f64 = 10_000.0;

/// The agronomy entry of a crop.
pub fn agronomy_of(crop: FarmCrop) -> &'static Agronomy {
    AGRONOMY.iter().find(|a| a.crop == crop).expect("AGRONOMY has an entry for every FarmCrop")
}

/// Expected yearly net farm income at the prices known as of the snapshot (`None` if a price is unknown).
fn harvest_value_yuan(known: &KnownRecords, snapshot: &Snapshot) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    let h = known.household;
    let land = h.land_contracted_mu.to_f64().unwrap_or(0.0) + h.land_rented_mu.to_f64().unwrap_or(0.0);
    let mut value = -h.land_rented_mu.to_f64().unwrap_or(0.0) * RENT_YUAN_PER_MU;
    for crop in &h.crops {
        let a = agronomy_of(*crop);
        let price = match a.commodity {
            Some(c) => snapshot.price(c).expected_price?,
            None => FRUIT_PRICE_YUAN_PER_KG,
        };
        let area = land * a.area_share;
        value += area * (a.yield_kg_per_mu * EXPECTED_YIELD_SHARE * price - a.cost_yuan_per_mu);
    }
    Some(value)
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Static household, capacity, collateral, market and environment features.
pub(crate) fn write(known: &KnownRecords, snapshot: &Snapshot, out: &mut RowValues) {
    use rust_decimal::prelude::ToPrimitive;
    let h = known.household;
    let as_of = known.as_of;
    out.set(F::SizePersons, Some(f64::from(h.size)));
    out.set(F::LabourersPersons, Some(f64::from(h.labourers)));
    out.set(F::DependantsPersons, Some(f64::from(h.dependants)));
    out.set(F::MigrantsPersons, Some(f64::from(h.migrants)));
    out.set(F::EducationYears, Some(f64::from(h.education_years)));
    out.set(F::LandContractedMu, h.land_contracted_mu.to_f64());
    out.set(F::LandRentedMu, h.land_rented_mu.to_f64());
    out.set(F::FatteningPigsHead, Some(f64::from(h.fattening_pigs)));
    out.set(F::SowsHead, Some(f64::from(h.sows)));
    out.set(F::CattleHead, Some(f64::from(h.cattle)));
    out.set(F::HasBusiness, Some(flag(h.business)));
    out.set(F::IsCoopMember, Some(flag(h.coop_member)));

    let harvest = harvest_value_yuan(known, snapshot);
    let offfarm = f64::from(h.migrants) * MIGRANT_INCOME_YUAN + if h.business { BUSINESS_INCOME_YUAN } else { 0.0 };
    let income = harvest.map(|v| v + offfarm);
    let service = debt_service_yuan(known);
    out.set(F::HarvestValueExpectedYuan, harvest);
    out.set(F::OfffarmIncomeProxyYuan, Some(offfarm));
    out.set(F::IncomeExpectedYuan, income);
    out.set(F::DebtServiceAnnualYuan, Some(service));
    out.set(F::DebtServiceRatio, income.filter(|i| *i > 0.0).map(|i| service / i));
    out.set(F::DebtsOtherYuan, Some(yuan(h.debts_other)));

    out.set(F::HouseValueYuan, Some(yuan(h.house_value)));
    out.set(F::MachineryValueYuan, Some(yuan(h.machinery_value)));
    out.set(F::RccSharesYuan, Some(yuan(h.rcc_shares)));
    out.set(F::DepositsYuan, Some(yuan(h.deposits)));
    out.set(F::IsGroupMember, Some(flag(h.group_id.is_some())));
    out.set(F::IsInsured, Some(flag(h.insured)));
    out.set(F::InsuranceCoverCost, Some(flag(h.insurance_cover == Some(InsuranceCover::Cost))));
    out.set(F::InsuranceCoverIncome, Some(flag(h.insurance_cover == Some(InsuranceCover::Income))));
    let claims = || known.insurance_claims.iter().filter(|c| in_window(c.harvest_month.last_day(), as_of, 12));
    out.set(F::Claims12m, Some(claims().count() as f64));
    out.set(F::ClaimsIndemnity12mYuan, Some(claims().map(|c| yuan(c.indemnity)).sum()));

    let main = h.crops.first().and_then(|c| agronomy_of(*c).commodity).map(|c| snapshot.price(c));
    out.set(F::MainPriceTrend3m, main.and_then(|p| p.trend_3m));
    out.set(F::MainPriceTrend12m, main.and_then(|p| p.trend_12m));
    out.set(F::MainPriceVolatility3m, main.and_then(|p| p.volatility_3m));
    out.set(F::MainPriceVolatility12m, main.and_then(|p| p.volatility_12m));
    let hog = (h.fattening_pigs > 0 || h.sows > 0).then(|| snapshot.price(Commodity::Hog));
    out.set(F::HogPriceTrend3m, hog.and_then(|p| p.trend_3m));
    out.set(F::PigGrainRatio, hog.and_then(|p| p.pig_grain_ratio));
    out.set(F::HogAlertLevel, hog.and_then(|p| p.alert_level));

    let env = snapshot.village(&h.village_code);
    out.set(F::VillageIrrigationShare, env.map(|e| e.irrigation_share));
    out.set(F::IsCreditVillage, env.map(|e| flag(e.credit_village)));
    out.set(F::BranchDistanceKm, env.map(|e| e.distance_km));
    out.set(F::WeatherLossMax6m, env.map(|e| e.weather_loss_6m));
    out.set(F::WeatherLossMax12m, env.map(|e| e.weather_loss_12m));
    out.set(F::DiseaseActive, env.map(|e| flag(e.disease_active)));
    out.set(F::DiseaseOutbreak6m, env.map(|e| flag(e.disease_6m)));
    out.set(F::EmploymentShockActive, env.map(|e| flag(e.employment_active)));
    out.set(F::EmploymentIncomeDropShare, env.map(|e| e.employment_drop));
    out.set(F::NewsNegativeShare3m, env.and_then(|e| e.news_negative_share_3m));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crop_has_agronomy() {
        for crop in FarmCrop::ALL {
            assert_eq!(agronomy_of(*crop).crop, *crop);
        }
    }
}
