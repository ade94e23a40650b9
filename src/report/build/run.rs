//! The report of a run folder: key figures, pools, timeline, latency CDF, cost.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::figures::{cost_bars, latency_cdf, timeline};
use super::{Csv, lineage, num, read_json, unit_of};
use crate::report::chart::Figure;
use crate::report::format;
use crate::report::{CHART_SIZE, Report};

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
