//! Checkpoint intervals from the mean time between interruptions: Young's first-order optimum and
//! Daly's higher-order one (what a job's `checkpoint.interval: young` or `daly` resolves to).

use crate::engine::Duration;

/// Young (1974): τ = √(2δM).
pub fn young_interval(write: Duration, mtbf_s: f64) -> f64 {
    (2.0 * write.as_secs_f64() * mtbf_s).sqrt()
}

/// Daly (2006), the higher-order optimum: τ = √(2δM)·[1 + ⅓√(δ/2M) + ⅑(δ/2M)] − δ for δ < 2M,
/// else τ = M.
pub fn daly_interval(write: Duration, mtbf_s: f64) -> f64 {
    let d = write.as_secs_f64();
    if d >= 2.0 * mtbf_s {
        return mtbf_s;
    }
    let x = d / (2.0 * mtbf_s);
    (2.0 * d * mtbf_s).sqrt() * (1.0 + x.sqrt() / 3.0 + x / 9.0) - d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn young_and_daly_intervals() {
        // δ = 5 min, M = 10 h = 36,000 s: Young √(2·300·36000) = 4,647.58 s.
        let w = Duration::from_secs(300);
        assert!((young_interval(w, 36_000.0) - 4_647.58).abs() < 0.01);
        // Daly by hand: x = 300/72000 = 0.0041667, √x = 0.064550;
        // 1 + 0.064550/3 + 0.0041667/9 = 1.021980; 4647.58 × 1.021980 − 300 = 4,449.73 s.
        assert!((daly_interval(w, 36_000.0) - 4_449.73).abs() < 0.05, "{}", daly_interval(w, 36_000.0));
        assert_eq!(daly_interval(Duration::from_secs(100), 40.0), 40.0);
    }
}
