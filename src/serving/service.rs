//! Batch service times: the mean from `batch_time` (linear terms or an interpolated table),
//! divided by the replica's speed, drawn from the configured distribution.

use rand_distr::{Distribution, Exp1, StandardNormal};

use crate::engine::Duration;
use crate::engine::rng::Stream;
use crate::scenario::{BatchTime, Service, ServiceDistribution};

/// What a batch's time depends on.
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchShape {
    /// Requests in the batch.
    pub size: u32,
    /// Input tokens summed over the batch.
    pub tokens_in: u64,
    /// Largest output token count in the batch.
    pub max_tokens_out: u32,
}

/// Draws batch times.
pub struct ServiceModel {
    batch_time: BatchTime,
    distribution: ServiceDistribution,
    /// Lognormal σ (when lognormal).
    sigma: f64,
}

impl ServiceModel {
    /// The model for `service`.
    pub fn new(service: &Service) -> ServiceModel {
        let sigma = match service.distribution {
            ServiceDistribution::Lognormal { cv } => (1.0 + cv * cv).ln().sqrt(),
            _ => 0.0,
        };
        ServiceModel { batch_time: service.batch_time.clone(), distribution: service.distribution, sigma }
    }

    /// Mean time of a batch at speed 1.0, in nanoseconds.
    #[inline]
    pub fn mean_ns(&self, shape: BatchShape) -> f64 {
        match &self.batch_time {
            BatchTime::Linear { base_ns, per_item_ns, per_input_token_ns, per_output_token_ns } => {
                base_ns
                    + per_item_ns * f64::from(shape.size)
                    + per_input_token_ns * shape.tokens_in as f64
                    + per_output_token_ns * f64::from(shape.max_tokens_out)
            }
            BatchTime::Table(points) => interpolate(points, shape.size),
        }
    }

    /// A drawn batch time on a replica of `speed`.
    #[inline]
    pub fn draw(&self, shape: BatchShape, speed: f64, rng: &mut Stream) -> Duration {
        let mean = self.mean_ns(shape) / speed;
        let t = match self.distribution {
            ServiceDistribution::Deterministic => mean,
            ServiceDistribution::Exponential => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            ServiceDistribution::Lognormal { .. } => {
                let z: f64 = StandardNormal.sample(rng);
                mean * (self.sigma * z - 0.5 * self.sigma * self.sigma).exp()
            }
        };
        Duration(t.round().max(0.0) as u64)
    }
}

/// Linear interpolation over `(size, ns)` points sorted by size; below the first point the first
/// value, beyond the last the line through the last two points (never below the last value's
/// slope of zero).
fn interpolate(points: &[(u32, f64)], size: u32) -> f64 {
    let x = f64::from(size);
    let idx = points.partition_point(|&(s, _)| s < size);
    match idx {
        0 => points[0].1,
        i if i < points.len() => {
            let (x0, y0) = (f64::from(points[i - 1].0), points[i - 1].1);
            let (x1, y1) = (f64::from(points[i].0), points[i].1);
            y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        }
        _ if points.len() == 1 => points[0].1,
        _ => {
            let n = points.len();
            let (x0, y0) = (f64::from(points[n - 2].0), points[n - 2].1);
            let (x1, y1) = (f64::from(points[n - 1].0), points[n - 1].1);
            y1 + ((y1 - y0) / (x1 - x0)).max(0.0) * (x - x1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_interpolates_and_extrapolates() {
        // { 1: 10ms, 8: 14ms, 32: 34ms }
        let pts = vec![(1, 10e6), (8, 14e6), (32, 34e6)];
        assert_eq!(interpolate(&pts, 1), 10e6);
        assert_eq!(interpolate(&pts, 8), 14e6);
        // 20 is halfway from 8 to 32: 14 + 20/2 = 24 ms.
        assert_eq!(interpolate(&pts, 20), 24e6);
        // Beyond 32 the last slope, 20ms/24 per item: 40 → 34 + 8·20/24 ms.
        assert!((interpolate(&pts, 40) - (34e6 + 8.0 * 20e6 / 24.0)).abs() < 1e-6);
        assert_eq!(interpolate(&[(4, 5e6)], 9), 5e6);
        assert_eq!(interpolate(&pts, 0), 10e6);
    }

    #[test]
    fn linear_terms_add_up() {
        let m = ServiceModel::new(&Service {
            batch_time: BatchTime::Linear {
                base_ns: 8e6,
                per_item_ns: 1.2e6,
                per_input_token_ns: 1e3,
                per_output_token_ns: 2e4,
            },
            distribution: ServiceDistribution::Deterministic,
        });
        let shape = BatchShape { size: 4, tokens_in: 1000, max_tokens_out: 100 };
        // 8 + 4·1.2 + 1000·0.001 + 100·0.02 = 15.8 ms
        assert!((m.mean_ns(shape) - 15.8e6).abs() < 1e-3);
        let mut rng = crate::engine::rng::indexed_stream(1, "t", 0);
        assert_eq!(m.draw(shape, 2.0, &mut rng), Duration(7_900_000));
    }
}
