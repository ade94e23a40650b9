//! LLM replicas sized from a model and a GPU (SPEC "Models, GPUs and step times without a
//! profile"): replicas per instance, billed once and interrupted together; the KV capacity
//! derived beside the weights; what does not fit; models a scenario adds.

use crate::common::{run, run_in_dir, scenario};
use fleetsim::scenario::from_yaml;

/// Prefill `[10, 0.1, 0.001]` ms, decode `[5, 0.01, 1]` ms (as in `llm.rs`).
const FITTED: &str = "step_time: { fitted: { prefill_ms: [10, 0.1, 0.001], decode_ms: [5, 0.01, 1] } }";

/// One request of P = 100, O = 10 alone on a replica: prefill 10 + 0.1·100 + 0.001·100² = 30 ms
/// (TTFT), then 9 decodes with C = 101 … 109, Σ (5 + 0.01·C + 1) = 63.45 ms: 93.45 ms end to end.
const ALONE_MS: f64 = 93.45;

fn ms(s: f64) -> f64 {
    (s * 1e9).round() / 1e6
}

#[test]
fn eight_gpus_at_tensor_parallel_2_are_four_replicas_billed_as_one_instance() {
    // A p4d.24xlarge (8 × A100-40GB, $21.957642/h on demand) at tp 2 hosts 4 replicas. Four items
    // at time 0 under least_outstanding go one to each replica (ties to the lowest index), so
    // each runs alone: TTFT 30 ms and 93.45 ms end to end for all four. One replica would have
    // prefilled all four together (10 + 0.1·400 + 0.001·4·100² = 90 ms to the first token).
    let yaml = format!(
        "name: tp\nhorizon: 1h\nworkload:\n  arrivals: {{ items: {{ count: 4, size: 100 }} }}\n  \
         tokens: {{ output: {{ fixed: 10 }} }}\n\
         llm: {{ max_model_len: 4096, kv_cache_tokens: 100000, tensor_parallel: 2, {FITTED} }}\n\
         fleet:\n  pools:\n    - {{ name: a, instance: p4d.24xlarge, count: 1 }}\n"
    );
    let sc = scenario(&yaml);
    let out = run(&sc);
    let market = fleetsim::fleet::market::MarketData::default();
    let held = fleetsim::check::invariants::check(&sc, &market, &out);
    assert_eq!(held.broken, Vec::<String>::new(), "the checker's invariants hold with 4 replicas per instance");
    let s = out.summary;
    let t = s.token.as_ref().expect("LLM figures");
    assert_eq!(s.requests.completed, 4);
    assert_eq!(ms(t.ttft_s.max), 30.0);
    assert_eq!(ms(s.latency_s.max), ALONE_MS);
    assert_eq!(ms(s.latency_s.mean), ALONE_MS);
    assert_eq!(s.fleet.max_replicas, 4, "four replicas served");
    assert_eq!(s.fleet.instances_launched, 1);
    assert_eq!(s.pools[0].instances_launched, 1);
    // The run lasts 93.45 ms; the instance is billed once, at the 60 s minimum:
    // $21.957642/h × 60 s / 3,600 s = $0.3659607.
    assert!((s.fleet.instance_hours - ALONE_MS / 1e3 / 3_600.0).abs() < 1e-12, "{}", s.fleet.instance_hours);
    assert!((s.cost_usd.total - 21.957642 / 60.0).abs() < 1e-9, "{}", s.cost_usd.total);
    // Each replica was busy the whole run: 4 × 93.45 ms of replica time over 4 × 93.45 ms.
    assert!((s.fleet.utilization - 1.0).abs() < 1e-9, "{}", s.fleet.utilization);
}

#[test]
fn one_interruption_stops_all_four_replicas_of_an_instance() {
    // An on-demand g5.xlarge (replica 0) and a spot p4d.24xlarge at tp 2 (replicas 1–4), whose
    // capacity an availability trace withdraws at 50 ms, with a 10 ms notice. Five items at time
    // 0 go one to each replica. At 50 ms the four spot replicas take nothing new but keep
    // decoding; at 60 ms the instance stops with each request mid-decode (they would finish at
    // 93.45 ms): all four are routed again to replica 0, the only ready one (no spot capacity is
    // left for a replacement), and recomputed there. One interruption, four retries, five
    // completions, and the four retried requests finish after 93.45 ms.
    let yaml = format!(
        "name: tp-spot\nhorizon: 1h\nworkload:\n  arrivals: {{ items: {{ count: 5, size: 100 }} }}\n  \
         tokens: {{ output: {{ fixed: 10 }} }}\n\
         llm: {{ max_model_len: 4096, kv_cache_tokens: 100000, {FITTED} }}\n\
         fleet:\n  pools:\n    - {{ name: od, instance: g5.xlarge, count: 1 }}\n    \
         - {{ name: sp, instance: p4d.24xlarge, market: spot, count: 1, llm: {{ tensor_parallel: 2 }} }}\n\
         spot:\n  interruptions:\n    trace: {{ path: a.csv, format: csv }}\n  price:\n    constant: 8.0\n  notice: 10ms\n"
    );
    let trace = "time,zone,instance,available\n0,default,p4d.24xlarge,1\n0.05,default,p4d.24xlarge,0\n";
    let out = run_in_dir(&yaml, &[("a.csv", trace)]);
    let s = &out.summary;
    assert_eq!(s.fleet.interruptions, 1, "one instance, one interruption");
    assert_eq!(s.pools[1].interruptions, 1);
    assert_eq!(s.requests.retried, 4, "the four spot replicas' requests");
    assert_eq!(s.requests.completed, 5);
    assert_eq!(s.fleet.max_replicas, 5);
    assert!(ms(s.latency_s.max) > ALONE_MS, "the retried requests finish later: {}", s.latency_s.max);
    assert_eq!(s.fleet.instances_launched, 2);
    // One bill for the spot instance (not one per replica): 60 ms at the 60 s minimum, $8 × 60 / 3,600.
    assert_eq!(out.audit.instances.iter().filter(|b| b.pool == 1).count(), 1);
    assert!((s.cost_usd.spot - 8.0 / 60.0).abs() < 1e-9, "{}", s.cost_usd.spot);
}

