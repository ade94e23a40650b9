//! `fleetsim merge`: combines the folders of a sweep's shards (a cluster job array) into one
//! folder equal to the sweep run whole, refusing folders that do not belong together.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::RunId;
use super::folder::{self, Results, SweepLineage};
use super::runs::{self, RunRow};
use crate::output::manifest::Manifest;

/// Merges `dirs` into the new, empty folder `out` (a [`crate::output::Target`]'s).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<(SweepLineage, Results)> {
    if dirs.is_empty() {
        bail!("merge needs at least one sweep folder");
    }
    let mut first: Option<(Manifest, SweepLineage, &Path)> = None;
    let mut rows: Vec<RunRow> = Vec::new();
    let mut owner: HashMap<RunId, &Path> = HashMap::new();
    let mut shards_seen: HashMap<u32, &Path> = HashMap::new();
    for dir in dirs {
        let (manifest, lineage) = folder::read_manifest(dir)?;
        if let Some((m0, l0, d0)) = &first {
            let diffs = folder::differences(m0, &manifest);
            if !diffs.is_empty() {
                bail!("{} and {} are not shards of one sweep: {}", d0.display(), dir.display(), diffs.join("; "));
            }
            if (&l0.objective, &l0.subject_to) != (&lineage.objective, &lineage.subject_to) {
                bail!(
                    "{} and {} pick the best cell differently ({:?} subject to {:?} vs {:?} subject to {:?}); run the shards with the same --minimize/--maximize/--subject-to",
                    d0.display(),
                    dir.display(),
                    l0.objective,
                    l0.subject_to,
                    lineage.objective,
                    lineage.subject_to
                );
            }
            if l0.shard.map(|s| s.count) != lineage.shard.map(|s| s.count) {
                bail!(
                    "{} and {} were cut into different numbers of shards ({} vs {})",
                    d0.display(),
                    dir.display(),
                    l0.shard.map_or("none".into(), |s| s.to_string()),
                    lineage.shard.map_or("none".into(), |s| s.to_string())
                );
            }
        }
        if let Some(shard) = lineage.shard
            && let Some(other) = shards_seen.insert(shard.index, dir)
        {
            bail!("{} and {} are both shard {shard}: a shard may be merged once", other.display(), dir.display());
        }
        let read = runs::read(&dir.join("runs.csv"), &lineage.plan)?;
        let hint = |n: usize| {
            let shard = lineage.shard.map_or(String::new(), |s| format!(" --shard {s}"));
            format!(
                "{} holds {n} of its {} runs: finish it with `fleetsim sweep …{shard} --resume --out {}`",
                dir.display(),
                lineage.runs,
                dir.display()
            )
        };
        if read.partial_tail || (read.rows.len() as u64) < lineage.runs {
            bail!("{}", hint(read.rows.len()));
        }
        for row in read.rows {
            if let Some(shard) = lineage.shard.filter(|s| !s.holds(lineage.plan.run_index(row.id))) {
                bail!("{}: run {:?} does not belong to shard {shard}", dir.display(), row.id);
            }
            if let Some(other) = owner.insert(row.id, dir) {
                bail!(
                    "run (cell {}, replication {}) is in both {} and {}: the same runs were merged twice",
                    row.id.cell,
                    row.id.replication,
                    other.display(),
                    dir.display()
                );
            }
            rows.push(row);
        }
        if first.is_none() {
            first = Some((manifest, lineage, dir));
        }
    }
    let Some((mut manifest, mut lineage, _)) = first else { bail!("merge needs at least one sweep folder") };
    let plan = &lineage.plan;
    if (rows.len() as u64) < plan.runs() {
        let missing = match lineage.shard {
            Some(s) => {
                let absent: Vec<String> =
                    (0..s.count).filter(|i| !shards_seen.contains_key(i)).map(|i| format!("{i}/{}", s.count)).collect();
                format!("missing shards {}", absent.join(", "))
            }
            None => "the folders do not cover the sweep".into(),
        };
        bail!("the folders hold {} of the sweep's {} runs: {missing}", rows.len(), plan.runs());
    }
    lineage.shard = None;
    lineage.runs = plan.runs();
    lineage.merged_from = dirs.iter().map(|d| d.display().to_string()).collect();
    manifest.sweep = Some(lineage.clone());
    manifest.command_line = std::env::args().collect();
    manifest.created_utc = jiff::Timestamp::now().to_string();
    crate::output::write_atomic(out, "manifest.json", &manifest.to_json())?;
    let results = folder::write_results(out, &lineage, &mut rows)?;
    Ok((lineage, results))
}
