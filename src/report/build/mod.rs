//! What goes into each kind of report, read from the folder's files: `run.rs` (a run or a job),
//! `sweep.rs` and `compare.rs` assemble the pages; `verdict.rs` writes the opening sentences,
//! `tables.rs` the parameters and assumptions, `figures.rs`, `latency.rs` and `grid_figures.rs`
//! the charts; `grid.rs` reads `summary.csv` and `check.rs` checks the files it reads, warning
//! about what looks damaged. The reading helpers are here.

mod check;
mod compare;
mod figures;
mod grid;
mod grid_figures;
mod latency;
mod run;
mod sweep;
mod tables;
mod verdict;

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::Report;
use super::format::Unit;

pub use compare::{LLM_RANKING, LLM_RANKING_WHY, compare};
pub use run::run;
pub use sweep::sweep;

/// A numeric CSV file (`timeseries.csv`, `latency.csv`): its header and its columns as numbers.
struct Table {
    header: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Table {
    /// Reads `path`; a cell that is not a number is a warning naming its line and column, and the
    /// file is then left out (`None`), as is a missing file (without a warning).
    fn read(path: &Path, warnings: &mut Vec<String>) -> Option<Table> {
        let mut r = csv::Reader::from_path(path).ok()?;
        let header: Vec<String> = match r.headers() {
            Ok(h) => h.iter().map(String::from).collect(),
            Err(e) => {
                warnings.push(format!("{}: {e}; left out of the report", path.display()));
                return None;
            }
        };
        let mut columns = vec![Vec::new(); header.len()];
        let mut record = csv::StringRecord::new();
        let mut line = 1;
        loop {
            match r.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    warnings.push(format!("{}: {e}; left out of the report", path.display()));
                    return None;
                }
            }
            line += 1;
            for (j, name) in header.iter().enumerate() {
                let text = record.get(j).unwrap_or("");
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => columns[j].push(v),
                    _ => {
                        warnings.push(format!(
                            "{}:{line}: {name} is {text:?}, not a number; the file is left out of the report",
                            path.display()
                        ));
                        return None;
                    }
                }
            }
        }
        Some(Table { header, columns })
    }

    fn col(&self, name: &str) -> Option<&[f64]> {
        self.header.iter().position(|h| h == name).map(|i| self.columns[i].as_slice())
    }

    fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
}

/// A text CSV file read whole (small files: `compare.csv`).
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
    use crate::sweep::stats::Range;
    if metric.starts_with("cost_usd.") {
        Unit::Usd
    } else if metric.ends_with("_per_s") || metric.ends_with("_rps") {
        Unit::Number
    } else if LATENCIES.iter().any(|(family, _)| metric.strip_prefix(family).is_some_and(|r| r.starts_with('.')))
        || metric.ends_with("_s")
    {
        Unit::Seconds
    } else if Range::of(metric) != Range::NonNegative {
        Unit::Percent
    } else {
        Unit::Number
    }
}

/// The latency families of `summary.json` (each with mean, p50, p90, p95, p99, max) in words.
const LATENCIES: &[(&str, &str)] =
    &[("latency_s", "latency"), ("ttft_s", "TTFT"), ("tpot_s", "TPOT"), ("itl_s", "inter-token latency")];

/// A latency figure in words: `ttft_s.p90` → `p90 TTFT`, `latency_s.p50` → `median latency`.
fn latency_label(metric: &str) -> Option<String> {
    let (family, stat) = metric.split_once('.')?;
    let (_, words) = LATENCIES.iter().find(|(f, _)| *f == family)?;
    match stat {
        "p50" => Some(format!("median {words}")),
        "mean" => Some(format!("mean {words}")),
        "max" => Some(format!("longest {words}")),
        p if p.starts_with('p') && p[1..].parse::<u32>().is_ok() => Some(format!("{p} {words}")),
        _ => None,
    }
}

