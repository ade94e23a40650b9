//! Public reference figures for spot markets, each with its source.
//!
//! The figures live in `market_refs.csv` next to this file and are compiled into the binary with
//! [`include_str!`]. Each row is one figure: a `kind` (what it measures), a `key` (what it applies
//! to), a `value` in `unit`, the URL it comes from (`source`), the date the figure is dated to
//! (`date`) and a `note` that says how solid it is.
//!
//! | kind | key | unit |
//! | --- | --- | --- |
//! | `interruption_rate` | GPU model (`A100`, `V100`, `H100`) | `per_hour` |
//! | `observed_interruption_rate` | `provider:GPU` (cross-checks) | `per_hour` |
//! | `weekend_factor` | `all` | `factor` (weekend hazard ÷ weekday hazard) |
//! | `notice` | provider (`aws`, `gcp`, `azure`) | `seconds` |
//! | `max_lifetime` | `gcp-preemptible` | `seconds` |
//! | `spot_discount` | provider, or `provider:GPU` | `fraction` (0.7 = 70% below on-demand) |
//!
//! # How far to trust them
//!
//! Read the `note` before using a figure as a scenario default:
//!
//! * The `interruption_rate` rows for A100, V100 and H100 are the figures quoted in the project's
//!   issue; we could not find them in a public source, and they are two to three orders of
//!   magnitude above what the AWS Spot Instance Advisor buckets imply, while the V100 one is ~60×
//!   below the V100 preemption trace of the paper it is attributed to. The
//!   `observed_interruption_rate` rows hold those cross-checks; they are not used as defaults.
//!   GPUs without an `interruption_rate` row (L4, T4, A10G, …) have no default: a scenario with
//!   such a spot pool must give `spot.interruptions.hazard.per_hour` or a trace.
//! * Advisor buckets ("<5%" of capacity reclaimed over the trailing month) are converted as a
//!   monthly probability `p` → hazard `-ln(1 - p) / 730 h`, at the bucket midpoint.
//! * Notices and the GCP preemptible lifetime are the providers' documented behaviour.
//! * Spot discounts are snapshots: spot prices move, differ by zone, and the providers' "up to
//!   90%" figures are ceilings, not typical values.
//!
//! These are reference figures for simulation defaults and sanity checks, not measurements of any
//! particular fleet.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The reference data, compiled in.
const MARKET_REFS_CSV: &str = include_str!("market_refs.csv");

/// One public reference figure.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct MarketRef {
    /// What the figure measures: `interruption_rate`, `observed_interruption_rate`,
    /// `weekend_factor`, `notice`, `max_lifetime` or `spot_discount`.
    pub kind: String,
    /// What it applies to: a GPU model (`A100`), a provider (`aws`), `provider:GPU` (`aws:V100`),
    /// `gcp-preemptible` or `all`.
    pub key: String,
    /// The figure, in `unit`.
    pub value: f64,
    /// Unit of `value`: `per_hour`, `factor`, `seconds` or `fraction`.
    pub unit: String,
    /// URL of the public page or paper the figure comes from (or is attributed to; see `note`).
    pub source: String,
    /// Date (YYYY-MM-DD) the figure is dated to; `note` says when this is an estimate.
    pub date: String,
    /// How the figure was obtained or converted, how rough it is, and caveats.
    pub note: String,
}

/// Every reference figure, parsed once (std::sync::OnceLock) from the embedded CSV.
pub fn all() -> &'static [MarketRef] {
    static REFS: OnceLock<Vec<MarketRef>> = OnceLock::new();
    REFS.get_or_init(|| {
        csv::Reader::from_reader(MARKET_REFS_CSV.as_bytes())
            .deserialize()
            .map(|row| row.expect("built-in market_refs.csv row is malformed"))
            .collect()
    })
}

/// Published spot interruption rate (per instance-hour) for a GPU model.
///
/// Looks up `gpu` as given, then its family, the part before the first `-` (`"A100-80GB"` →
/// `"A100"`, `"H100-NVL"` → `"H100"`); both case-insensitively. `None` for unknown models and for
/// an empty name (CPU-only instance types). Check the row's `note`: see the module docs.
pub fn interruption_rate_per_hour(gpu: &str) -> Option<&'static MarketRef> {
    gpu_candidates(gpu).into_iter().find_map(|key| find("interruption_rate", key))
}

