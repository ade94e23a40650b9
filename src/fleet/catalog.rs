//! The built-in catalog of cloud instance types.
//!
//! The catalog lists common AWS, GCP and Azure instance types used for ML
//! serving and training (GPU families such as AWS `g4dn`/`g5`/`g6`/`g6e`/`p3`/
//! `p4d`/`p5`/`p5en`, GCP `a2`/`a3`/`g2`, Azure `NC`/`ND`) plus a few CPU-only families, with
//! their shape (GPU model and count, per-GPU memory, vCPUs, memory) and an
//! on-demand price. The data lives in `catalog.csv` next to this file and is
//! compiled into the binary with [`include_str!`].
//!
//! # Prices
//!
//! Every `on_demand_price` is USD per instance-hour, Linux, pay-as-you-go, in
//! the provider's reference region: AWS `us-east-1`, GCP `us-central1`, Azure
//! `eastus` (stated per row in `region`). GCP accelerator-optimized machine
//! types (`a2`, `a3`, `g2`) bundle their GPUs, so their price includes the GPUs.
//!
//! Each row records where its figure comes from (`price_source`, a URL) and the
//! date that figure was listed or observed in that source (`price_date`):
//!
//! * Rows whose source is a third-party listing (the Cyclenerd
//!   `google-cloud-pricing-cost-calculator` `pricing.yml` generated 2025-03-06,
//!   the `datareceipts` GPU-pricing data retrieved 2026-11-09, a FinOps blog post
//!   dated 2026-06-17) carry the date stated in that listing. Two Azure ND rows
//!   are eight times the per-GPU figure that listing gives
//!   (`ND96asr_v4`: 8 × 3.3996; `ND96isr_H100_v5`: 8 × 12.29).
//! * The `g6e` (L40S) rows were read on 2026-12-05 from the SkyPilot catalog's
//!   AWS table at the commit in the URL (us-east-1 on-demand, from the AWS price
//!   list; it agrees with the `g6.xlarge` row here). The `p5en.48xlarge` (H200)
//!   row is the us-east-1 on-demand figure a `dstack offer` listing shows in a
//!   pull request dated 2026-08-06.
//! * Rows whose source is the provider's own pricing page are figures from the
//!   public price list as generally known, not read from the page for this
//!   catalog; their `price_date` (2025-01-01) is an "as of" date at which we
//!   believe the list price applied, not a retrieval date. These prices had been
//!   unchanged for a long time, but they can drift.
//!
//! Notable caveats: AWS cut P4d/P4de/P5 on-demand prices in June 2025 (the rows
//! here carry the reduced figures); Azure retired the `NCv3` sizes
//! (`Standard_NC6s_v3`) on 2025-09-30, and the row is kept only as a V100
//! reference point.
//!
//! These are reference figures for simulation, not quotes. Prices change,
//! differ by region, and ignore discounts (savings plans, committed use,
//! negotiated rates). Override or extend them per scenario under
//! `fleet.instance_types`.

use std::sync::OnceLock;

use serde::Deserialize;

/// The catalog data, compiled in.
const CATALOG_CSV: &str = include_str!("catalog.csv");

/// One instance type.
#[derive(Clone, Debug, Deserialize, PartialEq, serde::Serialize)]
pub struct InstanceType {
    /// The provider's instance name, e.g. `g5.xlarge`, `a2-highgpu-1g`,
    /// `Standard_NC24ads_A100_v4`.
    pub name: String,
    /// Cloud provider: `aws`, `gcp` or `azure`.
    pub provider: String,
    /// Instance family, e.g. `g5`, `p4d`, `a2`, `NCads_A100_v4`.
    pub family: String,
    /// GPU model (`T4`, `A10G`, `L4`, `V100`, `A100-40GB`, `A100-80GB`, `H100`, …);
    /// empty for CPU-only types.
    pub gpu: String,
    /// Number of GPUs (0 for CPU-only types).
    pub gpus: u32,
    /// Memory per GPU in GiB (0 for CPU-only types).
    pub gpu_memory_gib: f64,
    /// Number of vCPUs.
    pub vcpus: u32,
    /// Host memory in GiB.
    pub memory_gib: f64,
    /// On-demand price, USD per instance-hour (Linux, in `region`).
    pub on_demand_price: f64,
    /// Region the price applies to (the provider's reference region).
    pub region: String,
    /// URL of the public price listing the figure comes from.
    pub price_source: String,
    /// Date (YYYY-MM-DD) the figure was listed or observed in `price_source`.
    pub price_date: String,
}

