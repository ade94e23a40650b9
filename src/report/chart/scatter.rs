//! Cost against latency (or makespan): every design or cell with its 95% intervals as error
//! bars, the constraints drawn with their failing side shaded, the Pareto front of the feasible
//! points drawn and every point on it labelled inside the plot.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{self, Entry, Swatch};
use super::{FAIL, FAMILY, GREY, Point, Scatter, Ticked, bounds, colour, feasible_front, plane};

/// Error bars are drawn for every point up to this many, else for the front and the best only.
const MAX_ERROR_BARS: usize = 300;
/// Labels on the front, at most.
const MAX_LABELS: usize = 40;

fn front(c: &Scatter) -> Vec<usize> {
    feasible_front(&c.points)
}

fn entries(c: &Scatter, front: &[usize]) -> Vec<Entry> {
    let mut out = vec![Entry::new("Pareto front", Swatch::Line(0))];
    if c.points.iter().enumerate().any(|(i, p)| p.feasible && !front.contains(&i)) {
        out.push(Entry::new("other points", Swatch::Hollow));
    }
    if c.points.iter().any(|p| !p.feasible) {
        out.push(Entry::new("fails a constraint", Swatch::Cross));
    }
    if c.highlight.is_some() {
        out.push(Entry::new("best cell", Swatch::Ring));
    }
    if c.points.iter().any(|p| p.x_ci.is_some() || p.y_ci.is_some()) {
        out.push(Entry::new("95% intervals", Swatch::ErrorBar));
    }
    for limit in [&c.x_limit, &c.y_limit].into_iter().flatten() {
        out.push(Entry::new(format!("fails {}", limit.label), Swatch::Shade(FAIL)));
    }
    for note in c.note.split("; ").filter(|n| !n.is_empty()) {
        out.push(Entry::new(note, Swatch::Blank));
    }
    out
}

/// The value an axis stops at when points that fail a constraint lie far beyond every feasible
/// point and limit (more than 3 times): 1.5 times those, so the front stays readable.
fn cap(c: &Scatter, on_x: bool) -> Option<f64> {
    let get = |p: &Point| if on_x { p.x } else { p.y };
    let limit = if on_x { &c.x_limit } else { &c.y_limit };
    let keep = c
        .points
        .iter()
        .filter(|p| p.feasible)
        .map(get)
        .chain(limit.iter().map(|l| l.value))
        .fold(f64::NEG_INFINITY, f64::max);
    let top = c.points.iter().map(get).fold(f64::NEG_INFINITY, f64::max);
    (keep.is_finite() && keep > 0.0 && top > 3.0 * keep).then_some(keep * 1.5)
}

/// `c` with points beyond [`cap`] moved to the axis' end, and a note saying how many.
fn clamped(c: &Scatter) -> Scatter {
    let (xcap, ycap) = (cap(c, true), cap(c, false));
    let mut out = c.clone();
    let mut beyond = 0;
    for p in &mut out.points {
        let mut moved = false;
        let mut clip = |v: &mut f64, cap: Option<f64>| {
            if let Some(m) = cap.filter(|m| *v > *m) {
                *v = m;
                moved = true;
            }
        };
        clip(&mut p.x, xcap);
        clip(&mut p.y, ycap);
        let bound = |ci: &mut Option<(f64, f64)>, cap: Option<f64>| {
            if let (Some((lo, hi)), Some(m)) = (ci.as_mut(), cap) {
                *lo = lo.min(m);
                *hi = hi.min(m);
            }
        };
        bound(&mut p.x_ci, xcap);
        bound(&mut p.y_ci, ycap);
        beyond += usize::from(moved);
    }
    if beyond > 0 {
        // What made a log scale worth it may have been the points now at the edge.
        let spread = |v: Vec<f64>| {
            let (lo, hi) = v.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
            lo > 0.0 && hi / lo > 30.0
        };
        out.x.log &= spread(out.points.iter().map(|p| p.x).collect());
        out.y.log &= spread(out.points.iter().map(|p| p.y).collect());
        let note = format!("{beyond} beyond the axes, at their edge");
        out.note = if out.note.is_empty() { note } else { format!("{}; {note}", out.note) };
    }
    out
}

