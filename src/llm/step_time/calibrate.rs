//! Calibration: fit the roofline's coefficients to measured iterations by non-negative least
//! squares (SPEC "Models, GPUs and step times without a profile").
//!
//! A measurement CSV has one iteration per row: `prefill_seqs, prefill_tokens, decode_seqs,
//! context_tokens, time_s` (other columns are ignored; a row's prompts are taken as equal
//! length). With each row's roofline terms at 100% efficiency (compute C, memory M, all-reduce A
//! at the base parameters, sequences S, overhead O at the base parameters), the model is
//!
//!   time = a·O + s·S + max(u·C, v·M) + w·A,   a, s, w ≥ 0,  u, v ≥ 1,
//!
//! i.e. overhead and layer overhead scaled together by a, sequence overhead s, compute and
//! bandwidth efficiencies 1/u and 1/v (never above 100% of peak), all-reduce cost scaled by w.
//! The max makes it piecewise linear: each row is classed compute- or memory-bound by the current
//! coefficients, the linear problem for that classing is solved by NNLS (Lawson–Hanson, the `nnls`
//! crate, with u and v written as 1 + u′ and 1 + v′), and rows are re-classed until the classing
//! repeats (at most 20 rounds; the round with the least error wins). Rows are weighted by 1/time,
//! so every row counts by its relative error. A coefficient no row informs (no compute-bound rows,
//! no tensor parallelism) keeps its base value, and the fit says so.

use std::path::Path;

use ndarray::{Array1, Array2};

use super::roofline::{Roofline, RooflineParams, Terms};
use crate::llm::IterationShape;

/// One measured iteration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measurement {
    /// Line in the CSV (1 is the header).
    pub line: u64,
    /// What the iteration processed.
    pub shape: IterationShape,
    /// How long it took, seconds.
    pub time_s: f64,
}

/// Bad measurements or a fit that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// The file cannot be read or is not CSV with the required columns.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A row is malformed.
    #[error("{path}:{line}: {message}")]
    Row {
        /// The file.
        path: String,
        /// Its line.
        line: u64,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// The columns a measurement CSV must have.
pub const COLUMNS: [&str; 5] = ["prefill_seqs", "prefill_tokens", "decode_seqs", "context_tokens", "time_s"];

/// Longest prompt a row may imply (SPEC bounds `max_model_len` by 2^20).
const MAX_PROMPT: u64 = 1 << 20;

/// Reads measurements from a file (I/O at the edge: the CLI and scenario loading call it).
pub fn read_measurements(path: &Path) -> Result<Vec<Measurement>, CalibrationError> {
    let text = std::fs::read_to_string(path).map_err(|e| CalibrationError::File {
        path: path.display().to_string(),
        message: format!("cannot read: {e}"),
    })?;
    parse_measurements(&text, &path.display().to_string())
}

/// Parses measurement CSV text; `path` names it in errors.
pub fn parse_measurements(text: &str, path: &str) -> Result<Vec<Measurement>, CalibrationError> {
    let file_error = |message: String| CalibrationError::File { path: path.to_string(), message };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| file_error(format!("not CSV: {e}")))?.clone();
    let index: Vec<usize> = COLUMNS
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h.trim() == *c)
                .ok_or_else(|| file_error(format!("no `{c}` column: the header must name {}", COLUMNS.join(", "))))
        })
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| file_error(format!("not CSV: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        let row_error = |message: String| CalibrationError::Row { path: path.to_string(), line, message };
        let field = |i: usize| record.get(index[i]).unwrap_or("").trim();
        let count = |i: usize| {
            field(i)
                .parse::<u64>()
                .map_err(|_| row_error(format!("{}: expected a whole number ≥ 0, found {:?}", COLUMNS[i], field(i))))
        };
        let (prefill_seqs, prefill_tokens, decode_seqs, context) = (count(0)?, count(1)?, count(2)?, count(3)?);
        let time_s = field(4)
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite() && *t > 0.0)
            .ok_or_else(|| row_error(format!("time_s: expected seconds > 0, found {:?}", field(4))))?;
        let shape = shape_of(prefill_seqs, prefill_tokens, decode_seqs, context).map_err(row_error)?;
        rows.push(Measurement { line, shape, time_s });
    }
    Ok(rows)
}

