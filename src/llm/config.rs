//! The validated configuration of one LLM replica: its scheduler, its limits, its KV cache and its
//! role in a colocated or disaggregated fleet (SPEC "LLM serving (token level)", the `llm:` keys).
//!
//! There is no serde here: the scenario layer parses the YAML, fills an [`LlmConfig`] and calls
//! [`LlmConfig::validate`], which names the offending key in every message so that the message
//! can be attached to the key's line. A replica trusts a configuration that validated.
//!
//! Invalid combinations (each an [`ConfigIssue`]):
//! - any count or length of zero, and `kv_cache_tokens < block_size` (a cache of zero blocks);
//! - values beyond the bounds below (they keep every iteration sum exact in `u64`);
//! - `vllm` with `max_num_batched_tokens < max_model_len`: a prompt must be prefilled in one
//!   iteration, so a prompt (or a recompute of prompt + produced tokens) longer than the token
//!   budget would wait forever at the head of the queue and starve everything behind it (vLLM
//!   refuses the same configuration when chunked prefill is off);
//! - `chunked` with `max_num_batched_tokens < max_num_seqs`: the decodes of a full running set
//!   (one token each) would not fit the token budget (vLLM refuses this too).
//!
//! A KV cache smaller than `max_model_len` is valid: requests whose tokens can never fit are
//! refused when they are enqueued (see `replica`), as are requests longer than `max_model_len`.

/// Largest `max_model_len`: the bound [`crate::llm::IterationShape`]'s exact sums rely on.
pub const MAX_MODEL_LEN_LIMIT: u32 = 1 << 20;
/// Largest `max_num_seqs`.
pub const MAX_NUM_SEQS_LIMIT: u32 = 1 << 20;
/// Largest `max_num_batched_tokens`.
pub const MAX_BATCHED_TOKENS_LIMIT: u32 = 1 << 24;
/// Largest `block_size`, in tokens.
pub const BLOCK_SIZE_LIMIT: u32 = 1 << 16;

/// How a replica chooses what each iteration processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    /// Prefill first (vLLM's default before chunked prefill): an iteration prefills the waiting
    /// prompts that fit, or else decodes every running sequence.
    Vllm,
    /// Decode first (Sarathi-Serve, vLLM's chunked prefill): every running decode, then prompt
    /// chunks in what is left of the token budget.
    Chunked,
}

impl Scheduler {
    /// The scenario's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::Vllm => "vllm",
            Scheduler::Chunked => "chunked",
        }
    }
}

/// What a replica does in its fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Prefills and decodes its own requests.
    Colocated,
    /// Prefills prompts and hands each prefilled sequence back to the caller, to be transferred
    /// to a decode replica (a request with one output token completes here).
    PrefillOnly,
    /// Decodes sequences transferred from prefill replicas; it prefills only what it must
    /// recompute after a preemption (or what the caller sends it to recompute).
    DecodeOnly,
}

/// The `llm:` limits of one replica (SPEC key names; token counts in tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LlmConfig {
    /// `scheduler`.
    pub scheduler: Scheduler,
    /// `max_num_seqs`: sequences admitted (running) at once.
    pub max_num_seqs: u32,
    /// `max_num_batched_tokens`: tokens one iteration may process (prompt tokens plus one per
    /// decoding sequence).
    pub max_num_batched_tokens: u32,
    /// `max_model_len`: prompt + output tokens above this are refused.
    pub max_model_len: u32,
    /// `block_size`: the KV cache allocation unit.
    pub block_size: u32,
    /// `kv_cache_tokens`: KV capacity of the replica; it holds ⌊kv_cache_tokens / block_size⌋ blocks.
    pub kv_cache_tokens: u64,
    /// The replica's role (not a key of its own: it follows from `disaggregated`).
    pub role: Role,
}

/// One problem with a configuration: the key it concerns and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// The key under `llm:` (e.g. `max_num_batched_tokens`).
    pub key: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "llm.{}: {}", self.key, self.message)
    }
}

