//! The charts reports share: timelines, latency CDFs, cost bars, sweep curves, Pareto plots.

use serde_json::Value;

use super::{Cell, Csv, label_of, num, numeric, unit_of};
use crate::report::chart::{Axis, BarChart, Figure, LineChart, Scatter, Series, VLine};
use crate::report::format::{self, Unit};

/// Time panels: load, queue, replicas by pool and market (interruptions marked), cost accrued.
/// With several designs, one line per design in each panel.
pub(super) fn timeline(designs: &[(String, Csv)], is_job: bool) -> Option<Figure> {
    let time = Axis::new("simulated time", Unit::Seconds);
    let several = designs.len() > 1;
    let mut panels = Vec::new();
    let named = |design: &str, what: &str| -> String {
        match (several, what.is_empty()) {
            (true, true) => design.to_string(),
            (true, false) => format!("{design}: {what}"),
            (false, _) => what.to_string(),
        }
    };
    let mut load = Vec::new();
    let mut queue = Vec::new();
    let mut replicas = Vec::new();
    let mut cost = Vec::new();
    let mut events = Vec::new();
    for (design, ts) in designs {
        // A job's time series is its final row only: nothing to draw over time.
        let Some(t) = ts.numbers("time_s").filter(|t| t.len() >= 2) else { continue };
        // The last row may close a short interval (the drain): a rate over it would spike.
        let interval: Vec<f64> = t.iter().enumerate().map(|(i, &x)| if i == 0 { x } else { x - t[i - 1] }).collect();
        let full = interval.first().copied().unwrap_or(0.0);
        let interval: Vec<f64> = interval.into_iter().map(|dt| if dt < 0.5 * full { 0.0 } else { dt }).collect();
        let rate = |col: &str| -> Option<Vec<(f64, f64)>> {
            let v = ts.numbers(col)?;
            v.iter().any(|x| *x > 0.0).then(|| {
                t.iter()
                    .zip(&v)
                    .zip(&interval)
                    .filter(|(_, dt)| **dt > 0.0)
                    .map(|((&x, &n), &dt)| (x, n / dt))
                    .collect()
            })
        };
        let plain = |col: &str| -> Option<Vec<(f64, f64)>> {
            let v = ts.numbers(col)?;
            v.iter().any(|x| *x > 0.0).then(|| t.iter().copied().zip(v.iter().copied()).collect())
        };
        let line = |name: String, points: Vec<(f64, f64)>| Series {
            name,
            points,
            band: Vec::new(),
            markers: false,
            line: true,
        };
        if !is_job && (!several || load.is_empty()) {
            // The same seeds give every design the same arrivals: one load line is enough.
            if let Some(p) = rate("arrivals") {
                load.push(line(if several { "arrivals (all designs)".into() } else { "arrivals".into() }, p));
            }
            if !several && let Some(p) = rate("completions") {
                load.push(line("completions".into(), p));
            }
        }
        if let Some(p) = plain("queue_len") {
            queue.push(line(named(design, ""), p));
        }
        let pools: Vec<&String> = ts.header.iter().filter(|h| h.starts_with("replicas_")).collect();
        if several {
            if let Some(p) = plain("ready_replicas") {
                replicas.push(line(named(design, "ready replicas"), p));
            }
        } else {
            for col in &pools {
                if let Some(p) = plain(col) {
                    replicas.push(line(format!("pool {}", col.trim_start_matches("replicas_")), p));
                }
            }
            let markets: Vec<(&str, Vec<(f64, f64)>)> =
                [("on_demand_replicas", "on-demand"), ("spot_replicas", "spot"), ("reserved_replicas", "reserved")]
                    .iter()
                    .filter_map(|(col, name)| plain(col).map(|p| (*name, p)))
                    .collect();
            if markets.len() > 1 || pools.len() > 1 {
                for (name, p) in markets {
                    replicas.push(line(format!("{name} (market)"), p));
                }
            }
        }
        if let Some(p) = plain("cost_usd") {
            cost.push(line(named(design, ""), p));
        }
        if let Some(n) = ts.numbers("interruptions") {
            // Jobs count interruptions cumulatively; serving rows count those of the interval.
            let mut prev = 0.0;
            for (x, v) in t.iter().zip(&n) {
                let new = if is_job { v - prev } else { *v };
                prev = *v;
                if new > 0.0 && !several {
                    events.push(*x);
                }
            }
        }
    }
    let panel = |title: &str, y: Axis, series: Vec<Series>| LineChart {
        title: title.into(),
        x: time.clone(),
        y,
        series,
        vlines: Vec::new(),
        events: Vec::new(),
        events_label: String::new(),
        legend_lower: false,
    };
    if !load.is_empty() {
        panels.push(panel("Load", zero("requests per second", Unit::Number), load));
    }
    if !queue.is_empty() {
        panels.push(panel("Queue length", zero("requests waiting", Unit::Number), queue));
    }
    if !replicas.is_empty() {
        let mut p = panel("Replicas by pool and market", zero("live instances", Unit::Number), replicas);
        p.events = std::mem::take(&mut events);
        p.events_label = "spot interruption".into();
        panels.push(p);
    }
    if !cost.is_empty() {
        let mut p = panel("Cost accrued", zero("cost so far", Unit::Usd), cost);
        p.events = events;
        p.events_label = "spot interruption".into();
        panels.push(p);
    }
    (!panels.is_empty()).then_some(Figure::Stack(panels))
}

