//! What an LLM run writes and prints (issue 18 item 6): the `running_`, `waiting_` and `kv_used_`
//! columns of `timeseries.csv`, worked out by hand; `ttft.csv` and `tpot.csv`; the terminal's
//! token lines; a sweep over `llm.*` keys and the router, minimizing cost per million output
//! tokens under a TTFT constraint; and a comparison of the schedulers from one file.

use predicates::prelude::*;

use super::common::{fleetsim, write};

/// One replica that runs one sequence at a time (`max_num_seqs: 1`), a request every 4 s from 0
/// until the 10 s horizon (at 0, 4 and 8 s), each with 100 prompt and 1,500 output tokens; a
/// prefill iteration takes 10 ms, a decode iteration 8 ms, whatever it holds.
///
/// A request runs 10 ms + 1,499 × 8 ms = 12.002 s: the first from 0 to 12.002 s, the second
/// 12.002–24.004 s, the third 24.004–36.006 s. KV blocks of 16 tokens, 1,000 of them
/// (16,000 tokens); a sequence holds ⌈(100 + tokens produced) / 16⌉ (the token its iteration is
/// producing included or not: the same block count at these times).
/// - at 10 s: the first has 1 + ⌊(10 − 0.010) / 0.008⌋ = 1,249 tokens: ⌈1,349 / 16⌉ = 85 blocks,
///   8.5%; the other two wait (in the replica's waiting queue, counted in `queue_len` too);
/// - at 20 s: the second, from 12.012 s: 1 + ⌊7.988 / 0.008⌋ = 999 tokens: ⌈1,099 / 16⌉ = 69
///   blocks, 6.9%; one waits;
/// - at 30 s: the third, from 24.014 s: 1 + ⌊5.986 / 0.008⌋ = 749 tokens: ⌈849 / 16⌉ = 54
///   blocks, 5.4%; none waits;
/// - at the end (36.006 s) nothing is held.
pub const LLM: &str = "name: llm-rows\nseed: 1\nhorizon: 10s\n\
    workload:\n  arrivals:\n    constant: { rate: 0.25/s }\n\
    \x20 tokens: { prompt: { fixed: 100 }, output: { fixed: 1500 } }\n\
    \x20 sla:\n    ttft: { latency: 5s, quantile: 0.5 }\n    tpot: { latency: 10ms, quantile: 0.99 }\n\
    llm:\n  max_num_seqs: 1\n  max_model_len: 2048\n  block_size: 16\n  kv_cache_tokens: 16000\n\
    \x20 step_time:\n    fitted: { prefill_ms: [10, 0, 0], decode_ms: [8, 0, 0] }\n\
    fleet:\n  pools:\n    - { name: gpu, instance: g5.xlarge, count: 1 }\n\
    output: { timeseries_interval: 10s }\n";

/// The LLM columns of `timeseries.csv`: time, queue length (which counts the requests a replica
/// holds waiting), then running, waiting and KV use of the one pool.
fn llm_columns(csv: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
    let cols = [at("time_s"), at("queue_len"), at("running_gpu"), at("waiting_gpu"), at("kv_used_gpu")];
    assert_eq!(cols[2..], [header.len() - 3, header.len() - 2, header.len() - 1], "after every other column");
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            cols.iter().map(|&c| cells[c]).collect::<Vec<_>>().join(",")
        })
        .collect()
}

#[test]
fn llm_time_series_columns_are_sampled_at_each_row() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", LLM);
    let out = tmp.path().join("run");
    fleetsim().arg("run").arg(&s).args(["--no-report", "--out"]).arg(&out).assert().success().stdout(
        predicate::str::contains("  TTFT        mean 8.01s  p50 8.02s")
            .and(predicate::str::contains("  TPOT        mean 8ms  p50 8ms"))
            .and(predicate::str::contains("  ITL         mean 8ms"))
            .and(predicate::str::contains("  tokens      prompt 300  output 4,500  125 output tokens/s"))
            .and(predicate::str::contains("  iterations  4,500"))
            .and(predicate::str::contains("  SLOs        TTFT p50 ≤ 5s: MISSED (66.7% over)  TPOT p99 ≤ 10ms: met"))
            .and(predicate::str::contains("(step times are llm.step_time as given)"))
            .and(predicate::str::contains("batch times are").not()),
    );
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert_eq!(
        llm_columns(&ts),
        ["10,2,1,2,0.085000", "20,1,1,1,0.069000", "30,0,1,0,0.054000", "36.006,0,0,0,0.000000"],
        "{ts}"
    );
    for file in ["ttft.csv", "tpot.csv"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(text.starts_with("latency_s,fraction\n"), "{file}: {text}");
        assert_eq!(text.lines().count(), 1 + 210, "{file}: the quantiles of latency.csv");
    }
    // TPOT is 8 ms for every request (HDR precision: within 0.1%).
    let tpot = std::fs::read_to_string(out.join("tpot.csv")).unwrap();
    assert!(tpot.lines().skip(1).all(|l| l.starts_with("0.008")), "{tpot}");
}

