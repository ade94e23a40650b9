//! The invariants of an LLM run (SPEC "LLM serving (token level)"), checked on its summary and on
//! the token and KV ledger its executor keeps ([`LlmAudit`]):
//! - every request completes, is rejected (within dropped), is dropped at a limit or is left in
//!   flight, each with the warning that says why;
//! - tokens produced = tokens asked: every completed request produced exactly its O tokens, and
//!   every token the iterations produced belongs to a completed request or to one that did not
//!   complete (a prefix recomputed after a preemption or a re-route produces nothing again);
//! - the KV cache never held more blocks than it has, nor blocks no sequence held;
//! - TTFT ≤ end-to-end for every completed request, the TTFT/TPOT/ITL percentiles in order;
//! - the iteration, cost and objective figures agree with the tokens and requests.

use super::{Found, close};
use crate::metrics::latency::LatencySummary;
use crate::metrics::tokens::LlmAudit;
use crate::run::Outcome;
use crate::scenario::serving::llm::LlmSpec;

/// Checks `out`, a run of an LLM scenario whose `llm:` section is `spec`.
pub(super) fn check(f: &mut Found, spec: &LlmSpec, out: &Outcome) {
    let (Some(_), Some(audit)) = (&out.summary.token, &out.audit.llm) else {
        f.check(false, || "llm: an LLM run without token figures or a token ledger".into());
        return;
    };
    requests(f, audit, out);
    tokens(f, audit, out);
    kv(f, audit, out);
    latencies(f, out);
    iterations(f, spec, audit, out);
    money_and_objectives(f, out);
}

/// The leading count of each warning containing `what`, summed.
fn warned(out: &Outcome, what: &str) -> u64 {
    let count = |w: &String| w.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
    out.warnings.iter().filter(|w| w.contains(what)).map(count).sum()
}

/// Every request completed (at a replica or the cache), or was rejected or dropped at a limit
/// with a warning that says how many and why, or is in flight (checked with every serving run).
fn requests(f: &mut Found, a: &LlmAudit, out: &Outcome) {
    let r = &out.summary.requests;
    let Some(rejected) = r.rejected else {
        f.check(false, || "llm: requests.rejected is missing".into());
        return;
    };
    f.check(rejected <= r.dropped, || format!("llm: {rejected} requests rejected of {} dropped", r.dropped));
    f.check(a.completed + r.cache_hits == r.completed, || {
        format!(
            "llm: the replicas completed {} requests and the cache {}, the summary says {} completed",
            a.completed, r.cache_hits, r.completed
        )
    });
    let said = warned(out, "requests were rejected");
    f.check(said == rejected, || format!("llm: {rejected} requests rejected, the warnings give a reason for {said}"));
    let at_limits = r.dropped.saturating_sub(rejected + r.timed_out);
    let said = warned(out, "requests were dropped because");
    f.check(said == at_limits, || {
        format!("llm: {at_limits} requests dropped at a limit, the warnings give a reason for {said}")
    });
}

/// Tokens produced = tokens asked, none produced twice, none lost.
fn tokens(f: &mut Found, a: &LlmAudit, out: &Outcome) {
    let (r, t) = (&out.summary.requests, &out.summary.token.as_ref().expect("checked").tokens);
    f.check(a.not_as_asked == 0, || {
        format!("tokens: {} completed requests produced other than the tokens they asked for", a.not_as_asked)
    });
    f.check(a.tokens_of_completed == t.output, || {
        format!("tokens: tokens.output is {} but the completed requests produced {}", t.output, a.tokens_of_completed)
    });
    f.check(a.tokens_produced == a.tokens_of_completed + a.tokens_unfinished, || {
        format!(
            "tokens: iterations produced {} tokens, the completed requests hold {} and the unfinished ones {}",
            a.tokens_produced, a.tokens_of_completed, a.tokens_unfinished
        )
    });
    f.check(r.in_flight + r.dropped > 0 || a.tokens_unfinished == 0, || {
        format!("tokens: {} tokens of unfinished requests with none in flight or dropped", a.tokens_unfinished)
    });
    // Every request has P ≥ 1 and O ≥ 1 tokens, and produces its first token once.
    f.check(t.output >= a.completed && t.prompt >= a.completed, || {
        format!("tokens: {} completed requests with {} prompt and {} output tokens", a.completed, t.prompt, t.output)
    });
    f.check(a.first_tokens >= a.completed && a.first_tokens <= a.completed + r.in_flight + r.dropped, || {
        format!(
            "tokens: {} first tokens for {} completed, {} in flight and {} dropped requests",
            a.first_tokens, a.completed, r.in_flight, r.dropped
        )
    });
    let end = out.summary.engine.end_s;
    let per_s = if end > 0.0 { t.output as f64 / end } else { 0.0 };
    f.check(close(t.output_per_s, per_s), || {
        format!("tokens: output_per_s {} but {} tokens in {end} s", t.output_per_s, t.output)
    });
}

/// KV use never above capacity, never unaccounted for; the mean within [0, peak].
fn kv(f: &mut Found, a: &LlmAudit, out: &Outcome) {
    let kv = &out.summary.token.as_ref().expect("checked").kv;
    let (mean, peak) = (kv.utilization_mean, a.kv_peak_utilization);
    f.check((0.0..=1.0).contains(&peak), || format!("kv: a replica held {peak} of its KV blocks"));
    f.check((0.0..=1.0).contains(&mean) && mean <= peak * (1.0 + 1e-9), || {
        format!("kv: utilization_mean {mean} with a peak of {peak}")
    });
    f.check(a.kv_unaccounted_blocks == 0, || {
        format!("kv: {} blocks in use that no sequence held (or held but not in use)", a.kv_unaccounted_blocks)
    });
}

