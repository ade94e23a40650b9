//! `fleetsim catalog`: the built-in instance types, or (`--models`, `--gpus`) the built-in LLMs
//! and GPUs, each figure with its source and date.

use anyhow::Result;
use fleetsim::fleet::catalog;

use super::out::sayln;
use super::{CatalogArgs, Outcome};

pub fn catalog(args: &CatalogArgs) -> Result<Outcome> {
    if args.models {
        return models(args.json);
    }
    if args.gpus {
        return gpus(args.json);
    }
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

/// `fleetsim catalog --models`.
fn models(json: bool) -> Result<Outcome> {
    use fleetsim::llm::catalog::{Precision, models, sizing::kv_bytes_per_token};
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "models": models() }))?);
        return Ok(Outcome::Ok);
    }
    println!(
        "{:<14} {:>8} {:>8} {:>6} {:>6} {:>5} {:>4} {:>4} {:>7} {:>10}  {:<10} source",
        "name", "params", "active", "layers", "hidden", "heads", "kv", "head", "vocab", "KV/token", "date"
    );
    for m in models() {
        println!(
            "{:<14} {:>7.2}B {:>7.2}B {:>6} {:>6} {:>5} {:>4} {:>4} {:>7} {:>6.0} KiB  {:<10} {}",
            m.name,
            m.params as f64 / 1e9,
            m.active_params as f64 / 1e9,
            m.layers,
            m.hidden,
            m.heads,
            m.kv_heads,
            m.head_dim,
            m.vocab,
            kv_bytes_per_token(m, Precision::Bf16) / 1024.0,
            m.date,
            m.source
        );
    }
    println!(
        "\n{} models. KV/token at 16 bits; notes on each figure in `fleetsim catalog --models --json`.",
        models().len()
    );
    Ok(Outcome::Ok)
}

/// `fleetsim catalog --gpus`.
fn gpus(json: bool) -> Result<Outcome> {
    use fleetsim::llm::catalog::gpus;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "gpus": gpus() }))?);
        return Ok(Outcome::Ok);
    }
    let tflops = |v: f64| if v > 0.0 { format!("{v}") } else { "-".to_string() };
    println!(
        "{:<10} {:>7} {:>8} {:>8} {:>8} {:>8} {:>13}  {:<10} source",
        "name", "mem_gib", "bf16_tf", "fp16_tf", "fp8_tf", "mem_gb/s", "link_gb/s", "date"
    );
    for g in gpus() {
        println!(
            "{:<10} {:>7} {:>8} {:>8} {:>8} {:>8} {:>6} {:<6}  {:<10} {}",
            g.name,
            g.memory_gib,
            tflops(g.bf16_tflops),
            tflops(g.fp16_tflops),
            tflops(g.fp8_tflops),
            g.bandwidth_gbps,
            g.interconnect_gbps,
            g.interconnect,
            g.date,
            g.source
        );
    }
    println!(
        "\n{} GPUs. Dense tensor TFLOP/s (no sparsity; - = not supported), link both directions; notes on each figure in \
         `fleetsim catalog --gpus --json`.",
        gpus().len()
    );
    Ok(Outcome::Ok)
}
