//! Kubernetes' Horizontal Pod Autoscaler, as `pkg/controller/podautoscaler` computes it.
//!
//! Every `sync_period`:
//! 1. **Metric → replicas** (`replica_calculator.go`): ratio = metric / target (an LLM gauge —
//!    running sequences, waiting requests, KV fraction — is a pods metric averaged over ready
//!    replicas and the sync period, as requests in flight are); no change while
//!    |1 − ratio| ≤ `tolerance`; otherwise ⌈ratio × ready⌉. Booting replicas are Kubernetes'
//!    not-ready pods: left out of the average, and on a scale-up counted as using nothing, which
//!    damps the step (no change if that brings the ratio inside the tolerance or across 1).
//!    Utilization is a whole percentage, truncated, as Kubernetes computes it.
//! 2. **Stabilization** (`stabilizeRecommendationWithBehaviors`): scaling down goes no lower
//!    than the highest recommendation of the last `scale_down.stabilization`; scaling up no
//!    higher than the lowest of the last `scale_up.stabilization`.
//! 3. **Rate policies** (`convertDesiredReplicasWithBehaviorRate`): each policy allows a change
//!    relative to the replicas at the start of its period (pods or percent); `select` picks the
//!    largest or smallest allowance; min and max replicas bound the result.
//!
//! A sample at exactly the edge of a window is outside it (Kubernetes compares with `After`).
//! Ratios that are equal on paper are equal here: the tolerance band and the ceiling allow
//! 1e-9 of floating-point slack (66% over 60% is 1.1000000000000000888 in binary, and sits on
//! the band's edge, as documented, where Kubernetes' own float64 arithmetic would step out).

use super::{Autoscaler, Observation, ceil, replicas};
use crate::engine::SimTime;
use crate::scenario::{HpaMetric, HpaSpec, LoadSignal, PolicyChange, ScalingRules, SelectPolicy};

/// Slack on the tolerance band for floating-point rounding.
const SLACK: f64 = 1e-9;

/// The cumulative figures at the previous sync.
#[derive(Clone, Copy, Debug)]
struct Sample {
    now: SimTime,
    busy_area: f64,
    ready_area: f64,
    /// ∫ the metric's signal dt (requests in the system, or an LLM gauge).
    signal_area: f64,
    arrivals: u64,
}

impl Sample {
    fn of(obs: &Observation, signal: LoadSignal) -> Sample {
        Sample {
            now: obs.now,
            busy_area: obs.busy_area,
            ready_area: obs.ready_area,
            signal_area: obs.area(signal),
            arrivals: obs.arrivals,
        }
    }
}

/// The HPA's state: past recommendations and scale events.
pub struct Hpa {
    spec: HpaSpec,
    next: SimTime,
    /// (time, unstabilized recommendation).
    recommendations: Vec<(SimTime, u32)>,
    /// (time, replicas added).
    up_events: Vec<(SimTime, u32)>,
    /// (time, replicas removed).
    down_events: Vec<(SimTime, u32)>,
    last: Option<Sample>,
    /// The longest policy period of both directions.
    longest_period: crate::engine::Duration,
}

/// Whether `t` is inside the window of length `w` ending at `now` (strictly after its start).
fn within(t: SimTime, now: SimTime, w: crate::engine::Duration) -> bool {
    i128::from(t.0) > i128::from(now.0) - i128::from(w.as_nanos())
}

impl Hpa {
    /// An HPA that first syncs one `sync_period` after time 0.
    pub fn new(spec: HpaSpec) -> Hpa {
        let next = SimTime::ZERO.after(spec.sync_period);
        let longest_period =
            spec.scale_up.policies.iter().chain(&spec.scale_down.policies).map(|p| p.period).max().unwrap_or_default();
        Hpa {
            spec,
            next,
            recommendations: Vec::new(),
            up_events: Vec::new(),
            down_events: Vec::new(),
            last: None,
            longest_period,
        }
    }

    /// When the next sync is due.
    pub fn next_sync(&self) -> SimTime {
        self.next
    }

