//! Readers for the JSON formats: skypilot availability, skypilot per-tick prices and `aws ec2
//! describe-spot-price-history`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;

use super::*;
use crate::engine::Duration;

// ---------------------------------------------------------------------------------------------
// skypilot-availability

pub(super) fn read_skypilot_availability(path: &Path) -> Result<StepSeries, SpotTraceError> {
    let doc = read_json(path)?;
    let Value::Object(root) = &doc else {
        return Err(json_err(
            path,
            "$",
            format!(
                "found {}; expected an object {{\"metadata\": {{\"gap_seconds\": N}}, \"data\": [...]}}",
                describe(&doc)
            ),
        ));
    };
    let gap = match root.get("metadata") {
        None => return Err(json_err(path, "metadata", "missing; expected {\"gap_seconds\": N}")),
        Some(Value::Object(meta)) => match meta.get("gap_seconds") {
            None => {
                return Err(json_err(path, "metadata.gap_seconds", "missing; expected the tick length in seconds"));
            }
            Some(g) => parse_gap(path, g)?,
        },
        Some(other) => {
            return Err(json_err(
                path,
                "metadata",
                format!("found {}; expected {{\"gap_seconds\": N}}", describe(other)),
            ));
        }
    };
    let data = match root.get("data") {
        None => return Err(json_err(path, "data", "missing; expected an array of instance counts")),
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(json_err(
                path,
                "data",
                format!("found {}; expected an array of instance counts", describe(other)),
            ));
        }
    };
    if data.is_empty() {
        return Err(SpotTraceError::Empty { path: path.to_path_buf(), detail: "\"data\" is an empty array".into() });
    }
    let mut points = Vec::with_capacity(data.len());
    for (i, v) in data.iter().enumerate() {
        let at = || format!("data[{i}]");
        let x = match v {
            Value::Number(n) => match n.as_u64() {
                Some(u) => u as f64,
                None => n.as_f64().unwrap_or(f64::NAN),
            },
            other => {
                return Err(json_err(
                    path,
                    at(),
                    format!("found {}; expected a non-negative integer", describe(other)),
                ));
            }
        };
        let x = ValueKind::Available.check(x).map_err(|why| json_err(path, at(), format!("{v} {why}")))?;
        let t = tick_time(i, gap).ok_or_else(|| {
            json_err(
                path,
                at(),
                format!("tick {i} × gap_seconds {} is beyond the simulated time range", gap.as_secs_f64()),
            )
        })?;
        points.push((t, x));
    }
    Ok(StepSeries::new(points))
}