fn zero(label: &str, unit: Unit) -> Axis {
    Axis { from_zero: true, ..Axis::new(label, unit) }
}

/// The latency CDF of each design, with the SLA line.
pub(super) fn latency_cdf(designs: &[(String, Csv)], sla: Option<f64>) -> Figure {
    let series: Vec<Series> = designs
        .iter()
        .filter_map(|(name, csv)| {
            let x = csv.numbers("latency_s")?;
            let y = csv.numbers("fraction")?;
            Some(Series {
                name: if designs.len() > 1 { name.clone() } else { "requests".into() },
                points: x.into_iter().zip(y).filter(|(x, _)| *x > 0.0).collect(),
                band: Vec::new(),
                markers: false,
                line: true,
            })
        })
        .collect();
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(x), h.max(x)));
    let mut x = Axis::new("latency", Unit::Seconds);
    x.log = lo > 0.0 && hi / lo > 20.0;
    let vlines = sla
        .filter(|s| *s > 0.0)
        .map(|s| VLine { x: s, label: format!("SLA {}", format::duration(s)), label_y: 0.5 })
        .into_iter()
        .collect();
    Figure::Lines(LineChart {
        legend_lower: true,
        title: "Latency distribution (CDF)".into(),
        x,
        y: Axis { from_zero: true, ..Axis::new("requests at most this slow", Unit::Percent) },
        series,
        vlines,
        events: Vec::new(),
        events_label: String::new(),
    })
}

/// Cost stacked by market and spot zone, one bar per design (or per market for one run).
pub(super) fn cost_bars(designs: &[(String, Value)], by_market: bool) -> Option<Figure> {
    let zones: Vec<String> = {
        let mut z: Vec<String> = designs
            .iter()
            .flat_map(|(_, s)| {
                s.get("cost_usd")
                    .and_then(|c| c.get("by_zone"))
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect();
        z.sort();
        z.dedup();
        z
    };
    // Segments: on-demand, spot (by zone when the summary has zones), reserved.
    let mut parts: Vec<(String, String)> = vec![("on-demand".into(), "cost_usd.on_demand".into())];
    if zones.is_empty() {
        parts.push(("spot".into(), "cost_usd.spot".into()));
    } else {
        parts.extend(zones.iter().map(|z| (format!("spot {z}"), format!("zone:{z}"))));
    }
    parts.push(("reserved".into(), "cost_usd.reserved".into()));
    let part_value = |key: &str, s: &Value| -> f64 {
        match key.strip_prefix("zone:") {
            Some(z) => s.get("cost_usd").and_then(|c| c.get("by_zone")).and_then(|b| b.get(z)).and_then(Value::as_f64),
            None => num(s, key),
        }
        .unwrap_or(0.0)
    };
    let total: f64 = designs.iter().map(|(_, s)| num(s, "cost_usd.total").unwrap_or(0.0)).sum();
    if total <= 0.0 {
        return None;
    }
    let (categories, segments) = if by_market && designs.len() == 1 {
        // One run: a bar per market, spot split by zone.
        let s = &designs[0].1;
        let markets = ["on-demand", "spot", "reserved"];
        let present: Vec<usize> = markets
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                num(s, ["cost_usd.on_demand", "cost_usd.spot", "cost_usd.reserved"][*i]).unwrap_or(0.0) > 0.0
            })
            .map(|(i, _)| i)
            .collect();
        let categories: Vec<String> = present.iter().map(|&i| markets[i].to_string()).collect();
        let segments: Vec<(String, Vec<f64>)> = parts
            .iter()
            .map(|(name, key)| {
                let market = if name.starts_with("spot") {
                    1
                } else if name == "reserved" {
                    2
                } else {
                    0
                };
                (name.clone(), present.iter().map(|&m| if m == market { part_value(key, s) } else { 0.0 }).collect())
            })
            .filter(|(_, v): &(String, Vec<f64>)| v.iter().any(|x| *x > 0.0))
            .collect();
        (categories, segments)
    } else {
        let categories = designs.iter().map(|(n, _)| n.clone()).collect();
        let segments = parts
            .iter()
            .map(|(name, key)| (name.clone(), designs.iter().map(|(_, s)| part_value(key, s)).collect::<Vec<f64>>()))
            .filter(|(_, v)| v.iter().any(|x| *x > 0.0))
            .collect();
        (categories, segments)
    };
    Some(Figure::Bars(BarChart {
        title: "Cost by market and zone".into(),
        y: Axis::new("cost", Unit::Usd),
        categories,
        segments,
    }))
}

