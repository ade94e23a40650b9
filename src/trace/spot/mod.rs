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
//! Price formats ([`PriceFormat`], read by [`read_prices`]; prices are $ per instance-hour, at least 0
//! and below 1,000,000):
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
//! non-decreasing within a zone (zones may interleave); rows of a zone at equal times must agree
//! (different values are ambiguous and refused; in `aws-json` the later entry wins). **Absolute times** (CSV timestamps, `aws-json`) are taken relative to the
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
//! panic. A UTF-8 byte-order mark at the start of a file is skipped.
//!
//! **Bounds.** Only regular files are read (a FIFO or a device is refused before it is opened),
//! at most [`MAX_SPOT_TRACE_BYTES`] of each, counted as read; a CSV row is at most
//! [`MAX_CSV_ROW_BYTES`]. Every format is read as a stream — CSV record by record, JSON value by
//! value — into compact series ([`StepBuilder`]): memory follows a trace's changes, not its size
//! (at most about 3 bytes per byte of file, README's table has the measured figures).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::engine::{Duration, SimTime};

const NANOS_PER_SEC_F64: f64 = 1e9;

mod aws_json;
mod csv_reader;
mod json_readers;
mod json_stream;
mod step;

use csv_reader::read_csv;
use json_readers::{read_aws_json, read_skypilot_availability, read_skypilot_prices};
pub use step::{StepBuilder, StepSeries};

/// An error reading a spot availability or price trace. Each names the file and what is wrong (the
/// line for CSV rows, the JSON path or index for JSON values).
#[derive(Debug, thiserror::Error)]
pub enum SpotTraceError {
    /// The file cannot be opened or read (missing, no permission, ...).
    #[error("{}: cannot read the spot trace: {cause}", .path.display())]
    Open {
        /// The trace file.
        path: PathBuf,
        /// The underlying I/O error.
        cause: std::io::Error,
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
    #[error("{}:{line}: cannot read the CSV trace: {cause}", .path.display())]
    Csv {
        /// The trace file.
        path: PathBuf,
        /// The line being read when the error happened.
        line: u64,
        /// The underlying error.
        cause: csv::Error,
    },
    /// The file is not valid JSON (serde_json's message gives the line and column).
    #[error("{}: invalid JSON: {cause}", .path.display())]
    JsonSyntax {
        /// The trace file.
        path: PathBuf,
        /// The underlying error, with line and column.
        cause: serde_json::Error,
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
            let series = read_skypilot_availability(path, MAX_SPOT_TRACE_BYTES)?;
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
        PriceFormat::AwsJson => read_aws_json(path, zone, instance, start, MAX_SPOT_TRACE_BYTES),
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
            read_skypilot_prices(path, zone, tick, MAX_SPOT_TRACE_BYTES)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Largest spot trace read, in any format (counted as read, not as the file claims): the real
/// traces are about a megabyte, and what is read is kept in memory in compact form.
pub const MAX_SPOT_TRACE_BYTES: u64 = 256 << 20;

/// Longest row of a CSV spot trace (a file without line breaks fails after this much).
pub const MAX_CSV_ROW_BYTES: u64 = 1 << 20;

/// Opens the regular file `path` (a FIFO or a device is refused before it could block).
fn open_trace(path: &Path) -> Result<std::fs::File, SpotTraceError> {
    use crate::input::InputError;
    crate::input::open_regular(path).map_err(|e| match e {
        InputError::NotRegular { kind: "a directory" } => SpotTraceError::IsDirectory { path: path.to_path_buf() },
        InputError::NotRegular { kind } => SpotTraceError::Argument {
            path: path.to_path_buf(),
            message: format!("is {kind}, not a regular file; expected a spot trace file"),
        },
        InputError::Io(cause) => SpotTraceError::Open { path: path.to_path_buf(), cause },
        e @ InputError::TooLarge { .. } => {
            SpotTraceError::Open { path: path.to_path_buf(), cause: std::io::Error::other(e.to_string()) }
        }
    })
}

/// The error when a trace holds more than `limit` bytes ([`MAX_SPOT_TRACE_BYTES`]).
fn too_large(path: &Path, limit: u64) -> SpotTraceError {
    SpotTraceError::Argument {
        path: path.to_path_buf(),
        message: format!(
            "holds more than {} (read so far); spot traces may be at most {}: cut it to the time the scenario needs",
            crate::input::bytes(limit),
            crate::input::bytes(limit)
        ),
    }
}

fn json_err(path: &Path, at: impl Into<String>, message: impl Into<String>) -> SpotTraceError {
    SpotTraceError::Json { path: path.to_path_buf(), at: at.into(), message: message.into() }
}

/// Quoted, comma-separated names for messages.
fn list<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<String> = names.into_iter().map(|n| format!("{n:?}")).collect();
    if v.is_empty() { "(none)".into() } else { v.join(", ") }
}

/// Prices at or above this ($ per instance-hour) are refused, as in the scenario: a bill must stay
/// a finite number.
const MAX_PRICE: f64 = 1e6;

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
        if self == ValueKind::Price && v >= MAX_PRICE {
            return Err("is above the limit of 1000000 $ per instance-hour; expected a price in $ per instance-hour");
        }
        Ok(if v == 0.0 { 0.0 } else { v })
    }
}

#[cfg(test)]
mod tests;
