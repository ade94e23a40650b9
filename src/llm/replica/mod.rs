//! One LLM replica, iteration by iteration (SPEC "LLM serving (token level)"): a waiting queue, a
//! running set in admission order, a paged KV cache, and a scheduler that plans each iteration
//! (`vllm.rs`: prefill first; `chunked.rs`: decode first, prompt chunks fill the token budget).
//!
//! The replica is a pure state machine; the caller owns time and events:
//!
//! 1. [`Replica::enqueue`] (fresh requests and recomputes) and [`Replica::enqueue_transferred`]
//!    (decode replicas) add to the waiting queue, or refuse (see [`Refusal`]);
//! 2. when the replica is idle, [`Replica::start_iteration`] plans the next iteration — admission,
//!    KV blocks and preemptions happen here — and returns its length (step time / speed, in whole
//!    nanoseconds), or `None` when there is nothing to do;
//! 3. at that time, [`Replica::finish_iteration`] applies it: tokens, completions, hand-offs.
//!
//! Semantics decided here (beyond SPEC's words):
//! - Arrivals wait until the next iteration start; an iteration in progress is never changed.
//! - Preempted sequences go to the head of the waiting queue at once, the earliest admitted first
//!   (so a later admission step in the same planning sees them first, FCFS).
//! - A prefill-only replica frees a sequence's blocks when the iteration that prefilled it ends
//!   (the KV streams out as it is computed, as Splitwise does); the decode replica takes blocks for
//!   C = P + 1 when the sequence joins it.
//! - A decode-only replica runs decode iterations over what it receives; it prefills only what it
//!   must recompute (its own preemptions, or sequences the caller sends it with [`Replica::enqueue`]).
//! - [`Replica::drain`] abandons the iteration in progress: its tokens are not produced.

mod chunked;
mod finish;
mod vllm;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::engine::{Duration, SimTime};
use crate::llm::config::{LlmConfig, Role};
use crate::llm::kv::KvCache;
use crate::llm::sequence::{Refusal, Sequence};
use crate::llm::sink::TokenSink;
use crate::llm::{IterationShape, StepTime};

/// `Slot::step` of a sequence that decodes one token in the current iteration (any other non-zero
/// value is the size of the prompt chunk it prefills; 0: not in the iteration).
const DECODE: u32 = u32::MAX;

/// Step time / speed in whole nanoseconds, rounded to nearest (ties up); negative or NaN gives 0,
/// beyond u64 saturates. `Duration::from_secs_f64` with `f64::round`, which without SSE4.1 is a
/// library call that cost ~5% of the core's time.
#[inline]
fn iteration_length(step_s: f64, speed: f64) -> Duration {
    let ns = step_s / speed * 1e9;
    if ns > 0.0 { Duration((ns + 0.5) as u64) } else { Duration::ZERO }
}

/// A sequence held by the replica, with its KV blocks and its share of the current iteration.
#[derive(Clone, Copy, Debug)]
struct Slot {
    seq: Sequence,
    /// KV blocks held (0 while waiting).
    blocks: u32,
    /// Prompt tokens still to prefill: P + produced when admitted for a (re)computation, 0 for a
    /// transferred sequence or one that decodes.
    prefill_left: u32,
    /// Prompt tokens already prefilled by earlier chunks (p of the next chunk).
    prefill_done: u32,
    /// This iteration: 0, [`DECODE`], or a chunk of that many prompt tokens.
    step: u32,
}

impl Slot {
    fn waiting(seq: Sequence, prefill_left: u32) -> Slot {
        Slot { seq, blocks: 0, prefill_left, prefill_done: 0, step: 0 }
    }
}

/// The iteration in progress.
#[derive(Clone, Copy, Debug)]
struct Planned {
    start: SimTime,
    end: SimTime,
    shape: IterationShape,
    /// Index in `running` of the first slot the iteration includes (slots before it are untouched).
    first_idx: usize,
}

/// What a drained replica held, for the caller to re-route and count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    /// The waiting queue, in order. A sequence with `produced ≥ 1` (a preempted or transferred one:
    /// its KV is lost with the replica) must be recomputed: [`Replica::enqueue`] does that.
    pub waiting: Vec<Sequence>,
    /// The running set, in admission order, with the tokens each had produced; to be recomputed.
    pub running: Vec<Sequence>,
}

