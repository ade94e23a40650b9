//! The life-cycle by hand: a small workload ([`Probe`]) that does nothing but what the fleet
//! asks, run by the engine's loop.

use super::*;
use crate::engine::rng;
use crate::engine::{AfterHorizon, Duration, LimitReached, Model, Sim, Simulation};
use crate::scenario::ZoneStrategy;
use crate::trace::spot::StepSeries;

const SEED: u64 = 42;

fn secs(s: u64) -> SimTime {
    SimTime::ZERO.after(Duration::from_secs(s))
}

fn mins(m: u64) -> SimTime {
    secs(60 * m)
}

/// A pool's terms: on demand at $3/h, one instance per launch, no boot, nothing else.
fn terms(name: &str, market: Market) -> PoolTerms {
    PoolTerms {
        name: name.into(),
        instance: "t".into(),
        market,
        gang: 1,
        target: 0,
        zones: if market == Market::Spot { vec!["z".into()] } else { Vec::new() },
        zone_strategy: ZoneStrategy::LowestPrice,
        price_per_hour: 3.0,
        on_demand_price: 3.0,
        spot_price: Some(1.2),
        max_price: None,
        interruptions_per_hour: 0.0,
        notice: Duration::from_secs(120),
        boot: Duration::ZERO,
        max_lifetime: None,
        ondemand_fallback: false,
        draws: Draws::PerLaunch { family: format!("interruptions/{name}") },
    }
}

/// Billing by the second, a one-minute minimum; a 2 h horizon; hazard as given.
fn settings(hazard: Option<HazardShape>) -> Settings {
    let billing = Billing { granularity: Duration::from_secs(1), minimum: Duration::from_secs(60) };
    Settings { seed: SEED, horizon: mins(120), billing, hazard }
}

fn fleet(pools: Vec<PoolTerms>, market: &MarketData, hazard: Option<HazardShape>) -> Fleet {
    Fleet::new(pools, market, settings(hazard))
}

/// A workload that only carries out what the fleet schedules, and logs it.
struct Probe {
    sim: Sim<FleetEvent>,
    fleet: Fleet,
    /// Called at time 0.
    at_start: fn(&mut Probe),
    log: Vec<(SimTime, FleetEvent)>,
}

impl Probe {
    fn new(fleet: Fleet, at_start: fn(&mut Probe)) -> Probe {
        Probe { sim: Sim::new(mins(120), 1_000), fleet, at_start, log: Vec::new() }
    }

    /// Launches what pool `p` needs, ready at once or not.
    fn replenish(&mut self, p: usize, ready_now: bool) {
        let now = self.sim.now();
        while let Some(l) = self.fleet.replacement(p, now) {
            let (id, ready) = self.fleet.launch(&mut self.sim, now, l, ready_now);
            if ready {
                self.fleet.set_ready(id);
            }
        }
    }

    fn run(mut self) -> Probe {
        Simulation { max_events: 1_000, progress: &mut |_| {} }.run(&mut self).unwrap();
        self
    }
}

impl Model for Probe {
    type Event = FleetEvent;
    type Error = String;
    const AFTER_HORIZON: AfterHorizon = AfterHorizon::Stop;

    fn sim(&mut self) -> &mut Sim<FleetEvent> {
        &mut self.sim
    }

    fn start(&mut self) -> Result<(), String> {
        (self.at_start)(self);
        self.fleet.schedule_zone_changes(&mut self.sim);
        Ok(())
    }

    fn handle(&mut self, now: SimTime, event: FleetEvent) -> Result<(), String> {
        self.log.push((now, event));
        match event {
            FleetEvent::InstanceReady(id) => self.fleet.set_ready(id),
            FleetEvent::InterruptionNoticed(id) => self.fleet.notice(&mut self.sim, now, id),
            FleetEvent::InstanceStopped(id) => self.fleet.stop(&mut self.sim, now, id),
            FleetEvent::ZoneChanged(z) => {
                for id in self.fleet.reclaims(now, z) {
                    self.fleet.notice(&mut self.sim, now, id);
                }
                for p in self.fleet.pools_in_zone(z) {
                    self.replenish(p, false);
                }
                self.fleet.schedule_zone_change(&mut self.sim, now, z);
            }
        }
        Ok(())
    }

