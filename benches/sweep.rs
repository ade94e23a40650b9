//! Sweep benchmark: the grid of `scenarios/sweep-batcher.yaml` (24 cells: max_batch_size 1–32 ×
//! max_wait 2–50 ms) run with 1 thread, then with 2, through the same code as `fleetsim sweep`
//! (cells built and validated, runs on a rayon pool, results handed to one consumer).
//!
//!     cargo bench --bench sweep             # full: 24 cells × 10 replications = 240 runs per thread count
//!     cargo bench --bench sweep -- --quick  # smoke run for CI: 24 cells × 1 replication, 3 min horizon (30 s warmup)
//!
//! Prints runs per second and the speed-up; the target (issue 6) is ≥ 1.8× on 2 cores.

use std::path::Path;
use std::time::Instant;

use fleetsim::scenario::{self, Override};
use fleetsim::sweep::{Plan, exec};

fn set(key: &str, text: &str) -> Override {
    Override { key: key.into(), text: text.into() }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweep-batcher.yaml");
    let overrides: Vec<Override> = if quick { vec![set("horizon", "3m"), set("warmup", "30s")] } else { Vec::new() };
    let loaded = scenario::load(&path, &overrides).expect("scenarios/sweep-batcher.yaml loads");
    let spec = loaded.scenario.sweep.clone().expect("the scenario has a sweep section");
    let replications = if quick { 1 } else { spec.replications.unwrap_or(10) };
    let plan = Plan::new(spec.axes, replications, loaded.scenario.seed).expect("a valid plan");
    let todo = plan.todo(None, &Default::default());
    let validated = exec::validate_cells(&loaded, &overrides, &plan, |_| true).expect("cells validate");
    let cells = exec::attach_markets(&plan, validated.scenarios, &todo).expect("markets load");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "sweep benchmark: {} cells × {} replications = {} runs of {} ({} cores here)",
        plan.cells(),
        plan.replications,
        todo.len(),
        loaded.scenario.horizon,
        cores
    );
    println!("{:>8} {:>10} {:>10} {:>10}", "threads", "runs", "wall_s", "runs/s");
    let mut walls = Vec::new();
    let mut results: Vec<Vec<String>> = Vec::new();
    for threads in [1, 2] {
        let started = Instant::now();
        let mut rows = Vec::new();
        exec::execute(&plan, &cells, &todo, threads, |f| {
            rows.push(f.row);
            Ok(())
        })
        .expect("the sweep runs");
        let wall = started.elapsed().as_secs_f64();
        println!("{threads:>8} {:>10} {wall:>10.2} {:>10.1}", rows.len(), rows.len() as f64 / wall);
        walls.push(wall);
        rows.sort_by_key(|r| r.id);
        results.push(rows.iter().map(|r| format!("{:?}", r.metrics)).collect());
    }
    assert_eq!(results[0], results[1], "1 and 2 threads must give identical runs");
    println!("speed-up with 2 threads: {:.2}× (target ≥ 1.8× on 2 cores)", walls[0] / walls[1]);
}
