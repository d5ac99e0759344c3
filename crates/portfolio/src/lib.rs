//! Portfolio risk as of a date, pure: what the whole book is worth and where its risk sits.
//!
//! [`Book::build`] reads every borrower's loans and repayment rows known on the date in one pass, on the lending
//! core's one DPD clock, into one [`book::Position`] per loan (exposure, IFRS 9 stage, PD, LGD, EAD, ECL, groups)
//! and the [`history::History`] of month ends, cohorts and write-offs. [`report::build`] turns it into a
//! [`Report`]: PAR1/30/90, NPL ratio and balances by five-category class (`lending::PortfolioQuality`), expected
//! credit loss by stage, the regulatory provision with coverage ratios, vintage curves, roll rates, the write-off
//! ratio, concentration with HHI and limit breaches ([`report::breaches`]), and breakdowns by branch, product and
//! segment; [`render`] prints it as a table, JSON or one self-contained HTML page. [`stress`] projects the book
//! under a scenario of shocks; [`drift`] measures how far the scored population, the model's accuracy and the
//! approval rate moved from a reference date. The method and its sources are in `docs/portfolio.md`.
//!
//! Pure: no I/O, no clock, no randomness. Money is integer fen, rates exact decimals, every rounding explicit.
#![deny(clippy::float_arithmetic)]

pub mod book;
pub mod config;
pub mod drift;
pub mod ecl;
pub mod history;
pub mod render;
pub mod report;
pub mod stress;

pub use book::{Book, Inputs, Position};
pub use config::{CONFIG_VERSION, Config, ConfigError};
pub use report::{Breach, Report};

/// A way of grouping the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// The borrower's village (12-digit code).
    Village,
    /// The village's county (6 digits).
    County,
    /// The crop financed, `livestock`, or the borrower's main crop.
    Crop,
    /// The product.
    Product,
    /// The borrower's main produce buyer (`agri_buyer` counterparty), `none` without one.
    Buyer,
    /// The branch: the township, the first 9 digits of the village code.
    Branch,
    /// The segment: product × agricultural zone (the credit model has no segments of its own).
    Segment,
}

impl Dimension {
    /// Every dimension, in [`book::Position::groups`] order.
    pub const ALL: [Dimension; 7] = [
        Dimension::Village,
        Dimension::County,
        Dimension::Crop,
        Dimension::Product,
        Dimension::Buyer,
        Dimension::Branch,
        Dimension::Segment,
    ];

    /// The code used in files.
    pub fn code(self) -> &'static str {
        match self {
            Dimension::Village => "village",
            Dimension::County => "county",
            Dimension::Crop => "crop",
            Dimension::Product => "product",
            Dimension::Buyer => "buyer",
            Dimension::Branch => "branch",
            Dimension::Segment => "segment",
        }
    }

    /// The Chinese heading.
    pub fn name_zh(self) -> &'static str {
        match self {
            Dimension::Village => "村",
            Dimension::County => "县",
            Dimension::Crop => "作物",
            Dimension::Product => "产品",
            Dimension::Buyer => "收购商",
            Dimension::Branch => "网点(乡镇)",
            Dimension::Segment => "客群",
        }
    }

    /// Position in [`Dimension::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Why a report cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortfolioError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A total does not fit in 64-bit fen.
    #[error("{field}: the total overflows 64-bit fen")]
    Overflow {
        /// The total.
        field: &'static str,
    },
    /// The lending core refused a total.
    #[error(transparent)]
    Lending(#[from] lending::PortfolioError),
}
