//! The command line: outputs, exit codes (0 ok, 1 assert failed, 2 bad input) and error messages
//! that name file, line, column and key.

use std::path::{Path, PathBuf};

use super::common::{fleetsim, write};
use predicates::prelude::*;

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml")
}

/// A workload of one request a minute.
const QUIET_WORKLOAD: &str =
    "workload:\n  arrivals:\n    constant: { rate: 1/m }\nservice:\n  batch_time: { base: 10ms }\n";

const GOOD: &str = "name: cli\nhorizon: 1m\n\
    workload:\n  arrivals:\n    poisson: { rate: 50/s }\n  sla: { latency: 100ms }\n\
    service:\n  batch_time: { base: 8ms, per_item: 1ms }\n\
    batcher: { max_batch_size: 8, max_wait: 2ms }\n\
    fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 2 }\n";

#[test]
fn run_writes_the_three_files_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    fleetsim().args(["run", quickstart().to_str().unwrap(), "--out", out.to_str().unwrap()]).assert().success().stdout(
        predicate::str::contains("latency")
            .and(predicate::str::contains("p99"))
            .and(predicate::str::contains("g5.xlarge")),
    );
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for key in ["requests", "latency_s", "sla", "cost_usd", "fleet", "engine"] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    for key in ["arrived", "completed", "retried", "dropped", "sla_violations"] {
        assert!(summary["requests"][key].is_u64(), "requests.{key}");
    }
    for key in ["total", "on_demand", "spot", "reserved", "per_million_requests"] {
        assert!(summary["cost_usd"][key].is_f64(), "cost_usd.{key}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(ts.starts_with("time_s,arrivals,completions,queue_len,busy_replicas,replicas_base,on_demand_replicas,spot_replicas,reserved_replicas,interruptions,ready_replicas,target_replicas,cost_usd\n"));
    // A header, 60 one-minute rows, and a last row where the queue finished draining.
    let rows: Vec<&str> = ts.lines().skip(1).collect();
    assert!(rows.len() == 60 || rows.len() == 61, "{} rows", rows.len());
    assert!(rows[59].starts_with("3600,"));
}

#[test]
fn json_goes_to_stdout_and_seed_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", GOOD);
    let output = fleetsim()
        .args(["run", s.to_str().unwrap(), "--json", "--seed", "99", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON only");
    assert_eq!(v["engine"]["seed"], 99);
}

/// Same seed twice → byte-identical summary.json apart from engine.wall_s.
#[test]
fn runs_are_reproducible_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", GOOD);
    let mut texts = Vec::new();
    for name in ["a", "b"] {
        let out = dir.path().join(name);
        fleetsim().args(["run", s.to_str().unwrap(), "--out", out.to_str().unwrap()]).assert().success();
        let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
        let stripped: String = text.lines().filter(|l| !l.contains("\"wall_s\"")).collect::<Vec<_>>().join("\n");
        texts.push(stripped);
    }
    assert_eq!(texts[0], texts[1]);
}

#[test]
fn a_failed_assert_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", &format!("{GOOD}assert:\n  - \"latency_s.p99 < 0.000001\"\n"));
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--out"])
        .arg(dir.path().join("o"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED"));
}

#[test]
fn an_existing_output_folder_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", GOOD);
    write(dir.path(), "keep.txt", "precious");
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--out", dir.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never overwrites"));
    assert_eq!(std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(), "precious");
}

