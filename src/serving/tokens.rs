//! Prompt and output lengths for requests whose arrivals carry none (`workload.tokens`, SPEC
//! "LLM serving (token level)"): the static batcher's token terms use them, and so can any
//! executor that needs per-request lengths.
//!
//! [`TokenLengths::new`] builds the sampler from the validated [`TokensSpec`] and the rows of the
//! traces it resamples ([`LengthTables`], read at the edge by `trace::lengths`);
//! [`TokenLengths::fill`] gives a request the lengths it lacks. Prompts and outputs draw from two
//! streams of their own (`tokens.prompt`, `tokens.output`), so lengths never shift arrivals,
//! service times or interruptions, and changing one side's distribution leaves the other's draws
//! as they were (common random numbers). When both sides resample the same trace, one row gives
//! both lengths (drawn from the prompt stream), keeping the trace's joint distribution.

use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};

use crate::engine::rng::{self, Source, Stream};
use crate::scenario::serving::tokens::{EmpiricalSource, LengthSpec, MAX_TOKENS, TokensSpec};
use crate::trace::requests::TraceRequest;

/// `(prompt, output)` lengths of every row of a request trace.
pub type LengthRows = Arc<[(u32, u32)]>;

/// The rows of each trace that `workload.tokens` resamples.
#[derive(Clone, Debug, Default)]
pub struct LengthTables {
    /// Each source with its rows (a scenario resamples at most two).
    pub rows: Vec<(EmpiricalSource, LengthRows)>,
}

impl LengthTables {
    /// The rows read from `src`, if they were.
    pub fn get(&self, src: &EmpiricalSource) -> Option<&LengthRows> {
        self.rows.iter().find(|(s, _)| s == src).map(|(_, rows)| rows)
    }
}

/// Which lengths the arrivals already carry (those are kept as they are).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarriedLengths {
    /// Requests come with their prompt length.
    pub prompt: bool,
    /// Requests come with their output length.
    pub output: bool,
}

/// One side's distribution, ready to draw.
#[derive(Clone, Debug)]
enum Sampler {
    Fixed(u32),
    Uniform {
        low: u32,
        high: u32,
    },
    Lognormal(LogNormal<f64>),
    /// Rows of a trace and the column to read (0 prompt, 1 output).
    Rows(LengthRows, usize),
}

impl Sampler {
    fn new(spec: &LengthSpec, tables: &LengthTables, column: usize) -> Sampler {
        match spec {
            LengthSpec::Fixed(n) => Sampler::Fixed(*n),
            LengthSpec::Uniform { low, high } => Sampler::Uniform { low: *low, high: *high },
            LengthSpec::Lognormal { mean, cv } => {
                let sigma = (1.0 + cv * cv).ln().sqrt();
                let mu = mean.ln() - 0.5 * sigma * sigma;
                // Validation keeps mean ≥ 1 and 0 < cv ≤ 100: σ is finite and positive.
                Sampler::Lognormal(LogNormal::new(mu, sigma).expect("validated lognormal parameters"))
            }
            LengthSpec::Empirical(src) => {
                let rows = tables.get(src).cloned().expect("the caller loads every empirical source");
                assert!(!rows.is_empty(), "an empirical length table has at least one row");
                Sampler::Rows(rows, column)
            }
        }
    }

    fn draw(&self, rng: &mut Stream) -> u32 {
        match self {
            Sampler::Fixed(n) => *n,
            Sampler::Uniform { low, high } => rng.random_range(*low..=*high),
            Sampler::Lognormal(d) => d.sample(rng).round().clamp(1.0, f64::from(MAX_TOKENS)) as u32,
            Sampler::Rows(rows, column) => {
                let (p, o) = rows[row_index(rng, rows.len())];
                if *column == 0 { p } else { o }
            }
        }
    }
}

/// A row drawn uniformly, through u64 so that every platform draws the same row.
fn row_index(rng: &mut Stream, n_rows: usize) -> usize {
    rng.random_range(0..n_rows as u64) as usize
}

/// Draws the lengths requests lack.
#[derive(Clone, Debug)]
pub struct TokenLengths {
    prompt: Option<Sampler>,
    output: Option<Sampler>,
    /// Both sides read the same rows: the prompt's draw picks the row for both.
    joint: Option<LengthRows>,
    prompt_rng: Stream,
    output_rng: Stream,
}

impl TokenLengths {
    /// The sampler for `spec` under `seed`; `tables` must hold the rows of every trace it
    /// resamples, and `carried` says which lengths the arrivals bring (those sides never draw).
    pub fn new(spec: &TokensSpec, tables: &LengthTables, carried: CarriedLengths, seed: u64) -> TokenLengths {
        let prompt = spec.prompt.as_ref().filter(|_| !carried.prompt);
        let output = spec.output.as_ref().filter(|_| !carried.output);
        let joint = match (prompt, output) {
            (Some(LengthSpec::Empirical(a)), Some(LengthSpec::Empirical(b))) if a == b => tables.get(a).cloned(),
            _ => None,
        };
        TokenLengths {
            prompt: prompt.map(|p| Sampler::new(p, tables, 0)),
            output: output.map(|o| Sampler::new(o, tables, 1)),
            joint,
            prompt_rng: rng::stream(seed, Source::PromptTokens),
            output_rng: rng::stream(seed, Source::OutputTokens),
        }
    }

