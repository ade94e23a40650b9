//! Limits (`limits:`), reached with a message rather than an out-of-memory kill, and output
//! folders: written whole, never over an existing one without `--force`, which replaces only what
//! fleetsim wrote.

use std::path::Path;

use predicates::prelude::*;

use super::common::{fleetsim, write};

/// 500 req/s offered to two replicas that serve about 160: the queue grows without bound.
const OVERLOAD: &str = "name: overload\nhorizon: 10m\n\
    workload:\n  arrivals:\n    poisson: { rate: 500/s }\n\
    service:\n  batch_time: { base: 100ms, per_item: 10ms }\n\
    batcher: { max_batch_size: 8, max_wait: 5ms }\n\
    fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 2 }\n";

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn the_event_limit_stops_the_run_with_a_message_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // 6,000 arrivals pass the check before the run; their batches and waits pass 10,000 events.
    let s = write(dir.path(), "s.yaml", &OVERLOAD.replace("500/s", "10/s"));
    let out = dir.path().join("out");
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--set", "limits.max_events=10000", "--out", out.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the run reached the limit of 10000 events at simulated time"))
        .stderr(predicate::str::contains("raise limits.max_events"))
        .stderr(predicate::str::contains("panicked").not());
    assert!(!out.exists(), "a failed run leaves no folder");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "only the scenario is left: {left:?}");
    // Arrivals alone past the limit are refused before the run starts.
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--set", "limits.max_events=5000", "--out", out.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "workload.arrivals: about 6.000e3 arrivals over the 10m horizon, each at least one event, are more than limits.max_events (5000)",
        ));
}

#[test]
fn the_queue_limit_drops_arrivals_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", OVERLOAD);
    let out = dir.path().join("out");
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--set", "limits.max_queued_requests=100", "--no-report"])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("were already waiting (limits.max_queued_requests)"));
    let r = &summary(&out)["requests"];
    let (arrived, completed, dropped) =
        (r["arrived"].as_u64().unwrap(), r["completed"].as_u64().unwrap(), r["dropped"].as_u64().unwrap());
    // ~300,000 arrive, two replicas complete ~160/s × 600 s: the rest are dropped, none lost.
    assert!(dropped > 200_000, "{dropped}");
    assert_eq!(arrived, completed + dropped + r["in_flight"].as_u64().unwrap());
}

#[test]
fn the_memory_limit_counts_requests_in_service_too() {
    // 40 replicas of batch 8 hold up to 320 requests in service; the queue never reaches 100.
    let yaml = OVERLOAD.replace("count: 2", "count: 40").replace("500/s", "3000/s");
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", &yaml);
    let out = dir.path().join("out");
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--set", "limits.max_requests_in_memory=100", "--no-report"])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "requests were already held (waiting or in service; limits.max_requests_in_memory)",
        ));
    assert!(summary(&out)["requests"]["dropped"].as_u64().unwrap() > 0);
}

#[test]
fn the_instance_limit_stops_runs_and_jobs_that_relaunch_without_end() {
    // Spot instances live 2 minutes each (max_lifetime): a 1-day run would launch ~7,000.
    let yaml = "name: churn\nhorizon: 1d\n\
        workload:\n  arrivals:\n    poisson: { rate: 1/s }\n\
        service:\n  batch_time: { base: 10ms }\n\
        fleet:\n  pools:\n    - { name: s, instance: churny, market: spot, count: 5 }\n  \
        instance_types:\n    - { name: churny, on_demand_price: 1.0, boot: 0s, max_lifetime: 2m }\n\
        spot:\n  notice: 0s\n  interruptions:\n    hazard: { per_hour: 0 }\n  price:\n    constant: 0.3\n";
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", yaml);
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--set", "limits.max_instances_launched=1000", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the run launched more than 1000 instances by simulated time"));

    let job = "name: j\nhorizon: 30d\n\
        job:\n  work: 100h\n  instance: p3.2xlarge\n  policy: spot_only\n  checkpoint: { interval: 10m, write: 10s }\n\
        spot:\n  notice: 0s\n  interruptions:\n    hazard: { per_hour: 5 }\n";
    let s = write(dir.path(), "j.yaml", job);
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--set", "limits.max_instances_launched=50", "--out"])
        .arg(dir.path().join("job"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the job launched more than 50 gangs"));
}

#[test]
fn limits_are_checked_like_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", OVERLOAD);
    for (set, message) in [
        ("limits.max_events=0", "limits.max_events: must be at least 1"),
        ("limits.max_queued_requests=2000000000", "limits.max_queued_requests: 2000000000 is more than the ceiling"),
        ("limits.max_evnts=5", "unknown field `max_evnts`"),
        ("limits.max_events=lots", "limits.max_events"),
    ] {
        fleetsim()
            .args(["validate", s.to_str().unwrap(), "--set", set])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    // The horizon's limit is fixed: ten years.
    fleetsim()
        .args(["validate", s.to_str().unwrap(), "--set", "horizon=3660d"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("horizon"));
}

/// A quick scenario for the folder tests.
const QUICK: &str = "name: quick\nhorizon: 1m\n\
    workload:\n  arrivals:\n    poisson: { rate: 10/s }\n\
    service:\n  batch_time: { base: 10ms }\n\
    fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n";

#[test]
fn force_replaces_a_run_folder_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", QUICK);
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut cmd = fleetsim();
        cmd.args(["run", s.to_str().unwrap(), "--no-report", "--out", out.to_str().unwrap()]).args(extra);
        cmd.assert()
    };
    run(&["--seed", "1"]).code(0);
    run(&["--seed", "2"]).code(2).stderr(predicate::str::contains("add --force to replace it"));
    assert_eq!(summary(&out)["engine"]["seed"], 1, "the refused run changed nothing");
    run(&["--seed", "2", "--force"]).code(0);
    assert_eq!(summary(&out)["engine"]["seed"], 2, "--force replaced the run");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "no staging or old folder left: {left:?}");

    // A folder fleetsim did not write is never removed, even with --force.
    let mine = dir.path().join("mine");
    write(&std::fs::create_dir(&mine).map(|()| mine.clone()).unwrap(), "thesis.tex", "years of work");
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--force", "--out", mine.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force replaces only folders fleetsim wrote"));
    assert_eq!(std::fs::read_to_string(mine.join("thesis.tex")).unwrap(), "years of work");
}

