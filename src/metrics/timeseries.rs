//! `timeseries.csv`: one row per interval with load, queue, replicas by pool and by market,
//! interruptions and cost accrued.

/// One row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// End of the interval, seconds.
    pub time_s: f64,
    /// Requests that arrived in the interval.
    pub arrivals: u64,
    /// Requests completed in the interval.
    pub completions: u64,
    /// Requests waiting at the end of the interval.
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
}

/// The series with its pool names (for the header).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeSeries {
    /// Pool names, in fleet order.
    pub pool_names: Vec<String>,
    /// Rows in time order.
    pub rows: Vec<Row>,
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
            let _ = w.write_record(&rec);
        }
        w.into_inner().unwrap_or_default()
    }
}
