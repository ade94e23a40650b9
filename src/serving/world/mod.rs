//! The serving world: requests, the steps replicas run on them, and the instances that serve.
//!
//! `mod.rs` handles requests (arrival, routing, queues, the executor's steps, completion);
//! the instances are a [`crate::fleet::Fleet`]'s: `instances.rs` drives it (launch, boot,
//! interruption notice, stop, stand-ins, pool targets, as they touch replicas), `fleet.rs` starts
//! it and keeps its time-weighted readiness counters;
//! `routing.rs` keeps per-replica routers on the ready replicas (the lobby, queues routed again);
//! `steps.rs` starts and ends the executor's steps; `disagg.rs` moves prefilled sequences to decode
//! replicas (disaggregated LLM fleets); `scaling.rs` the autoscaler; `report.rs` turns the state into the summary and time series. The
//! world is generic over its [`Executor`]: what a replica does with its queue.

mod disagg;
mod fleet;
mod instances;
mod queues;
mod report;
mod routing;
mod scaling;
mod steps;

use std::collections::VecDeque;

use rand::RngExt;

use super::arrivals::{ArrivalStream, RequestSource};
use super::executor::{DynamicBatcher, Executor, Item, LlmExecutor};
use super::router::RouterState;
use super::tokens::LengthTables;
use crate::engine::rng::{self, Source, Stream};
use crate::engine::sim::LimitWords;
use crate::engine::{ActionKey, AfterHorizon, Duration, LimitReached, Model, Sim, SimTime, Simulation};
use crate::fleet::instances::{PoolTerms, Settings};
use crate::fleet::market::MarketData;
use crate::fleet::{Fleet, FleetEvent, InstanceId};
use crate::metrics::LatencyStats;
use crate::metrics::timeseries::Row;
use crate::run::{Outcome, SimError};
use crate::scenario::{Scenario, Serving};
use crate::trace::requests::TraceRequest;

use fleet::ReadyStats;

/// What a run reads besides its scenario.
#[derive(Default)]
pub struct Inputs<'t> {
    /// The open request trace, when arrivals replay one.
    pub requests: Option<&'t mut dyn RequestSource>,
    /// Spot availability and price series.
    pub market: MarketData,
    /// Rows of the traces `workload.tokens` resamples (`trace::lengths::load`).
    pub lengths: LengthTables,
}

/// Events, named as facts.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The pending arrival happened.
    RequestArrived,
    /// A replica's step (a batch) ended (cancelled if its instance stopped first).
    StepEnded(u32),
    /// The time a queue's executor asked to be asked again at (the oldest request's `max_wait`).
    QueueWake(u32),
    /// A time-series interval ended.
    IntervalEnded,
    /// What the fleet scheduled: an instance ready, noticed or stopped; a zone's market changed.
    Fleet(FleetEvent),
    /// The autoscaler's next decision is due (on a side of the fleet: see `scaling.rs`).
    AutoscalerTick(u32),
    /// A schedule window opened or closed (for a side of the fleet).
    ScheduleChanged(u32),
    /// A queue's oldest request may have waited `max_queue_wait`.
    QueueWaitExpired(u32),
    /// A prefilled sequence's KV reached its decode replica (the transfer's slot).
    KvLanded(u32),
    /// Every transfer due at this instant has landed: decode replicas may plan.
    TransfersLanded,
}

struct RequestQueue<T> {
    items: VecDeque<T>,
    /// Time of the latest `QueueWake` scheduled for this queue.
    timer_at: Option<SimTime>,
    /// Time of the pending `QueueWaitExpired`, if any.
    expiry_at: Option<SimTime>,
}

impl<T> Default for RequestQueue<T> {
    fn default() -> Self {
        RequestQueue { items: VecDeque::new(), timer_at: None, expiry_at: None }
    }
}

/// What the world keeps for replica `r`, one of the replicas its instance hosts (`fleet.rs`).
struct Replica {
    /// The instance it runs on.
    instance: InstanceId,
    queue_idx: usize,
    /// Running a step of its executor.
    busy: bool,
    /// The pending end of the step.
    step_done: Option<ActionKey>,
    busy_ns: u64,
    /// A decode replica of a disaggregated fleet.
    decode: bool,
}

