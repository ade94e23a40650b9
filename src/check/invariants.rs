//! The invariants every run must keep, whatever its scenario, checked on its results.
//!
//! Each check recomputes a figure from something other than the figure itself: costs from each
//! instance's launch and stop times, the billing rules and the prices; request totals from the
//! time series; the compute a job did from its time on instances. A message names the invariant
//! and the numbers that broke it.

mod llm;

use crate::engine::{Duration, SimTime};
use crate::fleet::audit::InstanceBill;
use crate::fleet::market::MarketData;
use crate::run::Outcome;
use crate::scenario::{Billing, Market, Scenario};

/// Relative tolerance for sums of money: far below a cent, far above rounding in f64 sums.
const REL: f64 = 1e-9;

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL * a.abs().max(b.abs()).max(1.0)
}

/// Counts checks and collects the broken ones.
pub(super) struct Found {
    checks: u64,
    broken: Vec<String>,
}

impl Found {
    pub(super) fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.broken.push(what());
        }
    }
}

/// What checking a run found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    /// Individual checks made (one per row, instance, pool… and invariant).
    pub checks: u64,
    /// The broken ones, each a message naming the invariant and its numbers; empty when all held.
    pub broken: Vec<String>,
}

/// Checks `out`, a run of `s` against `market`, against every invariant.
pub fn check(s: &Scenario, market: &MarketData, out: &Outcome) -> Checked {
    let mut f = Found { checks: 0, broken: Vec::new() };
    time(&mut f, s, out);
    cost(&mut f, s, market, out);
    if s.job().is_some() {
        job(&mut f, s, out);
    } else {
        requests(&mut f, out);
        replicas(&mut f, s, out);
        if let Some(spec) = s.serving().and_then(|sv| sv.llm()) {
            llm::check(&mut f, spec, out);
        }
    }
    Checked { checks: f.checks, broken: f.broken }
}

/// Time never goes back: rows, interruption notices and instance lives are in order and end by
/// the end of the run.
fn time(f: &mut Found, s: &Scenario, out: &Outcome) {
    let end = out.summary.engine.end_s;
    f.check(end.is_finite() && end >= 0.0, || format!("time: the run ended at {end} s"));
    let rows = &out.timeseries.rows;
    for w in rows.windows(2) {
        f.check(w[0].time_s < w[1].time_s, || {
            format!("time: time-series rows go from {} s to {} s", w[0].time_s, w[1].time_s)
        });
    }
    if let Some(last) = rows.last() {
        f.check(last.time_s == end, || format!("time: the last row is at {} s, the run ended at {end} s", last.time_s));
    }
    let notices = &out.interruption_times;
    for w in notices.windows(2) {
        f.check(w[0] <= w[1], || format!("time: interruption notices at {} then {}", w[0], w[1]));
    }
    if let Some(&last) = notices.last() {
        f.check(last.as_secs_f64() <= end, || {
            format!("time: an interruption notice at {last} after the end ({end} s)")
        });
    }
    for (i, b) in out.audit.instances.iter().enumerate() {
        f.check(b.launched <= b.stopped && b.stopped.as_secs_f64() <= end, || {
            format!("time: instance {i} launched at {} and stopped at {} (end {end} s)", b.launched, b.stopped)
        });
    }
    if s.job().is_none() && !matches!(s.serving().map(|sv| &sv.arrivals), Some(crate::scenario::Arrivals::Items { .. }))
    {
        let horizon = s.horizon.as_secs_f64();
        f.check(end >= horizon, || format!("time: a serving run ended at {end} s, before its horizon {horizon} s"));
    }
}

