//! Autoscaling end to end: scale to zero and cold starts (KEDA-style queue, Knative), the HPA
//! settling on the ideal count, schedule floors and the scale-down order, request time-outs, and
//! conservation under autoscaling plus spot interruptions over many seeds.

use fleetsim::metrics::Summary;
use fleetsim::scenario;
use fleetsim::serving::Outcome;

use crate::common::{run, run_in_dir, run_seeds, scenario};

/// Ten requests at 1 … 10 s, then a 20-minute gap, then five at 1201 … 1205 s.
fn bursty_trace() -> String {
    let mut csv = String::from("time\n");
    for t in (1..=10).chain(1201..=1205) {
        csv.push_str(&format!("{t}\n"));
    }
    csv
}

/// One on-demand pool that may scale to zero (boot 90 s, 100 ms per request, one at a time).
fn zero_pool_yaml(autoscaler: &str, batcher_extra: &str) -> String {
    format!(
        "name: z\nhorizon: 1500s\nworkload:\n  arrivals:\n    trace: {{ path: t.csv, format: csv }}\n\
         service:\n  batch_time: {{ base: 100ms }}\nbatcher: {{ max_batch_size: 1{batcher_extra} }}\n\
         fleet:\n  pools:\n    - {{ name: web, instance: g5.xlarge, min: 0, max: 4 }}\n\
         output: {{ timeseries_interval: 30s }}\nautoscaler:\n  {autoscaler}\n"
    )
}

fn row_at(out: &Outcome, t: f64) -> &fleetsim::metrics::timeseries::Row {
    out.timeseries.rows.iter().find(|r| r.time_s == t).unwrap_or_else(|| panic!("no row at {t}"))
}

/// KEDA-style: the first poll (30 s) sees 10 waiting → 1 replica, and the HPA at the same
/// instant asks ⌈10/5⌉ = 2; they serve from 30 + 90 = 120 s. The request at 1 s waits 119 s, plus
/// 0.1 s of service. Idle from ≈121 s: the last active poll is at 120 s, the cooldown (60 s)
/// passes after 180 s, so the poll at 210 s scales to zero. The request at 1201 s is seen by the
/// poll at 1230 s and served from 1320 s: 119.1 s again. Nothing runs, and nothing is billed,
/// in between.
#[test]
fn queue_scaler_scales_to_zero_and_the_first_request_after_the_gap_pays_the_cold_start() {
    let yaml = zero_pool_yaml("queue: { target_per_replica: 5, cooldown: 60s }", "");
    let out = run_in_dir(&yaml, &[("t.csv", &bursty_trace())]);
    let m = &out.summary;
    assert_eq!(m.requests.completed, 15);
    assert!((m.latency_s.max - 119.1).abs() < 1e-6, "max latency {}", m.latency_s.max);
    // First burst: two replicas from 120 s, 0.1 s each, so request i (arrived at i s) completes
    // at 120 + 0.1 × ⌈i/2⌉: Σ latency = 1200 + 3 − 55 = 1148 s. Second burst: one replica from
    // 1320 s (5 waiting / 5 per replica = 1), Σ = 5 × 1320 + 1.5 − 6015 = 586.5 s. Mean over 15.
    let mean = (1148.0 + 586.5) / 15.0;
    assert!((m.latency_s.mean - mean).abs() < 1e-6, "mean latency {} vs {mean}", m.latency_s.mean);
    for t in (240..=1200).step_by(30) {
        let r = row_at(&out, t as f64);
        assert_eq!((r.target_replicas, r.replicas_by_pool[0]), (0, 0), "at {t} s");
    }
    let cost = |t: f64| row_at(&out, t).cost_usd;
    assert_eq!(cost(240.0), cost(1200.0), "cost accrues while scaled to zero");
    // Two instances for 30 → 210 s (180 s each), billed per second.
    assert!((cost(240.0) - 2.0 * 180.0 * 1.006 / 3600.0).abs() < 1e-9, "{}", cost(240.0));
    assert!(m.fleet.scale_downs >= 1 && m.fleet.scale_ups >= 2, "{:?}", m.fleet);
}