/// The built-in catalog, parsed once (std::sync::OnceLock) from the embedded CSV.
pub fn builtin() -> &'static [InstanceType] {
    static CATALOG: OnceLock<Vec<InstanceType>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        csv::Reader::from_reader(CATALOG_CSV.as_bytes())
            .deserialize()
            .map(|row| row.expect("built-in catalog.csv row is malformed"))
            .collect()
    })
}

/// Look up a type by exact name.
pub fn find(name: &str) -> Option<&'static InstanceType> {
    builtin().iter().find(|t| t.name == name)
}

/// Names close to `name` (same family prefix or small edit distance), best first, at most 5 — used for "did you mean" in errors.
pub fn suggest(name: &str) -> Vec<&'static str> {
    const MAX: usize = 5;
    let query = name.trim().to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    let query_family = family_key(&query);
    // Allow roughly one typo per three characters, and at least two.
    let max_distance = (query.chars().count() / 3).max(2);

    let mut candidates: Vec<(usize, bool, &'static str)> = builtin()
        .iter()
        .filter_map(|t| {
            let candidate = t.name.to_lowercase();
            let distance = edit_distance(&query, &candidate);
            // Same family, or a family the query's family is a prefix of
            // (`nd` → `ndasr_v4`), or a name the query is a prefix of.
            let related = (!query_family.is_empty() && t.family.to_lowercase().starts_with(&query_family))
                || candidate.starts_with(&query);
            (related || distance <= max_distance).then_some((distance, related, t.name.as_str()))
        })
        .collect();
    // Closest first; on ties prefer related names, then name order.
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
    candidates.into_iter().take(MAX).map(|(_, _, name)| name).collect()
}

