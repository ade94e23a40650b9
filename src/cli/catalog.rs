//! `fleetsim catalog`: the built-in instance types.

use anyhow::Result;
use fleetsim::fleet::catalog;

use super::out::sayln;
use super::{CatalogArgs, Outcome};

pub fn catalog(args: &CatalogArgs) -> Result<Outcome> {
    let needle = args.filter.as_deref().map(str::to_lowercase);
    let types: Vec<_> = catalog::builtin()
        .iter()
        .filter(|t| {
            needle.as_deref().is_none_or(|n| [&t.name, &t.family, &t.gpu].iter().any(|f| f.to_lowercase().contains(n)))
        })
        .collect();
    if args.json {
        let refs = fleetsim::fleet::market_refs::all();
        sayln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "instance_types": types, "market_references": refs }))?
        )?;
        return Ok(Outcome::Ok);
    }
    sayln!(
        "{:<28} {:<6} {:<10} {:>4} {:>8} {:>5} {:>8} {:>10}  {:<12} {:<10}",
        "name",
        "cloud",
        "gpu",
        "gpus",
        "gpu_mem",
        "vcpu",
        "mem_gib",
        "$/hour",
        "region",
        "price date"
    )?;
    for t in &types {
        let gpu = if t.gpu.is_empty() { "-" } else { &t.gpu };
        sayln!(
            "{:<28} {:<6} {:<10} {:>4} {:>8} {:>5} {:>8} {:>10.4}  {:<12} {:<10}",
            t.name,
            t.provider,
            gpu,
            t.gpus,
            t.gpu_memory_gib,
            t.vcpus,
            t.memory_gib,
            t.on_demand_price,
            t.region,
            t.price_date
        )?;
    }
    sayln!(
        "\n{} instance types. On-demand Linux prices in USD per hour; sources per row in `fleetsim catalog --json`.",
        types.len()
    )?;
    sayln!("Prices change: override any figure under fleet.instance_types in a scenario.")?;
    if args.filter.is_none() {
        sayln!("\nSpot market references (defaults when a scenario gives none; sources in --json):")?;
        for r in fleetsim::fleet::market_refs::all() {
            sayln!("  {:<28} {:<20} {:>10} {:<9} {}", r.kind, r.key, r.value, r.unit, r.date)?;
        }
    }
    Ok(Outcome::Ok)
}
