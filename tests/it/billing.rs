//! Billing of fixed fleets, hand-checked to the cent.

use super::common::{run, scenario};

fn fleet_yaml(horizon: &str, billing: &str) -> String {
    format!(
        "name: bill\nhorizon: {horizon}\n\
         workload:\n  arrivals:\n    constant: {{ rate: 10/s }}\n\
         service:\n  batch_time: {{ base: 50ms }}\n\
         fleet:\n  pools:\n    - {{ name: gpu, instance: g5.xlarge, count: 3 }}\n    - {{ name: cpu, instance: c5.2xlarge, count: 2 }}\n\
         {billing}"
    )
}

fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

/// 2 h exactly (the last request, at 7199.9 s, is done at 7199.95 s, inside the horizon):
/// 3 × $1.006 × 2 h = $6.036 and 2 × $0.34 × 2 h = $1.36 → $7.396 → 740 cents.
#[test]
fn two_hours_of_a_mixed_fixed_fleet() {
    let m = run(&scenario(&fleet_yaml("2h", ""))).summary;
    assert_eq!(m.engine.end_s, 7200.0);
    assert!((m.cost_usd.total - 7.396).abs() < 1e-9, "{}", m.cost_usd.total);
    assert_eq!(cents(m.pools[0].cost_usd), 604);
    assert_eq!(cents(m.pools[1].cost_usd), 136);
    assert_eq!(cents(m.cost_usd.on_demand), 740);
    assert!((m.fleet.instance_hours - 10.0).abs() < 1e-12);
    // $7.396 over 72,000 requests → $102.72 per million.
    assert_eq!(m.requests.completed, 72_000);
    assert_eq!(cents(m.cost_usd.per_million_requests), 10_272);
}

/// Per-second billing rounds the 90.5 s run up to 91 s: 3 × 1.006 × 91/3600 = $0.076288…
/// and 2 × 0.34 × 91/3600 = $0.017188… → $0.093477… → 9 cents. Exactly: 0.0762883 + 0.0171888.
#[test]
fn partial_seconds_round_up() {
    let m = run(&scenario(&fleet_yaml("90500ms", ""))).summary;
    let want = (3.0 * 1.006 + 2.0 * 0.34) * 91.0 / 3600.0;
    assert!((m.cost_usd.total - want).abs() < 1e-12, "{} vs {want}", m.cost_usd.total);
    assert_eq!(cents(m.cost_usd.total), 9);
    assert!((m.pools[0].billed_hours - 3.0 * 91.0 / 3600.0).abs() < 1e-12);
}

/// A 30 s run is billed the 60 s minimum: (3 × 1.006 + 2 × 0.34) / 60 = $0.061633… → 6 cents.
#[test]
fn the_minimum_applies_to_short_runs() {
    let m = run(&scenario(&fleet_yaml("30s", ""))).summary;
    let want = (3.0 * 1.006 + 2.0 * 0.34) / 60.0;
    assert!((m.cost_usd.total - want).abs() < 1e-12);
    assert_eq!(cents(m.cost_usd.total), 6);
}

/// Hourly billing: a 61-minute run costs 2 hours: 2 × (3 × 1.006 + 2 × 0.34) = $7.396.
#[test]
fn hourly_granularity_rounds_to_whole_hours() {
    let m = run(&scenario(&fleet_yaml("61m", "billing: { granularity: 1h, minimum: 0 }\n"))).summary;
    assert_eq!(cents(m.cost_usd.total), 740);
}

/// Billing runs to the end of the drain: one replica, a request every 100 ms for 90 s (900
/// requests), 110 ms each — the replica is busy from t = 0 and finishes the backlog at
/// 900 × 0.11 = 99.0 s, 9 s after the horizon. 99 s of g5.xlarge: 1.006 × 99 / 3600 = $0.027665.
#[test]
fn the_drain_after_the_horizon_is_billed() {
    let y = "name: d\nhorizon: 90s\nworkload:\n  arrivals:\n    constant: { rate: 10/s }\n\
             service:\n  batch_time: { base: 110ms }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    let m = run(&scenario(y)).summary;
    assert_eq!(m.engine.end_s, 99.0);
    assert!((m.cost_usd.total - 1.006 * 99.0 / 3600.0).abs() < 1e-15);
    assert_eq!(cents(m.cost_usd.total), 3);
}

/// Instance-type overrides change the price used for billing: 2 × $2.50 × 1 h = $5.00.
#[test]
fn instance_type_overrides_set_the_price() {
    let y = "name: o\nhorizon: 1h\nworkload:\n  arrivals:\n    constant: { rate: 1/s }\n\
             service:\n  batch_time: { base: 50ms }\n\
             fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 2 }\n  instance_types:\n    - { name: g5.xlarge, on_demand_price: 2.5 }\n";
    assert_eq!(cents(run(&scenario(y)).summary.cost_usd.total), 500);
}
