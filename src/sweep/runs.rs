//! `runs.csv`: one row per run — cell, replication, the swept values, the seed, every summary
//! metric, and the wall time (the one column that differs between identical sweeps).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use super::{Plan, RunId};
use crate::metrics::summary::METRIC_KEYS;

/// The wall-time column, left out of every comparison.
pub const WALL_COLUMN: &str = "engine.wall_s";

/// A finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Which run.
    pub id: RunId,
    /// Its seed.
    pub seed: u64,
    /// Values of [`METRIC_KEYS`], in order (`None` where the metric does not apply).
    pub metrics: Vec<Option<f64>>,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
}

/// A `runs.csv` that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RunsError {
    /// The file.
    pub path: String,
    /// What is wrong, with the line.
    pub message: String,
}

/// Column names.
pub fn header(plan: &Plan) -> Vec<String> {
    let mut h = vec!["cell".to_string(), "replication".to_string()];
    h.extend(plan.axes.iter().map(|a| a.key.clone()));
    h.push("seed".into());
    h.extend(METRIC_KEYS.iter().map(|k| k.to_string()));
    h.push(WALL_COLUMN.into());
    h
}

/// The header line, newline included.
pub fn header_line(plan: &Plan) -> Vec<u8> {
    csv_line(header(plan))
}

/// One row as a CSV line, newline included (written with one `write` so a kill leaves at most
/// one partial line, which [`read`] drops).
pub fn row_line(plan: &Plan, row: &RunRow) -> Vec<u8> {
    let mut fields = vec![row.id.cell.to_string(), row.id.replication.to_string()];
    fields.extend(plan.cell_values(row.id.cell).into_iter().map(str::to_string));
    fields.push(row.seed.to_string());
    fields.extend(row.metrics.iter().map(|m| m.map_or(String::new(), |v| v.to_string())));
    fields.push(format!("{:.6}", row.wall_s));
    csv_line(fields)
}

fn csv_line(fields: Vec<String>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(&fields);
    w.into_inner().unwrap_or_default()
}

/// The whole file in run order: header, then rows sorted by cell and replication.
pub fn file_bytes(plan: &Plan, rows: &mut [RunRow]) -> Vec<u8> {
    rows.sort_by_key(|r| r.id);
    let mut out = header_line(plan);
    for row in rows.iter() {
        out.extend(row_line(plan, row));
    }
    out
}

/// What [`read`] found.
#[derive(Debug)]
pub struct Read {
    /// Complete rows.
    pub rows: Vec<RunRow>,
    /// Bytes up to the end of the last complete line (a kill may leave a partial line after).
    pub complete_len: u64,
    /// Whether a partial last line was left out.
    pub partial_tail: bool,
    /// Rows that repeated an earlier row exactly (apart from wall time), left out.
    pub duplicates: usize,
}

/// Reads `runs.csv` for `plan`: the header must match, every row must name a run of the plan
/// with its cell's values and seed, and a run may appear twice only with the same results (two
/// processes that ran it; the repeat is dropped). A last line without its newline (a run being
/// written when the sweep was killed) is left out.
pub fn read(path: &Path, plan: &Plan) -> Result<Read, RunsError> {
    let err = |message: String| RunsError { path: path.display().to_string(), message };
    let bytes = crate::input::read_bounded(path, u64::MAX).map_err(|e| err(format!("cannot read: {e}")))?;
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let partial_tail = complete_len < bytes.len();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[..complete_len]);
    let found: Vec<String> =
        reader.headers().map_err(|e| err(format!("cannot read the header: {e}")))?.iter().map(str::to_string).collect();
    let expected = header(plan);
    if found != expected {
        return Err(err(format!(
            "the columns differ from this sweep's: found {} columns starting {:?}, expected {:?}",
            found.len(),
            found.iter().take(4).collect::<Vec<_>>(),
            expected.iter().take(4).collect::<Vec<_>>()
        )));
    }
    let n_axes = plan.axes.len();
    let mut rows = Vec::new();
    let mut seen: HashMap<RunId, usize> = HashMap::new();
    let mut duplicates = 0;
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let field = |j: usize| record.get(j).unwrap_or("");
        let int = |j: usize| {
            field(j).parse::<u64>().map_err(|_| err(format!("line {line}: {:?} is not a whole number", field(j))))
        };
        let cell = int(0)? as usize;
        let replication = int(1)?;
        if cell >= plan.cells() || replication >= u64::from(plan.replications) {
            return Err(err(format!("line {line}: run (cell {cell}, replication {replication}) is not in this sweep")));
        }
        let id = RunId { cell, replication: replication as u32 };
        let values: Vec<&str> = (0..n_axes).map(|j| field(2 + j)).collect();
        if values != plan.cell_values(cell) {
            return Err(err(format!(
                "line {line}: cell {cell} has values {values:?}, expected {:?}",
                plan.cell_values(cell)
            )));
        }
        let seed = int(2 + n_axes)?;
        if seed != plan.seed(id.replication) {
            return Err(err(format!(
                "line {line}: seed {seed}, but replication {replication} runs with {}",
                plan.seed(id.replication)
            )));
        }
        let mut metrics = Vec::with_capacity(METRIC_KEYS.len());
        for j in 0..METRIC_KEYS.len() {
            let text = field(3 + n_axes + j);
            metrics.push(if text.is_empty() {
                None
            } else {
                Some(text.parse::<f64>().map_err(|_| err(format!("line {line}: {:?} is not a number", text)))?)
            });
        }
        let wall_s = field(3 + n_axes + METRIC_KEYS.len()).parse().unwrap_or(f64::NAN);
        if let Some(&at) = seen.get(&id) {
            let earlier: &RunRow = &rows[at];
            if earlier.metrics != metrics {
                return Err(err(format!(
                    "line {line}: run (cell {cell}, replication {replication}) appears twice with different results"
                )));
            }
            duplicates += 1;
            continue;
        }
        seen.insert(id, rows.len());
        rows.push(RunRow { id, seed, metrics, wall_s });
    }
    Ok(Read { rows, complete_len: complete_len as u64, partial_tail, duplicates })
}

