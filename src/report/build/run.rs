//! The report of a run folder (a serving run or a job): the verdict, key figures, pools,
//! parameters and assumptions, the timeline, the latency distribution and its tail, cost, and
//! for a job where its time went.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::figures::{cost_bars, timeline};
use super::latency::{Dist, cdf, tail};
use super::{Table, check, label_of, lineage, num, read_json, single_value, tables, verdict};
use crate::report::chart::{Axis, BarChart, Figure};
use crate::report::format::{self, Unit};
use crate::report::parameters::Parameters;
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
    ("job.deadline_met", "deadline met"),
];

/// Serving figures say nothing about a job.
fn serving_only(key: &str) -> bool {
    ["requests.", "latency_s.", "sla.", "throughput."].iter().any(|p| key.starts_with(p))
        || ["cost_usd.per_million_requests", "fleet.utilization", "fleet.mean_replicas"].contains(&key)
}

/// The report of a run folder; what looks damaged goes to `warnings`.
pub fn run(dir: &Path, warnings: &mut Vec<String>) -> Result<Report> {
    let path = dir.join("summary.json");
    let mut summary = read_json(&path)?;
    check::summary(&path, &mut summary, warnings);
    let params = tables::read_parameters(dir, warnings);
    let name = summary.get("scenario").and_then(Value::as_str).unwrap_or("run").to_string();
    let is_job = summary.get("job").is_some_and(|j| !j.is_null());
    let kind = if is_job { "job report" } else { "run report" };
    let mut report = Report { title: format!("{name}: {kind}"), ..Report::default() };
    report.verdict(sentences(&summary, params.as_ref(), is_job, dir));
    report.text(format!(
        "One run with seed {}, simulated to {} ({} events).",
        num(&summary, "engine.seed").unwrap_or(0.0),
        format::duration(num(&summary, "engine.end_s").unwrap_or(0.0)),
        format::count(num(&summary, "engine.events").unwrap_or(0.0))
    ));
    report.heading("Key figures");
    let rows: Vec<Vec<String>> = KEY_FIGURES
        .iter()
        .filter(|(k, _)| !(is_job && serving_only(k)))
        .filter_map(|(k, label)| {
            let v = num(&summary, k)?;
            let skip = v == 0.0 && ["dropped", "retried", "reserved", "interruptions"].iter().any(|w| k.contains(w));
            (!skip).then(|| vec![label.to_string(), single_value(k, v), k.to_string()])
        })
        .collect();
    report.table(vec!["figure".into(), "value".into(), "summary.json key".into()], rows);
    pools(&mut report, &summary);
    tables::parameters(&mut report, params.as_ref(), Some(&summary), &[]);
    tables::assumptions(&mut report, &[(name.clone(), &summary)]);
    report.heading("Charts");
    let ts_path = dir.join("timeseries.csv");
    if let Some(ts) = Table::read(&ts_path, warnings).filter(|t| check::timeseries(&ts_path, t, warnings))
        && let Some(fig) = timeline(&[(String::new(), ts)], is_job)
    {
        let panels = if let Figure::Stack(p) = &fig { p.len() } else { 1 };
        report.chart("timeline", fig, (CHART_SIZE.0, 60 + 280 * panels as u32));
    }
    let lat_path = dir.join("latency.csv");
    if let Some(lat) = Table::read(&lat_path, warnings).filter(|t| check::latency(&lat_path, t, warnings))
        && let Some(dist) = Dist::of(&name, &lat)
    {
        let sla = num(&summary, "sla.target_s").zip(num(&summary, "sla.quantile"));
        report.chart("latency_cdf", cdf(std::slice::from_ref(&dist), sla), CHART_SIZE);
        report.chart("latency_tail", tail(&[dist], sla), CHART_SIZE);
    }
    if let Some(fig) = cost_bars(&[(name.clone(), summary.clone())], true) {
        report.chart("cost", fig, CHART_SIZE);
    }
    if is_job && let Some(fig) = job_time(&summary) {
        report.chart("job_time", fig, CHART_SIZE);
    }
    if let Ok(m) = read_json(&dir.join("manifest.json")) {
        lineage(&mut report, &m);
    }
    Ok(report)
}

