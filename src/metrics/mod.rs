//! What a run measures: latency statistics, the summary and the time series.

pub mod latency;
pub mod summary;
pub mod timeseries;
pub mod tokens;

pub use latency::{LatencyStats, LatencySummary};
pub use summary::Summary;
pub use timeseries::TimeSeries;
