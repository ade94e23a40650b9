//! `on_demand`: always on an on-demand gang.

use super::{JobView, Placement, Policy};
use crate::engine::SimTime;

/// Always on demand.
pub struct OnDemand;

impl Policy for OnDemand {
    fn decide(&mut self, _: &JobView) -> Placement {
        Placement::OnDemand
    }

    fn wake_at(&self, _: &JobView) -> Option<SimTime> {
        None
    }
}
