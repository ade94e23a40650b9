//! Random LLM serving cases: an `llm:` engine on the fleets, markets and autoscalers the other
//! serving cases draw — either scheduler; KV caches from a few blocks (preemptions, and requests
//! refused as too large for the cache) to ample ones; a `max_model_len` that some requests exceed;
//! pools with their own `llm:`; the `round_robin`, `least_outstanding` and `least_kv` routers —
//! under Poisson, constant, diurnal or item arrivals with `workload.tokens` (fixed, uniform,
//! lognormal, or resampled from the Azure LLM traces), or a replayed trace (one written beside the
//! case, or the Azure one in `traces/`); fleets of two or more pools now and then disaggregated
//! (the first pools prefill, the others decode, over a link from fast to slow). Horizons are short and loads modest: a case runs in
//! milliseconds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{FleetDraw, Gen, billing, fleet};

/// The Azure LLM traces in `traces/` (absent when the binary runs away from its source tree; then
/// cases replay a generated trace instead).
fn azure(name: &str) -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("traces/azure-llm-2023/AzureLLMInferenceTrace_{name}.csv"));
    path.is_file().then_some(path)
}

/// Mean prompt and output tokens of the Azure traces (conv, code), for sizing the engine.
const AZURE_MEANS: [(&str, u64, u64); 2] = [("conv", 1155, 211), ("code", 2048, 28)];

/// The scenario of an LLM case.
pub(super) fn scenario(g: &mut Gen, case: u64, dir: &Path) -> std::io::Result<String> {
    let horizon_s = g.int(10, 180);
    let mut y = String::new();
    writeln!(y, "name: check-{case}").ok();
    writeln!(y, "seed: {}", g.int(0, u64::from(u32::MAX))).ok();
    writeln!(y, "horizon: {horizon_s}s").ok();
    if g.chance(0.4) {
        writeln!(y, "warmup: {}s", g.int(0, horizon_s / 4)).ok();
    }
    // Lengths: P + O of a typical request sizes max_model_len and the KV cache.
    let typical = workload(g, &mut y, horizon_s, dir)?;
    sla(g, &mut y);
    if g.chance(0.1) {
        writeln!(y, "  cache_hit_rate: {:.2}", g.real(0.0, 0.5)).ok();
    }
    let base = Engine::draw(g, typical);
    writeln!(y, "llm:").ok();
    base.write(&mut y, "  ");
    writeln!(y, "  step_time: {}", step_time(g)).ok();
    // Interruptions often and notices short, so that running sequences are cut and recomputed
    // elsewhere within the few minutes a case lasts.
    let draw = FleetDraw { autoscaled: g.chance(0.5), rps_targets: (0.2, 20.0), notice_max_s: 30, hazard_max: 50.0 };
    fleet(g, &mut y, &draw, horizon_s, dir, &mut |g, y| {
        if g.chance(0.3) {
            pool_llm(g, y, &base, typical);
        }
    })?;
    disaggregate(g, &mut y);
    if g.chance(0.85) {
        writeln!(y, "router: {}", g.pick(&["round_robin", "least_outstanding", "least_kv"])).ok();
    }
    billing(g, &mut y);
    if g.chance(0.1) {
        // Small limits: arrivals dropped at them must still be accounted for.
        writeln!(y, "limits: {{ max_queued_requests: {}, max_requests_in_memory: {} }}", g.int(1, 200), g.int(1, 400))
            .ok();
    }
    writeln!(y, "output: {{ timeseries_interval: {}s }}", (horizon_s / g.int(5, 60)).max(1)).ok();
    Ok(y)
}

