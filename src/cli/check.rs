//! `fleetsim check` (hidden): the randomized invariant checker over many cases.

use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use fleetsim::check::Kind;

use super::out::{note, sayln};
use super::{CheckArgs, Outcome};

/// A `--kinds` word.
pub fn parse_kind(word: &str) -> Result<Kind, String> {
    Kind::from_name(word).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!("no scenario kind {word:?}: use any of {}", names.join(", "))
    })
}

pub fn check(args: &CheckArgs) -> anyhow::Result<Outcome> {
    // In Kind::ALL's order, each once: the same cases whatever order they are given in.
    let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| args.kinds.is_empty() || args.kinds.contains(k)).collect();
    let kinds_flag = if args.kinds.is_empty() {
        String::new()
    } else {
        format!(" --kinds {}", kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(","))
    };
    let threads = args.threads.unwrap_or(0);
    if threads > 1024 {
        anyhow::bail!("--threads {threads} is more than 1024");
    }
    if args.cases > 10_000_000 {
        anyhow::bail!("--cases {} is more than 10,000,000 (run several --from ranges instead)", args.cases);
    }
    let root = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("fleetsim-check-{}", std::process::id())),
    };
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("cannot start the threads")?;
    let bar = ProgressBar::with_draw_target(Some(args.cases), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} cases, {msg}, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("0 broken");
    bar.enable_steady_tick(Duration::from_millis(250));
    let broken = std::sync::atomic::AtomicU64::new(0);
    let started = Instant::now();
    let totals = pool.install(|| {
        fleetsim::check::check_many(args.from, args.cases, &root, &kinds, &|r| {
            if !r.ok() {
                let n = broken.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                bar.set_message(format!("{n} broken"));
                bar.suspend(|| note!("case {} ({}) broke an invariant: {}", r.case, r.kind.name(), r.broken[0]));
            }
            bar.inc(1);
        })
    });
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let kinds: Vec<String> = totals.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    sayln!(
        "checked {} random scenarios (cases {}..{}; {}) in {wall:.1} s, {:.1} M events",
        totals.cases,
        args.from,
        args.from.saturating_add(args.cases),
        kinds.join(", "),
        totals.events as f64 / 1e6
    )?;
    sayln!("invariants checked on every case:")?;
    for inv in fleetsim::check::INVARIANTS {
        sayln!("  - {inv}")?;
    }
    if totals.failures.is_empty() {
        sayln!("all {} checks held; 0 cases broke an invariant", totals.checks_held)?;
        let _ = std::fs::remove_dir(&root);
        return Ok(Outcome::Ok);
    }
    sayln!("{} of {} cases broke an invariant:", totals.failures.len(), totals.cases)?;
    for r in &totals.failures {
        sayln!("case {} ({}):", r.case, r.kind.name())?;
        for b in &r.broken {
            sayln!("  - {b}")?;
        }
        sayln!("  scenario: {}", r.dir.join("scenario.yaml").display())?;
        sayln!("  reproduce: fleetsim check --from {} --cases 1{kinds_flag}", r.case)?;
    }
    Ok(Outcome::AssertFailed)
}
