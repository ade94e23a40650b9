//! Numbers as a reviewer reads them, one way everywhere (terminal tables, `report.md`,
//! `report.html`): durations with their unit (`5m`, `250ms`, `1h30m`), money with `$` and
//! thousands separators (`$1,234`, `$0.35`), counts with thousands separators (`7,919,588`),
//! fractions as percentages (`0.054%`), intervals as `mean [low, high]` and differences with
//! their sign (`+$12.50`). Axis ticks are compact (`3.4k`, `$3.4M`) and sit at 1, 2 or 5 times a
//! power of ten (or a round duration).

/// What a value measures, which decides its ticks and how it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds, written as a duration (`90s`, `5m`, `2h`).
    Seconds,
    /// US dollars (`$0.35`, `$950`, `$1,234`, `$3.4M`).
    Usd,
    /// A count or any plain number (`12`, `3.4k`, `1.2M`).
    Number,
    /// A fraction written as a percentage (`0.5` → `50%`).
    Percent,
}

impl Unit {
    /// `v` written for a table or a sentence.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Seconds => duration(v),
            Unit::Usd => money(v),
            Unit::Number => count(v),
            Unit::Percent => percent(v),
        }
    }

    /// `v` written for an axis tick: as [`Unit::format`], but large numbers and sums of money
    /// with a k/M/G suffix.
    pub fn tick(self, v: f64) -> String {
        match self {
            Unit::Usd if v.abs() >= 1e6 => format!("{}${}", if v < 0.0 { "-" } else { "" }, si(v.abs())),
            Unit::Usd if v.fract() == 0.0 => money(v).trim_end_matches(".00").to_string(),
            Unit::Number => si(v),
            other => other.format(v),
        }
    }

    /// A difference, with its sign: `+$12.50`, `-3.1ms`, `0s`.
    pub fn signed(self, v: f64) -> String {
        if v > 0.0 { format!("+{}", self.format(v)) } else { self.format(v) }
    }

    /// `mean [low, high]`, or the mean alone when the interval is unknown.
    pub fn interval(self, mean: f64, low: f64, high: f64) -> String {
        if low.is_finite() && high.is_finite() {
            format!("{} [{}, {}]", self.format(mean), self.format(low), self.format(high))
        } else {
            self.format(mean)
        }
    }

    /// A difference and its interval, each with its sign.
    pub fn signed_interval(self, mean: f64, low: f64, high: f64) -> String {
        if low.is_finite() && high.is_finite() {
            format!("{} [{}, {}]", self.signed(mean), self.signed(low), self.signed(high))
        } else {
            self.signed(mean)
        }
    }
}

/// Thousands separators on a whole number: `7919588` → `7,919,588`.
fn grouped(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count or plain number: whole from 1,000 up, with separators (`7,919,588`); three
/// significant digits below (`412`, `0.667`, `12.5`).
pub fn count(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.abs() >= 999.5 && v.abs() < 1e18 {
        let sign = if v < 0.0 { "-" } else { "" };
        format!("{sign}{}", grouped(v.abs().round() as u64))
    } else {
        sig3(v)
    }
}

/// `v` written so that it does not read as `limit` when it differs from it (`100.2ms`, not
/// `100ms`, against a 100ms limit): more significant digits until the two differ.
pub fn apart(unit: Unit, v: f64, limit: f64) -> String {
    let plain = unit.format(v);
    if v == limit || plain != unit.format(limit) {
        return plain;
    }
    let scale = match unit {
        Unit::Seconds if v.abs() < 1.0 => (1e3, "ms"),
        Unit::Seconds => (1.0, "s"),
        Unit::Percent => (100.0, "%"),
        Unit::Usd | Unit::Number => (1.0, ""),
    };
    for digits in 4..=8 {
        let x = v * scale.0;
        let decimals = (digits - 1 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
        let text = format!("{x:.decimals$}");
        let y = limit * scale.0;
        if text != format!("{y:.decimals$}") {
            let money = if unit == Unit::Usd { "$" } else { "" };
            return format!("{money}{text}{}", scale.1);
        }
    }
    plain
}

/// The name of a latency quantile: `p99`, `p99.9`, `p50`.
pub fn quantile(q: f64) -> String {
    let pct = q * 100.0;
    let text = format!("{pct:.4}");
    format!("p{}", text.trim_end_matches('0').trim_end_matches('.'))
}

/// Three significant digits with k/M/G suffixes.
pub fn si(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{}{suffix}", sig3(scaled))
}

/// Three significant digits, no trailing zeros (`1.5`, `12`, `0.0123`).
pub fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { "–".into() };
    }
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".into() } else { s }
}

/// `$0.35`, `$12.50`, `$950`, `$1,234`, `$3,400,000`.
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a >= 1e18 {
        format!("{sign}${}", si(a))
    } else if a >= 999.5 {
        format!("{sign}${}", grouped(a.round() as u64))
    } else if a >= 10.0 && (a.fract() == 0.0 || a >= 100.0) {
        format!("{sign}${a:.0}")
    } else if a == 0.0 {
        "$0".into()
    } else if a >= 1.0 {
        format!("{sign}${a:.2}")
    } else {
        format!("{sign}${}", sig3(a))
    }
}

/// `50%`, `0.5%`, `99.9%`.
pub fn percent(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    format!("{}%", sig3(v * 100.0))
}

