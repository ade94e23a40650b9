//! `greedy`: spot while obtainable, wait when not; on demand once the time left before the
//! deadline is no more than the work left plus two restart overheads, and from then on stay on
//! demand. While riding spot, keep going until preempted even when the margin shrinks to one
//! overhead.

use super::{JobView, Placement, Policy};

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
}
