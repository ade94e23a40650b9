//! Disaggregated prefill and decode (`llm.disaggregated`): the second routing stage and the KV
//! link.
//!
//! Arrivals are routed among the prefill replicas, as in any fleet. When a prefill replica's
//! iteration finishes a prompt (output token 1 produced), the router picks a ready decode replica
//! at once and the KV starts across the link; it lands `latency + P × bytes_per_token /
//! bandwidth` later and joins the decode replica's waiting queue without a prefill. Transfers that
//! land at one instant are all in the decode replica's queue before it plans its next iteration.
//!
//! Where a sequence goes when it must move again follows from what it has produced: one with
//! nothing produced goes to the prefill router; one with tokens produced (its KV lost: its decode
//! replica was interrupted or scaled down, or stopped taking new sequences before a transfer
//! landed) goes to the decode router and is recomputed there (prompt + produced, as after a
//! preemption), counted in `requests.retried`.
//!
//! With no decode replica ready, prefilled sequences wait in the decode lobby and start their
//! transfer the moment one is ready (as arrivals wait in the prefill lobby).

use std::collections::VecDeque;

use super::{Event, World};
use crate::engine::SimTime;
use crate::scenario::serving::disaggregated::{Disaggregation, KvLink};
use crate::serving::executor::{Executor, Item};
use crate::serving::router::{LOBBY, RouterState, queue_of};

/// A sequence waiting for a decode replica to be ready.
#[derive(Clone, Copy, Debug)]
pub(super) enum Waiting<T> {
    /// Prefilled: its KV is to be transferred.
    Transfer(T),
    /// Lost its KV: to be recomputed.
    Recompute(T),
}

/// The decode side of a disaggregated fleet.
pub(super) struct Disagg<T> {
    /// `decode[p]`: pool p decodes.
    pub(super) decode: Vec<bool>,
    link: KvLink,
    /// Routes among the ready decode replicas.
    pub(super) router: RouterState,
    /// Waiting for a decode replica to be ready, oldest first.
    lobby: VecDeque<Waiting<T>>,
    /// Transfers under way: (sequence, its decode replica), by slot; free slots are reused.
    in_flight: Vec<Option<(T, u32)>>,
    free: Vec<u32>,
    /// Decode replicas transfers landed on at this instant (planned after the last lands).
    landed: Vec<u32>,
    /// Sequences on the decode side: transferring, in the decode lobby, queued for or held by a
    /// decode replica (what its autoscaler sees as in the system).
    pub(super) in_system: u64,
    /// Decode replicas running an iteration.
    pub(super) n_busy: u32,
    /// Transfers started, and their total time in ns.
    pub(super) n_transfers: u64,
    pub(super) transfer_ns: u128,
}

impl<T: Item> Disagg<T> {
    pub(super) fn new(d: &Disaggregation, router: crate::scenario::Router) -> Disagg<T> {
        Disagg {
            decode: d.decode.clone(),
            link: d.link,
            router: RouterState::new(router),
            lobby: VecDeque::new(),
            in_flight: Vec::new(),
            free: Vec::new(),
            landed: Vec::new(),
            in_system: 0,
            n_busy: 0,
            n_transfers: 0,
            transfer_ns: 0,
        }
    }

    /// Sequences the decode side holds outside any replica (in the lobby or in transfer).
    pub(super) fn held(&self) -> u64 {
        (self.lobby.len() + self.in_flight.len() - self.free.len()) as u64
    }

    /// Output tokens those sequences have produced (for the audit).
    pub(super) fn tokens_held(&self) -> u64 {
        let lobby = self.lobby.iter().map(|w| match w {
            Waiting::Transfer(x) | Waiting::Recompute(x) => u64::from(x.produced()),
        });
        let flying = self.in_flight.iter().flatten().map(|(x, _)| u64::from(x.produced()));
        lobby.chain(flying).sum()
    }
}

impl<E: Executor> World<'_, '_, E> {
    /// The router that routes to replica `r`: the decode router for a decode replica.
    pub(super) fn router_of(&mut self, r: usize) -> &mut RouterState {
        match &mut self.disagg {
            Some(d) if self.replicas[r].decode => &mut d.router,
            _ => &mut self.router,
        }
    }

    /// Whether `item` goes to the decode side: it has produced tokens, in a disaggregated fleet.
    #[inline]
    pub(super) fn to_decode(&self, item: &E::Item) -> bool {
        self.disagg.is_some() && item.produced() > 0
    }

    /// The decode replica queue the next sequence joins, or [`LOBBY`] when none is ready.
    fn route_decode(&mut self) -> usize {
        let d = self.disagg.as_mut().expect("a disaggregated fleet");
        if d.router.wants_figures() {
            let executor = &self.executor;
            d.router.route_by(&|r| executor.free_kv_blocks(r))
        } else {
            d.router.route()
        }
    }

