//! Spot markets: billing hand-checks to the cent, the hazard's rate and weekend factor, replay of
//! real availability and price traces checked against an independent computation, common random
//! numbers, and request conservation under interruptions.

use std::path::{Path, PathBuf};

use fleetsim::scenario;
use fleetsim::serving::Outcome;

use super::common::{mean_se, run_in_dir, run_with_market as run_scenario};

fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

/// A quiet workload: one request a minute, so the fleet's cost is the subject.
const QUIET: &str = "workload:\n  arrivals:\n    constant: { rate: 1/m }\nservice:\n  batch_time: { base: 10ms }\n";

/// A spot instance launched at 1000.3 s (when the zone's availability turns 1) and noticed at
/// 5000.6 s (availability 0) with a 30 s notice runs 1000.3 → 5030.6 s = 4030.3 s, billed as
/// 4031 s (per-second steps, launch and stop inside a second) at a constant $3.06/h:
/// 3.06 × 4031 / 3600 = $3.426350 → 343 cents.
#[test]
fn spot_billing_rounds_a_run_inside_second_boundaries() {
    let yaml = format!(
        "name: b\nhorizon: 2h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 1, zones: [a] }}\n\
         spot:\n  interruptions:\n    trace: {{ path: avail.csv, format: csv }}\n  price:\n    constant: 3.06\n  notice: 30s\n"
    );
    let out = run_in_dir(&yaml, &[("avail.csv", "time,zone,instance,available\n0,a,,0\n1000.3,a,,1\n5000.6,a,,0\n")]);
    let m = &out.summary;
    assert_eq!(m.fleet.instances_launched, 1);
    assert_eq!(m.fleet.interruptions, 1);
    assert!((m.cost_usd.spot - 3.06 * 4031.0 / 3600.0).abs() < 1e-12, "{}", m.cost_usd.spot);
    assert_eq!(cents(m.cost_usd.spot), 343);
    assert_eq!(cents(m.cost_usd.by_zone["a"]), 343);
    assert!((m.fleet.instance_hours - 4030.3 / 3600.0).abs() < 1e-12);
}

/// A spot instance that lives 20 s (100 → 120 s, no notice) is billed the 60 s minimum:
/// 3.06 × 60 / 3600 = $0.051 → 5 cents.
#[test]
fn spot_billing_applies_the_minimum() {
    let yaml = format!(
        "name: b\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 1, zones: [a] }}\n\
         spot:\n  interruptions:\n    trace: {{ path: avail.csv, format: csv }}\n  price:\n    constant: 3.06\n  notice: 0s\n"
    );
    let out = run_in_dir(&yaml, &[("avail.csv", "time,zone,instance,available\n0,a,,0\n100,a,,1\n120,a,,0\n")]);
    assert!((out.summary.cost_usd.spot - 0.051).abs() < 1e-12, "{}", out.summary.cost_usd.spot);
    assert_eq!(cents(out.summary.cost_usd.total), 5);
}

/// The price in force is integrated over the running time: $1.00/h for the first 30 min,
/// $2.00/h for the next 30, $0.50/h for the last hour of a 2 h run:
/// 0.5 + 1.0 + 0.5 = $2.00 exactly.
#[test]
fn a_changing_price_is_integrated() {
    let yaml = format!(
        "name: b\nhorizon: 2h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 1, zones: [a] }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 0 }}\n  price:\n    trace: {{ path: price.csv, format: csv }}\n"
    );
    let out = run_in_dir(
        &yaml,
        &[(
            "price.csv",
            "time,zone,instance,price\n0,a,p3.2xlarge,1.00\n1800,a,p3.2xlarge,2.00\n3600,a,p3.2xlarge,0.50\n",
        )],
    );
    assert!((out.summary.cost_usd.spot - 2.0).abs() < 1e-12, "{}", out.summary.cost_usd.spot);
    assert_eq!(cents(out.summary.cost_usd.total), 200);
}

