//! `output:` — the row spacing of `timeseries.csv`, with its default that follows the horizon and
//! the bounds on the rows and cells a run keeps.

use serde::{Deserialize, Serialize};

use super::error::{Invalid, invalid};
use super::units::DurationValue;
use crate::engine::Duration;

type Result<T> = std::result::Result<T, Invalid>;

/// `output: { timeseries_interval }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// Row spacing of `timeseries.csv` (default 1m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries_interval: Option<DurationValue>,
}

/// Most rows `timeseries.csv` may have.
pub const MAX_TIMESERIES_ROWS: u64 = 1_000_000;

/// Most time-series cells (rows × (pools + fixed columns)) held in memory.
pub const MAX_TIMESERIES_CELLS: u64 = 20_000_000;

/// Most time-series rows a run keeps with `n_pools` pools (the row and cell limits): the horizon's
/// rows are checked against it, and a drain after the horizon stops adding rows there.
pub fn max_timeseries_rows(n_pools: usize) -> u64 {
    MAX_TIMESERIES_ROWS.min(MAX_TIMESERIES_CELLS / (n_pools as u64 + 20))
}

/// Rows the default `output.timeseries_interval` gives at most.
pub const DEFAULT_TIMESERIES_ROWS: u64 = 10_000;

/// The default row spacing of `timeseries.csv`: 1m, or for a horizon longer than 10,000 minutes
/// the shortest of 5m, 15m, 30m, 1h, 2h, 6h, 12h and 1d that keeps it within 10,000 rows.
pub fn default_timeseries_interval(horizon: Duration) -> Duration {
    const STEPS_S: [u64; 9] = [60, 300, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400];
    let step_s = STEPS_S
        .into_iter()
        .find(|&s| horizon.as_nanos() / Duration::from_secs(s).as_nanos() <= DEFAULT_TIMESERIES_ROWS)
        .unwrap_or(86_400); // 10 years at 1d: 3,650 rows
    Duration::from_secs(step_s)
}

pub(super) fn timeseries_interval(raw: Option<&RawOutput>, horizon: Duration, n_pools: usize) -> Result<Duration> {
    let interval =
        raw.and_then(|o| o.timeseries_interval).map_or_else(|| default_timeseries_interval(horizon), |d| d.0);
    if interval == Duration::ZERO {
        return invalid("output.timeseries_interval", "must be longer than 0");
    }
    let n_rows = horizon.0 / interval.0;
    if n_rows > MAX_TIMESERIES_ROWS || n_rows.saturating_mul(n_pools as u64 + 20) > MAX_TIMESERIES_CELLS {
        return invalid(
            "output.timeseries_interval",
            format!(
                "{interval} gives {n_rows} rows over the horizon {horizon}, too many to keep (at most {MAX_TIMESERIES_ROWS}, fewer with many pools); use a longer interval"
            ),
        );
    }
    Ok(interval)
}
