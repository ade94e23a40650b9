//! `uniform_progress` (Wu et al., "Can't Be Late", NSDI'24): the target is work × elapsed /
//! deadline. While behind target: spot if obtainable, else on demand. Once on demand, go back to
//! spot only when it is obtainable and progress is ahead of the target two restart overheads into
//! the future. Otherwise: spot if obtainable, else wait. Greedy's deadline safety rules override
//! all of this.
//!
//! Wake-ups: besides the deadline rule's trip time, the answer changes with the clock only where
//! progress and the target line cross — a waiting job falls behind (then it goes on demand), an
//! on-demand job that computes gets ahead (then it goes back to spot, if obtainable). Both are
//! found to the nanosecond: progress grows at rate 1 while computing and stays otherwise, the
//! target grows at work / deadline until it reaches the work, so their difference is monotone on
//! the stretch searched and a bisection on the very comparison `decide` makes finds its first
//! flip.

use super::{JobView, Placement, Policy};
use crate::engine::{Duration, SimTime};

/// Uniform progress.
pub struct UniformProgress;

fn target_ns(v: &JobView, at: SimTime) -> f64 {
    v.work.0 as f64 * (at.0 as f64 / v.deadline.0.max(1) as f64).min(1.0)
}

/// How far ahead the way back to spot looks: two restart overheads.
fn lead(v: &JobView) -> Duration {
    Duration(2 * v.overhead.0)
}

/// Whether progress at `t` is behind the target at `t`.
fn behind_at(v: &JobView, t: SimTime) -> bool {
    (v.progress_at(t).0 as f64) < target_ns(v, t)
}

/// Whether progress at `t` is ahead of the target two restart overheads after `t`.
fn ahead_at(v: &JobView, t: SimTime) -> bool {
    v.progress_at(t).0 as f64 > target_ns(v, t.after(lead(v)))
}

/// The first time after now at which `flips` holds, `flips(t)` comparing progress at `t` with the
/// target at `t + lead`; `rising`: progress is to overtake the target, else the target progress.
fn first_crossing(v: &JobView, lead: Duration, rising: bool, flips: impl Fn(SimTime) -> bool) -> Option<SimTime> {
    // The target, looked at `lead` ahead, reaches the work (and stays) at `cap`.
    let cap = SimTime(v.deadline.0.saturating_sub(lead.0));
    let next = v.now.after(Duration(1));
    let (lo, hi) = if rising {
        // Progress minus target grows only while computing: everywhere if the target is slower
        // than progress (work < deadline), else once it is capped. Past the cap it is positive
        // from the time progress would pass the work.
        if !v.computing {
            return None;
        }
        let lo = if v.work.0 < v.deadline.0 { next } else { next.max(cap) };
        let passed = v.now.after(Duration(v.work.0.saturating_sub(v.progress.0).saturating_add(1)));
        (lo, lo.max(cap).max(passed))
    } else {
        // The target overtakes progress only while it grows faster: before its cap, and while
        // not computing or if work > deadline.
        if v.computing && v.work.0 <= v.deadline.0 {
            return None;
        }
        (next, cap)
    };
    if hi < lo || !flips(hi) {
        return None;
    }
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = SimTime(lo.0 + (hi.0 - lo.0) / 2);
        if flips(mid) { hi = mid } else { lo = SimTime(mid.0 + 1) }
    }
    Some(lo)
}

impl UniformProgress {
    /// When the answer could change by the target line alone (the deadline rule aside).
    fn line_wake(v: &JobView) -> Option<SimTime> {
        match v.running {
            Some(Placement::OnDemand) if v.spot_obtainable && !ahead_at(v, v.now) => {
                first_crossing(v, lead(v), true, |t| ahead_at(v, t))
            }
            None if !v.spot_obtainable => {
                if behind_at(v, v.now) {
                    // Only while a noticed gang winds down (else the job went on demand).
                    first_crossing(v, Duration::ZERO, true, |t| !behind_at(v, t))
                } else {
                    first_crossing(v, Duration::ZERO, false, |t| behind_at(v, t))
                }
            }
            _ => None,
        }
    }
}

impl Policy for UniformProgress {
    fn decide(&mut self, v: &JobView) -> Placement {
        if v.must_go_on_demand() {
            return Placement::OnDemand;
        }
        if v.running == Some(Placement::OnDemand) {
            let ahead = ahead_at(v, v.now);
            return if v.spot_obtainable && ahead { Placement::Spot } else { Placement::OnDemand };
        }
        if v.running == Some(Placement::Spot) {
            return Placement::Spot;
        }
        let behind = behind_at(v, v.now);
        match (behind, v.spot_obtainable) {
            (_, true) => Placement::Spot,
            (true, false) => Placement::OnDemand,
            (false, false) => Placement::Wait,
        }
    }

