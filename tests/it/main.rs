//! fleetsim's integration tests: one binary, one module per concern.

mod assumptions;
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
mod job_events;
mod limits;
mod llm;
mod llm_cli;
mod llm_outputs;
mod queueing;
mod report;
mod routing;
mod special;
mod spot;
mod step_times;
mod sweep;
mod tokens;
mod traces;
