//! The job world: one gang at a time, its phases, interruptions, decisions and bill.
//!
//! `mod.rs` holds the state, the event handling, the market and the policy's decisions;
//! `phases.rs` a gang's life (launch, phases, notice, stop); `report.rs` its bill and the summary.

mod phases;
mod report;

use super::policy::{self, JobView, Placement, Policy};
use crate::engine::rng::{self, Stream};
use crate::engine::sim::LimitWords;
use crate::engine::{ActionKey, AfterHorizon, Duration, LimitReached, Model, Sim, SimTime, Simulation};
use crate::fleet::audit::InstanceBill;
use crate::fleet::hazard::HazardShape;
use crate::fleet::market::MarketData;
use crate::fleet::zone::SpotZone;
use crate::fleet::zone_picker::{self, Candidate, ZonePicker};
use crate::metrics::timeseries::Row;
use crate::run::{Outcome, SimError};
use crate::scenario::{CheckpointInterval, JobSpec, Scenario};

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The current phase of the running gang ended.
    PhaseEnded,
    /// The running gang was told it will be reclaimed.
    Noticed,
    /// The noticed gang stops (end of notice).
    Stopped,
    /// A zone's availability or price changed.
    ZoneChanged(usize),
    /// The time the policy asked to be asked again at ([`Policy::wake_at`]).
    Wake,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Overhead,
    Restore,
    Compute,
    Write {
        last: bool,
    },
    /// Noticed, emergency checkpoint written or not possible: waiting for the stop.
    Idle,
}

#[derive(Clone, Copy, Debug)]
struct Run {
    spot_zone: Option<usize>,
    launched: SimTime,
    phase: Phase,
    phase_start: SimTime,
    noticed: bool,
    /// The pending end of the phase, notice and stop: cancelled when the gang stops.
    phase_end: Option<ActionKey>,
    notice_at: Option<ActionKey>,
    stop_at: Option<ActionKey>,
}

struct Zone {
    market: SpotZone,
    /// Per gang member: its interruption process (next event time, stream).
    members: Vec<(SimTime, Stream)>,
}

struct JobWorld<'s> {
    s: &'s Scenario,
    job: &'s JobSpec,
    events: Sim<Event>,
    /// The policy's pending wake-up: its time and key (one at most).
    wake: Option<(SimTime, ActionKey)>,
    policy: Box<dyn Policy>,
    zones: Vec<Zone>,
    hazard: Option<HazardShape>,
    horizon: SimTime,
    deadline: SimTime,
    speed: f64,
    /// Saved progress and unsaved progress, as compute time at the instance's speed (ns).
    safe_ns: u64,
    unsaved_ns: u64,
    run: Option<Run>,
    placement: Option<Placement>,
    /// Zone choice for spot gangs.
    zone_picker: Box<dyn ZonePicker + Send>,
    done_at: Option<SimTime>,
    // Metrics.
    lost_ns: u64,
    n_checkpoints: u64,
    write_ns: u64,
    restore_ns: u64,
    n_interruptions: u64,
    spot_ns: u64,
    on_demand_ns: u64,
    cost_spot: f64,
    cost_on_demand: f64,
    cost_by_zone: std::collections::BTreeMap<String, f64>,
    n_launches: u64,
    instance_ns: f64,
    interruption_times: Vec<SimTime>,
    rows: Vec<Row>,
    bills: Vec<InstanceBill>,
}

/// Runs the job scenario `s` against `market`.
pub fn simulate(s: &Scenario, market: &MarketData) -> Result<Outcome, SimError> {
    let Some(job) = s.job() else {
        return Err(SimError::Limit(format!("scenario {:?} has no job", s.name)));
    };
    let mut w = JobWorld::new(s, job, market);
    Simulation { max_events: s.limits.max_events, progress: &mut |_| {} }.run(&mut w)?;
    Ok(w.finish())
}

