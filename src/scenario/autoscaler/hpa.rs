//! `autoscaler.hpa` — Kubernetes' Horizontal Pod Autoscaler: one target metric, and the algorithm
//! keys (sync period, tolerance, stabilization windows, rate policies) that KEDA's HPA
//! (`autoscaler.queue`) shares.

use serde::{Deserialize, Serialize};

use super::{LoadSignal, llm_target, llm_targets, period, positive};
use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `autoscaler.hpa`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHpa {
    /// Busy fraction of ready replicas aimed at (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_utilization: Option<f64>,
    /// Requests queued or in service per ready replica aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_in_flight: Option<f64>,
    /// Arrivals per second per ready replica aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rps: Option<f64>,
    /// LLM: sequences running per ready replica aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_running: Option<f64>,
    /// LLM: requests waiting (not admitted) per ready replica aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_waiting: Option<f64>,
    /// LLM: fraction of a ready replica's KV cache in use aimed at (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_kv_utilization: Option<f64>,
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

/// The HPA algorithm keys of `hpa` or `queue` (KEDA's HPA).
pub(super) struct Algorithm<'a> {
    pub(super) sync_period: Option<DurationValue>,
    pub(super) tolerance: Option<f64>,
    pub(super) scale_down_stabilization: Option<DurationValue>,
    pub(super) scale_up_stabilization: Option<DurationValue>,
    pub(super) scale_up: Option<&'a RawRules>,
    pub(super) scale_down: Option<&'a RawRules>,
}

macro_rules! algorithm_of {
    ($raw:expr) => {
        Algorithm {
            sync_period: $raw.sync_period,
            tolerance: $raw.tolerance,
            scale_down_stabilization: $raw.scale_down_stabilization,
            scale_up_stabilization: $raw.scale_up_stabilization,
            scale_up: $raw.scale_up.as_ref(),
            scale_down: $raw.scale_down.as_ref(),
        }
    };
}
pub(super) use algorithm_of;

/// `scale_up:` / `scale_down:` (Kubernetes' `behavior.scaleUp`/`scaleDown` without the window).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    /// `max` (default), `min` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<RawSelect>,
    /// Rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<RawPolicy>>,
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawSelect {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One policy: `{ pods: 4, period: 15s }` or `{ percent: 100, period: 15s }`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Pods per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<u32>,
    /// Percent of the replicas at the period's start per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
    /// The period.
    pub period: DurationValue,
}

/// What the HPA measures, with its target per replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HpaMetric {
    /// Busy fraction of ready replicas over the last sync period, as a whole percentage (as
    /// Kubernetes' `averageUtilization`).
    Utilization {
        /// Target, percent.
        percent: u32,
    },
    /// Requests queued or in service per ready replica, averaged over the last sync period.
    InFlight {
        /// Target per replica.
        per_replica: f64,
    },
    /// Arrivals per second per ready replica over the last sync period.
    Rps {
        /// Target per replica.
        per_replica: f64,
    },
    /// An external metric with an `AverageValue` target: requests queued or in service now,
    /// over the replicas asked for (what KEDA's queue scalers feed the HPA); or, for an LLM,
    /// the fleet's running sequences, waiting requests or summed KV utilization now.
    QueueLength {
        /// Target per replica.
        per_replica: f64,
        /// What is counted.
        signal: LoadSignal,
    },
    /// An LLM engine's gauge per ready replica (a pods metric with an `AverageValue` target),
    /// averaged over the last sync period: running sequences, waiting requests or the fraction
    /// of the KV cache in use.
    Llm {
        /// Running, Waiting or KvUtilization.
        signal: LoadSignal,
        /// Target per replica.
        per_replica: f64,
    },
}

impl HpaMetric {
    /// What it counts per replica (requests in the system for the metrics of every scenario).
    pub fn signal(&self) -> LoadSignal {
        match *self {
            HpaMetric::QueueLength { signal, .. } | HpaMetric::Llm { signal, .. } => signal,
            _ => LoadSignal::InSystem,
        }
    }
}

/// The HPA's algorithm parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// Metric and target.
    pub metric: HpaMetric,
    /// Time between decisions.
    pub sync_period: Duration,
    /// No change while |1 − metric/target| is at most this.
    pub tolerance: f64,
    /// Scale-up behaviour.
    pub scale_up: ScalingRules,
    /// Scale-down behaviour.
    pub scale_down: ScalingRules,
}

/// One direction of the HPA's `behavior`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    /// Stabilization window: scaling down follows the highest recommendation in it (scaling up
    /// the lowest).
    pub stabilization: Duration,
    /// How the policies combine.
    pub select: SelectPolicy,
    /// Rate limits.
    pub policies: Vec<ScalingPolicy>,
}

impl ScalingRules {
    /// Kubernetes' default scale-up: at most max(+100%, +4 pods) per 15 s, no stabilization.
    pub fn default_up() -> ScalingRules {
        ScalingRules {
            stabilization: Duration::ZERO,
            select: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy { change: PolicyChange::Pods(4), period: Duration::from_secs(15) },
                ScalingPolicy { change: PolicyChange::Percent(100), period: Duration::from_secs(15) },
            ],
        }
    }

    /// Kubernetes' default scale-down: at most −100% per 15 s after a 300 s stabilization.
    pub fn default_down() -> ScalingRules {
        ScalingRules {
            stabilization: Duration::from_secs(300),
            select: SelectPolicy::Max,
            policies: vec![ScalingPolicy { change: PolicyChange::Percent(100), period: Duration::from_secs(15) }],
        }
    }
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One HPA scaling policy: at most this change per `period`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalingPolicy {
    /// The change allowed.
    pub change: PolicyChange,
    /// Over this period.
    pub period: Duration,
}

