//! The roofline against published measured step times (issue 19 "Must show"):
//! `tests/data/step-times/trtllm-published.csv` holds NVIDIA's TensorRT-LLM performance tables
//! (v0.9.0 and v0.6.1 docs) on H200, H100, L40S and A100 for Llama-2-7B/70B, Mistral-7B and
//! Mixtral-8x7B, each row with its source: prefill iterations (first-token latency, one prompt of
//! 128 or 2,048 tokens) and decode iterations (mean step of a batch of 32–512 sequences). The test
//! reports the error of the default coefficients and of a calibration fitted per GPU on half of
//! the rows and checked on the other half. Run with `--nocapture` to see the table.

use std::collections::BTreeMap;

use fleetsim::llm::StepTime;
use fleetsim::llm::catalog::sizing::Placement;
use fleetsim::llm::catalog::{Precision, find_gpu, find_model};
use fleetsim::llm::step_time::calibrate::{Sample, fit, shape_of};
use fleetsim::llm::step_time::roofline::{Roofline, RooflineParams};

const DATA: &str = include_str!("../data/step-times/trtllm-published.csv");

#[derive(Debug, serde::Deserialize)]
struct Row {
    model: String,
    gpu: String,
    tensor_parallel: u32,
    precision: Precision,
    kv_precision: Precision,
    prefill_seqs: u64,
    prefill_tokens: u64,
    decode_seqs: u64,
    context_tokens: u64,
    time_s: f64,
    phase: String,
    source: String,
    read_on: String,
}

fn rows() -> Vec<(Row, Roofline)> {
    csv::Reader::from_reader(DATA.as_bytes())
        .deserialize::<Row>()
        .map(|r| {
            let r = r.unwrap();
            assert!(r.source.starts_with("https://github.com/NVIDIA/TensorRT-LLM/") && r.read_on.len() == 10);
            let placement = Placement {
                model: find_model(&r.model).unwrap(),
                gpu: find_gpu(&r.gpu).unwrap(),
                precision: r.precision,
                kv_precision: r.kv_precision,
                tensor_parallel: r.tensor_parallel,
            };
            let roofline = Roofline::new(&placement, RooflineParams::default()).unwrap();
            (r, roofline)
        })
        .collect()
}

fn predict(row: &Row, roofline: &Roofline) -> f64 {
    roofline.seconds(&shape_of(row.prefill_seqs, row.prefill_tokens, row.decode_seqs, row.context_tokens).unwrap())
}

fn mean_abs(errors: &[f64]) -> f64 {
    errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64
}

fn max_abs(errors: &[f64]) -> f64 {
    errors.iter().fold(0.0, |m, e| m.max(e.abs()))
}

/// Splits a group's rows in two halves by a checkerboard over (configuration, size, table
/// version): each model-and-tp configuration puts one of its sizes in each half and every size
/// sends every other configuration to each half, so both halves see short and long prompts,
/// every model and small and large batches.
fn halves(rows: &[(Row, Roofline)], indices: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut configs: Vec<(&str, u32)> = Vec::new();
    for &i in indices {
        let key = (rows[i].0.model.as_str(), rows[i].0.tensor_parallel);
        if !configs.contains(&key) {
            configs.push(key);
        }
    }
    indices.iter().partition(|&&i| {
        let r = &rows[i].0;
        let config = configs.iter().position(|c| *c == (r.model.as_str(), r.tensor_parallel)).unwrap();
        let size = usize::from(r.prefill_tokens > 128) + 2 * usize::from(r.phase == "decode");
        let version = usize::from(r.source.contains("v0.6.1"));
        (config + size + version) % 2 == 0
    })
}

/// Calibrates each group on one half and returns every row's held-out error (NaN: fitting row or
/// group not calibrated), printing the fitted coefficients.
fn calibrate_by(rows: &[(Row, Roofline)], what: &str, key: impl Fn(&Row) -> String, min_rows: usize) -> Vec<f64> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (r, _)) in rows.iter().enumerate() {
        groups.entry(key(r)).or_default().push(i);
    }
    let mut held_out = vec![f64::NAN; rows.len()];
    println!("\ncalibrated per {what} (fit on half, check on the other half):");
    println!(
        "{:<24} {:>4} {:>6} {:>6} {:>8} {:>7} {:>8} {:>9}",
        what, "rows", "ce", "be", "ovh_ms", "seq_us", "fit_err", "check_err"
    );
    for (name, indices) in groups.iter().filter(|(_, v)| v.len() >= min_rows) {
        let (fit_half, check_half) = halves(rows, indices);
        let samples: Vec<Sample<'_>> = fit_half
            .iter()
            .map(|&i| {
                let (r, rl) = &rows[i];
                Sample { roofline: rl, shape: shape(r), time_s: r.time_s }
            })
            .collect();
        let fitted = fit(&samples).unwrap();
        for &i in &check_half {
            let (r, rl) = &rows[i];
            held_out[i] = (predict(r, &rl.with_params(fitted.params)) - r.time_s) / r.time_s;
        }
        let checked: Vec<f64> = check_half.iter().map(|&i| held_out[i]).collect();
        let p = fitted.params;
        println!(
            "{name:<24} {:>4} {:>6.3} {:>6.3} {:>8.3} {:>7.1} {:>7.1}% {:>8.1}%",
            indices.len(),
            p.compute_efficiency,
            p.bandwidth_efficiency,
            p.overhead_s * 1e3,
            p.sequence_overhead_s * 1e6,
            fitted.mean_abs_error() * 100.0,
            mean_abs(&checked) * 100.0
        );
    }
    held_out
}