/// Knative: the activator asks for a replica the moment a request reaches a revision at zero,
/// so the first request of each burst waits exactly the boot (90 s) plus its service (0.1 s).
/// After the burst the stable window (60 s) empties and the grace (30 s) passes: zero again.
#[test]
fn kpa_scale_to_zero_wakes_on_the_first_request() {
    let yaml = zero_pool_yaml("kpa: { target_concurrency: 10 }", "");
    let out = run_in_dir(&yaml, &[("t.csv", &bursty_trace())]);
    let m = &out.summary;
    assert_eq!(m.requests.completed, 15);
    assert!((m.latency_s.max - 90.1).abs() < 1e-6, "max latency {}", m.latency_s.max);
    for t in (300..=1200).step_by(30) {
        let r = row_at(&out, t as f64);
        assert_eq!(r.replicas_by_pool[0], 0, "at {t} s");
    }
    assert_eq!(row_at(&out, 300.0).cost_usd, row_at(&out, 1200.0).cost_usd);
}

/// With `max_queue_wait: 60s`, the first burst cannot wait for the 119 s cold start: all ten
/// are dropped, counted as timed out and as SLA violations.
#[test]
fn requests_waiting_longer_than_max_queue_wait_are_dropped() {
    let yaml = zero_pool_yaml("queue: { target_per_replica: 5, cooldown: 60s }", ", max_queue_wait: 60s")
        .replace("workload:\n", "workload:\n  sla: { latency: 1s, quantile: 0.99 }\n");
    let out = run_in_dir(&yaml, &[("t.csv", &bursty_trace())]);
    let m = &out.summary;
    assert_eq!(m.requests.timed_out, 15, "both bursts wait 119 s for their cold start");
    assert_eq!(m.requests.dropped, 15);
    assert_eq!(m.requests.completed, 0);
    assert_eq!(m.requests.sla_violations, 15);
    assert!(out.warnings.iter().any(|w| w.contains("max_queue_wait")), "{:?}", out.warnings);
}

/// The HPA on utilization: 200 requests/s of 50 ms each is 10 busy replicas; at a 50% target
/// the ideal count is 20, and the tolerance band (±10%) holds 19 … 22 replicas (utilization
/// 45.5% … 52.6%). Starting from 1, the fleet reaches the band and stays there.
#[test]
fn hpa_settles_inside_the_tolerance_band_of_the_ideal_count() {
    let s = scenario(
        "name: h\nhorizon: 1h\nseed: 5\nworkload:\n  arrivals:\n    poisson: { rate: 200/s }\n\
         service:\n  batch_time: { base: 50ms }\n  distribution: exponential\n\
         fleet:\n  pools:\n    - { name: web, instance: g5.xlarge, min: 1, max: 60 }\n\
         autoscaler:\n  hpa: { target_utilization: 0.5 }\n",
    );
    let out = run(&s);
    let late: Vec<u32> = out.timeseries.rows.iter().filter(|r| r.time_s >= 1200.0).map(|r| r.target_replicas).collect();
    assert!(!late.is_empty());
    for &n in &late {
        assert!((19..=22).contains(&n), "target {n} outside the band: {late:?}");
    }
    // Getting there from 1 replica takes a few doublings and boots, not the whole hour.
    let first_in_band = out.timeseries.rows.iter().find(|r| r.target_replicas >= 19).map(|r| r.time_s).unwrap();
    assert!(first_in_band <= 600.0, "reached the band at {first_in_band} s");
}