/// A change in pods or in percent of the replicas at the period's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyChange {
    /// Pods.
    Pods(u32),
    /// Percent.
    Percent(u32),
}

pub(super) fn hpa(key: &str, raw: &RawHpa, llm: bool) -> Result<HpaSpec> {
    let targets = [
        ("target_utilization", raw.target_utilization),
        ("target_in_flight", raw.target_in_flight),
        ("target_rps", raw.target_rps),
    ];
    let mut given: Vec<(&str, f64)> = targets.iter().filter_map(|(k, v)| v.map(|v| (*k, v))).collect();
    let llm_given: Vec<_> = llm_targets(raw.target_running, raw.target_waiting, raw.target_kv_utilization).collect();
    given.extend(llm_given.iter().map(|&(k, _, v)| (k, v)));
    if let [(k, signal, v)] = llm_given.as_slice()
        && given.len() == 1
    {
        let per_replica = llm_target(&format!("{key}.{k}"), *signal, *v, llm)?;
        return algorithm(key, &algorithm_of!(raw), HpaMetric::Llm { signal: *signal, per_replica });
    }
    let metric = match given.as_slice() {
        [] => {
            return invalid(
                format!("{key}.target_utilization"),
                "missing: give one target, target_utilization (e.g. 0.6), target_in_flight or target_rps (or for an LLM target_running, target_waiting or target_kv_utilization)",
            );
        }
        [("target_utilization", v)] => {
            let k = format!("{key}.target_utilization");
            if !(v.is_finite() && *v > 0.0 && *v <= 1.0) {
                return invalid(k, format!("must be above 0 and at most 1 (a busy fraction), found {v}"));
            }
            let percent = (v * 100.0).round() as u32;
            if percent == 0 {
                return invalid(k, format!("{v} rounds to 0%: Kubernetes targets whole percentages"));
            }
            HpaMetric::Utilization { percent }
        }
        [("target_in_flight", v)] => {
            HpaMetric::InFlight { per_replica: positive(&format!("{key}.target_in_flight"), *v)? }
        }
        [("target_rps", v)] => HpaMetric::Rps { per_replica: positive(&format!("{key}.target_rps"), *v)? },
        [_, (second, _), ..] => {
            return invalid(
                format!("{key}.{second}"),
                "give one target: target_utilization, target_in_flight or target_rps (or for an LLM target_running, target_waiting or target_kv_utilization)",
            );
        }
        [(other, _)] => return invalid(format!("{key}.{other}"), "unknown target"),
    };
    algorithm(key, &algorithm_of!(raw), metric)
}

pub(super) fn algorithm(key: &str, raw: &Algorithm<'_>, metric: HpaMetric) -> Result<HpaSpec> {
    let tolerance = raw.tolerance.unwrap_or(0.1);
    if !(tolerance.is_finite() && (0.0..1.0).contains(&tolerance)) {
        return invalid(format!("{key}.tolerance"), format!("must be at least 0 and below 1, found {tolerance}"));
    }
    let mut scale_up = rules(&format!("{key}.scale_up"), raw.scale_up, ScalingRules::default_up())?;
    scale_up.stabilization =
        period(&format!("{key}.scale_up_stabilization"), raw.scale_up_stabilization, Duration::ZERO, true)?;
    let mut scale_down = rules(&format!("{key}.scale_down"), raw.scale_down, ScalingRules::default_down())?;
    scale_down.stabilization = period(
        &format!("{key}.scale_down_stabilization"),
        raw.scale_down_stabilization,
        Duration::from_secs(300),
        true,
    )?;
    Ok(HpaSpec {
        metric,
        sync_period: period(&format!("{key}.sync_period"), raw.sync_period, Duration::from_secs(15), false)?,
        tolerance,
        scale_up,
        scale_down,
    })
}

fn rules(key: &str, raw: Option<&RawRules>, default: ScalingRules) -> Result<ScalingRules> {
    let Some(raw) = raw else { return Ok(default) };
    let select = match raw.select {
        None | Some(RawSelect::Max) => SelectPolicy::Max,
        Some(RawSelect::Min) => SelectPolicy::Min,
        Some(RawSelect::Disabled) => SelectPolicy::Disabled,
    };
    let policies = match &raw.policies {
        None => default.policies,
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, p) in list.iter().enumerate() {
                let pk = format!("{key}.policies[{i}]");
                let change = match (p.pods, p.percent) {
                    (Some(n), None) if n > 0 => PolicyChange::Pods(n),
                    (None, Some(n)) if n > 0 => PolicyChange::Percent(n),
                    (Some(_), None) => return invalid(format!("{pk}.pods"), "must be at least 1"),
                    (None, Some(_)) => return invalid(format!("{pk}.percent"), "must be at least 1"),
                    _ => return invalid(pk, "give exactly one of pods or percent, e.g. { pods: 4, period: 15s }"),
                };
                let period = p.period.0;
                if period == Duration::ZERO || period > Duration::from_secs(1_800) {
                    return invalid(
                        format!("{pk}.period"),
                        format!("must be above 0 and at most 30m (as in Kubernetes), found {period}"),
                    );
                }
                out.push(ScalingPolicy { change, period });
            }
            if out.is_empty() && select != SelectPolicy::Disabled {
                return invalid(format!("{key}.policies"), "must list at least one policy (or set select: disabled)");
            }
            out
        }
    };
    Ok(ScalingRules { stabilization: default.stabilization, select, policies })
}
