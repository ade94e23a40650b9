//! Instances, markets, billing and the built-in catalog of instance types.
//!
//! [`Fleet`] owns a run's instances and their life-cycle ([`instances`]); every workload drives
//! one.

pub mod audit;
pub mod billing;
pub mod catalog;
pub mod hazard;
pub mod instances;
pub mod market;
pub mod market_refs;
pub mod zone;
pub mod zone_picker;

pub use instances::{Fleet, FleetEvent, InstanceId, InstanceState, ZoneId};
