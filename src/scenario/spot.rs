//! Validation of markets: the `spot:` section and the market fields of each pool (prices, zones,
//! interruption rates and notices, with defaults from the built-in market references).

use std::path::Path;

use super::model::*;
use super::raw::*;
use super::validate::{Invalid, invalid, number};
use crate::engine::Duration;
use crate::fleet::market_refs;

type Result<T> = std::result::Result<T, Invalid>;

/// Default notice when neither the scenario nor the provider's reference gives one (AWS's 2 min).
const DEFAULT_NOTICE: Duration = Duration::from_secs(120);

/// The `spot:` section, if any pool is spot (otherwise the section is checked and dropped).
pub fn spot(raw: Option<&RawSpot>, base_dir: &Path, any_spot_pool: bool) -> Result<Option<SpotSpec>> {
    let interruptions = match raw.and_then(|s| s.interruptions.as_ref()) {
        None => Interruptions::Hazard { weekend_factor: default_weekend_factor(), profile: [1.0; 24] },
        Some(RawInterruptions::Hazard(h)) => hazard(h)?,
        Some(RawInterruptions::Trace(entries)) => {
            let mut traces = Vec::new();
            for (i, t) in entries.as_slice().iter().enumerate() {
                let key = format!("spot.interruptions.trace[{i}]");
                let skypilot = matches!(t.format, RawAvailabilityFormat::SkypilotAvailability);
                if skypilot && t.zone.is_none() {
                    return invalid(
                        format!("{key}.zone"),
                        "a skypilot-availability file holds one series: name the zone it applies to",
                    );
                }
                traces.push(AvailabilityTraceSpec {
                    path: base_dir.join(&t.path),
                    skypilot,
                    zone: t.zone.clone(),
                    instance: t.instance.clone(),
                });
            }
            if traces.is_empty() {
                return invalid("spot.interruptions.trace", "lists no trace");
            }
            Interruptions::Traces(traces)
        }
    };
    let mut price_traces = Vec::new();
    if let Some(RawPrice::Trace(entries)) = raw.and_then(|s| s.price.as_ref()) {
        for (i, t) in entries.as_slice().iter().enumerate() {
            let format = match t.format {
                RawPriceFormat::Csv => PriceTraceFormat::Csv,
                RawPriceFormat::AwsJson => PriceTraceFormat::AwsJson,
                RawPriceFormat::SkypilotPrices => PriceTraceFormat::SkypilotPrices,
            };
            let tick = t.tick.map(|d| d.0);
            if format == PriceTraceFormat::SkypilotPrices && tick.is_none_or(|d| d == Duration::ZERO) {
                return invalid(
                    format!("spot.price.trace[{i}].tick"),
                    "skypilot-prices files have no tick length: give it, e.g. tick: 195s",
                );
            }
            price_traces.push(PriceTraceSpec {
                path: base_dir.join(&t.path),
                format,
                zone: t.zone.clone(),
                instance: t.instance.clone(),
                tick,
            });
        }
    }
    Ok(any_spot_pool.then_some(SpotSpec { interruptions, price_traces }))
}

/// The published weekend factor when interruptions are left to defaults (weekends ≈ 40% lower).
fn default_weekend_factor() -> f64 {
    market_refs::weekend_factor().map_or(1.0, |r| r.value)
}

fn hazard(h: &RawHazard) -> Result<Interruptions> {
    const K: &str = "spot.interruptions.hazard";
    if let Some(r) = h.per_hour
        && !(r.is_finite() && (0.0..=100.0).contains(&r))
    {
        return invalid(
            format!("{K}.per_hour"),
            format!("must be interruptions per instance-hour in [0, 100], found {r}"),
        );
    }
    let weekend_factor = h.weekend_factor.unwrap_or(1.0);
    if !(weekend_factor.is_finite() && (0.0..=100.0).contains(&weekend_factor)) {
        return invalid(
            format!("{K}.weekend_factor"),
            format!("must be a multiplier in [0, 100], found {weekend_factor}"),
        );
    }
    let mut profile = [1.0; 24];
    if let Some(p) = &h.profile {
        if p.len() != 24 {
            return invalid(
                format!("{K}.profile"),
                format!("needs 24 multipliers, one per UTC hour, found {}", p.len()),
            );
        }
        for (i, &f) in p.iter().enumerate() {
            if !(f.is_finite() && (0.0..=100.0).contains(&f)) {
                return invalid(format!("{K}.profile[{i}]"), format!("must be a multiplier in [0, 100], found {f}"));
            }
            profile[i] = f;
        }
    }
    Ok(Interruptions::Hazard { weekend_factor, profile })
}

/// The market fields of pool `key`, with defaults for spot pools.
pub fn pool_market(
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
