//! Random valid scenarios: every kind of workload, fleet, autoscaler, market and job the scenario
//! file can describe, drawn from one case seed, with the traces they replay written beside them.
//!
//! The text is YAML, as a user would write it, so every case also goes through the parser and the
//! validator. Sizes are kept small (minutes of traffic at up to a few hundred requests a second, jobs
//! of hours), so that a case runs in milliseconds and thousands can be checked.

use std::fmt::Write as _;
use std::path::Path;

use rand::{RngExt, SeedableRng};

use crate::engine::rng::Stream;

mod llm;

/// What kind of scenario a case is (for the report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Requests through a batcher on a fixed fleet.
    Serving,
    /// Requests through a batcher on pools an autoscaler sizes.
    Autoscaled,
    /// A batch-inference queue of items.
    Items,
    /// A training or batch job.
    Job,
    /// Requests through an LLM engine (`llm:`) on every replica, fixed or autoscaled.
    Llm,
}

impl Kind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Serving => "serving",
            Kind::Autoscaled => "autoscaled",
            Kind::Items => "items",
            Kind::Job => "job",
            Kind::Llm => "llm",
        }
    }

    /// Every kind, in the order cases draw them from.
    pub const ALL: [Kind; 5] = [Kind::Serving, Kind::Autoscaled, Kind::Items, Kind::Job, Kind::Llm];

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A generated case: its scenario text and kind. Trace files are written next to the scenario.
#[derive(Clone, Debug)]
pub struct Generated {
    /// Scenario kind.
    pub kind: Kind,
    /// The scenario file's text.
    pub yaml: String,
}

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

struct Gen {
    rng: Stream,
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        self.rng.random_range(lo..=hi)
    }

    fn real(&mut self, lo: f64, hi: f64) -> f64 {
        self.rng.random_range(lo..hi)
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.rng.random_range(0..items.len())]
    }

    /// A duration in milliseconds, written with a unit.
    fn ms(&mut self, lo: u64, hi: u64) -> String {
        format!("{}ms", self.int(lo, hi))
    }

    /// 1–3 zones, in order.
    fn zones(&mut self) -> Vec<&'static str> {
        let n = self.int(1, 3) as usize;
        ZONES[..n].to_vec()
    }
}

/// The scenario of case `case`, of any kind, with its traces written into `dir` (which must exist).
pub fn scenario(case: u64, dir: &Path) -> std::io::Result<Generated> {
    scenario_of(case, dir, &Kind::ALL)
}

/// The scenario of case `case` drawn among `kinds` (not empty, in [`Kind::ALL`]'s order), with its
/// traces written into `dir`. The kind is drawn on a stream of its own, so a case of a given kind
/// is the same scenario whichever other kinds are allowed: `--kinds llm` reproduces an LLM case
/// found among all kinds.
pub fn scenario_of(case: u64, dir: &Path, kinds: &[Kind]) -> std::io::Result<Generated> {
    assert!(!kinds.is_empty(), "at least one kind of scenario");
    let kind = kinds[Stream::seed_from_u64(case).random_range(0..kinds.len())];
    // Another stream for the body (SplitMix64's increment keeps the two seeds apart).
    let mut g = Gen { rng: Stream::seed_from_u64(case ^ 0x9E37_79B9_7F4A_7C15) };
    let yaml = match kind {
        Kind::Job => job(&mut g, case, dir)?,
        Kind::Llm => llm::scenario(&mut g, case, dir)?,
        _ => serving(&mut g, case, kind, dir)?,
    };
    Ok(Generated { kind, yaml })
}

