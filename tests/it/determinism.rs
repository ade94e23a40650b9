//! Same scenario + same seed ⇒ identical results; different seeds differ; common random numbers
//! keep arrivals identical across designs.

use super::common::{run, scenario};

const YAML: &str = "name: det\nseed: 11\nhorizon: 10m\nwarmup: 1m\n\
    workload:\n  arrivals:\n    diurnal: { mean: 300/s, peak_to_trough: 3, period: 5m, peak_at: 1m }\n  sla: { latency: 50ms }\n  cache_hit_rate: 0.1\n\
    service:\n  batch_time: { base: 8ms, per_item: 1.2ms }\n  distribution: { lognormal: { cv: 0.5 } }\n\
    batcher: { max_batch_size: 8, max_wait: 4ms }\n\
    fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 3 }\n";

fn without_wall(mut m: fleetsim::metrics::Summary) -> Vec<u8> {
    m.engine.wall_s = 0.0;
    m.to_json()
}

#[test]
fn same_seed_gives_byte_identical_summaries() {
    let s = scenario(YAML);
    let a = run(&s);
    let b = run(&s);
    assert_eq!(without_wall(a.summary), without_wall(b.summary));
    assert_eq!(a.timeseries.to_csv(), b.timeseries.to_csv());
}

#[test]
fn different_seeds_give_different_results() {
    let mut s = scenario(YAML);
    let a = run(&s).summary;
    s.seed = 12;
    let b = run(&s).summary;
    assert_ne!(a.requests.arrived, b.requests.arrived);
}

/// Common random numbers: a design with more replicas and larger batches sees exactly the same
/// arrivals (and cache hits) as the baseline under the same seed.
#[test]
fn designs_share_arrivals_under_one_seed() {
    let base = run(&scenario(YAML)).summary;
    let other = YAML.replace("count: 3", "count: 5").replace("max_batch_size: 8", "max_batch_size: 2");
    let other = run(&scenario(&other)).summary;
    assert_eq!(base.requests.arrived, other.requests.arrived);
    assert_eq!(base.requests.cache_hits, other.requests.cache_hits);
    assert_ne!(base.latency_s.mean, other.latency_s.mean);
}

/// The diurnal rate follows its cosine: with peak_to_trough 3 the peak minute carries about
/// 3× the trough minute (rates 450/s and 150/s around the 300/s mean).
#[test]
fn diurnal_arrivals_follow_the_cycle() {
    let y = YAML.replace("horizon: 10m", "horizon: 50m").replace("peak_at: 1m", "peak_at: 2m30s");
    let out = run(&scenario(&y));
    let rows = &out.timeseries.rows;
    // Rows are per minute; the peak is at 2.5 m (mod 5 m), the trough at 0 m (mod 5 m).
    let at = |minute_end: usize| rows.iter().skip(minute_end - 1).step_by(5).map(|r| r.arrivals as f64).sum::<f64>();
    // λ(t) = 300·(1 + a·cos(2π(t − 150)/300)) with a = (3 − 1)/(3 + 1) = 0.5. Averaged over a
    // minute [t0, t1] the cosine is 300/(2π·60)·[sin(2π(t1 − 150)/300) − sin(2π(t0 − 150)/300)]:
    // minute 3 (120–180 s, around the peak) → 0.9355, minute 1 (0–60 s) → −0.7569, so the rate
    // ratio is (1 + 0.5·0.9355)/(1 − 0.5·0.7569) = 1.4677/0.6215 = 2.3616. Each minute-sum holds
    // ≥ 100k arrivals over 10 cycles, so the ratio's sd is ≈ 0.01; ±0.05 is 5 sd.
    let ratio = at(3) / at(1);
    assert!((ratio - 2.3616).abs() < 0.05, "peak/trough {ratio}");
    let total: u64 = rows.iter().map(|r| r.arrivals).sum();
    assert_eq!(total, out.summary.requests.arrived);
    // Mean over whole cycles: 300/s × 3000 s = 900,000 ± 4σ (σ ≈ 950).
    assert!((total as f64 - 900_000.0).abs() < 4_000.0, "{total}");
}

/// Golden values: the exact figures of a fixed scenario and seed. They change only if the
/// engine's semantics, the seed derivation or a random-number library changes — any of which
/// makes earlier results irreproducible and must be a deliberate, noted decision.
#[test]
fn golden_values_are_stable() {
    let m = run(&scenario(YAML)).summary;
    assert_eq!(m.requests.arrived, GOLDEN_ARRIVED, "arrivals changed");
    assert_eq!(m.requests.cache_hits, GOLDEN_CACHE_HITS, "cache draws changed");
    assert_eq!(m.engine.events, GOLDEN_EVENTS, "event sequence changed");
    assert_eq!(format!("{:.9}", m.latency_s.mean), GOLDEN_MEAN, "service draws or batching changed");
}
const GOLDEN_ARRIVED: u64 = 180_171;
const GOLDEN_CACHE_HITS: u64 = 17_950;
const GOLDEN_EVENTS: u64 = 328_003;
const GOLDEN_MEAN: &str = "0.012961203";

