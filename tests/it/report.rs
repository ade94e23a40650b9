//! Reports: `report.md` of a run, a job, two sweeps and a comparison, and the structure of their
//! SVG charts, as snapshots (insta); a self-contained `report.html`; the assumptions table; and
//! damaged files named in warnings, never drawn from silently.

use std::path::Path;

use predicates::prelude::*;

use super::common::{fleetsim, write};

const SERVING: &str = "name: rep\nseed: 5\nhorizon: 10m\nwarmup: 1m\n\
    workload:\n  arrivals:\n    poisson: { rate: 80/s }\n  sla: { latency: 60ms, quantile: 0.99 }\n\
    service:\n  batch_time: { base: 8ms, per_item: 2ms }\n  distribution: exponential\n\
    batcher: { max_batch_size: 8, max_wait: 2ms }\n\
    fleet:\n  pools:\n    - { name: od, instance: g5.xlarge, count: 1 }\n    - { name: burst, instance: g5.xlarge, market: spot, count: 1, zones: [us-east-1a, us-east-1b] }\n\
    spot:\n  interruptions:\n    hazard: { per_hour: 2.0 }\n\
    assert:\n  - \"latency_s.p99 <= 0.1\"\n  - \"cost_usd.total < 0.1\"\n";

const JOB: &str = "name: ck\nseed: 2\nhorizon: 5d\njob:\n  work: 24h\n  instance: p3.2xlarge\n  policy: spot_only\n  deadline: 30h\n  checkpoint: { interval: 1h, write: 5m, restore: 2m }\nspot:\n  interruptions:\n    hazard: { per_hour: 0.1 }\n";

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
            texts.push(rest[start + 1..end].trim().to_string());
        }
    }
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{}\ntexts:\n{}\n", counts.join("\n"), texts.join("\n"))
}

fn outline(dir: &Path, chart: &str) -> String {
    svg_outline(&std::fs::read_to_string(dir.join(format!("charts/{chart}.svg"))).unwrap())
}

fn remake(dir: &Path) {
    pin_manifest(dir);
    fleetsim().arg("report").arg(dir).assert().success().stdout(predicate::str::contains("report.html"));
}

fn md(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("report.md")).unwrap()
}

/// No external assets: nothing to fetch, so the page reads offline.
fn self_contained(html: &str) {
    for bad in ["<script", "<link", "<img", "src=", "@import", "url("] {
        assert!(!html.contains(bad), "report.html holds {bad:?}");
    }
    // URLs in attributes are only SVG namespaces, which are never fetched (sources of the
    // assumptions appear as text).
    let in_attributes = html.matches("=\"http").count();
    let namespaces = html.matches("xmlns=\"http://www.w3.org/").count();
    assert_eq!(in_attributes, namespaces, "only SVG namespace URIs, which are never fetched");
}

