//! Spot market traces: how many spot instances a zone can supply, and what they cost, over time.
//!
//! Both kinds of trace are read into [`StepSeries`], piecewise-constant series on the simulation's
//! clock (one per zone), so that the simulator can ask "how much now?" ([`StepSeries::value_at`]),
//! "until when?" ([`StepSeries::next_change_after`]) and "how much in total?"
//! ([`StepSeries::integrate`], for billing).
//!
//! Availability formats ([`AvailabilityFormat`], read by [`read_availability`]):
//!
//! - **`skypilot-availability`**: the JSON files of the "Can't Be Late" (NSDI'24) spot-traces
//!   collection, `{"metadata": {"gap_seconds": N}, "data": [v0, v1, ...]}`. Tick `i` covers
//!   `[i·N, (i+1)·N)` seconds; each value is the number of instances obtainable (a non-negative
//!   integer; 1-node files hold 0/1). `gap_seconds` differs between files and is always read from
//!   the file (a positive number; a fractional gap is rounded to the nanosecond). A file holds one
//!   series and does not say which zone it is: the caller names it. Other keys (the preemption
//!   files' `"prices"`) are ignored.
//! - **`csv`**: a header `time,zone,instance,available` (header names match case-insensitively,
//!   ignoring surrounding spaces; any column order; other columns ignored; `instance` optional).
//!
//! Price formats ([`PriceFormat`], read by [`read_prices`]; prices are $ per instance-hour):
//!
//! - **`csv`**: a header `time,zone,instance,price`, same rules as the availability CSV.
//! - **`aws-json`**: the output of `aws ec2 describe-spot-price-history`:
//!   `{"SpotPriceHistory": [{"AvailabilityZone": .., "InstanceType": .., "ProductDescription": ..,
//!   "SpotPrice": "0.918000", "Timestamp": "2023-02-15T00:01:23+00:00"}, ...]}` (a bare array of
//!   entries is accepted too). Entries may come in any order (AWS prints newest first): they are
//!   sorted by time within each zone. If a zone's entries name several product descriptions, only
//!   the `Linux/UNIX` ones are kept (an error if there are none).
//! - **`skypilot-prices`**: the SkyNomad artifact's `{"us-east-1a_v100_1": [p0, p1, ...], ...}`: the
//!   zone is the key up to its first `_`; value `i` holds over `[i·tick, (i+1)·tick)`. The file
//!   does not record its tick: the caller gives it (195 s for the series aligned with the
//!   `aws-02-15-2023` availability files).
//!
//! **Times in CSV files** are either seconds from the start as a decimal number (`0`, `12.5`,
//! `1e3`; parsed exactly to the nanosecond) or RFC 3339 timestamps (`2023-02-15T00:01:23Z`, offsets
//! allowed); the first data row decides which, and every row must use the same kind. Times must be
//! non-decreasing within a zone (zones may interleave); rows at equal times are allowed and the
//! later one wins. **Absolute times** (CSV timestamps, `aws-json`) are taken relative to the
//! scenario's `start` when it is given, else to the earliest timestamp in the whole file (before any
//! zone or instance filter, so that series read from the same file with different filters share
//! one clock; in a file sorted by time this is the first row). A value set before the start is the
//! value in force at time 0: the latest row at or before the start is kept and earlier rows are
//! dropped. A series whose first row comes after time 0 takes its first value back to time 0.
//!
//! **Filters**: when a `zone` is given only its rows are kept, and it is an error if the file has
//! none (the message lists the zones it has). When an `instance` type is given only rows of that
//! type are kept (rows with an empty `instance` field, or files without the column, always match).
//! When no instance is given and one zone's rows name two different instance types, the series
//! would mix them: that is an error asking for an instance.
//!
//! **Errors** name the file and say what was found and what was expected: the 1-based line for
//! CSV rows (the header is line 1), the JSON path (`data[12]`, `SpotPriceHistory[3].SpotPrice`) for
//! JSON values, and serde_json's line and column for malformed JSON. No input makes a reader
//! panic. CSV files are read as a stream of records; JSON files (a few MB at most) are read whole.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::Value;

use crate::engine::{Duration, SimTime};
use crate::trace::requests::SecondsError;

const NANOS_PER_SEC_F64: f64 = 1e9;

/// A piecewise-constant series: `values[i]` holds from `times[i]` until `times[i+1]` (the last
/// value holds forever). `times[0]` is always [`SimTime::ZERO`] (a series that starts later takes
/// its first value back to 0). Consecutive equal values are merged.
#[derive(Clone, Debug, PartialEq)]
pub struct StepSeries {
    /// Strictly increasing change times; `times[0] == SimTime::ZERO`; never empty.
    times: Vec<SimTime>,
    /// `values[i]` holds on `[times[i], times[i+1])`; same length as `times`.
    values: Vec<f64>,
}

impl StepSeries {
    /// A series from `(time, value)` points in non-decreasing time order (checked by a debug
    /// assertion; in release builds a time earlier than the previous one is treated as equal to
    /// it). Of several points at the same time the later one wins; consecutive equal values are
    /// merged; the first value is taken back to time 0. An empty list gives the constant 0.
    pub fn new(points: Vec<(SimTime, f64)>) -> StepSeries {
        let mut times: Vec<SimTime> = Vec::with_capacity(points.len().min(1024));
        let mut values: Vec<f64> = Vec::with_capacity(points.len().min(1024));
        for (t, v) in points {
            let t = match times.last() {
                Some(&last) => {
                    debug_assert!(t >= last, "StepSeries::new: time {t} is earlier than the previous time {last}");
                    t.max(last)
                }
                None => t,
            };
            if times.last() == Some(&t) {
                // Same time: the later point wins, and may now equal the value before it.
                if let Some(last) = values.last_mut() {
                    *last = v;
                }
                let n = values.len();
                if n >= 2 && values[n - 2] == values[n - 1] {
                    times.pop();
                    values.pop();
                }
            } else if values.last() != Some(&v) {
                times.push(t);
                values.push(v);
            }
        }
        if times.is_empty() {
            return StepSeries::constant(0.0);
        }
        times[0] = SimTime::ZERO;
        times.shrink_to_fit();
        values.shrink_to_fit();
        StepSeries { times, values }
    }

    /// The series that is `v` at all times.
    pub fn constant(v: f64) -> StepSeries {
        StepSeries { times: vec![SimTime::ZERO], values: vec![v] }
    }

    /// Index of the segment that holds at `t`: the last `i` with `times[i] <= t`.
    #[inline]
    fn segment(&self, t: SimTime) -> usize {
        // times[0] == 0 <= t, so the partition point is at least 1.
        self.times.partition_point(|&x| x <= t).saturating_sub(1)
    }

    /// The value in force at `t` (binary search: O(log n)).
    #[inline]
    pub fn value_at(&self, t: SimTime) -> f64 {
        self.values[self.segment(t)]
    }

    /// The first change time strictly after `t`, or `None` if the value never changes after `t`
    /// (binary search: O(log n)).
    #[inline]
    pub fn next_change_after(&self, t: SimTime) -> Option<SimTime> {
        self.times.get(self.times.partition_point(|&x| x <= t)).copied()
    }

    /// The integral of the series over `[from, to)`: Σ value × seconds (for a price in $/h this is
    /// $·s/h, i.e. 3600 × the cost). 0 if `to <= from`. O(log n + changes in the interval).
    pub fn integrate(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return 0.0;
        }
        let mut i = self.segment(from);
        let mut cur = from;
        let mut sum_ns = 0.0;
        loop {
            let end = match self.times.get(i + 1) {
                Some(&next) if next < to => next,
                _ => to,
            };
            sum_ns += self.values[i] * (end.0 - cur.0) as f64;
            if end == to {
                break;
            }
            cur = end;
            i += 1;
        }
        sum_ns / NANOS_PER_SEC_F64
    }

    /// The change points `(time, value)` in time order; the first is at time 0.
    pub fn points(&self) -> impl Iterator<Item = (SimTime, f64)> + '_ {
        self.times.iter().copied().zip(self.values.iter().copied())
    }
}

