//! Booking and servicing loans over any [`LoanStore`]: book a loan, post an event, read a loan's state, classify
//! the portfolio. The commands, the server and the demo all go through here, so they cannot drift apart.
//!
//! Posting an event is read → check → write: the loan's events are read, `lending::Loan::check_append` decides
//! whether the new event is legal and what it posts, and the store appends it only if no other writer got there
//! first (the expected event count) and its idempotency key is new. When another writer did get there first, the
//! post is checked again against the new history, a bounded number of times ([`POST_ATTEMPTS`]), so concurrent
//! repayments on one loan are serialised instead of refused.

use domain::{BorrowerId, Date, Decimal, LoanId, Money};
use lending::{
    ClassificationRules, DatedEvent, Exposure, FiveCategory, Loan, LoanEvent, LoanState, LoanTerms, PortfolioQuality,
    Posting,
};
use store::{Appended, LoanRecord, LoanStore, NewEvent, NewLoan};

use crate::error::{Error, ErrorCode};

/// How many times a post is checked again when another writer appended to the loan first.
pub const POST_ATTEMPTS: u32 = 8;

/// The result of posting an event.
#[derive(Debug)]
pub struct Posted {
    /// The event's sequence number.
    pub seq: u32,
    /// True when the same key and event were posted before; nothing was written.
    pub duplicate: bool,
    /// Ledger lines posted (empty for a duplicate).
    pub postings: Vec<Posting>,
    /// The loan's state at the end of the event's date.
    pub state: LoanState,
}

/// One loan of a portfolio view.
#[derive(Debug)]
pub struct Position {
    /// The stored loan.
    pub record: LoanRecord,
    /// Its state on the view's date.
    pub state: LoanState,
}

/// Portfolio totals on a date, as `lending::PortfolioQuality` defines them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PortfolioSummary {
    /// The date.
    pub as_of: Date,
    /// Number of loans.
    pub loans: usize,
    /// Gross outstanding principal.
    pub outstanding: Money,
    /// Outstanding principal by class, best to worst.
    pub outstanding_by_class: Vec<(FiveCategory, Money)>,
    /// (次级 + 可疑 + 损失) ÷ outstanding, to 4 decimal places.
    pub npl_ratio: Decimal,
    /// Outstanding of loans over 1 DPD or restructured ÷ outstanding (CGAP PAR1), to 4 decimal places.
    pub par1: Decimal,
    /// Outstanding of loans over 30 DPD or restructured ÷ outstanding (CGAP PAR30), to 4 decimal places.
    pub par30: Decimal,
    /// Outstanding of loans over 90 DPD or restructured ÷ outstanding (CGAP PAR90), to 4 decimal places.
    pub par90: Decimal,
}

/// How many locks posts to loans are striped over.
const LOCK_STRIPES: usize = 64;

/// Storage plus the rules to interpret it.
pub struct Loans<S> {
    store: S,
    /// Posts to one loan from this process wait for each other (striped by loan id), so they do not race to the
    /// same event count; posts from other processes are caught by the store's expected count and checked again.
    locks: std::sync::Arc<[tokio::sync::Mutex<()>]>,
}

/// The classification rule set of that name (`rules`: an unknown one is bad input).
pub(crate) fn rules_named(name: &str) -> Result<ClassificationRules, Error> {
    ClassificationRules::named(name)
        .ok_or_else(|| Error::input("rules", format!("unknown rule set '{name}' (known: cbirc-2023, cbrc-2007)")))
}

