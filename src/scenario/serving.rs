//! Validation of a serving scenario's own sections: `workload` (arrivals, SLA, cache, tokens),
//! `service` and each pool's own `service:`, `batcher` and `router`, and the agreement between
//! token terms and the lengths that feed them.

use std::num::NonZeroU32;
use std::path::Path;

use super::model::*;
use super::raw::*;
use super::units::DurationValue;
use super::validate::{Invalid, MAX_BATCH_SIZE, invalid};
use crate::engine::Duration;
use crate::trace::requests::RequestFormat;

type Result<T> = std::result::Result<T, Invalid>;

/// The serving sections of `raw`: workload, service (with each pool's own), batcher, router.
pub fn serving(raw: &RawScenario, base_dir: &Path, pools: &mut [PoolSpec]) -> Result<Serving> {
    let Some(workload) = &raw.workload else {
        return invalid("workload", "missing: a serving scenario needs `workload`, `service` and `fleet`");
    };
    let Some(service) = &raw.service else {
        return invalid("service", "missing: a serving scenario needs `service.batch_time`");
    };
    let batcher = batcher(raw.batcher.as_ref())?;
    if matches!(workload.arrivals, RawArrivals::Items(_)) && batcher.max_queue.is_some() {
        return invalid("batcher.max_queue", "a batch-inference queue (items) keeps every item: leave max_queue out");
    }
    let service = Service {
        batch_time: batch_time("service.batch_time", &service.batch_time, batcher.max_batch_size)?,
        distribution: distribution("service.distribution", service.distribution.as_ref())?,
    };
    pool_services(raw, &service, batcher.max_batch_size, pools)?;
    let arrivals = arrivals(&workload.arrivals, base_dir)?;
    let tokens = super::tokens::tokens(workload.tokens.as_ref(), base_dir)?;
    token_terms(raw, &arrivals, &tokens)?;
    Ok(Serving {
        arrivals,
        sla: sla(workload.sla.as_ref())?,
        cache: cache(workload)?,
        service,
        batcher,
        router: match raw.router.unwrap_or(RawRouter::SharedQueue) {
            RawRouter::SharedQueue => Router::SharedQueue,
            RawRouter::RoundRobin => Router::RoundRobin,
            RawRouter::LeastOutstanding => Router::LeastOutstanding,
        },
        tokens,
    })
}

/// Each pool's own `service:` keys over the scenario's `service` (batch_time as a whole).
fn pool_services(raw: &RawScenario, base: &Service, max_batch: NonZeroU32, pools: &mut [PoolSpec]) -> Result<()> {
    let raw_pools = raw.fleet.as_ref().map_or(&[][..], |f| &f.pools[..]);
    for (i, (raw_pool, pool)) in raw_pools.iter().zip(pools).enumerate() {
        let Some(own) = &raw_pool.service else { continue };
        let k = format!("fleet.pools[{i}].service");
        if own.batch_time.is_none() && own.distribution.is_none() {
            return invalid(k, "give batch_time, distribution or both (or leave the pool's service out)");
        }
        pool.service = Some(Service {
            batch_time: match &own.batch_time {
                Some(bt) => batch_time(&format!("{k}.batch_time"), bt, max_batch)?,
                None => base.batch_time.clone(),
            },
            distribution: match &own.distribution {
                Some(d) => distribution(&format!("{k}.distribution"), Some(d))?,
                None => base.distribution,
            },
        });
    }
    Ok(())
}

