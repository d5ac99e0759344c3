//! The vocabulary of agririsk, shared by every other crate.
//!
//! Everything here is pure: no I/O, no clock reads, no randomness. Raw input becomes one of these types once, at the
//! edge, and the types keep their invariants from then on: a [`Money`] is whole fen, a [`Rate`] is an exact
//! decimal, a [`NationalId`] has a valid GB 11643 check digit, and so on.
#![deny(clippy::float_arithmetic)]

pub mod calendar;
pub mod crop;
pub mod digest;
pub mod ids;
pub mod lpr;
pub mod money;
pub mod party;
pub mod rate;
pub mod timestamp;

pub use calendar::{Clock, Date, DateError, DayCount, FixedClock, add_months, days_between, end_of_month, parse_date};
pub use crop::{Crop, CropCalendar, CropSeason, NoSeason, Region, UnknownCode};
pub use digest::{hex, unhex};
pub use ids::{
    ApplicationId, BorrowerId, CollateralId, DecisionId, GroupId, HouseholdId, IdError, InstallmentId, LoanId,
    MobileNumber, NationalId, OfficerId, ProductId, RepaymentId, ScheduleId, VillageCode, gb11643_check_char,
};
pub use lpr::{LprError, LprFixing, LprTable, LprTenor};
pub use money::{Allocation, Money, MoneyError, Rounding, UnroundedMoney};
pub use party::{Borrower, Collateral, CollateralKind, Household, JointLiabilityGroup, PartyError, Village};
pub use rate::{Rate, RateError};
pub use rust_decimal::Decimal;
pub use timestamp::{Timestamp, TimestampError, china_standard_time};