/// An error reading a spot availability or price trace. Each names the file and what is wrong (the
/// line for CSV rows, the JSON path or index for JSON values).
#[derive(Debug, thiserror::Error)]
pub enum SpotTraceError {
    /// The file cannot be opened or read (missing, no permission, ...).
    #[error("{}: cannot read the spot trace: {source}", .path.display())]
    Open {
        /// The trace file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The path names a directory, not a file.
    #[error("{}: is a directory; expected a spot trace file", .path.display())]
    IsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The reader was called without an argument the format needs, or with an invalid one.
    #[error("{}: {message}", .path.display())]
    Argument {
        /// The trace file.
        path: PathBuf,
        /// Which argument, and what was expected.
        message: String,
    },
    /// Reading a CSV record failed (an I/O error or malformed CSV).
    #[error("{}:{line}: cannot read the CSV trace: {source}", .path.display())]
    Csv {
        /// The trace file.
        path: PathBuf,
        /// The line being read when the error happened.
        line: u64,
        /// The underlying error.
        source: csv::Error,
    },
    /// The file is not valid JSON (serde_json's message gives the line and column).
    #[error("{}: invalid JSON: {source}", .path.display())]
    JsonSyntax {
        /// The trace file.
        path: PathBuf,
        /// The underlying error, with line and column.
        source: serde_json::Error,
    },
    /// A JSON value is missing or malformed.
    #[error("{}: {at}: {message}", .path.display())]
    Json {
        /// The trace file.
        path: PathBuf,
        /// Where in the document, e.g. `metadata.gap_seconds`, `data[12]`, `SpotPriceHistory[3].SpotPrice`.
        at: String,
        /// What was found and what was expected.
        message: String,
    },
    /// A required CSV column is missing from the header.
    #[error("{}:{line}: no {column:?} column; found columns {found}", .path.display())]
    MissingColumn {
        /// The trace file.
        path: PathBuf,
        /// The line of the header.
        line: u64,
        /// The column that was expected.
        column: &'static str,
        /// The columns the header has, quoted and comma-separated.
        found: String,
    },
    /// A CSV header or row is malformed: an unparsable time or value, too few fields, ...
    #[error("{}:{line}: {message}", .path.display())]
    Row {
        /// The trace file.
        path: PathBuf,
        /// The 1-based line of the row (the header is line 1).
        line: u64,
        /// What was found and what was expected.
        message: String,
    },
    /// A CSV row's time is earlier than the previous row's of the same zone.
    #[error(
        "{}:{line}: time {found:?} in zone {zone:?} is earlier than the previous row of that zone \
         (line {previous_line}, time {previous}); expected non-decreasing times within each zone",
        .path.display()
    )]
    OutOfOrder {
        /// The trace file.
        path: PathBuf,
        /// The line of the out-of-order row.
        line: u64,
        /// The zone of both rows.
        zone: String,
        /// The time field as written.
        found: String,
        /// The previous row's time.
        previous: String,
        /// The line of the previous row of the zone.
        previous_line: u64,
    },
    /// The trace holds no data points.
    #[error("{}: the spot trace is empty ({detail})", .path.display())]
    Empty {
        /// The trace file.
        path: PathBuf,
        /// What the file holds instead.
        detail: String,
    },
    /// The requested zone does not appear in the file.
    #[error("{}: no data for zone {zone:?}; the file has zones {found}", .path.display())]
    ZoneNotFound {
        /// The trace file.
        path: PathBuf,
        /// The zone requested.
        zone: String,
        /// The zones the file has, quoted and comma-separated.
        found: String,
    },
    /// No row matches the requested instance type.
    #[error("{}: no data for instance type {instance:?}{in_zone}; the file has instance types {found}", .path.display())]
    InstanceNotFound {
        /// The trace file.
        path: PathBuf,
        /// The instance type requested.
        instance: String,
        /// ` in zone "…"` when a zone was requested too, else empty.
        in_zone: String,
        /// The instance types the file has (in the requested zone), quoted and comma-separated.
        found: String,
    },
}

/// Availability trace formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvailabilityFormat {
    /// `{"metadata": {"gap_seconds": N}, "data": [...]}`: one series of instance counts per tick.
    SkypilotAvailability,
    /// CSV `time,zone,instance,available`.
    Csv,
}

/// Price trace formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceFormat {
    /// CSV `time,zone,instance,price`.
    Csv,
    /// The JSON printed by `aws ec2 describe-spot-price-history`.
    AwsJson,
    /// SkyNomad's `{"<zone>_<gpu>_<count>": [price per tick, ...]}`.
    SkypilotPrices,
}

/// Reads an availability trace into one series per zone (value = instances obtainable).
///
/// `zone`: required for skypilot-availability (the file holds one series; the scenario names its
/// zone, which is the key of the single entry returned); for csv, if Some, only that zone's rows
/// are kept. `instance`: for csv, if Some, only rows of that instance type are kept (rows with an
/// empty instance column always match); ignored for skypilot-availability. `start`: the scenario
/// start instant (for RFC 3339 times); if None, the first (earliest) row's timestamp is time 0;
/// ignored when the times are relative already.
pub fn read_availability(
    path: &Path,
    format: AvailabilityFormat,
    zone: Option<&str>,
    instance: Option<&str>,
    start: Option<Timestamp>,
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    match format {
        AvailabilityFormat::SkypilotAvailability => {
            let Some(zone) = zone else {
                return Err(SpotTraceError::Argument {
                    path: path.to_path_buf(),
                    message: "the skypilot-availability format holds one series and does not name its zone: \
                              a zone is required"
                        .into(),
                });
            };
            let series = read_skypilot_availability(path)?;
            Ok(BTreeMap::from([(zone.to_string(), series)]))
        }
        AvailabilityFormat::Csv => read_csv(path, ValueKind::Available, zone, instance, start),
    }
}

/// Reads a spot price trace ($ per instance-hour) into one series per zone.
///
/// `zone`, `instance`, `start`: as for [`read_availability`] (for aws-json, `instance` filters on
/// `InstanceType`; for skypilot-prices, whose keys name GPUs rather than instance types, `instance`
/// and `start` are ignored). `tick`: required for skypilot-prices (the file has no gap_seconds; its
/// series are aligned tick for tick with the skypilot availability files, e.g. 195 s for
/// aws-02-15-2023); ignored otherwise.
pub fn read_prices(
    path: &Path,
    format: PriceFormat,
    zone: Option<&str>,
    instance: Option<&str>,
    tick: Option<Duration>,
    start: Option<Timestamp>,
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    match format {
        PriceFormat::Csv => read_csv(path, ValueKind::Price, zone, instance, start),
        PriceFormat::AwsJson => read_aws_json(path, zone, instance, start),
        PriceFormat::SkypilotPrices => {
            let tick = match tick {
                Some(t) if t > Duration::ZERO => t,
                Some(_) => {
                    return Err(SpotTraceError::Argument {
                        path: path.to_path_buf(),
                        message: "the skypilot-prices tick is 0; expected a positive duration".into(),
                    });
                }
                None => {
                    return Err(SpotTraceError::Argument {
                        path: path.to_path_buf(),
                        message: "the skypilot-prices format does not record its tick: a tick is required \
                                  (195s for the aws-02-15-2023 traces)"
                            .into(),
                    });
                }
            };
            read_skypilot_prices(path, zone, tick)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Checks that `path` exists and is not a directory.
fn check_file(path: &Path) -> Result<(), SpotTraceError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(SpotTraceError::IsDirectory { path: path.to_path_buf() }),
        Ok(_) => Ok(()),
        Err(source) => Err(SpotTraceError::Open { path: path.to_path_buf(), source }),
    }
}

/// Reads a whole JSON file.
fn read_json(path: &Path) -> Result<Value, SpotTraceError> {
    check_file(path)?;
    let bytes = std::fs::read(path).map_err(|source| SpotTraceError::Open { path: path.to_path_buf(), source })?;
    serde_json::from_slice(&bytes).map_err(|source| SpotTraceError::JsonSyntax { path: path.to_path_buf(), source })
}

fn json_err(path: &Path, at: impl Into<String>, message: impl Into<String>) -> SpotTraceError {
    SpotTraceError::Json { path: path.to_path_buf(), at: at.into(), message: message.into() }
}

/// A short description of a JSON value for messages: its kind and (abridged) text.
fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => return "null".into(),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "the number",
        Value::String(_) => "the string",
        Value::Array(_) => return "an array".into(),
        Value::Object(_) => return "an object".into(),
    };
    let mut text = v.to_string();
    if text.len() > 60 {
        let mut cut = 57;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{kind} {text}")
}

/// Quoted, comma-separated names for messages.
fn list<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<String> = names.into_iter().map(|n| format!("{n:?}")).collect();
    if v.is_empty() { "(none)".into() } else { v.join(", ") }
}

/// `i · step` as a time, or `None` on overflow.
fn tick_time(i: usize, step: Duration) -> Option<SimTime> {
    (i as u64).checked_mul(step.0).map(SimTime)
}

