//! `parameters.json`: the scenario's key parameters in words, and its `assert:` checks, written
//! beside the results of a run, a sweep (its base scenario) and each design of a comparison, so
//! that a report made later from the folder alone can say what was simulated and whether each
//! check held.
//!
//! This is a pure function of the validated scenario; the CLI writes the file.

use serde::{Deserialize, Serialize};

use crate::engine::Duration;
use crate::report::format;
use crate::scenario::{
    Arrivals, BatchTime, CheckpointInterval, Interruptions, JobSpec, Market, PoolSpec, ScalerSpec, Scenario,
    ServiceDistribution, Serving,
};

/// The file's content.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// The scenario's name.
    pub scenario: String,
    /// Key parameters, in the order of the scenario file.
    pub parameters: Vec<Parameter>,
    /// The `assert:` checks as written.
    pub asserts: Vec<String>,
}

/// One parameter in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// What it is (`arrivals`, `pool burst`).
    pub what: String,
    /// The scenario key it comes from.
    pub key: String,
    /// Its value in words (`Poisson, 1,100/s`).
    pub value: String,
}

impl Parameters {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

fn d(x: Duration) -> String {
    format::duration(x.as_secs_f64())
}

fn rate(per_s: f64) -> String {
    format!("{}/s", format::count(per_s))
}

/// The key parameters and checks of `s`.
pub fn of(s: &Scenario) -> Parameters {
    let mut out: Vec<Parameter> = Vec::new();
    let mut add = |what: &str, key: &str, value: String| {
        out.push(Parameter { what: what.into(), key: key.into(), value });
    };
    let warmup = if s.warmup.as_nanos() > 0 { format!(", warm-up {}", d(s.warmup)) } else { String::new() };
    add("simulated time", "horizon", format!("{}{warmup}", d(s.horizon)));
    add("seed", "seed", s.seed.to_string());
    if let Some(sv) = s.serving() {
        serving(sv, &mut add);
    }
    if let Some(job) = s.job() {
        job_parameters(job, &mut add);
    }
    for p in &s.fleet.pools {
        add(&format!("pool {}", p.name), "fleet.pools", pool(p));
    }
    if let Some(a) = &s.autoscaler {
        let scaler = match &a.scaler {
            Some(ScalerSpec::Hpa(h)) => {
                format!("Kubernetes HPA on {}, every {}", hpa_metric(&h.metric), d(h.sync_period))
            }
            Some(ScalerSpec::Queue(q)) => {
                format!("KEDA queue scaler, {} per replica, polled every {}", hpa_metric(&q.hpa.metric), d(q.polling))
            }
            Some(ScalerSpec::Kpa(k)) => format!(
                "Knative KPA, {} per replica at {}",
                signal_target(k.signal, k.target_concurrency),
                format::percent(k.target_utilization)
            ),
            None => "none".into(),
        };
        let floors =
            if a.schedule.is_empty() { String::new() } else { format!("; {} schedule floors", a.schedule.len()) };
        add("autoscaler", "autoscaler", format!("{scaler}{floors}"));
    }
    if let Some(spot) = &s.spot {
        let value = match &spot.interruptions {
            Interruptions::Hazard { weekend_factor, .. } => {
                let rates: Vec<String> = s
                    .fleet
                    .pools
                    .iter()
                    .filter(|p| p.market == Market::Spot)
                    .map(|p| format!("{}/h per instance", format::count(p.interruptions_per_hour)))
                    .chain(s.job().map(|j| format!("{}/h per instance", format::count(j.interruptions_per_hour))))
                    .collect();
                let mut rates = rates;
                rates.dedup();
                format!("hazard {} (weekends × {})", rates.join(", "), format::sig3(*weekend_factor))
            }
            Interruptions::Traces(t) => format!("availability traces: {}", file_names(t.iter().map(|t| &t.path))),
        };
        add("spot interruptions", "spot.interruptions", value);
        if !spot.price_traces.is_empty() {
            add(
                "spot price",
                "spot.price",
                format!("traces: {}", file_names(spot.price_traces.iter().map(|t| &t.path))),
            );
        }
    }
    add(
        "billing",
        "billing",
        format!("per {}, at least {} per instance", d(s.billing.granularity), d(s.billing.minimum)),
    );
    Parameters {
        scenario: s.name.clone(),
        parameters: out,
        asserts: s.asserts.iter().map(|a| a.text.clone()).collect(),
    }
}

fn file_names<'a>(paths: impl Iterator<Item = &'a std::path::PathBuf>) -> String {
    let mut names: Vec<String> =
        paths.map(|p| p.file_name().map_or(p.display().to_string(), |n| n.to_string_lossy().into_owned())).collect();
    names.dedup();
    names.join(", ")
}

