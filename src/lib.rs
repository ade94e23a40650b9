//! fleetsim: a discrete-event simulator for ML infrastructure fleets and schedules.
//!
//! The pipeline is scenario → engine → metrics → output: [`scenario::load`] reads and validates a
//! YAML file, [`serving::simulate`] runs it (pure: no files, no clock), [`metrics`] holds what it
//! measured and [`output`] turns results into files. The binary in `main.rs` wires them to the CLI.
#![warn(missing_docs)]

pub mod autoscale;
pub mod check;
pub mod engine;
pub mod fleet;
#[doc(hidden)]
pub mod fuzz;
pub mod input;
pub mod job;
pub mod llm;
pub mod metrics;
pub mod output;
pub mod report;
pub mod run;
pub mod scenario;
pub mod serving;
pub mod sweep;
pub mod trace;
