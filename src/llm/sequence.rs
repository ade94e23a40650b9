//! A request as the LLM executor carries it: its lengths, the output tokens it has produced and
//! when, so that it can move between replicas (a prefill-to-decode transfer, or a recompute
//! elsewhere after its replica was interrupted) without losing its TTFT.

use crate::engine::SimTime;

/// One request and its progress.
///
/// A fresh request has `produced = 0`; `first_token_at` and `last_token_at` mean something only
/// once `produced ≥ 1`. Invariant kept by the replica: `produced < output_tokens` while it holds
/// the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// The caller's request id (opaque to the executor).
    pub id: u64,
    /// When the request arrived (TTFT and end-to-end latency count from here).
    pub arrival: SimTime,
    /// P: prompt tokens.
    pub prompt_tokens: u32,
    /// O: output tokens the request asks for (≥ 1 to be served).
    pub output_tokens: u32,
    /// Output tokens produced so far.
    pub produced: u32,
    /// When output token 1 was produced (valid when `produced ≥ 1`).
    pub first_token_at: SimTime,
    /// When the latest output token was produced (valid when `produced ≥ 1`).
    pub last_token_at: SimTime,
    /// Times this sequence was preempted and sent back to be recomputed.
    pub n_preemptions: u32,
}

impl Sequence {
    /// A fresh request: nothing produced yet.
    pub fn new(id: u64, arrival: SimTime, prompt_tokens: u32, output_tokens: u32) -> Sequence {
        Sequence {
            id,
            arrival,
            prompt_tokens,
            output_tokens,
            produced: 0,
            first_token_at: SimTime::ZERO,
            last_token_at: SimTime::ZERO,
            n_preemptions: 0,
        }
    }

    /// Tokens whose KV the sequence needs at its next iteration: P + produced (its context C when
    /// it decodes; its prompt, or prompt + produced tokens for a recompute, when it prefills).
    pub fn context_tokens(&self) -> u32 {
        self.prompt_tokens + self.produced
    }
}

/// Why a replica refuses a request at enqueue (counted; it never waits for ever).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No prompt or no output tokens: nothing to prefill or nothing to produce.
    Empty,
    /// Prompt + output tokens above `max_model_len`.
    TooLong {
        /// P + O.
        tokens: u64,
        /// The replica's `max_model_len`.
        max_model_len: u32,
    },
    /// Even alone on the replica its KV would not fit: at its last decode it needs
    /// ⌈(P + O − 1) / block_size⌉ blocks (⌈P / block_size⌉ when O = 1). Admitting it would
    /// preempt it over and over without end.
    ExceedsKvCache {
        /// Blocks it would need at its peak.
        blocks: u32,
        /// Blocks in the replica's cache.
        total_blocks: u32,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Empty => write!(f, "a request needs at least one prompt and one output token"),
            Refusal::TooLong { tokens, max_model_len } => {
                write!(f, "prompt + output = {tokens} tokens is above max_model_len ({max_model_len})")
            }
            Refusal::ExceedsKvCache { blocks, total_blocks } => {
                write!(f, "needs {blocks} KV blocks at its longest but the replica has {total_blocks}")
            }
        }
    }
}
