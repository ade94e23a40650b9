//! Executors: what a replica does with the requests routed to it. The world owns queues, routing
//! and instances; an executor decides when an idle replica starts its next step, which requests
//! the step takes from the replica's queue, how long it runs, and which requests it finishes.
//!
//! The protocol, one replica at a time:
//!
//! 1. the replica is ready and idle, and its queue (the shared one, or its own) may hold requests:
//!    the world calls [`Executor::start`], which either takes requests from the front of the queue
//!    and returns [`Step::Run`] with the step's length, or returns [`Step::WaitUntil`] (ask again
//!    then, unless something else wakes the queue first) or [`Step::Idle`] (nothing to do);
//! 2. when the step ends, [`Executor::finish`] hands back the requests it completed, and the world
//!    calls `start` again at once;
//! 3. an instance that stops mid-step gives up what its executor holds ([`Executor::abandon`]): the
//!    world puts those requests back in a queue, oldest first, and counts them as retried.
//!
//! `dynamic_batcher.rs` is today's executor (batches of up to `max_batch_size`, `max_wait`, batch
//! times from `service`). An executor that keeps requests across steps (continuous batching) holds
//! them itself and reports them through [`Executor::holding`].

mod dynamic_batcher;
mod llm;

pub use crate::metrics::timeseries::Occupancy;
pub use dynamic_batcher::{DynamicBatcher, MAX_BATCH_TIME};
pub use llm::LlmExecutor;

use std::collections::VecDeque;

use crate::engine::{Duration, SimTime};

/// What the world queues, routes and counts for an executor: anything that knows when it arrived.
/// The dynamic batcher queues [`Request`]s; the LLM executor queues
/// [`crate::llm::sequence::Sequence`]s, which carry their progress from replica to replica.
pub trait Item: Copy + std::fmt::Debug {
    /// The item for an arrival: the run's `id`-th request (0, 1, 2, …), with its token counts
    /// (0 when unknown).
    fn arrival(id: u64, arrived: SimTime, tokens_in: u32, tokens_out: u32) -> Self;
    /// When the request arrived: latency counts from it, across retries.
    fn arrived(&self) -> SimTime;
    /// Output tokens it has produced so far (for the audit; 0 where tokens are not simulated).
    fn produced(&self) -> u32 {
        0
    }
    /// Prompt tokens (what a disaggregated fleet's KV transfer moves; 0 where not simulated).
    fn prompt_tokens(&self) -> u32 {
        0
    }
}

impl Item for Request {
    #[inline]
    fn arrival(_id: u64, arrived: SimTime, tokens_in: u32, tokens_out: u32) -> Request {
        Request { arrived, tokens_in, tokens_out }
    }
    #[inline]
    fn arrived(&self) -> SimTime {
        self.arrived
    }
}

impl Item for crate::llm::sequence::Sequence {
    #[inline]
    fn arrival(id: u64, arrived: SimTime, tokens_in: u32, tokens_out: u32) -> Self {
        crate::llm::sequence::Sequence::new(id, arrived, tokens_in, tokens_out)
    }
    #[inline]
    fn arrived(&self) -> SimTime {
        self.arrival
    }
    fn produced(&self) -> u32 {
        self.produced
    }
    fn prompt_tokens(&self) -> u32 {
        self.prompt_tokens
    }
}

/// A request in the serving world: when it arrived and its token counts (0 when unknown).
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// Arrival time: latency counts from it, across retries.
    pub arrived: SimTime,
    /// Prompt tokens.
    pub tokens_in: u32,
    /// Output tokens.
    pub tokens_out: u32,
}

/// What an idle replica does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A step that ends after this long.
    Run(Duration),
    /// Nothing yet: ask again at this time (or when the queue changes).
    WaitUntil(SimTime),
    /// Nothing to do until the queue changes.
    Idle,
}

/// A replica as its executor knows it.
#[derive(Clone, Copy, Debug)]
pub struct ReplicaRef {
    /// Its index in the world (stable for the run).
    pub index: usize,
    /// Its pool's index in `fleet.pools`.
    pub pool: usize,
    /// Its instance type's speed (batch and step times are divided by it).
    pub speed: f64,
}

/// What a replica does with its queue. See the module documentation for the protocol.
pub trait Executor {
    /// What waits in the queues and runs on the replicas.
    type Item: Item;

    /// A replica was launched (indices come in order: 0, 1, 2, …).
    fn add_replica(&mut self, replica: ReplicaRef);

    /// Replica `r` is ready and idle; `queue` is what waits for it, oldest first. Start a step —
    /// take the requests it runs from the front of `queue` — or say when to be asked again.
    fn start(&mut self, now: SimTime, r: usize, queue: &mut VecDeque<Self::Item>) -> Step;

    /// The step of replica `r` ended at `now`: the requests it completed are swapped into `done`
    /// (which comes empty, and is left to the executor to reuse).
    fn finish(&mut self, now: SimTime, r: usize, done: &mut Vec<Self::Item>);

    /// Replica `r` stopped at `now` during a step: appends every request it holds to `held`,
    /// oldest first.
    fn abandon(&mut self, now: SimTime, r: usize, held: &mut Vec<Self::Item>);

    /// Requests replica `r` holds (in service).
    fn holding(&self, r: usize) -> usize;

    /// What the run's warnings should say of this executor (e.g. cut batch times).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether requests arriving at one instant all join their queues before any replica is asked
    /// to start (an iteration-level engine then takes them into one iteration); otherwise each
    /// arrival may start a step at once.
    const GROUPS_ARRIVALS: bool = false;

    /// Whether `start` may refuse requests it can never serve (then the world collects them with
    /// [`Executor::take_rejected`] after each `start`).
    const REJECTS: bool = false;

    /// Moves the requests refused since the last call into `out` (the world counts them as
    /// rejected and dropped).
    fn take_rejected(&mut self, _out: &mut Vec<Self::Item>) {}

    /// Replica `r` takes no new requests (notice, scale-down): moves what it holds but has not
    /// started into `out`, for the world to route again. What it runs stays.
    fn give_back_waiting(&mut self, _r: usize, _out: &mut Vec<Self::Item>) {}

    /// Moves the sequences prefill-only replicas prefilled since the last call into `out`, for
    /// the world to transfer to decode replicas (disaggregated fleets).
    fn take_prefilled(&mut self, _out: &mut Vec<Self::Item>) {}

    /// A prefilled sequence's KV reached decode replica `r`: it joins the replica's waiting queue
    /// without a prefill (or is refused, for [`Executor::take_rejected`]).
    fn accept_transferred(&mut self, _r: usize, _item: Self::Item) {
        unreachable!("only an executor with prefill and decode replicas takes KV transfers")
    }

    /// Free KV cache blocks of replica `r` (the `least_kv` router's figure).
    fn free_kv_blocks(&self, _r: usize) -> u64 {
        0
    }

    /// The token and KV ledger, for an executor that produces tokens (the world adds the tokens
    /// of requests it holds or dropped to `tokens_unfinished`).
    fn audit(&self) -> Option<crate::metrics::tokens::LlmAudit> {
        None
    }

    /// Token-level figures, for an executor that measures them.
    fn token_metrics(&self) -> Option<&crate::metrics::tokens::TokenMetrics> {
        None
    }

    /// What replica `r` holds now (sequences, KV blocks), for an executor that keeps sequences
    /// across steps: the LLM columns of `timeseries.csv`.
    fn occupancy(&self, _r: usize) -> Option<Occupancy> {
        None
    }
}