pub(super) fn draw<DB: DrawingBackend>(c: &Scatter, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let c = &clamped(c);
    let front = front(c);
    let entries = entries(c, &front);
    let (plot_area, side) = legend::split(area, legend::width(area, &entries));
    let xs = c.points.iter().flat_map(|p| [p.x].into_iter().chain(p.x_ci.map(|i| i.0)).chain(p.x_ci.map(|i| i.1)));
    let ys = c.points.iter().flat_map(|p| [p.y].into_iter().chain(p.y_ci.map(|i| i.0)).chain(p.y_ci.map(|i| i.1)));
    let (xlo, xhi) = bounds(xs.chain(c.x_limit.as_ref().map(|l| l.value)), c.x.log);
    let (ylo, yhi) = bounds(ys.chain(c.y_limit.as_ref().map(|l| l.value)), c.y.log);
    let (x0, x1, xt) = c.x.range(xlo, xhi);
    let (y0, y1, yt) = c.y.range(ylo, yhi);
    let mut chart = plane(&plot_area, &c.title, (&c.x, Ticked(x0, x1, xt)), (&c.y, Ticked(y0, y1, yt)))?;
    let p = |(x, y): (f64, f64)| (c.x.to_plot(x), c.y.to_plot(y));
    let shade = FAIL.mix(0.12).filled();
    let reference = BLACK.mix(0.6).stroke_width(1);
    let font = |h: HPos, v: VPos| TextStyle::from((FAMILY, 14).into_font()).pos(Pos::new(h, v));
    if let Some(l) = &c.x_limit {
        let x = c.x.to_plot(l.value).clamp(x0, x1);
        chart.draw_series(std::iter::once(Rectangle::new([(x, y0), (x1, y1)], shade))).map_err(e)?;
        chart.draw_series(DashedLineSeries::new(vec![(x, y0), (x, y1)], 4, 4, reference)).map_err(e)?;
        // Near the right edge the label goes to the left of its line, inside the plot.
        let (text, anchor) = if (x - x0) / (x1 - x0) > 0.6 {
            (format!("{} ", l.label), HPos::Right)
        } else {
            (format!(" {}", l.label), HPos::Left)
        };
        let label = Text::new(text, (x, y1 - (y1 - y0) * 0.02), font(anchor, VPos::Top));
        chart.draw_series(std::iter::once(label)).map_err(e)?;
    }
    if let Some(l) = &c.y_limit {
        let y = c.y.to_plot(l.value).clamp(y0, y1);
        chart.draw_series(std::iter::once(Rectangle::new([(x0, y), (x1, y1)], shade))).map_err(e)?;
        chart.draw_series(DashedLineSeries::new(vec![(x0, y), (x1, y)], 4, 4, reference)).map_err(e)?;
        let label = Text::new(format!(" {}", l.label), (x0, y), font(HPos::Left, VPos::Bottom));
        chart.draw_series(std::iter::once(label)).map_err(e)?;
    }
    let all_bars = c.points.len() <= MAX_ERROR_BARS;
    for (i, q) in c.points.iter().enumerate() {
        if !(all_bars || front.contains(&i) || c.highlight == Some(i)) {
            continue;
        }
        let st = if front.contains(&i) { colour(0).mix(0.7).stroke_width(1) } else { GREY.mix(0.7).stroke_width(1) };
        let mut bars = Vec::new();
        if let Some((lo, hi)) = q.x_ci {
            bars.push(PathElement::new(vec![p((lo, q.y)), p((hi, q.y))], st));
        }
        if let Some((lo, hi)) = q.y_ci {
            bars.push(PathElement::new(vec![p((q.x, lo)), p((q.x, hi))], st));
        }
        chart.draw_series(bars).map_err(e)?;
    }
    let off_front = |i: &usize| !front.contains(i);
    chart
        .draw_series(
            (0..c.points.len())
                .filter(|i| off_front(i) && c.points[*i].feasible)
                .map(|i| Circle::new(p((c.points[i].x, c.points[i].y)), 4, GREY.stroke_width(1))),
        )
        .map_err(e)?;
    chart
        .draw_series(
            (0..c.points.len())
                .filter(|i| off_front(i) && !c.points[*i].feasible)
                .map(|i| Cross::new(p((c.points[i].x, c.points[i].y)), 4, FAIL.stroke_width(2))),
        )
        .map_err(e)?;
    let line: Vec<(f64, f64)> = front.iter().map(|&i| p((c.points[i].x, c.points[i].y))).collect();
    chart.draw_series(std::iter::once(PathElement::new(line.clone(), colour(0).stroke_width(2)))).map_err(e)?;
    chart.draw_series(line.iter().map(|&q| Circle::new(q, 5, colour(0).filled()))).map_err(e)?;
    if let Some(h) = c.highlight.filter(|&h| h < c.points.len()) {
        let ring = colour(4).stroke_width(3);
        chart.draw_series(std::iter::once(Circle::new(p((c.points[h].x, c.points[h].y)), 9, ring))).map_err(e)?;
    }
    let anchors: Vec<(i32, i32)> = line.iter().map(|q| chart.backend_coord(q)).collect();
    let labels: Vec<&str> = front.iter().take(MAX_LABELS).map(|&i| c.points[i].label.as_str()).collect();
    label_points(&plot_area, chart.plotting_area().get_pixel_range(), &anchors, &labels)?;
    if let Some(side) = side {
        legend::draw(&side, &entries)?;
    }
    Ok(())
}

