//! What goes into each kind of report, read from the folder's files.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::chart::{Axis, BarChart, Figure, LineChart, Scatter, Series, VLine};
use super::format::{self, Unit};
use super::{CHART_SIZE, Report};

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

const KEY_FIGURES: &[(&str, &str)] = &[
    ("requests.arrived", "requests arrived"),
    ("requests.completed", "requests completed"),
    ("requests.dropped", "requests dropped"),
    ("requests.retried", "requests retried after interruptions"),
    ("latency_s.p50", "median latency"),
    ("latency_s.p99", "p99 latency"),
    ("sla.target_s", "SLA latency"),
    ("sla.violation_rate", "requests over the SLA"),
    ("cost_usd.total", "total cost"),
    ("cost_usd.on_demand", "on-demand cost"),
    ("cost_usd.spot", "spot cost"),
    ("cost_usd.reserved", "reserved cost"),
    ("cost_usd.per_million_requests", "cost per million requests"),
    ("throughput.rps_per_usd_per_hour", "req/s per $/h"),
    ("fleet.instance_hours", "instance-hours"),
    ("fleet.mean_replicas", "mean replicas"),
    ("fleet.interruptions", "spot interruptions"),
    ("fleet.utilization", "utilization"),
    ("job.makespan_s", "job makespan"),
    ("job.lost_work_s", "work lost to interruptions"),
    ("job.checkpoints", "checkpoints written"),
    ("job.checkpoint_interval_s", "checkpoint interval"),
    ("job.deadline_met", "deadline met (1 = yes)"),
];

/// The report of a run folder.
pub fn run(dir: &Path) -> Result<Report> {
    let summary = read_json(&dir.join("summary.json"))?;
    let name = summary.get("scenario").and_then(Value::as_str).unwrap_or("run").to_string();
    let mut report = Report { title: format!("{name}: run report"), blocks: Vec::new() };
    let is_job = summary.get("job").is_some_and(|j| !j.is_null());
    report.text(format!(
        "One run with seed {}, simulated to {} ({} events).",
        num(&summary, "engine.seed").unwrap_or(0.0),
        format::duration(num(&summary, "engine.end_s").unwrap_or(0.0)),
        format::si(num(&summary, "engine.events").unwrap_or(0.0))
    ));
    report.heading("Key figures");
    let rows: Vec<Vec<String>> = KEY_FIGURES
        .iter()
        .filter(|(k, _)| {
            // Serving figures say nothing about a job.
            let serving_only = k.starts_with("requests.")
                || k.starts_with("latency_s.")
                || k.starts_with("sla.")
                || k.starts_with("throughput.")
                || *k == "cost_usd.per_million_requests"
                || *k == "fleet.utilization"
                || *k == "fleet.mean_replicas";
            !(is_job && serving_only)
        })
        .filter_map(|(k, label)| {
            let v = num(&summary, k)?;
            let skip = v == 0.0
                && (k.contains("dropped")
                    || k.contains("retried")
                    || k.contains("reserved")
                    || k.contains("interruptions"));
            (!skip).then(|| vec![label.to_string(), unit_of(k).format(v), k.to_string()])
        })
        .collect();
    report.table(vec!["figure".into(), "value".into(), "summary.json key".into()], rows);
    let pools: Vec<Vec<String>> = summary
        .get("pools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let n = |k: &str| p.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            vec![
                s("name"),
                s("instance"),
                s("market"),
                format::si(n("instances_launched")),
                format::sig3(n("instance_hours")),
                format::money(n("cost_usd")),
                format::percent(n("utilization")),
            ]
        })
        .collect();
    if !pools.is_empty() {
        report.heading("Pools");
        report.table(
            ["pool", "instance", "market", "launched", "instance-hours", "cost", "utilization"]
                .map(String::from)
                .to_vec(),
            pools,
        );
    }
    report.heading("Charts");
    if let Ok(ts) = Csv::read(&dir.join("timeseries.csv"))
        && let Some(fig) = timeline(&[("".to_string(), ts)], is_job)
    {
        let panels = if let Figure::Stack(p) = &fig { p.len() } else { 1 };
        report.chart("timeline", fig, (CHART_SIZE.0, 60 + 280 * panels as u32));
    }
    if let Ok(lat) = Csv::read(&dir.join("latency.csv")) {
        let sla = num(&summary, "sla.target_s");
        report.chart("latency_cdf", latency_cdf(&[(name.clone(), lat)], sla), CHART_SIZE);
    }
    let cost = cost_bars(&[(name.clone(), summary.clone())], true);
    if let Some(fig) = cost {
        report.chart("cost", fig, CHART_SIZE);
    }
    if let Ok(m) = read_json(&dir.join("manifest.json")) {
        lineage(&mut report, &m);
    }
    Ok(report)
}

