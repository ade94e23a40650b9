//! Per-cell statistics (`summary.csv`) and the best cell under an objective and constraints
//! (`best.json`), both computed from `runs.csv` rows alone, so `merge` needs no scenario.

use std::collections::HashMap;

use serde::Serialize;

use super::Plan;
use super::runs::RunRow;
use super::stats::{self, Stats};
use crate::metrics::summary::METRIC_KEYS;
use crate::scenario::{Assertion, Goal, Objective};

/// One cell's statistics, one entry per [`METRIC_KEYS`] key (`None` where no run has a value).
#[derive(Clone, Debug)]
pub struct CellSummary {
    /// Cell index.
    pub cell: usize,
    /// Runs in the cell.
    pub runs: usize,
    /// Per metric.
    pub stats: Vec<Option<Stats>>,
}

impl CellSummary {
    /// The statistics of `metric`.
    pub fn of(&self, metric: &str) -> Option<&Stats> {
        METRIC_KEYS.iter().position(|k| *k == metric).and_then(|i| self.stats[i].as_ref())
    }
}

/// Statistics of every cell that has runs, in cell order.
pub fn summarize(plan: &Plan, rows: &[RunRow]) -> Vec<CellSummary> {
    let mut by_cell: Vec<Vec<&RunRow>> = vec![Vec::new(); plan.cells()];
    for row in rows {
        by_cell[row.id.cell].push(row);
    }
    by_cell
        .into_iter()
        .enumerate()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(cell, rows)| {
            let stats = (0..METRIC_KEYS.len())
                .map(|m| {
                    stats::describe_metric(
                        METRIC_KEYS[m],
                        &rows.iter().filter_map(|r| r.metrics[m]).collect::<Vec<_>>(),
                    )
                })
                .collect();
            CellSummary { cell, runs: rows.len(), stats }
        })
        .collect()
}

/// `summary.csv`: a row per cell and metric (metrics no run of the cell has are left out).
pub fn summary_csv(plan: &Plan, cells: &[CellSummary]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let mut header = vec!["cell".to_string()];
    header.extend(plan.axes.iter().map(|a| a.key.clone()));
    header.extend(
        ["metric", "n", "mean", "ci95_low", "ci95_high", "std", "p5", "p50", "p95", "ci95_method"].map(String::from),
    );
    let _ = w.write_record(&header);
    for c in cells {
        for (key, s) in METRIC_KEYS.iter().zip(&c.stats) {
            let Some(s) = s else { continue };
            let mut record = vec![c.cell.to_string()];
            record.extend(plan.cell_values(c.cell).into_iter().map(str::to_string));
            record.push(key.to_string());
            record.push(s.n.to_string());
            record.extend([s.mean, s.ci_low, s.ci_high, s.std, s.p5, s.p50, s.p95].map(number));
            record.push(s.method.as_str().to_string());
            let _ = w.write_record(&record);
        }
    }
    w.into_inner().unwrap_or_default()
}

/// A number for a CSV or JSON field; NaN (no interval from one run) is left empty.
fn number(v: f64) -> String {
    if v.is_finite() { v.to_string() } else { String::new() }
}

/// A cell picked by [`best`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pick {
    /// Cell index.
    pub cell: usize,
    /// `key=value …`.
    pub label: String,
    /// Runs with a value.
    pub n: usize,
    /// Mean of the objective.
    pub mean: f64,
    /// 95% interval of the mean (absent from one run).
    pub ci95: Option<(f64, f64)>,
}

/// The best cell, how sure we are, and how many cells met the constraints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Best {
    /// The objective metric.
    pub metric: String,
    /// `minimize` or `maximize`.
    pub goal: Goal,
    /// The constraints, as written.
    pub subject_to: Vec<String>,
    /// Cells with runs.
    pub cells: usize,
    /// Cells whose means meet every constraint.
    pub feasible: usize,
    /// The feasible cell with the best mean, if any.
    pub best: Option<Pick>,
    /// The next best feasible cell.
    pub runner_up: Option<Pick>,
    /// Mean and 95% interval of best − runner-up over the replications both ran (same seeds).
    pub paired_difference: Option<PairedDifference>,
}

/// best − runner-up, replication by replication.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairedDifference {
    /// Replications both cells ran.
    pub n: usize,
    /// Mean difference.
    pub mean: f64,
    /// Its 95% interval (absent from one pair).
    pub ci95: Option<(f64, f64)>,
    /// Whether the interval lies wholly on the better side of 0; `None` from one pair.
    pub significant: Option<bool>,
}