fn serving(g: &mut Gen, case: u64, kind: Kind, dir: &Path) -> std::io::Result<String> {
    let horizon_s = g.int(30, 1200);
    let mut y = String::new();
    writeln!(y, "name: check-{case}").ok();
    writeln!(y, "seed: {}", g.int(0, u64::from(u32::MAX))).ok();
    writeln!(y, "horizon: {horizon_s}s").ok();
    if g.chance(0.5) {
        writeln!(y, "warmup: {}s", g.int(0, horizon_s / 4)).ok();
    }

    // Offered load, sized so that a case stays small.
    let rate = g.real(0.5, 300.0);
    writeln!(y, "workload:").ok();
    writeln!(y, "  arrivals:").ok();
    if kind == Kind::Items {
        write!(y, "    items: {{ count: {}", g.int(1, 3000)).ok();
        if g.chance(0.3) {
            write!(y, ", size: {}", g.int(1, 2000)).ok();
        }
        writeln!(y, " }}").ok();
    } else {
        match g.int(0, 3) {
            0 => writeln!(y, "    poisson: {{ rate: {rate:.3}/s }}").ok(),
            1 => writeln!(y, "    constant: {{ rate: {rate:.3}/s }}").ok(),
            2 => {
                let period = g.int(10, horizon_s.max(10));
                writeln!(
                    y,
                    "    diurnal: {{ mean: {rate:.3}/s, peak_to_trough: {:.2}, period: {period}s, peak_at: {}s }}",
                    g.real(1.0, 8.0),
                    g.int(0, period - 1)
                )
                .ok()
            }
            _ => {
                let path = dir.join("requests.csv");
                request_trace(g, &path, rate, horizon_s)?;
                writeln!(y, "    trace: {{ path: requests.csv, format: csv, speedup: {:.2} }}", g.real(0.5, 3.0)).ok()
            }
        };
    }
    // Where `tokens:` goes if the batch time drawn below has token terms and the arrivals carry
    // no lengths (trace rows carry both; sized items their prompt).
    let tokens_at = y.len();
    let carried = if y.contains("    trace:") { (true, true) } else { (y.contains(", size:"), false) };
    if g.chance(0.6) {
        writeln!(y, "  sla: {{ latency: {}, quantile: {:.3} }}", g.ms(5, 3000), g.real(0.5, 0.999)).ok();
    }
    if g.chance(0.2) {
        writeln!(y, "  cache_hit_rate: {:.2}", g.real(0.0, 0.6)).ok();
        writeln!(y, "  cache_latency: {}", g.ms(1, 30)).ok();
    }

    writeln!(y, "service:").ok();
    match g.int(0, 2) {
        0 => writeln!(y, "  batch_time: {{ base: {}, per_item: {} }}", g.ms(1, 40), g.ms(0, 20)).ok(),
        1 => writeln!(
            y,
            "  batch_time: {{ table: {{ 1: {}, 4: {}, 16: {} }} }}",
            g.ms(5, 10),
            g.ms(10, 30),
            g.ms(30, 80)
        )
        .ok(),
        _ => {
            writeln!(
                y,
                "  batch_time: {{ base: {}, per_input_token: {}us, per_output_token: {}us }}",
                g.ms(1, 20),
                g.int(0, 50),
                g.int(0, 500)
            )
            .ok();
            let tokens = tokens(g, carried);
            y.insert_str(tokens_at, &tokens);
            Some(())
        }
    };
    let dist = match g.int(0, 2) {
        0 => "deterministic".to_string(),
        1 => "exponential".to_string(),
        _ => format!("{{ lognormal: {{ cv: {:.2} }} }}", g.real(0.05, 1.5)),
    };
    writeln!(y, "  distribution: {dist}").ok();

    write!(y, "batcher: {{ max_batch_size: {}, max_wait: {}", g.int(1, 32), g.ms(0, 50)).ok();
    if kind != Kind::Items && g.chance(0.2) {
        write!(y, ", max_queue: {}", g.int(1, 5000)).ok();
    }
    if g.chance(0.15) {
        write!(y, ", max_queue_wait: {}", g.ms(50, 20_000)).ok();
    }
    writeln!(y, " }}").ok();
    let draw = FleetDraw {
        autoscaled: kind == Kind::Autoscaled,
        rps_targets: (5.0, 200.0),
        notice_max_s: 180,
        hazard_max: 20.0,
    };
    fleet(g, &mut y, &draw, horizon_s, dir, &mut |_, _| {})?;
    // Any router, with spot pools and autoscaling too: per-replica queues follow the ready replicas.
    writeln!(y, "router: {}", g.pick(&["shared_queue", "round_robin", "least_outstanding"])).ok();
    billing(g, &mut y);
    if g.chance(0.1) {
        // Small limits: arrivals dropped at them must still be accounted for.
        writeln!(y, "limits: {{ max_queued_requests: {}, max_requests_in_memory: {} }}", g.int(1, 500), g.int(1, 1000))
            .ok();
    }
    writeln!(y, "output: {{ timeseries_interval: {}s }}", (horizon_s / g.int(5, 60)).max(1)).ok();
    Ok(y)
}

