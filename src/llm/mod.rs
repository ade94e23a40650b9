//! LLM serving at token level (SPEC "LLM serving (token level)"): what one iteration of a
//! vLLM-style replica processes, and the step-time models that say how long it takes.
//!
//! An iteration's cost depends only on its [`IterationShape`]; a [`StepTime`] model (fitted from a
//! profile, or derived from the model and GPU) turns a shape into seconds at speed 1.0.
//!
//! The executor of one replica is [`replica::Replica`]: a pure state machine (no events, no
//! routing) configured by [`config::LlmConfig`], with a paged [`kv::KvCache`], carrying
//! [`sequence::Sequence`]s and reporting tokens to a [`sink::TokenSink`].

pub mod catalog;
pub mod config;
pub mod kv;
pub mod replica;
pub mod sequence;
pub mod sink;
pub mod step_time;

/// What one iteration of an LLM replica processes: everything a step-time model needs.
///
/// A prompt is prefilled in one chunk (`p = 0`, `k = P`) or, with the `chunked` scheduler, in
/// several: a chunk of `k` tokens whose first `p` prompt tokens are already done. Sums are exact
/// integers: prompt lengths are bounded by `max_model_len` (≤ 2^20), so `prefill_sq` fits in u64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IterationShape {
    /// Sequences with prompt tokens in this iteration (whole prompts or chunks).
    pub prefill_seqs: u32,
    /// Prompt tokens processed: Σ k over the chunks.
    pub prefill_tokens: u64,
    /// Σ ((p + k)² − p²) over the chunks: the quadratic (attention) term; Σ P² for whole prompts.
    pub prefill_sq: u64,
    /// Σ p over the chunks: prompt tokens already in the KV cache that each chunk's attention reads.
    pub prefill_prior: u64,
    /// Sequences decoding one token each.
    pub decode_seqs: u32,
    /// Σ C over the decoding sequences: their contexts (KV tokens each one's attention reads).
    pub decode_context: u64,
}

/// A step-time model: the time of one iteration on one replica at speed 1.0, in seconds.
///
/// Deterministic and pure; the replica divides by its instance type's `speed`.
pub trait StepTime: Send + Sync {
    /// Seconds for an iteration of this shape (never negative).
    fn seconds(&self, shape: &IterationShape) -> f64;
}
