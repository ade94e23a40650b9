//! What happens to requests outside a step: the queue a new one joins, the ones dropped (a
//! `max_queue_wait` exceeded, or refused by the executor) and what a stopped replica held, put
//! back in a queue or routed again.

use super::{Event, World};
use crate::engine::SimTime;
use crate::serving::executor::{Executor, Item};
use crate::serving::router::LOBBY;

impl<E: Executor> World<'_, '_, E> {
    /// The queue the next request joins (the router's choice, given the executor's figures when
    /// it compares them).
    #[inline]
    pub(super) fn route(&mut self) -> usize {
        if self.router.wants_figures() {
            let executor = &self.executor;
            self.router.route_by(&|r| executor.free_kv_blocks(r))
        } else {
            self.router.route()
        }
    }

    /// Collects the requests the executor refused (rejected and counted as dropped).
    pub(super) fn collect_rejected(&mut self, now: SimTime, r: usize) {
        let mut rejected = std::mem::take(&mut self.scratch);
        self.executor.take_rejected(&mut rejected);
        if !rejected.is_empty() {
            self.router_of(r).completed(r, rejected.len() as u32);
            self.n_rejected += rejected.len() as u64;
            self.last_completion = self.last_completion.max(now);
            for req in &rejected {
                self.count_drop(req);
            }
        }
        rejected.clear();
        self.scratch = rejected;
    }

    /// Counts a request dropped (queue full or waited too long).
    pub(super) fn count_drop(&mut self, req: &E::Item) {
        if self.to_decode(req) {
            self.disagg.as_mut().expect("a disaggregated fleet").in_system -= 1;
        }
        self.n_dropped += 1;
        self.n_tokens_dropped += u64::from(req.produced());
        if req.arrived() >= self.warmup {
            self.n_dropped_measured += 1;
        }
    }

    /// Drops the requests at the head of queue `q` that have waited `max_queue_wait`, and makes
    /// sure the new head's expiry will wake the queue.
    pub(super) fn expire_waiting(&mut self, now: SimTime, q: usize) {
        let Some(limit) = self.max_queue_wait else { return };
        while let Some(&front) = self.queues[q].items.front() {
            if front.arrived().after(limit) > now {
                break;
            }
            self.queues[q].items.pop_front();
            self.n_queued -= 1;
            if q != LOBBY {
                // No longer outstanding at its replica (least_outstanding's load).
                self.router_of(q - 1).completed(q - 1, 1);
            }
            self.n_timed_out += 1;
            self.last_completion = self.last_completion.max(now); // the run lasts until the drop
            self.count_drop(&front);
        }
        if let Some(front) = self.queues[q].items.front() {
            let at = front.arrived().after(limit);
            if self.queues[q].expiry_at.is_none_or(|e| e > at) {
                self.queues[q].expiry_at = Some(at);
                self.events.schedule(at, Event::QueueWaitExpired(q as u32));
            }
        }
    }

    pub(super) fn on_queue_wait_expired(&mut self, now: SimTime, q: usize) {
        if self.queues[q].expiry_at == Some(now) {
            self.queues[q].expiry_at = None;
        }
        self.expire_waiting(now, q);
        self.try_dispatch(now, q);
    }

    /// Puts what a stopped replica's executor held back at the head of its queue, oldest first
    /// (under a per-replica router, routes it again).
    pub(super) fn requeue_batch(&mut self, now: SimTime, r: usize) {
        let replica = &mut self.replicas[r];
        if !replica.busy && self.executor.holding(r) == 0 {
            return;
        }
        if replica.busy {
            replica.busy = false;
            self.n_busy -= 1;
            if let Some(d) = &mut self.disagg
                && replica.decode
            {
                d.n_busy -= 1;
            }
        }
        if let Some(done) = replica.step_done.take() {
            self.events.cancel(done);
        }
        let q = replica.queue_idx;
        let mut batch = std::mem::take(&mut self.scratch);
        self.executor.abandon(now, r, &mut batch);
        self.n_retried += batch.len() as u64;
        self.n_queued += batch.len();
        if !self.router.is_shared() {
            // Its own queue is gone with it: the batch is routed again, oldest first.
            self.router_of(r).completed(r, batch.len() as u32);
            self.reroute(now, batch.drain(..));
            std::mem::swap(&mut self.scratch, &mut batch);
            return;
        }
        // Back in arrival order (at the head, since they are older than those still waiting,
        // unless another interrupted batch went back first): the head is always the oldest.
        let items = &mut self.queues[q].items;
        for &req in batch.iter().rev() {
            let at = items.partition_point(|r| r.arrived() < req.arrived());
            items.insert(at, req);
        }
        batch.clear();
        std::mem::swap(&mut self.scratch, &mut batch);
        self.try_dispatch(now, q);
    }
}