/// `llm: { model: … }` on one pool of `instance`, Poisson arrivals.
fn model_yaml(instance: &str, llm: &str) -> String {
    format!(
        "name: m\nhorizon: 1m\nworkload:\n  arrivals:\n    poisson: {{ rate: 1/s }}\n  \
         tokens: {{ prompt: {{ fixed: 500 }}, output: {{ fixed: 50 }} }}\n\
         llm: {{ {llm} }}\nfleet:\n  pools:\n    - {{ name: a, instance: {instance}, count: 1 }}\n"
    )
}

#[test]
fn llama_3_8b_on_an_a10g_holds_the_kv_cache_left_beside_its_weights() {
    // Llama-3-8B (8,030,261,248 parameters; 32 layers × 8 KV heads × 128 × 2 (K, V) × 2 B =
    // 131,072 B of KV per token) at bf16 on one A10G (24 GiB), gpu_memory_utilization 0.9:
    //   usable   0.9 × 24 × 2^30          = 23,192,823,398.4 B
    //   weights  8,030,261,248 × 2        = 16,060,522,496 B
    //   reserve  2^30 + 8,192 × (2 × 14,336 + 4 × 4,096) × 2 B = 1,811,939,328 B
    //            (max_model_len defaults to the model's 8,192, and so max_num_batched_tokens)
    //   left     5,320,361,574.4 B / 131,072 B = 40,591.1 → 40,591 tokens.
    let s = scenario(&model_yaml("g5.xlarge", "model: llama-3-8b"));
    let pool = &s.serving().unwrap().llm().unwrap().pools[0];
    assert_eq!(pool.config.kv_cache_tokens, 40_591);
    assert_eq!(pool.config.max_model_len, 8_192);
    assert_eq!(pool.replicas_per_instance, 1);
    let kv = s.assumptions.iter().find(|a| a.key == "llm.kv_cache_tokens").expect("the derived KV cache is stated");
    assert!(kv.value.starts_with("40591 tokens"), "{}", kv.value);
    // At fp8 KV the same memory holds twice the tokens; fp8 weights leave 8,030,261,248 B more.
    let s = scenario(&model_yaml("g5.xlarge", "model: llama-3-8b, kv_precision: fp8"));
    assert_eq!(s.serving().unwrap().llm().unwrap().pools[0].config.kv_cache_tokens, 81_182);
    // The run works through the roofline.
    let out = run(&scenario(&model_yaml("g5.xlarge", "model: llama-3-8b")));
    assert!(out.summary.requests.completed > 0);
    assert!(out.summary.token.as_ref().unwrap().ttft_s.p50 > 0.0);
}

#[test]
fn a_70b_model_at_bf16_does_not_fit_one_80_gb_gpu_and_says_what_would() {
    let e = from_yaml(&model_yaml("a2-ultragpu-1g", "model: llama-3-70b, precision: bf16")).unwrap_err().to_string();
    assert!(
        e.contains(
            "llm.model: llama-3-70b at bf16 does not fit on 1 × A100-80GB: weights 131.4 GiB + reserve 2.4 GiB leave \
             no KV cache in the 72.0 GiB that gpu_memory_utilization 0.9 allows; what would fit: tensor_parallel: 2 \
             on an instance type with 2 or more GPUs; or precision: fp8 or int8 or int4 (instance type a2-ultragpu-1g, 1 GPU(s))"
        ),
        "{e}"
    );
    // At fp8 it fits; at tp 2 on a 1-GPU type, the GPUs are what is missing.
    assert!(from_yaml(&model_yaml("a2-ultragpu-1g", "model: llama-3-70b, precision: fp8")).is_ok());
    let e = from_yaml(&model_yaml("a2-ultragpu-1g", "model: llama-3-70b, tensor_parallel: 2")).unwrap_err().to_string();
    assert!(e.contains("llm.tensor_parallel: tensor_parallel 2 does not divide the instance's 1 GPU(s)"), "{e}");
    // Eight H100s at tp 2: four replicas of 70B at bf16.
    let s = scenario(&model_yaml("p5.48xlarge", "model: llama-3-70b, tensor_parallel: 2"));
    assert_eq!(s.serving().unwrap().llm().unwrap().pools[0].replicas_per_instance, 4);
}

