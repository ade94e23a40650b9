//! The validated scenario: every value here has been checked, so the engine never re-checks.

use std::num::NonZeroU32;
use std::path::PathBuf;

use crate::engine::Duration;
use crate::trace::requests::RequestFormat;

/// A scenario ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name, used for the output folder.
    pub name: String,
    /// Free text for reports.
    pub description: Option<String>,
    /// Run seed.
    pub seed: u64,
    /// Arrivals stop here; the queue drains afterwards.
    pub horizon: Duration,
    /// Requests arriving earlier are left out of latency and SLA statistics.
    pub warmup: Duration,
    /// The instant of time 0 (weekends, time-of-day profiles, timestamped traces).
    pub start: jiff::Timestamp,
    /// `start` when the scenario gives it: timestamped market traces are then read relative to
    /// it; otherwise each trace's first row is time 0.
    pub trace_start: Option<jiff::Timestamp>,
    /// Spot markets, when any pool is spot.
    pub spot: Option<SpotSpec>,
    /// The serving workload, service model, batcher and router (serving scenarios).
    pub serving: Option<Serving>,
    /// The training or batch job (job scenarios).
    pub job: Option<JobSpec>,
    /// Pools of instances.
    pub fleet: FleetSpec,
    /// What drives the autoscaled pools (pools with min/max), if any.
    pub autoscaler: Option<AutoscalerSpec>,
    /// How instance time is billed.
    pub billing: Billing,
    /// Row spacing of `timeseries.csv`.
    pub timeseries_interval: Duration,
    /// Checks on the results.
    pub asserts: Vec<Assertion>,
    /// Resource limits of a run.
    pub limits: Limits,
    /// The grid `fleetsim sweep` runs, when the file gives one.
    pub sweep: Option<SweepSpec>,
    /// Defaults the run relies on (catalog figures, fleetsim defaults), for `summary.json`.
    pub assumptions: Vec<crate::metrics::summary::Assumption>,
}

/// `sweep:` validated: axes in file order, replications, and what "best" means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSpec {
    /// Runs per cell, when the file sets it.
    pub replications: Option<u32>,
    /// Grid axes; cells are their product.
    pub axes: Vec<Axis>,
    /// The metric to minimize or maximize over cell means.
    pub objective: Option<Objective>,
    /// Conditions on cell means that the best cell must meet.
    pub constraints: Vec<Assertion>,
}

/// One grid axis: a scenario key and the values it takes, as `--set` would be given them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    /// Dotted scenario key.
    pub key: String,
    /// Values as text (`5m`, `16`, `young`).
    pub values: Vec<String>,
}

/// What the best sweep cell does with a metric.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Objective {
    /// Dotted summary key.
    pub metric: String,
    /// Lowest or highest mean.
    pub goal: Goal,
}

/// Minimize or maximize.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Lowest mean wins.
    Minimize,
    /// Highest mean wins.
    Maximize,
}

/// Bounds that keep a run from exhausting memory or time; reaching one is reported, never an
/// out-of-memory kill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Most requests waiting in the queues at once; arrivals beyond it are dropped and counted.
    pub max_queued_requests: usize,
    /// Most requests held at once (waiting, in service, answered from the cache); arrivals beyond
    /// it are dropped and counted.
    pub max_requests_in_memory: u64,
    /// Most events one run may process before it stops with an error.
    pub max_events: u64,
    /// Most instances (gangs, for a job) one run may launch before it stops with an error: each
    /// is kept for its bill.
    pub max_instances_launched: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_queued_requests: 20_000_000,
            max_requests_in_memory: 25_000_000,
            max_events: 50_000_000_000,
            max_instances_launched: 10_000_000,
        }
    }
}

impl Scenario {
    /// The request trace a serving scenario replays: path, format and speedup.
    pub fn request_trace(&self) -> Option<(&std::path::Path, RequestFormat, f64)> {
        match self.serving.as_ref().map(|sv| &sv.arrivals) {
            Some(Arrivals::Trace { path, format, speedup }) => Some((path.as_path(), *format, *speedup)),
            _ => None,
        }
    }
}

