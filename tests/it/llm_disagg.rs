//! Disaggregated prefill and decode through whole runs, worked by hand (SPEC "LLM serving (token
//! level)", "Disaggregated").
//!
//! As in `llm.rs`: `items` arrivals at time 0, prefill `[10, 0.1, 0.001]` ms and decode
//! `[5, 0.01, 1]` ms, times compared to 1 ns. The KV link: 2 ms + P × 100 kB / 1 GB/s, so a
//! 100-token prompt's KV takes 2 + 10 = 12 ms.

use crate::common::{run, scenario};
use fleetsim::metrics::Summary;

const FITTED: &str = "step_time: { fitted: { prefill_ms: [10, 0.1, 0.001], decode_ms: [5, 0.01, 1] } }";

/// `count` items of `prompt` tokens producing `output` each, on `prefill` + `decode` on-demand
/// g5.xlarge replicas.
fn yaml(count: u32, prompt: u32, output: u32, prefill: u32, decode: u32, extra: &str) -> String {
    format!(
        "name: llm-disagg\nhorizon: 1h\nworkload:\n  arrivals: {{ items: {{ count: {count}, size: {prompt} }} }}\n  \
         tokens: {{ output: {{ fixed: {output} }} }}\n\
         llm:\n  max_model_len: 4096\n  kv_cache_tokens: 100000\n  {FITTED}\n  \
         disaggregated: {{ prefill_pool: pre, decode_pool: dec, kv_transfer: {{ bandwidth: 1GB/s, latency: 2ms, bytes_per_token: 100kB }} }}\n\
         {extra}fleet:\n  pools:\n    - {{ name: pre, instance: g5.xlarge, count: {prefill} }}\n    \
         - {{ name: dec, instance: g5.xlarge, count: {decode} }}\n"
    )
}

fn run_yaml(y: &str) -> Summary {
    run(&scenario(y)).summary
}

fn assert_ms(what: &str, got_s: f64, want_ms: f64) {
    let (got, want) = ((got_s * 1e9).round() as i64, (want_ms * 1e6).round() as i64);
    assert!((got - want).abs() <= 1, "{what}: {got} ns, expected {want} ns");
}

/// Decode iteration of k sequences with contexts summing to `sum_c`, in ms.
fn decode_ms(k: u32, sum_c: u32) -> f64 {
    5.0 + 0.01 * f64::from(sum_c) + f64::from(k)
}

const TRANSFER_MS: f64 = 12.0;

#[test]
fn one_request_with_its_transfer() {
    // P = 100, O = 10. Prefill on `pre`: 10 + 0.1·100 + 0.001·100² = 30 ms → token 1 (TTFT 30 ms).
    // The KV lands on `dec` at 42 ms; 9 decodes with C = 101 … 109 there: 63.45 ms.
    let s = run_yaml(&yaml(1, 100, 10, 1, 1, ""));
    let t = s.token.as_ref().expect("LLM figures");
    let decodes: f64 = (101..=109).map(|c| decode_ms(1, c)).sum();
    assert!((decodes - 63.45).abs() < 1e-9);
    assert_ms("TTFT (the transfer does not change it)", t.ttft_s.max, 30.0);
    assert_ms("end to end", s.latency_s.max, 30.0 + TRANSFER_MS + decodes);
    assert_ms("TPOT", t.tpot_s.max, (TRANSFER_MS + decodes) / 9.0);
    // The second token waits for the transfer: the longest gap is 12 ms + the first decode.
    assert_ms("ITL max", t.itl_s.max, TRANSFER_MS + decode_ms(1, 101));
    assert_eq!(t.llm.iterations, 10, "one prefill, nine decodes, no prefill on the decode replica");
    assert_eq!((t.kv.transfers, t.kv.transfer_mean_s.map(|x| (x * 1e9).round())), (Some(1), Some(12e6)));
    assert_eq!((s.requests.completed, s.requests.retried, s.requests.in_flight), (1, 0, 0));
    assert_eq!((t.tokens.prompt, t.tokens.output), (100, 10));
}

#[test]
fn transfers_landing_together_share_the_first_decode() {
    // One prefill of both: 50 ms. Both KV land at 62 ms on the one decode replica and join one
    // iteration: 9 decodes of two, C + C for C = 101 … 109, 81.9 ms.
    let s = run_yaml(&yaml(2, 100, 10, 1, 1, ""));
    let t = s.token.as_ref().unwrap();
    let decodes: f64 = (101..=109).map(|c| decode_ms(2, 2 * c)).sum();
    assert!((decodes - 81.9).abs() < 1e-9);
    assert_ms("TTFT", t.ttft_s.max, 50.0);
    assert_ms("both complete", s.latency_s.max, 50.0 + TRANSFER_MS + decodes);
    assert_ms("latency mean", s.latency_s.mean, 50.0 + TRANSFER_MS + decodes);
    assert_eq!(t.llm.iterations, 10);
    assert_eq!(t.kv.transfers, Some(2));
}

#[test]
fn the_decode_router_spreads_transfers() {
    // As above, but two decode replicas under least_outstanding: one sequence each, each alone.
    let s = run_yaml(&yaml(2, 100, 10, 1, 2, "router: least_outstanding\n"));
    let t = s.token.as_ref().unwrap();
    let decodes: f64 = (101..=109).map(|c| decode_ms(1, c)).sum();
    assert_ms("both complete", s.latency_s.max, 50.0 + TRANSFER_MS + decodes);
    assert_ms("latency mean", s.latency_s.mean, 50.0 + TRANSFER_MS + decodes);
    assert_eq!(t.llm.iterations, 1 + 2 * 9);
}

