//! Integration tests of the scoring crate: binning invariants as properties over random data, and the scorecard on
//! the public credit datasets (`<workspace>/../shared/data/credit`, or `AGRIRISK_CREDIT_DATA`).

mod binning_properties;
mod credit_data;
