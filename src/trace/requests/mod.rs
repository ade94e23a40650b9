//! Streaming readers for request traces: when each request arrives and how many tokens it carries.
//!
//! Two formats are understood (see [`RequestFormat`]):
//!
//! - **`csv`**: a header row with a `time` column, either seconds from the start as a decimal number
//!   (`0`, `0.25`, `12.5`, `1e-3`) or an RFC 3339 timestamp (`2023-11-16T18:15:46.68Z`, offsets
//!   allowed), in which case the first row's timestamp is time 0. The first data row decides which
//!   kind of time the file uses and every later row must use the same kind. Optional columns
//!   `tokens_in` (aliases `input_tokens`, `context_tokens`) and `tokens_out` (aliases
//!   `output_tokens`, `generated_tokens`) give the token counts; a missing column means 0. Other
//!   columns are ignored. Header names match case-insensitively, ignoring surrounding spaces.
//! - **`azure-llm`**: the Azure LLM inference trace 2023, header
//!   `TIMESTAMP,ContextTokens,GeneratedTokens`, timestamps like `2023-11-16 18:15:46.6805900` (UTC,
//!   up to 9 fractional digits, no offset); the first row is time 0.
//!
//! The file is read as a stream, one record at a time into a reused buffer: memory does not grow
//! with the length of the trace and reading a row allocates nothing. Times are integer
//! nanoseconds: decimal seconds are parsed exactly with integer arithmetic, and a `speedup` other
//! than 1 divides times exactly (as a rational number) and rounds to the nearest nanosecond.
//!
//! Times must be non-decreasing (equal times are fine). Every error names the file and, where it
//! concerns the contents, the 1-based line of the file (the header is line 1), and says what was
//! found and what was expected. No input makes the reader panic.

use std::fs::File;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::DateTime;

use crate::engine::SimTime;
use crate::input::{self, Budget, InputError};

mod fields;
#[cfg(test)]
mod tests;

use fields::{Scale, TokensError, fmt_secs, parse_tokens, quote};
pub(crate) use fields::{SecondsError, parse_seconds};

/// One request read from a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRequest {
    /// When the request arrives, relative to the start of the trace (after the speedup).
    pub time: SimTime,
    /// Input (prompt / context) tokens.
    pub tokens_in: u32,
    /// Output (generated) tokens.
    pub tokens_out: u32,
}

/// Trace file formats for requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestFormat {
    /// Generic CSV: a `time` column (seconds from the start or RFC 3339) and optional token columns.
    Csv,
    /// The Azure LLM inference trace 2023: `TIMESTAMP,ContextTokens,GeneratedTokens`.
    AzureLlm,
}

/// An error reading a request trace.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The speedup is not a positive finite number.
    #[error("{}: speedup {speedup} is not valid; expected a positive finite number", .path.display())]
    BadSpeedup {
        /// The trace file.
        path: PathBuf,
        /// The speedup given.
        speedup: f64,
    },
    /// The file cannot be opened (missing, no permission, ...).
    #[error("{}: cannot open the request trace: {cause}", .path.display())]
    Open {
        /// The trace file.
        path: PathBuf,
        /// The underlying I/O error.
        cause: std::io::Error,
    },
    /// The path names a directory, not a file.
    #[error("{}: is a directory; expected a request trace file", .path.display())]
    IsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The path names a FIFO, a device or a socket: reading it could block or never end.
    #[error("{}: is {kind}, not a regular file; expected a request trace file", .path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// A row (a line, or a quoted field spanning lines) is longer than the reader's limit.
    #[error(
        "{}:{line}: the row is longer than {} (the limit of one row of a request trace; a file \
         without line breaks ends here); expected one request per line",
        .path.display(), input::bytes(*limit)
    )]
    RowTooLong {
        /// The trace file.
        path: PathBuf,
        /// The line where the row starts.
        line: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Reading the file failed part-way (an I/O error).
    #[error("{}:{line}: cannot read the request trace: {cause}", .path.display())]
    Read {
        /// The trace file.
        path: PathBuf,
        /// The line being read when the error happened.
        line: u64,
        /// The underlying error.
        cause: csv::Error,
    },
    /// A required column is missing from the header.
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
    /// The file has no data rows.
    #[error("{}: has no requests ({detail})", .path.display())]
    Empty {
        /// The trace file.
        path: PathBuf,
        /// What the file holds instead.
        detail: &'static str,
    },
    /// A request's time is earlier than the previous request's.
    #[error(
        "{}:{line}: time {found} ({found_secs} s from the start) is earlier than the previous \
         request's time ({previous_secs} s, line {previous_line}); expected non-decreasing times",
        .path.display()
    )]
    OutOfOrder {
        /// The trace file.
        path: PathBuf,
        /// The line of the out-of-order request.
        line: u64,
        /// The time field as written, quoted.
        found: String,
        /// The time of this request in seconds from the start (before the speedup).
        found_secs: String,
        /// The time of the previous request in seconds from the start (before the speedup).
        previous_secs: String,
        /// The line of the previous request.
        previous_line: u64,
    },
    /// A header or a field is malformed; the message says what was found and what was expected.
    #[error("{}:{line}: {message}", .path.display())]
    Invalid {
        /// The trace file.
        path: PathBuf,
        /// The line of the offending header or row.
        line: u64,
        /// What was found and what was expected.
        message: String,
    },
}

