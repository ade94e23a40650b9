//! Autoscaling the serving fleet: the gauges autoscalers read, their decisions turned into pool
//! targets, and schedule floors.
//!
//! One autoscaler drives every pool with min/max; pools with a fixed `count` count towards the
//! replicas it sees and asks for (as pods of one Deployment would) but keep their count. The total
//! it asks for becomes a target per autoscaled pool by `autoscale::placement` (up: file order to
//! each max; down: spot pools first, reverse file order, to each min); within a pool the fleet
//! lets go of spot instances before on-demand stand-ins, newest first.
//! New replicas are billed from launch and serve after their instance type's `boot`.
//!
//! Decisions go on after the horizon while requests are still waiting, so that a fleet scaled
//! to zero serves what is left; they stop once nothing is waiting, or when no replica is left
//! and the autoscaler would not start one.

use super::{Event, World};
use crate::autoscale::placement::{self, PoolSlot};
use crate::autoscale::schedule::Schedule;
use crate::autoscale::{self, Autoscaler, Observation};
use crate::engine::SimTime;
use crate::scenario::{Market, Scenario};
use crate::serving::executor::Executor;

/// Autoscaling state of a run.
pub(super) struct Scaling {
    scaler: Option<Box<dyn Autoscaler>>,
    schedule: Schedule,
    /// Pools with min/max, in file order.
    auto_pools: Vec<usize>,
    /// Σ count of the pools without min/max.
    fixed: u32,
    /// Σ min and Σ max of the autoscaled pools.
    auto_min: u32,
    auto_max: u32,
    /// The schedule's floor now.
    floor: u32,
    /// Gauges: time of the last update and areas since time 0.
    gauge_t: SimTime,
    busy_area: f64,
    ready_area: f64,
    in_system_area: f64,
    /// Decisions that raised / lowered the fleet's target.
    pub(super) n_scale_ups: u64,
    pub(super) n_scale_downs: u64,
}

impl Scaling {
    /// Autoscaling for `s`, if it has an autoscaler.
    pub(super) fn new(s: &Scenario) -> Option<Scaling> {
        let spec = s.autoscaler.as_ref()?;
        let pools = &s.fleet.pools;
        let auto_pools: Vec<usize> = (0..pools.len()).filter(|&p| pools[p].scaling.is_some()).collect();
        let bounds = |f: fn(&crate::scenario::PoolBounds) -> u32| -> u32 {
            auto_pools.iter().filter_map(|&p| pools[p].scaling.as_ref()).map(f).sum()
        };
        Some(Scaling {
            // Per-replica targets over instances of `k` replicas each (the scenario checks that
            // every pool's instances host as many).
            scaler: spec.scaler.as_ref().map(|sc| {
                autoscale::build(&sc.per_instance(super::fleet::replicas_per_instance(s).first().copied().unwrap_or(1)))
            }),
            schedule: Schedule::new(spec.schedule.clone(), s.start),
            fixed: pools.iter().filter(|p| p.scaling.is_none()).map(|p| p.count).sum(),
            auto_min: bounds(|b| b.min),
            auto_max: bounds(|b| b.max),
            auto_pools,
            floor: 0,
            gauge_t: SimTime::ZERO,
            busy_area: 0.0,
            ready_area: 0.0,
            in_system_area: 0.0,
            n_scale_ups: 0,
            n_scale_downs: 0,
        })
    }

    /// Fewest and most replicas of the fleet allowed now.
    fn bounds(&self) -> (u32, u32) {
        let hi = self.fixed + self.auto_max;
        ((self.fixed + self.auto_min).max(self.floor).min(hi), hi)
    }
}

impl<E: Executor> World<'_, '_, E> {
    /// Requests queued or in service.
    pub(super) fn in_system(&self) -> u64 {
        self.n_arrived - self.n_completed - self.n_dropped
    }

    /// Brings the autoscaling gauges up to `now`; called before every event.
    #[inline]
    pub(super) fn touch_gauges(&mut self, now: SimTime) {
        let in_system = self.in_system() as f64;
        let (busy, ready) = (f64::from(self.n_busy), f64::from(self.n_ready_replicas()));
        if let Some(sc) = &mut self.scaling {
            let dt = now.since(sc.gauge_t).as_nanos() as f64;
            if dt > 0.0 {
                sc.busy_area += busy * dt;
                sc.ready_area += ready * dt;
                sc.in_system_area += in_system * dt;
                sc.gauge_t = now;
            }
        }
    }

    /// Applies the schedule's floor at time 0 to the initial fleet and schedules the first
    /// decision and schedule change. Call before the fleet starts.
    pub(super) fn start_scaling(&mut self) {
        let Some(sc) = &mut self.scaling else { return };
        sc.floor = sc.schedule.floor(SimTime::ZERO);
        let first = sc.scaler.as_ref().map(|a| a.next_decision(SimTime::ZERO));
        let change = sc.schedule.next_change(SimTime::ZERO);
        let (lo, _) = sc.bounds();
        let current = sc.fixed + sc.auto_pools.iter().map(|&p| self.fleet.pool(p).target).sum::<u32>();
        let fixed = sc.fixed;
        if current < lo {
            // Not yet running: set the targets; the fleet launches them ready at time 0.
            let targets = self.spread(lo - fixed);
            for (p, target) in targets {
                self.fleet.set_target(p, target);
            }
        }
        if let Some(t) = first {
            self.events.schedule(t, Event::AutoscalerTick);
        }
        if let Some(t) = change.filter(|&t| t < self.horizon) {
            self.events.schedule(t, Event::ScheduleChanged);
        }
    }

