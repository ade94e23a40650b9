//! Helpers: build scenarios from YAML text and run them, several seeds on all cores.

use fleetsim::metrics::Summary;
use fleetsim::scenario::{self, Scenario};
use std::path::Path;

use fleetsim::serving::{self, Inputs, Outcome};

/// Parses `yaml`, panicking with the error if it is invalid (tests write valid scenarios).
pub fn scenario(yaml: &str) -> Scenario {
    scenario::from_yaml(yaml).unwrap_or_else(|e| panic!("test scenario is invalid: {e}"))
}

/// Runs a scenario with synthetic arrivals.
pub fn run(s: &Scenario) -> Outcome {
    serving::simulate(s, None).expect("simulation failed")
}

/// Runs `s` with seeds `1..=n_seeds` on all cores and returns the summaries in seed order.
pub fn run_seeds(s: &Scenario, n_seeds: u64) -> Vec<Summary> {
    let n_threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let mut out: Vec<(u64, Summary)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n_threads)
            .map(|t| {
                scope.spawn(move || {
                    (1..=n_seeds)
                        .filter(|seed| seed % n_threads == t)
                        .map(|seed| {
                            let mut s = s.clone();
                            s.seed = seed;
                            (seed, run(&s).summary)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker panicked")).collect()
    });
    out.sort_by_key(|(seed, _)| *seed);
    out.into_iter().map(|(_, s)| s).collect()
}

/// Mean and standard error of the mean.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Writes `files` (request or market traces) and the scenario `yaml` into a temp folder, loads it
/// with its traces as the CLI does, and runs it.
pub fn run_in_dir(yaml: &str, files: &[(&str, &str)]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, yaml).unwrap();
    run_file(&path)
}

/// Loads the scenario at `path` with its request and market traces and runs it.
pub fn run_file(path: &Path) -> Outcome {
    let loaded = scenario::load(path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = &loaded.scenario;
    let market = fleetsim::trace::market::load(s).unwrap_or_else(|e| panic!("{e}"));
    fleetsim::run::simulate(s, &market, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `s` with the market traces it names (no request trace).
pub fn run_with_market(s: &Scenario) -> Outcome {
    let market = fleetsim::trace::market::load(s).unwrap_or_else(|e| panic!("{e}"));
    serving::simulate_with(s, Inputs { market, ..Inputs::default() }, &mut |_| {}).expect("runs")
}

/// The `fleetsim` binary, run from the repository root.
pub fn fleetsim() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("fleetsim").expect("binary built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}