/// A long job on spot and on-demand capacity.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    /// Compute time needed at speed 1.0.
    pub work: Duration,
    /// Instances that must all run.
    pub gang: u32,
    /// Instance type.
    pub instance: InstanceSpec,
    /// Zones where spot may be taken.
    pub zones: Vec<String>,
    /// How a spot gang picks its zone.
    pub zone_policy: ZoneStrategy,
    /// Deadline from time 0.
    pub deadline: Duration,
    /// Placement policy.
    pub policy: JobPolicy,
    /// Each launch: billed, no progress.
    pub restart_overhead: Duration,
    /// When to checkpoint.
    pub interval: CheckpointInterval,
    /// Time to write a checkpoint.
    pub write: Duration,
    /// Time to restore after a restart (when there is a checkpoint).
    pub restore: Duration,
    /// Write a checkpoint inside the notice window when it fits.
    pub emergency: bool,
    /// Spot price where no trace gives one, USD per instance-hour; `None` when `spot.price` is a
    /// trace and the catalog has no reference discount (every zone then has a price series).
    pub spot_price: Option<f64>,
    /// On-demand price, USD per instance-hour.
    pub on_demand_price: f64,
    /// Interruptions per instance-hour (hazard model); the gang's is `gang` times this.
    pub interruptions_per_hour: f64,
    /// Warning before a spot gang is reclaimed.
    pub notice: Duration,
}

/// Job placement policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobPolicy {
    /// Always on demand.
    OnDemand,
    /// Spot when obtainable, else wait.
    SpotOnly,
    /// Spot while obtainable; on demand once the deadline requires it.
    Greedy,
    /// Can't Be Late's uniform progress.
    UniformProgress,
}

impl JobPolicy {
    /// The scenario's word.
    pub fn as_str(self) -> &'static str {
        match self {
            JobPolicy::OnDemand => "on_demand",
            JobPolicy::SpotOnly => "spot_only",
            JobPolicy::Greedy => "greedy",
            JobPolicy::UniformProgress => "uniform_progress",
        }
    }
}

/// When a job checkpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CheckpointInterval {
    /// After every so much compute (Young's and Daly's intervals resolve to this).
    Every(Duration),
    /// Never: an interruption loses everything.
    None,
    /// Progress is never lost, at no cost.
    Continuous,
}

/// Requests through a batcher onto a fleet.
#[derive(Clone, Debug)]
pub struct Serving {
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Latency objective, if any.
    pub sla: Option<Sla>,
    /// Response cache in front of the fleet, if any.
    pub cache: Option<Cache>,
    /// Batch service times.
    pub service: Service,
    /// Batch formation.
    pub batcher: Batcher,
    /// How requests reach replicas.
    pub router: Router,
    /// Prompt and output lengths for arrivals that carry none (`workload.tokens`).
    pub tokens: super::tokens::TokensSpec,
}

/// Arrival processes.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson at `rate_per_s`.
    Poisson {
        /// Mean arrivals per second.
        rate_per_s: f64,
    },
    /// One arrival every `1 / rate_per_s` seconds, the first at time 0.
    Constant {
        /// Arrivals per second.
        rate_per_s: f64,
    },
    /// Non-homogeneous Poisson: `mean · (1 + amplitude · cos(2π (t − peak_at) / period))`.
    Diurnal {
        /// Mean arrivals per second over a period.
        mean_per_s: f64,
        /// Relative swing, from `peak_to_trough = (1 + a) / (1 − a)`.
        amplitude: f64,
        /// Cycle length.
        period: Duration,
        /// Time of the peak within a cycle.
        peak_at: Duration,
    },
    /// A batch-inference queue: `count` items at time 0; the run ends when the last is done.
    Items {
        /// Number of items.
        count: u64,
        /// Input tokens per item (0: not given, lengths from `workload.tokens` if any).
        size: u32,
    },
    /// Replay of a trace file.
    Trace {
        /// Resolved path of the trace.
        path: PathBuf,
        /// File format.
        format: RequestFormat,
        /// Time compression factor.
        speedup: f64,
    },
}

/// Latency objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sla {
    /// Latency target.
    pub latency: Duration,
    /// Fraction of requests that must meet it.
    pub quantile: f64,
}

/// Response cache in front of the fleet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cache {
    /// Probability a request is answered by the cache.
    pub hit_rate: f64,
    /// Latency of a hit.
    pub latency: Duration,
}

/// Batch service times.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// Mean time of a batch.
    pub batch_time: BatchTime,
    /// Spread around the mean.
    pub distribution: ServiceDistribution,
}