/// `workload:` with its arrivals and the lengths they lack; returns a typical request's P + O.
fn workload(g: &mut Gen, y: &mut String, horizon_s: u64, dir: &Path) -> std::io::Result<u64> {
    // At most ~1,500 requests, so that a case stays small.
    let rate = g.real(0.2, (1500.0 / horizon_s as f64).min(40.0));
    writeln!(y, "workload:").ok();
    writeln!(y, "  arrivals:").ok();
    match g.int(0, 9) {
        0..=2 => writeln!(y, "    poisson: {{ rate: {rate:.3}/s }}").ok(),
        3 => writeln!(y, "    constant: {{ rate: {rate:.3}/s }}").ok(),
        4 | 5 => {
            let period = g.int(10, horizon_s.max(10));
            writeln!(
                y,
                "    diurnal: {{ mean: {rate:.3}/s, peak_to_trough: {:.2}, period: {period}s, peak_at: {}s }}",
                g.real(1.0, 8.0),
                g.int(0, period - 1)
            )
            .ok()
        }
        6 => writeln!(y, "    items: {{ count: {} }}", g.int(1, 400)).ok(),
        // Traces carry both lengths.
        7 | 8 => {
            let (max_in, max_out) = (g.int(1, 3000), g.int(1, 400));
            request_trace(g, &dir.join("requests.csv"), rate, horizon_s, (max_in, max_out))?;
            writeln!(y, "    trace: {{ path: requests.csv, format: csv, speedup: {:.2} }}", g.real(0.5, 3.0)).ok();
            return Ok((max_in + max_out) / 2);
        }
        _ => {
            let (name, p, o) = AZURE_MEANS[g.int(0, 1) as usize];
            if let Some(path) = azure(name) {
                let speedup = g.real(0.3, 3.0);
                writeln!(y, "    trace: {{ path: {}, format: azure-llm, speedup: {speedup:.2} }}", path.display()).ok();
                return Ok(p + o);
            }
            writeln!(y, "    poisson: {{ rate: {rate:.3}/s }}").ok()
        }
    };
    writeln!(y, "  tokens:").ok();
    let prompt = length(g, y, "prompt", 3000, 1);
    let output = length(g, y, "output", 400, 2);
    Ok(prompt + output)
}

/// `workload.tokens.<side>` with lengths up to about `max`; returns its mean. `azure_column` is
/// the column an empirical draw resamples (1: prompt, 2: output).
fn length(g: &mut Gen, y: &mut String, side: &str, max: u64, azure_column: usize) -> u64 {
    let (text, mean) = match g.int(0, 9) {
        0..=2 => {
            let n = g.int(1, max);
            (format!("{{ fixed: {n} }}"), n)
        }
        3..=5 => {
            let low = g.int(1, max / 2);
            let high = low + g.int(0, max / 2);
            (format!("{{ uniform: [{low}, {high}] }}"), (low + high) / 2)
        }
        6..=8 => {
            let mean = g.int(1, max / 2);
            (format!("{{ lognormal: {{ mean: {mean}, cv: {:.2} }} }}", g.real(0.1, 2.5)), mean)
        }
        _ => {
            let (name, p, o) = AZURE_MEANS[g.int(0, 1) as usize];
            match azure(name) {
                Some(path) => (
                    format!("{{ empirical: {{ path: {}, format: azure-llm }} }}", path.display()),
                    if azure_column == 1 { p } else { o },
                ),
                None => (format!("{{ fixed: {max} }}"), max),
            }
        }
    };
    writeln!(y, "    {side}: {text}").ok();
    mean
}

/// A request trace at about `rate` for `horizon_s`: sorted times (some equal), prompt and output
/// tokens up to `max`, now and then none (a request the replicas must refuse).
fn request_trace(g: &mut Gen, path: &Path, rate: f64, horizon_s: u64, max: (u64, u64)) -> std::io::Result<()> {
    let mut text = String::from("time,tokens_in,tokens_out\n");
    let n = ((rate * horizon_s as f64) as u64).clamp(1, 3000);
    let mut t = g.real(0.0, 2.0);
    for _ in 0..n {
        let empty = g.chance(0.01);
        let (p, o) = (g.int(u64::from(!empty), max.0), g.int(1, max.1));
        writeln!(text, "{t:.6},{p},{o}").ok();
        if !g.chance(0.05) {
            t += -(1.0 - g.real(0.0, 1.0)).ln() / rate;
        }
    }
    std::fs::write(path, text)
}

/// `workload.sla`: any of the token objectives, the end-to-end one in either spelling, or none.
fn sla(g: &mut Gen, y: &mut String) {
    let mut parts = Vec::new();
    if g.chance(0.15) {
        parts.push(format!("latency: {}, quantile: {:.3}", g.ms(100, 60_000), g.real(0.5, 0.999)));
    } else if g.chance(0.3) {
        parts.push(format!("e2e: {{ latency: {}, quantile: {:.3} }}", g.ms(100, 60_000), g.real(0.5, 0.999)));
    }
    if g.chance(0.5) {
        parts.push(format!("ttft: {{ latency: {}, quantile: {:.3} }}", g.ms(10, 5000), g.real(0.5, 0.999)));
    }
    if g.chance(0.5) {
        parts.push(format!("tpot: {{ latency: {}, quantile: {:.3} }}", g.ms(5, 300), g.real(0.5, 0.999)));
    }
    if !parts.is_empty() && g.chance(0.8) {
        writeln!(y, "  sla: {{ {} }}", parts.join(", ")).ok();
    }
}