/// A metric's name in words, for axes, tables and sentences.
pub fn label_of(metric: &str) -> String {
    if let Some(words) = latency_label(metric) {
        return words;
    }
    let known = [
        ("cost_usd.total", "total cost"),
        ("cost_usd.on_demand", "on-demand cost"),
        ("cost_usd.spot", "spot cost"),
        ("cost_usd.reserved", "reserved cost"),
        ("cost_usd.per_million_requests", "cost per million requests"),
        ("cost_usd.per_million_output_tokens", "cost per million output tokens"),
        ("cost_usd.per_million_tokens", "cost per million tokens"),
        ("sla.attainment", "requests meeting every objective"),
        ("sla.goodput_rps", "goodput (req/s meeting every objective)"),
        ("sla.ttft.violation_rate", "requests over the TTFT objective"),
        ("sla.ttft.met", "runs meeting the TTFT objective"),
        ("sla.tpot.violation_rate", "requests over the TPOT objective"),
        ("sla.tpot.met", "runs meeting the TPOT objective"),
        ("sla.e2e.violation_rate", "requests over the end-to-end objective"),
        ("sla.e2e.met", "runs meeting the end-to-end objective"),
        ("tokens.prompt", "prompt tokens"),
        ("tokens.output", "output tokens"),
        ("tokens.output_per_s", "output tokens per second"),
        ("kv.utilization_mean", "mean KV cache use"),
        ("kv.preemptions", "preemptions (KV cache full)"),
        ("kv.transfers", "KV transfers (prefill to decode)"),
        ("kv.transfer_mean_s", "mean KV transfer time"),
        ("llm.iterations", "iterations"),
        ("llm.mean_batch_tokens", "mean tokens per iteration"),
        ("llm.mean_running", "mean running sequences"),
        ("job.makespan_s", "makespan"),
        ("sla.violation_rate", "requests over the SLA"),
        ("sla.met", "runs meeting the SLA"),
        ("throughput.requests_per_usd", "requests per dollar"),
        ("throughput.rps_per_usd_per_hour", "req/s per $/h"),
        ("throughput.rps", "throughput (req/s)"),
        ("job.lost_work_s", "work lost"),
        ("job.deadline_met", "runs meeting the deadline"),
        ("job.checkpoint.interval", "checkpoint interval"),
        ("fleet.interruptions", "spot interruptions"),
        ("fleet.mean_replicas", "mean replicas"),
        ("fleet.utilization", "utilization"),
        ("requests.sla_violations", "requests over the SLA"),
        ("requests.in_flight", "requests left in flight"),
        ("requests.cache_hits", "cache hits"),
        ("job.completed", "completed"),
    ];
    if let Some((_, words)) = known.iter().find(|(k, _)| *k == metric) {
        return words.to_string();
    }
    // Another key: its last part, in words (batcher.max_batch_size → max batch size).
    let words = metric.rsplit('.').next().unwrap_or(metric).trim_end_matches("_s").replace('_', " ");
    if metric.starts_with("requests.") { format!("requests {words}") } else { words }
}

/// One run's value of `metric`: a 0/1 outcome as yes or no, anything else in its unit.
fn single_value(metric: &str, v: f64) -> String {
    use crate::sweep::stats::Range;
    match Range::of(metric) {
        Range::Outcome if v == 1.0 => "yes".into(),
        Range::Outcome if v == 0.0 => "no".into(),
        _ => unit_of(metric).format(v),
    }
}

/// A cell's name from its axis values: `max_batch_size=16, max_wait=25ms`.
fn cell_name(axes: &[(String, Vec<String>)], values: &[String]) -> String {
    let parts: Vec<String> =
        axes.iter().zip(values).map(|((k, _), v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k))).collect();
    parts.join(", ")
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

/// A value of a grid axis on a number line: seconds for durations, the number otherwise.
fn numeric(value: &str) -> Option<(f64, Unit)> {
    if let Ok(d) = crate::scenario::units::parse_duration(value) {
        return Some((d.as_secs_f64(), Unit::Seconds));
    }
    value.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| (v, Unit::Number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llm_figures_have_words_and_units() {
        let cases = [
            ("ttft_s.p90", "p90 TTFT", Unit::Seconds),
            ("tpot_s.p99", "p99 TPOT", Unit::Seconds),
            ("itl_s.p50", "median inter-token latency", Unit::Seconds),
            ("latency_s.max", "longest latency", Unit::Seconds),
            ("cost_usd.per_million_output_tokens", "cost per million output tokens", Unit::Usd),
            ("tokens.output_per_s", "output tokens per second", Unit::Number),
            ("sla.goodput_rps", "goodput (req/s meeting every objective)", Unit::Number),
            ("sla.attainment", "requests meeting every objective", Unit::Percent),
            ("sla.ttft.met", "runs meeting the TTFT objective", Unit::Percent),
            ("kv.utilization_mean", "mean KV cache use", Unit::Percent),
            ("kv.preemptions", "preemptions (KV cache full)", Unit::Number),
            ("requests.rejected", "requests rejected", Unit::Number),
            ("llm.max_num_batched_tokens", "max num batched tokens", Unit::Number),
        ];
        for (metric, words, unit) in cases {
            assert_eq!((label_of(metric).as_str(), unit_of(metric)), (words, unit), "{metric}");
        }
    }
}
