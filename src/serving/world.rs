//! The serving world and its event loop.

use std::collections::VecDeque;

use rand::RngExt;

use super::arrivals::{ArrivalProcess, RequestSource};
use super::router::RouterState;
use super::service::{BatchShape, ServiceModel};
use crate::engine::rng::{self, Source, Stream};
use crate::engine::{Duration, EventQueue, SimTime};
use crate::fleet::billing;
use crate::metrics::summary::*;
use crate::metrics::timeseries::{Row, TimeSeries};
use crate::metrics::{LatencyStats, Summary};
use crate::scenario::{Market, Scenario};
use crate::trace::requests::{TraceError, TraceRequest};

/// Longest a single batch may take; longer draws are cut to it (a guard against absurd inputs).
pub const MAX_BATCH_TIME: Duration = Duration::from_secs(30 * 86_400);

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The request trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A limit was reached.
    #[error("{0}")]
    Limit(String),
}

/// What a run produces.
pub struct Outcome {
    /// `summary.json`.
    pub summary: Summary,
    /// `timeseries.csv`.
    pub timeseries: TimeSeries,
    /// Latencies of measured requests (for charts).
    pub latency: LatencyStats,
    /// Warnings for the user (e.g. requests dropped at the queue limit).
    pub warnings: Vec<String>,
}

/// Events, named as facts.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The pending arrival happened.
    RequestArrived,
    /// A replica finished its batch.
    BatchCompleted(u32),
    /// A queue's oldest request reached `max_wait`.
    BatchWaitExpired(u32),
    /// A time-series interval ended.
    IntervalEnded,
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
}

struct Replica {
    pool_idx: usize,
    speed: f64,
    queue_idx: usize,
    busy: bool,
    batch: Vec<Request>,
    busy_ns: u64,
}

#[derive(Default)]
struct Interval {
    arrivals: u64,
    completions: u64,
}

struct World<'s, 't> {
    s: &'s Scenario,
    events: EventQueue<Event>,
    arrivals: ArrivalProcess<'t>,
    pending: Option<TraceRequest>,
    horizon: SimTime,
    warmup: SimTime,
    service: ServiceModel,
    service_rng: Stream,
    cache_rng: Stream,
    queues: Vec<RequestQueue>,
    replicas: Vec<Replica>,
    idle: Vec<u32>,
    n_busy: u32,
    router: RouterState,
    max_batch: usize,
    max_wait: Duration,
    latency: LatencyStats,
    n_arrived: u64,
    n_completed: u64,
    n_cache_hits: u64,
    n_queued: usize,
    n_dropped: u64,
    n_dropped_measured: u64,
    last_completion: SimTime,
    interval: Interval,
    rows: Vec<Row>,
}

/// Runs the serving scenario `s`; `trace` is the open request trace when arrivals replay one.
pub fn simulate(s: &Scenario, trace: Option<&mut dyn RequestSource>) -> Result<Outcome, SimError> {
    simulate_with_progress(s, trace, &mut |_| {})
}

/// Events between two calls of the progress callback.
const PROGRESS_EVERY: u64 = 1 << 20;

/// As [`simulate`], calling `progress(now)` every million or so events, so that a caller can show
/// how far through the horizon the run is. The callback does not change the run.
pub fn simulate_with_progress(
    s: &Scenario,
    trace: Option<&mut dyn RequestSource>,
    progress: &mut dyn FnMut(SimTime),
) -> Result<Outcome, SimError> {
    let mut world = World::new(s, trace);
    world.run(progress)?;
    Ok(world.finish())
}

impl<'s, 't> World<'s, 't> {
    fn new(s: &'s Scenario, trace: Option<&'t mut dyn RequestSource>) -> World<'s, 't> {
        let sv = &s.serving;
        let mut replicas = Vec::new();
        for (pool_idx, pool) in s.fleet.pools.iter().enumerate() {
            for _ in 0..pool.count {
                replicas.push(Replica {
                    pool_idx,
                    speed: pool.instance.speed,
                    queue_idx: 0,
                    busy: false,
                    batch: Vec::new(),
                    busy_ns: 0,
                });
            }
        }
        let router = RouterState::new(sv.router, replicas.len());
        let n_queues = router.n_queues(replicas.len());
        for (i, r) in replicas.iter_mut().enumerate() {
            r.queue_idx = if n_queues == 1 { 0 } else { i };
        }
        // Idle replicas as a stack, lowest index on top.
        let idle = (0..replicas.len() as u32).rev().collect();
        World {
            s,
            events: EventQueue::new(),
            arrivals: ArrivalProcess::new(&sv.arrivals, rng::stream(s.seed, Source::Arrivals), trace),
            pending: None,
            horizon: SimTime(s.horizon.as_nanos()),
            warmup: SimTime(s.warmup.as_nanos()),
            service: ServiceModel::new(&sv.service),
            service_rng: rng::stream(s.seed, Source::Service),
            cache_rng: rng::stream(s.seed, Source::Cache),
            queues: (0..n_queues).map(|_| RequestQueue::default()).collect(),
            replicas,
            idle,
            n_busy: 0,
            router,
            max_batch: sv.batcher.max_batch_size.get() as usize,
            max_wait: sv.batcher.max_wait,
            latency: LatencyStats::new(sv.sla.map(|sla| sla.latency)),
            n_arrived: 0,
            n_completed: 0,
            n_cache_hits: 0,
            n_queued: 0,
            n_dropped: 0,
            n_dropped_measured: 0,
            last_completion: SimTime::ZERO,
            interval: Interval::default(),
            rows: Vec::new(),
        }
    }

