//! Runs a sweep's runs on a rayon pool and hands each finished run, in the order they finish, to
//! one consumer on the calling thread (which appends it to `runs.csv` and moves the progress bar).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;

use super::runs::RunRow;
use super::{Plan, RunId};
use crate::fleet::market::MarketData;
use crate::metrics::summary::METRIC_KEYS;
use crate::scenario::{Override, Scenario};

/// A cell ready to run: its validated scenario and its spot series.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The base scenario with the cell's overrides.
    pub scenario: Scenario,
    /// Spot series read from the cell's traces (shared by cells with the same market).
    pub market: Arc<MarketData>,
}

/// A finished run.
pub struct Finished {
    /// Its row of `runs.csv`.
    pub row: RunRow,
    /// Everything the run produced (warnings, latencies, time series), for consumers that keep
    /// more than the row (`compare`).
    pub outcome: crate::run::Outcome,
}

/// Why a sweep stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A run failed.
    #[error("run of cell {cell} ({label}) with seed {seed} failed: {message}")]
    Run {
        /// Cell index.
        cell: usize,
        /// `key=value` of the cell.
        label: String,
        /// The run's seed.
        seed: u64,
        /// What went wrong.
        message: String,
    },
    /// The consumer refused a run (e.g. `runs.csv` could not be written).
    #[error("{0}")]
    Consumer(String),
    /// The thread pool could not be built.
    #[error("cannot start {threads} threads: {message}")]
    Pool {
        /// Threads asked for.
        threads: usize,
        /// The error.
        message: String,
    },
}

/// A sweep's cells, validated: the scenarios this process runs, and every trace any cell reads
/// (for the manifest, so runs made against different files are never mixed).
pub struct Validated {
    /// By cell index: the scenario, for the cells `keep` asked for.
    pub scenarios: Vec<Option<Scenario>>,
    /// Trace files any cell reads, each once, in cell order.
    pub trace_paths: Vec<PathBuf>,
    /// Cells that cannot run by design (an LLM that does not fit its GPUs, tensor parallelism
    /// that does not divide them), with why: an answer of the sweep, not a mistake in it.
    pub infeasible: Vec<(usize, String)>,
}

/// A cell's validation: a scenario (kept or not) and its traces, or why it cannot run.
enum Checked {
    Valid(Box<Option<Scenario>>, Vec<PathBuf>),
    Infeasible(String),
}

/// Validates every cell — the base scenario with the cell's overrides after `base` — in parallel,
/// so a bad value fails before anything runs; keeps the scenarios of the cells `keep` selects.
/// The error names the first bad cell. A cell whose only fault is a placement that cannot run
/// ([`crate::scenario::serving::llm::sizing::infeasible`]) is set aside as infeasible instead.
pub fn validate_cells(
    loaded: &crate::scenario::Loaded,
    base: &[Override],
    plan: &Plan,
    keep: impl Fn(usize) -> bool + Sync,
) -> anyhow::Result<Validated> {
    let results: Vec<anyhow::Result<Checked>> = (0..plan.cells())
        .into_par_iter()
        .map(|cell| {
            let overrides: Vec<Override> = base.iter().cloned().chain(plan.cell_overrides(cell)).collect();
            let scenario = match crate::scenario::load_bytes(&loaded.path, loaded.bytes.clone(), &overrides) {
                Ok(l) => l.scenario,
                Err(e) if crate::scenario::serving::llm::sizing::infeasible(e.key.as_deref(), &e.message) => {
                    return Ok(Checked::Infeasible(format!("{}: {}", e.key.unwrap_or_default(), e.message)));
                }
                Err(e) => {
                    return Err(anyhow::Error::from(e))
                        .with_context(|| format!("sweep cell {cell} ({})", plan.cell_label(cell)));
                }
            };
            let paths = crate::output::manifest::trace_paths(&scenario);
            // The request trace's header and first row, and the traces token lengths resample,
            // so that a bad trace fails before anything runs.
            crate::run::open_trace(&scenario)
                .map_err(anyhow::Error::from)
                .and_then(|_| crate::trace::lengths::load(&scenario).map_err(anyhow::Error::from))
                .with_context(|| format!("sweep cell {cell} ({})", plan.cell_label(cell)))?;
            Ok(Checked::Valid(Box::new(keep(cell).then_some(scenario)), paths))
        })
        .collect();
    let mut scenarios = Vec::with_capacity(results.len());
    let mut trace_paths: Vec<PathBuf> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut infeasible = Vec::new();
    for (cell, result) in results.into_iter().enumerate() {
        match result? {
            Checked::Valid(scenario, paths) => {
                scenarios.push(*scenario);
                trace_paths.extend(paths.into_iter().filter(|p| seen.insert(p.clone())));
            }
            Checked::Infeasible(why) => {
                scenarios.push(None);
                infeasible.push((cell, why));
            }
        }
    }
    Ok(Validated { scenarios, trace_paths, infeasible })
}

