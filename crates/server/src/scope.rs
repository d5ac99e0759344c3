//! Branch scoping: a caller whose role works within branches sees only the households of the villages their branches
//! serve, and a record of another branch is answered exactly as a record that does not exist (404 with the route's
//! own code), so a caller cannot even learn that it exists. A household's village is the one on file in the
//! decider's world; a household not on file is in no branch's scope.

use app::ErrorCode;
use domain::LoanId;
use identity::{Branches, Principal};
use store::{DecisionLog, LoanStore};

use crate::Shared;
use crate::error::ApiError;

/// Whether the household is within the principal's branches.
pub fn covers_household(server: &Shared, principal: &Principal, household_id: &str) -> bool {
    match &principal.branches {
        Branches::All => true,
        branches => server.decider().ok().is_some_and(|decider| {
            decider
                .world
                .applicant(household_id)
                .is_some_and(|applicant| branches.covers(&applicant.records.household.village_code))
        }),
    }
}

/// The household is in scope, or 404 with `code`, naming the field `household_id`.
pub fn household(server: &Shared, principal: &Principal, household_id: &str, code: ErrorCode) -> Result<(), ApiError> {
    if covers_household(server, principal, household_id) {
        Ok(())
    } else {
        Err(ApiError::field(code, "household_id", format!("household {household_id} not found")))
    }
}

/// The decision exists and its household is in scope, or 404 `unknown_decision`.
pub async fn decision(server: &Shared, principal: &Principal, decision_id: &str) -> Result<(), ApiError> {
    let not_found = || ApiError::whole(ErrorCode::UnknownDecision, format!("decision {decision_id} not found"));
    if principal.branches == Branches::All {
        return Ok(());
    }
    let record = server.store.decision(decision_id).await?.ok_or_else(not_found)?;
    if covers_household(server, principal, &record.subject) { Ok(()) } else { Err(not_found()) }
}

/// The loan exists and its borrower is in scope, or 404 `unknown_loan`.
pub async fn loan(server: &Shared, principal: &Principal, loan: &LoanId) -> Result<(), ApiError> {
    let not_found = || ApiError::whole(ErrorCode::UnknownLoan, format!("loan {loan} not found"));
    let record = server.store.loan(loan).await?.ok_or_else(not_found)?;
    if covers_household(server, principal, record.borrower.as_str()) { Ok(()) } else { Err(not_found()) }
}

/// The village is in scope, or 404 `unknown_village`.
pub fn village(principal: &Principal, village_code: &str) -> Result<(), ApiError> {
    if principal.branches.covers(village_code) {
        Ok(())
    } else {
        Err(ApiError::whole(ErrorCode::UnknownVillage, format!("village {village_code} not found")))
    }
}