/// Appends rows to `runs.csv` as runs finish, each flushed to the operating system at once.
pub struct Appender {
    file: std::fs::File,
}

impl Appender {
    /// Opens `path` for appending, first cutting it to `len` bytes (dropping a partial line).
    pub fn open(path: &Path, len: u64) -> std::io::Result<Appender> {
        let file = std::fs::OpenOptions::new().append(true).open(path)?;
        file.set_len(len)?;
        Ok(Appender { file })
    }

    /// Writes one row.
    pub fn append(&mut self, plan: &Plan, row: &RunRow) -> std::io::Result<()> {
        self.file.write_all(&row_line(plan, row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Axis;

    fn plan() -> Plan {
        Plan::new(vec![Axis { key: "batcher.max_wait".into(), values: vec!["5ms".into(), "[1, 2]".into()] }], 2, 7)
            .unwrap()
    }

    fn row(cell: usize, replication: u32) -> RunRow {
        let metrics = (0..METRIC_KEYS.len()).map(|i| if i % 3 == 0 { None } else { Some(i as f64 * 0.1) }).collect();
        RunRow { id: RunId { cell, replication }, seed: 7 + u64::from(replication), metrics, wall_s: 0.25 }
    }

    #[test]
    fn rows_round_trip_and_a_partial_line_is_dropped() {
        let plan = plan();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let mut rows = vec![row(1, 1), row(0, 0), row(1, 0)];
        let mut bytes = file_bytes(&plan, &mut rows);
        let full = bytes.len() as u64;
        bytes.extend(b"0,1,5ms,8,1.5");
        std::fs::write(&path, &bytes).unwrap();
        let read = read(&path, &plan).unwrap();
        assert!(read.partial_tail);
        assert_eq!(read.complete_len, full);
        assert_eq!(read.rows, rows, "values, including the quoted \"[1, 2]\" cell, read back exactly");
        assert_eq!(read.duplicates, 0);
        let mut appender = Appender::open(&path, read.complete_len).unwrap();
        appender.append(&plan, &row(0, 1)).unwrap();
        assert_eq!(super::read(&path, &plan).unwrap().rows.len(), 4);
        // The same run written again by a second process: kept once.
        let mut again = row(0, 1);
        again.wall_s = 9.0;
        appender.append(&plan, &again).unwrap();
        let read = super::read(&path, &plan).unwrap();
        assert_eq!((read.rows.len(), read.duplicates), (4, 1));
    }

    #[test]
    fn foreign_or_damaged_rows_are_refused() {
        let plan = plan();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let good = String::from_utf8(row_line(&plan, &row(0, 0))).unwrap();
        for (body, expect) in [
            (good.clone() + &good.replacen(",0.1,", ",0.2,", 1), "appears twice with different results"),
            (good.replace("5ms", "6ms"), "has values"),
            (good.replacen("0,0,5ms,7,", "0,0,5ms,9,", 1), "seed 9"),
            (good.replacen("0,0,", "5,0,", 1), "not in this sweep"),
        ] {
            std::fs::write(&path, [header_line(&plan), body.into_bytes()].concat()).unwrap();
            let e = read(&path, &plan).unwrap_err().to_string();
            assert!(e.contains(expect), "{e}");
        }
        std::fs::write(&path, b"cell,replication,seed\n").unwrap();
        assert!(read(&path, &plan).unwrap_err().to_string().contains("columns differ"));
    }
}
