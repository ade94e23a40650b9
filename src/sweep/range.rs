//! The value lists and ranges that sweep axes and `--set` share: `1,2,8`, `5m..60m:5m` (durations),
//! `1..32:x2` (geometric), `0.1..0.5:0.1`, `young,daly,10m..30m:10m`.

use std::collections::{HashMap, HashSet};

use crate::engine::Duration;
use crate::scenario::units::{exact_text, parse_duration};

/// Most values one axis may expand to.
pub const MAX_AXIS_VALUES: usize = 10_000;

/// Expands a comma list whose items may be ranges: `1,2,8`, `5m..60m:5m`, `1..32:x2`,
/// `young,daly,10m..30m:10m`. A text that starts with `[` or `{` is one value.
pub fn expand(text: &str) -> std::result::Result<Vec<String>, String> {
    let text = text.trim();
    if text.starts_with('[') || text.starts_with('{') {
        return Ok(vec![text.to_string()]);
    }
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(format!("{text:?} has an empty item: write values separated by commas, e.g. 1,4,16"));
        }
        if looks_like_range(item) {
            out.extend(range(item)?);
        } else {
            out.push(item.to_string());
        }
        if out.len() > MAX_AXIS_VALUES {
            return Err(format!("{text:?} gives more than {MAX_AXIS_VALUES} values; use a larger step"));
        }
    }
    check_distinct(&out)?;
    Ok(out)
}

/// `A..B…` where A starts like a number (`5m`, `-1`, `.5`, `10/s`); anything else with `..` in
/// it (a relative path such as `../traces/a.csv`) is a plain value.
fn looks_like_range(item: &str) -> bool {
    let Some((start, _)) = item.split_once("..") else { return false };
    let mut chars = start.trim().chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('-' | '+' | '.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// No value twice, durations compared by value (`90m` and `1h30m` are one cell). Linear in the
/// number of values (an axis may have [`MAX_AXIS_VALUES`] of them).
pub(crate) fn check_distinct(values: &[String]) -> std::result::Result<(), String> {
    let mut texts: HashSet<&str> = HashSet::with_capacity(values.len());
    let mut durations: HashMap<Duration, &str> = HashMap::new();
    for v in values {
        if !texts.insert(v.as_str()) {
            return Err(format!("the value {v:?} is listed twice"));
        }
        if let Ok(d) = parse_duration(v)
            && let Some(earlier) = durations.insert(d, v.as_str())
        {
            return Err(format!("the values {earlier:?} and {v:?} are the same duration: list it once"));
        }
    }
    Ok(())
}

/// `A..B`, `A..B:STEP` or `A..B:xFACTOR`, both ends included when the steps land on B.
fn range(item: &str) -> std::result::Result<Vec<String>, String> {
    const HELP: &str = "ranges are START..END:STEP or START..END:xFACTOR, e.g. 5m..60m:5m or 1..32:x2";
    let (start, rest) = item.split_once("..").ok_or_else(|| format!("{item:?}: {HELP}"))?;
    let (end, step) = match rest.split_once(':') {
        Some((end, step)) => (end.trim(), Some(step.trim())),
        None => (rest.trim(), None),
    };
    let start = start.trim();
    let factor = match step.and_then(|s| s.strip_prefix(['x', '*'])) {
        Some(f) => Some(
            f.trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f > 1.0)
                .ok_or_else(|| format!("{item:?}: the factor after `x` must be a number above 1"))?,
        ),
        None => None,
    };
    let values = match (parse_duration(start), parse_duration(end)) {
        (Ok(a), Ok(b)) => duration_range(item, a, b, step, factor)?,
        _ => number_range(item, start, end, step, factor)?,
    };
    if values.is_empty() {
        return Err(format!("{item:?}: the range is empty (its start is above its end)"));
    }
    Ok(values)
}

fn duration_range(
    item: &str,
    a: Duration,
    b: Duration,
    step: Option<&str>,
    factor: Option<f64>,
) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    if let Some(f) = factor {
        if a == Duration::ZERO {
            return Err(format!("{item:?}: a multiplying range cannot start at 0"));
        }
        let mut v = a.as_nanos() as f64;
        while v <= b.as_nanos() as f64 * (1.0 + 1e-12) {
            out.push(exact_text(Duration(v.round() as u64)));
            v *= f;
            if out.len() > MAX_AXIS_VALUES {
                break;
            }
        }
        return Ok(out);
    }
    let step = step.ok_or_else(|| format!("{item:?}: a range of durations needs a step, e.g. 5m..60m:5m"))?;
    let step = parse_duration(step).map_err(|e| format!("{item:?}: the step: {e}"))?;
    if step == Duration::ZERO {
        return Err(format!("{item:?}: the step must be longer than 0"));
    }
    let mut v = a;
    while v <= b && out.len() <= MAX_AXIS_VALUES {
        out.push(exact_text(v));
        v = Duration(v.as_nanos().saturating_add(step.as_nanos()));
        if v.as_nanos() == u64::MAX {
            break;
        }
    }
    Ok(out)
}

