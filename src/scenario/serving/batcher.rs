//! `batcher:` — batch formation: the largest batch, how long the oldest request waits for a
//! fuller one, and the queue's bounds (length, and how long a request may wait).

use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `batcher: { max_batch_size, max_wait }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatcher {
    /// Largest batch (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<u32>,
    /// Longest the oldest request waits for a fuller batch (default 0: dispatch at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait: Option<DurationValue>,
    /// Most requests waiting; arrivals beyond it are dropped (default: no limit but the engine's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue: Option<u64>,
    /// Requests still waiting this long after arriving are dropped (default: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue_wait: Option<DurationValue>,
}

/// Batch formation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batcher {
    /// Largest batch.
    pub max_batch_size: NonZeroU32,
    /// Longest the oldest request waits for a fuller batch.
    pub max_wait: Duration,
    /// Most requests waiting before arrivals are dropped.
    pub max_queue: Option<usize>,
    /// Requests still waiting this long after they arrived are dropped (a client timeout).
    pub max_queue_wait: Option<Duration>,
}

/// Largest batch size accepted.
pub const MAX_BATCH_SIZE: u32 = 1 << 20;

pub(super) fn batcher(raw: Option<&RawBatcher>) -> Result<Batcher> {
    let size = raw.and_then(|b| b.max_batch_size).unwrap_or(1);
    let Some(max_batch_size) = NonZeroU32::new(size).filter(|s| s.get() <= MAX_BATCH_SIZE) else {
        return invalid("batcher.max_batch_size", format!("must be between 1 and {MAX_BATCH_SIZE}, found {size}"));
    };
    let max_wait = raw.and_then(|b| b.max_wait).map_or(Duration::ZERO, |d| d.0);
    let max_queue = match raw.and_then(|b| b.max_queue) {
        None => None,
        Some(0) => return invalid("batcher.max_queue", "must be at least 1 (or left out for no limit)"),
        Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let max_queue_wait = match raw.and_then(|b| b.max_queue_wait) {
        Some(DurationValue(d)) if d == Duration::ZERO => {
            return invalid(
                "batcher.max_queue_wait",
                "must be longer than 0 (or left out: requests wait as long as it takes)",
            );
        }
        other => other.map(|d| d.0),
    };
    Ok(Batcher { max_batch_size, max_wait, max_queue, max_queue_wait })
}
