//! The defaults a run relies on, listed for `summary.json` (`assumptions`), the terminal and the
//! report: catalog figures (interruption rates, the weekend factor, spot discounts, notices,
//! on-demand prices) with their source, date and caveat, and fleetsim's own defaults (boot time,
//! speed 1.0, billing rule, a time-series interval that follows the horizon).
//!
//! An entry appears only when the scenario leaves the key out *and* the run depends on it: a boot
//! time only where serving instances launch after time 0, a speed only where the scenario's batch
//! times, an LLM pool's step times (or the job's work) are scaled by it, an on-demand price only
//! where something is billed at it.

use super::fleet::RawInstanceType;
use super::spot::RawInterruptions;
use super::*;
use crate::engine::Duration;
use crate::fleet::market_refs::{self, MarketRef};
use crate::fleet::{catalog, market_refs::all as all_refs};
use crate::metrics::summary::Assumption;

const FLEETSIM_DEFAULT: &str = "fleetsim default";

/// What `s` (validated from `raw`) takes from defaults, in a fixed order: per pool (file order)
/// or job, then per instance type, then scenario-wide.
pub fn assumptions(raw: &RawScenario, s: &Scenario) -> Vec<Assumption> {
    let types = raw.fleet.as_ref().and_then(|f| f.instance_types.as_deref()).unwrap_or_default();
    let spot = raw.spot.as_ref();
    let price_defaulted = spot.and_then(|sp| sp.price.as_ref()).is_none();
    let users = users(raw, s, price_defaulted);
    let mut out = Vec::new();
    let rate_defaulted = match spot.and_then(|sp| sp.interruptions.as_ref()) {
        None => true,
        Some(RawInterruptions::Hazard(h)) => h.per_hour.is_none(),
        Some(RawInterruptions::Trace(_)) => false,
    };
    for u in users.iter().filter(|u| u.spot) {
        spot_entries(u, rate_defaulted, price_defaulted, &mut out);
    }
    let any_spot = users.iter().any(|u| u.spot);
    if any_spot
        && spot.and_then(|sp| sp.interruptions.as_ref()).is_none()
        && let Some(r) = market_refs::weekend_factor()
    {
        let value = format!(
            "{} (interruptions {}% fewer on Saturdays and Sundays, UTC)",
            trim(r.value),
            trim((1.0 - r.value) * 100.0)
        );
        let what = "weekend factor of spot interruptions".to_string();
        out.push(from_ref(what, "spot.interruptions.hazard.weekend_factor", value, r));
    }
    if any_spot && spot.and_then(|sp| sp.notice).is_none() {
        notices(&users, &mut out);
    }
    let llm = s.serving().is_some_and(|sv| sv.llm().is_some());
    per_type(&users, types, llm, &mut out);
    if let Some(spec) = s.serving().and_then(|sv| sv.llm()) {
        out.extend(spec.assumptions.iter().cloned());
    }
    scenario_wide(raw, s, users.iter().any(|u| u.launches_later), &mut out);
    out
}

/// The pools (file order), then the job, with what each depends on.
fn users<'s>(raw: &RawScenario, s: &'s Scenario, price_defaulted: bool) -> Vec<User<'s>> {
    let mut users = Vec::new();
    let llm = s.serving().and_then(|sv| sv.llm());
    for (i, p) in s.fleet.pools.iter().enumerate() {
        // A roofline's step times come from the pool's GPU: speed 1.0 is no stand-in for it.
        let gpu_aware = llm.is_some_and(|l| l.pools[i].step_time.gpu_aware);
        let spot = p.market == Market::Spot;
        users.push(User {
            who: format!("pool {}", p.name),
            inst: &p.instance,
            spot,
            launches_later: spot || p.scaling.is_some(),
            boots: spot || p.scaling.is_some(),
            on_demand: p.market == Market::OnDemand && raw_price_missing(raw, &p.name)
                || spot && (p.ondemand_fallback || price_defaulted),
            speed_matters: p.service.is_none() && !gpu_aware,
        });
    }
    if let Some(job) = s.job() {
        let spot = job.policy != JobPolicy::OnDemand;
        users.push(User {
            who: "the job".into(),
            inst: &job.instance,
            spot,
            launches_later: spot,
            boots: false, // a job's launches cost restart_overhead, not the type's boot
            on_demand: job.policy != JobPolicy::SpotOnly || (spot && price_defaulted),
            speed_matters: true,
        });
    }
    users
}

