//! Readers for the JSON formats: skypilot availability, skypilot per-tick prices and `aws ec2
//! describe-spot-price-history`. Each streams its file ([`json_stream`]) into compact series
//! ([`StepBuilder`]): memory follows the changes a trace holds, not its size.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess};

use super::json_stream::{Expect, Failure, Scalar, Visit, parse};
use super::step::StepBuilder;
use super::*;
use crate::engine::Duration;

/// `e` as the error that stops the parse.
fn stop<E: de::Error>(failure: &Failure, e: SpotTraceError) -> E {
    failure.fail(e)
}

/// A JSON number as a value: integers exactly, others as `f64` (NaN if neither, which the value
/// check refuses).
fn number(n: &serde_json::Number) -> f64 {
    n.as_u64().map_or_else(|| n.as_f64().unwrap_or(f64::NAN), |u| u as f64)
}

/// The first index of `n` ticks of `tick` whose time is beyond the clock, if any.
fn beyond_clock(n: u64, tick: Duration) -> Option<u64> {
    let first = (u64::MAX / tick.0.max(1)).checked_add(1)?;
    (n > first).then_some(first)
}

/// A list of per-tick values into a tick builder, each checked as `kind`; `at(i)` names value `i`
/// in messages. Out: the builder and the number of values.
struct TickValues<'a, F: Fn(u64) -> String> {
    path: &'a Path,
    failure: &'a Failure,
    kind: ValueKind,
    at: F,
    /// Where the list is, and what it should be, for a value that is not a list.
    list_at: String,
    expected: &'static str,
}

impl<F: Fn(u64) -> String> Expect for TickValues<'_, F> {
    type Out = (StepBuilder, u64);

    fn seq<'de, A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Out, A::Error> {
        let mut b = StepBuilder::ticks();
        let mut i = 0u64;
        while let Some(v) = seq.next_element::<Scalar>()? {
            let x = match &v {
                Scalar::Number(n) => number(n),
                other => {
                    let what = match self.kind {
                        ValueKind::Available => "a non-negative integer",
                        ValueKind::Price => "a price",
                    };
                    let e = json_err(self.path, (self.at)(i), format!("found {}; expected {what}", other.describe()));
                    return Err(stop(self.failure, e));
                }
            };
            let x = self.kind.check(x).map_err(|why| {
                let text = match &v {
                    Scalar::Number(n) => n.to_string(),
                    other => other.describe(),
                };
                stop(self.failure, json_err(self.path, (self.at)(i), format!("{text} {why}")))
            })?;
            if !b.push_tick(i, x) {
                let e = json_err(self.path, (self.at)(i), "is beyond the 2^32 values a series may have");
                return Err(stop(self.failure, e));
            }
            i += 1;
        }
        Ok((b, i))
    }

    fn other<E: de::Error>(self, found: Scalar) -> Result<Self::Out, E> {
        let e = json_err(self.path, self.list_at, format!("found {}; expected {}", found.describe(), self.expected));
        Err(stop(self.failure, e))
    }
}

// ---------------------------------------------------------------------------------------------
// skypilot-availability

pub(super) fn read_skypilot_availability(path: &Path, limit: u64) -> Result<StepSeries, SpotTraceError> {
    let failure = Failure::default();
    let (gap, data) = parse(path, limit, &failure, AvailabilityRoot { path, failure: &failure })?;
    let Some(gap) = gap else {
        return Err(json_err(path, "metadata", "missing; expected {\"gap_seconds\": N}"));
    };
    let Some((builder, n)) = data else {
        return Err(json_err(path, "data", "missing; expected an array of instance counts"));
    };
    if n == 0 {
        return Err(SpotTraceError::Empty { path: path.to_path_buf(), detail: "\"data\" is an empty array".into() });
    }
    let beyond = |i: u64| {
        json_err(
            path,
            format!("data[{i}]"),
            format!("tick {i} × gap_seconds {} is beyond the simulated time range", gap.as_secs_f64()),
        )
    };
    if let Some(i) = beyond_clock(n, gap) {
        return Err(beyond(i));
    }
    builder.finish_ticks(gap).map_err(beyond)
}

/// `{"metadata": {"gap_seconds": N}, "data": [...]}`, other keys ignored. Out: the gap and the
/// data, each if there.
struct AvailabilityRoot<'a> {
    path: &'a Path,
    failure: &'a Failure,
}

type GapAndData = (Option<Duration>, Option<(StepBuilder, u64)>);

impl Expect for AvailabilityRoot<'_> {
    type Out = GapAndData;

    fn map<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let (mut gap, mut data) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metadata" => {
                    gap = Some(map.next_value_seed(Visit(Metadata { path: self.path, failure: self.failure }))?)
                }
                "data" => {
                    data = Some(map.next_value_seed(Visit(TickValues {
                        path: self.path,
                        failure: self.failure,
                        kind: ValueKind::Available,
                        at: |i| format!("data[{i}]"),
                        list_at: "data".into(),
                        expected: "an array of instance counts",
                    }))?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((gap, data))
    }

    fn other<E: de::Error>(self, found: Scalar) -> Result<Self::Out, E> {
        let e = json_err(
            self.path,
            "$",
            format!(
                "found {}; expected an object {{\"metadata\": {{\"gap_seconds\": N}}, \"data\": [...]}}",
                found.describe()
            ),
        );
        Err(stop(self.failure, e))
    }
}

