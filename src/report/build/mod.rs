//! What goes into each kind of report, read from the folder's files: `run.rs`, `sweep.rs` and
//! `compare.rs` assemble the pages, `figures.rs` the charts they share; the reading helpers are
//! here.

mod compare;
mod figures;
mod run;
mod sweep;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::Report;
use super::format::Unit;

pub use compare::compare;
pub use run::run;
pub use sweep::sweep;

/// A CSV file as a header and rows of text.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Result<Csv> {
        let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
        let header =
            r.headers().with_context(|| format!("{}: no header", path.display()))?.iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| rec.map(|r| r.iter().map(String::from).collect()))
            .collect::<Result<Vec<Vec<String>>, _>>()
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Csv { header, rows })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A numeric column (missing or unparsable cells as NaN).
    fn numbers(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.col(name)?;
        Some(self.rows.iter().map(|r| r.get(i).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)).collect())
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// The value at a dotted key of a JSON tree as a number (`true` = 1).
fn num(v: &Value, key: &str) -> Option<f64> {
    let leaf = key.split('.').try_fold(v, |node, k| node.get(k))?;
    match leaf {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    }
}

/// How a metric is written, from its key.
pub fn unit_of(metric: &str) -> Unit {
    if metric.starts_with("cost_usd.") {
        Unit::Usd
    } else if metric.starts_with("latency_s.") || metric.ends_with("_s") || metric == "sla.target_s" {
        Unit::Seconds
    } else if metric == "sla.violation_rate" || metric == "fleet.utilization" || metric == "job.progress" {
        Unit::Percent
    } else {
        Unit::Number
    }
}

/// A metric's name for a chart axis.
fn label_of(metric: &str) -> String {
    match metric {
        "cost_usd.total" => "total cost".into(),
        "latency_s.p99" => "p99 latency".into(),
        "latency_s.p50" => "median latency".into(),
        "job.makespan_s" => "makespan".into(),
        "sla.violation_rate" => "requests over the SLA".into(),
        "throughput.requests_per_usd" => "requests per dollar".into(),
        "throughput.rps_per_usd_per_hour" => "req/s per $/h".into(),
        "job.lost_work_s" => "work lost".into(),
        "job.checkpoint.interval" => "checkpoint interval".into(),
        other if other.contains('.') && !other.starts_with("cost_usd") => {
            // A scenario key: its last part, in words (batcher.max_batch_size → max batch size).
            other.rsplit('.').next().unwrap_or(other).replace('_', " ")
        }
        other => other.to_string(),
    }
}

/// The lineage table of `manifest.json`.
fn lineage(report: &mut Report, manifest: &Value) {
    report.heading("Lineage");
    let mut rows = Vec::new();
    let mut add = |k: &str, v: String| rows.push(vec![k.to_string(), v]);
    let s = |key: &str| manifest.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    add("fleetsim version", s("fleetsim_version"));
    add("git commit", manifest.get("git_commit").and_then(Value::as_str).unwrap_or("unknown").to_string());
    add("scenario", s("scenario_path"));
    add("scenario SHA-256", s("scenario_sha256"));
    let list = |key: &str| -> Vec<String> {
        manifest
            .get(key)
            .and_then(Value::as_array)
            .map_or(Vec::new(), |a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
    };
    let overrides = list("overrides");
    add("--set overrides", if overrides.is_empty() { "none".into() } else { overrides.join(" ") });
    for t in manifest.get("traces").and_then(Value::as_array).into_iter().flatten() {
        let path = t.get("path").and_then(Value::as_str).unwrap_or("");
        let sha = t.get("sha256").and_then(Value::as_str).unwrap_or("");
        add("trace", format!("{path} (SHA-256 {sha})"));
    }
    add("seed", manifest.get("seed").map(|v| v.to_string()).unwrap_or_default());
    add("command line", list("command_line").join(" "));
    add("made (UTC)", s("created_utc"));
    if let Some(designs) = manifest.get("compare").and_then(|c| c.get("designs")).and_then(Value::as_array) {
        for d in designs {
            let name = d.get("name").and_then(Value::as_str).unwrap_or("");
            let path = d.get("path").and_then(Value::as_str).unwrap_or("");
            let sha = d.get("sha256").and_then(Value::as_str).unwrap_or("");
            add("design", format!("{name}: {path} (SHA-256 {sha})"));
        }
    }
    report.table(vec!["item".into(), "value".into()], rows);
}

/// One cell of `summary.csv`: its axis values and (mean, low, high, n) per metric.
struct Cell {
    index: usize,
    values: Vec<String>,
    metrics: BTreeMap<String, (f64, f64, f64, usize)>,
}

impl Cell {
    fn mean(&self, metric: &str) -> Option<f64> {
        self.metrics.get(metric).map(|m| m.0)
    }
}

fn read_cells(path: &Path, n_axes: usize) -> Result<Vec<Cell>> {
    let csv = Csv::read(path)?;
    let mut cells: Vec<Cell> = Vec::new();
    for row in &csv.rows {
        let index: usize = row.first().and_then(|v| v.parse().ok()).context("summary.csv: a row without its cell")?;
        let f = |j: usize| row.get(j).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        let metric = row.get(1 + n_axes).cloned().unwrap_or_default();
        let n = row.get(2 + n_axes).and_then(|v| v.parse().ok()).unwrap_or(0);
        let stats = (f(3 + n_axes), f(4 + n_axes), f(5 + n_axes), n);
        match cells.last_mut().filter(|c| c.index == index) {
            Some(c) => {
                c.metrics.insert(metric, stats);
            }
            None => cells.push(Cell {
                index,
                values: (1..=n_axes).map(|j| row.get(j).cloned().unwrap_or_default()).collect(),
                metrics: BTreeMap::from([(metric, stats)]),
            }),
        }
    }
    Ok(cells)
}

fn mean_ci(stats: Option<&(f64, f64, f64, usize)>, unit: Unit) -> String {
    match stats {
        Some(&(m, lo, hi, _)) if lo.is_finite() && hi.is_finite() => {
            format!("{} [{}, {}]", unit.format(m), unit.format(lo), unit.format(hi))
        }
        Some(&(m, ..)) => unit.format(m),
        None => "–".into(),
    }
}

/// A value of a grid axis on a number line: seconds for durations, the number otherwise.
fn numeric(value: &str) -> Option<(f64, Unit)> {
    if let Ok(d) = crate::scenario::units::parse_duration(value) {
        return Some((d.as_secs_f64(), Unit::Seconds));
    }
    value.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| (v, Unit::Number))
}
