//! The terminal's view of a finished sweep: cell means with their 95% intervals, and the best
//! cell against the runner-up.

use std::fmt::Write as _;

use fleetsim::report::build::unit_of;
use fleetsim::scenario::{Assertion, Goal};
use fleetsim::sweep::folder::{Results, SweepLineage};
use fleetsim::sweep::summary::{Best, CellSummary, Pick};

/// Cells printed on the terminal; `summary.csv` has them all.
const MAX_PRINTED_CELLS: usize = 40;

/// Four significant digits, without exponent for everyday magnitudes.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-4..1e7).contains(&a) {
        format!("{v:.3e}")
    } else {
        let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    }
}

/// What every LLM sweep's cell table shows, after the objective and constraint metrics.
const LLM_METRICS: &[&str] =
    &["cost_usd.per_million_output_tokens", "ttft_s.p90", "ttft_s.p99", "tpot_s.p90", "tpot_s.p99"];

/// The metrics the cell table shows: the objective and constraint metrics, else a default set;
/// for an LLM sweep, the cost per million output tokens and TTFT and TPOT (p90, p99) as well.
fn shown_metrics(lineage: &SweepLineage, constraints: &[Assertion], results: &Results) -> Vec<String> {
    let mut out: Vec<String> = lineage.objective.iter().map(|o| o.metric.clone()).collect();
    for a in constraints {
        if !out.contains(&a.metric) {
            out.push(a.metric.clone());
        }
    }
    let has = |m: &str| results.cells.iter().any(|c| c.of(m).is_some());
    if has("ttft_s.p90") {
        if out.is_empty() {
            out.push("cost_usd.total".into());
        }
        for m in LLM_METRICS.iter().filter(|m| has(m)) {
            if !out.iter().any(|o| o == m) {
                out.push(m.to_string());
            }
        }
    }
    if out.is_empty() {
        let defaults: &[&str] = if has("job.makespan_s") {
            &["job.makespan_s", "cost_usd.total", "job.lost_work_s"]
        } else {
            &["cost_usd.total", "latency_s.p99", "sla.violation_rate"]
        };
        out = defaults.iter().filter(|m| has(m)).map(|m| m.to_string()).collect();
    }
    out
}

/// A grid value as shown: Young's and Daly's intervals with what they resolved to (`young (2.14h)`).
fn value_text(key: &str, value: &str, cell: &CellSummary) -> String {
    match (key, value, cell.of("job.checkpoint_interval_s")) {
        ("job.checkpoint.interval", "young" | "daly", Some(s)) => {
            format!("{value} ({})", fleetsim::report::format::duration(s.mean))
        }
        _ => value.to_string(),
    }
}

/// The cell table (mean and 95% interval of the shown metrics) and the best cell.
pub fn render(lineage: &SweepLineage, results: &Results, constraints: &[Assertion]) -> String {
    let plan = &lineage.plan;
    let metrics = shown_metrics(lineage, constraints, results);
    let mut header: Vec<String> = plan.axes.iter().map(|a| a.key.clone()).collect();
    header.push("n".into());
    header.extend(metrics.iter().map(|m| format!("{m} (95% CI)")));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for c in results.cells.iter().take(MAX_PRINTED_CELLS) {
        let mut row: Vec<String> =
            plan.cell_values(c.cell).into_iter().zip(&plan.axes).map(|(v, a)| value_text(&a.key, v, c)).collect();
        row.push(c.runs.to_string());
        for m in &metrics {
            row.push(match c.of(m) {
                Some(s) => unit_of(m).interval(s.mean, s.ci_low, s.ci_high),
                None => "–".into(),
            });
        }
        rows.push(row);
    }
    let mut o = String::new();
    let widths: Vec<usize> = (0..header.len())
        .map(|j| rows.iter().map(|r| r[j].chars().count()).chain([header[j].chars().count()]).max().unwrap_or(0))
        .collect();
    for line in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = line.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
        let _ = writeln!(o, "{}", cells.join("  ").trim_end());
    }
    if results.cells.len() > MAX_PRINTED_CELLS {
        let _ = writeln!(o, "… {} more cells in summary.csv", results.cells.len() - MAX_PRINTED_CELLS);
    }
    if let Some(best) = &results.best {
        o.push_str(&render_best(best, results));
    }
    o
}

/// `key=value …` of a picked cell, with Young's or Daly's interval resolved.
fn pick_label(p: &Pick, results: &Results) -> String {
    let Some(cell) = results.cells.iter().find(|c| c.cell == p.cell) else { return p.label.clone() };
    p.label
        .split(' ')
        .map(|part| match part.split_once('=') {
            Some((k, v)) => format!("{k}={}", value_text(k, v, cell)),
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_best(b: &Best, results: &Results) -> String {
    let mut o = String::new();
    let goal = match b.goal {
        Goal::Minimize => "lowest",
        Goal::Maximize => "highest",
    };
    let subject =
        if b.subject_to.is_empty() { String::new() } else { format!(" subject to {}", b.subject_to.join(", ")) };
    let _ = writeln!(o, "\nbest cell: {goal} mean {}{subject} ({} of {} cells qualify)", b.metric, b.feasible, b.cells);
    let Some(best) = &b.best else {
        let _ = writeln!(o, "  no cell meets the constraints");
        return o;
    };
    let unit = unit_of(&b.metric);
    let ci = |p: &Pick| {
        p.ci95.map_or(format!("n = {}", p.n), |(lo, hi)| {
            format!("95% CI {} to {}, n = {}", unit.format(lo), unit.format(hi), p.n)
        })
    };
    let _ = writeln!(o, "  {}: {} ({})", pick_label(best, results), unit.format(best.mean), ci(best));
    if let (Some(r), Some(d)) = (&b.runner_up, &b.paired_difference) {
        let _ = writeln!(o, "  runner-up {}: {} ({})", pick_label(r, results), unit.format(r.mean), ci(r));
        let verdict = match d.significant {
            Some(true) => "the best cell is better at 95% confidence",
            Some(false) => "not a significant difference at 95%: more replications may separate them",
            None => "one pair only: no interval",
        };
        let interval =
            d.ci95.map_or(String::new(), |(lo, hi)| format!(" (95% CI {} to {})", unit.signed(lo), unit.signed(hi)));
        let _ =
            writeln!(o, "  paired difference over {} shared seeds: {}{interval}; {verdict}", d.n, unit.signed(d.mean));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_four_significant_digits() {
        assert_eq!(num(1234.5678), "1235");
        assert_eq!(num(12.345678), "12.35");
        assert_eq!(num(0.012345), "0.01235");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(-0.5), "-0.5");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(3e-6), "3.000e-6");
        assert_eq!(num(f64::NAN), "–");
    }
}
