//! `billing:` — how instance time is billed: a granularity every billed time is rounded up to,
//! and a minimum per instance.

use serde::{Deserialize, Serialize};

use super::error::{Invalid, invalid};
use super::units::DurationValue;
use crate::engine::Duration;

type Result<T> = std::result::Result<T, Invalid>;

/// `billing: { granularity, minimum }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBilling {
    /// Billing step (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<DurationValue>,
    /// Minimum billed time per instance (default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<DurationValue>,
}

/// Billing rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Billing {
    /// Billed time is rounded up to a multiple of this.
    pub granularity: Duration,
    /// Shortest billed time per instance.
    pub minimum: Duration,
}

pub(super) fn billing(raw: Option<&RawBilling>) -> Result<Billing> {
    let granularity = raw.and_then(|b| b.granularity).map_or(Duration::from_secs(1), |d| d.0);
    if granularity == Duration::ZERO {
        return invalid("billing.granularity", "must be longer than 0, e.g. 1s");
    }
    let minimum = raw.and_then(|b| b.minimum).map_or(Duration::from_secs(60), |d| d.0);
    Ok(Billing { granularity, minimum })
}