/// A non-LLM run's files have none of it.
#[test]
fn other_runs_have_no_llm_columns_or_files() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = "name: plain\nhorizon: 2m\nworkload:\n  arrivals:\n    constant: { rate: 10/s }\n\
        service:\n  batch_time: { base: 10ms }\nfleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n";
    let s = write(tmp.path(), "s.yaml", yaml);
    let out = tmp.path().join("run");
    fleetsim()
        .arg("run")
        .arg(&s)
        .args(["--no-report", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("TTFT").not().and(predicate::str::contains("batch times are")));
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert_eq!(
        ts.lines().next().unwrap(),
        "time_s,arrivals,completions,queue_len,busy_replicas,replicas_a,on_demand_replicas,spot_replicas,reserved_replicas,interruptions,ready_replicas,target_replicas,cost_usd"
    );
    assert!(!out.join("ttft.csv").exists() && !out.join("tpot.csv").exists());
}

/// Two requests a second on two replicas that hold 8 sequences each: TTFT depends on the token
/// budget, the scheduler and the router.
const LOADED: &str = "name: llm-grid\nseed: 4\nhorizon: 2m\n\
    workload:\n  arrivals:\n    poisson: { rate: 2/s }\n\
    \x20 tokens: { prompt: { uniform: [200, 2000] }, output: { uniform: [50, 400] } }\n\
    \x20 sla:\n    ttft: { latency: 1s, quantile: 0.9 }\n    tpot: { latency: 60ms, quantile: 0.99 }\n\
    llm:\n  max_num_seqs: 8\n  max_model_len: 4096\n  max_num_batched_tokens: 4096\n  kv_cache_tokens: 32000\n\
    \x20 step_time:\n    fitted: { prefill_ms: [10, 0.1, 0.000003], decode_ms: [13, 0.0001, 0.05] }\n\
    fleet:\n  pools:\n    - { name: gpu, instance: g5.xlarge, count: 2 }\n";

/// A sweep over `llm.max_num_batched_tokens` × `router` × `llm.scheduler`, minimizing cost per
/// million output tokens subject to p90 TTFT ≤ 1 s: `runs.csv` carries the LLM figures, the
/// best cell is one that meets the constraint, and the report speaks of them in words.
#[test]
fn a_sweep_over_llm_keys_with_a_token_objective() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", LOADED);
    let out = tmp.path().join("sweep");
    fleetsim()
        .arg("sweep")
        .arg(&s)
        .args(["--set", "llm.max_num_batched_tokens=4096,8192", "--set", "router=round_robin,least_kv"])
        .args(["--set", "llm.scheduler=vllm,chunked", "--replications", "2"])
        .args(["--minimize", "cost_usd.per_million_output_tokens", "--subject-to", "ttft_s.p90 <= 1"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("best cell: lowest mean cost_usd.per_million_output_tokens"))
        .stdout(
            // Every LLM sweep's cell table: TTFT and TPOT at p90 and p99, beside the objective.
            predicate::str::contains("ttft_s.p99 (95% CI)").and(predicate::str::contains("tpot_s.p90 (95% CI)")),
        );
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let header = runs.lines().next().unwrap();
    for col in ["llm.max_num_batched_tokens", "router", "llm.scheduler", "ttft_s.p90", "tpot_s.p99", "sla.attainment"] {
        assert!(header.split(',').any(|c| c == col), "{col} not in {header}");
    }
    assert_eq!(runs.lines().count(), 1 + 8 * 2);
    let best: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("best.json")).unwrap()).unwrap();
    let text = best.to_string();
    assert!(text.contains("cost_usd.per_million_output_tokens"), "{text}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("with the lowest mean cost per million output tokens"), "{report}");
    // The cells' table has the cost per million output tokens and TTFT and TPOT at p90 and p99.
    let header = report.lines().find(|l| l.starts_with("| llm.max_num_batched_tokens |")).unwrap_or_default();
    for col in [
        "| cost_usd.per_million_output_tokens |",
        "| ttft_s.p90 |",
        "| ttft_s.p99 |",
        "| tpot_s.p90 |",
        "| tpot_s.p99 |",
    ] {
        assert!(header.contains(col), "{col} not in the cells' header {header:?}");
    }
    assert!(out.join("charts/sweep_4_ttft_s_p99.svg").exists() || report.contains("ttft_s_p99"), "{report}");
}