/// A schedule alone, on [spot (0–4), on-demand (0–4)]: a floor of 6 for the first half hour
/// fills the pools in file order (4 spot + 2 on demand); a floor of 3 then takes 3 away from
/// spot first (1 spot + 2 on demand). Billing follows: on demand 2 × 1 h; spot 4 × 0.5 h +
/// 1 × 0.5 h, at the constant spot price.
#[test]
fn schedule_floors_fill_in_file_order_and_scale_down_takes_spot_first() {
    let s = scenario(
        "name: s\nhorizon: 1h\nworkload:\n  arrivals:\n    constant: { rate: 1/m }\nservice:\n  batch_time: { base: 10ms }\n\
         fleet:\n  pools:\n    - { name: sp, instance: g5.xlarge, market: spot, min: 0, max: 4 }\n    \
         - { name: od, instance: g5.xlarge, min: 0, max: 4 }\n\
         spot:\n  interruptions:\n    hazard: { per_hour: 0 }\n  price:\n    constant: 0.5\n\
         output: { timeseries_interval: 5m }\n\
         autoscaler:\n  schedule:\n    - { from: 0s, to: 30m, min: 6 }\n    - { from: 30m, to: 1h, min: 3 }\n",
    );
    let out = run(&s);
    let by_pool = |t: f64| row_at(&out, t).replicas_by_pool.clone();
    assert_eq!(by_pool(1500.0), vec![4, 2]);
    assert_eq!(by_pool(2100.0), vec![1, 2]);
    let m = &out.summary;
    assert!((m.cost_usd.on_demand - 2.0 * 1.006).abs() < 1e-9, "{}", m.cost_usd.on_demand);
    assert!((m.cost_usd.spot - 0.5 * (4.0 * 0.5 + 0.5)).abs() < 1e-9, "{}", m.cost_usd.spot);
    assert_eq!(m.pools[0].scaled_down, 3);
    assert_eq!(m.pools[1].scaled_down, 0);
}

/// A time-of-day floor raises the HPA's minimum at 08:00 UTC and lets it go at 09:00.
#[test]
fn time_of_day_floor_combines_with_the_hpa() {
    let s = scenario(
        "name: s\nhorizon: 3h\nstart: 2024-01-01T07:00:00Z\nworkload:\n  arrivals:\n    constant: { rate: 1/s }\n\
         service:\n  batch_time: { base: 10ms }\nfleet:\n  pools:\n    - { name: web, instance: g5.xlarge, min: 1, max: 10 }\n\
         output: { timeseries_interval: 5m }\n\
         autoscaler:\n  hpa: { target_utilization: 0.5 }\n  schedule:\n    - { from: \"08:00\", to: \"09:00\", min: 5 }\n",
    );
    let out = run(&s);
    assert_eq!(row_at(&out, 3000.0).target_replicas, 1); // 07:50
    assert_eq!(row_at(&out, 3900.0).target_replicas, 5); // 08:05
    // After 09:00 the HPA scales down once its 5-minute stabilization window has passed.
    assert_eq!(row_at(&out, 7200.0 + 600.0).target_replicas, 1); // 09:10
}

fn conservation_yaml(autoscaler: &str) -> String {
    format!(
        "name: c\nhorizon: 2h\nworkload:\n  arrivals:\n    diurnal: {{ mean: 60/s, peak_to_trough: 5, period: 1h, peak_at: 30m }}\n\
         service:\n  batch_time: {{ base: 40ms, per_item: 10ms }}\n  distribution: exponential\n\
         batcher: {{ max_batch_size: 8, max_wait: 10ms, max_queue_wait: 5m }}\n\
         fleet:\n  pools:\n    - {{ name: base, instance: g5.xlarge, min: 1, max: 3 }}\n    \
         - {{ name: burst, instance: g5.xlarge, market: spot, min: 0, max: 12, zones: [a, b], ondemand_fallback: true }}\n  \
         instance_types:\n    - {{ name: g5.xlarge, boot: 30s }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 3 }}\n  price:\n    constant: 0.4\n  notice: 0s\n\
         autoscaler:\n  {autoscaler}\n"
    )
}