/// `gap_seconds`: a positive number of seconds (integers exact, fractions rounded to the ns).
fn parse_gap(path: &Path, g: &Value) -> Result<Duration, SpotTraceError> {
    const AT: &str = "metadata.gap_seconds";
    let Value::Number(n) = g else {
        return Err(json_err(path, AT, format!("found {}; expected a positive number of seconds", describe(g))));
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
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    let doc = read_json(path)?;
    let Value::Object(root) = &doc else {
        return Err(json_err(
            path,
            "$",
            format!("found {}; expected an object {{\"<zone>_<gpu>_<count>\": [price per tick, ...]}}", describe(&doc)),
        ));
    };
    if root.is_empty() {
        return Err(SpotTraceError::Empty { path: path.to_path_buf(), detail: "the object has no series".into() });
    }
    let mut found: BTreeMap<String, String> = BTreeMap::new(); // zone -> key
    let mut out = BTreeMap::new();
    for (key, v) in root {
        let z = key.split('_').next().unwrap_or("");
        let at = || format!("{key:?}");
        if z.is_empty() {
            return Err(json_err(path, at(), "the key does not start with a zone; expected \"<zone>_<gpu>_<count>\""));
        }
        if let Some(prev) = found.insert(z.to_string(), key.clone()) {
            return Err(json_err(
                path,
                at(),
                format!("keys {prev:?} and {key:?} both give zone {z:?}; expected one series per zone"),
            ));
        }
        if zone.is_some_and(|want| want != z) {
            continue;
        }
        let Value::Array(arr) = v else {
            return Err(json_err(path, at(), format!("found {}; expected an array of prices", describe(v))));
        };
        if arr.is_empty() {
            return Err(SpotTraceError::Empty {
                path: path.to_path_buf(),
                detail: format!("{key:?} is an empty array"),
            });
        }
        let mut points = Vec::with_capacity(arr.len());
        for (i, p) in arr.iter().enumerate() {
            let at = || format!("{key:?}[{i}]");
            let x = match p {
                Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                other => {
                    return Err(json_err(path, at(), format!("found {}; expected a price", describe(other))));
                }
            };
            let x = ValueKind::Price.check(x).map_err(|why| json_err(path, at(), format!("{p} {why}")))?;
            let t = tick_time(i, tick)
                .ok_or_else(|| json_err(path, at(), format!("tick {i} × {tick} is beyond the simulated time range")))?;
            points.push((t, x));
        }
        out.insert(z.to_string(), StepSeries::new(points));
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

// ---------------------------------------------------------------------------------------------
// aws-json

/// The kept `aws-json` entries of one zone, and the first instance type they name (with its index).
#[derive(Default)]
struct AwsZone {
    instance: Option<(String, usize)>,
    entries: Vec<AwsEntry>,
}

/// One kept `aws-json` entry.
struct AwsEntry {
    ts: i128,
    price: f64,
    index: usize,
    product: Option<String>,
}

pub(super) fn read_aws_json(
    path: &Path,
    zone: Option<&str>,
    instance: Option<&str>,
    start: Option<Timestamp>,
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    let doc = read_json(path)?;
    let (list_at, entries) = match &doc {
        Value::Array(a) => ("", a),
        Value::Object(root) => match root.get("SpotPriceHistory") {
            Some(Value::Array(a)) => ("SpotPriceHistory", a),
            Some(other) => {
                return Err(json_err(
                    path,
                    "SpotPriceHistory",
                    format!("found {}; expected an array of spot price entries", describe(other)),
                ));
            }
            None => {
                return Err(json_err(
                    path,
                    "SpotPriceHistory",
                    "missing; expected the output of `aws ec2 describe-spot-price-history`",
                ));
            }
        },
        other => {
            return Err(json_err(
                path,
                "$",
                format!("found {}; expected an object {{\"SpotPriceHistory\": [...]}}", describe(other)),
            ));
        }
    };
    if entries.is_empty() {
        return Err(SpotTraceError::Empty { path: path.to_path_buf(), detail: "no spot price entries".into() });
    }

    let mut zones_found: BTreeSet<String> = BTreeSet::new();
    let mut instances_found: BTreeSet<String> = BTreeSet::new();
    // zone -> (first instance type named and its entry index, kept entries)
    let mut kept: BTreeMap<String, AwsZone> = BTreeMap::new();
    let mut earliest = i128::MAX;
    for (i, e) in entries.iter().enumerate() {
        let at = |field: &str| format!("{list_at}[{i}]{}{field}", if field.is_empty() { "" } else { "." });
        let Value::Object(obj) = e else {
            return Err(json_err(path, at(""), format!("found {}; expected a spot price entry object", describe(e))));
        };
        let get_str = |field: &str, required: bool| -> Result<Option<&str>, SpotTraceError> {
            match obj.get(field) {
                Some(Value::String(s)) => Ok(Some(s.trim())),
                None | Some(Value::Null) if !required => Ok(None),
                None => Err(json_err(path, at(field), "missing")),
                Some(other) => Err(json_err(path, at(field), format!("found {}; expected a string", describe(other)))),
            }
        };
        let z = get_str("AvailabilityZone", true)?.unwrap_or("");
        if z.is_empty() {
            return Err(json_err(path, at("AvailabilityZone"), "is empty; expected a zone such as \"us-east-1a\""));
        }
        let ts_text = get_str("Timestamp", true)?.unwrap_or("");
        let ts = ts_text.parse::<Timestamp>().map_err(|err| {
            json_err(path, at("Timestamp"), format!("{ts_text:?} is not an RFC 3339 timestamp ({err})"))
        })?;
        let ts = ts.as_nanosecond();
        earliest = earliest.min(ts);
        let inst = get_str("InstanceType", false)?.unwrap_or("");
        let product = get_str("ProductDescription", false)?;

        if !zones_found.contains(z) {
            zones_found.insert(z.to_string());
        }
        if zone.is_some_and(|want| want != z) {
            continue;
        }
        if !inst.is_empty() && !instances_found.contains(inst) {
            instances_found.insert(inst.to_string());
        }
        if let Some(want) = instance
            && !inst.is_empty()
            && inst != want
        {
            continue;
        }
        let price = match obj.get("SpotPrice") {
            Some(Value::String(s)) => s.trim().parse::<f64>().map_err(|_| {
                json_err(path, at("SpotPrice"), format!("{s:?} is not a number; expected a price in $/h"))
            })?,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            None => return Err(json_err(path, at("SpotPrice"), "missing")),
            Some(other) => {
                return Err(json_err(
                    path,
                    at("SpotPrice"),
                    format!("found {}; expected a price string", describe(other)),
                ));
            }
        };
        let price =
            ValueKind::Price.check(price).map_err(|why| json_err(path, at("SpotPrice"), format!("{price} {why}")))?;

        let acc = kept.entry(z.to_string()).or_default();
        let first_inst = &mut acc.instance;
        if instance.is_none() && !inst.is_empty() {
            match first_inst {
                None => *first_inst = Some((inst.to_string(), i)),
                Some((prev, prev_i)) if prev != inst => {
                    return Err(json_err(
                        path,
                        at("InstanceType"),
                        format!(
                            "zone {z:?} has entries for instance types {prev:?} ({list_at}[{prev_i}]) and {inst:?}; \
                             pass an instance type to choose one"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        acc.entries.push(AwsEntry { ts, price, index: i, product: product.map(str::to_string) });
    }

    if kept.is_empty() {
        if let Some(want) = zone
            && !zones_found.contains(want)
        {
            return Err(SpotTraceError::ZoneNotFound {
                path: path.to_path_buf(),
                zone: want.into(),
                found: list(&zones_found),
            });
        }
        return Err(SpotTraceError::InstanceNotFound {
            path: path.to_path_buf(),
            instance: instance.unwrap_or_default().into(),
            in_zone: zone.map(|z| format!(" in zone {z:?}")).unwrap_or_default(),
            found: list(&instances_found),
        });
    }

    let origin = start.map_or(earliest, |s| s.as_nanosecond());
    let mut out = BTreeMap::new();
    for (z, AwsZone { entries: mut list, .. }) in kept {
        // Several product descriptions (Linux/UNIX, Windows, ...) are different prices: keep Linux/UNIX.
        let products: BTreeSet<&str> = list.iter().filter_map(|e| e.product.as_deref()).collect();
        if products.len() > 1 {
            if !products.contains("Linux/UNIX") {
                let names: Vec<String> = products.iter().map(|p| format!("{p:?}")).collect();
                return Err(json_err(
                    path,
                    list_at,
                    format!(
                        "zone {z:?} has prices for several product descriptions ({}) and none is \"Linux/UNIX\"; \
                         expected one product description (filter with --product-descriptions)",
                        names.join(", ")
                    ),
                ));
            }
            list.retain(|e| e.product.as_deref().is_none_or(|p| p == "Linux/UNIX"));
        }
        // Stable: entries at equal times keep file order, and the later one in the file wins.
        list.sort_by_key(|e| e.ts);
        let points: Vec<(i128, f64, u64)> = list.iter().map(|e| (e.ts, e.price, e.index as u64)).collect();
        let series = to_series(&points, origin).map_err(|index| {
            json_err(
                path,
                format!("{list_at}[{index}].Timestamp"),
                "is centuries after the start; expected a time within the simulation",
            )
        })?;
        out.insert(z, series);
    }
    Ok(out)
}