fn serving(sv: &Serving, add: &mut impl FnMut(&str, &str, String)) {
    let arrivals = match &sv.arrivals {
        Arrivals::Poisson { rate_per_s } => format!("Poisson, {}", rate(*rate_per_s)),
        Arrivals::Constant { rate_per_s } => format!("evenly spaced, {}", rate(*rate_per_s)),
        Arrivals::Diurnal { mean_per_s, amplitude, period, peak_at } => format!(
            "diurnal, mean {}, peak to trough {}, period {}, peak at {}",
            rate(*mean_per_s),
            format::sig3((1.0 + amplitude) / (1.0 - amplitude)),
            d(*period),
            d(*peak_at)
        ),
        Arrivals::Items { count, size } => {
            format!("{} items of {size} tokens, all at time 0", format::count(*count as f64))
        }
        Arrivals::Trace { path, format: f, speedup } => format!(
            "trace {} ({f:?}), speed-up × {}",
            path.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned()),
            format::sig3(*speedup)
        ),
    };
    add("arrivals", "workload.arrivals", arrivals);
    if let Some(sla) = &sv.sla {
        add("SLA", "workload.sla", format!("{} latency ≤ {}", format::quantile(sla.quantile), d(sla.latency)));
    }
    if let Some(c) = &sv.cache {
        add(
            "response cache",
            "workload.cache_hit_rate",
            format!("{} of requests, {} each", format::percent(c.hit_rate), d(c.latency)),
        );
    }
    match (sv.batcher(), sv.llm()) {
        (Some((service, batcher)), _) => {
            let ms = |ns: f64| format::duration(ns / 1e9);
            let batch = match &service.batch_time {
                BatchTime::Linear { base_ns, per_item_ns, per_input_token_ns, per_output_token_ns } => {
                    let mut v = format!("{} + {} per request", ms(*base_ns), ms(*per_item_ns));
                    if *per_input_token_ns > 0.0 {
                        v.push_str(&format!(" + {} per input token", ms(*per_input_token_ns)));
                    }
                    if *per_output_token_ns > 0.0 {
                        v.push_str(&format!(" + {} per output token", ms(*per_output_token_ns)));
                    }
                    v
                }
                BatchTime::Table(points) => {
                    points.iter().map(|(b, ns)| format!("{b}: {}", ms(*ns))).collect::<Vec<_>>().join(", ")
                }
            };
            let spread = match service.distribution {
                ServiceDistribution::Deterministic => "deterministic".to_string(),
                ServiceDistribution::Exponential => "exponential".to_string(),
                ServiceDistribution::Lognormal { cv } => format!("lognormal, cv {}", format::sig3(cv)),
            };
            add("batch time", "service.batch_time", format!("{batch} ({spread})"));
            let b = batcher;
            let mut batcher = format!("up to {} per batch, waits at most {}", b.max_batch_size, d(b.max_wait));
            if let Some(q) = b.max_queue {
                batcher.push_str(&format!(", queue of at most {}", format::count(q as f64)));
            }
            if let Some(w) = b.max_queue_wait {
                batcher.push_str(&format!(", drops requests waiting {}", d(w)));
            }
            add("batcher", "batcher", batcher);
        }
        (None, Some(llm)) => llm_parameters(llm, add),
        (None, None) => {}
    }
    let router = match sv.router {
        crate::scenario::Router::SharedQueue => "shared_queue",
        crate::scenario::Router::RoundRobin => "round_robin",
        crate::scenario::Router::LeastOutstanding => "least_outstanding",
        crate::scenario::Router::LeastKv => "least_kv",
    };
    add("router", "router", router.into());
}