    /// Routes a sequence that must be recomputed on a decode replica: into the chosen replica's
    /// queue by arrival (it counts as queued), or the decode lobby. Returns the queue it joined.
    pub(super) fn route_recompute(&mut self, item: E::Item) -> Option<usize> {
        let q = self.route_decode();
        if q == LOBBY {
            self.n_queued -= 1;
            self.disagg.as_mut().expect("a disaggregated fleet").lobby.push_back(Waiting::Recompute(item));
            return None;
        }
        let items = &mut self.queues[q].items;
        let at = items.partition_point(|x| x.arrived() <= item.arrived());
        items.insert(at, item);
        Some(q)
    }

    /// Replica `r` finished an iteration that completed `n_done` requests (before the world marks
    /// it idle): a decode replica's leave the decode side, and it no longer counts as busy; what a
    /// prefill replica prefilled moves to the decode side.
    pub(super) fn decode_step_ended(&mut self, now: SimTime, r: usize, n_done: u32) {
        let d = self.disagg.as_mut().expect("a disaggregated fleet");
        if self.replicas[r].decode {
            d.in_system -= u64::from(n_done);
            d.n_busy -= 1;
            return;
        }
        let mut prefilled = std::mem::take(&mut self.scratch);
        self.executor.take_prefilled(&mut prefilled);
        if !prefilled.is_empty() {
            d.in_system += prefilled.len() as u64;
            // The run lasts at least until a prefill replica's last work, as until a completion.
            self.last_completion = self.last_completion.max(now);
            self.router.completed(r, prefilled.len() as u32);
            for seq in prefilled.drain(..) {
                self.send_kv(now, seq);
            }
        }
        self.scratch = prefilled;
    }

    /// Starts `seq`'s KV towards the decode replica the router picks (or the decode lobby).
    fn send_kv(&mut self, now: SimTime, seq: E::Item) {
        let q = self.route_decode();
        let d = self.disagg.as_mut().expect("a disaggregated fleet");
        if q == LOBBY {
            d.lobby.push_back(Waiting::Transfer(seq));
            if !self.scaling.is_empty() {
                self.on_request_at_zero(now, super::scaling::Side::Decode);
            }
            return;
        }
        let took = d.link.transfer_time(seq.prompt_tokens());
        d.n_transfers += 1;
        d.transfer_ns += u128::from(took.as_nanos());
        let entry = Some((seq, (q - 1) as u32));
        let slot = match d.free.pop() {
            Some(s) => {
                d.in_flight[s as usize] = entry;
                s
            }
            None => {
                d.in_flight.push(entry);
                (d.in_flight.len() - 1) as u32
            }
        };
        self.events.schedule(now.after(took), Event::KvLanded(slot));
    }

    /// A transfer landed: the sequence joins its decode replica, or, if that replica no longer
    /// takes sequences, is recomputed on another.
    pub(super) fn on_kv_landed(&mut self, now: SimTime, slot: u32) {
        let d = self.disagg.as_mut().expect("a disaggregated fleet");
        let (seq, r) = d.in_flight[slot as usize].take().expect("a transfer in flight");
        d.free.push(slot);
        let r = r as usize;
        if !self.fleet.is_ready(self.replicas[r].instance) {
            self.router_of(r).completed(r, 1);
            self.n_retried += 1;
            self.n_queued += 1;
            self.reroute(now, [seq]);
            return;
        }
        self.executor.accept_transferred(r, seq);
        if E::REJECTS {
            self.collect_rejected(now, r);
        }
        let d = self.disagg.as_mut().expect("a disaggregated fleet");
        if !d.landed.contains(&(r as u32)) {
            if d.landed.is_empty() {
                // After every transfer already due at this instant.
                self.events.schedule(now, Event::TransfersLanded);
            }
            d.landed.push(r as u32);
        }
    }

    /// The transfers due at this instant have landed: their replicas plan their next iteration.
    pub(super) fn on_transfers_landed(&mut self, now: SimTime) {
        let landed = std::mem::take(&mut self.disagg.as_mut().expect("a disaggregated fleet").landed);
        for &r in &landed {
            self.try_dispatch(now, queue_of(r as usize));
        }
        let mut landed = landed;
        landed.clear();
        self.disagg.as_mut().expect("a disaggregated fleet").landed = landed;
    }

    /// Decode replica `r` became ready: what waits in the decode lobby goes (to it or others).
    pub(super) fn decode_replica_ready(&mut self, now: SimTime, r: usize) {
        let d = self.disagg.as_mut().expect("a disaggregated fleet");
        d.router.ready(r);
        let waiting = std::mem::take(&mut d.lobby);
        let mut touched = Vec::new();
        for w in waiting {
            match w {
                Waiting::Transfer(seq) => self.send_kv(now, seq),
                Waiting::Recompute(seq) => {
                    self.n_queued += 1;
                    if let Some(q) = self.route_recompute(seq)
                        && !touched.contains(&q)
                    {
                        touched.push(q);
                    }
                }
            }
        }
        for q in touched {
            self.try_dispatch(now, q);
        }
    }

    /// Transfers started and their mean time, for the summary.
    pub(super) fn transfer_figures(&self) -> Option<(u64, f64)> {
        let d = self.disagg.as_ref()?;
        let mean = if d.n_transfers > 0 { d.transfer_ns as f64 / d.n_transfers as f64 / 1e9 } else { 0.0 };
        Some((d.n_transfers, mean))
    }
}
