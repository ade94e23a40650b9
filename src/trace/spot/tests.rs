//! Tests of the spot availability and price readers, including the real traces.

use super::csv_reader::parse_seconds;
use super::*;
use crate::trace::requests::SecondsError;

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
    let s = sky_avail(r#"{"metadata": {"gap_seconds": 32.5, "x": 1}, "data": [1, 3.0, 3], "prices": [0.9, 0.9, 0.9]}"#)
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
    sky_avail_err(r#"{"metadata": {"gap_seconds": 1e-12}, "data": [1]}"#, &["metadata.gap_seconds", "not positive"]);
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
    let e = sky_avail_err("{\"metadata\": {\"gap_seconds\": 10},\n \"data\": [1, 2,]}", &["invalid JSON", "line 2"]);
    assert!(matches!(e, SpotTraceError::JsonSyntax { .. }));
    sky_avail_err(r#"{"metadata": {"gap_seconds": 10}, "data": [NaN]}"#, &["invalid JSON", "column"]);
    sky_avail_err("", &["the spot trace is empty (the file is empty)"]);
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
        // The OS's reason is in the message once: not also a `source()` that `{:#}` would print again.
        assert!(std::error::Error::source(&e).is_none(), "{e:?}");
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

#[test]
fn empty_json_files_and_byte_order_marks() {
    for contents in ["", " \n"] {
        let e = sky_avail_err(contents, &["the spot trace is empty (the file is empty)"]);
        assert!(matches!(e, SpotTraceError::Empty { .. }));
        aws_err(contents, None, None, &["the spot trace is empty (the file is empty)"]);
        sky_prices_err(contents, None, Some(Duration::from_secs(1)), &["the spot trace is empty (the file is empty)"]);
    }
    let series = sky_avail("\u{feff}{\"metadata\": {\"gap_seconds\": 10}, \"data\": [2, 0]}").unwrap();
    assert_eq!(pts(&series), [(0, 2.0), (10 * S, 0.0)]);
}

#[test]
fn prices_are_bounded() {
    let csv = |price: &str| {
        let (_d, p) = write("p.csv", &format!("time,zone,price\n0,z1,{price}\n"));
        read_prices(&p, PriceFormat::Csv, None, None, None, None)
    };
    assert!(csv("999999.99").is_ok());
    check_msg(
        csv("1e300").unwrap_err(),
        "p.csv:2",
        &["price \"1e300\" is above the limit of 1000000 $ per instance-hour"],
    );
    check_msg(csv("1000000").unwrap_err(), "p.csv:2", &["is above the limit"]);
    aws_err(
        r#"[{"AvailabilityZone": "z1", "SpotPrice": "1e7", "Timestamp": "2023-02-15T00:00:00Z"}]"#,
        None,
        None,
        &["[0].SpotPrice: 10000000 is above the limit"],
    );
    sky_prices_err(
        r#"{"z1_v100_1": [1, 2e6]}"#,
        None,
        Some(Duration::from_secs(1)),
        &["\"z1_v100_1\"[1]:", "is above the limit"],
    );
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
    // Equal times with equal values are one point (integral floats are integers); with different
    // values they are ambiguous and refused.
    let m = avail_csv("time,zone,available\n0,z,1\n10,z,3\n10,z,3.0\n", None, None).unwrap();
    assert_eq!(pts(&m["z"]), [(0, 1.0), (10 * S, 3.0)]);
    let err = avail_csv("time,zone,available\n0,z,1\n10,z,2\n10,z,3\n", None, None).unwrap_err().to_string();
    assert!(
        err.ends_with(":4: zone \"z\" has two rows at time \"10\" with different availables, 2 (line 3) and 3; expected one value per zone and time"),
        "{err}"
    );
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
               2023-02-15T01:30:00+01:00,b,2\n";
    let m = avail_csv(csv, None, None).unwrap();
    assert_eq!(pts(&m["a"]), [(0, 1.0), (1200 * S, 0.0)]);
    assert_eq!(pts(&m["b"]), [(0, 4.0), (1800 * S, 2.0)]); // 01:30+01:00 is 00:30Z.
    // The zone filter does not move time 0.
    let m = avail_csv(csv, Some("a"), None).unwrap();
    assert_eq!(pts(&m["a"]), [(0, 1.0), (1200 * S, 0.0)]);
    assert_eq!(m["a"].next_change_after(SimTime::ZERO), Some(secs(1200)));
    // With a start: rows before it collapse to time 0 (latest wins), later rows are relative to it.
    let (_d, p) = write("a.csv", csv);
    let m = read_availability(&p, AvailabilityFormat::Csv, None, None, Some(ts("2023-02-15T00:15:00Z"))).unwrap();
    assert_eq!(pts(&m["a"]), [(0, 1.0), (300 * S, 0.0)]);
    assert_eq!(pts(&m["b"]), [(0, 4.0), (900 * S, 2.0)]);
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
    for (bad, why) in [("-0.1", "negative"), ("NaN", "not a finite"), ("inf", "not a finite"), ("$1", "not a number")] {
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
    assert_eq!(pts(&m["us-east-1a"]), [(0, 0.99), (2 * 3600 * S, 0.93), (5 * 3600 * S, 0.918), (6 * 3600 * S, 0.95)]);
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
    aws_err(&doc(std::slice::from_ref(&ok)), Some("us-east-1a"), None, &["no data for zone \"us-east-1a\"", "\"z\""]);
    aws_err(AWS, None, Some("m5.large"), &["no data for instance type \"m5.large\"", "\"g5.xlarge\", \"p3.2xlarge\""]);
    aws_err(AWS, None, None, &["SpotPriceHistory[4].InstanceType", "\"p3.2xlarge\"", "\"g5.xlarge\"", "instance type"]);
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

fn repo_trace(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/traces/")).join(rel)
}

#[test]
fn real_availability_1_node_us_east_1a() {
    let path = repo_trace("spot-availability/availability/1-node/aws-02-15-2023/us-east-1a_v100_1.json");
    let m = read_availability(&path, AvailabilityFormat::SkypilotAvailability, Some("us-east-1a"), None, None).unwrap();
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
    let path = repo_trace("spot-availability/availability/16-node/aws-08-27-2023/us-west-2a_v100_1.json");
    let m = read_availability(&path, AvailabilityFormat::SkypilotAvailability, Some("us-west-2a"), None, None).unwrap();
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
    let path = repo_trace("spot-availability/preemption/1-node/aws-04-22-2023/us-east-1c_v100_1.json");
    let m = read_availability(&path, AvailabilityFormat::SkypilotAvailability, Some("us-east-1c"), None, None).unwrap();
    let s = &m["us-east-1c"];
    assert!(s.points().all(|(t, v)| t.0 % (32 * S) == 0 && (v == 0.0 || v == 1.0)));
    // 6274 of 19961 ticks available (counted with Python).
    assert_eq!(s.integrate(SimTime::ZERO, secs(19961 * 32)), (6274 * 32) as f64);
}

#[test]
fn real_prices_us_east_1a() {
    let path = repo_trace("spot-prices/aws_v100_spot_prices.json");
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

#[test]
fn traces_larger_than_the_limit_are_refused_by_bytes_read() {
    // A valid file of about 300 KiB read with a 100 KiB limit: refused once the limit (and at
    // most one 64 KiB read more) is passed, whatever the file's metadata says.
    let data: Vec<String> = (0..100_000).map(|i| (i % 2).to_string()).collect();
    let doc = format!(r#"{{"metadata": {{"gap_seconds": 1}}, "data": [{}]}}"#, data.join(", "));
    let (_d, p) = write("big.json", &doc);
    let err = super::json_readers::read_skypilot_availability(&p, 100 << 10).unwrap_err();
    assert!(
        err.to_string().contains("holds more than 100 KiB (read so far); spot traces may be at most 100 KiB"),
        "{err}"
    );
    assert!(super::json_readers::read_skypilot_availability(&p, 1 << 20).is_ok());
    let err = super::aws_json::read_aws_json(&p, None, None, None, 100 << 10).unwrap_err();
    assert!(err.to_string().contains("holds more than"), "{err}");
}

#[test]
fn series_from_json_are_compact_and_exact() {
    // Alternating values: every tick a change, kept as a one-byte index and a 4-byte tick.
    let data: Vec<String> = (0..10_000).map(|i| (i % 2).to_string()).collect();
    let s = sky_avail(&format!(r#"{{"metadata": {{"gap_seconds": 32}}, "data": [{}]}}"#, data.join(","))).unwrap();
    assert_eq!(s.len(), 10_000);
    assert_eq!(s.value_at(secs(32 * 9_999)), 1.0);
    assert_eq!(s.next_change_after(secs(32 * 5_000)), Some(secs(32 * 5_001)));
    assert_eq!(s.integrate(SimTime::ZERO, secs(32 * 10_000)), 32.0 * 5_000.0);
    // 300 distinct prices: the values table gives way to plain values, with the same points.
    let prices: Vec<String> = (0..300).map(|i| format!("{}.5", i)).collect();
    let m = sky_prices(&format!(r#"{{"z_a": [{}]}}"#, prices.join(",")), None, Some(Duration::from_secs(10))).unwrap();
    let expected: Vec<(u64, f64)> = (0..300).map(|i| (i * 10 * S, i as f64 + 0.5)).collect();
    assert_eq!(pts(&m["z"]), expected);
}
