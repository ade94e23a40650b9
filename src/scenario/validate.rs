//! From raw to validated: value ranges, cross-references (instance types, pool names) and
//! defaults. Each failure names the key it is about; [`super::load`] adds file, line and column.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::path::Path;

use super::model::*;
use super::raw::*;
use super::units::DurationValue;
use crate::engine::Duration;
use crate::fleet::catalog;
use crate::trace::requests::RequestFormat;

/// A validation failure: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// Dotted key path.
    pub key: String,
    /// What is wrong and what was expected.
    pub message: String,
}

type Result<T> = std::result::Result<T, Invalid>;

/// An `Err(Invalid)` for `key`.
pub(super) fn invalid<T>(key: impl Into<String>, message: impl Into<String>) -> Result<T> {
    Err(Invalid { key: key.into(), message: message.into() })
}

/// Largest batch size accepted.
pub const MAX_BATCH_SIZE: u32 = 1 << 20;
/// Most rows `timeseries.csv` may have.
pub const MAX_TIMESERIES_ROWS: u64 = 1_000_000;
/// Most time-series cells (rows × (pools + fixed columns)) held in memory.
pub const MAX_TIMESERIES_CELLS: u64 = 20_000_000;
/// Most time-series rows a run keeps with `n_pools` pools (the row and cell limits): the horizon's
/// rows are checked against it, and a drain after the horizon stops adding rows there.
pub fn max_timeseries_rows(n_pools: usize) -> u64 {
    MAX_TIMESERIES_ROWS.min(MAX_TIMESERIES_CELLS / (n_pools as u64 + 20))
}
/// Most pools in a fleet.
pub const MAX_POOLS: usize = 1_000;
/// Most instances in a fleet.
pub const MAX_INSTANCES: u64 = 1_000_000;

/// Default seed when the file gives none.
pub const DEFAULT_SEED: u64 = 1;

/// Checks `raw` and builds the scenario. Relative trace paths resolve against `base_dir`.
pub fn validate(raw: &RawScenario, base_dir: &Path) -> Result<Scenario> {
    if raw.name.trim().is_empty() {
        return invalid("name", "must not be empty");
    }
    let horizon = raw.horizon.0;
    if horizon == Duration::ZERO {
        return invalid("horizon", "must be longer than 0, e.g. 1h");
    }
    let warmup = raw.warmup.map_or(Duration::ZERO, |w| w.0);
    if warmup >= horizon {
        return invalid("warmup", format!("{warmup} is not shorter than the horizon {horizon}"));
    }
    let start = match &raw.start {
        None => jiff::Timestamp::from_second(1_704_067_200).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| Invalid {
            key: "start".into(),
            message: format!("expected an RFC 3339 instant such as 2024-01-01T00:00:00Z, found {text:?} ({e})"),
        })?,
    };
    let (fleet, job) = match (&raw.job, &raw.fleet) {
        (Some(j), fleet) => {
            for (key, present) in [
                ("workload", raw.workload.is_some()),
                ("service", raw.service.is_some()),
                ("batcher", raw.batcher.is_some()),
                ("router", raw.router.is_some()),
                ("fleet.pools", fleet.as_ref().is_some_and(|f| !f.pools.is_empty())),
                ("autoscaler", raw.autoscaler.is_some()),
            ] {
                if present {
                    return invalid(
                        key,
                        "a job scenario has no serving keys: `job` replaces workload, service, batcher, router and fleet.pools",
                    );
                }
            }
            let types = fleet.as_ref().and_then(|f| f.instance_types.as_deref()).unwrap_or_default();
            instance_types(types)?;
            let job = super::job::job(j, types, raw.spot.as_ref(), horizon)?;
            (FleetSpec { pools: Vec::new() }, Some(job))
        }
        (None, Some(f)) => (fleet(f, raw.spot.as_ref())?, None),
        (None, None) => return invalid("fleet", "missing: a serving scenario needs `fleet.pools` (or give a `job`)"),
    };
    let any_spot = fleet.pools.iter().any(|p| p.market == Market::Spot)
        || job.as_ref().is_some_and(|j| j.policy != JobPolicy::OnDemand);
    if any_spot && raw.router.is_some_and(|r| !matches!(r, RawRouter::SharedQueue)) {
        return invalid(
            "router",
            "spot pools need router: shared_queue (per-replica queues cannot follow replicas that come and go yet)",
        );
    }
    let autoscaler = super::autoscaler::autoscaler(raw.autoscaler.as_ref(), &fleet.pools)?;
    if autoscaler.is_some() && raw.router.is_some_and(|r| !matches!(r, RawRouter::SharedQueue)) {
        return invalid(
            "router",
            "autoscaled pools need router: shared_queue (per-replica queues cannot follow replicas that come and go yet)",
        );
    }
    let spot = super::spot::spot(raw.spot.as_ref(), base_dir, any_spot)?;
    let timeseries_interval = timeseries_interval(raw, horizon, fleet.pools.len())?;
    let scenario = Scenario {
        name: raw.name.trim().to_string(),
        description: raw.description.clone(),
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        horizon,
        warmup,
        start,
        trace_start: raw.start.as_ref().map(|_| start),
        spot,
        serving: if job.is_some() { None } else { Some(serving(raw, base_dir)?) },
        job,
        fleet,
        autoscaler,
        billing: billing(raw.billing.as_ref())?,
        timeseries_interval,
        asserts: asserts(raw.assert.as_deref().unwrap_or_default())?,
        limits: limits(raw.limits.as_ref())?,
        sweep: super::sweep::sweep(raw.sweep.as_ref())?,
    };
    event_budget(&scenario)?;
    Ok(scenario)
}

