//! `fleetsim validate`: load and check a scenario, read its traces through, simulate nothing.

use anyhow::{Context, Result};
use fleetsim::scenario::Arrivals;
use fleetsim::trace::requests;

use super::{Outcome, ValidateArgs};

pub fn validate(args: &ValidateArgs) -> Result<Outcome> {
    let loaded = super::load(&args.scenario)?;
    let s = &loaded.scenario;
    if let Arrivals::Trace { path, format, speedup } = &s.serving.arrivals {
        let (n, last) = requests::scan(path, *format, *speedup).context("request trace")?;
        println!("trace {}: {n} requests over {:.1} s", path.display(), last.as_secs_f64());
    }
    let market = fleetsim::trace::market::load(s).context("spot traces")?;
    let label = |zone: &str, instance: &str| {
        if instance.is_empty() { zone.to_string() } else { format!("{zone} ({instance})") }
    };
    for ((zone, instance), series) in &market.availability {
        println!("availability {}: {} changes", label(zone, instance), series.points().count());
    }
    for ((zone, instance), series) in &market.prices {
        println!("spot price {}: {} changes", label(zone, instance), series.points().count());
    }
    let n_replicas: u32 = s.fleet.pools.iter().map(|p| p.count).sum();
    println!(
        "{}: ok — scenario {:?}, seed {}, horizon {}, {} pool(s), {} replica(s)",
        loaded.path.display(),
        s.name,
        s.seed,
        s.horizon,
        s.fleet.pools.len(),
        n_replicas
    );
    Ok(Outcome::Ok)
}
