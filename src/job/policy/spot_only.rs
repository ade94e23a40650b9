//! `spot_only`: spot when obtainable, wait otherwise — whatever the deadline.

use super::{JobView, Placement, Policy};

/// Spot or nothing.
pub struct SpotOnly;

impl Policy for SpotOnly {
    fn decide(&mut self, v: &JobView) -> Placement {
        if v.running == Some(Placement::Spot) || v.spot_obtainable { Placement::Spot } else { Placement::Wait }
    }
}
