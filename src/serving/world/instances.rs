//! How the serving world drives its [`Fleet`](crate::fleet::Fleet): each instance hosts one or
//! more replicas (`fleet.rs`), each with a queue and an executor; the fleet's life-cycle (launch,
//! boot, notice, stop, stand-ins, replacement, scale-down) is carried out here, instance by
//! instance, fanned out to the instance's replicas, with what it means for requests.
//!
//! The initial fleet is up at time 0. A spot instance interrupted (by its hazard, an availability
//! drop, its price passing `max_price`, or its lifetime) gets `notice`: its replicas take no new
//! batch, and stop when the notice runs out; a batch still running then goes back to the head of
//! the queue (under a per-replica router, through the router: see `routing.rs`).
//! Its pool asks for a replacement at once, in the zone the strategy picks among those where spot
//! is obtainable; replacements serve after `boot`. Markets change only until the horizon: during
//! the drain after it, the fleet is left as it is. A released instance (scale-down, surplus
//! stand-in) stops once none of its replicas is running a batch.
//!
//! Each change of an instance's readiness is accounted (`fleet.rs`) before the fleet records it,
//! and its replicas leave the world's service (idle stack, router) before the fleet's transition.

use super::{Replica, World};
use crate::engine::SimTime;
use crate::fleet::instances::Launch;
use crate::fleet::{FleetEvent, InstanceId, InstanceState, ZoneId};
use crate::serving::executor::{Executor, ReplicaRef};

impl<E: Executor> World<'_, '_, E> {
    /// Handles what the fleet scheduled.
    pub(super) fn on_fleet_event(&mut self, now: SimTime, event: FleetEvent) {
        match event {
            FleetEvent::InstanceReady(id) => self.mark_ready(now, id),
            FleetEvent::InterruptionNoticed(id) => self.notice(now, id),
            FleetEvent::InstanceStopped(id) => self.stop_instance(now, id),
            FleetEvent::ZoneChanged(z) => self.on_zone_changed(now, z),
        }
    }

    /// Launches `l` with its replicas; ready at once or after boot.
    fn launch(&mut self, now: SimTime, l: Launch, ready_now: bool) {
        let (id, ready) = self.fleet.launch(&mut self.events, now, l, ready_now);
        debug_assert_eq!(id.index(), self.first_replica.len());
        let first = self.replicas.len();
        self.first_replica.push(first as u32);
        let decode = self.disagg.as_ref().is_some_and(|d| d.decode[l.pool]);
        let speed = self.s.fleet.pools[l.pool].instance.speed;
        for r in first..first + self.replicas_per_instance[l.pool] as usize {
            let queue_idx = self.add_queue(r);
            self.replicas.push(Replica { instance: id, queue_idx, busy: false, step_done: None, busy_ns: 0, decode });
            self.executor.add_replica(ReplicaRef { index: r, pool: l.pool, speed });
        }
        if ready {
            self.mark_ready(now, id);
        }
    }

    fn mark_ready(&mut self, now: SimTime, id: InstanceId) {
        if self.fleet.state(id) != InstanceState::Booting {
            return;
        }
        self.account(now);
        self.fleet.set_ready(id);
        let replicas = self.replicas_of(id);
        if self.router.is_shared() {
            self.idle.extend(replicas.clone().map(|r| r as u32));
        } else {
            // Every replica is ready before what waits in the lobby is routed.
            for r in replicas.start..replicas.end - 1 {
                self.router.ready(r);
            }
            self.router_replica_ready(now, replicas.end - 1);
        }
        for r in replicas {
            let q = self.replicas[r].queue_idx;
            self.try_dispatch(now, q);
        }
        let inst = self.fleet.instance(id);
        if inst.zone.is_some()
            && let Some(stand_in) = self.fleet.surplus_stand_in(inst.pool)
        {
            // Enough ready spot instances: the newest stand-in goes.
            self.let_go(now, stand_in, false);
        }
        if now <= self.horizon {
            self.ready_stats.max_ready = self.ready_stats.max_ready.max(self.n_ready_replicas());
        }
    }

