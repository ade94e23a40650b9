//! Per-replica routers over replicas that come and go.
//!
//! Under `round_robin` and `least_outstanding` each replica has its own queue and the router
//! picks only among *ready* replicas (booted, not noticed, released or stopped). With none ready,
//! a request waits in the lobby (queue 0, oldest first; `max_queue_wait` applies there too) and
//! is routed, oldest first, the moment a replica becomes ready. A replica that leaves the ready
//! set (interruption notice, scale-down or stand-in release, stop) takes no new request; the
//! requests in its queue are routed again at once, oldest first, to the ready replicas (or the
//! lobby); a batch it was still running when it stops is routed again the same way. A request
//! routed again joins its new queue at its place by arrival time (after requests that arrived
//! at the same instant), so every queue stays oldest first, and keeps its arrival time (its
//! latency counts from it). With the shared queue none of this applies: all replicas take from
//! one queue, and this file is not on its path.

use std::collections::BTreeSet;

use super::{RequestQueue, World};
use crate::engine::SimTime;
use crate::serving::executor::Executor;
use crate::serving::executor::Item;
use crate::serving::router::{LOBBY, queue_of};

impl<E: Executor> World<'_, '_, E> {
    /// The queue replica `r` (being launched) takes from: the shared one, or a new one of its own.
    pub(super) fn add_queue(&mut self, r: usize) -> usize {
        if self.router.is_shared() {
            return 0;
        }
        self.queues.push(RequestQueue::default());
        let q = queue_of(r);
        assert_eq!(q, self.queues.len() - 1, "replica {r} launched out of order");
        q
    }

    /// Replica `r` became ready: the router may pick it, and what waits in the lobby is routed.
    pub(super) fn router_replica_ready(&mut self, now: SimTime, r: usize) {
        if self.replicas[r].decode {
            self.decode_replica_ready(now, r);
            return;
        }
        self.router.ready(r);
        if !self.queues[LOBBY].items.is_empty() {
            let waiting = std::mem::take(&mut self.queues[LOBBY].items);
            self.reroute(now, waiting);
        }
    }

    /// Replica `r` left the ready set: the requests queued for it are routed again.
    pub(super) fn router_replica_left(&mut self, now: SimTime, r: usize) {
        self.router_of(r).unready(r);
        let q = queue_of(r);
        let mut queued = std::mem::take(&mut self.queues[q].items);
        // What its executor had taken but not started leaves too, in arrival order.
        let mut waiting = Vec::new();
        self.executor.give_back_waiting(r, &mut waiting);
        if !waiting.is_empty() {
            self.n_queued += waiting.len();
            let mut all: Vec<E::Item> = queued.drain(..).chain(waiting).collect();
            all.sort_by_key(|x| x.arrived());
            queued.extend(all);
        }
        self.router_of(r).completed(r, queued.len() as u32);
        self.reroute(now, queued);
    }

    /// Routes `requests` (oldest first) through the router, each to its place by arrival in the
    /// chosen queue, then starts what batches the queues that received some can start.
    pub(super) fn reroute(&mut self, now: SimTime, requests: impl IntoIterator<Item = E::Item>) {
        let mut touched = BTreeSet::new();
        for req in requests {
            if self.to_decode(&req) {
                touched.extend(self.route_recompute(req));
                continue;
            }
            let q = self.route();
            let items = &mut self.queues[q].items;
            let at = items.partition_point(|x| x.arrived() <= req.arrived());
            items.insert(at, req);
            touched.insert(q);
        }
        for q in touched {
            self.try_dispatch(now, q);
        }
    }
}
