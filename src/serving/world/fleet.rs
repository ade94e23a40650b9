//! Instances: launch, boot, interruption notice, stop; spot zones, availability, prices and
//! on-demand stand-ins; the time-weighted fleet counters.
//!
//! The initial fleet is up at time 0. A spot instance interrupted (by its hazard, an availability
//! drop, its price passing `max_price`, or its lifetime) gets `notice`: it takes no new batch, and
//! stops when the notice runs out; a batch still running then goes back to the head of the queue
//! (under a per-replica router, through the router: see `routing.rs`).
//! Its pool asks for a replacement at once, in the zone the strategy picks among those where spot
//! is obtainable; replacements serve after `boot`. Markets change only until the horizon: during
//! the drain after it, the fleet is left as it is.

use super::{Event, Replica, World};
use crate::engine::SimTime;
use crate::engine::rng;
use crate::fleet::hazard::HazardShape;
use crate::fleet::market::MarketData;
use crate::fleet::zone::SpotZone;
use crate::fleet::zone_picker::{self, Candidate, ZonePicker};
use crate::scenario::{Market, PoolSpec, Scenario};

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
    n_running: u32,
}

/// Per-pool counters.
#[derive(Default)]
pub(super) struct PoolState {
    /// Instances the pool asks for: its `count`, or what the autoscaler last set.
    pub(super) target: u32,
    /// Spot instances launched and not noticed or stopped.
    n_live_spot: u32,
    /// Live on-demand stand-ins of a spot pool.
    stand_ins: Vec<u32>,
    /// Ready (serving) instances of the pool, any market.
    n_ready: u32,
    /// Live instances of the pool (booting or ready), any market.
    pub(super) n_live: u32,
    /// Zone choice for the pool's spot instances (spot pools only).
    picker: Option<Box<dyn ZonePicker + Send>>,
    /// Zone indices of the pool.
    zones: Vec<usize>,
    /// Ready spot instances (for capacity lost).
    n_ready_spot: u32,
    /// Interruption notices received by the pool's instances.
    pub(super) n_interruptions: u64,
    /// Live instances the autoscaler let go of (scale-downs), by market.
    pub(super) n_retired: u64,
    /// Spot instances launched so far (numbers their interruption streams).
    n_spot_launched: u64,
}

/// The fleet's market state and time-weighted counters.
pub(super) struct FleetState {
    pub(super) zones: Vec<Zone>,
    pub(super) pools: Vec<PoolState>,
    /// Weekend factor and hourly profile when interruptions come from a hazard.
    pub(super) hazard: Option<HazardShape>,
    pub(super) n_interruptions: u64,
    pub(super) interruption_times: Vec<SimTime>,
    last_account: SimTime,
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
    post_horizon: Vec<(SimTime, Readiness)>,
    n_ready: u32,
    /// Σ pool targets.
    pub(super) n_target: u32,
    /// Cost of instances already stopped, before rounding (for the running cost in rows).
    pub(super) stopped_cost_usd: f64,
}

/// Readiness at an instant.
#[derive(Clone, Copy, Debug)]
pub(super) struct Readiness {
    n_ready: u32,
    spot_lost: u32,
    below: bool,
}

impl FleetState {
    /// Adds `dt` ns spent in `state` to the time-weighted counters.
    fn add(&mut self, state: Readiness, dt: u64) {
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
        self.zones[z].market.price(t, crate::scenario::untraced_spot_price(pool.spot_price))
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
        self.zones[z].market.cost(from, to, crate::scenario::untraced_spot_price(pool.spot_price))
    }

    /// Whether one more spot instance of `pool` can launch in zone `z` at `t`.
    fn obtainable(&self, pool: &PoolSpec, z: usize, t: SimTime) -> bool {
        let zone = &self.zones[z];
        zone.market.fits(t, zone.n_running, 1) && pool.max_price.is_none_or(|m| self.spot_price(pool, z, t) <= m)
    }

    /// The zone a new spot instance of pool `p` goes to, if any is obtainable, by the pool's
    /// [`crate::fleet::zone_picker`]; the picker is told of the launch.
    fn choose_zone(&mut self, p: usize, pool: &PoolSpec, t: SimTime) -> Option<usize> {
        let zones = &self.pools[p].zones;
        let ok: Vec<Candidate> = zones
            .iter()
            .enumerate()
            .filter(|&(_, &z)| self.obtainable(pool, z, t))
            .map(|(i, &z)| {
                let zone = &self.zones[z];
                zone.market.candidate(i, t, zone.n_running, crate::scenario::untraced_spot_price(pool.spot_price))
            })
            .collect();
        let listed = zones.len();
        let picker = self.pools[p].picker.as_mut()?;
        let i = picker.pick(&ok, listed)?;
        picker.chose(i, listed);
        Some(self.pools[p].zones[i])
    }
}