/// Time panels: load, queue, replicas by pool and market (interruptions marked), cost accrued.
/// With several designs, one line per design in each panel.
fn timeline(designs: &[(String, Csv)], is_job: bool) -> Option<Figure> {
    let time = Axis::new("simulated time", Unit::Seconds);
    let several = designs.len() > 1;
    let mut panels = Vec::new();
    let named = |design: &str, what: &str| -> String {
        match (several, what.is_empty()) {
            (true, true) => design.to_string(),
            (true, false) => format!("{design}: {what}"),
            (false, _) => what.to_string(),
        }
    };
    let mut load = Vec::new();
    let mut queue = Vec::new();
    let mut replicas = Vec::new();
    let mut cost = Vec::new();
    let mut events = Vec::new();
    for (design, ts) in designs {
        // A job's time series is its final row only: nothing to draw over time.
        let Some(t) = ts.numbers("time_s").filter(|t| t.len() >= 2) else { continue };
        // The last row may close a short interval (the drain): a rate over it would spike.
        let interval: Vec<f64> = t.iter().enumerate().map(|(i, &x)| if i == 0 { x } else { x - t[i - 1] }).collect();
        let full = interval.first().copied().unwrap_or(0.0);
        let interval: Vec<f64> = interval.into_iter().map(|dt| if dt < 0.5 * full { 0.0 } else { dt }).collect();
        let rate = |col: &str| -> Option<Vec<(f64, f64)>> {
            let v = ts.numbers(col)?;
            v.iter().any(|x| *x > 0.0).then(|| {
                t.iter()
                    .zip(&v)
                    .zip(&interval)
                    .filter(|(_, dt)| **dt > 0.0)
                    .map(|((&x, &n), &dt)| (x, n / dt))
                    .collect()
            })
        };
        let plain = |col: &str| -> Option<Vec<(f64, f64)>> {
            let v = ts.numbers(col)?;
            v.iter().any(|x| *x > 0.0).then(|| t.iter().copied().zip(v.iter().copied()).collect())
        };
        let line = |name: String, points: Vec<(f64, f64)>| Series {
            name,
            points,
            band: Vec::new(),
            markers: false,
            line: true,
        };
        if !is_job && (!several || load.is_empty()) {
            // The same seeds give every design the same arrivals: one load line is enough.
            if let Some(p) = rate("arrivals") {
                load.push(line(if several { "arrivals (all designs)".into() } else { "arrivals".into() }, p));
            }
            if !several && let Some(p) = rate("completions") {
                load.push(line("completions".into(), p));
            }
        }
        if let Some(p) = plain("queue_len") {
            queue.push(line(named(design, ""), p));
        }
        let pools: Vec<&String> = ts.header.iter().filter(|h| h.starts_with("replicas_")).collect();
        if several {
            if let Some(p) = plain("ready_replicas") {
                replicas.push(line(named(design, "ready replicas"), p));
            }
        } else {
            for col in &pools {
                if let Some(p) = plain(col) {
                    replicas.push(line(format!("pool {}", col.trim_start_matches("replicas_")), p));
                }
            }
            let markets: Vec<(&str, Vec<(f64, f64)>)> =
                [("on_demand_replicas", "on-demand"), ("spot_replicas", "spot"), ("reserved_replicas", "reserved")]
                    .iter()
                    .filter_map(|(col, name)| plain(col).map(|p| (*name, p)))
                    .collect();
            if markets.len() > 1 || pools.len() > 1 {
                for (name, p) in markets {
                    replicas.push(line(format!("{name} (market)"), p));
                }
            }
        }
        if let Some(p) = plain("cost_usd") {
            cost.push(line(named(design, ""), p));
        }
        if let Some(n) = ts.numbers("interruptions") {
            // Jobs count interruptions cumulatively; serving rows count those of the interval.
            let mut prev = 0.0;
            for (x, v) in t.iter().zip(&n) {
                let new = if is_job { v - prev } else { *v };
                prev = *v;
                if new > 0.0 && !several {
                    events.push(*x);
                }
            }
        }
    }
    let panel = |title: &str, y: Axis, series: Vec<Series>| LineChart {
        title: title.into(),
        x: time.clone(),
        y,
        series,
        vlines: Vec::new(),
        events: Vec::new(),
        events_label: String::new(),
        legend_lower: false,
    };
    if !load.is_empty() {
        panels.push(panel("Load", zero("requests per second", Unit::Number), load));
    }
    if !queue.is_empty() {
        panels.push(panel("Queue length", zero("requests waiting", Unit::Number), queue));
    }
    if !replicas.is_empty() {
        let mut p = panel("Replicas by pool and market", zero("live instances", Unit::Number), replicas);
        p.events = std::mem::take(&mut events);
        p.events_label = "spot interruption".into();
        panels.push(p);
    }
    if !cost.is_empty() {
        let mut p = panel("Cost accrued", zero("cost so far", Unit::Usd), cost);
        p.events = events;
        p.events_label = "spot interruption".into();
        panels.push(p);
    }
    (!panels.is_empty()).then_some(Figure::Stack(panels))
}

