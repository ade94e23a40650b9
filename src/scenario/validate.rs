//! From raw to validated: value ranges, cross-references (instance types, pool names) and
//! defaults. Each failure names the key it is about; [`super::load`] adds file, line and column.

use std::collections::BTreeSet;
use std::path::Path;

use super::model::*;
use super::raw::*;
use crate::engine::Duration;
use crate::fleet::catalog;

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
    let autoscaler = super::autoscaler::autoscaler(raw.autoscaler.as_ref(), &fleet.pools)?;
    let spot = super::spot::spot(raw.spot.as_ref(), base_dir, any_spot)?;
    let timeseries_interval = timeseries_interval(raw, horizon, fleet.pools.len())?;
    let mut fleet = fleet;
    let serving = if job.is_some() { None } else { Some(super::serving::serving(raw, base_dir, &mut fleet.pools)?) };
    let mut scenario = Scenario {
        name: raw.name.trim().to_string(),
        description: raw.description.clone(),
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        horizon,
        warmup,
        start,
        trace_start: raw.start.as_ref().map(|_| start),
        spot,
        serving,
        job,
        fleet,
        autoscaler,
        billing: billing(raw.billing.as_ref())?,
        timeseries_interval,
        asserts: asserts(raw.assert.as_deref().unwrap_or_default())?,
        limits: limits(raw.limits.as_ref())?,
        sweep: super::sweep::sweep(raw.sweep.as_ref())?,
        assumptions: Vec::new(),
    };
    event_budget(&scenario)?;
    scenario.assumptions = super::assumptions::assumptions(raw, &scenario);
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

/// Rows the default `output.timeseries_interval` gives at most.
pub const DEFAULT_TIMESERIES_ROWS: u64 = 10_000;

/// The default row spacing of `timeseries.csv`: 1m, or for a horizon longer than 10,000 minutes
/// the shortest of 5m, 15m, 30m, 1h, 2h, 6h, 12h and 1d that keeps it within 10,000 rows.
pub fn default_timeseries_interval(horizon: Duration) -> Duration {
    const STEPS_S: [u64; 9] = [60, 300, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400];
    let step_s = STEPS_S
        .into_iter()
        .find(|&s| horizon.as_nanos() / Duration::from_secs(s).as_nanos() <= DEFAULT_TIMESERIES_ROWS)
        .unwrap_or(86_400); // 10 years at 1d: 3,650 rows
    Duration::from_secs(step_s)
}

fn timeseries_interval(raw: &RawScenario, horizon: Duration, n_pools: usize) -> Result<Duration> {
    let interval = raw
        .output
        .as_ref()
        .and_then(|o| o.timeseries_interval)
        .map_or_else(|| default_timeseries_interval(horizon), |d| d.0);
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
        service: None, // set by `pool_services` once the scenario's service is known
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