impl World<'_, '_> {
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

    fn schedule_zone_change(&mut self, now: SimTime, z: usize) {
        if let Some(t) = self.fleet.zones[z].market.next_change_after(now).filter(|&t| t < self.horizon) {
            self.events.schedule(t, Event::ZoneChanged(z as u32));
        }
    }

    /// The readiness figures the time-weighted metrics integrate.
    fn readiness(&self) -> Readiness {
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
    fn account(&mut self, now: SimTime) {
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

    /// Starts an instance of pool `p` in `market` (and spot `zone`); ready at once or after boot.
    fn launch(&mut self, now: SimTime, p: usize, market: Market, zone_idx: Option<usize>, ready_now: bool) -> usize {
        let pool = &self.s.fleet.pools[p];
        let r = self.replicas.len();
        let queue_idx = self.add_queue(r);
        self.events.note_launches(1);
        self.replicas.push(Replica {
            pool_idx: p,
            market,
            zone_idx,
            speed: pool.instance.speed,
            queue_idx,
            state: ReplicaState::Booting,
            busy: false,
            batch: Vec::new(),
            batch_done: None,
            busy_ns: 0,
            launched: now,
            stopped: None,
            stand_in: pool.market == Market::Spot && market == Market::OnDemand,
        });
        self.fleet.pools[p].n_live += 1;
        self.fleet.live.insert(r as u32);
        if let Some(z) = zone_idx {
            self.fleet.zones[z].n_running += 1;
            self.fleet.pools[p].n_live_spot += 1;
            let per_hour = pool.interruptions_per_hour;
            // The k-th spot instance of a pool draws from stream k of the pool's family: other
            // pools, stand-ins and request flow never shift it (common random numbers).
            let k = self.fleet.pools[p].n_spot_launched;
            self.fleet.pools[p].n_spot_launched += 1;
            let mut stream = rng::indexed_stream(self.s.seed, &format!("interruptions/{}", pool.name), k);
            if let Some(t) = self.fleet.hazard.and_then(|h| h.next_event(per_hour, now, self.horizon, &mut stream)) {
                self.events.schedule(t, Event::InterruptionNoticed(r as u32));
            }
        } else if self.replicas[r].stand_in {
            self.fleet.pools[p].stand_ins.push(r as u32);
        }
        if let Some(lifetime) = pool.instance.max_lifetime.filter(|_| market == Market::Spot) {
            let t = now.after(lifetime);
            if t < self.horizon {
                self.events.schedule(t, Event::InterruptionNoticed(r as u32));
            }
        }
        if ready_now || pool.instance.boot.as_nanos() == 0 {
            self.mark_ready(now, r);
        } else {
            self.events.schedule(now.after(pool.instance.boot), Event::InstanceReady(r as u32));
        }
        r
    }

    fn mark_ready(&mut self, now: SimTime, r: usize) {
        if self.replicas[r].state != ReplicaState::Booting {
            return;
        }
        self.account(now);
        let p = self.replicas[r].pool_idx;
        self.replicas[r].state = ReplicaState::Ready;
        self.fleet.n_ready += 1;
        self.fleet.pools[p].n_ready += 1;
        if self.replicas[r].zone_idx.is_some() {
            self.fleet.pools[p].n_ready_spot += 1;
        }
        if self.router.is_shared() {
            self.idle.push(r as u32);
        } else {
            self.router_replica_ready(now, r);
        }
        let q = self.replicas[r].queue_idx;
        self.try_dispatch(now, q);
        if self.replicas[r].zone_idx.is_some() {
            self.release_surplus_stand_in(now, p);
        }
        if now <= self.horizon {
            self.fleet.max_ready = self.fleet.max_ready.max(self.fleet.n_ready);
        }
    }

    pub(super) fn on_instance_ready(&mut self, now: SimTime, r: usize) {
        self.mark_ready(now, r);
    }

    /// Leaves the ready set: no new batches (the idle stack forgets it); under a per-replica
    /// router, no new requests, and those queued for it are routed again.
    fn leave_ready(&mut self, now: SimTime, r: usize, next: ReplicaState) {
        self.account(now);
        let p = self.replicas[r].pool_idx;
        let was_ready = self.replicas[r].state == ReplicaState::Ready;
        if was_ready {
            self.fleet.n_ready -= 1;
            self.fleet.pools[p].n_ready -= 1;
            if self.replicas[r].zone_idx.is_some() {
                self.fleet.pools[p].n_ready_spot -= 1;
            }
            if !self.replicas[r].busy {
                self.idle.retain(|&i| i as usize != r);
            }
        }
        self.replicas[r].state = next;
        if was_ready && !self.router.is_shared() {
            self.router_replica_left(now, r);
        }
    }

    pub(super) fn on_interruption_noticed(&mut self, now: SimTime, r: usize) {
        self.notice(now, r);
    }

    /// Tells spot instance `r` it will be reclaimed; its pool asks for a replacement.
    fn notice(&mut self, now: SimTime, r: usize) {
        if !matches!(self.replicas[r].state, ReplicaState::Booting | ReplicaState::Ready)
            || self.replicas[r].zone_idx.is_none()
        {
            return;
        }
        let p = self.replicas[r].pool_idx;
        self.leave_ready(now, r, ReplicaState::Noticed);
        self.fleet.n_interruptions += 1;
        self.fleet.pools[p].n_interruptions += 1;
        self.fleet.interruption_times.push(now);
        self.interval.interruptions += 1;
        if let Some(z) = self.replicas[r].zone_idx {
            self.fleet.zones[z].n_running -= 1;
        }
        self.fleet.pools[p].n_live_spot -= 1;
        self.fleet.pools[p].n_live -= 1;
        let notice = self.s.fleet.pools[p].notice;
        self.events.schedule(now.after(notice), Event::InstanceStopped(r as u32));
        if now < self.horizon {
            self.replenish(now, p, false);
        }
    }

    pub(super) fn on_instance_stopped(&mut self, now: SimTime, r: usize) {
        self.stop_instance(now, r);
    }

    /// Stops instance `r` now: billing ends, an unfinished batch goes back to the queue.
    pub(super) fn stop_instance(&mut self, now: SimTime, r: usize) {
        if self.replicas[r].state == ReplicaState::Stopped {
            return;
        }
        if self.replicas[r].state != ReplicaState::Noticed && self.replicas[r].state != ReplicaState::Releasing {
            self.leave_ready(now, r, ReplicaState::Stopped);
        }
        self.replicas[r].state = ReplicaState::Stopped;
        self.replicas[r].stopped = Some(now);
        self.fleet.live.remove(&(r as u32));
        self.fleet.stopped_cost_usd += self.raw_cost(r, now);
        self.requeue_batch(now, r);
    }

    /// The cost of instance `r` from launch to `until`, before rounding and minimums.
    pub(super) fn raw_cost(&self, r: usize, until: SimTime) -> f64 {
        let rep = &self.replicas[r];
        let pool = &self.s.fleet.pools[rep.pool_idx];
        match (rep.market, rep.zone_idx) {
            (Market::Spot, Some(z)) => self.fleet.spot_cost(pool, z, rep.launched, until),
            (Market::OnDemand, _) if rep.stand_in => {
                pool.instance.on_demand_price * until.since(rep.launched).as_secs_f64() / 3_600.0
            }
            // A reservation covers the horizon: serving on while the queue drains costs nothing more.
            (Market::Reserved, _) => {
                pool.price_per_hour * until.min(self.horizon).since(rep.launched).as_secs_f64() / 3_600.0
            }
            _ => pool.price_per_hour * until.since(rep.launched).as_secs_f64() / 3_600.0,
        }
    }

    /// Launches spot instances (or on-demand stand-ins) until pool `p` has its target.
    fn replenish(&mut self, now: SimTime, p: usize, ready_now: bool) {
        let pool = &self.s.fleet.pools[p];
        let target = self.fleet.pools[p].target;
        while self.fleet.pools[p].n_live_spot < target {
            match self.fleet.choose_zone(p, pool, now) {
                Some(z) => {
                    self.launch(now, p, Market::Spot, Some(z), ready_now);
                }
                None => break,
            }
        }
        if pool.ondemand_fallback {
            while self.fleet.pools[p].n_live_spot + (self.fleet.pools[p].stand_ins.len() as u32) < target {
                self.launch(now, p, Market::OnDemand, None, ready_now);
            }
        }
    }

    /// Once pool `p` has enough ready spot instances, lets go of its newest stand-in.
    fn release_surplus_stand_in(&mut self, now: SimTime, p: usize) {
        let st = &self.fleet.pools[p];
        if st.stand_ins.is_empty() || st.n_ready_spot + st.stand_ins.len() as u32 <= st.target {
            return;
        }
        let Some(r) = self.fleet.pools[p].stand_ins.pop().map(|r| r as usize) else { return };
        self.fleet.pools[p].n_live -= 1;
        let busy = self.replicas[r].busy;
        self.leave_ready(now, r, ReplicaState::Releasing);
        if !busy {
            self.stop_instance(now, r);
        }
    }

    /// A zone's availability or price changed: reclaim what no longer fits, launch what now does.
    pub(super) fn on_zone_changed(&mut self, now: SimTime, z: usize) {
        if let Some(avail) = self.fleet.zones[z].market.capacity(now) {
            // Newest first: the most recently launched instances are reclaimed.
            let mut excess = self.fleet.zones[z].n_running.saturating_sub(avail);
            let newest_first: Vec<usize> = self.fleet.live.iter().rev().map(|&r| r as usize).collect();
            for r in newest_first {
                if excess == 0 {
                    break;
                }
                if self.replicas[r].zone_idx == Some(z)
                    && matches!(self.replicas[r].state, ReplicaState::Booting | ReplicaState::Ready)
                {
                    self.notice(now, r);
                    excess -= 1;
                }
            }
        }
        let live: Vec<usize> = self.fleet.live.iter().map(|&r| r as usize).collect();
        for r in live {
            let rep = &self.replicas[r];
            if rep.zone_idx != Some(z) || !matches!(rep.state, ReplicaState::Booting | ReplicaState::Ready) {
                continue;
            }
            let pool = &self.s.fleet.pools[rep.pool_idx];
            if pool.max_price.is_some_and(|m| self.fleet.spot_price(pool, z, now) > m) {
                self.notice(now, r);
            }
        }
        for p in 0..self.s.fleet.pools.len() {
            if self.s.fleet.pools[p].market == Market::Spot && self.fleet.pools[p].zones.contains(&z) {
                self.replenish(now, p, false);
            }
        }
        self.schedule_zone_change(now, z);
    }

    /// Sets pool `p`'s target: launches what is missing (serving after boot), or lets
    /// go of the surplus, spot instances before on-demand stand-ins, newest first.
    pub(super) fn set_pool_target(&mut self, now: SimTime, p: usize, target: u32) {
        let old = self.fleet.pools[p].target;
        self.account(now);
        self.fleet.pools[p].target = target;
        self.fleet.n_target = self.fleet.n_target - old + target;
        let pool = &self.s.fleet.pools[p];
        if target > old {
            if pool.market == Market::Spot {
                self.replenish(now, p, false);
            } else {
                while self.fleet.pools[p].n_live < target {
                    self.launch(now, p, pool.market, None, false);
                }
            }
            return;
        }
        let mut excess = self.fleet.pools[p].n_live.saturating_sub(target);
        if excess == 0 {
            return;
        }
        let newest_first: Vec<usize> = self.fleet.live.iter().rev().map(|&r| r as usize).collect();
        for spot_pass in [true, false] {
            for &r in &newest_first {
                if excess == 0 {
                    return;
                }
                let rep = &self.replicas[r];
                if rep.pool_idx == p
                    && rep.zone_idx.is_some() == spot_pass
                    && matches!(rep.state, ReplicaState::Booting | ReplicaState::Ready)
                {
                    self.retire(now, r);
                    excess -= 1;
                }
            }
        }
    }

    /// Lets instance `r` go on a scale-down: a busy one finishes its batch first (as a
    /// terminating pod drains), the others stop now.
    fn retire(&mut self, now: SimTime, r: usize) {
        let p = self.replicas[r].pool_idx;
        let st = &mut self.fleet.pools[p];
        st.n_live -= 1;
        st.n_retired += 1;
        if let Some(z) = self.replicas[r].zone_idx {
            st.n_live_spot -= 1;
            self.fleet.zones[z].n_running -= 1;
        } else if self.replicas[r].stand_in {
            st.stand_ins.retain(|&i| i as usize != r);
        }
        let busy = self.replicas[r].busy;
        self.leave_ready(now, r, ReplicaState::Releasing);
        if !busy {
            self.stop_instance(now, r);
        }
    }

    /// Replicas launched and still booting, fleet-wide.
    pub(super) fn n_booting(&self) -> u32 {
        self.fleet.pools.iter().map(|st| st.n_live).sum::<u32>() - self.fleet.n_ready
    }

    /// Ready replicas, fleet-wide.
    pub(super) fn n_ready(&self) -> u32 {
        self.fleet.n_ready
    }
}
