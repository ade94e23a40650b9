//! A pool's LLM replica from `llm.model`: the model (a `models:` entry or the catalog's), the GPU
//! of the pool's instance type, `precision`, `kv_precision`, `tensor_parallel` and
//! `gpu_memory_utilization` — and what follows from them: replicas per instance, the KV capacity
//! `kv_cache_tokens` defaults to, and the assumptions a run states about them.
//!
//! Defaults follow vLLM's engine arguments: `dtype: auto` is the checkpoint's 16-bit type (bf16,
//! cast to fp16 on GPUs without bf16, as vLLM does below compute capability 8.0), and
//! `kv_cache_dtype: auto` is the model's dtype: 16-bit (fp32 only with fp32 weights) whatever the
//! weights' quantization (fp8, int8, int4); `tensor_parallel_size: 1`;
//! `gpu_memory_utilization: 0.9`. Without `model` or `tensor_parallel` an instance is one replica,
//! as before these keys existed: the step time then describes the whole instance.

use crate::llm::catalog::sizing::{
    MemoryBudget, Placement, SizingError, kv_bytes_per_token, replicas_per_instance, weights_bytes,
};
use crate::llm::catalog::{GIB, GpuSpec, ModelSpec, Precision, find_gpu, gpus};
use crate::metrics::summary::Assumption;
use crate::scenario::InstanceSpec;
use crate::scenario::error::{Invalid, invalid};

use super::RawLlm;
use super::models;

type Result<T> = std::result::Result<T, Invalid>;

/// vLLM's `gpu_memory_utilization` default.
pub const DEFAULT_GPU_MEMORY_UTILIZATION: f64 = 0.9;

/// What a pool's replica is made of, when the scenario names its model.
#[derive(Clone, Debug, PartialEq)]
pub struct Sizing {
    /// Model name.
    pub model: String,
    /// GPU name (the instance type's `gpu`).
    pub gpu: String,
    /// Weights precision.
    pub precision: Precision,
    /// KV cache precision.
    pub kv_precision: Precision,
    /// GPUs per replica.
    pub tensor_parallel: u32,
    /// Fraction of each GPU's memory the engine uses.
    pub gpu_memory_utilization: f64,
    /// Weights of one replica, GiB.
    pub weights_gib: f64,
    /// Runtime and activation reserve of one replica, GiB.
    pub reserve_gib: f64,
    /// Memory the engine may use on the replica's GPUs, GiB.
    pub usable_gib: f64,
    /// KV bytes per token.
    pub kv_bytes_per_token: f64,
}

/// The model, GPU and knobs of one pool, before its limits are known.
pub(super) struct Resolved<'m> {
    pub placement: Placement<'m>,
    pub gpu_memory_utilization: f64,
    /// The model's longest context, when its entry gives one.
    pub max_context: Option<u32>,
}

/// Whether a scenario error under `key` says a placement cannot run — the model does not fit the
/// GPUs, tensor parallelism does not divide the instance's GPUs or the model's heads, the GPU
/// lacks the precision — rather than that a value is malformed: a sweep reports such a cell as
/// infeasible and runs the others.
pub fn infeasible(key: Option<&str>, message: &str) -> bool {
    let Some(key) = key else { return false };
    let last = key.rsplit('.').next().unwrap_or(key);
    match last {
        "model" => message.contains(" does not fit on "),
        "tensor_parallel" => message.starts_with("tensor_parallel ") && message.contains(" does not divide "),
        "precision" => message.contains(" tensor cores "),
        _ => false,
    }
}

/// The placement `raw` names for a pool on `instance`, or `None` without `llm.model`; keys
/// that need a model are refused without one.
pub(super) fn resolve<'m>(
    raw: &RawLlm,
    own_models: &'m [ModelSpec],
    instance: &InstanceSpec,
    key_of: &dyn Fn(&str) -> String,
) -> Result<Option<Resolved<'m>>> {
    let Some(name) = &raw.model else {
        for (key, given) in [
            ("precision", raw.precision.is_some()),
            ("kv_precision", raw.kv_precision.is_some()),
            ("gpu_memory_utilization", raw.gpu_memory_utilization.is_some()),
        ] {
            if given {
                return invalid(key_of(key), "needs llm.model: it sizes the model's weights and KV cache on the GPU");
            }
        }
        return Ok(None);
    };
    let Some(model) = models::find(name, own_models) else {
        return invalid(
            key_of("model"),
            format!("unknown model {name:?}: use one of {} or add it under models:", models::names(own_models)),
        );
    };
    let gpu = gpu_of(instance, &key_of("model"))?;
    let sixteen = if gpu.supports(Precision::Bf16) { Precision::Bf16 } else { Precision::Fp16 };
    let precision = raw.precision.unwrap_or(sixteen);
    let kv_precision = raw.kv_precision.unwrap_or(match precision {
        Precision::Fp32 | Precision::Bf16 | Precision::Fp16 => precision,
        Precision::Fp8 | Precision::Int8 | Precision::Int4 => sixteen,
    });
    let gmu = raw.gpu_memory_utilization.unwrap_or(DEFAULT_GPU_MEMORY_UTILIZATION);
    if !(gmu > 0.0 && gmu <= 1.0) {
        return invalid(key_of("gpu_memory_utilization"), format!("must be in (0, 1], found {gmu}"));
    }
    let placement =
        Placement { model, gpu, precision, kv_precision, tensor_parallel: raw.tensor_parallel.unwrap_or(1) };
    placement.check().map_err(|e| {
        let key = if e.to_string().contains("tensor_parallel") { "tensor_parallel" } else { "precision" };
        Invalid { key: key_of(key), message: format!("{e} (model {}, {} × {})", model.name, instance.gpus, gpu.name) }
    })?;
    let max_context = (model.max_context != u32::MAX).then_some(model.max_context);
    Ok(Some(Resolved { placement, gpu_memory_utilization: gmu, max_context }))
}

