//! Replicas' steps: which idle replica a queue starts a step on, the step's start and end (its
//! completions, the hand-off of what a prefill replica prefilled, what the replica does next),
//! and a queue's wake-up at the time its executor asked for.

use std::collections::VecDeque;

use super::{Event, World};
use crate::engine::{Duration, SimTime};
use crate::fleet::InstanceState;
use crate::serving::executor::{Executor, Item, Step};
use crate::serving::router::LOBBY;

impl<E: Executor> World<'_, '_, E> {
    /// The idle, ready replica queue `q` would start a step on: the top of the shared queue's
    /// idle stack, or the queue's own replica (none for the lobby).
    pub(super) fn idle_for(&self, q: usize) -> Option<usize> {
        if self.router.is_shared() {
            self.idle.last().map(|&r| r as usize)
        } else {
            let ready = |r: usize| self.fleet.is_ready(self.replicas[r].instance);
            (q != LOBBY && self.replicas.get(q - 1).is_some_and(|rep| !rep.busy) && ready(q - 1)).then(|| q - 1)
        }
    }

    /// Starts steps on queue `q` while an idle replica exists and its executor has one to start;
    /// otherwise makes sure the time the executor asked for will wake the queue.
    #[inline]
    pub(super) fn try_dispatch(&mut self, now: SimTime, q: usize) {
        if self.max_queue_wait.is_some() {
            self.expire_waiting(now, q);
        }
        while let Some(r) = self.idle_for(q) {
            let queue = &mut self.queues[q];
            let before = queue.items.len();
            let step = self.executor.start(now, r, &mut queue.items);
            self.n_queued -= before - queue.items.len();
            if E::REJECTS {
                self.collect_rejected(now, r);
            }
            let queue = &mut self.queues[q];
            match step {
                Step::Run(took) => {
                    if self.router.is_shared() {
                        self.idle.pop();
                    }
                    self.begin_step(now, r, took);
                }
                Step::WaitUntil(at) => {
                    if queue.timer_at != Some(at) {
                        queue.timer_at = Some(at);
                        self.events.schedule(at, Event::QueueWake(q as u32));
                    }
                    return;
                }
                Step::Idle => return,
            }
        }
    }

    /// Replica `r` runs a step of length `took`.
    pub(super) fn begin_step(&mut self, now: SimTime, r: usize, took: Duration) {
        let replica = &mut self.replicas[r];
        replica.busy = true;
        replica.busy_ns = replica.busy_ns.saturating_add(took.as_nanos());
        self.n_busy += 1;
        replica.step_done = Some(self.events.schedule_keyed(now.after(took), Event::StepEnded(r as u32)));
        if let Some(d) = &mut self.disagg
            && replica.decode
        {
            d.n_busy += 1;
        }
    }

    #[inline]
    pub(super) fn complete(&mut self, req: E::Item, at: SimTime) {
        self.n_completed += 1;
        self.interval.completions += 1;
        self.last_completion = self.last_completion.max(at);
        if req.arrived() >= self.warmup {
            self.latency.record(at.since(req.arrived()));
        }
    }

    pub(super) fn on_step_ended(&mut self, now: SimTime, r: usize) {
        self.replicas[r].step_done = None;
        let mut done = std::mem::take(&mut self.scratch);
        self.executor.finish(now, r, &mut done);
        for &req in &done {
            self.complete(req, now);
        }
        let n_done = done.len() as u32;
        self.router_of(r).completed(r, n_done);
        done.clear();
        std::mem::swap(&mut self.scratch, &mut done);
        if self.disagg.is_some() {
            self.decode_step_ended(now, r, n_done);
        }
        let replica = &mut self.replicas[r];
        replica.busy = false;
        self.n_busy -= 1;
        let q = replica.queue_idx;
        match self.fleet.state(self.replicas[r].instance) {
            InstanceState::Ready => {
                if self.router.is_shared() {
                    self.idle.push(r as u32);
                }
                self.try_dispatch(now, q);
            }
            // A released stand-in stops once its replicas' batches are done; a noticed one waits
            // for its stop, running what its executor still holds (an LLM replica's admitted
            // sequences).
            InstanceState::Releasing => self.stop_when_idle(now, self.replicas[r].instance),
            InstanceState::Noticed if self.executor.holding(r) > 0 => {
                let mut nothing_new = VecDeque::new();
                if let Step::Run(took) = self.executor.start(now, r, &mut nothing_new) {
                    self.begin_step(now, r, took);
                }
            }
            InstanceState::Booting | InstanceState::Noticed | InstanceState::Stopped => {}
        }
    }

    pub(super) fn on_queue_wake(&mut self, now: SimTime, q: usize) {
        if self.queues[q].timer_at == Some(now) {
            self.queues[q].timer_at = None;
        }
        self.try_dispatch(now, q);
    }
}
