//! `agririsk privacy retention | erase`: the command-line face of `app::privacy`. Erasures are written as the
//! operating-system user, like every write of the command line.

use app::privacy::{EraseOutcome, EraseRequest, RetentionReport};
use domain::{Clock, Date};
use store::ErasureRecord;

use crate::Place;
use crate::args::{Format, PrivacyCommand};
use crate::error::CliError;
use crate::profile::require_data;
use crate::table::{Align, Table};
use crate::{SystemClock, emit, print_json, with_store};

fn as_of(text: Option<&str>) -> Result<Date, CliError> {
    match text {
        Some(text) => domain::parse_date(text).map_err(|e| CliError::input("as-of", e)),
        None => Ok(SystemClock.today()),
    }
}

/// Runs a privacy command.
pub async fn run(command: PrivacyCommand, at: &Place) -> Result<(), CliError> {
    match command {
        PrivacyCommand::Retention { as_of: on, format } => {
            let on = as_of(on.as_deref())?;
            require_data(at)?;
            let report = with_store(at, async |store| Ok(app::privacy::retention_report(store, on).await?)).await?;
            match format {
                Format::Json => print_json(&report),
                Format::Table => emit(&retention_text(&report)),
            }
        }
        PrivacyCommand::Erase { household, reason, as_of: on, override_hold, format } => {
            let on = on.as_deref().map(|text| as_of(Some(text))).transpose()?;
            let request = EraseRequest::new(&household, &reason, on, SystemClock.today(), override_hold.as_deref())?;
            require_data(at)?;
            let outcome = with_store(at, async |store| Ok(app::privacy::erase(store, &request).await?)).await?;
            match format {
                Format::Json => print_json(&outcome),
                Format::Table => emit(&erase_text(&outcome)),
            }
        }
    }
}

fn retention_text(r: &RetentionReport) -> String {
    let mut out = format!(
        "retention as of {}: {} households on file, {} past retention with personal data stored, {} held, {} with \
         none left\n",
        r.as_of,
        r.households,
        r.past.len(),
        r.held_households,
        r.nothing_left
    );
    let mut held = Table::new(&[("held by", Align::Left), ("households", Align::Right)]);
    for (rule, count) in &r.held {
        held.row(vec![(*rule).to_string(), count.to_string()]);
    }
    out.push_str(&held.render());
    if !r.past.is_empty() {
        let mut past = Table::new(&[("past retention", Align::Left), ("since", Align::Left)]);
        for p in &r.past {
            past.row(vec![p.household_id.clone(), p.since.map_or_else(|| "-".to_string(), |d| d.to_string())]);
        }
        out.push_str(&past.render());
    }
    out
}

fn rows_text(e: &ErasureRecord) -> String {
    e.rows.iter().map(|(source, n)| format!("{source} {n}")).collect::<Vec<_>>().join(", ")
}

fn erase_text(outcome: &EraseOutcome) -> String {
    match outcome {
        EraseOutcome::Erased { erasure: e, overridden } => {
            let rule = match overridden {
                Some(rule) => format!("hold {rule} overridden"),
                None => format!("past retention ({})", e.rule),
            };
            format!(
                "household {}: personal data erased (rows: {}); {rule}; erasure {} by {} at {}\n",
                e.household_id,
                rows_text(e),
                e.erasure_id,
                e.actor,
                e.erased_at
            )
        }
        EraseOutcome::NothingLeft { earlier: Some(e) } => format!(
            "household {}: no personal data left to erase (erased at {} by {}); nothing was done\n",
            e.household_id, e.erased_at, e.actor
        ),
        EraseOutcome::NothingLeft { earlier: None } => {
            "no personal data of the household is stored; nothing was done\n".to_string()
        }
    }
}
