//! The fault suite of output folders (issue 15): for each of run, sweep and compare, `--force`
//! onto a folder fleetsim did not write, onto a folder holding the input, and a `--force` that
//! fails (a limit) or is interrupted (SIGINT at a random moment, several seeds) — the old folder
//! is intact afterwards, byte for byte. Also: parallel runs without `--out` each get a folder of
//! their own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use predicates::prelude::*;
use rand::{RngExt, SeedableRng};

use super::common::{fleetsim, write};

/// About a second of simulation for `run`, and shorter runs for sweeps and comparisons.
const SCENARIO: &str = "name: faults\nhorizon: 20m\n\
    workload:\n  arrivals:\n    poisson: { rate: 2000/s }\n\
    service:\n  batch_time: { base: 10ms, per_item: 1ms }\n\
    batcher: { max_batch_size: 16, max_wait: 5ms }\n\
    fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 4 }\n";

/// The three commands that write a folder, with `OUT` for the output folder.
fn command(kind: &str, dir: &Path) -> Vec<String> {
    let s = dir.join("s.yaml").display().to_string();
    let t = dir.join("t.yaml").display().to_string();
    let args: Vec<&str> = match kind {
        "run" => vec!["run", &s, "--no-report"],
        "sweep" => vec!["sweep", &s, "--set", "batcher.max_batch_size=8,16", "--replications", "2", "--no-report"],
        "compare" => vec!["compare", &s, &t, "--replications", "2", "--no-report"],
        _ => unreachable!(),
    };
    args.into_iter().map(String::from).chain(["--set".into(), "horizon=4m".into()]).collect()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.yaml", SCENARIO);
    write(dir.path(), "t.yaml", &SCENARIO.replace("count: 4", "count: 5").replace("faults", "faults-b"));
    dir
}

/// Every file under `dir`, hidden ones included: relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Hidden folders (staging, moved aside) left in `parent`.
fn leftovers(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// Runs `kind` into `out` (a fresh folder) with `extra` flags and returns what it made.
fn make_folder(kind: &str, dir: &Path, out: &Path, extra: &[&str]) -> BTreeMap<String, Vec<u8>> {
    fleetsim().args(command(kind, dir)).arg("--out").arg(out).args(extra).assert().code(0);
    snapshot(out)
}

#[test]
fn force_never_replaces_a_folder_fleetsim_did_not_write() {
    for kind in ["run", "sweep", "compare"] {
        let dir = setup();
        // A web app's folder: its manifest.json is not fleetsim's.
        let web = dir.path().join("web");
        std::fs::create_dir(&web).unwrap();
        write(&web, "manifest.json", r#"{"name": "app", "start_url": "/"}"#);
        write(&web, "data.txt", "the app's data");
        let before = snapshot(&web);
        fleetsim()
            .args(command(kind, dir.path()))
            .arg("--out")
            .arg(&web)
            .arg("--force")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is not a manifest fleetsim wrote"));
        assert_eq!(snapshot(&web), before, "{kind}: the web app's folder is untouched");

        // fleetsim's results with the user's notes beside them: the folder is the user's now.
        let prev = dir.path().join("prev");
        let old = make_folder(kind, dir.path(), &prev, &[]);
        write(&prev, "notes.txt", "what I learnt");
        fleetsim()
            .args(command(kind, dir.path()))
            .arg("--out")
            .arg(&prev)
            .arg("--force")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("notes.txt, which fleetsim did not write"));
        let mut expected = old;
        expected.insert("notes.txt".into(), b"what I learnt".to_vec());
        assert_eq!(snapshot(&prev), expected, "{kind}: the results and the notes are untouched");
        assert!(leftovers(dir.path()).is_empty(), "{kind}: {:?}", leftovers(dir.path()));
    }
}

#[test]
fn force_never_replaces_a_folder_holding_the_input() {
    for kind in ["run", "sweep", "compare"] {
        let dir = setup();
        let prev = dir.path().join("prev");
        make_folder(kind, dir.path(), &prev, &[]);
        // The user moved the scenario into the folder and runs it from there.
        std::fs::copy(dir.path().join("s.yaml"), prev.join("s.yaml")).unwrap();
        let before = snapshot(&prev);
        let mut args = command(kind, dir.path());
        let s = dir.path().join("s.yaml").display().to_string();
        let inside = prev.join("s.yaml").display().to_string();
        args.iter_mut().filter(|a| **a == s).for_each(|a| *a = inside.clone());
        fleetsim().args(&args).arg("--out").arg(&prev).arg("--force").assert().code(2);
        assert_eq!(snapshot(&prev), before, "{kind}: the scenario and the results are untouched");

        // A trace read from inside the folder, under a name fleetsim writes itself.
        std::fs::remove_file(prev.join("s.yaml")).unwrap();
        write(&prev, "latency.csv", "time\n0\n0.5\n1\n");
        let traced = SCENARIO.replace("poisson: { rate: 2000/s }", "trace: { path: prev/latency.csv, format: csv }");
        write(dir.path(), "s.yaml", &traced);
        let before = snapshot(&prev);
        fleetsim()
            .args(command(kind, dir.path()))
            .arg("--out")
            .arg(&prev)
            .arg("--force")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("which this command reads: --force would delete it"));
        assert_eq!(snapshot(&prev), before, "{kind}: the trace and the results are untouched");
    }
}

