//! Catalog checks: every row parses, has a source and a date, and its figures agree with each
//! other (parameters recomputed from the shape; dense figures below sparse ones).

use super::*;
use crate::fleet::catalog as instances;

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[test]
fn required_models_and_gpus_are_present() {
    for name in [
        "llama-2-7b",
        "llama-2-13b",
        "llama-2-70b",
        "llama-3-8b",
        "llama-3-70b",
        "llama-3.1-8b",
        "llama-3.1-70b",
        "mistral-7b",
        "mixtral-8x7b",
        "qwen2.5-7b",
        "qwen2.5-72b",
        "opt-13b",
    ] {
        assert!(find_model(name).is_some(), "model {name} missing");
    }
    for name in ["T4", "A10G", "L4", "L40S", "V100", "A100-40GB", "A100-80GB", "H100", "H200"] {
        assert!(find_gpu(name).is_some(), "GPU {name} missing");
    }
}

#[test]
fn every_row_has_a_source_a_date_and_a_note() {
    for m in models() {
        assert!(m.source.starts_with("https://huggingface.co/"), "{}: {}", m.name, m.source);
        assert!(m.source.contains(&m.hf_repo), "{}: source is not its repo's", m.name);
        assert!(is_date(&m.date) && !m.note.is_empty(), "{}", m.name);
    }
    for g in gpus() {
        assert!(g.source.starts_with("https://"), "{}: {}", g.name, g.source);
        assert!(is_date(&g.date) && !g.note.is_empty(), "{}", g.name);
    }
}

/// Parameters from the shape, by architecture: embeddings (×2 when untied), per layer the
/// attention projections (+ biases for qwen2/opt), the MLP (3 matrices for SwiGLU, 2 + biases for
/// OPT's ReLU MLP) per expert, the MoE router, the norms; OPT adds learned positions.
fn params_from_shape(m: &ModelSpec, experts: u64) -> u64 {
    let (h, i, v) = (m.hidden as u64, m.intermediate as u64, m.vocab as u64);
    let kv = (m.kv_heads * m.head_dim) as u64;
    let embeddings = v * h * if m.tied_embeddings { 1 } else { 2 };
    let attention = 2 * h * h + 2 * h * kv;
    let layer = match m.arch.as_str() {
        "opt" => attention + 4 * h + (2 * h * i + i + h) + 4 * h,
        "qwen2" => attention + h + 2 * kv + 3 * h * i + 2 * h,
        "mixtral" => attention + experts * 3 * h * i + h * m.experts as u64 + 2 * h,
        _ => attention + 3 * h * i + 2 * h,
    };
    let extra = if m.arch == "opt" { 2050 * h + 2 * h } else { h };
    embeddings + m.layers as u64 * layer + extra
}

#[test]
fn parameters_agree_with_the_shape() {
    // Exact: the catalog's counts were computed this way from config.json, and the model cards'
    // rounded figures (7B, 8B, 46.7B/12.9B, 7.61B, 72.7B) agree with them.
    for m in models() {
        assert_eq!(params_from_shape(m, m.experts as u64), m.params, "{}", m.name);
        assert_eq!(params_from_shape(m, m.experts_per_token as u64), m.active_params, "{} active", m.name);
        assert_eq!(m.hidden, m.heads * m.head_dim, "{}", m.name);
        assert_eq!(m.heads % m.kv_heads, 0, "{}", m.name);
    }
    let mixtral = find_model("mixtral-8x7b").unwrap();
    assert_eq!((mixtral.params / 100_000_000, mixtral.active_params / 100_000_000), (467, 128));
}

