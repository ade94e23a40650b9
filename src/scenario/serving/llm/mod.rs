//! `llm:` — an LLM serving engine on every replica instead of `service:`/`batcher:` (SPEC "LLM
//! serving (token level)"): the scheduler, the limits, the paged KV cache and the step-time
//! model, with a pool's own `llm:` overriding any key for that pool's replicas. With `model`
//! ([`sizing`]), the pool's GPU sizes the replica: replicas per instance, `kv_cache_tokens` and
//! `max_model_len` default to what the model and GPU give, and the step time may be the roofline
//! ([`step_time`]); `models:` ([`models`]) adds models to the catalog.
//!
//! Defaults (shown in `summary.json`'s `assumptions` when they come from the model) are vLLM's
//! engine arguments: `scheduler: vllm`, `max_num_seqs: 256`, `block_size: 16`, and
//! `max_num_batched_tokens` = max(`max_model_len`, 2048) for `vllm` (vLLM without chunked prefill)
//! or 2048 for `chunked`. Without a model, `max_model_len`, `kv_cache_tokens` and `step_time` have
//! no default: they depend on the model and the GPU.

pub mod models;
pub mod sizing;
pub mod step_time;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::llm::StepTime;
use crate::llm::catalog::{ModelSpec, Precision, find_gpu};
use crate::llm::config::{LlmConfig, MAX_MODEL_LEN_LIMIT, Role, Scheduler};
use crate::metrics::summary::Assumption;
use crate::scenario::PoolSpec;
use crate::scenario::error::{Invalid, invalid};
pub use sizing::Sizing;
pub use step_time::{RawCalibrated, RawFitted, RawRoofline, RawStepTime};

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
    /// The model (built-in or from `models:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Weights precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// KV cache precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_precision: Option<Precision>,
    /// GPUs one replica spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor_parallel: Option<u32>,
    /// Fraction of each GPU's memory the engine uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_memory_utilization: Option<f64>,
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

/// A step-time model shared by the replicas of a pool, with the words that describe it.
#[derive(Clone)]
pub struct StepModel {
    /// The model.
    pub model: Arc<dyn StepTime>,
    /// What it is, for parameters and reports (e.g. `fitted: prefill [a, b, c] ms, …`).
    pub describe: String,
    /// Derived from the pool's GPU (roofline, calibrated): the instance type's speed is not what
    /// tells GPUs apart.
    pub gpu_aware: bool,
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
    /// Replicas one instance of the pool hosts (its GPUs / `tensor_parallel`; 1 without a model
    /// or `tensor_parallel`).
    pub replicas_per_instance: u32,
    /// The model on its GPUs, when `model` is given.
    pub sizing: Option<Sizing>,
}

/// The validated `llm:` section: the engine of each pool's replicas, in `fleet.pools` order.
#[derive(Clone, Debug)]
pub struct LlmSpec {
    /// One per pool.
    pub pools: Vec<LlmPool>,
    /// Keys left to their default, with the value used (`max_num_seqs` → `256`), for the
    /// assumptions.
    pub defaults: Vec<(&'static str, String)>,
    /// What the pools' models derive (KV capacity, replicas per instance, step time), for the
    /// run's assumptions.
    pub assumptions: Vec<Assumption>,
    /// Prefill and decode pools with the KV link between them (`llm.disaggregated`); each pool's
    /// `config.role` follows it.
    pub disaggregated: Option<super::disaggregated::Disaggregation>,
}

/// Where the `llm:` sections apply: the pools, the scenario's `models:` and its folder.
pub(in crate::scenario) struct LlmContext<'a> {
    pub pools: &'a [PoolSpec],
    pub models: &'a [ModelSpec],
    pub base_dir: &'a Path,
}

/// The `llm:` section and each pool's own (`pool_llm[i]` is `fleet.pools[i].llm`).
pub(in crate::scenario) fn llm(raw: &RawLlm, pool_llm: &[Option<&RawLlm>], cx: &LlmContext<'_>) -> Result<LlmSpec> {
    let mut defaults = Vec::new();
    let mut assumptions = Vec::new();
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
        let place = Place { pool: &cx.pools[i], models: cx.models, base_dir: cx.base_dir };
        let defaults = if i == 0 { Some(&mut defaults) } else { None };
        let pool = pool(&merged, &place, &key_of, &sets, defaults, &mut assumptions)?;
        pools.push(pool);
    }
    Ok(LlmSpec { pools, defaults, assumptions, disaggregated: None })
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
        model: own.model.clone().or_else(|| base.model.clone()),
        precision: own.precision.or(base.precision),
        kv_precision: own.kv_precision.or(base.kv_precision),
        tensor_parallel: own.tensor_parallel.or(base.tensor_parallel),
        gpu_memory_utilization: own.gpu_memory_utilization.or(base.gpu_memory_utilization),
        disaggregated: None,
    }
}

