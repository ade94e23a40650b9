//! `workload:` — the arrival process (Poisson, constant, diurnal, a batch-inference queue of
//! items, or a replayed request trace), the latency objective and the response cache. Prompt and
//! output lengths (`workload.tokens`) are [`super::tokens`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::{DurationValue, RateValue};
use crate::trace::requests::RequestFormat;

type Result<T> = std::result::Result<T, Invalid>;

/// `workload:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// Exactly one arrival process.
    pub arrivals: RawArrivals,
    /// Latency objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<RawSla>,
    /// Fraction of requests answered by a response cache without reaching the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_hit_rate: Option<f64>,
    /// Latency of a cache hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_latency: Option<DurationValue>,
    /// Prompt and output lengths for arrivals that carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<super::tokens::RawTokens>,
}

/// `workload.arrivals:` — exactly one of these keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawArrivals {
    /// Poisson arrivals at a constant rate.
    Poisson(RawRate),
    /// Evenly spaced arrivals (deterministic), e.g. for hand-worked checks.
    Constant(RawRate),
    /// A sinusoidal day: non-homogeneous Poisson.
    Diurnal(RawDiurnal),
    /// Replay of a request trace.
    Trace(RawRequestTrace),
    /// A batch-inference queue: `count` items, all there at time 0.
    Items(RawItems),
}

/// `items: { count, size }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawItems {
    /// Number of items.
    pub count: u64,
    /// Input tokens per item (for `per_input_token` batch times; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
}

/// `{ rate: 120/s }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    /// Mean arrival rate.
    pub rate: RateValue,
}

/// `diurnal: { mean, peak_to_trough, period, peak_at }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiurnal {
    /// Mean rate over a period.
    pub mean: RateValue,
    /// Peak rate over trough rate (≥ 1).
    pub peak_to_trough: f64,
    /// Length of one cycle (default 24h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<DurationValue>,
    /// Time of the peak within the cycle (default 14h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_at: Option<DurationValue>,
}

/// `trace: { path, format, speedup }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequestTrace {
    /// Path, relative to the scenario file's folder.
    pub path: String,
    /// `csv` or `azure-llm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<RawTraceFormat>,
    /// Time compression: 2.0 replays twice as fast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
}

/// Request trace formats.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawTraceFormat {
    /// `time[,tokens_in,tokens_out]`
    Csv,
    /// `TIMESTAMP,ContextTokens,GeneratedTokens`
    AzureLlm,
}

/// `sla: { latency, quantile }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    /// Latency target (end to end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<DurationValue>,
    /// Quantile the target applies to (default 0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
    /// LLM: time to first token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft: Option<RawSlo>,
    /// LLM: time per output token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpot: Option<RawSlo>,
    /// End-to-end latency (the LLM spelling of `latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e2e: Option<RawSlo>,
}

/// `workload.sla.{ttft,tpot,e2e}: { latency, quantile }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    /// Target.
    pub latency: DurationValue,
    /// Quantile the target applies to (default 0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
}

/// The token-level objectives of an LLM scenario (its end-to-end one is [`Sla`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TokenSlos {
    /// Time to first token.
    pub ttft: Option<Sla>,
    /// Time per output token.
    pub tpot: Option<Sla>,
}

/// Arrival processes.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson at `rate_per_s`.
    Poisson {
        /// Mean arrivals per second.
        rate_per_s: f64,
    },
    /// One arrival every `1 / rate_per_s` seconds, the first at time 0.
    Constant {
        /// Arrivals per second.
        rate_per_s: f64,
    },
    /// Non-homogeneous Poisson: `mean · (1 + amplitude · cos(2π (t − peak_at) / period))`.
    Diurnal {
        /// Mean arrivals per second over a period.
        mean_per_s: f64,
        /// Relative swing, from `peak_to_trough = (1 + a) / (1 − a)`.
        amplitude: f64,
        /// Cycle length.
        period: Duration,
        /// Time of the peak within a cycle.
        peak_at: Duration,
    },
    /// A batch-inference queue: `count` items at time 0; the run ends when the last is done.
    Items {
        /// Number of items.
        count: u64,
        /// Input tokens per item (0: not given, lengths from `workload.tokens` if any).
        size: u32,
    },
    /// Replay of a trace file.
    Trace {
        /// Resolved path of the trace.
        path: PathBuf,
        /// File format.
        format: RequestFormat,
        /// Time compression factor.
        speedup: f64,
    },
}

/// Latency objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sla {
    /// Latency target.
    pub latency: Duration,
    /// Fraction of requests that must meet it.
    pub quantile: f64,
}

/// Response cache in front of the fleet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cache {
    /// Probability a request is answered by the cache.
    pub hit_rate: f64,
    /// Latency of a hit.
    pub latency: Duration,
}

fn positive_rate(key: &str, per_s: f64) -> Result<f64> {
    if per_s < 1e-6 {
        return invalid(
            key,
            format!("{per_s:e}/s is below the smallest rate accepted, 1e-6/s (one request in 11.6 days)"),
        );
    }
    if per_s > 1e9 {
        return invalid(key, "is above the limit of 1e9 requests per second");
    }
    Ok(per_s)
}