    fn run(&mut self, progress: &mut dyn FnMut(SimTime)) -> Result<(), SimError> {
        self.schedule_next_arrival()?;
        let first_tick = SimTime::ZERO.after(self.s.timeseries_interval);
        if first_tick <= self.horizon {
            self.events.schedule(first_tick, Event::IntervalEnded);
        }
        while let Some((now, event)) = self.events.pop() {
            match event {
                Event::RequestArrived => self.on_arrival(now)?,
                Event::BatchCompleted(r) => self.on_batch_completed(now, r as usize),
                Event::BatchWaitExpired(q) => self.on_wait_expired(now, q as usize),
                Event::IntervalEnded => self.on_interval_ended(now),
            }
            let n_events = self.events.n_events();
            if n_events.is_multiple_of(PROGRESS_EVERY) {
                progress(now);
            }
            if n_events >= self.s.limits.max_events {
                return Err(SimError::Limit(format!(
                    "the run reached the limit of {} events at simulated time {now}; shorten the horizon",
                    self.s.limits.max_events
                )));
            }
        }
        Ok(())
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
        match self.s.serving.cache {
            Some(cache) if self.cache_rng.random::<f64>() < cache.hit_rate => {
                self.n_cache_hits += 1;
                self.complete(req, now.after(cache.latency));
            }
            _ => self.enqueue(now, req),
        }
        self.schedule_next_arrival()
    }

    fn enqueue(&mut self, now: SimTime, req: Request) {
        if self.n_queued >= self.s.limits.max_queued_requests {
            self.n_dropped += 1;
            if req.arrived >= self.warmup {
                self.n_dropped_measured += 1;
            }
            return;
        }
        let q = self.router.route();
        self.queues[q].items.push_back(req);
        self.n_queued += 1;
        self.try_dispatch(now, q);
    }

    fn has_idle(&self, q: usize) -> bool {
        if self.queues.len() == 1 { !self.idle.is_empty() } else { !self.replicas[q].busy }
    }

    fn take_idle(&mut self, q: usize) -> usize {
        if self.queues.len() == 1 { self.idle.pop().map_or(0, |r| r as usize) } else { q }
    }

    /// Starts batches on queue `q` while an idle replica and a ready batch exist; otherwise makes
    /// sure the oldest request's `max_wait` will wake the queue.
    #[inline]
    fn try_dispatch(&mut self, now: SimTime, q: usize) {
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
        let took = self.service.draw(shape, replica.speed, &mut self.service_rng).min(MAX_BATCH_TIME);
        replica.busy = true;
        replica.busy_ns = replica.busy_ns.saturating_add(took.as_nanos());
        self.n_busy += 1;
        self.events.schedule(now.after(took), Event::BatchCompleted(r as u32));
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
        if self.queues.len() == 1 {
            self.idle.push(r as u32);
        }
        self.try_dispatch(now, q);
    }

    fn on_wait_expired(&mut self, now: SimTime, q: usize) {
        if self.queues[q].timer_at == Some(now) {
            self.queues[q].timer_at = None;
        }
        self.try_dispatch(now, q);
    }

    /// Rows continue through the drain after the horizon until no request is left; the last,
    /// partial row is written at the end of the run by [`World::finish`].
    fn on_interval_ended(&mut self, now: SimTime) {
        let draining = self.n_arrived > self.n_completed + self.n_dropped;
        if now > self.horizon && !draining {
            return;
        }
        self.push_row(now, self.running_cost(now));
        let next = now.after(self.s.timeseries_interval);
        if next <= self.horizon || draining {
            self.events.schedule(next, Event::IntervalEnded);
        }
    }

    fn replicas_by_pool(&self) -> Vec<u32> {
        self.s.fleet.pools.iter().map(|p| p.count).collect()
    }

    /// Cost accrued by `now` before rounding and minimums (those apply at the end).
    fn running_cost(&self, now: SimTime) -> f64 {
        let hours = now.as_secs_f64() / 3_600.0;
        self.s.fleet.pools.iter().map(|p| f64::from(p.count) * p.instance.on_demand_price * hours).sum()
    }

    fn push_row(&mut self, now: SimTime, cost_usd: f64) {
        let interval = std::mem::take(&mut self.interval);
        self.rows.push(Row {
            time_s: now.as_secs_f64(),
            arrivals: interval.arrivals,
            completions: interval.completions,
            queue_len: self.n_queued as u64,
            busy_replicas: self.n_busy,
            replicas_by_pool: self.replicas_by_pool(),
            cost_usd,
        });
    }

