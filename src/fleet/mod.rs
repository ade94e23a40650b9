//! Instances, markets, billing and the built-in catalog of instance types.

pub mod audit;
pub mod billing;
pub mod catalog;
pub mod hazard;
pub mod market;
pub mod market_refs;
pub mod zone;
pub mod zone_picker;
