//! The loan state machine.
//!
//! ```text
//! applied ─► approved ─► disbursed ─► active ⇄ overdue ─► written-off
//!    │  ▲        ▲           │          │  │       │
//!    ▼  │        │           └──────────┴──┴───────┴──► closed
//! referred ──────┘   declined ◄── applied / referred
//! ```
//! Every move is a method returning `Result`, so an illegal move (disbursing a declined application, repaying a
//! closed loan) is an error naming both states, never a silent overwrite. Restructuring and disaster deferral are
//! moves too; they keep a disbursed loan in servicing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a loan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoanStatus {
    /// Application received, not yet decided.
    Applied,
    /// Approved, not yet disbursed.
    Approved,
    /// Sent to a person for review.
    Referred,
    /// Declined; final.
    Declined,
    /// Disbursed; nothing has fallen due yet.
    Disbursed,
    /// Something has fallen due and nothing is overdue.
    Active,
    /// At least one installment is past due.
    Overdue,
    /// Repaid in full; final.
    Closed,
    /// Written off; recoveries may still be posted.
    WrittenOff,
}

/// An illegal move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a loan that is {from}")]
pub struct TransitionError {
    /// The state the loan was in.
    pub from: LoanStatus,
    /// What was attempted.
    pub action: &'static str,
}

impl LoanStatus {
    /// The code used in files and tables.
    pub fn code(self) -> &'static str {
        match self {
            LoanStatus::Applied => "applied",
            LoanStatus::Approved => "approved",
            LoanStatus::Referred => "referred",
            LoanStatus::Declined => "declined",
            LoanStatus::Disbursed => "disbursed",
            LoanStatus::Active => "active",
            LoanStatus::Overdue => "overdue",
            LoanStatus::Closed => "closed",
            LoanStatus::WrittenOff => "written-off",
        }
    }

    /// True once money has gone out and until the loan is closed or written off.
    pub fn in_servicing(self) -> bool {
        matches!(self, LoanStatus::Disbursed | LoanStatus::Active | LoanStatus::Overdue)
    }

    fn go(self, action: &'static str, allowed: &[LoanStatus], to: LoanStatus) -> Result<LoanStatus, TransitionError> {
        if allowed.contains(&self) { Ok(to) } else { Err(TransitionError { from: self, action }) }
    }

    /// Approve an application (directly or after review).
    pub fn approve(self) -> Result<LoanStatus, TransitionError> {
        self.go("approve", &[LoanStatus::Applied, LoanStatus::Referred], LoanStatus::Approved)
    }

    /// Send an application to manual review.
    pub fn refer(self) -> Result<LoanStatus, TransitionError> {
        self.go("refer", &[LoanStatus::Applied], LoanStatus::Referred)
    }

    /// Decline an application.
    pub fn decline(self) -> Result<LoanStatus, TransitionError> {
        self.go("decline", &[LoanStatus::Applied, LoanStatus::Referred], LoanStatus::Declined)
    }

    /// Pay out an approved loan.
    pub fn disburse(self) -> Result<LoanStatus, TransitionError> {
        self.go("disburse", &[LoanStatus::Approved], LoanStatus::Disbursed)
    }

    /// The first due date has passed with nothing overdue.
    pub fn fall_due(self) -> Result<LoanStatus, TransitionError> {
        self.go("start repayment of", &[LoanStatus::Disbursed, LoanStatus::Active], LoanStatus::Active)
    }

    /// Something fell past due.
    pub fn mark_overdue(self) -> Result<LoanStatus, TransitionError> {
        self.go("mark overdue", &[LoanStatus::Disbursed, LoanStatus::Active, LoanStatus::Overdue], LoanStatus::Overdue)
    }

    /// Arrears were paid.
    pub fn cure(self) -> Result<LoanStatus, TransitionError> {
        self.go("cure", &[LoanStatus::Overdue], LoanStatus::Active)
    }

    /// Everything was repaid.
    pub fn close(self) -> Result<LoanStatus, TransitionError> {
        self.go("close", &[LoanStatus::Disbursed, LoanStatus::Active, LoanStatus::Overdue], LoanStatus::Closed)
    }

    /// Write off an overdue loan.
    pub fn write_off(self) -> Result<LoanStatus, TransitionError> {
        self.go("write off", &[LoanStatus::Overdue], LoanStatus::WrittenOff)
    }

    /// Accept a repayment: servicing loans, and recoveries on written-off ones.
    pub fn accept_repayment(self) -> Result<LoanStatus, TransitionError> {
        self.go(
            "post a repayment to",
            &[LoanStatus::Disbursed, LoanStatus::Active, LoanStatus::Overdue, LoanStatus::WrittenOff],
            self,
        )
    }

    /// Restructure: new terms for the outstanding balance; the loan is back in repayment.
    pub fn restructure(self) -> Result<LoanStatus, TransitionError> {
        self.go("restructure", &[LoanStatus::Disbursed, LoanStatus::Active, LoanStatus::Overdue], LoanStatus::Active)
    }

    /// Defer installments after a declared disaster; the status follows what is then overdue.
    pub fn defer(self) -> Result<LoanStatus, TransitionError> {
        self.go("defer", &[LoanStatus::Disbursed, LoanStatus::Active, LoanStatus::Overdue], self)
    }

    /// Change the manual classification.
    pub fn reclassify(self) -> Result<LoanStatus, TransitionError> {
        self.go(
            "reclassify",
            &[LoanStatus::Disbursed, LoanStatus::Active, LoanStatus::Overdue, LoanStatus::WrittenOff],
            self,
        )
    }
}

impl fmt::Display for LoanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::LoanStatus::*;
    use super::*;

    #[test]
    fn legal_paths() {
        assert_eq!(Applied.approve().and_then(LoanStatus::disburse), Ok(Disbursed));
        assert_eq!(Applied.refer().and_then(LoanStatus::approve), Ok(Approved));
        assert_eq!(Disbursed.fall_due().and_then(LoanStatus::mark_overdue).and_then(LoanStatus::cure), Ok(Active));
        assert_eq!(Overdue.write_off(), Ok(WrittenOff));
        assert_eq!(WrittenOff.accept_repayment(), Ok(WrittenOff));
    }

    #[test]
    fn illegal_moves_name_both_sides() {
        let err = Declined.disburse().expect_err("declined loans are final");
        assert_eq!(err.to_string(), "cannot disburse a loan that is declined");
        assert!(Closed.accept_repayment().is_err());
        assert!(Active.write_off().is_err());
        assert!(Approved.accept_repayment().is_err());
        assert!(Closed.restructure().is_err());
        assert!(Disbursed.disburse().is_err());
    }
}
