//! Fuzz entry points: one function per `cargo fuzz` target (see `fuzz/README.md`).
//!
//! Each function feeds arbitrary bytes through a reader's public API end to end and returns
//! normally whether the input is accepted or refused: a refusal is an error value, never a panic.
//! The `assert!`s here are invariants every reader must keep (times never go backwards, a series
//! starts at time 0, an error names the file, ...); a fuzzer that trips one has found a bug.
//!
//! The readers take file paths, so each input is written to a scratch file in a per-process,
//! per-thread folder under [`std::env::temp_dir`] (`fleetsim-fuzz-<pid>-<n>/`), reused across
//! iterations. Where a reader has options (format, speedup, zone and instance filters, start,
//! tick), the first byte of the input chooses them and the rest is the file (see each function).
//! The integration test `tests/it/fuzz_regressions.rs` runs the seeds and every saved crash
//! through these same functions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;

use crate::engine::{Duration, SimTime};
use crate::scenario::{self, Override};
use crate::trace::requests::{self, RequestFormat, RequestTrace};
use crate::trace::spot::{self, AvailabilityFormat, PriceFormat, StepSeries};

/// The scratch folder of this thread (created on first use).
fn scratch_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static DIR: PathBuf = {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("fleetsim-fuzz-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir)
                .unwrap_or_else(|e| panic!("fuzz harness: cannot create {}: {e}", dir.display()));
            dir
        };
    }
    DIR.with(PathBuf::clone)
}

/// Writes `data` to the scratch file `name` and returns its path.
fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("fuzz harness: cannot write {}: {e}", path.display()));
    path
}

/// Options decoded from the first input byte, as mixed-radix digits.
struct Options(usize);

impl Options {
    /// Splits `data` into its option byte and the file contents; `None` if `data` is empty.
    fn split(data: &[u8]) -> Option<(Options, &[u8])> {
        let (&first, rest) = data.split_first()?;
        Some((Options(usize::from(first)), rest))
    }

    /// The next choice among `choices`.
    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        let c = choices[self.0 % choices.len()];
        self.0 /= choices.len();
        c
    }
}

/// Every error message names the file it is about.
fn assert_names_file(message: &str, path: &Path) {
    let name = path.display().to_string();
    assert!(message.contains(&name), "the error does not name the file {name}: {message}");
}

// ---------------------------------------------------------------------------------------------
// Scenario

/// Overrides tried when the input gives none of its own.
const OVERRIDES: &[&str] = &[
    "seed=3",
    "horizon=90s",
    "batcher.max_batch_size=32",
    "fleet.pools[0].count=6",
    "workload.arrivals.poisson.rate=300/s",
    "fleet.pools.0.market=spot",
    "name=2024",
    "sweep.replications=2",
];

/// The scenario parser: `data` is a scenario file.
///
/// It is loaded with [`scenario::load_bytes`] as `<scratch>/scenario.yaml` (so relative trace
/// paths resolve inside the scratch folder; nothing is read from them), once as it is and once with
/// `--set` overrides: each line `#set KEY=VALUE` of the input (a YAML comment) is one, at most 4;
/// without such lines one of [`OVERRIDES`] is used, chosen by the input's length. Invariants: an
/// error names the file; the file loads with [`scenario::from_yaml`] exactly when it loads from
/// its path; a loaded scenario is unchanged by `--set seed=<its own seed>` (an override rebuilds
/// the scenario from its raw form, which must keep every value).
pub fn scenario(data: &[u8]) {
    let path = scratch_dir().join("scenario.yaml");
    let plain = scenario::load_bytes(&path, data.to_vec(), &[]);
    if let Err(e) = &plain {
        assert_names_file(&e.to_string(), &path);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let inline = scenario::from_yaml(text);
        assert_eq!(
            inline.is_ok(),
            plain.is_ok(),
            "from_yaml and load_bytes disagree: {:?} vs {:?}",
            inline.err().map(|e| e.to_string()),
            plain.as_ref().err().map(|e| e.to_string())
        );
    }

    if let Ok(loaded) = &plain {
        // `--set` rebuilds the whole scenario from its raw form: an override that sets a key to
        // the value it has must change nothing.
        let seed = loaded.scenario.seed;
        let same = Override::parse(&format!("seed={seed}")).expect("a seed override parses");
        match scenario::load_bytes(&path, data.to_vec(), &[same]) {
            Ok(again) => assert_eq!(
                format!("{:?}", again.scenario),
                format!("{:?}", loaded.scenario),
                "--set seed={seed} (the scenario's own seed) changed the scenario"
            ),
            Err(e) => panic!("--set seed={seed} (the scenario's own seed) refused a scenario that loads: {e}"),
        }
    }

    let text = String::from_utf8_lossy(data);
    let mut overrides: Vec<Override> = text
        .lines()
        .filter_map(|l| l.strip_prefix("#set "))
        .take(4)
        .filter_map(|arg| Override::parse(arg).ok())
        .collect();
    if overrides.is_empty() {
        let arg = OVERRIDES[data.len() % OVERRIDES.len()];
        overrides.push(Override::parse(arg).expect("the built-in overrides parse"));
    }
    if let Err(e) = scenario::load_bytes(&path, data.to_vec(), &overrides) {
        assert_names_file(&e.to_string(), &path);
    }
}

