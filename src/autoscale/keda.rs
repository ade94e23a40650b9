//! KEDA-style scaling on queue length: KEDA's own loop activates the workload and scales it to
//! zero; between 1 and max replicas the HPA KEDA creates does the work.
//!
//! Every `polling`: the queue is *active* when it holds more than `activation` requests
//! (queued or in service, as a message queue counts its unacknowledged messages; for an LLM
//! signal, when the fleet's running sequences, waiting requests or summed KV fraction are). Active: the
//! last-active time moves to now, and a workload at zero scales to max(1, min). Inactive: a
//! workload above zero whose last active poll is more than `cooldown` ago scales to zero (at
//! once if it has never been active: KEDA's `initialCooldownPeriod` is 0).
//!
//! Every `sync_period` while above zero: the HPA with an `AverageValue` target of
//! `target_per_replica`, i.e. ⌈queue length / target⌉ outside the tolerance, stabilized and
//! rate-limited with the HPA's defaults, never below one replica.

use super::hpa::Hpa;
use super::{Autoscaler, Observation};
use crate::engine::SimTime;
use crate::scenario::QueueSpec;

/// KEDA's state and its HPA.
pub struct Keda {
    spec: QueueSpec,
    hpa: Hpa,
    next_poll: SimTime,
    last_active: Option<SimTime>,
}

impl Keda {
    /// A scaler that first polls one `polling` after time 0.
    pub fn new(spec: QueueSpec) -> Keda {
        let hpa = Hpa::new(spec.hpa.clone());
        let next_poll = SimTime::ZERO.after(spec.polling);
        Keda { spec, hpa, next_poll, last_active: None }
    }
}

impl Autoscaler for Keda {
    fn next_decision(&self, _now: SimTime) -> SimTime {
        self.next_poll.min(self.hpa.next_sync())
    }

    fn may_wake(&self, obs: &Observation) -> bool {
        obs.level(self.spec.hpa.metric.signal()) > self.spec.activation
    }

    fn decide(&mut self, obs: &Observation) -> u32 {
        let now = obs.now;
        let mut replicas = obs.current;
        if now >= self.next_poll {
            self.next_poll = now.after(self.spec.polling);
            let active = obs.level(self.spec.hpa.metric.signal()) > self.spec.activation;
            if active {
                self.last_active = Some(now);
                if replicas == 0 {
                    replicas = obs.min.max(1);
                }
            } else if replicas > 0 && obs.min == 0 {
                let cooled = self.last_active.is_none_or(|t| t.after(self.spec.cooldown) < now);
                if cooled {
                    replicas = 0;
                }
            } else if replicas < obs.min {
                replicas = obs.min;
            }
        }
        if now >= self.hpa.next_sync() {
            let hpa_view = Observation { current: replicas, min: obs.min.max(1), ..*obs };
            replicas = self.hpa.sync(&hpa_view);
        }
        replicas
    }
}
