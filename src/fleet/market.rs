//! Market inputs of a run: spot availability and price series per zone, read from traces by the
//! CLI (see `trace::market`) and handed to the engine as plain data.

use std::collections::BTreeMap;

use crate::trace::spot::StepSeries;

/// Availability (instances obtainable) and spot prices (USD per instance-hour) per zone and
/// instance type: keys are `(zone, instance type)`, with an empty type for series that apply to
/// any type in the zone.
#[derive(Clone, Debug, Default)]
pub struct MarketData {
    /// Instances obtainable over time. A zone without a series is always obtainable.
    pub availability: BTreeMap<(String, String), StepSeries>,
    /// Spot price over time. A zone without a series uses its pool's constant spot price.
    pub prices: BTreeMap<(String, String), StepSeries>,
}

impl MarketData {
    /// The availability series for `instance` in `zone`: its own, else the zone's.
    pub fn availability_of(&self, zone: &str, instance: &str) -> Option<&StepSeries> {
        lookup(&self.availability, zone, instance)
    }

    /// The price series for `instance` in `zone`: its own, else the zone's.
    pub fn price_of(&self, zone: &str, instance: &str) -> Option<&StepSeries> {
        lookup(&self.prices, zone, instance)
    }
}

fn lookup<'a>(map: &'a BTreeMap<(String, String), StepSeries>, zone: &str, instance: &str) -> Option<&'a StepSeries> {
    map.get(&(zone.to_string(), instance.to_string())).or_else(|| map.get(&(zone.to_string(), String::new())))
}
