//! fleetsim's integration tests: one binary, one module per concern.

mod autoscale;
mod batching;
mod billing;
mod cli;
mod common;
mod determinism;
mod errors;
mod faults;
mod fuzz_regressions;
mod invariants;
mod job;
mod limits;
mod queueing;
mod report;
mod special;
mod spot;
mod sweep;
mod traces;