/// Mean batch time as a function of the batch.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchTime {
    /// `base + per_item·b + per_input_token·Σ tokens_in + per_output_token·max tokens_out`, in ns.
    Linear {
        /// Fixed part, ns.
        base_ns: f64,
        /// Per request, ns.
        per_item_ns: f64,
        /// Per input token summed over the batch, ns.
        per_input_token_ns: f64,
        /// Per output token of the longest generation, ns.
        per_output_token_ns: f64,
    },
    /// `(batch size, ns)` points sorted by size, interpolated linearly (extrapolated from the
    /// last two points beyond the largest size).
    Table(Vec<(u32, f64)>),
}

/// Distribution of a batch's time around its mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ServiceDistribution {
    /// Exactly the mean.
    Deterministic,
    /// Exponential.
    Exponential,
    /// Lognormal with this coefficient of variation.
    Lognormal {
        /// Standard deviation over mean.
        cv: f64,
    },
}

/// Batch formation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batcher {
    /// Largest batch.
    pub max_batch_size: NonZeroU32,
    /// Longest the oldest request waits for a fuller batch.
    pub max_wait: Duration,
    /// Most requests waiting before arrivals are dropped.
    pub max_queue: Option<usize>,
    /// Requests still waiting this long after they arrived are dropped (a client timeout).
    pub max_queue_wait: Option<Duration>,
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

/// The fleet.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    /// Pools, in file order.
    pub pools: Vec<PoolSpec>,
}

/// A pool of identical instances.
#[derive(Clone, Debug)]
pub struct PoolSpec {
    /// Unique name.
    pub name: String,
    /// Instance type, resolved against the catalog.
    pub instance: InstanceSpec,
    /// Market.
    pub market: Market,
    /// Instances at time 0 (the fixed number when the pool is not autoscaled).
    pub count: u32,
    /// Autoscaled pools: the bounds the autoscaler keeps the pool within.
    pub scaling: Option<PoolBounds>,
    /// USD per instance-hour of the pool's own market (on-demand or reserved price; for spot
    /// pools the on-demand price of fallback stand-ins).
    pub price_per_hour: f64,
    /// Spot: zones, in the order given (one `default` zone when none are).
    pub zones: Vec<String>,
    /// Spot: how new instances pick a zone.
    pub zone_strategy: ZoneStrategy,
    /// Spot: launch on-demand stand-ins while spot is unobtainable.
    pub ondemand_fallback: bool,
    /// Spot: instances are reclaimed while the price is above this, and none launch.
    pub max_price: Option<f64>,
    /// Spot: price where no trace gives one, USD per instance-hour; `None` when `spot.price` is a
    /// trace and the catalog has no reference discount for the type (every zone then has a price
    /// series: checked when the traces are read).
    pub spot_price: Option<f64>,
    /// Spot: interruptions per instance-hour (hazard model).
    pub interruptions_per_hour: f64,
    /// Spot: warning before reclaim.
    pub notice: Duration,
    /// The pool's own batch times (its `service:` over the scenario's), when it gives any.
    pub service: Option<Service>,
}

/// The spot price where no trace gives one: a broken invariant when there is none, since every
/// zone then has a price series (checked when the traces are read).
pub fn untraced_spot_price(spot_price: Option<f64>) -> f64 {
    spot_price.expect("a zone without a price series needs a constant or reference spot price")
}

/// An autoscaled pool's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolBounds {
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
}

/// Zone choice for a new spot instance or gang ([`crate::fleet::zone_picker`] gives each its
/// semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneStrategy {
    /// Lowest spot price among obtainable zones.
    LowestPrice,
    /// Most obtainable capacity left.
    MostAvailable,
    /// In turn.
    RoundRobin,
    /// The zone of the first launch, and no other.
    Stay,
}

impl From<super::raw::RawZoneStrategy> for ZoneStrategy {
    fn from(raw: super::raw::RawZoneStrategy) -> ZoneStrategy {
        use super::raw::RawZoneStrategy as Raw;
        match raw {
            Raw::LowestPrice => ZoneStrategy::LowestPrice,
            Raw::MostAvailable => ZoneStrategy::MostAvailable,
            Raw::RoundRobin => ZoneStrategy::RoundRobin,
            Raw::Stay => ZoneStrategy::Stay,
        }
    }
}