/// The LLM engine of the first pool (others are told apart when they differ).
fn llm_parameters(llm: &crate::scenario::serving::llm::LlmSpec, add: &mut impl FnMut(&str, &str, String)) {
    let Some(first) = llm.pools.first() else { return };
    let c = &first.config;
    add(
        "LLM engine",
        "llm",
        format!(
            "{} scheduler, up to {} sequences and {} tokens per iteration, max_model_len {}, KV cache {} tokens in blocks of {}",
            c.scheduler.name(),
            c.max_num_seqs,
            c.max_num_batched_tokens,
            c.max_model_len,
            c.kv_cache_tokens,
            c.block_size
        ),
    );
    add("step time", "llm.step_time", first.step_time.describe.clone());
    for (i, p) in llm.pools.iter().enumerate() {
        if let Some(z) = &p.sizing {
            add(
                &format!("model of pool {i}"),
                &format!("fleet.pools[{i}].llm.model"),
                format!(
                    "{} at {} (KV {}) on {} × {} per replica, {} replica(s) per instance",
                    z.model, z.precision, z.kv_precision, z.tensor_parallel, z.gpu, p.replicas_per_instance
                ),
            );
        } else if p.replicas_per_instance > 1 {
            add(
                &format!("replicas per instance of pool {i}"),
                &format!("fleet.pools[{i}].llm.tensor_parallel"),
                p.replicas_per_instance.to_string(),
            );
        }
    }
    for (i, p) in llm.pools.iter().enumerate().skip(1) {
        if p.config != first.config || p.step_time.describe != first.step_time.describe {
            let c = &p.config;
            add(
                &format!("LLM engine of pool {i}"),
                &format!("fleet.pools[{i}].llm"),
                format!(
                    "{} scheduler, {} sequences, {} tokens per iteration, KV {} tokens; {}",
                    c.scheduler.name(),
                    c.max_num_seqs,
                    c.max_num_batched_tokens,
                    c.kv_cache_tokens,
                    p.step_time.describe
                ),
            );
        }
    }
}

fn pool(p: &PoolSpec) -> String {
    let size = match p.scaling {
        Some(b) => format!("{}–{}", b.min, b.max),
        None => p.count.to_string(),
    };
    let i = &p.instance;
    let gpu = if i.gpus > 0 && !i.gpu.is_empty() { format!(" ({} × {})", i.gpus, i.gpu) } else { String::new() };
    let speed =
        if (i.speed - 1.0).abs() > 1e-12 { format!(", speed × {}", format::sig3(i.speed)) } else { String::new() };
    let market = match p.market {
        Market::OnDemand => format!("on demand at {}/h", format::money(p.price_per_hour)),
        Market::Reserved => format!("reserved at {}/h", format::money(p.price_per_hour)),
        Market::Spot => {
            let mut v = match p.spot_price {
                Some(price) => {
                    format!("spot at {}/h (where no trace prices it) in {}", format::money(price), p.zones.join(", "))
                }
                None => format!("spot at the traced price in {}", p.zones.join(", ")),
            };
            if let Some(m) = p.max_price {
                v.push_str(&format!(", max price {}/h", format::money(m)));
            }
            if p.ondemand_fallback {
                v.push_str(", on-demand fallback");
            }
            v
        }
    };
    format!("{size} × {}{gpu} {market}, boot {}{speed}", i.name, d(i.boot))
}

