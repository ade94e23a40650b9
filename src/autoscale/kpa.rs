//! Knative's Pod Autoscaler (`pkg/autoscaler/scaling/autoscaler.go`), on concurrency.
//!
//! Every `tick` (2 s): the average concurrency (requests queued or in service) over the stable
//! window (60 s) and the panic window (6 s), each over the target `target_concurrency ×
//! target_utilization`, gives a stable and a panic pod count, both kept within
//! [⌊ready / max_scale_down_rate⌋, ⌈ready × max_scale_up_rate⌉]. The autoscaler panics when the
//! panic count reaches `panic_threshold` × ready replicas, and stays in panic until a stable
//! window has passed without that; in panic it never scales down. A stable count of zero scales
//! to zero once it has held for `scale_to_zero_grace` (one replica stays until then). A request
//! reaching a revision at zero is held by the activator, which asks for a replica at once.
//! With an LLM signal (`target_running`, `target_waiting`, `target_kv_utilization`) the windows
//! average that gauge, summed over replicas, instead of concurrency; everything else is the same.
//! Windows shorter than the time run so far average over what there is; so do windows after a
//! stable window without any request (Knative's buckets restart then, as no pod reports).

use std::collections::VecDeque;

use super::{Autoscaler, Observation, ceil, replicas};
use crate::engine::SimTime;
use crate::scenario::KpaSpec;

/// The KPA's state.
pub struct Kpa {
    spec: KpaSpec,
    next: SimTime,
    /// (time, ∫ signal dt) at each tick, back to one stable window ago.
    samples: VecDeque<(SimTime, f64)>,
    panic_since: Option<SimTime>,
    max_panic_pods: u32,
    zero_since: Option<SimTime>,
    /// Start of the data the windows average over (time 0, or when load resumed after a quiet
    /// stable window).
    first_write: SimTime,
    /// Last tick that saw load, and the previous tick.
    last_write: Option<SimTime>,
    last_tick: SimTime,
    last_area: f64,
}

impl Kpa {
    /// A KPA that first decides one tick after time 0.
    pub fn new(spec: KpaSpec) -> Kpa {
        let next = SimTime::ZERO.after(spec.tick);
        Kpa {
            spec,
            next,
            samples: VecDeque::from([(SimTime::ZERO, 0.0)]),
            panic_since: None,
            max_panic_pods: 0,
            zero_since: None,
            first_write: SimTime::ZERO,
            last_write: None,
            last_tick: SimTime::ZERO,
            last_area: 0.0,
        }
    }

    /// Average concurrency over the window of length `w` ending now.
    fn average(&self, now: SimTime, area: f64, w: crate::engine::Duration) -> f64 {
        let start = (i128::from(now.0) - i128::from(w.as_nanos())).max(i128::from(self.first_write.0));
        // The latest sample at or before the window's start, else the oldest one.
        let (t0, a0) = self
            .samples
            .iter()
            .rev()
            .find(|(t, _)| i128::from(t.0) <= start)
            .or(self.samples.front())
            .copied()
            .unwrap_or((SimTime::ZERO, 0.0));
        let span = now.since(t0).as_nanos() as f64;
        if span > 0.0 { (area - a0) / span } else { 0.0 }
    }
}

impl Autoscaler for Kpa {
    fn next_decision(&self, _now: SimTime) -> SimTime {
        self.next
    }

    fn decide(&mut self, obs: &Observation) -> u32 {
        let s = &self.spec;
        let now = obs.now;
        self.next = now.after(s.tick);
        if obs.in_system_area > self.last_area {
            if self.last_write.is_some_and(|w| now.since(w) > s.stable_window) {
                self.first_write = self.last_tick; // load resumed after a quiet window
            }
            self.last_write = Some(now);
        }
        self.last_tick = now;
        self.last_area = obs.in_system_area;
        let area = obs.area(s.signal);
        let stable = self.average(now, area, s.stable_window);
        let panic = self.average(now, area, s.panic_window);
        self.samples.push_back((now, area));
        let keep_from = i128::from(now.0) - i128::from(s.stable_window.as_nanos());
        while self.samples.len() > 1 && i128::from(self.samples[1].0.0) <= keep_from {
            self.samples.pop_front();
        }

        let ready = f64::from(obs.ready.max(1));
        let target = s.target_concurrency * s.target_utilization;
        let max_up = (s.max_scale_up_rate * ready).ceil();
        let max_down = (ready / s.max_scale_down_rate).floor();
        let dspc = ceil(stable / target);
        let dppc = ceil(panic / target);
        let desired_stable = replicas(dspc.max(max_down).min(max_up));
        let desired_panic = replicas(dppc.max(max_down).min(max_up));
        let over_threshold = dppc / ready >= s.panic_threshold;
        if over_threshold {
            self.panic_since = Some(now);
        } else if self.panic_since.is_some_and(|t| t.after(s.stable_window) < now) {
            self.panic_since = None;
            self.max_panic_pods = 0;
        }
        let mut desired = desired_stable;
        if self.panic_since.is_some() {
            desired = desired.max(desired_panic).max(self.max_panic_pods);
            self.max_panic_pods = desired;
        }
        if desired == 0 && obs.current > 0 {
            let since = *self.zero_since.get_or_insert(now);
            if now.since(since) < s.scale_to_zero_grace {
                desired = 1;
            }
        } else if desired > 0 {
            self.zero_since = None;
        }
        desired
    }

    fn on_request_at_zero(&mut self, obs: &Observation) -> Option<u32> {
        self.zero_since = None;
        Some(obs.min.max(1))
    }
}
