//! The CSV reader for availability (`time,zone,instance,available`) and prices
//! (`time,zone,instance,price`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::Path;

use jiff::Timestamp;

use super::*;
use crate::input::Budget;
use crate::trace::requests::SecondsError;

/// How much the reader asks the file for at a time.
const READ_CHUNK_BYTES: usize = 64 * 1024;

type Reader = csv::Reader<Budget<Budget<File>>>;

/// Whether a read failed because a budget (one row, or the whole file) was spent.
fn budget_spent(reader: &Reader) -> bool {
    reader.get_ref().exceeded() || reader.get_ref().get_ref().exceeded()
}

/// The error of a spent budget: the file is too large, or the row at `line` too long.
fn budget_error(path: &Path, reader: &Reader, line: u64) -> SpotTraceError {
    if reader.get_ref().get_ref().exceeded() {
        return too_large(path, MAX_SPOT_TRACE_BYTES);
    }
    SpotTraceError::Row {
        path: path.to_path_buf(),
        line,
        message: format!(
            "the row is longer than {} (the limit of one row of a CSV spot trace; a file without line breaks ends here)",
            crate::input::bytes(MAX_CSV_ROW_BYTES)
        ),
    }
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
    /// The zone's series so far, its times counted from the origin when it is known (seconds
    /// from the start, or timestamps with a given start), else from the zone's first row.
    series: StepBuilder,
    /// The absolute time of the zone's first kept row.
    first: Option<i128>,
    /// The previous kept row: (absolute ns, value, line).
    last: Option<(i128, f64, u64)>,
    /// The first instance type named in the zone's kept rows, and its line.
    instance: Option<(String, u64)>,
}

/// Decimal seconds, parsed exactly: the request-trace reader's parser, on text.
pub(super) fn parse_seconds(s: &str) -> Result<u64, SecondsError> {
    crate::trace::requests::parse_seconds(s.as_bytes())
}

pub(super) fn read_csv(
    path: &Path,
    kind: ValueKind,
    zone: Option<&str>,
    instance: Option<&str>,
    start: Option<Timestamp>,
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    let pb = || path.to_path_buf();
    // Two budgets: one row (renewed after each), and the whole file.
    let file = Budget::new(open_trace(path)?, MAX_SPOT_TRACE_BYTES);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .buffer_capacity(READ_CHUNK_BYTES)
        .from_reader(Budget::new(file, MAX_CSV_ROW_BYTES + READ_CHUNK_BYTES as u64));
    let header = reader.byte_headers().cloned();
    let header = match header {
        Ok(h) => h,
        Err(_) if budget_spent(&reader) => return Err(budget_error(path, &reader, 1)),
        Err(cause) => {
            let line = cause.position().map_or(1, |p| p.line());
            return Err(SpotTraceError::Csv { path: pb(), line, cause });
        }
    };
    let header_line = header.position().map_or(1, |p| p.line()).max(1);
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(SpotTraceError::Empty { path: pb(), detail: "the file is empty".into() });
    }
    let row_err = |line: u64, message: String| SpotTraceError::Row { path: pb(), line, message };
    let centuries = |line: u64| {
        row_err(line, "the time is centuries after the start; expected a time within the simulation".into())
    };
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
        reader.get_mut().renew();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) if budget_spent(&reader) => return Err(budget_error(path, &reader, line + 1)),
            Err(cause) => {
                let line = cause.position().map_or(line + 1, |p| p.line());
                return Err(SpotTraceError::Csv { path: pb(), line, cause });
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
        if let Some((prev_abs, _, prev_line)) = acc.last
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
        if let Some((prev_abs, prev_value, prev_line)) = acc.last
            && abs == prev_abs
            && value != prev_value
        {
            return Err(row_err(
                line,
                format!(
                    "zone {z:?} has two rows at time {t_text:?} with different {}s, {prev_value} (line {prev_line}) and \
                     {value}; expected one value per zone and time",
                    kind.column()
                ),
            ));
        }
        acc.last = Some((abs, value, line));
        // Times before a given start collapse onto 0, where the latest value wins.
        let origin = match time_kind {
            Some((TimeKind::Rfc3339, _)) => start.map_or(*acc.first.get_or_insert(abs), |s| s.as_nanosecond()),
            _ => 0,
        };
        let rel = u64::try_from((abs - origin).max(0)).map_err(|_| centuries(line))?;
        acc.series.push(SimTime(rel), value);
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
    // Without a start, timestamps count from the earliest in the file: each zone's series,
    // counted from its own first row, moves that much later.
    let shift_from = match time_kind {
        Some((TimeKind::Rfc3339, _)) if start.is_none() => Some(earliest),
        _ => None,
    };
    let mut out = BTreeMap::new();
    for (z, acc) in zones {
        let series = match (shift_from, acc.first) {
            (Some(origin), Some(first)) => {
                let line = acc.last.map_or(header_line, |l| l.2);
                let offset = u64::try_from(first - origin).map_err(|_| centuries(line))?;
                acc.series.finish_shifted(offset).ok_or_else(|| centuries(line))?
            }
            _ => acc.series.finish(),
        };
        out.insert(z, series);
    }
    Ok(out)
}
