//! `agririsk policy simulate`: the replay of past applications through a candidate policy (the service layer's
//! `app::policy_sim`), printed as tables or JSON.

use std::collections::BTreeMap;
use std::path::Path;

use app::decisions::{Setup, decider};
use app::policy_sim::{Group, OUTCOME_HORIZON_MONTHS, Results, Simulation, simulate};

use crate::Place;
use crate::args::Format;
use crate::error::CliError;
use crate::table::{Align, Table};
use crate::{emit, print_json, with_reader};

fn percent(rate: Option<f64>) -> String {
    rate.map_or("unknown".to_owned(), |r| format!("{:.2}%", r * 100.0))
}

fn realised_text(g: &Group) -> String {
    match g.realised_bad_rate() {
        Some(r) => format!("{:.2}% of {}", r * 100.0, g.outcome_known),
        None => "unknown".to_owned(),
    }
}

fn groups_table(title: &str, champion: &BTreeMap<String, Group>, candidate: &BTreeMap<String, Group>) -> String {
    let mut table = Table::new(&[
        (if title.is_empty() { "scope" } else { title }, Align::Left),
        ("policy", Align::Left),
        ("apps", Align::Right),
        ("approved", Align::Right),
        ("referred", Align::Right),
        ("approval", Align::Right),
        ("expected bad", Align::Right),
        ("realised bad", Align::Right),
        ("volume (yuan)", Align::Right),
    ]);
    let keys: std::collections::BTreeSet<&String> = champion.keys().chain(candidate.keys()).collect();
    let empty = Group::default();
    for key in keys {
        for (name, groups) in [("champion", champion), ("candidate", candidate)] {
            let g = groups.get(key).unwrap_or(&empty);
            table.row(vec![
                key.clone(),
                name.to_owned(),
                g.applications.to_string(),
                g.approved.to_string(),
                g.referred.to_string(),
                percent(g.approval_rate()),
                percent(g.expected_bad_rate()),
                realised_text(g),
                g.volume.to_string(),
            ]);
        }
    }
    table.render()
}

/// The simulation as text.
pub fn simulation_text(sim: &Simulation) -> String {
    let mut out = format!(
        "replay of {} applications from {} to {}; candidate {}\n",
        sim.replayed, sim.from, sim.to, sim.candidate_file
    );
    let versions: Vec<String> = sim.champion_versions.iter().map(|(v, n)| format!("{v} ({n})")).collect();
    out.push_str(&format!("champion: {}\n", if versions.is_empty() { "-".to_owned() } else { versions.join(", ") }));
    for (code, n) in &sim.skipped {
        out.push_str(&format!("skipped {n} applications: {code}\n"));
    }
    match sim.data_end {
        Some(end) => out.push_str(&format!(
            "realised bad rate: 90+ DPD within {OUTCOME_HORIZON_MONTHS} months of the loan's start, for loans the \
             records (to {end}) follow that long\n"
        )),
        None => out.push_str("realised bad rate: unknown (no repayment records)\n"),
    }
    out.push('\n');
    let total = |r: &Results| BTreeMap::from([("all".to_owned(), r.total.clone())]);
    out.push_str(&groups_table("", &total(&sim.champion), &total(&sim.candidate_results)));
    out.push('\n');
    out.push_str(&groups_table("segment", &sim.champion.by_segment, &sim.candidate_results.by_segment));
    out.push('\n');
    out.push_str(&groups_table("tier", &sim.champion.by_tier, &sim.candidate_results.by_tier));
    out.push('\n');
    let ids = |v: &[String], n: u32| {
        if v.is_empty() {
            String::new()
        } else {
            format!(": {}{}", v.join(", "), if n as usize > v.len() { ", …" } else { "" })
        }
    };
    out.push_str(&format!(
        "newly approved {}{}\nnewly declined {}{}\n",
        sim.swap.newly_approved,
        ids(&sim.swap.newly_approved_ids, sim.swap.newly_approved),
        sim.swap.newly_declined,
        ids(&sim.swap.newly_declined_ids, sim.swap.newly_declined),
    ));
    out
}

/// `agririsk policy simulate`.
pub async fn simulate_command(at: &Place, file: &Path, from: &str, to: &str, format: Format) -> Result<(), CliError> {
    let from = domain::parse_date(from).map_err(|e| CliError::input("from", e))?;
    let to = domain::parse_date(to).map_err(|e| CliError::input("to", e))?;
    let candidate_policy = app::policies::candidate(file)?;
    let (decider, register) = with_reader(at, async |store| {
        let register = app::screening::Register::new(store.screening_snapshot().await?.1);
        Ok((decider(store, &Setup::default()).await?, register))
    })
    .await?;
    let withheld = |household: &str, on| register.withheld(household, on);
    let sim = simulate(&decider, &candidate_policy, &file.display().to_string(), from, to, &withheld)?;
    match format {
        Format::Json => print_json(&sim.json()),
        Format::Table => emit(&simulation_text(&sim)),
    }
}