/// Requests are conserved: arrived = completed + dropped + in flight, and the time series adds up.
fn requests(f: &mut Found, out: &Outcome) {
    let r = &out.summary.requests;
    f.check(r.arrived == r.completed + r.dropped + r.in_flight, || {
        format!(
            "requests: arrived {} ≠ completed {} + dropped {} + in flight {}",
            r.arrived, r.completed, r.dropped, r.in_flight
        )
    });
    let rows = &out.timeseries.rows;
    let arrivals: u64 = rows.iter().map(|row| row.arrivals).sum();
    let completions: u64 = rows.iter().map(|row| row.completions).sum();
    f.check(arrivals == r.arrived, || {
        format!("requests: the time series has {arrivals} arrivals, the summary {}", r.arrived)
    });
    f.check(completions == r.completed, || {
        format!("requests: the time series has {completions} completions, the summary {}", r.completed)
    });
    f.check(r.in_flight == 0 || out.warnings.iter().any(|w| w.contains("still waiting when the run ended")), || {
        format!("requests: {} in flight at the end without a warning that says why", r.in_flight)
    });
    f.check(r.measured <= r.completed, || format!("requests: {} measured of {} completed", r.measured, r.completed));
    f.check(r.timed_out <= r.dropped, || format!("requests: {} timed out of {} dropped", r.timed_out, r.dropped));
    f.check(r.cache_hits <= r.completed, || {
        format!("requests: {} cache hits of {} completed", r.cache_hits, r.completed)
    });
    f.check(r.sla_violations <= r.measured + r.dropped, || {
        format!("requests: {} SLA violations of {} measured + {} dropped", r.sla_violations, r.measured, r.dropped)
    });
    let l = &out.summary.latency_s;
    if r.measured > 0 {
        let q = [l.p50, l.p90, l.p95, l.p99, l.max];
        f.check(l.mean >= 0.0 && q.windows(2).all(|w| w[0] <= w[1]) && q[0] >= 0.0 && l.mean <= l.max, || {
            format!(
                "latency: mean {} p50 {} p90 {} p95 {} p99 {} max {} out of order",
                l.mean, l.p50, l.p90, l.p95, l.p99, l.max
            )
        });
    }
    let u = out.summary.fleet.utilization;
    f.check((0.0..=1.0).contains(&u), || format!("fleet: utilization {u}"));
}

/// The fewest and most instances pool `p` may have: its count, or its autoscaling bounds.
fn bounds(s: &Scenario, p: usize) -> (u32, u32) {
    let pool = &s.fleet.pools[p];
    pool.scaling.map_or((pool.count, pool.count), |b| (b.min, b.max))
}

/// Replicas stay within [min, max]: the fleet's target within the pools' bounds; each pool's live
/// instances at most its maximum (twice it with `ondemand_fallback`, whose stand-ins serve until
/// the spot replacements are ready); ready ≤ live; and no more live or busy replicas than the
/// instances the bills say were running then host (an LLM pool's instance hosts GPUs /
/// `tensor_parallel` replicas; bounds count instances, the time series replicas).
fn replicas(f: &mut Found, s: &Scenario, out: &Outcome) {
    let n = s.fleet.pools.len();
    let llm = s.serving().and_then(|sv| sv.llm());
    let per = |p: usize| llm.map_or(1, |l| l.pools[p].replicas_per_instance);
    let lo: u32 = (0..n).map(|p| bounds(s, p).0 * per(p)).sum();
    let hi: u32 = (0..n).map(|p| bounds(s, p).1 * per(p)).sum();
    let bills = &out.audit.instances;
    for row in &out.timeseries.rows {
        let t = row.time_s;
        f.check((lo..=hi).contains(&row.target_replicas), || {
            format!("replicas: at {t} s the target is {}, outside [{lo}, {hi}]", row.target_replicas)
        });
        let running = |p: Option<usize>| {
            bills
                .iter()
                .filter(|b| p.is_none_or(|p| b.pool == p))
                .filter(|b| b.launched.as_secs_f64() <= t && b.stopped.as_secs_f64() >= t)
                .map(|b| per(b.pool))
                .sum::<u32>()
        };
        for (p, &live) in row.replicas_by_pool.iter().enumerate() {
            let pool = &s.fleet.pools[p];
            let max = bounds(s, p).1 * per(p) * if pool.ondemand_fallback { 2 } else { 1 };
            f.check(live <= max, || {
                format!("replicas: at {t} s pool {} has {live} instances, more than {max}", pool.name)
            });
            let billed = running(Some(p));
            f.check(live <= billed, || {
                format!("replicas: at {t} s pool {} has {live} live instances but {billed} billed", pool.name)
            });
        }
        let live: u32 = row.replicas_by_pool.iter().sum();
        let by_market: u32 = row.replicas_by_market.iter().sum();
        f.check(live == by_market, || format!("replicas: at {t} s {live} by pool but {by_market} by market"));
        let billed = running(None);
        f.check(row.ready_replicas <= live && row.busy_replicas <= billed, || {
            format!(
                "replicas: at {t} s busy {} ready {} live {live}, {billed} instances billed",
                row.busy_replicas, row.ready_replicas
            )
        });
    }
    let fallback = s.fleet.pools.iter().any(|p| p.ondemand_fallback);
    let max = out.summary.fleet.max_replicas;
    f.check(fallback || max <= hi, || format!("replicas: max_replicas {max} above the pools' maximum {hi}"));
    let launched: u64 = out.summary.pools.iter().map(|p| p.instances_launched).sum();
    f.check(launched == bills.len() as u64, || {
        format!("replicas: {launched} instances launched but {} billed", bills.len())
    });
}

