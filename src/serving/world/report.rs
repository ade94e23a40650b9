//! From world state to results: time-series rows, billing, and the summary.

use std::collections::BTreeMap;

use super::{Outcome, World};
use crate::engine::SimTime;
use crate::fleet::audit::{Audit, InstanceBill};
use crate::fleet::instances::InstanceState;
use crate::metrics::summary::*;
use crate::metrics::timeseries::{Occupancy, Row, TimeSeries};
use crate::metrics::tokens::TokenMetrics;
use crate::scenario::Market;
use crate::scenario::output::max_timeseries_rows;
use crate::scenario::serving::workload::TokenSlos;
use crate::serving::executor::{Executor, Item};
use crate::serving::router::LOBBY;

/// What billing found, per instance and in total.
struct Bill {
    by_market: [f64; 3],
    by_zone: BTreeMap<String, f64>,
    by_pool: Vec<f64>,
    billed_s_by_pool: Vec<f64>,
    /// Spot instances only (not on-demand stand-ins): cost and billed seconds per pool.
    spot_by_pool: Vec<(f64, f64)>,
    instances: Vec<InstanceBill>,
}

fn market_idx(m: Market) -> usize {
    match m {
        Market::OnDemand => 0,
        Market::Spot => 1,
        Market::Reserved => 2,
    }
}

impl<E: Executor> World<'_, '_, E> {
    /// Rows continue through the drain after the horizon until no request is left — or nothing
    /// else is pending, so that requests no replica will ever serve do not keep the run going;
    /// the last, partial row is written at the end of the run by [`World::finish`].
    pub(super) fn on_interval_ended(&mut self, now: SimTime) {
        let draining = self.n_arrived > self.n_completed + self.n_dropped && !self.events.is_idle();
        let next = now.after(self.s.timeseries_interval);
        // The validator bounds the rows up to the horizon; a long drain stops at the same limit,
        // its last row (written at the end) covering the rest.
        if now > self.horizon && !draining {
            self.stop_intervals();
            return;
        }
        if now > self.horizon && self.rows.len() as u64 >= max_timeseries_rows(self.s.fleet.pools.len()) {
            self.rows_capped_at = Some(now);
            self.stop_intervals();
            return;
        }
        self.push_row(now, self.running_cost(now));
        if next > self.horizon && !draining {
            self.stop_intervals();
        }
    }

    fn stop_intervals(&mut self) {
        if let Some(timer) = self.interval_timer.take() {
            self.events.cancel(timer);
        }
    }

    /// Cost accrued by `now` before rounding and minimums (those apply at the end).
    fn running_cost(&self, now: SimTime) -> f64 {
        self.fleet.running_cost(now)
    }

    fn push_row(&mut self, now: SimTime, cost_usd: f64) {
        let interval = std::mem::take(&mut self.interval);
        let mut by_pool = vec![0u32; self.s.fleet.pools.len()];
        let mut by_market = [0u32; 3];
        // Replicas: an instance counts as many as it hosts.
        for inst in self.fleet.live().map(|id| self.fleet.instance(id)).filter(|inst| inst.is_live()) {
            by_pool[inst.pool] += self.replicas_per_instance[inst.pool];
            by_market[market_idx(inst.market)] += self.replicas_per_instance[inst.pool];
        }
        // An LLM replica's waiting requests count in the queue too, once.
        let (llm_by_pool, in_queues) = self.occupancy_by_pool();
        self.rows.push(Row {
            time_s: now.as_secs_f64(),
            arrivals: interval.arrivals,
            completions: interval.completions,
            queue_len: self.n_queued as u64 + llm_by_pool.iter().map(|o| o.waiting).sum::<u64>() - in_queues,
            busy_replicas: self.n_busy,
            ready_replicas: self.n_ready_replicas(),
            target_replicas: self.n_target_replicas(),
            replicas_by_pool: by_pool,
            replicas_by_market: by_market,
            interruptions: interval.interruptions,
            cost_usd,
            llm_by_pool,
        });
    }

    /// What each pool's serving replicas hold now (the LLM columns; empty for other executors):
    /// sequences running, requests waiting (in the replica's queue or taken but not admitted),
    /// KV blocks; and how many of those waiting are in the world's queues. Booting replicas hold
    /// nothing and have no cache yet; noticed ones still run.
    fn occupancy_by_pool(&self) -> (Vec<Occupancy>, u64) {
        if self.sv.llm().is_none() {
            return (Vec::new(), 0);
        }
        let mut in_queues = 0;
        let mut by_pool = vec![Occupancy::default(); self.s.fleet.pools.len()];
        for id in self.fleet.live() {
            let inst = self.fleet.instance(id);
            if matches!(inst.state, InstanceState::Booting | InstanceState::Stopped) {
                continue;
            }
            for r in self.replicas_of(id) {
                if let Some(mut o) = self.executor.occupancy(r) {
                    let rep = &self.replicas[r];
                    if rep.queue_idx != LOBBY {
                        let queued = self.queues[rep.queue_idx].items.len() as u64;
                        o.waiting += queued;
                        in_queues += queued;
                    }
                    by_pool[inst.pool] += o;
                }
            }
        }
        (by_pool, in_queues)
    }