/// Reserved capacity is billed for the whole run whether used or not: 3 instances at $0.62/h
/// over 2 h = $3.72, with a single on-demand instance doing nearly all the (tiny) work.
#[test]
fn idle_reserved_capacity_is_billed_in_full() {
    let yaml = format!(
        "name: b\nhorizon: 2h\n{QUIET}fleet:\n  pools:\n    - {{ name: od, instance: g5.xlarge, count: 1 }}\n    - {{ name: ri, instance: g5.xlarge, market: reserved, price: 0.62, count: 3 }}\n"
    );
    let out = run_in_dir(&yaml, &[]);
    let m = &out.summary;
    assert_eq!(cents(m.cost_usd.reserved), 372);
    assert_eq!(cents(m.cost_usd.on_demand), 201); // 1.006 × 2 h = 2.012
    assert_eq!(cents(m.cost_usd.total), 573);
    let ri = m.pools.iter().find(|p| p.name == "ri").unwrap();
    assert!(ri.utilization < 1e-3);
}

fn hazard_yaml(per_hour: f64, weekend: f64, horizon: &str) -> String {
    format!(
        "name: h\nhorizon: {horizon}\nstart: 2024-01-01T00:00:00Z\n{QUIET}\
         output: {{ timeseries_interval: 1h }}\n\
         fleet:\n  pools:\n    - {{ name: s, instance: p5.48xlarge, market: spot, count: 500, zones: [a] }}\n  \
         instance_types:\n    - {{ name: p5.48xlarge, boot: 0s }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: {per_hour}, weekend_factor: {weekend} }}\n  price:\n    constant: 10\n  notice: 0s\n"
    )
}

/// Interruptions per instance-hour match the configured hazard. 500 instances at 0.041/h for
/// two weeks: ≈ 6,900 interruptions a run, 6 seeds ≈ 41,000 — the Poisson count has a relative sd
/// of 0.5%, so the 3% tolerance is 6 sd. With notice 0 and replacements launched at once, every
/// instance-hour is at risk.
#[test]
fn hazard_rate_matches_the_configured_rate() {
    let s = scenario::from_yaml(&hazard_yaml(0.041, 1.0, "14d")).unwrap();
    let mut rates = Vec::new();
    for seed in 1..=6 {
        let mut s = s.clone();
        s.seed = seed;
        let m = run_scenario(&s).summary;
        rates.push(m.fleet.interruptions as f64 / m.fleet.instance_hours);
    }
    let (mean, se) = mean_se(&rates);
    eprintln!("interruptions per instance-hour: {mean:.5} (se {se:.5}) vs 0.041");
    assert!((mean - 0.041).abs() / 0.041 < 0.03, "observed {mean} per instance-hour");
}

/// The weekend factor shows in the counts: 2024-01-01 is a Monday, so of two weeks, days 5–6 and
/// 12–13 are weekends. With factor 0.6 the weekend hourly rate is 0.6 × the weekday rate (≈ 12.3
/// vs 20.5 an hour over 500 instances). Over 4 seeds the weekend count is ≈ 4,700 and the weekday
/// count ≈ 19,700, so the ratio's relative sd is ≈ 1.6% (≈ 0.010 absolute); ±0.05 is 5 sd.
#[test]
fn weekend_factor_lowers_weekend_interruptions() {
    let s = scenario::from_yaml(&hazard_yaml(0.041, 0.6, "14d")).unwrap();
    let (mut weekday, mut weekend) = (0.0f64, 0.0f64);
    for seed in 1..=4 {
        let mut s = s.clone();
        s.seed = seed;
        let out = run_scenario(&s);
        for t in &out.interruption_times {
            let day = t.0 / (86_400 * 1_000_000_000) % 7;
            if day == 5 || day == 6 { weekend += 1.0 } else { weekday += 1.0 }
        }
    }
    let ratio = (weekend / 4.0) / (weekday / 10.0);
    eprintln!("weekend/weekday interruption rate: {ratio:.3}");
    assert!((ratio - 0.6).abs() < 0.05, "ratio {ratio}");
}

fn repo_trace(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces").join(rel)
}

