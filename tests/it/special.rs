//! Special files, pipes and full disks (issue 15): a FIFO or `/dev/zero` given as a scenario or a
//! trace, a 1 GB trace without line breaks, a closed stdout, a full disk behind stdout or stderr.
//! Each command runs under a 1 GB address-space limit (`ulimit -v`), so a reader that grows
//! without bound fails here instead of filling the machine, and with a timeout, so one that
//! blocks fails too.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use predicates::prelude::*;

use super::common::write;

/// `fleetsim ARGS` in `dir` under a 1 GB address-space limit and a 20 s timeout.
fn bounded(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    let bin = assert_cmd::cargo::cargo_bin("fleetsim");
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.current_dir(dir)
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .timeout(Duration::from_secs(20));
    cmd.assert()
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo").arg(path).status().is_ok_and(|s| s.success())
}

/// A serving scenario replaying the request trace at `trace`.
fn replaying(trace: &str) -> String {
    format!(
        "name: t\nhorizon: 1m\nworkload:\n  arrivals:\n    trace: {{ path: {trace}, format: csv }}\n\
         service:\n  batch_time: {{ base: 10ms }}\nfleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, count: 1 }}\n"
    )
}

/// A job whose spot availability comes from `trace` in `format`.
fn job_with_availability(trace: &str, format: &str) -> String {
    format!(
        "name: j\nhorizon: 10h\njob:\n  work: 1h\n  instance: p3.2xlarge\n  zones: [z1]\n  policy: spot_only\n  \
         checkpoint: {{ interval: 10m, write: 10s }}\n\
         spot:\n  interruptions:\n    trace: {{ path: {trace}, format: {format}, zone: z1 }}\n"
    )
}

#[test]
fn a_fifo_is_refused_and_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if !mkfifo(&d.join("fifo")) {
        return; // no mkfifo here
    }
    bounded(d, &["validate", "fifo"]).code(2).stderr(predicate::str::contains("fifo: is a FIFO (named pipe)"));
    write(d, "r.yaml", &replaying("fifo"));
    bounded(d, &["validate", "r.yaml"]).code(2).stderr(predicate::str::contains("fifo: is a FIFO (named pipe)"));
    bounded(d, &["run", "r.yaml"]).code(2).stderr(predicate::str::contains("is a FIFO (named pipe)"));
    for format in ["csv", "skypilot-availability"] {
        write(d, "j.yaml", &job_with_availability("fifo", format));
        bounded(d, &["validate", "j.yaml"]).code(2).stderr(predicate::str::contains("fifo: is a FIFO (named pipe)"));
    }
}

#[test]
fn dev_zero_is_refused_and_never_read() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    if !Path::new("/dev/zero").exists() {
        return;
    }
    bounded(d, &["validate", "/dev/zero"]).code(2).stderr(predicate::str::contains("is a character device"));
    write(d, "r.yaml", &replaying("/dev/zero"));
    bounded(d, &["validate", "r.yaml"]).code(2).stderr(predicate::str::contains("is a character device"));
    for format in ["csv", "skypilot-availability"] {
        write(d, "j.yaml", &job_with_availability("/dev/zero", format));
        bounded(d, &["validate", "j.yaml"]).code(2).stderr(predicate::str::contains("is a character device"));
    }
}

/// A sparse file of `size` zero bytes: no line break anywhere.
fn sparse(dir: &Path, name: &str, size: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    path
}

#[test]
fn a_trace_without_line_breaks_is_refused_after_one_row() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    sparse(d, "big.csv", 1 << 30);
    write(d, "r.yaml", &replaying("big.csv"));
    bounded(d, &["validate", "r.yaml"])
        .code(2)
        .stderr(predicate::str::contains("big.csv:1: the row is longer than 1 MiB"));
    write(d, "j.yaml", &job_with_availability("big.csv", "csv"));
    bounded(d, &["validate", "j.yaml"])
        .code(2)
        .stderr(predicate::str::contains("big.csv:1: the row is longer than 1 MiB"));
}

const QUICK: &str = "name: quick\nhorizon: 1m\n\
    workload:\n  arrivals:\n    poisson: { rate: 10/s }\n\
    service:\n  batch_time: { base: 10ms }\n\
    fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n";

/// Runs `fleetsim ARGS` with its stdout a pipe whose reader is gone.
fn with_closed_stdout(dir: &Path, args: &[&str]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("fleetsim");
    let mut child =
        Command::new(bin).current_dir(dir).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take()); // `| head -0`
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(d, "s.yaml", QUICK);
    for args in [
        &["catalog"][..],
        &["run", "s.yaml", "--out", "run", "--no-report"][..],
        &[
            "sweep",
            "s.yaml",
            "--set",
            "batcher.max_batch_size=1,2",
            "--replications",
            "2",
            "--out",
            "sweep",
            "--no-report",
        ][..],
    ] {
        let out = with_closed_stdout(d, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    assert!(d.join("run/summary.json").is_file(), "the run's results are written");
    assert!(d.join("sweep/summary.csv").is_file() && !d.join("sweep/.lock").exists(), "no lock left");
}

#[test]
fn a_full_disk_behind_stdout_is_an_error_and_behind_stderr_is_no_panic() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    if !Path::new("/dev/full").exists() {
        return;
    }
    write(d, "s.yaml", QUICK);
    let bin = assert_cmd::cargo::cargo_bin("fleetsim");
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = Command::new(&bin)
        .current_dir(d)
        .args(["run", "s.yaml", "--out", "a", "--no-report"])
        .stdout(full())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write to standard output: No space left on device"), "{stderr}");
    // A warning on a full stderr: written nowhere, and no panic either.
    let overload = QUICK.replace("10/s", "1000/s");
    write(d, "o.yaml", &overload);
    let out = Command::new(&bin)
        .current_dir(d)
        .args(["run", "o.yaml", "--out", "b", "--no-report", "--set", "limits.max_queued_requests=10"])
        .stdout(Stdio::null())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(d.join("b/summary.json").is_file());
}

#[test]
fn json_traces_are_read_in_memory_in_proportion_to_their_size() {
    // 48 MiB with a change at every value, the most a series can hold per byte: about 2.5 bytes
    // of memory per byte of file now, 52 before (2.5 GB), which the 1 GB limit would stop.
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let n = 24 << 20;
    let alternating = |a: &str, b: &str| {
        let mut s = String::with_capacity(2 * n + 64);
        for i in 0..n {
            s.push_str(if i % 2 == 0 { a } else { b });
            s.push(',');
        }
        s.pop();
        s
    };
    let data = alternating("0", "1");
    write(d, "a.json", &format!("{{\"metadata\": {{\"gap_seconds\": 32}}, \"data\": [{data}]}}"));
    write(d, "j.yaml", &job_with_availability("a.json", "skypilot-availability"));
    bounded(d, &["validate", "j.yaml"]).code(0).stdout(predicate::str::contains(format!("{n} changes")));
    let prices = alternating("1", "2");
    write(d, "p.json", &format!("{{\"z1_v100_1\": [{prices}]}}"));
    let job = job_with_availability("a.json", "skypilot-availability").replace(
        "    trace: { path: a.json, format: skypilot-availability, zone: z1 }\n",
        "    hazard: { per_hour: 0.01 }\n",
    ) + "  price:\n    trace: { path: p.json, format: skypilot-prices, tick: 195s }\n";
    write(d, "p.yaml", &job);
    bounded(d, &["validate", "p.yaml"]).code(0).stdout(predicate::str::contains(format!("{n} changes")));
}
