//! Calibration: CSV rows to shapes, errors that name the line, and fits that recover the
//! coefficients of data the roofline itself generated.

use super::*;
use crate::llm::StepTime;
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

#[test]
fn equal_length_prompts() {
    // 10 tokens over 3 prompts: 4 + 3 + 3, so Σ P² = 16 + 9 + 9 = 34.
    let s = shape_of(3, 10, 2, 700).unwrap();
    assert_eq!((s.prefill_seqs, s.prefill_tokens, s.prefill_sq, s.prefill_prior), (3, 10, 34, 0));
    assert_eq!((s.decode_seqs, s.decode_context), (2, 700));
    assert_eq!(shape_of(1, 2048, 0, 0).unwrap().prefill_sq, 2048 * 2048);
    for (row, needle) in [
        ((0, 0, 0, 0), "needs prefill_seqs or decode_seqs"),
        ((2, 1, 0, 0), "each prompt needs"),
        ((0, 5, 1, 1), "each prompt needs"),
        ((0, 0, 3, 2), "each needs"),
        ((1, (1 << 20) + 1, 0, 0), "at most 1048576"),
    ] {
        let err = shape_of(row.0, row.1, row.2, row.3).unwrap_err();
        assert!(err.contains(needle), "{row:?}: {err}");
    }
}

#[test]
fn parse_names_file_line_and_column() {
    let ok = "time_s,prefill_seqs,prefill_tokens,decode_seqs,context_tokens,source\n0.03,1,2048,0,0,x\n0.02,0,0,64,70000,y\n";
    let rows = parse_measurements(ok, "m.csv").unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1].line, rows[1].time_s, rows[1].shape.decode_seqs), (3, 0.02, 64));
    let missing = parse_measurements("prefill_seqs,prefill_tokens,decode_seqs,time_s\n1,1,0,0.1\n", "m.csv");
    let text = missing.unwrap_err().to_string();
    assert!(text.starts_with("m.csv: no `context_tokens` column"), "{text}");
    let header = "prefill_seqs,prefill_tokens,decode_seqs,context_tokens,time_s\n";
    for (row, needle) in [
        ("1,128,0,0,0", "m.csv:3: time_s: expected seconds > 0, found \"0\""),
        ("1,128,0,0,fast", "m.csv:3: time_s"),
        ("-1,128,0,0,0.1", "m.csv:3: prefill_seqs: expected a whole number ≥ 0, found \"-1\""),
        ("0,0,0,0,0.1", "m.csv:3: an iteration needs"),
    ] {
        let text = format!("{header}1,16,0,0,0.01\n{row}\n");
        let err = parse_measurements(&text, "m.csv").unwrap_err().to_string();
        assert!(err.starts_with(needle), "{row}: {err}");
    }
}

/// Iterations of every kind: prompts alone, decodes alone, mixed.
fn shapes() -> Vec<IterationShape> {
    let mut out = Vec::new();
    for (seqs, len) in [(1, 128), (1, 2048), (4, 512), (8, 1024), (2, 4096)] {
        out.push(shape_of(seqs, seqs * len, 0, 0).unwrap());
    }
    for (seqs, context) in [(1, 500), (8, 1000), (32, 2000), (128, 1500), (256, 3000)] {
        out.push(shape_of(0, 0, seqs, seqs * context).unwrap());
    }
    out.push(shape_of(2, 1024, 16, 16 * 800).unwrap());
    out
}