/// Replay of the real us-east-1a V100 availability and price traces: one spot instance that runs
/// whenever the zone has capacity. The spot instance-hours and cost fleetsim reports equal what
/// this test computes straight from the two files: the number of available ticks × 195 s, and
/// the sum of those ticks' prices × 195 s / 3600.
#[test]
fn real_trace_replay_matches_a_direct_computation() {
    let avail_path = repo_trace("spot-availability/availability/1-node/aws-02-15-2023/us-east-1a_v100_1.json");
    let price_path = repo_trace("spot-prices/aws_v100_spot_prices.json");
    let n_ticks = 3_000usize; // 585,000 s ≈ 6.8 days
    let yaml = format!(
        "name: r\nhorizon: {}s\n{QUIET}\
         fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 1, zones: [us-east-1a] }}\n  \
         instance_types:\n    - {{ name: p3.2xlarge, boot: 0s }}\n\
         billing: {{ granularity: 1s, minimum: 0 }}\n\
         spot:\n  notice: 0s\n  interruptions:\n    trace: {{ path: {}, format: skypilot-availability, zone: us-east-1a }}\n  \
         price:\n    trace: {{ path: {}, format: skypilot-prices, zone: us-east-1a, tick: 195s }}\n",
        n_ticks * 195,
        avail_path.display(),
        price_path.display()
    );
    let s = scenario::from_yaml(&yaml).unwrap();
    let m = run_scenario(&s).summary;

    // Independently, from the files.
    let avail: serde_json::Value = serde_json::from_slice(&std::fs::read(&avail_path).unwrap()).unwrap();
    assert_eq!(avail["metadata"]["gap_seconds"], 195);
    let prices: serde_json::Value = serde_json::from_slice(&std::fs::read(&price_path).unwrap()).unwrap();
    let (mut ticks_up, mut usd) = (0u64, 0.0);
    for i in 0..n_ticks {
        if avail["data"][i].as_u64().unwrap() >= 1 {
            ticks_up += 1;
            usd += prices["us-east-1a_v100_1"][i].as_f64().unwrap() * 195.0 / 3600.0;
        }
    }
    assert!(ticks_up > 0 && ticks_up < n_ticks as u64, "the window should have both states");
    let hours = ticks_up as f64 * 195.0 / 3600.0;
    eprintln!(
        "us-east-1a: {ticks_up} ticks up = {hours:.3} h, ${usd:.4}; fleetsim {:.3} h, ${:.4}",
        m.fleet.instance_hours, m.cost_usd.spot
    );
    assert!((m.fleet.instance_hours - hours).abs() < 1e-9, "{} vs {hours}", m.fleet.instance_hours);
    assert!((m.cost_usd.spot - usd).abs() < 1e-6, "{} vs {usd}", m.cost_usd.spot);
    assert_eq!(cents(m.cost_usd.spot), cents(usd));
}

fn serving_yaml(batcher: &str) -> String {
    format!(
        "name: crn\nseed: 5\nhorizon: 6h\n\
         workload:\n  arrivals:\n    poisson: {{ rate: 200/s }}\n\
         service:\n  batch_time: {{ base: 8ms, per_item: 1ms }}\n  distribution: exponential\n\
         batcher: {batcher}\n\
         fleet:\n  pools:\n    - {{ name: od, instance: g5.xlarge, count: 1 }}\n    - {{ name: s, instance: g5.xlarge, market: spot, count: 6, zones: [a, b] }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 0.5 }}\n  price:\n    constant: 0.4\n  notice: 30s\n"
    )
}