    fn limit_error(&self, reached: LimitReached) -> String {
        format!("{reached:?}")
    }
}

use FleetEvent::{InstanceReady, InstanceStopped, InterruptionNoticed, ZoneChanged};

#[test]
fn a_launch_boots_then_is_ready() {
    // Two instances with a 90 s boot: launched at 0, ready at 90 s; before that, booting.
    let pool = PoolTerms { boot: Duration::from_secs(90), target: 2, ..terms("a", Market::OnDemand) };
    let probe = Probe::new(fleet(vec![pool], &MarketData::default(), None), |p| {
        p.replenish(0, false);
        assert_eq!(p.fleet.n_ready(), 0);
        assert_eq!(p.fleet.pool(0).n_live, 2);
        assert_eq!(p.fleet.state(InstanceId(1)), InstanceState::Booting);
    })
    .run();
    assert_eq!(probe.log, [(secs(90), InstanceReady(InstanceId(0))), (secs(90), InstanceReady(InstanceId(1)))]);
    assert_eq!((probe.fleet.n_ready(), probe.fleet.pool(0).n_ready), (2, 2));
    // Launched ready (the initial fleet): no event at all.
    let pool = PoolTerms { boot: Duration::from_secs(90), target: 2, ..terms("a", Market::OnDemand) };
    let probe = Probe::new(fleet(vec![pool], &MarketData::default(), None), |p| p.replenish(0, true)).run();
    assert!(probe.log.is_empty());
    assert_eq!(probe.fleet.n_ready(), 2);
}

#[test]
fn a_notice_stops_the_instance_after_the_notice() {
    // Spot with a 30 min lifetime and a 2 min notice: noticed at 30 min, stopped at 32 min.
    let pool = PoolTerms { max_lifetime: Some(Duration::from_secs(1_800)), target: 1, ..terms("a", Market::Spot) };
    let probe = Probe::new(fleet(vec![pool], &MarketData::default(), None), |p| p.replenish(0, true)).run();
    let id = InstanceId(0);
    assert_eq!(probe.log, [(mins(30), InterruptionNoticed(id)), (mins(32), InstanceStopped(id))]);
    let f = &probe.fleet;
    assert_eq!(f.instance(id).stopped, Some(mins(32)));
    assert_eq!((f.n_interruptions(), f.pool(0).n_interruptions), (1, 1));
    assert_eq!((f.pool(0).n_live, f.pool(0).n_live_spot, f.n_ready()), (0, 0, 0));
    // 32 min of spot at $1.2/h = $0.64, in zone z.
    let bill = f.bill(id, mins(120));
    assert_eq!(bill.billed, Duration::from_secs(32 * 60));
    assert!((bill.cost_usd - 0.64).abs() < 1e-12, "{}", bill.cost_usd);
    assert_eq!(bill.zone.as_deref(), Some("z"));
}