// ---------------------------------------------------------------------------------------------
// Request traces

/// Speedups the request-trace target chooses from: exact, rounding and floating-point scalings.
const SPEEDUPS: [f64; 8] = [1.0, 2.0, 0.5, 3.0, 0.1, 1e-6, 1e12, 1e-300];

/// The request-trace readers. First byte: format (`% 2`: csv, azure-llm), then speedup
/// (`/ 2 % 8`, one of [`SPEEDUPS`]); the rest is the trace file.
///
/// Reads every request with [`RequestTrace::next_request`] to the end or the first error, and
/// calls [`requests::scan`]. Invariants: times never decrease; an azure-llm trace starts at time
/// 0; `open` refuses a trace without requests; `scan` agrees with reading request by request
/// (same count and last time, or the same error); an error names the file.
pub fn request_trace(data: &[u8]) {
    let Some((mut opt, contents)) = Options::split(data) else { return };
    let format = opt.pick(&[RequestFormat::Csv, RequestFormat::AzureLlm]);
    let speedup = opt.pick(&SPEEDUPS);
    let path = scratch_file("requests.csv", contents);

    let read: Result<(u64, SimTime), String> = match RequestTrace::open(&path, format, speedup) {
        Err(e) => Err(e.to_string()),
        Ok(mut trace) => {
            let mut count = 0u64;
            let mut last = SimTime::ZERO;
            loop {
                match trace.next_request() {
                    Ok(Some(r)) => {
                        if count == 0 && format == RequestFormat::AzureLlm {
                            assert_eq!(r.time, SimTime::ZERO, "an azure-llm trace starts at time 0");
                        }
                        assert!(
                            r.time >= last,
                            "request {} at {} is earlier than the previous one at {last}",
                            count + 1,
                            r.time
                        );
                        count += 1;
                        last = r.time;
                    }
                    Ok(None) => break Ok((count, last)),
                    Err(e) => break Err(e.to_string()),
                }
            }
        }
    };
    match &read {
        Ok((count, _)) => assert!(*count > 0, "open accepted a trace without requests"),
        Err(message) => assert_names_file(message, &path),
    }
    let scanned = requests::scan(&path, format, speedup).map_err(|e| e.to_string());
    assert_eq!(scanned, read, "scan disagrees with reading the trace request by request");
}

// ---------------------------------------------------------------------------------------------
// Spot traces

/// Zones the spot targets filter on (a real one and a short one the fuzzer finds easily).
const ZONES: [Option<&str>; 3] = [None, Some("us-east-1a"), Some("z")];
/// Instance types the spot targets filter on.
const INSTANCES: [Option<&str>; 3] = [None, Some("p3.2xlarge"), Some("i")];

/// The `start` instants the spot targets choose from: none, the traces' start, long before and
/// long after any data.
fn starts() -> [Option<Timestamp>; 4] {
    [
        None,
        Some(Timestamp::from_second(1_676_419_200).expect("2023-02-15T00:00:00Z")),
        Some(Timestamp::UNIX_EPOCH),
        Some(Timestamp::MAX),
    ]
}

/// Checks what a spot reader returned: an error names the file; else every series is well formed
/// (see [`check_series`]) and a zone filter returns that zone alone.
fn check_spot(
    result: &Result<BTreeMap<String, StepSeries>, spot::SpotTraceError>,
    path: &Path,
    zone: Option<&str>,
    integers: bool,
) {
    match result {
        Err(e) => assert_names_file(&e.to_string(), path),
        Ok(map) => {
            assert!(!map.is_empty(), "a reader returned no series without an error");
            if let Some(z) = zone {
                assert!(map.keys().eq([z]), "zone filter {z:?} returned zones {:?}", map.keys().collect::<Vec<_>>());
            }
            for (z, series) in map {
                check_series(z, series, integers);
            }
        }
    }
}

/// A [`StepSeries`] from a reader: starts at 0, strictly increasing times, no repeated values,
/// finite non-negative values (integers for availability), and its queries agree with its points.
fn check_series(zone: &str, s: &StepSeries, integers: bool) {
    let points: Vec<(SimTime, f64)> = s.points().collect();
    assert!(!points.is_empty(), "zone {zone}: empty series");
    assert_eq!(points[0].0, SimTime::ZERO, "zone {zone}: the series does not start at 0");
    for w in points.windows(2) {
        assert!(w[0].0 < w[1].0, "zone {zone}: times not increasing: {w:?}");
        assert!(w[0].1 != w[1].1, "zone {zone}: equal consecutive values not merged: {w:?}");
    }
    for (i, &(t, v)) in points.iter().enumerate() {
        assert!(v.is_finite() && v >= 0.0, "zone {zone}: value {v} at {t}");
        if integers {
            assert_eq!(v.fract(), 0.0, "zone {zone}: availability {v} at {t} is not an integer");
        }
        assert_eq!(s.value_at(t).to_bits(), v.to_bits(), "zone {zone}: value_at({t})");
        assert_eq!(s.next_change_after(t), points.get(i + 1).map(|p| p.0), "zone {zone}: next_change_after({t})");
    }
    let (last, _) = points[points.len() - 1];
    let end = SimTime(last.0.saturating_add(Duration::from_secs(1).0));
    let total = s.integrate(SimTime::ZERO, end);
    assert!(total >= 0.0, "zone {zone}: integral {total} over [0, {end})");
}

