//! A sweep's output folder: `manifest.json` (lineage and plan) written first, `runs.csv` appended
//! as runs finish, and when every run is in, `runs.csv` rewritten in run order with `summary.csv`
//! and `best.json` beside it. An interrupted folder is picked up again by [`SweepFolder::resume`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::runs::{self, Appender, RunRow};
use super::summary::{self, Best, CellSummary};
use super::{Plan, RunId, Shard};
use crate::output::manifest::Manifest;
use crate::output::{lock, write_atomic};
use crate::scenario::Objective;
use crate::scenario::parse_assertion;

/// The sweep part of `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepLineage {
    /// Axes, replications and base seed.
    pub plan: Plan,
    /// The slice this folder runs, if a shard.
    pub shard: Option<Shard>,
    /// Runs the folder holds when complete.
    pub runs: u64,
    /// What `best.json` optimizes.
    pub objective: Option<Objective>,
    /// Constraints on cell means, as written.
    pub subject_to: Vec<String>,
    /// Merged folders: the shard folders they came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// Reads `dir/manifest.json` of a sweep.
pub fn read_manifest(dir: &Path) -> Result<(Manifest, SweepLineage)> {
    let path = dir.join("manifest.json");
    let bytes = crate::input::read_bounded(&path, crate::output::manifest::MAX_BYTES)
        .with_context(|| format!("{} is not a sweep folder: cannot read {}", dir.display(), path.display()))?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a fleetsim manifest", path.display()))?;
    let Some(lineage) = manifest.sweep.clone() else {
        bail!("{} is a single run's folder, not a sweep's (its manifest.json has no sweep)", dir.display());
    };
    // The file may have been edited: its plan and shard must be ones `fleetsim sweep` could make.
    let plan = &lineage.plan;
    Plan::new(plan.axes.clone(), plan.replications, plan.base_seed)
        .and_then(|_| match lineage.shard {
            Some(s) if s.count == 0 || s.index >= s.count => {
                Err(format!("shard {}/{} is not a valid slice", s.index, s.count))
            }
            _ => Ok(()),
        })
        .map_err(|m| anyhow::anyhow!("{}: the sweep it describes is damaged: {m}", path.display()))?;
    Ok((manifest, lineage))
}

/// What two sweep manifests disagree on that would make their runs incomparable (shards aside).
pub fn differences(a: &Manifest, b: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what}: {x} vs {y}"));
        }
    };
    differ("fleetsim version", a.fleetsim_version.clone(), b.fleetsim_version.clone());
    if let (Some(x), Some(y)) = (&a.git_commit, &b.git_commit) {
        differ("fleetsim commit", x.clone(), y.clone());
    }
    differ("scenario SHA-256", a.scenario_sha256.clone(), b.scenario_sha256.clone());
    differ("--set overrides", format!("{:?}", a.overrides), format!("{:?}", b.overrides));
    let shas = |m: &Manifest| format!("{:?}", m.traces.iter().map(|t| &t.sha256).collect::<Vec<_>>());
    differ("trace SHA-256s", shas(a), shas(b));
    if let (Some(x), Some(y)) = (&a.sweep, &b.sweep) {
        differ("grid axes", format!("{:?}", x.plan.axes), format!("{:?}", y.plan.axes));
        differ("replications", x.plan.replications.to_string(), y.plan.replications.to_string());
        differ("base seed", x.plan.base_seed.to_string(), y.plan.base_seed.to_string());
    }
    out
}

/// A sweep folder being filled.
pub struct SweepFolder {
    /// The folder.
    pub dir: PathBuf,
    /// Its lineage.
    pub lineage: SweepLineage,
    /// Runs in `runs.csv` so far.
    pub rows: Vec<RunRow>,
    /// What resuming found worth telling (the objective changed, rows written twice).
    pub notes: Vec<String>,
    appender: Appender,
    /// Held while the folder is open, so a second sweep on it is refused.
    lock: std::fs::File,
}

impl SweepFolder {
    /// Starts a sweep in `dir`, a new folder (a [`crate::output::Target`]'s): writes
    /// `manifest.json` and the header of `runs.csv`.
    pub fn create(dir: &Path, manifest: &Manifest) -> Result<SweepFolder> {
        let lineage = manifest.sweep.clone().context("a sweep manifest needs its sweep part")?;
        let lock = lock::take(dir)?;
        write_atomic(dir, "manifest.json", &manifest.to_json())?;
        let path = write_atomic(dir, "runs.csv", &runs::header_line(&lineage.plan))?;
        let len = std::fs::metadata(&path)?.len();
        let appender = Appender::open(&path, len).with_context(|| format!("cannot append to {}", path.display()))?;
        Ok(SweepFolder { dir: dir.to_path_buf(), lineage, rows: Vec::new(), notes: Vec::new(), appender, lock })
    }

