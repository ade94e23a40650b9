//! Defaults that shape results are visible: `summary.json`'s `assumptions` (each entry
//! `{what, key, value, source, date, caveat}`), the terminal's "Assumptions" block and the notes
//! under the results table.

use fleetsim::metrics::summary::Assumption;

use super::common::{fleetsim, run, scenario as parse, write};

const QUIET: &str = "workload:\n  arrivals:\n    constant: { rate: 1/m }\nservice:\n  batch_time: { base: 10ms }\n";

/// A spot pool of p3.2xlarge (V100, AWS) that leaves every market key to the catalog.
fn spot_defaults() -> String {
    format!(
        "name: a\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: burst, instance: p3.2xlarge, market: spot, count: 2 }}\n"
    )
}

fn find<'a>(all: &'a [Assumption], key: &str) -> &'a Assumption {
    all.iter().find(|a| a.key == key).unwrap_or_else(|| panic!("no assumption {key}: {all:#?}"))
}

#[test]
fn catalog_defaults_are_listed_with_source_date_and_caveat() {
    let m = run(&parse(&spot_defaults())).summary;
    let a = &m.assumptions;
    let rate = find(a, "spot.interruptions.hazard.per_hour");
    assert_eq!(rate.what, "interruption rate of pool burst (p3.2xlarge, V100)");
    assert_eq!(rate.value, "0.8%/h per instance");
    assert_eq!(rate.source, "https://www.usenix.org/conference/nsdi24/presentation/wu-zhanghao");
    assert_eq!(rate.date, "2024-04-16");
    assert!(rate.caveat.starts_with("UNVERIFIED"), "{}", rate.caveat);
    assert!(rate.caveat.contains("observed aws:V100 rate ~0.47/h"), "{}", rate.caveat);
    let weekend = find(a, "spot.interruptions.hazard.weekend_factor");
    assert!(weekend.value.starts_with("0.6 (interruptions 40% fewer on Saturdays and Sundays"), "{}", weekend.value);
    // 3.06 × (1 − 0.64) = 1.1016 $/h.
    let price = find(a, "spot.price");
    assert_eq!(price.value, "$1.1016/h (64% below on-demand $3.06/h)");
    assert_eq!(price.date, "2026-03-01");
    assert_eq!(find(a, "spot.notice").value, "2m");
    assert_eq!(
        find(a, "spot.notice").source,
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html"
    );
    let boot = find(a, "fleet.instance_types[].boot");
    assert_eq!((boot.value.as_str(), boot.source.as_str(), boot.date.as_str()), ("90s", "fleetsim default", ""));
    assert_eq!(find(a, "fleet.instance_types[].speed").value, "1.0");
    assert_eq!(find(a, "billing").value, "per 1s with a 1m minimum per instance");
}

#[test]
fn what_the_scenario_gives_is_not_an_assumption() {
    let yaml = format!(
        "{}  instance_types:\n    - {{ name: p3.2xlarge, speed: 1.5, boot: 2m }}\n\
         spot:\n  interruptions:\n    hazard: {{ per_hour: 0.3 }}\n  price:\n    constant: 0.9\n  notice: 30s\nbilling: {{ granularity: 1s }}\n",
        spot_defaults()
    );
    let m = run(&parse(&yaml)).summary;
    assert!(m.assumptions.is_empty(), "{:#?}", m.assumptions);
    // An on-demand fleet at time 0 relies on its speed and catalog price only: no boot, no
    // billing rule (nothing launches later), nothing about spot.
    let on_demand = format!(
        "name: a\nhorizon: 1h\n{QUIET}fleet:\n  pools:\n    - {{ name: base, instance: g5.xlarge, count: 2 }}\n"
    );
    let keys: Vec<String> = run(&parse(&on_demand)).summary.assumptions.into_iter().map(|a| a.key).collect();
    assert_eq!(keys, ["fleet.instance_types[].speed", "fleet.instance_types[].on_demand_price"]);
}

#[test]
fn job_scenarios_list_theirs() {
    let yaml = "name: j\nhorizon: 100h\njob:\n  work: 10h\n  instance: p5.48xlarge\n  policy: spot_only\n\
        spot:\n  price:\n    constant: 20\n";
    let m = run_job(yaml);
    let rate = find(&m.assumptions, "spot.interruptions.hazard.per_hour");
    assert_eq!(
        (rate.what.as_str(), rate.value.as_str()),
        ("interruption rate of the job (p5.48xlarge, H100)", "4.1%/h per instance")
    );
    assert!(
        find(&m.assumptions, "fleet.instance_types[].speed").what.contains("job.work is compute time at speed 1.0")
    );
    // A job's relaunches pay restart_overhead, not the type's boot time: no boot assumption.
    assert!(!m.assumptions.iter().any(|a| a.key == "fleet.instance_types[].boot"), "{:#?}", m.assumptions);
    assert_eq!(find(&m.assumptions, "billing").value, "per 1s with a 1m minimum per instance");
}

