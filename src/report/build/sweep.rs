//! The report of a sweep folder: the verdict (best cell, its margin over the runner-up, cells
//! that fail the constraints), the cells, the parameters, the curves, cost against latency and
//! the heat map of a two-axis grid.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::grid::{Cell, Grid};
use super::grid_figures::{Rules, heat_map, pareto, sweep_curve};
use super::{cell_name, label_of, lineage, read_json, tables, unit_of, verdict};
use crate::report::{CHART_SIZE, Report};
use crate::scenario::parse_assertion;
use crate::sweep::stats::Method;

/// Cells listed in the report's table at most (`summary.csv` has them all).
const MAX_TABLE_CELLS: usize = 50;

/// Metrics a sweep's report shows: the objective and constraint metrics, then defaults.
fn shown(sweep: &Value, rules: &Rules, is_job: bool, is_llm: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(m) = sweep.get("objective").and_then(|o| o.get("metric")).and_then(Value::as_str) {
        out.push(m.to_string());
    }
    for a in &rules.constraints {
        if !out.contains(&a.metric) {
            out.push(a.metric.clone());
        }
    }
    let defaults: &[&str] = if is_job {
        &["cost_usd.total", "job.makespan_s", "job.lost_work_s", "job.deadline_met"]
    } else if is_llm {
        &[
            "cost_usd.total",
            "cost_usd.per_million_output_tokens",
            "ttft_s.p90",
            "ttft_s.p99",
            "tpot_s.p90",
            "tpot_s.p99",
            "sla.attainment",
        ]
    } else {
        &["cost_usd.total", "latency_s.p99", "sla.violation_rate"]
    };
    for d in defaults {
        if !out.iter().any(|m| m == d) {
            out.push(d.to_string());
        }
    }
    out
}

/// The axes of `manifest.json`'s plan: key and values.
pub(super) fn axes_of(sweep: &Value) -> Vec<(String, Vec<String>)> {
    sweep["plan"]["axes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let key = a["key"].as_str().unwrap_or("").to_string();
            let values =
                a["values"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
            (key, values)
        })
        .collect()
}

