//! Roles, permissions, branch scopes and principals.
//!
//! A [`Permission`] is what one route needs ("post a repayment", "move a policy"); a [`Role`] is granted a fixed set
//! of them by [`Role::grants`], the one table of who may do what. An API key holds a role and may be narrowed further
//! to a list of permissions (a core banking system's key that only posts repayments). [`Branches`] scope every query:
//! a loan officer sees the households of the villages their branch serves and no other, and a record of another
//! branch is answered as if it did not exist.

use std::fmt;
use std::str::FromStr;

use domain::OfficerId;
use serde::{Deserialize, Serialize};

/// A code that names no known role, permission or branch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not a {kind} (known: {known})")]
pub struct UnknownCode {
    /// What was looked for ("role", "permission", "branch code").
    pub kind: &'static str,
    /// The text given.
    pub given: String,
    /// What would have been accepted.
    pub known: String,
}

/// Declares a closed code list: the enum, `ALL`, `code()`, `Display` and `FromStr`.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident => $code:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable code, as stored and as written in requests and on the command line.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;

            fn from_str(s: &str) -> Result<$name, UnknownCode> {
                $name::ALL.iter().copied().find(|v| v.code() == s).ok_or_else(|| UnknownCode {
                    kind: $kind,
                    given: s.chars().take(64).collect(),
                    known: $name::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownCode;
            fn try_from(s: String) -> Result<$name, UnknownCode> {
                s.parse()
            }
        }

        impl From<$name> for &'static str {
            fn from(v: $name) -> &'static str {
                v.code()
            }
        }
    };
}

code_enum! {
    /// What a person or system is allowed to be.
    Role, "role" {
        /// Submits applications and reviews referred ones within their authority, for their own branch.
        LoanOfficer => "loan_officer",
        /// A loan officer's rights over the branches they manage, and disbursements.
        BranchManager => "branch_manager",
        /// Policies (simulate, submit, approve their moves), screening, the portfolio.
        RiskManager => "risk_manager",
        /// Models and policy replay; reads decisions to build models from.
        ModelBuilder => "model_builder",
        /// Reads everything and the audit trail; changes nothing.
        Auditor => "auditor",
        /// Users, API keys, loan officers and their authority; no credit decisions and no borrower data.
        Admin => "admin",
        /// Another system (core banking, a channel, a list feed) through an API key narrowed to some routes.
        System => "system",
    }
}

code_enum! {
    /// What one route needs.
    Permission, "permission" {
        /// Submit a credit application for a decision.
        SubmitApplication => "submit_application",
        /// Read decisions and their records.
        ReadDecisions => "read_decisions",
        /// Ask for a person to review an automated decision (PIPL art. 24).
        RequestReview => "request_review",
        /// Approve or decline a referred decision, or check another officer's approval.
        ReviewDecisions => "review_decisions",
        /// See the queue of decisions waiting for review.
        ReadReviewQueue => "read_review_queue",
        /// Pay out an approved decision.
        Disburse => "disburse",
        /// Read loans and their positions.
        ReadLoans => "read_loans",
        /// Post repayments.
        PostRepayments => "post_repayments",
        /// Read the policy register.
        ReadPolicies => "read_policies",
        /// Submit, approve, activate and retire policy versions.
        MovePolicies => "move_policies",
        /// Replay a policy over past applications.
        SimulatePolicies => "simulate_policies",
        /// Read whole-village pre-credit rosters.
        ReadRosters => "read_rosters",
        /// Record screening entries (list hits, fraud cases, consents).
        RecordScreening => "record_screening",
        /// Read a household's screening entries.
        ReadScreening => "read_screening",
        /// Read a borrower's profile (personal data masked).
        ReadProfiles => "read_profiles",
        /// Register loan officers and set their authority.
        ManageOfficers => "manage_officers",
        /// Manage users and API keys.
        ManageUsers => "manage_users",
        /// Read the request metrics.
        ReadMetrics => "read_metrics",
        /// Read and verify the audit trail.
        ReadAudit => "read_audit",
        /// See personal data unmasked, with a stated purpose.
        Unmask => "unmask",
        /// Read the early-warning alert board and an alert with its evidence and history.
        ReadAlerts => "read_alerts",
        /// Take a workflow step on an alert (assign, acknowledge, record an action, escalate, close) as the officer
        /// one is.
        ActOnAlerts => "act_on_alerts",
        /// Read the portfolio report (quality, ECL, provisions, history, concentration, breakdowns) and run stress
        /// scenarios over the book of one's branches; nothing is written.
        ReadPortfolio => "read_portfolio",
        /// Run the daily monitoring over the whole book, writing its alerts (raises, re-tiers, resolves and
        /// escalations).
        RunMonitoring => "run_monitoring",
    }
}

