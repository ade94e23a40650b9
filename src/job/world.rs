//! The job world: one gang at a time, its phases, interruptions, decisions and bill.

use super::policy::{self, JobView, Placement, Policy};
use crate::engine::rng::{self, Stream};
use crate::engine::sim::LimitWords;
use crate::engine::{ActionKey, AfterHorizon, Duration, LimitReached, Model, Sim, SimTime, Simulation};
use crate::fleet::audit::{Audit, InstanceBill};
use crate::fleet::billing::{self, Rate};
use crate::fleet::hazard::HazardShape;
use crate::fleet::market::MarketData;
use crate::fleet::zone::SpotZone;
use crate::fleet::zone_picker::{self, Candidate, ZonePicker};
use crate::metrics::summary::*;
use crate::metrics::timeseries::{Row, TimeSeries};
use crate::metrics::{LatencyStats, Summary};
use crate::run::{Outcome, SimError};
use crate::scenario::{CheckpointInterval, JobSpec, Market, Scenario};

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
    let Some(job) = &s.job else {
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

    /// The spot price where no trace prices a zone.
    fn untraced_price(&self) -> f64 {
        crate::scenario::untraced_spot_price(self.job.spot_price)
    }

    /// The zone a spot gang would launch in now, by the zone policy, if spot is obtainable there.
    fn best_zone(&self, t: SimTime) -> Option<usize> {
        let ok: Vec<Candidate> = (0..self.zones.len())
            .filter(|&z| self.available(z, t))
            .map(|z| self.zones[z].market.candidate(z, t, 0, self.untraced_price()))
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

    // ---- runs and phases ----

    fn launch(&mut self, now: SimTime, placement: Placement) {
        let spot_zone = match placement {
            Placement::Spot => match self.best_zone(now) {
                Some(z) => Some(z),
                None => return,
            },
            Placement::OnDemand => None,
            Placement::Wait => return,
        };
        self.n_launches += 1;
        self.events.note_launches(1);
        self.placement = Some(placement);
        self.run = Some(Run {
            spot_zone,
            launched: now,
            phase: Phase::Overhead,
            phase_start: now,
            noticed: false,
            phase_end: None,
            notice_at: None,
            stop_at: None,
        });
        if let Some(z) = spot_zone {
            self.zone_picker.chose(z, self.zones.len());
            let mut first = SimTime::MAX;
            for j in 0..self.zones[z].members.len() {
                self.advance_member(z, j, now);
                first = first.min(self.zones[z].members[j].0);
            }
            if first < self.horizon {
                let key = self.events.schedule_keyed(first, Event::Noticed);
                self.set_key(|run| &mut run.notice_at, key);
            }
        }
        self.start_phase(now, Phase::Overhead, self.job.restart_overhead);
    }

    fn start_phase(&mut self, now: SimTime, phase: Phase, length: Duration) {
        if let Some(run) = &mut self.run {
            run.phase = phase;
            run.phase_start = now;
        }
        let key = self.events.schedule_keyed(now.after(length), Event::PhaseEnded);
        self.set_key(|run| &mut run.phase_end, key);
    }

    /// Keeps `key` as the running gang's pending event chosen by `slot`.
    fn set_key(&mut self, slot: impl Fn(&mut Run) -> &mut Option<ActionKey>, key: ActionKey) {
        if let Some(run) = &mut self.run {
            *slot(run) = Some(key);
        }
    }

    /// Forgets the running gang's event chosen by `slot`: it has just happened.
    fn take_key(&mut self, slot: impl Fn(&mut Run) -> &mut Option<ActionKey>) {
        if let Some(run) = &mut self.run {
            *slot(run) = None;
        }
    }

    /// Cancels the running gang's pending event chosen by `slot`.
    fn cancel_key(&mut self, slot: impl Fn(&mut Run) -> &mut Option<ActionKey>) {
        if let Some(key) = self.run.as_mut().and_then(|run| slot(run).take()) {
            self.events.cancel(key);
        }
    }

    /// Every launch after the first restores the job's state (the last checkpoint, or the
    /// initial state) before computing; `continuous` and `none` have nothing to restore.
    fn after_overhead(&mut self, now: SimTime) {
        let restores = self.n_launches > 1 && matches!(self.job.interval, CheckpointInterval::Every(_));
        if restores && self.job.restore > Duration::ZERO {
            self.start_phase(now, Phase::Restore, self.job.restore);
        } else {
            self.start_compute(now);
        }
    }

    fn start_compute(&mut self, now: SimTime) {
        let left = self.work_ns().saturating_sub(self.safe_ns + self.unsaved_ns);
        let length = match self.job.interval {
            CheckpointInterval::Every(tau) => left.min(tau.as_nanos().saturating_sub(self.unsaved_ns).max(1)),
            CheckpointInterval::None | CheckpointInterval::Continuous => left,
        };
        self.start_phase(now, Phase::Compute, Duration(length));
    }

    fn on_phase_ended(&mut self, now: SimTime) {
        let Some(run) = self.run else { return };
        let took = now.since(run.phase_start).as_nanos();
        match run.phase {
            Phase::Overhead => self.after_overhead(now),
            Phase::Restore => {
                self.restore_ns += took;
                self.start_compute(now);
            }
            Phase::Compute => {
                self.unsaved_ns += took;
                if matches!(self.job.interval, CheckpointInterval::Continuous) {
                    self.safe_ns += std::mem::take(&mut self.unsaved_ns);
                }
                let finished = self.safe_ns + self.unsaved_ns >= self.work_ns();
                match (self.job.interval, finished) {
                    (CheckpointInterval::Every(_), last) => {
                        self.start_phase(now, Phase::Write { last }, self.job.write)
                    }
                    (_, true) => {
                        // The finished job's output is its result: the last stretch is saved,
                        // not lost (without periodic checkpoints it is all of the work).
                        self.safe_ns += std::mem::take(&mut self.unsaved_ns);
                        self.complete(now)
                    }
                    (_, false) => self.start_compute(now),
                }
            }
            Phase::Write { last } => {
                self.write_ns += took;
                self.n_checkpoints += 1;
                self.safe_ns += std::mem::take(&mut self.unsaved_ns);
                // An emergency write may have saved the last of the work.
                if last || self.safe_ns >= self.work_ns() {
                    self.complete(now);
                } else if run.noticed {
                    self.run = Some(Run { phase: Phase::Idle, phase_start: now, ..run });
                } else {
                    self.start_compute(now);
                }
            }
            Phase::Idle => {}
        }
    }

    fn complete(&mut self, now: SimTime) {
        // The phase that just ended is already accounted for.
        if let Some(run) = &mut self.run {
            run.phase = Phase::Idle;
        }
        self.stop_run(now, false);
        self.done_at = Some(now);
    }

    /// The gang was told it will be reclaimed: it stops after `notice`, writing an emergency
    /// checkpoint first when asked to and when it fits.
    fn notice(&mut self, now: SimTime) {
        let Some(mut run) = self.run else { return };
        if run.noticed {
            return;
        }
        self.n_interruptions += 1;
        self.interruption_times.push(now);
        run.noticed = true;
        self.run = Some(run);
        let notice = self.job.notice;
        if notice == Duration::ZERO {
            self.on_stopped(now, true);
            return;
        }
        let key = self.events.schedule_keyed(now.after(notice), Event::Stopped);
        self.set_key(|run| &mut run.stop_at, key);
        let can_write = matches!(self.job.interval, CheckpointInterval::Every(_)) && self.job.write <= notice;
        if self.job.emergency && can_write && run.phase == Phase::Compute {
            self.unsaved_ns += now.since(run.phase_start).as_nanos();
            self.start_emergency_write(now);
        }
    }

    /// Starts an emergency write in the noticed gang: the interrupted compute's end is cancelled;
    /// the stop is scheduled again after the write's end, so that a write exactly as long as the
    /// notice completes before the gang stops.
    fn start_emergency_write(&mut self, now: SimTime) {
        self.cancel_key(|run| &mut run.phase_end);
        self.cancel_key(|run| &mut run.stop_at);
        if let Some(run) = &mut self.run {
            run.phase = Phase::Write { last: false };
            run.phase_start = now;
        }
        let key = self.events.schedule_keyed(now.after(self.job.write), Event::PhaseEnded);
        self.set_key(|run| &mut run.phase_end, key);
        let key = self.events.schedule_keyed(now.after(self.job.notice), Event::Stopped);
        self.set_key(|run| &mut run.stop_at, key);
    }

    fn on_noticed(&mut self, now: SimTime) {
        self.notice(now);
    }

    fn on_stopped(&mut self, now: SimTime, interrupted: bool) {
        self.stop_run(now, interrupted);
        self.decide(now);
    }

    /// Ends the current gang: partial compute is kept only by `continuous`; the bill is added.
    fn stop_run(&mut self, now: SimTime, _interrupted: bool) {
        for key in self.run.iter().flat_map(|run| [run.phase_end, run.notice_at, run.stop_at]).flatten() {
            self.events.cancel(key);
        }
        let Some(run) = self.run.take() else { return };
        let partial = match run.phase {
            Phase::Compute => now.since(run.phase_start).as_nanos(),
            Phase::Write { .. } => {
                self.write_ns += now.since(run.phase_start).as_nanos();
                0
            }
            Phase::Restore => {
                self.restore_ns += now.since(run.phase_start).as_nanos();
                0
            }
            Phase::Overhead | Phase::Idle => 0,
        };
        if matches!(self.job.interval, CheckpointInterval::Continuous) {
            self.safe_ns += partial + std::mem::take(&mut self.unsaved_ns);
        } else {
            self.lost_ns += partial + std::mem::take(&mut self.unsaved_ns);
        }
        self.bill(run, now);
    }

    /// Bills the gang that ran from its launch to `stop`: each member as one instance.
    fn bill(&mut self, run: Run, stop: SimTime) {
        let ran = stop.since(run.launched);
        let gang = f64::from(self.job.gang);
        self.instance_ns += ran.as_nanos() as f64 * gang;
        let rate = match run.spot_zone {
            Some(z) => Rate::Spot { zone: &self.zones[z].market, untraced: self.untraced_price() },
            None => Rate::PerHour(self.job.on_demand_price),
        };
        let (billed, each) = billing::charge(run.launched, stop, &self.s.billing, rate);
        let usd = gang * each;
        match run.spot_zone {
            Some(z) => {
                self.cost_spot += usd;
                *self.cost_by_zone.entry(self.zones[z].market.name.clone()).or_default() += usd;
                self.spot_ns += ran.as_nanos();
            }
            None => {
                self.cost_on_demand += usd;
                self.on_demand_ns += ran.as_nanos();
            }
        }
        self.bills.push(InstanceBill {
            pool: 0,
            count: self.job.gang,
            market: if run.spot_zone.is_some() { Market::Spot } else { Market::OnDemand },
            stand_in: false,
            zone: run.spot_zone.map(|z| self.zones[z].market.name.clone()),
            launched: run.launched,
            stopped: stop,
            billed,
            cost_usd: usd,
        });
    }

    fn finish(mut self) -> Outcome {
        let end = self.done_at.unwrap_or(self.horizon);
        if self.run.is_some() {
            // Cut off by the horizon: work not yet saved is unfinished, not lost.
            let lost_before = self.lost_ns;
            self.stop_run(end, false);
            self.lost_ns = lost_before;
        }
        let total = self.cost_spot + self.cost_on_demand;
        let completed = self.done_at.is_some();
        let job = JobSummary {
            completed,
            makespan_s: end.as_secs_f64(),
            lost_work_s: self.lost_ns as f64 / 1e9,
            checkpoints: self.n_checkpoints,
            checkpoint_overhead_s: self.write_ns as f64 / 1e9,
            restore_overhead_s: self.restore_ns as f64 / 1e9,
            interruptions: self.n_interruptions,
            deadline_met: completed && end <= self.deadline,
            spot_s: self.spot_ns as f64 / 1e9,
            on_demand_s: self.on_demand_ns as f64 / 1e9,
            launches: self.n_launches,
            progress: (self.safe_ns as f64 / self.work_ns().max(1) as f64).min(1.0),
            checkpoint_interval_s: match self.job.interval {
                CheckpointInterval::Every(tau) => Some(tau.as_secs_f64()),
                CheckpointInterval::None | CheckpointInterval::Continuous => None,
            },
        };
        self.rows.push(Row {
            time_s: end.as_secs_f64(),
            arrivals: 0,
            completions: u64::from(completed),
            queue_len: 0,
            busy_replicas: 0,
            ready_replicas: 0,
            target_replicas: 0,
            replicas_by_pool: Vec::new(),
            replicas_by_market: [0, 0, 0],
            interruptions: self.n_interruptions,
            cost_usd: total,
        });
        let summary = Summary {
            scenario: self.s.name.clone(),
            requests: Requests::default(),
            latency_s: Default::default(),
            sla: SlaSummary::default(),
            cost_usd: Cost {
                total,
                on_demand: self.cost_on_demand,
                spot: self.cost_spot,
                reserved: 0.0,
                per_million_requests: 0.0,
                by_zone: self.cost_by_zone.clone(),
            },
            throughput: Throughput::default(),
            fleet: FleetSummary {
                instance_hours: self.instance_ns / 3.6e12,
                interruptions: self.n_interruptions,
                mean_replicas: if end.0 > 0 { self.instance_ns / end.0 as f64 } else { 0.0 },
                max_replicas: self.job.gang,
                utilization: 0.0,
                instances_launched: self.n_launches * u64::from(self.job.gang),
                spot_capacity_hours_lost: 0.0,
                time_below_capacity_s: 0.0,
                scale_ups: 0,
                scale_downs: 0,
            },
            pools: Vec::new(),
            job: Some(job),
            engine: Engine { events: self.events.n_events(), wall_s: 0.0, seed: self.s.seed, end_s: end.as_secs_f64() },
            assumptions: self.s.assumptions.clone(),
        };
        let mut warnings = Vec::new();
        if !completed {
            warnings.push(format!(
                "the job did not finish within the horizon ({:.1}% of its work saved)",
                job.progress * 100.0
            ));
        }
        Outcome {
            summary,
            timeseries: TimeSeries { pool_names: Vec::new(), rows: self.rows },
            latency: LatencyStats::new(None),
            warnings,
            interruption_times: self.interruption_times,
            audit: Audit { instances: self.bills, job_saved_work_s: self.safe_ns as f64 * self.speed / 1e9 },
        }
    }
}
