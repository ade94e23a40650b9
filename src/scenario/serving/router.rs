//! `router:` — how requests reach replicas: one shared queue, or a queue per replica dealt in turn
//! or to the replica with the fewest outstanding requests.

use serde::{Deserialize, Serialize};

use crate::scenario::error::{Invalid, invalid};

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
    /// LLM replicas: each request to the replica with the most free KV blocks.
    LeastKv,
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
    /// A queue per LLM replica, to the one with the most free KV blocks.
    LeastKv,
}

/// The router `raw` names: default `shared_queue`, or `least_outstanding` for LLM replicas, which
/// keep their own queues (the shared queue is refused there, `least_kv` everywhere else).
pub(super) fn router(raw: Option<RawRouter>, llm: bool) -> Result<Router, Invalid> {
    let default = if llm { RawRouter::LeastOutstanding } else { RawRouter::SharedQueue };
    Ok(match raw.unwrap_or(default) {
        RawRouter::SharedQueue if llm => {
            return invalid(
                "router",
                "LLM replicas each keep their own queue (a request joins one on arrival): use round_robin, least_outstanding (the default) or least_kv",
            );
        }
        RawRouter::LeastKv if !llm => {
            return invalid(
                "router",
                "least_kv routes by free KV cache blocks: it needs LLM replicas (an `llm:` section)",
            );
        }
        RawRouter::SharedQueue => Router::SharedQueue,
        RawRouter::RoundRobin => Router::RoundRobin,
        RawRouter::LeastOutstanding => Router::LeastOutstanding,
        RawRouter::LeastKv => Router::LeastKv,
    })
}
