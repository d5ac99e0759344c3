//! `agririsk village credit`: the whole-village pre-credit roster and 信用村 rating of the service layer
//! (`app::village`), printed as a table or JSON.

use app::decisions::{Setup, decider};
use app::screening::Register;
use app::village::{Roster, credit_roster};
use domain::Date;
use rust_decimal::Decimal;

use crate::Place;
use crate::args::Format;
use crate::error::CliError;
use crate::table::{Align, Table};
use crate::{emit, print_json, with_reader};

/// The roster and rating as text.
pub fn roster_text(roster: &Roster) -> String {
    let mut out = format!(
        "village {} whole-village pre-credit as of {} (policy {}, model {})\n\n",
        roster.village,
        roster.on,
        roster.policy_versions.join(", "),
        roster.model.get(..12).unwrap_or(&roster.model),
    );
    let mut table = Table::new(&[
        ("household", Align::Left),
        ("grade", Align::Left),
        ("tier", Align::Left),
        ("programme", Align::Left),
        ("outcome", Align::Left),
        ("limit (yuan)", Align::Right),
        ("rate", Align::Right),
        ("product", Align::Left),
        ("reasons", Align::Left),
    ]);
    for r in &roster.rows {
        table.row(vec![
            r.household_id.clone(),
            r.grade.clone().unwrap_or_else(|| "-".into()),
            r.tier.clone().unwrap_or_else(|| "-".into()),
            r.programme.clone(),
            r.outcome.clone(),
            r.limit_yuan.to_string(),
            r.annual_rate.map_or("-".into(), |x| format!("{:.2}%", x * Decimal::ONE_HUNDRED)),
            r.product.map_or("-", lending::ProductKind::code).to_owned(),
            r.reasons.join(" "),
        ]);
    }
    out.push_str(&table.render());
    let t = &roster.totals;
    out.push_str(&format!(
        "\n{} households, {} approved, {} referred, total line {} yuan\n\n",
        t.households, t.approved, t.referred, t.total_line_yuan
    ));
    let v = &roster.rating;
    out.push_str(&format!("信用村 credit village: {}\n", if v.credit_village { "yes 是" } else { "no 否" }));
    let mut criteria = Table::new(&[("criterion", Align::Left), ("figure", Align::Right), ("met", Align::Left)]);
    for c in &v.criteria {
        let figure = c.percent.clone().unwrap_or_else(|| "n/a".into());
        criteria.row(vec![c.rule.to_owned(), figure, if c.met { "met" } else { "not met" }.to_owned()]);
    }
    out.push_str(&criteria.render());
    out.push_str(&format!(
        "{} of {} households are credit households; {} of {} borrowing households without arrears; outstanding {} \
         yuan, non-performing {} yuan, new non-performing {} yuan\n",
        v.credit_households,
        v.households,
        v.borrowing_without_arrears,
        v.borrowing_households,
        v.outstanding_yuan,
        v.non_performing_yuan,
        v.new_non_performing_yuan
    ));
    out
}

/// `agririsk village credit`.
pub async fn credit_command(at: &Place, village: &str, on: Date, format: Format) -> Result<(), CliError> {
    let (decider, register) = with_reader(at, async |store| {
        Ok((decider(store, &Setup::default()).await?, Register::new(store.screening_snapshot().await?.1)))
    })
    .await?;
    let roster = credit_roster(&decider, village, on, &|household, on| register.as_of(household, on))?;
    match format {
        Format::Json => print_json(&roster),
        Format::Table => emit(&roster_text(&roster)),
    }
}
