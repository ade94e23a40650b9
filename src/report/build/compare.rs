//! The report of a compare folder: the designs side by side.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::figures::{cost_bars, latency_cdf, pareto, timeline};
use super::{Csv, lineage, mean_ci, num, read_cells, read_json, unit_of};
use crate::report::chart::Figure;
use crate::report::{CHART_SIZE, Report};

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
        seed.wrapping_add(replications.saturating_sub(1)),
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