/// A spot user's interruption rate and spot price, when they come from the catalog.
fn spot_entries(u: &User<'_>, rate_defaulted: bool, price_defaulted: bool, out: &mut Vec<Assumption>) {
    let (who, inst) = (&u.who, u.inst);
    if rate_defaulted && let Some(r) = market_refs::interruption_rate_per_hour(&inst.gpu) {
        out.push(from_ref(
            format!("interruption rate of {who} ({}, {})", inst.name, inst.gpu),
            "spot.interruptions.hazard.per_hour",
            format!("{}%/h per instance", trim(r.value * 100.0)),
            r,
        ));
    }
    if price_defaulted && let Some(d) = market_refs::spot_discount(&inst.provider, &inst.gpu) {
        out.push(from_ref(
            format!("spot price of {who} ({})", inst.name),
            "spot.price",
            format!(
                "${:.4}/h ({}% below on-demand ${}/h)",
                inst.on_demand_price * (1.0 - d.value),
                trim(d.value * 100.0),
                trim(inst.on_demand_price)
            ),
            d,
        ));
    }
}

/// Whether on-demand pool `name` leaves its `price` to the instance type's.
fn raw_price_missing(raw: &RawScenario, name: &str) -> bool {
    raw.fleet.iter().flat_map(|f| &f.pools).find(|p| p.name == name).is_none_or(|p| p.price.is_none())
}

/// A pool or the job, and what of its instance type's defaults it depends on.
struct User<'a> {
    /// `pool NAME` or `the job`.
    who: String,
    inst: &'a InstanceSpec,
    /// Runs spot instances.
    spot: bool,
    /// Launches instances after time 0 (spot replacements, autoscaling): boot and billing matter.
    launches_later: bool,
    /// Waits for the type's `boot` before serving after such a launch.
    boots: bool,
    /// Bills something at the instance type's on-demand price (or derives the spot price from it).
    on_demand: bool,
    /// Its time is the scenario's batch time or work divided by the type's speed.
    speed_matters: bool,
}