/// The family a (lower-cased) name would belong to, following the catalog's
/// naming rules: AWS `g5.xlarge` → `g5`; Azure `standard_nc24ads_a100_v4` →
/// `ncads_a100_v4` (prefix and size digits dropped); GCP `a2-highgpu-1g` → `a2`.
fn family_key(name: &str) -> String {
    if let Some((family, _)) = name.split_once('.') {
        family.to_string()
    } else if let Some(rest) = name.strip_prefix("standard_") {
        // The size is the digits of the first segment: `nc24ads` → `ncads`.
        let (series, tail) = rest.split_once('_').unwrap_or((rest, ""));
        let series: String = series.chars().filter(|c| !c.is_ascii_digit()).collect();
        if tail.is_empty() { series } else { format!("{series}_{tail}") }
    } else {
        name.split('-').next().unwrap_or_default().to_string()
    }
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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

    #[test]
    fn every_row_parses() {
        let mut reader = csv::Reader::from_reader(CATALOG_CSV.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [
                "name",
                "provider",
                "family",
                "gpu",
                "gpus",
                "gpu_memory_gib",
                "vcpus",
                "memory_gib",
                "on_demand_price",
                "region",
                "price_source",
                "price_date"
            ]
        );
        let mut rows = 0;
        for (i, row) in reader.deserialize::<InstanceType>().enumerate() {
            row.unwrap_or_else(|e| panic!("row {} does not parse: {e}", i + 1));
            rows += 1;
        }
        assert!(rows > 0);
        assert_eq!(builtin().len(), rows);
    }

    #[test]
    fn names_are_unique() {
        let mut seen = HashSet::new();
        for t in builtin() {
            assert!(seen.insert(t.name.as_str()), "duplicate name {}", t.name);
        }
    }

    #[test]
    fn prices_are_plausible() {
        for t in builtin() {
            assert!(
                t.on_demand_price > 0.0 && t.on_demand_price < 200.0,
                "{}: price {} out of range",
                t.name,
                t.on_demand_price
            );
        }
    }

    #[test]
    fn sources_and_dates_are_well_formed() {
        for t in builtin() {
            assert!(
                t.price_source.starts_with("https://"),
                "{}: price_source {:?} is not an https URL",
                t.name,
                t.price_source
            );
            assert!(is_valid_date(&t.price_date), "{}: price_date {:?} is not YYYY-MM-DD", t.name, t.price_date);
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
    fn providers_and_regions_match() {
        for t in builtin() {
            let region = match t.provider.as_str() {
                "aws" => "us-east-1",
                "gcp" => "us-central1",
                "azure" => "eastus",
                other => panic!("{}: unknown provider {other:?}", t.name),
            };
            assert_eq!(t.region, region, "{}: unexpected region", t.name);
            assert!(!t.family.is_empty(), "{}: empty family", t.name);
            assert!(t.vcpus > 0 && t.memory_gib > 0.0, "{}: empty shape", t.name);
        }
    }

    #[test]
    fn reference_prices() {
        assert_eq!(find("g5.xlarge").unwrap().on_demand_price, 1.006);
        assert_eq!(find("p3.2xlarge").unwrap().on_demand_price, 3.06);
        assert_eq!(find("c5.2xlarge").unwrap().on_demand_price, 0.34);
    }

    #[test]
    fn gpu_and_cpu_rows_are_consistent() {
        for t in builtin() {
            if t.gpu.is_empty() {
                assert_eq!(t.gpus, 0, "{}: CPU row with GPUs", t.name);
                assert_eq!(t.gpu_memory_gib, 0.0, "{}: CPU row with GPU memory", t.name);
            } else {
                assert!(t.gpus > 0, "{}: GPU row without GPUs", t.name);
                assert!(t.gpu_memory_gib > 0.0, "{}: GPU row without GPU memory", t.name);
            }
        }
    }

    #[test]
    fn family_matches_name() {
        for t in builtin() {
            assert_eq!(
                family_key(&t.name.to_lowercase()),
                t.family.to_lowercase(),
                "{}: family {:?} does not follow the naming rule",
                t.name,
                t.family
            );
        }
    }

    #[test]
    fn required_types_are_present() {
        let required = [
            "g4dn.xlarge",
            "g4dn.2xlarge",
            "g4dn.12xlarge",
            "g5.xlarge",
            "g5.2xlarge",
            "g5.12xlarge",
            "g5.48xlarge",
            "g6.xlarge",
            "g6.12xlarge",
            "g6e.2xlarge",
            "g6e.12xlarge",
            "g6e.48xlarge",
            "p3.2xlarge",
            "p3.8xlarge",
            "p3.16xlarge",
            "p4d.24xlarge",
            "p5.48xlarge",
            "p5en.48xlarge",
            "c5.xlarge",
            "c5.2xlarge",
            "c5.4xlarge",
            "c7i.xlarge",
            "c7i.2xlarge",
            "c7i.4xlarge",
            "a2-highgpu-1g",
            "a2-highgpu-8g",
            "a2-ultragpu-1g",
            "a2-ultragpu-8g",
            "a3-highgpu-8g",
            "g2-standard-4",
            "g2-standard-48",
            "Standard_NC6s_v3",
            "Standard_NC24ads_A100_v4",
            "Standard_NC4as_T4_v3",
            "Standard_ND96asr_v4",
            "Standard_ND96amsr_A100_v4",
            "Standard_ND96isr_H100_v5",
        ];
        for name in required {
            assert!(find(name).is_some(), "{name} missing from the catalog");
        }
        let families: HashSet<(&str, &str)> =
            builtin().iter().map(|t| (t.provider.as_str(), t.family.as_str())).collect();
        for (provider, family) in [
            ("aws", "g4dn"),
            ("aws", "g5"),
            ("aws", "g6"),
            ("aws", "g6e"),
            ("aws", "p3"),
            ("aws", "p4d"),
            ("aws", "p5"),
            ("aws", "c5"),
            ("aws", "c7i"),
            ("gcp", "a2"),
            ("gcp", "a3"),
            ("gcp", "g2"),
        ] {
            assert!(families.contains(&(provider, family)), "{provider} {family} missing");
        }
        for prefix in ["NC", "ND"] {
            assert!(
                builtin().iter().any(|t| t.provider == "azure" && t.family.starts_with(prefix)),
                "azure {prefix} family missing"
            );
        }
    }

    #[test]
    fn find_is_exact() {
        assert_eq!(find("g5.xlarge").unwrap().name, "g5.xlarge");
        assert!(find("G5.XLARGE").is_none());
        assert!(find("g5.xlarg").is_none());
        assert!(find("").is_none());
    }

    #[test]
    fn suggest_finds_close_names() {
        let s = suggest("g5.xlarg");
        assert!(s.contains(&"g5.xlarge"), "{s:?}");
        assert_eq!(s[0], "g5.xlarge");
        assert!(s.len() <= 5);

        let s = suggest("a2-highgpu-2");
        assert!(s.contains(&"a2-highgpu-2g"), "{s:?}");

        let s = suggest("Standard_NC24ads_A100");
        assert_eq!(s.first(), Some(&"Standard_NC24ads_A100_v4"), "{s:?}");

        // Same family, even when the size is far off.
        let s = suggest("p3.large");
        assert!(s.iter().all(|n| n.starts_with("p")), "{s:?}");
        assert!(s.contains(&"p3.2xlarge"), "{s:?}");
    }

    #[test]
    fn suggest_is_bounded_and_quiet_on_nonsense() {
        assert!(suggest("").is_empty());
        assert!(suggest("   ").is_empty());
        assert!(suggest("zzzzzzzzzzzzzzzzzzzz").is_empty());
        for q in ["g", "g5", "c5.", "Standard_", "a2-", "x"] {
            assert!(suggest(q).len() <= 5, "{q}");
        }
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("g5.xlarg", "g5.xlarge"), 1);
    }
}