/// The iteration a row describes, its prompts of equal length (the remainder spread one token
/// each over the first prompts).
pub fn shape_of(
    prefill_seqs: u64,
    prefill_tokens: u64,
    decode_seqs: u64,
    context: u64,
) -> Result<IterationShape, String> {
    if prefill_seqs == 0 && decode_seqs == 0 {
        return Err("an iteration needs prefill_seqs or decode_seqs > 0".into());
    }
    if (prefill_seqs == 0) != (prefill_tokens == 0) || prefill_tokens < prefill_seqs {
        return Err(format!("prefill_tokens {prefill_tokens} for {prefill_seqs} prompts: each prompt needs ≥ 1 token"));
    }
    if (decode_seqs == 0) != (context == 0) || context < decode_seqs {
        return Err(format!("context_tokens {context} for {decode_seqs} decoding sequences: each needs ≥ 1"));
    }
    if prefill_seqs > u32::MAX as u64 || decode_seqs > u32::MAX as u64 {
        return Err("more than 2^32 sequences in one iteration".into());
    }
    let (q, r) = prefill_tokens.checked_div(prefill_seqs).map_or((0, 0), |q| (q, prefill_tokens % prefill_seqs));
    if q + u64::from(r > 0) > MAX_PROMPT {
        return Err(format!("prompts of {q} tokens: at most {MAX_PROMPT}"));
    }
    let prefill_sq = r.checked_mul((q + 1) * (q + 1)).zip((prefill_seqs - r).checked_mul(q * q));
    let prefill_sq = prefill_sq.and_then(|(a, b)| a.checked_add(b)).ok_or("prompt tokens too many to square")?;
    Ok(IterationShape {
        prefill_seqs: prefill_seqs as u32,
        prefill_tokens,
        prefill_sq,
        prefill_prior: 0,
        decode_seqs: decode_seqs as u32,
        decode_context: context,
    })
}

/// A measured iteration with the roofline of the replica that ran it.
#[derive(Clone, Copy, Debug)]
pub struct Sample<'a> {
    /// The replica's roofline (its parameters are the base the fit starts from).
    pub roofline: &'a Roofline,
    /// The iteration.
    pub shape: IterationShape,
    /// Its measured time, seconds.
    pub time_s: f64,
}

/// One row's fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowFit {
    /// Measured seconds.
    pub measured_s: f64,
    /// Fitted seconds.
    pub predicted_s: f64,
}

impl RowFit {
    /// (predicted − measured) / measured.
    pub fn error(&self) -> f64 {
        (self.predicted_s - self.measured_s) / self.measured_s
    }
}

/// A calibration's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The fitted coefficients.
    pub params: RooflineParams,
    /// Per sample, in input order.
    pub rows: Vec<RowFit>,
    /// Coefficients no sample informed, left at their base values.
    pub kept: Vec<&'static str>,
    /// Classing rounds run.
    pub rounds: u32,
}

impl Fit {
    /// Mean absolute relative error.
    pub fn mean_abs_error(&self) -> f64 {
        self.rows.iter().map(|r| r.error().abs()).sum::<f64>() / self.rows.len() as f64
    }

    /// Largest absolute relative error.
    pub fn max_abs_error(&self) -> f64 {
        self.rows.iter().map(|r| r.error().abs()).fold(0.0, f64::max)
    }
}

/// Fewest samples a fit accepts.
pub const MIN_SAMPLES: usize = 3;

