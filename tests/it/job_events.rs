//! Jobs are event-driven (issue 17): a job costs events for what happens to it — phases,
//! interruptions, market changes, the policy's own wake-ups — not one per simulated minute.

use fleetsim::scenario;

/// A 30-day (720 h) job on one H100 instance at 4.1% interruptions per hour (hazard, no traces:
/// no market changes), Daly's interval, 5 min writes, 10 min restores, 6 min relaunches, a 2 min
/// notice with emergency checkpoints, a 40-day deadline.
fn month_yaml(policy: &str) -> String {
    format!(
        "name: month\nhorizon: 60d\n\
         job:\n  work: 720h\n  instance: p5.48xlarge\n  zones: [us-east-1a]\n  deadline: 960h\n  policy: {policy}\n  \
         restart_overhead: 6m\n  \
         checkpoint: {{ interval: daly, write: 5m, restore: 10m, on_notice: emergency }}\n\
         spot:\n  notice: 2m\n  interruptions:\n    hazard: {{ per_hour: 0.041 }}\n"
    )
}

/// The bound, with c checkpoints (writes completed), i interruptions and no market change:
/// - write ends: c;
/// - compute ends: each starts a write, which completes or is cut by an interruption's stop:
///   ≤ c + i (an emergency write cancels the compute end it interrupts);
/// - overhead and restore ends: one each per launch; launches ≤ 1 + i + 1 (the first, one per
///   interruption, one switch to on demand), and the first launch restores nothing: ≤ 2i + 3;
/// - notices and stops: ≤ 2i (a switch's stop is not an event);
/// - wake-ups: spot_only asks for none; greedy and uniform_progress only for the deadline rule's
///   trip time (spot is always obtainable, so uniform progress never waits or runs on demand
///   before it): ≤ 2 (one while a noticed gang winds down, one after).
///
/// So events ≤ 2c + 5i + 5, which is ≤ 3·(c + i) + 5 whenever c ≥ 2i — here c ≈ 12·i (Daly's
/// interval ≈ 2 h, mean time between interruptions ≈ 24 h); the one-minute poll alone cost
/// 43,200 events.
#[test]
fn a_month_long_job_costs_events_per_checkpoint_and_interruption() {
    for policy in ["spot_only", "greedy", "uniform_progress"] {
        let mut s = scenario::from_yaml(&month_yaml(policy)).unwrap_or_else(|e| panic!("{e}"));
        for seed in 1..=5 {
            s.seed = seed;
            let market = fleetsim::trace::market::load(&s).unwrap_or_else(|e| panic!("{e}"));
            let summary = fleetsim::job::simulate(&s, &market).expect("runs").summary;
            let j = summary.job.unwrap();
            assert!(j.completed && j.interruptions > 0, "{policy} seed {seed}: {j:?}");
            let (c, i, events) = (j.checkpoints, j.interruptions, summary.engine.events);
            eprintln!("{policy} seed {seed}: {events} events, {c} checkpoints, {i} interruptions");
            assert!(events <= 2 * c + 5 * i + 5, "{policy} seed {seed}: {events} events, c {c}, i {i}");
            assert!(events <= 3 * (c + i) + 5, "{policy} seed {seed}: {events} events, c {c}, i {i}");
        }
    }
}
