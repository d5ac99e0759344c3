//! `agririsk profile` and `agririsk export`: the command-line face of the service layer's `app::profile`. This
//! module parses the arguments, opens the key ring and the store, and prints.

use app::profile::{ExportRequest, ProfileRequest};
use domain::{Clock, Date};
use integrate::profile::Profile;

use crate::Place;
use crate::args::{ExportArgs, Format, ProfileArgs};
use crate::error::CliError;
use crate::ingest::keyring;
use crate::table::{Align, Table};
use crate::{SystemClock, emit, print_json, with_reader};

fn as_of(text: Option<&str>) -> Result<Date, CliError> {
    match text {
        Some(text) => domain::parse_date(text).map_err(|e| CliError::input("as-of", e)),
        None => Ok(SystemClock.today()),
    }
}

/// Refuses a data directory without a database: these commands only read, so they never create one.
pub(crate) fn require_data(at: &Place) -> Result<(), CliError> {
    at.require_database("load some with `agririsk ingest`")
}

/// `agririsk profile`.
pub async fn profile_command(at: &Place, args: ProfileArgs) -> Result<(), CliError> {
    let request = ProfileRequest::new(&args.id, as_of(args.as_of.as_deref())?)?;
    let keys = keyring(args.key_file.as_deref())?;
    require_data(at)?;
    let profile = with_reader(at, async |store| app::profile::profile(store, keys, &request).await).await?;
    match args.format {
        Format::Json => print_json(&profile),
        Format::Table => emit(&profile_text(&profile)),
    }
}

