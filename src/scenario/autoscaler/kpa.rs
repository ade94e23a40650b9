//! `autoscaler.kpa` — Knative's Pod Autoscaler: a concurrency target, stable and panic windows,
//! rate limits and the scale-to-zero grace.

use serde::{Deserialize, Serialize};

use super::{LoadSignal, llm_target, llm_targets, period, positive};
use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `autoscaler.kpa` (Knative).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawKpa {
    /// Requests queued or in service per replica (Knative's `target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_concurrency: Option<f64>,
    /// LLM: running sequences per replica, instead of concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_running: Option<f64>,
    /// LLM: waiting requests per replica, instead of concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_waiting: Option<f64>,
    /// LLM: KV cache fraction in use per replica (0–1), instead of concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_kv_utilization: Option<f64>,
    /// Fraction of the target aimed at (default 0.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_utilization: Option<f64>,
    /// Default 60s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_window: Option<DurationValue>,
    /// Default 6s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic_window: Option<DurationValue>,
    /// Default 2.0 (200%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic_threshold: Option<f64>,
    /// Default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scale_up_rate: Option<f64>,
    /// Default 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scale_down_rate: Option<f64>,
    /// Default 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_to_zero_grace: Option<DurationValue>,
    /// Time between decisions (default 2s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<DurationValue>,
}

/// Knative's Pod Autoscaler.
#[derive(Clone, Debug, PartialEq)]
pub struct KpaSpec {
    /// What is averaged per replica: concurrency (requests queued or in service), or an LLM
    /// gauge.
    pub signal: LoadSignal,
    /// The signal's value per replica aimed at, before utilization.
    pub target_concurrency: f64,
    /// Fraction of the target actually aimed at (`container-concurrency-target-percentage`).
    pub target_utilization: f64,
    /// Averaging window of the stable mode.
    pub stable_window: Duration,
    /// Averaging window of the panic mode.
    pub panic_window: Duration,
    /// Panic when the panic-window count reaches this multiple of the ready replicas.
    pub panic_threshold: f64,
    /// At most this multiple of the ready replicas per decision.
    pub max_scale_up_rate: f64,
    /// At least the ready replicas over this per decision.
    pub max_scale_down_rate: f64,
    /// The last replica stays this long after the autoscaler first asks for zero.
    pub scale_to_zero_grace: Duration,
    /// Time between decisions.
    pub tick: Duration,
}

pub(super) fn kpa(key: &str, raw: &RawKpa, llm: bool) -> Result<KpaSpec> {
    let k = |name: &str| format!("{key}.{name}");
    let mut given: Vec<_> = llm_targets(raw.target_running, raw.target_waiting, raw.target_kv_utilization).collect();
    if let Some(v) = raw.target_concurrency {
        given.insert(0, ("target_concurrency", LoadSignal::InSystem, v));
    }
    let (signal, target) = match given.as_slice() {
        [] => {
            return invalid(
                k("target_concurrency"),
                "missing: give one target, target_concurrency (e.g. 8), or for an LLM target_running, target_waiting or target_kv_utilization",
            );
        }
        [("target_concurrency", _, v)] => (LoadSignal::InSystem, positive(&k("target_concurrency"), *v)?),
        [(name, signal, v)] => (*signal, llm_target(&k(name), *signal, *v, llm)?),
        [_, (second, _, _), ..] => {
            return invalid(
                k(second),
                "give one target: target_concurrency, target_running, target_waiting or target_kv_utilization",
            );
        }
    };
    let target_utilization = raw.target_utilization.unwrap_or(0.7);
    if !(target_utilization.is_finite() && target_utilization > 0.0 && target_utilization <= 1.0) {
        return invalid(k("target_utilization"), format!("must be above 0 and at most 1, found {target_utilization}"));
    }
    let tick = period(&k("tick"), raw.tick, Duration::from_secs(2), false)?;
    let stable_window = period(&k("stable_window"), raw.stable_window, Duration::from_secs(60), false)?;
    let panic_window = period(&k("panic_window"), raw.panic_window, Duration::from_secs(6), false)?;
    if panic_window > stable_window {
        return invalid(k("panic_window"), format!("{panic_window} is longer than the stable window {stable_window}"));
    }
    let above_one = |name: &str, v: Option<f64>, default: f64| -> Result<f64> {
        let v = v.unwrap_or(default);
        if v.is_finite() && v > 1.0 { Ok(v) } else { invalid(k(name), format!("must be above 1, found {v}")) }
    };
    let panic_threshold = raw.panic_threshold.unwrap_or(2.0);
    if !(panic_threshold.is_finite() && panic_threshold >= 1.0) {
        return invalid(k("panic_threshold"), format!("must be at least 1 (100%), found {panic_threshold}"));
    }
    Ok(KpaSpec {
        signal,
        target_concurrency: target,
        target_utilization,
        stable_window,
        panic_window,
        panic_threshold,
        max_scale_up_rate: above_one("max_scale_up_rate", raw.max_scale_up_rate, 1000.0)?,
        max_scale_down_rate: above_one("max_scale_down_rate", raw.max_scale_down_rate, 2.0)?,
        scale_to_zero_grace: period(&k("scale_to_zero_grace"), raw.scale_to_zero_grace, Duration::from_secs(30), true)?,
        tick,
    })
}
