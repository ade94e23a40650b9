//! The charts of a run's or a comparison's time series and costs: the timeline panels, an LLM
//! run's KV cache, running and waiting panels, and the cost bars.

use serde_json::Value;

use super::{Table, num};
use crate::report::chart::{Axis, BarChart, Figure, LineChart, Series};
use crate::report::format::Unit;

/// Points per line at most: longer series keep each bucket's lowest and highest point, so
/// peaks stay visible and a million-row time series draws in bounded time and size.
const MAX_POINTS: usize = 2000;

/// `points` thinned to at most about [`MAX_POINTS`]: per bucket, its lowest and highest point
/// in x order.
fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let per = points.len().div_ceil(MAX_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for chunk in points.chunks(per) {
        let lo = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1)).copied();
        let hi = chunk.iter().max_by(|a, b| a.1.total_cmp(&b.1)).copied();
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo.0 <= hi.0 {
                out.extend([lo, hi]);
            } else {
                out.extend([hi, lo]);
            }
        }
    }
    out.dedup();
    out
}

/// Time panels: load, queue, replicas by pool and market (interruptions marked), cost accrued.
/// With several designs, one line per design in each panel.
pub(super) fn timeline(designs: &[(String, Table)], is_job: bool) -> Option<Figure> {
    let several = designs.len() > 1;
    let named = |design: &str, what: &str| -> String {
        match (several, what.is_empty()) {
            (true, true) => design.to_string(),
            (true, false) => format!("{design}: {what}"),
            (false, _) => what.to_string(),
        }
    };
    let (mut load, mut queue, mut replicas, mut cost, mut events) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (design, ts) in designs {
        // A job's time series is its final row only: nothing to draw over time.
        let Some(t) = ts.col("time_s").filter(|t| t.len() >= 2) else { continue };
        // The last row may close a short interval (the drain): a rate over it would spike.
        let interval: Vec<f64> = t.iter().enumerate().map(|(i, &x)| if i == 0 { x } else { x - t[i - 1] }).collect();
        let full = interval.first().copied().unwrap_or(0.0);
        let interval: Vec<f64> = interval.into_iter().map(|dt| if dt < 0.5 * full { 0.0 } else { dt }).collect();
        let rate = |col: &str| -> Option<Vec<(f64, f64)>> {
            let v = ts.col(col)?;
            v.iter().any(|x| *x > 0.0).then(|| {
                let pts =
                    t.iter().zip(v).zip(&interval).filter(|(_, dt)| **dt > 0.0).map(|((&x, &n), &dt)| (x, n / dt));
                thin(pts.collect())
            })
        };
        let plain = |col: &str| -> Option<Vec<(f64, f64)>> {
            let v = ts.col(col)?;
            v.iter().any(|x| *x > 0.0).then(|| thin(t.iter().copied().zip(v.iter().copied()).collect()))
        };
        if !is_job && (!several || load.is_empty()) {
            // The same seeds give every design the same arrivals: one load line is enough.
            if let Some(p) = rate("arrivals") {
                load.push(Series::line(if several { "arrivals (all designs)" } else { "arrivals" }, p));
            }
            if !several && let Some(p) = rate("completions") {
                load.push(Series::line("completions", p));
            }
        }
        if let Some(p) = plain("queue_len") {
            queue.push(Series::line(named(design, ""), p));
        }
        if several {
            if let Some(p) = plain("ready_replicas") {
                replicas.push(Series::line(named(design, ""), p));
            }
        } else {
            replicas.extend(replica_lines(ts, &plain));
        }
        if let Some(p) = plain("cost_usd") {
            cost.push(Series::line(named(design, ""), p));
        }
        if let Some(n) = ts.col("interruptions").filter(|_| !several) {
            // Jobs count interruptions cumulatively; serving rows count those of the interval.
            let mut prev = 0.0;
            for (x, v) in t.iter().zip(n) {
                let new = if is_job { v - prev } else { *v };
                prev = *v;
                if new > 0.0 {
                    events.push(*x);
                }
            }
        }
    }
    let time = Axis::new("simulated time", Unit::Seconds);
    let panel = |title: &str, y: Axis, series: Vec<Series>| LineChart::new(title, time.clone(), y, series);
    let mut panels = Vec::new();
    if !load.is_empty() {
        panels.push(panel("Load", zero("requests per second", Unit::Number), load));
    }
    if !queue.is_empty() {
        panels.push(panel("Queue length", zero("requests waiting", Unit::Number), queue));
    }
    if !replicas.is_empty() {
        let title = if several { "Ready replicas" } else { "Replicas by pool and market" };
        let mut p = panel(title, zero("live instances", Unit::Number), replicas);
        p.events = events.clone();
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

/// An LLM run's replicas over time, from the `kv_used_`, `running_` and `waiting_` columns of
/// `timeseries.csv` (sampled at each row's time): KV cache in use (a fraction of the pool's
/// serving replicas' blocks), sequences running and requests waiting, a line per pool (per
/// design and pool when several designs). `None` when no time series has the columns.
pub(super) fn llm_load(designs: &[(String, Table)]) -> Option<Figure> {
    let panels = [
        ("KV cache in use", "kv_used_", zero("share of KV blocks", Unit::Percent)),
        ("Sequences running", "running_", zero("sequences", Unit::Number)),
        ("Requests waiting at replicas", "waiting_", zero("requests", Unit::Number)),
    ];
    let several = designs.len() > 1;
    let mut out = Vec::new();
    for (title, prefix, y) in panels {
        let mut series = Vec::new();
        for (design, ts) in designs {
            let Some(t) = ts.col("time_s").filter(|t| t.len() >= 2) else { continue };
            let columns: Vec<(&String, &Vec<f64>)> =
                ts.header.iter().zip(&ts.columns).filter(|(h, _)| h.starts_with(prefix)).collect();
            for (h, v) in &columns {
                let pool = h.trim_start_matches(prefix);
                let name = match (several, columns.len() > 1) {
                    (true, true) => format!("{design}: {pool}"),
                    (true, false) => design.clone(),
                    (false, true) => format!("pool {pool}"),
                    (false, false) => String::new(),
                };
                series.push(Series::line(name, thin(t.iter().copied().zip(v.iter().copied()).collect())));
            }
        }
        if !series.is_empty() {
            out.push(LineChart::new(title, Axis::new("simulated time", Unit::Seconds), y, series));
        }
    }
    (!out.is_empty()).then_some(Figure::Stack(out))
}

/// A line per pool, then a line per market that is not already one pool's line (a pool that is
/// the only one of its market draws once).
/// A column as points over time, if any of it is above 0.
type Column<'a> = dyn Fn(&str) -> Option<Vec<(f64, f64)>> + 'a;

fn replica_lines(ts: &Table, plain: &Column) -> Vec<Series> {
    let pools: Vec<(String, Vec<(f64, f64)>)> = ts
        .header
        .iter()
        .filter(|h| h.starts_with("replicas_"))
        .filter_map(|col| plain(col).map(|p| (col.trim_start_matches("replicas_").to_string(), p)))
        .collect();
    let mut out: Vec<Series> = pools.iter().map(|(name, p)| Series::line(format!("pool {name}"), p.clone())).collect();
    for (col, name) in
        [("on_demand_replicas", "on-demand"), ("spot_replicas", "spot"), ("reserved_replicas", "reserved")]
    {
        if let Some(p) = plain(col)
            && !pools.iter().any(|(_, q)| *q == p)
        {
            out.push(Series::line(format!("{name} (market)"), p));
        }
    }
    out
}

fn zero(label: &str, unit: Unit) -> Axis {
    Axis { from_zero: true, ..Axis::new(label, unit) }
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
        .filter(|v| v.is_finite() && *v >= 0.0)
        .unwrap_or(0.0)
    };
    let total: f64 = designs.iter().map(|(_, s)| num(s, "cost_usd.total").unwrap_or(0.0)).sum();
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let market_of = |name: &str| {
        if name.starts_with("spot") {
            1
        } else if name == "reserved" {
            2
        } else {
            0
        }
    };
    let (categories, segments) = if by_market && designs.len() == 1 {
        // One run: a bar per market, spot split by zone.
        let s = &designs[0].1;
        let keys = ["cost_usd.on_demand", "cost_usd.spot", "cost_usd.reserved"];
        let present: Vec<usize> = (0..3).filter(|&i| num(s, keys[i]).unwrap_or(0.0) > 0.0).collect();
        let categories: Vec<String> =
            present.iter().map(|&i| ["on-demand", "spot", "reserved"][i].to_string()).collect();
        let segments: Vec<(String, Vec<f64>)> = parts
            .iter()
            .map(|(name, key)| {
                let m = market_of(name);
                (name.clone(), present.iter().map(|&p| if p == m { part_value(key, s) } else { 0.0 }).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_keep_their_peaks() {
        let pts: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64, if i == 54_321 { 99.0 } else { 1.0 })).collect();
        let t = thin(pts);
        assert!(t.len() <= MAX_POINTS + 2, "{}", t.len());
        assert!(t.contains(&(54_321.0, 99.0)), "the spike survives");
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "x in order");
    }

    /// One on-demand pool and one spot pool: the market lines would repeat the pool lines.
    #[test]
    fn a_pool_alone_in_its_market_draws_once() {
        let header = ["time_s", "replicas_od", "replicas_spot", "on_demand_replicas", "spot_replicas"];
        let t = Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            columns: vec![vec![60.0, 120.0], vec![4.0, 4.0], vec![4.0, 3.0], vec![4.0, 4.0], vec![4.0, 3.0]],
        };
        let fig = timeline(&[(String::new(), t)], false).unwrap();
        let Figure::Stack(panels) = fig else { panic!() };
        let names: Vec<&str> = panels[0].series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["pool od", "pool spot"]);
    }
}
