//! Notes printed under a run's results table: what the `$/hour` of each spot pool is, and the
//! "Assumptions" block — the defaults the run relies on (summary.json `assumptions`).

use std::fmt::Write;

use fleetsim::metrics::Summary;
use fleetsim::scenario::{Market, Scenario};

/// One line per spot pool saying what its `$/hour` is (the spot price it was billed at).
pub fn price_notes(s: &Scenario, m: &Summary) -> String {
    let mut o = String::new();
    for (pool, p) in s.fleet.pools.iter().zip(&m.pools).filter(|(pool, _)| pool.market == Market::Spot) {
        let what = match p.price_basis.as_str() {
            "spot, mean paid" => "the spot price billed, time-weighted mean paid over the price trace",
            "spot, trace mean" => "nothing billed at spot: the price trace's mean over the horizon",
            _ => "the spot price billed",
        };
        let stand_ins = if pool.ondemand_fallback {
            format!("; on-demand stand-ins at ${:.4}", pool.instance.on_demand_price)
        } else {
            String::new()
        };
        let _ = writeln!(o, "  $/hour of spot pool {}: {what}{stand_ins}", p.name);
    }
    o
}

/// The "Assumptions" block: each default with the key that sets it, its source, date and caveat.
pub fn assumptions(m: &Summary) -> String {
    if m.assumptions.is_empty() {
        return String::new();
    }
    let mut o = String::from("Assumptions (defaults this run relies on; set the key to give your own):\n");
    for a in &m.assumptions {
        let _ = writeln!(o, "  - {}: {}  [{}]", a.what, a.value, a.key);
        let mut from = a.source.clone();
        if !a.date.is_empty() {
            let _ = write!(from, " ({})", a.date);
        }
        if !a.caveat.is_empty() {
            let _ = write!(from, "; {}", a.caveat);
        }
        let _ = writeln!(o, "    {from}");
    }
    o
}