/// Spot market inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotSpec {
    /// Where interruptions come from.
    pub interruptions: Interruptions,
    /// Price traces (empty: constant prices per pool).
    pub price_traces: Vec<PriceTraceSpec>,
}

/// Interruption sources.
#[derive(Clone, Debug, PartialEq)]
pub enum Interruptions {
    /// Independent per instance, at each pool's `interruptions_per_hour`, shaped by these.
    Hazard {
        /// Multiplier on Saturdays and Sundays (UTC).
        weekend_factor: f64,
        /// Multiplier per UTC hour of the day.
        profile: [f64; 24],
    },
    /// Availability traces.
    Traces(Vec<AvailabilityTraceSpec>),
}

/// An availability trace to read.
#[derive(Clone, Debug, PartialEq)]
pub struct AvailabilityTraceSpec {
    /// Resolved path.
    pub path: PathBuf,
    /// `skypilot-availability` (true) or csv (false).
    pub skypilot: bool,
    /// Zone (skypilot) or zone filter (csv).
    pub zone: Option<String>,
    /// Instance filter.
    pub instance: Option<String>,
}

/// A price trace to read.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceTraceSpec {
    /// Resolved path.
    pub path: PathBuf,
    /// Format.
    pub format: PriceTraceFormat,
    /// Zone filter.
    pub zone: Option<String>,
    /// Instance filter.
    pub instance: Option<String>,
    /// Tick of per-tick series.
    pub tick: Option<Duration>,
}

/// Price trace formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceTraceFormat {
    /// `time,zone,instance,price`
    Csv,
    /// `aws ec2 describe-spot-price-history` JSON.
    AwsJson,
    /// Per-tick series per zone.
    SkypilotPrices,
}

/// A resolved instance type.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    /// Type name.
    pub name: String,
    /// GPU model (empty for CPU-only).
    pub gpu: String,
    /// GPUs per instance.
    pub gpus: u32,
    /// USD per hour on demand.
    pub on_demand_price: f64,
    /// Batch times are divided by this.
    pub speed: f64,
    /// Launch to ready.
    pub boot: Duration,
    /// Cloud provider, when known.
    pub provider: String,
    /// Longest an instance may live before it is reclaimed.
    pub max_lifetime: Option<Duration>,
}

/// Markets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    /// Pay as you go.
    OnDemand,
    /// Interruptible, at the spot price.
    Spot,
    /// Committed for the whole run, billed whether used or not.
    Reserved,
}

impl Market {
    /// The scenario's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Market::OnDemand => "on_demand",
            Market::Spot => "spot",
            Market::Reserved => "reserved",
        }
    }
}

/// Billing rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Billing {
    /// Billed time is rounded up to a multiple of this.
    pub granularity: Duration,
    /// Shortest billed time per instance.
    pub minimum: Duration,
}

/// A check on a summary metric: `metric op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// Dotted summary key, e.g. `latency_s.p99`.
    pub metric: String,
    /// Comparison.
    pub op: CmpOp,
    /// Right-hand side.
    pub value: f64,
    /// The text as written.
    pub text: String,
}

/// Comparisons in assertions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
}

impl CmpOp {
    /// Whether `lhs op rhs` holds.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs >= rhs,
            CmpOp::Eq => lhs == rhs,
        }
    }
}

/// `autoscaler:` — at most one load-following autoscaler, and schedule floors.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalerSpec {
    /// The load-following autoscaler, if any.
    pub scaler: Option<ScalerSpec>,
    /// Floors on the fleet's replica count by time of day or simulated time.
    pub schedule: Vec<ScheduleEntry>,
}

/// The load-following autoscalers.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalerSpec {
    /// Kubernetes' Horizontal Pod Autoscaler.
    Hpa(HpaSpec),
    /// KEDA-style queue-length scaling (activation and scale to zero, then an HPA).
    Queue(QueueSpec),
    /// Knative's Pod Autoscaler.
    Kpa(KpaSpec),
}

/// What the HPA measures, with its target per replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HpaMetric {
    /// Busy fraction of ready replicas over the last sync period, as a whole percentage (as
    /// Kubernetes' `averageUtilization`).
    Utilization {
        /// Target, percent.
        percent: u32,
    },
    /// Requests queued or in service per ready replica, averaged over the last sync period.
    InFlight {
        /// Target per replica.
        per_replica: f64,
    },
    /// Arrivals per second per ready replica over the last sync period.
    Rps {
        /// Target per replica.
        per_replica: f64,
    },
    /// An external metric with an `AverageValue` target: requests queued or in service now,
    /// over the replicas asked for (what KEDA's queue scalers feed the HPA).
    QueueLength {
        /// Target per replica.
        per_replica: f64,
    },
}

