//! `fleet.instance_types` — instance types added to, or overriding, the built-in catalog, and the
//! resolution of a type name (a pool's or a job's `instance`) against both.

use serde::{Deserialize, Serialize};

use crate::engine::Duration;
use crate::fleet::catalog;
use crate::scenario::error::{Invalid, invalid, number};
use crate::scenario::units::DurationValue;

type Result<T> = std::result::Result<T, Invalid>;

/// An entry of `fleet.instance_types`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstanceType {
    /// Type name; if it is in the catalog, the fields given here override the catalog's.
    pub name: String,
    /// GPUs per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<u32>,
    /// GPU model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<String>,
    /// Memory per GPU, GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_memory_gib: Option<f64>,
    /// vCPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpus: Option<u32>,
    /// Host memory, GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gib: Option<f64>,
    /// USD per instance-hour on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_price: Option<f64>,
    /// Relative speed: batch times are divided by it (default 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Time from launch to serving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot: Option<DurationValue>,
    /// Cloud provider (`aws`, `gcp`, `azure`), for default notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Longest an instance may live (e.g. 24h for GCP preemptible); then it is reclaimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lifetime: Option<DurationValue>,
}

/// A resolved instance type.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    /// Type name.
    pub name: String,
    /// GPU model (empty for CPU-only).
    pub gpu: String,
    /// GPUs per instance.
    pub gpus: u32,
    /// USD per hour on demand.
    pub on_demand_price: f64,
    /// Batch times are divided by this.
    pub speed: f64,
    /// Launch to ready.
    pub boot: Duration,
    /// Cloud provider, when known.
    pub provider: String,
    /// Longest an instance may live before it is reclaimed.
    pub max_lifetime: Option<Duration>,
}

/// Every entry of `fleet.instance_types` resolves; an error names the entry's key.
pub(in crate::scenario) fn instance_types(types: &[RawInstanceType]) -> Result<()> {
    for (i, t) in types.iter().enumerate() {
        resolve_instance(&t.name, types)
            .map_err(|e| Invalid { key: format!("fleet.instance_types[{i}].{}", e.key), ..e })?;
    }
    Ok(())
}

/// Resolves `name` against `fleet.instance_types` (by override) and the built-in catalog.
pub(in crate::scenario) fn resolve_instance(name: &str, types: &[RawInstanceType]) -> Result<InstanceSpec> {
    let custom = types.iter().rev().find(|t| t.name == name);
    let base = catalog::find(name);
    let mut spec = match (base, custom) {
        (Some(b), _) => InstanceSpec {
            name: b.name.clone(),
            gpu: b.gpu.clone(),
            gpus: b.gpus,
            on_demand_price: b.on_demand_price,
            speed: 1.0,
            boot: Duration::from_secs(90),
            provider: b.provider.clone(),
            max_lifetime: None,
        },
        (None, Some(c)) => {
            let Some(price) = c.on_demand_price else {
                return invalid(
                    "on_demand_price",
                    format!("{name:?} is not in the built-in catalog, so it needs an on_demand_price"),
                );
            };
            InstanceSpec {
                name: name.to_string(),
                gpu: String::new(),
                gpus: 0,
                on_demand_price: price,
                speed: 1.0,
                boot: Duration::from_secs(90),
                provider: String::new(),
                max_lifetime: None,
            }
        }
        (None, None) => {
            let hints = catalog::suggest(name);
            let hint = if hints.is_empty() {
                "run `fleetsim catalog` for the list, or describe it under fleet.instance_types".to_string()
            } else {
                format!("did you mean {}? (`fleetsim catalog` lists all)", hints.join(", "))
            };
            return invalid("name", format!("unknown instance type {name:?}: {hint}"));
        }
    };
    if let Some(c) = custom {
        apply_custom(&mut spec, c)?;
    }
    Ok(spec)
}

fn apply_custom(spec: &mut InstanceSpec, c: &RawInstanceType) -> Result<()> {
    if let Some(price) = c.on_demand_price {
        if !(price.is_finite() && (0.0..1e6).contains(&price)) {
            return invalid(
                "on_demand_price",
                format!("must be a price in USD per hour, ≥ 0 and below 1000000, found {}", number(price)),
            );
        }
        spec.on_demand_price = price;
    }
    if let Some(speed) = c.speed {
        if !(speed.is_finite() && (1e-3..=1e3).contains(&speed)) {
            return invalid(
                "speed",
                format!("must be a number between 0.001 and 1000 (1.0 = reference speed), found {speed}"),
            );
        }
        spec.speed = speed;
    }
    for (field, gib) in [("gpu_memory_gib", c.gpu_memory_gib), ("memory_gib", c.memory_gib)] {
        if let Some(gib) = gib
            && !(gib.is_finite() && gib >= 0.0)
        {
            return invalid(field, format!("must be a number of GiB ≥ 0, found {gib}"));
        }
    }
    if let Some(gpus) = c.gpus {
        spec.gpus = gpus;
    }
    if let Some(gpu) = &c.gpu {
        spec.gpu = gpu.clone();
    }
    if let Some(boot) = c.boot {
        spec.boot = boot.0;
    }
    if let Some(provider) = &c.provider {
        spec.provider = provider.clone();
    }
    if let Some(lifetime) = c.max_lifetime {
        if lifetime.0 == Duration::ZERO {
            return invalid("max_lifetime", "must be longer than 0, e.g. 24h");
        }
        spec.max_lifetime = Some(lifetime.0);
    }
    Ok(())
}
