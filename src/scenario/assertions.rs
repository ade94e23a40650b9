//! `assert:` — checks on a run's results, each `METRIC OP NUMBER` over a `summary.json` key
//! (e.g. `latency_s.p99 <= 0.25`); a failed one makes the exit code 1. Sweep constraints and
//! `--assert` use the same grammar. The raw form is the list of texts.

use super::error::Invalid;

type Result<T> = std::result::Result<T, Invalid>;

/// A check on a summary metric: `metric op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// Dotted summary key, e.g. `latency_s.p99`.
    pub metric: String,
    /// Comparison.
    pub op: CmpOp,
    /// Right-hand side.
    pub value: f64,
    /// The text as written.
    pub text: String,
}

/// Comparisons in assertions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
}

impl CmpOp {
    /// Whether `lhs op rhs` holds.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs >= rhs,
            CmpOp::Eq => lhs == rhs,
        }
    }
}

pub(super) fn asserts(raw: &[String]) -> Result<Vec<Assertion>> {
    raw.iter()
        .enumerate()
        .map(|(i, text)| parse_assertion(text).map_err(|message| Invalid { key: format!("assert[{i}]"), message }))
        .collect()
}

/// Parses `metric op value`, e.g. `latency_s.p99 <= 0.25`.
pub fn parse_assertion(text: &str) -> std::result::Result<Assertion, String> {
    const OPS: [(&str, CmpOp); 5] =
        [("<=", CmpOp::Le), (">=", CmpOp::Ge), ("==", CmpOp::Eq), ("<", CmpOp::Lt), (">", CmpOp::Gt)];
    let Some((at, sym, op)) = OPS.iter().find_map(|&(sym, op)| text.find(sym).map(|at| (at, sym, op))) else {
        return Err(format!(
            "{text:?}: expected `METRIC OP NUMBER` with OP one of <, <=, >, >=, ==, e.g. \"latency_s.p99 <= 0.25\""
        ));
    };
    let metric = text[..at].trim();
    let number = text[at + sym.len()..].trim();
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("{text:?}: {number:?} is not a finite number"))?;
    if !crate::metrics::summary::is_known_metric(metric) {
        return Err(format!(
            "{text:?}: unknown metric {metric:?}; use a summary.json key such as latency_s.p99 or cost_usd.total"
        ));
    }
    Ok(Assertion { metric: metric.to_string(), op, value, text: text.to_string() })
}
