//! Job sweep benchmark: the checkpoint-interval sweep of a 30-day training job — the H100 job of
//! `scenarios/sweep-checkpoint.yaml` (spot_only, 4.1% interruptions per hour, weekends 40% lower)
//! with 720 h of work, a 40-day deadline and a 60-day horizon — over 21 intervals (`young`,
//! `daly`, 10 min to 3 h 10 min by 10 min), 1,000 replications each, through the same code as
//! `fleetsim sweep` (cells built and validated, runs on a rayon pool, one consumer). The same as
//!
//!     fleetsim sweep scenarios/sweep-checkpoint.yaml --set job.work=720h --set job.deadline=960h \
//!         --set horizon=60d --set 'job.checkpoint.interval=young,daly,10m..3h10m:10m' \
//!         --replications 1000 --no-report
//!
//!     cargo bench --bench job_sweep             # full: 21 cells × 1,000 replications
//!     cargo bench --bench job_sweep -- --quick  # smoke run for CI: 21 cells × 2 replications
//!
//! Prints runs and events per wall second and the events per run; the target (issue 17) is the
//! full sweep in under 5 s on 2 cores. Events per run are what an event-driven job costs: about
//! two per checkpoint and four per interruption (no decision poll).

use std::path::Path;
use std::time::Instant;

use fleetsim::scenario::sweep::expand;
use fleetsim::scenario::{self, Axis, Override};
use fleetsim::sweep::{Plan, exec};

fn set(key: &str, text: &str) -> Override {
    Override { key: key.into(), text: text.into() }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweep-checkpoint.yaml");
    let overrides = [set("job.work", "720h"), set("job.deadline", "960h"), set("horizon", "60d")];
    let loaded = scenario::load(&path, &overrides).expect("scenarios/sweep-checkpoint.yaml loads");
    // The one grid axis replaces the file's (as `--set` with a list does).
    let intervals = expand("young,daly,10m..3h10m:10m").expect("a valid range");
    let axes = vec![Axis { key: "job.checkpoint.interval".into(), values: intervals }];
    let replications = if quick { 2 } else { 1000 };
    let plan = Plan::new(axes, replications, loaded.scenario.seed).expect("a valid plan");
    assert_eq!(plan.cells(), 21, "young, daly and 10m..3h10m:10m");
    let todo = plan.todo(None, &Default::default());
    let validated = exec::validate_cells(&loaded, &overrides, &plan, |_| true).expect("cells validate");
    let cells = exec::attach_markets(&plan, validated.scenarios, &todo).expect("markets load");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "job sweep benchmark: {} cells × {} replications = {} runs of a 720 h job on {threads} threads",
        plan.cells(),
        plan.replications,
        todo.len(),
    );
    let started = Instant::now();
    let (mut runs, mut events, mut completed) = (0u64, 0u64, 0u64);
    exec::execute(&plan, &cells, &todo, threads, |f| {
        runs += 1;
        events += f.outcome.summary.engine.events;
        completed += f.outcome.summary.job.is_some_and(|j| j.completed) as u64;
        Ok(())
    })
    .expect("the sweep runs");
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(completed, runs, "every run of the 720 h job completes within the 60-day horizon");
    println!(
        "{:>8} {:>12} {:>14} {:>10} {:>10} {:>14}",
        "runs", "events", "events/run", "wall_s", "runs/s", "events/s"
    );
    println!(
        "{runs:>8} {events:>12} {:>14.0} {wall:>10.2} {:>10.0} {:>14.0}",
        events as f64 / runs as f64,
        runs as f64 / wall,
        events as f64 / wall
    );
    println!("target: the full sweep (21,000 runs) in < 5 s on 2 cores");
}