/// How a serving case's fleet is drawn.
struct FleetDraw {
    /// Pools with bounds and an autoscaler.
    autoscaled: bool,
    /// An HPA's `target_rps`, requests per second.
    rps_targets: (f64, f64),
    /// Longest interruption notice, seconds.
    notice_max_s: u64,
    /// Highest interruption hazard, per hour.
    hazard_max: f64,
}

/// `fleet:` — one to three pools (on-demand, reserved and spot; fixed, or with bounds), each
/// ending with what `pool_keys` adds — and the instance types, then `autoscaler:` when a pool has
/// bounds and `spot:` when one is spot.
fn fleet(
    g: &mut Gen,
    y: &mut String,
    d: &FleetDraw,
    horizon_s: u64,
    dir: &Path,
    pool_keys: &mut dyn FnMut(&mut Gen, &mut String),
) -> std::io::Result<()> {
    let (autoscaled, rps_targets) = (d.autoscaled, d.rps_targets);
    // Pools: on-demand, reserved and spot, fixed or (for Autoscaled) with bounds.
    let n_pools = g.int(1, 3);
    let price_trace = g.chance(0.5);
    let hpa = g.chance(0.4);
    let mut spot_zones: Vec<&str> = Vec::new();
    writeln!(y, "fleet:").ok();
    writeln!(y, "  pools:").ok();
    let mut any_bounds = false;
    for p in 0..n_pools {
        let market = g.pick(&["on_demand", "on_demand", "spot", "spot", "reserved"]);
        // A spot price trace needs instance types with a reference spot discount (for zones the
        // trace leaves out).
        let instance = if market == "spot" && price_trace {
            g.pick(&["g5.xlarge", "p3.2xlarge"])
        } else {
            g.pick(&["chk.small", "chk.fast", "g5.xlarge"])
        };
        write!(y, "    - {{ name: p{p}, instance: {instance}, market: {market}").ok();
        let bounded = autoscaled && market != "reserved" && (p == 0 || g.chance(0.5));
        if bounded {
            any_bounds = true;
            let min = g.int(u64::from(hpa), 3);
            let max = min + g.int(1, 8);
            write!(y, ", min: {min}, max: {max}").ok();
        } else {
            write!(y, ", count: {}", g.int(if p == 0 { 1 } else { 0 }, 6)).ok();
        }
        if market == "spot" {
            let zones = g.zones();
            for z in &zones {
                if !spot_zones.contains(z) {
                    spot_zones.push(z);
                }
            }
            write!(y, ", zones: [{}]", zones.join(", ")).ok();
            write!(y, ", zone_strategy: {}", g.pick(&["lowest_price", "most_available", "round_robin", "stay"])).ok();
            if g.chance(0.3) {
                write!(y, ", ondemand_fallback: true").ok();
            }
            if g.chance(0.3) {
                write!(y, ", max_price: {:.3}", g.real(0.1, 1.0)).ok();
            }
        }
        if market == "reserved" {
            write!(y, ", price: {:.3}", g.real(0.1, 2.0)).ok();
        }
        pool_keys(g, y);
        writeln!(y, " }}").ok();
    }
    instance_types(g, y);

    if any_bounds {
        writeln!(y, "autoscaler:").ok();
        match if hpa { 0 } else { g.int(1, 2) } {
            0 => {
                let target = match g.int(0, 2) {
                    0 => format!("target_utilization: {:.2}", g.real(0.2, 0.95)),
                    1 => format!("target_in_flight: {:.1}", g.real(1.0, 30.0)),
                    _ => format!("target_rps: {:.1}", g.real(rps_targets.0, rps_targets.1)),
                };
                writeln!(
                    y,
                    "  hpa: {{ {target}, sync_period: {}s, tolerance: {:.2}, scale_down_stabilization: {}s }}",
                    g.int(1, 60),
                    g.real(0.0, 0.3),
                    g.int(0, 300)
                )
                .ok();
            }
            1 => {
                writeln!(
                    y,
                    "  queue: {{ target_per_replica: {:.1}, activation: {}, polling: {}s, cooldown: {}s }}",
                    g.real(1.0, 50.0),
                    g.int(0, 5),
                    g.int(1, 60),
                    g.int(0, 300)
                )
                .ok();
            }
            _ => {
                writeln!(
                    y,
                    "  kpa: {{ target_concurrency: {:.1}, stable_window: {}s, panic_window: {}s }}",
                    g.real(1.0, 20.0),
                    g.int(6, 120),
                    g.int(1, 6)
                )
                .ok();
            }
        }
    }

    if !spot_zones.is_empty() {
        let draw = SpotDraw {
            notice_max_s: d.notice_max_s,
            hazard_max: g.chance(0.5).then_some(d.hazard_max),
            available_max: 4,
            price: (0.01, 2.0),
            price_trace,
        };
        spot(g, y, &spot_zones, horizon_s, &draw, dir)?;
    }
    Ok(())
}

