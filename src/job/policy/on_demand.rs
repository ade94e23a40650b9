//! `on_demand`: always on an on-demand gang.

use super::{JobView, Placement, Policy};

/// Always on demand.
pub struct OnDemand;

impl Policy for OnDemand {
    fn decide(&mut self, _: &JobView) -> Placement {
        Placement::OnDemand
    }
}
