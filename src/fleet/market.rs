//! Market inputs of a run: spot availability and price series per zone, read from traces by the
//! CLI (see `trace::market`) and handed to the engine as plain data.

use std::collections::BTreeMap;

use crate::trace::spot::StepSeries;

/// Availability (instances obtainable) and spot prices (USD per instance-hour) per zone.
#[derive(Clone, Debug, Default)]
pub struct MarketData {
    /// Zone → instances obtainable over time. A zone without a series is always obtainable.
    pub availability: BTreeMap<String, StepSeries>,
    /// Zone → spot price over time. A zone without a series uses its pool's constant spot price.
    pub prices: BTreeMap<String, StepSeries>,
}
