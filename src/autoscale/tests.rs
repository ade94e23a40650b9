//! The autoscalers stepped by hand through documented cases. Each test feeds observations sync
//! by sync and checks the replica count worked out in the comments.

use super::hpa::{Hpa, pod_replicas};
use super::keda::Keda;
use super::kpa::Kpa;
use super::schedule::{Schedule, parse_time_of_day};
use super::{Autoscaler, Observation};
use crate::engine::{Duration, SimTime};
use crate::scenario::*;

const S: u64 = 1_000_000_000;

fn hpa_spec(metric: HpaMetric) -> HpaSpec {
    HpaSpec {
        metric,
        sync_period: Duration::from_secs(15),
        tolerance: 0.1,
        scale_up: ScalingRules::default_up(),
        scale_down: ScalingRules::default_down(),
    }
}

/// Feeds an autoscaler observations built from per-period averages, one decision at a time.
struct Stepper {
    obs: Observation,
}

impl Stepper {
    fn new(current: u32, min: u32, max: u32) -> Stepper {
        Stepper { obs: Observation { current, ready: current, min, max, ..Observation::default() } }
    }

    /// Advances to `at_s`, the last period having had `ready` ready replicas `util` busy on
    /// average, `in_flight` requests in the system on average and `rps` arrivals per second;
    /// then lets `a` decide and takes its answer as the new current count.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        a: &mut dyn Autoscaler,
        at_s: u64,
        ready: u32,
        booting: u32,
        util: f64,
        in_flight: f64,
        rps: f64,
    ) -> u32 {
        let dt = (at_s * S - self.obs.now.0) as f64;
        let o = &mut self.obs;
        o.now = SimTime(at_s * S);
        o.ready_area += f64::from(ready) * dt;
        o.busy_area += util * f64::from(ready) * dt;
        o.in_system_area += in_flight * dt;
        o.arrivals += (rps * dt / S as f64).round() as u64;
        o.in_system = in_flight.round() as u64;
        o.ready = ready;
        o.booting = booting;
        let d = a.decide(o);
        o.current = d.clamp(o.min, o.max);
        o.current
    }

    /// A utilization-only step with every replica ready.
    fn util(&mut self, a: &mut dyn Autoscaler, at_s: u64, util: f64) -> u32 {
        let ready = self.obs.current;
        self.step(a, at_s, ready, 0, util, 0.0, 0.0)
    }
}

#[test]
fn not_ready_pods_damp_a_scale_up_as_in_kubernetes() {
    // 4 ready at 90% of a 60% target: ratio 1.5 → ⌈1.5 × 4⌉ = 6 without booting pods.
    assert_eq!(pod_replicas(1.5, 1.5 * 4.0 / (4.0 + 0.0), 4, 0, 0.1, 4), 6);
    // With 2 more booting (counted at 0%): ratio 1.5 × 4/6 = 1.0, inside the tolerance → stay.
    assert_eq!(pod_replicas(1.5, 1.5 * 4.0 / (4.0 + 2.0), 4, 2, 0.1, 6), 6);
    // 4 ready at ratio 3 with 2 booting: 3 × 4/6 = 2.0 → ⌈2.0 × 6⌉ = 12.
    assert_eq!(pod_replicas(3.0, 3.0 * 4.0 / (4.0 + 2.0), 4, 2, 0.1, 6), 12);
    // A scale-down ignores the booting pods: ratio 0.5 over 4 ready → 2.
    assert_eq!(pod_replicas(0.5, 0.5 * 4.0 / (4.0 + 2.0), 4, 2, 0.1, 6), 2);
    // Ratios exact on paper: (0.1 / 0.6) × 18 is 3.0000000000000004 in binary; the answer is 3.
    assert_eq!(pod_replicas(0.1 / 0.6, 0.1 / 0.6 * 18.0 / (18.0 + 0.0), 18, 0, 0.1, 18), 3);
    // 66% over 60% is on the band's edge (1.1): no change.
    assert_eq!(pod_replicas(0.66 / 0.6, 0.66 / 0.6 * 10.0 / (10.0 + 0.0), 10, 0, 0.1, 10), 10);
}