#[test]
fn fit_recovers_the_coefficients_that_generated_the_data() {
    // Times from a known roofline (not the defaults); the fit starts at the defaults and must
    // land on the truth: the model is exact, so only float rounding separates them (1e-6).
    let base = roofline("llama-2-70b", "A100-80GB", Precision::Fp16, 4);
    let truth = RooflineParams {
        compute_efficiency: 0.41,
        bandwidth_efficiency: 0.86,
        overhead_s: 1.5e-3,
        layer_overhead_s: 60e-6,
        sequence_overhead_s: 25e-6,
        interconnect_efficiency: 0.5,
        allreduce_latency_s: 30e-6,
    };
    let generator = base.with_params(truth);
    let shapes = shapes();
    let samples: Vec<Sample<'_>> =
        shapes.iter().map(|s| Sample { roofline: &base, shape: *s, time_s: generator.seconds(s) }).collect();
    let fit = fit(&samples).unwrap();
    let p = fit.params;
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs();
    assert!(near(p.compute_efficiency, 0.41) && near(p.bandwidth_efficiency, 0.86), "{p:?}");
    assert!(near(p.sequence_overhead_s, 25e-6), "{p:?}");
    // Overheads come back as the default's shape scaled: 0.5 ms·a + 80 × 20 µs·a = 1.5 ms + 80 × 60 µs.
    assert!(near(p.overhead_s + 80.0 * p.layer_overhead_s, 1.5e-3 + 80.0 * 60e-6), "{p:?}");
    // The all-reduce terms come back as one scale w of the defaults' (0.75, 20 µs): the truth's
    // cost is 1/0.5 per byte and 30 µs each; with these shapes the bytes term is tiny, so check
    // the total all-reduce time of the largest iteration instead.
    assert!(fit.max_abs_error() < 1e-6, "{}", fit.max_abs_error());
    assert!(fit.kept.is_empty(), "{:?}", fit.kept);
}

#[test]
fn coefficients_no_row_informs_keep_their_base_values() {
    // Decodes alone on one GPU: nothing is compute-bound and nothing all-reduces.
    let base = roofline("llama-3-8b", "L4", Precision::Bf16, 1);
    let truth = RooflineParams { bandwidth_efficiency: 0.6, ..RooflineParams::default() };
    let generator = base.with_params(truth);
    let shapes: Vec<_> = shapes().into_iter().filter(|s| s.prefill_seqs == 0).collect();
    let samples: Vec<Sample<'_>> =
        shapes.iter().map(|s| Sample { roofline: &base, shape: *s, time_s: generator.seconds(s) }).collect();
    let fit = fit(&samples).unwrap();
    assert_eq!(fit.kept, ["compute_efficiency", "allreduce"]);
    assert_eq!(fit.params.compute_efficiency, 0.65);
    assert!((fit.params.bandwidth_efficiency - 0.6).abs() < 1e-6, "{:?}", fit.params);
}

#[test]
fn efficiencies_never_exceed_one() {
    // Times faster than the roofline allows at 100% efficiency: u, v ≥ 1 hold them at 1.
    let base = roofline("llama-2-7b", "H100", Precision::Fp8, 1);
    let shapes = shapes();
    let samples: Vec<Sample<'_>> =
        shapes.iter().map(|s| Sample { roofline: &base, shape: *s, time_s: base.seconds(s) * 0.05 }).collect();
    let p = fit(&samples).unwrap().params;
    assert!(p.compute_efficiency <= 1.0 && p.bandwidth_efficiency <= 1.0, "{p:?}");
}

#[test]
fn too_few_rows_and_the_yaml_block() {
    let base = roofline("llama-2-7b", "A10G", Precision::Fp16, 1);
    let one = [Sample { roofline: &base, shape: shape_of(1, 8, 0, 0).unwrap(), time_s: 0.01 }];
    assert_eq!(fit(&one).unwrap_err(), "calibration needs at least 3 measured iterations, found 1");
    let yaml = yaml_block(&RooflineParams::default());
    assert_eq!(
        yaml,
        "step_time:\n  roofline:\n    compute_efficiency: 0.6500\n    bandwidth_efficiency: 0.7200\n    overhead: 500us\n    \
         layer_overhead: 20us\n    sequence_overhead: 0s\n    interconnect_efficiency: 0.7500\n    allreduce_latency: 20us\n"
    );
}