/// `metric` against the first axis that lies on a number line, one line (with its 95% band) per
/// combination of the other axes. Cells of a checkpoint-interval axis set to `young` or `daly`
/// are placed at the interval they resolved to and marked.
pub(super) fn sweep_curve(axes: &[(String, Vec<String>)], cells: &[Cell], metric: &str) -> Option<Figure> {
    let is_interval = |k: &str| k == "job.checkpoint.interval";
    let primary = axes.iter().position(|(k, values)| {
        values.iter().filter(|v| numeric(v).is_some()).count() >= 2
            && (is_interval(k) || values.iter().all(|v| numeric(v).is_some()))
    })?;
    let (key, values) = &axes[primary];
    let unit = values.iter().find_map(|v| numeric(v)).map_or(Unit::Number, |(_, u)| u);
    // One line per combination of the other axes, in grid order.
    let mut groups: Vec<(String, Vec<&Cell>)> = Vec::new();
    for c in cells {
        let label: Vec<String> = axes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != primary)
            .map(|(j, (k, _))| format!("{}={}", k.rsplit('.').next().unwrap_or(k), c.values[j]))
            .collect();
        let label = label.join(" ");
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, members)) => members.push(c),
            None => groups.push((label, vec![c])),
        }
    }
    let mut series: Vec<Series> = Vec::new();
    let mut vlines = Vec::new();
    let mut named_points = Vec::new();
    for (label, members) in groups.iter().take(8) {
        let mut pts: Vec<(f64, f64, f64, f64)> = Vec::new();
        for c in members {
            let Some(&(m, lo, hi, _)) = c.metrics.get(metric) else { continue };
            match numeric(&c.values[primary]) {
                Some((x, _)) => pts.push((x, m, lo, hi)),
                None if is_interval(key) => {
                    if let Some(x) = c.mean("job.checkpoint_interval_s") {
                        let who = c.values[primary].clone();
                        let name = match who.as_str() {
                            "young" => "Young",
                            "daly" => "Daly",
                            other => other,
                        };
                        if !vlines.iter().any(|v: &VLine| v.label.starts_with(name)) {
                            vlines.push(VLine { x, label: format!("{name} {}", format::duration(x)), label_y: 0.93 });
                        }
                        named_points.push((x, m));
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
    let grid: Vec<f64> = values.iter().filter_map(|v| numeric(v).map(|n| n.0)).collect();
    if grid.len() <= 12 {
        x.ticks = Some(grid);
    }
    // A metric spanning orders of magnitude (an overloaded cell's latency) on a log scale.
    let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let (ylo, yhi) = ys.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &y| (l.min(y), h.max(y)));
    let mut y = Axis::new(&label_of(metric), unit_of(metric));
    y.log = ylo > 0.0 && yhi / ylo > 30.0;
    if y.log {
        for s in &mut series {
            s.band.retain(|b| b.1 > 0.0);
        }
    }
    Some(Figure::Lines(LineChart {
        title: format!("{} by {}", label_of(metric), label_of(key)),
        x,
        y,
        series,
        vlines,
        events: Vec::new(),
        events_label: String::new(),
        legend_lower: false,
    }))
}

/// Cost against p99 latency (serving) or makespan (jobs), one point per cell.
pub(super) fn pareto(axes: &[(String, Vec<String>)], cells: &[Cell], highlight: Option<usize>) -> Option<Figure> {
    let other =
        if cells.iter().any(|c| c.metrics.contains_key("job.makespan_s")) { "job.makespan_s" } else { "latency_s.p99" };
    let points: Vec<(f64, f64, String)> =
        cells.iter().filter_map(|c| Some((c.mean(other)?, c.mean("cost_usd.total")?, c.values.join(", ")))).collect();
    if points.len() < 2 {
        return None;
    }
    let highlight = highlight.and_then(|h| cells.iter().position(|c| c.index == h));
    let spread = |v: Vec<f64>| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        lo > 0.0 && hi / lo > 30.0
    };
    let mut x = Axis::new(&label_of(other), Unit::Seconds);
    x.log = spread(points.iter().map(|p| p.0).collect());
    Some(Figure::Pareto(Scatter {
        title: format!(
            "Cost against {} ({})",
            label_of(other),
            axes.iter().map(|(k, _)| k.rsplit('.').next().unwrap_or(k).to_string()).collect::<Vec<_>>().join(", ")
        ),
        x,
        y: Axis::new("total cost", Unit::Usd),
        points,
        highlight,
    }))
}
