//! `autoscaler.queue` — KEDA-style queue-length scaling: activation and scale to zero by polls,
//! and between 1 and max replicas an HPA on the queue length.

use serde::{Deserialize, Serialize};

use super::hpa::{Algorithm, HpaMetric, HpaSpec, RawRules, algorithm, algorithm_of};
use super::{period, positive};
use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `autoscaler.queue` (KEDA).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// Requests (queued or in service) per replica aimed at.
    pub target_per_replica: f64,
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
    /// Active while the queue holds more than this.
    pub activation: f64,
    /// Time between KEDA's polls (activation and scale to zero).
    pub polling: Duration,
    /// Scale to zero once no poll has been active for this long.
    pub cooldown: Duration,
    /// The HPA KEDA drives between 1 and max replicas (metric: queue length).
    pub hpa: HpaSpec,
}

pub(super) fn queue(key: &str, raw: &RawQueue) -> Result<QueueSpec> {
    let per_replica = positive(&format!("{key}.target_per_replica"), raw.target_per_replica)?;
    let activation = raw.activation.unwrap_or(0.0);
    if !(activation.is_finite() && activation >= 0.0) {
        return invalid(format!("{key}.activation"), format!("must be 0 or more, found {activation}"));
    }
    Ok(QueueSpec {
        activation,
        polling: period(&format!("{key}.polling"), raw.polling, Duration::from_secs(30), false)?,
        cooldown: period(&format!("{key}.cooldown"), raw.cooldown, Duration::from_secs(300), true)?,
        hpa: algorithm(key, &algorithm_of!(raw), HpaMetric::QueueLength { per_replica })?,
    })
}