#[test]
fn hpa_changes_nothing_inside_the_tolerance_band() {
    let mut hpa = Hpa::new(hpa_spec(HpaMetric::Utilization { percent: 60 }));
    let mut st = Stepper::new(10, 1, 50);
    st.util(&mut hpa, 15, 0.60); // the first sync has no previous sample: no metric, no change
    // 65% / 60% = 1.083: |1 − 1.083| ≤ 0.1 → stay at 10.
    assert_eq!(st.util(&mut hpa, 30, 0.65), 10);
    // 54% / 60% = 0.9 exactly on the band's edge → stay.
    assert_eq!(st.util(&mut hpa, 45, 0.54), 10);
    // 66% / 60% = 1.1 → still inside.
    assert_eq!(st.util(&mut hpa, 60, 0.66), 10);
    // 67% / 60% = 1.1167 → outside: ⌈1.1167 × 10⌉ = 12, within max(10 + 4, 2 × 10).
    assert_eq!(st.util(&mut hpa, 75, 0.67), 12);
}

#[test]
fn hpa_utilization_is_truncated_to_whole_percent() {
    let mut hpa = Hpa::new(hpa_spec(HpaMetric::Utilization { percent: 60 }));
    let mut st = Stepper::new(10, 1, 50);
    st.util(&mut hpa, 15, 0.6);
    // 66.9% reads as 66% (Kubernetes truncates): 66/60 = 1.1 → inside the band.
    assert_eq!(st.util(&mut hpa, 30, 0.669), 10);
}

#[test]
fn hpa_short_dip_does_not_scale_down_within_the_stabilization_window() {
    let mut hpa = Hpa::new(hpa_spec(HpaMetric::Utilization { percent: 60 }));
    let mut st = Stepper::new(10, 2, 50);
    // Steady at target: recommendations of 10 at t = 15 … 120.
    for t in (15..=120).step_by(15) {
        assert_eq!(st.util(&mut hpa, t, 0.60), 10);
    }
    // A 2-minute dip to 30%: each sync recommends ⌈0.5 × 10⌉ = 5, but the window (300 s) still
    // holds recommendations of 10, and the highest wins → stay at 10.
    for t in (135..=240).step_by(15) {
        assert_eq!(st.util(&mut hpa, t, 0.30), 10, "at t = {t}");
    }
    // Load back at target: 10.
    for t in (255..=300).step_by(15) {
        assert_eq!(st.util(&mut hpa, t, 0.60), 10);
    }
    // A long dip from t = 315: the last recommendation of 10 was made at t = 300; it leaves the
    // window once now − 300 s ≥ 300, i.e. at t = 600. Until then: 10. At 600: 5 (the
    // scale-down policy, 100% per 15 s, allows it all at once).
    for t in (315..=585).step_by(15) {
        assert_eq!(st.util(&mut hpa, t, 0.30), 10, "at t = {t}");
    }
    assert_eq!(st.util(&mut hpa, 600, 0.30), 5);
}

#[test]
fn hpa_load_step_scales_up_no_faster_than_the_default_policies_and_settles() {
    // Target 10 requests/s per replica; the load steps from 20/s to 400/s: the ideal count is 40.
    let mut hpa = Hpa::new(hpa_spec(HpaMetric::Rps { per_replica: 10.0 }));
    let mut st = Stepper::new(2, 1, 100);
    let mut rps_step = |st: &mut Stepper, t: u64, rps: f64| {
        let ready = st.obs.current; // new replicas boot within one sync period
        st.step(&mut hpa, t, ready, 0, 0.5, 0.0, rps)
    };
    assert_eq!(rps_step(&mut st, 15, 20.0), 2); // first sync: no previous sample
    assert_eq!(rps_step(&mut st, 30, 20.0), 2); // 20/2 = 10 per replica: on target
    // Step: 400/2 = 200 per replica, ratio 20 → wants ⌈20 × 2⌉ = 40. Policies from 2 replicas:
    // max(2 + 4, 2 × 2) = 6.
    assert_eq!(rps_step(&mut st, 45, 400.0), 6);
    // 400/6 per replica → wants 40; the last scale event is 15 s old, outside the 15 s period:
    // max(6 + 4, 12) = 12.
    assert_eq!(rps_step(&mut st, 60, 400.0), 12);
    // max(12 + 4, 24) = 24.
    assert_eq!(rps_step(&mut st, 75, 400.0), 24);
    // max(28, 48) = 48 ≥ 40 → 40.
    assert_eq!(rps_step(&mut st, 90, 400.0), 40);
    // 400/40 = 10 per replica: ratio 1, inside the band; it stays at the ideal count.
    for t in (105..=300).step_by(15) {
        assert_eq!(rps_step(&mut st, t, 400.0), 40);
    }
}

