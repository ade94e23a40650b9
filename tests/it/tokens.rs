//! `workload.tokens`: lengths for arrivals that carry none, feeding the batch time's token terms;
//! a token term with no lengths anywhere is refused, never ignored.

use super::common::{fleetsim, run, run_in_dir, scenario};

/// One replica, a request every second (none waits), one request per batch.
fn yaml(arrivals: &str, batch_time: &str, tokens: &str) -> String {
    format!(
        "name: tok\nhorizon: 100s\nseed: 3\n\
         workload:\n  arrivals:\n    {arrivals}\n{tokens}\
         service:\n  batch_time: {batch_time}\n\
         fleet:\n  pools:\n    - {{ name: p, instance: g5.xlarge, count: 1 }}\n"
    )
}

fn error(yaml: &str) -> String {
    fleetsim::scenario::from_yaml(yaml).expect_err("expected an error").to_string()
}

/// Before: poisson arrivals carry 0 tokens, so both terms were silently 0.
#[test]
fn a_token_term_without_lengths_is_refused() {
    let bt = "{ base: 10ms, per_input_token: 1ms }";
    let e = error(&yaml("poisson: { rate: 1/s }", bt, ""));
    assert!(e.contains("service.batch_time.per_input_token: the arrivals (poisson) carry no prompt lengths"), "{e}");
    assert!(e.contains("give workload.tokens.prompt"), "{e}");
    let bt = "{ base: 10ms, per_output_token: 1ms }";
    let e = error(&yaml("diurnal: { mean: 1/s, peak_to_trough: 2 }", bt, "  tokens: { prompt: { fixed: 5 } }\n"));
    assert!(e.contains("service.batch_time.per_output_token: the arrivals (diurnal) carry no output lengths"), "{e}");
    // A pool's own batch time is checked the same way.
    let pool = yaml("poisson: { rate: 1/s }", "{ base: 10ms }", "")
        .replace("count: 1 }", "count: 1, service: { batch_time: { base: 1ms, per_input_token: 1us } } }");
    let e = error(&pool);
    assert!(e.contains("fleet.pools[0].service.batch_time.per_input_token: the arrivals (poisson)"), "{e}");
    // Items carry a prompt length (their size) but no output length.
    let e = error(&yaml("items: { count: 10, size: 100 }", "{ base: 1ms, per_output_token: 1ms }", ""));
    assert!(e.contains("the arrivals (items) carry no output lengths"), "{e}");
}

#[test]
fn lengths_that_nothing_uses_are_refused() {
    let e = error(&yaml("constant: { rate: 1/s }", "{ base: 10ms }", "  tokens: { output: { fixed: 5 } }\n"));
    assert!(e.contains("workload.tokens.output: no batch time has a per_output_token term"), "{e}");
    let e = error(&yaml(
        "items: { count: 10, size: 100 }",
        "{ base: 1ms, per_input_token: 1ms }",
        "  tokens: { prompt: { fixed: 5 } }\n",
    ));
    assert!(e.contains("workload.tokens.prompt: the items carry their prompt length"), "{e}");
}

/// Constant arrivals every second, one replica, batches of one: no request waits, so latency is
/// the batch time: 10 ms + 100 × 1 ms + 20 × 2 ms = 150 ms, for all 100 requests.
#[test]
fn fixed_lengths_give_hand_worked_batch_times() {
    let s = scenario(&yaml(
        "constant: { rate: 1/s }",
        "{ base: 10ms, per_input_token: 1ms, per_output_token: 2ms }",
        "  tokens: { prompt: { fixed: 100 }, output: { fixed: 20 } }\n",
    ));
    let m = run(&s).summary;
    assert_eq!(m.requests.completed, 100);
    assert_eq!(m.latency_s.mean, 0.15);
    assert_eq!(m.latency_s.max, 0.15);
}

/// Uniform prompts [1, 100], no other term: batch time = P ms, so the mean latency estimates the
/// mean length 50.5 ms. 100 requests: standard error √((100² − 1)/12)/√100 ≈ 2.9 ms; 4 standard
/// errors is 11.6 ms.
#[test]
fn uniform_lengths_have_their_mean() {
    let s = scenario(&yaml(
        "constant: { rate: 1/s }",
        "{ per_input_token: 1ms }",
        "  tokens: { prompt: { uniform: [1, 100] } }\n",
    ));
    let m = run(&s).summary;
    assert!((m.latency_s.mean - 0.0505).abs() < 0.0116, "mean {}", m.latency_s.mean);
    assert!(m.latency_s.max <= 0.1 && m.latency_s.max > 0.09, "max {}", m.latency_s.max);
}