/// Refuses, before it starts, a run whose arrivals alone (one event each) would pass
/// `limits.max_events`: better said now than after an hour of simulating.
fn event_budget(s: &Scenario) -> Result<()> {
    let Some(sv) = &s.serving else { return Ok(()) };
    let expected = match sv.arrivals {
        Arrivals::Poisson { rate_per_s } | Arrivals::Constant { rate_per_s } => rate_per_s * s.horizon.as_secs_f64(),
        Arrivals::Diurnal { mean_per_s, .. } => mean_per_s * s.horizon.as_secs_f64(),
        Arrivals::Items { count, .. } => count as f64,
        Arrivals::Trace { .. } => 0.0, // known only by reading it: the run stops at the limit
    };
    if expected > s.limits.max_events as f64 {
        return invalid(
            "workload.arrivals",
            format!(
                "about {expected:.3e} arrivals over the {} horizon, each at least one event, are more than \
                 limits.max_events ({}); shorten the horizon, lower the rate or raise limits.max_events",
                s.horizon, s.limits.max_events
            ),
        );
    }
    Ok(())
}

/// `limits:`: each at least 1 and at most a ceiling far past what one machine holds.
fn limits(raw: Option<&super::raw::RawLimits>) -> Result<Limits> {
    let mut l = Limits::default();
    let Some(raw) = raw else { return Ok(l) };
    let check = |key: &str, v: Option<u64>, max: u64| -> Result<Option<u64>> {
        match v {
            Some(0) => invalid(format!("limits.{key}"), "must be at least 1"),
            Some(v) if v > max => invalid(format!("limits.{key}"), format!("{v} is more than the ceiling of {max}")),
            v => Ok(v),
        }
    };
    if let Some(v) = check("max_events", raw.max_events, 1_000_000_000_000_000)? {
        l.max_events = v;
    }
    if let Some(v) = check("max_queued_requests", raw.max_queued_requests, 1_000_000_000)? {
        l.max_queued_requests = v as usize;
    }
    if let Some(v) = check("max_requests_in_memory", raw.max_requests_in_memory, 1_000_000_000)? {
        l.max_requests_in_memory = v;
    }
    if let Some(v) = check("max_instances_launched", raw.max_instances_launched, 1_000_000_000)? {
        l.max_instances_launched = v;
    }
    Ok(l)
}

fn timeseries_interval(raw: &RawScenario, horizon: Duration, n_pools: usize) -> Result<Duration> {
    let interval = raw.output.as_ref().and_then(|o| o.timeseries_interval).map_or(Duration::from_secs(60), |d| d.0);
    if interval == Duration::ZERO {
        return invalid("output.timeseries_interval", "must be longer than 0");
    }
    let n_rows = horizon.0 / interval.0;
    if n_rows > MAX_TIMESERIES_ROWS || n_rows.saturating_mul(n_pools as u64 + 20) > MAX_TIMESERIES_CELLS {
        return invalid(
            "output.timeseries_interval",
            format!(
                "{interval} gives {n_rows} rows over the horizon {horizon}, too many to keep (at most {MAX_TIMESERIES_ROWS}, fewer with many pools); use a longer interval"
            ),
        );
    }
    Ok(interval)
}