#[derive(Default)]
struct Interval {
    arrivals: u64,
    completions: u64,
    interruptions: u64,
}

/// The serving world, generic over its replicas' executor (static calls on the hot path).
struct World<'s, 't, E: Executor> {
    s: &'s Scenario,
    sv: &'s Serving,
    events: Sim<Event>,
    /// The periodic end of a time-series interval.
    interval_timer: Option<ActionKey>,
    arrivals: ArrivalStream<'t>,
    pending: Option<TraceRequest>,
    horizon: SimTime,
    warmup: SimTime,
    /// What replicas do with their queues.
    executor: E,
    /// Requests a step just completed or gave back (kept to reuse its allocation).
    scratch: Vec<E::Item>,
    cache_rng: Stream,
    queues: Vec<RequestQueue<E::Item>>,
    /// Queues that received arrivals at this instant, to dispatch after its last arrival
    /// ([`Executor::GROUPS_ARRIVALS`]).
    deferred: Vec<u32>,
    replicas: Vec<Replica>,
    /// Per instance (by index), its first replica; an instance of pool p hosts
    /// `replicas_per_instance[p]` consecutive replicas.
    first_replica: Vec<u32>,
    /// Per pool, the replicas one instance hosts (1 but for LLM pools with tensor parallelism).
    replicas_per_instance: Vec<u32>,
    /// The replicas every pool's instances host, when all host as many (then ready replicas are
    /// ready instances times it: the gauges' hot path).
    uniform_replicas: Option<u32>,
    idle: Vec<u32>,
    n_busy: u32,
    router: RouterState,
    /// The decode side of a disaggregated LLM fleet.
    disagg: Option<disagg::Disagg<E::Item>>,
    max_queued: usize,
    /// `limits.max_requests_in_memory`.
    max_held: u64,
    max_queue_wait: Option<Duration>,
    fleet: Fleet,
    ready_stats: ReadyStats,
    /// One per side of the fleet an autoscaler drives (none without an autoscaler).
    scaling: Vec<scaling::Scaling>,
    latency: LatencyStats,
    n_arrived: u64,
    n_completed: u64,
    n_cache_hits: u64,
    n_queued: usize,
    n_dropped: u64,
    n_dropped_measured: u64,
    n_dropped_at_limit: u64,
    /// Arrivals dropped because `limits.max_requests_in_memory` requests were held.
    n_dropped_at_memory: u64,
    n_timed_out: u64,
    /// Of the dropped, those the executor refused (an LLM request above `max_model_len`).
    n_rejected: u64,
    /// Output tokens the dropped requests had produced (LLM; for the audit).
    n_tokens_dropped: u64,
    n_retried: u64,
    /// Last completion, or drop after `max_queue_wait`: the run lasts at least until then.
    last_completion: SimTime,
    interval: Interval,
    rows: Vec<Row>,
    /// When the drain after the horizon reached the time-series row limit: later intervals fold
    /// into the last row.
    rows_capped_at: Option<SimTime>,
}

/// Runs the serving scenario `s`; `trace` is the open request trace when arrivals replay one.
pub fn simulate(s: &Scenario, trace: Option<&mut dyn RequestSource>) -> Result<Outcome, SimError> {
    simulate_with(s, Inputs { requests: trace, ..Inputs::default() }, &mut |_| {})
}

/// As [`simulate`], with market traces, calling `progress(now)` every million or so events so
/// that a caller can show how far through the horizon the run is. The callback does not change
/// the run.
pub fn simulate_with(s: &Scenario, inputs: Inputs<'_>, progress: &mut dyn FnMut(SimTime)) -> Result<Outcome, SimError> {
    let Some(sv) = s.serving() else {
        return Err(SimError::Limit(format!("scenario {:?} is a job scenario, not a serving one", s.name)));
    };
    if s.request_trace().is_some() && inputs.requests.is_none() {
        return Err(SimError::Limit(format!("scenario {:?} replays a request trace: open it and pass it in", s.name)));
    }
    if let Some(src) = sv.tokens.empirical_sources().into_iter().find(|src| inputs.lengths.get(src).is_none()) {
        let path = src.path.display();
        return Err(SimError::Limit(format!(
            "scenario {:?} resamples lengths from {path}: read it and pass it in",
            s.name
        )));
    }
    match sv.llm() {
        Some(llm) => run(World::new(s, sv, inputs, LlmExecutor::new(s, llm)), s, progress),
        None => run(World::new(s, sv, inputs, DynamicBatcher::new(s, sv)), s, progress),
    }
}

