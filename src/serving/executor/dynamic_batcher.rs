//! The dynamic batcher (SPEC "Serving"): an idle replica takes up to `max_batch_size` of the oldest
//! requests as soon as that many wait or the oldest has waited `max_wait`; a batch of b takes
//! `batch_time(b) / speed`, drawn from the service distribution of the replica's pool, and
//! completes all its requests together.

use std::collections::VecDeque;

use super::{Executor, ReplicaRef, Request, Step};
use crate::engine::rng::{self, Source, Stream};
use crate::engine::{Duration, SimTime};
use crate::scenario::Scenario;
use crate::serving::service::{BatchShape, ServiceModel};

/// Longest a single batch may take; longer draws are cut to it (a guard against absurd inputs),
/// and the run's warnings say how many were.
pub const MAX_BATCH_TIME: Duration = Duration::from_secs(30 * 86_400);

/// Batches of up to `max_batch_size`, after at most `max_wait`.
pub struct DynamicBatcher {
    max_batch: usize,
    max_wait: Duration,
    /// Batch times per pool: the pool's own `service`, else the scenario's.
    services: Vec<ServiceModel>,
    rng: Stream,
    /// Each replica (by index) and the batch it is running (empty when idle).
    replicas: Vec<(ReplicaRef, Vec<Request>)>,
    /// Batches whose drawn time was cut to [`MAX_BATCH_TIME`].
    n_capped: u64,
}

impl DynamicBatcher {
    /// The batcher of serving scenario `s`.
    pub fn new(s: &Scenario, sv: &crate::scenario::Serving) -> DynamicBatcher {
        let (service, batcher) = sv.batcher().expect("a batcher scenario");
        DynamicBatcher {
            max_batch: batcher.max_batch_size.get() as usize,
            max_wait: batcher.max_wait,
            services: s.fleet.pools.iter().map(|p| ServiceModel::new(p.service.as_ref().unwrap_or(service))).collect(),
            rng: rng::stream(s.seed, Source::Service),
            replicas: Vec::new(),
            n_capped: 0,
        }
    }
}

impl Executor for DynamicBatcher {
    type Item = Request;

    fn add_replica(&mut self, replica: ReplicaRef) {
        debug_assert_eq!(replica.index, self.replicas.len(), "replicas are added in order");
        self.replicas.push((replica, Vec::new()));
    }

    #[inline]
    fn start(&mut self, now: SimTime, r: usize, queue: &mut VecDeque<Request>) -> Step {
        let Some(oldest) = queue.front() else { return Step::Idle };
        let deadline = oldest.arrived.after(self.max_wait);
        if queue.len() < self.max_batch && now < deadline {
            return Step::WaitUntil(deadline);
        }
        let n = queue.len().min(self.max_batch);
        let (replica, batch) = &mut self.replicas[r];
        batch.clear();
        batch.extend(queue.drain(..n));
        let mut shape = BatchShape { size: n as u32, ..BatchShape::default() };
        for req in batch.iter() {
            shape.tokens_in += u64::from(req.tokens_in);
            shape.max_tokens_out = shape.max_tokens_out.max(req.tokens_out);
        }
        let drawn = self.services[replica.pool].draw(shape, replica.speed, &mut self.rng);
        if drawn > MAX_BATCH_TIME {
            self.n_capped += 1;
        }
        Step::Run(drawn.min(MAX_BATCH_TIME))
    }

    #[inline]
    fn finish(&mut self, _now: SimTime, r: usize, done: &mut Vec<Request>) {
        std::mem::swap(done, &mut self.replicas[r].1);
    }

    fn abandon(&mut self, _now: SimTime, r: usize, held: &mut Vec<Request>) {
        held.append(&mut self.replicas[r].1);
    }

    fn holding(&self, r: usize) -> usize {
        self.replicas.get(r).map_or(0, |(_, batch)| batch.len())
    }

    fn warnings(&self) -> Vec<String> {
        if self.n_capped == 0 {
            return Vec::new();
        }
        vec![format!(
            "{} batches drew a service time above {} and were cut to it (the limit on one batch): their latency, the fleet's busy time and the drain are understated; check service.batch_time and the token counts it multiplies",
            self.n_capped, MAX_BATCH_TIME
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batcher(max_batch: &str, max_wait: &str) -> DynamicBatcher {
        let yaml = format!(
            "name: t\nseed: 1\nhorizon: 1h\nworkload: {{ arrivals: {{ poisson: {{ rate: 1/s }} }} }}\n\
             service: {{ batch_time: {{ base: 10ms, per_item: 2ms }} }}\n\
             batcher: {{ max_batch_size: {max_batch}, max_wait: {max_wait} }}\n\
             fleet: {{ pools: [ {{ name: a, instance: g5.xlarge, count: 1 }} ] }}\n"
        );
        let s = crate::scenario::from_yaml(&yaml).expect("valid scenario");
        let sv = s.serving().cloned().expect("serving");
        let mut b = DynamicBatcher::new(&s, &sv);
        for index in 0..3 {
            b.add_replica(ReplicaRef { index, pool: 0, speed: 2.0 });
        }
        b
    }

    fn req(ms: u64) -> Request {
        Request { arrived: SimTime(ms * 1_000_000), tokens_in: 0, tokens_out: 0 }
    }

    const R: usize = 2;

    #[test]
    fn waits_for_a_full_batch_or_the_oldest_requests_max_wait() {
        let mut b = batcher("3", "5ms");
        let mut queue: VecDeque<Request> = [req(0), req(1)].into();
        // Two of three at 4 ms: wait until the oldest has waited 5 ms.
        assert_eq!(b.start(SimTime(4_000_000), R, &mut queue), Step::WaitUntil(SimTime(5_000_000)));
        assert_eq!(queue.len(), 2);
        // At 5 ms both go: 10 ms + 2 × 2 ms at speed 2 = 7 ms.
        assert_eq!(b.start(SimTime(5_000_000), R, &mut queue), Step::Run(Duration(7_000_000)));
        assert!(queue.is_empty());
        assert_eq!(b.holding(2), 2);
        let mut done = Vec::new();
        b.finish(SimTime(12_000_000), 2, &mut done);
        assert_eq!(done.iter().map(|r| r.arrived).collect::<Vec<_>>(), [SimTime(0), SimTime(1_000_000)]);
        assert_eq!(b.holding(2), 0);
        // An empty queue: nothing to do.
        assert_eq!(b.start(SimTime(6_000_000), R, &mut queue), Step::Idle);
    }

    #[test]
    fn a_full_batch_goes_at_once_and_takes_the_oldest() {
        let mut b = batcher("2", "1s");
        let mut queue: VecDeque<Request> = [req(0), req(1), req(2)].into();
        assert_eq!(b.start(SimTime(2_000_000), R, &mut queue), Step::Run(Duration(7_000_000)));
        assert_eq!(queue.iter().map(|r| r.arrived).collect::<Vec<_>>(), [SimTime(2_000_000)]);
        // A stopped replica gives its batch back, oldest first.
        let mut held = Vec::new();
        b.abandon(SimTime(3_000_000), 2, &mut held);
        assert_eq!(held.iter().map(|r| r.arrived).collect::<Vec<_>>(), [SimTime(0), SimTime(1_000_000)]);
        assert!(b.warnings().is_empty());
    }
}
