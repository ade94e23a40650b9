//! Reads the spot traces a scenario names into the [`MarketData`] the engine runs on.

use std::collections::BTreeMap;

use crate::fleet::market::MarketData;
use crate::scenario::{Interruptions, Market, PriceTraceFormat, Scenario};
use crate::trace::spot::{self, AvailabilityFormat, PriceFormat, SpotTraceError, StepSeries};

/// A market trace problem: a file that cannot be read, or zones the scenario names that no trace
/// covers.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// A trace file could not be read.
    #[error(transparent)]
    Trace(#[from] SpotTraceError),
    /// A spot zone without a series.
    #[error("spot zone {zone:?} (pool {pool:?}) has no {what} series in the traces, which cover {found:?}")]
    MissingZone {
        /// The zone.
        zone: String,
        /// The pool.
        pool: String,
        /// "availability" or "price".
        what: &'static str,
        /// Zones the traces hold.
        found: Vec<String>,
    },
    /// A job's spot zone that only a price series could price.
    #[error(
        "spot zone {zone:?} of the job has no price series for {instance} in the traces, which cover {found:?}, \
         and the catalog has no reference spot discount for {instance}: add the zone to the price trace or set spot.price: {{ constant: ... }}"
    )]
    Unpriced {
        /// The zone.
        zone: String,
        /// The job's instance type.
        instance: String,
        /// Zones the price traces hold.
        found: Vec<String>,
    },
}

/// Reads every availability and price trace of `s` and checks that they cover its spot zones;
/// an empty result when it has no spot pools.
pub fn load(s: &Scenario) -> Result<MarketData, MarketError> {
    let data = read(s)?;
    check(s, &data)?;
    Ok(data)
}

/// What the market data of `s` depends on: scenarios with equal keys read the same series
/// (a sweep reads them once for all its cells).
pub fn key(s: &Scenario) -> String {
    format!("{:?}", (&s.spot, &s.trace_start))
}

/// Reads every availability and price trace of `s` (see [`load`]).
pub fn read(s: &Scenario) -> Result<MarketData, MarketError> {
    let Some(spot_spec) = &s.spot else { return Ok(MarketData::default()) };
    let mut data = MarketData::default();
    if let Interruptions::Traces(traces) = &spot_spec.interruptions {
        for t in traces {
            let format = if t.skypilot { AvailabilityFormat::SkypilotAvailability } else { AvailabilityFormat::Csv };
            let series =
                spot::read_availability(&t.path, format, t.zone.as_deref(), t.instance.as_deref(), s.trace_start)?;
            merge(&mut data.availability, series, t.instance.as_deref());
        }
    }
    for t in &spot_spec.price_traces {
        let format = match t.format {
            PriceTraceFormat::Csv => PriceFormat::Csv,
            PriceTraceFormat::AwsJson => PriceFormat::AwsJson,
            PriceTraceFormat::SkypilotPrices => PriceFormat::SkypilotPrices,
        };
        let series =
            spot::read_prices(&t.path, format, t.zone.as_deref(), t.instance.as_deref(), t.tick, s.trace_start)?;
        merge(&mut data.prices, series, t.instance.as_deref());
    }
    Ok(data)
}

/// Checks that the series read for `s` cover every zone of its spot pools.
pub fn check(s: &Scenario, data: &MarketData) -> Result<(), MarketError> {
    let Some(spot_spec) = &s.spot else { return Ok(()) };
    if let Interruptions::Traces(_) = &spot_spec.interruptions {
        check_coverage(s, &data.availability, |d, z, i| d.availability_of(z, i).is_some(), data, "availability")?;
    }
    if !spot_spec.price_traces.is_empty() {
        check_coverage(s, &data.prices, |d, z, i| d.price_of(z, i).is_some(), data, "price")?;
    }
    if let Some(job) = s.job().filter(|j| j.spot_price.is_none())
        && let Some(zone) = job.zones.iter().find(|z| data.price_of(z, &job.instance.name).is_none())
    {
        return Err(MarketError::Unpriced {
            zone: zone.clone(),
            instance: job.instance.name.clone(),
            found: covered_zones(&data.prices),
        });
    }
    Ok(())
}

/// Every spot pool's zones must have a series (for its instance type or the whole zone).
fn check_coverage(
    s: &Scenario,
    map: &BTreeMap<(String, String), StepSeries>,
    covered: impl Fn(&MarketData, &str, &str) -> bool,
    data: &MarketData,
    what: &'static str,
) -> Result<(), MarketError> {
    for pool in s.fleet.pools.iter().filter(|p| p.market == Market::Spot) {
        for zone in &pool.zones {
            if !covered(data, zone, &pool.instance.name) {
                return Err(MarketError::MissingZone {
                    zone: zone.clone(),
                    pool: pool.name.clone(),
                    what,
                    found: covered_zones(map),
                });
            }
        }
    }
    Ok(())
}

/// The zones (and instance types) a map of series covers, for messages.
fn covered_zones(map: &BTreeMap<(String, String), StepSeries>) -> Vec<String> {
    map.keys().map(|(z, i)| if i.is_empty() { z.clone() } else { format!("{z} ({i})") }).collect()
}

/// Adds series keyed by zone and the entry's instance filter; later entries win.
fn merge(
    into: &mut BTreeMap<(String, String), StepSeries>,
    from: BTreeMap<String, StepSeries>,
    instance: Option<&str>,
) {
    let instance = instance.unwrap_or_default().to_string();
    into.extend(from.into_iter().map(|(zone, series)| ((zone, instance.clone()), series)));
}

/// Every trace file a scenario reads besides its request trace (for the manifest): spot traces,
/// then the traces its token lengths resample.
pub fn trace_paths(s: &Scenario) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Some(spot_spec) = &s.spot {
        if let Interruptions::Traces(traces) = &spot_spec.interruptions {
            out.extend(traces.iter().map(|t| t.path.clone()));
        }
        out.extend(spot_spec.price_traces.iter().map(|t| t.path.clone()));
    }
    if let Some(sv) = s.serving() {
        for src in sv.tokens.empirical_sources() {
            if !out.contains(&src.path) {
                out.push(src.path.clone());
            }
        }
    }
    out
}
