//! One run of a scenario, whatever its kind: opens its request trace (if it replays one) and calls
//! the serving or the job simulator. `fleetsim run` and every run of a sweep go through here.

use crate::engine::SimTime;
use crate::fleet::market::MarketData;
use crate::scenario::Scenario;
use crate::serving::{self, Inputs, Outcome, RequestSource, SimError};
use crate::trace::requests::RequestTrace;

/// Simulates `s` once with its seed. `market` holds the spot series read from its traces
/// ([`crate::trace::market::load`]); `progress` is called now and then with the simulated time.
pub fn simulate(s: &Scenario, market: &MarketData, progress: &mut dyn FnMut(SimTime)) -> Result<Outcome, SimError> {
    if s.job.is_some() {
        return crate::job::simulate(s, market);
    }
    let mut trace = match s.request_trace() {
        Some((path, format, speedup)) => Some(RequestTrace::open(path, format, speedup)?),
        None => None,
    };
    let inputs = Inputs { requests: trace.as_mut().map(|t| t as &mut dyn RequestSource), market: market.clone() };
    serving::simulate_with(s, inputs, progress)
}
