//! Tests of the request-trace readers, including the real Azure conversation trace.

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
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/traces/")).join(CONV)
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
    for bad in
        [&b""[..], b".", b"+", b"-", b"e5", b"1e", b"1e+", b"abc", b"1.2.3", b"1,5", b"nan", b"inf", b"0x10", b"1 2"]
    {
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
    let r = read_all(" Input_Tokens ,TIME, output_tokens,extra\n3,0.5,4,whatever\n", RequestFormat::Csv, 1.0).unwrap();
    assert_eq!(r, [req(500_000_000, 3, 4)]);
    let r = read_all("context_tokens,generated_tokens,time\n5,6,0\n", RequestFormat::Csv, 1.0).unwrap();
    assert_eq!(r, [req(0, 5, 6)]);
}

#[test]
fn missing_token_columns_are_zero() {
    assert_eq!(read_all("time\n0\n2\n", RequestFormat::Csv, 1.0).unwrap(), [req(0, 0, 0), req(2_000_000_000, 0, 0)]);
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
    let err = RequestTrace::open(&missing, RequestFormat::Csv, 1.0).unwrap_err();
    // The OS's reason is in the message once: not also a `source()` that `{:#}` would print again.
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
    let msg = err.to_string();
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
    let msg = error(b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:4\xff,1,1\n", RequestFormat::AzureLlm);
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

/// CRLF line endings (the real Azure traces have them) give the same lines as LF: the row on
/// line 4 is line 4, and so is the previous request's line. Before, both were one line early
/// (`x.csv:3:` … `line 2`): the reader counts a row's leading `\n` only after the row starts.
#[test]
fn crlf_files_report_the_same_lines_as_lf() {
    for ending in ["\n", "\r\n"] {
        let text = ["time", "0", "5", "4.5", ""].join(ending);
        let msg = error(text.as_bytes(), RequestFormat::Csv);
        assert!(msg.contains("x.csv:4: time \"4.5\""), "{ending:?}: {msg}");
        assert!(msg.contains("(5 s, line 3)"), "{ending:?}: {msg}");
        let text =
            ["TIMESTAMP,ContextTokens,GeneratedTokens", "2023-11-16 18:15:46.5,1,1", "2023-11-16 18:15:47,x,1", ""]
                .join(ending);
        let msg = error(text.as_bytes(), RequestFormat::AzureLlm);
        assert!(msg.contains("x.csv:3: ContextTokens \"x\""), "{ending:?}: {msg}");
        // A quoted field over two lines: the next row is still on its own line.
        let text = ["time,note", "0,\"a", "b\"", "zz,ok", ""].join(ending);
        let msg = error(text.as_bytes(), RequestFormat::Csv);
        assert!(msg.contains("x.csv:4:"), "{ending:?}: {msg}");
    }
}
