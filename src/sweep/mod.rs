//! Monte Carlo sweeps: a grid of scenario variants (cells, the product of the axes) times a
//! number of replications, run in parallel, written to `runs.csv` as runs finish and summarized
//! per cell in `summary.csv`.
//!
//! Replication r runs with seed `base + r` in every cell (common random numbers), so cells are
//! compared on the same arrivals and interruptions, and any row can be reproduced with
//! `fleetsim run SCENARIO --set KEY=VALUE… --seed SEED`. Run `i` is cell `i / R`, replication
//! `i % R`; shard `I/N` holds the runs with `i % N == I`, so shards are balanced across cells.

pub mod compare;
pub mod exec;
pub mod folder;
pub mod merge;
pub mod range;
pub mod runs;
pub mod stats;
pub mod summary;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::scenario::{Axis, Override};

/// Most runs one sweep may have.
pub const MAX_RUNS: u64 = 10_000_000;
/// Most cells one sweep may have (each is a validated scenario in memory).
pub const MAX_CELLS: u64 = 100_000;

/// Which slice of a sweep a process runs: runs whose index is `index` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// How many shards there are.
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` with 0 ≤ I < N (Slurm's `$SLURM_ARRAY_TASK_ID` with `--array=0-(N-1)`, or
    /// Kubernetes' `$JOB_COMPLETION_INDEX`).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text:?}: expected I/N, e.g. 0/4 for the first of 4 shards (I counts from 0)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            return Err(format!("--shard {text:?}: N must be at least 1"));
        }
        if index >= count {
            return Err(format!("--shard {text:?}: I counts from 0, so it must be below N = {count}"));
        }
        Ok(Shard { index, count })
    }

    /// Whether run `index` belongs to this shard.
    pub fn holds(&self, index: u64) -> bool {
        index % u64::from(self.count) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The cells and seeds of a sweep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Grid axes; the first varies slowest.
    pub axes: Vec<Axis>,
    /// Runs per cell.
    pub replications: u32,
    /// Replication r runs with seed `base_seed + r` (wrapping).
    pub base_seed: u64,
}

/// One run: a cell and a replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId {
    /// Cell index (axes decoded first-slowest).
    pub cell: usize,
    /// Replication, from 0.
    pub replication: u32,
}

impl Plan {
    /// A plan, refused if it would have no runs or more than [`MAX_RUNS`].
    pub fn new(axes: Vec<Axis>, replications: u32, base_seed: u64) -> Result<Plan, String> {
        let cells = axes.iter().try_fold(1u64, |n, a| n.checked_mul(a.values.len() as u64));
        let runs = cells.and_then(|c| c.checked_mul(u64::from(replications)));
        match runs {
            Some(0) => Err("the sweep has no runs".into()),
            _ if cells.is_some_and(|c| c > MAX_CELLS) => Err(format!(
                "the grid has {} cells, more than {MAX_CELLS}; narrow the grid (replications are cheaper than cells)",
                cells.unwrap_or_default()
            )),
            Some(n) if n <= MAX_RUNS => Ok(Plan { axes, replications, base_seed }),
            _ => Err(format!(
                "the sweep would make more than {MAX_RUNS} runs ({} cells × {replications} replications); narrow the grid",
                cells.map_or("too many".into(), |c| c.to_string())
            )),
        }
    }

    /// Axes from the scenario's `sweep.grid`, then from `--set`: an axis given again replaces the
    /// earlier one in place.
    pub fn combine_axes(file: &[Axis], set: &[Axis]) -> Vec<Axis> {
        let mut axes = file.to_vec();
        for axis in set {
            match axes.iter_mut().find(|a| a.key == axis.key) {
                Some(existing) => *existing = axis.clone(),
                None => axes.push(axis.clone()),
            }
        }
        axes
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Number of runs in the whole sweep.
    pub fn runs(&self) -> u64 {
        self.cells() as u64 * u64::from(self.replications)
    }

    /// The value of each axis in `cell`.
    pub fn cell_values(&self, cell: usize) -> Vec<&str> {
        let mut rest = cell;
        let mut values = vec![""; self.axes.len()];
        for (slot, axis) in values.iter_mut().zip(&self.axes).rev() {
            let n = axis.values.len();
            *slot = &axis.values[rest % n];
            rest /= n;
        }
        values
    }

    /// `--set` overrides that make `cell` from the base scenario.
    pub fn cell_overrides(&self, cell: usize) -> Vec<Override> {
        self.axes
            .iter()
            .zip(self.cell_values(cell))
            .map(|(a, v)| Override { key: a.key.clone(), text: v.to_string() })
            .collect()
    }

    /// `key=value key=value`, or `(base scenario)` without axes.
    pub fn cell_label(&self, cell: usize) -> String {
        if self.axes.is_empty() {
            return "(base scenario)".into();
        }
        self.axes
            .iter()
            .zip(self.cell_values(cell))
            .map(|(a, v)| format!("{}={v}", a.key))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The seed of replication `r`.
    pub fn seed(&self, replication: u32) -> u64 {
        self.base_seed.wrapping_add(u64::from(replication))
    }

    /// The run's position in the sweep.
    pub fn run_index(&self, id: RunId) -> u64 {
        id.cell as u64 * u64::from(self.replications) + u64::from(id.replication)
    }

    /// The runs of `shard` (all runs without one) that are not in `done`, in index order.
    pub fn todo(&self, shard: Option<Shard>, done: &HashSet<RunId>) -> Vec<RunId> {
        (0..self.cells())
            .flat_map(|cell| (0..self.replications).map(move |replication| RunId { cell, replication }))
            .filter(|id| shard.is_none_or(|s| s.holds(self.run_index(*id))) && !done.contains(id))
            .collect()
    }

    /// How many runs `shard` holds.
    pub fn runs_in(&self, shard: Option<Shard>) -> u64 {
        match shard {
            None => self.runs(),
            Some(s) => (self.runs() + u64::from(s.count) - 1 - u64::from(s.index)) / u64::from(s.count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(key: &str, values: &[&str]) -> Axis {
        Axis { key: key.into(), values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn cells_decode_first_axis_slowest() {
        let plan = Plan::new(vec![axis("a", &["1", "2"]), axis("b", &["x", "y", "z"])], 3, 10).unwrap();
        assert_eq!(plan.cells(), 6);
        assert_eq!(plan.runs(), 18);
        assert_eq!(plan.cell_values(0), ["1", "x"]);
        assert_eq!(plan.cell_values(2), ["1", "z"]);
        assert_eq!(plan.cell_values(3), ["2", "x"]);
        assert_eq!(plan.cell_label(5), "a=2 b=z");
        assert_eq!(plan.seed(2), 12);
        assert_eq!(plan.run_index(RunId { cell: 1, replication: 2 }), 5);
    }

    #[test]
    fn shards_partition_the_runs() {
        let plan = Plan::new(vec![axis("a", &["1", "2", "3"])], 5, 0).unwrap();
        let mut seen = HashSet::new();
        for i in 0..4 {
            let shard = Shard { index: i, count: 4 };
            let todo = plan.todo(Some(shard), &HashSet::new());
            assert_eq!(todo.len() as u64, plan.runs_in(Some(shard)));
            for id in todo {
                assert!(seen.insert(id), "{id:?} in two shards");
            }
        }
        assert_eq!(seen.len() as u64, plan.runs());
        let done: HashSet<_> = [RunId { cell: 0, replication: 0 }].into();
        assert_eq!(plan.todo(None, &done).len(), 14);
    }

    #[test]
    fn shard_and_plan_errors() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        assert!(Shard::parse("4/4").unwrap_err().contains("counts from 0"));
        assert!(Shard::parse("1/0").unwrap_err().contains("at least 1"));
        assert!(Shard::parse("x").unwrap_err().contains("I/N"));
        assert!(Plan::new(vec![], 0, 0).unwrap_err().contains("no runs"));
        let many: Vec<Axis> =
            (0..8).map(|i| axis(&format!("k{i}"), &["1", "2", "3", "4", "5", "6", "7", "8"])).collect();
        assert!(Plan::new(many, 1, 0).unwrap_err().contains("narrow the grid"));
        let wide: Vec<Axis> = (0..3).map(|i| axis(&format!("k{i}"), &["1"; 50])).collect();
        assert!(Plan::new(wide, 1, 0).unwrap_err().contains("125000 cells, more than 100000"));
        assert!(Plan::new(vec![axis("a", &["1"])], 1, 0).is_ok());
    }

    #[test]
    fn set_axes_replace_file_axes_in_place() {
        let axes =
            Plan::combine_axes(&[axis("a", &["1"]), axis("b", &["2"])], &[axis("a", &["5", "6"]), axis("c", &["7"])]);
        let keys: Vec<_> = axes.iter().map(|a| (a.key.as_str(), a.values.len())).collect();
        assert_eq!(keys, [("a", 2), ("b", 1), ("c", 1)]);
    }
}
