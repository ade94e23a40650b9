//! The randomized invariant checker (`fleetsim::check`): random valid scenarios of every kind keep
//! every invariant, and the checker does notice results that break one.

use std::path::Path;

use fleetsim::check::{self, Kind, invariants, random};
use fleetsim::fleet::market::MarketData;
use fleetsim::scenario::Scenario;
use fleetsim::serving::Outcome;

use super::common::fleetsim;

/// 400 cases (about 80 of each kind, some 60 M events) take a few seconds on two cores; CI also
/// runs `fleetsim check` on 3,000 other cases and 10,000 LLM ones.
#[test]
fn random_scenarios_keep_every_invariant() {
    let dir = tempfile::tempdir().unwrap();
    let totals = check::check_many(0, 400, dir.path(), &Kind::ALL, &|_| {});
    let report: Vec<String> = totals
        .failures
        .iter()
        .map(|r| format!("case {} ({}): {}", r.case, r.kind.name(), r.broken.join("; ")))
        .collect();
    assert!(
        report.is_empty(),
        "broken invariants (reproduce with fleetsim check --from CASE --cases 1):\n{}",
        report.join("\n")
    );
    assert_eq!(totals.cases, 400);
    for kind in Kind::ALL.map(Kind::name) {
        let n = totals.by_kind.get(kind).copied().unwrap_or(0);
        assert!(n >= 50, "only {n} {kind} cases of 400");
    }
    // Every case makes at least one check per invariant family, most make hundreds.
    assert!(totals.checks_held > 400 * 20, "{} checks", totals.checks_held);
}

/// Scenarios of the bugs the checker found, kept as files (a case seed names a different scenario
/// once the generator changes): each keeps every invariant now.
#[test]
fn the_bugs_it_found_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let (checks, _, broken) = check::check_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(broken.is_empty(), "{}: {}", path.display(), broken.join("; "));
            assert!(checks > 10, "{}: {checks} checks", path.display());
            n += 1;
        }
    }
    assert_eq!(n, 4, "the four regression scenarios");
}

/// The first case of `kind` from seed `from` on for which `wanted` holds: its scenario, market and
/// one run.
fn case_where(kind: Kind, from: u64, dir: &Path, wanted: &dyn Fn(&Outcome) -> bool) -> (Scenario, MarketData, Outcome) {
    for case in from..from + 200 {
        let case_dir = dir.join(format!("case-{case}"));
        std::fs::create_dir_all(&case_dir).unwrap();
        let generated = random::scenario_of(case, &case_dir, &[kind]).unwrap();
        let path = case_dir.join("scenario.yaml");
        std::fs::write(&path, &generated.yaml).unwrap();
        let s = fleetsim::scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}")).scenario;
        let market = fleetsim::trace::market::load(&s).unwrap();
        let out = fleetsim::run::simulate(&s, &market, &mut |_| {}).unwrap();
        if wanted(&out) {
            return (s, market, out);
        }
    }
    panic!("no {kind:?} case as wanted from seed {from}");
}

/// The first case of `kind` from seed `from` on with completions and instances (any job case).
fn case_of(kind: Kind, from: u64, dir: &Path) -> (Scenario, MarketData, Outcome) {
    case_where(kind, from, dir, &|out| {
        kind == Kind::Job || (out.summary.requests.completed > 0 && !out.audit.instances.is_empty())
    })
}

/// What the checker says of `out` once `damage` is done to a copy of it.
fn damaged(s: &Scenario, market: &MarketData, out: &Outcome, damage: &dyn Fn(&mut Outcome)) -> String {
    let mut bad = Outcome {
        summary: out.summary.clone(),
        timeseries: out.timeseries.clone(),
        latency: out.latency.clone(),
        tokens: out.tokens.clone(),
        warnings: out.warnings.clone(),
        interruption_times: out.interruption_times.clone(),
        audit: out.audit.clone(),
    };
    damage(&mut bad);
    invariants::check(s, market, &bad).broken.join("; ")
}

/// Each kind of damage to a real run's results is caught, and named.
#[test]
fn the_checker_catches_results_that_break_an_invariant() {
    let dir = tempfile::tempdir().unwrap();
    let (s, market, out) = case_of(Kind::Autoscaled, 0, dir.path());
    assert_eq!(invariants::check(&s, &market, &out).broken, Vec::<String>::new());

    let broken = |damage: &dyn Fn(&mut Outcome)| damaged(&s, &market, &out, damage);
    assert!(broken(&|o| o.summary.requests.completed -= 1).starts_with("requests: arrived"));
    assert!(broken(&|o| o.timeseries.rows[0].arrivals += 1).contains("the time series has"));
    assert!(broken(&|o| o.audit.instances[0].cost_usd *= 1.001).contains("cost: instance 0"));
    assert!(broken(&|o| o.audit.instances[0].stopped.0 += 1_000_000_000).contains("billed"));
    assert!(broken(&|o| o.summary.cost_usd.total = -1.0).contains("cost_usd.total = -1"));
    assert!(broken(&|o| o.timeseries.rows.swap(0, 1)).contains("time: time-series rows go from"));
    assert!(broken(&|o| o.timeseries.rows[0].replicas_by_pool[0] = 1_000).contains("instances, more than"));
    assert!(broken(&|o| o.timeseries.rows[0].target_replicas = 1_000).contains("the target is 1000"));
    assert!(broken(&|o| o.summary.fleet.interruptions += 1).contains("interruptions:"));

    let (s, market, out) = case_of(Kind::Job, 0, dir.path());
    assert_eq!(invariants::check(&s, &market, &out).broken, Vec::<String>::new());
    let job_broken = |damage: &dyn Fn(&mut Outcome)| damaged(&s, &market, &out, damage);
    let work_s = s.job().unwrap().work.as_secs_f64();
    assert!(job_broken(&|o| o.audit.job_saved_work_s = work_s * 2.0).contains("more than the job's"));
    assert!(
        job_broken(&|o| {
            let j = o.summary.job.as_mut().unwrap();
            j.lost_work_s += j.spot_s + j.on_demand_s + 1.0;
        })
        .contains("more than the")
    );
    assert!(job_broken(&|o| o.summary.job.as_mut().unwrap().completed ^= true).contains("job: completed"));
}