impl<S: LoanStore> Loans<S> {
    /// An app over a store.
    pub fn new(store: S) -> Loans<S> {
        Loans { store, locks: (0..LOCK_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect() }
    }

    /// The same lending core over another handle on the store (e.g. one acting as a caller, for the audit trail),
    /// sharing this one's locks so posts to one loan still wait for each other.
    pub fn with_store(&self, store: S) -> Loans<S> {
        Loans { store, locks: std::sync::Arc::clone(&self.locks) }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back (to close it).
    pub fn into_store(self) -> S {
        self.store
    }

    /// A stored loan.
    pub async fn record(&self, id: &LoanId) -> Result<LoanRecord, Error> {
        self.store
            .loan(id)
            .await?
            .ok_or_else(|| Error::coded(ErrorCode::UnknownLoan, "loan", format!("loan {id} not found")))
    }

    /// Books an approved loan; returns its id.
    pub async fn create_loan(
        &self,
        id: Option<LoanId>,
        borrower: BorrowerId,
        terms: LoanTerms,
        rules: &str,
        approved_by: &str,
    ) -> Result<LoanId, Error> {
        rules_named(rules)?;
        if approved_by.trim().is_empty() {
            return Err(Error::input("approved-by", "is required"));
        }
        let id = match id {
            Some(id) => id,
            None => self.store.next_loan_id().await?,
        };
        let approved = DatedEvent { date: terms.start(), event: LoanEvent::Approved { by: approved_by.to_string() } };
        let loan = NewLoan { id: id.clone(), borrower, booked_on: terms.start(), terms, rules: rules.to_string() };
        self.store.create_loan(&loan, &[NewEvent { dated: approved, key: None }]).await?;
        Ok(id)
    }

    async fn load(&self, id: &LoanId) -> Result<(LoanRecord, Loan, Vec<DatedEvent>, Vec<Option<String>>), Error> {
        let record = self.record(id).await?;
        let loan = Loan::new(record.terms.clone(), rules_named(&record.rules)?);
        let stored = self.store.events(id).await?;
        let keys = stored.iter().map(|e| e.key.clone()).collect();
        let events = stored.into_iter().map(|e| e.dated).collect();
        Ok((record, loan, events, keys))
    }

    /// Posts one event under an idempotency key. The same key and event again is a no-op answered with the first
    /// posting's sequence number; the same key for another event is `request_reused`.
    pub async fn post(&self, id: &LoanId, dated: DatedEvent, key: Option<String>) -> Result<Posted, Error> {
        let stripe = id.as_str().bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
        let _turn = self.locks[stripe % self.locks.len()].lock().await;
        let mut attempt = 1;
        loop {
            match self.post_once(id, &dated, &key).await {
                Err(Error::Refused { code: ErrorCode::Conflict, .. }) if attempt < POST_ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    async fn post_once(&self, id: &LoanId, dated: &DatedEvent, key: &Option<String>) -> Result<Posted, Error> {
        let (_, loan, events, keys) = self.load(id).await?;
        if let Some(key) = key {
            if let Some(i) = keys.iter().position(|k| k.as_ref() == Some(key)) {
                if &events[i] != dated {
                    return Err(Error::coded(
                        ErrorCode::RequestReused,
                        "id",
                        format!("key {key} was already used on loan {id} for a different posting"),
                    ));
                }
                let state = loan.state_as_of(&events, dated.date)?;
                let seq = u32::try_from(i + 1).map_err(|e| Error::Internal(e.into()))?;
                return Ok(Posted { seq, duplicate: true, postings: Vec::new(), state });
            }
        }
        let (state, postings) = loan.check_append(&events, dated)?;
        let expected = u32::try_from(events.len()).map_err(|e| Error::Internal(e.into()))?;
        let changes: Vec<_> = state.changes.iter().filter(|c| c.date <= dated.date).cloned().collect();
        let event = NewEvent { dated: dated.clone(), key: key.clone() };
        let outcome = self.store.append(id, expected, &event, &postings, &changes).await?;
        Ok(match outcome {
            Appended::New { seq } => Posted { seq, duplicate: false, postings, state },
            Appended::Duplicate { seq } => Posted { seq, duplicate: true, postings: Vec::new(), state },
        })
    }

    /// Whether `dated` could be posted to the loan now (the lending core's checks, nothing written): a proposal of
    /// a reclassification or write-off is refused at once rather than when a second person confirms it.
    pub async fn check_post(&self, id: &LoanId, dated: &DatedEvent) -> Result<(), Error> {
        let (_, loan, events, _) = self.load(id).await?;
        loan.check_append(&events, dated)?;
        Ok(())
    }

    /// Whether an event under idempotency key `key` is stored on the loan already.
    pub async fn has_key(&self, id: &LoanId, key: &str) -> Result<bool, Error> {
        self.record(id).await?;
        Ok(self.store.events(id).await?.iter().any(|e| e.key.as_deref() == Some(key)))
    }

    /// Disburses a booked loan: `amount` defaults to the principal (a draw on a revolving line must name it),
    /// `date` to the loan's start.
    pub async fn disburse(&self, id: &LoanId, date: Option<Date>, amount: Option<Money>) -> Result<Posted, Error> {
        let terms = self.record(id).await?.terms;
        let amount = match amount {
            Some(a) => a,
            None if terms.product() == lending::ProductKind::Revolving => {
                return Err(Error::input("amount", "is required for a draw on a revolving line"));
            }
            None => terms.principal(),
        };
        let event = DatedEvent { date: date.unwrap_or(terms.start()), event: LoanEvent::Disbursed { amount } };
        self.post(id, event, None).await
    }

    /// A loan and its state as of a date.
    pub async fn position(&self, id: &LoanId, as_of: Date) -> Result<Position, Error> {
        let (record, loan, events, _) = self.load(id).await?;
        let state = loan.state_as_of(&events, as_of)?;
        Ok(Position { record, state })
    }

    /// Every loan and its state as of a date. Refused if the portfolio's totals overflow, so [`summarise`] can
    /// total what this returns.
    pub async fn portfolio(&self, as_of: Date) -> Result<Vec<Position>, Error> {
        let mut out = Vec::new();
        for record in self.store.loans().await? {
            out.push(self.position(&record.id, as_of).await?);
        }
        summarise(&out, as_of)?;
        Ok(out)
    }

    /// Classifies every loan as of a date and records every status change up to then (one transaction).
    pub async fn classify(&self, as_of: Date) -> Result<(Vec<Position>, PortfolioSummary, usize), Error> {
        let positions = self.portfolio(as_of).await?;
        let changes: Vec<_> =
            positions.iter().flat_map(|p| p.state.changes.iter().map(|c| (p.record.id.clone(), c.clone()))).collect();
        let recorded = self.store.record_changes(&changes).await?;
        let summary = summarise(&positions, as_of)?;
        Ok((positions, summary, recorded))
    }
}

/// Portfolio totals: outstanding by class, NPL ratio and PAR1/30/90 (`lending::PortfolioQuality`); an error if a
/// total overflows.
pub fn summarise(positions: &[Position], as_of: Date) -> Result<PortfolioSummary, Error> {
    let exposures: Vec<Exposure> = positions.iter().map(|p| Exposure::of(&p.state)).collect();
    let q = PortfolioQuality::of(&exposures).map_err(|e| Error::Internal(e.into()))?;
    Ok(PortfolioSummary {
        as_of,
        loans: q.loans(),
        outstanding: q.outstanding(),
        outstanding_by_class: q.outstanding_by_class().to_vec(),
        npl_ratio: q.npl_ratio(),
        par1: q.par1(),
        par30: q.par30(),
        par90: q.par90(),
    })
}