/// Which quantity a trace holds: decides the CSV value column and the value checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueKind {
    /// Instances obtainable: non-negative integers.
    Available,
    /// $ per instance-hour: non-negative finite numbers.
    Price,
}

impl ValueKind {
    fn column(self) -> &'static str {
        match self {
            ValueKind::Available => "available",
            ValueKind::Price => "price",
        }
    }

    /// Checks a parsed value; returns it (with -0 made 0) or what is wrong with it.
    fn check(self, v: f64) -> Result<f64, &'static str> {
        if !v.is_finite() {
            return Err(match self {
                ValueKind::Available => "is not a finite number; expected a non-negative integer",
                ValueKind::Price => "is not a finite number; expected a non-negative price",
            });
        }
        if v < 0.0 {
            return Err(match self {
                ValueKind::Available => "is negative; expected a non-negative integer (instances obtainable)",
                ValueKind::Price => "is negative; expected a non-negative price",
            });
        }
        if self == ValueKind::Available && v.fract() != 0.0 {
            return Err("is not an integer; expected a non-negative integer (instances obtainable)");
        }
        Ok(if v == 0.0 { 0.0 } else { v })
    }
}

/// Turns absolute-or-relative nanosecond points, sorted by time, into a series relative to
/// `origin`: points before the origin collapse onto time 0, where the latest of them wins.
/// Returns the line / index of a point too far after the origin on overflow.
fn to_series(points: &[(i128, f64, u64)], origin: i128) -> Result<StepSeries, u64> {
    let mut out = Vec::with_capacity(points.len());
    for &(abs, v, line) in points {
        let rel = (abs - origin).max(0);
        let rel = u64::try_from(rel).map_err(|_| line)?;
        out.push((SimTime(rel), v));
    }
    Ok(StepSeries::new(out))
}

// ---------------------------------------------------------------------------------------------
// skypilot-availability

