//! Reports: `report.md` and the structure of the SVG charts as snapshots (insta), a self-contained
//! `report.html`, and `fleetsim compare`.

use std::path::Path;

use predicates::prelude::*;

use super::common::{fleetsim, write};

const SERVING: &str = "name: rep\nseed: 5\nhorizon: 10m\nwarmup: 1m\n\
    workload:\n  arrivals:\n    poisson: { rate: 80/s }\n  sla: { latency: 60ms, quantile: 0.99 }\n\
    service:\n  batch_time: { base: 8ms, per_item: 2ms }\n  distribution: exponential\n\
    batcher: { max_batch_size: 8, max_wait: 2ms }\n\
    fleet:\n  pools:\n    - { name: od, instance: g5.xlarge, count: 1 }\n    - { name: burst, instance: g5.xlarge, market: spot, count: 1, zones: [us-east-1a, us-east-1b] }\n\
    spot:\n  interruptions:\n    hazard: { per_hour: 2.0 }\n";

/// Replaces what differs between machines and times in `manifest.json`, so a report can be a
/// snapshot.
fn pin_manifest(dir: &Path) {
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m["git_commit"] = "0000000".into();
    let file = Path::new(m["scenario_path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
    m["scenario_path"] = file.into();
    m["command_line"] = serde_json::json!(["fleetsim", "…"]);
    m["created_utc"] = "2026-11-22T00:00:00Z".into();
    if let Some(d) = m.get_mut("compare").and_then(|c| c.get_mut("designs")).and_then(|d| d.as_array_mut()) {
        for (i, x) in d.iter_mut().enumerate() {
            x["path"] = format!("design{i}.yaml").into();
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

/// Element counts and every text of an SVG, in order: what a chart says, not where.
fn svg_outline(svg: &str) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut texts = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let name: &str = rest.split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or("");
        if name.is_empty() || name.starts_with('?') {
            continue;
        }
        *counts.entry(name).or_default() += 1;
        if name == "text"
            && let Some(start) = rest.find('>')
            && let Some(end) = rest.find("</text>")
        {
            texts.push(rest[start + 1..end].to_string());
        }
    }
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{}\ntexts:\n{}\n", counts.join("\n"), texts.join("\n"))
}

fn remake(dir: &Path) {
    pin_manifest(dir);
    fleetsim().arg("report").arg(dir).assert().success().stdout(predicate::str::contains("report.html"));
}

#[test]
fn a_run_report_and_its_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", SERVING);
    let out = tmp.path().join("run");
    fleetsim()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("report: "));
    for f in [
        "latency.csv",
        "report.md",
        "report.html",
        "charts/timeline.svg",
        "charts/timeline.png",
        "charts/latency_cdf.svg",
        "charts/cost.svg",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    remake(&out);
    insta::assert_snapshot!("run_report_md", std::fs::read_to_string(out.join("report.md")).unwrap());
    for chart in ["timeline", "latency_cdf", "cost"] {
        let svg = std::fs::read_to_string(out.join(format!("charts/{chart}.svg"))).unwrap();
        insta::assert_snapshot!(format!("run_{chart}_svg"), svg_outline(&svg));
    }
    // The PNG is a real image of the chart's size.
    let png = std::fs::read(out.join("charts/cost.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&html);
    assert_eq!(html.matches("<svg").count(), 3, "the three charts inline");
    assert!(html.contains("Lineage") && html.contains("SHA-256"));
}

/// No external assets: nothing to fetch, so the page reads offline.
fn self_contained(html: &str) {
    for bad in ["<script", "<link", "<img", "src=", "@import", "url("] {
        assert!(!html.contains(bad), "report.html holds {bad:?}");
    }
    let external = html.matches("http").count();
    let namespaces = html.matches("http://www.w3.org/").count();
    assert_eq!(external, namespaces, "only SVG namespace URIs, which are never fetched");
}

#[test]
fn a_sweep_report_marks_youngs_and_dalys_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let job = write(
        tmp.path(),
        "job.yaml",
        "name: ck\nseed: 2\nhorizon: 5d\njob:\n  work: 24h\n  instance: p3.2xlarge\n  policy: spot_only\n  checkpoint: { interval: 1h, write: 5m, restore: 2m }\nspot:\n  interruptions:\n    hazard: { per_hour: 0.1 }\n",
    );
    let out = tmp.path().join("sweep");
    fleetsim()
        .arg("sweep")
        .arg(&job)
        .args([
            "--set",
            "job.checkpoint.interval=young,daly,30m..2h:30m",
            "--replications",
            "6",
            "--minimize",
            "cost_usd.total",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    remake(&out);
    insta::assert_snapshot!("sweep_report_md", std::fs::read_to_string(out.join("report.md")).unwrap());
    let curve = std::fs::read_to_string(out.join("charts/sweep_0_cost_usd_total.svg")).unwrap();
    let outline = svg_outline(&curve);
    assert!(outline.contains(" Young ") && outline.contains(" Daly "), "both intervals marked: {outline}");
    insta::assert_snapshot!("sweep_cost_curve_svg", outline);
    let pareto = std::fs::read_to_string(out.join("charts/pareto.svg")).unwrap();
    assert!(svg_outline(&pareto).contains("Pareto front"));
    self_contained(&std::fs::read_to_string(out.join("report.html")).unwrap());
}

#[test]
fn compare_runs_designs_on_the_same_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.yaml", SERVING);
    let b = write(
        tmp.path(),
        "b.yaml",
        &SERVING.replace("name: rep", "name: rep-wide").replace("max_batch_size: 8", "max_batch_size: 16"),
    );
    let out = tmp.path().join("cmp");
    fleetsim()
        .arg("compare")
        .args([&a, &b])
        .args(["--replications", "3", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Δ rep-wide (paired)"));
    let mut r = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 6);
    let i = header.iter().position(|c| c == "requests.arrived").unwrap();
    let arrived =
        |design: &str, rep: &str| rows.iter().find(|x| &x[2] == design && &x[1] == rep).unwrap()[i].to_string();
    for rep in ["0", "1", "2"] {
        assert_eq!(arrived("rep", rep), arrived("rep-wide", rep), "the same arrivals for both designs");
    }
    let cmp = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    let first = cmp.lines().find(|l| l.starts_with("rep,cost_usd.total,")).unwrap();
    assert!(first.ends_with(",,,"), "no difference for the first design: {first}");
    let second = cmp.lines().find(|l| l.starts_with("rep-wide,requests.arrived,")).unwrap();
    assert!(second.ends_with(",0,0,0"), "identical arrivals: a zero paired difference: {second}");
    for f in [
        "designs/rep/latency.csv",
        "designs/rep-wide/timeseries.csv",
        "charts/latency_cdf.svg",
        "charts/cost.svg",
        "report.html",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    remake(&out);
    insta::assert_snapshot!("compare_report_md", std::fs::read_to_string(out.join("report.md")).unwrap());
    let cdf = svg_outline(&std::fs::read_to_string(out.join("charts/latency_cdf.svg")).unwrap());
    assert!(cdf.contains("rep-wide") && cdf.contains("SLA 60ms"), "{cdf}");

    let job = write(tmp.path(), "j.yaml", "name: j\nhorizon: 1h\njob:\n  work: 10m\n  instance: p3.2xlarge\n");
    fleetsim()
        .arg("compare")
        .args([&a, &job])
        .arg("--out")
        .arg(tmp.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("different kinds"));
}

/// A damaged summary.csv (a column cut off) gives an error or a report, never a panic.
#[test]
fn a_damaged_sweep_folder_does_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", SERVING);
    let out = tmp.path().join("sweep");
    fleetsim()
        .arg("sweep")
        .arg(&s)
        .args(["--set", "batcher.max_wait=1ms,5ms", "--replications", "2", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let cut: String = text.lines().map(|l| l.split_once(',').map_or("", |x| x.1).to_string() + "\n").collect();
    std::fs::write(out.join("summary.csv"), cut).unwrap();
    let o = fleetsim().arg("report").arg(&out).output().unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 2)),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}

#[test]
fn report_refuses_a_folder_without_results() {
    let tmp = tempfile::tempdir().unwrap();
    fleetsim()
        .arg("report")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no fleetsim results"));
    fleetsim()
        .arg("report")
        .arg(tmp.path().join("nope"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a folder"));
}
