//! Request-trace replay against the real Azure LLM conversation trace.

use std::path::Path;

use fleetsim::scenario;
use fleetsim::serving::{self, RequestSource};
use fleetsim::trace::requests::RequestTrace;

fn replay(path: &Path) -> fleetsim::metrics::Summary {
    let loaded = scenario::load(path, &[]).expect("scenario loads");
    let (path, format, speedup) = loaded.scenario.request_trace().expect("a trace scenario");
    let mut trace = RequestTrace::open(path, format, speedup).expect("trace opens");
    serving::simulate(&loaded.scenario, Some(&mut trace as &mut dyn RequestSource)).expect("runs").summary
}

/// All 19,366 requests of the conversation trace arrive and complete, with token-dependent batch
/// times (mean latency is seconds, not milliseconds).
#[test]
fn azure_conv_trace_replays_every_request() {
    let m = replay(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/azure-conv.yaml"));
    assert_eq!(m.requests.arrived, 19_366);
    assert_eq!(m.requests.completed, 19_366);
    assert!(m.latency_s.mean > 1.0, "token terms should dominate: {}", m.latency_s.mean);
}

/// `speedup: 2` replays the trace in half the time: rows at 0, 1.5 and 4 s arrive at 0, 0.75 and
/// 2 s, so all three fall inside a 2.05 s horizon (at speedup 1 the third would not), and the
/// last completes at 2.1 s.
#[test]
fn speedup_compresses_time() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.csv");
    std::fs::write(&trace, "time,tokens_in,tokens_out\n0,10,1\n1.5,10,1\n4,10,1\n").unwrap();
    let y = "name: s\nhorizon: 2050ms\nworkload:\n  arrivals:\n    trace: { path: t.csv, format: csv, speedup: 2 }\n\
             service:\n  batch_time: { base: 100ms }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, y).unwrap();
    let loaded = scenario::load(&path, &[]).unwrap();
    let (tp, format, speedup) = loaded.scenario.request_trace().unwrap();
    assert_eq!(speedup, 2.0);
    let mut t = RequestTrace::open(tp, format, speedup).unwrap();
    let out = serving::simulate(&loaded.scenario, Some(&mut t as &mut dyn RequestSource)).unwrap();
    assert_eq!(out.summary.requests.arrived, 3);
    assert_eq!(out.summary.requests.completed, 3);
    assert_eq!(out.summary.latency_s.max, 0.1);
    assert_eq!(out.summary.engine.end_s, 2.1);
    assert_eq!(out.timeseries.rows.iter().map(|r| r.arrivals).sum::<u64>(), 3);
}

/// Requests at or after the horizon are not replayed.
#[test]
fn the_horizon_cuts_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "time\n0\n1\n2\n3\n").unwrap();
    let y = "name: s\nhorizon: 2s\nworkload:\n  arrivals:\n    trace: { path: t.csv }\n\
             service:\n  batch_time: { base: 10ms }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    std::fs::write(dir.path().join("s.yaml"), y).unwrap();
    let loaded = scenario::load(&dir.path().join("s.yaml"), &[]).unwrap();
    let (path, format, speedup) = loaded.scenario.request_trace().unwrap();
    let mut t = RequestTrace::open(path, format, speedup).unwrap();
    let out = serving::simulate(&loaded.scenario, Some(&mut t as &mut dyn RequestSource)).unwrap();
    assert_eq!(out.summary.requests.arrived, 2);
}

/// A trace scenario run without its trace is an error, not a panic.
#[test]
fn a_trace_scenario_without_its_trace_is_an_error() {
    let loaded = scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/azure-conv.yaml"), &[]).unwrap();
    let err = serving::simulate(&loaded.scenario, None).err().expect("must refuse");
    assert!(err.to_string().contains("replays a request trace"), "{err}");
}

/// Every public trace the repository ships is listed in `traces/README.md` with its SHA-256, and
/// every listed file is there, unchanged: scenarios, tests and benchmarks read only these copies.
#[test]
fn shipped_traces_match_their_published_checksums() {
    use sha2::{Digest, Sha256};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("traces/README.md");
    let mut listed = Vec::new();
    for line in readme.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(|c| c.trim().trim_matches('`')).collect();
        let (file, sha) = (cells[1], cells[6]);
        let bytes = std::fs::read(root.join(file)).unwrap_or_else(|e| panic!("traces/{file}: {e}"));
        let got: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, sha, "traces/{file} differs from the published copy");
        listed.push(file.to_string());
    }
    assert_eq!(listed.len(), 20, "the README lists {} traces", listed.len());
    let mut on_disk = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "csv" || e == "json") {
                on_disk.push(p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    listed.sort();
    on_disk.sort();
    assert_eq!(listed, on_disk, "every trace file in traces/ is listed in its README, and only those");
}