/// Largest magnitude a number range may reach: every integer up to it is exact in an f64.
const MAX_EXACT: f64 = 9.0e15;

/// A number with an optional unit after it (`10/s`), split.
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let end =
        text.find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))).unwrap_or(text.len());
    let (num, unit) = text.split_at(end);
    let value: f64 = num.parse().ok().filter(|v: &f64| v.is_finite())?;
    Some((value, unit.trim()))
}

fn is_integer(v: f64) -> bool {
    v.fract() == 0.0 && v.abs() <= MAX_EXACT
}

/// `v` printed without binary noise: rounded to `digits` significant digits of `scale` (the
/// step, or the value itself), never `-0`.
fn tidy(v: f64, scale: f64, digits: i32) -> f64 {
    if v == 0.0 || scale == 0.0 {
        return 0.0;
    }
    let exponent = digits - 1 - scale.abs().log10().floor() as i32;
    let rounded = if exponent >= 0 {
        let k = 10f64.powi(exponent);
        (v * k).round() / k
    } else {
        let k = 10f64.powi(-exponent);
        (v / k).round() * k
    };
    rounded + 0.0
}

fn number_range(
    item: &str,
    start: &str,
    end: &str,
    step: Option<&str>,
    factor: Option<f64>,
) -> std::result::Result<Vec<String>, String> {
    let bad = || {
        format!(
            "{item:?}: the ends must both be durations (5m..60m:5m) or both numbers with the same unit (1..32, 10/s..50/s:10/s)"
        )
    };
    let (a, unit) = number_and_unit(start).ok_or_else(bad)?;
    let (b, b_unit) = number_and_unit(end).ok_or_else(bad)?;
    if unit != b_unit {
        return Err(bad());
    }
    if a.abs() > MAX_EXACT || b.abs() > MAX_EXACT {
        return Err(format!("{item:?}: the ends must be within ±{MAX_EXACT:e}"));
    }
    let mut out = Vec::new();
    if let Some(f) = factor {
        if a <= 0.0 {
            return Err(format!("{item:?}: a multiplying range must start above 0"));
        }
        let integer = is_integer(a) && is_integer(f);
        let mut v = a;
        while v <= b * (1.0 + 1e-12) && out.len() <= MAX_AXIS_VALUES {
            out.push(if integer { format!("{v:.0}{unit}") } else { format!("{}{unit}", tidy(v, v, 10)) });
            v *= f;
        }
        return Ok(out);
    }
    let s = match step {
        None if is_integer(a) && is_integer(b) => 1.0,
        None => return Err(format!("{item:?}: a range of fractions needs a step, e.g. 0.1..0.9:0.2")),
        Some(text) => {
            let (s, s_unit) = number_and_unit(text).ok_or_else(|| format!("{item:?}: the step is not a number"))?;
            if !s_unit.is_empty() && s_unit != unit {
                return Err(format!("{item:?}: the step's unit {s_unit:?} differs from the ends' {unit:?}"));
            }
            s
        }
    };
    if s.is_nan() || s <= 0.0 {
        return Err(format!("{item:?}: the step must be above 0"));
    }
    let n = ((b - a) / s + 1e-9).floor();
    if n < 0.0 {
        return Ok(out);
    }
    if n >= MAX_AXIS_VALUES as f64 {
        return Err(format!("{item:?} gives more than {MAX_AXIS_VALUES} values; use a larger step"));
    }
    let integer = is_integer(a) && is_integer(s);
    for i in 0..=(n as u64) {
        let v = a + i as f64 * s;
        out.push(if integer { format!("{:.0}{unit}", v + 0.0) } else { format!("{}{unit}", tidy(v, s, 10)) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str) -> Vec<String> {
        expand(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(ex("1,4, 16"), ["1", "4", "16"]);
        assert_eq!(ex("5m..30m:5m"), ["5m", "10m", "15m", "20m", "25m", "30m"]);
        assert_eq!(ex("5m..60m:5m").len(), 12);
        assert_eq!(ex("1..32:x2"), ["1", "2", "4", "8", "16", "32"]);
        assert_eq!(ex("1..40:x2"), ["1", "2", "4", "8", "16", "32"], "an end between steps is left out");
        assert_eq!(ex("1..4"), ["1", "2", "3", "4"]);
        assert_eq!(ex("0.1..0.5:0.1"), ["0.1", "0.2", "0.3", "0.4", "0.5"]);
        assert_eq!(ex("10/s..30/s:10/s"), ["10/s", "20/s", "30/s"]);
        assert_eq!(ex("30s..2m:30s"), ["30s", "1m", "90s", "2m"]);
        assert_eq!(ex("1m..8m:x2"), ["1m", "2m", "4m", "8m"]);
        assert_eq!(ex("young,daly,10m..30m:10m"), ["young", "daly", "10m", "20m", "30m"]);
        assert_eq!(ex("[1, 2]"), ["[1, 2]"], "a flow list is one value");
        assert_eq!(ex("5ms"), ["5ms"]);
        assert_eq!(ex("1e-3..5e-3:1e-3"), ["0.001", "0.002", "0.003", "0.004", "0.005"]);
        assert_eq!(ex("0..1:0.25"), ["0", "0.25", "0.5", "0.75", "1"]);
        assert_eq!(ex("-0.3..0.3:0.1"), ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"]);
        assert_eq!(ex("8..32:8.0"), ["8", "16", "24", "32"], "integral values print as integers");
        assert_eq!(ex("1..1e3").len(), 1000);
        assert_eq!(ex("0.5..4:x2"), ["0.5", "1", "2", "4"]);
        assert_eq!(ex("../traces/a.csv,../traces/b.csv"), ["../traces/a.csv", "../traces/b.csv"], "paths are values");
        assert_eq!(ex("data..v2"), ["data..v2"]);
        assert_eq!(ex("1s..1.0000002s:100ns"), ["1s", "1000000100ns", "1000000200ns"], "durations are not rounded");
    }

    #[test]
    fn bad_ranges_say_why() {
        for (text, expect) in [
            ("5m..1m:1m", "empty"),
            ("5m..60m", "needs a step"),
            ("1..8:x1", "above 1"),
            ("0..8:x2", "start above 0"),
            ("1..8:0", "above 0"),
            ("1..5m:1", "both be durations"),
            ("0.1..0.5", "needs a step"),
            ("1,,2", "empty item"),
            ("1,2,1", "listed twice"),
            ("1..1000000", "more than"),
            ("5m..60m:0s", "longer than 0"),
            ("90m,1h30m", "same duration"),
            ("1..1e17", "within"),
        ] {
            let err = expand(text).expect_err(text);
            assert!(err.contains(expect), "{text}: {err}");
        }
    }
}