/// Picks the feasible cell with the lowest (or highest) mean of `objective.metric`: a cell is
/// feasible when its means meet every constraint (a constraint on a metric the cell lacks fails).
pub fn best(
    plan: &Plan,
    rows: &[RunRow],
    cells: &[CellSummary],
    objective: &Objective,
    constraints: &[Assertion],
) -> Best {
    let feasible: Vec<(&CellSummary, &Stats)> = cells
        .iter()
        .filter(|c| constraints.iter().all(|a| c.of(&a.metric).is_some_and(|s| a.op.holds(s.mean, a.value))))
        .filter_map(|c| c.of(&objective.metric).filter(|s| s.mean.is_finite()).map(|s| (c, s)))
        .collect();
    let mut ranked = feasible.clone();
    ranked.sort_by(|(a, sa), (b, sb)| {
        let order = sa.mean.total_cmp(&sb.mean);
        let order = if objective.goal == Goal::Maximize { order.reverse() } else { order };
        order.then(a.cell.cmp(&b.cell))
    });
    let pick = |(c, s): &(&CellSummary, &Stats)| Pick {
        cell: c.cell,
        label: plan.cell_label(c.cell),
        n: s.n,
        mean: s.mean,
        ci95: interval(s),
    };
    let best = ranked.first().map(pick);
    let runner_up = ranked.get(1).map(pick);
    let paired_difference = match (&best, &runner_up) {
        (Some(b), Some(r)) => paired(rows, b.cell, r.cell, objective),
        _ => None,
    };
    Best {
        metric: objective.metric.clone(),
        goal: objective.goal,
        subject_to: constraints.iter().map(|a| a.text.clone()).collect(),
        cells: cells.len(),
        feasible: feasible.len(),
        best,
        runner_up,
        paired_difference,
    }
}

fn interval(s: &Stats) -> Option<(f64, f64)> {
    (s.ci_low.is_finite() && s.ci_high.is_finite()).then_some((s.ci_low, s.ci_high))
}

