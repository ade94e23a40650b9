//! The roofline against iterations worked out by hand from the catalog's figures.

use super::*;
use crate::llm::catalog::sizing::Placement;
use crate::llm::catalog::{Precision, find_gpu, find_model};

fn roofline(model: &str, gpu: &str, precision: Precision, tp: u32) -> Roofline {
    let placement = Placement {
        model: find_model(model).unwrap(),
        gpu: find_gpu(gpu).unwrap(),
        precision,
        kv_precision: precision,
        tensor_parallel: tp,
    };
    Roofline::new(&placement, RooflineParams::default()).unwrap()
}

/// Relative closeness: the hand computations below are exact up to float rounding (1e-12).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-9)
}

#[test]
fn one_decode_on_a100_is_memory_bound() {
    // Llama-2-7B fp16 on an A100-80GB, one sequence decoding with 1,000 tokens of context.
    let r = roofline("llama-2-7b", "A100-80GB", Precision::Fp16, 1);
    let shape = IterationShape { decode_seqs: 1, decode_context: 1000, ..Default::default() };
    // FLOPs: 2 × (6,738,415,616 − 2 × 32,000 × 4,096) for the blocks + 2 × 32,000 × 4,096 for the
    // output projection + 4 × 32 layers × 32 heads × 128 × 1,000 for attention.
    let flops = 2.0 * (6_738_415_616.0 - 262_144_000.0) + 262_144_000.0 + 524_288_000.0;
    // Bytes: 13,476,831,232 of weights + 512 KiB × (1,000 read + 1 written).
    let bytes = 13_476_831_232.0 + 524_288.0 * 1001.0;
    let t = r.terms(&shape);
    assert!(close(t.compute_s, flops / 312e12), "{t:?}");
    assert!(close(t.memory_s, bytes / 2039e9), "{t:?}");
    assert_eq!((t.allreduces, t.allreduce_bytes_s, t.sequences), (0.0, 0.0, 1.0));
    // 0.5 ms + 32 × 20 µs + bytes / (2,039 GB/s × 0.72) = 1.14 ms + 9.5374 ms.
    let expected = 500e-6 + 32.0 * 20e-6 + bytes / (2039e9 * 0.72);
    assert!(close(r.seconds(&shape), expected), "{} vs {expected}", r.seconds(&shape));
    assert!((r.seconds(&shape) - 10.677e-3).abs() < 1e-6);
}

#[test]
fn a_long_prompt_on_h100_fp8_is_compute_bound() {
    // Llama-3-8B fp8 on an H100: one 2,048-token prompt.
    let r = roofline("llama-3-8b", "H100", Precision::Fp8, 1);
    let shape = IterationShape { prefill_seqs: 1, prefill_tokens: 2048, prefill_sq: 2048 * 2048, ..Default::default() };
    // Blocks 2 × (8,030,261,248 − 2 × 128,256 × 4,096) per token, output projection once,
    // attention 2 × 32 × 32 × 128 × 2,048² / 2 pairs.
    let head = 2.0 * 128_256.0 * 4096.0;
    let flops = 2.0 * (8_030_261_248.0 - head) * 2048.0 + head + 262_144.0 * 2048.0 * 2048.0 / 2.0;
    let t = r.terms(&shape);
    assert!(close(t.compute_s, flops / 1979e12), "{t:?}");
    // Weights 8.03 GB at 1 B + KV written 2,048 × 64 KiB; read at 3.35 TB/s: 2.44 ms < 21 ms compute.
    assert!(close(t.memory_s, (8_030_261_248.0 + 2048.0 * 65_536.0) / 3350e9));
    let expected = 1.14e-3 + flops / (1979e12 * 0.65);
    assert!(close(r.seconds(&shape), expected));
}

#[test]
fn tensor_parallel_all_reduces() {
    // Llama-2-70B fp16 on 4 × A100-80GB, 8 sequences decoding: each of the 2 × 80 all-reduces
    // moves 2 × 3/4 × (8 tokens × 8,192 × 2 B) = 196,608 B over 300 GB/s (one NVLink direction).
    let r = roofline("llama-2-70b", "A100-80GB", Precision::Fp16, 4);
    let shape = IterationShape { decode_seqs: 8, decode_context: 8 * 500, ..Default::default() };
    let t = r.terms(&shape);
    assert_eq!(t.allreduces, 160.0);
    assert!(close(t.allreduce_bytes_s, 160.0 * 196_608.0 / 300e9), "{t:?}");
    // Each GPU reads a quarter of the weights and of the KV.
    let bytes = 68_976_648_192.0 * 2.0 + 327_680.0 * (4000.0 + 8.0);
    assert!(close(t.memory_s, bytes / 4.0 / 2039e9));
    let comm = t.allreduce_bytes_s / 0.75 + 160.0 * 20e-6;
    let expected = 500e-6 + 80.0 * 20e-6 + t.memory_s / 0.72 + comm;
    assert!(close(r.seconds(&shape), expected));
}