fn shape(r: &Row) -> fleetsim::llm::IterationShape {
    shape_of(r.prefill_seqs, r.prefill_tokens, r.decode_seqs, r.context_tokens).unwrap()
}

fn checked(errors: &[f64]) -> Vec<f64> {
    errors.iter().copied().filter(|e| !e.is_nan()).collect()
}

fn cell(error: f64) -> String {
    if error.is_nan() { "-".to_string() } else { format!("{:+.1}%", error * 100.0) }
}

#[test]
fn defaults_and_calibration_against_published_step_times() {
    let rows = rows();
    assert_eq!(rows.len(), 63);
    let default_errors: Vec<f64> = rows.iter().map(|(r, rl)| (predict(r, rl) - r.time_s) / r.time_s).collect();
    let per_gpu = calibrate_by(&rows, "gpu", |r| r.gpu.clone(), 6);
    let per_config = calibrate_by(&rows, "model on gpu", |r| format!("{} on {}", r.model, r.gpu), 6);
    println!(
        "\n{:<13} {:<10} {:>2} {:<7} {:>6} {:>9} {:>9} {:>8} {:>8} {:>8}",
        "model", "gpu", "tp", "phase", "tokens", "measured", "default", "err", "per-gpu", "per-cfg"
    );
    for (i, (r, rl)) in rows.iter().enumerate() {
        println!(
            "{:<13} {:<10} {:>2} {:<7} {:>6} {:>7.2}ms {:>7.2}ms {:>8} {:>8} {:>8}",
            r.model,
            r.gpu,
            r.tensor_parallel,
            r.phase,
            r.prefill_tokens + r.decode_seqs,
            r.time_s * 1e3,
            predict(r, rl) * 1e3,
            cell(default_errors[i]),
            cell(per_gpu[i]),
            cell(per_config[i])
        );
    }
    let of_phase = |p: &str| -> Vec<f64> {
        rows.iter().zip(&default_errors).filter(|((r, _), _)| r.phase == p).map(|(_, e)| *e).collect()
    };
    let (gpu_checked, config_checked) = (checked(&per_gpu), checked(&per_config));
    println!(
        "\ndefaults: mean |error| {:.1}% (prefill {:.1}%, decode {:.1}%), max {:.1}% over {} rows",
        mean_abs(&default_errors) * 100.0,
        mean_abs(&of_phase("prefill")) * 100.0,
        mean_abs(&of_phase("decode")) * 100.0,
        max_abs(&default_errors) * 100.0,
        default_errors.len()
    );
    let defaults_on = |held: &[f64]| -> Vec<f64> {
        held.iter().zip(&default_errors).filter(|(h, _)| !h.is_nan()).map(|(_, d)| *d).collect()
    };
    for (what, held) in [("gpu", &per_gpu), ("model on gpu", &per_config)] {
        let errors = checked(held);
        println!(
            "calibrated per {what}: mean |error| {:.1}% (defaults on the same rows {:.1}%), max {:.1}% over {} checked rows",
            mean_abs(&errors) * 100.0,
            mean_abs(&defaults_on(held)) * 100.0,
            max_abs(&errors) * 100.0,
            errors.len()
        );
    }
    // Tolerances. Uncalibrated rooflines are 30–50% off measured step times (issue 19, citing
    // BLIS): the defaults must stay at the low end, a mean |error| ≤ 35%, and no row off by more
    // than 75% (the worst, Mixtral's 2,048-token prefill at −71%, is an engine whose MoE layers
    // reach a third of the dense models' MFU; see README). A calibration pooled over the models
    // of one GPU can only average such model-specific efficiencies: on the rows it did not see it
    // is no better than the defaults (26.9% against 23.8% when this was written), so it is held
    // only to the defaults' band, ≤ 35% — the README says to calibrate per model. Calibrated per
    // model and GPU — what `fleetsim calibrate` does — BLIS reports ~7%; fitting on three rows
    // taken from two engine versions we allow twice that, 15%, and require it to beat the
    // defaults on the same rows.
    assert_eq!((gpu_checked.len(), config_checked.len()), (32, 14));
    assert!(mean_abs(&default_errors) <= 0.35, "defaults: {}", mean_abs(&default_errors));
    assert!(max_abs(&default_errors) <= 0.75, "defaults: max {}", max_abs(&default_errors));
    assert!(mean_abs(&gpu_checked) <= 0.35, "per gpu: {}", mean_abs(&gpu_checked));
    assert!(mean_abs(&config_checked) < mean_abs(&defaults_on(&per_config)));
    assert!(mean_abs(&config_checked) <= 0.15, "per model on gpu: {}", mean_abs(&config_checked));
}