/// The catalog GPU of `instance`; an error under `key` when there is none.
fn gpu_of(instance: &InstanceSpec, key: &str) -> Result<&'static GpuSpec> {
    if let Some(gpu) = find_gpu(&instance.gpu).filter(|_| instance.gpus > 0) {
        return Ok(gpu);
    }
    let known: Vec<&str> = gpus().iter().map(|g| g.name.as_str()).collect();
    invalid(
        key,
        format!(
            "instance type {} has no GPU the catalog describes (gpu {:?}, {} GPUs): the model needs one of {} \
             (set fleet.instance_types[].gpu and gpus)",
            instance.name,
            instance.gpu,
            instance.gpus,
            known.join(", ")
        ),
    )
}

/// Replicas one instance of `instance` hosts: gpus / tensor_parallel with a model or
/// `tensor_parallel` given, else 1.
pub(super) fn replicas(raw: &RawLlm, instance: &InstanceSpec, key_of: &dyn Fn(&str) -> String) -> Result<u32> {
    if raw.model.is_none() && raw.tensor_parallel.is_none() {
        return Ok(1);
    }
    let tp = raw.tensor_parallel.unwrap_or(1);
    if instance.gpus == 0 {
        return invalid(
            key_of("tensor_parallel"),
            format!("instance type {} has no GPUs to spread a replica over", instance.name),
        );
    }
    replicas_per_instance(instance.gpus, tp)
        .map_err(|e| Invalid { key: key_of("tensor_parallel"), message: format!("{e} ({})", instance.name) })
}

/// The KV capacity left beside the weights, or the error that says what would fit (under `key`).
pub(super) fn kv_capacity(
    r: &Resolved<'_>,
    max_num_batched_tokens: u32,
    block_size: u32,
    instance: &InstanceSpec,
    key: &str,
) -> Result<(u64, Sizing)> {
    let budget = MemoryBudget {
        gpu_memory_utilization: r.gpu_memory_utilization,
        max_num_batched_tokens,
        min_kv_tokens: u64::from(block_size),
        ..MemoryBudget::default()
    };
    let p = &r.placement;
    let tokens = p.kv_capacity_tokens(&budget).map_err(|mut e| {
        if let SizingError::DoesNotFit(fit) = &mut e {
            // More tensor parallelism than the instance has GPUs needs another instance type.
            for fix in &mut fit.fixes {
                if let Some(tp) = fix.strip_prefix("tensor_parallel: ").and_then(|n| n.parse::<u32>().ok())
                    && tp > instance.gpus
                {
                    *fix = format!("tensor_parallel: {tp} on an instance type with {tp} or more GPUs");
                }
            }
        }
        Invalid {
            key: key.to_string(),
            message: format!("{e} (instance type {}, {} GPU(s))", instance.name, instance.gpus),
        }
    })?;
    let sizing = Sizing {
        model: p.model.name.clone(),
        gpu: p.gpu.name.clone(),
        precision: p.precision,
        kv_precision: p.kv_precision,
        tensor_parallel: p.tensor_parallel,
        gpu_memory_utilization: r.gpu_memory_utilization,
        weights_gib: weights_bytes(p.model, p.precision) / GIB,
        reserve_gib: p.reserve_bytes(&budget) / GIB,
        usable_gib: p.usable_bytes(&budget) / GIB,
        kv_bytes_per_token: kv_bytes_per_token(p.model, p.kv_precision),
    };
    Ok((tokens, sizing))
}

/// What a pool's replica takes from defaults and derivations, for the run's assumptions.
pub(super) struct Derived<'a> {
    pub pool: &'a str,
    pub instance: &'a InstanceSpec,
    pub raw: &'a RawLlm,
    pub sizing: Option<&'a Sizing>,
    pub gpu: Option<&'a GpuSpec>,
    pub kv_cache_tokens: u64,
    pub max_model_len: u32,
    pub replicas_per_instance: u32,
    pub step_time: &'a str,
    pub step_time_defaulted: bool,
}

