//! The market fields of a pool (and of a job's gang, checked as a spot pool of `gang` instances):
//! prices, zones, zone choice, fallback, interruption rate and notice, with defaults from the
//! built-in market references.

use super::{RawInterruptions, RawPrice, RawSpot};
use crate::engine::Duration;
use crate::fleet::market_refs;
use crate::scenario::error::{Invalid, invalid, number};
use crate::scenario::fleet::{RawPool, RawZoneStrategy};
use crate::scenario::{InstanceSpec, Market, ZoneStrategy};

type Result<T> = std::result::Result<T, Invalid>;

/// Default notice when neither the scenario nor the provider's reference gives one (AWS's 2 min).
const DEFAULT_NOTICE: Duration = Duration::from_secs(120);

/// The market fields of pool `key`, with defaults for spot pools.
pub(in crate::scenario) fn pool_market(
    key: &str,
    p: &RawPool,
    market: Market,
    instance: &InstanceSpec,
    spot: Option<&RawSpot>,
) -> Result<PoolMarket> {
    if market != Market::Spot {
        for (field, present) in [
            ("max_price", p.max_price.is_some()),
            ("zones", p.zones.is_some()),
            ("zone_strategy", p.zone_strategy.is_some()),
            ("ondemand_fallback", p.ondemand_fallback.is_some()),
        ] {
            if present {
                return invalid(
                    format!("{key}.{field}"),
                    format!("only spot pools take `{field}`; this pool is {}", market.as_str()),
                );
            }
        }
    }
    let price_per_hour = match (market, p.price) {
        (Market::Reserved, None) => {
            return invalid(
                format!("{key}.price"),
                "a reserved pool needs its effective hourly price, e.g. price: 0.62",
            );
        }
        (Market::Spot, Some(_)) => {
            return invalid(format!("{key}.price"), "spot prices come from `spot.price`; use max_price to cap them");
        }
        (_, Some(price)) => price,
        (_, None) => instance.on_demand_price,
    };
    if !(price_per_hour.is_finite() && (0.0..1e6).contains(&price_per_hour)) {
        return invalid(
            format!("{key}.price"),
            format!("must be USD per instance-hour, ≥ 0 and below 1000000, found {}", number(price_per_hour)),
        );
    }
    let mut out = PoolMarket {
        price_per_hour,
        zones: vec!["default".to_string()],
        zone_strategy: ZoneStrategy::LowestPrice,
        ondemand_fallback: false,
        max_price: None,
        spot_price: None,
        interruptions_per_hour: 0.0,
        notice: Duration::ZERO,
    };
    if market == Market::Spot {
        spot_fields(key, p, instance, spot, &mut out)?;
    }
    Ok(out)
}

/// The market fields a pool gets.
pub struct PoolMarket {
    /// See [`PoolSpec::price_per_hour`].
    pub price_per_hour: f64,
    /// See [`PoolSpec::zones`].
    pub zones: Vec<String>,
    /// See [`PoolSpec::zone_strategy`].
    pub zone_strategy: ZoneStrategy,
    /// See [`PoolSpec::ondemand_fallback`].
    pub ondemand_fallback: bool,
    /// See [`PoolSpec::max_price`].
    pub max_price: Option<f64>,
    /// See [`PoolSpec::spot_price`].
    pub spot_price: Option<f64>,
    /// See [`PoolSpec::interruptions_per_hour`].
    pub interruptions_per_hour: f64,
    /// See [`PoolSpec::notice`].
    pub notice: Duration,
}

fn spot_fields(
    key: &str,
    p: &RawPool,
    instance: &InstanceSpec,
    spot: Option<&RawSpot>,
    out: &mut PoolMarket,
) -> Result<()> {
    if let Some(zones) = &p.zones {
        if zones.is_empty() || zones.iter().any(|z| z.trim().is_empty()) {
            return invalid(format!("{key}.zones"), "must list zone names, e.g. [us-east-1a, us-east-1b]");
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = zones.iter().find(|z| !seen.insert(z.as_str())) {
            return invalid(format!("{key}.zones"), format!("zone {dup:?} is listed twice"));
        }
        out.zones = zones.clone();
    }
    out.zone_strategy = ZoneStrategy::from(p.zone_strategy.unwrap_or(RawZoneStrategy::LowestPrice));
    out.ondemand_fallback = p.ondemand_fallback.unwrap_or(false);
    if let Some(m) = p.max_price {
        if !(m.is_finite() && m >= 0.0) {
            return invalid(
                format!("{key}.max_price"),
                format!("must be USD per instance-hour ≥ 0, found {}", number(m)),
            );
        }
        out.max_price = Some(m);
    }
    out.spot_price = match spot.and_then(|s| s.price.as_ref()) {
        Some(RawPrice::Constant(c)) => {
            if !(c.is_finite() && (0.0..1e6).contains(c)) {
                return invalid(
                    "spot.price.constant",
                    format!("must be USD per instance-hour, ≥ 0 and below 1000000, found {}", number(*c)),
                );
            }
            Some(*c)
        }
        // The trace prices every zone it covers; the reference discount, if any, the others.
        Some(RawPrice::Trace(_)) => reference_spot_price(instance),
        None => match reference_spot_price(instance) {
            Some(price) => Some(price),
            None => {
                return invalid(
                    format!("{key}.instance"),
                    format!("no reference spot discount for {:?}: set spot.price (constant or a trace)", instance.name),
                );
            }
        },
    };
    let hazard = match spot.and_then(|s| s.interruptions.as_ref()) {
        None => Some(None),
        Some(RawInterruptions::Hazard(h)) => Some(h.per_hour),
        Some(RawInterruptions::Trace(_)) => None,
    };
    if let Some(given) = hazard {
        out.interruptions_per_hour = match given {
            Some(r) => r,
            None => match market_refs::interruption_rate_per_hour(&instance.gpu) {
                Some(r) => r.value,
                None => {
                    return invalid(
                        "spot.interruptions.hazard.per_hour",
                        format!(
                            "pool {:?} runs {:?} (GPU {:?}), for which there is no published interruption rate: set spot.interruptions.hazard.per_hour",
                            p.name, instance.name, instance.gpu
                        ),
                    );
                }
            },
        };
    }
    if let Some(RawInterruptions::Hazard(h)) = spot.and_then(|s| s.interruptions.as_ref()) {
        let peak = h.weekend_factor.unwrap_or(1.0).max(1.0)
            * h.profile.as_ref().map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max));
        if out.interruptions_per_hour * peak > 100.0 {
            return invalid(
                "spot.interruptions.hazard",
                format!(
                    "peaks at {} interruptions per instance-hour (per_hour × weekend_factor × largest profile entry); the limit is 100",
                    out.interruptions_per_hour * peak
                ),
            );
        }
    }
    out.notice = match spot.and_then(|s| s.notice) {
        Some(n) if n.0 > Duration::from_secs(3_600) => {
            return invalid("spot.notice", format!("{} is longer than the 1h limit (providers give 30s to 2m)", n.0));
        }
        Some(n) => n.0,
        None => {
            market_refs::notice_secs(&instance.provider).map_or(DEFAULT_NOTICE, |r| Duration::from_secs_f64(r.value))
        }
    };
    Ok(())
}

/// The on-demand price less the catalog's typical spot discount, when it has one for the type.
fn reference_spot_price(instance: &InstanceSpec) -> Option<f64> {
    market_refs::spot_discount(&instance.provider, &instance.gpu).map(|d| instance.on_demand_price * (1.0 - d.value))
}
