//! `limits:` — what one run may use (events, queued and held requests, instances launched)
//! before it stops, or drops arrivals, with a message; and the check, before a run starts, that
//! its arrivals alone fit the event limit.

use serde::{Deserialize, Serialize};

use super::error::{Invalid, invalid};
use super::{Arrivals, Scenario};

type Result<T> = std::result::Result<T, Invalid>;

/// `limits:` (each optional; defaults in [`Limits`]).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Events one run may process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u64>,
    /// Requests waiting in the queues at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queued_requests: Option<u64>,
    /// Requests held at once: waiting, in service or being answered from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests_in_memory: Option<u64>,
    /// Instances (gangs, for a job) launched over the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_instances_launched: Option<u64>,
}

/// Bounds that keep a run from exhausting memory or time; reaching one is reported, never an
/// out-of-memory kill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Most requests waiting in the queues at once; arrivals beyond it are dropped and counted.
    pub max_queued_requests: usize,
    /// Most requests held at once (waiting, in service, answered from the cache); arrivals beyond
    /// it are dropped and counted.
    pub max_requests_in_memory: u64,
    /// Most events one run may process before it stops with an error.
    pub max_events: u64,
    /// Most instances (gangs, for a job) one run may launch before it stops with an error: each
    /// is kept for its bill.
    pub max_instances_launched: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_queued_requests: 20_000_000,
            max_requests_in_memory: 25_000_000,
            max_events: 50_000_000_000,
            max_instances_launched: 10_000_000,
        }
    }
}

/// `limits:`: each at least 1 and at most a ceiling far past what one machine holds.
pub(super) fn limits(raw: Option<&RawLimits>) -> Result<Limits> {
    let mut l = Limits::default();
    let Some(raw) = raw else { return Ok(l) };
    let check = |key: &str, v: Option<u64>, max: u64| -> Result<Option<u64>> {
        match v {
            Some(0) => invalid(format!("limits.{key}"), "must be at least 1"),
            Some(v) if v > max => invalid(format!("limits.{key}"), format!("{v} is more than the ceiling of {max}")),
            v => Ok(v),
        }
    };
    if let Some(v) = check("max_events", raw.max_events, 1_000_000_000_000_000)? {
        l.max_events = v;
    }
    if let Some(v) = check("max_queued_requests", raw.max_queued_requests, 1_000_000_000)? {
        l.max_queued_requests = v as usize;
    }
    if let Some(v) = check("max_requests_in_memory", raw.max_requests_in_memory, 1_000_000_000)? {
        l.max_requests_in_memory = v;
    }
    if let Some(v) = check("max_instances_launched", raw.max_instances_launched, 1_000_000_000)? {
        l.max_instances_launched = v;
    }
    Ok(l)
}

/// Refuses, before it starts, a run whose arrivals alone (one event each) would pass
/// `limits.max_events`: better said now than after an hour of simulating.
pub(super) fn event_budget(s: &Scenario) -> Result<()> {
    let Some(sv) = s.serving() else { return Ok(()) };
    let expected = match sv.arrivals {
        Arrivals::Poisson { rate_per_s } | Arrivals::Constant { rate_per_s } => rate_per_s * s.horizon.as_secs_f64(),
        Arrivals::Diurnal { mean_per_s, .. } => mean_per_s * s.horizon.as_secs_f64(),
        Arrivals::Items { count, .. } => count as f64,
        Arrivals::Trace { .. } => 0.0, // known only by reading it: the run stops at the limit
    };
    if expected > s.limits.max_events as f64 {
        return invalid(
            "workload.arrivals",
            format!(
                "about {expected:.3e} arrivals over the {} horizon, each at least one event, are more than \
                 limits.max_events ({}); shorten the horizon, lower the rate or raise limits.max_events",
                s.horizon, s.limits.max_events
            ),
        );
    }
    Ok(())
}
