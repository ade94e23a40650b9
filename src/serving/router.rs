//! Routers: which queue an arriving request joins.
//!
//! `shared_queue` has one queue for all replicas. `round_robin` and `least_outstanding` give each
//! replica its own queue; the first deals requests in turn, the second sends each to the replica
//! with the fewest requests queued or in service (ties to the lowest index), kept in an ordered
//! set so a choice costs O(log n) however large the fleet.

use std::collections::BTreeSet;

use crate::scenario::Router;

/// A router's state.
pub enum RouterState {
    /// One queue.
    Shared,
    /// The next replica in turn.
    RoundRobin {
        /// Replica that gets the next request.
        next: usize,
        /// Replicas.
        n: usize,
    },
    /// Outstanding requests per replica, and the same as an ordered set of (load, replica).
    LeastOutstanding {
        /// Requests queued or in service per replica.
        load: Vec<u32>,
        /// `(load, replica)` for every replica.
        by_load: BTreeSet<(u32, u32)>,
    },
}

impl RouterState {
    /// The state for `router` over `n_replicas` replicas.
    pub fn new(router: Router, n_replicas: usize) -> RouterState {
        match router {
            Router::SharedQueue => RouterState::Shared,
            Router::RoundRobin => RouterState::RoundRobin { next: 0, n: n_replicas },
            Router::LeastOutstanding => RouterState::LeastOutstanding {
                load: vec![0; n_replicas],
                by_load: (0..n_replicas as u32).map(|r| (0, r)).collect(),
            },
        }
    }

    /// Number of queues: 1 for the shared queue, else one per replica.
    pub fn n_queues(&self, n_replicas: usize) -> usize {
        match self {
            RouterState::Shared => 1,
            _ => n_replicas,
        }
    }

    /// The queue the next request joins.
    #[inline]
    pub fn route(&mut self) -> usize {
        match self {
            RouterState::Shared => 0,
            RouterState::RoundRobin { next, n } => {
                let q = *next;
                *next = (q + 1) % *n;
                q
            }
            RouterState::LeastOutstanding { load, by_load } => {
                let Some((l, r)) = by_load.pop_first() else { return 0 };
                load[r as usize] = l + 1;
                by_load.insert((l + 1, r));
                r as usize
            }
        }
    }

    /// Replica `r` finished `n` requests.
    #[inline]
    pub fn completed(&mut self, r: usize, n: u32) {
        if let RouterState::LeastOutstanding { load, by_load } = self {
            let before = load[r];
            by_load.remove(&(before, r as u32));
            load[r] = before.saturating_sub(n);
            by_load.insert((load[r], r as u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_outstanding_picks_the_lightest_lowest_replica() {
        let mut r = RouterState::new(Router::LeastOutstanding, 3);
        assert_eq!([r.route(), r.route(), r.route(), r.route()], [0, 1, 2, 0]);
        // Loads now 2, 1, 1; replica 1 finishes its request → 2, 0, 1.
        r.completed(1, 1);
        assert_eq!(r.route(), 1);
        // 2, 1, 1: a tie between 1 and 2 goes to the lower index.
        assert_eq!(r.route(), 1);
        assert_eq!(r.route(), 2);
    }

    #[test]
    fn round_robin_cycles() {
        let mut r = RouterState::new(Router::RoundRobin, 2);
        assert_eq!([r.route(), r.route(), r.route()], [0, 1, 0]);
    }
}