#[test]
fn hpa_custom_policy_and_period_window() {
    // One pod per 60 s.
    let mut spec = hpa_spec(HpaMetric::Rps { per_replica: 10.0 });
    spec.scale_up.policies = vec![ScalingPolicy { change: PolicyChange::Pods(1), period: Duration::from_secs(60) }];
    let mut hpa = Hpa::new(spec);
    let mut st = Stepper::new(2, 1, 100);
    let mut go = |st: &mut Stepper, t: u64| {
        let ready = st.obs.current;
        st.step(&mut hpa, t, ready, 0, 0.5, 0.0, 200.0)
    };
    go(&mut st, 15); // no sample yet
    assert_eq!(go(&mut st, 30), 3); // +1
    // The +1 at t = 30 stays in the 60 s period until t = 90 (strictly after now − 60 s).
    assert_eq!(go(&mut st, 45), 3);
    assert_eq!(go(&mut st, 60), 3);
    assert_eq!(go(&mut st, 75), 3);
    assert_eq!(go(&mut st, 90), 4);
}

#[test]
fn hpa_scale_down_disabled_and_up_stabilization() {
    let mut spec = hpa_spec(HpaMetric::Utilization { percent: 50 });
    spec.scale_down.select = SelectPolicy::Disabled;
    spec.scale_up.stabilization = Duration::from_secs(30);
    let mut hpa = Hpa::new(spec);
    let mut st = Stepper::new(4, 1, 100);
    st.util(&mut hpa, 15, 0.5); // first sync; records 4 at t = 15
    st.util(&mut hpa, 30, 0.5); // recommendation 4 at t = 30
    // 100% busy: wants ⌈2 × 4⌉ = 8, but the up window (30 s) holds 4 at t = 30 → min is 4.
    assert_eq!(st.util(&mut hpa, 45, 1.0), 4);
    // At 60: the window (30, 60] holds 8 (t = 45) and now 8 → 8.
    assert_eq!(st.util(&mut hpa, 60, 1.0), 8);
    // Scale-down disabled: idle for 10 minutes changes nothing.
    for t in (75..=675).step_by(15) {
        assert_eq!(st.util(&mut hpa, t, 0.0), 8);
    }
}

#[test]
fn hpa_respects_min_and_max() {
    let mut hpa = Hpa::new(hpa_spec(HpaMetric::Utilization { percent: 50 }));
    let mut st = Stepper::new(4, 3, 6);
    st.util(&mut hpa, 15, 0.5);
    assert_eq!(st.util(&mut hpa, 30, 1.0), 6); // wants 8, max 6
    // Current below a raised minimum: straight to it.
    st.obs.min = 7;
    st.obs.max = 9;
    assert_eq!(st.util(&mut hpa, 45, 0.5), 7);
}

fn queue_spec() -> QueueSpec {
    QueueSpec {
        activation: 0.0,
        polling: Duration::from_secs(30),
        cooldown: Duration::from_secs(300),
        hpa: hpa_spec(HpaMetric::QueueLength { per_replica: 5.0, signal: LoadSignal::InSystem }),
    }
}

#[test]
fn keda_activates_from_zero_then_the_hpa_follows_the_queue() {
    let mut k = Keda::new(queue_spec());
    let mut st = Stepper::new(0, 0, 20);
    let mut q = |st: &mut Stepper, t: u64, len: f64| st.step(&mut k, t, st.obs.current, 0, 0.0, len, 0.0);
    assert_eq!(q(&mut st, 15, 0.0), 0); // HPA off at zero
    assert_eq!(q(&mut st, 30, 0.0), 0); // poll: inactive, already at zero
    // 12 waiting at the poll at 60 → active → 1; the HPA syncs at the same instant with 1
    // replica: 12/(5 × 1) = 2.4 → ⌈12/5⌉ = 3 (within max(1 + 4, 2)).
    q(&mut st, 45, 0.0);
    assert_eq!(q(&mut st, 60, 12.0), 3);
    // Queue 40 → ⌈40/5⌉ = 8, limit max(3 + 4, 6) = 7.
    assert_eq!(q(&mut st, 75, 40.0), 7);
    assert_eq!(q(&mut st, 90, 40.0), 8);
    // Queue at 41: 41/(5 × 8) = 1.025 → inside the tolerance → 8.
    assert_eq!(q(&mut st, 105, 41.0), 8);
}

