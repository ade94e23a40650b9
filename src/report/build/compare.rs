//! The report of a compare folder: the verdict (designs ranked by cost — per million output
//! tokens when every design is an LLM's — with paired differences,
//! which meet the SLA or deadline), the metrics that matter side by side with significant
//! differences marked, the parameters that differ, the assumptions, and the charts.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::figures::{cost_bars, llm_load, timeline};
use super::grid::Grid;
use super::grid_figures::{Rules, pareto};
use super::latency::{Dist, LATENCY, Measure, TPOT, TTFT, cdf, tail};
use super::sweep::{interval_note, sla_of, wanted};
use super::{Csv, Table, check, label_of, lineage, num, read_json, tables, unit_of, verdict};
use crate::report::{CHART_SIZE, Report};
use crate::sweep::stats;

/// The metrics a design review decides on, in this order; the others follow, engine figures and
/// constants are left out (`compare.csv` has them all).
const LEADING: &[&str] = &[
    "cost_usd.total",
    "cost_usd.per_million_requests",
    "cost_usd.per_million_output_tokens",
    "ttft_s.p90",
    "ttft_s.p99",
    "tpot_s.p99",
    "sla.attainment",
    "sla.ttft.met",
    "sla.tpot.met",
    "sla.e2e.met",
    "latency_s.p50",
    "latency_s.p99",
    "sla.violation_rate",
    "sla.met",
    "requests.dropped",
    "job.makespan_s",
    "job.deadline_met",
    "job.lost_work_s",
    "job.interruptions",
    "fleet.interruptions",
    "requests.retried",
    "cost_usd.spot",
    "cost_usd.on_demand",
    "cost_usd.reserved",
];
/// What LLM designs are ranked by, and why.
pub const LLM_RANKING: &str = "cost_usd.per_million_output_tokens";
/// The sentence that says so.
pub const LLM_RANKING_WHY: &str = "Every design serves an LLM, so they are ranked by cost per million output tokens, not by total cost: it counts what each design delivered (one that rejects or drops requests, or leaves them unfinished, costs less in total but not per token).";
const LEFT_OUT: &[&str] = &["sla.target_s", "sla.quantile", "requests.measured", "engine.events", "engine.end_s"];

