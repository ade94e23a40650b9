//! Instances, markets, billing and the built-in catalog of instance types.

pub mod billing;
pub mod catalog;