fn zero(label: &str, unit: Unit) -> Axis {
    Axis { from_zero: true, ..Axis::new(label, unit) }
}

/// The latency CDF of each design, with the SLA line.
fn latency_cdf(designs: &[(String, Csv)], sla: Option<f64>) -> Figure {
    let series: Vec<Series> = designs
        .iter()
        .filter_map(|(name, csv)| {
            let x = csv.numbers("latency_s")?;
            let y = csv.numbers("fraction")?;
            Some(Series {
                name: if designs.len() > 1 { name.clone() } else { "requests".into() },
                points: x.into_iter().zip(y).filter(|(x, _)| *x > 0.0).collect(),
                band: Vec::new(),
                markers: false,
                line: true,
            })
        })
        .collect();
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(x), h.max(x)));
    let mut x = Axis::new("latency", Unit::Seconds);
    x.log = lo > 0.0 && hi / lo > 20.0;
    let vlines = sla
        .filter(|s| *s > 0.0)
        .map(|s| VLine { x: s, label: format!("SLA {}", format::duration(s)), label_y: 0.5 })
        .into_iter()
        .collect();
    Figure::Lines(LineChart {
        legend_lower: true,
        title: "Latency distribution (CDF)".into(),
        x,
        y: Axis { from_zero: true, ..Axis::new("requests at most this slow", Unit::Percent) },
        series,
        vlines,
        events: Vec::new(),
        events_label: String::new(),
    })
}

