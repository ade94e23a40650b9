//! `service:` — batch times (linear terms or an interpolated table) and their distribution, and
//! each pool's own `service:` keys over the scenario's.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use crate::engine::Duration;
use crate::scenario::PoolSpec;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::fleet::RawFleet;
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `service:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// Mean time of one batch.
    pub batch_time: RawBatchTime,
    /// Distribution around that mean (default deterministic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<RawDistribution>,
}

/// `batch_time:` — linear terms, or a table interpolated linearly.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatchTime {
    /// Fixed time per batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<DurationValue>,
    /// Time per request in the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_item: Option<DurationValue>,
    /// Time per input (context) token, summed over the batch (prefill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_input_token: Option<DurationValue>,
    /// Time per output token of the longest generation in the batch (decode steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_output_token: Option<DurationValue>,
    /// Batch size → batch time, interpolated linearly between entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<BTreeMap<u32, DurationValue>>,
}

/// `distribution:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawDistribution {
    /// Exactly the mean.
    Deterministic,
    /// Exponential with the mean.
    Exponential,
    /// Lognormal with the mean and a coefficient of variation.
    Lognormal(RawLognormal),
}

/// `{ lognormal: { cv: 0.3 } }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLognormal {
    /// Standard deviation over mean.
    pub cv: f64,
}

/// `fleet.pools[].service:` — `service` keys for one pool (each optional).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPoolService {
    /// Mean time of one batch on this pool's instances (replaces `service.batch_time` whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_time: Option<RawBatchTime>,
    /// Distribution around that mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<RawDistribution>,
}

/// Batch service times.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// Mean time of a batch.
    pub batch_time: BatchTime,
    /// Spread around the mean.
    pub distribution: ServiceDistribution,
}

/// Mean batch time as a function of the batch.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchTime {
    /// `base + per_item·b + per_input_token·Σ tokens_in + per_output_token·max tokens_out`, in ns.
    Linear {
        /// Fixed part, ns.
        base_ns: f64,
        /// Per request, ns.
        per_item_ns: f64,
        /// Per input token summed over the batch, ns.
        per_input_token_ns: f64,
        /// Per output token of the longest generation, ns.
        per_output_token_ns: f64,
    },
    /// `(batch size, ns)` points sorted by size, interpolated linearly (extrapolated from the
    /// last two points beyond the largest size).
    Table(Vec<(u32, f64)>),
}

/// Distribution of a batch's time around its mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ServiceDistribution {
    /// Exactly the mean.
    Deterministic,
    /// Exponential.
    Exponential,
    /// Lognormal with this coefficient of variation.
    Lognormal {
        /// Standard deviation over mean.
        cv: f64,
    },
}

/// Each pool's own `service:` keys over the scenario's `service` (batch_time as a whole).
pub(super) fn pool_services(
    fleet: Option<&RawFleet>,
    base: &Service,
    max_batch: NonZeroU32,
    pools: &mut [PoolSpec],
) -> Result<()> {
    let raw_pools = fleet.map_or(&[][..], |f| &f.pools[..]);
    for (i, (raw_pool, pool)) in raw_pools.iter().zip(pools).enumerate() {
        let Some(own) = &raw_pool.service else { continue };
        let k = format!("fleet.pools[{i}].service");
        if own.batch_time.is_none() && own.distribution.is_none() {
            return invalid(k, "give batch_time, distribution or both (or leave the pool's service out)");
        }
        pool.service = Some(Service {
            batch_time: match &own.batch_time {
                Some(bt) => batch_time(&format!("{k}.batch_time"), bt, max_batch)?,
                None => base.batch_time.clone(),
            },
            distribution: match &own.distribution {
                Some(d) => distribution(&format!("{k}.distribution"), Some(d))?,
                None => base.distribution,
            },
        });
    }
    Ok(())
}

fn ns(d: Option<DurationValue>) -> f64 {
    d.map_or(0.0, |d| d.0.0 as f64)
}

/// `batch_time` at key `k`; a one-entry table must cover the largest batch.
pub(super) fn batch_time(k: &str, raw: &RawBatchTime, max_batch: NonZeroU32) -> Result<BatchTime> {
    let linear = [raw.base, raw.per_item, raw.per_input_token, raw.per_output_token];
    match &raw.table {
        Some(_) if linear.iter().any(Option::is_some) => invalid(
            k,
            "give either `table` or the linear terms (base, per_item, per_input_token, per_output_token), not both",
        ),
        Some(table) => {
            if table.is_empty() {
                return invalid(format!("{k}.table"), "must have at least one `batch size: time` entry");
            }
            let mut points = Vec::with_capacity(table.len());
            for (&size, time) in table {
                if size == 0 {
                    return invalid(format!("{k}.table.0"), "batch sizes start at 1");
                }
                if time.0 == Duration::ZERO {
                    return invalid(format!("{k}.table.{size}"), "batch time must be longer than 0");
                }
                points.push((size, time.0.0 as f64));
            }
            let (largest, _) = points[points.len() - 1];
            if points.len() == 1 && max_batch.get() > largest {
                return invalid(
                    format!("{k}.table"),
                    format!(
                        "has one entry (batch size {largest}) but batches reach {max_batch}: give a second entry so larger batches can be extrapolated, or the time at the largest batch size"
                    ),
                );
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
                    k,
                    "needs a positive `base` or `per_item` (e.g. { base: 8ms, per_item: 1.2ms }) or a `table`",
                );
            }
            Ok(bt)
        }
    }
}

pub(super) fn distribution(k: &str, raw: Option<&RawDistribution>) -> Result<ServiceDistribution> {
    Ok(match raw {
        None | Some(RawDistribution::Deterministic) => ServiceDistribution::Deterministic,
        Some(RawDistribution::Exponential) => ServiceDistribution::Exponential,
        Some(RawDistribution::Lognormal(l)) => {
            if !(l.cv.is_finite() && l.cv > 0.0 && l.cv <= 100.0) {
                return invalid(format!("{k}.lognormal.cv"), format!("must be a number in (0, 100], found {}", l.cv));
            }
            ServiceDistribution::Lognormal { cv: l.cv }
        }
    })
}
