//! The scenario file as written: serde structs that mirror the YAML keys one for one.
//!
//! These types only describe shape and units; [`super::validate`] turns them into a
//! [`super::Scenario`] whose values are known to make sense. Key names are the public contract of
//! SPEC.md: add keys, never rename them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::units::{DurationValue, RateValue};

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Scenario name, used for the output folder.
    pub name: String,
    /// Free text shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Run seed; every random stream derives from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Arrivals stop at the horizon; the queue drains afterwards.
    pub horizon: DurationValue,
    /// The wall-clock instant of time 0 (RFC 3339), for weekends and time-of-day profiles and
    /// for traces with timestamps. Default 2024-01-01T00:00:00Z, a Monday.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Requests arriving before this are left out of latency/SLA statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<DurationValue>,
    /// Serving workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<RawWorkload>,
    /// Batch service times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<RawService>,
    /// Dynamic batcher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batcher: Option<RawBatcher>,
    /// How requests reach replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<RawRouter>,
    /// Pools of instances and instance-type overrides (serving scenarios).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<RawFleet>,
    /// A training or batch job (replaces workload, service, batcher, router and pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<RawJob>,
    /// What drives the pools that have min/max.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<super::autoscaler::RawAutoscaler>,
    /// Spot markets: interruptions, prices, notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<RawSpot>,
    /// Billing granularity and minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<RawBilling>,
    /// Output options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RawOutput>,
    /// Checks on the results, e.g. `"latency_s.p99 <= 0.25"`; a failed one makes the exit code 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assert: Option<Vec<String>>,
    /// The grid `fleetsim sweep` runs (ignored by `run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<super::sweep::RawSweep>,
    /// `limits:` what one run may use before it stops (or drops arrivals) with a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<RawLimits>,
}

/// `limits:` (each optional; defaults in [`super::Limits`]).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Events one run may process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u64>,
    /// Requests waiting in the queues at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queued_requests: Option<u64>,
    /// Requests held at once: waiting, in service or being answered from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests_in_memory: Option<u64>,
    /// Instances (gangs, for a job) launched over the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_instances_launched: Option<u64>,
}

/// `job:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawJob {
    /// Compute time needed at speed 1.0.
    pub work: DurationValue,
    /// Instances that must all run (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gang: Option<u32>,
    /// Instance type.
    pub instance: String,
    /// Zones where spot may be taken (default one zone, `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Where a new spot gang goes: `stay`, `cheapest` (default) or `most_available`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_policy: Option<RawZoneStrategy>,
    /// Deadline from time 0 (default: the horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DurationValue>,
    /// `on_demand`, `spot_only`, `greedy` or `uniform_progress` (default spot_only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<RawJobPolicy>,
    /// Each launch, the first included: billed, no progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_overhead: Option<DurationValue>,
    /// Checkpointing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<RawCheckpoint>,
}

/// Job placement policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawJobPolicy {
    /// Always on demand.
    OnDemand,
    /// Spot when obtainable, else wait.
    SpotOnly,
    /// Spot until the deadline forces on-demand.
    Greedy,
    /// Can't Be Late's uniform progress.
    UniformProgress,
}

/// `checkpoint:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoint {
    /// A duration, or `young`, `daly`, `none`, `continuous`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Time to write a checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<DurationValue>,
    /// Time to restore one after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<DurationValue>,
    /// `emergency` or `ignore` (default ignore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_notice: Option<RawOnNotice>,
}

/// What a notice does to a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawOnNotice {
    /// Write a checkpoint inside the notice window when it fits.
    Emergency,
    /// Keep computing until the stop.
    Ignore,
}

/// `workload:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// Exactly one arrival process.
    pub arrivals: RawArrivals,
    /// Latency objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<RawSla>,
    /// Fraction of requests answered by a response cache without reaching the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_hit_rate: Option<f64>,
    /// Latency of a cache hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_latency: Option<DurationValue>,
    /// Prompt and output lengths for arrivals that carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<super::tokens::RawTokens>,
}

/// `workload.arrivals:` — exactly one of these keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawArrivals {
    /// Poisson arrivals at a constant rate.
    Poisson(RawRate),
    /// Evenly spaced arrivals (deterministic), e.g. for hand-worked checks.
    Constant(RawRate),
    /// A sinusoidal day: non-homogeneous Poisson.
    Diurnal(RawDiurnal),
    /// Replay of a request trace.
    Trace(RawRequestTrace),
    /// A batch-inference queue: `count` items, all there at time 0.
    Items(RawItems),
}