#[test]
fn keda_on_waiting_requests_counts_what_runs_as_served() {
    // An LLM fleet's queue: in the system minus running. 10 in the system with 10 running (at
    // the replica's max_num_seqs) is no queue at all; 22 with 10 running is 12 waiting.
    let mut spec = queue_spec();
    spec.hpa.metric = HpaMetric::QueueLength { per_replica: 5.0, signal: LoadSignal::Waiting };
    let mut k = Keda::new(spec);
    let mut st = Stepper::new(1, 0, 20);
    let mut q = |st: &mut Stepper, t: u64, in_system: u64, running: u64| {
        st.obs.running = running;
        st.obs.running_area += running as f64 * 15.0 * S as f64;
        st.step(&mut k, t, st.obs.current, 0, 0.0, in_system as f64, 0.0)
    };
    // 0 waiting: ⌈0/5⌉ = 0 proposed, the HPA's floor of 1 keeps it.
    assert_eq!(q(&mut st, 15, 10, 10), 1);
    assert_eq!(st.obs.level(LoadSignal::Waiting), 0.0);
    assert_eq!(st.obs.level(LoadSignal::InSystem), 10.0);
    // 12 waiting: ⌈12/5⌉ = 3 at the sync of 30 s (and the poll: active).
    assert_eq!(q(&mut st, 30, 22, 10), 3);
    assert_eq!(st.obs.area(LoadSignal::Waiting), (10.0 * 15.0 + 22.0 * 15.0 - 20.0 * 15.0) * S as f64);
}

#[test]
fn keda_scales_to_zero_after_cooldown_since_the_last_active_poll() {
    let mut spec = queue_spec();
    spec.cooldown = Duration::from_secs(60);
    spec.hpa.scale_down.stabilization = Duration::ZERO;
    let mut k = Keda::new(spec);
    let mut st = Stepper::new(1, 0, 20);
    let mut q = |st: &mut Stepper, t: u64, len: f64| st.step(&mut k, t, st.obs.current, 0, 0.0, len, 0.0);
    q(&mut st, 15, 3.0);
    assert_eq!(q(&mut st, 30, 3.0), 1); // active poll at 30
    // Empty from 45: the HPA's minimum is 1; KEDA polls at 60 and 90 (inactive) but the last
    // active poll (30) is not more than 60 s ago until after 90; the poll at 120 scales to 0.
    for t in (45..=105).step_by(15) {
        assert_eq!(q(&mut st, t, 0.0), 1, "at t = {t}");
    }
    assert_eq!(q(&mut st, 120, 0.0), 0);
    // One request, below an activation of 0? No: 1 > 0 is active → back to 1 at the next poll.
    assert_eq!(q(&mut st, 135, 1.0), 0); // HPA sync only: off at zero
    assert_eq!(q(&mut st, 150, 1.0), 1);
}

#[test]
fn keda_activation_threshold_keeps_a_small_queue_at_zero() {
    let mut spec = queue_spec();
    spec.activation = 5.0;
    let mut k = Keda::new(spec);
    let mut st = Stepper::new(0, 0, 20);
    let mut q = |st: &mut Stepper, t: u64, len: f64| st.step(&mut k, t, st.obs.current, 0, 0.0, len, 0.0);
    q(&mut st, 15, 5.0);
    assert_eq!(q(&mut st, 30, 5.0), 0); // 5 is not above 5
    q(&mut st, 45, 6.0);
    assert_eq!(q(&mut st, 60, 6.0), 2); // active → 1, then the HPA: ⌈6/5⌉ = 2
}

fn kpa_spec() -> KpaSpec {
    KpaSpec {
        signal: LoadSignal::InSystem,
        target_concurrency: 10.0,
        target_utilization: 1.0,
        stable_window: Duration::from_secs(60),
        panic_window: Duration::from_secs(6),
        panic_threshold: 2.0,
        max_scale_up_rate: 1000.0,
        max_scale_down_rate: 2.0,
        scale_to_zero_grace: Duration::from_secs(30),
        tick: Duration::from_secs(2),
    }
}

