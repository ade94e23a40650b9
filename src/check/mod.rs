//! The randomized invariant checker: random valid scenarios of every kind, each run twice, every
//! result checked against the invariants a simulation must keep (see [`invariants`]).
//!
//! A case is a seed: [`random::scenario`] turns it into a scenario file (and its traces), which is
//! loaded like a user's, run twice with the same seed, and checked. A case that breaks anything —
//! an invariant, determinism, a panic, a scenario the validator refuses — is reported with its
//! seed and its files are kept, so `fleetsim check --from SEED --cases 1` reproduces it (with the
//! same `--kinds`, when only some kinds were drawn).
//! `tests/it/invariants.rs` runs a bounded number of cases; the hidden `fleetsim check` command
//! runs as many as asked.

pub mod invariants;
pub mod random;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::run::Outcome;
use crate::scenario;

pub use random::Kind;

/// How a case went.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case seed.
    pub case: u64,
    /// Its kind.
    pub kind: Kind,
    /// Individual checks made (per row, instance, pool… and invariant; determinism is one).
    pub checks: u64,
    /// Events the two runs processed.
    pub events: u64,
    /// What broke, if anything; empty when every invariant held.
    pub broken: Vec<String>,
    /// Where the case's files are (kept only when something broke).
    pub dir: PathBuf,
}

impl CaseResult {
    /// Whether every invariant held.
    pub fn ok(&self) -> bool {
        self.broken.is_empty()
    }
}

/// The invariants, as the report lists them.
pub const INVARIANTS: [&str; 11] = [
    "requests conserved: arrived = completed + dropped + in flight, and the time series adds up to the summary",
    "time never goes back: rows, notices and instance lives in order, none after the end (the event queue refuses the past)",
    "replicas within [min, max]: the target within the pools' bounds, live instances per pool at most max \
     (2 × max with on-demand stand-ins), ready ≤ live, live and busy ≤ instances billed at that time",
    "cost ≥ 0 and equal to the sum of every instance's bill, each recomputed from its launch, stop, \
     billing rules and price (spot integrated over the price trace); pools, markets, zones and the last row agree",
    "job progress ≤ work, and completed exactly when all the work is saved",
    "lost work + saved work + checkpoint writes + restores ≤ the time the gangs ran",
    "identical results for identical seeds (two runs of every case: summary, time series, latencies, bills)",
    "LLM: every request completed, rejected (within dropped), dropped at a limit or left in flight, each with \
     a warning that says why",
    "LLM: tokens produced = tokens asked: each completed request produced its O tokens, and the iterations' \
     tokens = completed requests' + unfinished requests' (a recomputed prefix produces none again)",
    "LLM: KV blocks in use never above capacity and always held by a sequence; utilization in [0, peak]",
    "LLM: TTFT ≤ end-to-end per request, TTFT/TPOT/ITL percentiles in order, iterations enough for the \
     tokens, cost per million tokens and SLO attainment consistent with cost, tokens and requests",
];

/// Generates (among `kinds`, see [`random::scenario_of`]), runs and checks case `case`, with its
/// files under `root/case-<seed>` (removed when every invariant held).
pub fn check_case(case: u64, root: &Path, kinds: &[Kind]) -> CaseResult {
    let dir = root.join(format!("case-{case}"));
    let mut result =
        CaseResult { case, kind: Kind::Serving, checks: 0, events: 0, broken: Vec::new(), dir: dir.clone() };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        result.broken.push(format!("cannot create {}: {e}", dir.display()));
        return result;
    }
    let generated = match random::scenario_of(case, &dir, kinds) {
        Ok(g) => g,
        Err(e) => {
            result.broken.push(format!("cannot write the case's traces: {e}"));
            return result;
        }
    };
    result.kind = generated.kind;
    let path = dir.join("scenario.yaml");
    if let Err(e) = std::fs::write(&path, &generated.yaml) {
        result.broken.push(format!("cannot write {}: {e}", path.display()));
        return result;
    }
    match catch_unwind(AssertUnwindSafe(|| check_file(&path))) {
        Ok(Ok((checks, events, broken))) => {
            result.checks = checks;
            result.events = events;
            result.broken = broken;
        }
        Ok(Err(e)) => result.broken.push(e),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            result.broken.push(format!("panicked: {msg}"));
        }
    }
    if result.ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// Loads the scenario at `path`, runs it twice and checks the runs: (checks made, events, broken
/// invariants). Err when the scenario, its traces or the run fail.
pub fn check_file(path: &Path) -> Result<(u64, u64, Vec<String>), String> {
    let loaded = scenario::load(path, &[]).map_err(|e| format!("the generated scenario was refused: {e}"))?;
    let s = &loaded.scenario;
    let market = crate::trace::market::load(s).map_err(|e| format!("its traces were refused: {e}"))?;
    let run = || crate::run::simulate(s, &market, &mut |_| {}).map_err(|e| format!("the run failed: {e}"));
    let first = run()?;
    let second = run()?;
    let mut checked = invariants::check(s, &market, &first);
    if let Err(what) = same_results(&first, &second) {
        checked.broken.push(format!("determinism: two runs with seed {} differ in {what}", s.seed));
    }
    Ok((checked.checks + 1, first.summary.engine.events + second.summary.engine.events, checked.broken))
}

/// Whether two runs gave the same results (wall time aside); Err names the first difference.
fn same_results(a: &Outcome, b: &Outcome) -> Result<(), &'static str> {
    let mut sa = a.summary.clone();
    let mut sb = b.summary.clone();
    sa.engine.wall_s = 0.0;
    sb.engine.wall_s = 0.0;
    if sa != sb {
        return Err("summary.json");
    }
    if a.timeseries != b.timeseries {
        return Err("timeseries.csv");
    }
    if a.latency.cdf_csv() != b.latency.cdf_csv() {
        return Err("latency.csv");
    }
    if a.interruption_times != b.interruption_times {
        return Err("interruption times");
    }
    if a.audit != b.audit {
        return Err("instance bills");
    }
    Ok(())
}

/// Totals over many cases.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    /// Cases run.
    pub cases: u64,
    /// Of those, per kind: (kind, cases).
    pub by_kind: std::collections::BTreeMap<&'static str, u64>,
    /// Invariant checks that held.
    pub checks_held: u64,
    /// Events simulated.
    pub events: u64,
    /// Cases that broke something.
    pub failures: Vec<CaseResult>,
}

/// Checks cases `from .. from + n` of `kinds` on the current rayon pool, calling `progress` after
/// each.
pub fn check_many(from: u64, n: u64, root: &Path, kinds: &[Kind], progress: &(dyn Fn(&CaseResult) + Sync)) -> Totals {
    use rayon::prelude::*;
    // Folded as they finish: only the failing cases are kept, so memory does not grow with N.
    let mut totals = (from..from.saturating_add(n))
        .into_par_iter()
        .fold(Totals::default, |mut totals, case| {
            let r = check_case(case, root, kinds);
            progress(&r);
            totals.cases += 1;
            *totals.by_kind.entry(r.kind.name()).or_default() += 1;
            totals.events += r.events;
            if r.ok() {
                totals.checks_held += r.checks;
            } else {
                totals.failures.push(r);
            }
            totals
        })
        .reduce(Totals::default, |mut a, b| {
            a.cases += b.cases;
            for (k, n) in b.by_kind {
                *a.by_kind.entry(k).or_default() += n;
            }
            a.checks_held += b.checks_held;
            a.events += b.events;
            a.failures.extend(b.failures);
            a
        });
    totals.failures.sort_by_key(|r| r.case);
    totals
}
