//! Built-in catalogs of LLMs and GPUs, each figure with its source and date (SPEC "Models, GPUs
//! and step times without a profile").
//!
//! `models.csv` holds each model's shape from its Hugging Face `config.json` (parameters, layers,
//! hidden and intermediate sizes, attention and KV heads, head size, vocabulary, experts);
//! `gpus.csv` holds each GPU's memory, dense tensor throughput per precision, memory bandwidth and
//! interconnect from the vendor's datasheet. Both are compiled in with [`include_str!`]; every row
//! carries `source` (a URL), `date` (YYYY-MM-DD: the model's release, or the GPU's launch, which
//! dates the datasheet figures) and a `note` on how the figure was read or derived.
//!
//! GPU names are the instance catalog's `gpu` column ([`crate::fleet::catalog`]), so an instance
//! type finds its GPU with [`gpu_of_instance`]. [`sizing`] turns a model, a GPU and a precision
//! into weights, KV bytes per token, replicas per instance and KV capacity.

pub mod sizing;

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The model catalog, compiled in.
const MODELS_CSV: &str = include_str!("models.csv");
/// The GPU catalog, compiled in.
const GPUS_CSV: &str = include_str!("gpus.csv");

/// Numeric precision of weights (`precision`) or of the KV cache (`kv_precision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit float.
    Fp32,
    /// bfloat16.
    Bf16,
    /// IEEE half precision.
    Fp16,
    /// 8-bit float (E4M3).
    Fp8,
    /// 8-bit integer (weight-only quantization: compute at 16 bits).
    Int8,
    /// 4-bit integer (weight-only quantization such as AWQ/GPTQ: compute at 16 bits).
    Int4,
}

impl Precision {
    /// Every precision, widest first.
    pub const ALL: [Precision; 6] =
        [Precision::Fp32, Precision::Bf16, Precision::Fp16, Precision::Fp8, Precision::Int8, Precision::Int4];

    /// Bytes per element (0.5 for int4).
    pub fn bytes(self) -> f64 {
        match self {
            Precision::Fp32 => 4.0,
            Precision::Bf16 | Precision::Fp16 => 2.0,
            Precision::Fp8 | Precision::Int8 => 1.0,
            Precision::Int4 => 0.5,
        }
    }

    /// The scenario word (`bf16`).
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Bf16 => "bf16",
            Precision::Fp16 => "fp16",
            Precision::Fp8 => "fp8",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Precision::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown precision {s:?}: expected fp32, bf16, fp16, fp8, int8 or int4"))
    }
}

/// One model's shape (Hugging Face `config.json` names in brackets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// fleetsim's name, e.g. `llama-3-8b`.
    pub name: String,
    /// Hugging Face repository.
    pub hf_repo: String,
    /// Architecture family (`llama`, `qwen2`, `mixtral`, `opt`): how parameters add up.
    pub arch: String,
    /// All parameters.
    pub params: u64,
    /// Parameters one token passes through (= `params` for dense models).
    pub active_params: u64,
    /// Transformer layers [num_hidden_layers].
    pub layers: u32,
    /// Hidden size [hidden_size].
    pub hidden: u32,
    /// MLP width per expert [intermediate_size / ffn_dim].
    pub intermediate: u32,
    /// Attention (query) heads [num_attention_heads].
    pub heads: u32,
    /// Key/value heads [num_key_value_heads]; = `heads` without grouped-query attention.
    pub kv_heads: u32,
    /// Size of one head (hidden / heads for these models).
    pub head_dim: u32,
    /// Vocabulary [vocab_size].
    pub vocab: u32,
    /// Whether the output projection shares the input embedding's weights.
    pub tied_embeddings: bool,
    /// Experts per MoE layer (1 for dense models).
    pub experts: u32,
    /// Experts each token is routed to (1 for dense models).
    pub experts_per_token: u32,
    /// Longest context the model supports [max_position_embeddings].
    pub max_context: u32,
    /// URL the shape comes from.
    pub source: String,
    /// Date (YYYY-MM-DD) the model was released.
    pub date: String,
    /// How the figures were read or derived.
    pub note: String,
}

impl ModelSpec {
    /// A dense model from the keys a scenario's `models:` entry gives (SPEC: params, layers,
    /// hidden, heads, kv_heads, head_dim, vocab). The rest is filled in: no experts, untied
    /// embeddings, and an MLP width of 8/3 × hidden rounded up to a multiple of 256 (Llama's
    /// SwiGLU sizing: 11,008 for hidden 4,096), which only the activation reserve uses.
    #[allow(clippy::too_many_arguments)]
    pub fn custom(
        name: &str,
        params: u64,
        layers: u32,
        hidden: u32,
        heads: u32,
        kv_heads: u32,
        head_dim: u32,
        vocab: u32,
    ) -> ModelSpec {
        let intermediate = (8 * hidden as u64).div_ceil(3 * 256) as u32 * 256;
        ModelSpec {
            name: name.to_string(),
            hf_repo: String::new(),
            arch: "llama".to_string(),
            params,
            active_params: params,
            layers,
            hidden,
            intermediate,
            heads,
            kv_heads,
            head_dim,
            vocab,
            tied_embeddings: false,
            experts: 1,
            experts_per_token: 1,
            max_context: u32::MAX,
            source: "scenario models:".to_string(),
            date: String::new(),
            note: "given in the scenario".to_string(),
        }
    }
}