    /// Bills every instance ([`crate::fleet::Fleet::bills`]) and adds the bills up by market,
    /// pool and zone.
    fn bill(&self, end: SimTime) -> Bill {
        let n_pools = self.s.fleet.pools.len();
        let mut bill = Bill {
            by_market: [0.0; 3],
            by_zone: BTreeMap::new(),
            by_pool: vec![0.0; n_pools],
            billed_s_by_pool: vec![0.0; n_pools],
            spot_by_pool: vec![(0.0, 0.0); n_pools],
            instances: self.fleet.bills(end),
        };
        for ib in &bill.instances {
            let (cost, billed_s) = (ib.cost_usd, ib.billed.as_secs_f64());
            bill.by_market[market_idx(ib.market)] += cost;
            bill.by_pool[ib.pool] += cost;
            bill.billed_s_by_pool[ib.pool] += billed_s;
            if ib.market == Market::Spot {
                bill.spot_by_pool[ib.pool].0 += cost;
                bill.spot_by_pool[ib.pool].1 += billed_s;
            }
            if let Some(zone) = &ib.zone {
                *bill.by_zone.entry(zone.clone()).or_default() += cost;
            }
        }
        bill
    }

    pub(super) fn finish(mut self) -> Outcome {
        // A finished batch-inference queue ends (and stops billing) with its last item.
        let end = if self.batch_done() { self.last_completion } else { self.horizon.max(self.last_completion) };
        self.account_final(end);
        let mut bill = self.bill(end);
        let total: f64 = bill.by_market.iter().sum();
        // The interval clock may have run on past the end while a queue that no replica could
        // serve waited for instances still under notice: those rows fold into the last one.
        let cut = self.rows.partition_point(|r| r.time_s <= end.as_secs_f64());
        for late in self.rows.split_off(cut) {
            self.interval.arrivals += late.arrivals;
            self.interval.completions += late.completions;
            self.interval.interruptions += late.interruptions;
        }
        if self.rows.last().is_none_or(|r| r.time_s < end.as_secs_f64()) {
            self.push_row(end, total);
        } else if let Some(last) = self.rows.last_mut() {
            let late = std::mem::take(&mut self.interval);
            last.arrivals += late.arrivals;
            last.completions += late.completions;
            last.interruptions += late.interruptions;
            last.cost_usd = total;
        }
        let summary = self.summary(end, &bill, total);
        let mut warnings = Vec::new();
        if self.n_dropped_at_limit > 0 {
            warnings.push(format!(
                "{} requests were dropped because {} were already waiting (limits.max_queued_requests): the fleet cannot keep up with the arrivals (they count as SLA violations)",
                self.n_dropped_at_limit, self.s.limits.max_queued_requests
            ));
        }
        if self.n_dropped_at_memory > 0 {
            warnings.push(format!(
                "{} requests were dropped because {} requests were already held (waiting or in service; limits.max_requests_in_memory): the fleet cannot keep up with the arrivals (they count as SLA violations)",
                self.n_dropped_at_memory, self.s.limits.max_requests_in_memory
            ));
        }
        if let Some(at) = self.rows_capped_at {
            warnings.push(format!(
                "the queue drained until {:.0} s, after the horizon; timeseries.csv stops at {} rows (its limit) at {:.0} s and its last row covers the rest of the drain (a longer output.timeseries_interval keeps them apart)",
                end.as_secs_f64(),
                self.rows.len().saturating_sub(1),
                at.as_secs_f64()
            ));
        }
        warnings.extend(self.executor.warnings());
        if self.n_timed_out > 0 {
            warnings.push(format!(
                "{} requests waited batcher.max_queue_wait ({}) without a replica taking them and were dropped (they count as SLA violations)",
                self.n_timed_out,
                self.max_queue_wait.unwrap_or_default()
            ));
        }
        let timeseries = TimeSeries {
            pool_names: self.s.fleet.pools.iter().map(|p| p.name.clone()).collect(),
            rows: self.rows,
            llm: self.sv.llm().is_some(),
        };
        let stranded = summary.requests.in_flight;
        if stranded > 0 {
            let why = if !self.scaling.is_empty() && self.fleet.n_target() == 0 {
                "the autoscaler left the fleet at zero (e.g. the queue stayed at or below its activation threshold)"
            } else {
                "markets do not change after the horizon, so spot capacity lost then is not replaced"
            };
            warnings.push(format!(
                "{stranded} requests were still waiting when the run ended: no replica was left to serve them ({why})"
            ));
        }
        let interruption_times = self.fleet.take_interruption_times();
        // The tokens of requests still queued or dropped, which the executor never sees again.
        let llm = self.executor.audit().map(|mut a| {
            let queued: u64 = self.queues.iter().flat_map(|q| &q.items).map(|x| u64::from(x.produced())).sum();
            let transferring = self.disagg.as_ref().map_or(0, |d| d.tokens_held());
            a.tokens_unfinished += queued + transferring + self.n_tokens_dropped;
            a
        });
        let audit = Audit { instances: std::mem::take(&mut bill.instances), job_saved_work_s: 0.0, llm };
        let tokens = self.executor.token_metrics().cloned();
        Outcome { summary, timeseries, latency: self.latency, tokens, warnings, interruption_times, audit }
    }

