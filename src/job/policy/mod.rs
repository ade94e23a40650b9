//! Job placement policies: each looks at a read-only [`JobView`] and says where the job should
//! run now. One file per policy; [`for_job`] maps the scenario's word to one.
//!
//! When a policy is asked: the job world is event-driven and never polls. It asks
//! [`Policy::decide`] at the start, at every market change (a zone's availability or price), at an
//! interruption notice, when a gang stops, when a phase ends (overhead, restore, compute, write)
//! and at the one wake-up the policy itself asked for with [`Policy::wake_at`]. Between those
//! events what a policy sees changes only with the clock: progress grows at rate 1 while the job
//! computes ([`JobView::computing`]) and stays otherwise, and the time to the deadline shrinks. So
//! `wake_at`, asked right after each decision, must return the earliest time after
//! [`JobView::now`] at which `decide` could answer differently if no event came first (`None`:
//! never). The world keeps a single pending wake-up: a new decision cancels the old one and
//! schedules the new one (before the horizon only).

mod greedy;
mod on_demand;
mod spot_only;
mod uniform_progress;

use crate::engine::{Duration, SimTime};
use crate::scenario::JobPolicy;

/// Where a policy wants the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// On a spot gang.
    Spot,
    /// On an on-demand gang.
    OnDemand,
    /// Nowhere: wait for spot.
    Wait,
}

/// What a policy sees.
#[derive(Clone, Copy, Debug)]
pub struct JobView {
    /// Now.
    pub now: SimTime,
    /// The deadline.
    pub deadline: SimTime,
    /// Total work, as compute time at the instance's speed.
    pub work: Duration,
    /// Work done so far (saved, plus unsaved progress of the current run), same unit.
    pub progress: Duration,
    /// Time a fresh launch would still need to finish, restart overhead excluded: restore, the
    /// compute not yet saved (a switch loses unsaved work) and the checkpoint writes left.
    pub time_needed: Duration,
    /// Restart overhead of a launch.
    pub overhead: Duration,
    /// Whether a spot gang can launch now in some zone.
    pub spot_obtainable: bool,
    /// Where the job runs now, if it runs.
    pub running: Option<Placement>,
    /// Whether the job computes now: `progress` grows at rate 1 until the next event while it
    /// does, and stays while it does not (overhead, restore, write, waiting).
    pub computing: bool,
}

impl JobView {
    /// Time a relaunch would need to finish (see [`JobView::time_needed`]).
    pub fn work_left(&self) -> Duration {
        self.time_needed
    }

    /// Time to the deadline minus the time still needed (negative slack is zero).
    pub fn slack(&self) -> Duration {
        Duration(self.deadline.0.saturating_sub(self.now.0).saturating_sub(self.work_left().0))
    }

    /// The deadline safety rule shared by greedy and uniform progress: on demand once the slack
    /// is down to two restart overheads — or to one while already riding spot.
    pub fn must_go_on_demand(&self) -> bool {
        let margin = if self.running == Some(Placement::Spot) { self.overhead.0 } else { 2 * self.overhead.0 };
        self.running != Some(Placement::OnDemand) && self.slack().0 <= margin
    }

    /// The time at which [`JobView::must_go_on_demand`] turns true if nothing changes, when the
    /// job is not computing.
    pub fn safety_time(&self) -> SimTime {
        let margin = if self.running == Some(Placement::Spot) { self.overhead.0 } else { 2 * self.overhead.0 };
        SimTime(self.deadline.0.saturating_sub(self.work_left().0).saturating_sub(margin))
    }

    /// When the deadline rule next needs asking, for a policy bound by it: its trip time
    /// ([`JobView::safety_time`]) if that is still ahead and the job is not on demand already.
    /// While computing with `continuous` progress the work left shrinks as fast as time passes,
    /// so the trip time moves later; asking at it then finds the rule not tripped and asks again.
    pub fn deadline_rule_wake(&self) -> Option<SimTime> {
        let t = self.safety_time();
        (self.running != Some(Placement::OnDemand) && t > self.now).then_some(t)
    }

    /// Progress at `t` (not before now) if the job keeps computing or not computing until then.
    pub fn progress_at(&self, t: SimTime) -> Duration {
        if self.computing { Duration(self.progress.0.saturating_add(t.since(self.now).0)) } else { self.progress }
    }
}

/// A placement policy.
pub trait Policy {
    /// Where the job should run now.
    fn decide(&mut self, view: &JobView) -> Placement;

    /// Asked right after [`Policy::decide`] (with the view after the world acted on it): the
    /// earliest time after `view.now` at which `decide` could answer differently if nothing else
    /// happens — no market change, notice, stop or phase end — or `None` if never. The world
    /// asks again at that time. Earlier is allowed (the policy is simply asked again), later
    /// delays a decision.
    fn wake_at(&self, view: &JobView) -> Option<SimTime>;
}

/// The policy for the scenario's word.
pub fn for_job(policy: JobPolicy) -> Box<dyn Policy> {
    match policy {
        JobPolicy::OnDemand => Box::new(on_demand::OnDemand),
        JobPolicy::SpotOnly => Box::new(spot_only::SpotOnly),
        JobPolicy::Greedy => Box::new(greedy::Greedy::default()),
        JobPolicy::UniformProgress => Box::new(uniform_progress::UniformProgress),
    }
}
