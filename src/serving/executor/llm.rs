//! The LLM executor (SPEC "LLM serving (token level)"): each replica is an
//! [`llm::replica::Replica`](crate::llm::replica::Replica) — iterations over the sequences it
//! holds, a paged KV cache, the `vllm` or `chunked` scheduler — configured by its pool's `llm:`.
//!
//! How the executor protocol maps onto a replica:
//! - `start`: the requests routed to the replica since its last iteration join its waiting queue
//!   (a request it can never serve — longer than `max_model_len`, or larger than its KV cache — is
//!   rejected and handed to the world, which counts it), then the replica plans its next iteration:
//!   [`Step::Run`] for its length, or [`Step::Idle`] when it holds nothing;
//! - `finish`: the iteration's tokens are produced; the requests it completed go to the world;
//! - `abandon` (the instance stops): everything the replica holds comes back with what it had
//!   produced; the world routes it again and another replica recomputes prompt + produced tokens,
//!   keeping the first token's time (TTFT) and the time of the last token (the next gap counts
//!   from it);
//! - `give_back_waiting` (the replica stops taking requests: notice, scale-down): requests not yet
//!   admitted leave at once to be routed again, while admitted ones keep running.
//!
//! Tokens, TTFT, TPOT, ITL, the KV cache and iterations are measured here, in [`TokenMetrics`].

use std::collections::VecDeque;

use super::{Executor, Occupancy, ReplicaRef, Step};
use crate::engine::{Duration, SimTime};
use crate::llm::config::LlmConfig;
use crate::llm::replica::Replica;
use crate::llm::sequence::{Refusal, Sequence};
use crate::llm::sink::{Completion, IterationStats, TokenSink};
use crate::metrics::tokens::{LlmAudit, TokenMetrics};
use crate::scenario::Scenario;
use crate::scenario::serving::llm::LlmSpec;

/// One LLM engine per replica.
pub struct LlmExecutor {
    spec: LlmSpec,
    warmup: SimTime,
    replicas: Vec<Replica>,
    metrics: TokenMetrics,
    /// Requests refused at enqueue, for the world to collect.
    rejected: Vec<Sequence>,
    /// Completions of the iteration that just ended.
    done: Vec<Sequence>,
    /// Sequences prefill-only replicas prefilled, for the world to transfer.
    prefilled: Vec<Sequence>,
    n_too_long: u64,
    n_too_large: u64,
    /// Block-accounting breaks found when replicas were drained (for the audit).
    n_kv_unaccounted: u64,
}

impl LlmExecutor {
    /// The executor of LLM scenario `s` (`llm` its validated `llm:` section).
    pub fn new(s: &Scenario, llm: &LlmSpec) -> LlmExecutor {
        let sv = s.serving().expect("an LLM scenario serves");
        let warmup = SimTime(s.warmup.as_nanos());
        LlmExecutor {
            spec: llm.clone(),
            warmup,
            replicas: Vec::new(),
            metrics: TokenMetrics::new(warmup, sv.sla, sv.token_slos),
            rejected: Vec::new(),
            done: Vec::new(),
            prefilled: Vec::new(),
            n_too_long: 0,
            n_too_large: 0,
            n_kv_unaccounted: 0,
        }
    }

    /// Counts a refused request and keeps it for the world.
    fn refused(&mut self, seq: Sequence, refusal: Refusal) {
        match refusal {
            Refusal::TooLong { .. } | Refusal::Empty => self.n_too_long += 1,
            Refusal::ExceedsKvCache { .. } => self.n_too_large += 1,
        }
        self.rejected.push(seq);
    }

    /// The figures measured so far.
    pub fn metrics(&self) -> &TokenMetrics {
        &self.metrics
    }
}

/// What a replica reports, into the metrics and the completions.
struct Sink<'a> {
    metrics: &'a mut TokenMetrics,
    done: &'a mut Vec<Sequence>,
    prefilled: &'a mut Vec<Sequence>,
}

impl TokenSink for Sink<'_> {
    #[inline]
    fn first_token(&mut self, seq: &Sequence, ttft: Duration) {
        self.metrics.first_token(seq.arrival, ttft);
    }

    #[inline]
    fn token_gaps(&mut self, gap: Duration, count: u32) {
        self.metrics.token_gaps(gap, count);
    }

    #[inline]
    fn completed(&mut self, done: &Completion) {
        self.metrics.completed(done);
        self.done.push(done.seq);
    }

    fn prefill_done(&mut self, seq: Sequence) {
        self.prefilled.push(seq);
    }

    fn preempted(&mut self, _seq: &Sequence) {
        self.metrics.preempted();
    }

    fn iteration(&mut self, _stats: &IterationStats) {}
}

impl Executor for LlmExecutor {
    type Item = Sequence;

    const REJECTS: bool = true;
    const GROUPS_ARRIVALS: bool = true;

    fn add_replica(&mut self, replica: ReplicaRef) {
        debug_assert_eq!(replica.index, self.replicas.len(), "replicas are added in order");
        let pool = &self.spec.pools[replica.pool];
        let mut engine = Replica::new(pool.config, pool.step_time.model.clone(), replica.speed);
        engine.measure_from(self.warmup);
        self.replicas.push(engine);
    }

