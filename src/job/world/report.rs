//! A job run's bill and summary.

use super::{JobWorld, Run};
use crate::engine::SimTime;
use crate::fleet::audit::{Audit, InstanceBill};
use crate::fleet::billing::{self, Rate};
use crate::metrics::summary::*;
use crate::metrics::timeseries::{Row, TimeSeries};
use crate::metrics::{LatencyStats, Summary};
use crate::run::Outcome;
use crate::scenario::{CheckpointInterval, Market};

impl JobWorld<'_> {
    pub(super) fn bill(&mut self, run: Run, stop: SimTime) {
        let ran = stop.since(run.launched);
        let gang = f64::from(self.job.gang);
        self.instance_ns += ran.as_nanos() as f64 * gang;
        let rate = match run.spot_zone {
            Some(z) => Rate::Spot { zone: &self.zones[z].market, untraced: self.job.spot_price },
            None => Rate::PerHour(self.job.on_demand_price),
        };
        let (billed, each) = billing::charge(run.launched, stop, &self.s.billing, rate);
        let usd = gang * each;
        match run.spot_zone {
            Some(z) => {
                self.cost_spot += usd;
                *self.cost_by_zone.entry(self.zones[z].market.name.clone()).or_default() += usd;
                self.spot_ns += ran.as_nanos();
            }
            None => {
                self.cost_on_demand += usd;
                self.on_demand_ns += ran.as_nanos();
            }
        }
        self.bills.push(InstanceBill {
            pool: 0,
            count: self.job.gang,
            market: if run.spot_zone.is_some() { Market::Spot } else { Market::OnDemand },
            stand_in: false,
            zone: run.spot_zone.map(|z| self.zones[z].market.name.clone()),
            launched: run.launched,
            stopped: stop,
            billed,
            cost_usd: usd,
        });
    }

    pub(super) fn finish(mut self) -> Outcome {
        let end = self.done_at.unwrap_or(self.horizon);
        if self.run.is_some() {
            // Cut off by the horizon: work not yet saved is unfinished, not lost.
            let lost_before = self.lost_ns;
            self.stop_run(end, false);
            self.lost_ns = lost_before;
        }
        let total = self.cost_spot + self.cost_on_demand;
        let completed = self.done_at.is_some();
        let job = JobSummary {
            completed,
            makespan_s: end.as_secs_f64(),
            lost_work_s: self.lost_ns as f64 / 1e9,
            checkpoints: self.n_checkpoints,
            checkpoint_overhead_s: self.write_ns as f64 / 1e9,
            restore_overhead_s: self.restore_ns as f64 / 1e9,
            interruptions: self.n_interruptions,
            deadline_met: completed && end <= self.deadline,
            spot_s: self.spot_ns as f64 / 1e9,
            on_demand_s: self.on_demand_ns as f64 / 1e9,
            launches: self.n_launches,
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
            interruptions: self.n_interruptions,
            cost_usd: total,
        });
        let summary = Summary {
            scenario: self.s.name.clone(),
            requests: Requests::default(),
            latency_s: Default::default(),
            sla: SlaSummary::default(),
            cost_usd: Cost {
                total,
                on_demand: self.cost_on_demand,
                spot: self.cost_spot,
                reserved: 0.0,
                per_million_requests: 0.0,
                by_zone: self.cost_by_zone.clone(),
                ..Cost::default()
            },
            throughput: Throughput::default(),
            fleet: FleetSummary {
                instance_hours: self.instance_ns / 3.6e12,
                interruptions: self.n_interruptions,
                mean_replicas: if end.0 > 0 { self.instance_ns / end.0 as f64 } else { 0.0 },
                max_replicas: self.job.gang,
                utilization: 0.0,
                instances_launched: self.n_launches * u64::from(self.job.gang),
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
            timeseries: TimeSeries { pool_names: Vec::new(), rows: self.rows },
            latency: LatencyStats::new(None),
            warnings,
            interruption_times: self.interruption_times,
            audit: Audit { instances: self.bills, job_saved_work_s: self.safe_ns as f64 * self.speed / 1e9, llm: None },
        }
    }
}
