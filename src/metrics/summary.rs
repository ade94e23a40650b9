//! `summary.json`: the run's figures under the keys SPEC.md fixes (seconds and US dollars).

use serde::Serialize;

use super::latency::LatencySummary;

/// Everything a run reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Request counts.
    pub requests: Requests,
    /// Latency of requests that arrived after warmup.
    pub latency_s: LatencySummary,
    /// The latency objective.
    pub sla: SlaSummary,
    /// Cost.
    pub cost_usd: Cost,
    /// Throughput per dollar.
    pub throughput: Throughput,
    /// Fleet size and use.
    pub fleet: FleetSummary,
    /// Per pool.
    pub pools: Vec<PoolSummary>,
    /// Job scenarios: the job's figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSummary>,
    /// LLM scenarios: `ttft_s`, `tpot_s`, `itl_s`, `tokens`, `kv`, `llm` (top-level keys).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub token: Option<super::tokens::TokenSummary>,
    /// Engine counters.
    pub engine: Engine,
    /// Defaults the run relies on — catalog figures and fleetsim's own — with their sources.
    pub assumptions: Vec<Assumption>,
}

/// A default a run relies on (`assumptions[]`): what it is, the scenario key that would set it,
/// the value used, where the figure comes from, its date and the catalog's caveat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Assumption {
    /// What the figure is about, e.g. `interruption rate of pool burst (p3.2xlarge, V100)`.
    pub what: String,
    /// The dotted scenario key that would set it instead.
    pub key: String,
    /// The value used, with its unit (`0.8%/h`, `90s`, `$1.10/h`).
    pub value: String,
    /// A URL, or `fleetsim default`.
    pub source: String,
    /// YYYY-MM-DD of the figure, or empty.
    pub date: String,
    /// How far to trust it, or empty.
    pub caveat: String,
}

/// `requests.*`
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Requests {
    /// Requests that arrived.
    pub arrived: u64,
    /// Requests completed (including cache hits).
    pub completed: u64,
    /// Requests re-queued after an interruption.
    pub retried: u64,
    /// Requests dropped (queue full, or waited `max_queue_wait`).
    pub dropped: u64,
    /// Of the dropped, those that waited `batcher.max_queue_wait`.
    pub timed_out: u64,
    /// Requests after warmup slower than the SLA latency.
    pub sla_violations: u64,
    /// Requests answered by the response cache.
    pub cache_hits: u64,
    /// Requests after warmup, those in the latency statistics.
    pub measured: u64,
    /// Requests still queued or in service at the end (0 once drained).
    pub in_flight: u64,
    /// LLM scenarios: of the dropped, those a replica refused (prompt + output above
    /// `max_model_len`, or a KV footprint above the replica's cache).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<u64>,
}

/// `sla.*` (null when the scenario sets no SLA).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SlaSummary {
    /// Latency target, seconds.
    pub target_s: Option<f64>,
    /// Quantile the target applies to.
    pub quantile: Option<f64>,
    /// Fraction of measured requests over the target.
    pub violation_rate: Option<f64>,
    /// Whether at most `1 − quantile` of requests were over the target.
    pub met: Option<bool>,
    /// LLM scenarios with objectives: the fraction of measured requests that met every one
    /// (TTFT, TPOT, end to end) given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attainment: Option<f64>,
    /// LLM scenarios with objectives: requests per second that met every one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goodput_rps: Option<f64>,
    /// The TTFT objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttft: Option<super::tokens::SloSummary>,
    /// The TPOT objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpot: Option<super::tokens::SloSummary>,
    /// The end-to-end objective (LLM scenarios; the same figures as the keys above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e2e: Option<super::tokens::SloSummary>,
}

