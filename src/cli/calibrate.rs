//! `fleetsim calibrate MEASURED.csv --model M --instance I`: fit the roofline step-time model to
//! measured iterations, print the fit and its error per row, and the `step_time:` block to paste.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use fleetsim::fleet::catalog as instances;
use fleetsim::llm::StepTime;
use fleetsim::llm::catalog::sizing::{Placement, replicas_per_instance};
use fleetsim::llm::catalog::{Precision, find_model, gpu_of_instance, models};
use fleetsim::llm::step_time::calibrate::{Fit, Measurement, Sample, fit, read_measurements, yaml_block};
use fleetsim::llm::step_time::roofline::{Roofline, RooflineParams};

use super::Outcome;

/// `fleetsim calibrate`
#[derive(Debug, Args)]
#[command(after_help = "The CSV has one measured iteration per row with the columns prefill_seqs, prefill_tokens,
decode_seqs, context_tokens, time_s (seconds); other columns are ignored and a row's prompts are
taken as equal length. Example:
  fleetsim calibrate measured.csv --model llama-3-8b --instance g6e.xlarge --precision fp8")]
pub struct CalibrateArgs {
    /// The measured iterations (CSV).
    #[arg(value_name = "MEASURED.csv")]
    pub measured: PathBuf,
    /// Built-in model (`fleetsim catalog --models`).
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// Instance type the iterations ran on (`fleetsim catalog`); its GPU sets the roofline.
    #[arg(long, value_name = "TYPE")]
    pub instance: String,
    /// GPUs per replica.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub tensor_parallel: u32,
    /// Weights precision [default: bf16, or fp16 on GPUs without bf16].
    #[arg(long, value_name = "P")]
    pub precision: Option<Precision>,
    /// KV cache precision [default: the weights' precision, 16-bit for int8/int4 weights].
    #[arg(long, value_name = "P")]
    pub kv_precision: Option<Precision>,
}

pub fn calibrate(args: &CalibrateArgs) -> Result<Outcome> {
    let (placement, instance) = placement(args)?;
    let base = Roofline::new(&placement, RooflineParams::default()).map_err(|e| anyhow!("{e}"))?;
    let measured = read_measurements(&args.measured)?;
    let samples: Vec<Sample<'_>> =
        measured.iter().map(|m| Sample { roofline: &base, shape: m.shape, time_s: m.time_s }).collect();
    let fitted = fit(&samples).map_err(anyhow::Error::msg).with_context(|| args.measured.display().to_string())?;
    println!(
        "{} at {} (KV {}) on {} ({} × {}, tensor_parallel {}): {} measured iterations\n",
        placement.model.name,
        placement.precision,
        placement.kv_precision,
        instance.name,
        instance.gpus,
        placement.gpu.name,
        placement.tensor_parallel,
        measured.len()
    );
    print_rows(&measured, &fitted, &base);
    let default_error = samples.iter().map(|s| ((base.seconds(&s.shape) - s.time_s) / s.time_s).abs()).sum::<f64>()
        / samples.len() as f64;
    println!(
        "\nfit: mean |error| {:.1}%, max {:.1}% (defaults: mean {:.1}%)",
        fitted.mean_abs_error() * 100.0,
        fitted.max_abs_error() * 100.0,
        default_error * 100.0
    );
    if !fitted.kept.is_empty() {
        println!("not informed by these rows, left at their defaults: {}", fitted.kept.join(", "));
    }
    println!("\nPaste under llm: (or a pool's llm:):\n\n{}", yaml_block(&fitted.params));
    Ok(Outcome::Ok)
}

/// The replica the flags describe, and its instance type; flag errors name the flag.
fn placement(args: &CalibrateArgs) -> Result<(Placement<'static>, &'static instances::InstanceType)> {
    let model = find_model(&args.model).ok_or_else(|| {
        let names: Vec<&str> = models().iter().map(|m| m.name.as_str()).collect();
        anyhow!("--model: unknown model {:?}: use one of {}", args.model, names.join(", "))
    })?;
    let instance = instances::find(&args.instance).ok_or_else(|| {
        let close = instances::suggest(&args.instance).join(", ");
        anyhow!("--instance: unknown instance type {:?}: did you mean {close}?", args.instance)
    })?;
    let (gpu, gpus) = gpu_of_instance(instance).ok_or_else(|| {
        let (name, gpu) = (&instance.name, &instance.gpu);
        anyhow!("--instance: {name} has no GPU the catalog describes (gpu {gpu:?}): see `fleetsim catalog --gpus`")
    })?;
    replicas_per_instance(gpus, args.tensor_parallel)
        .map_err(|e| anyhow!("--tensor-parallel: {}: {e}", instance.name))?;
    let sixteen = if gpu.supports(Precision::Bf16) { Precision::Bf16 } else { Precision::Fp16 };
    let precision = args.precision.unwrap_or(sixteen);
    let kv_precision = args.kv_precision.unwrap_or(match precision {
        Precision::Int8 | Precision::Int4 => sixteen,
        p => p,
    });
    Ok((Placement { model, gpu, precision, kv_precision, tensor_parallel: args.tensor_parallel }, instance))
}

/// Each measured iteration with its default and fitted times.
fn print_rows(measured: &[Measurement], fitted: &Fit, base: &Roofline) {
    println!(
        "{:>5} {:>7} {:>8} {:>7} {:>9} {:>11} {:>11} {:>11} {:>8}",
        "line", "prompts", "p_tokens", "decodes", "context", "measured", "default", "fitted", "error"
    );
    for (m, row) in measured.iter().zip(&fitted.rows) {
        let s = m.shape;
        println!(
            "{:>5} {:>7} {:>8} {:>7} {:>9} {:>9.3}ms {:>9.3}ms {:>9.3}ms {:>+7.1}%",
            m.line,
            s.prefill_seqs,
            s.prefill_tokens,
            s.decode_seqs,
            s.decode_context,
            row.measured_s * 1e3,
            base.seconds(&s) * 1e3,
            row.predicted_s * 1e3,
            row.error() * 100.0
        );
    }
}
