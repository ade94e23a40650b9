//! `spot:` — the spot markets: where interruptions come from (a hazard shaped by weekends and the
//! hour of day, or availability traces), price traces, and the notice. Each pool's (and a job's)
//! market fields, with defaults from the built-in market references, are [`pool`].

pub mod pool;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{Invalid, invalid};
use super::units::DurationValue;
use crate::engine::Duration;
use crate::fleet::market_refs;

type Result<T> = std::result::Result<T, Invalid>;

/// `spot:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpot {
    /// Interruption source (default: a hazard at the catalog's rate for the GPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruptions: Option<RawInterruptions>,
    /// Price source (default: the catalog's typical discount off on-demand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<RawPrice>,
    /// Warning before an instance is reclaimed (default: the provider's, AWS 2m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<DurationValue>,
}

/// `spot.interruptions:` — exactly one of these keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawInterruptions {
    /// Independent exponential interruptions per instance.
    Hazard(RawHazard),
    /// Availability traces, one entry or a list (one per zone).
    Trace(OneOrMany<RawAvailabilityTrace>),
}

/// One value or a list of them.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single entry.
    One(T),
    /// Several entries.
    Many(Vec<T>),
}

/// A list is `Many`, a mapping is `One`: decided by the value's shape rather than by trying each
/// (as `#[serde(untagged)]` would), so an error inside an entry — an unknown key, a duration
/// without a unit — is reported with its key instead of "did not match any variant".
impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};

        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one entry { path: ..., format: ... } or a list of them")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }
        d.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

impl<T> OneOrMany<T> {
    /// The entries as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
}

/// `hazard: { per_hour, weekend_factor, profile }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHazard {
    /// Interruptions per instance-hour (default: the catalog's figure for the GPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_hour: Option<f64>,
    /// Multiplier on Saturdays and Sundays (UTC) (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekend_factor: Option<f64>,
    /// 24 multipliers, one per UTC hour of the day (default all 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Vec<f64>>,
}

/// An availability trace entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAvailabilityTrace {
    /// Path, relative to the scenario file.
    pub path: String,
    /// `skypilot-availability` or `csv`.
    pub format: RawAvailabilityFormat,
    /// The zone a one-series file applies to (skypilot-availability); a filter for csv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Only rows of this instance type (csv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// Availability trace formats.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawAvailabilityFormat {
    /// `{"metadata": {"gap_seconds": N}, "data": [...]}`
    SkypilotAvailability,
    /// `time,zone,instance,available`
    Csv,
}

/// `spot.price:` — exactly one of these keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawPrice {
    /// One price everywhere, USD per instance-hour.
    Constant(f64),
    /// Price traces, one entry or a list.
    Trace(OneOrMany<RawPriceTrace>),
}

/// A price trace entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPriceTrace {
    /// Path, relative to the scenario file.
    pub path: String,
    /// `csv`, `aws-json` or `skypilot-prices`.
    pub format: RawPriceFormat,
    /// Only this zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Only this instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Tick length of a per-tick series (skypilot-prices), e.g. 195s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<DurationValue>,
}

/// Price trace formats.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawPriceFormat {
    /// `time,zone,instance,price`
    Csv,
    /// `aws ec2 describe-spot-price-history` output.
    AwsJson,
    /// `{"<zone>_v100_1": [price per tick, ...]}`
    SkypilotPrices,
}

/// Spot market inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotSpec {
    /// Where interruptions come from.
    pub interruptions: Interruptions,
    /// Price traces (empty: constant prices per pool).
    pub price_traces: Vec<PriceTraceSpec>,
}

/// Interruption sources.
#[derive(Clone, Debug, PartialEq)]
pub enum Interruptions {
    /// Independent per instance, at each pool's `interruptions_per_hour`, shaped by these.
    Hazard {
        /// Multiplier on Saturdays and Sundays (UTC).
        weekend_factor: f64,
        /// Multiplier per UTC hour of the day.
        profile: [f64; 24],
    },
    /// Availability traces.
    Traces(Vec<AvailabilityTraceSpec>),
}

/// An availability trace to read.
#[derive(Clone, Debug, PartialEq)]
pub struct AvailabilityTraceSpec {
    /// Resolved path.
    pub path: PathBuf,
    /// `skypilot-availability` (true) or csv (false).
    pub skypilot: bool,
    /// Zone (skypilot) or zone filter (csv).
    pub zone: Option<String>,
    /// Instance filter.
    pub instance: Option<String>,
}

/// A price trace to read.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceTraceSpec {
    /// Resolved path.
    pub path: PathBuf,
    /// Format.
    pub format: PriceTraceFormat,
    /// Zone filter.
    pub zone: Option<String>,
    /// Instance filter.
    pub instance: Option<String>,
    /// Tick of per-tick series.
    pub tick: Option<Duration>,
}

/// Price trace formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceTraceFormat {
    /// `time,zone,instance,price`
    Csv,
    /// `aws ec2 describe-spot-price-history` JSON.
    AwsJson,
    /// Per-tick series per zone.
    SkypilotPrices,
}

/// The `spot:` section, if any pool is spot (otherwise the section is checked and dropped).
pub(super) fn spot(raw: Option<&RawSpot>, base_dir: &Path, any_spot_pool: bool) -> Result<Option<SpotSpec>> {
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