/// One replica of an LLM serving engine.
pub struct Replica {
    config: LlmConfig,
    step_time: Arc<dyn StepTime>,
    speed: f64,
    kv: KvCache,
    waiting: VecDeque<Slot>,
    /// Admitted sequences in admission order: the last is the most recently admitted.
    running: Vec<Slot>,
    current: Option<Planned>,
    /// The latest time the replica was told (time never goes back).
    clock: SimTime,
    n_preemptions: u64,
    n_refused: u64,
    /// Inter-token gaps are reported only for requests arriving at or after this (warmup).
    measure_from: SimTime,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("config", &self.config)
            .field("speed", &self.speed)
            .field("kv", &self.kv)
            .field("n_waiting", &self.waiting.len())
            .field("n_running", &self.running.len())
            .finish_non_exhaustive()
    }
}

impl Replica {
    /// An idle, empty replica. `config` must have validated; `speed` (the instance type's, > 0)
    /// divides every step time.
    pub fn new(config: LlmConfig, step_time: Arc<dyn StepTime>, speed: f64) -> Replica {
        let issues = config.validate();
        assert!(issues.is_empty(), "LLM replica built from an invalid configuration: {issues:?}");
        assert!(speed.is_finite() && speed > 0.0, "instance speed must be positive, found {speed}");
        Replica {
            kv: KvCache::new(config.block_size, config.kv_blocks()),
            config,
            step_time,
            speed,
            waiting: VecDeque::new(),
            running: Vec::new(),
            current: None,
            clock: SimTime::ZERO,
            n_preemptions: 0,
            n_refused: 0,
            measure_from: SimTime::ZERO,
        }
    }

    /// Reports inter-token gaps ([`TokenSink::token_gaps`]) only for requests that arrived at or
    /// after `t` (a run's warmup); everything else is reported as before.
    pub fn measure_from(&mut self, t: SimTime) {
        self.measure_from = t;
    }

    /// Gives back the requests waiting to be admitted (fresh, preempted or transferred ones), in
    /// queue order, for the caller to route elsewhere; what is running stays. Not during an
    /// iteration's planning (between `start_iteration` and `finish_iteration` is fine: an
    /// iteration only involves running sequences).
    pub fn take_waiting(&mut self, out: &mut Vec<Sequence>) {
        out.extend(self.waiting.drain(..).map(|s| s.seq));
    }

    /// Queues a request to be prefilled: a fresh one (P tokens), or one that had produced n
    /// tokens elsewhere and is recomputed here (P + n tokens, producing token n + 1; its TTFT is
    /// kept). Refused (and counted) when it can never be served here.
    pub fn enqueue(&mut self, seq: Sequence) -> Result<(), Refusal> {
        self.admissible(&seq)?;
        self.waiting.push_back(Slot::waiting(seq, seq.context_tokens()));
        Ok(())
    }

    /// Queues a sequence whose KV was transferred from a prefill replica (`produced ≥ 1`): it
    /// joins the running set at an iteration start once blocks for its context fit, with no
    /// prefill. Not for prefill-only replicas.
    pub fn enqueue_transferred(&mut self, seq: Sequence) -> Result<(), Refusal> {
        assert!(self.config.role != Role::PrefillOnly, "a prefill-only replica does not decode transferred sequences");
        assert!(seq.produced >= 1, "a transferred sequence has produced its first token");
        self.admissible(&seq)?;
        self.waiting.push_back(Slot::waiting(seq, 0));
        Ok(())
    }

    /// Refuses requests that can never be served here (see [`Refusal`]).
    fn admissible(&mut self, seq: &Sequence) -> Result<(), Refusal> {
        let refusal = self.refusal(seq);
        if let Some(r) = refusal {
            self.n_refused += 1;
            return Err(r);
        }
        assert!(seq.produced < seq.output_tokens, "sequence {} has already produced all its tokens", seq.id);
        Ok(())
    }

    fn refusal(&self, seq: &Sequence) -> Option<Refusal> {
        let (p, o) = (seq.prompt_tokens, seq.output_tokens);
        if p == 0 || o == 0 {
            return Some(Refusal::Empty);
        }
        let tokens = u64::from(p) + u64::from(o);
        if tokens > u64::from(self.config.max_model_len) {
            return Some(Refusal::TooLong { tokens, max_model_len: self.config.max_model_len });
        }
        // At most max_model_len ≤ 2^20 tokens from here on: u32 arithmetic is exact.
        let blocks = self.kv.blocks_for(p + o - 1);
        let total_blocks = self.kv.total_blocks();
        (blocks > total_blocks).then_some(Refusal::ExceedsKvCache { blocks, total_blocks })
    }