    /// One sync: the replicas wanted given `obs` (`obs.current` for no change).
    pub fn sync(&mut self, obs: &Observation) -> u32 {
        self.next = obs.now.after(self.spec.sync_period);
        let prev = self.last.replace(Sample::of(obs, self.spec.metric.signal()));
        let current = obs.current;
        if self.recommendations.is_empty() {
            self.recommendations.push((obs.now, current));
        }
        let desired = if current == 0 {
            // Kubernetes turns the HPA off while the target is scaled to zero.
            return 0;
        } else if current > obs.max {
            obs.max
        } else if current < obs.min {
            obs.min
        } else {
            let Some(proposed) = self.metric_replicas(obs, prev) else {
                return current; // no metric yet: no change
            };
            let stabilized = self.stabilize(obs.now, current, proposed);
            self.rate_limited(obs.now, current, stabilized, obs.min, obs.max)
        };
        self.record(obs.now, current, desired);
        desired
    }

    /// Step 1: the replicas the metric asks for, before stabilization and rate limits.
    fn metric_replicas(&self, obs: &Observation, prev: Option<Sample>) -> Option<u32> {
        let current = obs.current;
        let tolerance = self.spec.tolerance;
        if let HpaMetric::QueueLength { per_replica, signal } = self.spec.metric {
            // GetExternalPerPodMetricReplicas: no readiness handling.
            let usage = obs.level(signal);
            let ratio = usage / (per_replica * f64::from(current));
            return Some(if (1.0 - ratio).abs() > tolerance + SLACK {
                replicas(ceil(usage / per_replica))
            } else {
                current
            });
        }
        let prev = prev?;
        let ready_area = obs.ready_area - prev.ready_area;
        if obs.ready == 0 || ready_area <= 0.0 {
            return None; // no ready pod reported a metric
        }
        let all = f64::from(obs.ready) + f64::from(obs.booting);
        let ratio = match self.spec.metric {
            HpaMetric::Utilization { percent } => {
                // Kubernetes computes a whole percentage, truncated, and truncates again when it
                // spreads the usage over the not-ready pods too.
                let busy = (obs.busy_area - prev.busy_area) / ready_area;
                let used = (100.0 * busy + SLACK).floor().max(0.0);
                let spread = (100.0 * busy * f64::from(obs.ready) / all + SLACK).floor().max(0.0);
                let target = f64::from(percent);
                return Some(pod_replicas(used / target, spread / target, obs.ready, obs.booting, tolerance, current));
            }
            HpaMetric::InFlight { per_replica } | HpaMetric::Llm { per_replica, .. } => {
                (obs.area(self.spec.metric.signal()) - prev.signal_area) / ready_area / per_replica
            }
            HpaMetric::Rps { per_replica } => {
                let secs = obs.now.since(prev.now).as_secs_f64();
                if secs <= 0.0 {
                    return None;
                }
                (obs.arrivals - prev.arrivals) as f64 / secs / f64::from(obs.ready) / per_replica
            }
            HpaMetric::QueueLength { .. } => unreachable!("handled above"),
        };
        let spread = ratio * f64::from(obs.ready) / all;
        Some(pod_replicas(ratio, spread, obs.ready, obs.booting, tolerance, current))
    }

    /// Step 2: the recommendation held back by the stabilization windows; stores `proposed`.
    fn stabilize(&mut self, now: SimTime, current: u32, proposed: u32) -> u32 {
        let (up_w, down_w) = (self.spec.scale_up.stabilization, self.spec.scale_down.stabilization);
        let mut up = proposed;
        let mut down = proposed;
        for &(t, rec) in &self.recommendations {
            if within(t, now, up_w) {
                up = up.min(rec);
            }
            if within(t, now, down_w) {
                down = down.max(rec);
            }
        }
        let stabilized = current.max(up).min(down);
        self.recommendations.retain(|&(t, _)| {
            let before = |w: crate::engine::Duration| i128::from(t.0) < i128::from(now.0) - i128::from(w.as_nanos());
            !(before(up_w) && before(down_w))
        });
        self.recommendations.push((now, proposed));
        stabilized
    }