/// `agririsk export`.
pub async fn export_command(at: &Place, args: ExportArgs) -> Result<(), CliError> {
    let request = ExportRequest::new(args.pseudonymised, args.scope, args.out.clone())?
        .as_of(args.as_of.as_deref().map(|t| as_of(Some(t))).transpose()?);
    let keys = keyring(args.key_file.as_deref())?;
    require_data(at)?;
    let manifest = with_reader(at, async |store| app::profile::export(store, keys, &request).await).await?;
    let mut table = Table::new(&[("source", Align::Left), ("file", Align::Left), ("rows", Align::Right)]);
    for s in &manifest.sources {
        table.row(vec![s.source.clone(), s.file.clone(), s.rows.to_string()]);
    }
    let versions = manifest.as_of.map_or_else(|| "current versions".to_string(), |d| format!("versions as of {d}"));
    emit(&format!(
        "{}exported {} sources ({versions}) to {} under scope `{}`; personal data pseudonymised, names dropped\n",
        table.render(),
        manifest.sources.len(),
        args.out.display(),
        manifest.scope
    ))
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// The profile as text sections.
pub fn profile_text(p: &Profile) -> String {
    let h = &p.household;
    let mut out = format!(
        "household {} as of {}: {} members ({} labourers, {} dependants), head's schooling {} years, group {}\n",
        h.household_id,
        p.as_of,
        h.size,
        h.labourers,
        h.dependants,
        h.education_years,
        opt(h.group_id.as_deref())
    );
    let mut members = Table::new(&[
        ("no", Align::Right),
        ("relation", Align::Left),
        ("name", Align::Left),
        ("born", Align::Right),
        ("national ID", Align::Left),
        ("phone", Align::Left),
    ]);
    for m in &p.members {
        members.row(vec![
            m.member_no.to_string(),
            m.relation.clone(),
            m.name.clone(),
            m.birth_year.to_string(),
            m.national_id.clone(),
            opt(m.phone.as_deref()),
        ]);
    }
    out.push_str(&members.render());
    if let Some(erasure) = &p.erasure {
        out.push_str(&format!("{} (erased at {})\n", erasure.note, erasure.erased_at));
    }
    let v = &p.village;
    out.push_str(&format!(
        "\nvillage {} {} (county {}, zone {}): credit village {}, irrigation {}, {} km to the branch\n",
        v.village_code,
        opt(v.name.as_deref()),
        opt(v.county_code.as_deref()),
        opt(v.zone.as_deref()),
        v.credit_village.map_or("-", yes),
        opt(v.irrigation_share),
        opt(v.distance_km),
    ));
    let f = &p.farm;
    out.push_str(&format!(
        "farm: {}; land {} mu contracted + {} mu rented; {} sows, {} fattening pigs, {} cattle\n",
        f.crops.join(", "),
        f.land_contracted_mu,
        f.land_rented_mu,
        f.sows,
        f.fattening_pigs,
        f.cattle
    ));
    for plot in &f.plots {
        out.push_str(&format!(
            "  plot {} {} {} {} mu ({}), irrigated {}, yield {} of {} kg/mu expected\n",
            plot.plot_id,
            plot.harvest_month,
            plot.crop,
            plot.area_mu,
            plot.tenure,
            yes(plot.irrigated),
            opt(plot.actual_yield_kg_per_mu),
            plot.expected_yield_kg_per_mu
        ));
    }
    for l in &f.livestock {
        out.push_str(&format!(
            "  {} {}: {} head ({} breeding), {} sold, {} dead\n",
            l.species, l.month, l.stock_head, l.breeding_head, l.sold_head, l.dead_head
        ));
    }
    let i = &p.income;
    out.push_str(&format!(
        "income: {} migrants, business {}, cooperative member {}\n",
        i.migrants,
        yes(i.business),
        yes(i.coop_member)
    ));
    let a = &p.assets;
    out.push_str(&format!(
        "assets: deposits {}, house {}, machinery {}, RCC shares {}; debts: to others {}, bureau balance elsewhere {}\n",
        a.deposits,
        a.house_value,
        a.machinery_value,
        a.rcc_shares,
        a.debts_other,
        opt(a.bureau_other_balance)
    ));
    let ins = &p.insurance;
    out.push_str(&format!(
        "insurance: insured {}, cover {}, {} claims in 12 months ({})\n",
        yes(ins.insured),
        opt(ins.cover.as_deref()),
        ins.claims_12m.len(),
        ins.claims_12m_total
    ));
    for policy in &ins.policies {
        out.push_str(&format!(
            "  policy {} {} {} {}: sum insured {}, premium {}, {} to {}{}\n",
            policy.policy_no,
            policy.insurer,
            policy.cover,
            policy.insured,
            policy.sum_insured,
            policy.premium,
            policy.start_date,
            policy.end_date,
            if policy.in_force { " (in force)" } else { "" }
        ));
    }
    match &p.bureau {
        Some(b) => out.push_str(&format!(
            "bureau ({}): record {}, {} open accounts, {} inquiries in 6 months, worst DPD {} in 24 months, balance {}\n",
            b.report_date,
            yes(b.has_record),
            b.open_accounts,
            b.inquiries_6m,
            b.worst_dpd_24m,
            b.other_balance
        )),
        None => out.push_str("bureau: no report by this date\n"),
    }
    match &p.rating {
        Some(r) => out.push_str(&format!(
            "rating ({}): {} points, grade {}, credit household {}, limit {}\n",
            r.rated_on,
            r.score,
            r.grade,
            yes(r.credit_household),
            r.limit
        )),
        None => out.push_str("rating: none by this date\n"),
    }
    out.push_str(&format!("\nloans started by {}:\n", p.as_of));
    let mut loans = Table::new(&[
        ("loan", Align::Left),
        ("product", Align::Left),
        ("principal", Align::Right),
        ("start", Align::Left),
        ("maturity", Align::Left),
        ("DPD", Align::Right),
        ("worst", Align::Right),
        ("class", Align::Left),
        ("paid", Align::Right),
        ("unpaid", Align::Right),
    ]);
    for l in &p.loans {
        loans.row(vec![
            l.loan_id.clone(),
            l.product.code().to_owned(),
            l.principal.to_string(),
            l.start_date.to_string(),
            l.maturity_date.to_string(),
            l.dpd.to_string(),
            l.worst_dpd.to_string(),
            l.class.clone(),
            l.paid.to_string(),
            l.unpaid.to_string(),
        ]);
    }
    out.push_str(&loans.render());
    let t = &p.transactions_12m;
    out.push_str(&format!(
        "\ntransactions after {} up to {}: in {}, out {}\n",
        t.after, t.until, t.inflows, t.outflows
    ));
    let mut flows = Table::new(&[
        ("counterparty", Align::Left),
        ("count", Align::Right),
        ("inflows", Align::Right),
        ("outflows", Align::Right),
    ]);
    for flow in &t.by_counterparty {
        flows.row(vec![
            flow.counterparty_type.clone(),
            flow.count.to_string(),
            flow.inflows.to_string(),
            flow.outflows.to_string(),
        ]);
    }
    out.push_str(&flows.render());
    if !p.group_peers.is_empty() {
        out.push_str("\ngroup peers:\n");
        let mut peers = Table::new(&[
            ("household", Align::Left),
            ("DPD", Align::Right),
            ("borrowed 12m", Align::Left),
            ("defaulted 12m", Align::Left),
        ]);
        for peer in &p.group_peers {
            peers.row(vec![
                peer.household_id.clone(),
                peer.dpd.to_string(),
                yes(peer.borrowed_12m).to_string(),
                yes(peer.defaulted_12m).to_string(),
            ]);
        }
        out.push_str(&peers.render());
    }
    out.push_str(&format!("\nfeatures as of {}:\n", p.as_of));
    let mut features = Table::new(&[("feature", Align::Left), ("value", Align::Right)]);
    for feature in &p.features {
        let value = feature.formatted();
        features.row(vec![feature.name.to_string(), if value.is_empty() { "-".to_string() } else { value }]);
    }
    out.push_str(&features.render());
    out.push_str(&format!("\nalerts: {}\n", p.alerts.note));
    out
}
