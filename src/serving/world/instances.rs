//! Instances: launch, boot, interruption notice, stop; spot replacements and on-demand
//! stand-ins; pool targets and scale-down.
//!
//! The initial fleet is up at time 0. A spot instance interrupted (by its hazard, an availability
//! drop, its price passing `max_price`, or its lifetime) gets `notice`: it takes no new batch, and
//! stops when the notice runs out; a batch still running then goes back to the head of the queue
//! (under a per-replica router, through the router: see `routing.rs`).
//! Its pool asks for a replacement at once, in the zone the strategy picks among those where spot
//! is obtainable; replacements serve after `boot`. Markets change only until the horizon: during
//! the drain after it, the fleet is left as it is.

use super::fleet::ReplicaState;
use super::{Event, Replica, World};
use crate::engine::SimTime;
use crate::engine::rng;
use crate::scenario::Market;
use crate::serving::executor::{Executor, ReplicaRef};

impl<E: Executor> World<'_, '_, E> {
    /// Starts an instance of pool `p` in `market` (and spot `zone`); ready at once or after boot.
    pub(super) fn launch(
        &mut self,
        now: SimTime,
        p: usize,
        market: Market,
        zone_idx: Option<usize>,
        ready_now: bool,
    ) -> usize {
        let pool = &self.s.fleet.pools[p];
        let r = self.replicas.len();
        let queue_idx = self.add_queue(r);
        self.events.note_launches(1);
        self.replicas.push(Replica {
            pool_idx: p,
            market,
            zone_idx,
            queue_idx,
            state: ReplicaState::Booting,
            busy: false,
            step_done: None,
            busy_ns: 0,
            launched: now,
            stopped: None,
            stand_in: pool.market == Market::Spot && market == Market::OnDemand,
        });
        self.executor.add_replica(ReplicaRef { index: r, pool: p, speed: pool.instance.speed });
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
    pub(super) fn replenish(&mut self, now: SimTime, p: usize, ready_now: bool) {
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