/// How times are written in the file, decided by the first data row.
#[derive(Clone, Copy, Debug)]
enum TimeKind {
    /// Decimal seconds from the start.
    Seconds,
    /// RFC 3339 timestamps; the first row's instant (ns since the Unix epoch) is time 0.
    Rfc3339 { start: i128 },
    /// Azure civil UTC date-times; the first row's is time 0.
    Azure { start: DateTime },
}

/// The columns a reader needs, found in the header.
struct Columns {
    time: usize,
    tokens_in: Option<usize>,
    tokens_out: Option<usize>,
}

/// Longest row a request trace may have: a request is a few dozen bytes, so this only stops a file
/// without line breaks (a 1 GB one is refused after reading about this much, not read whole).
pub const MAX_ROW_BYTES: u64 = 1 << 20;

/// How much the reader asks the file for at a time.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// A streaming reader: yields requests in file order.
pub struct RequestTrace {
    path: PathBuf,
    reader: csv::Reader<Budget<File>>,
    record: csv::ByteRecord,
    format: RequestFormat,
    kind: TimeKind,
    cols: Columns,
    /// Header names of the columns, for messages.
    time_name: String,
    tokens_in_name: String,
    tokens_out_name: String,
    /// Fields a row needs to hold every column used.
    min_fields: usize,
    scale: Scale,
    /// Time of the previous request in ns from the start, before the speedup.
    prev_ns: u64,
    prev_line: u64,
    /// Line of the first data row (where the time kind was decided).
    first_line: u64,
    /// Line of the last record read.
    line: u64,
    /// Lines end in CRLF: the reader counts a record's leading `\n` only once past the record's
    /// start, so its positions are one line early.
    crlf: bool,
    /// The first request, parsed by `open` and not yet returned.
    pending: Option<TraceRequest>,
}