#[test]
fn models_add_a_model_the_catalog_lacks() {
    // my-7b: 6.7e9 parameters, 8 KV heads → 131,072 B of KV per token at bf16; MLP width 11,008
    // (8/3 × 4,096 rounded up to 256); max_context 4,096, so max_num_batched_tokens 4,096. On one
    // L40S (48 GiB): 0.9 × 48 × 2^30 = 46,385,646,796.8 B − 13,400,000,000 B of weights − reserve
    // 2^30 + 4,096 × (2 × 11,008 + 4 × 4,096) × 2 B = 1,388,314,624 B → 31,597,332,172.8 B /
    // 131,072 = 241,068.5 → 241,068 tokens.
    let yaml = model_yaml("g6e.2xlarge", "model: my-7b")
        + "models:\n  - { name: my-7b, params: 6.7e9, layers: 32, hidden: 4096, heads: 32, kv_heads: 8, head_dim: 128, \
           vocab: 32000, max_context: 4096 }\n";
    let s = scenario(&yaml);
    let pool = &s.serving().unwrap().llm().unwrap().pools[0];
    assert_eq!(pool.config.kv_cache_tokens, 241_068);
    assert_eq!(pool.config.max_model_len, 4_096);
    assert!(run(&s).summary.requests.completed > 0);
    // Errors name the entry's key.
    let e = from_yaml(&yaml.replace("kv_heads: 8", "kv_heads: 5")).unwrap_err().to_string();
    assert!(e.contains("models[0].kv_heads: 5 does not divide heads (32)"), "{e}");
    let e = from_yaml(&yaml.replace("model: my-7b", "model: my-8b")).unwrap_err().to_string();
    assert!(e.contains("llm.model: unknown model"), "{e}");
}

#[test]
fn roofline_and_calibrated_step_times_need_a_model_and_fitted_does_not() {
    let base = "max_model_len: 4096, kv_cache_tokens: 100000";
    let e = from_yaml(&model_yaml("g5.xlarge", &format!("{base}, step_time: {{ roofline: {{}} }}")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("llm.step_time.roofline: needs llm.model"), "{e}");
    let e = from_yaml(&model_yaml("g5.xlarge", &format!("{base}, step_time: {{ calibrated: {{ path: m.csv }} }}")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("llm.step_time.calibrated: needs llm.model"), "{e}");
    assert!(from_yaml(&model_yaml("g5.xlarge", &format!("{base}, {FITTED}"))).is_ok());
}

#[test]
fn a_calibrated_step_time_is_fitted_from_a_file_beside_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.csv"),
        "prefill_seqs,prefill_tokens,decode_seqs,context_tokens,time_s\n1,512,0,0,0.045\n1,2048,0,0,0.17\n\
         0,0,16,16000,0.060\n0,0,64,64000,0.080\n",
    )
    .unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, model_yaml("g6.xlarge", "model: llama-3-8b, step_time: { calibrated: { path: m.csv } }"))
        .unwrap();
    let loaded = fleetsim::scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let pool = &loaded.scenario.serving().unwrap().llm().unwrap().pools[0];
    assert!(
        pool.step_time.describe.starts_with("calibrated roofline (4 iterations of m.csv"),
        "{}",
        pool.step_time.describe
    );
}

#[test]
fn a_sweep_reports_cells_whose_model_does_not_fit_and_runs_the_others() {
    // Llama-3-70B on one A100 80 GB: fp8 weights (65.7 GiB) fit, bf16 ones (131.4 GiB) do not.
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        crate::common::write(dir.path(), "s.yaml", &model_yaml("a2-ultragpu-1g", "model: llama-3-70b, precision: fp8"));
    let out = dir.path().join("sweep");
    let assert = crate::common::fleetsim()
        .args([
            "sweep",
            scenario.to_str().unwrap(),
            "--set",
            "llm.precision=fp8,bf16",
            "--replications",
            "1",
            "--no-report",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains(
            "infeasible, not run: llm.precision=bf16: llm.model: llama-3-70b at bf16 does not fit on 1 × A100-80GB"
        ),
        "{stdout}"
    );
    let infeasible = std::fs::read_to_string(out.join("infeasible.csv")).unwrap();
    assert!(
        infeasible.starts_with("cell,llm.precision,reason\n1,bf16,\"llm.model: llama-3-70b at bf16 does not fit"),
        "{infeasible}"
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 2, "a header and the fp8 cell's run: {runs}");
}