/// Cost stacked by market and spot zone, one bar per design (or per market for one run).
fn cost_bars(designs: &[(String, Value)], by_market: bool) -> Option<Figure> {
    let zones: Vec<String> = {
        let mut z: Vec<String> = designs
            .iter()
            .flat_map(|(_, s)| {
                s.get("cost_usd")
                    .and_then(|c| c.get("by_zone"))
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect();
        z.sort();
        z.dedup();
        z
    };
    // Segments: on-demand, spot (by zone when the summary has zones), reserved.
    let mut parts: Vec<(String, String)> = vec![("on-demand".into(), "cost_usd.on_demand".into())];
    if zones.is_empty() {
        parts.push(("spot".into(), "cost_usd.spot".into()));
    } else {
        parts.extend(zones.iter().map(|z| (format!("spot {z}"), format!("zone:{z}"))));
    }
    parts.push(("reserved".into(), "cost_usd.reserved".into()));
    let part_value = |key: &str, s: &Value| -> f64 {
        match key.strip_prefix("zone:") {
            Some(z) => s.get("cost_usd").and_then(|c| c.get("by_zone")).and_then(|b| b.get(z)).and_then(Value::as_f64),
            None => num(s, key),
        }
        .unwrap_or(0.0)
    };
    let total: f64 = designs.iter().map(|(_, s)| num(s, "cost_usd.total").unwrap_or(0.0)).sum();
    if total <= 0.0 {
        return None;
    }
    let (categories, segments) = if by_market && designs.len() == 1 {
        // One run: a bar per market, spot split by zone.
        let s = &designs[0].1;
        let markets = ["on-demand", "spot", "reserved"];
        let present: Vec<usize> = markets
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                num(s, ["cost_usd.on_demand", "cost_usd.spot", "cost_usd.reserved"][*i]).unwrap_or(0.0) > 0.0
            })
            .map(|(i, _)| i)
            .collect();
        let categories: Vec<String> = present.iter().map(|&i| markets[i].to_string()).collect();
        let segments: Vec<(String, Vec<f64>)> = parts
            .iter()
            .map(|(name, key)| {
                let market = if name.starts_with("spot") {
                    1
                } else if name == "reserved" {
                    2
                } else {
                    0
                };
                (name.clone(), present.iter().map(|&m| if m == market { part_value(key, s) } else { 0.0 }).collect())
            })
            .filter(|(_, v): &(String, Vec<f64>)| v.iter().any(|x| *x > 0.0))
            .collect();
        (categories, segments)
    } else {
        let categories = designs.iter().map(|(n, _)| n.clone()).collect();
        let segments = parts
            .iter()
            .map(|(name, key)| (name.clone(), designs.iter().map(|(_, s)| part_value(key, s)).collect::<Vec<f64>>()))
            .filter(|(_, v)| v.iter().any(|x| *x > 0.0))
            .collect();
        (categories, segments)
    };
    Some(Figure::Bars(BarChart {
        title: "Cost by market and zone".into(),
        y: Axis::new("cost", Unit::Usd),
        categories,
        segments,
    }))
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
            None => {
                cells.push(Cell { index, values: row[1..=n_axes].to_vec(), metrics: BTreeMap::from([(metric, stats)]) })
            }
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

/// Metrics a sweep's report shows: the objective and constraint metrics, then defaults.
fn shown(sweep: &Value, cells: &[Cell]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(m) = sweep.get("objective").and_then(|o| o.get("metric")).and_then(Value::as_str) {
        out.push(m.to_string());
    }
    for c in sweep.get("subject_to").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if let Ok(a) = crate::scenario::validate::parse_assertion(c)
            && !out.contains(&a.metric)
        {
            out.push(a.metric);
        }
    }
    let is_job = cells.iter().any(|c| c.metrics.contains_key("job.makespan_s"));
    let defaults: &[&str] = if is_job {
        &["cost_usd.total", "job.makespan_s", "job.lost_work_s"]
    } else {
        &["cost_usd.total", "latency_s.p99", "sla.violation_rate"]
    };
    for d in defaults {
        if !out.iter().any(|m| m == d) && cells.iter().any(|c| c.metrics.contains_key(*d)) {
            out.push(d.to_string());
        }
    }
    out
}

/// A value of a grid axis on a number line: seconds for durations, the number otherwise.
fn numeric(value: &str) -> Option<(f64, Unit)> {
    if let Ok(d) = crate::scenario::units::parse_duration(value) {
        return Some((d.as_secs_f64(), Unit::Seconds));
    }
    value.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| (v, Unit::Number))
}

