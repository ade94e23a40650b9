//! Autoscaling on an LLM engine's signals (`target_running`, `target_waiting`,
//! `target_kv_utilization`), worked by hand: the replicas the HPA asks for at its first
//! evaluation and when they serve, a KV cache that fills and brings a scale-up, the KEDA and KPA
//! forms, and the keys refused outside LLM scenarios.

use fleetsim::scenario;
use fleetsim::serving::Outcome;

use crate::common::{run, scenario};

/// Prefill `[10, 0.1, 0.001]` ms, decode `[5, 0.01, 1]` ms.
const FITTED: &str = "step_time: { fitted: { prefill_ms: [10, 0.1, 0.001], decode_ms: [5, 0.01, 1] } }";

/// `count` requests at time 0 of `prompt` tokens making `output` each, on one pool of g5.xlarge
/// (boot 90 s) autoscaled between 1 and 10, `llm` the engine's keys, rows every 5 s.
fn yaml(count: u32, prompt: u32, output: u32, llm: &str, autoscaler: &str) -> String {
    format!(
        "name: llm-scale\nhorizon: 1h\nworkload:\n  arrivals: {{ items: {{ count: {count}, size: {prompt} }} }}\n  \
         tokens: {{ output: {{ fixed: {output} }} }}\n\
         llm: {{ scheduler: vllm, {llm}, {FITTED} }}\n\
         fleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, min: 1, max: 10 }}\n\
         output: {{ timeseries_interval: 5s }}\nautoscaler:\n  {autoscaler}\n"
    )
}

fn row(out: &Outcome, t: f64) -> &fleetsim::metrics::timeseries::Row {
    out.timeseries.rows.iter().find(|r| r.time_s == t).unwrap_or_else(|| panic!("no row at {t}"))
}

/// 40 requests (P = 100, O = 2000) reach the one replica at time 0 and are admitted together
/// (4,000 prompt tokens within the 4,096 budget, 84,000 KV tokens within 200,000): 40 sequences
/// run from time 0 for far longer than ten minutes (each decode iteration of 40 takes ≈ 0.5 s).
/// - 15 s: the HPA's first sync has no earlier sample (no metric yet): no change.
/// - 30 s, the first evaluation: running per ready replica over 15 … 30 s = 40 / 1, ratio
///   40 / 10 = 4 → ⌈4 × 1⌉ = 4, within the default rate (max(+4 pods, +100%) = 5). The 3 new
///   replicas boot 90 s; meanwhile (45 … 105 s) they count as idle: 4 × 1/4 = 1, in tolerance.
/// - 120 s: they are ready (their readiness was scheduled at 30 s, before this sync): the period
///   105 … 120 s averaged 40 per ready replica (one was ready), ratio 4 over 4 ready → 16,
///   rate-limited to 4 + max(4, 100%) = 8. (The average is over the period, as for
///   `target_in_flight`; the 40 sequences stay on the first replica: admitted work does not move.)
/// - 135 … 210 s: 40 / 4 ready = 10, the target; from 210 s (8 ready) 40 / 8 = 5 → ⌈0.5 × 8⌉ = 4,
///   held back by the 5-minute scale-down stabilization until the 16 of 120 s and the 8s up to
///   210 s have left the window: 4 at 510 s.
#[test]
fn hpa_on_running_sequences_asks_for_the_replicas_the_formula_gives_at_its_first_evaluation() {
    let llm = "max_model_len: 4096, kv_cache_tokens: 200000";
    let out = run(&scenario(&yaml(40, 100, 2000, llm, "hpa: { target_running: 10 }")));
    for t in [5.0, 10.0, 15.0, 20.0, 25.0] {
        assert_eq!((row(&out, t).target_replicas, row(&out, t).llm_by_pool[0].running), (1, 40), "at {t} s");
    }
    for (from, to, target) in [(35, 115, 4), (125, 505, 8), (515, 900, 4)] {
        for t in (from..=to).step_by(5) {
            assert_eq!(row(&out, f64::from(t)).target_replicas, target, "at {t} s");
        }
    }
    let ready = |t: f64| row(&out, t).ready_replicas;
    assert_eq!((ready(115.0), ready(125.0), ready(205.0), ready(215.0)), (1, 4, 4, 8));
    assert_eq!(row(&out, 300.0).llm_by_pool[0].running, 40, "the sequences stay where they were admitted");
    let m = &out.summary;
    assert_eq!(m.requests.completed, 40);
    assert_eq!((m.fleet.max_replicas, m.fleet.scale_ups), (8, 2), "{:?}", m.fleet);
}

/// The same load with a target of 50 running per replica: ratio 40 / 50 = 0.8, outside the
/// tolerance but ⌈0.8 × 1⌉ = 1, the current count — the fleet stays at one replica.
#[test]
fn hpa_on_running_sequences_below_target_keeps_the_fleet() {
    let llm = "max_model_len: 4096, kv_cache_tokens: 200000";
    let out = run(&scenario(&yaml(40, 100, 2000, llm, "hpa: { target_running: 50 }")));
    assert_eq!((out.summary.fleet.max_replicas, out.summary.fleet.scale_ups), (1, 0));
}

