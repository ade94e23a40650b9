//! The serving world and its event loop: requests, batches and the instances that serve them.
//!
//! `mod.rs` handles requests (arrival, routing, batching, completion); `fleet.rs` handles
//! instances (launch, boot, interruption notice, stop, spot zones and prices); `routing.rs` keeps
//! per-replica routers on the ready replicas (the lobby, queues routed again); `report.rs` turns
//! the state into the summary and time series.

mod fleet;
mod instances;
mod report;
mod routing;
mod scaling;

use std::collections::VecDeque;

use rand::RngExt;

use super::arrivals::{ArrivalStream, RequestSource};
use super::router::{LOBBY, RouterState};
use super::service::{BatchShape, ServiceModel};
use super::tokens::LengthTables;
use crate::engine::rng::{self, Source, Stream};
use crate::engine::sim::LimitWords;
use crate::engine::{ActionKey, AfterHorizon, Duration, LimitReached, Model, Sim, SimTime, Simulation};
use crate::fleet::market::MarketData;
use crate::metrics::LatencyStats;
use crate::metrics::timeseries::Row;
use crate::run::{Outcome, SimError};
use crate::scenario::{Market, Scenario, Serving};
use crate::trace::requests::TraceRequest;

use fleet::{FleetState, ReplicaState};

/// Longest a single batch may take; longer draws are cut to it (a guard against absurd inputs),
/// and the run's warnings say how many were.
pub const MAX_BATCH_TIME: Duration = Duration::from_secs(30 * 86_400);

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
    /// A replica finished its batch (cancelled if its instance stopped first).
    BatchCompleted(u32),
    /// A queue's oldest request reached `max_wait`.
    BatchWaitExpired(u32),
    /// A time-series interval ended.
    IntervalEnded,
    /// A launched instance finished booting.
    InstanceReady(u32),
    /// An instance was told it will be reclaimed (hazard or lifetime).
    InterruptionNoticed(u32),
    /// A noticed or released instance stopped.
    InstanceStopped(u32),
    /// A zone's availability or spot price changed.
    ZoneChanged(u32),
    /// The autoscaler's next decision is due.
    AutoscalerTick,
    /// A schedule window opened or closed.
    ScheduleChanged,
    /// A queue's oldest request may have waited `max_queue_wait`.
    QueueWaitExpired(u32),
}

#[derive(Clone, Copy, Debug)]
struct Request {
    arrived: SimTime,
    tokens_in: u32,
    tokens_out: u32,
}

#[derive(Default)]
struct RequestQueue {
    items: VecDeque<Request>,
    /// Time of the latest `BatchWaitExpired` scheduled for this queue.
    timer_at: Option<SimTime>,
    /// Time of the pending `QueueWaitExpired`, if any.
    expiry_at: Option<SimTime>,
}

/// One instance serving as a replica.
struct Replica {
    pool_idx: usize,
    /// The market it is billed in (an on-demand stand-in of a spot pool is `OnDemand`).
    market: Market,
    zone_idx: Option<usize>,
    speed: f64,
    queue_idx: usize,
    state: ReplicaState,
    busy: bool,
    batch: Vec<Request>,
    /// The pending completion of `batch`.
    batch_done: Option<ActionKey>,
    busy_ns: u64,
    launched: SimTime,
    stopped: Option<SimTime>,
    stand_in: bool,
}

#[derive(Default)]
struct Interval {
    arrivals: u64,
    completions: u64,
    interruptions: u64,
}

