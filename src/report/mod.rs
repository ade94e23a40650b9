//! Reports for design reviews: from a run, sweep or compare folder, charts (`charts/*.svg` and
//! `charts/*.png`), `report.md` (tables to paste into a design doc, PNGs beside them) and a
//! self-contained `report.html` (inline SVG, no external assets) with the lineage of
//! `manifest.json`.
//!
//! A report is built from the folder's files alone, so it can be made again at any time (and on
//! another machine) with `fleetsim report DIR`.

pub mod build;
pub mod chart;
pub mod format;
pub mod page;
pub mod parameters;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::output::write_atomic;
use chart::Figure;

/// Chart size in pixels.
pub const CHART_SIZE: (u32, u32) = (960, 540);
/// Size of a three-panel timeline.
pub const TIMELINE_SIZE: (u32, u32) = (960, 900);

/// A report: a title, then blocks in order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Page title.
    pub title: String,
    /// Body.
    pub blocks: Vec<Block>,
    /// What looked damaged in the folder's files (shown at the top of the page).
    pub warnings: Vec<String>,
}

/// A piece of a report.
#[derive(Clone, Debug)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph of plain text.
    Text(String),
    /// The verdict the report opens with: one sentence per item.
    Verdict(Vec<String>),
    /// A table: header, then rows of cells.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A chart: file stem, figure, pixel size.
    Chart(String, Box<Figure>, (u32, u32)),
}

impl Report {
    fn heading(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Heading(text.into()));
    }
    fn text(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Text(text.into()));
    }
    fn verdict(&mut self, sentences: Vec<String>) {
        if !sentences.is_empty() {
            self.blocks.push(Block::Verdict(sentences));
        }
    }
    fn table(&mut self, header: Vec<String>, rows: Vec<Vec<String>>) {
        if !rows.is_empty() {
            self.blocks.push(Block::Table(header, rows));
        }
    }
    fn chart(&mut self, name: &str, figure: Figure, size: (u32, u32)) {
        self.blocks.push(Block::Chart(name.into(), Box::new(figure), size));
    }
    /// A chart of panels one above the other, 280 pixels each.
    fn stack(&mut self, name: &str, figure: Figure) {
        let panels = if let Figure::Stack(p) = &figure { p.len() } else { 1 };
        self.chart(name, figure, (CHART_SIZE.0, 60 + 280 * panels as u32));
    }
}

/// What kind of folder a report is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `fleetsim run`: summary.json, timeseries.csv.
    Run,
    /// `fleetsim sweep` or `merge`: runs.csv, summary.csv.
    Sweep,
    /// `fleetsim compare`: a sweep over designs, plus designs/*/.
    Compare,
}

/// The kind of `dir`, from the files in it.
pub fn kind(dir: &Path) -> Result<Kind> {
    if dir.join("compare.csv").exists() {
        Ok(Kind::Compare)
    } else if dir.join("summary.csv").exists() && dir.join("runs.csv").exists() {
        Ok(Kind::Sweep)
    } else if dir.join("summary.json").exists() {
        Ok(Kind::Run)
    } else if dir.is_dir() {
        bail!(
            "{} holds no fleetsim results (summary.json of a run, or runs.csv and summary.csv of a sweep)",
            dir.display()
        )
    } else {
        bail!("{} is not a folder", dir.display())
    }
}

/// What [`write`] wrote.
#[derive(Debug)]
pub struct Written {
    /// `report.md`.
    pub markdown: PathBuf,
    /// `report.html`.
    pub html: PathBuf,
    /// Charts written (SVG and PNG each).
    pub charts: usize,
    /// What looked damaged in the folder's files: each was left out of the report.
    pub warnings: Vec<String>,
}

/// Builds the report of `dir` and writes `charts/`, `report.md` and `report.html` into it
/// (each file atomically; a report made again replaces the previous one).
pub fn write(dir: &Path) -> Result<Written> {
    let mut warnings = Vec::new();
    let mut report = match kind(dir)? {
        Kind::Run => build::run(dir, &mut warnings)?,
        Kind::Sweep => build::sweep(dir, &mut warnings)?,
        Kind::Compare => build::compare(dir, &mut warnings)?,
    };
    report.warnings = warnings;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir).with_context(|| format!("cannot create {}", charts_dir.display()))?;
    let mut rendered = Vec::new();
    for block in &report.blocks {
        if let Block::Chart(name, figure, size) = block {
            let r = chart::render(figure, *size).map_err(|e| anyhow::anyhow!("chart {name}: {e}"))?;
            write_atomic(&charts_dir, &format!("{name}.svg"), r.svg.as_bytes())?;
            write_atomic(&charts_dir, &format!("{name}.png"), &r.png)?;
            rendered.push((name.clone(), r.svg));
        }
    }
    let markdown = write_atomic(dir, "report.md", page::markdown(&report).as_bytes())?;
    let html = write_atomic(dir, "report.html", page::html(&report, &rendered).as_bytes())?;
    Ok(Written { markdown, html, charts: rendered.len(), warnings: report.warnings })
}
