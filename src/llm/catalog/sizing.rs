//! Memory sizing of one replica: weights at a precision, KV bytes per token, replicas per
//! instance and the KV capacity left beside the weights (pure functions of catalog rows).
//!
//! KV capacity follows vLLM's rule: of each GPU's memory, `gpu_memory_utilization` is the
//! engine's; weights, activations and runtime buffers come out of it and the rest is KV cache.
//! fleetsim cannot profile, so the non-weight part is a documented reserve ([`MemoryBudget`]):
//! `runtime_reserve_gib` per GPU for the CUDA context, NCCL and CUDA-graph buffers (an
//! allowance, not a measurement: vLLM measures these at start-up), plus the activations of one
//! forward pass over `max_num_batched_tokens` tokens at 16 bits — per token, the MLP's gate and up
//! projections of each routed expert (2 × intermediate × experts_per_token) and four hidden-size
//! tensors (residual, normalised input, attention output, MLP output), split over the GPUs.
//! A placement whose capacity falls below `min_kv_tokens` does not fit: the error names the
//! tensor parallelism, precisions and GPUs that would.

use super::{GIB, GpuSpec, ModelSpec, Precision, gpus};

/// Bytes of the weights at `precision` (every parameter at that width; quantization scales and
/// 16-bit embeddings of int4/int8 checkpoints add a few percent that this leaves out).
pub fn weights_bytes(model: &ModelSpec, precision: Precision) -> f64 {
    model.params as f64 * precision.bytes()
}

/// KV bytes per token: 2 (K and V) × layers × KV heads × head size × bytes per element.
pub fn kv_bytes_per_token(model: &ModelSpec, kv_precision: Precision) -> f64 {
    2.0 * model.layers as f64 * model.kv_heads as f64 * model.head_dim as f64 * kv_precision.bytes()
}