/// Custom instance types: a small slow one and a fast one, with boot times and (sometimes) a
/// maximum lifetime.
fn instance_types(g: &mut Gen, y: &mut String) {
    writeln!(y, "  instance_types:").ok();
    for (name, speed) in [("chk.small", g.real(0.3, 1.0)), ("chk.fast", g.real(1.0, 4.0))] {
        write!(
            y,
            "    - {{ name: {name}, gpus: 1, on_demand_price: {:.3}, speed: {speed:.3}, boot: {}s",
            g.real(0.05, 5.0),
            g.int(0, 120)
        )
        .ok();
        if g.chance(0.2) {
            write!(y, ", max_lifetime: {}s", g.int(60, 3600)).ok();
        }
        writeln!(y, " }}").ok();
    }
}

fn billing(g: &mut Gen, y: &mut String) {
    if g.chance(0.7) {
        writeln!(
            y,
            "billing: {{ granularity: {}, minimum: {} }}",
            g.pick(&["1ms", "1s", "1m", "1h"]),
            g.pick(&["0", "1s", "60s", "10m"])
        )
        .ok();
    }
}

/// How a `spot:` section is drawn.
struct SpotDraw {
    /// Longest notice, seconds.
    notice_max_s: u64,
    /// Interruptions from a hazard with at most this rate per hour (else an availability trace).
    hazard_max: Option<f64>,
    /// Most instances an availability trace offers.
    available_max: u64,
    /// Spot prices, USD per hour.
    price: (f64, f64),
    /// Prices from a trace (else a constant).
    price_trace: bool,
}

/// `spot:`: a hazard or an availability trace; a constant price or a price trace; a notice.
fn spot(g: &mut Gen, y: &mut String, zones: &[&str], horizon_s: u64, d: &SpotDraw, dir: &Path) -> std::io::Result<()> {
    writeln!(y, "spot:").ok();
    writeln!(y, "  notice: {}s", g.int(0, d.notice_max_s)).ok();
    writeln!(y, "  interruptions:").ok();
    if let Some(max) = d.hazard_max {
        write!(y, "    hazard: {{ per_hour: {:.3}", g.real(0.001, max)).ok();
        if g.chance(0.3) {
            write!(y, ", weekend_factor: {:.2}", g.real(0.1, 1.0)).ok();
        }
        writeln!(y, " }}").ok();
    } else {
        let mut text = String::from("time,zone,instance,available\n");
        for z in zones {
            step_series(g, &mut text, z, horizon_s, |g| g.int(0, d.available_max).to_string());
        }
        std::fs::write(dir.join("availability.csv"), text)?;
        writeln!(y, "    trace: {{ path: availability.csv, format: csv }}").ok();
    }
    writeln!(y, "  price:").ok();
    let (lo, hi) = d.price;
    if d.price_trace {
        let mut text = String::from("time,zone,instance,price\n");
        for z in zones {
            step_series(g, &mut text, z, horizon_s, |g| format!("{:.4}", g.real(lo, hi)));
        }
        std::fs::write(dir.join("prices.csv"), text)?;
        writeln!(y, "    trace: {{ path: prices.csv, format: csv }}").ok();
    } else {
        writeln!(y, "    constant: {:.3}", g.real(lo, hi)).ok();
    }
    Ok(())
}

/// Rows `time,zone,,value` from time 0, at increasing times up to past the horizon.
fn step_series(g: &mut Gen, out: &mut String, zone: &str, horizon_s: u64, mut value: impl FnMut(&mut Gen) -> String) {
    let mut t = 0;
    let steps = g.int(0, 12);
    for _ in 0..=steps {
        let v = value(g);
        writeln!(out, "{t},{zone},,{v}").ok();
        t += g.int(1, (2 * horizon_s / (steps + 1)).max(1));
    }
}

