//! `uniform_progress` (Wu et al., "Can't Be Late", NSDI'24): the target is work × elapsed /
//! deadline. While behind target: spot if obtainable, else on demand. Once on demand, go back to
//! spot only when it is obtainable and progress is ahead of the target two restart overheads into
//! the future. Otherwise: spot if obtainable, else wait. Greedy's deadline safety rules override
//! all of this.

use super::{JobView, Placement, Policy};
use crate::engine::SimTime;

/// Uniform progress.
pub struct UniformProgress;

fn target_ns(v: &JobView, at: SimTime) -> f64 {
    v.work.0 as f64 * (at.0 as f64 / v.deadline.0.max(1) as f64).min(1.0)
}

impl Policy for UniformProgress {
    fn decide(&mut self, v: &JobView) -> Placement {
        if v.must_go_on_demand() {
            return Placement::OnDemand;
        }
        let progress = v.progress.0 as f64;
        if v.running == Some(Placement::OnDemand) {
            let ahead = progress > target_ns(v, v.now.after(crate::engine::Duration(2 * v.overhead.0)));
            return if v.spot_obtainable && ahead { Placement::Spot } else { Placement::OnDemand };
        }
        if v.running == Some(Placement::Spot) {
            return Placement::Spot;
        }
        let behind = progress < target_ns(v, v.now);
        match (behind, v.spot_obtainable) {
            (_, true) => Placement::Spot,
            (true, false) => Placement::OnDemand,
            (false, false) => Placement::Wait,
        }
    }
}
