//! The report of a sweep folder: the grid, the best cell, cell tables, curves and the Pareto plot.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::figures::{pareto, sweep_curve};
use super::{Cell, lineage, mean_ci, read_cells, read_json, unit_of};
use crate::report::format;
use crate::report::{CHART_SIZE, Report};

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
        sweep["plan"]["base_seed"].as_u64().unwrap_or(0).wrapping_add(replications.saturating_sub(1)),
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
