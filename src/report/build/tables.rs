//! What the simulation assumed, in tables of their own: the scenario's key parameters (from
//! `parameters.json`, or what `summary.json` says of the SLA and pools in folders made before
//! it), and the defaults the results rest on (the `assumptions` array of `summary.json`: each
//! figure fleetsim took from its catalog, with its source, date and caveat).

use std::path::Path;

use serde_json::Value;

use super::{num, read_json};
use crate::report::Report;
use crate::report::format;
use crate::report::parameters::Parameters;

/// `parameters.json` of `dir`, if it is there and readable (a warning if it is damaged).
pub(super) fn read_parameters(dir: &Path, warnings: &mut Vec<String>) -> Option<Parameters> {
    let path = dir.join("parameters.json");
    if !path.exists() {
        return None;
    }
    match read_json(&path).and_then(|v| serde_json::from_value::<Parameters>(v).map_err(anyhow::Error::from)) {
        Ok(p) => Some(p),
        Err(e) => {
            warnings.push(format!("{}: {e:#}; the key parameters are left out", path.display()));
            None
        }
    }
}

/// The key-parameter rows of a run folder made before `parameters.json`: its SLA and pools.
fn from_summary(summary: &Value) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let (Some(t), Some(q)) = (num(summary, "sla.target_s"), num(summary, "sla.quantile")) {
        rows.push(("SLA".into(), format!("{} latency ≤ {}", format::quantile(q), format::duration(t))));
    }
    for p in summary.get("pools").and_then(Value::as_array).into_iter().flatten() {
        let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let count = match (p.get("min").and_then(Value::as_u64), p.get("max").and_then(Value::as_u64)) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => p.get("count").and_then(Value::as_u64).unwrap_or(0).to_string(),
        };
        rows.push((
            format!("pool {}", s("name")),
            format!("{count} × {} {}", s("instance"), s("market").replace('_', "-")),
        ));
    }
    rows
}

/// The "Parameters" table of a run or a sweep's base scenario; a parameter a grid axis varies
/// (`axes`) says so.
pub(super) fn parameters(report: &mut Report, params: Option<&Parameters>, summary: Option<&Value>, axes: &[String]) {
    let varied = |key: &str| -> Vec<&str> {
        axes.iter().filter(|a| a.starts_with(key) || key.starts_with(a.as_str())).map(String::as_str).collect()
    };
    let rows: Vec<Vec<String>> = match params {
        Some(p) => p
            .parameters
            .iter()
            .map(|x| {
                let axes = varied(&x.key);
                let value = if axes.is_empty() {
                    x.value.clone()
                } else {
                    format!("{} (base; the grid varies {})", x.value, axes.join(", "))
                };
                vec![x.what.clone(), value, x.key.clone()]
            })
            .collect(),
        None => {
            summary.map(from_summary).unwrap_or_default().into_iter().map(|(a, b)| vec![a, b, String::new()]).collect()
        }
    };
    if rows.is_empty() {
        return;
    }
    report.heading("Key parameters");
    report.table(["parameter", "value", "scenario key"].map(String::from).to_vec(), rows);
}

/// The parameters of several designs side by side, those that differ first and marked.
pub(super) fn design_parameters(report: &mut Report, designs: &[(String, Option<Parameters>)]) {
    let mut whats: Vec<String> = Vec::new();
    for (_, p) in designs {
        for x in p.iter().flat_map(|p| &p.parameters) {
            if !whats.contains(&x.what) {
                whats.push(x.what.clone());
            }
        }
    }
    if whats.is_empty() {
        return;
    }
    let value = |p: &Option<Parameters>, what: &str| {
        p.as_ref()
            .and_then(|p| p.parameters.iter().find(|x| x.what == what))
            .map_or("–".to_string(), |x| x.value.clone())
    };
    let mut rows: Vec<(bool, Vec<String>)> = whats
        .iter()
        .map(|w| {
            let values: Vec<String> = designs.iter().map(|(_, p)| value(p, w)).collect();
            let differs = values.iter().any(|v| *v != values[0]);
            let mut row = vec![if differs { format!("{w} ≠") } else { w.clone() }];
            row.extend(values);
            (differs, row)
        })
        .collect();
    rows.sort_by_key(|(differs, _)| !differs);
    report.heading("Key parameters (≠: differs between designs)");
    let mut header = vec!["parameter".to_string()];
    header.extend(designs.iter().map(|(d, _)| d.clone()));
    report.table(header, rows.into_iter().map(|(_, r)| r).collect());
}

/// The "Assumptions" table from the `assumptions` arrays of `sources` (design name, summary):
/// one row per distinct assumption, with the designs it applies to when there are several.
pub(super) fn assumptions(report: &mut Report, sources: &[(String, &Value)]) {
    let field = |a: &Value, k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut rows: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (design, summary) in sources {
        for a in summary.get("assumptions").and_then(Value::as_array).into_iter().flatten() {
            let row: Vec<String> =
                ["what", "value", "key", "source", "date", "caveat"].iter().map(|k| field(a, k)).collect();
            match rows.iter_mut().find(|(r, _)| *r == row) {
                Some((_, ds)) => ds.push(design.clone()),
                None => rows.push((row, vec![design.clone()])),
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    report.heading("Assumptions (defaults the results rest on)");
    let several = sources.len() > 1;
    let mut header: Vec<String> =
        ["assumption", "value", "scenario key", "source", "date", "caveat"].map(String::from).to_vec();
    if several {
        header.push("designs".into());
    }
    let table = rows
        .into_iter()
        .map(|(mut row, ds)| {
            if several {
                row.push(if ds.len() == sources.len() { "all".into() } else { ds.join(", ") });
            }
            row
        })
        .collect();
    report.table(header, table);
}