type Rect = (i32, i32, i32, i32);

/// Writes `labels[k]` beside the point at pixel `anchors[k]`: the first of several positions
/// around it (right, left, above, below, then further out with a leader line) that stays inside
/// the plot and clears the labels already placed and the points; if none does, the first one
/// moved inside the plot.
fn label_points<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (xr, yr): (std::ops::Range<i32>, std::ops::Range<i32>),
    anchors: &[(i32, i32)],
    labels: &[&str],
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let font = TextStyle::from((FAMILY, 14).into_font());
    let base = area.get_base_pixel();
    let overlaps = |a: &Rect, b: &Rect| a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
    let inside = |r: &Rect| r.0 >= xr.start && r.2 <= xr.end && r.1 >= yr.start && r.3 <= yr.end;
    let dots: Vec<Rect> = anchors.iter().map(|&(x, y)| (x - 6, y - 6, x + 6, y + 6)).collect();
    let mut placed: Vec<Rect> = Vec::new();
    for (k, text) in labels.iter().enumerate() {
        let (ax, ay) = anchors[k];
        let (w, h) = area
            .estimate_text_size(text, &font)
            .map_or((text.chars().count() as i32 * 7, 14), |s| (s.0 as i32, s.1 as i32));
        let mut candidates = Vec::new();
        for level in 1..=4 {
            let d = 8 * level;
            candidates.extend([
                (ax + d, ay - h - 2),
                (ax + d, ay + 2),
                (ax - d - w, ay - h - 2),
                (ax - d - w, ay + 2),
                (ax - w / 2, ay - h - d),
                (ax - w / 2, ay + d),
            ]);
        }
        let rect = |(x, y): (i32, i32)| (x, y, x + w, y + h);
        let chosen = candidates.iter().copied().find(|&c| {
            let r = rect(c);
            inside(&r) && !placed.iter().any(|q| overlaps(&r, q)) && !dots.iter().any(|q| overlaps(&r, q))
        });
        let (x, y) = chosen.unwrap_or_else(|| {
            let (x, y) = candidates[0];
            (x.min(xr.end - w).max(xr.start), y.min(yr.end - h).max(yr.start))
        });
        let far = (x + w / 2 - ax).abs() > w / 2 + 14 || (y + h / 2 - ay).abs() > h / 2 + 14;
        if far {
            let end = (x.clamp(ax.min(x + w), ax.max(x)), if y > ay { y } else { y + h });
            area.draw(&PathElement::new(
                vec![(ax - base.0, ay - base.1), (end.0 - base.0, end.1 - base.1)],
                GREY.stroke_width(1),
            ))
            .map_err(e)?;
        }
        placed.push(rect((x, y)));
        area.draw(&Text::new(text.to_string(), (x - base.0, y - base.1), font.clone())).map_err(e)?;
    }
    Ok(())
}
