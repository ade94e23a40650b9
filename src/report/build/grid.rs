//! `summary.csv` read as a stream into the few metrics a report shows, so that a sweep at the
//! 100,000-cell limit reports in memory proportional to cells × shown metrics, not to the file.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::sweep::stats::Method;

/// A cell's statistics of one metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Stat {
    /// Mean.
    pub mean: f64,
    /// 95% interval (NaN when unknown).
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Runs.
    pub n: usize,
    /// How the interval was computed (files written before the `ci95_method` column: none).
    pub method: Option<Method>,
}

/// One cell: its index, its axis values and its statistics of the [`Grid`]'s metrics.
#[derive(Clone, Debug)]
pub(crate) struct Cell {
    pub index: usize,
    pub values: Vec<String>,
    stats: Vec<Option<Stat>>,
}

/// The cells of a `summary.csv`, keeping the metrics asked for only.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grid {
    pub metrics: Vec<String>,
    pub cells: Vec<Cell>,
    /// Every interval method seen, by metric (for the report's note on intervals).
    pub methods: Vec<(String, Method)>,
}

impl Grid {
    /// The statistics of `metric` in `cell`.
    pub fn get(&self, cell: &Cell, metric: &str) -> Option<Stat> {
        let i = self.metrics.iter().position(|m| m == metric)?;
        cell.stats.get(i).copied().flatten()
    }

    /// The mean of `metric` in `cell`.
    pub fn mean(&self, cell: &Cell, metric: &str) -> Option<f64> {
        self.get(cell, metric).map(|s| s.mean)
    }

    /// Whether any cell has `metric`.
    pub fn has(&self, metric: &str) -> bool {
        self.cells.iter().any(|c| self.get(c, metric).is_some())
    }

    /// Reads `path` with `n_axes` axis columns after `cell`, keeping `wanted` metrics; damaged
    /// rows are skipped with a warning naming their line.
    pub fn read(path: &Path, n_axes: usize, wanted: &[String], warnings: &mut Vec<String>) -> Result<Grid> {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let header = r.headers().with_context(|| format!("{}: no header", path.display()))?.clone();
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(0), Some(mi), Some(ni), Some(mean), Some(lo), Some(hi)) =
            (col("cell"), col("metric"), col("n"), col("mean"), col("ci95_low"), col("ci95_high"))
        else {
            bail!("{} lacks its columns (cell, axes, metric, n, mean, ci95_low, ci95_high)", path.display());
        };
        if mi != n_axes + 1 {
            bail!("{} has {} axis columns where its manifest.json has {n_axes}", path.display(), mi - 1);
        }
        let method_col = col("ci95_method");
        let mut grid = Grid { metrics: wanted.to_vec(), ..Grid::default() };
        let mut damaged = Vec::new();
        let mut record = csv::StringRecord::new();
        let mut line = 1;
        while r.read_record(&mut record).with_context(|| format!("cannot read {}", path.display()))? {
            line += 1;
            let Some(k) = wanted.iter().position(|w| Some(w.as_str()) == record.get(mi)) else { continue };
            let number = |i: usize| record.get(i).filter(|v| !v.is_empty()).map(|v| v.parse::<f64>());
            let (Some(Ok(index)), Some(Ok(m)), Some(Ok(n))) =
                (record.get(0).map(str::parse::<usize>), number(mean), record.get(ni).map(str::parse::<usize>))
            else {
                damaged.push(line);
                continue;
            };
            let bound = |i: usize| match number(i) {
                None => Some(f64::NAN),
                Some(Ok(v)) => Some(v),
                Some(Err(_)) => None,
            };
            let (Some(low), Some(high)) = (bound(lo), bound(hi)) else {
                damaged.push(line);
                continue;
            };
            if !m.is_finite() || low > m + 1e-9 * m.abs().max(1.0) || high < m - 1e-9 * m.abs().max(1.0) {
                damaged.push(line);
                continue;
            }
            let method = method_col.and_then(|i| record.get(i)).and_then(Method::parse);
            if let Some(method) = method
                && !grid.methods.iter().any(|(x, y)| x == &wanted[k] && *y == method)
            {
                grid.methods.push((wanted[k].clone(), method));
            }
            let stat = Stat { mean: m, low, high, n, method };
            if grid.cells.last().is_none_or(|c| c.index != index) {
                let values = (1..=n_axes).map(|j| record.get(j).unwrap_or("").to_string()).collect();
                grid.cells.push(Cell { index, values, stats: vec![None; wanted.len()] });
            }
            if let Some(c) = grid.cells.last_mut() {
                c.stats[k] = Some(stat);
            }
        }
        if !damaged.is_empty() {
            let shown: Vec<String> = damaged.iter().take(5).map(|l| l.to_string()).collect();
            let more = if damaged.len() > 5 { format!(" and {} more", damaged.len() - 5) } else { String::new() };
            warnings.push(format!(
                "{}: line {}{more}: not a cell's statistics (a number missing or unreadable, or a mean outside its interval); left out",
                path.display(),
                shown.join(", ")
            ));
        }
        Ok(grid)
    }
}