/// `items: { count, size }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawItems {
    /// Number of items.
    pub count: u64,
    /// Input tokens per item (for `per_input_token` batch times; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
}

/// `{ rate: 120/s }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    /// Mean arrival rate.
    pub rate: RateValue,
}

/// `diurnal: { mean, peak_to_trough, period, peak_at }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiurnal {
    /// Mean rate over a period.
    pub mean: RateValue,
    /// Peak rate over trough rate (≥ 1).
    pub peak_to_trough: f64,
    /// Length of one cycle (default 24h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<DurationValue>,
    /// Time of the peak within the cycle (default 14h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_at: Option<DurationValue>,
}

/// `trace: { path, format, speedup }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequestTrace {
    /// Path, relative to the scenario file's folder.
    pub path: String,
    /// `csv` or `azure-llm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<RawTraceFormat>,
    /// Time compression: 2.0 replays twice as fast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
}

/// Request trace formats.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawTraceFormat {
    /// `time[,tokens_in,tokens_out]`
    Csv,
    /// `TIMESTAMP,ContextTokens,GeneratedTokens`
    AzureLlm,
}

/// `sla: { latency, quantile }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    /// Latency target.
    pub latency: DurationValue,
    /// Quantile the target applies to (default 0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
}

/// `service:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// Mean time of one batch.
    pub batch_time: RawBatchTime,
    /// Distribution around that mean (default deterministic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<RawDistribution>,
}

/// `batch_time:` — linear terms, or a table interpolated linearly.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatchTime {
    /// Fixed time per batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<DurationValue>,
    /// Time per request in the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_item: Option<DurationValue>,
    /// Time per input (context) token, summed over the batch (prefill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_input_token: Option<DurationValue>,
    /// Time per output token of the longest generation in the batch (decode steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_output_token: Option<DurationValue>,
    /// Batch size → batch time, interpolated linearly between entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<BTreeMap<u32, DurationValue>>,
}

/// `distribution:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawDistribution {
    /// Exactly the mean.
    Deterministic,
    /// Exponential with the mean.
    Exponential,
    /// Lognormal with the mean and a coefficient of variation.
    Lognormal(RawLognormal),
}

/// `{ lognormal: { cv: 0.3 } }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLognormal {
    /// Standard deviation over mean.
    pub cv: f64,
}

/// `batcher: { max_batch_size, max_wait }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatcher {
    /// Largest batch (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<u32>,
    /// Longest the oldest request waits for a fuller batch (default 0: dispatch at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait: Option<DurationValue>,
    /// Most requests waiting; arrivals beyond it are dropped (default: no limit but the engine's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue: Option<u64>,
    /// Requests still waiting this long after arriving are dropped (default: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue_wait: Option<DurationValue>,
}

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

/// `fleet:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFleet {
    /// Pools of identical instances (none in a job scenario).
    #[serde(default)]
    pub pools: Vec<RawPool>,
    /// Instance types added to, or overriding, the built-in catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_types: Option<Vec<RawInstanceType>>,
}

/// One pool.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    /// Pool name, unique in the fleet.
    pub name: String,
    /// Instance type name (catalog or `instance_types`).
    pub instance: String,
    /// `on_demand` (default), `spot` or `reserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<RawMarket>,
    /// Fixed number of instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Autoscaled pools: lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// Autoscaled pools: upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// Autoscaled pools: instances at time 0 (default `min`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<u32>,
    /// Spot: highest price paid per instance-hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<f64>,
    /// Spot: zones the pool spreads over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Spot: how a new instance picks its zone (default lowest_price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_strategy: Option<RawZoneStrategy>,
    /// Spot: launch on-demand stand-ins while spot is unobtainable (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ondemand_fallback: Option<bool>,
    /// Effective USD per instance-hour: required for reserved pools; overrides the on-demand price
    /// of on-demand pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// The pool's own batch times: each key given replaces `service`'s for its replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<RawPoolService>,
}

/// `fleet.pools[].service:` — `service` keys for one pool (each optional).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPoolService {
    /// Mean time of one batch on this pool's instances (replaces `service.batch_time` whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_time: Option<RawBatchTime>,
    /// Distribution around that mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<RawDistribution>,
}

