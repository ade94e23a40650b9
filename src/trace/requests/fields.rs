//! Field parsers for request traces: exact decimal seconds, token counts, speedup scaling and
//! the quoting used in error messages.

use std::fmt::Write as _;

/// How output times are derived from trace times: `time / speedup`, rounded to nearest.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scale {
    /// Speedup 1: times as they are.
    One,
    /// Exact: `(ns << shift) / denom`, rounded half up (`speedup = denom / 2^shift`).
    Exact { shift: u32, denom: u128 },
    /// Speedups too extreme for the exact form: floating-point division.
    Float(f64),
}

impl Scale {
    pub(super) fn new(speedup: f64) -> Scale {
        if speedup == 1.0 {
            return Scale::One;
        }
        // speedup = m · 2^e exactly, with m odd.
        let bits = speedup.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        let (mut m, mut e) = if exp == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp - 1075) };
        if m == 0 {
            return Scale::Float(speedup);
        }
        let tz = m.trailing_zeros();
        m >>= tz;
        e += tz as i32;
        if e >= 0 {
            // denom = m · 2^e must fit in u128 (m < 2^53).
            if e <= 74 {
                return Scale::Exact { shift: 0, denom: (m as u128) << e };
            }
        } else if -e <= 63 {
            // ns < 2^64, so ns << 63 < 2^127.
            return Scale::Exact { shift: (-e) as u32, denom: m as u128 };
        }
        Scale::Float(speedup)
    }

    /// `ns / speedup` rounded to the nearest nanosecond; `None` if it does not fit in u64.
    #[inline]
    pub(super) fn apply(self, ns: u64) -> Option<u64> {
        match self {
            Scale::One => Some(ns),
            Scale::Exact { shift, denom } => {
                let num = (ns as u128) << shift;
                let q = (num + denom / 2) / denom;
                u64::try_from(q).ok()
            }
            Scale::Float(s) => {
                let v = (ns as f64 / s).round();
                if (0.0..18_446_744_073_709_551_616.0).contains(&v) { Some(v as u64) } else { None }
            }
        }
    }
}

/// Why a field is not decimal seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SecondsError {
    NotANumber,
    Negative,
    TooLarge,
}

/// Parses non-negative decimal seconds (`12`, `0.25`, `.5`, `1e-3`, `+3`) into nanoseconds exactly,
/// rounding digits beyond the nanosecond half up.
pub(crate) fn parse_seconds(s: &[u8]) -> Result<u64, SecondsError> {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mant, exp) = match s.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mant.iter().position(|&b| b == b'.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, &[][..]),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
    {
        return Err(SecondsError::NotANumber);
    }
    let exp: i64 = match exp {
        None => 0,
        Some(e) => {
            let (eneg, digits) = match e.first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(SecondsError::NotANumber);
            }
            let mut v: i64 = 0;
            for &d in digits {
                v = (v * 10 + i64::from(d - b'0')).min(1_000_000);
            }
            if eneg { -v } else { v }
        }
    };
    let nonzero = int.iter().chain(frac).any(|&b| b != b'0');
    if !nonzero {
        return Ok(0);
    }
    if neg {
        return Err(SecondsError::Negative);
    }
    // The digits int ++ frac, scaled by 10^(9 + exp - frac.len()): keep the first `keep` of them.
    let n = (int.len() + frac.len()) as i64;
    let keep = int.len() as i64 + 9 + exp;
    let digit = |i: usize| -> u64 {
        let b = if i < int.len() { int[i] } else { frac[i - int.len()] };
        u64::from(b - b'0')
    };
    if keep < 0 {
        return Ok(0);
    }
    let mut v: u64 = 0;
    for i in 0..keep.min(n) as usize {
        v = v.checked_mul(10).and_then(|v| v.checked_add(digit(i))).ok_or(SecondsError::TooLarge)?;
    }
    if keep > n {
        // All digits kept and v > 0, so this overflows within 20 steps if it is going to.
        for _ in 0..keep - n {
            v = v.checked_mul(10).ok_or(SecondsError::TooLarge)?;
        }
    } else if keep < n && digit(keep as usize) >= 5 {
        v = v.checked_add(1).ok_or(SecondsError::TooLarge)?;
    }
    Ok(v)
}

/// Why a field is not a token count.
pub(super) enum TokensError {
    NotAnInteger,
    Negative,
    TooLarge,
}

/// Parses a non-negative integer that fits in u32.
#[inline]
pub(super) fn parse_tokens(s: &[u8]) -> Result<u32, TokensError> {
    if s.is_empty() {
        return Err(TokensError::NotAnInteger);
    }
    let mut v: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(if s[0] == b'-' && s.len() > 1 && s[1..].iter().all(u8::is_ascii_digit) {
                TokensError::Negative
            } else {
                TokensError::NotAnInteger
            });
        }
        v = v * 10 + u64::from(d);
        if v > u64::from(u32::MAX) {
            return Err(if s.iter().all(u8::is_ascii_digit) {
                TokensError::TooLarge
            } else {
                TokensError::NotAnInteger
            });
        }
    }
    Ok(v as u32)
}

/// A field quoted for an error message (escaped if it is not UTF-8, shortened if very long).
pub(super) fn quote(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let (shown, cut) = if bytes.len() > MAX { (&bytes[..MAX], true) } else { (bytes, false) };
    let mut out = match std::str::from_utf8(shown) {
        Ok(s) => format!("{s:?}"),
        Err(e) if cut && e.error_len().is_none() => {
            // Cut inside a multi-byte character: drop the partial character.
            let s = std::str::from_utf8(&shown[..e.valid_up_to()]).unwrap_or_default();
            format!("{s:?}")
        }
        Err(_) => format!("\"{}\" (not valid UTF-8)", shown.escape_ascii()),
    };
    if cut {
        out.push_str("...");
    }
    out
}

/// Signed nanoseconds as decimal seconds: `12.5`, `-0.000000001`, `3`.
pub(super) fn fmt_secs(ns: i128) -> String {
    let mut s = String::new();
    if ns < 0 {
        s.push('-');
    }
    let a = ns.unsigned_abs();
    let (whole, frac) = (a / 1_000_000_000, a % 1_000_000_000);
    let _ = write!(s, "{whole}");
    if frac != 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}
