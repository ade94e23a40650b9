//! `router:` — how requests reach replicas: one shared queue, or a queue per replica dealt in turn
//! or to the replica with the fewest outstanding requests.

use serde::{Deserialize, Serialize};

/// `router:`
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawRouter {
    /// One FIFO queue for all replicas.
    SharedQueue,
    /// A queue per replica, requests dealt in turn.
    RoundRobin,
    /// A queue per replica, each request to the replica with the fewest outstanding.
    LeastOutstanding,
}

/// Routers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Router {
    /// One FIFO queue shared by all replicas.
    SharedQueue,
    /// A queue per replica, dealt in turn.
    RoundRobin,
    /// A queue per replica, to the one with the fewest outstanding requests.
    LeastOutstanding,
}

/// The router `raw` names (default `shared_queue`).
pub(super) fn router(raw: Option<RawRouter>) -> Router {
    match raw.unwrap_or(RawRouter::SharedQueue) {
        RawRouter::SharedQueue => Router::SharedQueue,
        RawRouter::RoundRobin => Router::RoundRobin,
        RawRouter::LeastOutstanding => Router::LeastOutstanding,
    }
}