/// Token terms and lengths agree: a non-zero `per_input_token` / `per_output_token` (in
/// `service` or a pool's own) has lengths to multiply — carried by the arrivals or drawn from
/// `workload.tokens` — and each side of `workload.tokens` has a term that uses it. A trace's
/// columns are checked when it is opened.
fn token_terms(raw: &RawScenario, arrivals: &Arrivals, tokens: &super::tokens::TokensSpec) -> Result<()> {
    use super::tokens::{Carried, check_term};
    let (prompt, output, kind) = match arrivals {
        Arrivals::Poisson { .. } => (Carried::No, Carried::No, "poisson"),
        Arrivals::Constant { .. } => (Carried::No, Carried::No, "constant"),
        Arrivals::Diurnal { .. } => (Carried::No, Carried::No, "diurnal"),
        Arrivals::Items { size, .. } => (if *size > 0 { Carried::Yes } else { Carried::No }, Carried::No, "items"),
        Arrivals::Trace { .. } => (Carried::IfTraceColumn, Carried::IfTraceColumn, "trace"),
    };
    if prompt == Carried::Yes && tokens.prompt.is_some() {
        return invalid(
            "workload.tokens.prompt",
            "the items carry their prompt length (workload.arrivals.items.size): give one or the other",
        );
    }
    let mut terms: Vec<(String, &RawBatchTime)> = Vec::new();
    if let Some(service) = &raw.service {
        terms.push(("service.batch_time".into(), &service.batch_time));
    }
    for (i, p) in raw.fleet.iter().flat_map(|f| f.pools.iter()).enumerate() {
        if let Some(bt) = p.service.as_ref().and_then(|sv| sv.batch_time.as_ref()) {
            terms.push((format!("fleet.pools[{i}].service.batch_time"), bt));
        }
    }
    let needs = |d: Option<DurationValue>| d.is_some_and(|d| d.0 > Duration::ZERO);
    for (key, bt) in &terms {
        check_term(
            &format!("{key}.per_input_token"),
            "prompt",
            needs(bt.per_input_token),
            prompt,
            tokens.prompt.is_some(),
            kind,
        )?;
        check_term(
            &format!("{key}.per_output_token"),
            "output",
            needs(bt.per_output_token),
            output,
            tokens.output.is_some(),
            kind,
        )?;
    }
    for (side, given, term) in [
        ("prompt", tokens.prompt.is_some(), "per_input_token"),
        ("output", tokens.output.is_some(), "per_output_token"),
    ] {
        let used = terms
            .iter()
            .any(|(_, bt)| if side == "prompt" { bt.per_input_token.is_some() } else { bt.per_output_token.is_some() });
        if given && !used {
            return invalid(
                format!("workload.tokens.{side}"),
                format!(
                    "no batch time has a {term} term, so these lengths would not be used: add the term to service.batch_time or leave workload.tokens.{side} out"
                ),
            );
        }
    }
    Ok(())
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

fn arrivals(raw: &RawArrivals, base_dir: &Path) -> Result<Arrivals> {
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

fn sla(raw: Option<&RawSla>) -> Result<Option<Sla>> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.latency.0 == Duration::ZERO {
        return invalid("workload.sla.latency", "must be longer than 0, e.g. 250ms");
    }
    let quantile = raw.quantile.unwrap_or(0.99);
    if !(quantile.is_finite() && quantile > 0.0 && quantile < 1.0) {
        return invalid(
            "workload.sla.quantile",
            format!("must be strictly between 0 and 1 (e.g. 0.99), found {quantile}"),
        );
    }
    Ok(Some(Sla { latency: raw.latency.0, quantile }))
}

fn cache(w: &RawWorkload) -> Result<Option<Cache>> {
    let hit_rate = fraction("workload.cache_hit_rate", w.cache_hit_rate.unwrap_or(0.0), "a probability")?;
    if hit_rate == 0.0 {
        return Ok(None);
    }
    let latency = w.cache_latency.map_or(Duration::from_millis(1), |d| d.0);
    Ok(Some(Cache { hit_rate, latency }))
}

fn ns(d: Option<DurationValue>) -> f64 {
    d.map_or(0.0, |d| d.0.0 as f64)
}

/// `batch_time` at key `k`; a one-entry table must cover the largest batch.
fn batch_time(k: &str, raw: &RawBatchTime, max_batch: NonZeroU32) -> Result<BatchTime> {
    let linear = [raw.base, raw.per_item, raw.per_input_token, raw.per_output_token];
    match &raw.table {
        Some(_) if linear.iter().any(Option::is_some) => invalid(
            k,
            "give either `table` or the linear terms (base, per_item, per_input_token, per_output_token), not both",
        ),
        Some(table) => {
            if table.is_empty() {
                return invalid(format!("{k}.table"), "must have at least one `batch size: time` entry");
            }
            let mut points = Vec::with_capacity(table.len());
            for (&size, time) in table {
                if size == 0 {
                    return invalid(format!("{k}.table.0"), "batch sizes start at 1");
                }
                if time.0 == Duration::ZERO {
                    return invalid(format!("{k}.table.{size}"), "batch time must be longer than 0");
                }
                points.push((size, time.0.0 as f64));
            }
            let (largest, _) = points[points.len() - 1];
            if points.len() == 1 && max_batch.get() > largest {
                return invalid(
                    format!("{k}.table"),
                    format!(
                        "has one entry (batch size {largest}) but batches reach {max_batch}: give a second entry so larger batches can be extrapolated, or the time at the largest batch size"
                    ),
                );
            }
            Ok(BatchTime::Table(points))
        }
        None => {
            let bt = BatchTime::Linear {
                base_ns: ns(raw.base),
                per_item_ns: ns(raw.per_item),
                per_input_token_ns: ns(raw.per_input_token),
                per_output_token_ns: ns(raw.per_output_token),
            };
            if linear.iter().all(|d| d.is_none_or(|d| d.0 == Duration::ZERO)) {
                return invalid(
                    k,
                    "needs a positive `base` or `per_item` (e.g. { base: 8ms, per_item: 1.2ms }) or a `table`",
                );
            }
            Ok(bt)
        }
    }
}

fn distribution(k: &str, raw: Option<&RawDistribution>) -> Result<ServiceDistribution> {
    Ok(match raw {
        None | Some(RawDistribution::Deterministic) => ServiceDistribution::Deterministic,
        Some(RawDistribution::Exponential) => ServiceDistribution::Exponential,
        Some(RawDistribution::Lognormal(l)) => {
            if !(l.cv.is_finite() && l.cv > 0.0 && l.cv <= 100.0) {
                return invalid(format!("{k}.lognormal.cv"), format!("must be a number in (0, 100], found {}", l.cv));
            }
            ServiceDistribution::Lognormal { cv: l.cv }
        }
    })
}

fn batcher(raw: Option<&RawBatcher>) -> Result<Batcher> {
    let size = raw.and_then(|b| b.max_batch_size).unwrap_or(1);
    let Some(max_batch_size) = NonZeroU32::new(size).filter(|s| s.get() <= MAX_BATCH_SIZE) else {
        return invalid("batcher.max_batch_size", format!("must be between 1 and {MAX_BATCH_SIZE}, found {size}"));
    };
    let max_wait = raw.and_then(|b| b.max_wait).map_or(Duration::ZERO, |d| d.0);
    let max_queue = match raw.and_then(|b| b.max_queue) {
        None => None,
        Some(0) => return invalid("batcher.max_queue", "must be at least 1 (or left out for no limit)"),
        Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let max_queue_wait = match raw.and_then(|b| b.max_queue_wait) {
        Some(DurationValue(d)) if d == Duration::ZERO => {
            return invalid(
                "batcher.max_queue_wait",
                "must be longer than 0 (or left out: requests wait as long as it takes)",
            );
        }
        other => other.map(|d| d.0),
    };
    Ok(Batcher { max_batch_size, max_wait, max_queue, max_queue_wait })
}

#[cfg(test)]
mod tests {
    use super::super::from_yaml;
    use super::*;

    const BASE: &str = "name: x\nhorizon: 1m\nworkload:\n  arrivals:\n    poisson: { rate: 5/s }\n\
        service:\n  batch_time: { base: 8ms }\n  distribution: exponential\nbatcher: { max_batch_size: 4 }\n\
        fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n";

    fn with_pool_service(service: &str) -> String {
        BASE.replace("count: 1 }", &format!("count: 1, service: {service} }}"))
    }

    #[test]
    fn a_pool_service_overrides_key_by_key() {
        let s = from_yaml(&with_pool_service("{ distribution: deterministic }")).unwrap();
        let own = s.fleet.pools[0].service.as_ref().expect("the pool's own service");
        assert_eq!(own.distribution, ServiceDistribution::Deterministic);
        assert_eq!(own.batch_time, s.serving.as_ref().unwrap().service.batch_time, "batch_time inherited");
        let s = from_yaml(&with_pool_service("{ batch_time: { table: { 1: 2ms, 4: 5ms } } }")).unwrap();
        let own = s.fleet.pools[0].service.as_ref().unwrap();
        assert_eq!(own.batch_time, BatchTime::Table(vec![(1, 2e6), (4, 5e6)]));
        assert_eq!(own.distribution, ServiceDistribution::Exponential, "distribution inherited");
        assert!(from_yaml(BASE).unwrap().fleet.pools[0].service.is_none());
    }

    #[test]
    fn a_pool_service_is_checked_under_its_own_key() {
        for (service, fragment) in [
            ("{}", "fleet.pools[0].service: give batch_time, distribution or both"),
            ("{ batch_time: { table: { 2: 3ms } } }", "fleet.pools[0].service.batch_time.table: has one entry"),
            ("{ distribution: { lognormal: { cv: 0 } } }", "fleet.pools[0].service.distribution.lognormal.cv"),
        ] {
            let e = from_yaml(&with_pool_service(service)).expect_err(service).to_string();
            assert!(e.contains(fragment), "{service}: {e}");
        }
    }
}