fn paired(rows: &[RunRow], a: usize, b: usize, objective: &Objective) -> Option<PairedDifference> {
    let m = METRIC_KEYS.iter().position(|k| *k == objective.metric)?;
    let of_b: HashMap<u32, f64> =
        rows.iter().filter(|r| r.id.cell == b).filter_map(|r| Some((r.id.replication, r.metrics[m]?))).collect();
    let mut pairs: Vec<(u32, f64, f64)> = rows
        .iter()
        .filter(|r| r.id.cell == a)
        .filter_map(|r| Some((r.id.replication, r.metrics[m]?, *of_b.get(&r.id.replication)?)))
        .collect();
    pairs.sort_by_key(|p| p.0);
    let pairs: Vec<(f64, f64)> = pairs.into_iter().map(|(_, x, y)| (x, y)).collect();
    let d = stats::paired_difference(&pairs)?;
    let ci95 = interval(&d);
    let significant = ci95.map(|(lo, hi)| match objective.goal {
        Goal::Minimize => hi < 0.0,
        Goal::Maximize => lo > 0.0,
    });
    Some(PairedDifference { n: d.n, mean: d.mean, ci95, significant })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Axis;
    use crate::scenario::parse_assertion;
    use crate::sweep::RunId;

    fn metric_index(key: &str) -> usize {
        METRIC_KEYS.iter().position(|k| *k == key).unwrap()
    }

    /// Three cells × three replications: cost per (cell, replication) and a violation rate.
    fn rows(cost: [[f64; 3]; 3], violations: [f64; 3]) -> Vec<RunRow> {
        let mut out = Vec::new();
        for (cell, costs) in cost.iter().enumerate() {
            for (r, c) in costs.iter().enumerate() {
                let mut metrics = vec![None; METRIC_KEYS.len()];
                metrics[metric_index("cost_usd.total")] = Some(*c);
                metrics[metric_index("sla.violation_rate")] = Some(violations[cell]);
                out.push(RunRow { id: RunId { cell, replication: r as u32 }, seed: r as u64, metrics, wall_s: 0.0 });
            }
        }
        out
    }

    fn plan() -> Plan {
        Plan::new(vec![Axis { key: "k".into(), values: vec!["a".into(), "b".into(), "c".into()] }], 3, 0).unwrap()
    }

    #[test]
    fn best_respects_constraints_and_pairs_by_replication() {
        let plan = plan();
        // Cell 0 is cheapest but breaks the SLA; cell 2 beats cell 1 by exactly 1, 2, 3 on the
        // same seeds although their intervals overlap.
        let rows = rows([[5.0, 5.0, 5.0], [20.0, 30.0, 40.0], [19.0, 28.0, 37.0]], [0.5, 0.0, 0.01]);
        let cells = summarize(&plan, &rows);
        let objective = Objective { metric: "cost_usd.total".into(), goal: Goal::Minimize };
        let constraint = parse_assertion("sla.violation_rate <= 0.01").unwrap();
        let b = best(&plan, &rows, &cells, &objective, &[constraint]);
        assert_eq!((b.cells, b.feasible), (3, 2));
        let best = b.best.unwrap();
        assert_eq!((best.cell, best.label.as_str(), best.mean), (2, "k=c", 28.0));
        assert_eq!(b.runner_up.unwrap().cell, 1);
        let d = b.paired_difference.unwrap();
        assert_eq!((d.n, d.mean), (3, -2.0));
        // Differences −1, −2, −3: sd 1, half-width t(0.975, 2)/√3 = 2.4841377, so the interval
        // (−4.48, 0.48) holds 0: not significant.
        let (lo, hi) = d.ci95.unwrap();
        assert!((lo + 4.484_137_7).abs() < 1e-6 && (hi - 0.484_137_7).abs() < 1e-6, "{lo} {hi}");
        assert_eq!(d.significant, Some(false));
    }

    #[test]
    fn maximize_and_a_clear_winner() {
        let plan = plan();
        let rows = rows([[10.0, 11.0, 12.0], [20.0, 21.5, 23.0], [1.0, 1.0, 1.0]], [0.0; 3]);
        let cells = summarize(&plan, &rows);
        let objective = Objective { metric: "cost_usd.total".into(), goal: Goal::Maximize };
        let b = best(&plan, &rows, &cells, &objective, &[]);
        assert_eq!(b.best.as_ref().unwrap().cell, 1);
        let d = b.paired_difference.unwrap();
        assert_eq!(d.mean, 10.5);
        assert_eq!(d.significant, Some(true), "{d:?}");
        let none = best(&plan, &rows, &cells, &objective, &[parse_assertion("sla.violation_rate > 1").unwrap()]);
        assert_eq!((none.feasible, none.best), (0, None));
    }

    /// 2 cells × 200,000 replications: pairing by replication is linear (it was a search per row).
    #[test]
    fn best_is_linear_in_the_runs() {
        let reps = 200_000u32;
        let plan = Plan::new(vec![Axis { key: "k".into(), values: vec!["a".into(), "b".into()] }], reps, 0).unwrap();
        let m = metric_index("cost_usd.total");
        let rows: Vec<RunRow> = (0..2usize)
            .flat_map(|cell| {
                (0..reps).map(move |r| {
                    let mut metrics = vec![None; METRIC_KEYS.len()];
                    metrics[m] = Some(cell as f64 + f64::from(r % 7));
                    RunRow { id: RunId { cell, replication: r }, seed: u64::from(r), metrics, wall_s: 0.0 }
                })
            })
            .collect();
        let cells = summarize(&plan, &rows);
        let objective = Objective { metric: "cost_usd.total".into(), goal: Goal::Minimize };
        let b = best(&plan, &rows, &cells, &objective, &[]);
        let d = b.paired_difference.unwrap();
        assert_eq!((d.n, d.mean), (reps as usize, -1.0));
    }

    #[test]
    fn summary_csv_has_a_row_per_cell_and_metric_with_values() {
        let plan = plan();
        let rows = rows([[1.0, 2.0, 3.0], [4.0, 4.0, 4.0], [0.0, 0.0, 0.0]], [0.0; 3]);
        let text = String::from_utf8(summary_csv(&plan, &summarize(&plan, &rows))).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "cell,k,metric,n,mean,ci95_low,ci95_high,std,p5,p50,p95,ci95_method");
        assert_eq!(lines.len(), 1 + 3 * 2, "two metrics have values in each of three cells");
        // 1, 2, 3: mean 2, sd 1, a cost: t(0.975, 2)·(1/√3)/2 = 1.2420689 on the log scale,
        // 2/e^1.2420689 = 0.5775723.
        let first: Vec<&str> = lines.iter().find(|l| l.starts_with("0,a,cost_usd.total")).unwrap().split(',').collect();
        assert_eq!(&first[3..5], ["3", "2"]);
        assert!((first[5].parse::<f64>().unwrap() - 0.577_572_3).abs() < 1e-6, "{first:?}");
        assert_eq!(&first[7..], ["1", "1.1", "2", "2.9", "log-t"]);
    }
}