/// Fits the coefficients to the samples, starting from (and scaling) the first sample's
/// roofline parameters.
pub fn fit(samples: &[Sample<'_>]) -> Result<Fit, String> {
    if samples.len() < MIN_SAMPLES {
        return Err(format!("calibration needs at least {MIN_SAMPLES} measured iterations, found {}", samples.len()));
    }
    let base = samples[0].roofline.params;
    let terms: Vec<Terms> = samples.iter().map(|s| s.roofline.terms(&s.shape)).collect();
    let mut params = base;
    let mut best: Option<(f64, RooflineParams, Vec<&'static str>)> = None;
    let mut classes: Vec<bool> = Vec::new();
    let mut rounds = 0;
    while rounds < 20 {
        rounds += 1;
        let next: Vec<bool> = terms
            .iter()
            .map(|t| t.compute_s / params.compute_efficiency >= t.memory_s / params.bandwidth_efficiency)
            .collect();
        if next == classes {
            break;
        }
        classes = next;
        let (fitted, kept) = solve(samples, &terms, &classes, &base);
        let error = squared_relative_error(samples, &terms, &fitted);
        if best.as_ref().is_none_or(|(e, ..)| error < *e) {
            best = Some((error, fitted, kept));
        }
        params = fitted;
    }
    let (_, params, kept) = best.expect("at least one round ran");
    params.validate().map_err(|e| format!("the fit did not converge ({e}): check the measurements"))?;
    let rows = samples
        .iter()
        .zip(&terms)
        .map(|(s, t)| RowFit { measured_s: s.time_s, predicted_s: s.roofline.seconds_of(t, &params) })
        .collect();
    Ok(Fit { params, rows, kept, rounds })
}

fn squared_relative_error(samples: &[Sample<'_>], terms: &[Terms], params: &RooflineParams) -> f64 {
    samples.iter().zip(terms).map(|(s, t)| ((s.roofline.seconds_of(t, params) - s.time_s) / s.time_s).powi(2)).sum()
}

/// Names of the coefficients, in column order.
const COEFFICIENTS: [&str; 5] =
    ["overhead", "sequence_overhead", "compute_efficiency", "bandwidth_efficiency", "allreduce"];

/// Solves the linear problem for one classing; returns the parameters and the coefficients kept.
fn solve(
    samples: &[Sample<'_>],
    terms: &[Terms],
    compute_bound: &[bool],
    base: &RooflineParams,
) -> (RooflineParams, Vec<&'static str>) {
    let n = samples.len();
    let mut a = Array2::<f64>::zeros((n, COEFFICIENTS.len()));
    let mut y = Array1::<f64>::zeros(n);
    for (i, ((s, t), &cb)) in samples.iter().zip(terms).zip(compute_bound).enumerate() {
        let p = &s.roofline.params;
        let (c, m) = if cb { (t.compute_s, 0.0) } else { (0.0, t.memory_s) };
        let row = [
            p.overhead_s + p.layer_overhead_s * s.roofline.layers(),
            t.sequences,
            c,
            m,
            t.allreduce_bytes_s / p.interconnect_efficiency + t.allreduces * p.allreduce_latency_s,
        ];
        // Weight 1/time: relative errors. u = 1 + u′ and v = 1 + v′ move C and M to the left.
        for (j, value) in row.iter().enumerate() {
            a[[i, j]] = value / s.time_s;
        }
        y[i] = (s.time_s - c - m) / s.time_s;
    }
    // Scale columns to unit maximum (Lawson–Hanson's tolerances are absolute); drop empty ones.
    let scale: Vec<f64> =
        (0..COEFFICIENTS.len()).map(|j| a.column(j).iter().fold(0.0, |m: f64, v| m.max(v.abs()))).collect();
    let used: Vec<usize> = (0..COEFFICIENTS.len()).filter(|&j| scale[j] > 0.0).collect();
    let mut reduced = Array2::<f64>::zeros((n, used.len()));
    for (k, &j) in used.iter().enumerate() {
        reduced.column_mut(k).assign(&a.column(j).mapv(|v| v / scale[j]));
    }
    let (x, _) = nnls::nnls(reduced.view(), y.view());
    let mut coef = [None; 5];
    for (k, &j) in used.iter().enumerate() {
        coef[j] = Some(x[k] / scale[j]);
    }
    let kept = (0..COEFFICIENTS.len()).filter(|j| coef[*j].is_none()).map(|j| COEFFICIENTS[j]).collect();
    (params_from(&coef, base), kept)
}

/// Maps fitted coefficients back onto roofline parameters (missing ones keep `base`).
fn params_from(coef: &[Option<f64>; 5], base: &RooflineParams) -> RooflineParams {
    let a = coef[0].unwrap_or(1.0);
    let w = coef[4].unwrap_or(1.0);
    RooflineParams {
        overhead_s: base.overhead_s * a,
        layer_overhead_s: base.layer_overhead_s * a,
        sequence_overhead_s: coef[1].unwrap_or(base.sequence_overhead_s),
        compute_efficiency: coef[2].map_or(base.compute_efficiency, |u| 1.0 / (1.0 + u)),
        bandwidth_efficiency: coef[3].map_or(base.bandwidth_efficiency, |v| 1.0 / (1.0 + v)),
        // w scales both all-reduce terms; w = 0 (no measurable cost) leaves the latency at 0 and the
        // bandwidth term at the link's full speed, the cheapest the model allows.
        interconnect_efficiency: if w > 0.0 { base.interconnect_efficiency / w } else { f64::INFINITY },
        allreduce_latency_s: base.allreduce_latency_s * w,
    }
}

/// Fits a roofline to a measurement file: what `step_time: { calibrated: { path } }` does at
/// scenario load. The returned roofline carries the fitted parameters.
pub fn calibrate_file(path: &Path, roofline: &Roofline) -> Result<(Roofline, Fit), CalibrationError> {
    let measurements = read_measurements(path)?;
    let samples: Vec<Sample<'_>> =
        measurements.iter().map(|m| Sample { roofline, shape: m.shape, time_s: m.time_s }).collect();
    let fit = fit(&samples).map_err(|message| CalibrationError::File { path: path.display().to_string(), message })?;
    Ok((roofline.with_params(fit.params), fit))
}

/// The `step_time:` YAML block for fitted parameters (durations to the microsecond).
pub fn yaml_block(params: &RooflineParams) -> String {
    // Rounded to the microsecond: finer digits are noise in a fit.
    let duration = |s: f64| crate::engine::time::Duration::from_secs_f64((s * 1e6).round() / 1e6).to_string();
    let interconnect = if params.interconnect_efficiency.is_finite() {
        format!("{:.4}", params.interconnect_efficiency)
    } else {
        "1.0e9  # all-reduce bandwidth cost not measurable in these rows".to_string()
    };
    format!(
        "step_time:\n  roofline:\n    compute_efficiency: {:.4}\n    bandwidth_efficiency: {:.4}\n    overhead: {}\n    \
         layer_overhead: {}\n    sequence_overhead: {}\n    interconnect_efficiency: {}\n    allreduce_latency: {}\n",
        params.compute_efficiency,
        params.bandwidth_efficiency,
        duration(params.overhead_s),
        duration(params.layer_overhead_s),
        duration(params.sequence_overhead_s),
        interconnect,
        duration(params.allreduce_latency_s),
    )
}

#[cfg(test)]
mod tests;
