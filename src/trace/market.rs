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
    /// A spot zone without an availability series.
    #[error("spot zone {zone:?} (pool {pool:?}) has no availability trace; the traces cover {found:?}")]
    MissingZone {
        /// The zone.
        zone: String,
        /// The pool.
        pool: String,
        /// Zones the traces hold.
        found: Vec<String>,
    },
}

/// Reads every availability and price trace of `s`; an empty result when it has no spot pools.
pub fn load(s: &Scenario) -> Result<MarketData, MarketError> {
    let Some(spot_spec) = &s.spot else { return Ok(MarketData::default()) };
    let mut data = MarketData::default();
    if let Interruptions::Traces(traces) = &spot_spec.interruptions {
        for t in traces {
            let format = if t.skypilot { AvailabilityFormat::SkypilotAvailability } else { AvailabilityFormat::Csv };
            let series = spot::read_availability(&t.path, format, t.zone.as_deref(), t.instance.as_deref(), None)?;
            merge(&mut data.availability, series);
        }
        for pool in s.fleet.pools.iter().filter(|p| p.market == Market::Spot) {
            for zone in &pool.zones {
                if !data.availability.contains_key(zone) {
                    return Err(MarketError::MissingZone {
                        zone: zone.clone(),
                        pool: pool.name.clone(),
                        found: data.availability.keys().cloned().collect(),
                    });
                }
            }
        }
    }
    for t in &spot_spec.price_traces {
        let format = match t.format {
            PriceTraceFormat::Csv => PriceFormat::Csv,
            PriceTraceFormat::AwsJson => PriceFormat::AwsJson,
            PriceTraceFormat::SkypilotPrices => PriceFormat::SkypilotPrices,
        };
        let series = spot::read_prices(&t.path, format, t.zone.as_deref(), t.instance.as_deref(), t.tick, None)?;
        merge(&mut data.prices, series);
    }
    Ok(data)
}

/// Later entries win for a zone given twice.
fn merge(into: &mut BTreeMap<String, StepSeries>, from: BTreeMap<String, StepSeries>) {
    into.extend(from);
}

/// Every trace file a scenario reads (for the manifest).
pub fn trace_paths(s: &Scenario) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Some(spot_spec) = &s.spot {
        if let Interruptions::Traces(traces) = &spot_spec.interruptions {
            out.extend(traces.iter().map(|t| t.path.clone()));
        }
        out.extend(spot_spec.price_traces.iter().map(|t| t.path.clone()));
    }
    out
}