/// Runs `world` to its end.
fn run<E: Executor>(
    mut world: World<'_, '_, E>,
    s: &Scenario,
    progress: &mut dyn FnMut(SimTime),
) -> Result<Outcome, SimError> {
    Simulation { max_events: s.limits.max_events, progress }.run(&mut world)?;
    Ok(world.finish())
}

impl From<FleetEvent> for Event {
    fn from(e: FleetEvent) -> Event {
        Event::Fleet(e)
    }
}

impl<E: Executor> Model for World<'_, '_, E> {
    type Event = Event;
    type Error = SimError;
    const AFTER_HORIZON: AfterHorizon = AfterHorizon::Drain;

    fn sim(&mut self) -> &mut Sim<Event> {
        &mut self.events
    }

    fn start(&mut self) -> Result<(), SimError> {
        self.start_scaling();
        self.start_fleet();
        self.schedule_next_arrival()?;
        let first_tick = SimTime::ZERO.after(self.s.timeseries_interval);
        if first_tick <= self.horizon {
            self.interval_timer =
                Some(self.events.schedule_periodic(first_tick, self.s.timeseries_interval, Event::IntervalEnded));
        }
        Ok(())
    }

    #[inline]
    fn handle(&mut self, now: SimTime, event: Event) -> Result<(), SimError> {
        if !self.scaling.is_empty() {
            self.touch_gauges(now);
        }
        match event {
            Event::RequestArrived => self.on_arrival(now)?,
            Event::StepEnded(replica) => self.on_step_ended(now, replica as usize),
            Event::QueueWake(q) => self.on_queue_wake(now, q as usize),
            Event::IntervalEnded => self.on_interval_ended(now),
            Event::Fleet(e) => self.on_fleet_event(now, e),
            Event::AutoscalerTick(g) => self.on_autoscaler_tick(now, g as usize),
            Event::ScheduleChanged(g) => self.on_schedule_changed(now, g as usize),
            Event::QueueWaitExpired(q) => self.on_queue_wait_expired(now, q as usize),
            Event::KvLanded(slot) => self.on_kv_landed(now, slot),
            Event::TransfersLanded => self.on_transfers_landed(now),
        }
        Ok(())
    }

    /// A batch-inference queue is over when its last item is done.
    fn finished(&self) -> bool {
        self.batch_done()
    }

    #[cold]
    #[inline(never)]
    fn limit_error(&self, reached: LimitReached) -> SimError {
        SimError::Limit(reached.describe(&LimitWords {
            events: "the run",
            launcher: "the run",
            unit: "instances",
            why: "what replaces them so often (max_lifetime, interruptions, scaling)",
        }))
    }
}