#[test]
fn kpa_stable_mode_follows_the_sixty_second_average() {
    let mut k = Kpa::new(kpa_spec());
    let mut st = Stepper::new(2, 0, 100);
    let mut c = |st: &mut Stepper, t: u64, conc: f64| {
        let ready = st.obs.current;
        st.step(&mut k, t, ready, 0, 0.0, conc, 0.0)
    };
    // Concurrency 20 for a minute: ⌈20/10⌉ = 2 replicas.
    for t in (2..=60).step_by(2) {
        assert_eq!(c(&mut st, t, 20.0), 2);
    }
    // Concurrency 30 from t = 60: the panic window (6 s) sees 30 → ⌈3⌉ = 3, 3/2 < 2: no panic.
    // The stable average rises slowly: at t = 62 it is (58 × 20 + 2 × 30)/60 = 20.33 → 3.
    assert_eq!(c(&mut st, 62, 30.0), 3);
}

#[test]
fn kpa_panics_on_a_burst_and_does_not_scale_down_while_panicking() {
    let mut k = Kpa::new(kpa_spec());
    let mut st = Stepper::new(2, 0, 1000);
    let mut c = |st: &mut Stepper, t: u64, conc: f64| {
        let ready = st.obs.current;
        st.step(&mut k, t, ready, 0, 0.0, conc, 0.0)
    };
    for t in (2..=60).step_by(2) {
        c(&mut st, t, 20.0);
    }
    // Burst to 100 from t = 60. At 62 the panic window (56, 62] averages (4 × 20 + 2 × 100)/6
    // = 46.67 → ⌈4.67⌉ = 5; 5/2 = 2.5 ≥ 2 → panic; desired = max(stable ⌈20.67/10⌉ = 3, 5) = 5.
    assert_eq!(c(&mut st, 62, 100.0), 5);
    // At 64: panic window (58, 64] = (2 × 20 + 4 × 100)/6 = 73.3 → 8; 8/5 ≥ 2? 1.6, no, but
    // the panic lasts until a stable window passes without crossing: desired = max(8, 5) = 8.
    assert_eq!(c(&mut st, 64, 100.0), 8);
    assert_eq!(c(&mut st, 66, 100.0), 10); // 100/10 = 10
    // The burst ends: the panic window falls to 0, but in panic the count never goes down.
    for t in (68..=120).step_by(2) {
        assert_eq!(c(&mut st, t, 0.0), 10, "at t = {t}");
    }
    // The last crossing was at t = 62: panic ends once 62 + 60 < now, at t = 124; then the
    // stable average over (64, 124] = (2 × 100)/60 = 3.33 → 4, floored by ⌊10/2⌋ = 5 → 5.
    assert_eq!(c(&mut st, 122, 0.0), 10);
    assert_eq!(c(&mut st, 124, 0.0), 5);
}

#[test]
fn kpa_scales_to_zero_after_the_grace_period_and_wakes_on_a_request() {
    let mut k = Kpa::new(kpa_spec());
    let mut st = Stepper::new(1, 0, 10);
    let mut c = |st: &mut Stepper, t: u64, conc: f64| {
        let ready = st.obs.current;
        st.step(&mut k, t, ready, 0, 0.0, conc, 0.0)
    };
    for t in (2..=10).step_by(2) {
        c(&mut st, t, 1.0);
    }
    // Idle from t = 10: the stable window holds some load until (10 + 60) = 70; the first tick
    // with a 60 s average of 0 is t = 70, when the grace (30 s) starts; one replica stays
    // until t = 100.
    for t in (12..=98).step_by(2) {
        assert_eq!(c(&mut st, t, 0.0), 1, "at t = {t}");
    }
    assert_eq!(c(&mut st, 100, 0.0), 0);
    assert_eq!(c(&mut st, 102, 0.0), 0);
    // A request reaches the revision at zero: the activator asks for one replica at once.
    let obs = st.obs;
    assert_eq!(k.on_request_at_zero(&obs), Some(1));
}