struct World<'s, 't> {
    s: &'s Scenario,
    sv: &'s Serving,
    events: Sim<Event>,
    /// The periodic end of a time-series interval.
    interval_timer: Option<ActionKey>,
    arrivals: ArrivalStream<'t>,
    pending: Option<TraceRequest>,
    horizon: SimTime,
    warmup: SimTime,
    /// Batch times per pool: the pool's own `service`, else the scenario's.
    services: Vec<ServiceModel>,
    service_rng: Stream,
    cache_rng: Stream,
    queues: Vec<RequestQueue>,
    replicas: Vec<Replica>,
    idle: Vec<u32>,
    n_busy: u32,
    router: RouterState,
    max_batch: usize,
    max_wait: Duration,
    max_queued: usize,
    /// `limits.max_requests_in_memory`.
    max_held: u64,
    max_queue_wait: Option<Duration>,
    fleet: FleetState,
    scaling: Option<scaling::Scaling>,
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
    n_retried: u64,
    /// Last completion, or drop after `max_queue_wait`: the run lasts at least until then.
    last_completion: SimTime,
    interval: Interval,
    rows: Vec<Row>,
    /// When the drain after the horizon reached the time-series row limit: later intervals fold
    /// into the last row.
    rows_capped_at: Option<SimTime>,
    /// Batches whose drawn time was cut to [`MAX_BATCH_TIME`].
    n_batches_capped: u64,
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
    let mut world = World::new(s, sv, inputs);
    Simulation { max_events: s.limits.max_events, progress }.run(&mut world)?;
    Ok(world.finish())
}