fn check_conservation(m: &Summary, label: &str) {
    let r = &m.requests;
    assert_eq!(r.arrived, r.completed + r.dropped + r.in_flight, "{label}: {r:?}");
    assert_eq!(r.in_flight, 0, "{label}: the queue drains");
    let c = &m.cost_usd;
    assert!((c.total - (c.on_demand + c.spot + c.reserved)).abs() < 1e-9, "{label}: {c:?}");
    let by_pool: f64 = m.pools.iter().map(|p| p.cost_usd).sum();
    assert!((c.total - by_pool).abs() < 1e-9, "{label}: pools {by_pool} vs {}", c.total);
    assert!(m.fleet.max_replicas <= 15, "{label}: {} replicas at once", m.fleet.max_replicas);
}

/// Every request is accounted for (completed, dropped or still in flight, and nothing left in
/// flight after the drain) and every dollar belongs to a pool, whatever the seed, with all three
/// autoscalers driving an on-demand base plus a spot pool interrupted 3 times per
/// instance-hour. Over 20 seeds each, the spot side must actually be exercised.
#[test]
fn conservation_under_autoscaling_and_spot_interruptions() {
    for (label, autoscaler) in [
        ("hpa", "hpa: { target_utilization: 0.6 }"),
        ("queue", "queue: { target_per_replica: 8, cooldown: 2m }"),
        ("kpa", "kpa: { target_concurrency: 6 }"),
    ] {
        let s = scenario(&conservation_yaml(autoscaler));
        let runs = run_seeds(&s, 20);
        for (i, m) in runs.iter().enumerate() {
            check_conservation(m, &format!("{label} seed {}", i + 1));
        }
        let interruptions: u64 = runs.iter().map(|m| m.fleet.interruptions).sum();
        let retried: u64 = runs.iter().map(|m| m.requests.retried).sum();
        let ups: u64 = runs.iter().map(|m| m.fleet.scale_ups).sum();
        let downs: u64 = runs.iter().map(|m| m.fleet.scale_downs).sum();
        assert!(interruptions > 20 && retried > 0, "{label}: {interruptions} interruptions, {retried} retried");
        assert!(ups > 20 && downs > 20, "{label}: {ups} scale-ups, {downs} scale-downs");
    }
}

/// Same seed, same decisions: two runs are identical.
#[test]
fn autoscaled_runs_are_deterministic() {
    let s = scenario(&conservation_yaml("kpa: { target_concurrency: 6 }"));
    let a = run(&s);
    let b = run(&s);
    assert_eq!(a.summary.to_json(), b.summary.to_json());
    assert_eq!(a.timeseries, b.timeseries);
}

#[test]
fn autoscaler_keys_are_checked() {
    let base = "name: v\nhorizon: 1h\nworkload:\n  arrivals:\n    poisson: { rate: 1/s }\nservice:\n  batch_time: { base: 10ms }\n";
    let cases = [
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1, min: 0, max: 2 }\n",
            "fleet.pools[0].min",
            "not both",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 3, max: 2 }\nautoscaler:\n  kpa: { target_concurrency: 1 }\n",
            "fleet.pools[0].min",
            "above max",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 0 }\n",
            "fleet.pools[0].max",
            "both min and max",
        ),
        ("fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 0, max: 2 }\n", "autoscaler", "must drive it"),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\nautoscaler:\n  kpa: { target_concurrency: 1 }\n",
            "autoscaler",
            "no pool has min/max",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 0, max: 2 }\nautoscaler:\n  hpa: { target_utilization: 0.5 }\n",
            "autoscaler.hpa",
            "cannot scale from zero",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  hpa: { target_utilization: 0.5 }\n  kpa: { target_concurrency: 1 }\n",
            "autoscaler.kpa",
            "at most one",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  hpa: { target_utilization: 1.5 }\n",
            "autoscaler.hpa.target_utilization",
            "at most 1",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  hpa: { target_rps: 5, target_in_flight: 2 }\n",
            "autoscaler.hpa.target_rps",
            "give one target",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  hpa: { target_rps: 5, scale_up: { policies: [ { pods: 2, percent: 5, period: 15s } ] } }\n",
            "autoscaler.hpa.scale_up.policies[0]",
            "exactly one of pods or percent",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  hpa: { target_rps: 5, tolerance: 1.5 }\n",
            "autoscaler.hpa.tolerance",
            "below 1",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, market: reserved, price: 1, min: 1, max: 2 }\nautoscaler:\n  hpa: { target_rps: 5 }\n",
            "fleet.pools[0].min",
            "reserved",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  schedule:\n    - { from: \"25:00\", to: \"08:00\", min: 2 }\n",
            "autoscaler.schedule[0].from",
            "time of day",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  schedule:\n    - { from: 2h, to: 1h, min: 2 }\n",
            "autoscaler.schedule[0].to",
            "not after",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  kpa: { target_concurrency: 1, panic_window: 2m }\n",
            "autoscaler.kpa.panic_window",
            "longer than the stable window",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler:\n  kpa: { target_concurrency: 1, stable: 60s }\n",
            "stable",
            "unknown field",
        ),
        (
            "fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, min: 1, max: 2 }\nautoscaler: {}\n",
            "autoscaler",
            "is empty",
        ),
    ];
    for (fleet, key, words) in cases {
        let yaml = format!("{base}{fleet}");
        let err = scenario::from_yaml(&yaml).map(|_| ()).expect_err(fleet).to_string();
        assert!(err.contains(key) && err.contains(words), "for\n{fleet}\ngot: {err}");
    }
}

