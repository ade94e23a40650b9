//! DistServe's fitted step-time model (SPEC `step_time: fitted`): coefficient triples in
//! milliseconds, one for prefill and one for decode, and an optional second decode triple for
//! large batches.
//!
//! - Prefill: `a + b·ΣP + c·Σ(P²)` over the prompts P of the iteration. A chunk of k tokens whose
//!   first p prompt tokens are already done costs `b·k + c·((p+k)² − p²)`: the chunks of one prompt
//!   telescope to `b·P + c·P²`, so chunking does not change a prompt's total prefill cost.
//! - Decode: `a + b·ΣC + c·k` over its k decoding sequences with contexts C; the `decode_large`
//!   triple replaces it when k ≥ `large_batch_from` (DistServe's profiles switch at 95).
//! - An iteration pays one base `a`: the prefill one when it holds prompt tokens, else the decode
//!   one (of the triple its decode count selects).
//!
//! Published fits have negative coefficients (DistServe's OPT-175B profile), so coefficients may
//! be negative; the total is clamped at zero. Source of the form: DistServe (Zhong et al., OSDI
//! 2024), `simdistserve/estimators/time_estimator.py`.

use crate::llm::config::ConfigIssue;
use crate::llm::{IterationShape, StepTime};

/// A coefficient triple `[a, b, c]` in milliseconds (a: per iteration; b and c: see the module).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    /// Base time of an iteration, ms.
    pub a_ms: f64,
    /// ms per prompt token (prefill) or per context token (decode).
    pub b_ms: f64,
    /// ms per squared prompt token (prefill) or per decoding sequence (decode).
    pub c_ms: f64,
}

impl Coefficients {
    /// The triple `[a, b, c]`, in milliseconds.
    pub const fn new(a_ms: f64, b_ms: f64, c_ms: f64) -> Coefficients {
        Coefficients { a_ms, b_ms, c_ms }
    }

    fn is_finite(&self) -> bool {
        self.a_ms.is_finite() && self.b_ms.is_finite() && self.c_ms.is_finite()
    }

    /// The same triple in seconds.
    fn in_seconds(self) -> TripleS {
        TripleS { a_s: self.a_ms / 1000.0, b_s: self.b_ms / 1000.0, c_s: self.c_ms / 1000.0 }
    }
}

/// A triple in seconds (held so, each iteration saves a division).
#[derive(Clone, Copy, Debug, PartialEq)]
struct TripleS {
    a_s: f64,
    b_s: f64,
    c_s: f64,
}

/// The decode triple for large batches and where it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LargeBatch {
    /// `decode_large_ms`.
    pub decode: Coefficients,
    /// `large_batch_from`: decoding sequences from which `decode` applies (≥ 1).
    pub from_seqs: u32,
}

/// The fitted model; build it with [`Fitted::new`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fitted {
    prefill: TripleS,
    decode: TripleS,
    /// The large-batch decode triple and `large_batch_from`.
    large: Option<(TripleS, u32)>,
}

impl Fitted {
    /// The model, or every problem with its coefficients (keys under `step_time.fitted`).
    pub fn new(
        prefill: Coefficients,
        decode: Coefficients,
        large: Option<LargeBatch>,
    ) -> Result<Fitted, Vec<ConfigIssue>> {
        let mut issues = Vec::new();
        let finite = "coefficients must be finite numbers (milliseconds)".to_string();
        for (key, c) in [("step_time.fitted.prefill_ms", prefill), ("step_time.fitted.decode_ms", decode)] {
            if !c.is_finite() {
                issues.push(ConfigIssue { key, message: finite.clone() });
            }
        }
        if let Some(l) = large {
            if !l.decode.is_finite() {
                issues.push(ConfigIssue { key: "step_time.fitted.decode_large_ms", message: finite });
            }
            if l.from_seqs == 0 {
                let message = "must be at least 1 (decoding sequences), found 0".to_string();
                issues.push(ConfigIssue { key: "step_time.fitted.large_batch_from", message });
            }
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        let large = large.map(|l| (l.decode.in_seconds(), l.from_seqs));
        Ok(Fitted { prefill: prefill.in_seconds(), decode: decode.in_seconds(), large })
    }

    /// The decode triple for `k` decoding sequences.
    fn decode_for(&self, k: u32) -> &TripleS {
        match &self.large {
            Some((large, from_seqs)) if k >= *from_seqs => large,
            _ => &self.decode,
        }
    }
}

impl StepTime for Fitted {
    fn seconds(&self, shape: &IterationShape) -> f64 {
        let has_prompt = shape.prefill_tokens > 0;
        let has_decode = shape.decode_seqs > 0;
        let decode = self.decode_for(shape.decode_seqs);
        let mut secs = match (has_prompt, has_decode) {
            (false, false) => return 0.0,
            (true, _) => self.prefill.a_s,
            (false, true) => decode.a_s,
        };
        if has_prompt {
            secs += self.prefill.b_s * shape.prefill_tokens as f64 + self.prefill.c_s * shape.prefill_sq as f64;
        }
        if has_decode {
            secs += decode.b_s * shape.decode_context as f64 + decode.c_s * f64::from(shape.decode_seqs);
        }
        secs.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DistServe's OPT-13B profile on one A100-80GB (tp 1): `profiler-a100-80g.distserve.json`
    /// in LLMServe/DistServe, `simdistserve/estimators/profile_data/`.
    fn opt13b() -> Fitted {
        Fitted::new(
            Coefficients::new(16.456860431694288, 0.09264750660897617, 6.474785740229194e-06),
            Coefficients::new(19.934702624895458, 0.0006269356524350583, 0.03850697740828398),
            Some(LargeBatch {
                decode: Coefficients::new(7.1661889468253595, 0.0005798000403396046, 0.15831096191764046),
                from_seqs: 95,
            }),
        )
        .unwrap()
    }

    /// Relative tolerance for f64 sums of a few terms: each operation rounds to 2⁻⁵³ relative,
    /// so 1e-12 is far above the error and far below any formula mistake.
    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() <= 1e-12 * y.abs().max(1e-9)
    }

