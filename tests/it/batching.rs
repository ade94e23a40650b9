//! Hand-worked batching cases with deterministic arrivals and service: exact latencies.

use super::common::{run, scenario};

fn yaml(rate: &str, horizon: &str, max_batch: u32, max_wait: &str, batch_time: &str, replicas: u32) -> String {
    format!(
        "name: hand\nhorizon: {horizon}\n\
         workload:\n  arrivals:\n    constant: {{ rate: {rate} }}\n\
         service:\n  batch_time: {batch_time}\n  distribution: deterministic\n\
         batcher: {{ max_batch_size: {max_batch}, max_wait: {max_wait} }}\n\
         fleet:\n  pools:\n    - {{ name: p, instance: g5.xlarge, count: {replicas} }}\n"
    )
}

/// One replica; requests every 10 ms from t = 0 (8 of them before the 80 ms horizon); batches of
/// at most 4, waiting at most 25 ms; a batch of b takes 20 + 5·b ms.
///
/// t=0   r0 arrives, replica idle, 1 < 4 queued: wait until 0 + 25 = 25 ms.
/// t=25  r0,r1,r2 leave as a batch of 3 (35 ms) → done at 60.
/// t=30,40,50  r3,r4,r5 queue (replica busy).
/// t=60  batch done: latencies r0 60, r1 50, r2 40. r3 has waited 30 ≥ 25: r3,r4,r5 leave (35 ms)
///       → done at 95. r6 arrives at 60 too, after the completion (scheduled earlier), and queues.
/// t=70  r7 queues; the next arrival would be at 80 = horizon, so arrivals stop.
/// t=95  latencies r3 65, r4 55, r5 45. r6 has waited 35 ≥ 25: r6,r7 leave (30 ms) → done at 125.
/// t=125 latencies r6 65, r7 55.
/// Mean (60+50+40+65+55+45+65+55)/8 = 54.375 ms, max 65 ms; busy 35+35+30 = 100 of 125 ms.
#[test]
fn max_wait_releases_partial_batches() {
    let out = run(&scenario(&yaml("100/s", "80ms", 4, "25ms", "{ base: 20ms, per_item: 5ms }", 1)));
    let m = &out.summary;
    assert_eq!(m.requests.arrived, 8);
    assert_eq!(m.requests.completed, 8);
    assert!((m.latency_s.mean - 0.054375).abs() < 1e-12, "mean {}", m.latency_s.mean);
    assert_eq!(m.latency_s.max, 0.065);
    assert_eq!(m.engine.end_s, 0.125);
    assert!((m.fleet.utilization - 0.8).abs() < 1e-12);
    // 8 arrivals, 1 max_wait expiry (t=25), 3 batch completions.
    assert_eq!(m.engine.events, 12);
}

/// Requests every 1 ms from 0 to 7 ms; batches of 4 (max_wait 50 ms never reached); 10 ms a batch.
///
/// t=3   the 4th request fills a batch: r0..r3 leave → done at 13 (latencies 13, 12, 11, 10).
/// t=4..7 r4..r7 queue; the batch is full at 7 but the replica is busy.
/// t=13  r4..r7 leave → done at 23 (latencies 19, 18, 17, 16).
/// Mean 116/8 = 14.5 ms. The run ends at the last completion, 23 ms, not at the stale 50 ms
/// max_wait timer.
#[test]
fn full_batches_leave_at_once() {
    let out = run(&scenario(&yaml("1000/s", "8ms", 4, "50ms", "{ base: 10ms }", 1)));
    let m = &out.summary;
    assert_eq!(m.requests.completed, 8);
    assert!((m.latency_s.mean - 0.0145).abs() < 1e-12, "mean {}", m.latency_s.mean);
    assert_eq!(m.latency_s.max, 0.019);
    assert_eq!(m.engine.end_s, 0.023);
}

/// max_wait 0: an idle replica takes whatever is queued at once — with deterministic arrivals
/// every 10 ms and 4 ms service, every batch has one request and latency is the service time.
#[test]
fn zero_wait_dispatches_immediately() {
    let out = run(&scenario(&yaml("100/s", "1s", 16, "0", "{ base: 4ms }", 1)));
    let m = &out.summary;
    assert_eq!(m.requests.completed, 100);
    assert_eq!(m.latency_s.mean, 0.004);
    assert_eq!(m.latency_s.max, 0.004);
}