/// `250ms`, `1.5s`, `90s`, `5m`, `1h30m`, `2d`: the largest units that keep it readable.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "–".into();
    }
    if secs < 0.0 {
        return format!("-{}", duration(-secs));
    }
    if secs == 0.0 {
        return "0s".into();
    }
    if secs < 1e-3 {
        return format!("{}us", sig3(secs * 1e6));
    }
    if secs < 1.0 {
        return format!("{}ms", sig3(secs * 1e3));
    }
    if secs < 120.0 {
        return format!("{}s", sig3(secs));
    }
    let units = [("d", 86_400.0), ("h", 3_600.0), ("m", 60.0), ("s", 1.0)];
    let i = units.iter().position(|(_, size)| secs >= *size).unwrap_or(3);
    let (name, size) = units[i];
    let whole = (secs / size).floor();
    let rest = secs - whole * size;
    if rest < 1e-6 * size {
        return format!("{whole:.0}{name}");
    }
    if let Some(&(sub, sub_size)) = units.get(i + 1) {
        let r = rest / sub_size;
        if whole < 10.0 && (r - r.round()).abs() < 1e-6 && r.round() >= 1.0 {
            return format!("{whole:.0}{name}{:.0}{sub}", r.round());
        }
    }
    format!("{}{name}", sig3(secs / size))
}

/// About `n` ticks between `lo` and `hi` at 1, 2 or 5 times a power of ten.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    ticks_with_step(lo, hi, step)
}

/// Ticks on a time axis at round durations (1s … 7d).
pub fn duration_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    const STEPS: [f64; 22] = [
        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0,
        600.0, 900.0, 1800.0, 3600.0,
    ];
    const LONG: [f64; 7] = [7200.0, 10800.0, 21600.0, 43200.0, 86400.0, 172_800.0, 604_800.0];
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    match STEPS.iter().chain(LONG.iter()).find(|s| **s >= raw) {
        Some(step) => ticks_with_step(lo, hi, *step),
        None => nice_ticks(lo / 86_400.0, hi / 86_400.0, n).into_iter().map(|d| d * 86_400.0).collect(),
    }
}

/// Ticks of a log10 axis (values are log10 of the data): 1, 2, 5 × 10^k, or 1 × 10^k when the
/// range spans many decades.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = hi - lo;
    let mults: &[f64] = if decades > 4.0 {
        &[1.0]
    } else if decades > 1.5 {
        &[1.0, 3.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut out = Vec::new();
    for k in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for m in mults {
            let v = (m * 10f64.powi(k)).log10();
            if v >= lo - 1e-9 && v <= hi + 1e-9 {
                out.push(v);
            }
        }
    }
    out
}

fn ticks_with_step(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).take(200).map(|i| i as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_at_a_glance() {
        assert_eq!(duration(300.0), "5m");
        assert_eq!(duration(0.25), "250ms");
        assert_eq!(duration(90.0), "90s");
        assert_eq!(duration(5400.0), "1h30m");
        assert_eq!(duration(7200.0), "2h");
        assert_eq!(duration(36_000.0), "10h");
        assert_eq!(duration(172_800.0), "2d");
        assert_eq!(duration(1.5), "1.5s");
        assert_eq!(money(1234.4), "$1,234");
        assert_eq!(money(1200.0), "$1,200");
        assert_eq!(money(3_400_000.0), "$3,400,000");
        assert_eq!(Unit::Usd.tick(3_400_000.0), "$3.4M");
        assert_eq!(Unit::Usd.tick(5.0), "$5");
        assert_eq!(Unit::Usd.tick(2.5), "$2.50");
        assert_eq!(money(-1234.0), "-$1,234");
        assert_eq!(count(7_919_588.0), "7,919,588");
        assert_eq!(count(1099.93), "1,100");
        assert_eq!(count(0.6667), "0.667");
        assert_eq!(Unit::Number.tick(48_100.0), "48.1k");
        assert_eq!(Unit::Usd.signed(12.5), "+$12.50");
        assert_eq!(Unit::Seconds.signed(-0.0031), "-3.1ms");
        assert_eq!(Unit::Percent.interval(0.5, 0.25, 0.75), "50% [25%, 75%]");
        assert_eq!(Unit::Usd.interval(2.0, f64::NAN, f64::NAN), "$2.00");
        assert_eq!(quantile(0.99), "p99");
        assert_eq!(quantile(0.999), "p99.9");
        assert_eq!(quantile(0.5), "p50");
        assert_eq!(apart(Unit::Seconds, 0.1002, 0.1), "100.2ms");
        assert_eq!(apart(Unit::Seconds, 0.108, 0.1), "108ms");
        assert_eq!(apart(Unit::Percent, 0.94999, 0.95), "94.999%");
        assert_eq!(money(950.0), "$950");
        assert_eq!(money(12.5), "$12.50");
        assert_eq!(money(50.0), "$50");
        assert_eq!(money(0.0), "$0");
        assert_eq!(money(0.35), "$0.35");
        assert_eq!(money(0.0123), "$0.0123");
        assert_eq!(si(3_400_000.0), "3.4M");
        assert_eq!(si(12.0), "12");
        assert_eq!(percent(0.005), "0.5%");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(0.0, 10.0, 5), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(duration_ticks(0.0, 3600.0, 6), [0.0, 600.0, 1200.0, 1800.0, 2400.0, 3000.0, 3600.0]);
        let l = log_ticks(0.0, 1.0);
        assert_eq!(l.len(), 4, "1, 2, 5, 10: {l:?}");
    }
}
