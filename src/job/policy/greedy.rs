//! `greedy`: spot while obtainable, wait when not; on demand once the time left before the
//! deadline is no more than the work left plus two restart overheads, and from then on stay on
//! demand. While riding spot, keep going until preempted even when the margin shrinks to one
//! overhead.

use super::{JobView, Placement, Policy};
use crate::engine::SimTime;

/// Greedy spot with a deadline switch.
#[derive(Default)]
pub struct Greedy {
    switched: bool,
}

impl Policy for Greedy {
    fn decide(&mut self, v: &JobView) -> Placement {
        if self.switched || v.must_go_on_demand() {
            self.switched = true;
            return Placement::OnDemand;
        }
        if v.running == Some(Placement::Spot) || v.spot_obtainable { Placement::Spot } else { Placement::Wait }
    }

    /// Only the deadline rule depends on the clock; once switched, greedy stays on demand.
    fn wake_at(&self, v: &JobView) -> Option<SimTime> {
        if self.switched { None } else { v.deadline_rule_wake() }
    }
}