impl Role {
    /// Whether this role is granted `permission`. The one table of who may do what: every route names the
    /// permission it needs, and the route × role test matrix is generated from this table and the route table.
    pub fn grants(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::LoanOfficer => matches!(
                permission,
                P::SubmitApplication
                    | P::ReadDecisions
                    | P::RequestReview
                    | P::ReviewDecisions
                    | P::ReadReviewQueue
                    | P::ReadLoans
                    | P::ReadRosters
                    | P::RecordScreening
                    | P::ReadScreening
                    | P::ReadProfiles
                    | P::ReadAlerts
                    | P::ActOnAlerts
            ),
            // A loan officer's rights, and the branch's money, its people's data and its book's risk (the report
            // over the branch's own loans).
            Role::BranchManager => {
                Role::LoanOfficer.grants(permission)
                    || matches!(
                        permission,
                        P::Disburse | P::PostRepayments | P::ReadPolicies | P::Unmask | P::ReadPortfolio
                    )
            }
            Role::RiskManager => matches!(
                permission,
                P::ReadDecisions
                    | P::ReadReviewQueue
                    | P::ReadLoans
                    | P::ReadPolicies
                    | P::MovePolicies
                    | P::SimulatePolicies
                    | P::ReadRosters
                    | P::RecordScreening
                    | P::ReadScreening
                    | P::ReadProfiles
                    | P::ReadMetrics
                    | P::ReadAlerts
                    | P::ActOnAlerts
                    | P::ReadPortfolio
                    | P::RunMonitoring
            ),
            Role::ModelBuilder => {
                matches!(permission, P::ReadDecisions | P::ReadLoans | P::ReadPolicies | P::SimulatePolicies)
            }
            Role::Auditor => matches!(
                permission,
                P::ReadDecisions
                    | P::ReadReviewQueue
                    | P::ReadLoans
                    | P::ReadPolicies
                    | P::ReadRosters
                    | P::ReadScreening
                    | P::ReadProfiles
                    | P::ReadMetrics
                    | P::ReadAudit
                    | P::ReadAlerts
                    | P::ReadPortfolio
            ),
            Role::Admin => matches!(permission, P::ManageOfficers | P::ManageUsers | P::ReadMetrics | P::ReadAudit),
            Role::System => matches!(
                permission,
                P::SubmitApplication
                    | P::ReadDecisions
                    | P::RequestReview
                    | P::Disburse
                    | P::ReadLoans
                    | P::PostRepayments
                    | P::RecordScreening
                    | P::ReadScreening
                    | P::ReadMetrics
                    | P::RunMonitoring
            ),
        }
    }

    /// Whether the role works within branches (a loan officer's or branch manager's queries are scoped to theirs);
    /// the other roles hold a county- or lender-wide view unless their scope says otherwise.
    pub fn branch_bound(self) -> bool {
        matches!(self, Role::LoanOfficer | Role::BranchManager)
    }
}

/// A branch, named by the administrative-region code of the area it serves: a county (6 digits), a township (9) or
/// a single village (12). A household belongs to a branch when its village code starts with the branch code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BranchCode(String);

impl BranchCode {
    /// Parses a code of 6, 9 or 12 ASCII digits.
    pub fn parse(text: &str) -> Result<BranchCode, UnknownCode> {
        if matches!(text.len(), 6 | 9 | 12) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(BranchCode(text.to_owned()))
        } else {
            Err(UnknownCode {
                kind: "branch code",
                given: text.chars().take(64).collect(),
                known: "an administrative-region code of 6 (county), 9 (township) or 12 (village) digits".to_owned(),
            })
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the village `village_code` lies in this branch's area.
    pub fn covers(&self, village_code: &str) -> bool {
        village_code.starts_with(&self.0)
    }
}

impl fmt::Display for BranchCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BranchCode {
    type Error = UnknownCode;
    fn try_from(s: String) -> Result<BranchCode, UnknownCode> {
        BranchCode::parse(&s)
    }
}

impl From<BranchCode> for String {
    fn from(b: BranchCode) -> String {
        b.0
    }
}

/// The branches a caller's queries are scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Branches {
    /// Every branch (a risk manager, an auditor, a lender-wide system).
    All,
    /// These branches only.
    Only(Vec<BranchCode>),
}

