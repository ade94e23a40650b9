//! Per-replica routers (`round_robin`, `least_outstanding`) over replicas that come and go:
//! they route only to ready replicas, a leaving replica's queue is routed again, and requests
//! wait in the lobby while no replica is ready. Every figure is worked out by hand.

use crate::common::run_in_dir;

/// Arrival times, one per line, as a request trace.
fn trace(times_s: &[f64]) -> String {
    let mut csv = String::from("time\n");
    for t in times_s {
        csv.push_str(&format!("{t}\n"));
    }
    csv
}

/// One request per batch, 4 s each (g5.xlarge runs at speed 1).
const FOUR_SECONDS: &str = "workload:\n  arrivals:\n    trace: { path: t.csv, format: csv }\n\
     service:\n  batch_time: { base: 4s }\nbatcher: { max_batch_size: 1, max_wait: 0s }\n";

/// round_robin over an on-demand replica (0) and a spot one (1) that is reclaimed at 9.5 s
/// (max_lifetime, horizon 15 s); its replacement boots for 90 s, after everything is done. Arrivals at 1, 2,
/// 3, 4, 7, 8 s are dealt 0, 1, 0, 1, 0, 1:
/// - replica 0: a1 1→5, a3 5→9, a5 9→13;
/// - replica 1: a2 2→6, a4 6→10, and a6 (8 s) waits behind a4.
///
/// With a 30 s notice, at 9.5 s replica 1 takes no more work and a6 is routed again, to replica
/// 0 (the only ready one), behind a5: 13→17. Replica 1 finishes a4 at 10 s, before it stops.
/// Latencies 4, 4, 6, 6, 6, 9: mean 35/6 s, max 9 s, nothing retried.
///
/// With a 0.2 s notice, replica 1 stops at 9.7 s in the middle of a4, which is routed again too
/// and goes before a6 (it is older): replica 0 runs a5 9→13, a4 13→17, a6 17→21. Latencies 4, 4,
/// 6, 13, 6, 13: mean 46/6 s, max 13 s, one request retried.
#[test]
fn an_interrupted_replicas_queue_goes_to_the_other_replica() {
    for (notice, mean_s, max_s, retried) in [("30s", 35.0 / 6.0, 9.0, 0), ("200ms", 46.0 / 6.0, 13.0, 1)] {
        let yaml = format!(
            "name: n\nhorizon: 15s\n{FOUR_SECONDS}router: round_robin\n\
             fleet:\n  pools:\n    - {{ name: od, instance: g5.xlarge, count: 1 }}\n    \
             - {{ name: sp, instance: g5.xlarge, market: spot, count: 1 }}\n  \
             instance_types:\n    - {{ name: g5.xlarge, max_lifetime: 9500ms }}\n\
             spot:\n  interruptions:\n    hazard: {{ per_hour: 0 }}\n  price:\n    constant: 0.5\n  notice: {notice}\n"
        );
        let out = run_in_dir(&yaml, &[("t.csv", &trace(&[1.0, 2.0, 3.0, 4.0, 7.0, 8.0]))]);
        let m = &out.summary;
        assert_eq!(m.fleet.interruptions, 1, "notice {notice}");
        assert_eq!(m.requests.completed, 6, "notice {notice}");
        assert_eq!(m.requests.retried, retried, "notice {notice}");
        assert!((m.latency_s.mean - mean_s).abs() < 1e-9, "notice {notice}: mean {}", m.latency_s.mean);
        assert_eq!(m.latency_s.max, max_s, "notice {notice}");
    }
}

