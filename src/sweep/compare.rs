//! `compare.csv`: every metric of every design with its 95% interval, and its difference from the
//! first design paired by seed (each design ran the same replications with the same seeds).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::runs::RunRow;
use super::stats;
use crate::metrics::summary::METRIC_KEYS;

/// A compared design in `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Its name (the scenario's, made unique).
    pub name: String,
    /// The scenario file.
    pub path: String,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// The compare part of `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareLineage {
    /// The designs, the first being the one others are compared with.
    pub designs: Vec<Design>,
}

/// One line of `compare.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Design index.
    pub design: usize,
    /// Metric key.
    pub metric: &'static str,
    /// The design's own statistics.
    pub stats: stats::Stats,
    /// This design − the first, paired by replication (none for the first design).
    pub diff: Option<stats::Stats>,
}

/// Lines for every design (a cell each) and every metric some run of it has.
pub fn lines(rows: &[RunRow], designs: usize) -> Vec<Line> {
    let mut by: HashMap<(usize, u32), &RunRow> = HashMap::new();
    for r in rows {
        by.insert((r.id.cell, r.id.replication), r);
    }
    let mut out = Vec::new();
    for design in 0..designs {
        let mine: Vec<&RunRow> = {
            let mut v: Vec<&RunRow> = rows.iter().filter(|r| r.id.cell == design).collect();
            v.sort_by_key(|r| r.id.replication);
            v
        };
        for (m, metric) in METRIC_KEYS.iter().enumerate() {
            let values: Vec<f64> = mine.iter().filter_map(|r| r.metrics[m]).collect();
            let Some(own) = stats::describe_metric(metric, &values) else { continue };
            let diff = (design > 0)
                .then(|| {
                    let pairs: Vec<(f64, f64)> = mine
                        .iter()
                        .filter_map(|r| Some((r.metrics[m]?, by.get(&(0, r.id.replication))?.metrics[m]?)))
                        .collect();
                    stats::paired_difference(&pairs)
                })
                .flatten();
            out.push(Line { design, metric, stats: own, diff });
        }
    }
    out
}

/// `compare.csv` for `names` (design names by index).
pub fn csv(lines: &[Line], names: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = w.write_record([
        "design",
        "metric",
        "n",
        "mean",
        "ci95_low",
        "ci95_high",
        "diff_mean",
        "diff_ci95_low",
        "diff_ci95_high",
        "ci95_method",
    ]);
    let num = |v: f64| if v.is_finite() { v.to_string() } else { String::new() };
    for l in lines {
        let (dm, dl, dh) = l.diff.map_or((f64::NAN, f64::NAN, f64::NAN), |d| (d.mean, d.ci_low, d.ci_high));
        let _ = w.write_record([
            names[l.design].clone(),
            l.metric.to_string(),
            l.stats.n.to_string(),
            num(l.stats.mean),
            num(l.stats.ci_low),
            num(l.stats.ci_high),
            num(dm),
            num(dl),
            num(dh),
            l.stats.method.as_str().to_string(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::RunId;

    /// Design 1 costs exactly 1, 2, 3 more than design 0 on seeds 0, 1, 2: paired mean 2 with
    /// half-width t(0.975, 2)/√3 = 2.4841377, though the designs' own spreads are far wider.
    #[test]
    fn differences_are_paired_by_seed() {
        let m = METRIC_KEYS.iter().position(|k| *k == "cost_usd.total").unwrap();
        let row = |cell: usize, r: u32, v: f64| {
            let mut metrics = vec![None; METRIC_KEYS.len()];
            metrics[m] = Some(v);
            RunRow { id: RunId { cell, replication: r }, seed: u64::from(r), metrics, wall_s: 0.0 }
        };
        let rows =
            vec![row(0, 0, 10.0), row(0, 1, 50.0), row(0, 2, 90.0), row(1, 0, 11.0), row(1, 1, 52.0), row(1, 2, 93.0)];
        let lines = lines(&rows, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].diff.is_none());
        let d = lines[1].diff.unwrap();
        assert_eq!(d.mean, 2.0);
        assert!((d.ci_high - (2.0 + 2.484_137_7)).abs() < 1e-6);
        let text = String::from_utf8(csv(&lines, &["a".into(), "b".into()])).unwrap();
        assert!(text.lines().nth(2).unwrap().starts_with("b,cost_usd.total,3,52,"), "{text}");
    }
}