/// One notice entry per provider of the spot instance types.
fn notices(users: &[User<'_>], out: &mut Vec<Assumption>) {
    let mut providers: Vec<&str> = Vec::new();
    for u in users.iter().filter(|u| u.spot) {
        if !providers.contains(&u.inst.provider.as_str()) {
            providers.push(&u.inst.provider);
        }
    }
    for provider in providers {
        match market_refs::notice_secs(provider) {
            Some(r) => out.push(from_ref(
                format!("interruption notice ({provider})"),
                "spot.notice",
                Duration::from_secs_f64(r.value).to_string(),
                r,
            )),
            None => out.push(own(
                format!("interruption notice (provider {provider:?} has none in the catalog)"),
                "spot.notice",
                "2m".into(),
                "AWS's two minutes, the longest the providers give",
            )),
        }
    }
}

/// Boot times, speeds and on-demand prices of the instance types in use, each type once.
fn per_type(users: &[User<'_>], types: &[RawInstanceType], llm: bool, out: &mut Vec<Assumption>) {
    let custom = |name: &str| types.iter().rev().find(|t| t.name == name);
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for User { who, inst, boots, on_demand, speed_matters, .. } in users {
        let c = custom(&inst.name);
        let name = inst.name.as_str();
        if *boots && c.and_then(|c| c.boot).is_none() && !seen.contains(&("boot", name)) {
            seen.push(("boot", name));
            out.push(own(
                format!("boot time of {name} (launch to serving)"),
                "fleet.instance_types[].boot",
                inst.boot.to_string(),
                "the same for every instance type; large images and model loads can take minutes longer",
            ));
        }
        if *speed_matters && c.and_then(|c| c.speed).is_none() && !seen.contains(&("speed", name)) {
            seen.push(("speed", name));
            let (what, caveat) = if who == "the job" {
                (format!("speed of {name} (job.work is compute time at speed 1.0)"), SPEED_JOB)
            } else if llm {
                (format!("speed of {name} (step times are llm.step_time as given)"), SPEED_LLM)
            } else {
                (format!("speed of {name} (batch times are service.batch_time as given)"), SPEED_SERVING)
            };
            out.push(own(what, "fleet.instance_types[].speed", "1.0".into(), caveat));
        }
        if *on_demand
            && c.and_then(|c| c.on_demand_price).is_none()
            && !seen.contains(&("price", name))
            && let Some(row) = catalog::find(name)
        {
            seen.push(("price", name));
            out.push(Assumption {
                what: format!("on-demand price of {name}"),
                key: "fleet.instance_types[].on_demand_price".into(),
                value: format!("${}/h", trim(row.on_demand_price)),
                source: row.price_source.clone(),
                date: row.price_date.clone(),
                caveat: format!(
                    "list price in {}, Linux, pay as you go; prices change and differ by region and discount",
                    row.region
                ),
            });
        }
    }
}

const SPEED_SERVING: &str = "the catalog has no per-GPU speeds: every instance type serves at speed 1.0, so changing a \
     pool's instance type changes its price only; state batch times per pool (fleet.pools[].service) or a speed per type";
const SPEED_LLM: &str = "the catalog has no per-GPU speeds: every instance type runs iterations at speed 1.0, so \
     changing a pool's instance type changes its price only; state step times per pool (fleet.pools[].llm.step_time) or a \
     speed per type";
const SPEED_JOB: &str = "the catalog has no per-GPU speeds: every instance type computes at speed 1.0, so changing the \
     job's instance type changes its price only";

/// The billing rule and the time-series interval, when left to defaults and they matter.
fn scenario_wide(raw: &RawScenario, s: &Scenario, launches_later: bool, out: &mut Vec<Assumption>) {
    if launches_later && raw.billing.is_none() {
        out.push(own(
            "billing rule".into(),
            "billing",
            format!("per {} with a {} minimum per instance", s.billing.granularity, s.billing.minimum),
            "AWS-style per-second billing; other rules change the cost of short-lived instances",
        ));
    }
    let interval_given = raw.output.as_ref().is_some_and(|o| o.timeseries_interval.is_some());
    if s.serving().is_some() && !interval_given && s.timeseries_interval != Duration::from_secs(60) {
        out.push(own(
            "time-series interval (rows of timeseries.csv and the timeline chart)".into(),
            "output.timeseries_interval",
            s.timeseries_interval.to_string(),
            "1m by default; longer for horizons over 10,000 minutes, to keep at most 10,000 rows",
        ));
    }
}

/// An entry from a market reference, with its caveat.
fn from_ref(what: String, key: &str, value: String, r: &MarketRef) -> Assumption {
    Assumption { what, key: key.into(), value, source: r.source.clone(), date: r.date.clone(), caveat: caveat(r) }
}

/// An entry for one of fleetsim's own defaults.
fn own(what: String, key: &str, value: String, caveat: &str) -> Assumption {
    Assumption {
        what,
        key: key.into(),
        value,
        source: FLEETSIM_DEFAULT.into(),
        date: String::new(),
        caveat: caveat.into(),
    }
}

/// The first sentence of a reference's note, plus, for a published interruption rate, the rate
/// observed on the same GPU where the catalog has one.
fn caveat(r: &MarketRef) -> String {
    let note = r.note.trim();
    let first = note.find(". ").map_or(note, |i| &note[..=i]).trim_end_matches('.');
    let mut c = first.to_string();
    if r.kind == "interruption_rate" {
        let observed = all_refs()
            .iter()
            .filter(|o| o.kind == "observed_interruption_rate")
            .find(|o| o.key.split_once(':').is_some_and(|(_, gpu)| gpu.eq_ignore_ascii_case(&r.key)));
        if let Some(o) = observed {
            c.push_str(&format!("; observed {} rate ~{}/h ({}, {})", o.key, trim(o.value), o.source, o.date));
        }
    }
    c
}

/// A number without trailing zeros: 0.8, 2.3, 1.006, 40.
fn trim(v: f64) -> String {
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-0" { "0".into() } else { text.into() }
}