/// Billed time as the billing rules give it, computed here from scratch.
fn billed(ran: Duration, billing: &Billing) -> u64 {
    let (g, ran) = (billing.granularity.as_nanos(), ran.as_nanos());
    let steps = ran / g + u64::from(ran % g != 0);
    (steps * g).max(billing.minimum.as_nanos())
}

/// What one instance (or gang) should cost: its billed time at the price of its market, spot
/// integrated over the zone's price series.
fn expected_cost(s: &Scenario, market: &MarketData, b: &InstanceBill) -> (u64, f64) {
    let (instance, spot_price, od_price, fixed_price) = match s.job() {
        Some(job) => (&job.instance, job.spot_price, job.on_demand_price, job.on_demand_price),
        None => {
            let pool = &s.fleet.pools[b.pool];
            (&pool.instance, pool.spot_price, pool.instance.on_demand_price, pool.price_per_hour)
        }
    };
    let billed_ns = if b.market == Market::Reserved {
        s.horizon.as_nanos()
    } else {
        billed(b.stopped.since(b.launched), &s.billing)
    };
    let hours = billed_ns as f64 / 3.6e12;
    let each = match (b.market, &b.zone) {
        (Market::Spot, Some(zone)) => match market.price_of(zone, &instance.name) {
            Some(series) => series.integrate(b.launched, SimTime(b.launched.0 + billed_ns)) / 3_600.0,
            // No price anywhere is itself broken: NaN fails the comparison.
            None => spot_price.unwrap_or(f64::NAN) * hours,
        },
        _ if b.stand_in => od_price * hours,
        _ => fixed_price * hours,
    };
    (billed_ns, each * f64::from(b.count))
}

/// Cost is ≥ 0 and equal to the sum of every instance's bill, each recomputed; the parts add up.
fn cost(f: &mut Found, s: &Scenario, market: &MarketData, out: &Outcome) {
    let c = &out.summary.cost_usd;
    for (name, v) in [("total", c.total), ("on_demand", c.on_demand), ("spot", c.spot), ("reserved", c.reserved)] {
        f.check(v.is_finite() && v >= 0.0, || format!("cost: cost_usd.{name} = {v}"));
    }
    f.check(close(c.total, c.on_demand + c.spot + c.reserved), || {
        format!("cost: total {} ≠ on-demand {} + spot {} + reserved {}", c.total, c.on_demand, c.spot, c.reserved)
    });
    let mut by_market = [0.0; 3];
    for (i, b) in out.audit.instances.iter().enumerate() {
        let (billed_ns, usd) = expected_cost(s, market, b);
        f.check(b.billed.as_nanos() == billed_ns, || {
            format!(
                "cost: instance {i} ran {} and was billed {}, the rules give {}",
                b.stopped.since(b.launched),
                b.billed,
                Duration(billed_ns)
            )
        });
        f.check(close(b.cost_usd, usd), || {
            format!("cost: instance {i} ({:?}) cost {} but should cost {usd}", b.market, b.cost_usd)
        });
        let m = match b.market {
            Market::OnDemand => 0,
            Market::Spot => 1,
            Market::Reserved => 2,
        };
        by_market[m] += b.cost_usd;
    }
    f.check(close(c.on_demand, by_market[0]) && close(c.spot, by_market[1]) && close(c.reserved, by_market[2]), || {
        format!(
            "cost: on-demand/spot/reserved {}/{}/{} but the instances' bills add up to {}/{}/{}",
            c.on_demand, c.spot, c.reserved, by_market[0], by_market[1], by_market[2]
        )
    });
    let zones: f64 = c.by_zone.values().sum();
    f.check(close(zones, c.spot), || format!("cost: spot cost by zone adds up to {zones}, spot is {}", c.spot));
    if !out.summary.pools.is_empty() {
        let pools: f64 = out.summary.pools.iter().map(|p| p.cost_usd).sum();
        f.check(close(pools, c.total), || format!("cost: pools add up to {pools}, total is {}", c.total));
    }
    let rows = &out.timeseries.rows;
    if let Some(last) = rows.last() {
        f.check(close(last.cost_usd, c.total), || {
            format!("cost: the last row has {} accrued, total is {}", last.cost_usd, c.total)
        });
    }
    for w in rows.windows(2) {
        f.check(w[1].cost_usd >= w[0].cost_usd - REL * w[0].cost_usd.max(1.0), || {
            format!("cost: accrued cost falls from {} to {} at {} s", w[0].cost_usd, w[1].cost_usd, w[1].time_s)
        });
    }
    let notices = out.interruption_times.len() as u64;
    let in_rows: u64 = rows.iter().map(|r| r.interruptions).sum();
    f.check(out.summary.fleet.interruptions == notices, || {
        format!("interruptions: the summary has {}, the notices list {notices}", out.summary.fleet.interruptions)
    });
    if s.job().is_none() {
        f.check(in_rows == notices, || {
            format!("interruptions: the time series has {in_rows}, the notices list {notices}")
        });
    }
}

