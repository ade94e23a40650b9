//! Legends drawn in a strip to the right of the plot, so that they never cover data.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FAIL, FAMILY, GREY, colour, dashes, style};

/// What an entry's sample looks like.
#[derive(Clone, Copy, Debug)]
pub(super) enum Swatch {
    /// Series `i`'s line (its colour and dashes).
    Line(usize),
    /// Series `i`'s marker.
    Marker(usize),
    /// A filled block (a bar segment).
    Block(RGBColor),
    /// A light block (a 95% band or a shaded region).
    Shade(RGBColor),
    /// A triangle on the axis (interruptions).
    Event,
    /// A ring (the best cell).
    Ring,
    /// A hollow grey circle (a point off the front).
    Hollow,
    /// A cross (a point that fails a constraint).
    Cross,
    /// A point with error bars.
    ErrorBar,
    /// No sample: a note.
    Blank,
}

/// One line of a legend.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub name: String,
    pub swatch: Swatch,
}

impl Entry {
    pub(super) fn new(name: impl Into<String>, swatch: Swatch) -> Entry {
        Entry { name: name.into(), swatch }
    }
}

const ROW_PX: i32 = 22;
const TOP_PX: i32 = 44;
const SAMPLE_PX: i32 = 26;
const MAX_WIDTH_PX: u32 = 300;

/// Width of the strip the legend needs (0 without entries), from its longest text.
pub(super) fn width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> u32 {
    let font = TextStyle::from((FAMILY, 15).into_font());
    let text = entries
        .iter()
        .map(|e| area.estimate_text_size(&e.name, &font).map_or(e.name.chars().count() as u32 * 8, |s| s.0))
        .max();
    text.map_or(0, |w| (w + SAMPLE_PX as u32 + 22).clamp(110, MAX_WIDTH_PX))
}

/// Splits `area` into the plot and, when `width` > 0, the legend strip at its right.
pub(super) fn split<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    width: u32,
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    let total = area.dim_in_pixel().0;
    if width == 0 || width + 200 > total {
        return (area.clone(), None);
    }
    let (plot, side) = area.split_horizontally(total - width);
    (plot, Some(side))
}

/// Draws `entries` top down in `side`, names cut to fit.
pub(super) fn draw<DB: DrawingBackend>(side: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let font = TextStyle::from((FAMILY, 15).into_font());
    let room = side.dim_in_pixel().0.saturating_sub(SAMPLE_PX as u32 + 16);
    for (k, entry) in entries.iter().enumerate() {
        let y = TOP_PX + k as i32 * ROW_PX;
        if y + ROW_PX > side.dim_in_pixel().1 as i32 {
            break;
        }
        sample(side, entry.swatch, (4, y)).map_err(e)?;
        let mut name = entry.name.clone();
        while name.chars().count() > 4 && side.estimate_text_size(&name, &font).is_ok_and(|s| s.0 > room) {
            name = format!("{}…", name.chars().take(name.chars().count().saturating_sub(2)).collect::<String>());
        }
        side.draw(&Text::new(name, (SAMPLE_PX + 10, y - 7), font.clone())).map_err(e)?;
    }
    Ok(())
}

fn sample<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, y): (i32, i32),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mid = (x + SAMPLE_PX / 2, y);
    match swatch {
        Swatch::Line(i) => match dashes(i) {
            None => side.draw(&PathElement::new(vec![(x, y), (x + SAMPLE_PX, y)], style(i))),
            Some((len, gap)) => {
                let mut at = x;
                while at < x + SAMPLE_PX {
                    let end = (at + len as i32).min(x + SAMPLE_PX);
                    side.draw(&PathElement::new(vec![(at, y), (end, y)], style(i)))?;
                    at = end + gap as i32;
                }
                Ok(())
            }
        },
        Swatch::Marker(i) => {
            let c = colour(i);
            match i % 4 {
                0 => side.draw(&Circle::new(mid, 4, c.filled())),
                1 => side.draw(&TriangleMarker::new(mid, 5, c.filled())),
                2 => side.draw(&Rectangle::new([(mid.0 - 4, mid.1 - 4), (mid.0 + 4, mid.1 + 4)], c.filled())),
                _ => side.draw(&Cross::new(mid, 4, c.stroke_width(2))),
            }
        }
        Swatch::Block(c) => side.draw(&Rectangle::new([(x + 4, y - 6), (x + 18, y + 6)], c.filled())),
        Swatch::Shade(c) => side.draw(&Rectangle::new([(x, y - 7), (x + SAMPLE_PX, y + 7)], c.mix(0.18).filled())),
        Swatch::Event => side.draw(&TriangleMarker::new(mid, 6, FAIL.filled())),
        Swatch::Ring => side.draw(&Circle::new(mid, 7, colour(4).stroke_width(3))),
        Swatch::Hollow => side.draw(&Circle::new(mid, 4, GREY.stroke_width(1))),
        Swatch::Cross => side.draw(&Cross::new(mid, 4, FAIL.stroke_width(2))),
        Swatch::Blank => Ok(()),
        Swatch::ErrorBar => {
            let st = GREY.stroke_width(1);
            side.draw(&PathElement::new(vec![(x + 3, y), (x + SAMPLE_PX - 3, y)], st))?;
            side.draw(&PathElement::new(vec![(mid.0, y - 8), (mid.0, y + 8)], st))?;
            side.draw(&Circle::new(mid, 3, colour(0).filled()))
        }
    }
}
