//! What retention needs to know from the ingested records: each household's loans (open, or closed on a day and
//! whether they were ever overdue or written off), its last record date — the latest application, loan start,
//! rating or bureau report, or the `as_of` of the latest load of the households file —, and whether any personal
//! value of it is still on file. A load does not say which households an unchanged file listed, so a household
//! the lender stopped sending is dated by the latest file too: the reading errs towards keeping. The rules themselves are `privacy::retention`'s; loans booked by the product are
//! the service layer's to add (`app::privacy`).

use std::collections::{BTreeMap, HashMap};

use domain::Date;
use privacy::retention::{Facts, LoanFact, SOURCES};

use crate::IntegrateError;
use crate::history::{Scope, read};
use crate::register::{Filter, RecordStore, Versions};

/// Loan statuses at the horizon end that leave a loan open.
const OPEN_STATUSES: &[&str] = &["disbursed", "active", "overdue"];

/// One household as the ingested records show it to retention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnFile {
    /// Its ingested loans and last activity.
    pub facts: Facts,
    /// Whether a personal value of it (a member's name, ID number or phone, an account number) is still stored.
    pub personal_left: bool,
}

/// Every household `scope` names that is on file (in `households`), by id, with what retention needs.
pub async fn on_file(store: &impl RecordStore, scope: Scope<'_>) -> Result<BTreeMap<String, OnFile>, IntegrateError> {
    let versions = Versions::Current;
    let filter = match scope {
        Scope::All => Filter::All,
        Scope::Households(ids) => Filter::In("household_id", ids),
    };
    let mut out: BTreeMap<String, OnFile> = BTreeMap::new();
    for id in read(store, "households", &["household_id"], filter, versions, |r| r.text(0)).await? {
        out.entry(id).or_default();
    }
    // The households file lists the households the lender keeps: its latest load dates them all.
    let listed = store
        .loads()
        .await?
        .into_iter()
        .filter(|l| l.source == "households")
        .filter_map(|l| domain::parse_date(&l.as_of).ok());
    if let Some(latest) = listed.max() {
        for entry in out.values_mut() {
            entry.facts.last_activity = Some(latest);
        }
    }
    for (source, column) in [("applications", "applied_on"), ("ratings", "rated_on"), ("bureau_reports", "report_date")]
    {
        let dated =
            read(store, source, &["household_id", column], filter, versions, |r| Ok((r.text(0)?, r.date(1)?))).await?;
        for (id, on) in dated {
            touch(&mut out, &id, on);
        }
    }
    let columns = ["loan_id", "household_id", "status_at_end", "start_date", "maturity_date", "max_dpd"];
    let loans = read(store, "loans", &columns, filter, versions, |r| {
        Ok((r.text(0)?, r.text(1)?, r.text(2)?, r.date(3)?, r.date(4)?, r.int(5)?))
    })
    .await?;
    let closed: Vec<String> = loans
        .iter()
        .filter(|(_, _, status, ..)| !OPEN_STATUSES.contains(&status.as_str()))
        .map(|(loan, ..)| loan.clone())
        .collect();
    // A closed loan ends at its maturity or its last payment, whichever is later (one repaid late ends late).
    let mut last_paid: HashMap<String, Date> = HashMap::new();
    if !closed.is_empty() {
        let paid = read(
            store,
            "repayments",
            &["loan_id", "date", "amount_paid"],
            Filter::In("loan_id", &closed),
            versions,
            |r| Ok((r.text(0)?, r.date(1)?, r.int(2)?)),
        )
        .await?;
        for (loan, date, _) in paid.into_iter().filter(|(_, _, amount)| *amount > 0) {
            let latest = last_paid.entry(loan).or_insert(date);
            *latest = (*latest).max(date);
        }
    }
    for (loan, household, status, start, maturity, max_dpd) in loans {
        touch(&mut out, &household, start);
        let Some(entry) = out.get_mut(&household) else { continue };
        let fact = if OPEN_STATUSES.contains(&status.as_str()) {
            LoanFact::Open
        } else {
            let ended_on = last_paid.get(&loan).map_or(maturity, |paid| maturity.max(*paid));
            LoanFact::Closed { ended_on, adverse: max_dpd > 0 || status == "written-off" }
        };
        entry.facts.loans.push(fact);
    }
    for source in SOURCES {
        let mut columns = vec!["household_id"];
        columns.extend_from_slice(source.columns);
        let rows = read(store, source.source, &columns, filter, versions, |r| {
            let mut left = false;
            for i in 1..columns.len() {
                left |= r.opt_text(i)?.is_some();
            }
            Ok((r.text(0)?, left))
        })
        .await?;
        for (id, left) in rows {
            if let Some(entry) = out.get_mut(&id) {
                entry.personal_left |= left;
            }
        }
    }
    Ok(out)
}

/// Moves a household's last activity to `on` if that is later.
fn touch(out: &mut BTreeMap<String, OnFile>, id: &str, on: Date) {
    if let Some(entry) = out.get_mut(id) {
        entry.facts.last_activity = entry.facts.last_activity.max(Some(on));
    }
}