fn hpa_metric(m: &crate::scenario::HpaMetric) -> String {
    use crate::scenario::HpaMetric;
    match m {
        HpaMetric::Utilization { percent } => format!("utilization {percent}%"),
        HpaMetric::InFlight { per_replica } => {
            format!("{} requests in flight per replica", format::count(*per_replica))
        }
        HpaMetric::Rps { per_replica } => format!("{} per replica", rate(*per_replica)),
        HpaMetric::QueueLength { per_replica, signal: crate::scenario::LoadSignal::InSystem } => {
            format!("queue length {}", format::count(*per_replica))
        }
        HpaMetric::QueueLength { per_replica, signal } => signal_target(*signal, *per_replica),
        HpaMetric::Llm { signal, per_replica } => format!("{} per replica", signal_target(*signal, *per_replica)),
    }
}

/// An autoscaler's target in words: "12 requests", "24 running sequences", "KV cache 80% full".
fn signal_target(signal: crate::scenario::LoadSignal, target: f64) -> String {
    use crate::scenario::LoadSignal;
    match signal {
        LoadSignal::InSystem => format!("{} requests", format::count(target)),
        LoadSignal::Running => format!("{} running sequences", format::count(target)),
        LoadSignal::Waiting => format!("{} waiting requests", format::count(target)),
        LoadSignal::KvUtilization => format!("KV cache {} full", format::percent(target)),
    }
}

fn job_parameters(job: &JobSpec, add: &mut impl FnMut(&str, &str, String)) {
    add("work", "job.work", format!("{} at speed 1 on a gang of {} × {}", d(job.work), job.gang, job.instance.name));
    add("deadline", "job.deadline", d(job.deadline));
    add("placement policy", "job.policy", job.policy.as_str().to_string());
    if !job.zones.is_empty() {
        add("zones", "job.zones", job.zones.join(", "));
    }
    let interval = match job.interval {
        CheckpointInterval::Every(x) => format!("every {}", d(x)),
        CheckpointInterval::None => "none".into(),
        CheckpointInterval::Continuous => "continuous (no loss)".into(),
    };
    add(
        "checkpoints",
        "job.checkpoint",
        format!(
            "{interval}; write {}, restore {}{}",
            d(job.write),
            d(job.restore),
            if job.emergency { ", emergency write on notice" } else { "" }
        ),
    );
    add("restart overhead", "job.restart_overhead", d(job.restart_overhead));
    add(
        "prices",
        "job.instance",
        match job.spot_price {
            Some(spot) => format!(
                "on demand {}/h, spot {}/h per instance",
                format::money(job.on_demand_price),
                format::money(spot)
            ),
            None => {
                format!("on demand {}/h, spot at the traced price per instance", format::money(job.on_demand_price))
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serving_scenario_in_words() {
        let s = crate::scenario::from_yaml(
            "name: p\nhorizon: 1h\nwarmup: 5m\nworkload:\n  arrivals:\n    poisson: { rate: 1100/s }\n  sla: { latency: 250ms, quantile: 0.99 }\n\
             service:\n  batch_time: { base: 20ms, per_item: 5ms }\n  distribution: { lognormal: { cv: 0.2 } }\n\
             batcher: { max_batch_size: 16, max_wait: 10ms }\n\
             fleet:\n  pools:\n    - { name: od, instance: p3.2xlarge, count: 4 }\n\
             assert:\n  - \"latency_s.p99 <= 0.25\"\n",
        )
        .unwrap();
        let p = of(&s);
        let get = |what: &str| p.parameters.iter().find(|x| x.what == what).map(|x| x.value.clone()).unwrap();
        assert_eq!(get("simulated time"), "1h, warm-up 5m");
        assert_eq!(get("arrivals"), "Poisson, 1,100/s");
        assert_eq!(get("SLA"), "p99 latency ≤ 250ms");
        assert_eq!(get("batch time"), "20ms + 5ms per request (lognormal, cv 0.2)");
        assert_eq!(get("batcher"), "up to 16 per batch, waits at most 10ms");
        assert!(get("pool od").starts_with("4 × p3.2xlarge (1 × V100) on demand at $3.06/h"), "{}", get("pool od"));
        assert_eq!(p.asserts, ["latency_s.p99 <= 0.25"]);
        let back: Parameters = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(back, p);
    }
}
