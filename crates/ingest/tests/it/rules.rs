//! Every cross-column rule of every contract catches a row that breaks it: a real row (from the tiny simulation or
//! an external sample file) is edited to break one rule, validated alone, and must come back quarantined as
//! `cross-column`, naming the rule's first column, with a detail naming every column involved.

use ingest::{Contract, KnownKeys, Outcome, Reason, contracts, validate};

use crate::{sample, simulator_files};

/// The header and data lines of a source's file (simulator output or sample).
fn lines_of(contract: &Contract) -> Vec<String> {
    let bytes = match simulator_files().iter().find(|(c, _, _)| c.name == contract.name) {
        Some((_, csv, _)) => csv.clone(),
        None => sample(&format!("{}.csv", contract.name)),
    };
    String::from_utf8(bytes).expect("utf-8").lines().map(str::to_owned).collect()
}

/// The first data line whose fields match `filter`, edited by `changes`, as a one-row file.
fn edited(contract: &Contract, filter: &[(&str, &str)], changes: &[(&str, &str)]) -> Vec<u8> {
    let lines = lines_of(contract);
    let index = |column: &str| contract.column_index(column).unwrap_or_else(|| panic!("{column}"));
    let row = lines[1..]
        .iter()
        .find(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            filter.iter().all(|(c, v)| fields[index(c)] == *v)
        })
        .unwrap_or_else(|| panic!("{}: a row with {filter:?}", contract.name));
    let mut fields: Vec<String> = row.split(',').map(str::to_owned).collect();
    for (column, value) in changes {
        fields[index(column)] = (*value).to_owned();
    }
    format!("{}\n{}\n", lines[0], fields.join(",")).into_bytes()
}

