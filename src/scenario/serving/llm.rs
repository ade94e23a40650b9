//! `llm:` — an LLM serving engine on every replica instead of `service:`/`batcher:` (SPEC "LLM
//! serving (token level)"): the scheduler, the limits, the paged KV cache and the step-time
//! model, with a pool's own `llm:` overriding any key for that pool's replicas.
//!
//! Defaults (shown in `summary.json`'s `assumptions` when they shape a result) are vLLM's engine
//! arguments: `scheduler: vllm`, `max_num_seqs: 256`, `block_size: 16`, and
//! `max_num_batched_tokens` = max(`max_model_len`, 2048) for `vllm` (vLLM without chunked prefill)
//! or 2048 for `chunked`. `max_model_len`, `kv_cache_tokens` and `step_time` have no default: they
//! depend on the model and the GPU.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::llm::StepTime;
use crate::llm::config::{LlmConfig, Role, Scheduler};
use crate::llm::step_time::fitted::{Coefficients, Fitted, LargeBatch};
use crate::scenario::error::{Invalid, invalid};

type Result<T> = std::result::Result<T, Invalid>;

/// vLLM's `max_num_seqs` default.
pub const DEFAULT_MAX_NUM_SEQS: u32 = 256;
/// vLLM's `block_size` default.
pub const DEFAULT_BLOCK_SIZE: u32 = 16;
/// vLLM's floor (and chunked-prefill default) for `max_num_batched_tokens`.
pub const DEFAULT_BATCHED_TOKENS: u32 = 2048;

/// `llm:` (and a pool's own `llm:`, where every key is optional and overrides the scenario's).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLlm {
    /// `vllm` (prefill first, default) or `chunked` (decode first, chunked prompts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<RawScheduler>,
    /// Sequences running at once on one replica (default 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_num_seqs: Option<u32>,
    /// Tokens one iteration may process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_num_batched_tokens: Option<u32>,
    /// Prompt + output tokens above this are rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_model_len: Option<u32>,
    /// KV cache allocation unit, tokens (default 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_size: Option<u32>,
    /// KV capacity of one replica, tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_cache_tokens: Option<u64>,
    /// How long an iteration takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_time: Option<RawStepTime>,
    /// Prefill and decode on separate pools (the scenario's `llm:` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disaggregated: Option<super::disaggregated::RawDisaggregated>,
}

/// `llm.scheduler`
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawScheduler {
    /// Prefill first.
    Vllm,
    /// Decode first, prompt chunks fill the token budget.
    Chunked,
}

/// `llm.step_time`: exactly one model.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawStepTime {
    /// DistServe's fitted form, coefficients in milliseconds.
    Fitted(RawFitted),
}

/// `step_time.fitted`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFitted {
    /// `[a, b, c]`: a + b·ΣP + c·Σ(P²), ms.
    pub prefill_ms: [f64; 3],
    /// `[a, b, c]`: a + b·ΣC + c·k, ms.
    pub decode_ms: [f64; 3],
    /// `[a, b, c]` used when k ≥ `large_batch_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decode_large_ms: Option<[f64; 3]>,
    /// Decoding sequences from which `decode_large_ms` applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_batch_from: Option<u32>,
}

/// A step-time model shared by the replicas of a pool, with the words that describe it.
#[derive(Clone)]
pub struct StepModel {
    /// The model.
    pub model: Arc<dyn StepTime>,
    /// What it is, for parameters and reports (e.g. `fitted: prefill [a, b, c] ms, …`).
    pub describe: String,
}

impl fmt::Debug for StepModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe)
    }
}

/// The engine of one pool's replicas.
#[derive(Clone, Debug)]
pub struct LlmPool {
    /// Scheduler, limits and KV cache.
    pub config: LlmConfig,
    /// Iteration times at speed 1.0.
    pub step_time: StepModel,
}

