//! The job world: one gang at a time, its phases, interruptions, decisions and bill.
//!
//! The gang is a launch of `gang` instances on a [`Fleet`] of one pool
//! ([`PoolTerms::of_job`]): the fleet picks its zone, draws its interruptions, notices and stops
//! it and bills it; the job keeps its phases, progress and checkpoints. `mod.rs` holds the state,
//! the event handling, the market and the policy's decisions; `phases.rs` a gang's phases (launch,
//! overhead, restore, compute, writes, notice, stop); `report.rs` its bill and the summary.

mod phases;
mod report;

use super::policy::{self, JobView, Placement, Policy};
use crate::engine::sim::LimitWords;
use crate::engine::{ActionKey, AfterHorizon, Duration, LimitReached, Model, Sim, SimTime, Simulation};
use crate::fleet::instances::{PoolTerms, Settings};
use crate::fleet::market::MarketData;
use crate::fleet::{Fleet, FleetEvent, InstanceId, InstanceState, ZoneId};
use crate::metrics::timeseries::Row;
use crate::run::{Outcome, SimError};
use crate::scenario::{CheckpointInterval, JobSpec, Scenario};

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The current phase of the running gang ended.
    PhaseEnded,
    /// What the fleet scheduled: the gang noticed or stopped, a zone's market changed.
    Fleet(FleetEvent),
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

/// The running gang: its instances on the fleet and where the job is in its phases.
#[derive(Clone, Copy, Debug)]
struct Run {
    gang: InstanceId,
    phase: Phase,
    phase_start: SimTime,
    /// The pending end of the phase: cancelled when the gang stops.
    phase_end: Option<ActionKey>,
}

impl From<FleetEvent> for Event {
    fn from(e: FleetEvent) -> Event {
        Event::Fleet(e)
    }
}

/// The fleet's one pool: the job's gangs.
const GANG_POOL: usize = 0;

struct JobWorld<'s> {
    s: &'s Scenario,
    job: &'s JobSpec,
    events: Sim<Event>,
    /// The policy's pending wake-up: its time and key (one at most).
    wake: Option<(SimTime, ActionKey)>,
    policy: Box<dyn Policy>,
    /// The gangs, launched one at a time.
    fleet: Fleet,
    horizon: SimTime,
    deadline: SimTime,
    speed: f64,
    /// Saved progress and unsaved progress, as compute time at the instance's speed (ns).
    safe_ns: u64,
    unsaved_ns: u64,
    run: Option<Run>,
    placement: Option<Placement>,
    done_at: Option<SimTime>,
    // Metrics.
    lost_ns: u64,
    n_checkpoints: u64,
    write_ns: u64,
    restore_ns: u64,
    rows: Vec<Row>,
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
        self.fleet.schedule_zone_changes(&mut self.events);
        self.decide(SimTime::ZERO);
        Ok(())
    }

    fn handle(&mut self, now: SimTime, event: Event) -> Result<(), SimError> {
        match event {
            Event::PhaseEnded => {
                if let Some(run) = &mut self.run {
                    run.phase_end = None;
                }
                self.on_phase_ended(now);
                self.decide(now);
            }
            Event::Fleet(FleetEvent::InterruptionNoticed(_)) => {
                self.notice(now);
                self.decide(now);
            }
            Event::Fleet(FleetEvent::InstanceStopped(_)) => self.on_stopped(now),
            Event::Fleet(FleetEvent::ZoneChanged(z)) => self.on_zone_changed(now, z),
            // A gang is ready at launch: its fleet schedules no boot.
            Event::Fleet(FleetEvent::InstanceReady(_)) => {}
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
        JobWorld {
            s,
            job,
            events: Sim::new(SimTime(s.horizon.as_nanos()), s.limits.max_instances_launched),
            wake: None,
            policy: policy::for_job(job.policy),
            fleet: Fleet::new(vec![PoolTerms::of_job(job)], market, Settings::of(s)),
            horizon: SimTime(s.horizon.as_nanos()),
            deadline: SimTime(job.deadline.as_nanos()),
            speed: job.instance.speed,
            safe_ns: 0,
            unsaved_ns: 0,
            run: None,
            placement: None,
            done_at: None,
            lost_ns: 0,
            n_checkpoints: 0,
            write_ns: 0,
            restore_ns: 0,
            rows: Vec::new(),
        }
    }

    /// Total work as compute time at the instance's speed.
    fn work_ns(&self) -> u64 {
        (self.job.work.as_nanos() as f64 / self.speed).round() as u64
    }

    // ---- market ----

    /// Whether the running gang has been noticed (it is winding down).
    fn noticed(&self) -> bool {
        self.run.is_some_and(|run| self.fleet.state(run.gang) == InstanceState::Noticed)
    }

    fn on_zone_changed(&mut self, now: SimTime, z: ZoneId) {
        if !self.fleet.reclaims(now, z).is_empty() {
            self.notice(now);
        }
        self.fleet.schedule_zone_change(&mut self.events, now, z);
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
            spot_obtainable: self.fleet.pick_zone(GANG_POOL, now).is_some(),
            running: if self.run.is_some() && !self.noticed() { self.placement } else { None },
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
                self.stop_run(now);
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