impl LlmConfig {
    /// Every problem with this configuration; empty when it is valid.
    pub fn validate(&self) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        let mut check = |key: &'static str, ok: bool, message: String| {
            if !ok {
                issues.push(ConfigIssue { key, message });
            }
        };
        let range = |value: u64, max: u64| format!("must be between 1 and {max}, found {value}");
        check(
            "max_num_seqs",
            (1..=MAX_NUM_SEQS_LIMIT).contains(&self.max_num_seqs),
            range(self.max_num_seqs.into(), MAX_NUM_SEQS_LIMIT.into()),
        );
        check(
            "max_num_batched_tokens",
            (1..=MAX_BATCHED_TOKENS_LIMIT).contains(&self.max_num_batched_tokens),
            range(self.max_num_batched_tokens.into(), MAX_BATCHED_TOKENS_LIMIT.into()),
        );
        check(
            "max_model_len",
            (1..=MAX_MODEL_LEN_LIMIT).contains(&self.max_model_len),
            range(self.max_model_len.into(), MAX_MODEL_LEN_LIMIT.into()),
        );
        check(
            "block_size",
            (1..=BLOCK_SIZE_LIMIT).contains(&self.block_size),
            range(self.block_size.into(), BLOCK_SIZE_LIMIT.into()),
        );
        let blocks = self.kv_cache_tokens / u64::from(self.block_size.max(1));
        check(
            "kv_cache_tokens",
            blocks >= 1 && blocks <= u64::from(u32::MAX),
            format!(
                "holds {blocks} blocks of {} tokens; it must hold between 1 and {} blocks (found {} tokens)",
                self.block_size,
                u32::MAX,
                self.kv_cache_tokens
            ),
        );
        self.check_combinations(&mut check);
        issues
    }

    /// The invalid combinations of valid values (see the module documentation).
    fn check_combinations(&self, check: &mut impl FnMut(&'static str, bool, String)) {
        let budget = self.max_num_batched_tokens;
        match self.scheduler {
            Scheduler::Vllm => check(
                "max_num_batched_tokens",
                budget >= self.max_model_len,
                format!(
                    "{budget} is below max_model_len ({}): with the vllm scheduler a prompt is \
                 prefilled in one iteration, so a longer prompt would never be scheduled; raise \
                 max_num_batched_tokens to at least {}, lower max_model_len, or use scheduler: chunked",
                    self.max_model_len, self.max_model_len
                ),
            ),
            Scheduler::Chunked => check(
                "max_num_batched_tokens",
                budget >= self.max_num_seqs,
                format!(
                    "{budget} is below max_num_seqs ({}): the decodes of a full running set (one token \
                 each) would not fit one iteration; raise max_num_batched_tokens to at least {} or \
                 lower max_num_seqs",
                    self.max_num_seqs, self.max_num_seqs
                ),
            ),
        }
    }

    /// Blocks in the replica's KV cache: ⌊kv_cache_tokens / block_size⌋.
    pub fn kv_blocks(&self) -> u32 {
        let blocks = self.kv_cache_tokens / u64::from(self.block_size);
        u32::try_from(blocks).expect("a validated configuration has at most u32::MAX blocks")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> LlmConfig {
        LlmConfig {
            scheduler: Scheduler::Vllm,
            max_num_seqs: 256,
            max_num_batched_tokens: 8192,
            max_model_len: 8192,
            block_size: 16,
            kv_cache_tokens: 200_000,
            role: Role::Colocated,
        }
    }

    fn keys(c: &LlmConfig) -> Vec<&'static str> {
        c.validate().into_iter().map(|i| i.key).collect()
    }

    #[test]
    fn spec_example_is_valid_and_has_12500_blocks() {
        let c = base();
        assert!(c.validate().is_empty());
        // ⌊200,000 / 16⌋ = 12,500.
        assert_eq!(c.kv_blocks(), 12_500);
    }

    #[test]
    fn zeros_and_bounds_name_their_key() {
        let c = LlmConfig { max_num_seqs: 0, block_size: 0, max_model_len: 0, ..base() };
        assert_eq!(keys(&c), ["max_num_seqs", "max_model_len", "block_size"]);
        let c = LlmConfig { max_model_len: MAX_MODEL_LEN_LIMIT + 1, max_num_batched_tokens: 1 << 21, ..base() };
        assert_eq!(keys(&c), ["max_model_len"]);
        let c = LlmConfig { kv_cache_tokens: 15, ..base() };
        let issues = c.validate();
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0].to_string(),
            "llm.kv_cache_tokens: holds 0 blocks of 16 tokens; it must hold between 1 and 4294967295 blocks (found 15 tokens)"
        );
        let c = LlmConfig { kv_cache_tokens: (u64::from(u32::MAX) + 1) * 16, ..base() };
        assert_eq!(keys(&c), ["kv_cache_tokens"]);
    }

    #[test]
    fn vllm_budget_below_max_model_len_is_refused_but_chunked_accepts_it() {
        let c = LlmConfig { max_num_batched_tokens: 2048, max_model_len: 4096, ..base() };
        let issues = c.validate();
        assert_eq!(keys(&c), ["max_num_batched_tokens"]);
        assert!(issues[0].message.contains("use scheduler: chunked"), "{}", issues[0].message);
        let c = LlmConfig { scheduler: Scheduler::Chunked, ..c };
        assert!(c.validate().is_empty());
    }

    #[test]
    fn chunked_budget_below_max_num_seqs_is_refused() {
        let c = LlmConfig { scheduler: Scheduler::Chunked, max_num_batched_tokens: 128, ..base() };
        assert_eq!(keys(&c), ["max_num_batched_tokens"]);
        let c = LlmConfig { max_num_seqs: 128, ..c };
        assert!(c.validate().is_empty());
    }

    #[test]
    fn kv_cache_smaller_than_max_model_len_is_valid() {
        // Requests that do not fit are refused at enqueue instead.
        let c = LlmConfig { kv_cache_tokens: 1024, ..base() };
        assert!(c.validate().is_empty());
    }
}