/// Interruption notice the provider gives before it reclaims a spot instance, in seconds
/// (`"aws"`, `"gcp"`, `"azure"`; case-insensitive).
pub fn notice_secs(provider: &str) -> Option<&'static MarketRef> {
    find("notice", provider.trim())
}

/// Ratio of the weekend interruption hazard to the weekday one (0.6 = 40% fewer on weekends).
pub fn weekend_factor() -> Option<&'static MarketRef> {
    find("weekend_factor", "all")
}

/// Maximum lifetime of a spot offering that has one, in seconds (`"gcp-preemptible"`;
/// case-insensitive).
pub fn max_lifetime_secs(key: &str) -> Option<&'static MarketRef> {
    find("max_lifetime", key.trim())
}

/// Typical spot discount against on-demand, as a fraction (0.7 = 70% cheaper).
///
/// Prefers a row for that provider and GPU (`"aws:V100"`; the GPU as given, then its family as in
/// [`interruption_rate_per_hour`]) and falls back to the provider's row (`"aws"`). An empty `gpu`
/// asks for the provider row. Case-insensitive. `None` when the provider has no row.
pub fn spot_discount(provider: &str, gpu: &str) -> Option<&'static MarketRef> {
    let provider = provider.trim();
    if provider.is_empty() {
        return None;
    }
    gpu_candidates(gpu)
        .into_iter()
        .find_map(|gpu| find("spot_discount", &format!("{provider}:{gpu}")))
        .or_else(|| find("spot_discount", provider))
}

/// The row of `kind` whose key equals `key`, ignoring ASCII case.
fn find(kind: &str, key: &str) -> Option<&'static MarketRef> {
    all().iter().find(|r| r.kind == kind && r.key.eq_ignore_ascii_case(key))
}