/// The report of a sweep folder (or the sweep part of a compare folder).
pub fn sweep(dir: &Path) -> Result<Report> {
    let manifest = read_json(&dir.join("manifest.json"))?;
    let sweep = manifest.get("sweep").cloned().context("manifest.json has no sweep part")?;
    let axes: Vec<(String, Vec<String>)> = sweep["plan"]["axes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let key = a["key"].as_str().unwrap_or("").to_string();
            let values =
                a["values"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
            (key, values)
        })
        .collect();
    let cells = read_cells(&dir.join("summary.csv"), axes.len())?;
    let name = Path::new(manifest["scenario_path"].as_str().unwrap_or("sweep"))
        .file_stem()
        .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
    let replications = sweep["plan"]["replications"].as_u64().unwrap_or(0);
    let mut report = Report { title: format!("{name}: sweep report"), blocks: Vec::new() };
    let grid: Vec<String> = axes.iter().map(|(k, v)| format!("{k} ∈ {{{}}}", v.join(", "))).collect();
    report.text(format!(
        "{} cells × {replications} replications (seeds {} to {}, the same in every cell). Grid: {}.",
        cells.len(),
        sweep["plan"]["base_seed"].as_u64().unwrap_or(0),
        sweep["plan"]["base_seed"].as_u64().unwrap_or(0) + replications.saturating_sub(1),
        if grid.is_empty() { "none".into() } else { grid.join("; ") }
    ));
    if let Ok(best) = read_json(&dir.join("best.json")) {
        best_block(&mut report, &best);
    }
    let metrics = shown(&sweep, &cells);
    report.heading("Cells (mean and 95% confidence interval)");
    let mut header: Vec<String> = axes.iter().map(|(k, _)| k.clone()).collect();
    header.push("n".into());
    header.extend(metrics.iter().cloned());
    let rows = cells
        .iter()
        .map(|c| {
            let mut row = c.values.clone();
            row.push(metrics.first().and_then(|m| c.metrics.get(m)).map_or("–".into(), |s| s.3.to_string()));
            row.extend(metrics.iter().map(|m| mean_ci(c.metrics.get(m), unit_of(m))));
            row
        })
        .collect();
    report.table(header, rows);
    report.heading("Charts");
    let highlight = read_json(&dir.join("best.json")).ok().and_then(|b| b["best"]["cell"].as_u64()).map(|c| c as usize);
    for (k, metric) in metrics.iter().enumerate() {
        if let Some(fig) = sweep_curve(&axes, &cells, metric) {
            report.chart(&format!("sweep_{k}_{}", metric.replace('.', "_")), fig, CHART_SIZE);
        }
    }
    if let Some(fig) = pareto(&axes, &cells, highlight) {
        report.chart("pareto", fig, CHART_SIZE);
    }
    lineage(&mut report, &manifest);
    Ok(report)
}