/// A request trace at about `rate` for `horizon_s`: sorted times (some equal), token counts.
/// A `workload.tokens` block giving the lengths the arrivals do not carry (empty if they carry both).
fn tokens(g: &mut Gen, (prompt_carried, output_carried): (bool, bool)) -> String {
    let mut out = String::new();
    for (side, carried) in [("prompt", prompt_carried), ("output", output_carried)] {
        if carried {
            continue;
        }
        let length = match g.int(0, 2) {
            0 => format!("{{ fixed: {} }}", g.int(1, 2000)),
            1 => {
                let low = g.int(1, 1000);
                format!("{{ uniform: [{low}, {}] }}", low + g.int(0, 2000))
            }
            _ => format!("{{ lognormal: {{ mean: {}, cv: {:.2} }} }}", g.int(1, 2000), g.real(0.1, 3.0)),
        };
        writeln!(out, "    {side}: {length}").ok();
    }
    if out.is_empty() { out } else { format!("  tokens:\n{out}") }
}

fn request_trace(g: &mut Gen, path: &Path, rate: f64, horizon_s: u64) -> std::io::Result<()> {
    let mut text = String::from("time,tokens_in,tokens_out\n");
    let n = ((rate * horizon_s as f64) as u64).clamp(1, 200_000);
    let mut t = g.real(0.0, 2.0);
    for _ in 0..n {
        writeln!(text, "{t:.6},{},{}", g.int(1, 4000), g.int(1, 800)).ok();
        if !g.chance(0.05) {
            t += -(1.0 - g.real(0.0, 1.0)).ln() / rate;
        }
    }
    std::fs::write(path, text)
}

fn job(g: &mut Gen, case: u64, dir: &Path) -> std::io::Result<String> {
    let work_h = g.int(1, 48);
    let horizon_h = work_h * g.int(1, 4) + g.int(0, 24);
    let mut y = String::new();
    writeln!(y, "name: check-{case}").ok();
    writeln!(y, "seed: {}", g.int(0, u64::from(u32::MAX))).ok();
    writeln!(y, "horizon: {horizon_h}h").ok();
    let zones = g.zones();
    let hazard = g.chance(0.6);
    let price_trace = g.chance(0.5);
    writeln!(y, "job:").ok();
    writeln!(y, "  work: {work_h}h").ok();
    writeln!(y, "  gang: {}", g.int(1, 8)).ok();
    let instance = if price_trace {
        g.pick(&["p3.2xlarge", "p5.48xlarge"])
    } else {
        g.pick(&["chk.small", "chk.fast", "p5.48xlarge"])
    };
    writeln!(y, "  instance: {instance}").ok();
    writeln!(y, "  zones: [{}]", zones.join(", ")).ok();
    if zones.len() > 1 {
        writeln!(
            y,
            "  zone_policy: {}",
            g.pick(&["stay", "cheapest", "lowest_price", "most_available", "round_robin"])
        )
        .ok();
    }
    if g.chance(0.6) {
        writeln!(y, "  deadline: {}h", work_h + g.int(0, 2 * work_h)).ok();
    }
    writeln!(y, "  policy: {}", g.pick(&["spot_only", "on_demand", "greedy", "uniform_progress"])).ok();
    writeln!(y, "  restart_overhead: {}s", g.int(0, 900)).ok();
    let interval = match g.int(0, 5) {
        0 if hazard => "young".to_string(),
        1 if hazard => "daly".to_string(),
        2 => "none".to_string(),
        3 => "continuous".to_string(),
        _ => format!("{}m", g.int(5, 240)),
    };
    writeln!(
        y,
        "  checkpoint: {{ interval: {interval}, write: {}s, restore: {}s, on_notice: {} }}",
        // Young's and Daly's intervals are computed from the write time: it cannot be 0 for them.
        g.int(u64::from(interval == "young" || interval == "daly"), 600),
        g.int(0, 900),
        g.pick(&["emergency", "ignore"])
    )
    .ok();
    writeln!(y, "fleet:").ok();
    writeln!(y, "  pools: []").ok();
    instance_types(g, &mut y);
    let draw = SpotDraw {
        notice_max_s: 300,
        hazard_max: hazard.then_some(1.0),
        available_max: 10,
        price: (0.1, 30.0),
        price_trace,
    };
    spot(g, &mut y, &zones, horizon_h * 3600, &draw, dir)?;
    billing(g, &mut y);
    Ok(y)
}
