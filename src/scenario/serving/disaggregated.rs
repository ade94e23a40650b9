//! `llm.disaggregated`: prefill and decode on separate pools (SPEC "LLM serving (token level)"),
//! with the KV link between them.
//!
//! ```yaml
//! llm:
//!   disaggregated:
//!     prefill_pool: prefill            # a pool name, or a list of them
//!     decode_pool: [decode, decode-spot]
//!     kv_transfer: { bandwidth: 25GB/s, latency: 2ms, bytes_per_token: 128KiB }
//! ```
//!
//! Every pool is a prefill or a decode pool (not both). A finished prompt's KV takes
//! `latency + P × bytes_per_token / bandwidth` to reach the decode replica the router picks,
//! rounded to the nearest nanosecond. Sizes take B, kB, MB, GB, TB (powers of 1000) or KiB, MiB,
//! GiB, TiB (powers of 1024); bandwidths the same per second, or bits (`100Gbit/s`).

use serde::{Deserialize, Serialize};

use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// `llm.disaggregated` as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDisaggregated {
    /// The pool(s) whose replicas prefill.
    pub prefill_pool: PoolNames,
    /// The pool(s) whose replicas decode.
    pub decode_pool: PoolNames,
    /// The link the KV crosses.
    pub kv_transfer: RawKvTransfer,
}

/// One pool name or a list of them.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PoolNames {
    /// `prefill_pool: prefill`
    One(String),
    /// `decode_pool: [decode, decode-spot]`
    Many(Vec<String>),
}

impl PoolNames {
    fn names(&self) -> Vec<&str> {
        match self {
            PoolNames::One(n) => vec![n.as_str()],
            PoolNames::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// `llm.disaggregated.kv_transfer` as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawKvTransfer {
    /// e.g. `25GB/s`, `100Gbit/s`.
    pub bandwidth: String,
    /// Fixed latency of one transfer (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<DurationValue>,
    /// KV bytes of one token, all layers (e.g. `128KiB` for Llama-3-8B at 16 bits).
    pub bytes_per_token: ByteCount,
}

/// A byte count: a number of bytes or a text with a unit.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ByteCount {
    /// Bytes.
    Bytes(f64),
    /// `800KiB`, `0.5MB`.
    Text(String),
}

/// The link a prefilled sequence's KV crosses to its decode replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KvLink {
    /// Fixed time of a transfer.
    pub latency: Duration,
    /// Bytes per second.
    pub bandwidth: f64,
    /// KV bytes of one prompt token.
    pub bytes_per_token: f64,
}

impl KvLink {
    /// Time to move the KV of a `prompt_tokens`-token prompt: latency + P × bytes / bandwidth,
    /// to the nearest nanosecond.
    pub fn transfer_time(&self, prompt_tokens: u32) -> Duration {
        let ns = f64::from(prompt_tokens) * self.bytes_per_token / self.bandwidth * 1e9;
        Duration(self.latency.as_nanos().saturating_add((ns + 0.5) as u64))
    }
}

/// The validated `llm.disaggregated`: each pool's role and the link.
#[derive(Clone, Debug, PartialEq)]
pub struct Disaggregation {
    /// `decode[p]`: pool p decodes (else it prefills).
    pub decode: Vec<bool>,
    /// The KV link.
    pub link: KvLink,
}

/// Validates `raw` against the pools' names (in `fleet.pools` order).
pub fn disaggregation(raw: &RawDisaggregated, pool_names: &[&str]) -> Result<Disaggregation> {
    let mut role: Vec<Option<bool>> = vec![None; pool_names.len()];
    for (key, names, decode) in [("prefill_pool", &raw.prefill_pool, false), ("decode_pool", &raw.decode_pool, true)] {
        let key = format!("llm.disaggregated.{key}");
        let names = names.names();
        if names.is_empty() {
            return invalid(key, "names no pool: give the pool (or list of pools) whose replicas take this role");
        }
        for name in names {
            let Some(p) = pool_names.iter().position(|n| *n == name) else {
                return invalid(key, format!("no pool is named {name:?} (pools: {})", pool_names.join(", ")));
            };
            if role[p].is_some() {
                return invalid(key, format!("pool {name:?} is named twice: a pool either prefills or decodes"));
            }
            role[p] = Some(decode);
        }
    }
    if let Some(p) = role.iter().position(Option::is_none) {
        return invalid(
            "llm.disaggregated",
            format!(
                "pool {:?} is neither a prefill_pool nor a decode_pool: in a disaggregated fleet every pool takes one role",
                pool_names[p]
            ),
        );
    }
    let t = &raw.kv_transfer;
    let bandwidth = parse_bandwidth(&t.bandwidth).or_else(|m| invalid("llm.disaggregated.kv_transfer.bandwidth", m))?;
    let bytes_per_token = match &t.bytes_per_token {
        ByteCount::Bytes(b) => *b,
        ByteCount::Text(text) => {
            parse_bytes(text).or_else(|m| invalid("llm.disaggregated.kv_transfer.bytes_per_token", m))?
        }
    };
    if !(bytes_per_token.is_finite() && bytes_per_token > 0.0) {
        return invalid(
            "llm.disaggregated.kv_transfer.bytes_per_token",
            format!("must be a positive size (e.g. 128KiB), found {bytes_per_token}"),
        );
    }
    let latency = t.latency.map_or(Duration::ZERO, |d| d.0);
    Ok(Disaggregation {
        decode: role.into_iter().map(|r| r == Some(true)).collect(),
        link: KvLink { latency, bandwidth, bytes_per_token },
    })
}