impl std::fmt::Debug for RequestTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestTrace")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl RequestTrace {
    /// Opens `path` and reads the header. Errors: missing file, directory, missing column, empty trace.
    ///
    /// The first data row is read and checked here too (it decides the kind of time and time 0).
    /// `speedup` divides every time (2.0 replays twice as fast); it must be positive and finite.
    pub fn open(path: &Path, format: RequestFormat, speedup: f64) -> Result<RequestTrace, TraceError> {
        let path_buf = path.to_path_buf();
        if !(speedup.is_finite() && speedup > 0.0) {
            return Err(TraceError::BadSpeedup { path: path_buf, speedup });
        }
        let file = input::open_regular(path).map_err(|e| match e {
            InputError::NotRegular { kind: "a directory" } => TraceError::IsDirectory { path: path_buf.clone() },
            InputError::NotRegular { kind } => TraceError::NotAFile { path: path_buf.clone(), kind },
            InputError::Io(cause) => TraceError::Open { path: path_buf.clone(), cause },
            e @ InputError::TooLarge { .. } => {
                TraceError::Open { path: path_buf.clone(), cause: std::io::Error::other(e.to_string()) }
            }
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(READ_CHUNK_BYTES)
            .from_reader(Budget::new(file, MAX_ROW_BYTES + READ_CHUNK_BYTES as u64));

        let header = reader.byte_headers().cloned();
        let header = match header {
            Ok(h) => h,
            Err(_) if reader.get_ref().exceeded() => {
                return Err(TraceError::RowTooLong { path: path_buf, line: 1, limit: MAX_ROW_BYTES });
            }
            Err(cause) => {
                let line = cause.position().map_or(1, |p| p.line());
                return Err(TraceError::Read { path: path_buf, line, cause });
            }
        };
        reader.get_mut().renew();
        let header_line = header.position().map_or(1, |p| p.line()).max(1);
        // After an LF header the reader has counted its `\n`; after a CRLF one it stops at `\r`.
        let header_newlines = header.iter().map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64).sum::<u64>();
        let crlf = reader.position().line() == header_line + header_newlines;
        if header.is_empty() || (header.len() == 1 && header[0].trim_ascii().is_empty()) {
            return Err(TraceError::Empty { path: path_buf, detail: "the file is empty" });
        }

        let (time_aliases, in_aliases, out_aliases): (&[&str], &[&str], &[&str]) = match format {
            RequestFormat::Csv => (
                &["time"],
                &["tokens_in", "input_tokens", "context_tokens"],
                &["tokens_out", "output_tokens", "generated_tokens"],
            ),
            RequestFormat::AzureLlm => (&["TIMESTAMP"], &["ContextTokens"], &["GeneratedTokens"]),
        };
        let find = |aliases: &[&str], what: &str| -> Result<Option<usize>, TraceError> {
            let mut found: Option<usize> = None;
            for (i, name) in header.iter().enumerate() {
                let name = name.trim_ascii();
                if aliases.iter().any(|a| name.eq_ignore_ascii_case(a.as_bytes())) {
                    if let Some(prev) = found {
                        return Err(TraceError::Invalid {
                            path: path_buf.clone(),
                            line: header_line,
                            message: format!(
                                "columns {} (column {}) and {} (column {}) both give {what}; expected only one",
                                quote(header[prev].trim_ascii()),
                                prev + 1,
                                quote(name),
                                i + 1
                            ),
                        });
                    }
                    found = Some(i);
                }
            }
            Ok(found)
        };
        let found_columns = || header.iter().map(|n| quote(n.trim_ascii())).collect::<Vec<_>>().join(", ");
        let missing = |column: &'static str| TraceError::MissingColumn {
            path: path_buf.clone(),
            line: header_line,
            column,
            found: found_columns(),
        };
        let time = find(time_aliases, "the request time")?.ok_or_else(|| missing(time_aliases[0]))?;
        let tokens_in = find(in_aliases, "the input tokens")?;
        let tokens_out = find(out_aliases, "the output tokens")?;
        if format == RequestFormat::AzureLlm {
            if tokens_in.is_none() {
                return Err(missing(in_aliases[0]));
            }
            if tokens_out.is_none() {
                return Err(missing(out_aliases[0]));
            }
        }
        let name_of = |i: Option<usize>, default: &str| match i {
            Some(i) => String::from_utf8_lossy(header[i].trim_ascii()).into_owned(),
            None => default.to_string(),
        };
        let min_fields = 1 + time.max(tokens_in.unwrap_or(0)).max(tokens_out.unwrap_or(0));

        let mut trace = RequestTrace {
            time_name: name_of(Some(time), "time"),
            tokens_in_name: name_of(tokens_in, "tokens_in"),
            tokens_out_name: name_of(tokens_out, "tokens_out"),
            path: path_buf,
            reader,
            record: csv::ByteRecord::new(),
            format,
            kind: TimeKind::Seconds,
            cols: Columns { time, tokens_in, tokens_out },
            min_fields,
            scale: Scale::new(speedup),
            prev_ns: 0,
            prev_line: header_line,
            first_line: header_line + 1,
            line: header_line,
            crlf,
            pending: None,
        };

        if !trace.read_record()? {
            return Err(TraceError::Empty { path: trace.path, detail: "only a header" });
        }
        trace.first_line = trace.line;
        trace.check_len()?;
        let field = trace.record[trace.cols.time].trim_ascii();
        trace.kind = match format {
            RequestFormat::AzureLlm => TimeKind::Azure { start: trace.parse_azure(field)? },
            RequestFormat::Csv => match parse_seconds(field) {
                Ok(_) => TimeKind::Seconds,
                Err(SecondsError::NotANumber) => match std::str::from_utf8(field).ok().map(str::parse::<Timestamp>) {
                    Some(Ok(ts)) => TimeKind::Rfc3339 { start: ts.as_nanosecond() },
                    _ => {
                        return Err(trace.invalid(format!(
                            "{} {} is neither seconds from the start nor an RFC 3339 timestamp \
                             (expected e.g. 12.5 or 2023-11-16T18:15:46.68Z)",
                            trace.time_name,
                            quote(field)
                        )));
                    }
                },
                Err(e) => return Err(trace.seconds_error(field, e)),
            },
        };
        let request = trace.parse_record()?;
        trace.pending = Some(request);
        Ok(trace)
    }

    /// Whether the file has a column of input (prompt) tokens.
    pub fn has_tokens_in(&self) -> bool {
        self.cols.tokens_in.is_some()
    }

    /// Whether the file has a column of output tokens.
    pub fn has_tokens_out(&self) -> bool {
        self.cols.tokens_out.is_some()
    }

    /// The path it reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next request, `Ok(None)` at the end of the trace.
    #[inline]
    pub fn next_request(&mut self) -> Result<Option<TraceRequest>, TraceError> {
        if let Some(r) = self.pending.take() {
            return Ok(Some(r));
        }
        if !self.read_record()? {
            return Ok(None);
        }
        self.parse_record().map(Some)
    }

    /// Reads the next record into `self.record`; `false` at the end of the file.
    #[inline]
    fn read_record(&mut self) -> Result<bool, TraceError> {
        let read = self.reader.read_byte_record(&mut self.record);
        // The budget bounds one row: a file without line breaks fails after it, not at its end.
        self.reader.get_mut().renew();
        match read {
            Ok(more) => {
                if more {
                    self.line = self.record.position().map_or(self.line + 1, |p| p.line() + u64::from(self.crlf));
                }
                Ok(more)
            }
            Err(_) if self.reader.get_ref().exceeded() => {
                Err(TraceError::RowTooLong { path: self.path.clone(), line: self.line + 1, limit: MAX_ROW_BYTES })
            }
            Err(cause) => {
                let line = cause.position().map_or(self.line + 1, |p| p.line());
                Err(TraceError::Read { path: self.path.clone(), line, cause })
            }
        }
    }

    #[inline]
    fn check_len(&self) -> Result<(), TraceError> {
        if self.record.len() < self.min_fields {
            return Err(self.short_row());
        }
        Ok(())
    }

    #[cold]
    fn short_row(&self) -> TraceError {
        let mut needed = vec![(self.cols.time, self.time_name.as_str())];
        if let Some(i) = self.cols.tokens_in {
            needed.push((i, self.tokens_in_name.as_str()));
        }
        if let Some(i) = self.cols.tokens_out {
            needed.push((i, self.tokens_out_name.as_str()));
        }
        let missing: Vec<String> = needed
            .iter()
            .filter(|(i, _)| *i >= self.record.len())
            .map(|(i, n)| format!("{n:?} (column {})", i + 1))
            .collect();
        self.invalid(format!(
            "the row has {} field{}; expected at least {} (missing {})",
            self.record.len(),
            if self.record.len() == 1 { "" } else { "s" },
            self.min_fields,
            missing.join(", ")
        ))
    }

    /// Parses the record in `self.record` (whose time kind is already decided).
    #[inline]
    fn parse_record(&mut self) -> Result<TraceRequest, TraceError> {
        self.check_len()?;
        let field = self.record[self.cols.time].trim_ascii();
        let rel: i128 = match self.kind {
            TimeKind::Seconds => match parse_seconds(field) {
                Ok(ns) => i128::from(ns),
                Err(e) => return Err(self.seconds_error(field, e)),
            },
            TimeKind::Rfc3339 { start } => match std::str::from_utf8(field).map(str::parse::<Timestamp>) {
                Ok(Ok(ts)) => ts.as_nanosecond() - start,
                Ok(Err(e)) => return Err(self.rfc3339_error(field, Some(e))),
                Err(_) => return Err(self.rfc3339_error(field, None)),
            },
            TimeKind::Azure { start } => {
                let dt = self.parse_azure(field)?;
                dt.duration_since(start).as_nanos()
            }
        };
        if rel < i128::from(self.prev_ns) {
            return Err(self.out_of_order(field, rel));
        }
        let Ok(ns) = u64::try_from(rel) else {
            return Err(self.invalid(format!(
                "{} {} is {} s from the start; expected at most {} s",
                self.time_name,
                quote(field),
                fmt_secs(rel),
                fmt_secs(i128::from(u64::MAX))
            )));
        };
        let Some(time) = self.scale.apply(ns) else {
            return Err(self.invalid(format!(
                "{} {} is {} s from the start, too late once divided by the speedup; \
                 expected at most {} s after the speedup",
                self.time_name,
                quote(field),
                fmt_secs(rel),
                fmt_secs(i128::from(u64::MAX))
            )));
        };
        let tokens_in = match self.cols.tokens_in {
            Some(i) => self.tokens(i, false)?,
            None => 0,
        };
        let tokens_out = match self.cols.tokens_out {
            Some(i) => self.tokens(i, true)?,
            None => 0,
        };
        self.prev_ns = ns;
        self.prev_line = self.line;
        Ok(TraceRequest { time: SimTime(time), tokens_in, tokens_out })
    }

    #[inline]
    fn tokens(&self, i: usize, out: bool) -> Result<u32, TraceError> {
        let field = self.record[i].trim_ascii();
        parse_tokens(field).map_err(|e| {
            let name = if out { &self.tokens_out_name } else { &self.tokens_in_name };
            let what = match e {
                TokensError::NotAnInteger => "is not a token count",
                TokensError::Negative => "is negative",
                TokensError::TooLarge => "is too large",
            };
            self.invalid(format!("{name} {} {what}; expected a non-negative integer up to {}", quote(field), u32::MAX))
        })
    }

    /// Parses an Azure-format civil UTC date-time.
    fn parse_azure(&self, field: &[u8]) -> Result<DateTime, TraceError> {
        let has_offset = field.len() > 10 && field[10..].iter().any(|b| matches!(b, b'+' | b'-' | b'Z' | b'z' | b'['));
        let parsed = match std::str::from_utf8(field) {
            Ok(s) if !has_offset => s.parse::<DateTime>().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| {
            self.invalid(format!(
                "{} {} is not a date and time like 2023-11-16 18:15:46.6805900 \
                 (UTC, up to 9 fractional digits, no offset)",
                self.time_name,
                quote(field)
            ))
        })
    }

    #[cold]
    fn seconds_error(&self, field: &[u8], e: SecondsError) -> TraceError {
        let name = &self.time_name;
        let q = quote(field);
        let message = match e {
            SecondsError::Negative => {
                format!("{name} {q} is negative; expected seconds from the start (0 or more)")
            }
            SecondsError::TooLarge => format!(
                "{name} {q} is too large; expected seconds from the start up to {}",
                fmt_secs(i128::from(u64::MAX))
            ),
            SecondsError::NotANumber => format!(
                "{name} {q} is not seconds from the start; expected a non-negative decimal number, \
                 as the first request's time (line {}) is",
                self.first_line
            ),
        };
        self.invalid(message)
    }

    #[cold]
    fn rfc3339_error(&self, field: &[u8], e: Option<jiff::Error>) -> TraceError {
        let detail = match e {
            Some(e) => format!(" ({e})"),
            None => String::new(),
        };
        self.invalid(format!(
            "{} {} is not an RFC 3339 timestamp{detail}; expected one like 2023-11-16T18:15:46.68Z, \
             as the first request's time (line {}) is",
            self.time_name,
            quote(field),
            self.first_line
        ))
    }

    #[cold]
    fn out_of_order(&self, field: &[u8], rel: i128) -> TraceError {
        TraceError::OutOfOrder {
            path: self.path.clone(),
            line: self.line,
            found: quote(field),
            found_secs: fmt_secs(rel),
            previous_secs: fmt_secs(i128::from(self.prev_ns)),
            previous_line: self.prev_line,
        }
    }

    #[cold]
    fn invalid(&self, message: String) -> TraceError {
        TraceError::Invalid { path: self.path.clone(), line: self.line, message }
    }
}

impl Iterator for RequestTrace {
    type Item = Result<TraceRequest, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_request().transpose()
    }
}

/// Counts requests and checks the whole file (used by `fleetsim validate`): (number of requests, time of the last request).
pub fn scan(path: &Path, format: RequestFormat, speedup: f64) -> Result<(u64, SimTime), TraceError> {
    let mut trace = RequestTrace::open(path, format, speedup)?;
    let mut count = 0u64;
    let mut last = SimTime::ZERO;
    while let Some(r) = trace.next_request()? {
        count += 1;
        last = r.time;
    }
    Ok((count, last))
}