fn serving(raw: &RawScenario, base_dir: &Path) -> Result<Serving> {
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
    let batch_time = batch_time(&service.batch_time)?;
    if let BatchTime::Table(points) = &batch_time {
        let (largest, _) = points[points.len() - 1];
        if points.len() == 1 && batcher.max_batch_size.get() > largest {
            return invalid(
                "service.batch_time.table",
                format!(
                    "has one entry (batch size {largest}) but batches reach {}: give a second entry so larger batches can be extrapolated, or the time at the largest batch size",
                    batcher.max_batch_size
                ),
            );
        }
    }
    Ok(Serving {
        arrivals: arrivals(&workload.arrivals, base_dir)?,
        sla: sla(workload.sla.as_ref())?,
        cache: cache(workload)?,
        service: Service { batch_time, distribution: distribution(service.distribution.as_ref())? },
        batcher,
        router: match raw.router.unwrap_or(RawRouter::SharedQueue) {
            RawRouter::SharedQueue => Router::SharedQueue,
            RawRouter::RoundRobin => Router::RoundRobin,
            RawRouter::LeastOutstanding => Router::LeastOutstanding,
        },
    })
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

fn batch_time(raw: &RawBatchTime) -> Result<BatchTime> {
    const K: &str = "service.batch_time";
    let linear = [raw.base, raw.per_item, raw.per_input_token, raw.per_output_token];
    match &raw.table {
        Some(_) if linear.iter().any(Option::is_some) => invalid(
            K,
            "give either `table` or the linear terms (base, per_item, per_input_token, per_output_token), not both",
        ),
        Some(table) => {
            if table.is_empty() {
                return invalid(format!("{K}.table"), "must have at least one `batch size: time` entry");
            }
            let mut points = Vec::with_capacity(table.len());
            for (&size, time) in table {
                if size == 0 {
                    return invalid(format!("{K}.table.0"), "batch sizes start at 1");
                }
                if time.0 == Duration::ZERO {
                    return invalid(format!("{K}.table.{size}"), "batch time must be longer than 0");
                }
                points.push((size, time.0.0 as f64));
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
                    K,
                    "needs a positive `base` or `per_item` (e.g. { base: 8ms, per_item: 1.2ms }) or a `table`",
                );
            }
            Ok(bt)
        }
    }
}

