//! The charts of a sweep's (or a comparison's) cells: a metric against a grid axis with its 95%
//! band, cost against latency with the constraints and the Pareto front, and the heat map of a
//! two-axis sweep.

use super::grid::{Cell, Grid};
use super::{label_of, numeric, unit_of};
use crate::report::chart::{
    self, Axis, Figure, HLine, HeatMap, Limit, LineChart, Point, Region, Scatter, Series, VLine,
};
use crate::report::format::{self, Unit};
use crate::scenario::{Assertion, CmpOp};

/// Points drawn on a cost-against-latency chart at most, besides the front and the best.
const MAX_POINTS: usize = 5000;
/// Cells of a heat map at most.
pub(super) const MAX_HEAT_CELLS: usize = 2500;

/// What a cell must meet: the sweep's constraints, else the SLA (its latency quantile at most
/// its target).
pub(super) struct Rules {
    pub constraints: Vec<Assertion>,
    /// The SLA: the metric of its quantile (`latency_s.p99`) and its target, when known.
    pub sla: Option<(String, f64)>,
}

impl Rules {
    /// Whether `cell`'s means meet the rules (a metric the cell lacks fails).
    pub(super) fn feasible(&self, grid: &Grid, cell: &Cell) -> bool {
        if self.constraints.is_empty() {
            return self.sla.as_ref().is_none_or(|(m, t)| grid.mean(cell, m).is_some_and(|v| v <= *t));
        }
        self.constraints.iter().all(|a| grid.mean(cell, &a.metric).is_some_and(|v| a.op.holds(v, a.value)))
    }

    /// Why `cell` fails: each broken rule with the cell's value (`p99 latency 108ms`), written
    /// apart from its limit (`100.2ms`, not `100ms`).
    pub(super) fn why(&self, grid: &Grid, cell: &Cell) -> String {
        let broken: Vec<String> = if self.constraints.is_empty() {
            self.sla.iter().map(|(m, t)| value_text(grid, cell, m, *t)).collect()
        } else {
            self.constraints
                .iter()
                .filter(|a| !grid.mean(cell, &a.metric).is_some_and(|v| a.op.holds(v, a.value)))
                .map(|a| value_text(grid, cell, &a.metric, a.value))
                .collect()
        };
        broken.join(", ")
    }

    /// Each rule in words (`p99 latency ≤ 100ms`).
    pub(super) fn texts(&self) -> Vec<String> {
        if self.constraints.is_empty() {
            return self
                .sla
                .iter()
                .map(|(m, t)| format!("the SLA ({} ≤ {})", label_of(m), format::duration(*t)))
                .collect();
        }
        self.constraints.iter().map(constraint_text).collect()
    }
}

fn value_text(grid: &Grid, cell: &Cell, metric: &str, limit: f64) -> String {
    let v = grid.mean(cell, metric).map_or("no value".into(), |v| format::apart(unit_of(metric), v, limit));
    format!("{} {v}", label_of(metric))
}

/// `p99 latency ≤ 100ms`.
pub(super) fn constraint_text(a: &Assertion) -> String {
    let op = match a.op {
        CmpOp::Lt => "<",
        CmpOp::Le => "≤",
        CmpOp::Gt => ">",
        CmpOp::Ge => "≥",
        CmpOp::Eq => "=",
    };
    format!("{} {op} {}", label_of(&a.metric), unit_of(&a.metric).format(a.value))
}

