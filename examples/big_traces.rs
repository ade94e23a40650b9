//! Writes large spot traces of every format, with a job scenario reading each, for measuring the
//! readers' peak memory per byte of file (`.ci/trace-memory.sh` runs `fleetsim validate` on each
//! under `/usr/bin/time -v`; README gives the figures).
//!
//! `cargo run --release --example big_traces -- DIR MIB` writes, each about MIB MiB:
//! - `*-real`: the shipped traces' values repeated (long runs of equal values, as real traces);
//! - `*-worst`: a change at every value (alternating), the most a series can hold per byte.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// One value after another, as the format writes it, until `bytes`.
fn values(bytes: usize, sep: &str, next: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(bytes + 64);
    let mut i = 0;
    while out.len() < bytes {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&next(i));
        i += 1;
    }
    out
}

fn shipped(rel: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces").join(rel);
    serde_json::from_slice(&std::fs::read(&path).expect("the shipped trace")).expect("JSON")
}

fn write(dir: &Path, name: &str, text: &str) {
    let mut f = std::fs::File::create(dir.join(name)).expect("writable");
    f.write_all(text.as_bytes()).expect("written");
}

/// A job whose spot section is `spot` (indented), validated to read the trace.
fn scenario(dir: &Path, name: &str, spot: &str) {
    let yaml = format!(
        "name: {name}\nhorizon: 10h\njob:\n  work: 1h\n  instance: p3.2xlarge\n  zones: [us-east-1a]\n  \
         policy: spot_only\n  checkpoint: {{ interval: 10m, write: 10s }}\nspot:\n{spot}"
    );
    write(dir, &format!("{name}.yaml"), &yaml);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(mib)) = (args.get(1), args.get(2).and_then(|m| m.parse::<usize>().ok())) else {
        eprintln!("usage: big_traces DIR MIB");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).expect("a folder");
    let bytes = mib << 20;

    let avail = shipped("spot-availability/availability/1-node/aws-02-15-2023/us-east-1a_v100_1.json");
    let avail: Vec<u64> = avail["data"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let prices = shipped("spot-prices/aws_v100_spot_prices.json");
    let series: Vec<f64> =
        prices["us-east-1a_v100_1"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();

    for (kind, data) in [
        ("real", values(bytes, ", ", |i| avail[i % avail.len()].to_string())),
        ("worst", values(bytes, ",", |i| (i % 2).to_string())),
    ] {
        let name = format!("skypilot-availability-{kind}");
        write(dir, &format!("{name}.json"), &format!("{{\"metadata\": {{\"gap_seconds\": 32}}, \"data\": [{data}]}}"));
        let spot = format!(
            "  interruptions:\n    trace: {{ path: {name}.json, format: skypilot-availability, zone: us-east-1a }}\n"
        );
        scenario(dir, &name, &spot);
    }
    for (kind, data) in [
        ("real", values(bytes, ",", |i| series[i % series.len()].to_string())),
        ("worst", values(bytes, ",", |i| if i % 2 == 0 { "1".into() } else { "2".into() })),
    ] {
        let name = format!("skypilot-prices-{kind}");
        write(dir, &format!("{name}.json"), &format!("{{\"us-east-1a_v100_1\": [{data}]}}"));
        let spot = format!(
            "  interruptions:\n    hazard: {{ per_hour: 0.01 }}\n  price:\n    trace: {{ path: {name}.json, format: skypilot-prices, tick: 195s }}\n"
        );
        scenario(dir, &name, &spot);
    }
    for (kind, worst) in [("real", false), ("worst", true)] {
        let entries = values(bytes, ",", |i| {
            let price = if worst { 0.9 + (i % 2) as f64 * 0.1 } else { 0.9 + (i / 500 % 7) as f64 * 0.01 };
            format!(
                "{{\"AvailabilityZone\":\"us-east-1a\",\"InstanceType\":\"p3.2xlarge\",\"ProductDescription\":\"Linux/UNIX\",\
                 \"SpotPrice\":\"{price:.6}\",\"Timestamp\":\"{}\"}}",
                jiff::Timestamp::from_second(1_676_419_200 + i as i64).unwrap()
            )
        });
        let name = format!("aws-json-{kind}");
        write(dir, &format!("{name}.json"), &format!("{{\"SpotPriceHistory\": [{entries}]}}"));
        let spot = format!(
            "  interruptions:\n    hazard: {{ per_hour: 0.01 }}\n  price:\n    trace: {{ path: {name}.json, format: aws-json }}\n"
        );
        scenario(dir, &name, &spot);
    }
    for (kind, worst) in [("real", false), ("worst", true)] {
        let mut csv = String::from("time,zone,instance,available\n");
        let mut i = 0;
        while csv.len() < bytes {
            let v = if worst { i % 2 } else { avail[i as usize % avail.len()] };
            let _ = writeln!(csv, "{},us-east-1a,,{v}", i * 32);
            i += 1;
        }
        let name = format!("csv-{kind}");
        write(dir, &format!("{name}.csv"), &csv);
        let spot = format!("  interruptions:\n    trace: {{ path: {name}.csv, format: csv }}\n");
        scenario(dir, &name, &spot);
    }
    // Request traces are streamed: their memory does not grow with them.
    let start = jiff::civil::date(2023, 11, 16).at(18, 0, 0, 0);
    for (format, header) in
        [("csv", "time,tokens_in,tokens_out"), ("azure-llm", "TIMESTAMP,ContextTokens,GeneratedTokens")]
    {
        let mut text = format!("{header}\n");
        let mut i: i64 = 0;
        while text.len() < bytes {
            let (p, o) = (100 + i % 3000, 1 + i % 500);
            let _ = match format {
                "csv" => writeln!(text, "{}.{:03},{p},{o}", i / 100, i % 100 * 10),
                _ => {
                    let t = start.checked_add(jiff::SignedDuration::from_millis(i * 10)).unwrap();
                    writeln!(text, "{},{p},{o}", t.strftime("%Y-%m-%d %H:%M:%S%.f"))
                }
            };
            i += 1;
        }
        let name = format!("requests-{format}");
        write(dir, &format!("{name}.csv"), &text);
        let yaml = format!(
            "name: {name}\nhorizon: 1h\nworkload:\n  arrivals:\n    trace: {{ path: {name}.csv, format: {format} }}\n\
             service:\n  batch_time: {{ base: 10ms }}\nfleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, count: 1 }}\n"
        );
        write(dir, &format!("{name}.yaml"), &yaml);
    }
}
