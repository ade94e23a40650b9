//! A job run's bill and summary.

use std::collections::BTreeMap;

use super::JobWorld;
use crate::fleet::audit::{Audit, InstanceBill};
use crate::metrics::summary::*;
use crate::metrics::timeseries::{Row, TimeSeries};
use crate::metrics::{LatencyStats, Summary};
use crate::run::Outcome;
use crate::scenario::{CheckpointInterval, Market};

/// The gangs' bills added up.
#[derive(Default)]
struct Bill {
    spot_usd: f64,
    on_demand_usd: f64,
    by_zone: BTreeMap<String, f64>,
    spot_ns: u64,
    on_demand_ns: u64,
    /// Σ instances × time run, ns.
    instance_ns: f64,
}

impl Bill {
    /// Adds up `bills`, in launch order.
    fn of(bills: &[InstanceBill]) -> Bill {
        let mut bill = Bill::default();
        for b in bills {
            let ran = b.stopped.since(b.launched).as_nanos();
            bill.instance_ns += ran as f64 * f64::from(b.count);
            if b.market == Market::Spot {
                bill.spot_usd += b.cost_usd;
                if let Some(zone) = &b.zone {
                    *bill.by_zone.entry(zone.clone()).or_default() += b.cost_usd;
                }
                bill.spot_ns += ran;
            } else {
                bill.on_demand_usd += b.cost_usd;
                bill.on_demand_ns += ran;
            }
        }
        bill
    }
}

impl JobWorld<'_> {
    pub(super) fn finish(mut self) -> Outcome {
        let end = self.done_at.unwrap_or(self.horizon);
        if self.run.is_some() {
            // Cut off by the horizon: work not yet saved is unfinished, not lost.
            let lost_before = self.lost_ns;
            self.stop_run(end);
            self.lost_ns = lost_before;
        }
        let bills = self.fleet.bills(end);
        let bill = Bill::of(&bills);
        let n_interruptions = self.fleet.n_interruptions();
        let n_launches = self.fleet.n_launched();
        let total = bill.spot_usd + bill.on_demand_usd;
        let completed = self.done_at.is_some();
        let job = JobSummary {
            completed,
            makespan_s: end.as_secs_f64(),
            lost_work_s: self.lost_ns as f64 / 1e9,
            checkpoints: self.n_checkpoints,
            checkpoint_overhead_s: self.write_ns as f64 / 1e9,
            restore_overhead_s: self.restore_ns as f64 / 1e9,
            interruptions: n_interruptions,
            deadline_met: completed && end <= self.deadline,
            spot_s: bill.spot_ns as f64 / 1e9,
            on_demand_s: bill.on_demand_ns as f64 / 1e9,
            launches: n_launches,
            progress: (self.safe_ns as f64 / self.work_ns().max(1) as f64).min(1.0),
            checkpoint_interval_s: match self.job.interval {
                CheckpointInterval::Every(tau) => Some(tau.as_secs_f64()),
                CheckpointInterval::None | CheckpointInterval::Continuous => None,
            },
        };
        self.rows.push(Row {
            time_s: end.as_secs_f64(),
            arrivals: 0,
            completions: u64::from(completed),
            queue_len: 0,
            busy_replicas: 0,
            ready_replicas: 0,
            target_replicas: 0,
            replicas_by_pool: Vec::new(),
            replicas_by_market: [0, 0, 0],
            interruptions: n_interruptions,
            cost_usd: total,
            llm_by_pool: Vec::new(),
        });
        let summary = Summary {
            scenario: self.s.name.clone(),
            requests: Requests::default(),
            latency_s: Default::default(),
            sla: SlaSummary::default(),
            cost_usd: Cost {
                total,
                on_demand: bill.on_demand_usd,
                spot: bill.spot_usd,
                reserved: 0.0,
                per_million_requests: 0.0,
                by_zone: bill.by_zone,
                ..Cost::default()
            },
            throughput: Throughput::default(),
            fleet: FleetSummary {
                instance_hours: bill.instance_ns / 3.6e12,
                interruptions: n_interruptions,
                mean_replicas: if end.0 > 0 { bill.instance_ns / end.0 as f64 } else { 0.0 },
                max_replicas: self.job.gang,
                utilization: 0.0,
                instances_launched: n_launches * u64::from(self.job.gang),
                spot_capacity_hours_lost: 0.0,
                time_below_capacity_s: 0.0,
                scale_ups: 0,
                scale_downs: 0,
            },
            pools: Vec::new(),
            job: Some(job),
            engine: Engine { events: self.events.n_events(), wall_s: 0.0, seed: self.s.seed, end_s: end.as_secs_f64() },
            assumptions: self.s.assumptions.clone(),
            token: None,
        };
        let mut warnings = Vec::new();
        if !completed {
            warnings.push(format!(
                "the job did not finish within the horizon ({:.1}% of its work saved)",
                job.progress * 100.0
            ));
        }
        Outcome {
            summary,
            timeseries: TimeSeries { pool_names: Vec::new(), rows: self.rows, llm: false },
            latency: LatencyStats::new(None),
            tokens: None,
            warnings,
            interruption_times: self.fleet.take_interruption_times(),
            audit: Audit { instances: bills, job_saved_work_s: self.safe_ns as f64 * self.speed / 1e9, llm: None },
        }
    }
}
