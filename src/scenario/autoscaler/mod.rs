//! `autoscaler:` — at most one load-following autoscaler (`hpa`, `queue`, `kpa`, one file each,
//! as in [`crate::autoscale`]) and schedule floors (`schedule`): the raw keys, the validated
//! forms and their validation.
//!
//! Defaults are the documented ones of each system: Kubernetes' HPA (sync 15 s, tolerance 0.1,
//! scale-down stabilization 300 s, scale up by max(100%, 4 pods) and down by 100% per 15 s),
//! KEDA (polling 30 s, cooldown 300 s, activation 0) and Knative (stable 60 s, panic 6 s, panic
//! threshold 200%, scale-up rate 1000, scale-down rate 2, target utilization 70%, grace 30 s,
//! tick 2 s).

pub mod hpa;
pub mod kpa;
pub mod queue;
pub mod schedule;

use serde::{Deserialize, Serialize};

use super::PoolSpec;
use super::error::{Invalid, invalid};
use super::units::DurationValue;
use crate::engine::Duration;
use hpa::{HpaMetric, HpaSpec, RawHpa};
use kpa::{KpaSpec, RawKpa};
use queue::{QueueSpec, RawQueue};
use schedule::{RawScheduleEntry, ScheduleEntry};

type Result<T> = std::result::Result<T, Invalid>;

/// `autoscaler:`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscaler {
    /// Kubernetes HPA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa: Option<RawHpa>,
    /// KEDA-style queue-length scaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<RawQueue>,
    /// Knative KPA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpa: Option<RawKpa>,
    /// Floors on the replica count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<RawScheduleEntry>>,
}

/// `autoscaler:` — at most one load-following autoscaler, and schedule floors.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalerSpec {
    /// The load-following autoscaler, if any.
    pub scaler: Option<ScalerSpec>,
    /// Floors on the fleet's replica count by time of day or simulated time.
    pub schedule: Vec<ScheduleEntry>,
}

impl ScalerSpec {
    /// What it counts per replica.
    pub fn signal(&self) -> LoadSignal {
        match self {
            ScalerSpec::Hpa(h) => h.metric.signal(),
            ScalerSpec::Queue(q) => q.hpa.metric.signal(),
            ScalerSpec::Kpa(k) => k.signal,
        }
    }
}

/// The load-following autoscalers.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalerSpec {
    /// Kubernetes' Horizontal Pod Autoscaler.
    Hpa(HpaSpec),
    /// KEDA-style queue-length scaling (activation and scale to zero, then an HPA).
    Queue(QueueSpec),
    /// Knative's Pod Autoscaler.
    Kpa(KpaSpec),
}

/// What a load-following autoscaler counts per replica. Requests in the system is every
/// autoscaler's default; the others are an LLM engine's own gauges (vLLM's
/// `num_requests_running`, `num_requests_waiting` and `gpu_cache_usage_perc`), for scenarios with
/// an `llm:` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadSignal {
    /// Requests queued or in service.
    InSystem,
    /// Sequences an LLM replica runs (admitted, in its iterations).
    Running,
    /// Requests waiting for an LLM replica to admit them: in the system and not running.
    Waiting,
    /// KV cache blocks in use over the replica's blocks (a fraction per replica).
    KvUtilization,
}

impl LoadSignal {
    /// The target key that selects it (`target_running`, …).
    pub fn key(self) -> &'static str {
        match self {
            LoadSignal::InSystem => "target_in_flight",
            LoadSignal::Running => "target_running",
            LoadSignal::Waiting => "target_waiting",
            LoadSignal::KvUtilization => "target_kv_utilization",
        }
    }
}

/// The LLM signals' target keys, as `(key, signal, target)` for the ones given.
pub(super) fn llm_targets(
    running: Option<f64>,
    waiting: Option<f64>,
    kv: Option<f64>,
) -> impl Iterator<Item = (&'static str, LoadSignal, f64)> {
    [(LoadSignal::Running, running), (LoadSignal::Waiting, waiting), (LoadSignal::KvUtilization, kv)]
        .into_iter()
        .filter_map(|(s, v)| v.map(|v| (s.key(), s, v)))
}

/// Validates the target of an LLM signal given at `key`.
pub(super) fn llm_target(key: &str, signal: LoadSignal, v: f64, llm: bool) -> Result<f64> {
    if !llm {
        return invalid(
            key,
            "is an LLM engine's signal: only scenarios with an `llm:` section have running sequences, waiting requests and a KV cache (use target_in_flight, target_concurrency or target_per_replica)",
        );
    }
    if signal == LoadSignal::KvUtilization && !(v.is_finite() && v > 0.0 && v <= 1.0) {
        return invalid(key, format!("must be above 0 and at most 1 (a fraction of the KV cache), found {v}"));
    }
    positive(key, v)
}