/// The metrics a grid report reads from `summary.csv`: those shown and those the charts and
/// rules need.
pub(super) fn wanted(shown: &[String], rules: &Rules) -> Vec<String> {
    let mut out: Vec<String> = shown.to_vec();
    let extra = [
        "cost_usd.total",
        "latency_s.p50",
        "latency_s.p90",
        "latency_s.p95",
        "latency_s.p99",
        "job.makespan_s",
        "job.checkpoint_interval_s",
        "sla.target_s",
        "sla.quantile",
        "sla.met",
        "job.deadline_met",
    ];
    for m in extra.iter().map(|m| m.to_string()).chain(rules.constraints.iter().map(|a| a.metric.clone())) {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// The SLA the cells share (the first cell's), as the latency key of its quantile and its target.
pub(super) fn sla_of(grid: &Grid) -> Option<(String, f64)> {
    let c = grid.cells.first()?;
    let (target, q) = (grid.mean(c, "sla.target_s")?, grid.mean(c, "sla.quantile")?);
    let key = format!("latency_s.{}", crate::report::format::quantile(q));
    grid.has(&key).then_some((key, target))
}

/// The report of a sweep folder; what looks damaged goes to `warnings`.
pub fn sweep(dir: &Path, warnings: &mut Vec<String>) -> Result<Report> {
    let manifest = read_json(&dir.join("manifest.json"))?;
    let sweep = manifest.get("sweep").cloned().context("manifest.json has no sweep part")?;
    let axes = axes_of(&sweep);
    let constraints = sweep["subject_to"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().and_then(|t| parse_assertion(t).ok()))
        .collect();
    let mut rules = Rules { constraints, sla: None };
    let probe_keys = ["job.makespan_s".to_string(), "ttft_s.p50".to_string()];
    let probe = Grid::read(&dir.join("summary.csv"), axes.len(), &probe_keys, &mut Vec::new())?;
    let is_job = probe.has("job.makespan_s");
    let metrics = shown(&sweep, &rules, is_job, probe.has("ttft_s.p50"));
    let grid = Grid::read(&dir.join("summary.csv"), axes.len(), &wanted(&metrics, &rules), warnings)?;
    rules.sla = sla_of(&grid);
    let metrics: Vec<String> = metrics.into_iter().filter(|m| grid.has(m)).collect();
    let name = Path::new(manifest["scenario_path"].as_str().unwrap_or("sweep"))
        .file_stem()
        .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
    let replications = sweep["plan"]["replications"].as_u64().unwrap_or(0);
    let mut report = Report { title: format!("{name}: sweep report"), ..Report::default() };
    let best = read_json(&dir.join("best.json")).ok();
    report.verdict(sentences(best.as_ref(), &axes, &grid, &rules));
    let grid_text: Vec<String> = axes.iter().map(|(k, v)| format!("{k} ∈ {{{}}}", short_list(v))).collect();
    let seed = sweep["plan"]["base_seed"].as_u64().unwrap_or(0);
    report.text(format!(
        "{} cells × {replications} replications (seeds {seed} to {}, the same in every cell). Grid: {}.",
        crate::report::format::count(grid.cells.len() as f64),
        seed.wrapping_add(replications.saturating_sub(1)),
        if grid_text.is_empty() { "none".into() } else { grid_text.join("; ") }
    ));
    let best_cell = best.as_ref().and_then(|b| b["best"]["cell"].as_u64()).map(|c| c as usize);
    cell_table(&mut report, &axes, &grid, &metrics, &rules, best.as_ref());
    let params = tables::read_parameters(dir, warnings);
    let axis_keys: Vec<String> = axes.iter().map(|(k, _)| k.clone()).collect();
    tables::parameters(&mut report, params.as_ref(), None, &axis_keys);
    report.heading("Charts");
    for (k, metric) in metrics.iter().enumerate() {
        if let Some(fig) = sweep_curve(&axes, &grid, metric, &rules) {
            report.chart(&format!("sweep_{k}_{}", metric.replace('.', "_")), fig, CHART_SIZE);
        }
    }
    if let Some(fig) = pareto(&axes, &grid, &rules, best_cell) {
        report.chart("pareto", fig, CHART_SIZE);
    }
    if let Some(metric) = metrics.first()
        && let Some(fig) = heat_map(&axes, &grid, metric, &rules, best_cell)
    {
        report.chart("heatmap", fig, CHART_SIZE);
    }
    lineage(&mut report, &manifest);
    Ok(report)
}

/// A list of axis values, cut after 12.
fn short_list(values: &[String]) -> String {
    if values.len() <= 12 {
        return values.join(", ");
    }
    format!("{}, … {} ({} values)", values[..6].join(", "), values[values.len() - 1], values.len())
}

/// The verdict: the best cell and its margin, and the cells that fail the rules.
fn sentences(best: Option<&Value>, axes: &[(String, Vec<String>)], grid: &Grid, rules: &Rules) -> Vec<String> {
    let mut out = Vec::new();
    match best {
        Some(b) if !b["best"].is_null() => {
            let metric = b["metric"].as_str().unwrap_or("");
            let unit = unit_of(metric);
            let pick = |p: &Value| verdict::Ranked {
                label: resolved(grid, p["cell"].as_u64(), p["label"].as_str().unwrap_or("")),
                mean: p["mean"].as_f64().unwrap_or(f64::NAN),
                ci: p["ci95"].as_array().and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))),
            };
            let d = &b["paired_difference"];
            let paired = verdict::Paired {
                mean: d["mean"].as_f64().unwrap_or(f64::NAN),
                ci: d["ci95"].as_array().and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))),
                n: d["n"].as_u64().unwrap_or(0) as usize,
                significant: d["significant"].as_bool(),
            };
            let runner = (!b["runner_up"].is_null()).then(|| pick(&b["runner_up"]));
            out.push(verdict::best(
                &label_of(metric),
                unit,
                b["goal"] == "maximize",
                &pick(&b["best"]),
                runner.as_ref().map(|r| (r, &paired)),
            ));
        }
        Some(b) => out.push(format!(
            "No cell meets {}: none is picked.",
            b["subject_to"].as_array().map_or(String::new(), |a| a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" and "))
        )),
        None => out.push("No objective was given (--minimize or --maximize METRIC): no cell is picked.".into()),
    }
    let texts = rules.texts();
    if !texts.is_empty() {
        let failing: Vec<(String, String)> = grid
            .cells
            .iter()
            .filter(|c| !rules.feasible(grid, c))
            .map(|c| (cell_name(axes, &c.values), rules.why(grid, c)))
            .collect();
        out.push(verdict::infeasible(&texts, &failing, grid.cells.len()));
    }
    out
}