/// `metric` against the first axis that lies on a number line, one line (with its 95% band) per
/// combination of the other axes; a constraint on the metric drawn with its failing side shaded.
/// Cells of a checkpoint-interval axis set to `young` or `daly` are placed at the interval they
/// resolved to and marked.
pub(super) fn sweep_curve(axes: &[(String, Vec<String>)], grid: &Grid, metric: &str, rules: &Rules) -> Option<Figure> {
    let is_interval = |k: &str| k == "job.checkpoint.interval";
    let primary = axes.iter().position(|(k, values)| {
        values.iter().filter(|v| numeric(v).is_some()).count() >= 2
            && (is_interval(k) || values.iter().all(|v| numeric(v).is_some()))
    })?;
    let (key, values) = &axes[primary];
    let unit = values.iter().find_map(|v| numeric(v)).map_or(Unit::Number, |(_, u)| u);
    // One line per combination of the other axes, in grid order.
    let mut groups: Vec<(String, Vec<&Cell>)> = Vec::new();
    for c in &grid.cells {
        let label: Vec<String> = axes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != primary)
            .map(|(j, (k, _))| format!("{}={}", k.rsplit('.').next().unwrap_or(k), c.values[j]))
            .collect();
        let label = label.join(" ");
        match groups.iter().position(|(l, _)| *l == label) {
            Some(g) => groups[g].1.push(c),
            None if groups.len() < 8 => groups.push((label, vec![c])),
            None => {}
        }
    }
    let mut series: Vec<Series> = Vec::new();
    let mut vlines = Vec::new();
    let mut named_points = Vec::new();
    for (label, members) in &groups {
        let mut pts: Vec<(f64, f64, f64, f64)> = Vec::new();
        for c in members {
            let Some(s) = grid.get(c, metric) else { continue };
            match numeric(&c.values[primary]) {
                Some((x, _)) => pts.push((x, s.mean, s.low, s.high)),
                None if is_interval(key) => {
                    if let Some(x) = grid.mean(c, "job.checkpoint_interval_s") {
                        let name = match c.values[primary].as_str() {
                            "young" => "Young",
                            "daly" => "Daly",
                            other => other,
                        }
                        .to_string();
                        if !vlines.iter().any(|v: &VLine| v.label.starts_with(&name)) {
                            vlines.push(VLine { x, label: format!("{name} {}", format::duration(x)), label_y: 0.93 });
                        }
                        named_points.push((x, s.mean));
                    }
                }
                None => {}
            }
        }
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let band = pts.iter().filter(|p| p.2.is_finite() && p.3.is_finite()).map(|p| (p.0, p.2, p.3)).collect();
        series.push(Series {
            name: if groups.len() > 1 { label.clone() } else { "mean, 95% CI band".to_string() },
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
            band,
            markers: true,
            line: true,
        });
    }
    if !named_points.is_empty() {
        series.push(Series {
            name: "Young's / Daly's interval".into(),
            points: named_points,
            band: Vec::new(),
            markers: true,
            line: false,
        });
    }
    // A metric every cell has the same value of (a deadline always met) says nothing as a curve.
    let all: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    if all.iter().all(|v| (v - all[0]).abs() <= 1e-12 * v.abs().max(1.0)) {
        return None;
    }
    let xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let (lo, hi) = xs.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
    let mut x = Axis::new(&label_of(key), unit);
    x.log = lo > 0.0 && hi / lo >= 16.0;
    let ticks: Vec<f64> = values.iter().filter_map(|v| numeric(v).map(|n| n.0)).collect();
    if ticks.len() <= 12 {
        x.ticks = Some(ticks);
    }
    // A metric spanning orders of magnitude (an overloaded cell's latency) on a log scale.
    let (ylo, yhi) = all.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &y| (l.min(y), h.max(y)));
    let mut y = Axis::new(&label_of(metric), unit_of(metric));
    y.log = ylo > 0.0 && yhi / ylo > 30.0;
    if y.log {
        for s in &mut series {
            s.band.retain(|b| b.1 > 0.0);
        }
    }
    let mut chart = LineChart::new(format!("{} by {}", label_of(metric), label_of(key)), x, y, series);
    chart.vlines = vlines;
    for a in rules.constraints.iter().filter(|a| a.metric == metric && a.op != CmpOp::Eq) {
        chart.hlines.push(HLine { y: a.value, label: String::new() });
        let fails =
            if matches!(a.op, CmpOp::Lt | CmpOp::Le) { (a.value, f64::INFINITY) } else { (f64::NEG_INFINITY, a.value) };
        chart.regions.push(Region {
            x: (f64::NEG_INFINITY, f64::INFINITY),
            y: fails,
            label: format!("fails {}", constraint_text(a)),
        });
    }
    Some(Figure::Lines(chart))
}

