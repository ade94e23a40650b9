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

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::DateTime;

use crate::engine::SimTime;

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
    #[error("{}: cannot open the request trace: {source}", .path.display())]
    Open {
        /// The trace file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The path names a directory, not a file.
    #[error("{}: is a directory; expected a request trace file", .path.display())]
    IsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Reading the file failed part-way (an I/O error).
    #[error("{}:{line}: cannot read the request trace: {source}", .path.display())]
    Read {
        /// The trace file.
        path: PathBuf,
        /// The line being read when the error happened.
        line: u64,
        /// The underlying error.
        source: csv::Error,
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

/// How output times are derived from trace times: `time / speedup`, rounded to nearest.
#[derive(Clone, Copy, Debug)]
enum Scale {
    /// Speedup 1: times as they are.
    One,
    /// Exact: `(ns << shift) / denom`, rounded half up (`speedup = denom / 2^shift`).
    Exact { shift: u32, denom: u128 },
    /// Speedups too extreme for the exact form: floating-point division.
    Float(f64),
}

impl Scale {
    fn new(speedup: f64) -> Scale {
        if speedup == 1.0 {
            return Scale::One;
        }
        // speedup = m · 2^e exactly, with m odd.
        let bits = speedup.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        let (mut m, mut e) = if exp == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp - 1075) };
        if m == 0 {
            return Scale::Float(speedup);
        }
        let tz = m.trailing_zeros();
        m >>= tz;
        e += tz as i32;
        if e >= 0 {
            // denom = m · 2^e must fit in u128 (m < 2^53).
            if e <= 74 {
                return Scale::Exact { shift: 0, denom: (m as u128) << e };
            }
        } else if -e <= 63 {
            // ns < 2^64, so ns << 63 < 2^127.
            return Scale::Exact { shift: (-e) as u32, denom: m as u128 };
        }
        Scale::Float(speedup)
    }

    /// `ns / speedup` rounded to the nearest nanosecond; `None` if it does not fit in u64.
    #[inline]
    fn apply(self, ns: u64) -> Option<u64> {
        match self {
            Scale::One => Some(ns),
            Scale::Exact { shift, denom } => {
                let num = (ns as u128) << shift;
                let q = (num + denom / 2) / denom;
                u64::try_from(q).ok()
            }
            Scale::Float(s) => {
                let v = (ns as f64 / s).round();
                if (0.0..18_446_744_073_709_551_616.0).contains(&v) { Some(v as u64) } else { None }
            }
        }
    }
}

/// Why a field is not decimal seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SecondsError {
    NotANumber,
    Negative,
    TooLarge,
}

/// Parses non-negative decimal seconds (`12`, `0.25`, `.5`, `1e-3`, `+3`) into nanoseconds exactly,
/// rounding digits beyond the nanosecond half up.
fn parse_seconds(s: &[u8]) -> Result<u64, SecondsError> {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mant, exp) = match s.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mant.iter().position(|&b| b == b'.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, &[][..]),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
    {
        return Err(SecondsError::NotANumber);
    }
    let exp: i64 = match exp {
        None => 0,
        Some(e) => {
            let (eneg, digits) = match e.first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(SecondsError::NotANumber);
            }
            let mut v: i64 = 0;
            for &d in digits {
                v = (v * 10 + i64::from(d - b'0')).min(1_000_000);
            }
            if eneg { -v } else { v }
        }
    };
    let nonzero = int.iter().chain(frac).any(|&b| b != b'0');
    if !nonzero {
        return Ok(0);
    }
    if neg {
        return Err(SecondsError::Negative);
    }
    // The digits int ++ frac, scaled by 10^(9 + exp - frac.len()): keep the first `keep` of them.
    let n = (int.len() + frac.len()) as i64;
    let keep = int.len() as i64 + 9 + exp;
    let digit = |i: usize| -> u64 {
        let b = if i < int.len() { int[i] } else { frac[i - int.len()] };
        u64::from(b - b'0')
    };
    if keep < 0 {
        return Ok(0);
    }
    let mut v: u64 = 0;
    for i in 0..keep.min(n) as usize {
        v = v.checked_mul(10).and_then(|v| v.checked_add(digit(i))).ok_or(SecondsError::TooLarge)?;
    }
    if keep > n {
        // All digits kept and v > 0, so this overflows within 20 steps if it is going to.
        for _ in 0..keep - n {
            v = v.checked_mul(10).ok_or(SecondsError::TooLarge)?;
        }
    } else if keep < n && digit(keep as usize) >= 5 {
        v = v.checked_add(1).ok_or(SecondsError::TooLarge)?;
    }
    Ok(v)
}