impl Model for JobWorld<'_> {
    type Event = Event;
    type Error = SimError;
    const AFTER_HORIZON: AfterHorizon = AfterHorizon::Stop;

    fn sim(&mut self) -> &mut Sim<Event> {
        &mut self.events
    }

    fn start(&mut self) -> Result<(), SimError> {
        for z in 0..self.zones.len() {
            self.schedule_zone_change(z, SimTime::ZERO);
        }
        self.decide(SimTime::ZERO);
        Ok(())
    }

    fn handle(&mut self, now: SimTime, event: Event) -> Result<(), SimError> {
        match event {
            Event::PhaseEnded => {
                self.take_key(|run| &mut run.phase_end);
                self.on_phase_ended(now);
                self.decide(now);
            }
            Event::Noticed => {
                self.take_key(|run| &mut run.notice_at);
                self.on_noticed(now);
                self.decide(now);
            }
            Event::Stopped => {
                self.take_key(|run| &mut run.stop_at);
                self.on_stopped(now, true)
            }
            Event::ZoneChanged(z) => self.on_zone_changed(now, z),
            Event::Wake => {
                self.wake = None;
                self.decide(now);
            }
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.done_at.is_some()
    }

    fn limit_error(&self, reached: LimitReached) -> SimError {
        SimError::Limit(reached.describe(&LimitWords {
            events: "the job run",
            launcher: "the job",
            unit: "gangs",
            why: "what stops them so often (max_lifetime, interruptions)",
        }))
    }
}