/// A job's progress is at most its work, its lost work at most the compute it did, and its time
/// and bills add up.
fn job(f: &mut Found, s: &Scenario, out: &Outcome) {
    let (Some(spec), Some(j)) = (s.job(), &out.summary.job) else {
        f.check(false, || "job: a job scenario without job figures".into());
        return;
    };
    let work_s = spec.work.as_secs_f64();
    let saved = out.audit.job_saved_work_s;
    // Progress is counted in ns of compute at the instance's speed: allow a ns per unit of speed.
    let eps = 1e-9 * (work_s + 1.0) + 1e-6;
    f.check((0.0..=1.0).contains(&j.progress), || format!("job: progress {}", j.progress));
    f.check(saved <= work_s + eps, || format!("job: {saved} s of work saved, more than the job's {work_s} s"));
    f.check(j.completed == (saved >= work_s - eps), || {
        format!("job: completed = {} with {saved} of {work_s} s saved", j.completed)
    });
    f.check(!j.completed || j.progress == 1.0, || format!("job: completed with progress {}", j.progress));
    // Everything a gang did fits in the time it ran: saved compute, lost compute, writes, restores.
    let speed = spec.instance.speed;
    let done = saved / speed + j.lost_work_s + j.checkpoint_overhead_s + j.restore_overhead_s;
    let ran = j.spot_s + j.on_demand_s;
    f.check(j.lost_work_s >= 0.0 && done <= ran + 1e-6 * (ran + 1.0), || {
        format!(
            "job: saved {:.3} s + lost {:.3} s + writes {:.3} s + restores {:.3} s = {done:.3} s of compute, more than the {ran:.3} s its gangs ran",
            saved / speed,
            j.lost_work_s,
            j.checkpoint_overhead_s,
            j.restore_overhead_s
        )
    });
    let horizon = s.horizon.as_secs_f64();
    f.check(j.makespan_s <= horizon, || format!("job: makespan {} s past the horizon {horizon} s", j.makespan_s));
    f.check(!j.deadline_met || (j.completed && j.makespan_s <= spec.deadline.as_secs_f64()), || {
        format!("job: deadline met with completed = {} and makespan {} s", j.completed, j.makespan_s)
    });
    let mut on = [0u64; 2];
    for b in &out.audit.instances {
        on[usize::from(b.market == Market::Spot)] += b.stopped.since(b.launched).as_nanos();
    }
    f.check(on[1] as f64 / 1e9 == j.spot_s && on[0] as f64 / 1e9 == j.on_demand_s, || {
        format!(
            "job: gangs ran {} s on spot and {} s on demand, the summary says {} and {}",
            on[1] as f64 / 1e9,
            on[0] as f64 / 1e9,
            j.spot_s,
            j.on_demand_s
        )
    });
    f.check(out.audit.instances.len() as u64 == j.launches, || {
        format!("job: {} gangs billed, {} launched", out.audit.instances.len(), j.launches)
    });
    match spec.policy {
        crate::scenario::JobPolicy::OnDemand => f.check(j.spot_s == 0.0 && j.interruptions == 0, || {
            format!("job: on_demand policy ran {} s on spot", j.spot_s)
        }),
        crate::scenario::JobPolicy::SpotOnly => {
            f.check(j.on_demand_s == 0.0, || format!("job: spot_only policy ran {} s on demand", j.on_demand_s))
        }
        _ => {}
    }
}