/// The report of a compare folder; what looks damaged goes to `warnings`.
pub fn compare(dir: &Path, warnings: &mut Vec<String>) -> Result<Report> {
    let manifest = read_json(&dir.join("manifest.json"))?;
    let table = Csv::read(&dir.join("compare.csv"))?;
    let di = table.col("design").context("compare.csv has no design column")?;
    let mut designs: Vec<String> = Vec::new();
    for r in &table.rows {
        if let Some(d) = r.get(di).filter(|d| !designs.contains(d)) {
            designs.push(d.clone());
        }
    }
    let replications = manifest["sweep"]["plan"]["replications"].as_u64().unwrap_or(0);
    let seed = manifest["sweep"]["plan"]["base_seed"].as_u64().unwrap_or(0);
    let design_dir = |d: &str| dir.join("designs").join(crate::output::safe_name(d));
    let summaries: Vec<(String, Value)> = designs
        .iter()
        .filter_map(|d| {
            let path = design_dir(d).join("summary.json");
            let mut v = read_json(&path).ok()?;
            check::summary(&path, &mut v, warnings);
            Some((d.clone(), v))
        })
        .collect();
    let is_job = summaries.iter().any(|(_, s)| s.get("job").is_some_and(|j| !j.is_null()));
    let lines = Lines::of(&table)?;
    let mut report = Report { title: format!("Comparison: {}", designs.join(" vs ")), ..Report::default() };
    let sla = summaries.first().and_then(|(_, s)| num(s, "sla.target_s").zip(num(s, "sla.quantile")));
    let what = match (is_job, sla) {
        (true, _) => "Deadline".to_string(),
        (false, Some((t, q))) => {
            format!("SLA ({} ≤ {})", crate::report::format::quantile(q), crate::report::format::duration(t))
        }
        (false, None) => "SLA".to_string(),
    };
    // LLM designs are ranked by what a token costs, which counts what each delivered.
    let all_llm = !is_job
        && summaries.len() == designs.len()
        && summaries.iter().all(|(_, s)| num(s, "cost_usd.per_million_output_tokens").is_some());
    let mut verdict = sentences(dir, &designs, &lines, is_job, &what, all_llm);
    if let Some((_, first)) = summaries.first() {
        verdict.extend(slo_sentences(first, &designs, &lines, dir));
    }
    report.verdict(verdict);
    report.text(format!(
        "{} designs, each run with the same {replications} seeds ({seed} to {}), so they see the same arrivals and interruptions. Differences (Δ) are paired by seed against the first design, {}.",
        designs.len(),
        seed.wrapping_add(replications.saturating_sub(1)),
        designs.first().cloned().unwrap_or_default()
    ));
    metric_table(&mut report, &designs, &lines);
    let grid = Grid::read(
        &dir.join("summary.csv"),
        1,
        &wanted(&lines.metrics, &Rules { constraints: Vec::new(), sla: None }),
        warnings,
    )?;
    interval_note(&mut report, &grid, &lines.metrics);
    let params: Vec<(String, Option<_>)> =
        designs.iter().map(|d| (d.clone(), tables::read_parameters(&design_dir(d), warnings))).collect();
    tables::design_parameters(&mut report, &params);
    let sources: Vec<(String, &Value)> = summaries.iter().map(|(d, s)| (d.clone(), s)).collect();
    tables::assumptions(&mut report, &sources);
    report.heading("Charts");
    let dists_of = |m: &Measure, warnings: &mut Vec<String>| -> Vec<Dist> {
        designs
            .iter()
            .filter_map(|d| {
                let path = design_dir(d).join(m.file);
                let t = Table::read(&path, warnings)?;
                check::distribution(&path, &t, m.left_out, warnings).then(|| Dist::of(d, &t)).flatten()
            })
            .collect()
    };
    let dists = dists_of(&LATENCY, warnings);
    if !dists.is_empty() {
        report.chart("latency_cdf", cdf(&LATENCY, &dists, sla), CHART_SIZE);
        report.chart("latency_tail", tail(&LATENCY, &dists, sla), CHART_SIZE);
    }
    for (m, slo) in [(&TTFT, "sla.ttft"), (&TPOT, "sla.tpot")] {
        let dists = dists_of(m, warnings);
        if !dists.is_empty() {
            let target = summaries.first().and_then(|(_, s)| objective(s, slo));
            report.chart(&format!("{}_cdf", m.stem), cdf(m, &dists, target), CHART_SIZE);
        }
    }
    let means: Vec<(String, Value)> = designs
        .iter()
        .map(|d| {
            let mut v = serde_json::json!({"cost_usd": {}});
            for key in ["cost_usd.total", "cost_usd.on_demand", "cost_usd.spot", "cost_usd.reserved"] {
                if let Some(l) = lines.get(d, key) {
                    v["cost_usd"][key.trim_start_matches("cost_usd.")] = serde_json::json!(l.mean);
                }
            }
            (d.clone(), v)
        })
        .collect();
    if let Some(fig) = cost_bars(&means, false) {
        report.chart("cost", fig, CHART_SIZE);
    }
    if let Some(fig) = per_output_token_bars(&designs, &lines) {
        report.chart("cost_per_output_token", fig, CHART_SIZE);
    }
    let series: Vec<(String, Table)> = designs
        .iter()
        .filter_map(|d| {
            let path = design_dir(d).join("timeseries.csv");
            let t = Table::read(&path, warnings)?;
            check::timeseries(&path, &t, warnings).then_some((d.clone(), t))
        })
        .collect();
    if let Some(fig) = timeline(&series, is_job) {
        report.stack("timeline", fig);
    }
    let sound: Vec<(String, Table)> = series
        .into_iter()
        .filter(|(d, t)| check::llm_columns(&design_dir(d).join("timeseries.csv"), t, warnings))
        .collect();
    if let Some(fig) = llm_load(&sound) {
        report.stack("kv", fig);
    }
    let rules = Rules { constraints: Vec::new(), sla: sla_of(&grid) };
    if let Some(fig) = pareto(&[("design".into(), designs.clone())], &grid, &rules, None) {
        report.chart("pareto", fig, CHART_SIZE);
    }
    report.text(format!(
        "Time charts show the run with seed {seed}; the latency distribution pools the requests of all {replications} runs of each design."
    ));
    lineage(&mut report, &manifest);
    Ok(report)
}

/// One line of `compare.csv`.
#[derive(Clone, Copy)]
struct Line {
    mean: f64,
    low: f64,
    high: f64,
    diff: (f64, f64, f64),
}

/// `compare.csv` by design and metric.
struct Lines {
    metrics: Vec<String>,
    rows: Vec<(String, String, Line)>,
}

