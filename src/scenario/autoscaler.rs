//! `autoscaler:` — the raw keys and their validation (kept apart from `raw.rs`/`validate.rs`,
//! which are long enough).
//!
//! Defaults are the documented ones of each system: Kubernetes' HPA (sync 15 s, tolerance 0.1,
//! scale-down stabilization 300 s, scale up by max(100%, 4 pods) and down by 100% per 15 s),
//! KEDA (polling 30 s, cooldown 300 s, activation 0) and Knative (stable 60 s, panic 6 s, panic
//! threshold 200%, scale-up rate 1000, scale-down rate 2, target utilization 70%, grace 30 s,
//! tick 2 s).

use serde::{Deserialize, Serialize};

use super::model::*;
use super::units::DurationValue;
use super::validate::{Invalid, invalid};
use crate::engine::Duration;

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
struct Algorithm<'a> {
    sync_period: Option<DurationValue>,
    tolerance: Option<f64>,
    scale_down_stabilization: Option<DurationValue>,
    scale_up_stabilization: Option<DurationValue>,
    scale_up: Option<&'a RawRules>,
    scale_down: Option<&'a RawRules>,
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

/// `autoscaler.kpa` (Knative).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawKpa {
    /// Requests queued or in service per replica (Knative's `target`).
    pub target_concurrency: f64,
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

/// One `autoscaler.schedule` entry: `{ from: "08:00", to: "20:00", min: 6 }` (UTC time of day,
/// every day or the `days` listed) or `{ from: 2h, to: 5h, min: 10 }` (simulated time).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduleEntry {
    /// Opens: `HH:MM` UTC, or a duration from time 0.
    pub from: String,
    /// Closes: `HH:MM` UTC, or a duration from time 0.
    pub to: String,
    /// Fewest replicas while open.
    pub min: u32,
    /// Days a daily window opens (default every day): mon … sun, weekdays, weekend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
}

/// Highest `--set`-able windows and periods: a day.
const MAX_PERIOD: Duration = Duration::from_secs(86_400);

fn positive(key: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 { Ok(v) } else { invalid(key, format!("must be a number above 0, found {v}")) }
}

/// Shortest time between an autoscaler's decisions.
const MIN_DECISION_PERIOD: Duration = Duration::from_millis(100);

fn period(key: &str, d: Option<DurationValue>, default: Duration, allow_zero: bool) -> Result<Duration> {
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
pub(super) fn autoscaler(raw: Option<&RawAutoscaler>, pools: &[PoolSpec]) -> Result<Option<AutoscalerSpec>> {
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
        .map(|(i, e)| schedule_entry(&format!("autoscaler.schedule[{i}]"), e))
        .collect::<Result<Vec<_>>>()?;
    let scaler = if let Some(h) = &raw.hpa {
        let fixed: u32 = pools.iter().filter(|p| p.scaling.is_none()).map(|p| p.count).sum();
        let mins: u32 = autoscaled.iter().filter_map(|p| p.scaling).map(|b| b.min).sum();
        if fixed + mins == 0 {
            return invalid(
                "autoscaler.hpa",
                "the HPA cannot scale from zero replicas: give an autoscaled pool min: 1 or more, or use queue or kpa for scale to zero",
            );
        }
        Some(ScalerSpec::Hpa(hpa("autoscaler.hpa", h)?))
    } else if let Some(q) = &raw.queue {
        Some(ScalerSpec::Queue(queue("autoscaler.queue", q)?))
    } else if let Some(k) = &raw.kpa {
        Some(ScalerSpec::Kpa(kpa("autoscaler.kpa", k)?))
    } else {
        None
    };
    if scaler.is_none() && schedule.is_empty() {
        return invalid("autoscaler", "is empty: give one of hpa, queue or kpa, and/or a schedule");
    }
    Ok(Some(AutoscalerSpec { scaler, schedule }))
}

fn hpa(key: &str, raw: &RawHpa) -> Result<HpaSpec> {
    let targets = [
        ("target_utilization", raw.target_utilization),
        ("target_in_flight", raw.target_in_flight),
        ("target_rps", raw.target_rps),
    ];
    let given: Vec<(&str, f64)> = targets.iter().filter_map(|(k, v)| v.map(|v| (*k, v))).collect();
    let metric = match given.as_slice() {
        [] => {
            return invalid(
                format!("{key}.target_utilization"),
                "missing: give one target, target_utilization (e.g. 0.6), target_in_flight or target_rps",
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
                "give one target: target_utilization, target_in_flight or target_rps",
            );
        }
        [(other, _)] => return invalid(format!("{key}.{other}"), "unknown target"),
    };
    algorithm(key, &algorithm_of!(raw), metric)
}

fn algorithm(key: &str, raw: &Algorithm<'_>, metric: HpaMetric) -> Result<HpaSpec> {
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

fn queue(key: &str, raw: &RawQueue) -> Result<QueueSpec> {
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

fn kpa(key: &str, raw: &RawKpa) -> Result<KpaSpec> {
    let k = |name: &str| format!("{key}.{name}");
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
        target_concurrency: positive(&k("target_concurrency"), raw.target_concurrency)?,
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

fn schedule_entry(key: &str, raw: &RawScheduleEntry) -> Result<ScheduleEntry> {
    use crate::autoscale::schedule::parse_time_of_day;
    let daily = raw.from.contains(':') || raw.to.contains(':');
    let window = if daily {
        let from_s = parse_time_of_day(&raw.from).or_else(|e| invalid(format!("{key}.from"), e))?;
        let to_s = parse_time_of_day(&raw.to).or_else(|e| invalid(format!("{key}.to"), e))?;
        if from_s == to_s && from_s != 0 {
            return invalid(
                format!("{key}.to"),
                "is the same time as from: for whole days write from: \"00:00\", to: \"24:00\"",
            );
        }
        let days = match &raw.days {
            None => 0x7f,
            Some(list) => {
                let mut mask = 0u8;
                for (i, d) in list.iter().enumerate() {
                    mask |= match d.trim().to_ascii_lowercase().as_str() {
                        "mon" => 1,
                        "tue" => 2,
                        "wed" => 4,
                        "thu" => 8,
                        "fri" => 16,
                        "sat" => 32,
                        "sun" => 64,
                        "weekdays" => 31,
                        "weekend" => 96,
                        other => {
                            return invalid(
                                format!("{key}.days[{i}]"),
                                format!(
                                    "unknown day {other:?}: use mon, tue, wed, thu, fri, sat, sun, weekdays or weekend"
                                ),
                            );
                        }
                    };
                }
                mask
            }
        };
        ScheduleWindow::Daily { from_s, to_s, days }
    } else {
        if raw.days.is_some() {
            return invalid(
                format!("{key}.days"),
                "days apply to times of day (from: \"08:00\"), not to spans of simulated time",
            );
        }
        let parse = |field: &str, text: &str| {
            super::units::parse_duration(text).or_else(|e| {
                invalid(format!("{key}.{field}"), format!("{e} (or give a UTC time of day such as \"08:00\")"))
            })
        };
        let (from, to) = (parse("from", &raw.from)?, parse("to", &raw.to)?);
        if to <= from {
            return invalid(format!("{key}.to"), format!("{to} is not after from ({from})"));
        }
        ScheduleWindow::Between { from, to }
    };
    Ok(ScheduleEntry { window, min: raw.min })
}
