//! The fleet's state: per-pool counters, spot zones (capacity, prices and zone choice through
//! `fleet::zone`) and the time-weighted counters (ready replicas, spot capacity lost, time below
//! capacity). What happens to an instance is in `instances.rs`.

use super::{Event, World};
use crate::engine::SimTime;
use crate::fleet::hazard::HazardShape;
use crate::fleet::market::MarketData;
use crate::fleet::zone::SpotZone;
use crate::fleet::zone_picker::{self, Candidate, ZonePicker};
use crate::scenario::{Market, PoolSpec, Scenario};
use crate::serving::executor::Executor;

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReplicaState {
    /// Launched, not yet serving.
    Booting,
    /// Serving.
    Ready,
    /// Told it will be reclaimed: finishing its batch, taking no new one.
    Noticed,
    /// An on-demand stand-in no longer needed: stops when its batch is done.
    Releasing,
    /// Gone.
    Stopped,
}

/// One spot zone for one instance type.
pub(super) struct Zone {
    pub(super) market: SpotZone,
    /// Spot instances in the zone that are not noticed or stopped.
    pub(super) n_running: u32,
}

/// Per-pool counters.
#[derive(Default)]
pub(super) struct PoolState {
    /// Instances the pool asks for: its `count`, or what the autoscaler last set.
    pub(super) target: u32,
    /// Spot instances launched and not noticed or stopped.
    pub(super) n_live_spot: u32,
    /// Live on-demand stand-ins of a spot pool.
    pub(super) stand_ins: Vec<u32>,
    /// Ready (serving) instances of the pool, any market.
    pub(super) n_ready: u32,
    /// Live instances of the pool (booting or ready), any market.
    pub(super) n_live: u32,
    /// Zone choice for the pool's spot instances (spot pools only).
    pub(super) picker: Option<Box<dyn ZonePicker + Send>>,
    /// Zone indices of the pool.
    pub(super) zones: Vec<usize>,
    /// Ready spot instances (for capacity lost).
    pub(super) n_ready_spot: u32,
    /// Interruption notices received by the pool's instances.
    pub(super) n_interruptions: u64,
    /// Live instances the autoscaler let go of (scale-downs), by market.
    pub(super) n_retired: u64,
    /// Spot instances launched so far (numbers their interruption streams).
    pub(super) n_spot_launched: u64,
}

/// The fleet's market state and time-weighted counters.
pub(super) struct FleetState {
    pub(super) zones: Vec<Zone>,
    pub(super) pools: Vec<PoolState>,
    /// Weekend factor and hourly profile when interruptions come from a hazard.
    pub(super) hazard: Option<HazardShape>,
    pub(super) n_interruptions: u64,
    pub(super) interruption_times: Vec<SimTime>,
    pub(super) last_account: SimTime,
    /// ∫ ready replicas dt, ns.
    pub(super) replica_ns: f64,
    /// ∫ Σ spot pools max(0, count − ready spot) dt, ns.
    pub(super) spot_lost_ns: f64,
    /// Time with fewer ready replicas than the pools ask for, ns.
    pub(super) below_capacity_ns: u64,
    pub(super) max_ready: u32,
    /// Instances not yet stopped, by index (so that scans skip the long-gone ones).
    pub(super) live: std::collections::BTreeSet<u32>,
    /// Readiness states after the horizon: (time of a change, the state before it). The run's
    /// end is known only when it is over, so these are integrated up to it by `account_final`.
    pub(super) post_horizon: Vec<(SimTime, Readiness)>,
    pub(super) n_ready: u32,
    /// Σ pool targets.
    pub(super) n_target: u32,
    /// Cost of instances already stopped, before rounding (for the running cost in rows).
    pub(super) stopped_cost_usd: f64,
}

/// Readiness at an instant.
#[derive(Clone, Copy, Debug)]
pub(super) struct Readiness {
    pub(super) n_ready: u32,
    pub(super) spot_lost: u32,
    pub(super) below: bool,
}

impl FleetState {
    /// Adds `dt` ns spent in `state` to the time-weighted counters.
    pub(super) fn add(&mut self, state: Readiness, dt: u64) {
        self.replica_ns += dt as f64 * f64::from(state.n_ready);
        self.spot_lost_ns += dt as f64 * f64::from(state.spot_lost);
        if state.below {
            self.below_capacity_ns += dt;
        }
    }

    pub(super) fn new(s: &Scenario, market: MarketData) -> FleetState {
        let mut zones: Vec<Zone> = Vec::new();
        let mut pools = Vec::new();
        for p in &s.fleet.pools {
            let mut state = PoolState { target: p.count, ..PoolState::default() };
            if p.market == Market::Spot {
                state.picker = Some(zone_picker::for_strategy(p.zone_strategy));
                // A zone entry per (zone, instance type): capacity and prices are per type.
                let instance = &p.instance.name;
                for name in &p.zones {
                    let idx = zones
                        .iter()
                        .position(|z| &z.market.name == name && &z.market.instance == instance)
                        .unwrap_or_else(|| {
                            zones.push(Zone { market: SpotZone::new(&market, name, instance), n_running: 0 });
                            zones.len() - 1
                        });
                    state.zones.push(idx);
                }
            }
            pools.push(state);
        }
        let hazard = HazardShape::of(s);
        FleetState {
            zones,
            pools,
            hazard,
            n_interruptions: 0,
            interruption_times: Vec::new(),
            last_account: SimTime::ZERO,
            replica_ns: 0.0,
            spot_lost_ns: 0.0,
            below_capacity_ns: 0,
            max_ready: 0,
            live: std::collections::BTreeSet::new(),
            post_horizon: Vec::new(),
            n_ready: 0,
            n_target: 0,
            stopped_cost_usd: 0.0,
        }
    }