impl<'s> JobWorld<'s> {
    fn new(s: &'s Scenario, job: &'s JobSpec, market: &MarketData) -> JobWorld<'s> {
        let hazard = HazardShape::of(s);
        let zones = job
            .zones
            .iter()
            .map(|name| Zone {
                market: SpotZone::new(market, name, &job.instance.name),
                members: (0..job.gang)
                    .map(|j| {
                        let stream = rng::indexed_stream(s.seed, &format!("job-interruptions/{name}"), u64::from(j));
                        (SimTime::ZERO, stream)
                    })
                    .collect(),
            })
            .collect();
        let mut w = JobWorld {
            s,
            job,
            events: Sim::new(SimTime(s.horizon.as_nanos()), s.limits.max_instances_launched),
            wake: None,
            policy: policy::for_job(job.policy),
            zones,
            hazard,
            horizon: SimTime(s.horizon.as_nanos()),
            deadline: SimTime(job.deadline.as_nanos()),
            speed: job.instance.speed,
            safe_ns: 0,
            unsaved_ns: 0,
            run: None,
            placement: None,
            zone_picker: zone_picker::for_strategy(job.zone_policy),
            done_at: None,
            lost_ns: 0,
            n_checkpoints: 0,
            write_ns: 0,
            restore_ns: 0,
            n_interruptions: 0,
            spot_ns: 0,
            on_demand_ns: 0,
            cost_spot: 0.0,
            cost_on_demand: 0.0,
            cost_by_zone: Default::default(),
            n_launches: 0,
            instance_ns: 0.0,
            interruption_times: Vec::new(),
            rows: Vec::new(),
            bills: Vec::new(),
        };
        for z in 0..w.zones.len() {
            for j in 0..w.zones[z].members.len() {
                w.advance_member(z, j, SimTime::ZERO);
            }
        }
        w
    }

    /// Total work as compute time at the instance's speed.
    fn work_ns(&self) -> u64 {
        (self.job.work.as_nanos() as f64 / self.speed).round() as u64
    }

    // ---- market ----

    /// Moves member `j` of zone `z` to its first interruption event after `t`.
    fn advance_member(&mut self, z: usize, j: usize, t: SimTime) {
        let Some(shape) = self.hazard else {
            self.zones[z].members[j].0 = SimTime::MAX;
            return;
        };
        let per_hour = self.job.interruptions_per_hour;
        while self.zones[z].members[j].0 <= t {
            let (from, stream) = &mut self.zones[z].members[j];
            *from = shape.next_event(per_hour, *from, self.horizon, stream).unwrap_or(SimTime::MAX);
        }
    }

    /// Whether the whole gang fits in zone `z` at `t` (one gang at a time: none of it runs there).
    fn available(&self, z: usize, t: SimTime) -> bool {
        self.zones[z].market.fits(t, 0, self.job.gang)
    }

    /// The zone a spot gang would launch in now, by the zone policy, if spot is obtainable there.
    fn best_zone(&self, t: SimTime) -> Option<usize> {
        let ok: Vec<Candidate> = (0..self.zones.len())
            .filter(|&z| self.available(z, t))
            .map(|z| self.zones[z].market.candidate(z, t, 0, self.job.spot_price))
            .collect();
        self.zone_picker.pick(&ok, self.zones.len())
    }

    fn schedule_zone_change(&mut self, z: usize, now: SimTime) {
        if let Some(t) = self.zones[z].market.next_change_after(now).filter(|&t| t < self.horizon) {
            self.events.schedule(t, Event::ZoneChanged(z));
        }
    }

    fn on_zone_changed(&mut self, now: SimTime, z: usize) {
        if let Some(run) = self.run
            && run.spot_zone == Some(z)
            && !run.noticed
            && !self.available(z, now)
        {
            self.notice(now);
        }
        self.schedule_zone_change(z, now);
        self.decide(now);
    }

    // ---- decisions ----

    fn view(&self, now: SimTime) -> JobView {
        JobView {
            now,
            deadline: self.deadline,
            work: Duration(self.work_ns()),
            progress: Duration(self.safe_ns + self.unsaved_ns + self.computing_since(now)),
            time_needed: self.time_needed(now),
            overhead: self.job.restart_overhead,
            spot_obtainable: self.best_zone(now).is_some(),
            running: if self.run.is_some_and(|r| !r.noticed) { self.placement } else { None },
            computing: matches!(self.run, Some(Run { phase: Phase::Compute, .. })),
        }
    }

    /// What a fresh launch would still need, restart overhead excluded: restore, the compute not
    /// yet saved (progress kept by `continuous` counts as saved) and the writes left.
    fn time_needed(&self, now: SimTime) -> Duration {
        let kept = match self.job.interval {
            CheckpointInterval::Continuous => self.safe_ns + self.unsaved_ns + self.computing_since(now),
            _ => self.safe_ns,
        };
        let compute = self.work_ns().saturating_sub(kept);
        let (writes, restore) = match self.job.interval {
            CheckpointInterval::Every(tau) => {
                let n = compute.div_ceil(tau.as_nanos().max(1));
                (n.saturating_mul(self.job.write.as_nanos()), self.job.restore.as_nanos())
            }
            _ => (0, 0),
        };
        Duration(compute.saturating_add(writes).saturating_add(restore))
    }

    /// Compute done in the current compute phase so far, ns.
    fn computing_since(&self, now: SimTime) -> u64 {
        match self.run {
            Some(Run { phase: Phase::Compute, phase_start, .. }) => now.since(phase_start).as_nanos(),
            _ => 0,
        }
    }

    /// Asks the policy where the job should run, acts on it, and keeps the policy's next wake-up
    /// as the one pending (cancelling a different one).
    fn decide(&mut self, now: SimTime) {
        if self.done_at.is_some() || now >= self.horizon {
            if let Some((_, key)) = self.wake.take() {
                self.events.cancel(key);
            }
            return;
        }
        let view = self.view(now);
        let want = self.policy.decide(&view);
        let running = view.running;
        match (running, want) {
            (Some(a), b) if a == b => {}
            (Some(_), Placement::Wait) => {}
            (Some(_), b) => {
                // Switch markets: the current gang stops (unsaved progress is lost) and a new one
                // launches.
                self.stop_run(now, false);
                self.launch(now, b);
            }
            (None, Placement::Wait) => {}
            (None, b) if self.run.is_none() => self.launch(now, b),
            (None, _) => {} // a noticed gang is still winding down
        }
        // Ask again when the answer could change with the clock alone (the deadline rule's trip
        // time, a policy's own line); every event that changes the view asks anyway.
        let wake = self.policy.wake_at(&self.view(now)).filter(|&t| t > now && t < self.horizon);
        if self.wake.map(|(t, _)| t) != wake {
            if let Some((_, key)) = self.wake.take() {
                self.events.cancel(key);
            }
            self.wake = wake.map(|t| (t, self.events.schedule_keyed(t, Event::Wake)));
        }
    }
}
