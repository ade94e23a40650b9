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
//! A disaggregated LLM fleet scales its two sides apart: the autoscaler's spec drives the prefill
//! pools on what the prefill side holds (requests not yet prefilled, its busy and ready replicas,
//! its engines' gauges) and, as a second autoscaler of the same spec, the decode pools on what
//! the decode side holds (sequences transferring, waiting for or on a decode replica). A
//! schedule's floor applies to each side. Each side is a [`Scaling`] of its own.
//!
//! Decisions go on after the horizon while requests are still waiting, so that a fleet scaled
//! to zero serves what is left; they stop once nothing is waiting, or when no replica is left
//! and the autoscaler would not start one.

use super::{Event, World};
use crate::autoscale::placement::{self, PoolSlot};
use crate::autoscale::schedule::Schedule;
use crate::autoscale::{self, Autoscaler, Observation};
use crate::engine::SimTime;
use crate::fleet::InstanceState;
use crate::scenario::{LoadSignal, Market, Scenario};
use crate::serving::executor::Executor;

/// The pools one autoscaler drives together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    /// Every pool (a colocated fleet).
    All,
    /// The prefill pools of a disaggregated fleet.
    Prefill,
    /// Its decode pools.
    Decode,
}

/// Autoscaling state of one side of a run.
pub(super) struct Scaling {
    side: Side,
    scaler: Option<Box<dyn Autoscaler>>,
    schedule: Schedule,
    /// The pools of its side, in file order.
    pools: Vec<usize>,
    /// Of them, those with min/max.
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
    /// Whether the autoscaler reads an LLM engine's gauges (then they are integrated too).
    llm_gauges: bool,
    running_area: f64,
    kv_utilization_area: f64,
    /// Decisions that raised / lowered the fleet's target.
    pub(super) n_scale_ups: u64,
    pub(super) n_scale_downs: u64,
}

impl Scaling {
    /// Autoscaling for `s`: none without an autoscaler, one per side of a disaggregated fleet.
    pub(super) fn of(s: &Scenario) -> Vec<Scaling> {
        let Some(spec) = s.autoscaler.as_ref() else { return Vec::new() };
        let sides = match s.serving().and_then(|sv| sv.llm()).and_then(|l| l.disaggregated.as_ref()) {
            Some(d) => vec![(Side::Prefill, Some(d)), (Side::Decode, Some(d))],
            None => vec![(Side::All, None)],
        };
        sides
            .into_iter()
            .map(|(side, d)| {
                let on_side = |p: usize| d.is_none_or(|d| d.decode[p] == (side == Side::Decode));
                Scaling::new(s, spec, side, &on_side)
            })
            .collect()
    }

