//! One run of any scenario kind: opens its request trace (if it replays one) and reads the traces
//! its lengths resample, then calls the serving or the job simulator. `fleetsim run` and every run
//! of a sweep go through here.

use crate::engine::SimTime;
use crate::fleet::market::MarketData;
use crate::scenario::{Scenario, Workload};
use crate::serving::{self, Inputs, RequestSource};
use crate::trace::requests::RequestTrace;

mod outcome;

pub use outcome::{Outcome, SimError};

/// Simulates `s` once with its seed. `market` holds the spot series read from its traces
/// ([`crate::trace::market::load`]); `progress` is called now and then with the simulated time.
pub fn simulate(s: &Scenario, market: &MarketData, progress: &mut dyn FnMut(SimTime)) -> Result<Outcome, SimError> {
    match &s.workload {
        Workload::Job(_) => crate::job::simulate(s, market),
        Workload::Serving(_) => simulate_serving(s, market, progress),
    }
}

fn simulate_serving(s: &Scenario, market: &MarketData, progress: &mut dyn FnMut(SimTime)) -> Result<Outcome, SimError> {
    let mut trace = open_trace(s)?;
    let lengths = crate::trace::lengths::load(s)?;
    let inputs =
        Inputs { requests: trace.as_mut().map(|t| t as &mut dyn RequestSource), market: market.clone(), lengths };
    serving::simulate_with(s, inputs, progress)
}

/// Opens the request trace `s` replays, if any, and checks it has the token columns its batch
/// times need (or `workload.tokens` gives those lengths).
pub fn open_trace(s: &Scenario) -> Result<Option<RequestTrace>, SimError> {
    let Some((path, format, speedup)) = s.request_trace() else { return Ok(None) };
    let trace = RequestTrace::open(path, format, speedup)?;
    crate::trace::lengths::check_columns(s, &trace)?;
    Ok(Some(trace))
}