    fn finish(mut self) -> Outcome {
        let end = self.horizon.max(self.last_completion);
        let pools = self.pool_summaries(end);
        let total: f64 = pools.iter().map(|p| p.cost_usd).sum();
        if self.rows.last().is_none_or(|r| r.time_s < end.as_secs_f64()) {
            self.push_row(end, total);
        } else if let Some(last) = self.rows.last_mut() {
            last.cost_usd = total;
        }
        let summary = self.summary(end, pools, total);
        let timeseries =
            TimeSeries { pool_names: self.s.fleet.pools.iter().map(|p| p.name.clone()).collect(), rows: self.rows };
        let mut warnings = Vec::new();
        if self.n_dropped > 0 {
            warnings.push(format!(
                "{} requests were dropped because {} were already waiting: the fleet cannot keep up with the arrivals (they count as SLA violations)",
                self.n_dropped, self.s.limits.max_queued_requests
            ));
        }
        Outcome { summary, timeseries, latency: self.latency, warnings }
    }

    fn pool_summaries(&self, end: SimTime) -> Vec<PoolSummary> {
        let ran = end.since(SimTime::ZERO);
        let billed = billing::billed(ran, &self.s.billing);
        self.s
            .fleet
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let busy_ns: f64 = self.replicas.iter().filter(|r| r.pool_idx == i).map(|r| r.busy_ns as f64).sum();
                let running_ns = ran.as_nanos() as f64 * f64::from(p.count);
                PoolSummary {
                    name: p.name.clone(),
                    instance: p.instance.name.clone(),
                    market: match p.market {
                        Market::OnDemand => "on_demand".into(),
                    },
                    count: p.count,
                    price_per_hour: p.instance.on_demand_price,
                    instance_hours: f64::from(p.count) * ran.as_secs_f64() / 3_600.0,
                    billed_hours: f64::from(p.count) * billed.as_secs_f64() / 3_600.0,
                    cost_usd: f64::from(p.count) * billing::cost_usd(billed, p.instance.on_demand_price),
                    utilization: if running_ns > 0.0 { busy_ns / running_ns } else { 0.0 },
                }
            })
            .collect()
    }

    fn summary(&self, end: SimTime, pools: Vec<PoolSummary>, total: f64) -> Summary {
        let end_s = end.as_secs_f64();
        let n_replicas: u32 = pools.iter().map(|p| p.count).sum();
        let busy_ns: f64 = self.replicas.iter().map(|r| r.busy_ns as f64).sum();
        let running_ns = end.0 as f64 * f64::from(n_replicas);
        let rps = if end_s > 0.0 { self.n_completed as f64 / end_s } else { 0.0 };
        let per_hour = if end_s > 0.0 { total / (end_s / 3_600.0) } else { 0.0 };
        let measured = self.latency.count();
        // Dropped requests never got an answer: they count as violations. With nothing measured
        // (e.g. warmup covers every arrival) the SLA cannot be judged and is left null.
        let n_violations = self.latency.n_over_sla() + self.n_dropped_measured;
        let n_judged = measured + self.n_dropped_measured;
        let sla = self.s.serving.sla.map(|sla| {
            let rate = (n_judged > 0).then(|| n_violations as f64 / n_judged as f64);
            SlaSummary {
                target_s: Some(sla.latency.as_secs_f64()),
                quantile: Some(sla.quantile),
                violation_rate: rate,
                met: rate.map(|r| r <= 1.0 - sla.quantile),
            }
        });
        Summary {
            scenario: self.s.name.clone(),
            requests: Requests {
                arrived: self.n_arrived,
                completed: self.n_completed,
                retried: 0,
                dropped: self.n_dropped,
                sla_violations: if self.s.serving.sla.is_some() { n_violations } else { 0 },
                cache_hits: self.n_cache_hits,
                measured,
                in_flight: self.n_arrived - self.n_completed - self.n_dropped,
            },
            latency_s: self.latency.summary(),
            sla: sla.unwrap_or_default(),
            cost_usd: Cost {
                total,
                on_demand: total,
                spot: 0.0,
                reserved: 0.0,
                per_million_requests: if self.n_completed > 0 { total / self.n_completed as f64 * 1e6 } else { 0.0 },
            },
            throughput: Throughput {
                rps,
                requests_per_usd: if total > 0.0 { self.n_completed as f64 / total } else { 0.0 },
                rps_per_usd_per_hour: if per_hour > 0.0 { rps / per_hour } else { 0.0 },
            },
            fleet: FleetSummary {
                instance_hours: pools.iter().map(|p| p.instance_hours).sum(),
                interruptions: 0,
                mean_replicas: f64::from(n_replicas),
                max_replicas: n_replicas,
                utilization: if running_ns > 0.0 { busy_ns / running_ns } else { 0.0 },
            },
            pools,
            engine: Engine { events: self.events.n_events(), wall_s: 0.0, seed: self.s.seed, end_s },
        }
    }
}
