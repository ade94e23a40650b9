//! The command line: argument definitions and one function per subcommand.
//!
//! Exit codes (SPEC.md): 0 ok; 1 the simulation ran but an `assert:` failed; 2 bad input
//! (scenario, trace, flag) or output that could not be written.

mod calibrate;
mod out;

mod catalog;
mod check;
mod compare;
mod notes;
mod report;
mod run;
mod sweep;
mod sweep_table;
mod table;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use out::note;

/// fleetsim — a discrete-event simulator for ML infrastructure fleets.
///
/// Describe a fleet, a batcher and a workload in one YAML scenario; fleetsim replays synthetic or
/// real request traces against it and reports latency, SLA violations, cost and utilization.
#[derive(Debug, Parser)]
#[command(name = "fleetsim", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario once and write summary.json, timeseries.csv and manifest.json.
    Run(RunArgs),
    /// Run a grid of scenario variants × replications in parallel; write runs.csv and summary.csv.
    Sweep(SweepArgs),
    /// Combine the folders of a sweep's shards (e.g. a cluster job array) into one.
    Merge(MergeArgs),
    /// Run several designs on the same seeds and replications; paired differences and charts.
    Compare(CompareArgs),
    /// Charts, report.md and a self-contained report.html from a run, sweep or compare folder.
    Report(ReportArgs),
    /// Check a scenario (and read its traces through) without simulating it.
    Validate(ValidateArgs),
    /// List the built-in instance types with their on-demand prices and sources (or, with
    /// --models / --gpus, the built-in LLMs and GPUs).
    Catalog(CatalogArgs),
    /// Fit the roofline step-time model to measured iterations and print the step_time block.
    Calibrate(calibrate::CalibrateArgs),
    /// Randomized invariant checker: random valid scenarios of every kind, each run twice and
    /// checked (a development tool; exit 1 when an invariant breaks).
    #[command(hide = true)]
    Check(CheckArgs),
}

/// Options shared by commands that load a scenario.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario file (YAML).
    pub scenario: PathBuf,
    /// Override a scenario key by its dotted path, e.g. --set batcher.max_batch_size=32 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Use this seed instead of the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `fleetsim run`
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    /// The scenario and its overrides.
    pub scenario: ScenarioArgs,
    /// Output folder (must not exist or be empty, unless --force). Default:
    /// reports/<name>/<UTC time>-seed<seed>/
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace --out if it holds results fleetsim wrote and nothing else (they are deleted once the
    /// new ones are complete; a run that fails or is interrupted leaves them as they were); folders
    /// fleetsim did not write, or that hold the scenario or a trace, are never touched.
    #[arg(long)]
    pub force: bool,
    /// Print the run summary as JSON on stdout (the table goes nowhere).
    #[arg(long)]
    pub json: bool,
    /// Skip the charts and report.md/report.html (`fleetsim report DIR` makes them later).
    #[arg(long)]
    pub no_report: bool,
}

/// `fleetsim sweep`
///
/// Cells are the product of the grid axes (from `--set KEY=V1,V2,...`, ranges such as
/// `--set job.checkpoint.interval=5m..60m:5m` or `--set batcher.max_batch_size=1..32:x2`, and the
/// scenario's `sweep.grid`). Every cell runs the same replications: replication r uses seed
/// `seed + r`, so cells are compared on the same randomness, and any row of runs.csv is
/// reproduced by `fleetsim run SCENARIO --set KEY=VALUE... --seed SEED`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  fleetsim sweep scenarios/sweep-batcher.yaml --replications 20
  fleetsim sweep job.yaml --set job.checkpoint.interval=young,daly,10m..60m:10m --minimize cost_usd.total \
      --subject-to 'job.deadline_met>=0.95'
  fleetsim sweep big.yaml --shard $SLURM_ARRAY_TASK_ID/8 --out sweeps/shard-$SLURM_ARRAY_TASK_ID
  fleetsim merge sweeps/shard-* --out sweeps/all")]