/// Common random numbers: two designs that differ only in batcher settings see the same arrival
/// times and the same interruption times under one seed.
#[test]
fn batcher_settings_do_not_change_arrivals_or_interruptions() {
    let a = run_scenario(&scenario::from_yaml(&serving_yaml("{ max_batch_size: 1 }")).unwrap());
    let b = run_scenario(&scenario::from_yaml(&serving_yaml("{ max_batch_size: 16, max_wait: 5ms }")).unwrap());
    assert!(a.interruption_times.len() > 10, "the test needs interruptions");
    assert_eq!(a.interruption_times, b.interruption_times);
    assert_eq!(a.summary.requests.arrived, b.summary.requests.arrived);
    let arrivals = |o: &Outcome| o.timeseries.rows.iter().map(|r| r.arrivals).collect::<Vec<_>>();
    assert_eq!(arrivals(&a), arrivals(&b));
    assert_ne!(a.summary.latency_s.mean, b.summary.latency_s.mean);
}

/// Requests are conserved under interruptions, re-queues and drops, over random seeds: an
/// on-demand replica plus 6 spot replicas (1,000 req/s max) offered 1,000 req/s with a 3/h hazard,
/// no notice (running batches are re-queued) and a 300 s boot, so every interruption overloads
/// the fleet and the 200-request queue limit drops arrivals.
#[test]
fn requests_are_conserved_under_interruptions() {
    let yaml = serving_yaml("{ max_batch_size: 8, max_wait: 2ms, max_queue: 200 }")
        .replace("per_hour: 0.5", "per_hour: 3")
        .replace("rate: 200/s", "rate: 1000/s")
        .replace("horizon: 6h", "horizon: 2h")
        .replace("notice: 30s", "notice: 0s")
        .replace("zones: [a, b] }\n", "zones: [a, b] }\n  instance_types:\n    - { name: g5.xlarge, boot: 300s }\n");
    let s = scenario::from_yaml(&yaml).unwrap();
    let (mut retried, mut dropped) = (0, 0);
    for seed in 1..=8 {
        let mut s = s.clone();
        s.seed = seed;
        let m = run_scenario(&s).summary;
        let r = &m.requests;
        assert_eq!(r.arrived, r.completed + r.dropped + r.in_flight, "seed {seed}: {r:?}");
        assert_eq!(r.in_flight, 0, "seed {seed}: the on-demand replica drains the queue");
        retried += r.retried;
        dropped += r.dropped;
    }
    assert!(retried > 0, "interruptions should have re-queued batches");
    assert!(dropped > 0, "overload should have dropped arrivals at max_queue");
}

/// Requests no replica is left to serve stay in flight, conserved, with a warning: a spot-only
/// fleet whose zone has no capacity after 30 min.
#[test]
fn stranded_requests_are_reported_in_flight() {
    let yaml = format!(
        "name: x\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 1, zones: [a] }}\n\
         spot:\n  interruptions:\n    trace: {{ path: avail.csv, format: csv }}\n  price:\n    constant: 1.0\n  notice: 0s\n"
    );
    let out = run_in_dir(&yaml, &[("avail.csv", "time,zone,instance,available\n0,a,,1\n1800,a,,0\n")]);
    let r = &out.summary.requests;
    // One request a minute from t = 0: 60 arrive, the 30 before 1800 s are served.
    assert_eq!((r.arrived, r.completed, r.in_flight), (60, 30, 30));
    assert!(out.warnings.iter().any(|w| w.contains("30 requests were still waiting")));
}

/// Time-weighted metrics stop at the end of the run: the zone drops at 3500 s and returns at
/// 3550 s, and the replacement would serve only at 4150 s (boot 10 min), after the 1 h run has
/// ended. Capacity is missing 3500 → 3600 s: 100 s, not 650 s.
#[test]
fn fleet_metrics_stop_at_the_end_of_the_run() {
    let yaml = format!(
        "name: e\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 2, zones: [a] }}\n  \
         instance_types:\n    - {{ name: p3.2xlarge, boot: 10m }}\n\
         spot:\n  interruptions:\n    trace: {{ path: avail.csv, format: csv }}\n  price:\n    constant: 1.0\n  notice: 0s\n"
    );
    let out = run_in_dir(&yaml, &[("avail.csv", "time,zone,instance,available\n0,a,,2\n3500,a,,1\n3550,a,,2\n")]);
    let f = &out.summary.fleet;
    assert_eq!(f.time_below_capacity_s, 100.0);
    assert!((f.spot_capacity_hours_lost - 100.0 / 3600.0).abs() < 1e-12);
    assert_eq!(f.max_replicas, 2);
    assert!((f.mean_replicas - (2.0 * 3500.0 + 100.0) / 3600.0).abs() < 1e-12);
    // The replacement launched at 3550 s is billed its 60 s minimum but nothing after the end:
    // (3600 + 3500 + 60) s at $1/h.
    assert!((out.summary.cost_usd.spot - 7160.0 / 3600.0).abs() < 1e-12, "{}", out.summary.cost_usd.spot);
}