#[test]
fn a_run_report_and_its_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", SERVING);
    let out = tmp.path().join("run");
    // The cost assertion fails: exit 1, and the report says so.
    fleetsim().arg("run").arg(&s).arg("--out").arg(&out).assert().code(1).stdout(predicate::str::contains("report: "));
    for f in
        ["latency.csv", "parameters.json", "report.md", "report.html", "charts/latency_tail.svg", "charts/cost.png"]
    {
        assert!(out.join(f).exists(), "{f} missing");
    }
    remake(&out);
    let report = md(&out);
    assert!(report.contains("- assert cost_usd.total < 0.1 (total cost: $0.248): failed."), "{report}");
    insta::assert_snapshot!("run_report_md", report);
    for chart in ["timeline", "latency_cdf", "latency_tail", "cost"] {
        insta::assert_snapshot!(format!("run_{chart}_svg"), outline(&out, chart));
    }
    // The PNG is a real image of the chart's size.
    let png = std::fs::read(out.join("charts/cost.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&html);
    assert_eq!(html.matches("<svg").count(), 4, "the four charts inline");
    assert!(html.contains("<section class=\"verdict\">") && html.contains("Lineage") && html.contains("SHA-256"));
}

/// An LLM run's report: its token figures, objectives and verdict, the TTFT and TPOT
/// distributions and the KV cache over time (`llm_outputs::LLM`, worked out there).
#[test]
fn an_llm_run_report() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", super::llm_outputs::LLM);
    let out = tmp.path().join("run");
    fleetsim().arg("run").arg(&s).arg("--out").arg(&out).assert().success();
    remake(&out);
    let report = md(&out);
    for text in [
        "- SLO: p50 TTFT 8.02s against 5s: not met (66.7% of requests over 5s; 50% allowed).",
        "- SLO: p99 TPOT 8ms against 10ms: met (0% of requests over 10ms; 1% allowed).",
        "- 33.3% of requests met every objective",
        "- Total cost $0.0168 for 4,500 output tokens of 3 requests: $3.73 per million output tokens.",
        "| p90 TTFT | 16s | ttft_s.p90 |",
        "| p99 TPOT | 8ms | tpot_s.p99 |",
        "| output tokens per second | 125 | tokens.output_per_s |",
        "| cost per million output tokens | $3.73 | cost_usd.per_million_output_tokens |",
        "| preemptions (KV cache full) | 0 | kv.preemptions |",
        "| requests rejected (too long for a replica) | 0 | requests.rejected |",
        "| TTFT | p50 ≤ 5s | 8.02s | 66.7% | 50% | not met |",
        "![Over time: KV cache in use, sequences running, requests waiting at replicas](charts/kv.png)",
    ] {
        assert!(report.contains(text), "{text:?} not in {report}");
    }
    insta::assert_snapshot!("llm_run_report_md", report);
    for chart in ["ttft_cdf", "tpot_cdf", "kv"] {
        insta::assert_snapshot!(format!("llm_run_{chart}_svg"), outline(&out, chart));
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&html);
    assert_eq!(html.matches("<svg").count(), 7, "timeline, KV, latency CDF and tail, TTFT, TPOT and cost inline");
}

/// A damaged `ttft.csv` or LLM column is named, and only what is drawn from it is left out.
#[test]
fn damaged_llm_files_are_warned_about_not_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", super::llm_outputs::LLM);
    let out = tmp.path().join("run");
    fleetsim().arg("run").arg(&s).args(["--no-report", "--out"]).arg(&out).assert().success();
    let ttft = std::fs::read_to_string(out.join("ttft.csv")).unwrap().replace("\n0.0100", "\n-0.0100");
    std::fs::write(out.join("ttft.csv"), ttft).unwrap();
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap().replace(",0.085000", ",1.085000");
    std::fs::write(out.join("timeseries.csv"), ts).unwrap();
    fleetsim().arg("report").arg(&out).assert().success().stderr(
        predicate::str::contains("ttft.csv:2: latency -0.01")
            .and(predicate::str::contains("the TTFT chart is left out"))
            .and(predicate::str::contains("timeseries.csv:2: kv_used_gpu is 1.085, not a fraction from 0 to 1")),
    );
    let report = md(&out);
    assert!(!report.contains("ttft_cdf.png") && !report.contains("kv.png"), "{report}");
    assert!(report.contains("tpot_cdf.png") && report.contains("timeline.png"), "{report}");
}

#[test]
fn a_job_report() {
    let tmp = tempfile::tempdir().unwrap();
    let job = write(tmp.path(), "job.yaml", JOB);
    let out = tmp.path().join("job");
    fleetsim().arg("run").arg(&job).arg("--out").arg(&out).assert().success();
    remake(&out);
    insta::assert_snapshot!("job_report_md", md(&out));
    insta::assert_snapshot!("job_time_svg", outline(&out, "job_time"));
}