impl Branches {
    /// Most branches one scope may list.
    pub const MAX: usize = 64;

    /// Parses a comma-separated list of branch codes, or `*` (or `all`) for every branch.
    pub fn parse(text: &str) -> Result<Branches, UnknownCode> {
        let text = text.trim();
        if text == "*" || text == "all" {
            return Ok(Branches::All);
        }
        let codes = text
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(BranchCode::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if codes.is_empty() || codes.len() > Branches::MAX {
            return Err(UnknownCode {
                kind: "branch list",
                given: text.chars().take(64).collect(),
                known: format!("'*' or 1 to {} branch codes separated by commas", Branches::MAX),
            });
        }
        let mut codes = codes;
        codes.sort();
        codes.dedup();
        Ok(Branches::Only(codes))
    }

    /// Whether a household of village `village_code` is in scope.
    pub fn covers(&self, village_code: &str) -> bool {
        match self {
            Branches::All => true,
            Branches::Only(codes) => codes.iter().any(|b| b.covers(village_code)),
        }
    }

    /// Whether every branch of `other` lies within this scope (an administrator may not hand out more than
    /// exists, and a key may not reach past its creator's view).
    pub fn contains(&self, other: &Branches) -> bool {
        match (self, other) {
            (Branches::All, _) => true,
            (Branches::Only(_), Branches::All) => false,
            (Branches::Only(_), Branches::Only(theirs)) => theirs.iter().all(|b| self.covers(b.as_str())),
        }
    }
}

impl fmt::Display for Branches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Branches::All => f.write_str("*"),
            Branches::Only(codes) => {
                let texts: Vec<&str> = codes.iter().map(BranchCode::as_str).collect();
                f.write_str(&texts.join(","))
            }
        }
    }
}

/// Who acts: a person signed in, a system through its key, or the operating-system user at the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Actor {
    /// A user, by username.
    User(String),
    /// An API key, by its public id.
    Key(String),
    /// The operating-system user running the command line on the local store.
    Os(String),
}

impl fmt::Display for Actor {
    /// `user:NAME`, `key:ID` or `os:NAME`: how the audit trail names the actor.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(name) => write!(f, "user:{name}"),
            Actor::Key(id) => write!(f, "key:{id}"),
            Actor::Os(name) => write!(f, "os:{name}"),
        }
    }
}

/// An authenticated caller: who, in which role, over which branches, and for a key the routes it is narrowed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Who.
    pub actor: Actor,
    /// Their role.
    pub role: Role,
    /// The branches their queries are scoped to.
    pub branches: Branches,
    /// For an API key, the permissions it is narrowed to (within its role's); `None` for people.
    pub only: Option<Vec<Permission>>,
}

