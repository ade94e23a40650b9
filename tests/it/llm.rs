//! LLM serving through whole runs, worked by hand (SPEC "LLM serving (token level)").
//!
//! Every case uses `items` arrivals (all at time 0) and the fitted step time with round
//! coefficients, so each iteration's length is a sum of a few terms in milliseconds; iteration
//! lengths are rounded to whole nanoseconds, so times are compared to 1 ns. Latency maxima and
//! means are exact (not histogram buckets).

use crate::common::{run, scenario};
use fleetsim::metrics::Summary;

/// One pool of `replicas` on-demand g5.xlarge, `count` items of `prompt` tokens each producing
/// `output` tokens, `llm` the engine's keys (YAML flow mapping entries).
fn yaml(count: u32, prompt: u32, output: u32, replicas: u32, llm: &str) -> String {
    format!(
        "name: llm-hand\nhorizon: 1h\nworkload:\n  arrivals: {{ items: {{ count: {count}, size: {prompt} }} }}\n  \
         tokens: {{ output: {{ fixed: {output} }} }}\n\
         llm: {{ {llm} }}\nfleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, count: {replicas} }}\n"
    )
}

/// Prefill `[10, 0.1, 0.001]` ms, decode `[5, 0.01, 1]` ms.
const FITTED: &str = "step_time: { fitted: { prefill_ms: [10, 0.1, 0.001], decode_ms: [5, 0.01, 1] } }";

fn run_yaml(y: &str) -> Summary {
    run(&scenario(y)).summary
}

/// Seconds → whole nanoseconds, to compare times exactly.
fn ns(s: f64) -> i64 {
    (s * 1e9).round() as i64
}

fn assert_ms(what: &str, got_s: f64, want_ms: f64) {
    let (got, want) = (ns(got_s), (want_ms * 1e6).round() as i64);
    assert!((got - want).abs() <= 1, "{what}: {got} ns, expected {want} ns");
}

/// Decode iteration of k sequences with contexts summing to `sum_c`, in ms.
fn decode_ms(k: u32, sum_c: u32) -> f64 {
    5.0 + 0.01 * f64::from(sum_c) + f64::from(k)
}

#[test]
fn one_request_alone() {
    // P = 100, O = 10. Prefill: 10 + 0.1·100 + 0.001·100² = 30 ms → token 1 (TTFT).
    // Then 9 decodes with C = 101 … 109: Σ (5 + 0.01·C + 1) = 54 + 9.45 = 63.45 ms.
    let s = run_yaml(&yaml(1, 100, 10, 1, &format!("max_model_len: 4096, kv_cache_tokens: 100000, {FITTED}")));
    let t = s.token.as_ref().expect("LLM figures");
    assert_ms("TTFT", t.ttft_s.max, 30.0);
    let decodes: f64 = (101..=109).map(|c| decode_ms(1, c)).sum();
    assert!((decodes - 63.45).abs() < 1e-9);
    assert_ms("TPOT", t.tpot_s.max, decodes / 9.0);
    assert_ms("end to end", s.latency_s.max, 30.0 + decodes);
    assert_ms("ITL max", t.itl_s.max, decode_ms(1, 109));
    assert_eq!(t.llm.iterations, 10);
    assert_eq!((t.tokens.prompt, t.tokens.output), (100, 10));
    assert_eq!(s.requests.completed, 1);
    assert_eq!(t.kv.preemptions, 0);
    // Tokens per iteration: 100 (the prefill) + 9 × 1, over 10 iterations.
    assert!((t.llm.mean_batch_tokens - 10.9).abs() < 1e-12);
}

#[test]
fn two_requests_together_under_vllm() {
    // One prefill of both: 10 + 0.1·200 + 0.001·(100² + 100²) = 50 ms; then 9 decodes of two with
    // contexts C + C for C = 101 … 109: Σ (5 + 0.02·C + 2) = 63 + 18.9 = 81.9 ms.
    let s = run_yaml(&yaml(
        2,
        100,
        10,
        1,
        &format!("scheduler: vllm, max_model_len: 4096, kv_cache_tokens: 100000, {FITTED}"),
    ));
    let t = s.token.as_ref().unwrap();
    assert_ms("TTFT (both)", t.ttft_s.max, 50.0);
    assert_ms("TTFT mean", t.ttft_s.mean, 50.0);
    let decodes: f64 = (101..=109).map(|c| decode_ms(2, 2 * c)).sum();
    assert!((decodes - 81.9).abs() < 1e-9);
    assert_ms("completion (both)", s.latency_s.max, 50.0 + decodes);
    assert_ms("TPOT", t.tpot_s.max, decodes / 9.0);
    assert_eq!(t.llm.iterations, 10);
}