    /// Whether it draws anything at all.
    pub fn is_active(&self) -> bool {
        self.prompt.is_some() || self.output.is_some()
    }

    /// Gives `req` the lengths its arrivals do not carry.
    #[inline]
    pub fn fill(&mut self, req: &mut TraceRequest) {
        if let Some(rows) = &self.joint {
            let (p, o) = rows[row_index(&mut self.prompt_rng, rows.len())];
            req.tokens_in = p;
            req.tokens_out = o;
            return;
        }
        if let Some(p) = &self.prompt {
            req.tokens_in = p.draw(&mut self.prompt_rng);
        }
        if let Some(o) = &self.output {
            req.tokens_out = o.draw(&mut self.output_rng);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::trace::requests::RequestFormat;

    fn draws(spec: &TokensSpec, tables: &LengthTables, carried: CarriedLengths, n: usize) -> Vec<(u32, u32)> {
        let mut lengths = TokenLengths::new(spec, tables, carried, 7);
        (0..n)
            .map(|_| {
                let mut r = TraceRequest { time: SimTime::ZERO, tokens_in: 0, tokens_out: 0 };
                lengths.fill(&mut r);
                (r.tokens_in, r.tokens_out)
            })
            .collect()
    }

    fn spec(prompt: Option<LengthSpec>, output: Option<LengthSpec>) -> TokensSpec {
        TokensSpec { prompt, output }
    }

    #[test]
    fn fixed_and_uniform_stay_in_range() {
        let s = spec(Some(LengthSpec::Uniform { low: 3, high: 5 }), Some(LengthSpec::Fixed(9)));
        let d = draws(&s, &LengthTables::default(), CarriedLengths::default(), 3_000);
        assert!(d.iter().all(|&(p, o)| (3..=5).contains(&p) && o == 9));
        // Each of 3, 4, 5 about a third of 3,000 draws: 1,000 ± 4.5 standard deviations (√(3000·⅓·⅔) ≈ 25.8).
        for v in 3..=5 {
            let n = d.iter().filter(|&&(p, _)| p == v).count();
            assert!((884..=1116).contains(&n), "{v}: {n}");
        }
    }

    #[test]
    fn lognormal_has_its_mean_and_cv() {
        let s = spec(Some(LengthSpec::Lognormal { mean: 1000.0, cv: 0.5 }), None);
        let d: Vec<f64> = draws(&s, &LengthTables::default(), CarriedLengths::default(), 40_000)
            .into_iter()
            .map(|(p, _)| f64::from(p))
            .collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (d.len() - 1) as f64).sqrt();
        // Standard error of the mean: 500/√40000 = 2.5 tokens; 1% (10 tokens) is 4 standard errors.
        // Rounding to whole tokens moves the mean by far less.
        assert!((mean - 1000.0).abs() < 10.0, "mean {mean}");
        assert!((sd / mean - 0.5).abs() < 0.02, "cv {}", sd / mean);
    }

    #[test]
    fn empirical_rows_are_resampled_jointly_from_one_trace() {
        let src = EmpiricalSource { path: "t.csv".into(), format: RequestFormat::Csv };
        let rows: LengthRows = vec![(10, 1), (20, 2), (30, 3)].into();
        let tables = LengthTables { rows: vec![(src.clone(), rows)] };
        let both = spec(Some(LengthSpec::Empirical(src.clone())), Some(LengthSpec::Empirical(src.clone())));
        let d = draws(&both, &tables, CarriedLengths::default(), 300);
        assert!(d.iter().all(|&(p, o)| p == 10 * o), "rows keep prompt and output together");
        assert!((1..=3).all(|o| d.iter().any(|&(_, x)| x == o)), "every row drawn");
        // Prompt only: the output side is left as the arrivals carry it.
        let prompt = spec(Some(LengthSpec::Empirical(src)), Some(LengthSpec::Fixed(4)));
        let carried = CarriedLengths { prompt: false, output: true };
        assert!(draws(&prompt, &tables, carried, 50).iter().all(|&(p, o)| p % 10 == 0 && o == 0));
    }

    #[test]
    fn each_side_has_its_own_stream() {
        // Changing the output distribution leaves every prompt length as it was.
        let a = spec(Some(LengthSpec::Uniform { low: 1, high: 1000 }), Some(LengthSpec::Fixed(5)));
        let b = spec(a.prompt.clone(), Some(LengthSpec::Lognormal { mean: 300.0, cv: 2.0 }));
        let none = CarriedLengths::default();
        let prompts =
            |s: &TokensSpec| draws(s, &LengthTables::default(), none, 500).into_iter().map(|d| d.0).collect::<Vec<_>>();
        assert_eq!(prompts(&a), prompts(&b));
    }
}