    #[inline]
    fn start(&mut self, now: SimTime, r: usize, queue: &mut VecDeque<Sequence>) -> Step {
        for seq in queue.drain(..) {
            if let Err(refusal) = self.replicas[r].enqueue(seq) {
                self.refused(seq, refusal);
            }
        }
        let replica = &mut self.replicas[r];
        let mut sink = Sink { metrics: &mut self.metrics, done: &mut self.done, prefilled: &mut self.prefilled };
        match replica.start_iteration(now, &mut sink) {
            Some(length) => Step::Run(length),
            None => Step::Idle,
        }
    }

    #[inline]
    fn finish(&mut self, now: SimTime, r: usize, done: &mut Vec<Sequence>) {
        let replica = &mut self.replicas[r];
        // What the iteration held, before it frees anything.
        let kv = replica.kv().utilization();
        let running = replica.n_running();
        let config = *replica.config();
        let inner = Sink { metrics: &mut self.metrics, done: &mut self.done, prefilled: &mut self.prefilled };
        let mut sink = IterationSink { inner, kv, running, config };
        replica.finish_iteration(now, &mut sink);
        std::mem::swap(done, &mut self.done);
        self.done.clear();
    }

    fn abandon(&mut self, _now: SimTime, r: usize, held: &mut Vec<Sequence>) {
        self.n_kv_unaccounted += self.replicas[r].kv_unaccounted_blocks();
        let drained = self.replicas[r].drain();
        held.extend(drained.running);
        held.extend(drained.waiting);
        held.sort_by_key(|s| (s.arrival, s.id));
    }

    fn holding(&self, r: usize) -> usize {
        self.replicas.get(r).map_or(0, Replica::n_outstanding)
    }

    fn take_prefilled(&mut self, out: &mut Vec<Sequence>) {
        out.append(&mut self.prefilled);
    }

    fn accept_transferred(&mut self, r: usize, seq: Sequence) {
        if let Err(refusal) = self.replicas[r].enqueue_transferred(seq) {
            self.refused(seq, refusal);
        }
    }

    fn take_rejected(&mut self, out: &mut Vec<Sequence>) {
        out.append(&mut self.rejected);
    }

    fn give_back_waiting(&mut self, r: usize, out: &mut Vec<Sequence>) {
        self.replicas[r].take_waiting(out);
    }

    fn free_kv_blocks(&self, r: usize) -> u64 {
        self.replicas.get(r).map_or(0, |x| u64::from(x.kv().free_blocks()))
    }

    fn audit(&self) -> Option<LlmAudit> {
        let mut audit = self.metrics.audit();
        audit.tokens_unfinished = self.replicas.iter().map(Replica::tokens_held).sum();
        let at_end: u64 = self.replicas.iter().map(Replica::kv_unaccounted_blocks).sum();
        audit.kv_unaccounted_blocks = self.n_kv_unaccounted + at_end;
        Some(audit)
    }

    fn token_metrics(&self) -> Option<&TokenMetrics> {
        Some(&self.metrics)
    }

    fn occupancy(&self, r: usize) -> Option<Occupancy> {
        let x = self.replicas.get(r)?;
        let (kv_used_blocks, kv_total_blocks) = (x.kv().used_blocks().into(), x.kv().total_blocks().into());
        Some(Occupancy {
            running: x.n_running() as u64,
            waiting: x.n_waiting() as u64,
            kv_used_blocks,
            kv_total_blocks,
        })
    }

    fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.n_too_long > 0 {
            w.push(format!(
                "{} requests were rejected: prompt + output tokens above llm.max_model_len (or no prompt or output tokens)",
                self.n_too_long
            ));
        }
        if self.n_too_large > 0 {
            w.push(format!(
                "{} requests were rejected: their KV would not fit the replica's cache even alone (raise llm.kv_cache_tokens)",
                self.n_too_large
            ));
        }
        w
    }
}

/// The sink of one iteration's end, which also knows what the iteration held.
struct IterationSink<'a> {
    inner: Sink<'a>,
    kv: f64,
    running: usize,
    /// The replica's limits, which the audit checks the iteration against.
    config: LlmConfig,
}

impl TokenSink for IterationSink<'_> {
    #[inline]
    fn first_token(&mut self, seq: &Sequence, ttft: Duration) {
        self.inner.first_token(seq, ttft);
    }
    #[inline]
    fn token_gaps(&mut self, gap: Duration, count: u32) {
        self.inner.token_gaps(gap, count);
    }
    #[inline]
    fn completed(&mut self, done: &Completion) {
        self.inner.completed(done);
    }
    fn prefill_done(&mut self, seq: Sequence) {
        self.inner.prefill_done(seq);
    }
    fn preempted(&mut self, seq: &Sequence) {
        self.inner.preempted(seq);
    }
    fn iteration(&mut self, stats: &IterationStats) {
        self.inner.metrics.iteration(stats, self.kv, self.running);
        self.inner.metrics.audit_limits(
            stats,
            self.running,
            self.config.max_num_seqs,
            self.config.max_num_batched_tokens,
        );
    }
}