/// Common random numbers across fleet designs: adding an on-demand base pool, or on-demand
/// fallback, does not move the spot pool's interruption times.
#[test]
fn other_pools_do_not_shift_spot_interruptions() {
    let spot_only = "name: c\nseed: 3\nhorizon: 12h\nworkload:\n  arrivals:\n    poisson: { rate: 50/s }\n\
        service:\n  batch_time: { base: 10ms }\n\
        fleet:\n  pools:\n    - { name: s, instance: g5.xlarge, market: spot, count: 4 }\n\
        spot:\n  interruptions:\n    hazard: { per_hour: 0.4 }\n  price:\n    constant: 0.4\n  notice: 30s\n";
    let with_base = spot_only.replace("  pools:\n", "  pools:\n    - { name: od, instance: g5.xlarge, count: 2 }\n");
    let with_fallback = spot_only.replace("count: 4 }", "count: 4, ondemand_fallback: true }");
    let times = |y: &str| run_scenario(&scenario::from_yaml(y).unwrap()).interruption_times;
    let base = times(spot_only);
    assert!(base.len() > 5);
    assert_eq!(base, times(&with_base));
    assert_eq!(base, times(&with_fallback));
}

/// The hour-of-day profile shapes the hazard: multiplier 2 for hours 0–11 UTC, 0 for 12–23, so
/// every interruption falls in the first half of each day, at twice the base rate there.
#[test]
fn hourly_profile_shapes_interruptions() {
    let profile = [vec!["2"; 12], vec!["0"; 12]].concat().join(", ");
    let yaml = hazard_yaml(0.041, 1.0, "4d")
        .replace("weekend_factor: 1 }", &format!("weekend_factor: 1, profile: [{profile}] }}"));
    let out = run_scenario(&scenario::from_yaml(&yaml).unwrap());
    let hours: Vec<u64> = out.interruption_times.iter().map(|t| t.0 / 3_600_000_000_000 % 24).collect();
    assert!(hours.iter().all(|&h| h < 12), "an interruption outside the profile's hours");
    // Expected 500 × 0.041 × 2 × 12 h × 4 days = 1,968 (sd ≈ 44): ±10% is > 4 sd.
    let n = hours.len() as f64;
    assert!((n - 1968.0).abs() < 197.0, "{n} interruptions");
}