/// `cost_usd.*`
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cost {
    /// Everything.
    pub total: f64,
    /// On-demand instances.
    pub on_demand: f64,
    /// Spot instances.
    pub spot: f64,
    /// Reserved capacity.
    pub reserved: f64,
    /// Total over completed requests, per million.
    pub per_million_requests: f64,
    /// Spot cost per zone.
    pub by_zone: std::collections::BTreeMap<String, f64>,
    /// LLM scenarios: total per million output tokens of completed requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_million_output_tokens: Option<f64>,
    /// LLM scenarios: total per million tokens (prompt + output) of completed requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_million_tokens: Option<f64>,
}

/// `throughput.*`
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Throughput {
    /// Completed requests per second of simulated time (start to the end of the drain).
    pub rps: f64,
    /// Completed requests per dollar.
    pub requests_per_usd: f64,
    /// Requests per second per dollar-per-hour of fleet spend: `rps / (cost per hour)`.
    pub rps_per_usd_per_hour: f64,
}

/// `fleet.*`
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FleetSummary {
    /// Instance running time, hours.
    pub instance_hours: f64,
    /// Spot interruptions.
    pub interruptions: u64,
    /// Time-averaged replicas.
    pub mean_replicas: f64,
    /// Most replicas at once.
    pub max_replicas: u32,
    /// Busy time over running time.
    pub utilization: f64,
    /// Instances launched over the run, replacements and stand-ins included.
    pub instances_launched: u64,
    /// Σ over spot pools of (count − ready spot instances), integrated over time, hours.
    pub spot_capacity_hours_lost: f64,
    /// Time with fewer ready replicas than the pools ask for, seconds.
    pub time_below_capacity_s: f64,
    /// Autoscaler decisions that raised the fleet's target.
    pub scale_ups: u64,
    /// Autoscaler decisions that lowered the fleet's target.
    pub scale_downs: u64,
}

/// One pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PoolSummary {
    /// Pool name.
    pub name: String,
    /// Instance type.
    pub instance: String,
    /// Market.
    pub market: String,
    /// Instances asked for (at time 0, for an autoscaled pool).
    pub count: u32,
    /// Autoscaled pools: fewest instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// Autoscaled pools: most instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// Instances let go of on scale-downs.
    pub scaled_down: u64,
    /// Instances launched over the run.
    pub instances_launched: u64,
    /// Interruption notices received.
    pub interruptions: u64,
    /// USD per instance-hour it was billed at: for a spot pool its spot price (the time-weighted
    /// mean paid when a price trace sets it; its on-demand stand-ins are billed at on-demand).
    pub price_per_hour: f64,
    /// What `price_per_hour` is: `on-demand`, `reserved`, `spot` (a constant spot price),
    /// `spot, mean paid` (over a price trace) or `spot, trace mean` (nothing was billed at spot:
    /// the traces' mean over the horizon).
    pub price_basis: String,
    /// Running time, hours.
    pub instance_hours: f64,
    /// Billed time, hours.
    pub billed_hours: f64,
    /// Cost, USD.
    pub cost_usd: f64,
    /// Busy time over running time.
    pub utilization: f64,
}

/// `job.*`
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct JobSummary {
    /// Whether all the work was done and saved within the horizon.
    pub completed: bool,
    /// When the job finished (or the horizon), seconds.
    pub makespan_s: f64,
    /// Compute thrown away by interruptions, seconds.
    pub lost_work_s: f64,
    /// Checkpoints written.
    pub checkpoints: u64,
    /// Time spent writing checkpoints, seconds.
    pub checkpoint_overhead_s: f64,
    /// Time spent restoring, seconds.
    pub restore_overhead_s: f64,
    /// Interruption notices.
    pub interruptions: u64,
    /// Whether the job finished by its deadline.
    pub deadline_met: bool,
    /// Time on spot gangs, seconds.
    pub spot_s: f64,
    /// Time on on-demand gangs, seconds.
    pub on_demand_s: f64,
    /// Gangs launched.
    pub launches: u64,
    /// Fraction of the work saved at the end.
    pub progress: f64,
    /// The checkpoint interval in force (Young's or Daly's resolved), seconds; null without
    /// periodic checkpoints.
    pub checkpoint_interval_s: Option<f64>,
}

