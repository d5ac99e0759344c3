//! Policy replay: replays the stored past applications of a date range through the current champion
//! policy and a candidate file, and compares them before the candidate is submitted: approval rates, the swap set
//! (who the candidate newly approves or newly declines), the expected bad rate (mean model PD of the approved), the
//! realised bad rate where the outcome is known, and the approved volume, overall, by segment and by tier.
//!
//! Each application is assessed once (features as of its date, the model's PD) and both policies run over the same
//! assessment, so the comparison isolates the policy. Each replay reads only the sources its household had
//! consented to for credit assessment on the application date, as the register had it then: a source a decision
//! could not have read that day is not read in its replay either. Nothing is written to the store. [`simulate`] serves the
//! command line and the server alike.

use std::collections::BTreeMap;
use std::sync::Arc;

use decide::{ApplicationRequest, Decided, Decider, VersionedPolicy};
use domain::{Date, Money, add_months};
use features::input::{Application, BorrowerRecords};
use serde::Serialize;
use workflow::Outcome;

use crate::error::{Error, ErrorCode};

/// The months after a loan's start over which its outcome is observed (as in the training label).
pub const OUTCOME_HORIZON_MONTHS: u32 = 12;
/// How many application ids of each swap set are listed.
pub const SWAP_EXAMPLES: usize = 5;

/// One group of replayed applications under one policy (everything, a segment or a tier).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    /// Applications in the group.
    pub applications: u32,
    /// Of which approved.
    pub approved: u32,
    /// Of which referred to an officer.
    pub referred: u32,
    /// Sum of the model PD over the approved (the expected bad rate is its mean).
    #[serde(skip)]
    pub pd_sum: f64,
    /// Approved applications whose outcome is known.
    pub outcome_known: u32,
    /// Of which went 90+ days past due within the horizon.
    pub bad: u32,
    /// Sum of the approved amounts.
    pub volume: Money,
}

impl Group {
    fn add(&mut self, decided: &Decided, outcome: Option<bool>) {
        self.applications += 1;
        match decided.outcome {
            Outcome::Approve => {
                self.approved += 1;
                self.pd_sum += decided.pd;
                self.volume = self.volume + decided.terms.amount;
                if let Some(bad) = outcome {
                    self.outcome_known += 1;
                    self.bad += u32::from(bad);
                }
            }
            Outcome::Refer => self.referred += 1,
            Outcome::Decline => {}
        }
    }

    /// Approved share of the applications (`None` for an empty group).
    pub fn approval_rate(&self) -> Option<f64> {
        (self.applications > 0).then(|| f64::from(self.approved) / f64::from(self.applications))
    }

    /// Mean model PD of the approved (`None` when nothing was approved).
    pub fn expected_bad_rate(&self) -> Option<f64> {
        (self.approved > 0).then(|| self.pd_sum / f64::from(self.approved))
    }

    /// Share of the approved with a known outcome that went bad (`None` when no outcome is known).
    pub fn realised_bad_rate(&self) -> Option<f64> {
        (self.outcome_known > 0).then(|| f64::from(self.bad) / f64::from(self.outcome_known))
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "applications": self.applications,
            "approved": self.approved,
            "referred": self.referred,
            "approval_rate": self.approval_rate(),
            "expected_bad_rate": self.expected_bad_rate(),
            "outcome_known": self.outcome_known,
            "bad": self.bad,
            "realised_bad_rate": self.realised_bad_rate(),
            "volume_yuan": self.volume,
        })
    }
}

/// One policy's results over the replayed applications.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// Every replayed application.
    pub total: Group,
    /// By the policy's segment (`-` when the policy set none).
    pub by_segment: BTreeMap<String, Group>,
    /// By tier (`-` for declines, which have no tier).
    pub by_tier: BTreeMap<String, Group>,
}

impl Results {
    fn add(&mut self, decided: &Decided, outcome: Option<bool>) {
        self.total.add(decided, outcome);
        let key = |k: &Option<String>| k.clone().unwrap_or_else(|| "-".to_owned());
        self.by_segment.entry(key(&decided.segment)).or_default().add(decided, outcome);
        self.by_tier.entry(key(&decided.tier)).or_default().add(decided, outcome);
    }