/// The validated `llm:` section: the engine of each pool's replicas, in `fleet.pools` order.
#[derive(Clone, Debug)]
pub struct LlmSpec {
    /// One per pool.
    pub pools: Vec<LlmPool>,
    /// Keys left to their default, with the value used (`max_num_seqs` → `256`), for the
    /// assumptions.
    pub defaults: Vec<(&'static str, String)>,
    /// Prefill and decode pools with the KV link between them (`llm.disaggregated`); each pool's
    /// `config.role` follows it.
    pub disaggregated: Option<super::disaggregated::Disaggregation>,
}

/// The `llm:` section and each pool's own (`pool_llm[i]` is `fleet.pools[i].llm`).
pub(super) fn llm(raw: &RawLlm, pool_llm: &[Option<&RawLlm>]) -> Result<LlmSpec> {
    let mut defaults = Vec::new();
    let mut pools = Vec::with_capacity(pool_llm.len());
    for (i, own) in pool_llm.iter().enumerate() {
        let merged = match own {
            Some(own) => merge(raw, own),
            None => raw.clone(),
        };
        // A key the pool sets is checked under the pool's name; one it inherits, under `llm.`.
        let key_of = |key: &str, pool_sets: bool| {
            if pool_sets { format!("fleet.pools[{i}].llm.{key}") } else { format!("llm.{key}") }
        };
        let sets = |f: fn(&RawLlm) -> bool| own.is_some_and(f);
        let pool = pool(&merged, &key_of, &sets, if i == 0 { Some(&mut defaults) } else { None })?;
        pools.push(pool);
    }
    Ok(LlmSpec { pools, defaults, disaggregated: None })
}

/// `own`'s keys over `base`'s.
fn merge(base: &RawLlm, own: &RawLlm) -> RawLlm {
    RawLlm {
        scheduler: own.scheduler.or(base.scheduler),
        max_num_seqs: own.max_num_seqs.or(base.max_num_seqs),
        max_num_batched_tokens: own.max_num_batched_tokens.or(base.max_num_batched_tokens),
        max_model_len: own.max_model_len.or(base.max_model_len),
        block_size: own.block_size.or(base.block_size),
        kv_cache_tokens: own.kv_cache_tokens.or(base.kv_cache_tokens),
        step_time: own.step_time.clone().or_else(|| base.step_time.clone()),
        disaggregated: None,
    }
}

fn pool(
    raw: &RawLlm,
    key_of: &dyn Fn(&str, bool) -> String,
    sets: &dyn Fn(fn(&RawLlm) -> bool) -> bool,
    defaults: Option<&mut Vec<(&'static str, String)>>,
) -> Result<LlmPool> {
    let scheduler = match raw.scheduler.unwrap_or(RawScheduler::Vllm) {
        RawScheduler::Vllm => Scheduler::Vllm,
        RawScheduler::Chunked => Scheduler::Chunked,
    };
    let Some(max_model_len) = raw.max_model_len else {
        return invalid(
            key_of("max_model_len", false),
            "missing: the longest prompt + output a replica accepts (e.g. 8192); it depends on the model",
        );
    };
    let Some(kv_cache_tokens) = raw.kv_cache_tokens else {
        return invalid(
            key_of("kv_cache_tokens", false),
            "missing: the KV cache of one replica in tokens (e.g. 200000: what fits in GPU memory beside the weights)",
        );
    };
    let max_num_batched_tokens = raw.max_num_batched_tokens.unwrap_or(match scheduler {
        Scheduler::Vllm => max_model_len.max(DEFAULT_BATCHED_TOKENS),
        Scheduler::Chunked => DEFAULT_BATCHED_TOKENS,
    });
    let config = LlmConfig {
        scheduler,
        max_num_seqs: raw.max_num_seqs.unwrap_or(DEFAULT_MAX_NUM_SEQS),
        max_num_batched_tokens,
        max_model_len,
        block_size: raw.block_size.unwrap_or(DEFAULT_BLOCK_SIZE),
        kv_cache_tokens,
        role: Role::Colocated,
    };
    if let Some(issue) = config.validate().into_iter().next() {
        let pool_sets = match issue.key {
            "max_num_seqs" => sets(|r| r.max_num_seqs.is_some()),
            // Checked against max_model_len (vllm) or max_num_seqs (chunked): the pool's when it
            // sets any of them.
            "max_num_batched_tokens" => sets(|r| {
                r.max_num_batched_tokens.is_some()
                    || r.scheduler.is_some()
                    || r.max_num_seqs.is_some()
                    || r.max_model_len.is_some()
            }),
            "max_model_len" => sets(|r| r.max_model_len.is_some()),
            "block_size" => sets(|r| r.block_size.is_some()),
            "kv_cache_tokens" => sets(|r| r.kv_cache_tokens.is_some()),
            _ => false,
        };
        return invalid(key_of(issue.key, pool_sets), issue.message);
    }
    if let Some(defaults) = defaults {
        if raw.scheduler.is_none() {
            defaults.push(("scheduler", "vllm".into()));
        }
        if raw.max_num_seqs.is_none() {
            defaults.push(("max_num_seqs", config.max_num_seqs.to_string()));
        }
        if raw.block_size.is_none() {
            defaults.push(("block_size", config.block_size.to_string()));
        }
        if raw.max_num_batched_tokens.is_none() {
            defaults.push(("max_num_batched_tokens", config.max_num_batched_tokens.to_string()));
        }
    }
    let step_time = match &raw.step_time {
        None => {
            return invalid(
                key_of("step_time", false),
                "missing: how long an iteration takes, e.g. step_time: { fitted: { prefill_ms: [a, b, c], decode_ms: [a, b, c] } }",
            );
        }
        Some(RawStepTime::Fitted(f)) => fitted(f, &|k| key_of(k, sets(|r| r.step_time.is_some())))?,
    };
    Ok(LlmPool { config, step_time })
}

fn fitted(raw: &RawFitted, key_of: &dyn Fn(&str) -> String) -> Result<StepModel> {
    let triple = |t: [f64; 3]| Coefficients::new(t[0], t[1], t[2]);
    let large = match (raw.decode_large_ms, raw.large_batch_from) {
        (None, None) => None,
        (Some(t), Some(from_seqs)) => Some(LargeBatch { decode: triple(t), from_seqs }),
        (Some(_), None) => {
            return invalid(
                key_of("step_time.fitted.large_batch_from"),
                "missing: decode_large_ms applies from this many decoding sequences (DistServe's profiles use 95)",
            );
        }
        (None, Some(_)) => {
            return invalid(
                key_of("step_time.fitted.decode_large_ms"),
                "missing: large_batch_from needs the decode triple it switches to",
            );
        }
    };
    let model = Fitted::new(triple(raw.prefill_ms), triple(raw.decode_ms), large).map_err(|issues| {
        let issue = &issues[0];
        Invalid { key: key_of(issue.key), message: issue.message.clone() }
    })?;
    let fmt3 = |t: [f64; 3]| format!("[{}, {}, {}]", t[0], t[1], t[2]);
    let mut describe = format!("fitted: prefill {} ms, decode {} ms", fmt3(raw.prefill_ms), fmt3(raw.decode_ms));
    if let (Some(t), Some(from)) = (raw.decode_large_ms, raw.large_batch_from) {
        describe.push_str(&format!(", decode {} ms from {from} sequences", fmt3(t)));
    }
    Ok(StepModel { model: Arc::new(model), describe })
}

#[cfg(test)]
mod tests {
    use crate::llm::config::Scheduler;
    use crate::scenario::from_yaml;

    const BASE: &str = "name: x\nhorizon: 1m\nworkload:\n  arrivals:\n    poisson: { rate: 5/s }\n  tokens: { prompt: { fixed: 100 }, output: { fixed: 10 } }\n\
        llm:\n  max_model_len: 4096\n  kv_cache_tokens: 100000\n  step_time: { fitted: { prefill_ms: [10, 0.1, 0], decode_ms: [5, 0.001, 0.1] } }\n\
        fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n    - { name: b, instance: g5.xlarge, count: 1, llm: { scheduler: chunked, max_num_seqs: 8 } }\n";

    #[test]
    fn defaults_and_pool_overrides() {
        let s = from_yaml(BASE).unwrap();
        let llm = s.serving().unwrap().llm().expect("an llm scenario");
        let (a, b) = (&llm.pools[0].config, &llm.pools[1].config);
        assert_eq!(
            (a.scheduler, a.max_num_seqs, a.block_size, a.max_num_batched_tokens),
            (Scheduler::Vllm, 256, 16, 4096)
        );
        assert_eq!((b.scheduler, b.max_num_seqs, b.max_num_batched_tokens), (Scheduler::Chunked, 8, 2048));
        assert_eq!(b.kv_cache_tokens, 100_000, "inherited");
        assert_eq!(s.serving().unwrap().router, crate::scenario::Router::LeastOutstanding, "the LLM default");
    }

    #[test]
    fn errors_name_the_key_that_is_wrong() {
        for (from, to, fragment) in [
            ("  max_model_len: 4096\n", "", "llm.max_model_len: missing"),
            ("  kv_cache_tokens: 100000\n", "", "llm.kv_cache_tokens: missing"),
            (
                "  kv_cache_tokens: 100000\n",
                "  kv_cache_tokens: 100000\n  max_num_batched_tokens: 1000\n",
                "llm.max_num_batched_tokens: 1000 is below max_model_len",
            ),
            (
                "max_num_seqs: 8 }",
                "max_num_seqs: 4000 }",
                "fleet.pools[1].llm.max_num_batched_tokens: 2048 is below max_num_seqs",
            ),
            ("max_num_seqs: 8 }", "max_num_seqs: 0 }", "fleet.pools[1].llm.max_num_seqs: must be between 1"),
            (
                "decode_ms: [5, 0.001, 0.1] }",
                "decode_ms: [5, 0.001, 0.1], decode_large_ms: [1, 2, 3] }",
                "large_batch_from: missing",
            ),
            ("llm:\n", "service: { batch_time: { base: 1ms } }\nllm:\n", "service: an LLM scenario"),
            ("workload:\n", "router: shared_queue\nworkload:\n", "router: LLM replicas"),
        ] {
            let yaml = BASE.replace(from, to);
            let e = from_yaml(&yaml).expect_err(fragment).to_string();
            assert!(e.contains(fragment), "{fragment}: {e}");
        }
    }
}