    /// Takes instance `id`'s replicas out of service before the fleet's transition: no new
    /// batches (the idle stack forgets them); under a per-replica router, no new requests, and
    /// those queued for them are routed again (to other instances: all of them leave first).
    fn leave_ready(&mut self, now: SimTime, id: InstanceId) {
        self.account(now);
        if !self.fleet.is_ready(id) {
            return;
        }
        let replicas = self.replicas_of(id);
        for r in replicas.clone() {
            if !self.replicas[r].busy {
                self.idle.retain(|&i| i as usize != r);
            }
        }
        if !self.router.is_shared() {
            for r in replicas.clone() {
                self.router.unready(r);
            }
            for r in replicas {
                self.router_replica_left(now, r);
            }
        }
    }

    /// Tells spot instance `id` it will be reclaimed; its pool asks for a replacement.
    fn notice(&mut self, now: SimTime, id: InstanceId) {
        if !self.fleet.noticeable(id) {
            return;
        }
        self.leave_ready(now, id);
        self.fleet.notice(&mut self.events, now, id);
        self.interval.interruptions += 1;
        if now < self.horizon {
            self.replenish(now, self.fleet.instance(id).pool, false);
        }
    }

    /// Stops instance `id` now: billing ends, its replicas' unfinished batches go back to the queue.
    pub(super) fn stop_instance(&mut self, now: SimTime, id: InstanceId) {
        match self.fleet.state(id) {
            InstanceState::Stopped => return,
            InstanceState::Booting | InstanceState::Ready => self.leave_ready(now, id),
            InstanceState::Noticed | InstanceState::Releasing => {}
        }
        self.fleet.stop(&mut self.events, now, id);
        for r in self.replicas_of(id) {
            self.requeue_batch(now, r);
        }
    }

    /// Stops released instance `id` once none of its replicas runs a batch.
    pub(super) fn stop_when_idle(&mut self, now: SimTime, id: InstanceId) {
        if self.replicas_of(id).all(|r| !self.replicas[r].busy) {
            self.stop_instance(now, id);
        }
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
            self.notice(now, id);
        }
        for p in self.fleet.pools_in_zone(z) {
            self.replenish(now, p, false);
        }
        self.fleet.schedule_zone_change(&mut self.events, now, z);
    }

    /// Sets pool `p`'s target (instances): launches what is missing (serving after boot), or lets
    /// go of the surplus, spot instances before on-demand stand-ins, newest first.
    pub(super) fn set_pool_target(&mut self, now: SimTime, p: usize, target: u32) {
        let old = self.fleet.pool(p).target;
        self.account(now);
        self.fleet.set_target(p, target);
        if target > old {
            self.replenish(now, p, false);
            return;
        }
        for id in self.fleet.surplus(p) {
            self.let_go(now, id, true);
        }
    }

    /// Lets instance `id` go (a scale-down if `retire`, else a surplus stand-in): replicas
    /// running a batch finish it first (as a terminating pod drains); the instance stops when
    /// none does.
    fn let_go(&mut self, now: SimTime, id: InstanceId, retire: bool) {
        self.leave_ready(now, id);
        self.fleet.release(&mut self.events, id, retire);
        self.stop_when_idle(now, id);
    }

    /// Instances launched and still booting, fleet-wide.
    pub(super) fn n_booting(&self) -> u32 {
        (0..self.s.fleet.pools.len()).map(|p| self.fleet.pool(p).n_live).sum::<u32>() - self.fleet.n_ready()
    }

    /// Ready instances, fleet-wide (ready replicas: `n_ready_replicas`).
    pub(super) fn n_ready(&self) -> u32 {
        self.fleet.n_ready()
    }
}