#[test]
fn a_sweep_report_marks_youngs_and_dalys_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let job = write(tmp.path(), "job.yaml", JOB);
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
        .success()
        .stdout(predicate::str::contains("young ("));
    remake(&out);
    insta::assert_snapshot!("sweep_report_md", md(&out));
    let curve = outline(&out, "sweep_0_cost_usd_total");
    assert!(curve.contains("\nYoung ") && curve.contains("\nDaly "), "both intervals marked: {curve}");
    insta::assert_snapshot!("sweep_cost_curve_svg", curve);
    insta::assert_snapshot!("sweep_pareto_svg", outline(&out, "pareto"));
    self_contained(&std::fs::read_to_string(out.join("report.html")).unwrap());
}

/// Two axes and a constraint: the heat map with failing cells crossed out, the constraint drawn
/// and shaded on the curves and on cost against latency.
#[test]
fn a_two_axis_sweep_has_a_heat_map_and_its_constraints_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", SERVING);
    let out = tmp.path().join("sweep2");
    fleetsim()
        .arg("sweep")
        .arg(&s)
        .args(["--set", "batcher.max_batch_size=1,4,8", "--set", "batcher.max_wait=1ms,10ms"])
        .args(["--replications", "3", "--minimize", "cost_usd.total", "--subject-to", "latency_s.p99<=0.065"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    remake(&out);
    let report = md(&out);
    assert!(report.contains("cells fail the constraint (p99 latency ≤ 65ms)"), "{report}");
    insta::assert_snapshot!("sweep2_report_md", report);
    let heat = outline(&out, "heatmap");
    assert!(heat.contains("fails a constraint") && heat.contains("best cell"), "{heat}");
    insta::assert_snapshot!("sweep2_heatmap_svg", heat);
    let pareto = outline(&out, "pareto");
    assert!(pareto.contains("fails p99 latency ≤ 65ms"), "{pareto}");
    insta::assert_snapshot!("sweep2_pareto_svg", pareto);
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
        .stdout(predicate::str::contains("Δ rep-wide (paired)").and(predicate::str::contains("* the paired 95%")));
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
    let mut cmp = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let h = cmp.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let lines: Vec<csv::StringRecord> = cmp.records().map(|x| x.unwrap()).collect();
    let line = |d: &str, m: &str| lines.iter().find(|l| &l[0] == d && &l[1] == m).unwrap().clone();
    assert_eq!(&line("rep", "cost_usd.total")[col("diff_mean")], "", "no difference for the first design");
    let arrived = line("rep-wide", "requests.arrived");
    assert_eq!((&arrived[col("diff_mean")], &arrived[col("diff_ci95_high")]), ("0", "0"), "identical arrivals");
    for f in ["designs/rep/latency.csv", "designs/rep-wide/parameters.json", "charts/latency_tail.svg", "report.html"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    remake(&out);
    insta::assert_snapshot!("compare_report_md", md(&out));
    let tail = outline(&out, "latency_tail");
    assert!(tail.contains("rep-wide") && tail.contains("SLA 60ms") && tail.contains("p99"), "{tail}");
    insta::assert_snapshot!("compare_latency_tail_svg", tail);
    insta::assert_snapshot!("compare_pareto_svg", outline(&out, "pareto"));

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

/// The `assumptions` array of `summary.json` (issue 16 item 5) becomes its own table beside the
/// key parameters; in a comparison, one row per distinct assumption with the designs it holds for.
#[test]
fn assumptions_get_a_table_of_their_own() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.yaml", SERVING);
    let b = write(tmp.path(), "b.yaml", &SERVING.replace("name: rep", "name: rep-b"));
    let out = tmp.path().join("cmp");
    fleetsim().arg("compare").args([&a, &b]).args(["--replications", "2", "--out"]).arg(&out).assert().success();
    let shared = serde_json::json!({"what": "interruption rate of pool burst (g5.xlarge, A10G)", "key": "spot.interruptions.hazard.per_hour",
        "value": "2%/h", "source": "https://example.org/spot-advisor", "date": "2024-05-01", "caveat": "observed rates vary by zone"});
    let own = serde_json::json!({"what": "boot time of g5.xlarge", "key": "fleet.instance_types[].boot", "value": "90s",
        "source": "fleetsim default", "date": "", "caveat": ""});
    for (design, list) in [("rep", vec![shared.clone(), own.clone()]), ("rep-b", vec![shared.clone()])] {
        let path = out.join("designs").join(design).join("summary.json");
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        v["assumptions"] = serde_json::Value::Array(list);
        std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }
    remake(&out);
    let report = md(&out);
    let table: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("## Assumptions"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(
        table,
        [
            "| assumption | value | scenario key | source | date | caveat | designs |",
            "|---|---|---|---|---|---|---|",
            "| interruption rate of pool burst (g5.xlarge, A10G) | 2%/h | spot.interruptions.hazard.per_hour | https://example.org/spot-advisor | 2024-05-01 | observed rates vary by zone | all |",
            "| boot time of g5.xlarge | 90s | fleet.instance_types[].boot | fleetsim default |  |  | rep |",
        ],
        "{report}"
    );
    assert!(report.contains("## Key parameters"), "beside the key parameters");

    // A real run that rests on catalog defaults lists them in its report, taken from its own
    // summary.json (issue 14's `assumptions`)…
    let run = tmp.path().join("run");
    fleetsim().arg("run").arg(&a).arg("--out").arg(&run).assert().code(1);
    let report = md(&run);
    assert!(report.contains("## Assumptions") && report.contains("fleet.instance_types[].speed"), "{report}");
    // …and a run folder without the array shows the key parameters only.
    let path = run.join("summary.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("assumptions");
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    remake(&run);
    assert!(md(&run).contains("## Key parameters") && !md(&run).contains("## Assumptions"));
}

/// Issue 15 item 7: a damaged `summary.json` or `latency.csv` is named in a warning (file, key or
/// line) and left out, on stderr and at the top of the report; nothing is drawn from it.
#[test]
fn damaged_files_are_warned_about_not_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", SERVING);
    let out = tmp.path().join("run");
    fleetsim().arg("run").arg(&s).arg("--out").arg(&out).assert().code(1);
    let path = out.join("summary.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["latency_s"]["p99"] = "fast".into();
    v["cost_usd"]["spot"] = serde_json::json!(-5.0);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let lat = std::fs::read_to_string(out.join("latency.csv")).unwrap();
    let mut lines: Vec<&str> = lat.lines().collect();
    lines.swap(3, 4);
    std::fs::write(out.join("latency.csv"), lines.join("\n")).unwrap();
    fleetsim().arg("report").arg(&out).assert().success().stderr(
        predicate::str::contains("warning: ")
            .and(predicate::str::contains("summary.json: latency_s.p99 is \"fast\", not a number ≥ 0"))
            .and(predicate::str::contains("summary.json: cost_usd.spot is -5.0, not a number ≥ 0"))
            .and(predicate::str::contains("latency.csv:5: latency"))
            .and(predicate::str::contains("the latency charts are left out")),
    );
    let report = md(&out);
    assert!(report.contains("**Warning: parts of this folder look damaged and were left out:**"), "{report}");
    assert!(!report.contains("latency_cdf.png") && !report.contains("| p99 latency |"), "{report}");
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
    // A row whose mean is not a number is named and left out.
    fleetsim()
        .arg("sweep")
        .arg(&s)
        .args(["--set", "batcher.max_wait=1ms,5ms", "--replications", "2", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let bad = text.replacen(",cost_usd.total,2,", ",cost_usd.total,2,x", 1);
    std::fs::write(out.join("summary.csv"), bad).unwrap();
    fleetsim().arg("report").arg(&out).assert().success().stderr(predicate::str::contains("summary.csv: line"));
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