#[test]
fn a_force_that_fails_leaves_the_old_folder_as_it_was() {
    for kind in ["run", "sweep", "compare"] {
        let dir = setup();
        let out = dir.path().join("out");
        let old = make_folder(kind, dir.path(), &out, &[]);
        // 4 minutes at 2000/s: about 480,000 arrivals pass the check before the run, and their
        // batches pass 490,000 events during it.
        fleetsim()
            .args(command(kind, dir.path()))
            .args(["--out", out.to_str().unwrap(), "--force", "--set", "limits.max_events=490000"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("limit of 490000 events"))
            .stderr(predicate::str::contains("panicked").not());
        assert_eq!(snapshot(&out), old, "{kind}: the old folder is intact, byte for byte");
        assert!(leftovers(dir.path()).is_empty(), "{kind}: {:?}", leftovers(dir.path()));
    }
}

/// Interrupt moments tried per command: 4, or `FLEETSIM_FAULT_SEEDS` (CI runs more).
fn interrupt_seeds() -> u64 {
    std::env::var("FLEETSIM_FAULT_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(4)
}

/// Sends SIGINT to `pid`.
fn interrupt(pid: u32) {
    let _ = std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status();
}

#[cfg(unix)]
#[test]
fn an_interrupted_force_leaves_the_old_folder_as_it_was() {
    let bin = assert_cmd::cargo::cargo_bin("fleetsim");
    for (k, kind) in ["run", "sweep", "compare"].into_iter().enumerate() {
        let dir = setup();
        let out = dir.path().join("out");
        let old = make_folder(kind, dir.path(), &out, &["--seed", "1"]);
        // How long the command takes uninterrupted: the quicker of two runs, so that a first
        // run slowed by a busy machine does not push every interrupt past the end.
        let took = (0..2)
            .map(|i| {
                let started = Instant::now();
                make_folder(kind, dir.path(), &dir.path().join(format!("timing-{i}")), &["--seed", "2"]);
                started.elapsed()
            })
            .min()
            .unwrap();
        let mut kept = 0;
        // Halved after an interrupt that came too late, so that a machine busier than during the
        // timing runs still sees most interrupts land while the command works.
        let mut scale = 1.0;
        let seeds = interrupt_seeds();
        for seed in 0..seeds {
            let mut rng = rand::rngs::StdRng::seed_from_u64(100 * k as u64 + seed);
            let at = took.mul_f64(scale * rng.random_range(0.02..0.9));
            let mut child = std::process::Command::new(&bin)
                .args(command(kind, dir.path()))
                .args(["--out", out.to_str().unwrap(), "--force", "--seed", "2"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(at);
            interrupt(child.id());
            let status = child.wait().unwrap();
            let now = snapshot(&out);
            if now == old {
                kept += 1;
            } else {
                // Interrupted after its results were in place (or not at all): they are whole.
                assert!(now.contains_key("manifest.json") && now != old, "{kind}, SIGINT at {at:?}: {status:?}");
                assert!(!now.contains_key(".lock"), "{kind}: a complete folder keeps no lock");
            }
            assert!(leftovers(dir.path()).is_empty(), "{kind}, SIGINT at {at:?}: {:?}", leftovers(dir.path()));
            if now != old {
                put_back(&out, &old); // for the next seed
                scale *= 0.5;
            }
        }
        assert!(
            kept * 2 >= seeds,
            "{kind}: most interrupts land before the new results are complete ({kept} of {seeds})"
        );
    }
}

/// Rewrites `out` to hold exactly `old`.
fn put_back(out: &Path, old: &BTreeMap<String, Vec<u8>>) {
    std::fs::remove_dir_all(out).unwrap();
    for (rel, bytes) in old {
        let p = out.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

#[test]
fn parallel_runs_without_out_get_folders_of_their_own() {
    let dir = setup();
    let bin = assert_cmd::cargo::cargo_bin("fleetsim");
    let s = dir.path().join("s.yaml");
    let quick = ["--set", "horizon=5s", "--no-report"];
    let (rounds, per_round) = (8, 16);
    for _ in 0..rounds {
        let children: Vec<_> = (0..per_round)
            .map(|_| {
                std::process::Command::new(&bin)
                    .current_dir(dir.path())
                    .arg("run")
                    .arg(&s)
                    .args(quick)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let runs: Vec<PathBuf> =
        std::fs::read_dir(dir.path().join("reports/faults")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), rounds * per_round, "one folder per run: {runs:?}");
    assert!(runs.iter().all(|r| r.join("summary.json").is_file()), "every folder is complete");
    assert!(leftovers(&dir.path().join("reports/faults")).is_empty());
}

#[test]
fn merge_names_the_out_it_was_given() {
    let dir = setup();
    for i in 0..2 {
        let mut args = command("sweep", dir.path());
        args.extend(["--shard".into(), format!("{i}/2"), "--out".into(), format!("s{i}")]);
        fleetsim().current_dir(dir.path()).args(args).assert().code(0);
    }
    // `./s1/` is s1: named as given, with the input it is.
    fleetsim()
        .current_dir(dir.path())
        .args(["merge", "s0", "s1", "--out", "./s1/", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out ./s1/ holds s1, which this command reads"));
}

#[test]
fn a_folder_another_sweep_is_writing_is_named_as_such() {
    let dir = setup();
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    // A sweep that has just started there: it holds the lock, and has no manifest yet.
    let lock = std::fs::File::create(busy.join(".lock")).unwrap();
    lock.try_lock().unwrap();
    for extra in [&["--resume"][..], &["--force"][..], &[][..]] {
        fleetsim()
            .args(command("sweep", dir.path()))
            .arg("--out")
            .arg(&busy)
            .args(extra)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("another fleetsim sweep is writing"))
            .stderr(predicate::str::contains("add --force").not());
    }
    // Once it has written its manifest, --force must not take the folder from under it either.
    write(&busy, "manifest.json", &String::from_utf8(std::fs::read(make_manifest(&dir)).unwrap()).unwrap());
    fleetsim()
        .args(command("sweep", dir.path()))
        .args(["--out", busy.to_str().unwrap(), "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("another fleetsim sweep is writing"));
    assert!(busy.join("manifest.json").exists());
}

/// A sweep's manifest.json, from a real sweep.
fn make_manifest(dir: &tempfile::TempDir) -> PathBuf {
    let out = dir.path().join("real");
    make_folder("sweep", dir.path(), &out, &[]);
    out.join("manifest.json")
}