/// Percentiles in order, every figure finite and ≥ 0, the mean at most the maximum; TTFT ≤
/// end-to-end for every completed request.
fn latencies(f: &mut Found, out: &Outcome) {
    let t = out.summary.token.as_ref().expect("checked");
    for (name, l) in [("ttft_s", &t.ttft_s), ("tpot_s", &t.tpot_s), ("itl_s", &t.itl_s)] {
        f.check(ordered(l), || {
            format!(
                "{name}: mean {} p50 {} p90 {} p95 {} p99 {} max {} out of order",
                l.mean, l.p50, l.p90, l.p95, l.p99, l.max
            )
        });
    }
    let a = out.audit.llm.as_ref().expect("checked");
    f.check(a.out_of_order == 0, || {
        format!(
            "ttft_s: {} completed requests had their first token before arrival or after completion",
            a.out_of_order
        )
    });
}

fn ordered(l: &LatencySummary) -> bool {
    let q = [l.p50, l.p90, l.p95, l.p99, l.max];
    q.iter().chain([&l.mean]).all(|x| x.is_finite() && *x >= 0.0)
        && q.windows(2).all(|w| w[0] <= w[1])
        && l.mean <= l.max
}

/// Iterations ran when anything completed; each fit its replica's limits, and together they
/// carried at least the tokens the completed requests needed.
fn iterations(f: &mut Found, spec: &LlmSpec, a: &LlmAudit, out: &Outcome) {
    let t = out.summary.token.as_ref().expect("checked");
    let it = &t.llm;
    f.check(a.completed == 0 || it.iterations > 0, || {
        format!("llm: {} requests completed in {} iterations", a.completed, it.iterations)
    });
    f.check(it.iterations > 0 || a.tokens_produced == 0, || {
        format!("llm: {} tokens produced without an iteration", a.tokens_produced)
    });
    f.check(a.iterations_over_limits == 0, || {
        format!(
            "llm: {} iterations went beyond their replica's max_num_seqs or max_num_batched_tokens",
            a.iterations_over_limits
        )
    });
    let max_seqs = spec.pools.iter().map(|p| p.config.max_num_seqs).max().unwrap_or(0);
    let max_tokens =
        spec.pools.iter().map(|p| p.config.max_num_batched_tokens.max(p.config.max_num_seqs)).max().unwrap_or(0);
    f.check(it.mean_running <= f64::from(max_seqs), || {
        format!("llm: mean_running {} above every pool's max_num_seqs (at most {max_seqs})", it.mean_running)
    });
    f.check(it.mean_batch_tokens <= f64::from(max_tokens), || {
        format!(
            "llm: mean_batch_tokens {} above every pool's token budget (at most {max_tokens})",
            it.mean_batch_tokens
        )
    });
    // A completed request's first token needs its P prompt tokens prefilled, each later one at
    // least one token of a batch (a decode, or a recompute's prefill).
    let batch_tokens = it.mean_batch_tokens * it.iterations as f64;
    let needed = (t.tokens.prompt + t.tokens.output - a.completed.min(t.tokens.output)) as f64;
    f.check(batch_tokens >= needed * (1.0 - 1e-9), || {
        format!(
            "llm: {} iterations of {} tokens on average processed fewer than the {needed} the completed requests needed",
            it.iterations, it.mean_batch_tokens
        )
    });
    f.check(batch_tokens >= a.tokens_produced as f64 * (1.0 - 1e-9), || {
        format!("llm: iterations processed {batch_tokens} tokens but produced {}", a.tokens_produced)
    });
}

/// Cost per token from cost and tokens; the objectives' figures within their ranges.
fn money_and_objectives(f: &mut Found, out: &Outcome) {
    let sm = &out.summary;
    let t = sm.token.as_ref().expect("checked");
    let total = sm.cost_usd.total;
    let per_million = |n: u64| if n > 0 { total / n as f64 * 1e6 } else { 0.0 };
    for (key, value, n) in [
        ("per_million_output_tokens", sm.cost_usd.per_million_output_tokens, t.tokens.output),
        ("per_million_tokens", sm.cost_usd.per_million_tokens, t.tokens.output + t.tokens.prompt),
    ] {
        f.check(value.is_some_and(|v| close(v, per_million(n))), || {
            format!("cost: cost_usd.{key} is {value:?} with {total} USD and {n} tokens")
        });
    }
    let sla = &sm.sla;
    let r = &sm.requests;
    if let Some(att) = sla.attainment {
        f.check((0.0..=1.0).contains(&att), || format!("sla: attainment {att}"));
        let met = sla.goodput_rps.unwrap_or(f64::NAN) * sm.engine.end_s;
        f.check(met >= 0.0 && met <= r.measured as f64 * (1.0 + 1e-9) + 1e-6, || {
            format!("sla: goodput {:?}/s over {} s, {} requests measured", sla.goodput_rps, sm.engine.end_s, r.measured)
        });
    }
    for (name, slo) in [("ttft", &sla.ttft), ("tpot", &sla.tpot), ("e2e", &sla.e2e)] {
        if let Some(slo) = slo {
            let v = slo.violation_rate;
            f.check((0.0..=1.0).contains(&v) && slo.met == (v <= 1.0 - slo.quantile), || {
                format!("sla: sla.{name} violation_rate {v}, met {} at quantile {}", slo.met, slo.quantile)
            });
        }
    }
}
