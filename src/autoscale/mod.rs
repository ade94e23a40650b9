//! Autoscalers: the algorithms that set how many replicas a fleet asks for.
//!
//! Each autoscaler is pure logic over an [`Observation`] of the fleet and its load: no events,
//! no randomness, so that its decisions can be stepped through by hand in tests. The serving
//! world builds the observation, calls [`Autoscaler::decide`] when the autoscaler asks
//! ([`Autoscaler::next_decision`]), and [`placement`] turns the total it returns into a
//! [`placement::Decision`]: a target per autoscaled pool.
//!
//! One file per autoscaler: [`hpa`] (Kubernetes), [`keda`] (queue length, scale to zero),
//! [`kpa`] (Knative), and [`schedule`] (floors by time of day or simulated time).

pub mod hpa;
pub mod keda;
pub mod kpa;
pub mod placement;
pub mod schedule;

use crate::engine::SimTime;
use crate::scenario::{LoadSignal, ScalerSpec};

/// What an autoscaler sees when it decides. Areas are integrals over time since time 0 in
/// units × nanoseconds; an autoscaler differences them to average over its own windows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Observation {
    /// Now.
    pub now: SimTime,
    /// Replicas asked for (Kubernetes' `spec.replicas`), fixed pools included.
    pub current: u32,
    /// Replicas serving.
    pub ready: u32,
    /// Replicas launched and still booting (Kubernetes' not-ready pods).
    pub booting: u32,
    /// Requests queued or in service now.
    pub in_system: u64,
    /// ∫ busy replicas dt.
    pub busy_area: f64,
    /// ∫ ready replicas dt.
    pub ready_area: f64,
    /// ∫ requests queued or in service dt.
    pub in_system_area: f64,
    /// Requests arrived since time 0.
    pub arrivals: u64,
    /// LLM gauges (0 unless the autoscaler reads an LLM signal): sequences running now on the
    /// serving replicas; requests waiting are `in_system − running`.
    pub running: u64,
    /// Σ over serving replicas of the fraction of its KV cache in use, now.
    pub kv_utilization: f64,
    /// ∫ running dt.
    pub running_area: f64,
    /// ∫ Σ KV fraction dt.
    pub kv_utilization_area: f64,
    /// Fewest replicas allowed now (pool minimums, fixed pools and schedule floors).
    pub min: u32,
    /// Most replicas allowed.
    pub max: u32,
}

impl Observation {
    /// `signal` now, summed over the replicas.
    pub fn level(&self, signal: LoadSignal) -> f64 {
        match signal {
            LoadSignal::InSystem => self.in_system as f64,
            LoadSignal::Running => self.running as f64,
            LoadSignal::Waiting => self.in_system.saturating_sub(self.running) as f64,
            LoadSignal::KvUtilization => self.kv_utilization,
        }
    }

    /// ∫ `signal` dt since time 0, summed over the replicas.
    pub fn area(&self, signal: LoadSignal) -> f64 {
        match signal {
            LoadSignal::InSystem => self.in_system_area,
            LoadSignal::Running => self.running_area,
            LoadSignal::Waiting => (self.in_system_area - self.running_area).max(0.0),
            LoadSignal::KvUtilization => self.kv_utilization_area,
        }
    }
}

/// A load-following autoscaler.
pub trait Autoscaler {
    /// When it next wants to decide, strictly after `now`.
    fn next_decision(&self, now: SimTime) -> SimTime;

    /// The replicas it asks for now (fixed pools included); `obs.current` for no change. The
    /// caller keeps the result within `obs.min..=obs.max`.
    fn decide(&mut self, obs: &Observation) -> u32;

    /// A request arrived while the fleet asks for no replica: the replicas wanted at once, if
    /// this autoscaler reacts before its next decision (Knative's activator does).
    fn on_request_at_zero(&mut self, _obs: &Observation) -> Option<u32> {
        None
    }

    /// Whether a later decision may take a fleet at zero above zero given what waits now (past
    /// the horizon, the run goes on only while this holds or a replica is there).
    fn may_wake(&self, obs: &Observation) -> bool {
        obs.in_system > 0
    }
}

/// The autoscaler a scenario describes.
pub fn build(spec: &ScalerSpec) -> Box<dyn Autoscaler> {
    match spec {
        ScalerSpec::Hpa(s) => Box::new(hpa::Hpa::new(s.clone())),
        ScalerSpec::Queue(s) => Box::new(keda::Keda::new(s.clone())),
        ScalerSpec::Kpa(s) => Box::new(kpa::Kpa::new(s.clone())),
    }
}

/// ⌈x⌉, forgiving the rounding error of a ratio that is a whole number on paper (0.66 / 0.6 × 10
/// is 11.000000000000002 in floating point, and must give 11).
pub(crate) fn ceil(x: f64) -> f64 {
    (x - 1e-9).ceil().max(0.0)
}

/// `x` as a replica count, saturating.
pub(crate) fn replicas(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        x as u32
    }
}

#[cfg(test)]
mod tests;