impl ScalerSpec {
    /// The same autoscaler deciding in instances that host `replicas` replicas each (an LLM pool
    /// with tensor parallelism): targets per replica that it compares with a load per *instance*
    /// (queue length, an LLM gauge summed over the fleet, arrivals per instance, Knative's
    /// averages) are multiplied by `replicas`, so that each replica still sees its target.
    /// Utilization, in-flight requests and the HPA's LLM gauges are averaged over ready replicas
    /// by the world, and need no change.
    pub fn per_instance(&self, replicas: u32) -> ScalerSpec {
        let k = f64::from(replicas);
        let hpa = |h: &HpaSpec| {
            let metric = match h.metric {
                HpaMetric::Rps { per_replica } => HpaMetric::Rps { per_replica: per_replica * k },
                HpaMetric::QueueLength { per_replica, signal } => {
                    HpaMetric::QueueLength { per_replica: per_replica * k, signal }
                }
                m @ (HpaMetric::Utilization { .. } | HpaMetric::InFlight { .. } | HpaMetric::Llm { .. }) => m,
            };
            HpaSpec { metric, ..h.clone() }
        };
        match self {
            ScalerSpec::Hpa(h) => ScalerSpec::Hpa(hpa(h)),
            ScalerSpec::Queue(q) => ScalerSpec::Queue(QueueSpec { hpa: hpa(&q.hpa), ..q.clone() }),
            ScalerSpec::Kpa(kpa) => {
                ScalerSpec::Kpa(KpaSpec { target_concurrency: kpa.target_concurrency * k, ..kpa.clone() })
            }
        }
    }
}

/// Highest `--set`-able windows and periods: a day.
const MAX_PERIOD: Duration = Duration::from_secs(86_400);

pub(super) fn positive(key: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 { Ok(v) } else { invalid(key, format!("must be a number above 0, found {v}")) }
}

/// Shortest time between an autoscaler's decisions.
const MIN_DECISION_PERIOD: Duration = Duration::from_millis(100);

pub(super) fn period(key: &str, d: Option<DurationValue>, default: Duration, allow_zero: bool) -> Result<Duration> {
    let d = d.map_or(default, |d| d.0);
    if !allow_zero && d < MIN_DECISION_PERIOD {
        return invalid(key, format!("{d} is shorter than the limit of 100ms between decisions"));
    }
    if d > MAX_PERIOD {
        return invalid(key, format!("{d} is longer than the limit of 1d"));
    }
    Ok(d)
}

/// Validates `autoscaler:` against the fleet's pools. `key` is `"autoscaler"`.
/// `llm`: whether the scenario has an `llm:` section (the LLM signals need one).
pub(super) fn autoscaler(raw: Option<&RawAutoscaler>, pools: &[PoolSpec], llm: bool) -> Result<Option<AutoscalerSpec>> {
    let autoscaled: Vec<&PoolSpec> = pools.iter().filter(|p| p.scaling.is_some()).collect();
    let Some(raw) = raw else {
        if let Some(p) = autoscaled.first() {
            return invalid(
                "autoscaler",
                format!(
                    "missing: pool {:?} has min/max, so an autoscaler must drive it (hpa, queue, kpa or schedule)",
                    p.name
                ),
            );
        }
        return Ok(None);
    };
    if autoscaled.is_empty() {
        return invalid(
            "autoscaler",
            "no pool has min/max for it to drive: give a pool `min` and `max` instead of `count`",
        );
    }
    let given: Vec<&str> = [("hpa", raw.hpa.is_some()), ("queue", raw.queue.is_some()), ("kpa", raw.kpa.is_some())]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect();
    if given.len() > 1 {
        return invalid(
            format!("autoscaler.{}", given[1]),
            format!("at most one autoscaler: {} are given", given.join(" and ")),
        );
    }
    let schedule = raw
        .schedule
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, e)| schedule::schedule_entry(&format!("autoscaler.schedule[{i}]"), e))
        .collect::<Result<Vec<_>>>()?;
    let fixed: u32 = pools.iter().filter(|p| p.scaling.is_none()).map(|p| p.count).sum();
    let mins: u32 = autoscaled.iter().filter_map(|p| p.scaling).map(|b| b.min).sum();
    let scaler = if let Some(h) = &raw.hpa {
        if fixed + mins == 0 {
            return invalid(
                "autoscaler.hpa",
                "the HPA cannot scale from zero replicas: give an autoscaled pool min: 1 or more, or use queue or kpa for scale to zero",
            );
        }
        Some(ScalerSpec::Hpa(hpa::hpa("autoscaler.hpa", h, llm)?))
    } else if let Some(q) = &raw.queue {
        Some(ScalerSpec::Queue(queue::queue("autoscaler.queue", q, llm, fixed + mins)?))
    } else if let Some(k) = &raw.kpa {
        Some(ScalerSpec::Kpa(kpa::kpa("autoscaler.kpa", k, llm)?))
    } else {
        None
    };
    if scaler.is_none() && schedule.is_empty() {
        return invalid("autoscaler", "is empty: give one of hpa, queue or kpa, and/or a schedule");
    }
    Ok(Some(AutoscalerSpec { scaler, schedule }))
}
