//! The sentences a report opens with, generated from the results: whether each SLA, deadline and
//! `assert:` held, what it cost, which cell or design wins and by how much, and whether the
//! difference is real (its paired 95% interval excludes 0). Pure functions of numbers, one per
//! kind of sentence, each tested on its own.

use crate::report::format::{self, Unit};

/// A run's latency objective and what happened.
pub(super) struct Sla {
    pub quantile: f64,
    pub target_s: f64,
    /// The latency at the quantile, when known.
    pub latency_s: Option<f64>,
    pub violation_rate: Option<f64>,
    pub met: bool,
}

fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "not met" }
}

/// `SLA: p99 latency 175ms against 250ms: met (0.054% of requests over 250ms; 1% allowed).`
pub(super) fn sla(s: &Sla) -> String {
    objective("SLA", "latency", s)
}

/// An LLM run's objective on `noun` (`TTFT`, `TPOT`): `SLO: p90 TTFT 558ms against 1s: met
/// (2.81% of requests over 1s; 10% allowed).`
pub(super) fn slo(noun: &str, s: &Sla) -> String {
    objective("SLO", noun, s)
}

fn objective(what: &str, noun: &str, s: &Sla) -> String {
    let allowed = format::percent(1.0 - s.quantile);
    let target = format::duration(s.target_s);
    let over = s
        .violation_rate
        .map_or(String::new(), |r| format!(" ({} of requests over {target}; {allowed} allowed)", format::percent(r)));
    let (q, share, verdict) = (format::quantile(s.quantile), format::percent(s.quantile), met(s.met));
    match s.latency_s {
        Some(l) => format!("{what}: {q} {noun} {} against {target}: {verdict}{over}.", format::duration(l)),
        None if noun == "latency" => format!("{what}: {share} of requests within {target}: {verdict}{over}."),
        None => format!("{what}: {share} of requests with {noun} within {target}: {verdict}{over}."),
    }
}

/// `96.2% of requests met every objective (goodput 5.17 requests/s).`
pub(super) fn attainment(attainment: f64, goodput_rps: Option<f64>) -> String {
    let goodput = goodput_rps.map_or(String::new(), |g| format!(" (goodput {} requests/s)", format::count(g)));
    format!("{} of requests met every objective{goodput}.", format::percent(attainment))
}

/// `Total cost $10.14 for 4,088,665 output tokens of 19,366 requests: $2.48 per million output
/// tokens.`
pub(super) fn token_cost(total: f64, output_tokens: f64, completed: Option<f64>, per_million: f64) -> String {
    let of = completed.map_or(String::new(), |n| format!(" of {} requests", format::count(n)));
    format!(
        "Total cost {} for {} output tokens{of}: {} per million output tokens.",
        format::money(total),
        format::count(output_tokens),
        format::money(per_million)
    )
}

/// An `assert:` and its value.
pub(super) struct Assert {
    pub text: String,
    /// The metric in words (`p99 latency`).
    pub label: String,
    /// Its value, written (`165ms`, `yes`).
    pub value: Option<String>,
    pub passed: bool,
}

/// `assert latency_s.p99 <= 0.25 (p99 latency: 175ms): held.`
pub(super) fn assertion(a: &Assert) -> String {
    let value = a.value.as_ref().map_or("no value".to_string(), |v| format!("{}: {v}", a.label));
    format!("assert {} ({value}): {}.", a.text, if a.passed { "held" } else { "failed" })
}

/// `Total cost $31.91 for 7,919,588 requests: $4.03 per million requests.`
pub(super) fn serving_cost(total: f64, completed: Option<f64>, per_million: Option<f64>) -> String {
    match (completed, per_million) {
        (Some(n), Some(p)) if n > 0.0 => format!(
            "Total cost {} for {} requests: {} per million requests.",
            format::money(total),
            format::count(n),
            format::money(p)
        ),
        _ => format!("Total cost {}.", format::money(total)),
    }
}