    fn wake_at(&self, v: &JobView) -> Option<SimTime> {
        match (v.deadline_rule_wake(), Self::line_wake(v)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600_000_000_000;

    /// 8 h of work due at 16 h (the target grows at half speed), 30 min restart overheads.
    fn view(now: u64, progress: u64, running: Option<Placement>, computing: bool, spot: bool) -> JobView {
        JobView {
            now: SimTime(now),
            deadline: SimTime(16 * H),
            work: Duration(8 * H),
            progress: Duration(progress),
            time_needed: Duration(8 * H - progress),
            overhead: Duration(H / 2),
            spot_obtainable: spot,
            running,
            computing,
        }
    }

    /// `v` at `t`, nothing else happening: progress as extrapolated.
    fn at(v: &JobView, t: u64) -> JobView {
        let p = v.progress_at(SimTime(t));
        JobView { now: SimTime(t), progress: p, time_needed: Duration(v.time_needed.0 - (p.0 - v.progress.0)), ..*v }
    }

    /// Waiting at 2 h with 4 h done and no spot: the target 8·t/16 reaches 4 h at 8 h, so the job
    /// falls behind the first nanosecond after 8 h and goes on demand then — not at 8 h (equal
    /// is not behind). The deadline rule trips later (16 − 4 − 1 h = 11 h).
    #[test]
    fn a_waiting_job_wakes_the_nanosecond_it_falls_behind() {
        let v = view(2 * H, 4 * H, None, false, false);
        let mut p = UniformProgress;
        assert_eq!(p.decide(&v), Placement::Wait);
        assert_eq!(v.deadline_rule_wake(), Some(SimTime(11 * H)));
        assert_eq!(p.wake_at(&v), Some(SimTime(8 * H + 1)));
        assert_eq!(p.decide(&at(&v, 8 * H)), Placement::Wait);
        assert_eq!(p.decide(&at(&v, 8 * H + 1)), Placement::OnDemand);
        // With spot obtainable it rides spot whatever the target: only the deadline rule wakes it.
        let v = view(2 * H, 4 * H, None, false, true);
        assert_eq!((p.decide(&v), p.wake_at(&v)), (Placement::Spot, Some(SimTime(11 * H))));
    }

    /// On demand at 8 h with 4 h done, computing, spot obtainable: it goes back to spot once
    /// progress 4 + (t − 8) passes the target two overheads on, (t + 1)/2 — after t = 9 h. Not
    /// computing, progress stays and the target only gets further: never. On demand, the deadline
    /// rule does not apply.
    #[test]
    fn an_on_demand_job_wakes_the_nanosecond_it_gets_ahead() {
        let v = view(8 * H, 4 * H, Some(Placement::OnDemand), true, true);
        let mut p = UniformProgress;
        assert_eq!(p.decide(&v), Placement::OnDemand);
        assert_eq!(p.wake_at(&v), Some(SimTime(9 * H + 1)));
        assert_eq!(p.decide(&at(&v, 9 * H)), Placement::OnDemand);
        assert_eq!(p.decide(&at(&v, 9 * H + 1)), Placement::Spot);
        assert_eq!(p.wake_at(&view(8 * H, 4 * H, Some(Placement::OnDemand), false, true)), None);
        assert_eq!(p.wake_at(&view(8 * H, 4 * H, Some(Placement::OnDemand), true, false)), None);
    }

    /// Riding spot, only the deadline rule can change the answer (margin one overhead: 16 − 4 −
    /// 0.5 h). With more work than time to the deadline the target outruns progress until it
    /// stops growing, so progress is never ahead while the job still computes: the wake-up comes
    /// only past the end of the work (the phase's end re-plans first).
    #[test]
    fn other_wake_ups() {
        let p = UniformProgress;
        let v = view(2 * H, 4 * H, Some(Placement::Spot), true, true);
        assert_eq!(p.wake_at(&v), Some(SimTime(11 * H + H / 2)));
        let mut v = view(2 * H, 0, Some(Placement::OnDemand), true, true);
        v.work = Duration(32 * H);
        // Progress t − 2 passes the capped target 32 h only after 34 h, when the work is done.
        assert_eq!(p.wake_at(&v), Some(SimTime(34 * H + 1)));
    }
}
