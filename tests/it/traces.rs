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
