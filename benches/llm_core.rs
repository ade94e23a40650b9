//! LLM executor benchmark: the Azure LLM conv trace (19,366 requests, ~4.1 M output tokens) on N
//! colocated replicas of the per-replica core (`fleetsim::llm::replica`), driven by a minimal
//! event loop on the engine's `EventQueue` (arrivals, iteration ends; least-outstanding routing),
//! under both schedulers, on one core.
//!
//!     cargo bench --bench llm_core                      # 4 replicas, best of 5 runs per scheduler
//!     cargo bench --bench llm_core -- --replicas 2      # another fleet size
//!     cargo bench --bench llm_core -- --quick           # one run each (CI smoke)
//!
//! Prints simulated output tokens, iterations and requests per wall second of the loop (the trace
//! is read once beforehand, with `fleetsim::trace::requests`; its reading time is printed apart),
//! and the loop's own CPU time (`/proc/thread-self/schedstat`, where available) with the output
//! tokens per CPU second: on a machine shared with other jobs the wall time includes the time
//! the thread waited for a core, the CPU time does not.
//! Target (issue 18): the whole simulation of this trace in < 0.25 s and >= 20 M output tokens per
//! second, so the core alone should be several times faster.
//!
//! Step times: DistServe's fitted profile of OPT-13B on one A100-80GB (LLMServe/DistServe,
//! `simdistserve/estimators/profile_data/profiler-a100-80g.distserve.json`, tp 1). KV cache:
//! 0.9 × 80 GB − 25.7 GB of bf16 weights = 46.3 GB at 819,200 bytes per token (2 × 40 layers ×
//! 5120 × 2 bytes) ≈ 56,000 tokens.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use fleetsim::engine::{Duration, EventQueue, SimTime};
use fleetsim::llm::config::{LlmConfig, Role, Scheduler};
use fleetsim::llm::replica::Replica;
use fleetsim::llm::sequence::Sequence;
use fleetsim::llm::sink::{Completion, IterationStats, TokenSink};
use fleetsim::llm::step_time::fitted::{Coefficients, Fitted, LargeBatch};
use fleetsim::trace::requests::{RequestFormat, RequestTrace};

const TRACE: &str = "traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let n_replicas = flag(&args, "--replicas").unwrap_or(4);
    let repeats = if quick { 1 } else { 5 };
    let started = Instant::now();
    let requests = read_trace();
    let read_s = started.elapsed().as_secs_f64();
    let asked: u64 = requests.iter().map(|s| u64::from(s.output_tokens)).sum();
    println!(
        "llm core benchmark: {} requests, {asked} output tokens ({TRACE}, read in {read_s:.3} s); \
         {n_replicas} replicas of OPT-13B/A100 (DistServe fit), best of {repeats}",
        requests.len()
    );
    println!(
        "{:>9} {:>8} {:>8} {:>10} {:>10} {:>8} {:>9} {:>13} {:>13} {:>11} {:>17} {:>7} {:>7} {:>9}",
        "scheduler",
        "wall_s",
        "cpu_s",
        "iterations",
        "out_tokens",
        "refused",
        "preempted",
        "out_tokens/s",
        "iterations/s",
        "requests/s",
        "out_tokens/cpu_s",
        "ttft_s",
        "tpot_s",
        "sim_end_s"
    );
    for scheduler in [Scheduler::Vllm, Scheduler::Chunked] {
        let best = (0..repeats)
            .map(|_| simulate(&requests, scheduler, n_replicas))
            .min_by(|a, b| a.best_s().total_cmp(&b.best_s()))
            .expect("at least one run");
        assert_eq!(best.sink.tokens, asked - best.refused_tokens, "every admitted token is produced");
        let s = &best.sink;
        println!(
            "{:>9} {:>8.4} {:>8.4} {:>10} {:>10} {:>8} {:>9} {:>13.0} {:>13.0} {:>11.0} {:>17.0} {:>7.3} {:>7.4} {:>9.1}",
            scheduler.name(),
            best.wall_s,
            best.cpu_s,
            s.iterations,
            s.tokens,
            best.refused,
            s.preemptions,
            s.tokens as f64 / best.wall_s,
            s.iterations as f64 / best.wall_s,
            s.completed as f64 / best.wall_s,
            s.tokens as f64 / best.cpu_s,
            s.ttft_s_sum / s.completed as f64,
            s.tpot_s_sum / s.tpot_n as f64,
            best.end.as_secs_f64()
        );
    }
}

fn flag(args: &[String], name: &str) -> Option<usize> {
    let i = args.iter().position(|a| a == name)?;
    Some(args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} takes a positive number")))
}

fn read_trace() -> Vec<Sequence> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TRACE);
    let trace = RequestTrace::open(&path, RequestFormat::AzureLlm, 1.0).expect("the conv trace is in traces/");
    trace
        .enumerate()
        .map(|(i, r)| {
            let r = r.expect("the conv trace reads");
            Sequence::new(i as u64, r.time, r.tokens_in, r.tokens_out)
        })
        .collect()
}