/// The verdict: SLA or deadline, each `assert:`, the cost.
fn sentences(summary: &Value, params: Option<&Parameters>, is_job: bool, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if is_job {
        let deadline_s = params
            .and_then(|p| p.parameters.iter().find(|x| x.key == "job.deadline"))
            .and_then(|x| crate::scenario::units::parse_duration(&x.value).ok())
            .map(|d| d.as_secs_f64());
        out.push(verdict::job(&verdict::Job {
            completed: num(summary, "job.completed").is_some_and(|v| v > 0.5),
            makespan_s: num(summary, "job.makespan_s").unwrap_or(f64::NAN),
            deadline_s,
            deadline_met: num(summary, "job.deadline_met").is_some_and(|v| v > 0.5),
            cost_usd: num(summary, "cost_usd.total").unwrap_or(f64::NAN),
            lost_work_s: num(summary, "job.lost_work_s").unwrap_or(0.0),
            interruptions: num(summary, "job.interruptions").unwrap_or(0.0),
        }));
    } else {
        if let (Some(target_s), Some(quantile), Some(met)) =
            (num(summary, "sla.target_s"), num(summary, "sla.quantile"), num(summary, "sla.met"))
        {
            let latency_s = quantile_latency(summary, quantile, dir);
            let violation_rate = num(summary, "sla.violation_rate");
            out.push(verdict::sla(&verdict::Sla { quantile, target_s, latency_s, violation_rate, met: met > 0.5 }));
        }
        let dropped = num(summary, "requests.dropped").unwrap_or(0.0);
        if dropped > 0.0 {
            out.push(format!("{} requests were dropped (counted as over the SLA).", format::count(dropped)));
        }
        out.push(verdict::serving_cost(
            num(summary, "cost_usd.total").unwrap_or(f64::NAN),
            num(summary, "requests.completed"),
            num(summary, "cost_usd.per_million_requests"),
        ));
    }
    for text in params.map(|p| p.asserts.as_slice()).unwrap_or_default() {
        let Ok(a) = crate::scenario::parse_assertion(text) else { continue };
        let value = num(summary, &a.metric);
        out.push(verdict::assertion(&verdict::Assert {
            text: text.clone(),
            label: label_of(&a.metric),
            value: value.map(|v| single_value(&a.metric, v)),
            passed: value.is_some_and(|v| a.op.holds(v, a.value)),
        }));
    }
    out
}

/// The latency at the SLA's quantile: a `latency_s` key when the quantile is one of them, else
/// interpolated in `latency.csv`.
/// (The charts warn about a damaged `latency.csv`.)
fn quantile_latency(summary: &Value, q: f64, dir: &Path) -> Option<f64> {
    let key = format!("latency_s.{}", format::quantile(q));
    num(summary, &key).or_else(|| {
        let path = dir.join("latency.csv");
        let t = Table::read(&path, &mut Vec::new())?;
        check::latency(&path, &t, &mut Vec::new()).then_some(())?;
        Dist::of("", &t)?.at(q)
    })
}

fn pools(report: &mut Report, summary: &Value) {
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
                format::count(n("instances_launched")),
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
}

/// Where a job's time went: the makespan on spot, on demand and waiting; the time lost to
/// interruptions, checkpoint writes and restores.
fn job_time(summary: &Value) -> Option<Figure> {
    let v = |k: &str| num(summary, k).filter(|x| x.is_finite() && *x >= 0.0).unwrap_or(0.0);
    let (spot, od, makespan) = (v("job.spot_s"), v("job.on_demand_s"), v("job.makespan_s"));
    let waiting = (makespan - spot - od).max(0.0);
    let segments = vec![
        ("on spot".to_string(), vec![spot, 0.0]),
        ("on demand".to_string(), vec![od, 0.0]),
        ("no gang running".to_string(), vec![waiting, 0.0]),
        ("work lost".to_string(), vec![0.0, v("job.lost_work_s")]),
        ("writing checkpoints".to_string(), vec![0.0, v("job.checkpoint_overhead_s")]),
        ("restoring".to_string(), vec![0.0, v("job.restore_overhead_s")]),
    ];
    let segments: Vec<(String, Vec<f64>)> = segments.into_iter().filter(|(_, x)| x.iter().any(|y| *y > 0.0)).collect();
    (makespan > 0.0).then(|| {
        Figure::Bars(BarChart {
            title: "Where the job's time went".into(),
            y: Axis::new("time", Unit::Seconds),
            categories: vec!["makespan".into(), "overheads".into()],
            segments,
        })
    })
}