/// A cell's label from `best.json` with the interval Young's or Daly's rule resolved to beside
/// its value.
fn resolved(grid: &Grid, cell: Option<u64>, label: &str) -> String {
    let Some(c) = cell.and_then(|i| grid.cells.iter().find(|c| c.index as u64 == i)) else { return label.to_string() };
    label
        .split(' ')
        .map(|part| match part.split_once('=') {
            Some((k, v)) => format!("{k}={}", value_text(grid, c, k, v)),
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An axis value, with the interval Young's or Daly's rule resolved to beside it.
fn value_text(grid: &Grid, cell: &Cell, key: &str, value: &str) -> String {
    match (key, value) {
        ("job.checkpoint.interval", "young" | "daly") => match grid.mean(cell, "job.checkpoint_interval_s") {
            Some(s) => format!("{value} ({})", crate::report::format::duration(s)),
            None => value.to_string(),
        },
        _ => value.to_string(),
    }
}

fn cell_table(
    report: &mut Report,
    axes: &[(String, Vec<String>)],
    grid: &Grid,
    metrics: &[String],
    rules: &Rules,
    best: Option<&Value>,
) {
    let mut order: Vec<&Cell> = grid.cells.iter().collect();
    let capped = order.len() > MAX_TABLE_CELLS;
    if capped && let Some(b) = best {
        // The best cells first: by the objective, feasible ones before the others.
        let metric = b["metric"].as_str().unwrap_or("");
        let sign = if b["goal"] == "maximize" { -1.0 } else { 1.0 };
        let key = |c: &&Cell| (!rules.feasible(grid, c), grid.mean(c, metric).map_or(f64::INFINITY, |v| sign * v));
        order.sort_by(|a, b| key(a).0.cmp(&key(b).0).then(key(a).1.total_cmp(&key(b).1)));
    }
    let heading = if capped {
        format!(
            "Cells: {} of {} (mean and 95% interval; all in summary.csv)",
            MAX_TABLE_CELLS,
            crate::report::format::count(grid.cells.len() as f64)
        )
    } else {
        "Cells (mean and 95% interval)".to_string()
    };
    report.heading(heading);
    let mut header: Vec<String> = axes.iter().map(|(k, _)| k.clone()).collect();
    header.push("n".into());
    header.extend(metrics.iter().cloned());
    let judged = !rules.texts().is_empty();
    if judged {
        header.push("meets the constraints".into());
    }
    let rows = order
        .iter()
        .take(MAX_TABLE_CELLS)
        .map(|c| {
            let mut row: Vec<String> = c.values.iter().zip(axes).map(|(v, (k, _))| value_text(grid, c, k, v)).collect();
            row.push(metrics.first().and_then(|m| grid.get(c, m)).map_or("–".into(), |s| s.n.to_string()));
            row.extend(metrics.iter().map(|m| match grid.get(c, m) {
                Some(s) => unit_of(m).interval(s.mean, s.low, s.high),
                None => "–".into(),
            }));
            if judged {
                row.push(if rules.feasible(grid, c) { "yes".into() } else { format!("no: {}", rules.why(grid, c)) });
            }
            row
        })
        .collect();
    report.table(header, rows);
    interval_note(report, grid, metrics);
}

/// Which interval each shown metric uses: the metrics named for proportions, the rest (counts,
/// costs, durations) described together.
pub(super) fn interval_note(report: &mut Report, grid: &Grid, metrics: &[String]) {
    let mut by_method: Vec<(Method, Vec<String>)> = Vec::new();
    for (metric, method) in grid.methods.iter().filter(|(m, _)| metrics.contains(m)) {
        match by_method.iter_mut().find(|(x, _)| x == method) {
            Some((_, ms)) => ms.push(metric.clone()),
            None => by_method.push((*method, vec![metric.clone()])),
        }
    }
    if by_method.is_empty() {
        return;
    }
    by_method.sort_by_key(|(m, _)| *m != Method::LogT);
    let parts: Vec<String> = by_method
        .iter()
        .map(|(m, ms)| match m {
            Method::LogT => format!("costs, durations and counts: {}", m.explain()),
            _ => format!("{}: {}", ms.join(", "), m.explain()),
        })
        .collect();
    report.text(format!("95% intervals of the means — {}. Paired differences: Student t.", parts.join("; ")));
}