/// Replicas an instance with `gpus` GPUs hosts at `tensor_parallel` GPUs per replica.
pub fn replicas_per_instance(gpus: u32, tensor_parallel: u32) -> Result<u32, SizingError> {
    if tensor_parallel == 0 || tensor_parallel > gpus || !gpus.is_multiple_of(tensor_parallel) {
        return Err(SizingError::TensorParallel(format!(
            "tensor_parallel {tensor_parallel} does not divide the instance's {gpus} GPU(s): use one of {}",
            divisors(gpus).iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(gpus / tensor_parallel)
}

fn divisors(n: u32) -> Vec<u32> {
    (1..=n).filter(|d| n.is_multiple_of(*d)).collect()
}

/// How a replica uses GPU memory (vLLM's knobs and fleetsim's reserve; see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryBudget {
    /// Fraction of each GPU's memory the engine may use (vLLM's default 0.9).
    pub gpu_memory_utilization: f64,
    /// Tokens of the largest forward pass, whose activations are reserved (SPEC's example 8192).
    pub max_num_batched_tokens: u32,
    /// Runtime allowance per GPU (CUDA context, NCCL, CUDA graphs), GiB.
    pub runtime_reserve_gib: f64,
    /// Fewest KV tokens a replica must hold to fit (e.g. one `max_model_len` sequence).
    pub min_kv_tokens: u64,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget {
            gpu_memory_utilization: 0.9,
            max_num_batched_tokens: 8192,
            runtime_reserve_gib: 1.0,
            min_kv_tokens: 16,
        }
    }
}

/// A model on GPUs: what a replica is made of.
#[derive(Clone, Copy, Debug)]
pub struct Placement<'a> {
    /// The model.
    pub model: &'a ModelSpec,
    /// The GPU (every GPU of the replica is one of these).
    pub gpu: &'a GpuSpec,
    /// Weights precision.
    pub precision: Precision,
    /// KV cache precision.
    pub kv_precision: Precision,
    /// GPUs per replica.
    pub tensor_parallel: u32,
}

impl Placement<'_> {
    /// Checks what does not depend on memory: the GPU runs the precisions, and the heads split
    /// evenly over `tensor_parallel` GPUs (vLLM requires it).
    pub fn check(&self) -> Result<(), SizingError> {
        for p in [self.precision, self.kv_precision] {
            if !self.gpu.supports(p) {
                return Err(SizingError::Unsupported(format!(
                    "{} has no {p} tensor cores (vLLM needs compute capability 8.0 for bf16): use fp16",
                    self.gpu.name
                )));
            }
        }
        let (tp, heads) = (self.tensor_parallel, self.model.heads);
        if tp == 0 || !heads.is_multiple_of(tp) {
            return Err(SizingError::TensorParallel(format!(
                "tensor_parallel {tp} does not divide {}'s {heads} attention heads: use one of {}",
                self.model.name,
                divisors(heads).iter().filter(|d| **d <= 8).map(u32::to_string).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(())
    }

    /// Bytes held besides weights and KV: runtime allowance and peak activations.
    pub fn reserve_bytes(&self, budget: &MemoryBudget) -> f64 {
        let m = self.model;
        let width = 2.0 * m.intermediate as f64 * m.experts_per_token as f64 + 4.0 * m.hidden as f64;
        let activations = budget.max_num_batched_tokens as f64 * width * 2.0;
        self.tensor_parallel as f64 * budget.runtime_reserve_gib * GIB + activations
    }

    /// Bytes the engine may use on the replica's GPUs.
    pub fn usable_bytes(&self, budget: &MemoryBudget) -> f64 {
        self.gpu.memory_bytes() * budget.gpu_memory_utilization * self.tensor_parallel as f64
    }

    /// KV tokens the replica holds (`kv_cache_tokens`' default), or why it does not fit.
    pub fn kv_capacity_tokens(&self, budget: &MemoryBudget) -> Result<u64, SizingError> {
        self.check()?;
        match self.kv_tokens(budget) {
            Some(tokens) if tokens >= budget.min_kv_tokens => Ok(tokens),
            _ => Err(SizingError::DoesNotFit(self.fit_error(budget))),
        }
    }

    /// KV tokens left, if any memory is.
    fn kv_tokens(&self, budget: &MemoryBudget) -> Option<u64> {
        let free = self.usable_bytes(budget) - weights_bytes(self.model, self.precision) - self.reserve_bytes(budget);
        (free > 0.0).then(|| (free / kv_bytes_per_token(self.model, self.kv_precision)).floor() as u64)
    }

    fn fits(&self, budget: &MemoryBudget) -> bool {
        self.check().is_ok() && self.kv_tokens(budget).is_some_and(|t| t >= budget.min_kv_tokens)
    }

    /// The error for a placement that does not fit, with the alternatives that would.
    fn fit_error(&self, budget: &MemoryBudget) -> FitError {
        let mut fixes = Vec::new();
        if let Some(tp) = [2, 4, 8].into_iter().find(|&tp| tp > self.tensor_parallel && self.with_tp(tp).fits(budget)) {
            fixes.push(format!("tensor_parallel: {tp}"));
        }
        let smaller: Vec<_> = [Precision::Fp8, Precision::Int8, Precision::Int4]
            .into_iter()
            .filter(|p| p.bytes() < self.precision.bytes() && Placement { precision: *p, ..*self }.fits(budget))
            .map(|p| p.as_str())
            .collect();
        if !smaller.is_empty() {
            fixes.push(format!("precision: {}", smaller.join(" or ")));
        }
        let larger: Vec<_> = gpus()
            .iter()
            .filter(|g| g.memory_gib > self.gpu.memory_gib && Placement { gpu: g, ..*self }.fits(budget))
            .map(|g| format!("{} ({} GiB)", g.name, g.memory_gib))
            .collect();
        if !larger.is_empty() {
            fixes.push(format!("a larger GPU: {}", larger.join(", ")));
        }
        FitError {
            model: self.model.name.clone(),
            precision: self.precision,
            gpu: self.gpu.name.clone(),
            tensor_parallel: self.tensor_parallel,
            weights_gib: weights_bytes(self.model, self.precision) / GIB,
            reserve_gib: self.reserve_bytes(budget) / GIB,
            usable_gib: self.usable_bytes(budget) / GIB,
            gpu_memory_utilization: budget.gpu_memory_utilization,
            fixes,
        }
    }

    fn with_tp(&self, tensor_parallel: u32) -> Placement<'_> {
        Placement { tensor_parallel, ..*self }
    }
}

/// Why a replica cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SizingError {
    /// Tensor parallelism does not divide the GPUs or the heads.
    #[error("{0}")]
    TensorParallel(String),
    /// The GPU lacks a precision.
    #[error("{0}")]
    Unsupported(String),
    /// The weights and reserve leave too little memory for KV.
    #[error("{0}")]
    DoesNotFit(FitError),
}

/// A model that does not fit, with what would.
#[derive(Clone, Debug, PartialEq)]
pub struct FitError {
    /// Model name.
    pub model: String,
    /// Weights precision tried.
    pub precision: Precision,
    /// GPU tried.
    pub gpu: String,
    /// GPUs per replica tried.
    pub tensor_parallel: u32,
    /// Weights, GiB.
    pub weights_gib: f64,
    /// Runtime and activation reserve, GiB.
    pub reserve_gib: f64,
    /// Memory the engine may use on the replica's GPUs, GiB.
    pub usable_gib: f64,
    /// The utilization that bounded it.
    pub gpu_memory_utilization: f64,
    /// Alternatives that fit (`tensor_parallel: 2`, `precision: fp8`, `a larger GPU: …`).
    pub fixes: Vec<String>,
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at {} does not fit on {} × {}: weights {:.1} GiB + reserve {:.1} GiB leave no KV cache in the {:.1} GiB \
             that gpu_memory_utilization {} allows",
            self.model,
            self.precision,
            self.tensor_parallel,
            self.gpu,
            self.weights_gib,
            self.reserve_gib,
            self.usable_gib,
            self.gpu_memory_utilization
        )?;
        if self.fixes.is_empty() {
            write!(f, "; nothing in the catalog fits it at this tensor parallelism")
        } else {
            write!(f, "; what would fit: {}", self.fixes.join("; or "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::catalog::{find_gpu, find_model};

    fn placement<'a>(model: &str, gpu: &str, precision: Precision, tp: u32) -> Placement<'a> {
        Placement {
            model: find_model(model).unwrap(),
            gpu: find_gpu(gpu).unwrap(),
            precision,
            kv_precision: Precision::Fp16,
            tensor_parallel: tp,
        }
    }

    #[test]
    fn kv_bytes_per_token_by_hand() {
        // Llama-2-7B: 2 × 32 layers × 32 KV heads × 128 × 2 B = 524,288 B = 512 KiB.
        let l2 = find_model("llama-2-7b").unwrap();
        assert_eq!(kv_bytes_per_token(l2, Precision::Bf16), 512.0 * 1024.0);
        // Llama-3-8B has 8 KV heads (grouped-query attention): 2 × 32 × 8 × 128 × 2 B = 128 KiB.
        let l3 = find_model("llama-3-8b").unwrap();
        assert_eq!(kv_bytes_per_token(l3, Precision::Fp16), 128.0 * 1024.0);
        assert_eq!(kv_bytes_per_token(l3, Precision::Fp8), 64.0 * 1024.0);
    }

    #[test]
    fn weights_by_hand() {
        // 6,738,415,616 parameters × 2 B = 13,476,831,232 B; at int4 a quarter of that.
        let l2 = find_model("llama-2-7b").unwrap();
        assert_eq!(weights_bytes(l2, Precision::Bf16), 13_476_831_232.0);
        assert_eq!(weights_bytes(l2, Precision::Int4), 13_476_831_232.0 / 4.0);
    }

    #[test]
    fn replicas_per_instance_by_hand() {
        // p4d.24xlarge has 8 GPUs: tp 2 makes four replicas, tp 8 one.
        assert_eq!(replicas_per_instance(8, 2), Ok(4));
        assert_eq!(replicas_per_instance(8, 8), Ok(1));
        assert_eq!(replicas_per_instance(1, 1), Ok(1));
        for (gpus, tp) in [(8, 3), (4, 8), (8, 0)] {
            let err = replicas_per_instance(gpus, tp).unwrap_err().to_string();
            assert!(err.contains("does not divide"), "{err}");
        }
        assert!(replicas_per_instance(8, 3).unwrap_err().to_string().ends_with("1, 2, 4, 8"));
    }

    #[test]
    fn kv_capacity_by_hand() {
        // Llama-3-8B bf16 on one H100 at 0.9: usable 0.9 × 80 GiB = 72 GiB = 77,309,411,328 B;
        // weights 8,030,261,248 × 2 = 16,060,522,496 B; reserve 1 GiB + 8192 tokens ×
        // (2 × 14,336 + 4 × 4,096) × 2 B = 1,073,741,824 + 738,197,504 = 1,811,939,328 B;
        // left 59,436,949,504 B / 131,072 B per token = 453,467.94 → 453,467 tokens.
        let p = placement("llama-3-8b", "H100", Precision::Bf16, 1);
        assert_eq!(p.kv_capacity_tokens(&MemoryBudget::default()), Ok(453_467));
        // Two GPUs hold twice the memory and the reserve per GPU, the weights once.
        let two = p.with_tp(2).kv_capacity_tokens(&MemoryBudget::default()).unwrap();
        assert_eq!(two, (2.0 * 77_309_411_328.0 - 16_060_522_496.0 - 2.0 * GIB - 738_197_504.0) as u64 / 131_072);
    }

    #[test]
    fn seventy_b_at_bf16_does_not_fit_one_80_gb_gpu() {
        // 70,553,706,496 × 2 B = 131.4 GiB of weights > 72 GiB usable.
        let p = placement("llama-3-70b", "H100", Precision::Bf16, 1);
        let SizingError::DoesNotFit(e) = p.kv_capacity_tokens(&MemoryBudget::default()).unwrap_err() else {
            panic!("expected DoesNotFit");
        };
        assert!((e.weights_gib - 131.4).abs() < 0.05, "{}", e.weights_gib);
        // tp 2 gives 144 GiB usable: 131.4 + 2.0 + 0.6 reserve fits (KV ≈ 10 GiB); fp8 (65.7 GiB)
        // fits one GPU, int8 too, and int4 (32.9 GiB); no single catalog GPU holds 131 GiB + reserve
        // at 0.9 × 141 GiB = 126.9 GiB.
        assert_eq!(e.fixes, ["tensor_parallel: 2", "precision: fp8 or int8 or int4"]);
        let text = e.to_string();
        // Reserve: 1 GiB + 8192 × (2 × 28,672 + 4 × 8,192) × 2 B = 2.37 GiB.
        assert_eq!(
            text,
            "llama-3-70b at bf16 does not fit on 1 × H100: weights 131.4 GiB + reserve 2.4 GiB leave no KV cache in \
             the 72.0 GiB that gpu_memory_utilization 0.9 allows; what would fit: tensor_parallel: 2; or precision: \
             fp8 or int8 or int4"
        );
        // A 13B model at bf16 fits an H100 but not a 16 GB T4 (fp16): the error points at GPUs.
        let t4 = placement("llama-2-13b", "T4", Precision::Fp16, 1);
        let SizingError::DoesNotFit(e) = t4.kv_capacity_tokens(&MemoryBudget::default()).unwrap_err() else {
            panic!("expected DoesNotFit");
        };
        assert!(e.fixes.iter().any(|f| f.starts_with("a larger GPU: L40S (48 GiB)")), "{:?}", e.fixes);
    }

    #[test]
    fn placements_that_cannot_run() {
        let t4 = placement("llama-2-7b", "T4", Precision::Bf16, 1);
        assert!(t4.check().unwrap_err().to_string().contains("use fp16"));
        // Qwen2.5-7B has 28 heads: tp 8 does not divide them.
        let q = placement("qwen2.5-7b", "H100", Precision::Bf16, 8);
        let err = q.check().unwrap_err().to_string();
        assert!(err.contains("28 attention heads: use one of 1, 2, 4, 7"), "{err}");
    }
}
