//! Routers: which queue an arriving request joins. One file per router, behind [`Router`].
//!
//! `shared_queue` has one queue for all replicas. `round_robin` and `least_outstanding` give each
//! replica its own queue and route only to replicas that are *ready* (booted, and not noticed,
//! released or stopped). With no replica ready, a request waits in the *lobby*, a queue of its
//! own, and is routed once one is ready; a replica that leaves has its queue routed again (the
//! world does both, see `world/routing.rs`).
//!
//! Queue indices: with the shared queue there is one queue, 0. With a per-replica router queue 0
//! is the lobby and replica r's queue is r + 1 ([`queue_of`]).

mod least_kv;
mod least_outstanding;
mod round_robin;
mod shared_queue;

pub use least_kv::LeastKv;
pub use least_outstanding::LeastOutstanding;
pub use round_robin::RoundRobin;
pub use shared_queue::SharedQueue;

/// The queue requests wait in when a per-replica router has no ready replica (and the shared
/// queue itself).
pub const LOBBY: usize = 0;

/// The queue of replica `r` under a per-replica router.
#[inline]
pub fn queue_of(r: usize) -> usize {
    r + 1
}

/// Where requests go. The world tells the router which replicas are ready and what they finish;
/// the router answers with a queue index.
pub trait Router: Send {
    /// Whether all replicas take from one queue (then the world keeps an idle stack instead of
    /// per-replica queues, and routing is not on the request's path).
    fn is_shared(&self) -> bool {
        false
    }

    /// The queue the next request joins: the chosen ready replica's ([`queue_of`]), or the
    /// [`LOBBY`] when no replica is ready.
    fn route(&mut self) -> usize;

    /// Whether the router compares a figure of each replica's executor ([`Router::route_by`]).
    fn wants_figures(&self) -> bool {
        false
    }

    /// As [`Router::route`], given each replica's figure (for `least_kv`: its free KV blocks).
    fn route_by(&mut self, _figure: &dyn Fn(usize) -> u64) -> usize {
        self.route()
    }

    /// Replica `r` is ready: requests may be routed to it.
    fn ready(&mut self, r: usize);

    /// Replica `r` is no longer ready: no request is routed to it any more.
    fn unready(&mut self, r: usize);

    /// Replica `r` finished `n` requests, or gave them up (dropped, or routed elsewhere).
    fn completed(&mut self, _r: usize, _n: u32) {}
}

/// The scenario's router, with the shared queue's answer kept at hand: asking it costs a branch,
/// not a call, on every request.
pub struct RouterState {
    shared: bool,
    figures: bool,
    router: Box<dyn Router>,
}

impl RouterState {
    /// The state for `router`, with no replica ready yet.
    pub fn new(router: crate::scenario::Router) -> RouterState {
        use crate::scenario::Router as Kind;
        let router: Box<dyn Router> = match router {
            Kind::SharedQueue => Box::new(SharedQueue),
            Kind::RoundRobin => Box::new(RoundRobin::default()),
            Kind::LeastOutstanding => Box::new(LeastOutstanding::default()),
            Kind::LeastKv => Box::new(LeastKv::default()),
        };
        RouterState { shared: router.is_shared(), figures: router.wants_figures(), router }
    }

    /// Whether all replicas share one queue.
    #[inline]
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// The queue the next request joins (see [`Router::route`]).
    #[inline]
    pub fn route(&mut self) -> usize {
        if self.shared {
            return 0; // the hot path: kept small enough to inline
        }
        self.router.route()
    }

    /// Whether routing needs each replica's executor figure ([`RouterState::route_by`]).
    #[inline]
    pub fn wants_figures(&self) -> bool {
        self.figures
    }

    /// See [`Router::route_by`].
    pub fn route_by(&mut self, figure: &dyn Fn(usize) -> u64) -> usize {
        self.router.route_by(figure)
    }

    /// See [`Router::ready`].
    pub fn ready(&mut self, r: usize) {
        self.router.ready(r);
    }

    /// See [`Router::unready`].
    pub fn unready(&mut self, r: usize) {
        self.router.unready(r);
    }

    /// See [`Router::completed`].
    #[inline]
    pub fn completed(&mut self, r: usize, n: u32) {
        if !self.shared {
            self.router.completed(r, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Router;

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