#[test]
fn gpu_figures_are_consistent() {
    for g in gpus() {
        assert!(g.memory_gib > 0.0 && g.bandwidth_gbps > 0.0 && g.fp16_tflops > 0.0, "{}", g.name);
        assert!(g.interconnect == "nvlink" || g.interconnect == "pcie", "{}", g.name);
        // fp8 and int8 tensor cores run at twice the 16-bit rate where they exist (within 3%: the
        // L40S datasheet gives 733 against 362.05, a ratio of 2.02).
        for fast in [g.fp8_tflops, g.int8_tops] {
            assert!(fast == 0.0 || (fast / g.fp16_tflops - 2.0).abs() < 0.03, "{}", g.name);
        }
    }
    let h100 = find_gpu("H100").unwrap();
    assert_eq!(h100.peak_flops(Precision::Bf16), 989.5e12);
    assert_eq!(h100.peak_flops(Precision::Fp8), 1979e12);
    // No fp8 tensor cores: fp8 weights compute at 16 bits; int4 is weight-only everywhere.
    assert_eq!(find_gpu("A100-80GB").unwrap().peak_flops(Precision::Fp8), 312e12);
    assert_eq!(h100.peak_flops(Precision::Int4), 989.5e12);
    let t4 = find_gpu("T4").unwrap();
    assert!(!t4.supports(Precision::Bf16) && t4.supports(Precision::Fp16));
    assert_eq!(t4.peak_flops(Precision::Fp8), 65e12);
    assert_eq!(h100.link_bytes_per_s(), 450e9);
}

#[test]
fn instance_types_join_to_gpus() {
    // The instance types a user needs for each catalog GPU, with their GPU counts.
    for (instance, gpu, count) in [
        ("g4dn.xlarge", "T4", 1),
        ("g4dn.12xlarge", "T4", 4),
        ("g5.xlarge", "A10G", 1),
        ("g5.12xlarge", "A10G", 4),
        ("g5.48xlarge", "A10G", 8),
        ("g6.xlarge", "L4", 1),
        ("g6.12xlarge", "L4", 4),
        ("g6e.2xlarge", "L40S", 1),
        ("g6e.12xlarge", "L40S", 4),
        ("g6e.48xlarge", "L40S", 8),
        ("p3.2xlarge", "V100", 1),
        ("p3.16xlarge", "V100", 8),
        ("p4d.24xlarge", "A100-40GB", 8),
        ("p4de.24xlarge", "A100-80GB", 8),
        ("p5.48xlarge", "H100", 8),
        ("p5en.48xlarge", "H200", 8),
    ] {
        let t = instances::find(instance).unwrap_or_else(|| panic!("{instance} missing"));
        let (spec, gpus) = gpu_of_instance(t).unwrap_or_else(|| panic!("{instance}: no GPU spec"));
        assert_eq!((spec.name.as_str(), gpus), (gpu, count), "{instance}");
    }
    assert!(gpu_of_instance(instances::find("c5.xlarge").unwrap()).is_none());
}

#[test]
fn precision_words_round_trip() {
    for p in Precision::ALL {
        assert_eq!(p.as_str().parse::<Precision>(), Ok(p));
    }
    let err = "bf8".parse::<Precision>().unwrap_err();
    assert!(err.contains("bf8") && err.contains("fp16"), "{err}");
    assert_eq!(Precision::Int4.bytes(), 0.5);
}

#[test]
fn a_scenario_model_gets_llama_sizing() {
    // SPEC's example entry: my-7b, 6.7e9 parameters, 32 layers, hidden 4096, 32/8 heads, 128, 32000.
    let m = ModelSpec::custom("my-7b", 6_700_000_000, 32, 4096, 32, 8, 128, 32000);
    // 8/3 × 4096 = 10,922.7 → 11,008 (43 × 256), Llama 2 7B's intermediate size.
    assert_eq!(m.intermediate, find_model("llama-2-7b").unwrap().intermediate);
    assert_eq!((m.active_params, m.experts, m.experts_per_token, m.tied_embeddings), (6_700_000_000, 1, 1, false));
    assert_eq!(sizing::kv_bytes_per_token(&m, Precision::Bf16), 128.0 * 1024.0);
}