impl Lines {
    fn of(table: &Csv) -> Result<Lines> {
        let col = |name: &str| table.col(name).with_context(|| format!("compare.csv has no {name} column"));
        let (di, mi, mean, lo, hi) =
            (col("design")?, col("metric")?, col("mean")?, col("ci95_low")?, col("ci95_high")?);
        let (dm, dlo, dhi) = (col("diff_mean")?, col("diff_ci95_low")?, col("diff_ci95_high")?);
        let f = |r: &[String], i: usize| r.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(f64::NAN);
        let mut metrics: Vec<String> = Vec::new();
        let rows = table
            .rows
            .iter()
            .filter_map(|r| {
                let (d, m) = (r.get(di)?.clone(), r.get(mi)?.clone());
                if !metrics.contains(&m) {
                    metrics.push(m.clone());
                }
                let line =
                    Line { mean: f(r, mean), low: f(r, lo), high: f(r, hi), diff: (f(r, dm), f(r, dlo), f(r, dhi)) };
                Some((d, m, line))
            })
            .collect();
        let rank = |m: &String| LEADING.iter().position(|l| l == m).unwrap_or(LEADING.len());
        metrics.retain(|m| !LEFT_OUT.contains(&m.as_str()) && !m.starts_with("engine."));
        metrics.sort_by_key(rank);
        Ok(Lines { metrics, rows })
    }

    fn get(&self, design: &str, metric: &str) -> Option<Line> {
        self.rows.iter().find(|(d, m, _)| d == design && m == metric).map(|x| x.2)
    }
}

/// LLM designs: the mean cost per million output tokens of each, one bar per design (the
/// measure that compares GPUs and fleet sizes serving the same load).
fn per_output_token_bars(designs: &[String], lines: &Lines) -> Option<crate::report::chart::Figure> {
    use crate::report::chart::{Axis, BarChart, Figure};
    use crate::report::format::Unit;
    let values: Vec<f64> = designs
        .iter()
        .map(|d| lines.get(d, "cost_usd.per_million_output_tokens").map(|l| l.mean))
        .collect::<Option<Vec<f64>>>()?
        .into_iter()
        .map(|v| if v.is_finite() && v > 0.0 { v } else { 0.0 })
        .collect();
    values.iter().any(|v| *v > 0.0).then(|| {
        Figure::Bars(BarChart {
            title: "Cost per million output tokens".into(),
            y: Axis::new("cost per million output tokens", Unit::Usd),
            categories: designs.to_vec(),
            segments: vec![("all markets".into(), values)],
        })
    })
}

fn metric_table(report: &mut Report, designs: &[String], lines: &Lines) {
    let mut header = vec!["metric".to_string()];
    for (k, d) in designs.iter().enumerate() {
        header.push(d.clone());
        if k > 0 {
            header.push(format!("Δ {d}"));
        }
    }
    let row = |m: &String| {
        let unit = unit_of(m);
        let mut row = vec![format!("{} ({m})", label_of(m))];
        for (k, d) in designs.iter().enumerate() {
            let l = lines.get(d, m);
            row.push(l.map_or("–".into(), |l| unit.interval(l.mean, l.low, l.high)));
            if k > 0 {
                row.push(l.map_or("–".into(), |l| {
                    let (dm, lo, hi) = l.diff;
                    let mark = if lo > 0.0 || hi < 0.0 { " *" } else { "" };
                    format!("{}{mark}", unit.signed_interval(dm, lo, hi))
                }));
            }
        }
        row
    };
    // Figures that are 0 in every run of every design say nothing.
    let said = |m: &&String| designs.iter().any(|d| lines.get(d, m).is_some_and(|l| l.mean != 0.0 || l.high > 0.0));
    let (leading, others): (Vec<&String>, Vec<&String>) =
        lines.metrics.iter().filter(said).partition(|m| LEADING.contains(&m.as_str()));
    report.heading("What decides (mean [95% interval]; Δ = design − first, paired by seed; * = significant)");
    report.table(header.clone(), leading.into_iter().map(row).collect());
    report.text(
        "* the paired 95% interval of the difference excludes 0: the designs differ at 95% confidence on the same seeds.",
    );
    report.heading("Other figures");
    report.table(header, others.into_iter().map(row).collect());
}