/// An `llm:` engine's keys as drawn (`None`: left out, the default or the scenario's applies).
#[derive(Clone, Copy, Debug, Default)]
struct Engine {
    chunked: Option<bool>,
    max_num_seqs: Option<u64>,
    max_num_batched_tokens: Option<u64>,
    max_model_len: Option<u64>,
    block_size: Option<u64>,
    kv_cache_tokens: Option<u64>,
}

impl Engine {
    /// A whole engine (max_model_len and kv_cache_tokens always given) for requests of about
    /// `typical` tokens.
    fn draw(g: &mut Gen, typical: u64) -> Engine {
        let chunked = g.chance(0.5);
        let max_model_len = ((typical as f64 * g.real(0.8, 4.0)) as u64).clamp(2, 20_000);
        let block_size = if g.chance(0.3) { None } else { Some(*g.pick(&[&1, &4, &8, &16, &32, &128])) };
        let bs = block_size.unwrap_or(16);
        // A cache smaller than one request (refused as too large for it), a few requests
        // (preemptions), or ample.
        let kv = match g.int(0, 9) {
            0 | 1 => (max_model_len as f64 * g.real(0.2, 1.2)) as u64,
            2..=5 => (typical as f64 * g.real(1.0, 8.0)) as u64,
            _ => g.int(20_000, 500_000),
        };
        let max_num_seqs = match g.int(0, 3) {
            0 => None,
            1 => Some(g.int(1, 8)),
            2 => Some(g.int(1, 64)),
            _ => Some(g.int(64, 512)),
        };
        let mut e = Engine {
            chunked: if !chunked && g.chance(0.3) { None } else { Some(chunked) },
            max_num_seqs,
            max_num_batched_tokens: None,
            max_model_len: Some(max_model_len),
            block_size,
            kv_cache_tokens: Some(kv.max(bs)),
        };
        if g.chance(0.6) {
            e.max_num_batched_tokens = Some(if chunked {
                // Small budgets chunk most prompts.
                e.max_num_seqs.unwrap_or(256) + if g.chance(0.5) { g.int(0, 64) } else { g.int(0, 8192) }
            } else {
                max_model_len + g.int(0, 8192)
            });
        }
        e
    }

    /// `self`'s keys over `base`'s.
    fn over(&self, base: &Engine) -> Engine {
        Engine {
            chunked: self.chunked.or(base.chunked),
            max_num_seqs: self.max_num_seqs.or(base.max_num_seqs),
            max_num_batched_tokens: self.max_num_batched_tokens.or(base.max_num_batched_tokens),
            max_model_len: self.max_model_len.or(base.max_model_len),
            block_size: self.block_size.or(base.block_size),
            kv_cache_tokens: self.kv_cache_tokens.or(base.kv_cache_tokens),
        }
    }

    /// The token budget a valid engine needs at least, given its other keys (SPEC's defaults).
    fn budget_floor(&self) -> u64 {
        if self.chunked == Some(true) { self.max_num_seqs.unwrap_or(256) } else { self.max_model_len.unwrap_or(1) }
    }

    /// Whether the validator takes this (whole, merged) engine.
    fn valid(&self) -> bool {
        let budget = self.max_num_batched_tokens.unwrap_or(if self.chunked == Some(true) {
            2048
        } else {
            self.max_model_len.unwrap_or(1).max(2048)
        });
        budget >= self.budget_floor() && self.kv_cache_tokens.unwrap_or(0) >= self.block_size.unwrap_or(16)
    }

    /// The keys given, one per line at `indent`.
    fn write(&self, y: &mut String, indent: &str) {
        for (key, value) in self.keys() {
            writeln!(y, "{indent}{key}: {value}").ok();
        }
    }

    fn keys(&self) -> Vec<(&'static str, String)> {
        let mut keys = Vec::new();
        if let Some(c) = self.chunked {
            keys.push(("scheduler", if c { "chunked" } else { "vllm" }.to_string()));
        }
        for (key, value) in [
            ("max_num_seqs", self.max_num_seqs),
            ("max_num_batched_tokens", self.max_num_batched_tokens),
            ("max_model_len", self.max_model_len),
            ("block_size", self.block_size),
            ("kv_cache_tokens", self.kv_cache_tokens),
        ] {
            if let Some(v) = value {
                keys.push((key, v.to_string()));
            }
        }
        keys
    }
}