#[test]
fn mixture_of_experts_reads_the_experts_its_tokens_touch() {
    // Mixtral: one token reads exactly its active parameters (shared + 2 of 8 experts); a large
    // batch reads all of them; 2 tokens touch 1 − (6/8)² = 7/16 of the experts on average.
    let r = roofline("mixtral-8x7b", "H100", Precision::Bf16, 1);
    let (active, all) = (12_879_925_248.0 * 2.0, 46_702_792_704.0 * 2.0);
    assert!(close(r.shape.weight_bytes(1.0), active));
    assert!((r.shape.weight_bytes(10_000.0) - all).abs() < 1.0);
    let expert = (all - active) / 6.0;
    let shared = all - 8.0 * expert;
    assert!(close(r.shape.weight_bytes(2.0), shared + 8.0 * expert * 7.0 / 16.0));
    // Its FLOPs per token are those of the active parameters.
    let one = IterationShape { decode_seqs: 1, decode_context: 0, ..Default::default() };
    let head = 2.0 * 32_000.0 * 4096.0;
    assert!(close(r.terms(&one).compute_s, (2.0 * (12_879_925_248.0 - head) + head) / 989.5e12));
}

#[test]
fn chunking_a_prompt_keeps_its_attention_flops_and_reads_its_prefix() {
    // A 1,000-token prompt whole, or as chunks of 600 and 400: the quadratic sums agree
    // (600² + (1000² − 600²) = 1000²); the second chunk reads the 600 tokens already cached.
    let r = roofline("llama-3-8b", "L4", Precision::Bf16, 1);
    let whole = IterationShape { prefill_seqs: 1, prefill_tokens: 1000, prefill_sq: 1_000_000, ..Default::default() };
    let first = IterationShape { prefill_seqs: 1, prefill_tokens: 600, prefill_sq: 360_000, ..Default::default() };
    let second = IterationShape {
        prefill_seqs: 1,
        prefill_tokens: 400,
        prefill_sq: 640_000,
        prefill_prior: 600,
        ..Default::default()
    };
    let (w, a, b) = (r.terms(&whole), r.terms(&first), r.terms(&second));
    let head = 2.0 * 128_256.0 * 4096.0 / 121e12;
    // The chunks run the output projection twice instead of once.
    assert!(close(a.compute_s + b.compute_s, w.compute_s + head));
    let kv = 131_072.0 / 300e9;
    assert!(close(b.memory_s - w.memory_s, kv * (600.0 + 400.0 - 1000.0)));
    assert!(close(b.memory_s, (8_030_261_248.0 * 2.0 + 131_072.0 * 1000.0) / 300e9));
}

#[test]
fn time_grows_with_work_and_an_empty_iteration_costs_the_overhead() {
    let r = roofline("qwen2.5-7b", "L40S", Precision::Fp8, 1);
    let empty = IterationShape::default();
    // Even an empty iteration reads the weights once (7.6 GB at 864 GB/s × 0.72).
    let weights = 7_615_616_512.0 / 864e9 / 0.72;
    assert!(close(r.seconds(&empty), 500e-6 + 28.0 * 20e-6 + weights));
    let mut previous = r.seconds(&empty);
    for seqs in [1, 8, 64, 256] {
        let s = IterationShape { decode_seqs: seqs, decode_context: seqs as u64 * 2000, ..Default::default() };
        let t = r.seconds(&s);
        assert!(t > previous, "{seqs}: {t} ≤ {previous}");
        previous = t;
    }
}

#[test]
fn parameters_are_validated_by_key() {
    assert_eq!(RooflineParams::default().validate(), Ok(()));
    let bad = |p: RooflineParams| p.validate().unwrap_err();
    let d = RooflineParams::default();
    assert!(bad(RooflineParams { compute_efficiency: 0.0, ..d }).starts_with("compute_efficiency: must be in (0, 1]"));
    assert!(bad(RooflineParams { bandwidth_efficiency: 1.5, ..d }).starts_with("bandwidth_efficiency"));
    assert!(bad(RooflineParams { bandwidth_efficiency: f64::NAN, ..d }).starts_with("bandwidth_efficiency"));
    assert!(bad(RooflineParams { interconnect_efficiency: 0.0, ..d }).starts_with("interconnect_efficiency"));
    assert!(bad(RooflineParams { overhead_s: -1e-3, ..d }).starts_with("overhead: must be a duration"));
    assert!(bad(RooflineParams { allreduce_latency_s: f64::INFINITY, ..d }).starts_with("allreduce_latency"));
    assert_eq!(RooflineParams { interconnect_efficiency: f64::INFINITY, ..d }.validate(), Ok(()));
}