const VLLM_ARGS: &str = "https://docs.vllm.ai/en/latest/configuration/engine_args.html";
const BLIS: &str = "https://github.com/inference-sim/inference-sim (hardware_config.json at commit 006cae8)";

impl Derived<'_> {
    /// The entries, in a fixed order.
    pub(super) fn assumptions(&self, out: &mut Vec<Assumption>) {
        let who = format!("pool {} ({})", self.pool, self.instance.name);
        let entry = |what: String, key: &str, value: String, source: &str, caveat: &str| Assumption {
            what,
            key: format!("llm.{key}"),
            value,
            source: source.into(),
            date: String::new(),
            caveat: caveat.into(),
        };
        if self.raw.model.is_some() || self.raw.tensor_parallel.is_some() {
            let tp = self.sizing.map_or(self.raw.tensor_parallel.unwrap_or(1), |s| s.tensor_parallel);
            out.push(entry(
                format!("replicas per instance of {who}"),
                "tensor_parallel",
                format!(
                    "{} ({} GPUs / tensor_parallel {tp}); the instance is billed once",
                    self.replicas_per_instance, self.instance.gpus
                ),
                "fleetsim default",
                if self.raw.tensor_parallel.is_none() {
                    "tensor_parallel defaults to 1 (vLLM's tensor_parallel_size)"
                } else {
                    ""
                },
            ));
        }
        let Some(s) = self.sizing else { return };
        if let Some(g) = self.gpu {
            out.push(Assumption {
                what: format!("GPU of {who}"),
                key: "fleet.instance_types[].gpu".into(),
                value: format!(
                    "{} × {}: {} GiB, {} TFLOP/s dense at {}, {} GB/s",
                    self.instance.gpus,
                    g.name,
                    g.memory_gib,
                    g.peak_flops(s.precision) / 1e12,
                    s.precision,
                    g.bandwidth_gbps
                ),
                source: g.source.clone(),
                date: g.date.clone(),
                caveat: "datasheet peaks; the roofline's efficiencies say how much of them an iteration reaches".into(),
            });
        }
        if self.raw.precision.is_none() {
            out.push(entry(
                format!("weights precision of {who}"),
                "precision",
                s.precision.to_string(),
                VLLM_ARGS,
                "vLLM's dtype auto: the checkpoint's bf16, fp16 on GPUs without bf16",
            ));
        }
        if self.raw.kv_precision.is_none() {
            out.push(entry(
                format!("KV cache precision of {who}"),
                "kv_precision",
                s.kv_precision.to_string(),
                VLLM_ARGS,
                "vLLM's kv_cache_dtype auto: the model's 16-bit dtype, also under fp8/int8/int4 weights",
            ));
        }
        if self.raw.gpu_memory_utilization.is_none() {
            out.push(entry(
                format!("GPU memory for the engine of {who}"),
                "gpu_memory_utilization",
                s.gpu_memory_utilization.to_string(),
                VLLM_ARGS,
                "vLLM's default",
            ));
        }
        if self.raw.max_model_len.is_none() {
            out.push(entry(
                format!("max_model_len of {who}"),
                "max_model_len",
                self.max_model_len.to_string(),
                "fleetsim catalog --models",
                "the model's max_position_embeddings, as vLLM takes it",
            ));
        }
        if self.raw.kv_cache_tokens.is_none() {
            out.push(entry(
                format!("KV cache of one replica of {who}"),
                "kv_cache_tokens",
                format!(
                    "{} tokens: {:.1} GiB = {} × {:.1} GiB × {} − weights {:.1} GiB ({} {}) − reserve {:.1} GiB, at {} KiB/token ({})",
                    self.kv_cache_tokens,
                    self.kv_cache_tokens as f64 * s.kv_bytes_per_token / GIB,
                    s.tensor_parallel,
                    s.usable_gib / s.tensor_parallel as f64 / s.gpu_memory_utilization,
                    s.gpu_memory_utilization,
                    s.weights_gib,
                    s.model,
                    s.precision,
                    s.reserve_gib,
                    s.kv_bytes_per_token / 1024.0,
                    s.kv_precision
                ),
                "fleetsim default",
                "the reserve (1 GiB per GPU for CUDA context, NCCL and graphs, plus one max_num_batched_tokens forward \
                 pass of 16-bit activations) is an allowance: vLLM measures it at start-up",
            ));
        }
        if self.step_time_defaulted || self.step_time.starts_with("roofline") {
            out.push(entry(format!("step time of {who}"), "step_time.roofline", self.step_time.to_string(), BLIS,
                "BLIS's constants for H100/A100; against published TensorRT-LLM iterations the defaults err by 28% on average \
                 (README \"Step times without a profile\"); calibrate with measured iterations"));
        }
    }
}
