//! A gang's life as the job sees it: launch on the fleet, its phases (overhead, restore,
//! compute, checkpoint writes), the interruption notice with its emergency write, and the stop.

use super::{GANG_POOL, JobWorld, Phase, Run};
use crate::engine::{ActionKey, Duration, SimTime};
use crate::fleet::instances::Launch;
use crate::job::policy::Placement;
use crate::scenario::{CheckpointInterval, Market};

use super::Event;

impl JobWorld<'_> {
    /// Launches a gang where `placement` says (spot in the zone the zone policy picks, if spot
    /// is obtainable); it starts with the restart overhead.
    pub(super) fn launch(&mut self, now: SimTime, placement: Placement) {
        let zone = match placement {
            Placement::Spot => match self.fleet.pick_zone(GANG_POOL, now) {
                Some(z) => Some(z),
                None => return,
            },
            Placement::OnDemand => None,
            Placement::Wait => return,
        };
        let market = if zone.is_some() { Market::Spot } else { Market::OnDemand };
        let l = Launch { pool: GANG_POOL, market, zone, stand_in: false };
        let (gang, _) = self.fleet.launch(&mut self.events, now, l, true);
        self.fleet.set_ready(gang);
        self.placement = Some(placement);
        self.run = Some(Run { gang, phase: Phase::Overhead, phase_start: now, phase_end: None });
        self.start_phase(now, Phase::Overhead, self.job.restart_overhead);
    }

    pub(super) fn start_phase(&mut self, now: SimTime, phase: Phase, length: Duration) {
        if let Some(run) = &mut self.run {
            run.phase = phase;
            run.phase_start = now;
        }
        let key = self.events.schedule_keyed(now.after(length), Event::PhaseEnded);
        self.set_phase_end(key);
    }

    /// Keeps `key` as the running gang's pending phase end.
    fn set_phase_end(&mut self, key: ActionKey) {
        if let Some(run) = &mut self.run {
            run.phase_end = Some(key);
        }
    }

    /// Every launch after the first restores the job's state (the last checkpoint, or the
    /// initial state) before computing; `continuous` and `none` have nothing to restore.
    pub(super) fn after_overhead(&mut self, now: SimTime) {
        let restores = self.fleet.n_launched() > 1 && matches!(self.job.interval, CheckpointInterval::Every(_));
        if restores && self.job.restore > Duration::ZERO {
            self.start_phase(now, Phase::Restore, self.job.restore);
        } else {
            self.start_compute(now);
        }
    }

    pub(super) fn start_compute(&mut self, now: SimTime) {
        let left = self.work_ns().saturating_sub(self.safe_ns + self.unsaved_ns);
        let length = match self.job.interval {
            CheckpointInterval::Every(tau) => left.min(tau.as_nanos().saturating_sub(self.unsaved_ns).max(1)),
            CheckpointInterval::None | CheckpointInterval::Continuous => left,
        };
        self.start_phase(now, Phase::Compute, Duration(length));
    }

    pub(super) fn on_phase_ended(&mut self, now: SimTime) {
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
                } else if self.noticed() {
                    self.run = Some(Run { phase: Phase::Idle, phase_start: now, ..run });
                } else {
                    self.start_compute(now);
                }
            }
            Phase::Idle => {}
        }
    }

    pub(super) fn complete(&mut self, now: SimTime) {
        // The phase that just ended is already accounted for.
        if let Some(run) = &mut self.run {
            run.phase = Phase::Idle;
        }
        self.stop_run(now);
        self.done_at = Some(now);
    }

    /// The gang was told it will be reclaimed: it stops after `notice`, writing an emergency
    /// checkpoint first when asked to and when it fits.
    pub(super) fn notice(&mut self, now: SimTime) {
        let Some(run) = self.run else { return };
        if !self.fleet.noticeable(run.gang) {
            return;
        }
        self.fleet.notice(&mut self.events, now, run.gang);
        let notice = self.job.notice;
        if notice == Duration::ZERO {
            self.on_stopped(now);
            return;
        }
        let can_write = matches!(self.job.interval, CheckpointInterval::Every(_)) && self.job.write <= notice;
        if self.job.emergency && can_write && run.phase == Phase::Compute {
            self.unsaved_ns += now.since(run.phase_start).as_nanos();
            self.start_emergency_write(now);
        }
    }

    /// Starts an emergency write in the noticed gang: the interrupted compute's end is cancelled;
    /// the stop is scheduled again after the write's end, so that a write exactly as long as the
    /// notice completes before the gang stops.
    pub(super) fn start_emergency_write(&mut self, now: SimTime) {
        let Some(run) = &mut self.run else { return };
        if let Some(key) = run.phase_end.take() {
            self.events.cancel(key);
        }
        run.phase = Phase::Write { last: false };
        run.phase_start = now;
        let gang = run.gang;
        let key = self.events.schedule_keyed(now.after(self.job.write), Event::PhaseEnded);
        self.set_phase_end(key);
        self.fleet.defer_stop(&mut self.events, gang);
    }

    pub(super) fn on_stopped(&mut self, now: SimTime) {
        self.stop_run(now);
        self.decide(now);
    }

    /// Ends the current gang: partial compute is kept only by `continuous`; the fleet stops (and
    /// will bill) its instances.
    pub(super) fn stop_run(&mut self, now: SimTime) {
        let Some(run) = self.run.take() else { return };
        if let Some(key) = run.phase_end {
            self.events.cancel(key);
        }
        self.fleet.stop(&mut self.events, now, run.gang);
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
    }
}
