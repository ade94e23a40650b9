//! `sweep:` — the grid a `fleetsim sweep` runs, its replications and what "best" means. The value
//! lists and ranges (`5m..60m:5m`, `1..32:x2`) that grid axes and `--set` share are
//! [`crate::sweep::range`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Assertion;
use super::assertions::parse_assertion;
use super::error::{Invalid, invalid};

type Result<T> = std::result::Result<T, Invalid>;

use crate::sweep::range::check_distinct;
pub use crate::sweep::range::{MAX_AXIS_VALUES, expand};
/// Most replications per cell.
pub const MAX_REPLICATIONS: u32 = 1_000_000;

/// `sweep:` validated: axes in file order, replications, and what "best" means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSpec {
    /// Runs per cell, when the file sets it.
    pub replications: Option<u32>,
    /// Grid axes; cells are their product.
    pub axes: Vec<Axis>,
    /// The metric to minimize or maximize over cell means.
    pub objective: Option<Objective>,
    /// Conditions on cell means that the best cell must meet.
    pub constraints: Vec<Assertion>,
}

/// One grid axis: a scenario key and the values it takes, as `--set` would be given them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    /// Dotted scenario key.
    pub key: String,
    /// Values as text (`5m`, `16`, `young`).
    pub values: Vec<String>,
}

/// What the best sweep cell does with a metric.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Objective {
    /// Dotted summary key.
    pub metric: String,
    /// Lowest or highest mean.
    pub goal: Goal,
}

/// Minimize or maximize.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Lowest mean wins.
    Minimize,
    /// Highest mean wins.
    Maximize,
}

/// `sweep:`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// Runs per cell (seeds `seed`, `seed + 1`, …, the same in every cell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
    /// Scenario key → its values: a list, or a text with commas and ranges. Axes keep file order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<serde_json::Map<String, Value>>,
    /// The metric whose cell mean the best cell has lowest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimize: Option<String>,
    /// The metric whose cell mean the best cell has highest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximize: Option<String>,
    /// Conditions on cell means a best cell must meet, e.g. `sla.violation_rate <= 0.01`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_to: Option<Vec<String>>,
}

/// Validates `sweep:`.
pub fn sweep(raw: Option<&RawSweep>) -> Result<Option<SweepSpec>> {
    let Some(raw) = raw else { return Ok(None) };
    if let Some(r) = raw.replications {
        check_replications(r).or_else(|m| invalid("sweep.replications", m))?;
    }
    let mut axes = Vec::new();
    for (key, value) in raw.grid.iter().flatten() {
        let at = format!("sweep.grid.{key}");
        let key = super::Override { key: key.clone(), text: String::new() }.canonical_key();
        check_axis_key(&key).or_else(|m| invalid(at.clone(), m))?;
        if axes.iter().any(|a: &Axis| a.key == key) {
            return invalid(at, format!("{key} is already a grid axis (written another way)"));
        }
        let values = grid_values(value).or_else(|m| invalid(at.clone(), m))?;
        axes.push(Axis { key, values });
    }
    let objective = objective(raw.minimize.as_deref(), raw.maximize.as_deref()).or_else(|(k, m)| invalid(k, m))?;
    let constraints = raw
        .subject_to
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, text)| parse_assertion(text).or_else(|m| invalid(format!("sweep.subject_to[{i}]"), m)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(SweepSpec { replications: raw.replications, axes, objective, constraints }))
}

/// The replication count must be 1 to [`MAX_REPLICATIONS`].
pub fn check_replications(r: u32) -> std::result::Result<(), String> {
    if r == 0 || r > MAX_REPLICATIONS {
        return Err(format!("must be 1 to {MAX_REPLICATIONS}, found {r}"));
    }
    Ok(())
}

/// Keys a sweep cannot vary.
pub fn check_axis_key(key: &str) -> std::result::Result<(), String> {
    if key == "seed" {
        return Err(
            "the seed is not a grid axis: replications vary it (seed, seed + 1, …), the same in every cell".into()
        );
    }
    if key == "sweep" || key.starts_with("sweep.") {
        return Err("a sweep cannot vary its own `sweep:` settings".into());
    }
    Ok(())
}

/// `minimize:` / `maximize:` into an objective; the error names its key.
pub fn objective(
    minimize: Option<&str>,
    maximize: Option<&str>,
) -> std::result::Result<Option<Objective>, (String, String)> {
    let (key, metric, goal) = match (minimize, maximize) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(("sweep.maximize".into(), "give either minimize or maximize, not both".into()));
        }
        (Some(m), None) => ("sweep.minimize", m, Goal::Minimize),
        (None, Some(m)) => ("sweep.maximize", m, Goal::Maximize),
    };
    let metric = metric.trim();
    if !crate::metrics::summary::is_known_metric(metric) {
        return Err((
            key.into(),
            format!("unknown metric {metric:?}; use a summary.json key such as cost_usd.total or latency_s.p99"),
        ));
    }
    Ok(Some(Objective { metric: metric.to_string(), goal }))
}

/// A grid entry: a list (whose texts may hold ranges) or one text with commas and ranges.
fn grid_values(value: &Value) -> std::result::Result<Vec<String>, String> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::String(text) => out.extend(expand(text)?),
            Value::Number(n) => out.push(n.to_string()),
            Value::Bool(b) => out.push(b.to_string()),
            _ => return Err("expected values: a list such as [1, 4, 16], or a text such as \"5m..60m:5m\"".into()),
        }
    }
    if out.is_empty() {
        return Err("the list is empty: give at least one value".into());
    }
    check_distinct(&out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_validates_keys_and_metrics() {
        let raw = |yaml: &str| serde_saphyr::from_str::<RawSweep>(yaml).unwrap();
        let spec = sweep(Some(&raw(
            "replications: 5\ngrid:\n  z.b: [1, 2]\n  a.c: \"5m..10m:5m\"\nminimize: cost_usd.total\nsubject_to: [\"latency_s.p99 <= 0.5\"]\n",
        )))
        .unwrap()
        .unwrap();
        let keys: Vec<_> = spec.axes.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["z.b", "a.c"], "axes keep file order");
        assert_eq!(spec.axes[1].values, ["5m", "10m"]);
        assert_eq!(spec.objective.unwrap().goal, Goal::Minimize);
        assert_eq!(spec.constraints.len(), 1);
        for (yaml, key) in [
            ("grid: {seed: [1, 2]}", "sweep.grid.seed"),
            ("replications: 0", "sweep.replications"),
            ("minimize: cost", "sweep.minimize"),
            ("minimize: cost_usd.total\nmaximize: cost_usd.total", "sweep.maximize"),
            ("subject_to: [\"p99 < 1\"]", "sweep.subject_to[0]"),
            ("grid: {a.b: []}", "sweep.grid.a.b"),
            ("grid: {a.b: {c: 1}}", "sweep.grid.a.b"),
        ] {
            let err = sweep(Some(&raw(yaml))).expect_err(yaml);
            assert_eq!(err.key, key, "{yaml}: {}", err.message);
        }
    }
}