/// 8 requests of P = 1,000, O = 5,000 (63 blocks of 16 each to start, 504 in all) on a replica
/// with 9,000 KV tokens (562 blocks): decoding takes a block per sequence every 16 iterations of
/// ≈ 0.1 s, so the cache is full after ≈ 8 × 16 × 0.1 s ≈ 12 s and stays full (preemptions recompute
/// and refill it). Over 15 … 30 s the KV fraction is in (0.9, 1]: against a target of 0.5 the ratio
/// is in (1.8, 2] → ⌈ratio × 1⌉ = 2 at 30 s. With a cache 100 times larger the fraction stays
/// under 1% and the fleet stays at one replica.
#[test]
fn hpa_on_kv_utilization_scales_up_when_the_cache_fills() {
    let full = "max_model_len: 8192, kv_cache_tokens: 9000";
    let out = run(&scenario(&yaml(8, 1000, 5000, full, "hpa: { target_kv_utilization: 0.5 }")));
    let blocks = out.timeseries.rows[0].llm_by_pool[0].kv_total_blocks;
    assert_eq!(blocks, 562);
    for t in [15.0, 20.0, 25.0, 30.0] {
        let used = row(&out, t).llm_by_pool[0].kv_used_blocks;
        assert!(used as f64 > 0.9 * blocks as f64, "the cache is full at {t} s: {used} of {blocks}");
    }
    assert_eq!(row(&out, 25.0).target_replicas, 1);
    assert_eq!(row(&out, 35.0).target_replicas, 2);
    assert!(out.summary.token.as_ref().unwrap().kv.preemptions > 0);

    let ample = "max_model_len: 8192, kv_cache_tokens: 900000";
    let out = run(&scenario(&yaml(8, 1000, 5000, ample, "hpa: { target_kv_utilization: 0.5 }")));
    assert_eq!((out.summary.fleet.max_replicas, out.summary.fleet.scale_ups), (1, 0));
}

/// KEDA on waiting requests: 40 requests reach a replica that runs 4 sequences at most (decoding
/// for minutes), so 36 wait. The HPA KEDA drives syncs at 15 s (before KEDA's first poll at 30 s)
/// on the waiting requests now: ⌈36 / 6⌉ = 6, rate-limited to max(1 + 4 pods, 1 + 100%) = 5.
#[test]
fn keda_on_waiting_requests_scales_on_the_requests_not_admitted() {
    let llm = "max_model_len: 4096, max_num_seqs: 4, kv_cache_tokens: 200000";
    let out = run(&scenario(&yaml(40, 1000, 2000, llm, "queue: { target_waiting: 6 }")));
    assert_eq!(row(&out, 10.0).target_replicas, 1);
    assert_eq!(row(&out, 20.0).target_replicas, 5);
}

/// The KPA on running sequences averages them over its windows as it does concurrency: 40 running
/// on one replica against 10 × 0.7 = 7 per replica → ⌈40 / 7⌉ = 6 at the first tick (2 s).
#[test]
fn kpa_on_running_sequences_averages_the_gauge() {
    let llm = "max_model_len: 4096, kv_cache_tokens: 200000";
    let out = run(&scenario(&yaml(40, 100, 2000, llm, "kpa: { target_running: 10 }")));
    assert_eq!(row(&out, 5.0).target_replicas, 6);
}

#[test]
fn llm_signals_are_refused_outside_llm_scenarios() {
    for (scaler, key) in [
        ("hpa: { target_running: 10 }", "autoscaler.hpa.target_running"),
        ("hpa: { target_kv_utilization: 0.8 }", "autoscaler.hpa.target_kv_utilization"),
        ("queue: { target_waiting: 4 }", "autoscaler.queue.target_waiting"),
        ("kpa: { target_running: 8 }", "autoscaler.kpa.target_running"),
    ] {
        let yaml = format!(
            "name: x\nhorizon: 1h\nworkload:\n  arrivals: {{ poisson: {{ rate: 10/s }} }}\n\
             service:\n  batch_time: {{ base: 100ms }}\n\
             fleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, min: 1, max: 4 }}\nautoscaler:\n  {scaler}\n"
        );
        let err = scenario::from_yaml(&yaml).expect_err(scaler).to_string();
        assert!(err.contains(key) && err.contains("llm:"), "{scaler}: {err}");
    }
}

#[test]
fn llm_signal_targets_are_checked() {
    let llm = "max_model_len: 4096, kv_cache_tokens: 200000";
    for (scaler, key, words) in [
        ("hpa: { target_kv_utilization: 1.5 }", "autoscaler.hpa.target_kv_utilization", "at most 1"),
        ("hpa: { target_running: 4, target_in_flight: 3 }", "autoscaler.hpa.target_running", "one target"),
        ("kpa: { target_concurrency: 4, target_waiting: 3 }", "autoscaler.kpa.target_waiting", "one target"),
        ("queue: { target_running: 0 }", "autoscaler.queue.target_running", "above 0"),
        ("kpa: { tick: 2s }", "autoscaler.kpa.target_concurrency", "missing"),
    ] {
        let err = scenario::from_yaml(&yaml(1, 100, 10, llm, scaler)).expect_err(scaler).to_string();
        assert!(err.contains(key) && err.contains(words), "{scaler}: {err}");
    }
    // KEDA at zero on a signal only a running replica has: refused.
    let zero = yaml(1, 100, 10, llm, "queue: { target_kv_utilization: 0.8 }").replace("min: 1", "min: 0");
    let err = scenario::from_yaml(&zero).expect_err("zero").to_string();
    assert!(err.contains("autoscaler.queue.target_kv_utilization") && err.contains("wake"), "{err}");
}
