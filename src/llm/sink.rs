//! What a replica reports as it runs, for the metrics and for the caller's routing: first tokens,
//! inter-token gaps, completions, prefilled sequences to transfer, preemptions and iterations.
//!
//! Recording is cheap by design: the sequences of a decode iteration whose previous tokens came at
//! the same time share one gap, reported once with a count ([`TokenSink::token_gaps`]).

use crate::engine::{Duration, SimTime};
use crate::llm::IterationShape;
use crate::llm::sequence::Sequence;

/// A request's last token: everything the latency metrics need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Completion {
    /// The sequence as it completed (`produced == output_tokens`).
    pub seq: Sequence,
    /// When its last token came.
    pub at: SimTime,
    /// Time to first token: first token − arrival.
    pub ttft: Duration,
    /// End-to-end latency: completion − arrival.
    pub e2e: Duration,
    /// TPOT = (completion − first token) / (O − 1), seconds; `None` when O = 1.
    pub tpot_s: Option<f64>,
}

impl Completion {
    pub(crate) fn of(seq: Sequence, at: SimTime) -> Completion {
        let tpot_s = (seq.output_tokens >= 2)
            .then(|| at.since(seq.first_token_at).as_secs_f64() / f64::from(seq.output_tokens - 1));
        Completion { seq, at, ttft: seq.first_token_at.since(seq.arrival), e2e: at.since(seq.arrival), tpot_s }
    }
}

/// One finished iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IterationStats {
    /// When it started.
    pub start: SimTime,
    /// When it ended (start + step time / speed, in whole nanoseconds).
    pub end: SimTime,
    /// What it processed.
    pub shape: IterationShape,
    /// Output tokens it produced (finished prefills and decodes).
    pub output_tokens: u32,
}

impl IterationStats {
    /// Tokens it processed: prompt tokens plus one per decoding sequence.
    pub fn batch_tokens(&self) -> u64 {
        self.shape.prefill_tokens + u64::from(self.shape.decode_seqs)
    }
}

/// Receives what a replica reports. Calls come in time order.
pub trait TokenSink {
    /// A request's output token 1 (never again for it, even after a recompute): `ttft` after
    /// its arrival.
    fn first_token(&mut self, seq: &Sequence, ttft: Duration);
    /// `count` later output tokens (of as many requests) each `gap` after the request's previous
    /// token: the inter-token latencies (ITL).
    fn token_gaps(&mut self, gap: Duration, count: u32);
    /// A request produced its last token.
    fn completed(&mut self, done: &Completion);
    /// A prefill-only replica prefilled `seq` (output token 1 produced, `produced ≥ 1`): the
    /// caller transfers it to a decode replica. The prefill replica has already freed its blocks.
    fn prefill_done(&mut self, seq: Sequence);
    /// A running sequence was preempted for want of KV blocks (at an iteration start): it went back
    /// to the head of this replica's waiting queue to be recomputed.
    fn preempted(&mut self, seq: &Sequence);
    /// An iteration finished (after every token it produced was reported).
    fn iteration(&mut self, stats: &IterationStats);
}