/// Reads once with the zone filter chosen; when no zone was chosen and the read succeeds, reads
/// again filtered on the first zone returned, which must give the same series (a filter picks rows,
/// it does not change the clock or the values).
fn read_spot(
    path: &Path,
    zone: Option<&str>,
    integers: bool,
    read: impl Fn(Option<&str>) -> Result<BTreeMap<String, StepSeries>, spot::SpotTraceError>,
) {
    let all = read(zone);
    check_spot(&all, path, zone, integers);
    if zone.is_none()
        && let Ok(all) = &all
        && let Some((z, series)) = all.iter().next()
    {
        let one = read(Some(z));
        check_spot(&one, path, Some(z), integers);
        match one {
            Ok(one) => assert_eq!(one.get(z), Some(series), "zone {z:?} read alone differs from the unfiltered read"),
            Err(e) => panic!("the unfiltered read succeeded but reading zone {z:?} alone failed: {e}"),
        }
    }
}

/// The spot CSV reader (availability and prices). First byte: kind (`% 2`: availability
/// `time,zone,instance,available`, price `time,zone,instance,price`), zone filter (`/ 2 % 3`,
/// [`ZONES`]), instance filter (`/ 6 % 3`, [`INSTANCES`]), start (`/ 18 % 4`: none, 2023-02-15,
/// 1970-01-01, the latest instant); the rest is the CSV file. Invariants: see [`check_series`]
/// and `read_spot` (a zone filter keeps the series it picks unchanged).
pub fn spot_csv(data: &[u8]) {
    let Some((mut opt, contents)) = Options::split(data) else { return };
    let availability = opt.pick(&[true, false]);
    let zone = opt.pick(&ZONES);
    let instance = opt.pick(&INSTANCES);
    let start = opt.pick(&starts());
    let path = scratch_file("spot.csv", contents);
    read_spot(&path, zone, availability, |zone| {
        if availability {
            spot::read_availability(&path, AvailabilityFormat::Csv, zone, instance, start)
        } else {
            spot::read_prices(&path, PriceFormat::Csv, zone, instance, None, start)
        }
    });
}

/// The skypilot-availability JSON reader; all of `data` is the file, read for zone `us-east-1a`.
/// Invariants: one series, named after the zone given, with integer values (see [`check_series`]).
pub fn skypilot_availability(data: &[u8]) {
    let path = scratch_file("availability.json", data);
    let zone = Some("us-east-1a");
    let result = spot::read_availability(&path, AvailabilityFormat::SkypilotAvailability, zone, None, None);
    check_spot(&result, &path, zone, true);
}

/// The aws-json price reader (`aws ec2 describe-spot-price-history`). First byte: zone filter
/// (`% 3`, [`ZONES`]), instance filter (`/ 3 % 3`, [`INSTANCES`]), start (`/ 9 % 4`: none,
/// 2023-02-15, 1970-01-01, the latest instant); the rest is the JSON file. Invariants: see
/// [`check_series`] and `read_spot`.
pub fn aws_json(data: &[u8]) {
    let Some((mut opt, contents)) = Options::split(data) else { return };
    let zone = opt.pick(&ZONES);
    let instance = opt.pick(&INSTANCES);
    let start = opt.pick(&starts());
    let path = scratch_file("aws.json", contents);
    read_spot(&path, zone, false, |zone| spot::read_prices(&path, PriceFormat::AwsJson, zone, instance, None, start));
}

/// Ticks the skypilot-prices target chooses from: the real traces' 195 s, 1 ns, 1 h and a tick so
/// long that the second value is out of range.
const TICKS: [Duration; 4] =
    [Duration(195_000_000_000), Duration(1), Duration(3_600_000_000_000), Duration(u64::MAX / 2)];

/// The skypilot-prices JSON reader (`{"<zone>_<gpu>_<count>": [price per tick, ...]}`). First
/// byte: zone filter (`% 3`, [`ZONES`]), tick (`/ 3 % 4`, [`TICKS`]); the rest is the JSON file.
/// Invariants: see [`check_series`] and `read_spot`.
pub fn skypilot_prices(data: &[u8]) {
    let Some((mut opt, contents)) = Options::split(data) else { return };
    let zone = opt.pick(&ZONES);
    let tick = opt.pick(&TICKS);
    let path = scratch_file("prices.json", contents);
    read_spot(&path, zone, false, |zone| {
        spot::read_prices(&path, PriceFormat::SkypilotPrices, zone, None, Some(tick), None)
    });
}