/// `engine.*`
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Engine {
    /// Events processed.
    pub events: u64,
    /// Wall-clock seconds the simulation took (the one non-deterministic figure).
    pub wall_s: f64,
    /// Run seed.
    pub seed: u64,
    /// Simulated time at the end of the run, after the queue drained, seconds.
    pub end_s: f64,
}

/// Keys an `assert:` may name.
pub const METRIC_KEYS: &[&str] = &[
    "requests.arrived",
    "requests.completed",
    "requests.retried",
    "requests.dropped",
    "requests.timed_out",
    "requests.sla_violations",
    "requests.cache_hits",
    "requests.measured",
    "requests.in_flight",
    "requests.rejected",
    "latency_s.mean",
    "latency_s.p50",
    "latency_s.p90",
    "latency_s.p95",
    "latency_s.p99",
    "latency_s.max",
    "sla.target_s",
    "sla.quantile",
    "sla.violation_rate",
    "sla.met",
    "sla.attainment",
    "sla.goodput_rps",
    "sla.ttft.violation_rate",
    "sla.ttft.met",
    "sla.tpot.violation_rate",
    "sla.tpot.met",
    "sla.e2e.violation_rate",
    "sla.e2e.met",
    "cost_usd.total",
    "cost_usd.on_demand",
    "cost_usd.spot",
    "cost_usd.reserved",
    "cost_usd.per_million_requests",
    "cost_usd.per_million_output_tokens",
    "cost_usd.per_million_tokens",
    "throughput.rps",
    "throughput.requests_per_usd",
    "throughput.rps_per_usd_per_hour",
    "fleet.instance_hours",
    "fleet.instances_launched",
    "fleet.spot_capacity_hours_lost",
    "fleet.time_below_capacity_s",
    "fleet.interruptions",
    "fleet.mean_replicas",
    "fleet.max_replicas",
    "fleet.utilization",
    "fleet.scale_ups",
    "fleet.scale_downs",
    "ttft_s.mean",
    "ttft_s.p50",
    "ttft_s.p90",
    "ttft_s.p95",
    "ttft_s.p99",
    "ttft_s.max",
    "tpot_s.mean",
    "tpot_s.p50",
    "tpot_s.p90",
    "tpot_s.p95",
    "tpot_s.p99",
    "tpot_s.max",
    "itl_s.mean",
    "itl_s.p50",
    "itl_s.p90",
    "itl_s.p95",
    "itl_s.p99",
    "itl_s.max",
    "tokens.prompt",
    "tokens.output",
    "tokens.output_per_s",
    "kv.utilization_mean",
    "kv.preemptions",
    "kv.transfers",
    "kv.transfer_mean_s",
    "llm.iterations",
    "llm.mean_batch_tokens",
    "llm.mean_running",
    "job.completed",
    "job.makespan_s",
    "job.lost_work_s",
    "job.checkpoints",
    "job.checkpoint_overhead_s",
    "job.restore_overhead_s",
    "job.interruptions",
    "job.deadline_met",
    "job.spot_s",
    "job.on_demand_s",
    "job.launches",
    "job.progress",
    "job.checkpoint_interval_s",
    "engine.events",
    "engine.end_s",
];

/// Whether `key` names a summary metric.
pub fn is_known_metric(key: &str) -> bool {
    METRIC_KEYS.contains(&key)
}

impl Summary {
    /// The value of a dotted key as a number (`true` = 1), `None` if absent or null.
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.metrics(&[key])[0]
    }

    /// The values of several dotted keys, read from one serialization.
    pub fn metrics(&self, keys: &[&str]) -> Vec<Option<f64>> {
        let Ok(tree) = serde_json::to_value(self) else { return vec![None; keys.len()] };
        keys.iter()
            .map(|key| match key.split('.').try_fold(&tree, |node, k| node.get(k))? {
                serde_json::Value::Bool(b) => Some(f64::from(u8::from(*b))),
                other => other.as_f64(),
            })
            .collect()
    }

    /// The pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}