fn best_block(report: &mut Report, best: &Value) {
    report.heading("Best cell");
    let metric = best["metric"].as_str().unwrap_or("");
    let unit = unit_of(metric);
    let goal = if best["goal"] == "maximize" { "highest" } else { "lowest" };
    let subject: Vec<String> =
        best["subject_to"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
    let subject = if subject.is_empty() { String::new() } else { format!(" subject to {}", subject.join(", ")) };
    let pick = |p: &Value| -> String {
        let ci = p["ci95"].as_array().map_or(String::new(), |a| {
            format!(
                " (95% CI {} to {})",
                unit.format(a[0].as_f64().unwrap_or(f64::NAN)),
                unit.format(a[1].as_f64().unwrap_or(f64::NAN))
            )
        });
        format!(
            "{}: {}{ci}, n = {}",
            p["label"].as_str().unwrap_or(""),
            unit.format(p["mean"].as_f64().unwrap_or(f64::NAN)),
            p["n"]
        )
    };
    let mut text = format!(
        "The {goal} mean {metric}{subject}, among {} of {} cells that qualify. ",
        best["feasible"], best["cells"]
    );
    if best["best"].is_null() {
        text.push_str("No cell meets the constraints.");
        report.text(text);
        return;
    }
    text.push_str(&format!("Best: {}.", pick(&best["best"])));
    if !best["runner_up"].is_null() {
        text.push_str(&format!(" Runner-up: {}.", pick(&best["runner_up"])));
        let d = &best["paired_difference"];
        if !d.is_null() {
            let ci = d["ci95"].as_array().map_or(String::new(), |a| {
                format!(
                    " (95% CI {} to {})",
                    format::sig3(a[0].as_f64().unwrap_or(f64::NAN)),
                    format::sig3(a[1].as_f64().unwrap_or(f64::NAN))
                )
            });
            let verdict = match d["significant"].as_bool() {
                Some(true) => "the best cell is better at 95% confidence",
                Some(false) => "the difference is not significant at 95%",
                None => "one pair only",
            };
            text.push_str(&format!(
                " Paired difference best − runner-up over {} shared seeds: {}{ci}; {verdict}.",
                d["n"],
                format::sig3(d["mean"].as_f64().unwrap_or(f64::NAN))
            ));
        }
    }
    report.text(text);
}

/// `metric` against the first axis that lies on a number line, one line (with its 95% band) per
/// combination of the other axes. Cells of a checkpoint-interval axis set to `young` or `daly`
/// are placed at the interval they resolved to and marked.
fn sweep_curve(axes: &[(String, Vec<String>)], cells: &[Cell], metric: &str) -> Option<Figure> {
    let is_interval = |k: &str| k == "job.checkpoint.interval";
    let primary = axes.iter().position(|(k, values)| {
        values.iter().filter(|v| numeric(v).is_some()).count() >= 2
            && (is_interval(k) || values.iter().all(|v| numeric(v).is_some()))
    })?;
    let (key, values) = &axes[primary];
    let unit = values.iter().find_map(|v| numeric(v)).map_or(Unit::Number, |(_, u)| u);
    // One line per combination of the other axes, in grid order.
    let mut groups: Vec<(String, Vec<&Cell>)> = Vec::new();
    for c in cells {
        let label: Vec<String> = axes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != primary)
            .map(|(j, (k, _))| format!("{}={}", k.rsplit('.').next().unwrap_or(k), c.values[j]))
            .collect();
        let label = label.join(" ");
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, members)) => members.push(c),
            None => groups.push((label, vec![c])),
        }
    }
    let mut series: Vec<Series> = Vec::new();
    let mut vlines = Vec::new();
    let mut named_points = Vec::new();
    for (label, members) in groups.iter().take(8) {
        let mut pts: Vec<(f64, f64, f64, f64)> = Vec::new();
        for c in members {
            let Some(&(m, lo, hi, _)) = c.metrics.get(metric) else { continue };
            match numeric(&c.values[primary]) {
                Some((x, _)) => pts.push((x, m, lo, hi)),
                None if is_interval(key) => {
                    if let Some(x) = c.mean("job.checkpoint_interval_s") {
                        let who = c.values[primary].clone();
                        let name = match who.as_str() {
                            "young" => "Young",
                            "daly" => "Daly",
                            other => other,
                        };
                        if !vlines.iter().any(|v: &VLine| v.label.starts_with(name)) {
                            vlines.push(VLine { x, label: format!("{name} {}", format::duration(x)), label_y: 0.93 });
                        }
                        named_points.push((x, m));
                    }
                }
                None => {}
            }
        }
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let band = pts.iter().filter(|p| p.2.is_finite() && p.3.is_finite()).map(|p| (p.0, p.2, p.3)).collect();
        series.push(Series {
            name: if groups.len() > 1 { label.clone() } else { "mean, 95% CI band".to_string() },
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
            band,
            markers: true,
            line: true,
        });
    }
    if !named_points.is_empty() {
        series.push(Series {
            name: "Young's / Daly's interval".into(),
            points: named_points,
            band: Vec::new(),
            markers: true,
            line: false,
        });
    }
    // A metric every cell has the same value of (a deadline always met) says nothing as a curve.
    let all: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    if all.iter().all(|v| (v - all[0]).abs() <= 1e-12 * v.abs().max(1.0)) {
        return None;
    }
    let xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let (lo, hi) = xs.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
    let mut x = Axis::new(&label_of(key), unit);
    x.log = lo > 0.0 && hi / lo >= 16.0;
    let grid: Vec<f64> = values.iter().filter_map(|v| numeric(v).map(|n| n.0)).collect();
    if grid.len() <= 12 {
        x.ticks = Some(grid);
    }
    // A metric spanning orders of magnitude (an overloaded cell's latency) on a log scale.
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let (ylo, yhi) = ys.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &y| (l.min(y), h.max(y)));
    let mut y = Axis::new(&label_of(metric), unit_of(metric));
    y.log = ylo > 0.0 && yhi / ylo > 30.0;
    if y.log {
        for s in &mut series {
            s.band.retain(|b| b.1 > 0.0);
        }
    }
    Some(Figure::Lines(LineChart {
        title: format!("{} by {}", label_of(metric), label_of(key)),
        x,
        y,
        series,
        vlines,
        events: Vec::new(),
        events_label: String::new(),
        legend_lower: false,
    }))
}