/// Table batch times are interpolated: batches of 2 with { 1: 10ms, 4: 16ms } take 12 ms.
/// Requests at 0 and 50 ms (rate 20/s, horizon 100 ms), batches of 2, max_wait 60 ms: r0 waits for
/// r1 at 50 → a batch of 2 leaves at 50, done at 62: latencies 62 and 12 → mean 37 ms.
///
/// With max_wait 50 ms instead, r0's wait expires at 50 ms *before* r1's arrival at 50 ms is
/// handled (the expiry was scheduled first), so r0 leaves alone (10 ms, done at 60) and r1 waits
/// until 100 ms → done at 110: latencies 60 and 60.
#[test]
fn table_batch_times_interpolate() {
    let out = run(&scenario(&yaml("20/s", "100ms", 2, "60ms", "{ table: { 1: 10ms, 4: 16ms } }", 1)));
    let m = &out.summary;
    assert_eq!(m.requests.completed, 2);
    assert!((m.latency_s.mean - 0.037).abs() < 1e-12, "mean {}", m.latency_s.mean);
    let m = run(&scenario(&yaml("20/s", "100ms", 2, "50ms", "{ table: { 1: 10ms, 4: 16ms } }", 1))).summary;
    assert_eq!(m.latency_s.mean, 0.060);
    assert_eq!(m.engine.end_s, 0.110);
}

/// The classic dynamic-batching claim: one replica whose batch of b takes 10 + 0.25·b ms serves
/// about 1/10 ms = 100 req/s one at a time, but ≈ 16/(10 + 4) ms ≈ 1,143 req/s in batches of 16.
/// Offered 800 req/s: batch 1 saturates (throughput ≈ 1/10.25 ms ≈ 97.6 req/s over the horizon
/// while the queue grows), batch 16 keeps up with all 800.
#[test]
fn batching_multiplies_throughput() {
    let base = "name: claim\nhorizon: 60s\nworkload:\n  arrivals:\n    poisson: { rate: 800/s }\n\
                service:\n  batch_time: { base: 10ms, per_item: 0.25ms }\n\
                fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    let one = run(&scenario(&format!("{base}batcher: {{ max_batch_size: 1, max_wait: 0 }}\n")));
    let sixteen = run(&scenario(&format!("{base}batcher: {{ max_batch_size: 16, max_wait: 5ms }}\n")));
    // Batch 1: served at 1/10.25 ms; the backlog drains after the horizon, so rate = completed / end.
    let rps_one = one.summary.requests.completed as f64 / one.summary.engine.end_s;
    assert!((rps_one - 1000.0 / 10.25).abs() < 1.0, "batch 1: {rps_one} req/s");
    // Batch 16: all 800/s served with the queue drained right after the horizon.
    assert!(sixteen.summary.engine.end_s < 60.1, "batch 16 could not keep up");
    assert!(sixteen.summary.throughput.rps > 790.0);
}

/// Routers, exactly: a fast replica (speed 2 → 10 ms) and a slow one (speed 0.5 → 40 ms), one
/// request every 25 ms for 1 s (40 requests).
/// - round_robin alternates: 20 requests take 10 ms, 20 take 40 ms (the slow replica gets one
///   every 50 ms, so it never queues): mean 25 ms, max 40 ms.
/// - shared_queue: the fast replica is idle at every arrival (done 10 ms after it) and is the
///   lowest idle index, so it takes all 40: mean = max = 10 ms.
/// - least_outstanding: both replicas have 0 outstanding at every arrival; ties go to the lowest
///   index, the fast one: 10 ms.
#[test]
fn routers_differ_as_worked_out() {
    let y = |router: &str| {
        format!(
            "name: r\nhorizon: 1s\nworkload:\n  arrivals:\n    constant: {{ rate: 40/s }}\n\
             service:\n  batch_time: {{ base: 20ms }}\nrouter: {router}\n\
             fleet:\n  pools:\n    - {{ name: fast, instance: fast, count: 1 }}\n    - {{ name: slow, instance: slow, count: 1 }}\n  \
             instance_types:\n    - {{ name: fast, on_demand_price: 1.0, speed: 2.0 }}\n    - {{ name: slow, on_demand_price: 1.0, speed: 0.5 }}\n"
        )
    };
    let rr = run(&scenario(&y("round_robin"))).summary;
    assert_eq!(rr.requests.completed, 40);
    assert!((rr.latency_s.mean - 0.025).abs() < 1e-12, "{}", rr.latency_s.mean);
    assert_eq!(rr.latency_s.max, 0.040);
    for router in ["shared_queue", "least_outstanding"] {
        let m = run(&scenario(&y(router))).summary;
        assert_eq!((m.latency_s.mean, m.latency_s.max), (0.010, 0.010), "{router}");
    }
}

