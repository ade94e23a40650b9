//! Routers: which queue an arriving request joins.
//!
//! `shared_queue` has one queue for all replicas. `round_robin` and `least_outstanding` give each
//! replica its own queue and route only to replicas that are *ready* (booted, and not noticed,
//! released or stopped). `round_robin` deals requests to the ready replicas in turn, in order of
//! replica id (after replica r comes the lowest ready id above r, else the lowest ready id);
//! `least_outstanding` sends each to the ready replica with the fewest requests queued or in
//! service (ties to the lowest id), kept in an ordered set so a choice costs O(log n) however
//! large the fleet. With no replica ready, a request waits in the *lobby*, a queue of its own, and
//! is routed once one is ready; a replica that leaves has its queue routed again (the world does
//! both, see `world/mod.rs`).
//!
//! Queue indices: with the shared queue there is one queue, 0. With a per-replica router queue 0
//! is the lobby and replica r's queue is r + 1 ([`queue_of`]).

use std::collections::BTreeSet;

use crate::scenario::Router;

/// The queue requests wait in when a per-replica router has no ready replica (and the shared
/// queue itself).
pub const LOBBY: usize = 0;

/// The queue of replica `r` under a per-replica router.
#[inline]
pub fn queue_of(r: usize) -> usize {
    r + 1
}

/// A router's state.
pub enum RouterState {
    /// One queue.
    Shared,
    /// The ready replicas, dealt to in turn.
    RoundRobin {
        /// Ready replicas.
        ready: BTreeSet<u32>,
        /// The next request goes to the lowest ready replica at or above this one (else the
        /// lowest ready one).
        next: u32,
    },
    /// Outstanding requests per replica, and the ready ones as an ordered set of (load, replica).
    LeastOutstanding {
        /// Requests queued or in service per replica (ready or not).
        load: Vec<u32>,
        /// `(load, replica)` for every ready replica.
        by_load: BTreeSet<(u32, u32)>,
    },
}

impl RouterState {
    /// The state for `router`, with no replica ready yet.
    pub fn new(router: Router) -> RouterState {
        match router {
            Router::SharedQueue => RouterState::Shared,
            Router::RoundRobin => RouterState::RoundRobin { ready: BTreeSet::new(), next: 0 },
            Router::LeastOutstanding => RouterState::LeastOutstanding { load: Vec::new(), by_load: BTreeSet::new() },
        }
    }

    /// Whether all replicas share one queue.
    #[inline]
    pub fn is_shared(&self) -> bool {
        matches!(self, RouterState::Shared)
    }

    /// The queue the next request joins: 0 for the shared queue; else the chosen ready replica's
    /// queue, or the [`LOBBY`] when no replica is ready.
    #[inline]
    pub fn route(&mut self) -> usize {
        if self.is_shared() {
            return 0; // the hot path: kept small enough to inline
        }
        self.route_per_replica()
    }

    /// [`RouterState::route`] for a per-replica router.
    #[inline(never)]
    fn route_per_replica(&mut self) -> usize {
        match self {
            RouterState::Shared => 0,
            RouterState::RoundRobin { ready, next } => {
                let Some(&r) = ready.range(*next..).next().or_else(|| ready.first()) else { return LOBBY };
                *next = r + 1;
                queue_of(r as usize)
            }
            RouterState::LeastOutstanding { load, by_load } => {
                let Some((l, r)) = by_load.pop_first() else { return LOBBY };
                load[r as usize] = l + 1;
                by_load.insert((l + 1, r));
                queue_of(r as usize)
            }
        }
    }

    /// Replica `r` is ready: requests may be routed to it.
    pub fn ready(&mut self, r: usize) {
        match self {
            RouterState::Shared => {}
            RouterState::RoundRobin { ready, .. } => {
                ready.insert(r as u32);
            }
            RouterState::LeastOutstanding { load, by_load } => {
                if load.len() <= r {
                    load.resize(r + 1, 0);
                }
                by_load.insert((load[r], r as u32));
            }
        }
    }

    /// Replica `r` is no longer ready: no request is routed to it any more.
    pub fn unready(&mut self, r: usize) {
        match self {
            RouterState::Shared => {}
            RouterState::RoundRobin { ready, .. } => {
                ready.remove(&(r as u32));
            }
            RouterState::LeastOutstanding { load, by_load } => {
                if let Some(&l) = load.get(r) {
                    by_load.remove(&(l, r as u32));
                }
            }
        }
    }

    /// Replica `r` finished `n` requests, or gave them up (dropped, or routed elsewhere).
    #[inline]
    pub fn completed(&mut self, r: usize, n: u32) {
        if let RouterState::LeastOutstanding { load, by_load } = self {
            let Some(&before) = load.get(r) else { return };
            load[r] = before.saturating_sub(n);
            if by_load.remove(&(before, r as u32)) {
                by_load.insert((load[r], r as u32));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ready(router: Router, n: usize) -> RouterState {
        let mut r = RouterState::new(router);
        for i in 0..n {
            r.ready(i);
        }
        r
    }

    #[test]
    fn least_outstanding_picks_the_lightest_lowest_replica() {
        let mut r = with_ready(Router::LeastOutstanding, 3);
        assert_eq!([r.route(), r.route(), r.route(), r.route()].map(|q| q - 1), [0, 1, 2, 0]);
        // Loads now 2, 1, 1; replica 1 finishes its request → 2, 0, 1.
        r.completed(1, 1);
        assert_eq!(r.route() - 1, 1);
        // 2, 1, 1: a tie between 1 and 2 goes to the lower index.
        assert_eq!(r.route() - 1, 1);
        assert_eq!(r.route() - 1, 2);
    }

    #[test]
    fn round_robin_cycles() {
        let mut r = with_ready(Router::RoundRobin, 2);
        assert_eq!([r.route(), r.route(), r.route()].map(|q| q - 1), [0, 1, 0]);
    }

    #[test]
    fn round_robin_follows_the_ready_set() {
        let mut r = with_ready(Router::RoundRobin, 3);
        assert_eq!(r.route() - 1, 0);
        // 1 leaves: after 0 comes 2, then 0 again; 5 joins and takes its turn after 2.
        r.unready(1);
        assert_eq!(r.route() - 1, 2);
        r.ready(5);
        assert_eq!([r.route(), r.route(), r.route()].map(|q| q - 1), [5, 0, 2]);
        for i in [0, 2, 5] {
            r.unready(i);
        }
        assert_eq!(r.route(), LOBBY);
    }

    #[test]
    fn least_outstanding_routes_only_to_ready_replicas() {
        let mut r = with_ready(Router::LeastOutstanding, 2);
        assert_eq!([r.route(), r.route()].map(|q| q - 1), [0, 1]);
        // 0 leaves with its one request: everything goes to 1 until 0 is back, empty.
        r.unready(0);
        assert_eq!([r.route(), r.route()].map(|q| q - 1), [1, 1]);
        r.completed(0, 1);
        r.ready(0);
        assert_eq!(r.route() - 1, 0);
        r.unready(0);
        r.unready(1);
        assert_eq!(r.route(), LOBBY);
        // A new replica starts empty.
        r.ready(4);
        assert_eq!(r.route() - 1, 4);
    }
}