/// Why a field is not a token count.
enum TokensError {
    NotAnInteger,
    Negative,
    TooLarge,
}

/// Parses a non-negative integer that fits in u32.
#[inline]
fn parse_tokens(s: &[u8]) -> Result<u32, TokensError> {
    if s.is_empty() {
        return Err(TokensError::NotAnInteger);
    }
    let mut v: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(if s[0] == b'-' && s.len() > 1 && s[1..].iter().all(u8::is_ascii_digit) {
                TokensError::Negative
            } else {
                TokensError::NotAnInteger
            });
        }
        v = v * 10 + u64::from(d);
        if v > u64::from(u32::MAX) {
            return Err(if s.iter().all(u8::is_ascii_digit) {
                TokensError::TooLarge
            } else {
                TokensError::NotAnInteger
            });
        }
    }
    Ok(v as u32)
}

/// A field quoted for an error message (escaped if it is not UTF-8, shortened if very long).
fn quote(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let (shown, cut) = if bytes.len() > MAX { (&bytes[..MAX], true) } else { (bytes, false) };
    let mut out = match std::str::from_utf8(shown) {
        Ok(s) => format!("{s:?}"),
        Err(e) if cut && e.error_len().is_none() => {
            // Cut inside a multi-byte character: drop the partial character.
            let s = std::str::from_utf8(&shown[..e.valid_up_to()]).unwrap_or_default();
            format!("{s:?}")
        }
        Err(_) => format!("\"{}\" (not valid UTF-8)", shown.escape_ascii()),
    };
    if cut {
        out.push_str("...");
    }
    out
}

