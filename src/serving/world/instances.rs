//! How the serving world drives its [`Fleet`](crate::fleet::Fleet): each instance is a replica
//! with a queue and an executor; the fleet's life-cycle (launch, boot, notice, stop, stand-ins,
//! replacement, scale-down) is carried out here, with what it means for requests.
//!
//! The initial fleet is up at time 0. A spot instance interrupted (by its hazard, an availability
//! drop, its price passing `max_price`, or its lifetime) gets `notice`: it takes no new batch, and
//! stops when the notice runs out; a batch still running then goes back to the head of the queue
//! (under a per-replica router, through the router: see `routing.rs`).
//! Its pool asks for a replacement at once, in the zone the strategy picks among those where spot
//! is obtainable; replacements serve after `boot`. Markets change only until the horizon: during
//! the drain after it, the fleet is left as it is.
//!
//! Each change of an instance's readiness is accounted (`fleet.rs`) before the fleet records it,
//! and a replica leaves the world's service (idle stack, router) before the fleet's transition.

use super::{Replica, World};
use crate::engine::SimTime;
use crate::fleet::instances::Launch;
use crate::fleet::{FleetEvent, InstanceId, InstanceState, ZoneId};
use crate::serving::executor::{Executor, ReplicaRef};

impl<E: Executor> World<'_, '_, E> {
    /// Handles what the fleet scheduled.
    pub(super) fn on_fleet_event(&mut self, now: SimTime, event: FleetEvent) {
        match event {
            FleetEvent::InstanceReady(id) => self.mark_ready(now, id.index()),
            FleetEvent::InterruptionNoticed(id) => self.notice(now, id.index()),
            FleetEvent::InstanceStopped(id) => self.stop_instance(now, id.index()),
            FleetEvent::ZoneChanged(z) => self.on_zone_changed(now, z),
        }
    }

    /// Launches `l` as replica `r` (its instance's id); ready at once or after boot.
    fn launch(&mut self, now: SimTime, l: Launch, ready_now: bool) -> usize {
        let (id, ready) = self.fleet.launch(&mut self.events, now, l, ready_now);
        let r = id.index();
        debug_assert_eq!(r, self.replicas.len());
        let queue_idx = self.add_queue(r);
        let decode = self.disagg.as_ref().is_some_and(|d| d.decode[l.pool]);
        self.replicas.push(Replica { queue_idx, busy: false, step_done: None, busy_ns: 0, decode });
        let speed = self.s.fleet.pools[l.pool].instance.speed;
        self.executor.add_replica(ReplicaRef { index: r, pool: l.pool, speed });
        if ready {
            self.mark_ready(now, r);
        }
        r
    }

    fn mark_ready(&mut self, now: SimTime, r: usize) {
        let id = InstanceId(r as u32);
        if self.fleet.state(id) != InstanceState::Booting {
            return;
        }
        self.account(now);
        self.fleet.set_ready(id);
        if self.router.is_shared() {
            self.idle.push(r as u32);
        } else {
            self.router_replica_ready(now, r);
        }
        let q = self.replicas[r].queue_idx;
        self.try_dispatch(now, q);
        let inst = self.fleet.instance(id);
        if inst.zone.is_some()
            && let Some(stand_in) = self.fleet.surplus_stand_in(inst.pool)
        {
            // Enough ready spot instances: the newest stand-in goes.
            self.let_go(now, stand_in.index(), false);
        }
        if now <= self.horizon {
            self.ready_stats.max_ready = self.ready_stats.max_ready.max(self.fleet.n_ready());
        }
    }

    /// Takes replica `r` out of service before the fleet's transition: no new batches (the idle
    /// stack forgets it); under a per-replica router, no new requests, and those queued for it are
    /// routed again.
    fn leave_ready(&mut self, now: SimTime, r: usize) {
        self.account(now);
        if !self.fleet.is_ready(InstanceId(r as u32)) {
            return;
        }
        if !self.replicas[r].busy {
            self.idle.retain(|&i| i as usize != r);
        }
        if !self.router.is_shared() {
            self.router_replica_left(now, r);
        }
    }

    /// Tells spot instance `r` it will be reclaimed; its pool asks for a replacement.
    fn notice(&mut self, now: SimTime, r: usize) {
        let id = InstanceId(r as u32);
        if !self.fleet.noticeable(id) {
            return;
        }
        self.leave_ready(now, r);
        self.fleet.notice(&mut self.events, now, id);
        self.interval.interruptions += 1;
        if now < self.horizon {
            self.replenish(now, self.fleet.instance(id).pool, false);
        }
    }

    /// Stops instance `r` now: billing ends, an unfinished batch goes back to the queue.
    pub(super) fn stop_instance(&mut self, now: SimTime, r: usize) {
        let id = InstanceId(r as u32);
        match self.fleet.state(id) {
            InstanceState::Stopped => return,
            InstanceState::Booting | InstanceState::Ready => self.leave_ready(now, r),
            InstanceState::Noticed | InstanceState::Releasing => {}
        }
        self.fleet.stop(&mut self.events, now, id);
        self.requeue_batch(now, r);
    }

    /// Launches what pool `p` needs to reach its target ([`crate::fleet::Fleet::replacement`]).
    pub(super) fn replenish(&mut self, now: SimTime, p: usize, ready_now: bool) {
        while let Some(l) = self.fleet.replacement(p, now) {
            self.launch(now, l, ready_now);
        }
    }

    /// A zone's availability or price changed: reclaim what no longer fits, launch what now does.
    fn on_zone_changed(&mut self, now: SimTime, z: ZoneId) {
        for id in self.fleet.reclaims(now, z) {
            self.notice(now, id.index());
        }
        for p in self.fleet.pools_in_zone(z) {
            self.replenish(now, p, false);
        }
        self.fleet.schedule_zone_change(&mut self.events, now, z);
    }

    /// Sets pool `p`'s target: launches what is missing (serving after boot), or lets go of the
    /// surplus, spot instances before on-demand stand-ins, newest first.
    pub(super) fn set_pool_target(&mut self, now: SimTime, p: usize, target: u32) {
        let old = self.fleet.pool(p).target;
        self.account(now);
        self.fleet.set_target(p, target);
        if target > old {
            self.replenish(now, p, false);
            return;
        }
        for id in self.fleet.surplus(p) {
            self.let_go(now, id.index(), true);
        }
    }

    /// Lets instance `r` go (a scale-down if `retire`, else a surplus stand-in): a busy one
    /// finishes its batch first (as a terminating pod drains), the others stop now.
    fn let_go(&mut self, now: SimTime, r: usize, retire: bool) {
        self.leave_ready(now, r);
        self.fleet.release(&mut self.events, InstanceId(r as u32), retire);
        if !self.replicas[r].busy {
            self.stop_instance(now, r);
        }
    }

    /// Replicas launched and still booting, fleet-wide.
    pub(super) fn n_booting(&self) -> u32 {
        (0..self.s.fleet.pools.len()).map(|p| self.fleet.pool(p).n_live).sum::<u32>() - self.fleet.n_ready()
    }

    /// Ready replicas, fleet-wide.
    pub(super) fn n_ready(&self) -> u32 {
        self.fleet.n_ready()
    }
}
