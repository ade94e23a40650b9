//! `least_outstanding`: each request to the ready replica with the fewest requests queued or in
//! service (ties to the lowest id), kept in an ordered set so a choice costs O(log n) however
//! large the fleet.

use std::collections::BTreeSet;

use super::{LOBBY, Router, queue_of};

/// Outstanding requests per replica, and the ready ones as an ordered set of (load, replica).
#[derive(Debug, Default)]
pub struct LeastOutstanding {
    /// Requests queued or in service per replica (ready or not).
    load: Vec<u32>,
    /// `(load, replica)` for every ready replica.
    by_load: BTreeSet<(u32, u32)>,
}

impl Router for LeastOutstanding {
    fn route(&mut self) -> usize {
        let Some((l, r)) = self.by_load.pop_first() else { return LOBBY };
        self.load[r as usize] = l + 1;
        self.by_load.insert((l + 1, r));
        queue_of(r as usize)
    }

    fn ready(&mut self, r: usize) {
        if self.load.len() <= r {
            self.load.resize(r + 1, 0);
        }
        self.by_load.insert((self.load[r], r as u32));
    }

    fn unready(&mut self, r: usize) {
        if let Some(&l) = self.load.get(r) {
            self.by_load.remove(&(l, r as u32));
        }
    }

    fn completed(&mut self, r: usize, n: u32) {
        let Some(&before) = self.load.get(r) else { return };
        self.load[r] = before.saturating_sub(n);
        if self.by_load.remove(&(before, r as u32)) {
            self.by_load.insert((self.load[r], r as u32));
        }
    }
}
