//! LLM serving benchmark (issue 18): whole runs of `scenarios/llm-azure-conv.yaml` — the Azure
//! LLM conversation trace (19,366 requests, 4.09 M output tokens) replayed on two colocated
//! replicas — through the same code as `fleetsim run` (trace read from `traces/`, the serving
//! world, the LLM executor, the summary), under both schedulers.
//!
//!     cargo bench --bench llm_serving             # 10 runs per scheduler, best and median
//!     cargo bench --bench llm_serving -- --quick  # one run each (CI smoke)
//!
//! Prints per scheduler: wall seconds per run, requests, output tokens and iterations per wall
//! second on one core. Targets: the run in under 0.25 s, ≥ 20 M output tokens per second.

use std::path::Path;
use std::time::Instant;

use fleetsim::scenario::{self, Override};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 1 } else { 10 };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/llm-azure-conv.yaml");
    for scheduler in ["vllm", "chunked"] {
        let set = [Override { key: "llm.scheduler".into(), text: scheduler.into() }];
        let loaded = scenario::load(&path, &set).expect("scenarios/llm-azure-conv.yaml loads");
        let s = &loaded.scenario;
        let market = fleetsim::trace::market::load(s).expect("no market traces");
        let mut walls = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let t0 = Instant::now();
            let out = fleetsim::run::simulate(s, &market, &mut |_| {}).expect("the run succeeds");
            walls.push(t0.elapsed().as_secs_f64());
            last = Some(out.summary);
        }
        let summary = last.expect("at least one run");
        let token = summary.token.as_ref().expect("LLM figures");
        walls.sort_by(f64::total_cmp);
        let (best, median) = (walls[0], walls[walls.len() / 2]);
        let output = token.tokens.output as f64;
        println!(
            "{scheduler:8} wall best {best:.3} s, median {median:.3} s over {runs} runs | {} requests, {:.2} M output tokens, {} iterations | {:.0} requests/s, {:.1} M output tokens/s, {:.2} M iterations/s (best)",
            summary.requests.completed,
            output / 1e6,
            token.llm.iterations,
            summary.requests.completed as f64 / best,
            output / best / 1e6,
            token.llm.iterations as f64 / best / 1e6,
        );
    }
}