    fn new(
        s: &Scenario,
        spec: &crate::scenario::AutoscalerSpec,
        side: Side,
        on_side: &dyn Fn(usize) -> bool,
    ) -> Scaling {
        let pools = &s.fleet.pools;
        let auto_pools: Vec<usize> = (0..pools.len()).filter(|&p| on_side(p) && pools[p].scaling.is_some()).collect();
        let bounds = |f: fn(&crate::scenario::PoolBounds) -> u32| -> u32 {
            auto_pools.iter().filter_map(|&p| pools[p].scaling.as_ref()).map(f).sum()
        };
        Scaling {
            side,
            pools: (0..pools.len()).filter(|&p| on_side(p)).collect(),
            // Per-replica targets over instances of `k` replicas each (the scenario checks that
            // every pool's instances host as many).
            scaler: spec.scaler.as_ref().map(|sc| {
                autoscale::build(&sc.per_instance(super::fleet::replicas_per_instance(s).first().copied().unwrap_or(1)))
            }),
            schedule: Schedule::new(spec.schedule.clone(), s.start),
            fixed: (0..pools.len()).filter(|&p| on_side(p) && pools[p].scaling.is_none()).map(|p| pools[p].count).sum(),
            auto_min: bounds(|b| b.min),
            auto_max: bounds(|b| b.max),
            auto_pools,
            floor: 0,
            gauge_t: SimTime::ZERO,
            busy_area: 0.0,
            ready_area: 0.0,
            in_system_area: 0.0,
            llm_gauges: spec.scaler.as_ref().is_some_and(|a| a.signal() != LoadSignal::InSystem),
            running_area: 0.0,
            kv_utilization_area: 0.0,
            n_scale_ups: 0,
            n_scale_downs: 0,
        }
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

    /// Requests `side` holds: every one, or those on the prefill or decode side.
    fn in_system_of(&self, side: Side) -> u64 {
        let decode = self.disagg.as_ref().map_or(0, |d| d.in_system);
        match side {
            Side::All => self.in_system(),
            Side::Prefill => self.in_system() - decode,
            Side::Decode => decode,
        }
    }

    /// Replicas of `side` running a step, and ready.
    fn busy_ready_of(&self, sc: &Scaling) -> (u32, u32) {
        let busy_decode = self.disagg.as_ref().map_or(0, |d| d.n_busy);
        let ready = |pools: &[usize]| {
            pools.iter().map(|&p| self.fleet.pool(p).n_ready * self.replicas_per_instance[p]).sum::<u32>()
        };
        match sc.side {
            Side::All => (self.n_busy, self.n_ready_replicas()),
            Side::Prefill => (self.n_busy - busy_decode, ready(&sc.pools)),
            Side::Decode => (busy_decode, ready(&sc.pools)),
        }
    }

    /// The fleet's target over the pools of `sc`'s side.
    fn target_of(&self, sc: &Scaling) -> u32 {
        match sc.side {
            Side::All => self.fleet.n_target(),
            _ => sc.pools.iter().map(|&p| self.fleet.pool(p).target).sum(),
        }
    }

    /// Brings the autoscaling gauges up to `now`; called before every event.
    #[inline]
    pub(super) fn touch_gauges(&mut self, now: SimTime) {
        for g in 0..self.scaling.len() {
            let sc = &self.scaling[g];
            let dt = now.since(sc.gauge_t).as_nanos() as f64;
            if dt <= 0.0 {
                continue;
            }
            let in_system = self.in_system_of(sc.side) as f64;
            let (busy, ready) = self.busy_ready_of(sc);
            let (running, kv) = if sc.llm_gauges { self.llm_levels(sc) } else { (0, 0.0) };
            let sc = &mut self.scaling[g];
            sc.busy_area += f64::from(busy) * dt;
            sc.ready_area += f64::from(ready) * dt;
            sc.in_system_area += in_system * dt;
            if sc.llm_gauges {
                sc.running_area += running as f64 * dt;
                sc.kv_utilization_area += kv * dt;
            }
            sc.gauge_t = now;
        }
    }

    /// Sequences running on `sc`'s serving replicas, and the sum of their KV cache fractions in
    /// use (booting replicas hold nothing; noticed ones still run).
    fn llm_levels(&self, sc: &Scaling) -> (u64, f64) {
        let (mut running, mut kv) = (0, 0.0);
        for id in self.fleet.live() {
            let inst = self.fleet.instance(id);
            if matches!(inst.state, InstanceState::Booting | InstanceState::Stopped)
                || (sc.side != Side::All && !sc.pools.contains(&inst.pool))
            {
                continue;
            }
            for r in self.replicas_of(id) {
                if let Some(o) = self.executor.occupancy(r) {
                    running += o.running;
                    if o.kv_total_blocks > 0 {
                        kv += o.kv_used_blocks as f64 / o.kv_total_blocks as f64;
                    }
                }
            }
        }
        (running, kv)
    }

    /// Applies the schedule's floor at time 0 to the initial fleet and schedules the first
    /// decisions and schedule changes. Call before the fleet starts.
    pub(super) fn start_scaling(&mut self) {
        for g in 0..self.scaling.len() {
            let sc = &mut self.scaling[g];
            sc.floor = sc.schedule.floor(SimTime::ZERO);
            let first = sc.scaler.as_ref().map(|a| a.next_decision(SimTime::ZERO));
            let change = sc.schedule.next_change(SimTime::ZERO);
            let (lo, _) = sc.bounds();
            let current = sc.fixed + sc.auto_pools.iter().map(|&p| self.fleet.pool(p).target).sum::<u32>();
            let fixed = sc.fixed;
            if current < lo {
                // Not yet running: set the targets; the fleet launches them ready at time 0.
                let targets = self.spread(g, lo - fixed);
                for (p, target) in targets {
                    self.fleet.set_target(p, target);
                }
            }
            if let Some(t) = first {
                self.events.schedule(t, Event::AutoscalerTick(g as u32));
            }
            if let Some(t) = change.filter(|&t| t < self.horizon) {
                self.events.schedule(t, Event::ScheduleChanged(g as u32));
            }
        }
    }

    fn observe(&self, now: SimTime, g: usize) -> Observation {
        let Some(sc) = self.scaling.get(g) else { return Observation::default() };
        let (min, max) = sc.bounds();
        let (running, kv_utilization) = if sc.llm_gauges { self.llm_levels(sc) } else { (0, 0.0) };
        // Instances, as `current` (the gauges count replicas).
        let (ready, booting) = match sc.side {
            Side::All => (self.n_ready(), self.n_booting()),
            _ => sc
                .pools
                .iter()
                .map(|&p| self.fleet.pool(p))
                .fold((0, 0), |(r, b), p| (r + p.n_ready, b + p.n_live - p.n_ready)),
        };
        Observation {
            now,
            current: sc.fixed + sc.auto_pools.iter().map(|&p| self.fleet.pool(p).target).sum::<u32>(),
            ready,
            booting,
            in_system: self.in_system_of(sc.side),
            busy_area: sc.busy_area,
            ready_area: sc.ready_area,
            in_system_area: sc.in_system_area,
            running,
            kv_utilization,
            running_area: sc.running_area,
            kv_utilization_area: sc.kv_utilization_area,
            arrivals: self.n_arrived,
            min,
            max,
        }
    }

    pub(super) fn on_autoscaler_tick(&mut self, now: SimTime, g: usize) {
        if now >= self.horizon && self.in_system_of(self.scaling[g].side) == 0 {
            // The drain is over (on this side): a decision now would launch instances after the
            // run ended, or after the last request this side serves.
            return;
        }
        let obs = self.observe(now, g);
        let Some(scaler) = &mut self.scaling[g].scaler else { return };
        let wanted = scaler.decide(&obs);
        let next = scaler.next_decision(now);
        self.scale_to(now, g, wanted);
        // Past the horizon, decide only while requests wait and a replica is there or booting,
        // or the fleet is at zero and the autoscaler may still wake it. (Markets are frozen then:
        // a target that launched nothing now never will.) A side of a disaggregated fleet goes on
        // while it holds requests itself; a decode side at zero that receives some later is woken
        // by them (`on_request_at_zero`).
        let sc = &self.scaling[g];
        let live: u32 = sc.pools.iter().map(|&p| self.fleet.pool(p).n_live).sum();
        let may_wake = self.target_of(sc) == 0
            && sc.bounds().1 > 0
            && sc.scaler.as_ref().is_some_and(|a| a.may_wake(&self.observe(now, g)));
        if now < self.horizon || (self.in_system_of(sc.side) > 0 && (live > 0 || may_wake)) {
            self.events.schedule(next, Event::AutoscalerTick(g as u32));
        }
    }

    pub(super) fn on_schedule_changed(&mut self, now: SimTime, g: usize) {
        let sc = &mut self.scaling[g];
        sc.floor = sc.schedule.floor(now);
        let next = sc.schedule.next_change(now).filter(|&t| t < self.horizon);
        let (lo, _) = sc.bounds();
        let current = self.observe(now, g).current;
        let sc = &self.scaling[g];
        if sc.scaler.is_none() {
            self.scale_to(now, g, lo); // the schedule alone: follow the floor both ways
        } else if current < lo {
            self.scale_to(now, g, lo); // a floor rises at once; the autoscaler brings it down later
        }
        if let Some(t) = next {
            self.events.schedule(t, Event::ScheduleChanged(g as u32));
        }
    }

    /// A request arrived at `side` (arrivals: the prefill side; prefilled sequences: the decode
    /// side) while its pools ask for no replica.
    pub(super) fn on_request_at_zero(&mut self, now: SimTime, side: Side) {
        for g in 0..self.scaling.len() {
            let sc = &self.scaling[g];
            let applies = sc.side == side || sc.side == Side::All;
            if !applies || self.target_of(sc) != 0 {
                continue;
            }
            let obs = self.observe(now, g);
            let Some(scaler) = self.scaling[g].scaler.as_mut() else { continue };
            if let Some(wanted) = scaler.on_request_at_zero(&obs) {
                self.scale_to(now, g, wanted);
            }
        }
    }

    /// Sets side `g`'s total target to `total`, within the bounds, spread over its pools.
    fn scale_to(&mut self, now: SimTime, g: usize, total: u32) {
        let sc = &mut self.scaling[g];
        let (lo, hi) = sc.bounds();
        let auto_total = total.clamp(lo, hi) - sc.fixed;
        let before: u32 = sc.auto_pools.iter().map(|&p| self.fleet.pool(p).target).sum();
        match auto_total.cmp(&before) {
            std::cmp::Ordering::Greater => sc.n_scale_ups += 1,
            std::cmp::Ordering::Less => sc.n_scale_downs += 1,
            std::cmp::Ordering::Equal => return,
        }
        for (p, target) in self.spread(g, auto_total) {
            if target != self.fleet.pool(p).target {
                self.set_pool_target(now, p, target);
            }
        }
    }

    /// Where `auto_total` replicas of side `g`'s autoscaled pools go ([`placement::place`]).
    fn spread(&self, g: usize, auto_total: u32) -> Vec<(usize, u32)> {
        let Some(sc) = self.scaling.get(g) else { return Vec::new() };
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

    /// Decisions that raised and lowered a target, over every side.
    pub(super) fn scale_counts(&self) -> (u64, u64) {
        self.scaling.iter().fold((0, 0), |(u, d), sc| (u + sc.n_scale_ups, d + sc.n_scale_downs))
    }
}