pub(super) fn arrivals(raw: &RawArrivals, base_dir: &Path) -> Result<Arrivals> {
    const K: &str = "workload.arrivals";
    Ok(match raw {
        RawArrivals::Poisson(r) => {
            Arrivals::Poisson { rate_per_s: positive_rate(&format!("{K}.poisson.rate"), r.rate.per_s)? }
        }
        RawArrivals::Constant(r) => {
            Arrivals::Constant { rate_per_s: positive_rate(&format!("{K}.constant.rate"), r.rate.per_s)? }
        }
        RawArrivals::Diurnal(d) => {
            let mean_per_s = positive_rate(&format!("{K}.diurnal.mean"), d.mean.per_s)?;
            let p = d.peak_to_trough;
            if !(p.is_finite() && p >= 1.0) {
                return invalid(
                    format!("{K}.diurnal.peak_to_trough"),
                    format!("must be a number ≥ 1 (peak rate over trough rate), found {p}"),
                );
            }
            let period = d.period.map_or(Duration::from_secs(86_400), |v| v.0);
            if period == Duration::ZERO {
                return invalid(format!("{K}.diurnal.period"), "must be longer than 0, e.g. 24h");
            }
            let peak_at = d.peak_at.map_or(Duration::from_secs(14 * 3_600), |v| v.0);
            Arrivals::Diurnal { mean_per_s, amplitude: (p - 1.0) / (p + 1.0), period, peak_at }
        }
        RawArrivals::Items(i) => {
            if i.count == 0 || i.count > 20_000_000 {
                return invalid(
                    format!("{K}.items.count"),
                    format!("must be between 1 and 20000000, found {}", i.count),
                );
            }
            if i.size == Some(0) {
                return invalid(
                    format!("{K}.items.size"),
                    "must be at least 1 input token (or left out: items without a size)",
                );
            }
            Arrivals::Items { count: i.count, size: i.size.unwrap_or(0) }
        }
        RawArrivals::Trace(t) => {
            let speedup = t.speedup.unwrap_or(1.0);
            if !(speedup.is_finite() && speedup > 0.0) {
                return invalid(
                    format!("{K}.trace.speedup"),
                    format!("must be a number greater than 0, found {speedup}"),
                );
            }
            if t.path.trim().is_empty() {
                return invalid(format!("{K}.trace.path"), "must name a trace file");
            }
            let format = match t.format.unwrap_or(RawTraceFormat::Csv) {
                RawTraceFormat::Csv => RequestFormat::Csv,
                RawTraceFormat::AzureLlm => RequestFormat::AzureLlm,
            };
            Arrivals::Trace { path: base_dir.join(&t.path), format, speedup }
        }
    })
}

fn fraction(key: &str, v: f64, what: &str) -> Result<f64> {
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        return invalid(key, format!("must be {what} between 0 and 1, found {v}"));
    }
    Ok(v)
}

/// The end-to-end objective (`latency`, or `e2e`) and, for LLM scenarios, the token ones.
pub(super) fn sla(raw: Option<&RawSla>, llm: bool) -> Result<(Option<Sla>, TokenSlos)> {
    let Some(raw) = raw else { return Ok((None, TokenSlos::default())) };
    let slo = |key: &str, latency: Duration, quantile: Option<f64>| -> Result<Sla> {
        if latency == Duration::ZERO {
            return invalid(format!("{key}.latency"), "must be longer than 0, e.g. 250ms");
        }
        let quantile = quantile.unwrap_or(0.99);
        if !(quantile.is_finite() && quantile > 0.0 && quantile < 1.0) {
            return invalid(
                format!("{key}.quantile"),
                format!("must be strictly between 0 and 1 (e.g. 0.99), found {quantile}"),
            );
        }
        Ok(Sla { latency, quantile })
    };
    if !llm {
        for (key, given) in [("ttft", raw.ttft.is_some()), ("tpot", raw.tpot.is_some()), ("e2e", raw.e2e.is_some())] {
            if given {
                return invalid(
                    format!("workload.sla.{key}"),
                    "token-level objectives need LLM replicas (an `llm:` section); give workload.sla.latency instead",
                );
            }
        }
    }
    let e2e = match (&raw.latency, &raw.e2e) {
        (Some(_), Some(_)) => {
            return invalid(
                "workload.sla.e2e",
                "give the end-to-end objective once: `latency` (with `quantile`) or `e2e`",
            );
        }
        (Some(l), None) => Some(slo("workload.sla", l.0, raw.quantile)?),
        (None, Some(e)) => Some(slo("workload.sla.e2e", e.latency.0, e.quantile)?),
        (None, None) => None,
    };
    if raw.latency.is_none() && raw.quantile.is_some() {
        return invalid("workload.sla.quantile", "applies to workload.sla.latency, which is missing");
    }
    let token = TokenSlos {
        ttft: raw.ttft.as_ref().map(|t| slo("workload.sla.ttft", t.latency.0, t.quantile)).transpose()?,
        tpot: raw.tpot.as_ref().map(|t| slo("workload.sla.tpot", t.latency.0, t.quantile)).transpose()?,
    };
    if e2e.is_none() && token == TokenSlos::default() {
        let what = if llm {
            "give latency (with quantile), or any of ttft, tpot, e2e"
        } else {
            "give latency, e.g. { latency: 250ms }"
        };
        return invalid("workload.sla", format!("is empty: {what}"));
    }
    Ok((e2e, token))
}

pub(super) fn cache(w: &RawWorkload) -> Result<Option<Cache>> {
    let hit_rate = fraction("workload.cache_hit_rate", w.cache_hit_rate.unwrap_or(0.0), "a probability")?;
    if hit_rate == 0.0 {
        return Ok(None);
    }
    let latency = w.cache_latency.map_or(Duration::from_millis(1), |d| d.0);
    Ok(Some(Cache { hit_rate, latency }))
}