/// Signed nanoseconds as decimal seconds: `12.5`, `-0.000000001`, `3`.
fn fmt_secs(ns: i128) -> String {
    let mut s = String::new();
    if ns < 0 {
        s.push('-');
    }
    let a = ns.unsigned_abs();
    let (whole, frac) = (a / 1_000_000_000, a % 1_000_000_000);
    let _ = write!(s, "{whole}");
    if frac != 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// The columns a reader needs, found in the header.
struct Columns {
    time: usize,
    tokens_in: Option<usize>,
    tokens_out: Option<usize>,
}

/// A streaming reader: yields requests in file order.
pub struct RequestTrace {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
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
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => return Err(TraceError::IsDirectory { path: path_buf }),
            Ok(_) => {}
            Err(source) => {
                return Err(TraceError::Open { path: path_buf, source });
            }
        }
        let file = File::open(path).map_err(|source| TraceError::Open { path: path_buf.clone(), source })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(BufReader::with_capacity(64 * 1024, file));

        let header = match reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(source) => {
                let line = source.position().map_or(1, |p| p.line());
                return Err(TraceError::Read { path: path_buf, line, source });
            }
        };
        let header_line = header.position().map_or(1, |p| p.line()).max(1);
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
        match self.reader.read_byte_record(&mut self.record) {
            Ok(more) => {
                if more {
                    self.line = self.record.position().map_or(self.line + 1, |p| p.line());
                }
                Ok(more)
            }
            Err(source) => {
                let line = source.position().map_or(self.line + 1, |p| p.line());
                Err(TraceError::Read { path: self.path.clone(), line, source })
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

#[cfg(test)]
mod tests {
    use super::*;

    const CONV: &str = "azure-llm-2023/AzureLLMInferenceTrace_conv.csv";

    /// Writes `contents` to `<tempdir>/<name>` and returns (dir guard, path).
    fn write(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        (dir, path)
    }

    fn read_all(contents: &str, format: RequestFormat, speedup: f64) -> Result<Vec<TraceRequest>, TraceError> {
        let (_dir, path) = write("t.csv", contents.as_bytes());
        let mut trace = RequestTrace::open(&path, format, speedup)?;
        let mut out = Vec::new();
        while let Some(r) = trace.next_request()? {
            out.push(r);
        }
        Ok(out)
    }

    fn times(contents: &str, format: RequestFormat, speedup: f64) -> Vec<u64> {
        read_all(contents, format, speedup).unwrap().iter().map(|r| r.time.0).collect()
    }

    /// The error message for `contents` in a file named `x.csv`.
    fn error(contents: &[u8], format: RequestFormat) -> String {
        let (_dir, path) = write("x.csv", contents);
        let result = (|| {
            let mut trace = RequestTrace::open(&path, format, 1.0)?;
            while trace.next_request()?.is_some() {}
            Ok::<_, TraceError>(())
        })();
        let msg = result.expect_err("expected an error").to_string();
        assert!(msg.contains("x.csv"), "message does not name the file: {msg}");
        msg
    }

    fn req(t: u64, i: u32, o: u32) -> TraceRequest {
        TraceRequest { time: SimTime(t), tokens_in: i, tokens_out: o }
    }

    fn conv_path() -> PathBuf {
        let rel = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/traces/")).join(CONV);
        if rel.exists() {
            return rel;
        }
        let abs = PathBuf::from("/work/shared/traces/").join(CONV);
        assert!(abs.exists(), "the Azure conv trace is missing: looked at {} and {}", rel.display(), abs.display());
        abs
    }

    #[test]
    fn decimal_seconds_are_exact() {
        let t = times("time\n0\n0.1\n0.25\n1\n12.000000001\n12.5\n100.123456789\n", RequestFormat::Csv, 1.0);
        assert_eq!(t, [0, 100_000_000, 250_000_000, 1_000_000_000, 12_000_000_001, 12_500_000_000, 100_123_456_789]);
    }

    #[test]
    fn decimal_seconds_forms() {
        assert_eq!(parse_seconds(b"0.3"), Ok(300_000_000));
        assert_eq!(parse_seconds(b".5"), Ok(500_000_000));
        assert_eq!(parse_seconds(b"5."), Ok(5_000_000_000));
        assert_eq!(parse_seconds(b"+2"), Ok(2_000_000_000));
        assert_eq!(parse_seconds(b"-0"), Ok(0));
        assert_eq!(parse_seconds(b"-0.000"), Ok(0));
        assert_eq!(parse_seconds(b"1e-3"), Ok(1_000_000));
        assert_eq!(parse_seconds(b"1.5E2"), Ok(150_000_000_000));
        assert_eq!(parse_seconds(b"1e-9"), Ok(1));
        assert_eq!(parse_seconds(b"1e-10"), Ok(0));
        assert_eq!(parse_seconds(b"0.0000000005"), Ok(1)); // half up
        assert_eq!(parse_seconds(b"0.0000000004999"), Ok(0));
        assert_eq!(parse_seconds(b"0.1234567899"), Ok(123_456_790));
        assert_eq!(parse_seconds(b"000000000000000000000000000007"), Ok(7_000_000_000));
        assert_eq!(parse_seconds(b"18446744073.709551615"), Ok(u64::MAX));
        assert_eq!(parse_seconds(b"18446744073.709551616"), Err(SecondsError::TooLarge));
        assert_eq!(parse_seconds(b"1e1000000000000"), Err(SecondsError::TooLarge));
        assert_eq!(parse_seconds(b"1e-1000000000000"), Ok(0));
        assert_eq!(parse_seconds(b"-1.5"), Err(SecondsError::Negative));
        for bad in [
            &b""[..],
            b".",
            b"+",
            b"-",
            b"e5",
            b"1e",
            b"1e+",
            b"abc",
            b"1.2.3",
            b"1,5",
            b"nan",
            b"inf",
            b"0x10",
            b"1 2",
        ] {
            assert_eq!(parse_seconds(bad), Err(SecondsError::NotANumber), "{:?}", bad.escape_ascii().to_string());
        }
    }

    #[test]
    fn rfc3339_is_relative_to_the_first_row() {
        let t = times(
            "time\n2023-11-16T18:15:46.68Z\n2023-11-16T18:15:47Z\n2023-11-16T19:15:47.000000001+01:00\n2023-11-16T18:16:46.68Z\n",
            RequestFormat::Csv,
            1.0,
        );
        assert_eq!(t, [0, 320_000_000, 320_000_001, 60_000_000_000]);
    }

    #[test]
    fn azure_format_with_seven_fractional_digits() {
        let text = "TIMESTAMP,ContextTokens,GeneratedTokens\n\
                    2023-11-16 18:15:46.6805900,374,44\n\
                    2023-11-16 18:15:50.9951690,396,109\n\
                    2023-11-16 18:15:50.995169012,1,2\n\
                    2023-11-17 00:00:00,0,0\n";
        let r = read_all(text, RequestFormat::AzureLlm, 1.0).unwrap();
        assert_eq!(
            r,
            [
                req(0, 374, 44),
                req(4_314_579_000, 396, 109),
                req(4_314_579_012, 1, 2),
                req((5 * 3600 + 44 * 60 + 13) * 1_000_000_000 + 319_410_000, 0, 0),
            ]
        );
    }

    #[test]
    fn azure_columns_in_any_order_and_case() {
        let text = "generatedtokens , TimeStamp,CONTEXTTOKENS\n7,2023-11-16 18:15:46,3\n";
        assert_eq!(read_all(text, RequestFormat::AzureLlm, 1.0).unwrap(), [req(0, 3, 7)]);
    }

    #[test]
    fn speedup_divides_times() {
        let text = "time\n0\n1\n3\n10.000000001\n";
        assert_eq!(times(text, RequestFormat::Csv, 2.0), [0, 500_000_000, 1_500_000_000, 5_000_000_001]); // 0.5 ns rounds up
        assert_eq!(times(text, RequestFormat::Csv, 0.5), [0, 2_000_000_000, 6_000_000_000, 20_000_000_002]);
        assert_eq!(times(text, RequestFormat::Csv, 3.0), [0, 333_333_333, 1_000_000_000, 3_333_333_334]);
        assert_eq!(times(text, RequestFormat::Csv, 0.1), [0, 10_000_000_000, 30_000_000_000, 100_000_000_010]);
        let azure = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.0,1,1\n2023-11-16 18:15:47.0,1,1\n";
        assert_eq!(times(azure, RequestFormat::AzureLlm, 2.0), [0, 500_000_000]);
        let rfc = "time\n2023-11-16T18:15:46Z\n2023-11-16T18:15:50Z\n";
        assert_eq!(times(rfc, RequestFormat::Csv, 2.0), [0, 2_000_000_000]);
        // Extreme speedups use floating point and still never panic.
        assert_eq!(times(text, RequestFormat::Csv, 1e300), [0, 0, 0, 0]);
        assert!(read_all("time\n0\n1\n", RequestFormat::Csv, 1e-30).is_err());
    }

    #[test]
    fn scale_matches_exact_division() {
        for &s in &[2.0, 0.5, 3.0, 1.5, 0.1, 7.25, 1000.0, 1e-6, 1e20, 5e-324, 1e300] {
            let scale = Scale::new(s);
            for &ns in &[0u64, 1, 999, 1_000_000_000, 123_456_789_012, 1 << 40] {
                let expect = (ns as f64 / s).round();
                let got = scale.apply(ns);
                if expect < 1e15 {
                    assert_eq!(got, Some(expect as u64), "{ns} / {s}");
                } else if expect >= 18_446_744_073_709_551_616.0 {
                    assert_eq!(got, None, "{ns} / {s}");
                }
            }
        }
    }

    #[test]
    fn speedup_must_be_positive_and_finite() {
        let (_dir, path) = write("x.csv", b"time\n0\n");
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let msg = RequestTrace::open(&path, RequestFormat::Csv, s).unwrap_err().to_string();
            assert!(msg.contains("x.csv") && msg.contains("speedup"), "{msg}");
        }
    }

    #[test]
    fn overflow_after_speedup_is_an_error() {
        let (_dir, path) = write("x.csv", b"time\n0\n10000000000\n");
        let mut t = RequestTrace::open(&path, RequestFormat::Csv, 1e-10).unwrap();
        assert!(t.next_request().unwrap().is_some());
        let msg = t.next_request().unwrap_err().to_string();
        assert!(msg.contains("x.csv:3:") && msg.contains("speedup"), "{msg}");
    }

    #[test]
    fn token_columns_and_aliases() {
        let r = read_all("time,tokens_in,tokens_out\n0,10,20\n1,4294967295,0\n", RequestFormat::Csv, 1.0).unwrap();
        assert_eq!(r, [req(0, 10, 20), req(1_000_000_000, u32::MAX, 0)]);
        let r =
            read_all(" Input_Tokens ,TIME, output_tokens,extra\n3,0.5,4,whatever\n", RequestFormat::Csv, 1.0).unwrap();
        assert_eq!(r, [req(500_000_000, 3, 4)]);
        let r = read_all("context_tokens,generated_tokens,time\n5,6,0\n", RequestFormat::Csv, 1.0).unwrap();
        assert_eq!(r, [req(0, 5, 6)]);
    }

    #[test]
    fn missing_token_columns_are_zero() {
        assert_eq!(
            read_all("time\n0\n2\n", RequestFormat::Csv, 1.0).unwrap(),
            [req(0, 0, 0), req(2_000_000_000, 0, 0)]
        );
        assert_eq!(read_all("time,tokens_out\n0,9\n", RequestFormat::Csv, 1.0).unwrap(), [req(0, 0, 9)]);
    }

    #[test]
    fn tolerant_of_crlf_bom_quotes_blank_lines_and_extra_fields() {
        let text = "\u{feff}time,tokens_in\r\n\"0\",\" 1 \"\r\n\r\n 2.5 ,3,extra\r\n";
        assert_eq!(read_all(text, RequestFormat::Csv, 1.0).unwrap(), [req(0, 1, 0), req(2_500_000_000, 3, 0)]);
    }

    #[test]
    fn equal_times_are_fine() {
        assert_eq!(times("time\n1\n1\n1.0\n", RequestFormat::Csv, 1.0), [1_000_000_000; 3]);
    }

    #[test]
    fn non_utf8_in_ignored_columns_is_fine() {
        let (_dir, path) = write("x.csv", b"time,note\n0,\xff\xfe\n1,ok\n");
        assert_eq!(scan(&path, RequestFormat::Csv, 1.0).unwrap(), (2, SimTime(1_000_000_000)));
    }

    #[test]
    fn error_unparseable_time() {
        let msg = error(b"time\nabc\n", RequestFormat::Csv);
        assert!(
            msg.ends_with("x.csv:2: time \"abc\" is neither seconds from the start nor an RFC 3339 timestamp (expected e.g. 12.5 or 2023-11-16T18:15:46.68Z)"),
            "{msg}"
        );
        let msg = error(b"time\n0\n1\n\n\n2\nabc\n", RequestFormat::Csv);
        assert!(
            msg.contains("x.csv:7: time \"abc\" is not seconds from the start; expected a non-negative decimal number"),
            "{msg}"
        );
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn error_time_kind_changes() {
        let msg = error(b"time\n0\n2023-11-16T18:15:46Z\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:3:") && msg.contains("is not seconds from the start"), "{msg}");
        let msg = error(b"time\n2023-11-16T18:15:46Z\n5\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:3: time \"5\" is not an RFC 3339 timestamp"), "{msg}");
        let msg = error(b"time\n2023-11-16T18:15:46Z\n2023-11-16T18:15:47\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:3:") && msg.contains("RFC 3339"), "{msg}");
    }

    #[test]
    fn error_negative_seconds() {
        let msg = error(b"time\n-1.5\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:2: time \"-1.5\" is negative; expected seconds from the start"), "{msg}");
        let msg = error(b"time\n0\n1\n-2\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:4:") && msg.contains("negative"), "{msg}");
    }

    #[test]
    fn error_decreasing_time() {
        let msg = error(b"time\n0\n5\n4.5\n", RequestFormat::Csv);
        assert!(
            msg.ends_with("x.csv:4: time \"4.5\" (4.5 s from the start) is earlier than the previous request's time (5 s, line 3); expected non-decreasing times"),
            "{msg}"
        );
        let msg = error(b"time\n2023-11-16T18:15:46Z\n2023-11-16T18:15:45Z\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:3:") && msg.contains("(-1 s from the start) is earlier"), "{msg}");
        let msg = error(
            b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.5,1,1\n2023-11-16 18:15:47,1,1\n2023-11-16 18:15:46.9,1,1\n",
            RequestFormat::AzureLlm,
        );
        assert!(
            msg.contains("x.csv:4:") && msg.contains("(0.4 s from the start)") && msg.contains("(0.5 s, line 3)"),
            "{msg}"
        );
    }

    #[test]
    fn error_bad_tokens() {
        let msg = error(b"time,tokens_in\n0,1\n1,-3\n", RequestFormat::Csv);
        assert!(
            msg.contains("x.csv:3: tokens_in \"-3\" is negative; expected a non-negative integer up to 4294967295"),
            "{msg}"
        );
        let msg = error(b"time,output_tokens\n0,4294967296\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:2: output_tokens \"4294967296\" is too large"), "{msg}");
        let msg = error(b"time,tokens_out\n0,1.5\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:2: tokens_out \"1.5\" is not a token count"), "{msg}");
        let msg = error(b"time,tokens_out\n0,\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:2: tokens_out \"\" is not a token count"), "{msg}");
        let msg = error(b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,x,1\n", RequestFormat::AzureLlm);
        assert!(msg.contains("x.csv:2: ContextTokens \"x\" is not a token count"), "{msg}");
    }

    #[test]
    fn error_short_row() {
        let msg = error(b"time,tokens_in,tokens_out\n0,1,2\n1,1\n", RequestFormat::Csv);
        assert!(
            msg.contains("x.csv:3: the row has 2 fields; expected at least 3 (missing \"tokens_out\" (column 3))"),
            "{msg}"
        );
    }

    #[test]
    fn error_bad_azure_timestamp() {
        let head = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
        for bad in
            ["2023-11-16T18:15:46Z", "2023-11-16 18:15:46+01:00", "yesterday", "1.5", "2023-11-16 18:15:46.1234567891"]
        {
            let msg = error(format!("{head}2023-11-16 18:15:40,1,1\n{bad},1,1\n").as_bytes(), RequestFormat::AzureLlm);
            assert!(
                msg.contains(&format!(
                    "x.csv:3: TIMESTAMP {bad:?} is not a date and time like 2023-11-16 18:15:46.6805900"
                )),
                "{msg}"
            );
        }
    }

    #[test]
    fn error_missing_time_column_names_the_columns() {
        let msg = error(b"when,tokens_in\n0,1\n", RequestFormat::Csv);
        assert!(msg.ends_with("x.csv:1: no \"time\" column; found columns \"when\", \"tokens_in\""), "{msg}");
        let msg = error(b"TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,1\n", RequestFormat::AzureLlm);
        assert!(
            msg.contains("x.csv:1: no \"GeneratedTokens\" column; found columns \"TIMESTAMP\", \"ContextTokens\""),
            "{msg}"
        );
        let msg = error(b"time,tokens_in,input_tokens\n0,1,1\n", RequestFormat::Csv);
        assert!(
            msg.contains("x.csv:1: columns \"tokens_in\" (column 2) and \"input_tokens\" (column 3) both give"),
            "{msg}"
        );
    }

    #[test]
    fn error_empty_trace() {
        let msg = error(b"", RequestFormat::Csv);
        assert!(msg.contains("x.csv: has no requests"), "{msg}");
        let msg = error(b"time,tokens_in\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv: has no requests"), "{msg}");
        let msg = error(b"TIMESTAMP,ContextTokens,GeneratedTokens\n\n\n", RequestFormat::AzureLlm);
        assert!(msg.contains("x.csv: has no requests"), "{msg}");
    }

    #[test]
    fn error_missing_file_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.csv");
        let msg = RequestTrace::open(&missing, RequestFormat::Csv, 1.0).unwrap_err().to_string();
        assert!(msg.contains(&missing.display().to_string()) && msg.contains("cannot open"), "{msg}");
        let msg = scan(dir.path(), RequestFormat::Csv, 1.0).unwrap_err().to_string();
        assert!(msg.contains(&dir.path().display().to_string()) && msg.contains("is a directory"), "{msg}");
    }

    #[test]
    fn error_non_utf8_time() {
        let msg = error(b"time\n0\n\xff1\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:3: time \"\\xff1\" (not valid UTF-8) is not seconds from the start"), "{msg}");
        let msg = error(b"time\n2023-11-16T18:15:46Z\n2023-11-16T18:15:4\xe96Z\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:3:") && msg.contains("not valid UTF-8"), "{msg}");
        let msg =
            error(b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:4\xff,1,1\n", RequestFormat::AzureLlm);
        assert!(msg.contains("x.csv:2:") && msg.contains("not valid UTF-8"), "{msg}");
        let msg = error(b"time,tokens_in\n0,\xff\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:2:") && msg.contains("not valid UTF-8"), "{msg}");
    }

    #[test]
    fn multiline_quoted_field_reports_its_starting_line() {
        let msg = error(b"time,note\n0,\"a\nb\"\nzz,ok\n", RequestFormat::Csv);
        assert!(msg.contains("x.csv:4:"), "{msg}");
    }

    #[test]
    fn random_inputs_never_panic() {
        // A small deterministic generator over an alphabet rich in CSV and number syntax.
        const ALPHABET: &[u8] = b"0123456789.,-+eE:TZ \n\r\"\xff\xc3time_tokens_in";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.csv");
        for i in 0..3000 {
            let len = (next() % 60) as usize;
            let mut bytes: Vec<u8> = match i % 3 {
                0 => b"time,tokens_in,tokens_out\n".to_vec(),
                1 => b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.1,1,1\n".to_vec(),
                _ => Vec::new(),
            };
            bytes.extend((0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]));
            std::fs::write(&path, &bytes).unwrap();
            for format in [RequestFormat::Csv, RequestFormat::AzureLlm] {
                for speedup in [1.0, 2.5] {
                    if let Err(e) = scan(&path, format, speedup) {
                        let _ = e.to_string();
                    }
                }
            }
        }
    }

    #[test]
    fn iterator_yields_the_same_requests() {
        let (_dir, path) = write("x.csv", b"time,tokens_in\n0,1\n1,2\n");
        let all: Result<Vec<_>, _> = RequestTrace::open(&path, RequestFormat::Csv, 1.0).unwrap().collect();
        assert_eq!(all.unwrap(), [req(0, 1, 0), req(1_000_000_000, 2, 0)]);
    }

    #[test]
    fn real_azure_conv_trace() {
        let path = conv_path();
        let mut trace = RequestTrace::open(&path, RequestFormat::AzureLlm, 1.0).unwrap();
        let first = trace.next_request().unwrap().unwrap();
        assert_eq!(first, req(0, 374, 44));
        let mut count = 1u64;
        let mut last = first.time;
        while let Some(r) = trace.next_request().unwrap() {
            assert!(r.time >= last, "times decrease at request {count}");
            last = r.time;
            count += 1;
        }
        assert_eq!(count, 19_366);
        assert!(last >= SimTime(3_000 * 1_000_000_000) && last <= SimTime(4_000 * 1_000_000_000), "{last}");
        // 2023-11-16 19:14:08.4025270 − 18:15:46.6805900 = 3501.721937 s.
        assert_eq!(last, SimTime(3_501_721_937_000));
        assert_eq!(scan(&path, RequestFormat::AzureLlm, 1.0).unwrap(), (19_366, SimTime(3_501_721_937_000)));
        assert_eq!(scan(&path, RequestFormat::AzureLlm, 2.0).unwrap(), (19_366, SimTime(1_750_860_968_500)));
    }
}