impl<'s, 't, E: Executor> World<'s, 't, E> {
    fn new(s: &'s Scenario, sv: &'s Serving, inputs: Inputs<'t>, executor: E) -> World<'s, 't, E> {
        let n_target: usize = s.fleet.pools.iter().map(|p| p.count as usize).sum();
        let router = RouterState::new(sv.router);
        // The shared queue, or the lobby; replicas' own queues are added as they launch.
        let n_queues = 1;
        let (max_queue, max_queue_wait) = sv.queue_bounds();
        let max_queued = max_queue.map_or(s.limits.max_queued_requests, |m| m.min(s.limits.max_queued_requests));
        World {
            s,
            sv,
            events: Sim::new(SimTime(s.horizon.as_nanos()), s.limits.max_instances_launched),
            interval_timer: None,
            arrivals: ArrivalStream::new(sv, s.seed, inputs.requests, &inputs.lengths),
            pending: None,
            horizon: SimTime(s.horizon.as_nanos()),
            warmup: SimTime(s.warmup.as_nanos()),
            executor,
            scratch: Vec::new(),
            cache_rng: rng::stream(s.seed, Source::Cache),
            queues: (0..n_queues).map(|_| RequestQueue::default()).collect(),
            deferred: Vec::new(),
            replicas: Vec::with_capacity(n_target),
            first_replica: Vec::with_capacity(n_target),
            replicas_per_instance: fleet::replicas_per_instance(s),
            uniform_replicas: fleet::uniform(&fleet::replicas_per_instance(s)),
            idle: Vec::new(),
            n_busy: 0,
            router,
            disagg: sv.llm().and_then(|l| l.disaggregated.as_ref()).map(|d| disagg::Disagg::new(d, sv.router)),
            max_queued,
            max_held: s.limits.max_requests_in_memory,
            max_queue_wait,
            fleet: Fleet::new(s.fleet.pools.iter().map(PoolTerms::of_pool).collect(), &inputs.market, Settings::of(s)),
            ready_stats: ReadyStats::default(),
            scaling: scaling::Scaling::of(s),
            latency: LatencyStats::new(sv.sla.map(|sla| sla.latency)),
            n_arrived: 0,
            n_completed: 0,
            n_cache_hits: 0,
            n_queued: 0,
            n_dropped: 0,
            n_dropped_measured: 0,
            n_dropped_at_limit: 0,
            n_dropped_at_memory: 0,
            n_timed_out: 0,
            n_rejected: 0,
            n_tokens_dropped: 0,
            n_retried: 0,
            last_completion: SimTime::ZERO,
            interval: Interval::default(),
            rows: Vec::new(),
            rows_capped_at: None,
        }
    }

    /// Whether this is a batch-inference queue whose items are all done.
    fn batch_done(&self) -> bool {
        matches!(self.sv.arrivals, crate::scenario::Arrivals::Items { .. })
            && self.pending.is_none()
            && self.n_arrived == self.n_completed + self.n_dropped
    }

    fn schedule_next_arrival(&mut self) -> Result<(), SimError> {
        self.pending = self.arrivals.next(self.horizon)?;
        if let Some(req) = self.pending {
            self.events.schedule(req.time.max(self.events.now()), Event::RequestArrived);
        }
        Ok(())
    }

    #[inline]
    fn on_arrival(&mut self, now: SimTime) -> Result<(), SimError> {
        let Some(trace_req) = self.pending.take() else {
            return Ok(());
        };
        self.n_arrived += 1;
        self.interval.arrivals += 1;
        let req = E::Item::arrival(self.n_arrived - 1, now, trace_req.tokens_in, trace_req.tokens_out);
        match self.sv.cache {
            Some(cache) if self.cache_rng.random::<f64>() < cache.hit_rate => {
                self.n_cache_hits += 1;
                self.complete(req, now.after(cache.latency));
            }
            _ => self.enqueue(now, req),
        }
        self.schedule_next_arrival()?;
        if E::GROUPS_ARRIVALS && self.pending.is_none_or(|p| p.time > now) {
            // The last arrival of this instant: the queues that received some may start now.
            while let Some(q) = self.deferred.pop() {
                self.try_dispatch(now, q as usize);
            }
        }
        Ok(())
    }

    fn enqueue(&mut self, now: SimTime, req: E::Item) {
        let held = self.n_arrived - self.n_completed - self.n_dropped; // this one included
        if self.n_queued >= self.max_queued || held > self.max_held {
            if self.n_queued >= self.s.limits.max_queued_requests {
                self.n_dropped_at_limit += 1;
            } else if held > self.s.limits.max_requests_in_memory {
                self.n_dropped_at_memory += 1;
            }
            self.count_drop(&req);
            return;
        }
        let q = self.route();
        self.queues[q].items.push_back(req); // the newest: the queue stays oldest first
        self.n_queued += 1;
        if !self.scaling.is_empty() && (self.disagg.is_some() || self.fleet.n_target() == 0) {
            self.on_request_at_zero(now, scaling::Side::Prefill);
        }
        if E::GROUPS_ARRIVALS {
            if !self.deferred.contains(&(q as u32)) {
                self.deferred.push(q as u32);
            }
        } else {
            self.try_dispatch(now, q);
        }
    }
}