/// One case: the contract, which row, what to change, the field the record must name, and a second column its
/// detail must name.
type Case = (
    &'static Contract,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

const CASES: &[Case] = &[
    (&contracts::VILLAGES, &[], &[("county_code", "990199")], "village_code", "county_code"),
    (
        &contracts::HOUSEHOLDS,
        &[],
        &[("size", "7"), ("labourers", "2"), ("dependants", "1"), ("migrants", "0")],
        "size",
        "dependants",
    ),
    (
        &contracts::HOUSEHOLDS,
        &[],
        &[("size", "7"), ("labourers", "3"), ("dependants", "4"), ("migrants", "3")],
        "migrants",
        "labourers",
    ),
    (&contracts::HOUSEHOLDS, &[("insured", "false")], &[("insurance_cover", "cost")], "insurance_cover", "insured"),
    (&contracts::HOUSEHOLDS, &[("insured", "true")], &[("insurance_cover", "")], "insurance_cover", "insured"),
    (&contracts::MEMBERS, &[("member_no", "1")], &[("relation", "子女")], "member_no", "relation"),
    (&contracts::MEMBERS, &[("member_no", "2")], &[("phone", "10312345678")], "phone", "member_no"),
    (&contracts::RATINGS, &[("grade", "-")], &[("credit_household", "true")], "credit_household", "grade"),
    (&contracts::RATINGS, &[("grade", "AA")], &[("limit", "0.00")], "limit", "credit_household"),
    (&contracts::BUREAU_REPORTS, &[("has_record", "false")], &[("open_accounts", "1")], "has_record", "open_accounts"),
    (&contracts::BUREAU_REPORTS, &[("has_record", "false")], &[("worst_dpd_24m", "30")], "has_record", "worst_dpd_24m"),
    (&contracts::APPLICATIONS, &[("decision", "declined")], &[("loan_id", "L00000-0001")], "loan_id", "decision"),
    (&contracts::APPLICATIONS, &[("decision", "approved")], &[("loan_id", "")], "loan_id", "decision"),
    (
        &contracts::LOANS,
        &[],
        &[("start_date", "2026-06-05"), ("maturity_date", "2026-06-04")],
        "start_date",
        "maturity_date",
    ),
    (&contracts::LOANS, &[("product", "harvest-bullet")], &[("crop", "")], "crop", "product"),
    (
        &contracts::LOANS,
        &[("status_at_end", "closed")],
        &[("dpd_at_end", "5"), ("max_dpd", "5")],
        "dpd_at_end",
        "status_at_end",
    ),
    (
        &contracts::LOANS,
        &[("status_at_end", "overdue")],
        &[("dpd_at_end", "40"), ("max_dpd", "39")],
        "dpd_at_end",
        "max_dpd",
    ),
    (
        &contracts::LOANS,
        &[],
        &[("principal", "1000.00"), ("principal_outstanding_at_end", "1000.01")],
        "principal_outstanding_at_end",
        "principal",
    ),
    (&contracts::REPAYMENTS, &[], &[("amount_due", "100.00"), ("amount_paid", "100.01")], "amount_paid", "amount_due"),
    (&contracts::PRICES, &[("commodity", "wheat")], &[("pig_grain_ratio", "6.10")], "pig_grain_ratio", "commodity"),
    (&contracts::PRICES, &[("commodity", "hog")], &[("pig_grain_ratio", "")], "pig_grain_ratio", "commodity"),
    (&contracts::PRICES, &[("commodity", "maize")], &[("hog_alert_tier", "2")], "hog_alert_tier", "commodity"),
    (
        &contracts::DISEASE_EVENTS,
        &[],
        &[("start_month", "2026-05"), ("end_month", "2026-04")],
        "start_month",
        "end_month",
    ),
    (
        &contracts::EMPLOYMENT_SHOCKS,
        &[],
        &[("start_month", "2026-05"), ("end_month", "2025-12")],
        "start_month",
        "end_month",
    ),
    (&contracts::LIVESTOCK, &[], &[("stock_head", "1"), ("breeding_head", "2")], "breeding_head", "stock_head"),
    (&contracts::INSURANCE_POLICIES, &[("cover", "cost")], &[("species", "hog")], "crop", "species"),
    (&contracts::INSURANCE_POLICIES, &[("cover", "livestock-mortality")], &[("cover", "cost")], "species", "cover"),
    (&contracts::INSURANCE_POLICIES, &[("cover", "cost")], &[("insured_area_mu", "")], "insured_area_mu", "crop"),
    (
        &contracts::INSURANCE_POLICIES,
        &[("cover", "livestock-mortality")],
        &[("insured_head", "")],
        "insured_head",
        "species",
    ),
    (
        &contracts::INSURANCE_POLICIES,
        &[],
        &[("sum_insured", "100.00"), ("premium", "100.50")],
        "premium",
        "sum_insured",
    ),
    (
        &contracts::INSURANCE_POLICIES,
        &[],
        &[("start_date", "2025-06-30"), ("end_date", "2025-06-30")],
        "start_date",
        "end_date",
    ),
    (&contracts::ECOMMERCE_SALES, &[("orders", "0")], &[("gross_sales", "10.00")], "orders", "gross_sales"),
    (&contracts::ECOMMERCE_SALES, &[], &[("gross_sales", "100.00"), ("refunds", "100.01")], "refunds", "gross_sales"),
    (&contracts::ACCOUNTS, &[("provider", "rcc")], &[("account_type", "e-wallet")], "account_type", "provider"),
    (&contracts::ACCOUNTS, &[("status", "active")], &[("closed_on", "2025-01-01")], "closed_on", "status"),
    (&contracts::ACCOUNTS, &[("status", "closed")], &[("opened_on", "2024-05-20")], "opened_on", "closed_on"),
];

#[test]
fn every_cross_column_rule_quarantines_a_row_that_breaks_it() {
    for (contract, filter, changes, field, other) in CASES {
        let bytes = edited(contract, filter, changes);
        let file = format!("{}.csv", contract.name);
        let outs: Vec<Outcome> = validate(contract, &file, &bytes, None, &KnownKeys::new()).expect("header").collect();
        let [Outcome::Quarantined(q)] = outs.as_slice() else { panic!("{file} {changes:?}: {outs:?}") };
        assert_eq!((q.reason, q.field), (Reason::CrossColumn, Some(*field)), "{file} {changes:?}: {q}");
        assert!(q.detail.contains(&format!("`{field}`")) && q.detail.contains(&format!("`{other}`")), "{q}");
        assert_eq!(q.reason.code(), "cross-column");
    }
}

#[test]
fn every_rule_has_a_breaking_case() {
    for contract in contracts::ALL {
        let cases = CASES.iter().filter(|(c, ..)| c.name == contract.name).count();
        assert!(cases >= contract.rules.len(), "{}: {} rules, {cases} cases", contract.name, contract.rules.len());
    }
}

#[test]
fn the_unedited_rows_pass_so_the_cases_test_the_edit() {
    for (contract, filter, _, _, _) in CASES {
        let bytes = edited(contract, filter, &[]);
        let (q, summary) = validate(contract, contract.name, &bytes, None, &KnownKeys::new()).expect("h").finish();
        assert!(q.is_empty() && summary.valid == 1, "{}: {q:?}", contract.name);
    }
}
