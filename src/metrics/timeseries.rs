//! `timeseries.csv`: one row per interval with load, queue, replicas by pool and by market,
//! interruptions and cost accrued; LLM runs add, per pool, the sequences running, the requests
//! waiting and the KV cache in use, sampled at the row's time.

/// One row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// End of the interval, seconds.
    pub time_s: f64,
    /// Requests that arrived in the interval.
    pub arrivals: u64,
    /// Requests completed in the interval.
    pub completions: u64,
    /// Requests waiting at the end of the interval (in queues, and in an LLM run those a replica
    /// has taken but not admitted).
    pub queue_len: u64,
    /// Replicas busy at the end of the interval.
    pub busy_replicas: u32,
    /// Replicas serving at the end of the interval.
    pub ready_replicas: u32,
    /// Replicas the pools ask for (counts, or the autoscaler's targets) at the end of the interval.
    pub target_replicas: u32,
    /// Live instances (booting or serving) per pool at the end of the interval.
    pub replicas_by_pool: Vec<u32>,
    /// Live instances per market (on-demand, spot, reserved) at the end of the interval.
    pub replicas_by_market: [u32; 3],
    /// Interruption notices in the interval.
    pub interruptions: u64,
    /// Cost accrued since the start, USD.
    pub cost_usd: f64,
    /// LLM runs: what each pool's serving replicas hold at the end of the interval (empty
    /// otherwise).
    pub llm_by_pool: Vec<Occupancy>,
}

/// What LLM replicas hold at an instant: one replica's, or a pool's sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Sequences admitted (holding KV blocks).
    pub running: u64,
    /// Requests taken but not admitted yet.
    pub waiting: u64,
    /// KV blocks in use.
    pub kv_used_blocks: u64,
    /// KV blocks of the caches.
    pub kv_total_blocks: u64,
}

impl Occupancy {
    /// KV blocks in use over blocks (0 with no cache).
    pub fn kv_used_fraction(&self) -> f64 {
        if self.kv_total_blocks == 0 { 0.0 } else { self.kv_used_blocks as f64 / self.kv_total_blocks as f64 }
    }
}

impl std::ops::AddAssign for Occupancy {
    fn add_assign(&mut self, o: Occupancy) {
        self.running += o.running;
        self.waiting += o.waiting;
        self.kv_used_blocks += o.kv_used_blocks;
        self.kv_total_blocks += o.kv_total_blocks;
    }
}

/// The series with its pool names (for the header).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeSeries {
    /// Pool names, in fleet order.
    pub pool_names: Vec<String>,
    /// Rows in time order.
    pub rows: Vec<Row>,
    /// Whether the rows carry the LLM columns (`running_`, `waiting_`, `kv_used_` per pool, after
    /// `cost_usd`).
    pub llm: bool,
}

impl TimeSeries {
    /// The CSV text.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "time_s".to_string(),
            "arrivals".into(),
            "completions".into(),
            "queue_len".into(),
            "busy_replicas".into(),
        ];
        header.extend(self.pool_names.iter().map(|p| format!("replicas_{p}")));
        header.extend(
            [
                "on_demand_replicas",
                "spot_replicas",
                "reserved_replicas",
                "interruptions",
                "ready_replicas",
                "target_replicas",
            ]
            .map(String::from),
        );
        header.push("cost_usd".into());
        if self.llm {
            for prefix in ["running_", "waiting_", "kv_used_"] {
                header.extend(self.pool_names.iter().map(|p| format!("{prefix}{p}")));
            }
        }
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&header);
        for r in &self.rows {
            let mut rec = vec![
                format!("{}", r.time_s),
                r.arrivals.to_string(),
                r.completions.to_string(),
                r.queue_len.to_string(),
                r.busy_replicas.to_string(),
            ];
            rec.extend(r.replicas_by_pool.iter().map(u32::to_string));
            rec.extend(r.replicas_by_market.iter().map(u32::to_string));
            rec.push(r.interruptions.to_string());
            rec.push(r.ready_replicas.to_string());
            rec.push(r.target_replicas.to_string());
            rec.push(format!("{:.6}", r.cost_usd));
            if self.llm {
                rec.extend(r.llm_by_pool.iter().map(|o| o.running.to_string()));
                rec.extend(r.llm_by_pool.iter().map(|o| o.waiting.to_string()));
                rec.extend(r.llm_by_pool.iter().map(|o| format!("{:.6}", o.kv_used_fraction())));
            }
            let _ = w.write_record(&rec);
        }
        w.into_inner().unwrap_or_default()
    }
}