/// Each bad scenario: exit 2, and stderr names `file:line:column: key: message`.
#[test]
fn bad_scenarios_name_file_line_column_and_key() {
    let cases: &[(&str, &str, &str)] = &[
        // (text replaced in GOOD, replacement, expected in stderr)
        (
            "max_batch_size: 8",
            "max_batch_size: 0",
            "s.yaml:9:28: batcher.max_batch_size: must be between 1 and 1048576, found 0",
        ),
        (
            "max_batch_size: 8",
            "max_batch_sise: 8",
            "s.yaml:9:12: batcher.max_batch_sise: unknown field `max_batch_sise`",
        ),
        ("rate: 50/s", "rate: 50", "s.yaml:5:22: workload.arrivals.poisson.rate: rate 50 has no unit"),
        ("base: 8ms", "base: 8 minutes", "s.yaml:8:23: service.batch_time.base: unknown duration unit \"minutes\""),
        (
            "g5.xlarge",
            "g5.xlarg",
            "s.yaml:12:28: fleet.pools[0].instance: unknown instance type \"g5.xlarg\": did you mean g5.xlarge",
        ),
        ("count: 2", "count: -2", "s.yaml:12:46: fleet.pools[0].count: expected a whole number ≥ 0, found \"-2\""),
        ("count: 2", "count: two", "s.yaml:12:46: fleet.pools[0].count: expected a whole number ≥ 0, found \"two\""),
        ("poisson:", "poison:", "s.yaml:5:5: workload.arrivals: unknown variant `poison`"),
        (
            "latency: 100ms",
            "latency: 100ms, quantile: 2",
            "s.yaml:6:36: workload.sla.quantile: must be strictly between 0 and 1",
        ),
        ("horizon: 1m", "horizon: 1m\nwarmup: 2m", "s.yaml:3:9: warmup: 2m is not shorter than the horizon 1m"),
        ("name: cli\n", "name: cli\nname: again\n", "s.yaml:2:1: key `name` appears twice"),
        ("horizon: 1m\n", "", "missing required key `horizon`"),
        (
            "count: 2",
            "count: 2, market: spot",
            "spot.interruptions.hazard.per_hour: pool \"a\" runs \"g5.xlarge\" (GPU \"A10G\"), for which there is no published interruption rate",
        ),
    ];
    for (from, to, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        assert!(GOOD.contains(from), "case {from:?}");
        let s = write(dir.path(), "s.yaml", &GOOD.replacen(from, to, 1));
        fleetsim().args(["validate", s.to_str().unwrap()]).assert().code(2).stderr(predicate::str::contains(*want));
    }
}

