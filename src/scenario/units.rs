//! Values with units as the scenario file writes them: durations (`250ms`, `5m`) and rates
//! (`120/s`). Parsed when the file is read, so a missing or unknown unit is reported with the line
//! and column of the value.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::Duration;

const UNITS: [(&str, f64); 7] =
    [("ns", 1.0), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3_600e9), ("d", 86_400e9)];

/// Largest duration accepted anywhere: 10 years, far beyond any sensible horizon.
pub const MAX_DURATION_NS: f64 = 10.0 * 365.0 * 86_400e9;

/// Splits `"1.5ms"` into `("1.5", "ms")`.
fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
        .unwrap_or(s.len());
    // `e` may be the start of a unit only if nothing numeric follows; durations never use `e` units.
    (&s[..end], s[end..].trim_start())
}

/// Parses a duration such as `250ms`, `1.5s`, `90s`, `5m`, `2h`, `3d`, a compound `1h30m` or
/// `2m30s`, or a bare `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err("expected a duration such as 250ms, 90s, 5m, 2h or 3d, found an empty value".into());
    }
    let mut rest = s;
    let mut total = 0.0;
    // The unit of the previous term: a compound goes from the largest unit to the smallest.
    let mut previous: Option<usize> = None;
    while !rest.is_empty() {
        let (number, unit, tail) = next_term(rest);
        if previous.is_some() && number.starts_with(['+', '-']) {
            return Err(format!(
                "duration {text:?}: only the whole duration may carry a sign, not a part of it (durations add up: 1h30m, never 1h-30m)"
            ));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("expected a duration such as 250ms, 90s, 5m, 2h or 3d, found {text:?}"))?;
        if unit.is_empty() {
            return Err(format!("duration {text:?} has no unit: write e.g. {number}s or {number}ms"));
        }
        let Some(idx) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(format!("unknown duration unit {unit:?} in {text:?}: use ns, us, ms, s, m, h or d"));
        };
        if let Some(prev) = previous.filter(|&p| idx >= p) {
            return Err(format!(
                "duration {text:?}: {unit:?} after {:?}; the parts of a duration go from the largest unit to the smallest, each unit once (e.g. 1h30m)",
                UNITS[prev].0
            ));
        }
        previous = Some(idx);
        total += value * UNITS[idx].1;
        rest = tail.trim_start();
    }
    if !total.is_finite() || total < 0.0 {
        return Err(format!("duration {text:?} must be a finite, non-negative time"));
    }
    if total > MAX_DURATION_NS {
        return Err(format!("duration {text:?} is longer than the 10-year limit"));
    }
    Ok(Duration(total.round() as u64))
}

/// Splits `"1h30m"` into `("1", "h", "30m")`: a number, its unit (letters) and the rest.
fn next_term(s: &str) -> (&str, &str, &str) {
    let (number, after) = split_number(s);
    let unit_len = after.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(after.len());
    let unit = &after[..unit_len];
    let tail = &after[unit_len..];
    // Anything that is neither a number nor a unit (e.g. "5 minutes" → "minutes" is a unit,
    // "5 x" → unit "x") is reported as an unknown unit; a stray symbol ends the parse as a unit.
    if unit.is_empty() && !tail.is_empty() {
        return (number, tail, "");
    }
    (number, unit, tail)
}

/// Parses a rate such as `120/s`, `3000/m` or `5/h` into events per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let Some((number, unit)) = s.split_once('/') else {
        if s.parse::<f64>().is_ok() {
            return Err(format!("rate {s} has no unit: write e.g. {s}/s, {s}/m or {s}/h"));
        }
        return Err(format!("expected a rate such as 120/s, 300/m or 5/h, found {text:?}"));
    };
    let value: f64 =
        number.trim().parse().map_err(|_| format!("expected a rate such as 120/s, 300/m or 5/h, found {text:?}"))?;
    let per_s = match unit.trim() {
        "s" => value,
        "m" => value / 60.0,
        "h" => value / 3_600.0,
        "d" => value / 86_400.0,
        other => return Err(format!("unknown rate unit {other:?} in {text:?}: use /s, /m, /h or /d")),
    };
    if !per_s.is_finite() || per_s < 0.0 {
        return Err(format!("rate {text:?} must be finite and non-negative"));
    }
    Ok(per_s)
}

/// A duration as written in the scenario; serializes back to its canonical text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct DurationValue(pub Duration);