/// Cost against p99 latency (serving) or makespan (jobs), one point per cell.
fn pareto(axes: &[(String, Vec<String>)], cells: &[Cell], highlight: Option<usize>) -> Option<Figure> {
    let other =
        if cells.iter().any(|c| c.metrics.contains_key("job.makespan_s")) { "job.makespan_s" } else { "latency_s.p99" };
    let points: Vec<(f64, f64, String)> =
        cells.iter().filter_map(|c| Some((c.mean(other)?, c.mean("cost_usd.total")?, c.values.join(", ")))).collect();
    if points.len() < 2 {
        return None;
    }
    let highlight = highlight.and_then(|h| cells.iter().position(|c| c.index == h));
    let spread = |v: Vec<f64>| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        lo > 0.0 && hi / lo > 30.0
    };
    let mut x = Axis::new(&label_of(other), Unit::Seconds);
    x.log = spread(points.iter().map(|p| p.0).collect());
    Some(Figure::Pareto(Scatter {
        title: format!(
            "Cost against {} ({})",
            label_of(other),
            axes.iter().map(|(k, _)| k.rsplit('.').next().unwrap_or(k).to_string()).collect::<Vec<_>>().join(", ")
        ),
        x,
        y: Axis::new("total cost", Unit::Usd),
        points,
        highlight,
    }))
}