    /// Step 3: the rate policies and the replica bounds.
    fn rate_limited(&self, now: SimTime, current: u32, desired: u32, min: u32, max: u32) -> u32 {
        if desired > current {
            let limit = limit(&self.spec.scale_up, now, current, &self.up_events, &self.down_events, true).max(current);
            desired.min(max.min(limit))
        } else if desired < current {
            let limit =
                limit(&self.spec.scale_down, now, current, &self.up_events, &self.down_events, false).min(current);
            desired.max(min.max(limit))
        } else {
            desired
        }
    }

    fn record(&mut self, now: SimTime, current: u32, desired: u32) {
        let (events, change) = match desired.cmp(&current) {
            std::cmp::Ordering::Greater => (&mut self.up_events, desired - current),
            std::cmp::Ordering::Less => (&mut self.down_events, current - desired),
            std::cmp::Ordering::Equal => return,
        };
        // Kept as long as any policy of either direction may count them.
        let longest = self.longest_period;
        events.retain(|&(t, _)| within(t, now, longest));
        events.push((now, change));
    }
}

impl Autoscaler for Hpa {
    fn next_decision(&self, _now: SimTime) -> SimTime {
        self.next
    }

    fn may_wake(&self, _obs: &Observation) -> bool {
        false // Kubernetes turns the HPA off at zero
    }

    fn decide(&mut self, obs: &Observation) -> u32 {
        self.sync(obs)
    }
}

/// `calcPlainMetricReplicas` / `GetResourceReplicas` with every pod reporting: `ratio` is the
/// ready replicas' average over the target; `spread` the same usage over ready and booting
/// replicas (the booting at zero) over the target.
pub fn pod_replicas(ratio: f64, spread: f64, ready: u32, booting: u32, tolerance: f64, current: u32) -> u32 {
    let scale_up_with_unready = booting > 0 && ratio > 1.0;
    if !scale_up_with_unready {
        if (1.0 - ratio).abs() <= tolerance + SLACK {
            return current;
        }
        return replicas(ceil(ratio * f64::from(ready)));
    }
    // Not-ready pods count as using nothing: the same total usage spread over more pods.
    let all = f64::from(ready) + f64::from(booting);
    let new_ratio = spread;
    if (1.0 - new_ratio).abs() <= tolerance + SLACK || new_ratio < 1.0 {
        return current; // too small a change, or it would turn the direction round
    }
    let proposed = replicas(ceil(new_ratio * all));
    if proposed < current { current } else { proposed }
}

/// The most (scaling up) or fewest (scaling down) replicas `rules` allow now.
fn limit(
    rules: &ScalingRules,
    now: SimTime,
    current: u32,
    up_events: &[(SimTime, u32)],
    down_events: &[(SimTime, u32)],
    up: bool,
) -> u32 {
    let (mut result, pick): (i64, fn(i64, i64) -> i64) = match (rules.select, up) {
        (SelectPolicy::Disabled, _) => return current,
        (SelectPolicy::Max, true) | (SelectPolicy::Min, false) => (i64::MIN, i64::max),
        (SelectPolicy::Min, true) | (SelectPolicy::Max, false) => (i64::MAX, i64::min),
    };
    for policy in &rules.policies {
        let sum = |events: &[(SimTime, u32)]| -> i64 {
            events.iter().filter(|&&(t, _)| within(t, now, policy.period)).map(|&(_, n)| i64::from(n)).sum()
        };
        let start = i64::from(current) - sum(up_events) + sum(down_events);
        let proposed = match (policy.change, up) {
            (PolicyChange::Pods(n), true) => start + i64::from(n),
            (PolicyChange::Pods(n), false) => start - i64::from(n),
            (PolicyChange::Percent(p), true) => (start as f64 * (1.0 + f64::from(p) / 100.0)).ceil() as i64,
            (PolicyChange::Percent(p), false) => (start as f64 * (1.0 - f64::from(p) / 100.0)) as i64,
        };
        result = pick(result, proposed);
    }
    result.clamp(0, i64::from(u32::MAX)) as u32
}