    fn json(&self) -> serde_json::Value {
        let map = |m: &BTreeMap<String, Group>| -> serde_json::Map<String, serde_json::Value> {
            m.iter().map(|(k, g)| (k.clone(), g.json())).collect()
        };
        serde_json::json!({
            "total": self.total.json(),
            "by_segment": map(&self.by_segment),
            "by_tier": map(&self.by_tier),
        })
    }
}

/// The applications whose approval changes under the candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Swap {
    /// Candidate approves, champion did not: how many.
    pub newly_approved: u32,
    /// The first few of their application ids.
    pub newly_approved_ids: Vec<String>,
    /// Champion approved, candidate does not: how many.
    pub newly_declined: u32,
    /// The first few of their application ids.
    pub newly_declined_ids: Vec<String>,
}

/// The comparison of a candidate with the champion over past applications.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// First application date replayed.
    pub from: Date,
    /// Last application date replayed.
    pub to: Date,
    /// The candidate's label (its file).
    pub candidate_file: String,
    /// The champion versions that decided, with how many applications each.
    pub champion_versions: BTreeMap<String, u32>,
    /// Applications replayed.
    pub replayed: u32,
    /// Applications that could not be assessed (e.g. no household head on file), by reason code.
    pub skipped: BTreeMap<String, u32>,
    /// The last date the records reach: outcomes are known for loans started 12 months before it.
    pub data_end: Option<Date>,
    /// Champion results.
    pub champion: Results,
    /// Candidate results.
    pub candidate_results: Results,
    /// The swap set.
    pub swap: Swap,
}

impl Simulation {
    /// The simulation as JSON (amounts as yuan strings, rates as fractions, unknown rates as null).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "from": self.from.to_string(),
            "to": self.to.to_string(),
            "candidate": self.candidate_file,
            "champion_versions": self.champion_versions,
            "replayed": self.replayed,
            "skipped": self.skipped,
            "data_end": self.data_end.map(|d| d.to_string()),
            "outcome_horizon_months": OUTCOME_HORIZON_MONTHS,
            "champion": self.champion.json(),
            "candidate_results": self.candidate_results.json(),
            "swap": self.swap,
        })
    }
}

/// The realised outcome of an application: whether its loan went 90+ days past due within the horizon after the
/// loan's start, if the application led to a loan and the records reach the end of the horizon.
fn realised(records: &BorrowerRecords, application: &Application, data_end: Option<Date>) -> Option<bool> {
    let loan = records.loans.iter().find(|l| Some(&l.loan_id) == application.loan_id.as_ref())?;
    let horizon = i32::try_from(OUTCOME_HORIZON_MONTHS).unwrap_or(12);
    if add_months(loan.start_date, horizon) > data_end? {
        return None;
    }
    features::label(loan.start_date, OUTCOME_HORIZON_MONTHS, records)
}

/// One replayed application.
struct Replayed {
    application_id: String,
    champion: Decided,
    candidate: Decided,
    outcome: Option<bool>,
}

/// What became of one application: replayed, or skipped with the reason code of why it could not be assessed.
enum Replay {
    Done(Box<Replayed>),
    Skipped(String),
}

/// The shipped default policy, for villages no active version serves.
fn default_policy() -> Result<VersionedPolicy, Error> {
    let compiled = policy::default_set::policy().map_err(|e| Error::Internal(e.into()))?;
    VersionedPolicy::new("default (shipped)", Arc::new(compiled)).map_err(|e| Error::Internal(e.into()))
}

/// A candidate policy from its text, checked statically against the shipped input schema and bound to the engine;
/// a failing graph is `policy_check_failed` naming the file (`label`), node, rule and column.
pub fn candidate(label: &str, jdm_json: &str) -> Result<VersionedPolicy, Error> {
    let schema = policy::default_set::schema().map_err(|e| Error::Internal(e.into()))?;
    let failed = |e: &dyn std::fmt::Display| Error::coded(ErrorCode::PolicyCheckFailed, "candidate", e);
    let compiled = policy::load(label, jdm_json, &schema).map_err(|e| failed(&e))?;
    VersionedPolicy::new(label.to_owned(), Arc::new(compiled)).map_err(|e| failed(&e))
}