    fn pool_summaries(&self, end: SimTime, bill: &Bill) -> Vec<PoolSummary> {
        let pools = &self.s.fleet.pools;
        let mut launched = vec![0u64; pools.len()];
        let mut run_ns = vec![0f64; pools.len()];
        let mut busy_ns = vec![0f64; pools.len()];
        for inst in self.fleet.instances() {
            let p = inst.pool;
            launched[p] += 1;
            let stop = inst.stopped.unwrap_or(end).min(end);
            run_ns[p] += stop.since(inst.launched).as_nanos() as f64;
        }
        for rep in &self.replicas {
            busy_ns[self.fleet.instance(rep.instance).pool] += rep.busy_ns as f64;
        }
        // Utilization is per replica: busy replica time over the time the instances' replicas ran.
        let replica_ns = |i: usize| run_ns[i] * f64::from(self.replicas_per_instance[i]);
        pools
            .iter()
            .enumerate()
            .map(|(i, p)| PoolSummary {
                name: p.name.clone(),
                instance: p.instance.name.clone(),
                market: p.market.as_str().into(),
                count: p.count,
                min: p.scaling.map(|b| b.min),
                max: p.scaling.map(|b| b.max),
                scaled_down: self.fleet.pool(i).n_retired,
                instances_launched: launched[i],
                interruptions: self.fleet.pool(i).n_interruptions,
                price_per_hour: self.billed_price(i, bill).0,
                price_basis: self.billed_price(i, bill).1.into(),
                instance_hours: run_ns[i] / 3.6e12,
                billed_hours: bill.billed_s_by_pool[i] / 3_600.0,
                cost_usd: bill.by_pool[i],
                utilization: if run_ns[i] > 0.0 { (busy_ns[i] / replica_ns(i)).min(1.0) } else { 0.0 },
            })
            .collect()
    }

