//! The summary as a readable table on the terminal, and assertion results.

use std::fmt::Write;

use fleetsim::metrics::Summary;
use fleetsim::metrics::tokens::{SloSummary, TokenSummary};
use fleetsim::report::format;
use fleetsim::scenario::Scenario;

/// One evaluated assertion.
pub struct Check {
    pub text: String,
    pub value: Option<f64>,
    pub passed: bool,
}

/// Evaluates the scenario's `assert:` list against `summary` (a missing value fails).
pub fn check_asserts(s: &Scenario, summary: &Summary) -> Vec<Check> {
    s.asserts
        .iter()
        .map(|a| {
            let value = summary.metric(&a.metric);
            Check { text: a.text.clone(), value, passed: value.is_some_and(|v| a.op.holds(v, a.value)) }
        })
        .collect()
}

// Numbers are written as in report.md and report.html (`report::format`).
fn ms(s: f64) -> String {
    format::duration(s)
}

fn money(usd: f64) -> String {
    format::money(usd)
}

fn count(n: u64) -> String {
    format::count(n as f64)
}

/// The summary table.
pub fn render(s: &Scenario, m: &Summary) -> String {
    if let Some(j) = &m.job {
        return render_job(s, m, j);
    }
    let mut o = String::new();
    let r = &m.requests;
    let l = &m.latency_s;
    let _ = writeln!(
        o,
        "fleetsim run: {} (seed {}), horizon {}, simulated {} in {:.2} s wall, {} events",
        s.name,
        s.seed,
        s.horizon,
        ms(m.engine.end_s),
        m.engine.wall_s,
        count(m.engine.events)
    );
    let _ = writeln!(
        o,
        "  requests    arrived {}  completed {}  cache hits {}  dropped {}  measured {}",
        count(r.arrived),
        count(r.completed),
        count(r.cache_hits),
        count(r.dropped),
        count(r.measured)
    );
    if r.timed_out > 0 {
        let _ = writeln!(o, "              {} of the dropped waited batcher.max_queue_wait", count(r.timed_out));
    }
    let _ = writeln!(
        o,
        "  latency     mean {}  p50 {}  p90 {}  p95 {}  p99 {}  max {}",
        ms(l.mean),
        ms(l.p50),
        ms(l.p90),
        ms(l.p95),
        ms(l.p99),
        ms(l.max)
    );
    if let Some(t) = &m.token {
        render_tokens(&mut o, m, t);
    }
    if let (Some(target), Some(q), Some(rate), Some(met)) =
        (m.sla.target_s, m.sla.quantile, m.sla.violation_rate, m.sla.met)
    {
        let _ = writeln!(
            o,
            "  SLA         {} ≤ {}: {}  ({} requests over, {})",
            format::quantile(q),
            ms(target),
            if met { "met" } else { "MISSED" },
            count(r.sla_violations),
            format::percent(rate)
        );
    }
    let c = &m.cost_usd;
    let _ = writeln!(
        o,
        "  cost        {} total  on-demand {}  spot {}  reserved {}  {} per 1M requests",
        money(c.total),
        money(c.on_demand),
        money(c.spot),
        money(c.reserved),
        money(c.per_million_requests)
    );
    let t = &m.throughput;
    let _ = writeln!(
        o,
        "  throughput  {} req/s  {} req/s per $/h  {} requests per $",
        format::count(t.rps),
        format::count(t.rps_per_usd_per_hour),
        format::count(t.requests_per_usd)
    );
    let f = &m.fleet;
    let _ = writeln!(
        o,
        "  fleet       {} replicas at most, {} on average  utilization {}  {} instance-hours  {} launched",
        f.max_replicas,
        format::count(f.mean_replicas),
        format::percent(f.utilization),
        format::count(f.instance_hours),
        count(f.instances_launched)
    );
    if f.scale_ups + f.scale_downs > 0 {
        let _ = writeln!(
            o,
            "  autoscaler  {} scale-ups  {} scale-downs  {} below the replicas asked for (booting)",
            f.scale_ups,
            f.scale_downs,
            ms(f.time_below_capacity_s)
        );
    }
    if f.interruptions > 0 || c.spot > 0.0 {
        let _ = writeln!(
            o,
            "  spot        {} interruptions  {} requests retried  {} spot capacity-hours lost  {} below requested capacity",
            f.interruptions,
            count(r.retried),
            format::count(f.spot_capacity_hours_lost),
            ms(f.time_below_capacity_s)
        );
        let zones: Vec<String> = c.by_zone.iter().map(|(z, usd)| format!("{z} {}", money(*usd))).collect();
        if !zones.is_empty() {
            let _ = writeln!(o, "  spot cost   {}", zones.join("  "));
        }
    }
    let _ = writeln!(
        o,
        "  {:<12} {:<26} {:<10} {:>6} {:>9} {:>10} {:>8}",
        "pool", "instance", "market", "count", "$/hour", "cost", "util"
    );
    for p in &m.pools {
        let size = match (p.min, p.max) {
            (Some(min), Some(max)) => format!("{min}-{max}"),
            _ => p.count.to_string(),
        };
        let _ = writeln!(
            o,
            "  {:<12} {:<26} {:<10} {:>6} {:>9.4} {:>10} {:>7.1}%",
            p.name,
            p.instance,
            p.market,
            size,
            p.price_per_hour,
            money(p.cost_usd),
            p.utilization * 100.0
        );
    }
    o
}