/// Speed 1.0 is listed only where something is divided by it unstated: not for a type whose
/// speed is given, nor for a pool that states its own batch times.
#[test]
fn speed_is_assumed_only_where_it_is_not_stated() {
    let job = "name: j\nhorizon: 20h\njob:\n  work: 10h\n  instance: p3.2xlarge\n  policy: on_demand\n";
    assert!(run_job(job).assumptions.iter().any(|a| a.key == "fleet.instance_types[].speed"));
    let given = format!("{job}fleet: {{ instance_types: [ {{ name: p3.2xlarge, speed: 2.0 }} ] }}\n");
    assert!(!run_job(&given).assumptions.iter().any(|a| a.key == "fleet.instance_types[].speed"));
    let two = format!(
        "name: p\nhorizon: 1m\n{QUIET}fleet:\n  pools:\n    - {{ name: a, instance: g5.xlarge, count: 1, service: {{ batch_time: {{ base: 10ms }} }} }}\n    \
         - {{ name: b, instance: p3.2xlarge, count: 1 }}\n"
    );
    let m = run(&parse(&two)).summary;
    let speeds: Vec<&str> =
        m.assumptions.iter().filter(|a| a.key == "fleet.instance_types[].speed").map(|a| a.what.as_str()).collect();
    assert_eq!(speeds, ["speed of p3.2xlarge (batch times are service.batch_time as given)"]);
}

fn run_job(yaml: &str) -> fleetsim::metrics::Summary {
    let s = parse(yaml);
    let market = fleetsim::trace::market::load(&s).unwrap();
    fleetsim::run::simulate(&s, &market, &mut |_| {}).unwrap().summary
}

/// A serving horizon past 10,000 minutes gets a longer default interval, and says so.
#[test]
fn a_default_interval_that_follows_the_horizon_is_listed() {
    let yaml =
        format!("name: a\nhorizon: 30d\n{QUIET}fleet:\n  pools:\n    - {{ name: b, instance: g5.xlarge, count: 1 }}\n");
    let s = parse(&yaml);
    // 30 d = 43,200 min: 5m gives 8,640 rows, the first step within 10,000.
    assert_eq!(s.timeseries_interval, fleetsim::engine::Duration::from_secs(300));
    let interval = find(&s.assumptions, "output.timeseries_interval");
    assert_eq!((interval.value.as_str(), interval.source.as_str()), ("5m", "fleetsim default"));
    let short = parse(&yaml.replace("horizon: 30d", "horizon: 6d"));
    assert_eq!(short.timeseries_interval, fleetsim::engine::Duration::from_secs(60));
    assert!(!short.assumptions.iter().any(|a| a.key == "output.timeseries_interval"));
}

#[test]
fn the_terminal_prints_the_assumptions_after_the_results_and_labels_spot_prices() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "s.yaml", &spot_defaults());
    let out = fleetsim()
        .args(["run", s.to_str().unwrap(), "--no-report", "--out"])
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let table = stdout.find("  pool ").expect("pool table");
    let notes = stdout.find("  $/hour of spot pool burst: the spot price billed").expect("price note");
    let block = stdout.find("Assumptions (defaults this run relies on").expect("assumptions block");
    assert!(table < notes && notes < block, "{stdout}");
    assert!(stdout.contains("  - interruption rate of pool burst (p3.2xlarge, V100): 0.8%/h per instance  [spot.interruptions.hazard.per_hour]"), "{stdout}");
    assert!(stdout.contains("  - speed of p3.2xlarge (batch times are service.batch_time as given): 1.0"), "{stdout}");
    // The pool's $/hour is the spot price it was billed at (1.1016), not on-demand 3.06.
    assert!(stdout.contains("spot            2    1.1016"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o/summary.json")).unwrap()).unwrap();
    let entries = summary["assumptions"].as_array().expect("a top-level array");
    for entry in entries {
        let keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["what", "key", "value", "source", "date", "caveat"]);
    }
}

/// Each design's run folder in a comparison carries its summary with its assumptions.
#[test]
fn compare_design_folders_carry_their_assumptions() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.yaml", &spot_defaults());
    let b = write(dir.path(), "b.yaml", &spot_defaults().replace("name: a", "name: b").replace("count: 2", "count: 3"));
    let out = dir.path().join("c");
    let status = fleetsim()
        .args(["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--replications", "2", "--no-report", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    for design in ["a", "b"] {
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("designs").join(design).join("summary.json")).unwrap())
                .unwrap();
        assert!(summary["assumptions"].as_array().is_some_and(|a| !a.is_empty()), "{design}");
    }
}
