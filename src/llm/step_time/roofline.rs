//! The roofline step-time model: an iteration's time from its FLOPs and bytes on a known model
//! and GPU, with no profile (SPEC "Models, GPUs and step times without a profile").
//!
//! time = overhead + layer_overhead × layers + sequence_overhead × sequences
//!      + max(FLOPs / (peak × compute_efficiency), bytes / (bandwidth × bandwidth_efficiency))
//!      + tensor-parallel all-reduces,
//! each GPU of a replica doing 1/tp of the FLOPs and bytes. With T = prompt + decode tokens:
//! - FLOPs = 2 × (active parameters − embeddings) × T (every matrix product) + 2 × vocab × hidden ×
//!   (prompts + decodes) (the output projection runs once per sequence) + attention: 2 × layers ×
//!   heads × head_dim × Σ((p+k)² − p²) over prompt chunks (causal QKᵀ and AV, quadratic in the
//!   prompt) + 4 × layers × heads × head_dim × Σ C over decodes (linear in the context);
//! - bytes = weights read once (for mixture-of-experts, the shared part plus the experts the T
//!   tokens are expected to touch under uniform routing) + KV read (Σ C of decodes, Σ p of prompt
//!   chunks) + KV written (T tokens), at the KV precision;
//! - all-reduce: two per layer (after attention and after the MLP) of T × hidden 16-bit
//!   activations, ring algorithm: 2 (tp−1)/tp × bytes over one direction of the GPU's link ×
//!   interconnect_efficiency, plus allreduce_latency each.
//!
//! Defaults ([`RooflineParams::default`]) come from BLIS's published roofline configuration
//! (https://github.com/inference-sim/inference-sim, `hardware_config.json` at commit 006cae8: the
//! constants its authors ship for H100 and A100): prefill MFU 0.65, effective bandwidth 0.72 of
//! peak, 500 µs per step plus 20 µs per layer, 20 µs per all-reduce. The interconnect efficiency 0.75 is an assumption (no published
//! figure we could cite). README "Step times without a profile" reports their error against
//! published measurements.

use crate::llm::catalog::sizing::{Placement, SizingError, kv_bytes_per_token};
use crate::llm::catalog::{GpuSpec, ModelSpec};
use crate::llm::{IterationShape, StepTime};

/// The roofline's coefficients (scenario keys under `step_time: { roofline: { … } }`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RooflineParams {
    /// Fraction of peak FLOP/s reached (`compute_efficiency`, in (0, 1]).
    pub compute_efficiency: f64,
    /// Fraction of peak memory bandwidth reached (`bandwidth_efficiency`, in (0, 1]).
    pub bandwidth_efficiency: f64,
    /// Fixed time per iteration: scheduling, launches, sampling (`overhead`), seconds.
    pub overhead_s: f64,
    /// Time per layer per iteration (`layer_overhead`), seconds.
    pub layer_overhead_s: f64,
    /// Time per sequence in the iteration (`sequence_overhead`), seconds.
    pub sequence_overhead_s: f64,
    /// Fraction of one link direction's bandwidth an all-reduce reaches (`interconnect_efficiency`).
    pub interconnect_efficiency: f64,
    /// Fixed time of one all-reduce (`allreduce_latency`), seconds.
    pub allreduce_latency_s: f64,
}

impl Default for RooflineParams {
    /// BLIS's defaults (see the module docs); sequence overhead 0 (BLIS has none).
    fn default() -> Self {
        RooflineParams {
            compute_efficiency: 0.65,
            bandwidth_efficiency: 0.72,
            overhead_s: 500e-6,
            layer_overhead_s: 20e-6,
            sequence_overhead_s: 0.0,
            interconnect_efficiency: 0.75,
            allreduce_latency_s: 20e-6,
        }
    }
}

impl RooflineParams {
    /// Checks values a scenario may give: efficiencies in (0, 1] (the interconnect's may exceed
    /// 1, as a calibration's scale of the default link model), times finite and ≥ 0. The message
    /// names the key.
    pub fn validate(&self) -> Result<(), String> {
        for (key, value) in
            [("compute_efficiency", self.compute_efficiency), ("bandwidth_efficiency", self.bandwidth_efficiency)]
        {
            if !(value > 0.0 && value <= 1.0) {
                return Err(format!("{key}: must be in (0, 1] (a fraction of the GPU's peak), found {value}"));
            }
        }
        if self.interconnect_efficiency.is_nan() || self.interconnect_efficiency <= 0.0 {
            return Err(format!("interconnect_efficiency: must be > 0, found {}", self.interconnect_efficiency));
        }
        for (key, value) in [
            ("overhead", self.overhead_s),
            ("layer_overhead", self.layer_overhead_s),
            ("sequence_overhead", self.sequence_overhead_s),
            ("allreduce_latency", self.allreduce_latency_s),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("{key}: must be a duration ≥ 0, found {value} s"));
            }
        }
        Ok(())
    }
}

/// An iteration's roofline terms at 100% efficiency, per GPU, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Terms {
    /// FLOPs / peak.
    pub compute_s: f64,
    /// Bytes / bandwidth.
    pub memory_s: f64,
    /// All-reduce bytes / one link direction (0 at tp 1).
    pub allreduce_bytes_s: f64,
    /// All-reduces (2 per layer at tp > 1, else 0).
    pub allreduces: f64,
    /// Sequences in the iteration.
    pub sequences: f64,
}