/// On-demand fallback: zone `a` has capacity until 600 s, none until 1800 s, then again. The
/// spot instance is noticed at 600 s (notice 0); an on-demand stand-in launches at once and
/// serves from 660 s (boot 60 s); spot returns at 1800 s, its new instance serves from 1860 s,
/// and the stand-in is released then: 600 → 1860 s = 1260 s on demand at $3.06/h = $1.071.
#[test]
fn ondemand_fallback_covers_a_spot_outage() {
    let yaml = format!(
        "name: f\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 1, zones: [a], ondemand_fallback: true }}\n  \
         instance_types:\n    - {{ name: p3.2xlarge, boot: 60s }}\noutput: {{ timeseries_interval: 5m }}\n\
         spot:\n  interruptions:\n    trace: {{ path: avail.csv, format: csv }}\n  price:\n    constant: 1.0\n  notice: 0s\n"
    );
    let out = run_in_dir(&yaml, &[("avail.csv", "time,zone,instance,available\n0,a,,1\n600,a,,0\n1800,a,,1\n")]);
    let m = &out.summary;
    assert_eq!(m.fleet.instances_launched, 3);
    assert_eq!(m.fleet.interruptions, 1);
    assert!((m.cost_usd.on_demand - 3.06 * 1260.0 / 3600.0).abs() < 1e-12, "{}", m.cost_usd.on_demand);
    // Spot: 0 → 600 s and 1800 → 3600 s at $1/h = 2400 s → $0.6667.
    assert!((m.cost_usd.spot - 2400.0 / 3600.0).abs() < 1e-12, "{}", m.cost_usd.spot);
    // Below capacity from 600 s until the stand-in serves at 660 s, and never after: 60 s.
    assert_eq!(m.fleet.time_below_capacity_s, 60.0);
    // Replicas by market in the 5-minute rows: spot until 600 s, the stand-in (on demand) at
    // 900 s–1800 s, spot again after 1860 s.
    let by_market = |t: f64| out.timeseries.rows.iter().find(|r| r.time_s == t).map(|r| r.replicas_by_market).unwrap();
    assert_eq!(by_market(300.0), [0, 1, 0]);
    assert_eq!(by_market(900.0), [1, 0, 0]);
    assert_eq!(by_market(1800.0), [1, 1, 0]);
    assert_eq!(by_market(2100.0), [0, 1, 0]);
    let ts = String::from_utf8(out.timeseries.to_csv()).unwrap();
    assert!(ts.starts_with("time_s,arrivals,completions,queue_len,busy_replicas,replicas_s,on_demand_replicas,spot_replicas,reserved_replicas,interruptions,ready_replicas,target_replicas,cost_usd\n"));
}

fn zones_yaml(strategy: &str) -> String {
    format!(
        "name: z\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 3, zones: [a, b], zone_strategy: {strategy} }}\n\
         spot:\n  interruptions:\n    trace: {{ path: avail.csv, format: csv }}\n  price:\n    trace: {{ path: price.csv, format: csv }}\n"
    )
}

const ZONE_FILES: [(&str, &str); 2] = [
    ("avail.csv", "time,zone,instance,available\n0,a,,5\n0,b,,2\n"),
    ("price.csv", "time,zone,instance,price\n0,a,p3.2xlarge,1.0\n0,b,p3.2xlarge,0.5\n"),
];

/// Zone strategies over zone a ($1.00/h, 5 obtainable) and zone b ($0.50/h, 2 obtainable), three
/// instances for one hour:
/// - lowest_price fills b (2) then a (1): $1.00 + $1.00 = $2.00 → a $1, b $1;
/// - most_available puts each where most is left: a (5→4), a (4→3), a (3 > b's 2): a $3;
/// - round_robin alternates a, b, a: a $2, b $0.50.
#[test]
fn zone_strategies_place_instances_as_worked_out() {
    let cost = |strategy: &str| run_in_dir(&zones_yaml(strategy), &ZONE_FILES).summary.cost_usd.by_zone;
    let lp = cost("lowest_price");
    assert_eq!((cents(lp["a"]), cents(lp["b"])), (100, 100));
    let ma = cost("most_available");
    assert_eq!((cents(ma["a"]), ma.get("b").copied().unwrap_or(0.0)), (300, 0.0));
    let rr = cost("round_robin");
    assert_eq!((cents(rr["a"]), cents(rr["b"])), (200, 50));
}

/// max_price: the price passes the $1.00 cap from 1000 s to 2000 s; the instance is reclaimed
/// then (notice 0) and relaunched when the price falls back: it runs 1000 + 1600 = 2600 s, and
/// spot capacity is missing for the 1000 s outage plus the replacement's 90 s boot.
#[test]
fn max_price_reclaims_and_blocks_launches() {
    let yaml = format!(
        "name: m\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: p3.2xlarge, market: spot, count: 1, zones: [a], max_price: 1.0 }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 0 }}\n  price:\n    trace: {{ path: price.csv, format: csv }}\n  notice: 0s\n"
    );
    let out = run_in_dir(&yaml, &[("price.csv", "time,zone,instance,price\n0,a,,0.5\n1000,a,,2.0\n2000,a,,0.5\n")]);
    let m = &out.summary;
    assert_eq!(m.fleet.interruptions, 1);
    assert_eq!(m.fleet.instances_launched, 2);
    assert!((m.fleet.instance_hours - 2600.0 / 3600.0).abs() < 1e-12);
    assert!((m.cost_usd.spot - 0.5 * 2600.0 / 3600.0).abs() < 1e-12);
    assert!((m.fleet.spot_capacity_hours_lost - 1090.0 / 3600.0).abs() < 1e-12);
    assert_eq!(m.fleet.time_below_capacity_s, 1090.0);
}