#[test]
fn a_stopped_instance_is_billed_from_launch_to_stop_rounded_up() {
    let on_demand = terms("od", Market::OnDemand);
    let reserved = PoolTerms { price_per_hour: 2.0, ..terms("r", Market::Reserved) };
    let gang = PoolTerms { gang: 4, ..terms("g", Market::OnDemand) };
    let mut f = fleet(vec![on_demand, reserved, gang], &MarketData::default(), None);
    let mut sim: Sim<FleetEvent> = Sim::new(mins(120), 100);
    let launch = |pool, market| Launch { pool, market, zone: None, stand_in: false };
    let (a, _) = f.launch(&mut sim, SimTime::ZERO, launch(0, Market::OnDemand), true);
    let (b, _) = f.launch(&mut sim, SimTime::ZERO, launch(0, Market::OnDemand), true);
    let (r, _) = f.launch(&mut sim, SimTime::ZERO, launch(1, Market::Reserved), true);
    let (g, _) = f.launch(&mut sim, mins(10), launch(2, Market::OnDemand), true);
    f.stop(&mut sim, secs(30), a);
    f.stop(&mut sim, SimTime(90_200_000_000), b);
    f.stop(&mut sim, mins(60), r);
    f.stop(&mut sim, mins(40), g);
    let bills = f.bills(mins(120));
    // 30 s: the 60 s minimum at $3/h = $0.05. 90.2 s → 91 s = $0.075833…
    assert_eq!(bills[0].billed, Duration::from_secs(60));
    assert!((bills[0].cost_usd - 0.05).abs() < 1e-12);
    assert_eq!(bills[1].billed, Duration::from_secs(91));
    assert!((bills[1].cost_usd - 3.0 * 91.0 / 3_600.0).abs() < 1e-12);
    // Reserved: the whole 2 h horizon at $2/h = $4, though it stopped at 1 h.
    assert_eq!(bills[2].billed, Duration::from_secs(7_200));
    assert!((bills[2].cost_usd - 4.0).abs() < 1e-12);
    // A gang of 4 for 30 min at $3/h: 4 × $1.5 = $6.
    assert_eq!((bills[3].count, bills[3].launched, bills[3].stopped), (4, mins(10), mins(40)));
    assert!((bills[3].cost_usd - 6.0).abs() < 1e-12);
    // What had been spent by the end, before rounding: 30 s and 90.2 s at $3/h, 1 h reserved
    // at $2/h, 4 × 30 min at $3/h.
    let raw = 3.0 * (30.0 + 90.2) / 3_600.0 + 2.0 + 6.0;
    assert!((f.running_cost(mins(120)) - raw).abs() < 1e-9);
    assert_eq!(f.live().count(), 0);
}

/// The first `n` events of the hazard process on stream `index` of `family` from `from`.
fn hazard_events(family: &str, index: u64, from: SimTime, per_hour: f64, n: usize) -> Vec<SimTime> {
    let mut stream = rng::indexed_stream(SEED, family, index);
    let mut t = from;
    (0..n)
        .map_while(|_| {
            t = HazardShape::flat().next_event(per_hour, t, mins(120), &mut stream)?;
            Some(t)
        })
        .collect()
}

#[test]
fn per_launch_draws_are_the_pools_kth_stream_from_launch() {
    // Pool b's k-th spot launch is noticed at the first event of stream k of
    // `interruptions/b` after its launch, whatever pool a launches before it.
    let noticed = |with_a: bool| {
        let a = PoolTerms { interruptions_per_hour: 3.0, target: 2, ..terms("a", Market::Spot) };
        let b = PoolTerms { interruptions_per_hour: 3.0, target: 3, ..terms("b", Market::Spot) };
        let pools = if with_a { vec![b, a] } else { vec![b] };
        let probe = Probe::new(fleet(pools, &MarketData::default(), Some(HazardShape::flat())), |p| {
            if p.fleet.pools.len() == 2 {
                p.replenish(1, true);
            }
            p.replenish(0, true);
        })
        .run();
        let ids = |pool: usize| -> Vec<SimTime> {
            let f = &probe.fleet;
            let mut t: Vec<(InstanceId, SimTime)> = probe
                .log
                .iter()
                .filter_map(|&(t, e)| match e {
                    InterruptionNoticed(id) if f.instance(id).pool == pool => Some((id, t)),
                    _ => None,
                })
                .collect();
            t.sort();
            t.into_iter().map(|(_, t)| t).collect()
        };
        ids(0)
    };
    let expected: Vec<SimTime> =
        (0..3).filter_map(|k| hazard_events("interruptions/b", k, SimTime::ZERO, 3.0, 1).first().copied()).collect();
    assert!(!expected.is_empty());
    assert_eq!(noticed(false), expected);
    assert_eq!(noticed(true), expected);
}