/// Lengths come from their own streams: the arrivals (poisson) and the interruptions of a spot
/// pool are the same whatever the length distribution, and the output lengths do not move when
/// the prompt distribution changes (common random numbers).
#[test]
fn lengths_do_not_shift_arrivals_or_interruptions() {
    let base = |tokens: &str| {
        format!(
            "name: crn\nhorizon: 2h\nseed: 5\n\
             workload:\n  arrivals:\n    poisson: {{ rate: 2/s }}\n{tokens}\
             service:\n  batch_time: {{ base: 5ms, per_input_token: 10us, per_output_token: 1ms }}\n\
             fleet:\n  pools:\n    - {{ name: s, instance: g5.xlarge, market: spot, count: 3 }}\n\
             spot:\n  interruptions:\n    hazard: {{ per_hour: 2 }}\n  price:\n    constant: 0.4\n"
        )
    };
    let a = run(&scenario(&base("  tokens: { prompt: { fixed: 100 }, output: { fixed: 50 } }\n"))).summary;
    let b = run(&scenario(&base(
        "  tokens: { prompt: { lognormal: { mean: 900, cv: 2 } }, output: { uniform: [1, 400] } }\n",
    )))
    .summary;
    assert_eq!(a.requests.arrived, b.requests.arrived);
    assert_eq!(a.fleet.interruptions, b.fleet.interruptions);
    assert!(a.fleet.interruptions > 0);
    assert_ne!(a.latency_s.mean, b.latency_s.mean, "the lengths do change batch times");
}

/// Prompt and output resampled from the Azure conversation trace: with one request per batch
/// and no queueing, mean latency = 1 ms + 1 µs × mean P + 100 µs × mean O over the drawn rows.
/// Over the trace's 19,366 rows (awk): P̄ = 1154.70, Ō = 211.13 → 23.267 ms expected; the
/// per-row latency's standard deviation is 16.2 ms, so over 3,600 draws the standard error is
/// 0.27 ms, and 4 standard errors is 1.1 ms.
#[test]
fn empirical_lengths_resample_a_real_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv");
    let yaml = yaml(
        "constant: { rate: 1/s }",
        "{ base: 1ms, per_input_token: 1us, per_output_token: 100us }",
        &format!(
            "  tokens:\n    prompt: {{ empirical: {{ path: {0}, format: azure-llm }} }}\n    output: {{ empirical: {{ path: {0}, format: azure-llm }} }}\n",
            trace.display()
        ),
    )
    .replace("horizon: 100s", "horizon: 1h");
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, yaml).unwrap();
    let m = super::common::run_file(&path).summary;
    assert_eq!(m.requests.completed, 3600);
    assert!((m.latency_s.mean - 0.023267).abs() < 0.0011, "mean {}", m.latency_s.mean);
}

/// A trace row keeps its own lengths; a trace without the output column gets outputs from
/// `workload.tokens`: rows (P, –) at 0, 1, 2 s with P = 10, 20, 30, output fixed 7, batch time
/// 1 ms·P + 1 ms·O → 17, 27, 37 ms.
#[test]
fn trace_rows_keep_their_lengths_and_missing_columns_are_filled() {
    let yaml = "name: t\nhorizon: 10s\n\
        workload:\n  arrivals:\n    trace: { path: t.csv, format: csv }\n  tokens: { output: { fixed: 7 } }\n\
        service:\n  batch_time: { per_input_token: 1ms, per_output_token: 1ms }\n\
        fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n";
    let m = run_in_dir(yaml, &[("t.csv", "time,tokens_in\n0,10\n1,20\n2,30\n")]).summary;
    assert_eq!(m.requests.completed, 3);
    assert!((m.latency_s.mean - 0.027).abs() < 1e-12, "mean {}", m.latency_s.mean);
    assert_eq!(m.latency_s.max, 0.037);
}

/// Before: a trace without token columns ran with both terms silently 0.
#[test]
fn a_trace_without_the_column_a_term_needs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "time\n0\n1\n").unwrap();
    let s = dir.path().join("s.yaml");
    std::fs::write(
        &s,
        "name: t\nhorizon: 10s\nworkload:\n  arrivals:\n    trace: { path: t.csv }\n\
         service:\n  batch_time: { base: 1ms, per_output_token: 1ms }\n\
         fleet:\n  pools:\n    - { name: p, instance: g5.xlarge, count: 1 }\n",
    )
    .unwrap();
    let out = fleetsim().args(["run", s.to_str().unwrap(), "--out"]).arg(dir.path().join("out")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("t.csv:1: no \"tokens_out\" column, so service.batch_time.per_output_token would be ignored"),
        "{stderr}"
    );
    assert!(stderr.contains("give workload.tokens.output"), "{stderr}");
}
