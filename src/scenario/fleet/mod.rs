//! `fleet:` — pools of identical instances (size or autoscaling bounds, market, price, zones) and,
//! in [`instance`], the instance types added to or overriding the built-in catalog. A pool's market
//! fields are checked with the `spot:` section ([`super::spot::pool`]); its own `service:` with
//! the scenario's ([`super::serving::service`]).

pub mod instance;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Service;
use super::error::{Invalid, invalid};
use super::serving::service::RawPoolService;
use super::spot::RawSpot;
use crate::engine::Duration;
pub use instance::{InstanceSpec, RawInstanceType};

type Result<T> = std::result::Result<T, Invalid>;

/// `fleet:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFleet {
    /// Pools of identical instances (none in a job scenario).
    #[serde(default)]
    pub pools: Vec<RawPool>,
    /// Instance types added to, or overriding, the built-in catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_types: Option<Vec<RawInstanceType>>,
}

/// One pool.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    /// Pool name, unique in the fleet.
    pub name: String,
    /// Instance type name (catalog or `instance_types`).
    pub instance: String,
    /// `on_demand` (default), `spot` or `reserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<RawMarket>,
    /// Fixed number of instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Autoscaled pools: lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// Autoscaled pools: upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// Autoscaled pools: instances at time 0 (default `min`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<u32>,
    /// Spot: highest price paid per instance-hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<f64>,
    /// Spot: zones the pool spreads over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Spot: how a new instance picks its zone (default lowest_price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_strategy: Option<RawZoneStrategy>,
    /// Spot: launch on-demand stand-ins while spot is unobtainable (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ondemand_fallback: Option<bool>,
    /// Effective USD per instance-hour: required for reserved pools; overrides the on-demand price
    /// of on-demand pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// The pool's own batch times: each key given replaces `service`'s for its replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<RawPoolService>,
    /// The pool's own LLM engine keys (LLM scenarios): each key given replaces `llm`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<crate::scenario::serving::llm::RawLlm>,
}

/// Zone choice for a new spot instance (a serving pool's `zone_strategy`) or gang (a job's
/// `zone_policy`): one set of names for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawZoneStrategy {
    /// The obtainable zone with the lowest spot price (`cheapest` is the same).
    #[serde(alias = "cheapest")]
    LowestPrice,
    /// The zone with the most obtainable capacity left.
    MostAvailable,
    /// Zones in turn.
    RoundRobin,
    /// The zone of the first launch (the first zone listed until then), and no other.
    Stay,
}

/// Markets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawMarket {
    /// Pay as you go.
    OnDemand,
    /// Interruptible, cheaper.
    Spot,
    /// Committed for the whole horizon.
    Reserved,
}

/// The fleet.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    /// Pools, in file order.
    pub pools: Vec<PoolSpec>,
}

/// A pool of identical instances.
#[derive(Clone, Debug)]
pub struct PoolSpec {
    /// Unique name.
    pub name: String,
    /// Instance type, resolved against the catalog.
    pub instance: InstanceSpec,
    /// Market.
    pub market: Market,
    /// Instances at time 0 (the fixed number when the pool is not autoscaled).
    pub count: u32,
    /// Autoscaled pools: the bounds the autoscaler keeps the pool within.
    pub scaling: Option<PoolBounds>,
    /// USD per instance-hour of the pool's own market (on-demand or reserved price; for spot
    /// pools the on-demand price of fallback stand-ins).
    pub price_per_hour: f64,
    /// Spot: zones, in the order given (one `default` zone when none are).
    pub zones: Vec<String>,
    /// Spot: how new instances pick a zone.
    pub zone_strategy: ZoneStrategy,
    /// Spot: launch on-demand stand-ins while spot is unobtainable.
    pub ondemand_fallback: bool,
    /// Spot: instances are reclaimed while the price is above this, and none launch.
    pub max_price: Option<f64>,
    /// Spot: price where no trace gives one, USD per instance-hour; `None` when `spot.price` is a
    /// trace and the catalog has no reference discount for the type (every zone then has a price
    /// series: checked when the traces are read).
    pub spot_price: Option<f64>,
    /// Spot: interruptions per instance-hour (hazard model).
    pub interruptions_per_hour: f64,
    /// Spot: warning before reclaim.
    pub notice: Duration,
    /// The pool's own batch times (its `service:` over the scenario's), when it gives any.
    pub service: Option<Service>,
}

/// The spot price where no trace gives one: a broken invariant when there is none, since every
/// zone then has a price series (checked when the traces are read).
pub fn untraced_spot_price(spot_price: Option<f64>) -> f64 {
    spot_price.expect("a zone without a price series needs a constant or reference spot price")
}

/// An autoscaled pool's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolBounds {
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
}

/// Zone choice for a new spot instance or gang ([`crate::fleet::zone_picker`] gives each its
/// semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneStrategy {
    /// Lowest spot price among obtainable zones.
    LowestPrice,
    /// Most obtainable capacity left.
    MostAvailable,
    /// In turn.
    RoundRobin,
    /// The zone of the first launch, and no other.
    Stay,
}

impl From<RawZoneStrategy> for ZoneStrategy {
    fn from(raw: RawZoneStrategy) -> ZoneStrategy {
        use RawZoneStrategy as Raw;
        match raw {
            Raw::LowestPrice => ZoneStrategy::LowestPrice,
            Raw::MostAvailable => ZoneStrategy::MostAvailable,
            Raw::RoundRobin => ZoneStrategy::RoundRobin,
            Raw::Stay => ZoneStrategy::Stay,
        }
    }
}

/// Markets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    /// Pay as you go.
    OnDemand,
    /// Interruptible, at the spot price.
    Spot,
    /// Committed for the whole run, billed whether used or not.
    Reserved,
}

impl Market {
    /// The scenario's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Market::OnDemand => "on_demand",
            Market::Spot => "spot",
            Market::Reserved => "reserved",
        }
    }
}

/// Most pools in a fleet.
pub const MAX_POOLS: usize = 1_000;

/// Most instances in a fleet.
pub const MAX_INSTANCES: u64 = 1_000_000;

/// Most instances in one pool.
const MAX_POOL_SIZE: u32 = 100_000;

pub(super) fn fleet(raw: &RawFleet, spot: Option<&RawSpot>) -> Result<FleetSpec> {
    if raw.pools.is_empty() {
        return invalid("fleet.pools", "must list at least one pool");
    }
    if raw.pools.len() > MAX_POOLS {
        return invalid("fleet.pools", format!("{} pools is above the limit of {MAX_POOLS}", raw.pools.len()));
    }
    let overrides = raw.instance_types.as_deref().unwrap_or_default();
    instance::instance_types(overrides)?;
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
    let instance = instance::resolve_instance(&p.instance, types).map_err(|e| Invalid {
        key: if e.key == "name" { format!("{key}.instance") } else { e.key },
        message: e.message,
    })?;
    let m = crate::scenario::spot::pool::pool_market(key, p, market, &instance, spot)?;
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