/// GCP preemptible instances live at most 24 h: over 60 h with no other interruptions the
/// instance is reclaimed at 24 h and 48 h and replaced each time.
#[test]
fn max_lifetime_reclaims_preemptible_instances() {
    let yaml = format!(
        "name: l\nhorizon: 60h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: a2-highgpu-1g, market: spot, count: 1 }}\n  \
         instance_types:\n    - {{ name: a2-highgpu-1g, max_lifetime: 24h }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 0 }}\n  price:\n    constant: 1.5\n"
    );
    let out = run_in_dir(&yaml, &[]);
    let secs: Vec<u64> = out.interruption_times.iter().map(|t| t.0 / 1_000_000_000).collect();
    assert_eq!(secs, vec![86_400, 172_800]);
    assert_eq!(out.summary.fleet.instances_launched, 3);
}

/// A spot pool on an instance type without a reference spot discount (a custom type: no provider,
/// no GPU) runs when `spot.price` is a trace that prices its zone. Before, it was refused ("no
/// reference spot discount … set spot.price") although spot.price was set. $0.30/h for the first
/// hour and $0.90/h for the second: one instance over 2 h pays 0.30 + 0.90 = $1.20, a
/// time-weighted mean of $0.60/h, which the pool's price shows (labelled `spot, mean paid`).
#[test]
fn a_price_trace_prices_a_type_without_a_reference_discount() {
    let yaml = format!(
        "name: b\nhorizon: 2h\n{QUIET}fleet:\n  pools:\n    - {{ name: s, instance: my.gpu, market: spot, count: 1, zones: [a] }}\n  \
         instance_types:\n    - {{ name: my.gpu, on_demand_price: 2.5 }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 0 }}\n  price:\n    trace: {{ path: price.csv, format: csv }}\n"
    );
    let out = run_in_dir(&yaml, &[("price.csv", "time,zone,instance,price\n0,a,,0.30\n3600,a,,0.90\n")]);
    let m = &out.summary;
    assert!((m.cost_usd.spot - 1.2).abs() < 1e-12, "{}", m.cost_usd.spot);
    assert!((m.pools[0].price_per_hour - 0.6).abs() < 1e-12, "{}", m.pools[0].price_per_hour);
    assert_eq!(m.pools[0].price_basis, "spot, mean paid");
    // Without the trace there is nothing to price it: still refused, with the key.
    let no_price = yaml.replace("  price:\n    trace: { path: price.csv, format: csv }\n", "");
    let e = scenario::from_yaml(&no_price).expect_err("no spot price").to_string();
    assert!(e.contains("fleet.pools[0].instance: no reference spot discount for \"my.gpu\""), "{e}");
}