#[test]
fn a_gang_takes_each_members_first_event_after_its_launch() {
    // A gang of 3 in zone z at 2 interruptions per instance-hour: member j follows stream j of
    // `job-interruptions/z` over the whole run; a launch at t is noticed at the earliest of the
    // members' first events after t.
    let gang = PoolTerms {
        gang: 3,
        interruptions_per_hour: 2.0,
        draws: Draws::PerMember { prefix: "job-interruptions".into() },
        ..terms("job", Market::Spot)
    };
    let mut f = fleet(vec![gang], &MarketData::default(), Some(HazardShape::flat()));
    let events: Vec<Vec<SimTime>> =
        (0..3).map(|j| hazard_events("job-interruptions/z", j, SimTime::ZERO, 2.0, 500)).collect();
    let first_after = |t: SimTime| events.iter().filter_map(|e| e.iter().copied().find(|&x| x > t)).min();
    let mut sim: Sim<FleetEvent> = Sim::new(mins(120), 100);
    let spot =
        |f: &Fleet| Launch { pool: 0, market: Market::Spot, zone: f.pick_zone(0, SimTime::ZERO), stand_in: false };
    let l = spot(&f);
    assert_eq!(f.draw_notice(0, l.zone.unwrap().zone, SimTime::ZERO), first_after(SimTime::ZERO));
    // Relaunched at 47 min: the events before it are skipped, not redrawn.
    assert_eq!(f.draw_notice(0, l.zone.unwrap().zone, mins(47)), first_after(mins(47)).filter(|&t| t < mins(120)));
    // The same through a launch, and once more for the same seed: deterministic.
    let mut g = fleet(vec![f.pools[0].terms.clone()], &MarketData::default(), Some(HazardShape::flat()));
    let l = spot(&g);
    g.launch(&mut sim, SimTime::ZERO, l, true);
    assert_eq!(g.zones[0].members.len(), 3);
    assert_eq!(g.zones[0].members.iter().map(|m| m.0).min(), first_after(SimTime::ZERO));
    assert_eq!((g.zones[0].n_running, g.pool(0).n_live_spot), (3, 1));
}

/// Zone z's availability: `points` (minutes, instances).
fn availability(points: &[(u64, f64)]) -> MarketData {
    let series = StepSeries::new(points.iter().map(|&(m, v)| (mins(m), v)).collect());
    let mut market = MarketData::default();
    market.availability.insert(("z".into(), String::new()), series);
    market
}

#[test]
fn stand_ins_cover_spot_until_it_is_obtainable_and_then_go_newest_first() {
    // Target 2; no spot until 60 min, then 2. Two stand-ins at 0; at 60 min two spot launches
    // (booting 5 min); at 65 min, ready: the newest stand-in (1) is surplus, then the other.
    let pool =
        PoolTerms { target: 2, ondemand_fallback: true, boot: Duration::from_secs(300), ..terms("a", Market::Spot) };
    let mut probe = Probe::new(fleet(vec![pool], &availability(&[(0, 0.0), (60, 2.0)]), None), |p| {
        p.replenish(0, true);
        assert_eq!(p.fleet.pool(0).stand_ins, [InstanceId(0), InstanceId(1)]);
        assert_eq!(p.fleet.surplus_stand_in(0), None);
    })
    .run();
    assert_eq!(
        probe.log,
        [
            (mins(60), ZoneChanged(ZoneId(0))),
            (mins(65), InstanceReady(InstanceId(2))),
            (mins(65), InstanceReady(InstanceId(3)))
        ]
    );
    let f = &mut probe.fleet;
    assert_eq!((f.pool(0).n_ready_spot, f.pool(0).n_live), (2, 4));
    assert_eq!(f.surplus_stand_in(0), Some(InstanceId(1)));
    f.release(&mut probe.sim, InstanceId(1), false);
    assert_eq!(f.surplus_stand_in(0), Some(InstanceId(0)));
    f.release(&mut probe.sim, InstanceId(0), false);
    assert_eq!(f.surplus_stand_in(0), None);
    assert_eq!((f.pool(0).n_live, f.pool(0).n_retired), (2, 0));
    assert_eq!(f.state(InstanceId(0)), InstanceState::Releasing);
}