fn read_skypilot_availability(path: &Path) -> Result<StepSeries, SpotTraceError> {
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

fn read_skypilot_prices(
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

fn read_aws_json(
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

// ---------------------------------------------------------------------------------------------
// CSV

/// How a CSV file writes its times (decided by the first data row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeKind {
    /// Decimal seconds from the start.
    Seconds,
    /// RFC 3339 timestamps.
    Rfc3339,
}

/// Formats an absolute time of `kind` for messages.
fn fmt_time(kind: TimeKind, abs: i128) -> String {
    match kind {
        TimeKind::Seconds => format!("{} s", abs as f64 / NANOS_PER_SEC_F64),
        TimeKind::Rfc3339 => Timestamp::from_nanosecond(abs).map_or_else(|_| format!("{abs} ns"), |t| t.to_string()),
    }
}

/// Per-zone state of the CSV reader.
#[derive(Default)]
struct CsvZone {
    /// Kept points: (absolute ns, value, line).
    points: Vec<(i128, f64, u64)>,
    /// The first instance type named in the zone's kept rows, and its line.
    instance: Option<(String, u64)>,
}

/// Decimal seconds, parsed exactly: the request-trace reader's parser, on text.
fn parse_seconds(s: &str) -> Result<u64, SecondsError> {
    crate::trace::requests::parse_seconds(s.as_bytes())
}

fn read_csv(
    path: &Path,
    kind: ValueKind,
    zone: Option<&str>,
    instance: Option<&str>,
    start: Option<Timestamp>,
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    check_file(path)?;
    let pb = || path.to_path_buf();
    let file = File::open(path).map_err(|source| SpotTraceError::Open { path: pb(), source })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(BufReader::with_capacity(64 * 1024, file));
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(source) => {
            let line = source.position().map_or(1, |p| p.line());
            return Err(SpotTraceError::Csv { path: pb(), line, source });
        }
    };
    let header_line = header.position().map_or(1, |p| p.line()).max(1);
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(SpotTraceError::Empty { path: pb(), detail: "the file is empty".into() });
    }
    let row_err = |line: u64, message: String| SpotTraceError::Row { path: pb(), line, message };
    let find = |name: &'static str| -> Result<Option<usize>, SpotTraceError> {
        let mut found = None;
        for (i, h) in header.iter().enumerate() {
            if h.eq_ignore_ascii_case(name.as_bytes()) {
                if let Some(prev) = found {
                    return Err(row_err(
                        header_line,
                        format!("columns {} and {} are both named {name:?}; expected one", prev + 1, i + 1),
                    ));
                }
                found = Some(i);
            }
        }
        Ok(found)
    };
    let missing = |column: &'static str| SpotTraceError::MissingColumn {
        path: pb(),
        line: header_line,
        column,
        found: header.iter().map(|h| format!("{:?}", String::from_utf8_lossy(h))).collect::<Vec<_>>().join(", "),
    };
    let time_col = find("time")?.ok_or_else(|| missing("time"))?;
    let zone_col = find("zone")?.ok_or_else(|| missing("zone"))?;
    let value_col = find(kind.column())?.ok_or_else(|| missing(kind.column()))?;
    let inst_col = find("instance")?;
    let min_fields = 1 + time_col.max(zone_col).max(value_col).max(inst_col.unwrap_or(0));

    let mut time_kind: Option<(TimeKind, u64)> = None;
    let mut earliest = i128::MAX;
    let mut rows = 0u64;
    let mut zones_found: BTreeSet<String> = BTreeSet::new();
    let mut instances_found: BTreeSet<String> = BTreeSet::new();
    let mut zones: BTreeMap<String, CsvZone> = BTreeMap::new();
    let mut record = csv::ByteRecord::new();
    let mut line = header_line;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(source) => {
                let line = source.position().map_or(line + 1, |p| p.line());
                return Err(SpotTraceError::Csv { path: pb(), line, source });
            }
        }
        line = record.position().map_or(line + 1, |p| p.line());
        rows += 1;
        if record.len() < min_fields {
            return Err(row_err(
                line,
                format!(
                    "has {} fields; expected at least {min_fields} (the header has {})",
                    record.len(),
                    header.len()
                ),
            ));
        }
        let text = |col: usize, name: &str| -> Result<&str, SpotTraceError> {
            std::str::from_utf8(&record[col]).map_err(|_| row_err(line, format!("the {name} field is not valid UTF-8")))
        };

        // Time: parsed for every row (the earliest timestamp in the file is time 0 without `start`).
        let t_text = text(time_col, "time")?;
        let (tk, abs) = match parse_seconds(t_text) {
            Ok(ns) => (TimeKind::Seconds, i128::from(ns)),
            Err(SecondsError::Negative) => {
                return Err(row_err(line, format!("time {t_text:?} is negative; expected seconds from the start")));
            }
            Err(SecondsError::TooLarge) => {
                return Err(row_err(line, format!("time {t_text:?} is too large; expected seconds from the start")));
            }
            Err(SecondsError::NotANumber) => match t_text.parse::<Timestamp>() {
                Ok(ts) => (TimeKind::Rfc3339, ts.as_nanosecond()),
                Err(_) => {
                    return Err(row_err(
                        line,
                        format!(
                            "time {t_text:?} is neither seconds from the start nor an RFC 3339 timestamp \
                             (expected e.g. 12.5 or 2023-02-15T00:01:23Z)"
                        ),
                    ));
                }
            },
        };
        match time_kind {
            None => time_kind = Some((tk, line)),
            Some((first, first_line)) if first != tk => {
                let (found, expected) = match tk {
                    TimeKind::Seconds => ("seconds from the start", "an RFC 3339 timestamp"),
                    TimeKind::Rfc3339 => ("an RFC 3339 timestamp", "seconds from the start"),
                };
                return Err(row_err(
                    line,
                    format!(
                        "time {t_text:?} is {found} but the first data row (line {first_line}) gave {expected}; \
                         expected every row to use the same kind of time"
                    ),
                ));
            }
            Some(_) => {}
        }
        earliest = earliest.min(abs);

        let z = text(zone_col, "zone")?;
        if z.is_empty() {
            return Err(row_err(line, "the zone field is empty; expected a zone such as \"us-east-1a\"".into()));
        }
        if !zones_found.contains(z) {
            zones_found.insert(z.to_string());
        }
        if zone.is_some_and(|want| want != z) {
            continue;
        }
        let inst = match inst_col {
            Some(c) => text(c, "instance")?,
            None => "",
        };
        if !inst.is_empty() && !instances_found.contains(inst) {
            instances_found.insert(inst.to_string());
        }
        if let Some(want) = instance
            && !inst.is_empty()
            && inst != want
        {
            continue;
        }

        let v_text = text(value_col, kind.column())?;
        let value = v_text.parse::<f64>().map_err(|_| {
            row_err(
                line,
                format!(
                    "{} {v_text:?} is not a number; expected {}",
                    kind.column(),
                    match kind {
                        ValueKind::Available => "a non-negative integer (instances obtainable)",
                        ValueKind::Price => "a non-negative price in $ per instance-hour",
                    }
                ),
            )
        })?;
        let value = kind.check(value).map_err(|why| row_err(line, format!("{} {v_text:?} {why}", kind.column())))?;

        let acc = match zones.get_mut(z) {
            Some(acc) => acc,
            None => zones.entry(z.to_string()).or_default(),
        };
        if instance.is_none() && !inst.is_empty() {
            match &acc.instance {
                None => acc.instance = Some((inst.to_string(), line)),
                Some((prev, prev_line)) if prev != inst => {
                    return Err(row_err(
                        line,
                        format!(
                            "zone {z:?} has rows for instance types {prev:?} (line {prev_line}) and {inst:?}; \
                             pass an instance type to choose one"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(&(prev_abs, _, prev_line)) = acc.points.last()
            && abs < prev_abs
        {
            return Err(SpotTraceError::OutOfOrder {
                path: pb(),
                line,
                zone: z.to_string(),
                found: t_text.to_string(),
                previous: fmt_time(tk, prev_abs),
                previous_line: prev_line,
            });
        }
        acc.points.push((abs, value, line));
    }

    if rows == 0 {
        return Err(SpotTraceError::Empty { path: pb(), detail: "only a header".into() });
    }
    if zones.is_empty() {
        if let Some(want) = zone
            && !zones_found.contains(want)
        {
            return Err(SpotTraceError::ZoneNotFound { path: pb(), zone: want.into(), found: list(&zones_found) });
        }
        return Err(SpotTraceError::InstanceNotFound {
            path: pb(),
            instance: instance.unwrap_or_default().into(),
            in_zone: zone.map(|z| format!(" in zone {z:?}")).unwrap_or_default(),
            found: list(&instances_found),
        });
    }
    let origin = match time_kind {
        Some((TimeKind::Rfc3339, _)) => start.map_or(earliest, |s| s.as_nanosecond()),
        _ => 0,
    };
    let mut out = BTreeMap::new();
    for (z, acc) in zones {
        let series = to_series(&acc.points, origin).map_err(|line| {
            row_err(line, "the time is centuries after the start; expected a time within the simulation".into())
        })?;
        out.insert(z, series);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn secs(s: u64) -> SimTime {
        SimTime(s * S)
    }

    /// Writes `contents` to `<tempdir>/<name>` and returns (dir guard, path).
    fn write(name: &str, contents: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        (dir, path)
    }

    fn pts(s: &StepSeries) -> Vec<(u64, f64)> {
        s.points().map(|(t, v)| (t.0, v)).collect()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Asserts the message names the file and contains every one of `parts`.
    fn check_msg(err: SpotTraceError, name: &str, parts: &[&str]) -> SpotTraceError {
        let msg = err.to_string();
        assert!(msg.contains(name), "message does not name the file {name}: {msg}");
        for p in parts {
            assert!(msg.contains(p), "message lacks {p:?}: {msg}");
        }
        err
    }

    fn avail_csv(
        contents: &str,
        zone: Option<&str>,
        instance: Option<&str>,
    ) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
        let (_d, p) = write("a.csv", contents);
        read_availability(&p, AvailabilityFormat::Csv, zone, instance, None)
    }

    fn avail_csv_err(contents: &str, zone: Option<&str>, instance: Option<&str>, parts: &[&str]) -> SpotTraceError {
        check_msg(avail_csv(contents, zone, instance).expect_err("expected an error"), "a.csv", parts)
    }

    fn sky_avail(contents: &str) -> Result<StepSeries, SpotTraceError> {
        let (_d, p) = write("s.json", contents);
        let mut m = read_availability(&p, AvailabilityFormat::SkypilotAvailability, Some("z1"), None, None)?;
        assert_eq!(m.len(), 1);
        Ok(m.remove("z1").unwrap())
    }

    fn sky_avail_err(contents: &str, parts: &[&str]) -> SpotTraceError {
        check_msg(sky_avail(contents).expect_err("expected an error"), "s.json", parts)
    }

    fn aws(
        contents: &str,
        zone: Option<&str>,
        instance: Option<&str>,
        start: Option<Timestamp>,
    ) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
        let (_d, p) = write("aws.json", contents);
        read_prices(&p, PriceFormat::AwsJson, zone, instance, None, start)
    }

    fn aws_err(contents: &str, zone: Option<&str>, instance: Option<&str>, parts: &[&str]) -> SpotTraceError {
        check_msg(aws(contents, zone, instance, None).expect_err("expected an error"), "aws.json", parts)
    }

    fn sky_prices(
        contents: &str,
        zone: Option<&str>,
        tick: Option<Duration>,
    ) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
        let (_d, p) = write("p.json", contents);
        read_prices(&p, PriceFormat::SkypilotPrices, zone, None, tick, None)
    }

    fn sky_prices_err(contents: &str, zone: Option<&str>, tick: Option<Duration>, parts: &[&str]) -> SpotTraceError {
        check_msg(sky_prices(contents, zone, tick).expect_err("expected an error"), "p.json", parts)
    }

    // ---- StepSeries ----------------------------------------------------------------------------

    #[test]
    fn step_integrate_hand_cases() {
        let s = StepSeries::new(vec![(SimTime::ZERO, 1.0), (secs(10), 3.0)]);
        assert_eq!(s.integrate(secs(5), secs(20)), 35.0);
        assert_eq!(s.integrate(SimTime::ZERO, secs(10)), 10.0);
        assert_eq!(s.integrate(secs(10), secs(11)), 3.0);
        assert_eq!(s.integrate(secs(2), secs(4)), 2.0);
        assert_eq!(s.integrate(secs(12), secs(12)), 0.0);
        assert_eq!(s.integrate(secs(20), secs(5)), 0.0);
        assert_eq!(s.integrate(SimTime(9_500_000_000), SimTime(10_500_000_000)), 0.5 + 1.5);
        // Many segments.
        let s = StepSeries::new((0..100).map(|i| (secs(i * 10), (i % 3) as f64)).collect());
        let direct: f64 = (0..100).map(|i| (i % 3) as f64 * 10.0).sum();
        assert_eq!(s.integrate(SimTime::ZERO, secs(1000)), direct);
        assert_eq!(s.integrate(secs(5), secs(25)), 0.0 * 5.0 + 1.0 * 10.0 + 2.0 * 5.0);
        // The last value holds forever.
        assert_eq!(s.integrate(secs(990), secs(2000)), 0.0);
        assert_eq!(StepSeries::constant(2.5).integrate(secs(1), secs(3601)), 9000.0);
    }

    #[test]
    fn step_value_at_and_next_change() {
        let s = StepSeries::new(vec![(SimTime::ZERO, 1.0), (secs(10), 3.0), (secs(20), 0.0)]);
        assert_eq!(s.value_at(SimTime::ZERO), 1.0);
        assert_eq!(s.value_at(SimTime(10 * S - 1)), 1.0);
        assert_eq!(s.value_at(secs(10)), 3.0);
        assert_eq!(s.value_at(secs(15)), 3.0);
        assert_eq!(s.value_at(secs(20)), 0.0);
        assert_eq!(s.value_at(SimTime::MAX), 0.0);
        assert_eq!(s.next_change_after(SimTime::ZERO), Some(secs(10)));
        assert_eq!(s.next_change_after(SimTime(10 * S - 1)), Some(secs(10)));
        assert_eq!(s.next_change_after(secs(10)), Some(secs(20)));
        assert_eq!(s.next_change_after(secs(20)), None);
        assert_eq!(s.next_change_after(SimTime::MAX), None);
        let c = StepSeries::constant(4.0);
        assert_eq!(c.value_at(secs(123)), 4.0);
        assert_eq!(c.next_change_after(SimTime::ZERO), None);
        assert_eq!(pts(&c), [(0, 4.0)]);
    }

    #[test]
    fn step_new_merges_and_normalizes() {
        // Equal consecutive values merge.
        let s = StepSeries::new(vec![(secs(0), 1.0), (secs(5), 1.0), (secs(10), 2.0), (secs(15), 2.0)]);
        assert_eq!(pts(&s), [(0, 1.0), (10 * S, 2.0)]);
        // Later point at the same time wins, and the result merges with its predecessor.
        let s = StepSeries::new(vec![(secs(0), 1.0), (secs(5), 2.0), (secs(5), 1.0), (secs(8), 4.0)]);
        assert_eq!(pts(&s), [(0, 1.0), (8 * S, 4.0)]);
        let s = StepSeries::new(vec![(secs(0), 1.0), (secs(5), 1.0), (secs(5), 2.0)]);
        assert_eq!(pts(&s), [(0, 1.0), (5 * S, 2.0)]);
        // A series that starts later takes its first value back to 0 (the winner at that time).
        let s = StepSeries::new(vec![(secs(10), 7.0), (secs(10), 8.0), (secs(20), 9.0)]);
        assert_eq!(pts(&s), [(0, 8.0), (20 * S, 9.0)]);
        assert_eq!(s.value_at(SimTime::ZERO), 8.0);
        // Empty: the constant 0.
        assert_eq!(StepSeries::new(vec![]), StepSeries::constant(0.0));
        // Equal times, all collapsing.
        let s = StepSeries::new(vec![(secs(3), 1.0), (secs(3), 2.0), (secs(3), 3.0)]);
        assert_eq!(s, StepSeries::constant(3.0));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "earlier than the previous time")]
    fn step_new_rejects_decreasing_times_in_debug() {
        let _ = StepSeries::new(vec![(secs(5), 1.0), (secs(3), 2.0)]);
    }

    #[test]
    fn seconds_parse_exactly() {
        assert_eq!(parse_seconds("0"), Ok(0));
        assert_eq!(parse_seconds("0.1"), Ok(100_000_000));
        assert_eq!(parse_seconds("12.5"), Ok(12_500_000_000));
        assert_eq!(parse_seconds(".5"), Ok(500_000_000));
        assert_eq!(parse_seconds("5."), Ok(5 * S));
        assert_eq!(parse_seconds("+2"), Ok(2 * S));
        assert_eq!(parse_seconds("-0.0"), Ok(0));
        assert_eq!(parse_seconds("1e3"), Ok(1000 * S));
        assert_eq!(parse_seconds("1.5E2"), Ok(150 * S));
        assert_eq!(parse_seconds("1e-9"), Ok(1));
        assert_eq!(parse_seconds("0.0000000005"), Ok(1));
        assert_eq!(parse_seconds("0.0000000004999"), Ok(0));
        assert_eq!(parse_seconds("100.123456789"), Ok(100_123_456_789));
        assert_eq!(parse_seconds("0.1234567899"), Ok(123_456_790));
        assert_eq!(parse_seconds("000000000000000000000000000007"), Ok(7 * S));
        assert_eq!(parse_seconds("18446744073.709551615"), Ok(u64::MAX));
        assert_eq!(parse_seconds("18446744073.709551616"), Err(SecondsError::TooLarge));
        assert_eq!(parse_seconds("1e1000000000000"), Err(SecondsError::TooLarge));
        assert_eq!(parse_seconds("1e-1000000000000"), Ok(0));
        assert_eq!(parse_seconds("-1"), Err(SecondsError::Negative));
        assert_eq!(parse_seconds(""), Err(SecondsError::NotANumber));
        assert_eq!(parse_seconds("."), Err(SecondsError::NotANumber));
        assert_eq!(parse_seconds("1e"), Err(SecondsError::NotANumber));
        assert_eq!(parse_seconds("inf"), Err(SecondsError::NotANumber));
        assert_eq!(parse_seconds("2023-02-15T00:00:00Z"), Err(SecondsError::NotANumber));
    }

    // ---- skypilot-availability -------------------------------------------------------------------

    #[test]
    fn skypilot_availability_reads_ticks() {
        let s = sky_avail(r#"{"metadata": {"gap_seconds": 10}, "data": [0, 0, 1, 1, 2, 0]}"#).unwrap();
        assert_eq!(pts(&s), [(0, 0.0), (20 * S, 1.0), (40 * S, 2.0), (50 * S, 0.0)]);
        assert_eq!(s.integrate(SimTime::ZERO, secs(60)), 40.0);
        // Other keys are ignored; integral floats are integers; a fractional gap is rounded to ns.
        let s =
            sky_avail(r#"{"metadata": {"gap_seconds": 32.5, "x": 1}, "data": [1, 3.0, 3], "prices": [0.9, 0.9, 0.9]}"#)
                .unwrap();
        assert_eq!(pts(&s), [(0, 1.0), (32_500_000_000, 3.0)]);
        // A constant trace.
        let s = sky_avail(r#"{"metadata": {"gap_seconds": 195}, "data": [1, 1, 1]}"#).unwrap();
        assert_eq!(s, StepSeries::constant(1.0));
    }

    #[test]
    fn skypilot_availability_errors() {
        let (_d, p) = write("s.json", r#"{"metadata": {"gap_seconds": 10}, "data": [1]}"#);
        let e = read_availability(&p, AvailabilityFormat::SkypilotAvailability, None, None, None).unwrap_err();
        check_msg(e, "s.json", &["zone is required"]);

        sky_avail_err(r#"{"data": [1]}"#, &["metadata", "missing"]);
        sky_avail_err(r#"{"metadata": 3, "data": [1]}"#, &["metadata", "the number 3"]);
        sky_avail_err(r#"{"metadata": {}, "data": [1]}"#, &["metadata.gap_seconds", "missing"]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": 0}, "data": [1]}"#, &["metadata.gap_seconds", "not positive"]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": -5}, "data": [1]}"#, &["metadata.gap_seconds", "not positive"]);
        sky_avail_err(
            r#"{"metadata": {"gap_seconds": 1e-12}, "data": [1]}"#,
            &["metadata.gap_seconds", "not positive"],
        );
        sky_avail_err(r#"{"metadata": {"gap_seconds": 1e300}, "data": [1]}"#, &["metadata.gap_seconds", "too large"]);
        sky_avail_err(
            r#"{"metadata": {"gap_seconds": "195"}, "data": [1]}"#,
            &["metadata.gap_seconds", "the string \"195\""],
        );
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}}"#, &["data", "missing"]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": {}}"#, &["data", "an object"]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": []}"#, &["empty"]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": [1, 0, -1]}"#, &["data[2]", "-1", "negative"]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": [1, 1.5]}"#, &["data[1]", "1.5", "not an integer"]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": [1, "1"]}"#, &["data[1]", "the string \"1\""]);
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": [null]}"#, &["data[0]", "null"]);
        sky_avail_err(r#"[1, 2]"#, &["$", "an array"]);
        let e =
            sky_avail_err("{\"metadata\": {\"gap_seconds\": 10},\n \"data\": [1, 2,]}", &["invalid JSON", "line 2"]);
        assert!(matches!(e, SpotTraceError::JsonSyntax { .. }));
        sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": [NaN]}"#, &["invalid JSON", "column"]);
        sky_avail_err("", &["invalid JSON"]);
    }

    #[test]
    fn missing_file_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        for result in [
            read_availability(&missing, AvailabilityFormat::SkypilotAvailability, Some("z"), None, None),
            read_availability(&missing, AvailabilityFormat::Csv, None, None, None),
            read_prices(&missing, PriceFormat::AwsJson, None, None, None, None),
            read_prices(&missing, PriceFormat::SkypilotPrices, None, None, Some(Duration::from_secs(1)), None),
            read_prices(&missing, PriceFormat::Csv, None, None, None, None),
        ] {
            let e = check_msg(result.unwrap_err(), "nope.json", &["cannot read"]);
            assert!(matches!(e, SpotTraceError::Open { .. }));
        }
        for result in [
            read_availability(dir.path(), AvailabilityFormat::SkypilotAvailability, Some("z"), None, None),
            read_availability(dir.path(), AvailabilityFormat::Csv, None, None, None),
            read_prices(dir.path(), PriceFormat::AwsJson, None, None, None, None),
            read_prices(dir.path(), PriceFormat::SkypilotPrices, None, None, Some(Duration::from_secs(1)), None),
            read_prices(dir.path(), PriceFormat::Csv, None, None, None, None),
        ] {
            let e = result.unwrap_err();
            assert!(matches!(e, SpotTraceError::IsDirectory { .. }), "{e}");
            assert!(e.to_string().contains("is a directory"));
        }
    }

    // ---- CSV availability ------------------------------------------------------------------------

    #[test]
    fn csv_availability_zones_and_filters() {
        let csv = "time,zone,instance,available\n\
                   0,us-east-1a,p3.2xlarge,2\n\
                   0,us-east-1b,p3.2xlarge,0\n\
                   0,us-east-1a,g5.xlarge,5\n\
                   60,us-east-1a,p3.2xlarge,1\n\
                   90.5,us-east-1b,,3\n\
                   120,us-east-1a,p3.2xlarge,1\n\
                   120,us-east-1a,g5.xlarge,4\n";
        let m = avail_csv(csv, None, Some("p3.2xlarge")).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["us-east-1a", "us-east-1b"]);
        assert_eq!(pts(&m["us-east-1a"]), [(0, 2.0), (60 * S, 1.0)]);
        assert_eq!(pts(&m["us-east-1b"]), [(0, 0.0), (90_500_000_000, 3.0)]);
        let m = avail_csv(csv, Some("us-east-1a"), Some("g5.xlarge")).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(pts(&m["us-east-1a"]), [(0, 5.0), (120 * S, 4.0)]);
        // The empty instance matches any filter.
        let m = avail_csv(csv, Some("us-east-1b"), Some("g5.xlarge")).unwrap();
        assert_eq!(pts(&m["us-east-1b"]), [(0, 3.0)]);
        // Two instance types in one zone and no filter: ambiguous.
        avail_csv_err(csv, None, None, &[":4:", "\"p3.2xlarge\" (line 2)", "\"g5.xlarge\"", "instance type"]);
        // But fine in a zone that has one.
        let m = avail_csv(csv, Some("us-east-1b"), None).unwrap();
        assert_eq!(pts(&m["us-east-1b"]), [(0, 0.0), (90_500_000_000, 3.0)]);
    }

    #[test]
    fn csv_header_rules() {
        // Any order, any case, spaces, no instance column, extra columns; a late start goes back to 0.
        let csv = " Available ,ZONE, Time ,note\n1, z1 ,5,x\n0,z1,7.25,y\n0,z1,8,\n";
        let m = avail_csv(csv, None, None).unwrap();
        assert_eq!(pts(&m["z1"]), [(0, 1.0), (7_250_000_000, 0.0)]);
        // Equal times: the later row wins; integral floats are integers.
        let m = avail_csv("time,zone,available\n0,z,1\n10,z,2\n10,z,3.0\n", None, None).unwrap();
        assert_eq!(pts(&m["z"]), [(0, 1.0), (10 * S, 3.0)]);
        // Zones may interleave; only each zone's own times must not go back.
        let m = avail_csv("time,zone,available\n10,a,1\n0,b,2\n20,a,0\n5,b,1\n", None, None).unwrap();
        assert_eq!(pts(&m["a"]), [(0, 1.0), (20 * S, 0.0)]);
        assert_eq!(pts(&m["b"]), [(0, 2.0), (5 * S, 1.0)]);
        // A BOM before the header.
        let m = avail_csv("\u{feff}time,zone,available\n0,z,1\n", None, None).unwrap();
        assert_eq!(pts(&m["z"]), [(0, 1.0)]);
    }

    #[test]
    fn csv_rfc3339_times() {
        // Zone b starts earlier than the first row: the earliest timestamp in the file is time 0.
        let csv = "time,zone,available\n\
                   2023-02-15T00:10:00Z,a,1\n\
                   2023-02-15T00:20:00Z,a,0\n\
                   2023-02-15T00:00:00Z,b,4\n\
                   2023-02-15T01:00:00+01:00,b,2\n";
        let m = avail_csv(csv, None, None).unwrap();
        assert_eq!(pts(&m["a"]), [(0, 1.0), (1200 * S, 0.0)]);
        assert_eq!(pts(&m["b"]), [(0, 2.0)]); // 01:00+01:00 is 00:00Z: the later row at the same time wins.
        // The zone filter does not move time 0.
        let m = avail_csv(csv, Some("a"), None).unwrap();
        assert_eq!(pts(&m["a"]), [(0, 1.0), (1200 * S, 0.0)]);
        assert_eq!(m["a"].next_change_after(SimTime::ZERO), Some(secs(1200)));
        // With a start: rows before it collapse to time 0 (latest wins), later rows are relative to it.
        let (_d, p) = write("a.csv", csv);
        let m = read_availability(&p, AvailabilityFormat::Csv, None, None, Some(ts("2023-02-15T00:15:00Z"))).unwrap();
        assert_eq!(pts(&m["a"]), [(0, 1.0), (300 * S, 0.0)]);
        assert_eq!(pts(&m["b"]), [(0, 2.0)]);
        let m = read_availability(&p, AvailabilityFormat::Csv, None, None, Some(ts("2023-02-14T23:00:00Z"))).unwrap();
        assert_eq!(pts(&m["a"]), [(0, 1.0), (4800 * S, 0.0)]);
        // `start` does not apply to times in seconds.
        let (_d2, p2) = write("b.csv", "time,zone,available\n5,z,1\n9,z,0\n");
        let m = read_availability(&p2, AvailabilityFormat::Csv, None, None, Some(ts("2023-02-14T23:00:00Z"))).unwrap();
        assert_eq!(pts(&m["z"]), [(0, 1.0), (9 * S, 0.0)]);
    }

    #[test]
    fn csv_availability_errors() {
        avail_csv_err("time,available\n0,1\n", None, None, &[":1:", "no \"zone\" column", "\"time\", \"available\""]);
        avail_csv_err("time,zone,price\n0,z,1\n", None, None, &["no \"available\" column"]);
        avail_csv_err("zone,available\n", None, None, &["no \"time\" column"]);
        avail_csv_err("time,zone,Time,available\n", None, None, &["both named \"time\""]);
        avail_csv_err("", None, None, &["empty", "the file is empty"]);
        avail_csv_err("time,zone,available\n", None, None, &["empty", "only a header"]);
        avail_csv_err("time,zone,available\n0,z,1\nsoon,z,1\n", None, None, &[":3:", "\"soon\"", "RFC 3339"]);
        avail_csv_err("time,zone,available\n-5,z,1\n", None, None, &[":2:", "negative"]);
        avail_csv_err(
            "time,zone,available\n0,z,1\n2023-02-15T00:00:00Z,z,1\n",
            None,
            None,
            &[":3:", "RFC 3339 timestamp but the first data row (line 2) gave seconds"],
        );
        avail_csv_err(
            "time,zone,available\n0,a,1\n0,z,1\n10,z,0\n5,z,1\n",
            None,
            None,
            &[":5:", "\"5\"", "zone \"z\"", "line 4", "10 s", "non-decreasing"],
        );
        let e = avail_csv_err(
            "time,zone,available\n2023-02-15T00:10:00Z,z,1\n2023-02-15T00:05:00Z,z,1\n",
            None,
            None,
            &[":3:", "line 2", "2023-02-15T00:10:00Z"],
        );
        assert!(matches!(e, SpotTraceError::OutOfOrder { line: 3, previous_line: 2, .. }));
        avail_csv_err("time,zone,available\n0,z,-1\n", None, None, &[":2:", "\"-1\"", "negative"]);
        avail_csv_err("time,zone,available\n0,z,0.5\n", None, None, &[":2:", "\"0.5\"", "not an integer"]);
        avail_csv_err("time,zone,available\n0,z,\n", None, None, &[":2:", "not a number"]);
        avail_csv_err("time,zone,available\n0,z,inf\n", None, None, &[":2:", "not a finite number"]);
        avail_csv_err("time,zone,available\n0,z\n", None, None, &[":2:", "2 fields", "at least 3"]);
        avail_csv_err("time,zone,available\n0,,1\n", None, None, &[":2:", "zone field is empty"]);
        avail_csv_err(
            "time,zone,available\n0,a,1\n0,b,1\n",
            Some("us-east-1a"),
            None,
            &["no data for zone \"us-east-1a\"", "\"a\", \"b\""],
        );
        avail_csv_err(
            "time,zone,instance,available\n0,a,p3.2xlarge,1\n0,b,g5.xlarge,1\n",
            Some("a"),
            Some("g5.xlarge"),
            &["no data for instance type \"g5.xlarge\" in zone \"a\"", "\"p3.2xlarge\""],
        );
        avail_csv_err("time,zone,available\n99999999999,z,1\n", None, None, &[":2:", "too large"]);
        // A row in a filtered-out zone is still checked for its time (it may be time 0).
        avail_csv_err("time,zone,available\n0,a,1\nx,b,1\n", Some("a"), None, &[":3:", "\"x\""]);
        // Malformed CSV (an unterminated quote is fine for the csv crate; invalid UTF-8 is not fine for us).
        let (_d, p) = write("a.csv", "");
        std::fs::write(&p, b"time,zone,available\n0,\xff\xfe,1\n").unwrap();
        let e = read_availability(&p, AvailabilityFormat::Csv, None, None, None).unwrap_err();
        check_msg(e, "a.csv", &[":2:", "UTF-8"]);
    }

    // ---- CSV prices ------------------------------------------------------------------------------

    #[test]
    fn csv_prices() {
        let (_d, p) = write("p.csv", "time,zone,instance,price\n0,z,p3.2xlarge,0.918\n3600,z,p3.2xlarge,1.2\n");
        let m = read_prices(&p, PriceFormat::Csv, None, None, None, None).unwrap();
        assert_eq!(pts(&m["z"]), [(0, 0.918), (3600 * S, 1.2)]);
        assert!((m["z"].integrate(SimTime::ZERO, secs(7200)) - (0.918 + 1.2) * 3600.0).abs() < 1e-9);
        for (bad, why) in
            [("-0.1", "negative"), ("NaN", "not a finite"), ("inf", "not a finite"), ("$1", "not a number")]
        {
            let (_d, p) = write("p.csv", &format!("time,zone,price\n0,z,1\n5,z,{bad}\n"));
            let e = read_prices(&p, PriceFormat::Csv, None, None, None, None).unwrap_err();
            check_msg(e, "p.csv", &[":3:", why, "price"]);
        }
        let (_d, p) = write("p.csv", "time,zone,available\n0,z,1\n");
        let e = read_prices(&p, PriceFormat::Csv, None, None, None, None).unwrap_err();
        check_msg(e, "p.csv", &["no \"price\" column"]);
        // Fractional prices are fine, zero too.
        let (_d, p) = write("p.csv", "time,zone,price\n0,z,0\n1.5,z,0.25\n");
        let m = read_prices(&p, PriceFormat::Csv, Some("z"), None, None, None).unwrap();
        assert_eq!(pts(&m["z"]), [(0, 0.0), (1_500_000_000, 0.25)]);
    }

    // ---- aws-json --------------------------------------------------------------------------------

    const AWS: &str = r#"{
        "SpotPriceHistory": [
            {"AvailabilityZone": "us-east-1a", "InstanceType": "p3.2xlarge", "ProductDescription": "Linux/UNIX",
             "SpotPrice": "0.950000", "Timestamp": "2023-02-15T02:00:00+00:00"},
            {"AvailabilityZone": "us-east-1b", "InstanceType": "p3.2xlarge", "ProductDescription": "Linux/UNIX",
             "SpotPrice": "1.100000", "Timestamp": "2023-02-15T01:30:00+00:00"},
            {"AvailabilityZone": "us-east-1a", "InstanceType": "p3.2xlarge", "ProductDescription": "Windows",
             "SpotPrice": "1.500000", "Timestamp": "2023-02-15T01:00:00+00:00"},
            {"AvailabilityZone": "us-east-1a", "InstanceType": "p3.2xlarge", "ProductDescription": "Linux/UNIX",
             "SpotPrice": "0.918000", "Timestamp": "2023-02-15T01:00:00+00:00"},
            {"AvailabilityZone": "us-east-1a", "InstanceType": "g5.xlarge", "ProductDescription": "Linux/UNIX",
             "SpotPrice": "0.400000", "Timestamp": "2023-02-14T23:00:00+00:00"},
            {"AvailabilityZone": "us-east-1a", "InstanceType": "p3.2xlarge", "ProductDescription": "Linux/UNIX",
             "SpotPrice": "0.930000", "Timestamp": "2023-02-14T22:00:00Z"},
            {"AvailabilityZone": "us-east-1a", "InstanceType": "p3.2xlarge", "ProductDescription": "Linux/UNIX",
             "SpotPrice": "0.990000", "Timestamp": "2023-02-14T20:00:00+00:00"}
        ],
        "NextToken": ""
    }"#;

    #[test]
    fn aws_json_sorts_filters_and_clamps_to_start() {
        let m = aws(AWS, None, Some("p3.2xlarge"), Some(ts("2023-02-15T00:00:00Z"))).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["us-east-1a", "us-east-1b"]);
        // 20:00 (0.99) is dropped; 22:00 (0.93) is in force at the start; Windows prices are dropped.
        assert_eq!(pts(&m["us-east-1a"]), [(0, 0.93), (3600 * S, 0.918), (7200 * S, 0.95)]);
        // A zone whose first price comes after the start takes it back to 0.
        assert_eq!(pts(&m["us-east-1b"]), [(0, 1.1)]);
        // Without a start: the earliest entry in the file (20:00) is time 0.
        let m = aws(AWS, Some("us-east-1a"), Some("p3.2xlarge"), None).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            pts(&m["us-east-1a"]),
            [(0, 0.99), (2 * 3600 * S, 0.93), (5 * 3600 * S, 0.918), (6 * 3600 * S, 0.95)]
        );
        let m = aws(AWS, Some("us-east-1a"), Some("g5.xlarge"), Some(ts("2023-02-15T00:00:00Z"))).unwrap();
        assert_eq!(pts(&m["us-east-1a"]), [(0, 0.4)]);
        // A bare array, numeric prices, missing optional fields.
        let bare = r#"[{"AvailabilityZone": "z", "SpotPrice": 0.5, "Timestamp": "2023-02-15T00:00:10Z"},
                       {"AvailabilityZone": "z", "SpotPrice": "0.6", "Timestamp": "2023-02-15T00:00:00Z"}]"#;
        let m = aws(bare, None, Some("anything"), None).unwrap();
        assert_eq!(pts(&m["z"]), [(0, 0.6), (10 * S, 0.5)]);
    }

    #[test]
    fn aws_json_errors() {
        aws_err(r#"{"Other": []}"#, None, None, &["SpotPriceHistory", "missing"]);
        aws_err(r#"{"SpotPriceHistory": {}}"#, None, None, &["SpotPriceHistory", "an object"]);
        aws_err(r#"{"SpotPriceHistory": []}"#, None, None, &["empty"]);
        aws_err(r#"3"#, None, None, &["$", "the number 3"]);
        aws_err(r#"{"SpotPriceHistory": [1]}"#, None, None, &["SpotPriceHistory[0]", "the number 1"]);
        let entry = |z: &str, p: &str, t: &str| {
            format!(r#"{{"AvailabilityZone": {z}, "InstanceType": "p3.2xlarge", "SpotPrice": {p}, "Timestamp": {t}}}"#)
        };
        let doc = |entries: &[String]| format!(r#"{{"SpotPriceHistory": [{}]}}"#, entries.join(","));
        let ok = entry("\"z\"", "\"0.9\"", "\"2023-02-15T00:00:00Z\"");
        aws_err(
            &doc(&[ok.clone(), entry("\"z\"", "\"abc\"", "\"2023-02-15T00:00:00Z\"")]),
            None,
            None,
            &["SpotPriceHistory[1].SpotPrice", "\"abc\"", "not a number"],
        );
        aws_err(
            &doc(&[entry("\"z\"", "\"-0.5\"", "\"2023-02-15T00:00:00Z\"")]),
            None,
            None,
            &["SpotPriceHistory[0].SpotPrice", "negative"],
        );
        aws_err(
            &doc(&[entry("\"z\"", "true", "\"2023-02-15T00:00:00Z\"")]),
            None,
            None,
            &["SpotPriceHistory[0].SpotPrice", "a boolean"],
        );
        aws_err(
            &doc(&[ok.clone(), entry("\"z\"", "\"0.9\"", "\"yesterday\"")]),
            None,
            None,
            &["SpotPriceHistory[1].Timestamp", "\"yesterday\"", "RFC 3339"],
        );
        aws_err(
            &doc(&[entry("null", "\"0.9\"", "\"2023-02-15T00:00:00Z\"")]),
            None,
            None,
            &["SpotPriceHistory[0].AvailabilityZone"],
        );
        aws_err(
            r#"[{"SpotPrice": "1", "Timestamp": "2023-02-15T00:00:00Z"}]"#,
            None,
            None,
            &["[0].AvailabilityZone", "missing"],
        );
        aws_err(
            &doc(std::slice::from_ref(&ok)),
            Some("us-east-1a"),
            None,
            &["no data for zone \"us-east-1a\"", "\"z\""],
        );
        aws_err(
            AWS,
            None,
            Some("m5.large"),
            &["no data for instance type \"m5.large\"", "\"g5.xlarge\", \"p3.2xlarge\""],
        );
        aws_err(
            AWS,
            None,
            None,
            &["SpotPriceHistory[4].InstanceType", "\"p3.2xlarge\"", "\"g5.xlarge\"", "instance type"],
        );
        let products = r#"[{"AvailabilityZone": "z", "ProductDescription": "Windows", "SpotPrice": "1", "Timestamp": "2023-02-15T00:00:00Z"},
                           {"AvailabilityZone": "z", "ProductDescription": "SUSE Linux", "SpotPrice": "1", "Timestamp": "2023-02-15T00:00:00Z"}]"#;
        aws_err(products, None, None, &["\"SUSE Linux\", \"Windows\"", "Linux/UNIX"]);
        aws_err("{\"SpotPriceHistory\": [\n{]}", None, None, &["invalid JSON", "line 2 column"]);
    }

    // ---- skypilot-prices -------------------------------------------------------------------------

    #[test]
    fn skypilot_prices_reads_zones() {
        let doc = r#"{"us-east-1a_v100_1": [1.5, 1.5, 1.25, 1.5], "us-west-2b_v100_1": [0.918]}"#;
        let m = sky_prices(doc, None, Some(Duration::from_secs(10))).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["us-east-1a", "us-west-2b"]);
        assert_eq!(pts(&m["us-east-1a"]), [(0, 1.5), (20 * S, 1.25), (30 * S, 1.5)]);
        assert_eq!(pts(&m["us-west-2b"]), [(0, 0.918)]);
        let m = sky_prices(doc, Some("us-west-2b"), Some(Duration::from_secs(10))).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["us-west-2b"]);
        // A key without underscores is all zone.
        let m = sky_prices(r#"{"z": [1, 2]}"#, None, Some(Duration::from_millis(500))).unwrap();
        assert_eq!(pts(&m["z"]), [(0, 1.0), (500_000_000, 2.0)]);
    }

    #[test]
    fn skypilot_prices_errors() {
        let tick = Some(Duration::from_secs(195));
        let doc = r#"{"us-east-1a_v100_1": [1.5], "us-west-2b_v100_1": [0.918]}"#;
        sky_prices_err(doc, None, None, &["tick is required", "195s"]);
        sky_prices_err(doc, None, Some(Duration::ZERO), &["tick is 0"]);
        sky_prices_err(
            doc,
            Some("eu-west-1a"),
            tick,
            &["no data for zone \"eu-west-1a\"", "\"us-east-1a\", \"us-west-2b\""],
        );
        sky_prices_err(r#"{"z_a": [1, -2]}"#, None, tick, &["\"z_a\"[1]", "negative"]);
        sky_prices_err(r#"{"z_a": [1, "2"]}"#, None, tick, &["\"z_a\"[1]", "the string \"2\""]);
        sky_prices_err(r#"{"z_a": [1, null]}"#, None, tick, &["\"z_a\"[1]", "null"]);
        sky_prices_err(r#"{"z_a": 3}"#, None, tick, &["\"z_a\"", "expected an array"]);
        sky_prices_err(r#"{"z_a": []}"#, None, tick, &["empty", "\"z_a\""]);
        sky_prices_err(r#"{}"#, None, tick, &["empty"]);
        sky_prices_err(r#"[1]"#, None, tick, &["$", "an array"]);
        sky_prices_err(r#"{"_a": [1]}"#, None, tick, &["\"_a\"", "zone"]);
        sky_prices_err(r#"{"z_v100_1": [1], "z_a100_8": [2]}"#, None, tick, &["both give zone \"z\""]);
        sky_prices_err(r#"{"z_a": [1, 2"#, None, tick, &["invalid JSON", "line 1"]);
        sky_prices_err(r#"{"z_a": [1, 2, 3]}"#, None, Some(Duration(u64::MAX / 2 + 1)), &["\"z_a\"[2]", "beyond"]);
    }

    // ---- real traces -----------------------------------------------------------------------------

    fn shared(rel: &str) -> PathBuf {
        let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/traces/")).join(rel);
        if p.exists() {
            return p;
        }
        let abs = PathBuf::from("/work/shared/traces/").join(rel);
        assert!(abs.exists(), "trace missing: looked at {} and {}", p.display(), abs.display());
        abs
    }

    #[test]
    fn real_availability_1_node_us_east_1a() {
        let path = shared("spot-availability/availability/1-node/aws-02-15-2023/us-east-1a_v100_1.json");
        let m =
            read_availability(&path, AvailabilityFormat::SkypilotAvailability, Some("us-east-1a"), None, None).unwrap();
        let s = &m["us-east-1a"];
        const GAP: u64 = 195;
        const TICKS: u64 = 20158;
        const ONES: u64 = 3360; // counted with Python: sum(data) over the file's 20158 ticks
        let mut ones = 0;
        for i in 0..TICKS {
            let v = s.value_at(secs(i * GAP));
            assert!(v == 0.0 || v == 1.0);
            // Constant within the tick.
            assert_eq!(s.value_at(SimTime((i + 1) * GAP * S - 1)), v);
            ones += v as u64;
        }
        assert_eq!(ones, ONES);
        assert_eq!(s.integrate(SimTime::ZERO, secs(TICKS * GAP)), (ONES * GAP) as f64);
        // Every change lands on a tick boundary; 506 changes (counted with Python).
        assert!(s.points().all(|(t, _)| t.0 % (GAP * S) == 0));
        assert_eq!(s.points().count(), 1 + 506);
        assert_eq!(s.value_at(SimTime::ZERO), 0.0);
    }

    #[test]
    fn real_availability_16_node_us_west_2a() {
        let path = shared("spot-availability/availability/16-node/aws-08-27-2023/us-west-2a_v100_1.json");
        let m =
            read_availability(&path, AvailabilityFormat::SkypilotAvailability, Some("us-west-2a"), None, None).unwrap();
        let s = &m["us-west-2a"];
        let max = s.points().map(|(_, v)| v).fold(f64::MIN, f64::max);
        assert_eq!(max, 16.0);
        assert!(s.points().all(|(t, v)| t.0 % (300 * S) == 0 && v.fract() == 0.0 && (0.0..=16.0).contains(&v)));
        // 4736 ticks of 300 s; the trace ends at 16.
        let (last_t, last_v) = s.points().last().unwrap();
        assert!(last_t < secs(4736 * 300));
        assert_eq!(last_v, 16.0);
    }

    #[test]
    fn real_preemption_file_with_prices_key() {
        // gap 32 s, and a "prices" key that the availability reader ignores.
        let path = shared("spot-availability/preemption/1-node/aws-04-22-2023/us-east-1c_v100_1.json");
        let m =
            read_availability(&path, AvailabilityFormat::SkypilotAvailability, Some("us-east-1c"), None, None).unwrap();
        let s = &m["us-east-1c"];
        assert!(s.points().all(|(t, v)| t.0 % (32 * S) == 0 && (v == 0.0 || v == 1.0)));
        // 6274 of 19961 ticks available (counted with Python).
        assert_eq!(s.integrate(SimTime::ZERO, secs(19961 * 32)), (6274 * 32) as f64);
    }

    #[test]
    fn real_prices_us_east_1a() {
        let path = shared("spot-prices/aws_v100_spot_prices.json");
        let tick = Duration::from_secs(195);
        let m = read_prices(&path, PriceFormat::SkypilotPrices, Some("us-east-1a"), None, Some(tick), None).unwrap();
        assert_eq!(m.len(), 1);
        let s = &m["us-east-1a"];
        assert_eq!(s.value_at(SimTime::ZERO), 1.6703);
        let first10 = 10.0 * 1.6703 * 195.0; // the first 10 values are all 1.6703
        let got = s.integrate(SimTime::ZERO, secs(10 * 195));
        assert!((got - first10).abs() < 1e-9 * first10, "{got} vs {first10}");
        // The whole series: Σ values × 195 s (math.fsum in Python: 6501179.9385).
        let total = s.integrate(SimTime::ZERO, secs(20158 * 195));
        assert!((total - 6_501_179.938_5).abs() < 1e-6, "{total}");
        assert!(s.points().all(|(t, v)| t.0 % (195 * S) == 0 && (1.4429..=1.8464).contains(&v)));
        // All nine zones.
        let all = read_prices(&path, PriceFormat::SkypilotPrices, None, None, Some(tick), None).unwrap();
        assert_eq!(all.len(), 9);
        assert_eq!(all["us-east-1a"], *s);
        assert_eq!(all["us-west-2c"].value_at(SimTime::ZERO), 0.918);
    }
}