/// The verdict: the designs ranked by mean cost (per million output tokens when every design
/// is an LLM's), each with its paired difference from the cheapest; which meet the SLA (or
/// deadline) in every run.
fn sentences(dir: &Path, designs: &[String], lines: &Lines, is_job: bool, what: &str, all_llm: bool) -> Vec<String> {
    let metric = if all_llm { LLM_RANKING } else { "cost_usd.total" };
    let mut ranked: Vec<(String, f64)> =
        designs.iter().filter_map(|d| Some((d.clone(), lines.get(d, metric)?.mean))).collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    let per_run = runs_of(dir, metric);
    let ranking: Vec<(verdict::Ranked, Option<verdict::Paired>)> = ranked
        .iter()
        .enumerate()
        .map(|(k, (d, mean))| {
            let l = lines.get(d, metric);
            let r = verdict::Ranked {
                label: d.clone(),
                mean: *mean,
                ci: l.map(|l| (l.low, l.high)).filter(|c| c.0.is_finite()),
            };
            let paired = (k > 0).then(|| paired(&per_run, d, &ranked[0].0)).flatten();
            (r, paired)
        })
        .collect();
    let mut out = vec![verdict::ranking(&label_of(metric), unit_of(metric), false, &ranking)];
    if all_llm {
        out.push(LLM_RANKING_WHY.to_string());
    }
    let key = if is_job { "job.deadline_met" } else { "sla.met" };
    let shares: Vec<(String, f64, usize)> =
        designs.iter().filter_map(|d| Some((d.clone(), lines.get(d, key)?.mean, 0))).collect();
    let n = runs_count(&per_run);
    if !shares.is_empty() {
        let shares: Vec<(String, f64, usize)> = shares.into_iter().map(|(d, s, _)| (d, s, n)).collect();
        out.push(verdict::designs_meeting(what, &shares));
    }
    out
}

/// An LLM objective of a summary (`sla.ttft`): its target and quantile.
fn objective(summary: &Value, key: &str) -> Option<(f64, f64)> {
    num(summary, &format!("{key}.target_s")).zip(num(summary, &format!("{key}.quantile")))
}

/// For LLM designs, which meet each TTFT and TPOT objective (`first` the first design's summary,
/// whose objectives are named) in every run.
fn slo_sentences(first: &Value, designs: &[String], lines: &Lines, dir: &Path) -> Vec<String> {
    use crate::report::format;
    let n = runs_count(&runs_of(dir, "cost_usd.total"));
    [("sla.ttft", "TTFT"), ("sla.tpot", "TPOT")]
        .iter()
        .filter_map(|(key, noun)| {
            let (target, q) = objective(first, key)?;
            let met = format!("{key}.met");
            let shares: Vec<(String, f64, usize)> =
                designs.iter().filter_map(|d| Some((d.clone(), lines.get(d, &met)?.mean, n))).collect();
            let what = format!("{noun} SLO ({} ≤ {})", format::quantile(q), format::duration(target));
            (!shares.is_empty()).then(|| verdict::designs_meeting(&what, &shares))
        })
        .collect()
}

/// (design, replication, value) of `metric` from `runs.csv`.
fn runs_of(dir: &Path, metric: &str) -> Vec<(String, u64, f64)> {
    let Ok(mut r) = csv::Reader::from_path(dir.join("runs.csv")) else { return Vec::new() };
    let Ok(header) = r.headers().cloned() else { return Vec::new() };
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(di), Some(ri), Some(mi)) = (col("design"), col("replication"), col(metric)) else { return Vec::new() };
    r.records()
        .filter_map(|rec| {
            let rec = rec.ok()?;
            Some((rec.get(di)?.to_string(), rec.get(ri)?.parse().ok()?, rec.get(mi)?.parse().ok()?))
        })
        .collect()
}

fn runs_count(runs: &[(String, u64, f64)]) -> usize {
    let first = runs.first().map(|r| r.0.clone()).unwrap_or_default();
    runs.iter().filter(|r| r.0 == first).count()
}

/// `design` − `base`, paired by replication.
fn paired(runs: &[(String, u64, f64)], design: &str, base: &str) -> Option<verdict::Paired> {
    let pairs: Vec<(f64, f64)> = runs
        .iter()
        .filter(|r| r.0 == design)
        .filter_map(|r| Some((r.2, runs.iter().find(|b| b.0 == base && b.1 == r.1)?.2)))
        .collect();
    let d = stats::paired_difference(&pairs)?;
    let ci = (d.ci_low.is_finite() && d.ci_high.is_finite()).then_some((d.ci_low, d.ci_high));
    Some(verdict::Paired { mean: d.mean, ci, n: d.n, significant: ci.map(|(lo, hi)| lo > 0.0 || hi < 0.0) })
}
