//! `autoscaler.queue` — KEDA-style queue-length scaling: activation and scale to zero by polls,
//! and between 1 and max replicas an HPA on the queue length.

use serde::{Deserialize, Serialize};

use super::hpa::{Algorithm, HpaMetric, HpaSpec, RawRules, algorithm, algorithm_of};
use super::{LoadSignal, llm_target, llm_targets, period, positive};
use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `autoscaler.queue` (KEDA).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// Requests (queued or in service) per replica aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_per_replica: Option<f64>,
    /// LLM: running sequences per replica aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_running: Option<f64>,
    /// LLM: waiting requests per replica aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_waiting: Option<f64>,
    /// LLM: KV cache fraction in use per replica aimed at (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_kv_utilization: Option<f64>,
    /// Active above this many requests (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<f64>,
    /// Time between KEDA polls (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling: Option<DurationValue>,
    /// Scale to zero this long after the last active poll (default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<DurationValue>,
    /// Time between decisions (default 15s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_period: Option<DurationValue>,
    /// No change within this relative band around the target (default 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Scale down only to the highest recommendation of this window (default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_stabilization: Option<DurationValue>,
    /// Scale up only to the lowest recommendation of this window (default 0s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up_stabilization: Option<DurationValue>,
    /// Scale-up rate policies (default: 4 pods or 100% per 15s, the larger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up: Option<RawRules>,
    /// Scale-down rate policies (default: 100% per 15s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down: Option<RawRules>,
}

/// KEDA-style queue scaling.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSpec {
    /// Active while the signal (the queue, or an LLM gauge summed over replicas) is above this.
    pub activation: f64,
    /// Time between KEDA's polls (activation and scale to zero).
    pub polling: Duration,
    /// Scale to zero once no poll has been active for this long.
    pub cooldown: Duration,
    /// The HPA KEDA drives between 1 and max replicas (metric: queue length).
    pub hpa: HpaSpec,
}

/// `floor`: the fleet's fewest replicas (fixed pools and autoscaled minimums).
pub(super) fn queue(key: &str, raw: &RawQueue, llm: bool, floor: u32) -> Result<QueueSpec> {
    let mut given: Vec<_> = llm_targets(raw.target_running, raw.target_waiting, raw.target_kv_utilization).collect();
    if let Some(v) = raw.target_per_replica {
        given.insert(0, ("target_per_replica", LoadSignal::InSystem, v));
    }
    let (signal, per_replica) = match given.as_slice() {
        [] => {
            return invalid(
                format!("{key}.target_per_replica"),
                "missing: give one target, target_per_replica (e.g. 6), or for an LLM target_running, target_waiting or target_kv_utilization",
            );
        }
        [("target_per_replica", _, v)] => (LoadSignal::InSystem, positive(&format!("{key}.target_per_replica"), *v)?),
        [(k, signal, v)] => (*signal, llm_target(&format!("{key}.{k}"), *signal, *v, llm)?),
        [_, (second, _, _), ..] => {
            return invalid(
                format!("{key}.{second}"),
                "give one target: target_per_replica, target_running, target_waiting or target_kv_utilization",
            );
        }
    };
    if floor == 0 && matches!(signal, LoadSignal::Running | LoadSignal::KvUtilization) {
        return invalid(
            format!("{key}.{}", signal.key()),
            "a fleet at zero runs nothing and holds no KV cache, so this signal could never wake it: give an autoscaled pool min: 1 or more, or use target_waiting",
        );
    }
    let activation = raw.activation.unwrap_or(0.0);
    if !(activation.is_finite() && activation >= 0.0) {
        return invalid(format!("{key}.activation"), format!("must be 0 or more, found {activation}"));
    }
    Ok(QueueSpec {
        activation,
        polling: period(&format!("{key}.polling"), raw.polling, Duration::from_secs(30), false)?,
        cooldown: period(&format!("{key}.cooldown"), raw.cooldown, Duration::from_secs(300), true)?,
        hpa: algorithm(key, &algorithm_of!(raw), HpaMetric::QueueLength { per_replica, signal })?,
    })
}