/// One pool: what its replicas run on.
struct Place<'a> {
    pool: &'a PoolSpec,
    models: &'a [ModelSpec],
    base_dir: &'a Path,
}

fn pool(
    raw: &RawLlm,
    place: &Place<'_>,
    key_of: &dyn Fn(&str, bool) -> String,
    sets: &dyn Fn(fn(&RawLlm) -> bool) -> bool,
    defaults: Option<&mut Vec<(&'static str, String)>>,
    assumptions: &mut Vec<Assumption>,
) -> Result<LlmPool> {
    let scheduler = match raw.scheduler.unwrap_or(RawScheduler::Vllm) {
        RawScheduler::Vllm => Scheduler::Vllm,
        RawScheduler::Chunked => Scheduler::Chunked,
    };
    let instance = &place.pool.instance;
    // Sizing keys: the pool's when it sets the key or its own instance type decides.
    let sizing_key =
        |k: &str| key_of(k, sets(|r| r.model.is_some() || r.precision.is_some() || r.tensor_parallel.is_some()));
    let replicas_per_instance = sizing::replicas(raw, instance, &sizing_key)?;
    let resolved = sizing::resolve(raw, place.models, instance, &sizing_key)?;
    let model_len = resolved.as_ref().and_then(|r| r.max_context).map(|c| c.min(MAX_MODEL_LEN_LIMIT));
    let Some(max_model_len) = raw.max_model_len.or(model_len) else {
        return invalid(
            key_of("max_model_len", false),
            "missing: the longest prompt + output a replica accepts (e.g. 8192); it depends on the model",
        );
    };
    let max_num_batched_tokens = raw.max_num_batched_tokens.unwrap_or(match scheduler {
        Scheduler::Vllm => max_model_len.max(DEFAULT_BATCHED_TOKENS),
        Scheduler::Chunked => DEFAULT_BATCHED_TOKENS,
    });
    let block_size = raw.block_size.unwrap_or(DEFAULT_BLOCK_SIZE);
    let (kv_cache_tokens, sizing) = match (&resolved, raw.kv_cache_tokens) {
        (Some(r), given) => {
            let (derived, sizing) =
                sizing::kv_capacity(r, max_num_batched_tokens, block_size.max(1), instance, &sizing_key("model"))?;
            (given.unwrap_or(derived), Some(sizing))
        }
        (None, Some(given)) => (given, None),
        (None, None) => {
            return invalid(
                key_of("kv_cache_tokens", false),
                "missing: the KV cache of one replica in tokens (e.g. 200000: what fits in GPU memory beside the weights), or give llm.model to derive it",
            );
        }
    };
    let config = LlmConfig {
        scheduler,
        max_num_seqs: raw.max_num_seqs.unwrap_or(DEFAULT_MAX_NUM_SEQS),
        max_num_batched_tokens,
        max_model_len,
        block_size,
        kv_cache_tokens,
        role: Role::Colocated,
    };
    check(&config, key_of, sets)?;
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
    let step_key = |k: &str| key_of(k, sets(|r| r.step_time.is_some()));
    let cx = step_time::StepContext { placement: resolved.as_ref().map(|r| &r.placement), base_dir: place.base_dir };
    let (step_time, step_time_defaulted) = match (&raw.step_time, &resolved) {
        (Some(st), _) => (step_time::step_model(st, &cx, &step_key)?, false),
        (None, Some(_)) => {
            (step_time::step_model(&RawStepTime::Roofline(RawRoofline::default()), &cx, &step_key)?, true)
        }
        (None, None) => {
            return invalid(
                key_of("step_time", false),
                "missing: how long an iteration takes, e.g. step_time: { fitted: { prefill_ms: [a, b, c], decode_ms: [a, b, c] } }, or give llm.model for a roofline",
            );
        }
    };
    sizing::Derived {
        pool: &place.pool.name,
        instance,
        raw,
        sizing: sizing.as_ref(),
        gpu: find_gpu(&instance.gpu),
        kv_cache_tokens,
        max_model_len,
        replicas_per_instance,
        step_time: &step_time.describe,
        step_time_defaulted,
    }
    .assumptions(assumptions);
    Ok(LlmPool { config, step_time, replicas_per_instance, sizing })
}

/// The configuration's own checks, each under the key that decides it.
fn check(
    config: &LlmConfig,
    key_of: &dyn Fn(&str, bool) -> String,
    sets: &dyn Fn(fn(&RawLlm) -> bool) -> bool,
) -> Result<()> {
    let Some(issue) = config.validate().into_iter().next() else { return Ok(()) };
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
    invalid(key_of(issue.key, pool_sets), issue.message)
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

    const MODEL: &str = "name: x\nhorizon: 1m\nworkload:\n  arrivals:\n    poisson: { rate: 5/s }\n  tokens: { prompt: { fixed: 100 }, output: { fixed: 10 } }\n\
        llm:\n  model: llama-3-8b\n\
        fleet:\n  pools:\n    - { name: a, instance: g6.xlarge, count: 1 }\n";

    #[test]
    fn a_model_derives_the_kv_cache_max_model_len_and_a_roofline() {
        let s = from_yaml(MODEL).unwrap();
        let pool = &s.serving().unwrap().llm().unwrap().pools[0];
        // Llama-3-8B bf16 on one L4 (24 GiB) at 0.9: 23,192,823,398.4 B usable − weights
        // 16,060,522,496 B − reserve (1 GiB + 8192 × (2 × 14,336 + 4 × 4,096) × 2 B =
        // 1,811,939,328 B) = 5,320,361,574.4 B over 128 KiB per token = 40,591.1 → 40,591.
        assert_eq!(pool.config.kv_cache_tokens, 40_591);
        assert_eq!(pool.config.max_model_len, 8192, "the model's context");
        assert_eq!(pool.config.max_num_batched_tokens, 8192);
        assert_eq!(pool.replicas_per_instance, 1);
        assert!(
            pool.step_time.describe.starts_with("roofline: compute_efficiency 0.65"),
            "{}",
            pool.step_time.describe
        );
        let keys: Vec<&str> = s.assumptions.iter().map(|a| a.key.as_str()).collect();
        for key in [
            "llm.kv_cache_tokens",
            "llm.tensor_parallel",
            "llm.precision",
            "llm.kv_precision",
            "llm.step_time.roofline",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        assert!(!keys.contains(&"fleet.instance_types[].speed"), "a roofline pool does not rest on speed 1.0");
    }

    #[test]
    fn a_pool_of_eight_gpus_at_tp_2_hosts_four_replicas() {
        let yaml = MODEL.replace("g6.xlarge, count: 1 }", "p4d.24xlarge, count: 1, llm: { tensor_parallel: 2 } }");
        let s = from_yaml(&yaml).unwrap();
        assert_eq!(s.serving().unwrap().llm().unwrap().pools[0].replicas_per_instance, 4);
        let e = from_yaml(&MODEL.replace("model: llama-3-8b", "model: llama-3-8b\n  tensor_parallel: 3"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("llm.tensor_parallel: tensor_parallel 3 does not divide the instance's 1 GPU(s)"), "{e}");
    }

    #[test]
    fn errors_name_the_sizing_key() {
        for (from, to, fragment) in [
            ("llama-3-8b", "llama-9", "llm.model: unknown model \"llama-9\": use one of"),
            (
                "model: llama-3-8b",
                "model: llama-3-70b\n  precision: bf16",
                "llm.model: llama-3-70b at bf16 does not fit on 1 × L4",
            ),
            (
                "model: llama-3-8b",
                "model: llama-3-8b\n  gpu_memory_utilization: 1.5",
                "llm.gpu_memory_utilization: must be in (0, 1]",
            ),
            (
                "model: llama-3-8b",
                "max_model_len: 4096\n  kv_cache_tokens: 1000\n  step_time: { roofline: {} }",
                "llm.step_time.roofline: needs llm.model",
            ),
            (
                "model: llama-3-8b",
                "max_model_len: 4096\n  kv_cache_tokens: 1000\n  precision: fp8\n  step_time: { fitted: { prefill_ms: [1, 0, 0], decode_ms: [1, 0, 0] } }",
                "llm.precision: needs llm.model",
            ),
            (
                "model: llama-3-8b",
                "model: llama-3-8b\n  step_time: { roofline: { compute_efficiency: 2 } }",
                "llm.step_time.roofline.compute_efficiency: must be in (0, 1]",
            ),
            (
                "model: llama-3-8b",
                "model: llama-3-8b\n  step_time: { calibrated: { path: nowhere.csv } }",
                "llm.step_time.calibrated.path: ",
            ),
        ] {
            let e = from_yaml(&MODEL.replace(from, to)).expect_err(fragment).to_string();
            assert!(e.contains(fragment), "{fragment}: {e}");
        }
    }

    #[test]
    fn models_add_a_model() {
        let yaml = MODEL.replace("model: llama-3-8b", "model: my-7b")
            + "models:\n  - { name: my-7b, params: 6.7e9, layers: 32, hidden: 4096, heads: 32, kv_heads: 8, head_dim: 128, vocab: 32000 }\n";
        let e = from_yaml(&yaml).unwrap_err().to_string();
        assert!(e.contains("llm.max_model_len: missing"), "no context given: {e}");
        let s = from_yaml(&yaml.replace("vocab: 32000 }", "vocab: 32000, max_context: 4096 }")).unwrap();
        let pool = &s.serving().unwrap().llm().unwrap().pools[0];
        assert_eq!(pool.sizing.as_ref().unwrap().model, "my-7b");
        assert_eq!(pool.config.max_model_len, 4096);
    }
}
