//! Bad input, row by row from README.md's `## Bad input` table: each test builds its input in a
//! temporary folder, runs `fleetsim validate` and `fleetsim run` on it, and checks exit code 2, no
//! panic, and the row's fragment (the first `code` in its "What you see" cell) on stderr. The
//! fragments are read from the README, so the table and the messages cannot drift apart.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use super::common::fleetsim;

/// A small serving scenario (2 × g5.xlarge, Poisson arrivals).
const SERVING: &str = "name: cli\nhorizon: 1m\n\
    workload:\n  arrivals:\n    poisson: { rate: 50/s }\n  sla: { latency: 100ms }\n\
    service:\n  batch_time: { base: 8ms, per_item: 1ms }\n\
    batcher: { max_batch_size: 8, max_wait: 2ms }\n\
    fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 2 }\n";

/// A spot pool over zones z1 and z2; `AVAIL` and `PRICE` are replaced by the sources under test.
const SPOT: &str = "name: spot\nhorizon: 1h\n\
    workload:\n  arrivals:\n    poisson: { rate: 5/s }\n\
    service:\n  batch_time: { base: 8ms }\n\
    fleet:\n  pools:\n    - { name: s, instance: p3.2xlarge, market: spot, count: 2, zones: [z1, z2] }\n\
    spot:\n  interruptions:\n    AVAIL\n  price:\n    PRICE\n";

/// A checkpointed job on spot in zones z1 and z2, with the same placeholders.
const JOB: &str = "name: j\nhorizon: 10h\n\
    job:\n  work: 1h\n  instance: p3.2xlarge\n  zones: [z1, z2]\n  policy: spot_only\n\
    \x20 checkpoint: { interval: 30m, write: 1m }\n\
    spot:\n  interruptions:\n    AVAIL\n  price:\n    PRICE\n";

const AVAIL_CSV: &str = "trace: { path: avail.csv, format: csv }";
const CONSTANT_PRICE: &str = "constant: 0.9";
const GOOD_AVAIL: &str = "time,zone,instance,available\n0,z1,p3.2xlarge,3\n0,z2,p3.2xlarge,3\n600,z1,p3.2xlarge,1\n";
/// `aws ec2 describe-spot-price-history` output for z1 and z2, on one line.
const AWS_JSON: &str = concat!(
    r#"{"SpotPriceHistory": [{"AvailabilityZone": "z1", "InstanceType": "p3.2xlarge", "#,
    r#""ProductDescription": "Linux/UNIX", "SpotPrice": "0.9", "Timestamp": "2023-02-15T00:00:00Z"},"#,
    r#"{"AvailabilityZone": "z2", "InstanceType": "p3.2xlarge", "#,
    r#""ProductDescription": "Linux/UNIX", "SpotPrice": "1.0", "Timestamp": "2023-02-15T00:00:00Z"}]}"#,
);

fn spot(avail: &str, price: &str) -> String {
    SPOT.replace("AVAIL", avail).replace("PRICE", price)
}

fn job(avail: &str, price: &str) -> String {
    JOB.replace("AVAIL", avail).replace("PRICE", price)
}

/// The serving scenario replaying `t.csv` in `format`.
fn replay(format: &str) -> String {
    SERVING.replace("poisson: { rate: 50/s }", &format!("trace: {{ path: t.csv, format: {format} }}"))
}

/// `SERVING` with `from` replaced by `to` (which must be there).
fn serving_with(from: &str, to: &str) -> String {
    assert!(SERVING.contains(from), "{from:?} is not in the scenario");
    SERVING.replacen(from, to, 1)
}

/// Files to write, the scenario to name on the command line, extra arguments.
struct Input {
    scenario: &'static str,
    files: Vec<(&'static str, Option<Vec<u8>>)>,
    args: Vec<String>,
}

impl Input {
    /// `yaml` as `s.yaml`.
    fn scenario(yaml: impl Into<Vec<u8>>) -> Input {
        Input { scenario: "s.yaml", files: vec![("s.yaml", Some(yaml.into()))], args: Vec::new() }
    }

    /// A scenario path that is not written.
    fn missing(scenario: &'static str) -> Input {
        Input { scenario, files: Vec::new(), args: Vec::new() }
    }

    /// Adds the file `name` beside the scenario.
    fn file(mut self, name: &'static str, content: impl Into<Vec<u8>>) -> Input {
        self.files.push((name, Some(content.into())));
        self
    }

    /// Adds a folder `name` beside the scenario.
    fn dir(mut self, name: &'static str) -> Input {
        self.files.push((name, None));
        self
    }