/// A rate as written in the scenario (events per second), keeping its text for round trips.
#[derive(Clone, Debug, PartialEq)]
pub struct RateValue {
    /// Events per second.
    pub per_s: f64,
    text: String,
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = DurationValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration with a unit, such as 250ms, 90s, 5m, 2h or 3d")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationValue, E> {
        parse_duration(v).map(DurationValue).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DurationValue, E> {
        match v {
            0 => Ok(DurationValue(Duration::ZERO)),
            _ => Err(E::custom(format!("duration {v} has no unit: write e.g. {v}s or {v}ms"))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DurationValue, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::custom(format!("duration {v} must not be negative"))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<DurationValue, E> {
        Err(E::custom(format!("duration {v} has no unit: write e.g. {v}s or {v}ms")))
    }
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

impl Serialize for DurationValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&exact_text(self.0))
    }
}

/// `d` as text that [`parse_duration`] reads back exactly: its display form (`250ms`, `90s`) when
/// that is exact, else whole nanoseconds (the display rounds `1.0000001s` to the millisecond).
/// `--set` and sweep cells rebuild a scenario from text, so it must not round.
pub fn exact_text(d: Duration) -> String {
    let text = d.to_string();
    if parse_duration(&text) == Ok(d) { text } else { format!("{}ns", d.as_nanos()) }
}

struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = RateValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a rate such as 120/s, 300/m or 5/h")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RateValue, E> {
        parse_rate(v).map(|per_s| RateValue { per_s, text: v.trim().to_string() }).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RateValue, E> {
        Err(E::custom(format!("rate {v} has no unit: write e.g. {v}/s, {v}/m or {v}/h")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RateValue, E> {
        Err(E::custom(format!("rate {v} has no unit: write e.g. {v}/s, {v}/m or {v}/h")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RateValue, E> {
        Err(E::custom(format!("rate {v} has no unit: write e.g. {v}/s, {v}/m or {v}/h")))
    }
}

impl<'de> Deserialize<'de> for RateValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RateVisitor)
    }
}

impl Serialize for RateValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration(250_000_000)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration(1_500_000_000)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7_200)));
        assert_eq!(parse_duration("3d"), Ok(Duration::from_secs(259_200)));
        assert_eq!(parse_duration("100us"), Ok(Duration(100_000)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("2m30s"), Ok(Duration::from_secs(150)));
    }

    #[test]
    fn exact_text_reads_back_exactly() {
        assert_eq!(exact_text(Duration(250_000_000)), "250ms");
        assert_eq!(exact_text(Duration::from_secs(5_400)), "90m");
        assert_eq!(exact_text(Duration::ZERO), "0s");
        assert_eq!(exact_text(Duration(1_000_000_100)), "1000000100ns", "the display form is 1.000s");
        for ns in [1, 999, 1_000_000_001, 1_234_567_890_123, 86_400_000_000_001] {
            assert_eq!(parse_duration(&exact_text(Duration(ns))), Ok(Duration(ns)));
        }
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 minutes").unwrap_err().contains("unknown duration unit"));
        assert!(parse_duration("5s!").unwrap_err().contains("expected a duration"));
        assert!(parse_duration("1h 30").unwrap_err().contains("no unit"));
        assert!(parse_duration("-5s").unwrap_err().contains("non-negative"));
        assert!(parse_duration("abc").unwrap_err().contains("expected a duration"));
        assert!(parse_duration("99999d").unwrap_err().contains("10-year"));
    }

    #[test]
    fn compound_durations_go_from_the_largest_unit_down_and_only_add() {
        // Read as 30 minutes and as 2 hours before: a sign inside, a unit twice.
        assert!(parse_duration("1h-30m").unwrap_err().contains("never 1h-30m"));
        assert!(parse_duration("1h+30m").unwrap_err().contains("only the whole duration may carry a sign"));
        assert!(parse_duration("1h1h").unwrap_err().contains("\"h\" after \"h\""));
        assert!(parse_duration("30m1h").unwrap_err().contains("from the largest unit to the smallest"));
        assert_eq!(parse_duration("1d2h3m4s5ms6us7ns"), Ok(Duration(93_784_005_006_007)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
    }

    #[test]
    fn rates_parse_per_second() {
        assert_eq!(parse_rate("120/s"), Ok(120.0));
        assert_eq!(parse_rate("120/m"), Ok(2.0));
        assert_eq!(parse_rate("36/h"), Ok(0.01));
        assert!(parse_rate("120").unwrap_err().contains("rate 120 has no unit"));
        assert!(parse_rate("fast").unwrap_err().contains("expected a rate"));
        assert!(parse_rate("120/y").unwrap_err().contains("unknown rate unit"));
        assert!(parse_rate("-1/s").unwrap_err().contains("non-negative"));
    }
}