/// Round-robin ignores load: with 2 replicas and 25 ms service at one request every 10 ms, each
/// replica gets one every 20 ms but needs 25 ms, so its queue grows; least_outstanding sends work
/// to the less loaded replica, and so does the shared queue, but the total load (1.25) exceeds
/// capacity in every case. Here we check least_outstanding beats round_robin on a skewed fleet:
/// one fast and one slow replica.
#[test]
fn least_outstanding_favours_the_faster_replica() {
    let y = |router: &str| {
        format!(
            "name: lo\nhorizon: 20s\nworkload:\n  arrivals:\n    poisson: {{ rate: 120/s }}\n\
             service:\n  batch_time: {{ base: 10ms }}\n  distribution: exponential\n\
             router: {router}\n\
             fleet:\n  pools:\n    - {{ name: fast, instance: fast, count: 1 }}\n    - {{ name: slow, instance: slow, count: 1 }}\n  \
             instance_types:\n    - {{ name: fast, on_demand_price: 1.0, speed: 2.0 }}\n    - {{ name: slow, on_demand_price: 1.0, speed: 0.5 }}\n"
        )
    };
    // Round robin sends 60/s to the slow replica that serves 50/s: it falls behind.
    let rr = run(&scenario(&y("round_robin"))).summary;
    let lo = run(&scenario(&y("least_outstanding"))).summary;
    assert!(lo.latency_s.mean * 5.0 < rr.latency_s.mean, "lo {} rr {}", lo.latency_s.mean, rr.latency_s.mean);
}

/// A response cache answers `cache_hit_rate` of requests at the cache latency.
#[test]
fn cache_hits_skip_the_fleet() {
    let y = "name: c\nhorizon: 100s\nworkload:\n  arrivals:\n    poisson: { rate: 100/s }\n  cache_hit_rate: 0.3\n  cache_latency: 2ms\n\
             service:\n  batch_time: { base: 5ms }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 4 }\n";
    let m = run(&scenario(y)).summary;
    let hit = m.requests.cache_hits as f64 / m.requests.arrived as f64;
    // 10,000 Bernoulli(0.3) draws: sd ≈ 0.0046, so ±0.02 is > 4 sd.
    assert!((hit - 0.3).abs() < 0.02, "hit rate {hit}");
    assert_eq!(m.requests.completed, m.requests.arrived);
    // Hits take exactly the 2 ms cache latency; misses at least the 5 ms batch time. So the 20th
    // percentile (inside the ~30% of hits) is 2 ms (to the histogram's 0.1%) and the median is a
    // miss.
    let out = run(&scenario(y));
    assert!((out.latency.quantile_s(0.2) - 0.002).abs() <= 0.002 * 1e-3);
    assert!(out.latency.quantile_s(0.5) >= 0.005);
}

/// With every arrival inside the warmup nothing is measured: the SLA cannot be judged and is
/// reported as null (not as met).
#[test]
fn sla_is_null_when_nothing_is_measured() {
    let y = "name: w\nhorizon: 10s\nwarmup: 9999ms\nworkload:\n  arrivals:\n    constant: { rate: 0.5/s }\n  sla: { latency: 1ms }\n\
             service:\n  batch_time: { base: 50ms }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    let m = run(&scenario(y)).summary;
    assert_eq!(m.requests.measured, 0);
    assert_eq!(m.sla.violation_rate, None);
    assert_eq!(m.sla.met, None);
    assert_eq!(m.metric("sla.met"), None);
}

