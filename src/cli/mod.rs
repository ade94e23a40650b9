//! The command line: argument definitions and one function per subcommand.
//!
//! Exit codes (SPEC.md): 0 ok; 1 the simulation ran but an `assert:` failed; 2 bad input
//! (scenario, trace, flag) or output that could not be written.

mod catalog;
mod run;
mod table;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

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
    /// Check a scenario (and read its traces through) without simulating it.
    Validate(ValidateArgs),
    /// List the built-in instance types with their on-demand prices and sources.
    Catalog(CatalogArgs),
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
    /// Output folder (must not exist or be empty). Default: reports/<name>/<UTC time>-seed<seed>/
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the run summary as JSON on stdout (the table goes nowhere).
    #[arg(long)]
    pub json: bool,
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
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate(args) => validate::validate(&args),
        Command::Catalog(args) => catalog::catalog(&args),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::AssertFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Loads the scenario named by `args` with its overrides and seed.
fn load(args: &ScenarioArgs) -> anyhow::Result<fleetsim::scenario::Loaded> {
    use fleetsim::scenario::{self, Override};
    let mut overrides =
        args.set.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>().map_err(anyhow::Error::msg)?;
    if let Some(seed) = args.seed {
        overrides.push(Override { key: "seed".into(), text: seed.to_string() });
    }
    Ok(scenario::load(&args.scenario, &overrides)?)
}