/// Cost against the SLA's latency quantile (serving) or makespan (jobs), one point per cell with
/// its 95% intervals; upper limits on either axis (the SLA, `subject_to`) drawn and shaded.
pub(super) fn pareto(
    axes: &[(String, Vec<String>)],
    grid: &Grid,
    rules: &Rules,
    highlight: Option<usize>,
) -> Option<Figure> {
    let other = if grid.has("job.makespan_s") {
        "job.makespan_s".to_string()
    } else {
        rules.sla.as_ref().map_or("latency_s.p99".to_string(), |(m, _)| m.clone())
    };
    let cost = "cost_usd.total";
    let mut points: Vec<Point> = Vec::new();
    let mut cell_of: Vec<usize> = Vec::new();
    for (k, c) in grid.cells.iter().enumerate() {
        let (Some(x), Some(y)) = (grid.get(c, &other), grid.get(c, cost)) else { continue };
        let ci = |s: super::grid::Stat| (s.low.is_finite() && s.high.is_finite()).then_some((s.low, s.high));
        points.push(Point {
            x: x.mean,
            y: y.mean,
            x_ci: ci(x),
            y_ci: ci(y),
            label: c.values.join(", "),
            feasible: rules.feasible(grid, c),
        });
        cell_of.push(k);
    }
    if points.len() < 2 {
        return None;
    }
    let mut highlight = highlight.and_then(|h| cell_of.iter().position(|&k| grid.cells[k].index == h));
    let total = points.len();
    let note = thin_points(&mut points, &mut highlight);
    let spread = |v: Vec<f64>| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        lo > 0.0 && hi / lo > 30.0
    };
    let mut x = Axis::new(&label_of(&other), Unit::Seconds);
    x.log = spread(points.iter().map(|p| p.x).collect());
    let limit_on = |metric: &str| -> Option<Limit> {
        let from_rules = rules.constraints.iter().find(|a| a.metric == metric && matches!(a.op, CmpOp::Lt | CmpOp::Le));
        match from_rules {
            Some(a) => Some(Limit { value: a.value, label: constraint_text(a) }),
            None => rules.sla.as_ref().filter(|(m, _)| m == metric).map(|(m, t)| Limit {
                value: *t,
                label: format!("SLA {} ≤ {}", format::quantile(quantile_of(m)), format::duration(*t)),
            }),
        }
    };
    Some(Figure::Pareto(Scatter {
        title: format!(
            "Cost against {} ({})",
            label_of(&other),
            axes.iter().map(|(k, _)| k.rsplit('.').next().unwrap_or(k).to_string()).collect::<Vec<_>>().join(", ")
        ),
        x_limit: limit_on(&other),
        y_limit: limit_on(cost),
        x,
        y: Axis::new("total cost", Unit::Usd),
        points,
        highlight,
        note: if total > MAX_POINTS { note } else { String::new() },
    }))
}

/// The quantile a `latency_s.pNN` key names (0.99 for p99).
fn quantile_of(metric: &str) -> f64 {
    metric.rsplit(".p").next().and_then(|q| q.parse::<f64>().ok()).map_or(0.99, |q| q / 100.0)
}

/// Keeps the front, the best and an even sample of the other points, [`MAX_POINTS`] in all;
/// says how many are shown.
fn thin_points(points: &mut Vec<Point>, highlight: &mut Option<usize>) -> String {
    let total = points.len();
    if total <= MAX_POINTS {
        return String::new();
    }
    let mut keep = vec![false; total];
    for i in chart::feasible_front(points).into_iter().chain(*highlight) {
        keep[i] = true;
    }
    let stride = total.div_ceil(MAX_POINTS);
    let kept: Vec<usize> = (0..total).filter(|&i| i % stride == 0 || keep[i]).collect();
    *highlight = highlight.and_then(|h| kept.iter().position(|&i| i == h));
    let mut all = std::mem::take(points).into_iter().map(Some).collect::<Vec<_>>();
    *points = kept.iter().filter_map(|&i| all[i].take()).collect();
    format!("{} of {} points shown", format::count(points.len() as f64), format::count(total as f64))
}

/// The heat map of `metric` over a two-axis grid (first axis down, second across).
pub(super) fn heat_map(
    axes: &[(String, Vec<String>)],
    grid: &Grid,
    metric: &str,
    rules: &Rules,
    best: Option<usize>,
) -> Option<Figure> {
    let [(ky, vy), (kx, vx)] = axes else { return None };
    let n = vx.len() * vy.len();
    if n > MAX_HEAT_CELLS || vx.len() < 2 || vy.len() < 2 || !grid.has(metric) {
        return None;
    }
    let mut values = vec![None; n];
    let mut infeasible = vec![false; n];
    let mut best_at = None;
    for c in &grid.cells {
        let (Some(j), Some(i)) = (vy.iter().position(|v| *v == c.values[0]), vx.iter().position(|v| *v == c.values[1]))
        else {
            continue;
        };
        let k = j * vx.len() + i;
        values[k] = grid.mean(c, metric);
        infeasible[k] = !rules.feasible(grid, c);
        if best == Some(c.index) {
            best_at = Some(k);
        }
    }
    Some(Figure::Heat(HeatMap {
        title: format!("{} by {} and {}", label_of(metric), label_of(ky), label_of(kx)),
        x: (label_of(kx), vx.clone()),
        y: (label_of(ky), vy.clone()),
        values,
        unit: unit_of(metric),
        value_label: format!("mean {}", label_of(metric)),
        infeasible,
        best: best_at,
    }))
}