/// The time series goes on through the drain: one-second rows until the backlog is gone.
/// One replica, 10 requests/s of 110 ms for 5 s: 50 requests done at 5.5 s, so rows at 1..5 s and
/// a last, partial row at 5.5 s; arrivals and completions add up.
#[test]
fn timeseries_covers_the_drain() {
    let y = "name: d\nhorizon: 5s\nworkload:\n  arrivals:\n    constant: { rate: 10/s }\n\
             service:\n  batch_time: { base: 110ms }\noutput: { timeseries_interval: 1s }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    let out = run(&scenario(y));
    let times: Vec<f64> = out.timeseries.rows.iter().map(|r| r.time_s).collect();
    assert_eq!(times, vec![1.0, 2.0, 3.0, 4.0, 5.0, 5.5]);
    assert_eq!(out.timeseries.rows.iter().map(|r| r.completions).sum::<u64>(), 50);
    assert_eq!(out.timeseries.rows.iter().map(|r| r.arrivals).sum::<u64>(), 50);
}

/// An overloaded fleet hits the queue limit: later arrivals are dropped, counted, reported as a
/// warning and as SLA violations — the run still gives a result. One replica serving 10 ms
/// requests (100/s) offered 1,000/s for 1 s with room for 100 waiting: in the first 0.1 s the
/// queue fills; from then on about 9 in 10 arrivals are dropped.
#[test]
fn the_queue_limit_drops_and_counts() {
    let y = "name: o\nhorizon: 1s\nworkload:\n  arrivals:\n    constant: { rate: 1000/s }\n  sla: { latency: 10s }\n\
             service:\n  batch_time: { base: 10ms }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    let mut s = scenario(y);
    s.limits.max_queued_requests = 100;
    let out = run(&s);
    let m = &out.summary;
    assert_eq!(m.requests.arrived, 1000);
    assert_eq!(m.requests.arrived, m.requests.completed + m.requests.dropped + m.requests.in_flight);
    assert!(m.requests.dropped > 700 && m.requests.dropped < 900, "{}", m.requests.dropped);
    // Every completed request waited < 10 s, so the violations are exactly the drops.
    assert_eq!(m.requests.sla_violations, m.requests.dropped);
    assert_eq!(m.sla.met, Some(false));
    assert!(out.warnings[0].contains("dropped"));
}

/// The event limit stops a run with an error that says what to change, not a hang.
#[test]
fn the_event_limit_stops_the_run() {
    let mut s = scenario(&yaml("1000/s", "1h", 1, "0", "{ base: 0.5ms }", 1));
    s.limits.max_events = 10_000;
    let err = fleetsim::serving::simulate(&s, None).err().expect("the limit must stop the run");
    assert!(err.to_string().contains("limit of 10000 events"), "{err}");
}

/// A pool's own `service:` replaces the scenario's batch times for its replicas, and an instance
/// type's `speed` divides them. Requests every second (none waits), batches of one:
/// - the scenario's 40 ms on a pool whose own batch_time is 10 ms → 10 ms;
/// - 40 ms on a type of speed 2 → 20 ms;
/// - two pools with round_robin: requests alternate between a 10 ms and a 40 ms replica →
///   mean 25 ms, max 40 ms. Before, a pool took no `service` key and every type ran at 1.0.
#[test]
fn pools_state_their_own_batch_times() {
    let base = "name: p\nhorizon: 100s\nworkload:\n  arrivals:\n    constant: { rate: 1/s }\n\
        service:\n  batch_time: { base: 40ms }\n";
    let own = format!(
        "{base}fleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, count: 1, service: {{ batch_time: {{ base: 10ms }} }} }}\n"
    );
    let m = run(&scenario(&own)).summary;
    assert_eq!((m.latency_s.mean, m.latency_s.max), (0.01, 0.01));
    let fast = format!(
        "{base}fleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, count: 1 }}\n  instance_types:\n    - {{ name: g5.xlarge, speed: 2 }}\n"
    );
    assert_eq!(run(&scenario(&fast)).summary.latency_s.mean, 0.02);
    let two = format!(
        "{base}router: round_robin\nfleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, count: 1, service: {{ batch_time: {{ base: 10ms }} }} }}\n    \
         - {{ name: b, instance: p3.2xlarge, count: 1 }}\n"
    );
    let m = run(&scenario(&two)).summary;
    assert_eq!(m.requests.completed, 100);
    assert!((m.latency_s.mean - 0.025).abs() < 1e-12, "mean {}", m.latency_s.mean);
    assert_eq!(m.latency_s.max, 0.04);
}