#[test]
fn scale_down_lets_spot_go_before_stand_ins_newest_first() {
    // Spot capacity for 2: a target of 4 launches spot 0, 1 and stand-ins 2, 3. Down to 1: spot
    // 1, spot 0, then stand-in 3.
    let pool = PoolTerms { target: 4, ondemand_fallback: true, ..terms("a", Market::Spot) };
    let mut f = fleet(vec![pool], &availability(&[(0, 2.0)]), None);
    let mut sim: Sim<FleetEvent> = Sim::new(mins(120), 100);
    while let Some(l) = f.replacement(0, SimTime::ZERO) {
        f.launch(&mut sim, SimTime::ZERO, l, true);
    }
    let markets: Vec<bool> = f.instances().iter().map(|i| i.stand_in).collect();
    assert_eq!(markets, [false, false, true, true]);
    f.set_target(0, 1);
    assert_eq!(f.surplus(0), [InstanceId(1), InstanceId(0), InstanceId(3)]);
    for id in f.surplus(0) {
        f.release(&mut sim, id, true);
    }
    assert_eq!((f.pool(0).n_live, f.pool(0).n_retired, f.n_target()), (1, 3, 1));
    assert_eq!(f.pool(0).stand_ins, [InstanceId(2)]);
}

#[test]
fn a_market_change_reclaims_the_newest_beyond_capacity_then_the_priced_out() {
    // Three spot instances in z; at 30 min the zone holds 1: instances 2 and 1 are reclaimed.
    let pool = PoolTerms { target: 3, ..terms("a", Market::Spot) };
    let mut probe =
        Probe::new(fleet(vec![pool], &availability(&[(0, 3.0), (30, 1.0)]), None), |p| p.replenish(0, true));
    probe.sim = Sim::new(mins(31), 1_000);
    let probe = probe.run();
    // The probe notices them as it handles the change (stops at 32 min, past this run's end).
    assert_eq!(probe.log, [(mins(30), ZoneChanged(ZoneId(0)))]);
    assert_eq!(probe.fleet.state(InstanceId(0)), InstanceState::Ready);
    assert_eq!(probe.fleet.state(InstanceId(1)), InstanceState::Noticed);
    assert_eq!(probe.fleet.state(InstanceId(2)), InstanceState::Noticed);
    assert_eq!(probe.fleet.zones[0].n_running, 1);
    // A price over max_price reclaims the rest, oldest first.
    let pool = PoolTerms { target: 2, max_price: Some(1.0), ..terms("a", Market::Spot) };
    let mut market = MarketData::default();
    market.prices.insert(("z".into(), String::new()), StepSeries::new(vec![(mins(0), 0.9), (mins(10), 1.1)]));
    let mut f = fleet(vec![pool], &market, None);
    let mut sim: Sim<FleetEvent> = Sim::new(mins(120), 100);
    while let Some(l) = f.replacement(0, SimTime::ZERO) {
        f.launch(&mut sim, SimTime::ZERO, l, true);
    }
    assert_eq!(f.reclaims(mins(5), ZoneId(0)), []);
    assert_eq!(f.reclaims(mins(10), ZoneId(0)), [InstanceId(0), InstanceId(1)]);
    // …and nothing launches there while the price is over it.
    assert_eq!(f.pick_zone(0, mins(10)), None);
}
