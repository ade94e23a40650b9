//! The bill of every instance a run launched: what the invariant checker ([`crate::check`])
//! recomputes on its own to verify the summary's costs.

use crate::engine::{Duration, SimTime};
use crate::scenario::Market;

/// The bill of every instance (every gang, for a job), in launch order: what
/// [`crate::check`] recomputes to verify the summary's costs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audit {
    /// One entry per instance (per gang run, for a job).
    pub instances: Vec<InstanceBill>,
    /// Job scenarios: work saved, seconds of compute at speed 1.0, before the cap at the job's work.
    pub job_saved_work_s: f64,
    /// LLM scenarios: the token and KV ledger.
    pub llm: Option<crate::metrics::tokens::LlmAudit>,
}

/// One instance's (or one gang's) bill.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceBill {
    /// Pool index (serving); 0 for a job.
    pub pool: usize,
    /// Instances billed together: 1, or the gang size of a job.
    pub count: u32,
    /// Market it ran on.
    pub market: Market,
    /// An on-demand stand-in launched for a spot pool (billed at the on-demand price).
    pub stand_in: bool,
    /// Spot zone, if any.
    pub zone: Option<String>,
    /// Launch time.
    pub launched: SimTime,
    /// Stop time as billed (the end of the run for instances still running).
    pub stopped: SimTime,
    /// Billed time (after granularity and minimum; the whole horizon for reserved capacity).
    pub billed: Duration,
    /// Cost, USD, for all `count` instances.
    pub cost_usd: f64,
}