/// Reads the spot traces of the cells that will run, once per distinct market; cells with no run
/// to do stay `None`.
pub fn attach_markets(
    plan: &Plan,
    scenarios: Vec<Option<Scenario>>,
    todo: &[RunId],
) -> anyhow::Result<Vec<Option<Cell>>> {
    let needed: HashSet<usize> = todo.iter().map(|id| id.cell).collect();
    let mut markets: HashMap<String, Arc<MarketData>> = HashMap::new();
    let mut cells = Vec::with_capacity(scenarios.len());
    for (cell, scenario) in scenarios.into_iter().enumerate() {
        let Some(scenario) = scenario.filter(|_| needed.contains(&cell)) else {
            cells.push(None);
            continue;
        };
        // Cells that read the same traces share one copy of their series, whatever else differs.
        let context = || format!("sweep cell {cell} ({}): spot traces", plan.cell_label(cell));
        let key = crate::trace::market::key(&scenario);
        let market = match markets.get(&key) {
            Some(m) => Arc::clone(m),
            None => {
                let m = Arc::new(crate::trace::market::read(&scenario).with_context(context)?);
                markets.insert(key, Arc::clone(&m));
                m
            }
        };
        crate::trace::market::check(&scenario, &market).with_context(context)?;
        cells.push(Some(Cell { scenario, market }));
    }
    Ok(cells)
}

/// Simulates one run of `cell`.
pub fn run_one(plan: &Plan, cell: &Cell, id: RunId) -> Result<Finished, ExecError> {
    let mut scenario = cell.scenario.clone();
    scenario.seed = plan.seed(id.replication);
    let started = Instant::now();
    let outcome = crate::run::simulate(&scenario, &cell.market, &mut |_| {}).map_err(|e| ExecError::Run {
        cell: id.cell,
        label: plan.cell_label(id.cell),
        seed: scenario.seed,
        message: e.to_string(),
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    let row = RunRow { id, seed: scenario.seed, metrics: outcome.summary.metrics(METRIC_KEYS), wall_s };
    Ok(Finished { row, outcome })
}

/// Runs `todo` on `threads` threads, calling `consume` on this thread for each finished run.
/// The first failure (of a run or of `consume`) stops the sweep: runs under way finish and are
/// dropped, nothing new starts, and the error is returned; everything consumed before stays.
pub fn execute(
    plan: &Plan,
    cells: &[Option<Cell>],
    todo: &[RunId],
    threads: usize,
    mut consume: impl FnMut(Finished) -> Result<(), String>,
) -> Result<(), ExecError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("fleetsim-sweep-{i}"))
        .build()
        .map_err(|e| ExecError::Pool { threads, message: e.to_string() })?;
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Result<Finished, ExecError>>(threads * 4);
    std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || {
            pool.install(|| {
                todo.par_iter().with_max_len(1).for_each_with(tx, |tx, &id| {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let result = match cells.get(id.cell).and_then(Option::as_ref) {
                        Some(cell) => run_one(plan, cell, id),
                        None => Err(ExecError::Run {
                            cell: id.cell,
                            label: plan.cell_label(id.cell),
                            seed: plan.seed(id.replication),
                            message: "the cell was not prepared (an internal error)".into(),
                        }),
                    };
                    if tx.send(result).is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                });
            });
        });
        let mut outcome = Ok(());
        for message in rx {
            let result = message.and_then(|finished| consume(finished).map_err(ExecError::Consumer));
            if let Err(e) = result {
                stop.store(true, Ordering::Relaxed);
                outcome = Err(e);
                break;
            }
        }
        outcome
    })
}