    fn prompt(p: u64, k: u64) -> IterationShape {
        IterationShape {
            prefill_seqs: 1,
            prefill_tokens: k,
            prefill_sq: (p + k).pow(2) - p.pow(2),
            prefill_prior: p,
            ..Default::default()
        }
    }

    #[test]
    fn prefill_is_a_plus_b_sum_p_plus_c_sum_p_squared() {
        // Two prompts, 512 and 1024: ΣP = 1536, ΣP² = 262,144 + 1,048,576 = 1,310,720.
        let shape =
            IterationShape { prefill_seqs: 2, prefill_tokens: 1536, prefill_sq: 1_310_720, ..Default::default() };
        let ms = 16.456860431694288 + 0.09264750660897617 * 1536.0 + 6.474785740229194e-06 * 1_310_720.0;
        assert!(close(opt13b().seconds(&shape), ms / 1000.0));
        // ≈ 167.2 ms: the order DistServe reports for a 1.5k-token prefill of OPT-13B.
        assert!((0.160..0.175).contains(&opt13b().seconds(&shape)));
    }

    #[test]
    fn decode_switches_to_the_large_set_at_large_batch_from() {
        let decode =
            |k: u32| IterationShape { decode_seqs: k, decode_context: u64::from(k) * 600, ..Default::default() };
        let m = opt13b();
        // k = 94: small set, 19.9347 + 0.000626936·56,400 + 0.038507·94.
        let small = 19.934702624895458 + 0.0006269356524350583 * 56_400.0 + 0.03850697740828398 * 94.0;
        assert!(close(m.seconds(&decode(94)), small / 1000.0));
        // k = 95: large set, 7.16619 + 0.00057980·57,000 + 0.158311·95.
        let large = 7.1661889468253595 + 0.0005798000403396046 * 57_000.0 + 0.15831096191764046 * 95.0;
        assert!(close(m.seconds(&decode(95)), large / 1000.0));
    }

    #[test]
    fn chunking_a_prompt_keeps_its_total_prefill_cost_apart_from_the_bases() {
        // P = 1000 in chunks of 400, 400, 200: (p, k) = (0, 400), (400, 400), (800, 200).
        // Σ b·k = b·1000; Σ c·((p+k)² − p²) = c·(160,000 + 480,000 + 360,000) = c·1,000,000 = c·P².
        let m = opt13b();
        let chunks: f64 = [(0, 400), (400, 400), (800, 200)].iter().map(|&(p, k)| m.seconds(&prompt(p, k))).sum();
        let whole = m.seconds(&prompt(0, 1000));
        let a_s = 16.456860431694288 / 1000.0;
        assert!(close(chunks - 2.0 * a_s, whole), "{chunks} − 2a vs {whole}");
    }

    #[test]
    fn a_mixed_iteration_pays_the_prefill_base_only() {
        // Chunk (p, k) = (100, 50) beside 10 decodes with ΣC = 5,000:
        // 16.4569 + 0.0926475·50 + 6.4748e-6·(150² − 100²) + 0.000626936·5,000 + 0.038507·10 ms.
        let shape = IterationShape { decode_seqs: 10, decode_context: 5_000, ..prompt(100, 50) };
        let ms = 16.456860431694288
            + 0.09264750660897617 * 50.0
            + 6.474785740229194e-06 * 12_500.0
            + 0.0006269356524350583 * 5_000.0
            + 0.03850697740828398 * 10.0;
        assert!(close(opt13b().seconds(&shape), ms / 1000.0));
    }

    #[test]
    fn empty_iteration_is_free_and_negative_totals_clamp_to_zero() {
        assert_eq!(opt13b().seconds(&IterationShape::default()), 0.0);
        let m = Fitted::new(Coefficients::new(-5.0, 0.0, 0.0), Coefficients::new(1.0, 0.0, 0.0), None).unwrap();
        assert_eq!(m.seconds(&prompt(0, 10)), 0.0);
    }

    #[test]
    fn non_finite_coefficients_and_zero_threshold_are_refused_by_key() {
        let bad = Coefficients::new(f64::NAN, 0.0, 0.0);
        let ok = Coefficients::new(1.0, 0.0, 0.0);
        let keys = |r: Result<Fitted, Vec<ConfigIssue>>| r.unwrap_err().into_iter().map(|i| i.key).collect::<Vec<_>>();
        assert_eq!(keys(Fitted::new(bad, ok, None)), ["step_time.fitted.prefill_ms"]);
        assert_eq!(
            keys(Fitted::new(
                ok,
                ok,
                Some(LargeBatch { decode: Coefficients::new(0.0, f64::INFINITY, 0.0), from_seqs: 0 })
            )),
            ["step_time.fitted.decode_large_ms", "step_time.fitted.large_batch_from"]
        );
    }
}