/// An LLM sweep without an objective still shows, per cell, what a token costs and TTFT and TPOT.
#[test]
fn an_llm_sweep_without_objective_shows_token_figures_per_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", LOADED);
    let out = tmp.path().join("sweep");
    let run = fleetsim()
        .arg("sweep")
        .arg(&s)
        .args(["--set", "llm.scheduler=vllm,chunked", "--replications", "2", "--no-report", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(run.get_output().stdout.clone()).unwrap();
    let header = stdout.lines().find(|l| l.starts_with("llm.scheduler")).unwrap_or_else(|| panic!("{stdout}"));
    let cols: Vec<&str> = header.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(
        cols,
        [
            "llm.scheduler",
            "n",
            "cost_usd.total (95% CI)",
            "cost_usd.per_million_output_tokens (95% CI)",
            "ttft_s.p90 (95% CI)",
            "ttft_s.p99 (95% CI)",
            "tpot_s.p90 (95% CI)",
            "tpot_s.p99 (95% CI)",
        ],
        "{stdout}"
    );
}

/// `fleetsim compare FILE --set llm.scheduler=vllm,chunked`: a design per value, on the same
/// seeds, each with its TTFT and TPOT distributions; the report leads with the LLM figures.
#[test]
fn compare_the_schedulers_from_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    let s = write(tmp.path(), "s.yaml", LOADED);
    let out = tmp.path().join("cmp");
    fleetsim()
        .arg("compare")
        .arg(&s)
        .args(["--set", "llm.scheduler=vllm,chunked", "--replications", "2", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Δ scheduler=chunked (paired)")
                .and(predicate::str::contains("cost_usd.per_million_output_tokens"))
                .and(predicate::str::contains("ttft_s.p90"))
                .and(predicate::str::contains("ranked by mean cost_usd.per_million_output_tokens, lowest first: 1. "))
                .and(predicate::str::contains("ranked by cost per million output tokens, not by total cost")),
        );
    for f in [
        "designs/scheduler-vllm/ttft.csv",
        "designs/scheduler-chunked/tpot.csv",
        "charts/ttft_cdf.svg",
        "charts/tpot_cdf.svg",
        "charts/kv.svg",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for text in [
        "# Comparison: scheduler=vllm vs scheduler=chunked",
        "- TTFT SLO (p90 ≤ 1s) met in every run by",
        "| cost per million output tokens (cost_usd.per_million_output_tokens) |",
        "| p90 TTFT (ttft_s.p90) |",
        "| p99 TTFT (ttft_s.p99) |",
        "| p99 TPOT (tpot_s.p99) |",
        "| requests meeting every objective (sla.attainment) |",
        "- Ranked by mean cost per million output tokens, lowest first: 1. scheduler=",
        "- Every design serves an LLM, so they are ranked by cost per million output tokens, not by total cost",
    ] {
        assert!(report.contains(text), "{text:?} not in {report}");
    }
    // The LLM figures come before the others in the table of what decides.
    let at = |t: &str| report.find(t).unwrap();
    assert!(at("(ttft_s.p90)") < at("## Other figures") && at("(ttft_s.p90)") < at("(latency_s.p99)"));
    // Two scenario-less lists, or none, are refused.
    fleetsim()
        .arg("compare")
        .arg(&s)
        .args(["--set", "llm.scheduler=vllm,chunked", "--set", "router=round_robin,least_kv", "--out"])
        .arg(tmp.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("more than one --set list is a grid: `fleetsim sweep` runs it"));
    fleetsim()
        .arg("compare")
        .arg(&s)
        .arg("--out")
        .arg(tmp.path().join("y"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("compare needs at least two scenarios, or one scenario and one --set list"));
}