/// A pool's own `llm:`: some keys of another engine (and sometimes its own step time), made valid
/// over the scenario's `base`.
fn pool_llm(g: &mut Gen, y: &mut String, base: &Engine, typical: u64) {
    let other = Engine::draw(g, typical);
    let mut own = Engine::default();
    let take = |g: &mut Gen| g.chance(0.4);
    if take(g) {
        own.chunked = other.chunked;
    }
    if take(g) {
        own.max_num_seqs = other.max_num_seqs;
    }
    if take(g) {
        own.max_model_len = other.max_model_len;
    }
    if take(g) {
        own.block_size = other.block_size;
    }
    if take(g) {
        own.kv_cache_tokens = other.kv_cache_tokens;
    }
    if take(g) {
        own.max_num_batched_tokens = other.max_num_batched_tokens;
    }
    let merged = own.over(base);
    if !merged.valid() {
        own.max_num_batched_tokens = Some(merged.budget_floor() + g.int(0, 1024));
        let bs = own.over(base).block_size.unwrap_or(16);
        if own.over(base).kv_cache_tokens.unwrap_or(0) < bs {
            own.kv_cache_tokens = Some(bs * g.int(1, 64));
        }
    }
    debug_assert!(own.over(base).valid(), "{own:?} over {base:?}");
    let mut keys: Vec<String> = own.keys().into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if g.chance(0.3) {
        keys.push(format!("step_time: {}", step_time(g)));
    }
    if !keys.is_empty() {
        write!(y, ", llm: {{ {} }}", keys.join(", ")).ok();
    }
}

/// `step_time: { fitted: … }` in milliseconds, now and then with the large-batch set, rarely all
/// zero (every iteration instantaneous).
fn step_time(g: &mut Gen) -> String {
    if g.chance(0.02) {
        return "{ fitted: { prefill_ms: [0, 0, 0], decode_ms: [0, 0, 0] } }".into();
    }
    let prefill = [g.real(0.5, 30.0), g.real(0.0, 0.3), g.real(0.0, 1e-5)];
    let decode = [g.real(3.0, 40.0), g.real(0.0, 3e-4), g.real(0.0, 0.5)];
    let triple = |t: [f64; 3]| format!("[{:.4}, {:.6}, {:.9}]", t[0], t[1], t[2]);
    let mut text = format!("{{ fitted: {{ prefill_ms: {}, decode_ms: {}", triple(prefill), triple(decode));
    if g.chance(0.3) {
        let large = [g.real(3.0, 60.0), g.real(0.0, 3e-4), g.real(0.0, 0.5)];
        write!(text, ", decode_large_ms: {}, large_batch_from: {}", triple(large), g.int(1, 128)).ok();
    }
    text + " } }"
}

/// Now and then (with two pools or more) `llm.disaggregated`: the first pools prefill, the rest
/// decode; the KV link from a few MB/s (transfers of seconds) to 100 GB/s.
fn disaggregate(g: &mut Gen, y: &mut String) {
    // Whether each pool may have instances (a count above 0, or min/max): each side needs one.
    let serves: Vec<bool> = y
        .lines()
        .filter(|l| l.starts_with("    - { name: p"))
        .map(|l| !(l.contains("count: 0,") || l.contains("count: 0 }")))
        .collect();
    let n_pools = serves.len();
    if n_pools < 2 || !g.chance(0.4) {
        return;
    }
    let k = g.int(1, n_pools as u64 - 1) as usize;
    if !serves[..k].contains(&true) || !serves[k..].contains(&true) {
        return;
    }
    let (k, n_pools) = (k as u64, n_pools as u64);
    let names = |r: std::ops::Range<u64>| r.map(|p| format!("p{p}")).collect::<Vec<_>>().join(", ");
    let line = format!(
        "  disaggregated: {{ prefill_pool: [{}], decode_pool: [{}], kv_transfer: {{ bandwidth: {:.3}GB/s, latency: {}, bytes_per_token: {}B }} }}\n",
        names(0..k),
        names(k..n_pools),
        g.real(0.005, 100.0),
        g.ms(0, 20),
        g.int(1_000, 1 << 20),
    );
    let at = y.find("\nllm:\n").expect("the llm: section") + "\nllm:\n".len();
    y.insert_str(at, &line);
}