    fn summary(&self, end: SimTime, bill: &Bill, total: f64) -> Summary {
        let end_s = end.as_secs_f64();
        let pools = self.pool_summaries(end, bill);
        let run_ns: f64 = pools.iter().map(|p| p.instance_hours * 3.6e12).sum();
        let replica_run_ns: f64 =
            pools.iter().zip(&self.replicas_per_instance).map(|(p, &k)| p.instance_hours * 3.6e12 * f64::from(k)).sum();
        let busy_ns: f64 = self.replicas.iter().map(|r| r.busy_ns as f64).sum();
        let rps = if end_s > 0.0 { self.n_completed as f64 / end_s } else { 0.0 };
        let per_hour = if end_s > 0.0 { total / (end_s / 3_600.0) } else { 0.0 };
        let measured = self.latency.count();
        // Dropped requests never got an answer: they count as violations. With nothing measured
        // (e.g. warmup covers every arrival) the SLA cannot be judged and is left null.
        let n_violations = self.latency.n_over_sla() + self.n_dropped_measured;
        let n_judged = measured + self.n_dropped_measured;
        let sla = self.sv.sla.map(|sla| {
            let rate = (n_judged > 0).then(|| n_violations as f64 / n_judged as f64);
            SlaSummary {
                target_s: Some(sla.latency.as_secs_f64()),
                quantile: Some(sla.quantile),
                violation_rate: rate,
                met: rate.map(|r| r <= 1.0 - sla.quantile),
                ..SlaSummary::default()
            }
        });
        let in_queues: u64 = self.n_queued as u64;
        let in_service: u64 = (0..self.replicas.len()).map(|i| self.executor.holding(i) as u64).sum();
        let mut summary = Summary {
            scenario: self.s.name.clone(),
            requests: Requests {
                arrived: self.n_arrived,
                completed: self.n_completed,
                retried: self.n_retried,
                dropped: self.n_dropped,
                timed_out: self.n_timed_out,
                sla_violations: if self.sv.sla.is_some() { n_violations } else { 0 },
                cache_hits: self.n_cache_hits,
                measured,
                in_flight: in_queues + in_service + self.disagg.as_ref().map_or(0, |d| d.held()),
                rejected: None,
            },
            latency_s: self.latency.summary(),
            sla: sla.unwrap_or_default(),
            cost_usd: Cost {
                total,
                on_demand: bill.by_market[0],
                spot: bill.by_market[1],
                reserved: bill.by_market[2],
                per_million_requests: if self.n_completed > 0 { total / self.n_completed as f64 * 1e6 } else { 0.0 },
                by_zone: bill.by_zone.clone(),
                ..Cost::default()
            },
            throughput: Throughput {
                rps,
                requests_per_usd: if total > 0.0 { self.n_completed as f64 / total } else { 0.0 },
                rps_per_usd_per_hour: if per_hour > 0.0 { rps / per_hour } else { 0.0 },
            },
            fleet: FleetSummary {
                instance_hours: run_ns / 3.6e12,
                interruptions: self.fleet.n_interruptions(),
                mean_replicas: if end.0 > 0 { self.ready_stats.replica_ns / end.0 as f64 } else { 0.0 },
                max_replicas: self.ready_stats.max_ready,
                utilization: if run_ns > 0.0 { (busy_ns / replica_run_ns).min(1.0) } else { 0.0 },
                instances_launched: self.fleet.instances().len() as u64,
                spot_capacity_hours_lost: self.ready_stats.spot_lost_ns / 3.6e12,
                time_below_capacity_s: self.ready_stats.below_capacity_ns as f64 / 1e9,
                scale_ups: self.scale_counts().0,
                scale_downs: self.scale_counts().1,
            },
            pools,
            job: None,
            engine: Engine { events: self.events.n_events(), wall_s: 0.0, seed: self.s.seed, end_s },
            assumptions: self.s.assumptions.clone(),
            token: None,
        };
        if let Some(m) = self.executor.token_metrics() {
            self.add_token_figures(&mut summary, m, end_s, total);
        }
        summary
    }

    /// The keys an LLM run adds: token latencies, tokens, the KV cache, iterations, rejections,
    /// cost per token and the objectives.
    fn add_token_figures(&self, summary: &mut Summary, m: &TokenMetrics, end_s: f64, total: f64) {
        let mut token = m.summary(end_s);
        if let Some((n, mean)) = self.transfer_figures() {
            (token.kv.transfers, token.kv.transfer_mean_s) = (Some(n), Some(mean));
        }
        summary.token = Some(token);
        summary.requests.rejected = Some(self.n_rejected);
        let per_million = |n: u64| if n > 0 { total / n as f64 * 1e6 } else { 0.0 };
        summary.cost_usd.per_million_output_tokens = Some(per_million(m.output_tokens()));
        summary.cost_usd.per_million_tokens = Some(per_million(m.output_tokens() + m.prompt_tokens()));
        if self.sv.sla.is_some() || self.sv.token_slos != TokenSlos::default() {
            let slos = m.slos(self.n_dropped_measured);
            let sla = &mut summary.sla;
            sla.attainment = Some(slos.attainment);
            sla.goodput_rps = Some(if end_s > 0.0 { slos.n_met as f64 / end_s } else { 0.0 });
            (sla.ttft, sla.tpot, sla.e2e) = (slos.ttft, slos.tpot, slos.e2e);
            // An LLM run's violations are of any objective.
            summary.requests.sla_violations = (m.measured() + self.n_dropped_measured) - slos.n_met;
        }
    }

    /// USD per instance-hour pool `i` was billed at, and what that figure is: a spot pool's
    /// spot price (the time-weighted mean paid over its spot instances when it follows a price
    /// trace), any other pool's own price.
    fn billed_price(&self, i: usize, bill: &Bill) -> (f64, &'static str) {
        let pool = &self.s.fleet.pools[i];
        match pool.market {
            Market::OnDemand => (pool.price_per_hour, "on-demand"),
            Market::Reserved => (pool.price_per_hour, "reserved"),
            Market::Spot if !self.fleet.pool_has_price_trace(i) => {
                (crate::scenario::untraced_spot_price(pool.spot_price), "spot")
            }
            Market::Spot => match bill.spot_by_pool[i] {
                (cost, billed_s) if billed_s > 0.0 => (cost / (billed_s / 3_600.0), "spot, mean paid"),
                _ => (self.fleet.mean_trace_price(i, self.horizon), "spot, trace mean"),
            },
        }
    }
}
