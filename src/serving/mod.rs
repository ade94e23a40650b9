//! A serving fleet: requests arrive, wait in the router's queues, are batched onto replicas and
//! complete. The world owns all state; events are a closed enum handled in one `match`.
//!
//! Semantics (SPEC.md): with the shared queue an idle replica takes up to `max_batch_size` oldest
//! requests as soon as that many wait or the oldest has waited `max_wait`; a batch of b takes
//! `batch_time(b) / speed`, drawn from the distribution; latency = completion − arrival. Arrivals
//! stop at the horizon and the queues drain afterwards. Per-replica routers route only to ready
//! replicas, hold requests in a lobby while none is ready, and route a leaving replica's queue
//! again (`router/`, `world/routing.rs`); what a replica does with its queue is its executor (`executor/`).

pub mod arrivals;
pub mod executor;
pub mod router;
pub mod service;
pub mod tokens;
mod world;

pub use arrivals::{ArrivalProcess, RequestSource};
pub use world::{Inputs, simulate, simulate_with};
// Where they were before the run loop was shared: `crate::run` and `crate::fleet::audit` hold them.
pub use crate::fleet::audit::{Audit, InstanceBill};
pub use crate::run::{Outcome, SimError};
