//! `llm.step_time`: how long an iteration takes — `fitted` (DistServe's form, coefficients from a
//! profile, no model needed), `roofline` (derived from `llm.model` and the pool's GPU, each
//! coefficient optional with [`RooflineParams::default`]'s documented defaults) or `calibrated`
//! (the roofline fitted to measured iterations when the scenario loads; the path is relative to
//! the scenario file, as trace paths are).

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::StepModel;
use crate::engine::Duration;
use crate::llm::catalog::sizing::Placement;
use crate::llm::step_time::calibrate::calibrate_file;
use crate::llm::step_time::fitted::{Coefficients, Fitted, LargeBatch};
use crate::llm::step_time::roofline::{Roofline, RooflineParams};
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `llm.step_time`: exactly one model.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawStepTime {
    /// DistServe's fitted form, coefficients in milliseconds.
    Fitted(RawFitted),
    /// The roofline of `llm.model` on the pool's GPU.
    Roofline(RawRoofline),
    /// The roofline fitted to measured iterations.
    Calibrated(RawCalibrated),
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

/// `step_time.roofline`: every coefficient optional (the block `fleetsim calibrate` prints fits).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoofline {
    /// Fraction of peak FLOP/s reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_efficiency: Option<f64>,
    /// Fraction of peak memory bandwidth reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_efficiency: Option<f64>,
    /// Fixed time per iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<DurationValue>,
    /// Time per layer per iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_overhead: Option<DurationValue>,
    /// Time per sequence in an iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_overhead: Option<DurationValue>,
    /// Fraction of one link direction an all-reduce reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interconnect_efficiency: Option<f64>,
    /// Fixed time of one all-reduce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allreduce_latency: Option<DurationValue>,
}

/// `step_time.calibrated`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalibrated {
    /// Measured iterations (CSV: prefill_seqs, prefill_tokens, decode_seqs, context_tokens, time_s).
    pub path: String,
}

/// Where the step time applies: the placement a roofline needs (none without `llm.model`).
pub(super) struct StepContext<'a, 'p> {
    /// The replica's model on its GPUs.
    pub placement: Option<&'a Placement<'p>>,
    /// The scenario file's folder.
    pub base_dir: &'a Path,
}

/// The step-time model `raw` describes; `key_of` names a key under `llm.step_time`.
pub(super) fn step_model(
    raw: &RawStepTime,
    cx: &StepContext<'_, '_>,
    key_of: &dyn Fn(&str) -> String,
) -> Result<StepModel> {
    let (word, needs) = match raw {
        RawStepTime::Fitted(f) => return fitted(f, key_of),
        RawStepTime::Roofline(_) => ("roofline", "derives iteration times from the model's shape and the GPU"),
        RawStepTime::Calibrated(_) => ("calibrated", "fits the roofline of the model on the GPU"),
    };
    let Some(placement) = cx.placement else {
        return invalid(
            key_of(&format!("step_time.{word}")),
            format!(
                "needs llm.model: the {word} step time {needs}; give model (fleetsim catalog --models) or use step_time.fitted"
            ),
        );
    };
    let params = match raw {
        RawStepTime::Roofline(r) => params(r, &|k| key_of(&format!("step_time.roofline.{k}")))?,
        _ => RooflineParams::default(),
    };
    let base = Roofline::new(placement, params)
        .map_err(|e| Invalid { key: key_of("tensor_parallel"), message: e.to_string() })?;
    match raw {
        RawStepTime::Calibrated(c) => {
            let path = cx.base_dir.join(&c.path);
            let (fitted, fit) = calibrate_file(&path, &base)
                .map_err(|e| Invalid { key: key_of("step_time.calibrated.path"), message: e.to_string() })?;
            let describe = format!(
                "calibrated roofline ({} iterations of {}, mean |error| {:.1}%): {}",
                fit.rows.len(),
                c.path,
                fit.mean_abs_error() * 100.0,
                describe_params(&fitted.params)
            );
            Ok(StepModel { model: Arc::new(fitted), describe, gpu_aware: true })
        }
        _ => Ok(StepModel {
            model: Arc::new(base),
            describe: format!("roofline: {}", describe_params(&params)),
            gpu_aware: true,
        }),
    }
}

/// The roofline's coefficients: each given one over the default.
fn params(raw: &RawRoofline, key_of: &dyn Fn(&str) -> String) -> Result<RooflineParams> {
    let d = RooflineParams::default();
    let secs = |v: Option<DurationValue>, default: f64| v.map_or(default, |v| v.0.as_secs_f64());
    let p = RooflineParams {
        compute_efficiency: raw.compute_efficiency.unwrap_or(d.compute_efficiency),
        bandwidth_efficiency: raw.bandwidth_efficiency.unwrap_or(d.bandwidth_efficiency),
        overhead_s: secs(raw.overhead, d.overhead_s),
        layer_overhead_s: secs(raw.layer_overhead, d.layer_overhead_s),
        sequence_overhead_s: secs(raw.sequence_overhead, d.sequence_overhead_s),
        interconnect_efficiency: raw.interconnect_efficiency.unwrap_or(d.interconnect_efficiency),
        allreduce_latency_s: secs(raw.allreduce_latency, d.allreduce_latency_s),
    };
    p.validate().map_err(|e| {
        let (k, message) = e.split_once(": ").unwrap_or(("", e.as_str()));
        Invalid { key: key_of(k), message: message.to_string() }
    })?;
    Ok(p)
}

/// The coefficients in the scenario's words (`compute_efficiency 0.65, …, overhead 500us`).
pub fn describe_params(p: &RooflineParams) -> String {
    let d = |s: f64| Duration::from_secs_f64((s * 1e9).round() / 1e9).to_string();
    format!(
        "compute_efficiency {}, bandwidth_efficiency {}, overhead {}, layer_overhead {}, sequence_overhead {}, \
         interconnect_efficiency {}, allreduce_latency {}",
        round4(p.compute_efficiency),
        round4(p.bandwidth_efficiency),
        d(p.overhead_s),
        d(p.layer_overhead_s),
        d(p.sequence_overhead_s),
        round4(p.interconnect_efficiency),
        d(p.allreduce_latency_s)
    )
}

fn round4(v: f64) -> String {
    if v.is_finite() { format!("{}", (v * 1e4).round() / 1e4) } else { "unbounded".into() }
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
    Ok(StepModel { model: Arc::new(model), describe, gpu_aware: false })
}