impl Principal {
    /// Whether the caller may do what `permission` covers.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.grants(permission) && self.only.as_ref().is_none_or(|only| only.contains(&permission))
    }

    /// The loan officer this principal acts as when reviewing: a signed-in user whose role reviews, by username.
    /// Systems and the command line are nobody's officer.
    pub fn officer_id(&self) -> Option<OfficerId> {
        match &self.actor {
            Actor::User(name) if self.role.grants(Permission::ReviewDecisions) => OfficerId::parse(name).ok(),
            _ => None,
        }
    }

    /// The operating-system user at the command line: every right, every branch (they hold the database file
    /// itself), recorded as such in the audit trail.
    pub fn os(name: &str) -> Principal {
        Principal { actor: Actor::Os(name.to_owned()), role: Role::Admin, branches: Branches::All, only: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_ones_name_the_known() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>(), Ok(*role));
        }
        for p in Permission::ALL {
            assert_eq!(p.code().parse::<Permission>(), Ok(*p));
        }
        let e = "root".parse::<Role>().expect_err("no such role");
        assert!(e.to_string().contains("loan_officer"), "{e}");
    }

    #[test]
    fn every_permission_is_granted_to_someone_and_nobody_holds_them_all() {
        for p in Permission::ALL {
            assert!(Role::ALL.iter().any(|r| r.grants(*p)), "{p} is granted to no role");
        }
        for r in Role::ALL {
            assert!(!Permission::ALL.iter().all(|p| r.grants(*p)), "{r} holds every permission");
        }
        // Separation of duties: who manages users decides no credit and reads no borrower; auditors change nothing.
        assert!(!Role::Admin.grants(Permission::ReadDecisions));
        assert!(!Role::Admin.grants(Permission::ReviewDecisions));
        for write in [
            Permission::SubmitApplication,
            Permission::MovePolicies,
            Permission::PostRepayments,
            Permission::ActOnAlerts,
            Permission::RunMonitoring,
        ] {
            assert!(!Role::Auditor.grants(write));
        }
    }

    #[test]
    fn alerts_are_read_by_the_branch_risk_and_audit_roles_and_acted_on_by_officers_and_risk_managers() {
        let readers: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.grants(Permission::ReadAlerts)).collect();
        assert_eq!(readers, [Role::LoanOfficer, Role::BranchManager, Role::RiskManager, Role::Auditor]);
        let actors: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.grants(Permission::ActOnAlerts)).collect();
        assert_eq!(actors, [Role::LoanOfficer, Role::BranchManager, Role::RiskManager]);
        // Whoever may act may read what they act on; a system is nobody's officer.
        for role in actors {
            assert!(role.grants(Permission::ReadAlerts), "{role}");
        }
        assert!(!Role::System.grants(Permission::ReadAlerts));
    }

    #[test]
    fn the_portfolio_is_read_by_the_roles_answering_for_a_books_risk_and_by_nobody_else() {
        let readers: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.grants(Permission::ReadPortfolio)).collect();
        // The risk manager and the auditor answer for the whole book; a branch manager for their branch's (the
        // report is narrowed to the caller's branches). A loan officer works cases, not the book; a model builder
        // has the model's own reports; an administrator reads no borrower data; a system has no use for it.
        assert_eq!(readers, [Role::BranchManager, Role::RiskManager, Role::Auditor]);
        assert_eq!("read_portfolio".parse::<Permission>(), Ok(Permission::ReadPortfolio));
    }

    #[test]
    fn the_daily_monitoring_is_run_by_the_risk_manager_and_the_lenders_scheduler_only() {
        let runners: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.grants(Permission::RunMonitoring)).collect();
        // It writes alerts for every branch: the risk manager answers for the whole book, and the lender's scheduler
        // calls it as a system. An auditor changes nothing; officers and branch managers work their branch's alerts.
        assert_eq!(runners, [Role::RiskManager, Role::System]);
        assert_eq!("run_monitoring".parse::<Permission>(), Ok(Permission::RunMonitoring));
    }

    #[test]
    fn branches_cover_by_region_prefix() {
        let b = Branches::parse("510311, 510312101").expect("codes");
        assert!(b.covers("510311101001"));
        assert!(b.covers("510312101007"));
        assert!(!b.covers("510312102007"));
        assert!(!b.covers("51031"));
        assert!(Branches::All.covers("999999000000"));
        assert!(Branches::parse("51031x").is_err());
        assert!(Branches::parse("").is_err());
        assert!(Branches::All.contains(&b));
        assert!(b.contains(&Branches::parse("510311101").expect("code")));
        assert!(!b.contains(&Branches::All));
        assert_eq!(b.to_string(), "510311,510312101");
    }

    #[test]
    fn a_key_is_narrowed_within_its_role() {
        let key = Principal {
            actor: Actor::Key("k1".into()),
            role: Role::System,
            branches: Branches::All,
            only: Some(vec![Permission::PostRepayments, Permission::ManageUsers]),
        };
        assert!(key.may(Permission::PostRepayments));
        assert!(!key.may(Permission::Disburse), "not in its list");
        assert!(!key.may(Permission::ManageUsers), "listed, but the role does not grant it");
        assert_eq!(key.officer_id(), None);
        assert_eq!(key.actor.to_string(), "key:k1");
    }
}
