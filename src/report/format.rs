//! Numbers as a reviewer reads them: durations as `5m` or `250ms`, money as `$1,234`, counts as
//! `3.4M`, and tick positions at 1, 2 or 5 times a power of ten (or a round duration).

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
    /// `v` written for a tick or a table.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Seconds => duration(v),
            Unit::Usd => money(v),
            Unit::Number => si(v),
            Unit::Percent => percent(v),
        }
    }
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

/// `$0.35`, `$12.50`, `$950`, `$1,234`, `$3.4M`.
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a >= 1e6 {
        format!("{sign}${}", si(a))
    } else if a >= 1000.0 {
        let whole = a.round() as u64;
        format!("{sign}${},{:03}", whole / 1000, whole % 1000)
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
        assert_eq!(money(3_400_000.0), "$3.4M");
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