#[test]
fn force_replaces_sweep_compare_and_merge_folders() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", QUICK);
    let sweep = dir.path().join("sweep");
    let args =
        |cmd: &mut assert_cmd::Command, out: &Path| {
            cmd.args(["sweep", s.to_str().unwrap(), "--set", "batcher.max_batch_size=1,2", "--replications", "2"])
                .args(["--no-report", "--out", out.to_str().unwrap()]);
        };
    let mut cmd = fleetsim();
    args(&mut cmd, &sweep);
    cmd.assert().code(0);
    let mut cmd = fleetsim();
    args(&mut cmd, &sweep);
    cmd.assert().code(2).stderr(predicate::str::contains("--force to replace them"));
    let mut cmd = fleetsim();
    args(&mut cmd, &sweep);
    cmd.args(["--force", "--seed", "9"]).assert().code(0);
    let runs = std::fs::read_to_string(sweep.join("runs.csv")).unwrap();
    assert!(runs.lines().nth(1).unwrap().contains(",9,"), "the new sweep's seeds: {runs}");
    let mut cmd = fleetsim();
    args(&mut cmd, &sweep);
    cmd.args(["--force", "--resume"]).assert().code(2).stderr(predicate::str::contains("cannot be used with"));

    // Two shards merged, then merged again over the first merge.
    for i in 0..2 {
        let mut cmd = fleetsim();
        args(&mut cmd, &dir.path().join(format!("shard{i}")));
        cmd.args(["--shard", &format!("{i}/2")]).assert().code(0);
    }
    let merged = dir.path().join("merged");
    let merge = |extra: &[&str]| {
        let mut cmd = fleetsim();
        cmd.arg("merge").arg(dir.path().join("shard0")).arg(dir.path().join("shard1"));
        cmd.args(["--out", merged.to_str().unwrap()]).args(extra);
        cmd.assert()
    };
    merge(&[]).code(0);
    merge(&[]).code(2).stderr(predicate::str::contains("add --force to replace it"));
    merge(&["--force"]).code(0);
    assert!(merged.join("summary.csv").exists());
    let mut cmd = fleetsim();
    cmd.arg("merge").arg(dir.path().join("shard0")).arg(dir.path().join("shard1"));
    cmd.args(["--force", "--out"]).arg(dir.path().join("shard0"));
    cmd.assert().code(2).stderr(predicate::str::contains("which this command reads: --force would delete it"));
    assert!(dir.path().join("shard0").join("runs.csv").exists());

    let compare = dir.path().join("compare");
    for (extra, code) in [(&[][..], 0), (&[][..], 2), (&["--force"][..], 0)] {
        fleetsim()
            .args(["compare", s.to_str().unwrap(), s.to_str().unwrap(), "--replications", "2", "--no-report"])
            .args(["--out", compare.to_str().unwrap()])
            .args(extra)
            .assert()
            .code(code);
    }
    assert!(compare.join("compare.csv").exists());
    let hidden: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "no old or staging folders left: {hidden:?}");
}

#[test]
fn a_long_drain_stops_the_time_series_at_its_row_limit() {
    // 6,000 requests queue behind one replica that takes 200 s each: the drain lasts 1.2 M s,
    // 1.2 M rows of 1 s — past the 952,380 rows a one-pool run may keep (20 M cells / 21 columns).
    let yaml = "name: drain\nhorizon: 10m\n\
        workload:\n  arrivals:\n    poisson: { rate: 10/s }\n\
        service:\n  batch_time: { base: 200s }\n\
        fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n\
        output: { timeseries_interval: 1s }\n";
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", yaml);
    let out = dir.path().join("out");
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--no-report", "--out", out.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("timeseries.csv stops at 952380 rows (its limit)"));
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let rows = csv.lines().count() - 1;
    assert_eq!(rows, 952_381, "the limit's rows and the last one, which covers the rest of the drain");
    // Nothing is lost: the last row holds the completions of the intervals it covers.
    let completions: u64 = csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(completions, summary(&out)["requests"]["completed"].as_u64().unwrap());
}

#[test]
fn batch_times_cut_to_the_limit_are_reported() {
    // One item whose batch takes 40 days: cut to 30 days (MAX_BATCH_TIME), and said so.
    let yaml = "name: long\nhorizon: 1h\n\
        workload:\n  arrivals:\n    items: { count: 1 }\n\
        service:\n  batch_time: { base: 40d }\n\
        fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n\
        output: { timeseries_interval: 1h }\n";
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", yaml);
    let out = dir.path().join("out");
    fleetsim()
        .args(["run", s.to_str().unwrap(), "--no-report", "--out", out.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 batches drew a service time above 30d and were cut to it"));
    assert_eq!(summary(&out)["latency_s"]["max"].as_f64().unwrap(), 30.0 * 86_400.0);
}