    /// Plans the next iteration if the replica is idle and has work, and returns its length; `None`
    /// when it has nothing to do (or is already running an iteration, which the caller must finish
    /// first — asserted). Preemptions happen here and are reported to `sink`.
    pub fn start_iteration(&mut self, now: SimTime, sink: &mut (impl TokenSink + ?Sized)) -> Option<Duration> {
        assert!(self.current.is_none(), "start_iteration while an iteration is in progress");
        self.advance_clock(now);
        if self.waiting.is_empty() && self.running.is_empty() {
            return None;
        }
        let (shape, first_idx) = match self.config.scheduler {
            crate::llm::config::Scheduler::Vllm => self.plan_vllm(sink),
            crate::llm::config::Scheduler::Chunked => self.plan_chunked(sink),
        };
        // Every request fits the replica alone (refused otherwise), so with work there is always
        // something to run: the earliest admitted sequence can always grow or be admitted.
        assert!(shape.prefill_seqs + shape.decode_seqs > 0, "LLM replica with work planned an empty iteration");
        let length = iteration_length(self.step_time.seconds(&shape), self.speed);
        self.current = Some(Planned { start: now, end: now.after(length), shape, first_idx });
        Some(length)
    }

    #[inline]
    fn advance_clock(&mut self, now: SimTime) {
        assert!(now >= self.clock, "LLM replica told time {now} after {}", self.clock);
        self.clock = now;
    }

    /// Makes `running[i]` hold the blocks for its context, preempting the most recently admitted
    /// running sequences while none are free. Returns false when `running[i]` itself was preempted
    /// (it was then the last one).
    #[inline]
    fn grow_or_preempt(&mut self, i: usize, sink: &mut (impl TokenSink + ?Sized)) -> bool {
        let slot = &self.running[i];
        // Most iterations need no new block: check without a division.
        if u64::from(slot.seq.context_tokens()) <= u64::from(slot.blocks) * u64::from(self.kv.block_size()) {
            return true;
        }
        self.grow(i, sink)
    }

    #[inline(never)]
    fn grow(&mut self, i: usize, sink: &mut (impl TokenSink + ?Sized)) -> bool {
        let need = self.kv.blocks_for(self.running[i].seq.context_tokens());
        let more = need.saturating_sub(self.running[i].blocks);
        while !self.kv.try_take(more) {
            let victim = self.running.pop().expect("a sequence that needs blocks is running");
            self.preempt(victim, sink);
            if self.running.len() == i {
                return false;
            }
        }
        self.running[i].blocks += more;
        true
    }

    /// Frees a running sequence's blocks and puts it at the head of the waiting queue to be
    /// recomputed (prompt + produced tokens).
    fn preempt(&mut self, mut slot: Slot, sink: &mut (impl TokenSink + ?Sized)) {
        self.kv.give_back(slot.blocks);
        slot.seq.n_preemptions += 1;
        self.n_preemptions += 1;
        sink.preempted(&slot.seq);
        self.waiting.push_front(Slot::waiting(slot.seq, slot.seq.context_tokens()));
    }

    /// Empties the replica (interrupted or scaled down): the iteration in progress is abandoned and
    /// every held sequence comes back once, with what it had produced; all blocks are freed.
    pub fn drain(&mut self) -> Drained {
        self.current = None;
        self.kv.clear();
        Drained {
            waiting: self.waiting.drain(..).map(|s| s.seq).collect(),
            running: self.running.drain(..).map(|s| s.seq).collect(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// Whether an iteration is in progress.
    pub fn is_busy(&self) -> bool {
        self.current.is_some()
    }

    /// Requests waiting (not admitted, including preempted ones).
    pub fn n_waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Sequences admitted (holding KV blocks).
    pub fn n_running(&self) -> usize {
        self.running.len()
    }

    /// Requests waiting or running.
    pub fn n_outstanding(&self) -> usize {
        self.waiting.len() + self.running.len()
    }

    /// The KV cache's block counts.
    pub fn kv(&self) -> &KvCache {
        &self.kv
    }

    /// Preemptions so far.
    pub fn n_preemptions(&self) -> u64 {
        self.n_preemptions
    }

    /// Output tokens the sequences held (waiting or running) have produced (for the audit).
    pub fn tokens_held(&self) -> u64 {
        self.waiting.iter().chain(&self.running).map(|s| u64::from(s.seq.produced)).sum()
    }

    /// Blocks the cache counts as in use that no held sequence holds, or the reverse (0 unless
    /// the block accounting broke; for the audit).
    pub fn kv_unaccounted_blocks(&self) -> u64 {
        let held: u64 = self.waiting.iter().chain(&self.running).map(|s| u64::from(s.blocks)).sum();
        held.abs_diff(u64::from(self.kv.used_blocks()))
    }

    /// Requests refused at enqueue so far.
    pub fn n_refused(&self) -> u64 {
        self.n_refused
    }
}