#[test]
fn a_one_token_request_completes_at_its_prefill() {
    // O = 1: the prefill produces the only token; nothing moves to the decode side.
    let s = run_yaml(&yaml(3, 100, 1, 1, 1, ""));
    let t = s.token.as_ref().unwrap();
    assert_ms("completion", s.latency_s.max, 10.0 + 0.1 * 300.0 + 0.001 * 3.0 * 100.0 * 100.0);
    assert_eq!((t.kv.transfers, s.requests.completed), (Some(0), 3));
}

#[test]
fn colocated_runs_report_no_transfers() {
    let y = yaml(1, 100, 10, 1, 1, "").replace(
        "  disaggregated: { prefill_pool: pre, decode_pool: dec, kv_transfer: { bandwidth: 1GB/s, latency: 2ms, bytes_per_token: 100kB } }\n",
        "",
    );
    let s = run_yaml(&y);
    assert_eq!(s.token.as_ref().unwrap().kv.transfers, None);
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("transfer"), "{json}");
}

#[test]
fn bad_disaggregations_name_the_key() {
    let base = yaml(1, 100, 10, 1, 1, "");
    let cases = [
        ("decode_pool: dec", "decode_pool: gpu", "llm.disaggregated.decode_pool", "no pool is named \"gpu\""),
        ("decode_pool: dec", "decode_pool: pre", "llm.disaggregated.decode_pool", "named twice"),
        ("decode_pool: dec", "decode_pool: []", "llm.disaggregated.decode_pool", "names no pool"),
        ("bandwidth: 1GB/s", "bandwidth: 1GB", "llm.disaggregated.kv_transfer.bandwidth", "per second"),
        (
            "bytes_per_token: 100kB",
            "bytes_per_token: 100 apples",
            "llm.disaggregated.kv_transfer.bytes_per_token",
            "unknown size unit",
        ),
        ("bytes_per_token: 100kB", "bytes_per_token: 0", "llm.disaggregated.kv_transfer.bytes_per_token", "positive"),
        (
            "count: 1 }\n",
            "count: 1 }\n    - { name: third, instance: g5.xlarge, count: 1 }\n",
            "llm.disaggregated",
            "\"third\" is neither",
        ),
        (
            "count: 1 }\n",
            "count: 1, llm: { disaggregated: { prefill_pool: a, decode_pool: b, kv_transfer: { bandwidth: 1GB/s, bytes_per_token: 1 } } } }\n",
            "fleet.pools[0].llm.disaggregated",
            "the fleet's",
        ),
    ];
    for (from, to, key, words) in cases {
        let y = base.replacen(from, to, 1);
        assert_ne!(y, base, "{from}");
        let err = fleetsim::scenario::from_yaml(&y).expect_err(to).to_string();
        assert!(err.contains(key) && err.contains(words), "{to}: {err}");
    }
}

/// The determinism tests' LLM fleet disaggregated: the on-demand pool prefills, the spot pool
/// (interrupted without notice, under the HPA) decodes, so decode replicas lose their KV and
/// sequences are recomputed elsewhere, transfers land on replicas that have gone, and each side
/// scales apart.
fn disaggregated_det() -> String {
    let y = super::determinism::LLM.replace(
        "  kv_cache_tokens: 6000\n",
        "  kv_cache_tokens: 6000\n  disaggregated: { prefill_pool: od, decode_pool: sp, kv_transfer: { bandwidth: 2GB/s, latency: 5ms, bytes_per_token: 128KiB } }\n",
    );
    assert!(y.contains("disaggregated"));
    y
}

#[test]
fn a_disaggregated_run_is_the_same_on_any_thread_and_in_a_sweep() {
    let y = disaggregated_det();
    let out = run(&scenario(&y));
    let (r, f) = (&out.summary.requests, &out.summary.fleet);
    let t = out.summary.token.as_ref().unwrap();
    assert!(t.kv.transfers > Some(100) && r.retried > 0 && f.interruptions > 0 && f.scale_ups > 0, "{r:?} {f:?} {t:?}");
    assert!(r.completed > 300, "{r:?}");
    let json = |s: Summary| {
        let mut v = serde_json::to_value(&s).unwrap();
        v["engine"]["wall_s"] = serde_json::Value::Null;
        v.to_string()
    };
    let alone = json(out.summary);
    let s = scenario(&y);
    let on_threads: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3).map(|_| scope.spawn(|| json(run(&s).summary))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for summary in on_threads {
        assert_eq!(summary, alone);
    }
    use super::sweep::{runs_without_wall, sweep};
    let dir = tempfile::tempdir().unwrap();
    let path = super::common::write(dir.path(), "s.yaml", &y);
    let args = ["--set", "llm.max_num_seqs=8,32", "--replications", "2"];
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sweep(&path, &[&args[..], &["--threads", "1"]].concat(), &one);
    sweep(&path, &[&args[..], &["--threads", "2"]].concat(), &two);
    assert_eq!(runs_without_wall(&one), runs_without_wall(&two));
}
