//! What a run of any workload produces, and why one stops early.

use crate::engine::SimTime;
use crate::fleet::audit::Audit;
use crate::metrics::timeseries::TimeSeries;
use crate::metrics::tokens::TokenMetrics;
use crate::metrics::{LatencyStats, Summary};
use crate::trace::requests::TraceError;

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The request trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A limit was reached, or the run was given what it cannot run.
    #[error("{0}")]
    Limit(String),
}

/// What a run produces.
pub struct Outcome {
    /// `summary.json`.
    pub summary: Summary,
    /// `timeseries.csv`.
    pub timeseries: TimeSeries,
    /// Latencies of measured requests (for charts).
    pub latency: LatencyStats,
    /// LLM runs: the token-level figures, whose TTFT and TPOT distributions go to `ttft.csv` and
    /// `tpot.csv`.
    pub tokens: Option<TokenMetrics>,
    /// Warnings for the user (e.g. requests dropped at the queue limit).
    pub warnings: Vec<String>,
    /// When each interruption notice came, in order (for checks and charts).
    pub interruption_times: Vec<SimTime>,
    /// What each instance was billed, for the invariant checker (`fleetsim::check`).
    pub audit: Audit,
}