    /// The spot price for `pool` in zone `z` at `t`.
    pub(super) fn spot_price(&self, pool: &PoolSpec, z: usize, t: SimTime) -> f64 {
        self.zones[z].market.price(t, pool.spot_price)
    }

    /// Whether spot pool `p` is priced by a trace in any of its zones.
    pub(super) fn pool_has_price_trace(&self, p: usize) -> bool {
        self.pools[p].zones.iter().any(|&z| self.zones[z].market.is_priced())
    }

    /// The mean over [0, `horizon`) of spot pool `p`'s zone prices, time-weighted, averaged over
    /// its zones (zones without a series are left out).
    pub(super) fn mean_trace_price(&self, p: usize, horizon: SimTime) -> f64 {
        let means: Vec<f64> =
            self.pools[p].zones.iter().filter_map(|&z| self.zones[z].market.mean_traced_price(horizon)).collect();
        means.iter().sum::<f64>() / means.len().max(1) as f64
    }

    /// USD of a spot instance of `pool` in zone `z` over [from, to).
    pub(super) fn spot_cost(&self, pool: &PoolSpec, z: usize, from: SimTime, to: SimTime) -> f64 {
        self.zones[z].market.cost(from, to, pool.spot_price)
    }

    /// Whether one more spot instance of `pool` can launch in zone `z` at `t`.
    pub(super) fn obtainable(&self, pool: &PoolSpec, z: usize, t: SimTime) -> bool {
        let zone = &self.zones[z];
        zone.market.fits(t, zone.n_running, 1) && pool.max_price.is_none_or(|m| self.spot_price(pool, z, t) <= m)
    }

    /// The zone a new spot instance of pool `p` goes to, if any is obtainable, by the pool's
    /// [`crate::fleet::zone_picker`]; the picker is told of the launch.
    pub(super) fn choose_zone(&mut self, p: usize, pool: &PoolSpec, t: SimTime) -> Option<usize> {
        let zones = &self.pools[p].zones;
        let ok: Vec<Candidate> = zones
            .iter()
            .enumerate()
            .filter(|&(_, &z)| self.obtainable(pool, z, t))
            .map(|(i, &z)| {
                let zone = &self.zones[z];
                zone.market.candidate(i, t, zone.n_running, pool.spot_price)
            })
            .collect();
        let listed = zones.len();
        let picker = self.pools[p].picker.as_mut()?;
        let i = picker.pick(&ok, listed)?;
        picker.chose(i, listed);
        Some(self.pools[p].zones[i])
    }
}

impl<E: Executor> World<'_, '_, E> {
    /// Launches the initial fleet, ready at time 0, and schedules the zones' first changes.
    pub(super) fn start_fleet(&mut self) {
        self.fleet.n_target = self.fleet.pools.iter().map(|st| st.target).sum();
        for (p, pool) in self.s.fleet.pools.iter().enumerate() {
            if pool.market == Market::Spot {
                continue;
            }
            for _ in 0..self.fleet.pools[p].target {
                self.launch(SimTime::ZERO, p, pool.market, None, true);
            }
        }
        for p in 0..self.s.fleet.pools.len() {
            if self.s.fleet.pools[p].market == Market::Spot {
                self.replenish(SimTime::ZERO, p, true);
            }
        }
        for z in 0..self.fleet.zones.len() {
            self.schedule_zone_change(SimTime::ZERO, z);
        }
        // Idle replicas as a stack with the lowest index on top: the first pools serve first.
        self.idle.sort_unstable_by(|a, b| b.cmp(a));
    }

    pub(super) fn schedule_zone_change(&mut self, now: SimTime, z: usize) {
        if let Some(t) = self.fleet.zones[z].market.next_change_after(now).filter(|&t| t < self.horizon) {
            self.events.schedule(t, Event::ZoneChanged(z as u32));
        }
    }

    /// The readiness figures the time-weighted metrics integrate.
    pub(super) fn readiness(&self) -> Readiness {
        let f = &self.fleet;
        let lost = self
            .s
            .fleet
            .pools
            .iter()
            .zip(&f.pools)
            .filter(|(spec, _)| spec.market == Market::Spot)
            .map(|(_, st)| st.target.saturating_sub(st.n_ready_spot))
            .sum();
        Readiness { n_ready: f.n_ready, spot_lost: lost, below: f.n_ready < f.n_target }
    }

    /// Brings time-weighted counters up to `now`; call before any change of readiness. Up to the
    /// horizon they are integrated at once; after it, states are kept until the end is known.
    pub(super) fn account(&mut self, now: SimTime) {
        let state = self.readiness();
        let f = &mut self.fleet;
        let upto = now.min(self.horizon);
        if upto > f.last_account {
            f.add(state, upto.since(f.last_account).as_nanos());
            f.last_account = upto;
        }
        if now > self.horizon {
            f.post_horizon.push((now, state));
        } else {
            f.max_ready = f.max_ready.max(f.n_ready);
        }
    }

    /// Completes the time-weighted counters over [0, end].
    pub(super) fn account_final(&mut self, end: SimTime) {
        let last = self.readiness();
        let f = &mut self.fleet;
        let upto = end.min(self.horizon);
        if upto > f.last_account {
            f.add(last, upto.since(f.last_account).as_nanos());
        }
        let mut from = self.horizon;
        let history = std::mem::take(&mut f.post_horizon);
        for (t, state) in history.iter().copied().chain(std::iter::once((SimTime::MAX, last))) {
            let to = t.min(end);
            if to > from {
                f.add(state, to.since(from).as_nanos());
                f.max_ready = f.max_ready.max(state.n_ready);
            }
            from = from.max(t);
        }
    }
}
