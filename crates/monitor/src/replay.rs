//! What a day's run changes, given the alerts open before it: which alerts to raise (a borrower and cause with no
//! open alert, or an open one whose tier the day's signals raise) and which to resolve (an open alert whose cause no
//! longer signals, once it has been open [`crate::config::CombineConfig::resolve_after_days`]). The stored run
//! applies the plan to the alert register; [`Replay`] applies it in memory, so a candidate configuration can be
//! scored over a period without writing an alert (a dry run), with the very same rules.

use std::collections::{BTreeMap, HashMap};

use domain::{Date, Timestamp};

use crate::alert::{Cause, NewAlert, Tier};
use crate::book::Book;
use crate::config::MonitorConfig;
use crate::engine::{DayAssessment, assess_day};
use crate::evaluate::AlertSpan;

/// An alert open before the day, as the plan needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAlert {
    /// Its number.
    pub alert_id: i64,
    /// Its tier now.
    pub tier: Tier,
    /// The day it was raised.
    pub raised_on: Date,
}

/// The open alerts by household and cause.
pub type OpenAlerts = HashMap<(String, Cause), OpenAlert>;

/// What a day's run writes.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPlan {
    /// The day.
    pub day: Date,
    /// Alerts to raise: new ones, and open ones whose tier goes up.
    pub raise: Vec<NewAlert>,
    /// Open alerts to resolve, with the reason.
    pub resolve: Vec<(i64, String)>,
}

/// The reason recorded on an alert the run resolves.
pub fn resolve_reason(cause: Cause, days: u32) -> String {
    format!("{}信号已消失（开启满{}天后复核）：由监测批处理自动解除", cause.label_zh(), days)
}

/// Plans a day from its assessment and the alerts open before it.
pub fn plan_day(assessment: &DayAssessment, open: &OpenAlerts, config: &MonitorConfig) -> DayPlan {
    let mut raise = Vec::new();
    let mut signalled: HashMap<(&str, Cause), ()> = HashMap::new();
    for alert in &assessment.alerts {
        signalled.insert((alert.household_id.as_str(), alert.cause), ());
        match open.get(&(alert.household_id.as_str().to_string(), alert.cause)) {
            Some(o) if o.tier >= alert.tier => {}
            _ => raise.push(alert.clone()),
        }
    }
    let after = chrono::Duration::days(i64::from(config.combine.resolve_after_days));
    let mut resolve: BTreeMap<i64, String> = BTreeMap::new();
    for ((household, cause), o) in open {
        if !signalled.contains_key(&(household.as_str(), *cause)) && o.raised_on + after <= assessment.day {
            resolve.insert(o.alert_id, resolve_reason(*cause, config.combine.resolve_after_days));
        }
    }
    DayPlan { day: assessment.day, raise, resolve: resolve.into_iter().collect() }
}

/// A run over days kept in memory: the alerts it would have stored, for a dry run and for tests.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    open: OpenAlerts,
    spans: Vec<AlertSpan>,
    index: HashMap<i64, usize>,
}

impl Replay {
    /// An empty replay.
    pub fn new() -> Replay {
        Replay::default()
    }

    /// Runs one day: assesses the book, plans, and applies the plan as the register would.
    pub fn run_day(&mut self, book: &Book, day: Date, config: &MonitorConfig, at: &Timestamp) -> DayPlan {
        let assessment = assess_day(book, day, config, at);
        let plan = plan_day(&assessment, &self.open, config);
        for alert in &plan.raise {
            let key = (alert.household_id.as_str().to_string(), alert.cause);
            match self.open.get_mut(&key) {
                Some(o) => {
                    o.tier = alert.tier;
                    if let Some(&i) = self.index.get(&o.alert_id) {
                        self.spans[i].tiers.push((day, alert.tier));
                    }
                }
                None => {
                    let alert_id = self.spans.len() as i64 + 1;
                    self.index.insert(alert_id, self.spans.len());
                    self.spans.push(AlertSpan {
                        household_id: key.0.clone(),
                        cause: alert.cause,
                        raised_on: day,
                        tiers: vec![(day, alert.tier)],
                        closed_on: None,
                    });
                    self.open.insert(key, OpenAlert { alert_id, tier: alert.tier, raised_on: day });
                }
            }
        }
        for (alert_id, _) in &plan.resolve {
            if let Some(&i) = self.index.get(alert_id) {
                let span = &mut self.spans[i];
                span.closed_on = Some(day);
                self.open.remove(&(span.household_id.clone(), span.cause));
            }
        }
        plan
    }

    /// The alerts so far, in the order raised.
    pub fn spans(&self) -> &[AlertSpan] {
        &self.spans
    }
}
