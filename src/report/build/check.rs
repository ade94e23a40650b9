//! Checks on the files a report draws from (`summary.json`, `latency.csv`, an LLM run's `ttft.csv`
//! and `tpot.csv`, `timeseries.csv` with its LLM columns). A value that cannot be right (a figure that is not a
//! number, a cost below 0, a fraction above 1, a latency distribution that goes backwards) is
//! left out with a warning that names the file, the line or key, and what was expected: a
//! report never draws silently from a damaged file.

use std::path::Path;

use serde_json::Value;

use super::Table;
use crate::metrics::summary::METRIC_KEYS;
use crate::sweep::stats::Range;

/// Checks the figures of a `summary.json` (read from `path`) against their ranges; each bad one
/// is replaced by null, so that nothing is drawn from it, and named in a warning.
pub(super) fn summary(path: &Path, v: &mut Value, warnings: &mut Vec<String>) {
    if !v.is_object() {
        warnings.push(format!("{}: not an object of figures; nothing is drawn from it", path.display()));
        *v = Value::Object(Default::default());
        return;
    }
    for key in METRIC_KEYS {
        let Some(leaf) = key.split('.').try_fold(&mut *v, |node, k| node.get_mut(k)) else { continue };
        let range = Range::of(key);
        let ok = match &*leaf {
            Value::Null => true,
            Value::Bool(_) => range == Range::Outcome,
            Value::Number(n) => n.as_f64().is_some_and(|x| match range {
                Range::Outcome => x == 0.0 || x == 1.0,
                Range::Fraction => (0.0..=1.0).contains(&x),
                Range::NonNegative => x >= 0.0,
            }),
            _ => false,
        };
        if !ok {
            let expected = match range {
                Range::Outcome => "true or false",
                Range::Fraction => "a fraction from 0 to 1",
                Range::NonNegative => "a number ≥ 0",
            };
            warnings.push(format!(
                "{}: {key} is {}, not {expected}; it is left out of the report",
                path.display(),
                short(leaf)
            ));
            *leaf = Value::Null;
        }
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 { format!("{}…", text.chars().take(40).collect::<String>()) } else { text }
}

/// Whether `latency.csv` (or `ttft.csv`, `tpot.csv`: `left_out` says what is drawn from it) is a
/// distribution: latencies ≥ 0 that never decrease, at fractions in (0, 1] that increase. If not,
/// a warning names the line and the charts are left out.
pub(super) fn distribution(path: &Path, t: &Table, left_out: &str, warnings: &mut Vec<String>) -> bool {
    let (Some(lat), Some(frac)) = (t.col("latency_s"), t.col("fraction")) else {
        warnings.push(format!("{}: no latency_s and fraction columns; {left_out}", path.display()));
        return false;
    };
    if t.rows() == 0 {
        warnings.push(format!("{}: no rows; {left_out}", path.display()));
        return false;
    }
    for i in 0..t.rows() {
        let line = i + 2;
        let problem = if lat[i] < 0.0 {
            Some(format!("latency {} s is negative", lat[i]))
        } else if !(frac[i] > 0.0 && frac[i] <= 1.0) {
            Some(format!("fraction {} is not in (0, 1]", frac[i]))
        } else if i > 0 && lat[i] < lat[i - 1] {
            Some(format!("latency {} s is below the previous line's {} s", lat[i], lat[i - 1]))
        } else if i > 0 && frac[i] <= frac[i - 1] {
            Some(format!("fraction {} does not exceed the previous line's {}", frac[i], frac[i - 1]))
        } else {
            None
        };
        if let Some(p) = problem {
            warnings.push(format!("{}:{line}: {p}: not a latency distribution; {left_out}", path.display()));
            return false;
        }
    }
    true
}

/// Whether `timeseries.csv` has times that go forward from a `time_s` column; if not, a warning
/// and the timeline is left out.
pub(super) fn timeseries(path: &Path, t: &Table, warnings: &mut Vec<String>) -> bool {
    let Some(time) = t.col("time_s") else {
        warnings.push(format!("{}: no time_s column; the timeline is left out", path.display()));
        return false;
    };
    if let Some(i) = (1..time.len()).find(|&i| time[i] < time[i - 1]) {
        warnings.push(format!(
            "{}:{}: time {} s is before the previous line's {} s; the timeline is left out",
            path.display(),
            i + 2,
            time[i],
            time[i - 1]
        ));
        return false;
    }
    true
}

/// Whether the LLM columns of `timeseries.csv` hold what they can: whole counts ≥ 0 in
/// `running_*` and `waiting_*`, fractions from 0 to 1 in `kv_used_*`. If not, a warning names the
/// line and column, and the LLM charts are left out (the timeline stays).
pub(super) fn llm_columns(path: &Path, t: &Table, warnings: &mut Vec<String>) -> bool {
    for (name, column) in t.header.iter().zip(&t.columns) {
        let fraction = name.starts_with("kv_used_");
        if !(fraction || name.starts_with("running_") || name.starts_with("waiting_")) {
            continue;
        }
        let bad = |v: f64| if fraction { !(0.0..=1.0).contains(&v) } else { v < 0.0 || v.fract() != 0.0 };
        if let Some(i) = column.iter().position(|&v| bad(v)) {
            let expected = if fraction { "a fraction from 0 to 1" } else { "a count ≥ 0" };
            warnings.push(format!(
                "{}:{}: {name} is {}, not {expected}; the LLM charts are left out",
                path.display(),
                i + 2,
                column[i]
            ));
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_figures_are_named_and_left_out() {
        let mut v = serde_json::json!({
            "latency_s": { "p99": "fast", "p50": 0.01 },
            "cost_usd": { "total": -3.0 },
            "sla": { "violation_rate": 1.5, "met": true },
        });
        let mut w = Vec::new();
        summary(Path::new("summary.json"), &mut v, &mut w);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].contains("latency_s.p99 is \"fast\", not a number ≥ 0"), "{w:?}");
        assert!(w[1].contains("sla.violation_rate is 1.5, not a fraction from 0 to 1"), "{w:?}");
        assert!(w[2].contains("cost_usd.total is -3.0, not a number ≥ 0"), "{w:?}");
        assert!(v["latency_s"]["p99"].is_null() && v["latency_s"]["p50"] == 0.01);
    }

    #[test]
    fn bad_llm_columns_are_named() {
        let table = |name: &str, values: Vec<f64>| Table {
            header: vec!["time_s".into(), name.into()],
            columns: vec![(1..=values.len()).map(|i| i as f64 * 60.0).collect(), values],
        };
        let mut w = Vec::new();
        assert!(llm_columns(Path::new("ts.csv"), &table("kv_used_a", vec![0.0, 0.5, 1.0]), &mut w));
        assert!(llm_columns(Path::new("ts.csv"), &table("running_a", vec![0.0, 12.0]), &mut w));
        assert!(w.is_empty(), "{w:?}");
        assert!(!llm_columns(Path::new("ts.csv"), &table("kv_used_a", vec![0.5, 1.5]), &mut w));
        assert!(!llm_columns(Path::new("ts.csv"), &table("waiting_a", vec![-1.0]), &mut w));
        assert_eq!(
            w,
            [
                "ts.csv:3: kv_used_a is 1.5, not a fraction from 0 to 1; the LLM charts are left out",
                "ts.csv:2: waiting_a is -1, not a count ≥ 0; the LLM charts are left out"
            ]
        );
    }
}