#[test]
fn bad_files_and_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    fleetsim()
        .args(["validate", "no/such/file.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.yaml: cannot read"));
    fleetsim()
        .args(["validate", dir.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a directory"));
    let empty = write(dir.path(), "empty.yaml", "");
    fleetsim()
        .args(["validate", empty.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the file is empty"));
    let binary = dir.path().join("bin.yaml");
    std::fs::write(&binary, b"name: \xff\xfe\n").unwrap();
    fleetsim()
        .args(["validate", binary.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bin.yaml:1:7: the file is not valid UTF-8"));
    // An alias bomb: 2,000 uses of one anchor where a list of strings is expected.
    let bomb = write(
        dir.path(),
        "bomb.yaml",
        &format!("name: x\ndescription: &d boom\nassert: [{}]\n", vec!["*d"; 2000].join(", ")),
    );
    fleetsim()
        .args(["validate", bomb.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("alias-heavy"));
    let s = write(dir.path(), "s.yaml", GOOD);
    fleetsim().args(["run", s.to_str().unwrap(), "--bogus"]).assert().code(2);
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--set", "novalue"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected KEY=VALUE"));
}

#[test]
fn set_overrides_are_checked_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", GOOD);
    fleetsim()
        .args(["validate", s.to_str().unwrap(), "--set", "batcher.max_batch_size=0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--set batcher.max_batch_size=0: batcher.max_batch_size: must be between 1"));
    fleetsim()
        .args(["validate", s.to_str().unwrap(), "--set", "batcher.max_wiat=3ms"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `max_wiat`"));
    fleetsim()
        .args(["validate", s.to_str().unwrap(), "--set", "fleet.pools[0].count=5", "--set", "router=least_outstanding"])
        .assert()
        .success()
        .stdout(predicate::str::contains("5 replica(s)"));
}

#[test]
fn trace_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.csv", "time,tokens_in\n0,5\n1,5\nabc,5\n");
    let s =
        write(dir.path(), "s.yaml", &GOOD.replace("poisson: { rate: 50/s }", "trace: { path: t.csv, format: csv }"));
    fleetsim().args(["validate", s.to_str().unwrap()]).assert().code(2).stderr(predicate::str::contains("t.csv:4"));
    fleetsim()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("t.csv:4"));
    let missing = write(dir.path(), "m.yaml", &GOOD.replace("poisson: { rate: 50/s }", "trace: { path: nope.csv }"));
    fleetsim().args(["run", missing.to_str().unwrap()]).assert().code(2).stderr(predicate::str::contains("nope.csv"));
}

#[test]
fn validate_reads_the_azure_trace_through() {
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/azure-conv.yaml");
    fleetsim()
        .args(["validate", s.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("19366 requests"));
}

#[test]
fn catalog_lists_types_with_prices() {
    fleetsim()
        .arg("catalog")
        .assert()
        .success()
        .stdout(predicate::str::contains("g5.xlarge").and(predicate::str::contains("1.0060")));
    let out = fleetsim().args(["catalog", "--json", "--filter", "h100"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["instance_types"].as_array().unwrap();
    assert!(!rows.is_empty());
    let refs = v["market_references"].as_array().unwrap();
    assert!(refs.iter().any(|r| r["kind"] == "interruption_rate" && r["key"] == "V100"));
    assert!(refs.iter().all(|r| r["source"].as_str().unwrap().starts_with("https://")));
    assert!(rows.iter().all(|r| r["price_source"].as_str().unwrap().starts_with("https://")));
}

/// Every scenario shipped in scenarios/ validates.
#[test]
fn shipped_scenarios_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            fleetsim().arg("validate").arg(&path).assert().success();
            n += 1;
        }
    }
    assert!(n >= 6, "expected the shipped scenarios, found {n}");
}

/// Absurd values are refused with the key named, before they can overflow or hang the engine.
#[test]
fn absurd_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("rate: 50/s", "rate: 1e-320/s", "workload.arrivals.poisson.rate: 1e-320/s is below the smallest rate"),
        ("rate: 50/s", "rate: 1e12/s", "workload.arrivals.poisson.rate: is above the limit"),
        ("count: 2", "count: 2000000", "fleet.pools[0].count: 2000000 is above the limit"),
        ("horizon: 1m", "horizon: 20000d", "horizon: duration \"20000d\" is longer than the 10-year limit"),
        (
            "horizon: 1m",
            "horizon: 1m\noutput: { timeseries_interval: 1ns }",
            "output.timeseries_interval: 1ns gives 60000000000 rows",
        ),
        ("horizon: 1m", "horizon: 0s", "horizon: must be longer than 0"),
    ];
    for (from, to, want) in cases {
        let s = write(dir.path(), "s.yaml", &GOOD.replacen(from, to, 1));
        fleetsim().args(["validate", s.to_str().unwrap()]).assert().code(2).stderr(predicate::str::contains(*want));
    }
    let s = write(
        dir.path(),
        "speed.yaml",
        &format!("{GOOD}  instance_types:\n    - {{ name: g5.xlarge, speed: 1e-300 }}\n"),
    );
    fleetsim()
        .args(["validate", s.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("fleet.instance_types[0].speed: must be a number between 0.001 and 1000"));
}

/// `--set` reads values as the file would: text for text keys, numbers as map keys.
#[test]
fn set_handles_text_values_and_numeric_map_keys() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", GOOD);
    fleetsim()
        .args(["validate", s.to_str().unwrap(), "--set", "name=2024"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"2024\""));
    fleetsim()
        .args([
            "validate",
            s.to_str().unwrap(),
            "--set",
            "service.batch_time={table: {1: 10ms, 8: 20ms}}",
            "--set",
            "service.batch_time.table.16=30ms",
        ])
        .assert()
        .success();
    fleetsim()
        .args(["validate", s.to_str().unwrap(), "--set", "service.batch_time={table: {1: 10ms}}"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("service.batch_time.table: has one entry"));
    fleetsim()
        .args(["validate", s.to_str().unwrap(), "--set", "batcher.max_wait="])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the value is empty"));
}

/// A job scenario runs through the CLI and reports `job.*` in summary.json.
#[test]
fn job_scenarios_run_and_report_job_keys() {
    let dir = tempfile::tempdir().unwrap();
    let s = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/job-checkpoint-h100.yaml");
    let out = fleetsim().arg("run").arg(&s).args(["--json", "--out"]).arg(dir.path().join("o")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "completed",
        "makespan_s",
        "lost_work_s",
        "checkpoints",
        "checkpoint_overhead_s",
        "restore_overhead_s",
        "interruptions",
        "deadline_met",
        "spot_s",
        "on_demand_s",
    ] {
        assert!(!v["job"][key].is_null(), "job.{key} missing");
    }
    fleetsim()
        .args(["validate", s.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("policy spot_only"));
    // Serving keys in a job scenario are refused by name.
    let bad = write(
        dir.path(),
        "bad.yaml",
        "name: j\nhorizon: 1h\nworkload:\n  arrivals:\n    poisson: { rate: 1/s }\njob:\n  work: 1h\n  instance: p3.2xlarge\n",
    );
    fleetsim()
        .args(["validate", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("workload: a job scenario has no serving keys"));
    let young = write(
        dir.path(),
        "young.yaml",
        "name: j\nhorizon: 1h\njob:\n  work: 1h\n  instance: p3.2xlarge\n  checkpoint: { interval: young }\n",
    );
    fleetsim()
        .args(["validate", young.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("job.checkpoint.interval: young needs a checkpoint write time"));
}

/// Before, `run` on a scenario with a `sweep:` section ran its base cell without a word.
#[test]
fn run_on_a_sweep_says_it_runs_the_base_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweep-batcher.yaml");
    let out = fleetsim()
        .args(["run", path.to_str().unwrap(), "--set", "horizon=1m", "--set", "warmup=10s", "--no-report", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has a sweep: section, which `fleetsim run` leaves aside"), "{stderr}");
    assert!(stderr.contains("`fleetsim sweep ") && stderr.contains("sweep-batcher.yaml` runs the grid"), "{stderr}");
}

/// The kinds are named in the order the files are given. Before: "(a job and a serving fleet)"
/// whatever the order.
#[test]
fn compare_names_the_kinds_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let serve = write(
        dir.path(),
        "serve.yaml",
        &format!(
            "name: s\nhorizon: 1h\n{QUIET_WORKLOAD}fleet:\n  pools:\n    - {{ name: b, instance: g5.xlarge, count: 1 }}\n"
        ),
    );
    let job = write(
        dir.path(),
        "job.yaml",
        "name: j\nhorizon: 10h\njob:\n  work: 1h\n  instance: p3.2xlarge\n  policy: on_demand\n",
    );
    for (first, second, expected) in
        [(&serve, &job, "serve.yaml is a serving fleet and "), (&job, &serve, "job.yaml is a job and ")]
    {
        let out =
            fleetsim().arg("compare").args([first, second]).arg("--out").arg(dir.path().join("c")).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        let tail = if first == &serve {
            "job.yaml is a job: different kinds; compare designs of one kind"
        } else {
            "serve.yaml is a serving fleet: different kinds; compare designs of one kind"
        };
        assert!(stderr.contains(tail), "{stderr}");
    }
}

#[test]
fn compound_durations_and_malformed_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", GOOD);
    // Each was read as something else before: 30 minutes, 2 hours, the count set, a message about
    // mappings for a list.
    for (set, message) in [
        ("horizon=1h-30m", "never 1h-30m"),
        ("horizon=1h1h", "each unit once"),
        ("horizon=30m1h", "from the largest unit to the smallest"),
        ("fleet.pools[0.count=3", "opens a '[' that it does not close"),
        ("fleet.pools[a].count=3", "[a], which is not a whole number"),
        ("fleet.pools.a.count=3", "fleet.pools is a list of 1 entries, not a mapping"),
        ("fleet.pools[3].count=3", "index [3] is out of range: fleet.pools has 1 entries"),
    ] {
        fleetsim()
            .args(["validate", s.to_str().unwrap(), "--set", set])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}