/// An LLM run's lines: token latencies, tokens and their cost, iterations and the KV cache, and
/// the objectives.
fn render_tokens(o: &mut String, m: &Summary, t: &TokenSummary) {
    for (name, l) in [("TTFT", &t.ttft_s), ("TPOT", &t.tpot_s), ("ITL", &t.itl_s)] {
        let _ = writeln!(
            o,
            "  {name:<10}  mean {}  p50 {}  p90 {}  p95 {}  p99 {}  max {}",
            ms(l.mean),
            ms(l.p50),
            ms(l.p90),
            ms(l.p95),
            ms(l.p99),
            ms(l.max)
        );
    }
    let c = &m.cost_usd;
    let _ = writeln!(
        o,
        "  tokens      prompt {}  output {}  {} output tokens/s  {} per 1M output tokens  {} per 1M tokens",
        count(t.tokens.prompt),
        count(t.tokens.output),
        format::count(t.tokens.output_per_s),
        money(c.per_million_output_tokens.unwrap_or(0.0)),
        money(c.per_million_tokens.unwrap_or(0.0))
    );
    let _ = writeln!(
        o,
        "  iterations  {}  {} tokens and {} sequences each  KV cache {} used  {} preemptions  {} rejected",
        count(t.llm.iterations),
        format::count(t.llm.mean_batch_tokens),
        format::count(t.llm.mean_running),
        format::percent(t.kv.utilization_mean),
        count(t.kv.preemptions),
        count(m.requests.rejected.unwrap_or(0))
    );
    if let (Some(n), Some(mean)) = (t.kv.transfers, t.kv.transfer_mean_s) {
        let _ = writeln!(o, "  KV transfers {}  prefill to decode, {} each on average", count(n), ms(mean));
    }
    let slo = |name: &str, s: &Option<SloSummary>| {
        s.map(|s| {
            format!(
                "{name} {} ≤ {}: {} ({} over)",
                format::quantile(s.quantile),
                ms(s.target_s),
                if s.met { "met" } else { "MISSED" },
                format::percent(s.violation_rate)
            )
        })
    };
    let mut parts: Vec<String> =
        [slo("TTFT", &m.sla.ttft), slo("TPOT", &m.sla.tpot), slo("e2e", &m.sla.e2e)].into_iter().flatten().collect();
    if let Some(a) = m.sla.attainment {
        let goodput = m.sla.goodput_rps.map_or(String::new(), |g| format!(", goodput {} req/s", format::count(g)));
        parts.push(format!("every objective {}{goodput}", format::percent(a)));
    }
    if !parts.is_empty() {
        let _ = writeln!(o, "  SLOs        {}", parts.join("  "));
    }
}

fn hours(s: f64) -> String {
    format::duration(s)
}

/// The summary of a job run.
fn render_job(s: &Scenario, m: &Summary, j: &fleetsim::metrics::summary::JobSummary) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "fleetsim run: {} (seed {}), horizon {}, {} events in {:.2} s wall",
        s.name,
        s.seed,
        s.horizon,
        count(m.engine.events),
        m.engine.wall_s
    );
    let deadline = s.job().map_or(0.0, |job| job.deadline.as_secs_f64());
    let _ = writeln!(
        o,
        "  job         {}  makespan {}  deadline {} {}  progress {}",
        if j.completed { "completed" } else { "NOT completed" },
        hours(j.makespan_s),
        hours(deadline),
        if j.deadline_met { "met" } else { "MISSED" },
        format::percent(j.progress)
    );
    let _ = writeln!(
        o,
        "  work        lost {}  {} checkpoints ({} writing)  {} restoring",
        hours(j.lost_work_s),
        j.checkpoints,
        hours(j.checkpoint_overhead_s),
        hours(j.restore_overhead_s)
    );
    let _ = writeln!(
        o,
        "  placement   {} interruptions  {} launches  {} on spot  {} on demand",
        j.interruptions,
        j.launches,
        hours(j.spot_s),
        hours(j.on_demand_s)
    );
    let c = &m.cost_usd;
    let _ =
        writeln!(o, "  cost        {} total  on-demand {}  spot {}", money(c.total), money(c.on_demand), money(c.spot));
    o
}

/// Assertion results, one line each.
pub fn render_asserts(checks: &[Check]) -> String {
    let mut o = String::new();
    for c in checks {
        let value = c.value.map_or("no value".to_string(), |v| format!("{v}"));
        let _ = writeln!(o, "  assert      {:<40} {} (value {value})", c.text, if c.passed { "ok" } else { "FAILED" });
    }
    o
}