/// Replays every stored application with a date in `[from, to]` through the champion and `candidate`, neither
/// reading the sources `withheld` gives for the household on the application date.
pub fn simulate(
    decider: &Decider,
    candidate: &VersionedPolicy,
    candidate_label: &str,
    from: Date,
    to: Date,
    withheld: crate::screening::WithheldOn<'_>,
) -> Result<Simulation, Error> {
    if from > to {
        return Err(Error::input("from", format!("{from} is after --to {to}")));
    }
    let fallback = default_policy()?;
    let world = &decider.world;
    let data_end = world.borrowers().iter().flat_map(|b| b.repayments.iter().map(|r| r.date)).max();
    let work: Vec<(&BorrowerRecords, &Application)> = world
        .borrowers()
        .iter()
        .flat_map(|b| b.applications.iter().map(move |a| (b, a)))
        .filter(|(_, a)| (from..=to).contains(&a.applied_on))
        .collect();
    // An application that cannot be assessed is skipped (counted by reason code); a policy that decides terms the
    // lending core cannot take stops the replay: the candidate is refused, a champion has a defect.
    let replay_one = |(records, application): (&BorrowerRecords, &Application)| -> Result<Replay, Error> {
        let mut request = ApplicationRequest::replay(application, &records.loans);
        request.withheld = withheld(&request.household_id, request.applied_on);
        let Some(applicant) = world.applicant(&request.household_id) else {
            return Ok(Replay::Skipped("unknown_applicant".to_owned()));
        };
        let market = world.market(request.applied_on);
        let assessment = match decider.engine.assess(&market.snapshot, &market.social, &request, &applicant) {
            Ok(assessment) => assessment,
            Err(e) => return Ok(Replay::Skipped(e.code.as_str().to_owned())),
        };
        let village = &records.household.village_code;
        let champion_policy =
            decider.lineup.champion(village, &request.product, request.applied_on).unwrap_or(&fallback);
        let champion = decider.engine.decide(champion_policy, &request, &applicant, &assessment).map_err(|e| {
            Error::coded(ErrorCode::NoPolicy, "policy", format!("the champion policy cannot decide: {e}"))
        })?;
        let candidate = decider
            .engine
            .decide(candidate, &request, &applicant, &assessment)
            .map_err(|e| Error::coded(ErrorCode::PolicyCheckFailed, "candidate", e))?;
        Ok(Replay::Done(Box::new(Replayed {
            application_id: application.application_id.clone(),
            champion,
            candidate,
            outcome: realised(records, application, data_end),
        })))
    };
    // Two halves on two threads; the results keep the input order.
    let half = work.len().div_ceil(2).max(1);
    let replayed: Vec<Result<Replay, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks(half)
            .map(|chunk| scope.spawn(|| chunk.iter().copied().map(replay_one).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a replay thread does not panic")).collect()
    });

    let mut sim = Simulation {
        from,
        to,
        candidate_file: candidate_label.to_owned(),
        champion_versions: BTreeMap::new(),
        replayed: 0,
        skipped: BTreeMap::new(),
        data_end,
        champion: Results::default(),
        candidate_results: Results::default(),
        swap: Swap::default(),
    };
    for result in replayed {
        let r = match result? {
            Replay::Done(r) => r,
            Replay::Skipped(code) => {
                *sim.skipped.entry(code).or_default() += 1;
                continue;
            }
        };
        sim.replayed += 1;
        *sim.champion_versions.entry(r.champion.policy_version.clone()).or_default() += 1;
        sim.champion.add(&r.champion, r.outcome);
        sim.candidate_results.add(&r.candidate, r.outcome);
        let (was, is) = (r.champion.outcome == Outcome::Approve, r.candidate.outcome == Outcome::Approve);
        let (count, ids) = match (was, is) {
            (false, true) => (&mut sim.swap.newly_approved, &mut sim.swap.newly_approved_ids),
            (true, false) => (&mut sim.swap.newly_declined, &mut sim.swap.newly_declined_ids),
            _ => continue,
        };
        *count += 1;
        if ids.len() < SWAP_EXAMPLES {
            ids.push(r.application_id);
        }
    }
    Ok(sim)
}