/// The constants of one placement that an iteration's terms are built from.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Shape {
    layers: f64,
    hidden: f64,
    /// FLOPs per token of the matrix products outside the output projection.
    block_flops_per_token: f64,
    /// FLOPs of the output projection per sequence.
    head_flops_per_seq: f64,
    /// FLOPs per (query, key) pair of attention, over all layers: 2 × layers × heads × head_dim.
    attention_flops_per_pair: f64,
    /// Bytes of weights every iteration reads (mixture-of-experts: the shared part).
    shared_weight_bytes: f64,
    /// Bytes of one expert's weights over all layers, its count, and experts per token.
    expert_bytes: f64,
    experts: f64,
    experts_per_token: f64,
    kv_bytes_per_token: f64,
    tp: f64,
    peak_flops: f64,
    bandwidth: f64,
    link: f64,
}

/// The roofline of one model on one GPU at a precision and tensor parallelism.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roofline {
    /// Its coefficients.
    pub params: RooflineParams,
    shape: Shape,
}

impl Roofline {
    /// The roofline of a placement (checked: the GPU runs its precisions, heads divide over tp).
    pub fn new(placement: &Placement<'_>, params: RooflineParams) -> Result<Self, SizingError> {
        placement.check()?;
        Ok(Roofline { params, shape: Shape::of(placement) })
    }

    /// The iteration's terms at 100% efficiency.
    pub fn terms(&self, shape: &IterationShape) -> Terms {
        self.shape.terms(shape)
    }

    /// Seconds of an iteration with these terms under `params`.
    pub fn seconds_of(&self, terms: &Terms, params: &RooflineParams) -> f64 {
        params.overhead_s
            + params.layer_overhead_s * self.shape.layers
            + params.sequence_overhead_s * terms.sequences
            + (terms.compute_s / params.compute_efficiency).max(terms.memory_s / params.bandwidth_efficiency)
            + terms.allreduce_bytes_s / params.interconnect_efficiency
            + terms.allreduces * params.allreduce_latency_s
    }

    /// The same placement with other coefficients.
    pub fn with_params(&self, params: RooflineParams) -> Roofline {
        Roofline { params, ..*self }
    }

    /// Layers of the model (what `layer_overhead` multiplies).
    pub fn layers(&self) -> f64 {
        self.shape.layers
    }
}

impl StepTime for Roofline {
    fn seconds(&self, shape: &IterationShape) -> f64 {
        self.seconds_of(&self.terms(shape), &self.params)
    }
}

impl Shape {
    fn of(p: &Placement<'_>) -> Shape {
        let (m, g): (&ModelSpec, &GpuSpec) = (p.model, p.gpu);
        let bytes = p.precision.bytes();
        let head_params = m.vocab as f64 * m.hidden as f64;
        let embedding_params = head_params * if m.tied_embeddings { 1.0 } else { 2.0 };
        let (experts, per_token) = (m.experts as f64, m.experts_per_token as f64);
        // params = shared + experts × e and active = shared + per_token × e.
        let expert_params =
            if m.experts > 1 { (m.params - m.active_params) as f64 / (experts - per_token) } else { 0.0 };
        Shape {
            layers: m.layers as f64,
            hidden: m.hidden as f64,
            block_flops_per_token: 2.0 * (m.active_params as f64 - embedding_params),
            head_flops_per_seq: 2.0 * head_params,
            attention_flops_per_pair: 2.0 * m.layers as f64 * m.heads as f64 * m.head_dim as f64,
            shared_weight_bytes: (m.params as f64 - experts * expert_params) * bytes,
            expert_bytes: expert_params * bytes,
            experts,
            experts_per_token: per_token,
            kv_bytes_per_token: kv_bytes_per_token(m, p.kv_precision),
            tp: p.tensor_parallel as f64,
            peak_flops: g.peak_flops(p.precision),
            bandwidth: g.bandwidth_bytes_per_s(),
            link: g.link_bytes_per_s(),
        }
    }

    fn terms(&self, s: &IterationShape) -> Terms {
        let tokens = s.prefill_tokens as f64 + s.decode_seqs as f64;
        let sequences = s.prefill_seqs as f64 + s.decode_seqs as f64;
        // Σ((p+k)² − p²)/2 query-key pairs in prompt chunks (causal), Σ C in decodes (2 products each).
        let pairs = s.prefill_sq as f64 / 2.0 + 2.0 * s.decode_context as f64;
        let flops = self.block_flops_per_token * tokens
            + self.head_flops_per_seq * sequences
            + self.attention_flops_per_pair * pairs;
        let kv_read = (s.decode_context + s.prefill_prior) as f64;
        let bytes = self.weight_bytes(tokens) + self.kv_bytes_per_token * (kv_read + tokens);
        let (allreduce_bytes_s, allreduces) = if self.tp > 1.0 && tokens > 0.0 {
            let message = tokens * self.hidden * 2.0;
            let ring = 2.0 * (self.tp - 1.0) / self.tp * message;
            (2.0 * self.layers * ring / self.link, 2.0 * self.layers)
        } else {
            (0.0, 0.0)
        };
        Terms {
            compute_s: flops / self.tp / self.peak_flops,
            memory_s: bytes / self.tp / self.bandwidth,
            allreduce_bytes_s,
            allreduces,
            sequences,
        }
    }

    /// Weights an iteration of `tokens` tokens reads: with E experts of which each token takes K,
    /// an expert is untouched by all tokens with probability (1 − K/E)^tokens.
    fn weight_bytes(&self, tokens: f64) -> f64 {
        if self.experts <= 1.0 {
            return self.shared_weight_bytes;
        }
        let touched = 1.0 - (1.0 - self.experts_per_token / self.experts).powf(tokens.max(1.0));
        self.shared_weight_bytes + self.experts * self.expert_bytes * touched
    }
}

#[cfg(test)]
mod tests;
