//! The report of a run folder (a serving run or a job): the verdict, key figures, pools,
//! parameters and assumptions, the timeline, the latency distribution and its tail, cost, and
//! for a job where its time went. An LLM run adds its token figures, its objectives (TTFT, TPOT,
//! end to end), the TTFT and TPOT distributions and the KV cache over time.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::figures::{cost_bars, llm_load, timeline};
use super::latency::{Dist, LATENCY, Measure, TPOT, TTFT, cdf, tail};
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
    ("ttft_s.p50", "median TTFT (time to first token)"),
    ("ttft_s.p90", "p90 TTFT"),
    ("ttft_s.p99", "p99 TTFT"),
    ("tpot_s.p50", "median TPOT (time per output token)"),
    ("tpot_s.p90", "p90 TPOT"),
    ("tpot_s.p99", "p99 TPOT"),
    ("itl_s.p99", "p99 inter-token latency"),
    ("tokens.output", "output tokens"),
    ("tokens.output_per_s", "output tokens per second"),
    ("sla.attainment", "requests meeting every objective"),
    ("sla.goodput_rps", "goodput (requests/s meeting every objective)"),
    ("sla.target_s", "SLA latency"),
    ("sla.violation_rate", "requests over the SLA"),
    ("cost_usd.total", "total cost"),
    ("cost_usd.on_demand", "on-demand cost"),
    ("cost_usd.spot", "spot cost"),
    ("cost_usd.reserved", "reserved cost"),
    ("cost_usd.per_million_requests", "cost per million requests"),
    ("cost_usd.per_million_output_tokens", "cost per million output tokens"),
    ("throughput.rps_per_usd_per_hour", "req/s per $/h"),
    ("fleet.instance_hours", "instance-hours"),
    ("fleet.mean_replicas", "mean replicas"),
    ("fleet.interruptions", "spot interruptions"),
    ("fleet.utilization", "utilization"),
    ("kv.utilization_mean", "mean KV cache use (while iterating)"),
    ("kv.preemptions", "preemptions (KV cache full)"),
    ("requests.rejected", "requests rejected (too long for a replica)"),
    ("llm.mean_running", "mean sequences per iteration"),
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
    objectives(&mut report, &summary, dir);
    pools(&mut report, &summary);
    tables::parameters(&mut report, params.as_ref(), Some(&summary), &[]);
    tables::assumptions(&mut report, &[(name.clone(), &summary)]);
    report.heading("Charts");
    let ts_path = dir.join("timeseries.csv");
    if let Some(ts) = Table::read(&ts_path, warnings).filter(|t| check::timeseries(&ts_path, t, warnings)) {
        let series = [(String::new(), ts)];
        if let Some(fig) = timeline(&series, is_job) {
            report.stack("timeline", fig);
        }
        if check::llm_columns(&ts_path, &series[0].1, warnings)
            && let Some(fig) = llm_load(&series)
        {
            report.stack("kv", fig);
        }
    }
    if let Some(dist) = read_dist(dir, &LATENCY, &name, warnings) {
        let sla = num(&summary, "sla.target_s").zip(num(&summary, "sla.quantile"));
        report.chart("latency_cdf", cdf(&LATENCY, std::slice::from_ref(&dist), sla), CHART_SIZE);
        report.chart("latency_tail", tail(&LATENCY, &[dist], sla), CHART_SIZE);
    }
    for (m, slo) in [(&TTFT, "sla.ttft"), (&TPOT, "sla.tpot")] {
        if let Some(dist) = read_dist(dir, m, &name, warnings) {
            let target = num(&summary, &format!("{slo}.target_s")).zip(num(&summary, &format!("{slo}.quantile")));
            report.chart(&format!("{}_cdf", m.stem), cdf(m, &[dist], target), CHART_SIZE);
        }
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
        out.extend(slo_sentences(summary, dir));
        let dropped = num(summary, "requests.dropped").unwrap_or(0.0);
        if dropped > 0.0 {
            out.push(format!("{} requests were dropped (counted as over the SLA).", format::count(dropped)));
        }
        let total = num(summary, "cost_usd.total").unwrap_or(f64::NAN);
        match (num(summary, "tokens.output"), num(summary, "cost_usd.per_million_output_tokens")) {
            (Some(tokens), Some(per_million)) if tokens > 0.0 => {
                out.push(verdict::token_cost(total, tokens, num(summary, "requests.completed"), per_million))
            }
            _ => out.push(verdict::serving_cost(
                total,
                num(summary, "requests.completed"),
                num(summary, "cost_usd.per_million_requests"),
            )),
        }
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
fn quantile_latency(summary: &Value, q: f64, dir: &Path) -> Option<f64> {
    quantile_of(&LATENCY, summary, q, dir)
}

/// `m` at quantile `q`: its `summary.json` key when the quantile is one of them, else
/// interpolated in its file. (The charts warn about a damaged file.)
fn quantile_of(m: &Measure, summary: &Value, q: f64, dir: &Path) -> Option<f64> {
    let key = format!("{}.{}", m.family, format::quantile(q));
    num(summary, &key).or_else(|| read_dist(dir, m, "", &mut Vec::new())?.at(q))
}

/// The distribution in `m`'s file, if the folder has one that is sound (a damaged one is named
/// in `warnings`).
fn read_dist(dir: &Path, m: &Measure, name: &str, warnings: &mut Vec<String>) -> Option<Dist> {
    let path = dir.join(m.file);
    let t = Table::read(&path, warnings)?;
    check::distribution(&path, &t, m.left_out, warnings).then(|| Dist::of(name, &t)).flatten()
}

/// An LLM run's objectives as (key, measure, noun): the TTFT and TPOT ones, and the end-to-end
/// one (`sla.e2e`, the same as the `sla.*` the SLA sentence already speaks of).
const OBJECTIVES: [(&str, &Measure, &str); 3] =
    [("sla.ttft", &TTFT, "TTFT"), ("sla.tpot", &TPOT, "TPOT"), ("sla.e2e", &LATENCY, "end-to-end latency")];

/// An objective of the summary (`sla.ttft`): its target, quantile, value there, violation rate
/// and whether it was met.
fn objective_of(summary: &Value, key: &str, m: &Measure, dir: &Path) -> Option<verdict::Sla> {
    let (target_s, quantile) = (num(summary, &format!("{key}.target_s"))?, num(summary, &format!("{key}.quantile"))?);
    Some(verdict::Sla {
        quantile,
        target_s,
        latency_s: quantile_of(m, summary, quantile, dir),
        violation_rate: num(summary, &format!("{key}.violation_rate")),
        met: num(summary, &format!("{key}.met")).is_some_and(|v| v > 0.5),
    })
}

/// An LLM run's TTFT and TPOT objectives, then the share of requests that met every objective.
fn slo_sentences(summary: &Value, dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = OBJECTIVES[..2]
        .iter()
        .filter_map(|(key, m, noun)| Some(verdict::slo(noun, &objective_of(summary, key, m, dir)?)))
        .collect();
    if let Some(a) = num(summary, "sla.attainment") {
        out.push(verdict::attainment(a, num(summary, "sla.goodput_rps")));
    }
    out
}

/// An LLM run's objectives side by side, and every one together.
fn objectives(report: &mut Report, summary: &Value, dir: &Path) {
    let mut rows: Vec<Vec<String>> = OBJECTIVES
        .iter()
        .filter_map(|(key, m, noun)| {
            let o = objective_of(summary, key, m, dir)?;
            Some(vec![
                noun.to_string(),
                format!("{} ≤ {}", format::quantile(o.quantile), format::duration(o.target_s)),
                o.latency_s.map_or("–".into(), format::duration),
                o.violation_rate.map_or("–".into(), format::percent),
                format::percent(1.0 - o.quantile),
                if o.met { "met" } else { "not met" }.into(),
            ])
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    if let Some(a) = num(summary, "sla.attainment") {
        let goodput =
            num(summary, "sla.goodput_rps").map_or(String::new(), |g| format!(", {} req/s", format::count(g)));
        rows.push(vec![
            "every objective".into(),
            "–".into(),
            "–".into(),
            format::percent(1.0 - a),
            "–".into(),
            format!("{} met{goodput}", format::percent(a)),
        ]);
    }
    report.heading("Objectives");
    report.table(
        ["objective", "target", "value at the quantile", "requests over", "allowed", "outcome"]
            .map(String::from)
            .to_vec(),
        rows,
    );
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
