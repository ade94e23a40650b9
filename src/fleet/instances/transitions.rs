//! An instance's life: launch → (boot) → ready → noticed or released → stopped.
//!
//! Each transition keeps the counters of its pool, its zone and the fleet, and the instance's
//! pending events: a launch schedules its notice (the earlier of its hazard draw and its lifetime,
//! before the horizon) and, when it boots, its readiness; a notice schedules the stop after the
//! pool's `notice`; leaving a state cancels the events that no longer apply.

use super::{Fleet, FleetEvent, Instance, InstanceId, InstanceState, Launch};
use crate::engine::{Sim, SimTime};
use crate::scenario::Market;

impl Fleet {
    /// Launches `l` at `now`; ready at once when `ready_now` or the pool does not boot, else after
    /// its boot ([`FleetEvent::InstanceReady`]). Returns the id and whether it is ready now — then
    /// the caller marks it with [`Fleet::set_ready`] (after whatever it keeps for the instance).
    pub fn launch<E: From<FleetEvent> + Clone>(
        &mut self,
        sim: &mut Sim<E>,
        now: SimTime,
        l: Launch,
        ready_now: bool,
    ) -> (InstanceId, bool) {
        let id = InstanceId(self.instances.len() as u32);
        sim.note_launches(1);
        let gang = self.pools[l.pool].terms.gang;
        self.pools[l.pool].n_live += 1;
        self.live.insert(id.0);
        let mut notice = None;
        if let Some(choice) = l.zone {
            let pool = &mut self.pools[l.pool];
            if let Some(picker) = pool.picker.as_mut() {
                picker.chose(choice.listed, pool.zones.len());
            }
            pool.n_live_spot += 1;
            self.zones[choice.zone.index()].n_running += gang;
            notice = self.draw_notice(l.pool, choice.zone, now);
        } else if l.stand_in {
            self.pools[l.pool].stand_ins.push(id);
        }
        let terms = &self.pools[l.pool].terms;
        if let Some(lifetime) = terms.max_lifetime.filter(|_| l.market == Market::Spot) {
            let t = now.after(lifetime);
            if t < self.settings.horizon {
                notice = Some(notice.map_or(t, |h: SimTime| h.min(t)));
            }
        }
        let ready = ready_now || terms.boot.as_nanos() == 0;
        let boot = terms.boot;
        let notice_key = notice.map(|t| sim.schedule_keyed(t, FleetEvent::InterruptionNoticed(id).into()));
        let ready_key = (!ready).then(|| sim.schedule_keyed(now.after(boot), FleetEvent::InstanceReady(id).into()));
        self.instances.push(Instance {
            pool: l.pool,
            market: l.market,
            zone: l.zone.map(|c| c.zone),
            stand_in: l.stand_in,
            state: InstanceState::Booting,
            launched: now,
            stopped: None,
            ready_key,
            notice_key,
            stop_key: None,
        });
        (id, ready)
    }

    /// A booting instance becomes ready (its boot ended, or it was launched ready). The caller
    /// brings what it integrates over readiness up to now first.
    pub fn set_ready(&mut self, id: InstanceId) {
        let inst = &mut self.instances[id.index()];
        debug_assert_eq!(inst.state, InstanceState::Booting);
        inst.state = InstanceState::Ready;
        inst.ready_key = None;
        let pool = &mut self.pools[inst.pool];
        pool.n_ready += 1;
        if inst.zone.is_some() {
            pool.n_ready_spot += 1;
        }
        self.n_ready += 1;
    }

    /// Whether `id` can be noticed: a live spot instance.
    pub fn noticeable(&self, id: InstanceId) -> bool {
        let inst = &self.instances[id.index()];
        inst.is_live() && inst.zone.is_some()
    }

    /// Tells the live spot instance `id` it will be reclaimed: it stops after the pool's notice
    /// ([`FleetEvent::InstanceStopped`]). The caller has taken it out of service already.
    pub fn notice<E: From<FleetEvent> + Clone>(&mut self, sim: &mut Sim<E>, now: SimTime, id: InstanceId) {
        debug_assert!(self.noticeable(id));
        self.leave_live(sim, id, InstanceState::Noticed);
        let inst = &self.instances[id.index()];
        self.pools[inst.pool].n_interruptions += 1;
        self.n_interruptions += 1;
        self.interruption_times.push(now);
        let at = now.after(self.pools[inst.pool].terms.notice);
        let key = sim.schedule_keyed(at, FleetEvent::InstanceStopped(id).into());
        self.instances[id.index()].stop_key = Some((at, key));
    }

    /// Schedules the noticed instance's stop again at the same time, so that events scheduled for
    /// that instant since the notice run before it (a job's emergency checkpoint that ends exactly
    /// when the notice does completes).
    pub fn defer_stop<E: From<FleetEvent> + Clone>(&mut self, sim: &mut Sim<E>, id: InstanceId) {
        if let Some((at, key)) = self.instances[id.index()].stop_key.take() {
            sim.cancel(key);
            let key = sim.schedule_keyed(at, FleetEvent::InstanceStopped(id).into());
            self.instances[id.index()].stop_key = Some((at, key));
        }
    }

    /// Lets the live instance `id` go: it takes no new work and is stopped by its workload
    /// ([`Fleet::stop`]) once it has finished what it holds. `retire` counts a scale-down.
    pub fn release<E: Clone>(&mut self, sim: &mut Sim<E>, id: InstanceId, retire: bool) {
        debug_assert!(self.instances[id.index()].is_live());
        self.leave_live(sim, id, InstanceState::Releasing);
        if retire {
            self.pools[self.instances[id.index()].pool].n_retired += 1;
        }
    }

    /// Stops `id` now: billing ends, its pending events are cancelled. A live instance leaves its
    /// pool's counters first.
    pub fn stop<E: Clone>(&mut self, sim: &mut Sim<E>, now: SimTime, id: InstanceId) {
        let inst = &self.instances[id.index()];
        if inst.state == InstanceState::Stopped {
            return;
        }
        if inst.is_live() {
            self.leave_live(sim, id, InstanceState::Stopped);
        }
        let inst = &mut self.instances[id.index()];
        if let Some((_, key)) = inst.stop_key.take() {
            sim.cancel(key);
        }
        inst.state = InstanceState::Stopped;
        inst.stopped = Some(now);
        self.live.remove(&id.0);
        self.stopped_cost_usd += self.raw_cost(id, now);
    }

    /// A live instance leaves the ready set and its pool's live counters for `next`; its pending
    /// boot and notice are cancelled.
    fn leave_live<E: Clone>(&mut self, sim: &mut Sim<E>, id: InstanceId, next: InstanceState) {
        let inst = &mut self.instances[id.index()];
        let was_ready = inst.state == InstanceState::Ready;
        inst.state = next;
        for key in [inst.ready_key.take(), inst.notice_key.take()].into_iter().flatten() {
            sim.cancel(key);
        }
        let gang = self.pools[inst.pool].terms.gang;
        let pool = &mut self.pools[inst.pool];
        pool.n_live -= 1;
        if was_ready {
            pool.n_ready -= 1;
            self.n_ready -= 1;
        }
        if let Some(z) = inst.zone {
            pool.n_live_spot -= 1;
            if was_ready {
                pool.n_ready_spot -= 1;
            }
            self.zones[z.index()].n_running -= gang;
        } else if inst.stand_in {
            pool.stand_ins.retain(|&s| s != id);
        }
    }
}