    /// Adds `--set KEY=VALUE`.
    fn set(mut self, key_value: &str) -> Input {
        self.args.extend(["--set".to_string(), key_value.to_string()]);
        self
    }
}

/// The README rows, one test each: `test_name("id") => input;`.
macro_rules! rows {
    ($($name:ident($id:literal) => $input:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check($id, $input);
            }
        )*
        /// The ids the tests above cover.
        const TESTED: &[&str] = &[$($id),*];
    };
}

rows! {
    e01_scenario_missing("E1") => Input::missing("nope.yaml");
    e02_scenario_empty_or_comments("E2") => Input::scenario("# one day of chat traffic\n\n   # (to be written)\n");
    e03_malformed_yaml("E3") => Input::scenario(serving_with("name: cli", "name: a: b"));
    e04_scenario_not_utf8("E4") =>
        Input::scenario([&b"name: caf\xe9"[..], &SERVING.as_bytes()["name: cli".len()..]].concat()); // Latin-1 é
    e05_alias_bomb("E5") => Input::scenario(format!("{SERVING}sweep:\n  grid:\n{}", billion_laughs()));
    e06_unknown_key("E6") => Input::scenario(format!("{SERVING}batchr: {{ max_batch_size: 8 }}\n"));
    e07_unknown_key_in_trace_entry("E7") =>
        Input::scenario(spot("trace: { path: avail.csv, format: csv, zones: [z1] }", CONSTANT_PRICE))
            .file("avail.csv", GOOD_AVAIL);
    e08_unknown_key_in_set("E8") => Input::scenario(SERVING).set("batcher.max_wiat=3ms");
    e09_unknown_choice("E9") =>
        Input::scenario(job(AVAIL_CSV, CONSTANT_PRICE).replace("spot_only", "cheapest")).file("avail.csv", GOOD_AVAIL);
    e10_wrong_type("E10") => Input::scenario(serving_with("max_batch_size: 8", "max_batch_size: eight"));
    e11_wrong_type_in_set("E11") => Input::scenario(SERVING).set("fleet.pools[0].count=two");
    e12_duration_without_unit("E12") => Input::scenario(serving_with("horizon: 1m", "horizon: 60"));
    e13_duration_without_unit_in_trace_entry("E13") =>
        Input::scenario(spot(AVAIL_CSV, "trace: { path: prices.json, format: skypilot-prices, tick: 195 }"))
        .file("avail.csv", GOOD_AVAIL)
        .file("prices.json", r#"{"z1_v100_1": [0.9, 1.0], "z2_v100_1": [1.0, 1.1]}"#);
    e14_negative_value("E14") => Input::scenario(serving_with("rate: 50/s", "rate: -5/s"));
    e15_zero_where_it_cannot_be("E15") =>
        Input::scenario(job(AVAIL_CSV, CONSTANT_PRICE).replace("policy: spot_only", "policy: spot_only\n  gang: 0"))
            .file("avail.csv", GOOD_AVAIL);
    e16_nan("E16") => Input::scenario(serving_with("latency: 100ms", "latency: 100ms, quantile: .nan"));
    e17_infinity("E17") =>
        Input::scenario(spot(AVAIL_CSV, CONSTANT_PRICE).replace("count: 2,", "count: 2, max_price: .inf,"))
            .file("avail.csv", GOOD_AVAIL);
    e18_overflowing_duration("E18") =>
        Input::scenario(job(AVAIL_CSV, CONSTANT_PRICE)).file("avail.csv", GOOD_AVAIL).set("job.work=99999999999999999d");
    e19_request_trace_missing("E19") => Input::scenario(replay("csv").replace("t.csv", "nope.csv"));
    e20_request_trace_is_a_directory("E20") => Input::scenario(replay("csv")).dir("t.csv");
    e21_request_trace_empty("E21") => Input::scenario(replay("csv")).file("t.csv", "time,tokens_in,tokens_out\n");
    e22_request_trace_unsorted("E22") => Input::scenario(replay("csv")).file("t.csv", "time\n0\n5\n3\n");
    e23_request_trace_missing_column("E23") => Input::scenario(replay("azure-llm"))
        .file("t.csv", "TIMESTAMP,ContextTokens\n2023-11-16 18:15:46.6805900,5\n");
    e24_request_trace_not_utf8("E24") => Input::scenario(replay("csv")).file("t.csv", &b"time\n0\n\xff\xfe\n"[..]);
    e25_spot_trace_unsorted("E25") =>
        Input::scenario(spot(AVAIL_CSV, CONSTANT_PRICE)).file("avail.csv", format!("{GOOD_AVAIL}300,z1,p3.2xlarge,2\n"));
    e26_spot_trace_empty("E26") => Input::scenario(job(
            "trace: [ { path: a1.json, format: skypilot-availability, zone: z1 }, \
             { path: a2.json, format: skypilot-availability, zone: z2 } ]",
            CONSTANT_PRICE,
        ))
        .file("a1.json", "")
        .file("a2.json", r#"{"metadata": {"gap_seconds": 600}, "data": [1, 1, 0, 1]}"#);
    e27_spot_trace_malformed_json("E27") => Input::scenario(spot(AVAIL_CSV, "trace: { path: prices.json, format: aws-json }"))
        .file("avail.csv", GOOD_AVAIL)
        .file("prices.json", &AWS_JSON[..AWS_JSON.len() - 5]); // cut inside the last timestamp
    e28_spot_trace_not_utf8("E28") => Input::scenario(spot(AVAIL_CSV, CONSTANT_PRICE))
        .file("avail.csv", &b"time,zone,instance,available\n0,z\xff1,p3.2xlarge,1\n0,z2,p3.2xlarge,1\n"[..]);
    e29_spot_price_absurd("E29") => Input::scenario(spot(AVAIL_CSV, "trace: { path: prices.csv, format: csv }"))
        .file("avail.csv", GOOD_AVAIL)
        .file("prices.csv", "time,zone,instance,price\n0,z1,p3.2xlarge,1e300\n0,z2,p3.2xlarge,1\n");
    e30_spot_trace_missing("E30") => Input::scenario(job(AVAIL_CSV, CONSTANT_PRICE));
    e31_spot_zone_not_covered("E31") => Input::scenario(spot(AVAIL_CSV, CONSTANT_PRICE))
        .file("avail.csv", "time,zone,instance,available\n0,z1,p3.2xlarge,1\n");
    e32_spot_trace_duplicate_time("E32") => Input::scenario(spot(AVAIL_CSV, CONSTANT_PRICE))
        .file("avail.csv", format!("{GOOD_AVAIL}600,z1,p3.2xlarge,2\n"));
    e33_request_trace_is_a_device("E33") => Input::scenario(replay("csv").replace("t.csv", "/dev/zero"));
    e34_request_trace_without_line_breaks("E34") => Input::scenario(replay("csv")).file("t.csv", vec![b'7'; 3 << 20]);
}

/// Nine levels of ten aliases each: 10^9 strings if it were expanded.
fn billion_laughs() -> String {
    let mut text = "    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for level in 1..9 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        text.push_str(&format!("    a{level}: &a{level} [{refs}]\n"));
    }
    text
}

/// Writes `input` into a temporary folder and runs `validate` and `run` there: both must exit 2,
/// not panic, and print the fragment of README row `id` on stderr.
fn check(id: &str, input: Input) {
    let want = fragment(id);
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in &input.files {
        let path = dir.path().join(name);
        match content {
            Some(bytes) => std::fs::write(path, bytes).unwrap(),
            None => std::fs::create_dir(path).unwrap(),
        }
    }
    for command in ["validate", "run"] {
        let mut cmd = fleetsim();
        cmd.current_dir(dir.path()).arg(command).arg(input.scenario).args(&input.args);
        if command == "run" {
            cmd.args(["--out", "out", "--no-report"]);
        }
        let out = cmd.timeout(Duration::from_secs(60)).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{id}: fleetsim {command} should exit 2; stderr:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{id}: fleetsim {command} panicked:\n{stderr}");
        assert!(stderr.contains(&want), "{id}: fleetsim {command}: stderr lacks {want:?}:\n{stderr}");
        assert!(!dir.path().join("out").exists(), "{id}: fleetsim run wrote an output folder");
    }
}

/// The rows of README.md's `## Bad input` table: (id, first code span of "What you see").
fn readme_rows() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let section = readme.split("\n## Bad input\n").nth(1).expect("README.md has a `## Bad input` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| E")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 4, "a Bad input row has 4 cells: {line}");
        let what = cells[3];
        let fragment = match what.split('`').collect::<Vec<_>>()[..] {
            [_, fragment, _, ..] if !fragment.is_empty() => fragment,
            _ => panic!("row {}: no `fragment` in {what:?}", cells[0]),
        };
        rows.push((cells[0].to_string(), fragment.to_string()));
    }
    rows
}

/// The fragment README row `id` promises.
fn fragment(id: &str) -> String {
    let rows = readme_rows();
    let found = rows.into_iter().find(|(row, _)| row == id);
    found.unwrap_or_else(|| panic!("README.md's Bad input table has no row {id}")).1
}

/// Every README row has a test, every test a row, and ids are not reused.
#[test]
fn readme_rows_and_tests_match() {
    let rows = readme_rows();
    let in_readme: BTreeSet<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(in_readme.len(), rows.len(), "an id appears twice in README.md's Bad input table");
    let tested: BTreeSet<&str> = TESTED.iter().copied().collect();
    assert_eq!(tested.len(), TESTED.len(), "two tests cover the same row");
    assert_eq!(in_readme, tested, "README rows (left) and tests (right) differ");
    assert!(rows.len() >= 20, "only {} rows", rows.len());
}
