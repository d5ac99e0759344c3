#!/bin/sh
# Sourced by xtask/bench-serve.sh and xtask/schemathesis.sh: `prepare_county BIN DATA WORK ROOT` makes a data
# directory DATA a server can decide on — the tiny simulated county (seed 1) ingested with a key file, signed
# consents (to the credit check and to each data source) on file for each household in the screening register (consent is the lender's record, never the
# applicant's claim), the shipped decision model registered and promoted (proposed by one person, confirmed by another), the default policy submitted, approved
# and activated by a second person; the first administrator (password in WORK/password) and API keys for the
# callers the scripts act as: WORK/key-system (a core banking system: applications, decisions, disbursements,
# loans, repayments, screening, metrics, the daily monitoring run), WORK/key-risk (a risk manager: policies, replay, rosters, the review
# queue) and WORK/key-admin (officers); and the loan officer `officer.li` (the same password). WORK holds the
# county's files and the keys.
prepare_county() {
    bin=$1 data=$2 work=$3 root=$4
    a() { "$bin" --data-dir "$data" "$@"; }
    # As an operating-system user: the command line acts as `os:$USER`, and dual control needs two people.
    person() { who=$1; shift; USER=$who LOGNAME=$who "$bin" --data-dir "$data" "$@"; }
    a simulate --preset tiny --seed 1 --quiet --format csv --out "$work/county" >/dev/null
    a keys generate --out "$work/keys" >/dev/null
    a ingest --all "$work/county" --key-file "$work/keys" --as-of 2026-11-28 --quiet >/dev/null
    {
        echo "household_id,kind,effective_on,source,note,data_source,purpose"
        for h in $(seq 1 400); do
            printf 'H%07d,consent,2020-01-01,branch-forms,,,\n' "$h"
            for source in bureau_reports transactions insurance_claims; do
                printf 'H%07d,consent,2020-01-01,branch-forms,,%s,credit_assessment\n' "$h" "$source"
            done
        done
    } >"$work/consents.csv"
    a screening load "$work/consents.csv" >/dev/null
    a model register --model "$root/models/decision-scorecard.json" >/dev/null
    model=$(a model list --format json | sed -n 's/.*"id": *"\([0-9a-f]\{64\}\)".*/\1/p' | head -1)
    proposal=$(person risk.li model promote --id "$model" --to champion --reason prepared | sed -n 's/^proposal \(P[0-9]*\):.*/\1/p')
    person risk.wang approval confirm "$proposal" >/dev/null
    policy=$(person risk.zhang policy submit "$root/policies/default/rural-microcredit.json" --name rural-microcredit \
        --version 1 --effective-from 2020-01-01 | sed -n 's/.* as \([0-9a-f]\{64\}\).*/\1/p')
    person chief.wang policy move "$policy" --to approved --reason prepared >/dev/null
    person chief.wang policy move "$policy" --to active --reason prepared >/dev/null
    printf 'prepared county passphrase\n' >"$work/password"
    a init --admin admin --password-file "$work/password" >/dev/null
    key() { a apikey create --name "$1" --role "$2" --only "$3" --branches '*' --expires-in-days 30 2>/dev/null; }
    key core system submit_application,read_decisions,request_review,disburse,read_loans,post_repayments,record_screening,read_screening,read_metrics,run_monitoring \
        >"$work/key-system"
    key risk risk_manager read_decisions,read_review_queue,read_loans,read_policies,move_policies,simulate_policies,read_rosters,record_screening,read_screening,read_metrics \
        >"$work/key-risk"
    key officers admin manage_officers,read_metrics >"$work/key-admin"
    # A loan officer of the county, who signs in for the review route (a person's act, never a key's).
    a user add officer.li --role loan_officer --branches 990101 --password-file "$work/password" >/dev/null
}