fn ledger(o: &mut Outcome) -> &mut fleetsim::metrics::tokens::LlmAudit {
    o.audit.llm.as_mut().unwrap()
}

fn token(o: &mut Outcome) -> &mut fleetsim::metrics::tokens::TokenSummary {
    o.summary.token.as_mut().unwrap()
}

/// Damage to an LLM run's results — its token ledger, KV figures, token latencies, rejections and
/// the figures derived from tokens — is caught, and named.
#[test]
fn the_checker_catches_llm_results_that_break_an_invariant() {
    let dir = tempfile::tempdir().unwrap();
    // A case where requests were rejected, sequences preempted and some completed under an SLO.
    let (s, market, out) = case_where(Kind::Llm, 0, dir.path(), &|out| {
        let (r, t) = (&out.summary.requests, out.summary.token.as_ref().unwrap());
        r.completed > 10 && r.rejected > Some(0) && t.kv.preemptions > 0 && out.summary.sla.attainment.is_some()
    });
    assert_eq!(invariants::check(&s, &market, &out).broken, Vec::<String>::new());
    let broken = |damage: &dyn Fn(&mut Outcome)| damaged(&s, &market, &out, damage);

    // Tokens: a recomputed prefix counted again, a request cut short, a total off by one.
    assert!(broken(&|o| ledger(o).tokens_produced += 7).contains("tokens: iterations produced"));
    assert!(broken(&|o| ledger(o).not_as_asked = 1).contains("produced other than the tokens they asked for"));
    assert!(broken(&|o| token(o).tokens.output += 1).contains("tokens: tokens.output is"));
    assert!(broken(&|o| ledger(o).first_tokens = 0).contains("first tokens for"));
    // The KV cache: above capacity, blocks nobody holds, a mean above its peak.
    assert!(broken(&|o| ledger(o).kv_peak_utilization = 1.01).contains("kv: a replica held 1.01"));
    assert!(broken(&|o| ledger(o).kv_unaccounted_blocks = 3).contains("kv: 3 blocks in use that no sequence held"));
    assert!(broken(&|o| token(o).kv.utilization_mean = 1.5).contains("kv: utilization_mean 1.5"));
    // Latencies: a first token after completion, percentiles out of order.
    assert!(broken(&|o| ledger(o).out_of_order = 2).contains("ttft_s: 2 completed requests"));
    assert!(broken(&|o| token(o).tpot_s.p50 = token(o).tpot_s.max + 1.0).contains("tpot_s: mean"));
    // Requests: rejections beyond the drops, or without the warning that says why.
    assert!(broken(&|o| o.summary.requests.rejected = Some(o.summary.requests.dropped + 1)).contains("rejected of"));
    assert!(broken(&|o| o.warnings.clear()).contains("the warnings give a reason for 0"));
    assert!(broken(&|o| ledger(o).completed -= 1).contains("the replicas completed"));
    // Iterations, cost per token, objectives.
    assert!(broken(&|o| ledger(o).iterations_over_limits = 1).contains("1 iterations went beyond"));
    assert!(broken(&|o| token(o).llm.iterations = 0).contains("requests completed in 0 iterations"));
    assert!(broken(&|o| token(o).llm.mean_batch_tokens = 0.0).contains("processed fewer than"));
    assert!(
        broken(&|o| *o.summary.cost_usd.per_million_output_tokens.as_mut().unwrap() *= 1.01)
            .contains("cost_usd.per_million_output_tokens")
    );
    assert!(broken(&|o| o.summary.sla.attainment = Some(1.2)).contains("sla: attainment 1.2"));
    // A run that lost its ledger altogether.
    assert!(broken(&|o| o.audit.llm = None).contains("without token figures or a token ledger"));
}

/// The hidden command runs cases in parallel, prints what it checked and exits 0; it is not in
/// the help.
#[test]
fn the_check_command_reports_cases_and_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let out = fleetsim()
        .args(["check", "--cases", "40", "--from", "5000", "--threads", "2", "--dir"])
        .arg(dir.path().join("cases"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checked 40 random scenarios (cases 5000..5040;"), "{stdout}");
    assert!(stdout.contains("0 cases broke an invariant"), "{stdout}");
    // Only some kinds: the same LLM case whichever kinds are drawn.
    let only_llm = fleetsim()
        .args(["check", "--cases", "10", "--from", "5000", "--kinds", "llm", "--threads", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&only_llm.stdout);
    assert!(stdout.contains("(cases 5000..5010; llm 10)"), "{stdout}");
    fleetsim().args(["check", "--kinds", "llm,gpu"]).assert().code(2);
    let llm_among_all = (5000..5100)
        .find(|&case| random::scenario_of(case, dir.path(), &Kind::ALL).unwrap().kind == Kind::Llm)
        .expect("an LLM case among 100");
    let among_all = random::scenario_of(llm_among_all, dir.path(), &Kind::ALL).unwrap();
    assert_eq!(random::scenario_of(llm_among_all, dir.path(), &[Kind::Llm]).unwrap().yaml, among_all.yaml);
    let help = fleetsim().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("validate"), "{help}");
    assert!(!help.lines().any(|l| l.trim_start().starts_with("check ")), "check is a hidden command:\n{help}");
}