fn distribution(raw: Option<&RawDistribution>) -> Result<ServiceDistribution> {
    Ok(match raw {
        None | Some(RawDistribution::Deterministic) => ServiceDistribution::Deterministic,
        Some(RawDistribution::Exponential) => ServiceDistribution::Exponential,
        Some(RawDistribution::Lognormal(l)) => {
            if !(l.cv.is_finite() && l.cv > 0.0 && l.cv <= 100.0) {
                return invalid(
                    "service.distribution.lognormal.cv",
                    format!("must be a number in (0, 100], found {}", l.cv),
                );
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

fn fleet(raw: &RawFleet, spot: Option<&RawSpot>) -> Result<FleetSpec> {
    if raw.pools.is_empty() {
        return invalid("fleet.pools", "must list at least one pool");
    }
    if raw.pools.len() > MAX_POOLS {
        return invalid("fleet.pools", format!("{} pools is above the limit of {MAX_POOLS}", raw.pools.len()));
    }
    let overrides = raw.instance_types.as_deref().unwrap_or_default();
    instance_types(overrides)?;
    let mut names = BTreeSet::new();
    let mut pools = Vec::with_capacity(raw.pools.len());
    for (i, p) in raw.pools.iter().enumerate() {
        let key = format!("fleet.pools[{i}]");
        if p.name.trim().is_empty() {
            return invalid(format!("{key}.name"), "must not be empty");
        }
        if !names.insert(p.name.as_str()) {
            return invalid(format!("{key}.name"), format!("pool name {:?} is used twice", p.name));
        }
        pools.push(pool(&key, p, overrides, spot)?);
    }
    let n_instances: u64 = pools.iter().map(|p| u64::from(p.scaling.map_or(p.count, |b| b.max))).sum();
    if n_instances > MAX_INSTANCES {
        return invalid("fleet.pools", format!("{n_instances} instances is above the limit of {MAX_INSTANCES}"));
    }
    if pools.iter().all(|p| p.count == 0 && p.scaling.is_none()) {
        return invalid(
            "fleet.pools",
            "the fleet has no instances: give at least one pool a `count` of 1 or more, or min/max and an autoscaler",
        );
    }
    Ok(FleetSpec { pools })
}

/// Every entry of `fleet.instance_types` resolves; an error names the entry's key.
fn instance_types(types: &[RawInstanceType]) -> Result<()> {
    for (i, t) in types.iter().enumerate() {
        resolve_instance(&t.name, types)
            .map_err(|e| Invalid { key: format!("fleet.instance_types[{i}].{}", e.key), ..e })?;
    }
    Ok(())
}

/// A number for messages: `1e300` rather than 301 digits.
pub(super) fn number(v: f64) -> String {
    if v.abs() >= 1e15 { format!("{v:e}") } else { v.to_string() }
}

/// Most instances in one pool.
const MAX_POOL_SIZE: u32 = 100_000;

/// A pool's instances at time 0 and, when autoscaled, its bounds.
fn pool_size(key: &str, p: &RawPool, market: Market) -> Result<(u32, Option<PoolBounds>)> {
    let over = |field: &str, n: u32| {
        invalid(format!("{key}.{field}"), format!("{n} is above the limit of {MAX_POOL_SIZE} instances per pool"))
    };
    match (p.count, p.min, p.max) {
        (Some(count), None, None) => {
            if p.initial.is_some() {
                return invalid(
                    format!("{key}.initial"),
                    "applies to autoscaled pools (min/max); this pool has a fixed count",
                );
            }
            if count > MAX_POOL_SIZE {
                return over("count", count);
            }
            Ok((count, None))
        }
        (Some(_), min, _) => invalid(
            format!("{key}.{}", if min.is_some() { "min" } else { "max" }),
            "give either a fixed `count` or autoscaling bounds `min` and `max`, not both",
        ),
        (None, Some(min), Some(max)) => {
            if market == Market::Reserved {
                return invalid(
                    format!("{key}.min"),
                    "reserved capacity is paid for whether it runs or not: give a reserved pool a fixed `count`",
                );
            }
            if max == 0 {
                return invalid(format!("{key}.max"), "must be at least 1");
            }
            if max > MAX_POOL_SIZE {
                return over("max", max);
            }
            if min > max {
                return invalid(format!("{key}.min"), format!("{min} is above max ({max})"));
            }
            let initial = p.initial.unwrap_or(min);
            if initial < min || initial > max {
                return invalid(format!("{key}.initial"), format!("{initial} is outside min..max ({min}..{max})"));
            }
            Ok((initial, Some(PoolBounds { min, max })))
        }
        (None, Some(_), None) => invalid(format!("{key}.max"), "missing: an autoscaled pool needs both min and max"),
        (None, None, Some(_)) => invalid(format!("{key}.min"), "missing: an autoscaled pool needs both min and max"),
        (None, None, None) => invalid(
            format!("{key}.count"),
            "missing: give the pool a fixed number of instances (count: 2) or autoscaling bounds (min: 1, max: 10)",
        ),
    }
}

fn pool(key: &str, p: &RawPool, types: &[RawInstanceType], spot: Option<&RawSpot>) -> Result<PoolSpec> {
    let market = match p.market.unwrap_or(RawMarket::OnDemand) {
        RawMarket::OnDemand => Market::OnDemand,
        RawMarket::Spot => Market::Spot,
        RawMarket::Reserved => Market::Reserved,
    };
    let (count, scaling) = pool_size(key, p, market)?;
    let instance = resolve_instance(&p.instance, types).map_err(|e| Invalid {
        key: if e.key == "name" { format!("{key}.instance") } else { e.key },
        message: e.message,
    })?;
    let m = super::spot::pool_market(key, p, market, &instance, spot)?;
    Ok(PoolSpec {
        name: p.name.clone(),
        instance,
        market,
        count,
        scaling,
        price_per_hour: m.price_per_hour,
        zones: m.zones,
        zone_strategy: m.zone_strategy,
        ondemand_fallback: m.ondemand_fallback,
        max_price: m.max_price,
        spot_price: m.spot_price,
        interruptions_per_hour: m.interruptions_per_hour,
        notice: m.notice,
    })
}

/// Resolves `name` against `fleet.instance_types` (by override) and the built-in catalog.
pub(super) fn resolve_instance(name: &str, types: &[RawInstanceType]) -> Result<InstanceSpec> {
    let custom = types.iter().rev().find(|t| t.name == name);
    let base = catalog::find(name);
    let mut spec = match (base, custom) {
        (Some(b), _) => InstanceSpec {
            name: b.name.clone(),
            gpu: b.gpu.clone(),
            gpus: b.gpus,
            on_demand_price: b.on_demand_price,
            speed: 1.0,
            boot: Duration::from_secs(90),
            provider: b.provider.clone(),
            max_lifetime: None,
        },
        (None, Some(c)) => {
            let Some(price) = c.on_demand_price else {
                return invalid(
                    "on_demand_price",
                    format!("{name:?} is not in the built-in catalog, so it needs an on_demand_price"),
                );
            };
            InstanceSpec {
                name: name.to_string(),
                gpu: String::new(),
                gpus: 0,
                on_demand_price: price,
                speed: 1.0,
                boot: Duration::from_secs(90),
                provider: String::new(),
                max_lifetime: None,
            }
        }
        (None, None) => {
            let hints = catalog::suggest(name);
            let hint = if hints.is_empty() {
                "run `fleetsim catalog` for the list, or describe it under fleet.instance_types".to_string()
            } else {
                format!("did you mean {}? (`fleetsim catalog` lists all)", hints.join(", "))
            };
            return invalid("name", format!("unknown instance type {name:?}: {hint}"));
        }
    };
    if let Some(c) = custom {
        apply_custom(&mut spec, c)?;
    }
    Ok(spec)
}

fn apply_custom(spec: &mut InstanceSpec, c: &RawInstanceType) -> Result<()> {
    if let Some(price) = c.on_demand_price {
        if !(price.is_finite() && (0.0..1e6).contains(&price)) {
            return invalid(
                "on_demand_price",
                format!("must be a price in USD per hour, ≥ 0 and below 1000000, found {}", number(price)),
            );
        }
        spec.on_demand_price = price;
    }
    if let Some(speed) = c.speed {
        if !(speed.is_finite() && (1e-3..=1e3).contains(&speed)) {
            return invalid(
                "speed",
                format!("must be a number between 0.001 and 1000 (1.0 = reference speed), found {speed}"),
            );
        }
        spec.speed = speed;
    }
    for (field, gib) in [("gpu_memory_gib", c.gpu_memory_gib), ("memory_gib", c.memory_gib)] {
        if let Some(gib) = gib
            && !(gib.is_finite() && gib >= 0.0)
        {
            return invalid(field, format!("must be a number of GiB ≥ 0, found {gib}"));
        }
    }
    if let Some(gpus) = c.gpus {
        spec.gpus = gpus;
    }
    if let Some(gpu) = &c.gpu {
        spec.gpu = gpu.clone();
    }
    if let Some(boot) = c.boot {
        spec.boot = boot.0;
    }
    if let Some(provider) = &c.provider {
        spec.provider = provider.clone();
    }
    if let Some(lifetime) = c.max_lifetime {
        if lifetime.0 == Duration::ZERO {
            return invalid("max_lifetime", "must be longer than 0, e.g. 24h");
        }
        spec.max_lifetime = Some(lifetime.0);
    }
    Ok(())
}

fn billing(raw: Option<&RawBilling>) -> Result<Billing> {
    let granularity = raw.and_then(|b| b.granularity).map_or(Duration::from_secs(1), |d| d.0);
    if granularity == Duration::ZERO {
        return invalid("billing.granularity", "must be longer than 0, e.g. 1s");
    }
    let minimum = raw.and_then(|b| b.minimum).map_or(Duration::from_secs(60), |d| d.0);
    Ok(Billing { granularity, minimum })
}

fn asserts(raw: &[String]) -> Result<Vec<Assertion>> {
    raw.iter()
        .enumerate()
        .map(|(i, text)| parse_assertion(text).map_err(|message| Invalid { key: format!("assert[{i}]"), message }))
        .collect()
}

/// Parses `metric op value`, e.g. `latency_s.p99 <= 0.25`.
pub fn parse_assertion(text: &str) -> std::result::Result<Assertion, String> {
    const OPS: [(&str, CmpOp); 5] =
        [("<=", CmpOp::Le), (">=", CmpOp::Ge), ("==", CmpOp::Eq), ("<", CmpOp::Lt), (">", CmpOp::Gt)];
    let Some((at, sym, op)) = OPS.iter().find_map(|&(sym, op)| text.find(sym).map(|at| (at, sym, op))) else {
        return Err(format!(
            "{text:?}: expected `METRIC OP NUMBER` with OP one of <, <=, >, >=, ==, e.g. \"latency_s.p99 <= 0.25\""
        ));
    };
    let metric = text[..at].trim();
    let number = text[at + sym.len()..].trim();
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("{text:?}: {number:?} is not a finite number"))?;
    if !crate::metrics::summary::is_known_metric(metric) {
        return Err(format!(
            "{text:?}: unknown metric {metric:?}; use a summary.json key such as latency_s.p99 or cost_usd.total"
        ));
    }
    Ok(Assertion { metric: metric.to_string(), op, value, text: text.to_string() })
}