/// Zone choice for a new spot instance (a serving pool's `zone_strategy`) or gang (a job's
/// `zone_policy`): one set of names for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawZoneStrategy {
    /// The obtainable zone with the lowest spot price (`cheapest` is the same).
    #[serde(alias = "cheapest")]
    LowestPrice,
    /// The zone with the most obtainable capacity left.
    MostAvailable,
    /// Zones in turn.
    RoundRobin,
    /// The zone of the first launch (the first zone listed until then), and no other.
    Stay,
}

/// `spot:`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpot {
    /// Interruption source (default: a hazard at the catalog's rate for the GPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruptions: Option<RawInterruptions>,
    /// Price source (default: the catalog's typical discount off on-demand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<RawPrice>,
    /// Warning before an instance is reclaimed (default: the provider's, AWS 2m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<DurationValue>,
}

/// `spot.interruptions:` — exactly one of these keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawInterruptions {
    /// Independent exponential interruptions per instance.
    Hazard(RawHazard),
    /// Availability traces, one entry or a list (one per zone).
    Trace(OneOrMany<RawAvailabilityTrace>),
}

/// One value or a list of them.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single entry.
    One(T),
    /// Several entries.
    Many(Vec<T>),
}

/// A list is `Many`, a mapping is `One`: decided by the value's shape rather than by trying each
/// (as `#[serde(untagged)]` would), so an error inside an entry — an unknown key, a duration
/// without a unit — is reported with its key instead of "did not match any variant".
impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};

        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one entry { path: ..., format: ... } or a list of them")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }
        d.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

impl<T> OneOrMany<T> {
    /// The entries as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
}

/// `hazard: { per_hour, weekend_factor, profile }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHazard {
    /// Interruptions per instance-hour (default: the catalog's figure for the GPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_hour: Option<f64>,
    /// Multiplier on Saturdays and Sundays (UTC) (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekend_factor: Option<f64>,
    /// 24 multipliers, one per UTC hour of the day (default all 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Vec<f64>>,
}

/// An availability trace entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAvailabilityTrace {
    /// Path, relative to the scenario file.
    pub path: String,
    /// `skypilot-availability` or `csv`.
    pub format: RawAvailabilityFormat,
    /// The zone a one-series file applies to (skypilot-availability); a filter for csv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Only rows of this instance type (csv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// Availability trace formats.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawAvailabilityFormat {
    /// `{"metadata": {"gap_seconds": N}, "data": [...]}`
    SkypilotAvailability,
    /// `time,zone,instance,available`
    Csv,
}

/// `spot.price:` — exactly one of these keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawPrice {
    /// One price everywhere, USD per instance-hour.
    Constant(f64),
    /// Price traces, one entry or a list.
    Trace(OneOrMany<RawPriceTrace>),
}

/// A price trace entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPriceTrace {
    /// Path, relative to the scenario file.
    pub path: String,
    /// `csv`, `aws-json` or `skypilot-prices`.
    pub format: RawPriceFormat,
    /// Only this zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Only this instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Tick length of a per-tick series (skypilot-prices), e.g. 195s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<DurationValue>,
}

/// Price trace formats.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawPriceFormat {
    /// `time,zone,instance,price`
    Csv,
    /// `aws ec2 describe-spot-price-history` output.
    AwsJson,
    /// `{"<zone>_v100_1": [price per tick, ...]}`
    SkypilotPrices,
}

/// Markets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawMarket {
    /// Pay as you go.
    OnDemand,
    /// Interruptible, cheaper.
    Spot,
    /// Committed for the whole horizon.
    Reserved,
}

/// An entry of `fleet.instance_types`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstanceType {
    /// Type name; if it is in the catalog, the fields given here override the catalog's.
    pub name: String,
    /// GPUs per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<u32>,
    /// GPU model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<String>,
    /// Memory per GPU, GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_memory_gib: Option<f64>,
    /// vCPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpus: Option<u32>,
    /// Host memory, GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gib: Option<f64>,
    /// USD per instance-hour on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_price: Option<f64>,
    /// Relative speed: batch times are divided by it (default 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Time from launch to serving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot: Option<DurationValue>,
    /// Cloud provider (`aws`, `gcp`, `azure`), for default notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Longest an instance may live (e.g. 24h for GCP preemptible); then it is reclaimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lifetime: Option<DurationValue>,
}

/// `billing: { granularity, minimum }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBilling {
    /// Billing step (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<DurationValue>,
    /// Minimum billed time per instance (default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<DurationValue>,
}

/// `output: { timeseries_interval }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// Row spacing of `timeseries.csv` (default 1m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries_interval: Option<DurationValue>,
}
