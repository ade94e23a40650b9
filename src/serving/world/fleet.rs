//! The serving fleet over time: the initial fleet, which replicas each instance hosts, and the
//! time-weighted readiness counters (ready replicas, spot capacity lost, time below capacity).
//! The instances, their pools and zones are [`crate::fleet::Fleet`]'s; how the world drives them
//! is `instances.rs`.
//!
//! An instance of pool p hosts `replicas_per_instance[p]` replicas with consecutive indices
//! (an LLM pool's GPUs / `tensor_parallel`; one elsewhere, when replica r runs on instance r):
//! launched, readied, noticed, released and stopped together, billed once. Pool counts and
//! targets are instances; ready, busy and time-weighted replica figures count replicas.

use std::ops::Range;

use super::World;
use crate::engine::SimTime;
use crate::fleet::InstanceId;
use crate::scenario::{Market, Scenario};
use crate::serving::executor::Executor;

/// The replicas per instance of every pool, when they are all equal.
pub(super) fn uniform(per: &[u32]) -> Option<u32> {
    let first = *per.first()?;
    per.iter().all(|&k| k == first).then_some(first)
}

/// Replicas one instance of each pool hosts.
pub(super) fn replicas_per_instance(s: &Scenario) -> Vec<u32> {
    let llm = s.serving().and_then(|sv| sv.llm());
    (0..s.fleet.pools.len()).map(|p| llm.map_or(1, |l| l.pools[p].replicas_per_instance)).collect()
}

/// The time-weighted readiness counters.
#[derive(Default)]
pub(super) struct ReadyStats {
    pub(super) last_account: SimTime,
    /// ∫ ready replicas dt, ns.
    pub(super) replica_ns: f64,
    /// ∫ Σ spot pools max(0, count − ready spot) dt, ns.
    pub(super) spot_lost_ns: f64,
    /// Time with fewer ready replicas than the pools ask for, ns.
    pub(super) below_capacity_ns: u64,
    pub(super) max_ready: u32,
    /// Readiness states after the horizon: (time of a change, the state before it). The run's
    /// end is known only when it is over, so these are integrated up to it by `account_final`.
    pub(super) post_horizon: Vec<(SimTime, Readiness)>,
}

/// Readiness at an instant.
#[derive(Clone, Copy, Debug)]
pub(super) struct Readiness {
    pub(super) n_ready: u32,
    pub(super) spot_lost: u32,
    pub(super) below: bool,
}

impl ReadyStats {
    /// Adds `dt` ns spent in `state` to the time-weighted counters.
    pub(super) fn add(&mut self, state: Readiness, dt: u64) {
        self.replica_ns += dt as f64 * f64::from(state.n_ready);
        self.spot_lost_ns += dt as f64 * f64::from(state.spot_lost);
        if state.below {
            self.below_capacity_ns += dt;
        }
    }
}

impl<E: Executor> World<'_, '_, E> {
    /// Launches the initial fleet, ready at time 0, and schedules the zones' first changes.
    pub(super) fn start_fleet(&mut self) {
        for spot in [false, true] {
            for (p, pool) in self.s.fleet.pools.iter().enumerate() {
                if (pool.market == Market::Spot) == spot {
                    self.replenish(SimTime::ZERO, p, true);
                }
            }
        }
        self.fleet.schedule_zone_changes(&mut self.events);
        // Idle replicas as a stack with the lowest index on top: the first pools serve first.
        self.idle.sort_unstable_by(|a, b| b.cmp(a));
    }

    /// The replicas instance `id` hosts.
    pub(super) fn replicas_of(&self, id: InstanceId) -> Range<usize> {
        let first = self.first_replica[id.index()] as usize;
        first..first + self.replicas_per_instance[self.fleet.instance(id).pool] as usize
    }

    /// Ready replicas, fleet-wide.
    pub(super) fn n_ready_replicas(&self) -> u32 {
        if let Some(k) = self.uniform_replicas {
            return self.fleet.n_ready() * k;
        }
        let per = &self.replicas_per_instance;
        (0..per.len()).map(|p| self.fleet.pool(p).n_ready * per[p]).sum()
    }

    /// Replicas the pools' targets ask for, fleet-wide.
    pub(super) fn n_target_replicas(&self) -> u32 {
        let per = &self.replicas_per_instance;
        (0..per.len()).map(|p| self.fleet.pool(p).target * per[p]).sum()
    }

    /// The readiness figures the time-weighted metrics integrate.
    pub(super) fn readiness(&self) -> Readiness {
        let f = &self.fleet;
        let lost = (0..self.s.fleet.pools.len())
            .map(|p| f.pool(p))
            .filter(|pool| pool.terms.market == Market::Spot)
            .map(|pool| pool.target.saturating_sub(pool.n_ready_spot))
            .sum();
        Readiness { n_ready: self.n_ready_replicas(), spot_lost: lost, below: f.n_ready() < f.n_target() }
    }

    /// Brings time-weighted counters up to `now`; call before any change of readiness. Up to the
    /// horizon they are integrated at once; after it, states are kept until the end is known.
    pub(super) fn account(&mut self, now: SimTime) {
        let state = self.readiness();
        let st = &mut self.ready_stats;
        let upto = now.min(self.horizon);
        if upto > st.last_account {
            st.add(state, upto.since(st.last_account).as_nanos());
            st.last_account = upto;
        }
        if now > self.horizon {
            st.post_horizon.push((now, state));
        } else {
            st.max_ready = st.max_ready.max(state.n_ready);
        }
    }

    /// Completes the time-weighted counters over [0, end].
    pub(super) fn account_final(&mut self, end: SimTime) {
        let last = self.readiness();
        let st = &mut self.ready_stats;
        let upto = end.min(self.horizon);
        if upto > st.last_account {
            st.add(last, upto.since(st.last_account).as_nanos());
        }
        let mut from = self.horizon;
        let history = std::mem::take(&mut st.post_horizon);
        for (t, state) in history.iter().copied().chain(std::iter::once((SimTime::MAX, last))) {
            let to = t.min(end);
            if to > from {
                st.add(state, to.since(from).as_nanos());
                st.max_ready = st.max_ready.max(state.n_ready);
            }
            from = from.max(t);
        }
    }
}