#[test]
fn schedule_daily_windows_and_absolute_spans() {
    // Time 0 = Monday 2024-01-01 00:00 UTC.
    let start: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
    let h = |x: u64| SimTime(x * 3600 * S);
    let entries = vec![
        ScheduleEntry { window: ScheduleWindow::Daily { from_s: 8 * 3600, to_s: 20 * 3600, days: 0b001_1111 }, min: 6 },
        ScheduleEntry { window: ScheduleWindow::Daily { from_s: 22 * 3600, to_s: 2 * 3600, days: 0x7f }, min: 2 },
        ScheduleEntry {
            window: ScheduleWindow::Between {
                from: Duration::from_secs(30 * 3600),
                to: Duration::from_secs(31 * 3600),
            },
            min: 9,
        },
    ];
    let s = Schedule::new(entries, start);
    assert_eq!(s.floor(h(7)), 0);
    assert_eq!(s.floor(h(8)), 6); // opens at 08:00 on Monday
    assert_eq!(s.floor(h(20)), 0); // closes at 20:00
    assert_eq!(s.floor(h(23)), 2); // past midnight window
    assert_eq!(s.floor(h(25)), 2); // Tuesday 01:00, opened Monday 22:00
    assert_eq!(s.floor(h(26)), 0);
    assert_eq!(s.floor(h(30)), 9); // Tuesday 06:00: the absolute span
    assert_eq!(s.floor(h(5 * 24 + 9)), 0); // Saturday 09:00: weekdays only
    assert_eq!(s.next_change(h(7)), Some(h(8)));
    assert_eq!(s.next_change(h(8)), Some(h(20)));
    assert_eq!(s.next_change(h(27)), Some(h(30)));
    // A start in the middle of a Wednesday afternoon shifts the clock.
    let s2 = Schedule::new(
        vec![ScheduleEntry {
            window: ScheduleWindow::Daily { from_s: 8 * 3600, to_s: 20 * 3600, days: 0b100 },
            min: 3,
        }],
        "2024-01-03T15:00:00Z".parse().unwrap(),
    );
    assert_eq!(s2.floor(SimTime(0)), 3); // Wednesday 15:00
    assert_eq!(s2.floor(h(5)), 0); // Wednesday 20:00
    assert_eq!(s2.floor(h(18)), 0); // Thursday 09:00
}

#[test]
fn times_of_day_parse_and_reject() {
    assert_eq!(parse_time_of_day("08:00"), Ok(8 * 3600));
    assert_eq!(parse_time_of_day("17:30:15"), Ok(17 * 3600 + 30 * 60 + 15));
    assert_eq!(parse_time_of_day("24:00"), Ok(0));
    for bad in ["8", "25:00", "08:60", "aa:bb", "24:01", "1:2:3:4"] {
        assert!(parse_time_of_day(bad).is_err(), "{bad}");
    }
}

#[test]
fn hpa_truncates_utilization_again_over_not_ready_pods() {
    // 2 ready at 91% and 1 booting, target 20%. Kubernetes: 91/20 = 4.55 > 1 with a not-ready
    // pod, so it spreads the usage over 3 pods: ⌊182/3⌋ = 60% → 60/20 = 3.0 → ⌈3.0 × 3⌉ = 9
    // (not ⌈4.55 × 2/3 × 3⌉ = 10).
    let mut spec = hpa_spec(HpaMetric::Utilization { percent: 20 });
    spec.scale_up.policies = vec![ScalingPolicy { change: PolicyChange::Pods(100), period: Duration::from_secs(15) }];
    let mut hpa = Hpa::new(spec);
    let mut st = Stepper::new(3, 1, 50);
    st.step(&mut hpa, 15, 2, 1, 0.91, 0.0, 0.0);
    assert_eq!(st.step(&mut hpa, 30, 2, 1, 0.91, 0.0, 0.0), 9);
}

#[test]
fn kpa_windows_restart_when_load_resumes_after_a_quiet_stable_window() {
    let mut k = Kpa::new(kpa_spec());
    let mut st = Stepper::new(1, 0, 100);
    let mut c = |st: &mut Stepper, t: u64, conc: f64| {
        let ready = st.obs.current;
        st.step(&mut k, t, ready, 0, 0.0, conc, 0.0)
    };
    c(&mut st, 2, 5.0);
    for t in (4..=200).step_by(2) {
        c(&mut st, t, 0.0);
    }
    assert_eq!(st.obs.current, 0);
    // Load of 30 over (200, 202]: the windows restart at 200, so both average 30 → ⌈30/10⌉ = 3
    // (over a full 60 s window it would be 1).
    assert_eq!(c(&mut st, 202, 30.0), 3);
}