/// The report of a compare folder: the designs side by side.
pub fn compare(dir: &Path) -> Result<Report> {
    let manifest = read_json(&dir.join("manifest.json"))?;
    let table = Csv::read(&dir.join("compare.csv"))?;
    let designs: Vec<String> = {
        let i = table.col("design").context("compare.csv has no design column")?;
        let mut d: Vec<String> = Vec::new();
        for r in &table.rows {
            if !d.contains(&r[i]) {
                d.push(r[i].clone());
            }
        }
        d
    };
    let replications = manifest["sweep"]["plan"]["replications"].as_u64().unwrap_or(0);
    let seed = manifest["sweep"]["plan"]["base_seed"].as_u64().unwrap_or(0);
    let mut report = Report { title: format!("Comparison: {}", designs.join(" vs ")), blocks: Vec::new() };
    report.text(format!(
        "{} designs, each run with the same {replications} seeds ({seed} to {}), so they see the same arrivals and interruptions. Differences are paired by seed against the first design, {}: an interval that excludes 0 is a difference at 95% confidence.",
        designs.len(),
        seed + replications.saturating_sub(1),
        designs.first().cloned().unwrap_or_default()
    ));
    report.heading("Metrics (mean and 95% confidence interval; Δ = design − first, paired by seed)");
    let col = |name: &str| table.col(name);
    let (Some(di), Some(mi), Some(mean), Some(lo), Some(hi), Some(dm), Some(dlo), Some(dhi)) = (
        col("design"),
        col("metric"),
        col("mean"),
        col("ci95_low"),
        col("ci95_high"),
        col("diff_mean"),
        col("diff_ci95_low"),
        col("diff_ci95_high"),
    ) else {
        anyhow::bail!("compare.csv lacks its columns");
    };
    let mut metrics: Vec<String> = Vec::new();
    for r in &table.rows {
        if !metrics.contains(&r[mi]) {
            metrics.push(r[mi].clone());
        }
    }
    let mut header = vec!["metric".to_string()];
    for (k, d) in designs.iter().enumerate() {
        header.push(d.clone());
        if k > 0 {
            header.push(format!("Δ {d}"));
        }
    }
    let f = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let rows: Vec<Vec<String>> = metrics
        .iter()
        .map(|m| {
            let unit = unit_of(m);
            let mut row = vec![m.clone()];
            for (k, d) in designs.iter().enumerate() {
                let r = table.rows.iter().find(|r| &r[di] == d && &r[mi] == m);
                row.push(r.map_or("–".into(), |r| mean_ci(Some(&(f(&r[mean]), f(&r[lo]), f(&r[hi]), 0)), unit)));
                if k > 0 {
                    row.push(r.map_or("–".into(), |r| {
                        let (m, l, h) = (f(&r[dm]), f(&r[dlo]), f(&r[dhi]));
                        let sign = |v: f64| if v > 0.0 { format!("+{}", unit.format(v)) } else { unit.format(v) };
                        if l.is_finite() { format!("{} [{}, {}]", sign(m), sign(l), sign(h)) } else { sign(m) }
                    }));
                }
            }
            row
        })
        .collect();
    report.table(header, rows);
    report.heading("Charts");
    let design_dir = |d: &str| dir.join("designs").join(crate::output::safe_name(d));
    let latencies: Vec<(String, Csv)> = designs
        .iter()
        .filter_map(|d| Csv::read(&design_dir(d).join("latency.csv")).ok().map(|c| (d.clone(), c)))
        .collect();
    let summaries: Vec<(String, Value)> = designs
        .iter()
        .filter_map(|d| read_json(&design_dir(d).join("summary.json")).ok().map(|s| (d.clone(), s)))
        .collect();
    if !latencies.is_empty() {
        let sla = summaries.first().and_then(|(_, s)| num(s, "sla.target_s"));
        report.chart("latency_cdf", latency_cdf(&latencies, sla), CHART_SIZE);
    }
    let means: Vec<(String, Value)> = designs
        .iter()
        .map(|d| {
            let mut v = serde_json::json!({"cost_usd": {}});
            for key in ["cost_usd.total", "cost_usd.on_demand", "cost_usd.spot", "cost_usd.reserved"] {
                if let Some(r) = table.rows.iter().find(|r| &r[di] == d && r[mi] == key) {
                    v["cost_usd"][key.trim_start_matches("cost_usd.")] = serde_json::json!(f(&r[mean]));
                }
            }
            (d.clone(), v)
        })
        .collect();
    if let Some(fig) = cost_bars(&means, false) {
        report.chart("cost", fig, CHART_SIZE);
    }
    let series: Vec<(String, Csv)> = designs
        .iter()
        .filter_map(|d| Csv::read(&design_dir(d).join("timeseries.csv")).ok().map(|c| (d.clone(), c)))
        .collect();
    let is_job = summaries.iter().any(|(_, s)| s.get("job").is_some_and(|j| !j.is_null()));
    if let Some(fig) = timeline(&series, is_job) {
        let panels = if let Figure::Stack(p) = &fig { p.len() } else { 1 };
        report.chart("timeline", fig, (CHART_SIZE.0, 60 + 280 * panels as u32));
    }
    let cells = read_cells(&dir.join("summary.csv"), 1)?;
    if let Some(fig) = pareto(&[("design".into(), designs.clone())], &cells, None) {
        report.chart("pareto", fig, CHART_SIZE);
    }
    report.text(format!(
        "Time charts show the run with seed {seed}; the latency distribution pools the requests of all {replications} runs of each design."
    ));
    lineage(&mut report, &manifest);
    Ok(report)
}