/// least_outstanding over two on-demand replicas that a schedule holds at 2 until 8.5 s, then
/// lets fall to 1: the newest (replica 1) is released. Arrivals at 1, 2, 3, 4, 6.5, 7, 7.5 s;
/// loads are (replica 0, replica 1), queued + in service, ties to replica 0:
/// - a1 → 0 (1,0), runs 1→5; a2 → 1 (1,1), runs 2→6; a3 → 0 (2,1); a4 → 1 (2,2);
/// - 5 s: 0 finishes a1 (1,2) and starts a3, 5→9; 6 s: 1 finishes a2 (1,1) and starts a4, 6→10;
/// - a5 (6.5 s) → 0 (2,1); a6 (7 s) → 1 (2,2); a7 (7.5 s) → 0 (3,2).
///
/// At 8.5 s replica 1 is released: it finishes a4 (10 s) and stops, and a6 is routed again to
/// replica 0, whose queue is then a5, a6, a7 (a6 in its place by arrival): 9→13, 13→17, 17→21.
/// Latencies 4, 4, 6, 6, 6.5, 10, 13.5: mean 50/7 s, max 13.5 s (14 s had a6 gone to the back).
#[test]
fn a_released_replicas_queue_goes_to_the_least_loaded_ready_replica() {
    let yaml = format!(
        "name: d\nhorizon: 30s\n{FOUR_SECONDS}router: least_outstanding\n\
         fleet:\n  pools:\n    - {{ name: od, instance: g5.xlarge, min: 1, max: 2 }}\n\
         autoscaler:\n  schedule:\n    - {{ from: 0s, to: 8500ms, min: 2 }}\n"
    );
    let out = run_in_dir(&yaml, &[("t.csv", &trace(&[1.0, 2.0, 3.0, 4.0, 6.5, 7.0, 7.5]))]);
    let m = &out.summary;
    assert_eq!(m.pools[0].scaled_down, 1);
    assert_eq!(m.requests.completed, 7);
    assert_eq!(m.requests.retried, 0);
    assert!((m.latency_s.mean - 50.0 / 7.0).abs() < 1e-9, "mean {}", m.latency_s.mean);
    assert_eq!(m.latency_s.max, 13.5);
}

/// A fleet at zero (KPA, min 0, max 1): the request at 1 s wakes it and, with the one at 2 s,
/// waits in the lobby while the replica boots (90 s); at 91 s both go to it, oldest first, 0.1 s
/// each: 1 → 91.1 s and 2 → 91.2 s, latencies 90.1 s and 89.2 s (mean 89.65 s), for either
/// per-replica router.
#[test]
fn requests_wait_in_the_lobby_until_a_replica_is_ready() {
    for router in ["round_robin", "least_outstanding"] {
        let yaml = format!(
            "name: z\nhorizon: 100s\nworkload:\n  arrivals:\n    trace: {{ path: t.csv, format: csv }}\n\
             service:\n  batch_time: {{ base: 100ms }}\nbatcher: {{ max_batch_size: 1 }}\nrouter: {router}\n\
             fleet:\n  pools:\n    - {{ name: web, instance: g5.xlarge, min: 0, max: 1 }}\n\
             autoscaler:\n  kpa: {{ target_concurrency: 10 }}\n"
        );
        let out = run_in_dir(&yaml, &[("t.csv", &trace(&[1.0, 2.0]))]);
        let m = &out.summary;
        assert_eq!(m.requests.completed, 2, "{router}");
        assert!((m.latency_s.mean - 89.65).abs() < 1e-9, "{router}: mean {}", m.latency_s.mean);
        assert!((m.latency_s.max - 90.1).abs() < 1e-9, "{router}: max {}", m.latency_s.max);
    }
}

/// A request dropped after `max_queue_wait` no longer counts towards its replica's load. Two
/// replicas, 10 s per request, `max_queue_wait: 1s`: a1 (0 s) → 0, a2 (0.1 s) → 1, a3 (0.2 s) →
/// 0, queued behind a1, dropped at 1.2 s. a4 (9.5 s) sees loads (1, 1) and goes to replica 0 (the
/// tie's lowest id), free at 10 s: latency 10.5 s. Before this was fixed, replica 0 still counted
/// a3 and a4 went to replica 1, free at 10.1 s: 10.6 s.
#[test]
fn a_request_that_waited_too_long_leaves_least_outstandings_load() {
    let yaml = "name: w\nhorizon: 10s\nworkload:\n  arrivals:\n    trace: { path: t.csv, format: csv }\n\
         service:\n  batch_time: { base: 10s }\nbatcher: { max_batch_size: 1, max_wait: 0s, max_queue_wait: 1s }\n\
         router: least_outstanding\nfleet:\n  pools:\n    - { name: od, instance: g5.xlarge, count: 2 }\n";
    let out = run_in_dir(yaml, &[("t.csv", &trace(&[0.0, 0.1, 0.2, 9.5]))]);
    let m = &out.summary;
    assert_eq!((m.requests.completed, m.requests.timed_out), (3, 1));
    assert!((m.latency_s.max - 10.5).abs() < 1e-9, "max {}", m.latency_s.max);
}