/// Keys to try for a GPU model, most specific first: the name, then its family (before the first
/// `-`) when that differs. Empty for an empty name.
fn gpu_candidates(gpu: &str) -> Vec<&str> {
    let gpu = gpu.trim();
    if gpu.is_empty() {
        return Vec::new();
    }
    let mut keys = vec![gpu];
    if let Some((family, _)) = gpu.split_once('-')
        && !family.is_empty()
    {
        keys.push(family);
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const KINDS_AND_UNITS: [(&str, &str); 6] = [
        ("interruption_rate", "per_hour"),
        ("observed_interruption_rate", "per_hour"),
        ("weekend_factor", "factor"),
        ("notice", "seconds"),
        ("max_lifetime", "seconds"),
        ("spot_discount", "fraction"),
    ];

    fn is_valid_date(s: &str) -> bool {
        let bytes = s.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return false;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
        };
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
            return false;
        };
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=days_in_month).contains(&day)
    }

    fn value(r: Option<&MarketRef>) -> f64 {
        r.expect("row missing").value
    }

    #[test]
    fn every_row_parses() {
        let mut reader = csv::Reader::from_reader(MARKET_REFS_CSV.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(headers.iter().collect::<Vec<_>>(), ["kind", "key", "value", "unit", "source", "date", "note"]);
        let mut rows = 0;
        for (i, row) in reader.deserialize::<MarketRef>().enumerate() {
            row.unwrap_or_else(|e| panic!("row {} does not parse: {e}", i + 1));
            rows += 1;
        }
        assert!(rows > 0);
        assert_eq!(all().len(), rows);
    }

    #[test]
    fn sources_dates_and_notes_are_well_formed() {
        for r in all() {
            let id = format!("{} {}", r.kind, r.key);
            assert!(r.source.starts_with("https://") && !r.source.contains(char::is_whitespace), "{id}: source");
            assert!(is_valid_date(&r.date), "{id}: date {:?} is not YYYY-MM-DD", r.date);
            assert!(!r.note.trim().is_empty(), "{id}: empty note");
        }
    }

    #[test]
    fn date_check_rejects_bad_dates() {
        assert!(is_valid_date("2024-02-29"));
        for bad in ["2023-02-29", "2025-13-01", "2025-04-31", "2025-1-01", "25-01-01", "2025/01/01", ""] {
            assert!(!is_valid_date(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn kinds_units_and_values_are_consistent() {
        let mut seen = HashSet::new();
        for r in all() {
            let id = format!("{} {}", r.kind, r.key);
            let unit = KINDS_AND_UNITS.iter().find(|(k, _)| *k == r.kind).map(|(_, u)| *u);
            assert_eq!(Some(r.unit.as_str()), unit, "{id}: unknown kind or wrong unit");
            assert!(r.value.is_finite() && r.value > 0.0, "{id}: value {}", r.value);
            assert!(!r.key.is_empty() && r.key == r.key.trim(), "{id}: key");
            assert!(seen.insert((r.kind.as_str(), r.key.to_ascii_lowercase())), "{id}: duplicate");
        }
    }

    #[test]
    fn quoted_interruption_rates_are_present() {
        assert_eq!(value(interruption_rate_per_hour("A100")), 0.023);
        assert_eq!(value(interruption_rate_per_hour("V100")), 0.008);
        assert_eq!(value(interruption_rate_per_hour("H100")), 0.041);
    }

    #[test]
    fn interruption_rate_resolves_the_family() {
        assert_eq!(value(interruption_rate_per_hour("A100-80GB")), 0.023);
        assert_eq!(value(interruption_rate_per_hour("A100-40GB")), 0.023);
        assert_eq!(value(interruption_rate_per_hour("a100-80gb")), 0.023);
        assert_eq!(value(interruption_rate_per_hour(" H100-NVL ")), 0.041);
        assert_eq!(interruption_rate_per_hour("A100-80GB").unwrap().key, "A100");
        for unknown in ["", "  ", "-", "-A100", "K80", "A10", "A100X"] {
            assert!(interruption_rate_per_hour(unknown).is_none(), "{unknown:?} resolved");
        }
    }

    #[test]
    fn interruption_rates_are_hourly_probabilities() {
        for r in all().iter().filter(|r| r.kind.ends_with("interruption_rate")) {
            assert!(r.value > 0.0 && r.value < 1.0, "{}: {} per hour", r.key, r.value);
        }
    }

    #[test]
    fn notices() {
        assert_eq!(value(notice_secs("aws")), 120.0);
        assert_eq!(value(notice_secs("gcp")), 30.0);
        assert_eq!(value(notice_secs("azure")), 30.0);
        assert_eq!(value(notice_secs("AWS")), 120.0);
        assert!(notice_secs("oracle").is_none());
        assert!(notice_secs("").is_none());
    }

    #[test]
    fn weekend_factor_and_max_lifetime() {
        assert_eq!(value(weekend_factor()), 0.6);
        assert_eq!(value(max_lifetime_secs("gcp-preemptible")), 86_400.0);
        assert!(max_lifetime_secs("gcp-spot").is_none());
        assert!(max_lifetime_secs("aws").is_none());
    }

    #[test]
    fn spot_discounts_are_fractions() {
        let discounts: Vec<_> = all().iter().filter(|r| r.kind == "spot_discount").collect();
        assert!(!discounts.is_empty());
        for r in discounts {
            assert!(r.value > 0.0 && r.value < 1.0, "{}: {}", r.key, r.value);
        }
        for provider in ["aws", "gcp"] {
            let r = spot_discount(provider, "").unwrap_or_else(|| panic!("{provider}: no provider row"));
            assert_eq!(r.key, provider);
        }
    }

    #[test]
    fn spot_discount_prefers_the_gpu_row() {
        assert_eq!(spot_discount("aws", "V100").unwrap().key, "aws:V100");
        assert_eq!(spot_discount("AWS", "v100").unwrap().key, "aws:V100");
        assert_eq!(spot_discount("gcp", "A100-80GB").unwrap().key, "gcp:A100-80GB");
        assert_eq!(spot_discount("gcp", "A100-40GB").unwrap().key, "gcp:A100-40GB");
        assert_eq!(spot_discount("gcp", "H100").unwrap().key, "gcp:H100");
        // No row for the GPU: the family, then the provider row.
        assert_eq!(spot_discount("gcp", "H100-NVL").unwrap().key, "gcp:H100");
        assert_eq!(spot_discount("aws", "T4").unwrap().key, "aws");
        assert_eq!(spot_discount("gcp", "L4").unwrap().key, "gcp");
        assert!(spot_discount("oracle", "A100").is_none());
        assert!(spot_discount("", "V100").is_none());
    }

    #[test]
    fn gpu_candidates_are_specific_first() {
        assert_eq!(gpu_candidates("A100-80GB"), ["A100-80GB", "A100"]);
        assert_eq!(gpu_candidates("V100"), ["V100"]);
        assert_eq!(gpu_candidates(" T4 "), ["T4"]);
        assert!(gpu_candidates("").is_empty());
        assert_eq!(gpu_candidates("-x"), ["-x"]);
    }
}
