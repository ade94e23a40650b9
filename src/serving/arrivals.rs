//! Arrival processes: Poisson, evenly spaced, diurnal (thinned Poisson) and trace replay.
//!
//! Each yields the next request after the previous one; arrivals stop at the horizon. Synthetic
//! processes draw from the `arrivals` stream only, so two designs see the same requests.
//! [`ArrivalStream`] adds the prompt and output lengths the process does not carry
//! (`workload.tokens`, see [`super::tokens`]).

use std::f64::consts::TAU;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use super::tokens::{CarriedLengths, LengthTables, TokenLengths};
use crate::engine::rng::{self, Source, Stream};
use crate::engine::{Duration, SimTime};
use crate::scenario::{Arrivals, Serving};
use crate::trace::requests::{TraceError, TraceRequest};

/// A source of trace requests; the CLI hands the engine an open trace reader through this.
pub trait RequestSource {
    /// The next request in time order, `Ok(None)` at the end.
    fn next_request(&mut self) -> Result<Option<TraceRequest>, TraceError>;

    /// Which token counts its requests carry (both, unless it says otherwise).
    fn carried_lengths(&self) -> CarriedLengths {
        CarriedLengths { prompt: true, output: true }
    }
}

impl RequestSource for crate::trace::requests::RequestTrace {
    fn next_request(&mut self) -> Result<Option<TraceRequest>, TraceError> {
        crate::trace::requests::RequestTrace::next_request(self)
    }

    fn carried_lengths(&self) -> CarriedLengths {
        CarriedLengths { prompt: self.has_tokens_in(), output: self.has_tokens_out() }
    }
}

/// A run's requests: the arrival process, with the lengths it does not carry drawn from
/// `workload.tokens` (trace rows and sized items keep their own).
pub struct ArrivalStream<'a> {
    process: ArrivalProcess<'a>,
    lengths: TokenLengths,
}

impl<'a> ArrivalStream<'a> {
    /// The requests of `sv` under `seed`; `trace` must be given for trace arrivals, and `tables`
    /// must hold the rows of every trace `workload.tokens` resamples.
    pub fn new(sv: &Serving, seed: u64, trace: Option<&'a mut dyn RequestSource>, tables: &LengthTables) -> Self {
        let carried = match (&sv.arrivals, &trace) {
            (Arrivals::Trace { .. }, Some(source)) => source.carried_lengths(),
            (Arrivals::Items { size, .. }, _) => CarriedLengths { prompt: *size > 0, output: false },
            _ => CarriedLengths::default(),
        };
        let lengths = TokenLengths::new(&sv.tokens, tables, carried, seed);
        ArrivalStream {
            process: ArrivalProcess::new(&sv.arrivals, rng::stream(seed, Source::Arrivals), trace),
            lengths,
        }
    }

    /// The next arrival strictly before `horizon`, with its lengths, or `None` when arrivals
    /// are over.
    #[inline]
    pub fn next(&mut self, horizon: SimTime) -> Result<Option<TraceRequest>, TraceError> {
        let mut next = self.process.next(horizon)?;
        if let Some(req) = next.as_mut() {
            self.lengths.fill(req);
        }
        Ok(next)
    }
}

/// The arrival process of a run.
pub enum ArrivalProcess<'a> {
    /// Exponential gaps at `rate_per_s`.
    Poisson {
        /// Arrivals per second.
        rate_per_s: f64,
        /// Time of the last arrival, seconds.
        t_s: f64,
        /// The `arrivals` stream.
        rng: Stream,
    },
    /// The k-th arrival at `k / rate`.
    Constant {
        /// Arrivals per second.
        rate_per_s: f64,
        /// Index of the next arrival.
        k: u64,
    },
    /// Thinned Poisson with a cosine rate.
    Diurnal {
        /// Mean rate per second.
        mean_per_s: f64,
        /// Relative swing.
        amplitude: f64,
        /// Cycle length, seconds.
        period_s: f64,
        /// Peak time, seconds.
        peak_s: f64,
        /// Time of the last candidate, seconds.
        t_s: f64,
        /// The `arrivals` stream.
        rng: Stream,
    },
    /// Requests read from a trace.
    Trace(&'a mut dyn RequestSource),
    /// A queue of items, all at time 0.
    Items {
        /// Items not yet released.
        remaining: u64,
        /// Input tokens per item.
        size: u32,
    },
}

impl<'a> ArrivalProcess<'a> {
    /// The process for `arrivals`; `trace` must be given for trace arrivals.
    pub fn new(arrivals: &Arrivals, rng: Stream, trace: Option<&'a mut dyn RequestSource>) -> ArrivalProcess<'a> {
        match *arrivals {
            Arrivals::Poisson { rate_per_s } => ArrivalProcess::Poisson { rate_per_s, t_s: 0.0, rng },
            Arrivals::Constant { rate_per_s } => ArrivalProcess::Constant { rate_per_s, k: 0 },
            Arrivals::Diurnal { mean_per_s, amplitude, period, peak_at } => ArrivalProcess::Diurnal {
                mean_per_s,
                amplitude,
                period_s: period.as_secs_f64(),
                peak_s: peak_at.as_secs_f64(),
                t_s: 0.0,
                rng,
            },
            Arrivals::Items { count, size } => ArrivalProcess::Items { remaining: count, size },
            Arrivals::Trace { .. } => ArrivalProcess::Trace(trace.expect("trace arrivals need an open trace")),
        }
    }

    /// The next arrival strictly before `horizon`, or `None` when arrivals are over.
    #[inline]
    pub fn next(&mut self, horizon: SimTime) -> Result<Option<TraceRequest>, TraceError> {
        let time = match self {
            ArrivalProcess::Poisson { rate_per_s, t_s, rng } => {
                let gap: f64 = Exp1.sample(rng);
                *t_s += gap / *rate_per_s;
                secs_to_time(*t_s)
            }
            ArrivalProcess::Constant { rate_per_s, k } => {
                let t = secs_to_time(*k as f64 / *rate_per_s);
                *k += 1;
                t
            }
            ArrivalProcess::Diurnal { mean_per_s, amplitude, period_s, peak_s, t_s, rng } => {
                let max_rate = *mean_per_s * (1.0 + *amplitude);
                loop {
                    let gap: f64 = Exp1.sample(rng);
                    *t_s += gap / max_rate;
                    if *t_s >= horizon.as_secs_f64() {
                        break secs_to_time(*t_s);
                    }
                    let rate = *mean_per_s * (1.0 + *amplitude * (TAU * (*t_s - *peak_s) / *period_s).cos());
                    if rng.random::<f64>() * max_rate < rate {
                        break secs_to_time(*t_s);
                    }
                }
            }
            ArrivalProcess::Trace(source) => {
                return Ok(source.next_request()?.filter(|r| r.time < horizon));
            }
            ArrivalProcess::Items { remaining, size } => {
                if *remaining == 0 {
                    return Ok(None);
                }
                *remaining -= 1;
                return Ok(Some(TraceRequest { time: SimTime::ZERO, tokens_in: *size, tokens_out: 0 }));
            }
        };
        Ok((time < horizon).then_some(TraceRequest { time, tokens_in: 0, tokens_out: 0 }))
    }
}

fn secs_to_time(s: f64) -> SimTime {
    SimTime(Duration::from_secs_f64(s).as_nanos())
}