    fn observe(&self, now: SimTime) -> Observation {
        let Some(sc) = &self.scaling else { return Observation::default() };
        let (min, max) = sc.bounds();
        Observation {
            now,
            current: sc.fixed + sc.auto_pools.iter().map(|&p| self.fleet.pool(p).target).sum::<u32>(),
            ready: self.n_ready(),
            booting: self.n_booting(),
            in_system: self.in_system(),
            busy_area: sc.busy_area,
            ready_area: sc.ready_area,
            in_system_area: sc.in_system_area,
            arrivals: self.n_arrived,
            min,
            max,
        }
    }

    pub(super) fn on_autoscaler_tick(&mut self, now: SimTime) {
        if now >= self.horizon && self.in_system() == 0 {
            // The drain is over: a decision now would launch instances after the run ended.
            return;
        }
        let obs = self.observe(now);
        let Some(sc) = &mut self.scaling else { return };
        let Some(scaler) = &mut sc.scaler else { return };
        let wanted = scaler.decide(&obs);
        let next = scaler.next_decision(now);
        self.scale_to(now, wanted);
        // Past the horizon, decide only while requests wait and a replica is there or booting,
        // or the fleet is at zero and the autoscaler may still wake it. (Markets are frozen then:
        // a target that launched nothing now never will.)
        let live: u32 = (0..self.s.fleet.pools.len()).map(|p| self.fleet.pool(p).n_live).sum();
        let may_wake = self.fleet.n_target() == 0
            && self.scaling.as_ref().and_then(|sc| sc.scaler.as_ref()).is_some_and(|a| a.may_wake(&self.observe(now)));
        if now < self.horizon || (self.in_system() > 0 && (live > 0 || may_wake)) {
            self.events.schedule(next, Event::AutoscalerTick);
        }
    }

    pub(super) fn on_schedule_changed(&mut self, now: SimTime) {
        let Some(sc) = &mut self.scaling else { return };
        sc.floor = sc.schedule.floor(now);
        let next = sc.schedule.next_change(now).filter(|&t| t < self.horizon);
        let (lo, _) = sc.bounds();
        let current = self.observe(now).current;
        let sc = self.scaling.as_ref().expect("checked above");
        if sc.scaler.is_none() {
            self.scale_to(now, lo); // the schedule alone: follow the floor both ways
        } else if current < lo {
            self.scale_to(now, lo); // a floor rises at once; the autoscaler brings it down later
        }
        if let Some(t) = next {
            self.events.schedule(t, Event::ScheduleChanged);
        }
    }

    /// A request arrived while the fleet asks for no replica.
    pub(super) fn on_request_at_zero(&mut self, now: SimTime) {
        let obs = self.observe(now);
        let Some(scaler) = self.scaling.as_mut().and_then(|sc| sc.scaler.as_mut()) else { return };
        if let Some(wanted) = scaler.on_request_at_zero(&obs) {
            self.scale_to(now, wanted);
        }
    }

    /// Sets the fleet's total target to `total`, within the bounds, spread over the pools.
    fn scale_to(&mut self, now: SimTime, total: u32) {
        let Some(sc) = &mut self.scaling else { return };
        let (lo, hi) = sc.bounds();
        let auto_total = total.clamp(lo, hi) - sc.fixed;
        let before: u32 = sc.auto_pools.iter().map(|&p| self.fleet.pool(p).target).sum();
        match auto_total.cmp(&before) {
            std::cmp::Ordering::Greater => sc.n_scale_ups += 1,
            std::cmp::Ordering::Less => sc.n_scale_downs += 1,
            std::cmp::Ordering::Equal => return,
        }
        for (p, target) in self.spread(auto_total) {
            if target != self.fleet.pool(p).target {
                self.set_pool_target(now, p, target);
            }
        }
    }

    /// Where `auto_total` replicas of the autoscaled pools go ([`placement::place`]).
    fn spread(&self, auto_total: u32) -> Vec<(usize, u32)> {
        let Some(sc) = &self.scaling else { return Vec::new() };
        let pools = &self.s.fleet.pools;
        let slots: Vec<PoolSlot> = sc
            .auto_pools
            .iter()
            .map(|&p| {
                let (min, max) = pools[p].scaling.map_or((0, 0), |b| (b.min, b.max));
                PoolSlot { pool: p, target: self.fleet.pool(p).target, min, max, spot: pools[p].market == Market::Spot }
            })
            .collect();
        placement::place(auto_total, &slots).targets
    }
}