/// An LLM fleet where everything that can reorder work happens: an on-demand pool and a spot pool
/// (interrupted without notice, so running sequences are cut and recomputed elsewhere) under an
/// HPA, a KV cache of a few requests (preemptions), requests above max_model_len (rejected),
/// the chunked scheduler with the spot pool's own vllm one, routed by free KV blocks.
pub(super) const LLM: &str = "name: det-llm\nseed: 5\nhorizon: 3m\nwarmup: 10s\n\
    workload:\n  arrivals:\n    poisson: { rate: 6/s }\n\
    \x20 tokens:\n    prompt: { lognormal: { mean: 600, cv: 1.0 } }\n    output: { lognormal: { mean: 120, cv: 1.2 } }\n\
    \x20 sla:\n    ttft: { latency: 500ms, quantile: 0.9 }\n    tpot: { latency: 60ms, quantile: 0.9 }\n\
    llm:\n  scheduler: chunked\n  max_num_seqs: 32\n  max_num_batched_tokens: 512\n  max_model_len: 3000\n\
    \x20 kv_cache_tokens: 6000\n  step_time:\n    fitted:\n      prefill_ms: [8, 0.05, 0.000002]\n      decode_ms: [10, 0.0001, 0.1]\n\
    router: least_kv\n\
    fleet:\n  pools:\n    - { name: od, instance: g5.xlarge, count: 1 }\n\
    \x20   - { name: sp, instance: g5.xlarge, market: spot, min: 1, max: 6, zones: [us-east-1a, us-east-1b],\n\
    \x20       llm: { scheduler: vllm, max_num_batched_tokens: 4096 } }\n\
    autoscaler:\n  hpa: { target_in_flight: 8, sync_period: 10s }\n\
    spot:\n  notice: 0s\n  interruptions:\n    hazard: { per_hour: 40 }\n  price:\n    constant: 0.5\n";

/// The LLM sweep: two cells (max_num_seqs) × three replications.
const LLM_SWEEP: [&str; 4] = ["--set", "llm.max_num_seqs=8,32", "--replications", "3"];

/// The scenario does exercise what the determinism tests below rely on.
#[test]
fn the_llm_scenario_interrupts_scales_preempts_and_rejects() {
    let out = run(&scenario(LLM));
    let (r, f) = (&out.summary.requests, &out.summary.fleet);
    let t = out.summary.token.as_ref().unwrap();
    assert!(r.retried > 0 && f.interruptions > 0 && f.scale_ups > 0, "{r:?} {f:?}");
    assert!(t.kv.preemptions > 0 && r.rejected > Some(0) && r.completed > 500, "{r:?} {t:?}");
    // The same summary.json, wall time aside, whichever thread runs it and however many run at once.
    let alone = without_wall(out.summary);
    let s = scenario(LLM);
    let on_threads: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3).map(|_| scope.spawn(|| without_wall(run(&s).summary))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for summary in on_threads {
        assert_eq!(summary, alone);
    }
}

/// One thread or two, one folder or three shards merged: the same runs (every summary.json
/// figure of every run, wall time aside) and the same summary.csv.
#[test]
fn llm_sweeps_are_the_same_across_threads_and_shards() {
    use super::sweep::{runs_without_wall, sweep};
    let dir = tempfile::tempdir().unwrap();
    let s = super::common::write(dir.path(), "s.yaml", LLM);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sweep(&s, &[&LLM_SWEEP[..], &["--threads", "1"]].concat(), &one);
    sweep(&s, &[&LLM_SWEEP[..], &["--threads", "2"]].concat(), &two);
    let whole = runs_without_wall(&one);
    assert_eq!(whole.lines().count(), 1 + 2 * 3);
    assert!(whole.lines().next().unwrap().contains("ttft_s.p99"), "runs.csv has the token figures");
    assert_eq!(whole, runs_without_wall(&two));
    let summary = std::fs::read(one.join("summary.csv")).unwrap();
    assert_eq!(summary, std::fs::read(two.join("summary.csv")).unwrap());

    let shards: Vec<std::path::PathBuf> = (0..3).map(|i| dir.path().join(format!("shard{i}"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        sweep(&s, &[&LLM_SWEEP[..], &["--shard", &format!("{i}/3")]].concat(), shard);
    }
    let merged = dir.path().join("merged");
    super::common::fleetsim().arg("merge").args(&shards).arg("--out").arg(&merged).assert().success();
    assert_eq!(runs_without_wall(&merged), whole);
    assert_eq!(std::fs::read(merged.join("summary.csv")).unwrap(), summary);
}

/// A sweep interrupted after two runs — runs.csv as a kill leaves it, with a partial last line
/// (`sweep::resume_after_a_kill_runs_only_the_missing_runs` kills one for real) — and resumed
/// gives the runs and summary of one that was never interrupted.
#[test]
fn an_interrupted_llm_sweep_resumes_to_the_same_runs() {
    use super::sweep::{runs_without_wall, sweep};
    let dir = tempfile::tempdir().unwrap();
    let s = super::common::write(dir.path(), "s.yaml", LLM);
    let (whole, resumed) = (dir.path().join("whole"), dir.path().join("resumed"));
    sweep(&s, &[&LLM_SWEEP[..], &["--threads", "1"]].concat(), &whole);
    sweep(&s, &[&LLM_SWEEP[..], &["--threads", "1"]].concat(), &resumed);
    let runs = resumed.join("runs.csv");
    let text = std::fs::read_to_string(&runs).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let third = lines[3];
    let cut = format!("{}\n{}\n{}\n{}", lines[0], lines[1], lines[2], &third[..third.len() / 2]);
    std::fs::write(&runs, cut).unwrap();
    std::fs::remove_file(resumed.join("summary.csv")).ok();
    let o = super::common::fleetsim()
        .arg("sweep")
        .arg(&s)
        .args(LLM_SWEEP)
        .args(["--threads", "2", "--resume", "--out"])
        .arg(&resumed)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && stderr.contains("2 already done; running 4 on"), "{stderr}");
    assert_eq!(runs_without_wall(&resumed), runs_without_wall(&whole));
    assert_eq!(std::fs::read(resumed.join("summary.csv")).unwrap(), std::fs::read(whole.join("summary.csv")).unwrap());
}
