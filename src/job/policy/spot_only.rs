//! `spot_only`: spot when obtainable, wait otherwise — whatever the deadline.

use super::{JobView, Placement, Policy};
use crate::engine::SimTime;

/// Spot or nothing.
pub struct SpotOnly;

impl Policy for SpotOnly {
    fn decide(&mut self, v: &JobView) -> Placement {
        if v.running == Some(Placement::Spot) || v.spot_obtainable { Placement::Spot } else { Placement::Wait }
    }

    /// Spot obtainability and the running gang change only with events.
    fn wake_at(&self, _: &JobView) -> Option<SimTime> {
        None
    }
}