pub struct SweepArgs {
    /// The scenario file (YAML).
    pub scenario: PathBuf,
    /// KEY=VALUE overrides a key; KEY=V1,V2,... or a range START..END:STEP (or :xFACTOR) makes a
    /// grid axis (repeatable; replaces the scenario's sweep.grid axis of the same key).
    #[arg(long = "set", value_name = "KEY=VALUES")]
    pub set: Vec<String>,
    /// Runs per cell [default: sweep.replications, else 10].
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Seed of replication 0 (replication r uses seed + r) [default: the scenario's seed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Threads running simulations [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Run only slice I of N (I from 0): runs whose index is I modulo N. Merge the slices with
    /// `fleetsim merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Finish the interrupted sweep in --out: keep its runs and run only the missing ones (a
    /// folder with no sweep yet starts one, so a retried cluster task can always pass --resume).
    #[arg(long)]
    pub resume: bool,
    /// Start afresh in --out even if it holds results fleetsim wrote (a finished or interrupted
    /// sweep, a run): they are kept aside until the new sweep completes, then deleted.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Output folder (must not exist or be empty, unless --resume or --force). Default:
    /// reports/<name>/<UTC time>-sweep/
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Pick the cell with the lowest mean of this metric (e.g. cost_usd.total) into best.json.
    #[arg(long, value_name = "METRIC", conflicts_with = "maximize")]
    pub minimize: Option<String>,
    /// Pick the cell with the highest mean of this metric (e.g. throughput.requests_per_usd).
    #[arg(long, value_name = "METRIC")]
    pub maximize: Option<String>,
    /// Only cells whose means meet this, e.g. 'sla.violation_rate<=0.01' (repeatable).
    #[arg(long = "subject-to", value_name = "METRIC OP VALUE")]
    pub subject_to: Vec<String>,
    /// Skip the charts and report.md/report.html (shards never make them; merge does).
    #[arg(long)]
    pub no_report: bool,
}

/// `fleetsim merge`
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Sweep folders to combine (the shards of one sweep).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The merged folder (must not exist or be empty, unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace --out if it holds results fleetsim wrote (not one of the folders being merged).
    #[arg(long)]
    pub force: bool,
}

/// `fleetsim compare`
///
/// Every design runs the same replications with the same seeds (replication r: seed + r), so
/// they see the same arrivals and interruptions and their differences are paired by seed.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  fleetsim compare scenarios/compare-on-demand.yaml scenarios/compare-spot.yaml scenarios/compare-mixed.yaml \\
      --replications 10 --set horizon=6h")]
pub struct CompareArgs {
    /// The designs (scenario files); the first is the one the others are compared with.
    #[arg(required = true, value_name = "SCENARIO.yaml")]
    pub scenarios: Vec<PathBuf>,
    /// Override a key in every design (repeatable). With one scenario, a comma list
    /// (`llm.scheduler=vllm,chunked`) makes the designs, one per value.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Runs per design [default: 10].
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Seed of replication 0 [default: the first design's seed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Threads running simulations [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Output folder (must not exist or be empty, unless --force). Default:
    /// reports/compare-<names>/<UTC time>-compare/
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace --out if it holds results fleetsim wrote (kept aside until the comparison completes).
    #[arg(long)]
    pub force: bool,
    /// Skip the charts and report.md/report.html.
    #[arg(long)]
    pub no_report: bool,
}

/// `fleetsim report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A folder written by `fleetsim run`, `sweep`, `merge` or `compare`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `fleetsim validate`
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    /// The scenario and its overrides.
    pub scenario: ScenarioArgs,
}

/// `fleetsim catalog`
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Print the catalog as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only types whose name, family or GPU contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// List the built-in LLMs (shapes from their config.json) instead of instance types.
    #[arg(long, conflicts_with_all = ["gpus", "filter"])]
    pub models: bool,
    /// List the built-in GPUs (datasheet figures) instead of instance types.
    #[arg(long, conflicts_with = "filter")]
    pub gpus: bool,
}

/// `fleetsim check` (hidden)
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Cases to check.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub cases: u64,
    /// Seed of the first case (cases are seeds from, from + 1, …).
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    pub from: u64,
    /// Threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Kinds of scenario to draw, comma-separated: serving, autoscaled, items, job, llm [default:
    /// all]. A case of one kind is the same scenario whatever other kinds are drawn.
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = check::parse_kind)]
    pub kinds: Vec<fleetsim::check::Kind>,
    /// Where the failing cases' scenarios and traces are kept [default: a folder in the system's
    /// temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything fine.
    Ok,
    /// The run finished but an assertion failed.
    AssertFailed,
}

/// Runs the parsed command line and returns the process exit code.
pub fn main(cli: Cli) -> ExitCode {
    out::on_interrupt();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => sweep::merge(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Report(args) => report::report(&args),
        Command::Validate(args) => validate::validate(&args),
        Command::Catalog(args) => catalog::catalog(&args),
        Command::Calibrate(args) => calibrate::calibrate(&args),
        Command::Check(args) => check::check(&args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::AssertFailed) => ExitCode::from(1),
        Err(e) => {
            note!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The `--set` overrides of `args`, then `--seed` as one more.
fn overrides(set: &[String], seed: Option<u64>) -> anyhow::Result<Vec<fleetsim::scenario::Override>> {
    use fleetsim::scenario::Override;
    let mut overrides =
        set.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>().map_err(anyhow::Error::msg)?;
    if let Some(seed) = seed {
        overrides.push(Override { key: "seed".into(), text: seed.to_string() });
    }
    Ok(overrides)
}

/// The files a command on `loaded` reads: the scenario and its traces (an output folder that
/// holds one of them is never replaced).
fn inputs(loaded: &fleetsim::scenario::Loaded) -> Vec<PathBuf> {
    let mut paths = vec![loaded.path.clone()];
    paths.extend(fleetsim::output::manifest::trace_paths(&loaded.scenario));
    paths
}

/// Loads the scenario named by `args` with its overrides and seed.
fn load(args: &ScenarioArgs) -> anyhow::Result<fleetsim::scenario::Loaded> {
    Ok(fleetsim::scenario::load(&args.scenario, &overrides(&args.set, args.seed)?)?)
}