impl Model for World<'_, '_> {
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
        if self.scaling.is_some() {
            self.touch_gauges(now);
        }
        match event {
            Event::RequestArrived => self.on_arrival(now)?,
            Event::BatchCompleted(replica) => self.on_batch_completed(now, replica as usize),
            Event::BatchWaitExpired(q) => self.on_wait_expired(now, q as usize),
            Event::IntervalEnded => self.on_interval_ended(now),
            Event::InstanceReady(r) => self.on_instance_ready(now, r as usize),
            Event::InterruptionNoticed(r) => self.on_interruption_noticed(now, r as usize),
            Event::InstanceStopped(r) => self.on_instance_stopped(now, r as usize),
            Event::ZoneChanged(z) => self.on_zone_changed(now, z as usize),
            Event::AutoscalerTick => self.on_autoscaler_tick(now),
            Event::ScheduleChanged => self.on_schedule_changed(now),
            Event::QueueWaitExpired(q) => self.on_queue_wait_expired(now, q as usize),
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

impl<'s, 't> World<'s, 't> {
    fn new(s: &'s Scenario, sv: &'s Serving, inputs: Inputs<'t>) -> World<'s, 't> {
        let n_target: usize = s.fleet.pools.iter().map(|p| p.count as usize).sum();
        let router = RouterState::new(sv.router);
        // The shared queue, or the lobby; replicas' own queues are added as they launch.
        let n_queues = 1;
        let max_queued =
            sv.batcher.max_queue.map_or(s.limits.max_queued_requests, |m| m.min(s.limits.max_queued_requests));
        World {
            s,
            sv,
            events: Sim::new(SimTime(s.horizon.as_nanos()), s.limits.max_instances_launched),
            interval_timer: None,
            arrivals: ArrivalStream::new(sv, s.seed, inputs.requests, &inputs.lengths),
            pending: None,
            horizon: SimTime(s.horizon.as_nanos()),
            warmup: SimTime(s.warmup.as_nanos()),
            services: s
                .fleet
                .pools
                .iter()
                .map(|p| ServiceModel::new(p.service.as_ref().unwrap_or(&sv.service)))
                .collect(),
            service_rng: rng::stream(s.seed, Source::Service),
            cache_rng: rng::stream(s.seed, Source::Cache),
            queues: (0..n_queues).map(|_| RequestQueue::default()).collect(),
            replicas: Vec::with_capacity(n_target),
            idle: Vec::new(),
            n_busy: 0,
            router,
            max_batch: sv.batcher.max_batch_size.get() as usize,
            max_wait: sv.batcher.max_wait,
            max_queued,
            max_held: s.limits.max_requests_in_memory,
            max_queue_wait: sv.batcher.max_queue_wait,
            fleet: FleetState::new(s, inputs.market),
            scaling: scaling::Scaling::new(s),
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
            n_retried: 0,
            last_completion: SimTime::ZERO,
            interval: Interval::default(),
            rows: Vec::new(),
            rows_capped_at: None,
            n_batches_capped: 0,
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
        let req = Request { arrived: now, tokens_in: trace_req.tokens_in, tokens_out: trace_req.tokens_out };
        match self.sv.cache {
            Some(cache) if self.cache_rng.random::<f64>() < cache.hit_rate => {
                self.n_cache_hits += 1;
                self.complete(req, now.after(cache.latency));
            }
            _ => self.enqueue(now, req),
        }
        self.schedule_next_arrival()
    }

    fn enqueue(&mut self, now: SimTime, req: Request) {
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
        let q = self.router.route();
        self.queues[q].items.push_back(req); // the newest: the queue stays oldest first
        self.n_queued += 1;
        if self.fleet.n_target == 0 && self.scaling.is_some() {
            self.on_request_at_zero(now);
        }
        self.try_dispatch(now, q);
    }

    /// Counts a request dropped (queue full or waited too long).
    fn count_drop(&mut self, req: &Request) {
        self.n_dropped += 1;
        if req.arrived >= self.warmup {
            self.n_dropped_measured += 1;
        }
    }

    /// Drops the requests at the head of queue `q` that have waited `max_queue_wait`, and makes
    /// sure the new head's expiry will wake the queue.
    fn expire_waiting(&mut self, now: SimTime, q: usize) {
        let Some(limit) = self.max_queue_wait else { return };
        while let Some(&front) = self.queues[q].items.front() {
            if front.arrived.after(limit) > now {
                break;
            }
            self.queues[q].items.pop_front();
            self.n_queued -= 1;
            if q != LOBBY {
                // No longer outstanding at its replica (least_outstanding's load).
                self.router.completed(q - 1, 1);
            }
            self.n_timed_out += 1;
            self.last_completion = self.last_completion.max(now); // the run lasts until the drop
            self.count_drop(&front);
        }
        if let Some(front) = self.queues[q].items.front() {
            let at = front.arrived.after(limit);
            if self.queues[q].expiry_at.is_none_or(|e| e > at) {
                self.queues[q].expiry_at = Some(at);
                self.events.schedule(at, Event::QueueWaitExpired(q as u32));
            }
        }
    }

    fn on_queue_wait_expired(&mut self, now: SimTime, q: usize) {
        if self.queues[q].expiry_at == Some(now) {
            self.queues[q].expiry_at = None;
        }
        self.expire_waiting(now, q);
        self.try_dispatch(now, q);
    }

    /// An idle, ready replica for queue `q`: any on the shared queue's stack, or the queue's own
    /// (none for the lobby).
    fn has_idle(&self, q: usize) -> bool {
        if self.router.is_shared() {
            !self.idle.is_empty()
        } else {
            q != LOBBY && self.replicas.get(q - 1).is_some_and(|r| !r.busy && r.state == ReplicaState::Ready)
        }
    }

    fn take_idle(&mut self, q: usize) -> usize {
        if self.router.is_shared() { self.idle.pop().map_or(0, |r| r as usize) } else { q - 1 }
    }

    /// Starts batches on queue `q` while an idle replica and a ready batch exist; otherwise makes
    /// sure the oldest request's `max_wait` will wake the queue.
    #[inline]
    fn try_dispatch(&mut self, now: SimTime, q: usize) {
        if self.max_queue_wait.is_some() {
            self.expire_waiting(now, q);
        }
        while self.has_idle(q) {
            let queue = &mut self.queues[q];
            let Some(oldest) = queue.items.front() else { return };
            let deadline = oldest.arrived.after(self.max_wait);
            if queue.items.len() < self.max_batch && now < deadline {
                if queue.timer_at != Some(deadline) {
                    queue.timer_at = Some(deadline);
                    self.events.schedule(deadline, Event::BatchWaitExpired(q as u32));
                }
                return;
            }
            let r = self.take_idle(q);
            self.start_batch(now, r, q);
        }
    }

    fn start_batch(&mut self, now: SimTime, r: usize, q: usize) {
        let n = self.queues[q].items.len().min(self.max_batch);
        let replica = &mut self.replicas[r];
        replica.batch.clear();
        replica.batch.extend(self.queues[q].items.drain(..n));
        self.n_queued -= n;
        let mut shape = BatchShape { size: n as u32, ..BatchShape::default() };
        for req in &replica.batch {
            shape.tokens_in += u64::from(req.tokens_in);
            shape.max_tokens_out = shape.max_tokens_out.max(req.tokens_out);
        }
        let service = &self.services[replica.pool_idx];
        let drawn = service.draw(shape, replica.speed, &mut self.service_rng);
        if drawn > MAX_BATCH_TIME {
            self.n_batches_capped += 1;
        }
        let took = drawn.min(MAX_BATCH_TIME);
        replica.busy = true;
        replica.busy_ns = replica.busy_ns.saturating_add(took.as_nanos());
        self.n_busy += 1;
        replica.batch_done = Some(self.events.schedule_keyed(now.after(took), Event::BatchCompleted(r as u32)));
    }

    #[inline]
    fn complete(&mut self, req: Request, at: SimTime) {
        self.n_completed += 1;
        self.interval.completions += 1;
        self.last_completion = self.last_completion.max(at);
        if req.arrived >= self.warmup {
            self.latency.record(at.since(req.arrived));
        }
    }

    fn on_batch_completed(&mut self, now: SimTime, r: usize) {
        self.replicas[r].batch_done = None;
        let batch = std::mem::take(&mut self.replicas[r].batch);
        for &req in &batch {
            self.complete(req, now);
        }
        self.router.completed(r, batch.len() as u32);
        let replica = &mut self.replicas[r];
        replica.batch = batch;
        replica.batch.clear();
        replica.busy = false;
        self.n_busy -= 1;
        let q = replica.queue_idx;
        match replica.state {
            ReplicaState::Ready => {
                if self.router.is_shared() {
                    self.idle.push(r as u32);
                }
                self.try_dispatch(now, q);
            }
            // A released stand-in stops once its batch is done; a noticed one waits for its stop.
            ReplicaState::Releasing => self.stop_instance(now, r),
            ReplicaState::Booting | ReplicaState::Noticed | ReplicaState::Stopped => {}
        }
    }

    fn on_wait_expired(&mut self, now: SimTime, q: usize) {
        if self.queues[q].timer_at == Some(now) {
            self.queues[q].timer_at = None;
        }
        self.try_dispatch(now, q);
    }

    /// Puts a stopped replica's unfinished batch back at the head of its queue, oldest first (under
    /// a per-replica router, routes it again).
    fn requeue_batch(&mut self, now: SimTime, r: usize) {
        let replica = &mut self.replicas[r];
        if !replica.busy {
            return;
        }
        replica.busy = false;
        if let Some(done) = replica.batch_done.take() {
            self.events.cancel(done);
        }
        self.n_busy -= 1;
        let q = replica.queue_idx;
        let batch = std::mem::take(&mut replica.batch);
        self.n_retried += batch.len() as u64;
        self.n_queued += batch.len();
        if !self.router.is_shared() {
            // Its own queue is gone with it: the batch is routed again, oldest first.
            self.router.completed(r, batch.len() as u32);
            self.reroute(now, batch.iter().copied());
            self.replicas[r].batch = batch;
            self.replicas[r].batch.clear();
            return;
        }
        // Back in arrival order (at the head, since they are older than those still waiting,
        // unless another interrupted batch went back first): the head is always the oldest.
        let items = &mut self.queues[q].items;
        for &req in batch.iter().rev() {
            let at = items.partition_point(|r| r.arrived < req.arrived);
            items.insert(at, req);
        }
        self.replicas[r].batch = batch;
        self.replicas[r].batch.clear();
        self.try_dispatch(now, q);
    }
}