/// `{"gap_seconds": N}`: the gap.
struct Metadata<'a> {
    path: &'a Path,
    failure: &'a Failure,
}

impl Expect for Metadata<'_> {
    type Out = Duration;

    fn map<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut gap = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "gap_seconds" {
                gap = Some(map.next_value::<Scalar>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        match gap {
            None => Err(json_err(self.path, "metadata.gap_seconds", "missing; expected the tick length in seconds")),
            Some(g) => parse_gap(self.path, &g),
        }
        .map_err(|e| stop(self.failure, e))
    }

    fn other<E: de::Error>(self, found: Scalar) -> Result<Self::Out, E> {
        let e = json_err(self.path, "metadata", format!("found {}; expected {{\"gap_seconds\": N}}", found.describe()));
        Err(stop(self.failure, e))
    }
}

/// `gap_seconds`: a positive number of seconds (integers exact, fractions rounded to the ns).
fn parse_gap(path: &Path, g: &Scalar) -> Result<Duration, SpotTraceError> {
    const AT: &str = "metadata.gap_seconds";
    let Scalar::Number(n) = g else {
        return Err(json_err(path, AT, format!("found {}; expected a positive number of seconds", g.describe())));
    };
    let gap = match n.as_u64() {
        Some(secs) => secs.checked_mul(1_000_000_000).map(Duration),
        None => match n.as_f64() {
            Some(f) if f.is_finite() && f > 0.0 && f < 1.8e10 => Some(Duration::from_secs_f64(f)),
            Some(f) if f.is_finite() && f > 0.0 => None,
            _ => return Err(json_err(path, AT, format!("{n} is not positive; expected a positive number of seconds"))),
        },
    };
    match gap {
        Some(d) if d > Duration::ZERO => Ok(d),
        Some(_) => Err(json_err(path, AT, format!("{n} is not positive; expected a positive number of seconds"))),
        None => Err(json_err(path, AT, format!("{n} s is too large; expected a tick length in seconds"))),
    }
}

// ---------------------------------------------------------------------------------------------
// skypilot-prices

pub(super) fn read_skypilot_prices(
    path: &Path,
    zone: Option<&str>,
    tick: Duration,
    limit: u64,
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    let failure = Failure::default();
    let root = PricesRoot { path, failure: &failure, zone, tick };
    let (found, out) = parse(path, limit, &failure, root)?;
    if found.is_empty() {
        return Err(SpotTraceError::Empty { path: path.to_path_buf(), detail: "the object has no series".into() });
    }
    if let Some(want) = zone
        && out.is_empty()
    {
        return Err(SpotTraceError::ZoneNotFound {
            path: path.to_path_buf(),
            zone: want.into(),
            found: list(found.keys()),
        });
    }
    Ok(out)
}

/// `{"<zone>_<gpu>_<count>": [price per tick, ...], ...}`. Out: every zone's key, and the kept
/// series.
struct PricesRoot<'a> {
    path: &'a Path,
    failure: &'a Failure,
    zone: Option<&'a str>,
    tick: Duration,
}

impl Expect for PricesRoot<'_> {
    type Out = (BTreeMap<String, String>, BTreeMap<String, StepSeries>);

    fn map<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        let mut found: BTreeMap<String, String> = BTreeMap::new(); // zone -> key
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let z = key.split('_').next().unwrap_or("").to_string();
            let fail = |message: String| stop(self.failure, json_err(self.path, format!("{key:?}"), message));
            if z.is_empty() {
                return Err(fail("the key does not start with a zone; expected \"<zone>_<gpu>_<count>\"".into()));
            }
            if let Some(prev) = found.insert(z.clone(), key.clone()) {
                return Err(fail(format!(
                    "keys {prev:?} and {key:?} both give zone {z:?}; expected one series per zone"
                )));
            }
            if self.zone.is_some_and(|want| want != z) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let k = key.clone();
            let (builder, n) = map.next_value_seed(Visit(TickValues {
                path: self.path,
                failure: self.failure,
                kind: ValueKind::Price,
                at: |i| format!("{k:?}[{i}]"),
                list_at: format!("{key:?}"),
                expected: "an array of prices",
            }))?;
            if n == 0 {
                let e = SpotTraceError::Empty {
                    path: self.path.to_path_buf(),
                    detail: format!("{key:?} is an empty array"),
                };
                return Err(stop(self.failure, e));
            }
            let beyond = |i: u64| {
                let e = json_err(
                    self.path,
                    format!("{key:?}[{i}]"),
                    format!("tick {i} × {} is beyond the simulated time range", self.tick),
                );
                stop(self.failure, e)
            };
            if let Some(i) = beyond_clock(n, self.tick) {
                return Err(beyond(i));
            }
            out.insert(z, builder.finish_ticks(self.tick).map_err(beyond)?);
        }
        Ok((found, out))
    }

    fn other<E: de::Error>(self, found: Scalar) -> Result<Self::Out, E> {
        let e = json_err(
            self.path,
            "$",
            format!(
                "found {}; expected an object {{\"<zone>_<gpu>_<count>\": [price per tick, ...]}}",
                found.describe()
            ),
        );
        Err(stop(self.failure, e))
    }
}

// ---------------------------------------------------------------------------------------------
// aws-json

pub(super) use super::aws_json::read_aws_json;