fn config(scheduler: Scheduler) -> LlmConfig {
    let budget = match scheduler {
        Scheduler::Vllm => 16_384,
        Scheduler::Chunked => 2_048,
    };
    LlmConfig {
        scheduler,
        max_num_seqs: 256,
        max_num_batched_tokens: budget,
        max_model_len: 16_384,
        block_size: 16,
        kv_cache_tokens: 56_000,
        role: Role::Colocated,
    }
}

fn opt13b_a100() -> Arc<Fitted> {
    Arc::new(
        Fitted::new(
            Coefficients::new(16.456860431694288, 0.09264750660897617, 6.474785740229194e-06),
            Coefficients::new(19.934702624895458, 0.0006269356524350583, 0.03850697740828398),
            Some(LargeBatch {
                decode: Coefficients::new(7.1661889468253595, 0.0005798000403396046, 0.15831096191764046),
                from_seqs: 95,
            }),
        )
        .expect("finite coefficients"),
    )
}

/// What the metrics would record, reduced to sums.
#[derive(Default)]
struct Counts {
    tokens: u64,
    iterations: u64,
    completed: u64,
    preemptions: u64,
    ttft_s_sum: f64,
    tpot_s_sum: f64,
    tpot_n: u64,
    itl_ns_sum: u128,
}

impl TokenSink for Counts {
    fn first_token(&mut self, _seq: &Sequence, _ttft: Duration) {
        self.tokens += 1;
    }
    fn token_gaps(&mut self, gap: Duration, count: u32) {
        self.tokens += u64::from(count);
        self.itl_ns_sum += u128::from(gap.as_nanos()) * u128::from(count);
    }
    fn completed(&mut self, done: &Completion) {
        self.completed += 1;
        self.ttft_s_sum += done.ttft.as_secs_f64();
        if let Some(t) = done.tpot_s {
            self.tpot_s_sum += t;
            self.tpot_n += 1;
        }
    }
    fn prefill_done(&mut self, _seq: Sequence) {
        unreachable!("colocated replicas hand nothing off")
    }
    fn preempted(&mut self, _seq: &Sequence) {
        self.preemptions += 1;
    }
    fn iteration(&mut self, _stats: &IterationStats) {
        self.iterations += 1;
    }
}

#[derive(Clone, Copy)]
enum Event {
    Arrival(usize),
    IterationEnd(usize),
}

struct RunFigures {
    wall_s: f64,
    cpu_s: f64,
    sink: Counts,
    refused: u64,
    refused_tokens: u64,
    end: SimTime,
}

impl RunFigures {
    /// The CPU time where it was measured, else the wall time: what "best of" compares.
    fn best_s(&self) -> f64 {
        if self.cpu_s.is_nan() { self.wall_s } else { self.cpu_s }
    }
}

/// One run: arrivals routed to the replica with the fewest outstanding requests (lowest index on
/// ties), each replica starting an iteration whenever it is idle and has work.
fn simulate(requests: &[Sequence], scheduler: Scheduler, n_replicas: usize) -> RunFigures {
    let step_time = opt13b_a100();
    let mut replicas: Vec<Replica> =
        (0..n_replicas).map(|_| Replica::new(config(scheduler), step_time.clone(), 1.0)).collect();
    let mut sink = Counts::default();
    let (mut refused, mut refused_tokens) = (0, 0);
    let mut queue = EventQueue::new();
    let (started, cpu_started) = (Instant::now(), thread_cpu_ns());
    queue.schedule(requests[0].arrival, Event::Arrival(0));
    let mut end = SimTime::ZERO;
    while let Some((now, event)) = queue.pop() {
        end = now;
        let idx = match event {
            Event::Arrival(i) => {
                if let Some(next) = requests.get(i + 1) {
                    queue.schedule(next.arrival, Event::Arrival(i + 1));
                }
                let idx = (0..n_replicas).min_by_key(|&r| replicas[r].n_outstanding()).expect("replicas");
                if replicas[idx].enqueue(requests[i]).is_err() {
                    refused += 1;
                    refused_tokens += u64::from(requests[i].output_tokens);
                }
                idx
            }
            Event::IterationEnd(idx) => {
                replicas[idx].finish_iteration(now, &mut sink);
                idx
            }
        };
        let replica = &mut replicas[idx];
        if !replica.is_busy()
            && let Some(d) = replica.start_iteration(now, &mut sink)
        {
            queue.schedule(now.after(d), Event::IterationEnd(idx));
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = match (cpu_started, thread_cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e9,
        _ => f64::NAN,
    };
    assert!(sink.itl_ns_sum > 0 && sink.preemptions == replicas.iter().map(|r| r.n_preemptions()).sum::<u64>());
    RunFigures { wall_s, cpu_s, sink, refused, refused_tokens, end }
}

/// Nanoseconds this thread has spent on a CPU (first field of `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}