#[test]
fn two_requests_together_under_chunked() {
    // Budget 150 tokens. Iteration 1: A's 100 prompt tokens and a 50-token chunk of B:
    //   10 + 0.1·150 + 0.001·(100² + 50²) = 37.5 ms → A's token 1.
    // Iteration 2: A decodes (C = 101) and B's last 50 (p = 50): prefill base 10, 0.1·50,
    //   0.001·(100² − 50²) = 7.5, decode terms 0.01·101 + 1 → 24.51 ms → A's token 2, B's token 1.
    // Iterations 3–10: both decode, C_A = 102 … 109, C_B = 101 … 108 → A completes (O = 10).
    // Iteration 11: B alone, C = 109 → B completes.
    let llm = format!(
        "scheduler: chunked, max_num_batched_tokens: 150, max_num_seqs: 8, max_model_len: 4096, kv_cache_tokens: 100000, {FITTED}"
    );
    let s = run_yaml(&yaml(2, 100, 10, 1, &llm));
    let t = s.token.as_ref().unwrap();
    let first = 37.5;
    let second = 10.0 + 5.0 + 7.5 + 0.01 * 101.0 + 1.0;
    let both: f64 = (0..8).map(|i| decode_ms(2, (102 + i) + (101 + i))).sum();
    let a_done = first + second + both;
    let b_done = a_done + decode_ms(1, 109);
    assert_ms("TTFT of B (max)", t.ttft_s.max, first + second);
    assert_ms("TTFT mean", t.ttft_s.mean, (first + (first + second)) / 2.0);
    assert_ms("completion of B (max)", s.latency_s.max, b_done);
    assert_ms("latency mean", s.latency_s.mean, (a_done + b_done) / 2.0);
    assert_eq!(t.llm.iterations, 11);
}

#[test]
fn a_chunked_prompt_costs_what_the_whole_prompt_costs() {
    // With no per-iteration prefill base, chunks of 128, 128 and 44 tokens of a 300-token prompt
    // cost b·k + c·((p + k)² − p²) each: they telescope to b·300 + c·300², the unchunked cost.
    let st = "step_time: { fitted: { prefill_ms: [0, 0.1, 0.001], decode_ms: [5, 0.01, 1] } }";
    let whole =
        run_yaml(&yaml(1, 300, 1, 1, &format!("scheduler: vllm, max_model_len: 4096, kv_cache_tokens: 100000, {st}")));
    let chunked = run_yaml(&yaml(
        1,
        300,
        1,
        1,
        &format!(
            "scheduler: chunked, max_num_batched_tokens: 128, max_num_seqs: 8, max_model_len: 4096, kv_cache_tokens: 100000, {st}"
        ),
    ));
    let (w, c) = (whole.token.as_ref().unwrap(), chunked.token.as_ref().unwrap());
    // 0.1·300 + 0.001·300² = 120 ms either way; O = 1 completes at its first token.
    assert_ms("TTFT unchunked", w.ttft_s.max, 120.0);
    assert_ms("TTFT chunked", c.ttft_s.max, 120.0);
    assert_eq!((w.llm.iterations, c.llm.iterations), (1, 3));
    assert_eq!(c.tpot_s.max, 0.0, "O = 1 has no TPOT");
}

#[test]
fn a_small_kv_cache_forces_one_preemption() {
    // Blocks of 10 tokens, 22 blocks. A and B (P = 100, O = 20) are prefilled together (10 blocks
    // each), then decode; at C = 101 each takes an 11th block (22 in use). At C = 111 A needs a
    // 12th: none is free, so B — the most recently admitted — is preempted, with 11 tokens made.
    // A decodes alone to token 20 (C = 111 … 119) and frees its 12 blocks; then B is recomputed
    // (prefill of 100 + 11 = 111 tokens → token 12) and decodes alone (C = 112 … 119).
    let st = FITTED;
    let s = run_yaml(&yaml(
        2,
        100,
        20,
        1,
        &format!("scheduler: vllm, block_size: 10, max_model_len: 200, kv_cache_tokens: 220, {st}"),
    ));
    let t = s.token.as_ref().unwrap();
    assert_eq!(t.kv.preemptions, 1);
    let prefill =
        |tokens: &[f64]| 10.0 + 0.1 * tokens.iter().sum::<f64>() + 0.001 * tokens.iter().map(|p| p * p).sum::<f64>();
    let together: f64 = (101..=110).map(|c| decode_ms(2, 2 * c)).sum();
    let a_alone: f64 = (111..=119).map(|c| decode_ms(1, c)).sum();
    let a_done = prefill(&[100.0, 100.0]) + together + a_alone;
    let b_done = a_done + prefill(&[111.0]) + (112..=119).map(|c| decode_ms(1, c)).sum::<f64>();
    assert_ms("B's completion (max)", s.latency_s.max, b_done);
    assert_ms("latency mean", s.latency_s.mean, (a_done + b_done) / 2.0);
    // B keeps its first token's time across the recompute: both TTFTs are the first prefill.
    assert_ms("TTFT (both)", t.ttft_s.max, prefill(&[100.0, 100.0]));
    // 1 + 10 + 9 iterations before B's recompute, then 1 + 8.
    assert_eq!(t.llm.iterations, 29);
    assert_eq!((t.tokens.output, s.requests.completed), (40, 2));
}

#[test]
fn requests_above_max_model_len_are_rejected_and_counted() {
    // P + O = 110 > 100: refused by every replica, counted as rejected (and dropped).
    let s = run_yaml(&yaml(3, 100, 10, 2, &format!("max_model_len: 100, kv_cache_tokens: 100000, {FITTED}")));
    assert_eq!(s.requests.rejected, Some(3));
    assert_eq!((s.requests.dropped, s.requests.completed, s.requests.in_flight), (3, 0, 0));
}