/// Past the horizon a KEDA-scaled fleet at zero still wakes for what waits: requests at 32–34 s,
/// horizon 40 s; the HPA sync at 45 s cannot start a replica but the poll at 60 s does (ready at
/// 150 s), and all three complete.
#[test]
fn keda_serves_requests_left_at_zero_after_the_horizon() {
    let yaml = zero_pool_yaml("queue: { target_per_replica: 5 }", "")
        .replace("horizon: 1500s", "horizon: 40s")
        .replace("timeseries_interval: 30s", "timeseries_interval: 10s");
    let out = run_in_dir(&yaml, &[("t.csv", "time\n32\n33\n34\n")]);
    assert_eq!(out.summary.requests.completed, 3, "{:?}", out.warnings);
    assert!((out.summary.latency_s.max - (150.0 - 32.0 + 0.1)).abs() < 1e-6, "{}", out.summary.latency_s.max);
}

/// A spot pool that cannot launch (its max_price is below the price) leaves requests waiting;
/// markets are frozen after the horizon, so the run ends with a warning instead of deciding
/// forever. An activation threshold that the leftover queue does not pass ends it too.
#[test]
fn runs_end_when_no_replica_can_ever_serve_what_is_left() {
    let s = scenario(
        "name: h\nhorizon: 10m\nworkload:\n  arrivals:\n    constant: { rate: 1/m }\nservice:\n  batch_time: { base: 10ms }\n\
         fleet:\n  pools:\n    - { name: sp, instance: g5.xlarge, market: spot, min: 1, max: 3, max_price: 0.1 }\n\
         spot:\n  interruptions:\n    hazard: { per_hour: 0 }\n  price:\n    constant: 0.45\n\
         autoscaler:\n  hpa: { target_utilization: 0.5 }\n",
    );
    let out = run(&s);
    assert_eq!(out.summary.requests.completed, 0);
    assert_eq!(out.summary.requests.in_flight, out.summary.requests.arrived);
    assert!(out.warnings.iter().any(|w| w.contains("markets do not change")), "{:?}", out.warnings);

    let yaml = zero_pool_yaml("queue: { target_per_replica: 5, activation: 5 }", "")
        .replace("horizon: 1500s", "horizon: 100s");
    let out = run_in_dir(&yaml, &[("t.csv", "time\n90\n91\n")]);
    assert_eq!(out.summary.requests.in_flight, 2);
    assert!(out.warnings.iter().any(|w| w.contains("autoscaler left the fleet at zero")), "{:?}", out.warnings);
}