    /// Picks up the interrupted sweep in `dir`: it must have been started with the same scenario,
    /// traces, overrides, grid, replications, seed and shard as `manifest` describes. A partial last
    /// row (the sweep was killed while writing it) is cut off and its run done again. A new
    /// objective or new constraints replace the old ones (they change no run, only `best.json`).
    pub fn resume(dir: &Path, manifest: &Manifest) -> Result<SweepFolder> {
        let lock = lock::take(dir)?;
        let mut notes = Vec::new();
        let (old, mut old_lineage) = read_manifest(dir).context("--resume")?;
        let lineage = manifest.sweep.clone().context("a sweep manifest needs its sweep part")?;
        let mut diffs = differences(&old, manifest);
        if old_lineage.shard != lineage.shard {
            diffs.push(format!("shard: {:?} vs {:?}", old_lineage.shard, lineage.shard));
        }
        if !diffs.is_empty() {
            bail!(
                "--resume: the sweep in {} was started differently ({}); run the same command as before, or choose a new --out",
                dir.display(),
                diffs.join("; ")
            );
        }
        if (&old_lineage.objective, &old_lineage.subject_to) != (&lineage.objective, &lineage.subject_to) {
            old_lineage.objective = lineage.objective.clone();
            old_lineage.subject_to = lineage.subject_to.clone();
            let mut updated = old.clone();
            updated.sweep = Some(old_lineage.clone());
            write_atomic(dir, "manifest.json", &updated.to_json())?;
            notes.push("the objective or constraints changed: best.json follows the new ones".to_string());
        }
        let path = dir.join("runs.csv");
        if !path.exists() {
            write_atomic(dir, "runs.csv", &runs::header_line(&lineage.plan))?;
        }
        let read = runs::read(&path, &lineage.plan)?;
        let appender =
            Appender::open(&path, read.complete_len).with_context(|| format!("cannot append to {}", path.display()))?;
        if read.duplicates > 0 {
            notes.push(format!(
                "{}: {} runs were written twice (identically); each is kept once",
                path.display(),
                read.duplicates
            ));
        }
        Ok(SweepFolder { dir: dir.to_path_buf(), lineage: old_lineage, rows: read.rows, notes, appender, lock })
    }

    /// Runs already in the folder.
    pub fn done(&self) -> HashSet<RunId> {
        self.rows.iter().map(|r| r.id).collect()
    }

    /// Appends a finished run to `runs.csv`.
    pub fn append(&mut self, row: RunRow) -> Result<()> {
        self.appender
            .append(&self.lineage.plan, &row)
            .with_context(|| format!("cannot append to {}", self.dir.join("runs.csv").display()))?;
        self.rows.push(row);
        Ok(())
    }

    /// Whether every run of the folder's shard is in.
    pub fn complete(&self) -> bool {
        self.rows.len() as u64 == self.lineage.runs
    }

    /// Writes the final `runs.csv` (in run order), `summary.csv` and `best.json`, and removes
    /// the lock: a complete folder holds only results.
    pub fn finish(mut self) -> Result<Results> {
        let results = write_results(&self.dir, &self.lineage, &mut self.rows)?;
        lock::release(&self.dir, self.lock);
        Ok(results)
    }
}

/// Per-cell statistics and the best cell of a finished sweep.
pub struct Results {
    /// Cells with runs.
    pub cells: Vec<CellSummary>,
    /// The best cell, when the sweep has an objective.
    pub best: Option<Best>,
}

/// Writes `runs.csv` sorted by run, `summary.csv` and (with an objective, unless a shard)
/// `best.json` into `dir`.
pub fn write_results(dir: &Path, lineage: &SweepLineage, rows: &mut [RunRow]) -> Result<Results> {
    let plan = &lineage.plan;
    write_atomic(dir, "runs.csv", &runs::file_bytes(plan, rows))?;
    let cells = summary::summarize(plan, rows);
    write_atomic(dir, "summary.csv", &summary::summary_csv(plan, &cells))?;
    // A shard holds a slice of every cell's replications: its best cell would mislead.
    let best = match lineage.objective.as_ref().filter(|_| lineage.shard.is_none()) {
        Some(objective) => {
            let constraints = lineage
                .subject_to
                .iter()
                .map(|t| parse_assertion(t).map_err(anyhow::Error::msg))
                .collect::<Result<Vec<_>>>()?;
            let best = summary::best(plan, rows, &cells, objective, &constraints);
            let mut json = serde_json::to_vec_pretty(&best)?;
            json.push(b'\n');
            write_atomic(dir, "best.json", &json)?;
            Some(best)
        }
        None => None,
    };
    Ok(Results { cells, best })
}