/// A job's outcome.
pub(super) struct Job {
    pub completed: bool,
    pub makespan_s: f64,
    pub deadline_s: Option<f64>,
    pub deadline_met: bool,
    pub cost_usd: f64,
    pub lost_work_s: f64,
    pub interruptions: f64,
}

/// `The job completed in 52.3h against a 70h deadline: met. It cost $1,740, …`
pub(super) fn job(j: &Job) -> String {
    let deadline = j.deadline_s.map_or("its deadline".to_string(), |d| format!("a {} deadline", format::duration(d)));
    let done = if j.completed {
        format!("The job completed in {} against {deadline}: {}.", format::duration(j.makespan_s), met(j.deadline_met))
    } else {
        format!(
            "The job did not complete within the simulated time ({}): deadline not met.",
            format::duration(j.makespan_s)
        )
    };
    let lost = if j.interruptions > 0.0 {
        format!(
            ", with {} of work lost to {} interruptions",
            format::duration(j.lost_work_s),
            format::count(j.interruptions)
        )
    } else {
        String::new()
    };
    format!("{done} It cost {} for the job{lost}.", format::money(j.cost_usd))
}

/// A cell or design with its mean and 95% interval.
pub(super) struct Ranked {
    pub label: String,
    pub mean: f64,
    pub ci: Option<(f64, f64)>,
}

impl Ranked {
    fn text(&self, unit: Unit) -> String {
        match self.ci {
            Some((lo, hi)) => format!("{} (95% CI {} to {})", unit.format(self.mean), unit.format(lo), unit.format(hi)),
            None => unit.format(self.mean),
        }
    }
}

/// A difference paired by seed: its mean, 95% interval, pairs, and whether the interval
/// excludes 0 in the winner's favour (`None` from one pair).
pub(super) struct Paired {
    pub mean: f64,
    pub ci: Option<(f64, f64)>,
    pub n: usize,
    pub significant: Option<bool>,
}

/// `+$4.52{against} (paired 95% CI …): significant`.
fn paired_text(d: &Paired, unit: Unit, against: &str) -> String {
    if d.mean == 0.0 && d.ci == Some((0.0, 0.0)) {
        return format!("{}{against}: identical on every seed (a tie)", unit.format(0.0));
    }
    let ci =
        d.ci.map_or(String::new(), |(lo, hi)| format!(" (paired 95% CI {} to {})", unit.signed(lo), unit.signed(hi)));
    let verdict = match d.significant {
        Some(true) => "significant".to_string(),
        Some(false) => format!("not significant at 95%: the two cannot be told apart with {} replications", d.n),
        None => "one replication only, so no interval".to_string(),
    };
    format!("{}{against}{ci}: {verdict}", unit.signed(d.mean))
}

/// `Best cell: X, with the lowest mean total cost, $29.97 (95% CI …). Runner-up: Y, $30.01 (…);
/// best − runner-up on the same seeds: -$0.04 (paired 95% CI …): not significant at 95%: …`
pub(super) fn best(
    metric: &str,
    unit: Unit,
    maximize: bool,
    best: &Ranked,
    runner: Option<(&Ranked, &Paired)>,
) -> String {
    let goal = if maximize { "highest" } else { "lowest" };
    let mut s = format!("Best cell: {}, with the {goal} mean {metric}, {}.", best.label, best.text(unit));
    match runner {
        Some((r, d)) => s.push_str(&format!(
            " Runner-up: {}, {}; best − runner-up on the same seeds: {}.",
            r.label,
            r.text(unit),
            paired_text(d, unit, "")
        )),
        None => s.push_str(" No other cell qualifies."),
    }
    s
}

/// `3 of 24 cells fail the constraint (p99 latency ≤ 100ms): a (p99 latency 108ms); b (…) and
/// 1 more.`
pub(super) fn infeasible(constraints: &[String], failing: &[(String, String)], cells: usize) -> String {
    const LISTED: usize = 8;
    let rule =
        format!("the constraint{} ({})", if constraints.len() > 1 { "s" } else { "" }, constraints.join(" and "));
    if failing.is_empty() {
        return format!("Every cell meets {rule}.");
    }
    let mut listed: Vec<String> = failing.iter().take(LISTED).map(|(l, why)| format!("{l} ({why})")).collect();
    if failing.len() > LISTED {
        listed.push(format!("{} more", format::count((failing.len() - LISTED) as f64)));
    }
    let list = match listed.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join("; ")),
        _ => listed.join(""),
    };
    format!("{} of {} cells fail {rule}: {list}.", format::count(failing.len() as f64), format::count(cells as f64))
}