/// A job whose type has no reference discount needs a price series in every zone it may use.
#[test]
fn a_job_zone_the_price_trace_leaves_out_is_refused() {
    let yaml = "name: j\nhorizon: 10h\njob:\n  work: 1h\n  instance: my.gpu\n  zones: [a, b]\n  policy: spot_only\n\
        fleet:\n  instance_types:\n    - { name: my.gpu, on_demand_price: 2.5 }\n\
        spot:\n  interruptions:\n    hazard: { per_hour: 0 }\n  price:\n    trace: { path: price.csv, format: csv }\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("price.csv"), "time,zone,instance,price\n0,a,,0.30\n").unwrap();
    std::fs::write(dir.path().join("s.yaml"), yaml).unwrap();
    let loaded = scenario::load(&dir.path().join("s.yaml"), &[]).unwrap_or_else(|e| panic!("{e}"));
    let e = fleetsim::trace::market::load(&loaded.scenario).expect_err("zone b is unpriced").to_string();
    assert!(e.contains("spot zone \"b\" of the job has no price series for my.gpu"), "{e}");
    // Priced in both zones, it runs: 1 h on spot in zone a at $0.30/h.
    std::fs::write(dir.path().join("price.csv"), "time,zone,instance,price\n0,a,,0.30\n0,b,,0.50\n").unwrap();
    let market = fleetsim::trace::market::load(&loaded.scenario).unwrap_or_else(|e| panic!("{e}"));
    let m = fleetsim::run::simulate(&loaded.scenario, &market, &mut |_| {}).unwrap().summary;
    assert!((m.cost_usd.spot - 0.3).abs() < 1e-12, "{}", m.cost_usd.spot);
}

/// A spot pool's `pools[].price_per_hour` is what it was billed at, not the on-demand price:
/// a constant $0.40/h on p3.2xlarge (on demand $3.06/h). Before, 3.06 was shown.
#[test]
fn a_spot_pools_price_is_its_spot_price() {
    let yaml = format!(
        "name: b\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: od, instance: p3.2xlarge, count: 1 }}\n    \
         - {{ name: s, instance: p3.2xlarge, market: spot, count: 2 }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 0 }}\n  price:\n    constant: 0.40\n"
    );
    let m = run_in_dir(&yaml, &[]).summary;
    assert_eq!((m.pools[0].price_per_hour, m.pools[0].price_basis.as_str()), (3.06, "on-demand"));
    assert_eq!((m.pools[1].price_per_hour, m.pools[1].price_basis.as_str()), (0.40, "spot"));
    assert!((m.pools[1].cost_usd - 0.80).abs() < 1e-12, "2 instances × 1 h × $0.40");
}

/// Zone strategies under one semantics (`fleet::zone_picker`), for a pool of one spot instance in
/// zones a ($2/h) and b ($1/h), neither limited by an availability trace, no interruptions, 1 h:
/// - most_available: a tie in headroom (both unlimited) goes to the cheaper zone, b: $1.00 (serving
///   pools once broke it by listing order, a: $2.00; jobs already went by price);
/// - cheapest is another name for lowest_price: b, $1.00;
/// - stay and round_robin start with the first zone listed, a: $2.00.
#[test]
fn zone_strategies_choose_as_worked_out() {
    let yaml = |strategy: &str| {
        format!(
            "name: z\nhorizon: 1h\n\
             workload:\n  arrivals:\n    constant: {{ rate: 1/s }}\n\
             service:\n  batch_time: {{ base: 10ms }}\n\
             fleet:\n  pools:\n    - {{ name: s, instance: g5.xlarge, market: spot, count: 1, zones: [a, b], zone_strategy: {strategy} }}\n\
             spot:\n  interruptions:\n    hazard: {{ per_hour: 0 }}\n  price:\n    trace: {{ path: price.csv, format: csv }}\n"
        )
    };
    let files = [("price.csv", "time,zone,instance,price\n0,a,,2.0\n0,b,,1.0\n")];
    for (strategy, zone, usd) in [
        ("most_available", "b", 1.0),
        ("cheapest", "b", 1.0),
        ("lowest_price", "b", 1.0),
        ("stay", "a", 2.0),
        ("round_robin", "a", 2.0),
    ] {
        let s = run_in_dir(&yaml(strategy), &files).summary;
        let by_zone: Vec<(&str, f64)> = s.cost_usd.by_zone.iter().map(|(z, c)| (z.as_str(), *c)).collect();
        assert_eq!(by_zone.len(), 1, "{strategy}: {by_zone:?}");
        assert_eq!(by_zone[0].0, zone, "{strategy}");
        assert!((by_zone[0].1 - usd).abs() < 1e-9, "{strategy}: {by_zone:?}");
    }
}