/// The HPA's algorithm parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSpec {
    /// Metric and target.
    pub metric: HpaMetric,
    /// Time between decisions.
    pub sync_period: Duration,
    /// No change while |1 − metric/target| is at most this.
    pub tolerance: f64,
    /// Scale-up behaviour.
    pub scale_up: ScalingRules,
    /// Scale-down behaviour.
    pub scale_down: ScalingRules,
}

/// One direction of the HPA's `behavior`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    /// Stabilization window: scaling down follows the highest recommendation in it (scaling up
    /// the lowest).
    pub stabilization: Duration,
    /// How the policies combine.
    pub select: SelectPolicy,
    /// Rate limits.
    pub policies: Vec<ScalingPolicy>,
}

impl ScalingRules {
    /// Kubernetes' default scale-up: at most max(+100%, +4 pods) per 15 s, no stabilization.
    pub fn default_up() -> ScalingRules {
        ScalingRules {
            stabilization: Duration::ZERO,
            select: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy { change: PolicyChange::Pods(4), period: Duration::from_secs(15) },
                ScalingPolicy { change: PolicyChange::Percent(100), period: Duration::from_secs(15) },
            ],
        }
    }

    /// Kubernetes' default scale-down: at most −100% per 15 s after a 300 s stabilization.
    pub fn default_down() -> ScalingRules {
        ScalingRules {
            stabilization: Duration::from_secs(300),
            select: SelectPolicy::Max,
            policies: vec![ScalingPolicy { change: PolicyChange::Percent(100), period: Duration::from_secs(15) }],
        }
    }
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One HPA scaling policy: at most this change per `period`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalingPolicy {
    /// The change allowed.
    pub change: PolicyChange,
    /// Over this period.
    pub period: Duration,
}

/// A change in pods or in percent of the replicas at the period's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyChange {
    /// Pods.
    Pods(u32),
    /// Percent.
    Percent(u32),
}

/// KEDA-style queue scaling.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSpec {
    /// Active while the queue holds more than this.
    pub activation: f64,
    /// Time between KEDA's polls (activation and scale to zero).
    pub polling: Duration,
    /// Scale to zero once no poll has been active for this long.
    pub cooldown: Duration,
    /// The HPA KEDA drives between 1 and max replicas (metric: queue length).
    pub hpa: HpaSpec,
}

/// Knative's Pod Autoscaler.
#[derive(Clone, Debug, PartialEq)]
pub struct KpaSpec {
    /// Concurrency (requests queued or in service) per replica aimed at, before utilization.
    pub target_concurrency: f64,
    /// Fraction of the target actually aimed at (`container-concurrency-target-percentage`).
    pub target_utilization: f64,
    /// Averaging window of the stable mode.
    pub stable_window: Duration,
    /// Averaging window of the panic mode.
    pub panic_window: Duration,
    /// Panic when the panic-window count reaches this multiple of the ready replicas.
    pub panic_threshold: f64,
    /// At most this multiple of the ready replicas per decision.
    pub max_scale_up_rate: f64,
    /// At least the ready replicas over this per decision.
    pub max_scale_down_rate: f64,
    /// The last replica stays this long after the autoscaler first asks for zero.
    pub scale_to_zero_grace: Duration,
    /// Time between decisions.
    pub tick: Duration,
}

/// A floor on the replica count while a window is open.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleEntry {
    /// When it applies.
    pub window: ScheduleWindow,
    /// Fewest replicas (all pools) while it applies.
    pub min: u32,
}

/// When a schedule entry applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleWindow {
    /// Every listed day from one UTC time of day to another (past midnight when `to` < `from`).
    Daily {
        /// Seconds after midnight UTC.
        from_s: u32,
        /// Seconds after midnight UTC.
        to_s: u32,
        /// Bit d set: the window opens on day d (0 = Monday).
        days: u8,
    },
    /// Once, over [from, to) of simulated time.
    Between {
        /// Opens.
        from: Duration,
        /// Closes.
        to: Duration,
    },
}