/// Designs ranked by a metric, each after the first with its paired difference from the first.
pub(super) fn ranking(metric: &str, unit: Unit, maximize: bool, ranked: &[(Ranked, Option<Paired>)]) -> String {
    let Some((first, _)) = ranked.first() else { return String::new() };
    let mut parts = vec![format!("1. {} {}", first.label, unit.format(first.mean))];
    for (k, (r, d)) in ranked.iter().enumerate().skip(1) {
        let diff = d
            .as_ref()
            .map_or(String::new(), |d| format!(", {}", paired_text(d, unit, &format!(" against {}", first.label))));
        parts.push(format!("{}. {} {}{diff}", k + 1, r.label, unit.format(r.mean)));
    }
    let order = if maximize { "highest" } else { "lowest" };
    format!("Ranked by mean {metric}, {order} first: {}.", parts.join("; "))
}

/// `SLA (p99 ≤ 250ms) met in every run by a and b; not by c (met in 2 of 4 runs).`
pub(super) fn designs_meeting(what: &str, shares: &[(String, f64, usize)]) -> String {
    let all: Vec<&str> = shares.iter().filter(|s| s.1 >= 1.0).map(|s| s.0.as_str()).collect();
    let not: Vec<String> = shares
        .iter()
        .filter(|s| s.1 < 1.0)
        .map(|(d, share, n)| format!("{d} (met in {} of {n} runs)", (share * *n as f64).round()))
        .collect();
    match (all.is_empty(), not.is_empty()) {
        (false, true) => format!("{what} met in every run by every design."),
        (true, false) => format!("{what} not met in every run by any design: {}.", not.join(", ")),
        _ => format!("{what} met in every run by {}; not by {}.", all.join(", "), not.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sla_met_and_not_met() {
        let mut s =
            Sla { quantile: 0.99, target_s: 0.25, latency_s: Some(0.165), violation_rate: Some(0.00054), met: true };
        assert_eq!(sla(&s), "SLA: p99 latency 165ms against 250ms: met (0.054% of requests over 250ms; 1% allowed).");
        s.latency_s = Some(0.312);
        s.violation_rate = Some(0.023);
        s.met = false;
        assert_eq!(sla(&s), "SLA: p99 latency 312ms against 250ms: not met (2.3% of requests over 250ms; 1% allowed).");
    }

    #[test]
    fn llm_objectives_attainment_and_cost_per_token() {
        let mut s =
            Sla { quantile: 0.9, target_s: 1.0, latency_s: Some(0.558), violation_rate: Some(0.0281), met: true };
        assert_eq!(slo("TTFT", &s), "SLO: p90 TTFT 558ms against 1s: met (2.81% of requests over 1s; 10% allowed).");
        s.latency_s = None;
        assert_eq!(
            slo("TPOT", &s),
            "SLO: 90% of requests with TPOT within 1s: met (2.81% of requests over 1s; 10% allowed)."
        );
        assert_eq!(attainment(0.9617, Some(5.17)), "96.2% of requests met every objective (goodput 5.17 requests/s).");
        assert_eq!(
            token_cost(10.14, 4_088_665.0, Some(19_366.0), 2.48),
            "Total cost $10.14 for 4,088,665 output tokens of 19,366 requests: $2.48 per million output tokens."
        );
    }

    #[test]
    fn an_assertion_held_and_failed() {
        let mut a = Assert {
            text: "latency_s.p99 <= 0.25".into(),
            label: "p99 latency".into(),
            value: Some("165ms".into()),
            passed: true,
        };
        assert_eq!(assertion(&a), "assert latency_s.p99 <= 0.25 (p99 latency: 165ms): held.");
        a.value = None;
        a.passed = false;
        assert_eq!(assertion(&a), "assert latency_s.p99 <= 0.25 (no value): failed.");
    }

    #[test]
    fn a_job_deadline_met_and_not_met() {
        let mut j = Job {
            completed: true,
            makespan_s: 52.0 * 3600.0,
            deadline_s: Some(70.0 * 3600.0),
            deadline_met: true,
            cost_usd: 1740.4,
            lost_work_s: 3.0 * 3600.0,
            interruptions: 12.0,
        };
        assert_eq!(
            job(&j),
            "The job completed in 2d4h against a 2d22h deadline: met. It cost $1,740 for the job, with 3h of work lost to 12 interruptions."
        );
        j.makespan_s = 75.0 * 3600.0;
        j.deadline_met = false;
        assert!(job(&j).starts_with("The job completed in 3d3h against a 2d22h deadline: not met."), "{}", job(&j));
    }

    #[test]
    fn a_best_cell_significant_and_not() {
        let b = Ranked { label: "max_wait=25ms".into(), mean: 456_316.0, ci: Some((455_998.0, 456_635.0)) };
        let r = Ranked { label: "max_wait=10ms".into(), mean: 388_179.0, ci: None };
        let mut d = Paired { mean: 68_137.0, ci: Some((68_086.0, 68_189.0)), n: 10, significant: Some(true) };
        assert_eq!(
            best("requests per dollar", Unit::Number, true, &b, Some((&r, &d))),
            "Best cell: max_wait=25ms, with the highest mean requests per dollar, 456,316 (95% CI 455,998 to 456,635). \
             Runner-up: max_wait=10ms, 388,179; best − runner-up on the same seeds: +68,137 (paired 95% CI +68,086 to +68,189): significant."
        );
        let tie = Paired { mean: 0.0, ci: Some((0.0, 0.0)), n: 3, significant: Some(false) };
        assert!(
            best("requests per dollar", Unit::Number, true, &b, Some((&r, &tie)))
                .ends_with(": 0: identical on every seed (a tie)."),
            "a tie is said to be one"
        );
        d.ci = Some((-10.0, 136_000.0));
        d.significant = Some(false);
        let text = best("requests per dollar", Unit::Number, true, &b, Some((&r, &d)));
        assert!(
            text.ends_with("(paired 95% CI -10 to +136,000): not significant at 95%: the two cannot be told apart with 10 replications."),
            "{text}"
        );
    }

    #[test]
    fn cells_failing_constraints() {
        let rule = ["latency_s.p99 <= 0.1".to_string()];
        let failing = [("32, 25ms".to_string(), "p99 latency 108ms".to_string())];
        assert_eq!(
            infeasible(&rule, &failing, 24),
            "1 of 24 cells fail the constraint (latency_s.p99 <= 0.1): 32, 25ms (p99 latency 108ms)."
        );
        assert_eq!(infeasible(&rule, &[], 24), "Every cell meets the constraint (latency_s.p99 <= 0.1).");
    }

    #[test]
    fn designs_ranked_with_paired_differences() {
        let ranked = vec![
            (Ranked { label: "spot".into(), mean: 44.24, ci: None }, None),
            (
                Ranked { label: "on-demand".into(), mean: 147.0, ci: None },
                Some(Paired { mean: 102.76, ci: Some((102.7, 102.8)), n: 4, significant: Some(true) }),
            ),
        ];
        assert_eq!(
            ranking("total cost", Unit::Usd, false, &ranked),
            "Ranked by mean total cost, lowest first: 1. spot $44.24; 2. on-demand $147, +$103 against spot (paired 95% CI +$103 to +$103): significant."
        );
        let shares = [("od".to_string(), 1.0, 4), ("spot".to_string(), 0.5, 4)];
        assert_eq!(
            designs_meeting("SLA (p99 ≤ 250ms)", &shares),
            "SLA (p99 ≤ 250ms) met in every run by od; not by spot (met in 2 of 4 runs)."
        );
    }
}
