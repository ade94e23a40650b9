//! Engine benchmark: a 1,000 req/s batching fleet simulated over 1 h and 10 h on one core.
//!
//! Prints simulated requests and events per wall second and the peak resident memory of each run
//! (each horizon runs in its own child process, so peak memory is that run's alone).
//!
//!     cargo bench --bench engine            # full: 1 h and 10 h, best of 3 runs each
//!     cargo bench --bench engine -- --quick # smoke run for CI: 6 min and 1 h, 1 run each
//!
//! A third line runs the longer horizon on an HPA-driven fleet (2–12 replicas).
//!
//! Targets (issue 2): ≥ 5 M simulated requests/s and ≥ 10 M events/s on one core; peak memory of
//! the 10 h run no more than 1.5× that of the 1 h run.

use std::process::Command;
use std::time::Instant;

const SCENARIO: &str = "name: bench\nseed: 1\nhorizon: HORIZON\nwarmup: 1m\n\
    workload:\n  arrivals:\n    poisson: { rate: 1000/s }\n  sla: { latency: 100ms }\n\
    service:\n  batch_time: { base: 8ms, per_item: 1ms }\n  distribution: { lognormal: { cv: 0.3 } }\n\
    batcher: { max_batch_size: 16, max_wait: 5ms }\nrouter: shared_queue\n\
    fleet:\n  pools:\n    - { name: gpu, instance: g5.xlarge, count: 4 }\n";

/// The same traffic on a fleet the HPA drives (2–12 replicas, 15 s syncs): the cost of the
/// autoscaler's gauges and decisions on the hot path.
const AUTOSCALED: &str =
    "    - { name: gpu, instance: g5.xlarge, min: 2, max: 12 }\nautoscaler:\n  hpa: { target_utilization: 0.6 }\n";

fn main() {
    if let Ok(horizon) = std::env::var("FLEETSIM_BENCH_CHILD") {
        child(&horizon);
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let (horizons, repeats) = if quick { (["6m", "1h"], 1) } else { (["1h", "10h"], 3) };
    println!("engine benchmark: 1,000 req/s Poisson, batcher 16 / 5 ms, 4 replicas, lognormal service");
    println!(
        "{:>8} {:>12} {:>10} {:>14} {:>14} {:>12}",
        "horizon", "requests", "wall_s", "requests/s", "events/s", "peak_rss_mib"
    );
    let mut peaks = Vec::new();
    let mut rates = Vec::new();
    for horizon in horizons {
        let best = (0..repeats)
            .map(|_| spawn(horizon))
            .min_by(|a, b| a.wall_s.total_cmp(&b.wall_s))
            .expect("at least one run");
        println!(
            "{horizon:>8} {:>12} {:>10.3} {:>14.0} {:>14.0} {:>12.1}",
            best.requests,
            best.wall_s,
            best.requests as f64 / best.wall_s,
            best.events as f64 / best.wall_s,
            best.peak_rss_kib as f64 / 1024.0
        );
        peaks.push(best.peak_rss_kib as f64);
        rates.push((best.requests as f64 / best.wall_s, best.events as f64 / best.wall_s));
    }
    // The autoscaled variant at the longer horizon.
    let horizon = horizons[1];
    let best = (0..repeats)
        .map(|_| spawn(&format!("hpa:{horizon}")))
        .min_by(|a, b| a.wall_s.total_cmp(&b.wall_s))
        .expect("at least one run");
    println!(
        "{:>8} {:>12} {:>10.3} {:>14.0} {:>14.0} {:>12.1}   (HPA-driven fleet, 2-12 replicas)",
        format!("{horizon}+hpa"),
        best.requests,
        best.wall_s,
        best.requests as f64 / best.wall_s,
        best.events as f64 / best.wall_s,
        best.peak_rss_kib as f64 / 1024.0
    );
    let ratio = peaks[1] / peaks[0];
    let (req_s, ev_s) = rates[rates.len() - 1];
    println!("peak memory {} / {}: {ratio:.2}x (target <= 1.5x)", horizons[1], horizons[0]);
    println!(
        "targets: requests/s {} (>= 5M), events/s {} (>= 10M), memory {}",
        verdict(req_s >= 5e6),
        verdict(ev_s >= 10e6),
        verdict(ratio <= 1.5)
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

struct Figures {
    requests: u64,
    events: u64,
    wall_s: f64,
    peak_rss_kib: u64,
}

fn spawn(horizon: &str) -> Figures {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe).env("FLEETSIM_BENCH_CHILD", horizon).output().expect("child runs");
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let nums: Vec<f64> = text.split_whitespace().map(|w| w.parse().expect("number")).collect();
    Figures { requests: nums[0] as u64, events: nums[1] as u64, wall_s: nums[2], peak_rss_kib: nums[3] as u64 }
}

fn child(which: &str) {
    let yaml = match which.strip_prefix("hpa:") {
        Some(horizon) => SCENARIO
            .replace("HORIZON", horizon)
            .replace("    - { name: gpu, instance: g5.xlarge, count: 4 }\n", AUTOSCALED),
        None => SCENARIO.replace("HORIZON", which),
    };
    let s = fleetsim::scenario::from_yaml(&yaml).expect("valid bench scenario");
    let started = Instant::now();
    let out = fleetsim::serving::simulate(&s, None).expect("runs");
    let wall_s = started.elapsed().as_secs_f64();
    let m = &out.summary;
    println!("{} {} {} {}", m.requests.completed, m.engine.events, wall_s, peak_rss_kib());
}

/// VmHWM (peak resident set) of this process, KiB; 0 where /proc is not available.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