const BYTE_UNITS: [(&str, f64); 10] = [
    ("B", 1.0),
    ("kB", 1e3),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
];

const BIT_UNITS: [(&str, f64); 5] = [("bit", 1.0), ("kbit", 1e3), ("Mbit", 1e6), ("Gbit", 1e9), ("Tbit", 1e12)];

/// Splits `"25GB"` into (25.0, "GB").
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let s = text.trim();
    let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let value: f64 = s[..end].parse().ok()?;
    Some((value, s[end..].trim()))
}

/// A size such as `800KiB`, `1.5MB` or `4096B`, in bytes.
pub fn parse_bytes(text: &str) -> std::result::Result<f64, String> {
    let expected = || format!("expected a size such as 128KiB, 0.5MB or 4096B, found {text:?}");
    let (value, unit) = number_and_unit(text).ok_or_else(expected)?;
    let Some((_, scale)) = BYTE_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!("unknown size unit {unit:?} in {text:?}: use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB"));
    };
    Ok(value * scale)
}

/// A bandwidth such as `25GB/s` or `100Gbit/s`, in bytes per second (positive).
pub fn parse_bandwidth(text: &str) -> std::result::Result<f64, String> {
    let Some(size) = text.trim().strip_suffix("/s") else {
        return Err(format!("expected a bandwidth per second such as 25GB/s or 100Gbit/s, found {text:?}"));
    };
    let bytes = match number_and_unit(size) {
        Some((v, unit)) if BIT_UNITS.iter().any(|(u, _)| *u == unit) => {
            v * BIT_UNITS.iter().find(|(u, _)| *u == unit).map_or(1.0, |x| x.1) / 8.0
        }
        _ => parse_bytes(size)
            .map_err(|m| format!("{m} (a bandwidth: bytes or bits per second, e.g. 25GB/s, 100Gbit/s)"))?,
    };
    if !(bytes.is_finite() && bytes > 0.0) {
        return Err(format!("bandwidth {text:?} must be positive"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_bandwidths() {
        assert_eq!(parse_bytes("800KiB"), Ok(819_200.0));
        assert_eq!(parse_bytes("0.5MB"), Ok(500_000.0));
        assert_eq!(parse_bytes("4096B"), Ok(4096.0));
        assert!(parse_bytes("12").unwrap_err().contains("unknown size unit"));
        assert!(parse_bytes("12 parsecs").unwrap_err().contains("unknown size unit"));
        assert_eq!(parse_bandwidth("25GB/s"), Ok(25e9));
        assert_eq!(parse_bandwidth("100Gbit/s"), Ok(12.5e9));
        assert!(parse_bandwidth("25GB").unwrap_err().contains("per second"));
        assert!(parse_bandwidth("0GB/s").unwrap_err().contains("positive"));
    }

    #[test]
    fn transfer_time_by_hand() {
        // 2 ms + 1000 tokens × 128 KiB / 25 GB/s = 2 ms + 131,072,000 / 25e9 s = 2 ms + 5.24288 ms.
        let link = KvLink { latency: Duration(2_000_000), bandwidth: 25e9, bytes_per_token: 131_072.0 };
        assert_eq!(link.transfer_time(1000), Duration(7_242_880));
        assert_eq!(link.transfer_time(0), Duration(2_000_000));
    }

    #[test]
    fn every_pool_takes_one_role() {
        let raw = |p: PoolNames, d: PoolNames| RawDisaggregated {
            prefill_pool: p,
            decode_pool: d,
            kv_transfer: RawKvTransfer {
                bandwidth: "10GB/s".into(),
                latency: None,
                bytes_per_token: ByteCount::Text("1KiB".into()),
            },
        };
        let one = |s: &str| PoolNames::One(s.into());
        let pools = ["pre", "dec", "dec-spot"];
        let ok =
            disaggregation(&raw(one("pre"), PoolNames::Many(vec!["dec".into(), "dec-spot".into()])), &pools).unwrap();
        assert_eq!(ok.decode, [false, true, true]);
        assert_eq!(ok.link.bytes_per_token, 1024.0);
        let err = |r| disaggregation(&r, &pools).unwrap_err();
        assert!(err(raw(one("pre"), one("dec"))).message.contains("\"dec-spot\" is neither"));
        assert!(err(raw(one("pre"), PoolNames::Many(vec!["pre".into()]))).message.contains("named twice"));
        let e = err(raw(one("gpu"), one("dec")));
        assert_eq!(
            (e.key.as_str(), e.message.contains("no pool is named \"gpu\"")),
            ("llm.disaggregated.prefill_pool", true)
        );
    }
}