/// One GPU's datasheet figures (dense, i.e. without structured sparsity).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuSpec {
    /// Name as in the instance catalog's `gpu` column (`A100-80GB`).
    pub name: String,
    /// Memory, GiB (the datasheet's GB).
    pub memory_gib: f64,
    /// Dense bf16 tensor throughput, TFLOP/s (0: no bf16).
    pub bf16_tflops: f64,
    /// Dense fp16 tensor throughput, TFLOP/s.
    pub fp16_tflops: f64,
    /// Dense fp8 tensor throughput, TFLOP/s (0: no fp8 tensor cores).
    pub fp8_tflops: f64,
    /// Dense int8 tensor throughput, TOP/s (0: none).
    pub int8_tops: f64,
    /// fp32 (non-tensor) throughput, TFLOP/s.
    pub fp32_tflops: f64,
    /// Memory bandwidth, GB/s.
    pub bandwidth_gbps: f64,
    /// GPU-to-GPU link: `nvlink` or `pcie`.
    pub interconnect: String,
    /// Link bandwidth per GPU, GB/s, both directions together (as datasheets state it).
    pub interconnect_gbps: f64,
    /// URL of the datasheet.
    pub source: String,
    /// Date (YYYY-MM-DD) of the launch that published the figures.
    pub date: String,
    /// How the figures were read (sparse figures halved, missing formats).
    pub note: String,
}

impl GpuSpec {
    /// Peak dense FLOP/s of matrix products for weights at `precision`.
    ///
    /// fp8 uses fp8 tensor cores where the GPU has them and 16-bit compute elsewhere; int8 and
    /// int4 are weight-only quantization (W8A16/W4A16, as vLLM's AWQ/GPTQ/Marlin kernels run), so
    /// they compute at 16 bits too. 16-bit compute is bf16 where the GPU has it, else fp16.
    pub fn peak_flops(&self, precision: Precision) -> f64 {
        let sixteen = if self.bf16_tflops > 0.0 { self.bf16_tflops } else { self.fp16_tflops };
        let tflops = match precision {
            Precision::Fp32 => self.fp32_tflops,
            Precision::Bf16 => self.bf16_tflops,
            Precision::Fp16 => self.fp16_tflops,
            Precision::Fp8 if self.fp8_tflops > 0.0 => self.fp8_tflops,
            Precision::Fp8 | Precision::Int8 | Precision::Int4 => sixteen,
        };
        tflops * 1e12
    }

    /// Whether weights at `precision` can run here (bf16 needs bf16 tensor cores: vLLM refuses
    /// bf16 below compute capability 8.0, e.g. on T4 and V100).
    pub fn supports(&self, precision: Precision) -> bool {
        precision != Precision::Bf16 || self.bf16_tflops > 0.0
    }

    /// Memory bandwidth, bytes/s.
    pub fn bandwidth_bytes_per_s(&self) -> f64 {
        self.bandwidth_gbps * 1e9
    }

    /// Link bandwidth in one direction, bytes/s: half the datasheet's both-directions figure.
    pub fn link_bytes_per_s(&self) -> f64 {
        self.interconnect_gbps / 2.0 * 1e9
    }

    /// Memory, bytes.
    pub fn memory_bytes(&self) -> f64 {
        self.memory_gib * GIB
    }
}

/// Bytes in a GiB.
pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn parse<T: for<'de> Deserialize<'de>>(csv_text: &str, what: &str) -> Vec<T> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize()
        .map(|row| row.unwrap_or_else(|e| panic!("built-in {what} row is malformed: {e}")))
        .collect()
}

/// Every built-in model, parsed once.
pub fn models() -> &'static [ModelSpec] {
    static MODELS: OnceLock<Vec<ModelSpec>> = OnceLock::new();
    MODELS.get_or_init(|| parse(MODELS_CSV, "models.csv"))
}

/// Every built-in GPU, parsed once.
pub fn gpus() -> &'static [GpuSpec] {
    static GPUS: OnceLock<Vec<GpuSpec>> = OnceLock::new();
    GPUS.get_or_init(|| parse(GPUS_CSV, "gpus.csv"))
}

/// A built-in model by exact name.
pub fn find_model(name: &str) -> Option<&'static ModelSpec> {
    models().iter().find(|m| m.name == name)
}

/// A built-in GPU by exact name.
pub fn find_gpu(name: &str) -> Option<&'static GpuSpec> {
    gpus().iter().find(|g| g.name == name)
}

/// The GPU spec of an instance type (by its `gpu` column) and how many it has; `None` for
/// CPU-only types and GPUs the catalog does not describe.
pub fn gpu_of_instance(instance: &crate::fleet::catalog::InstanceType) -> Option<(&'static GpuSpec, u32)> {
    find_gpu(&instance.gpu).map(|g| (g, instance.gpus))
}

#[cfg(test)]
mod tests;
