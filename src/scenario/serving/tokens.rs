//! `workload.tokens`: prompt and output lengths for arrivals that carry none (SPEC "LLM serving
//! (token level)") — the raw keys, their validated form and the checks between them.
//!
//! Each of `prompt` and `output` is one of `{ fixed: N }`, `{ uniform: [a, b] }` (whole numbers
//! a..=b, equally likely), `{ lognormal: { mean, cv } }` (rounded to a whole number) or
//! `{ empirical: { path, format } }` (a row of a request trace drawn at random, its
//! `tokens_in` / `ContextTokens` for prompts, `tokens_out` / `GeneratedTokens` for outputs). Every
//! length is at least 1 and at most [`MAX_TOKENS`]. Arrivals that carry lengths (trace rows with
//! token columns, `items` with a `size`) keep their own.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::workload::RawTraceFormat;
use crate::scenario::error::{Invalid, invalid};
use crate::trace::requests::RequestFormat;

type Result<T> = std::result::Result<T, Invalid>;

/// Longest prompt or output a length distribution gives, in tokens (2^20, as `max_model_len`).
pub const MAX_TOKENS: u32 = 1 << 20;

/// `workload.tokens: { prompt, output }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokens {
    /// Prompt (input) lengths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<RawLength>,
    /// Output (generated) lengths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RawLength>,
}

/// A length distribution — exactly one of these keys.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawLength {
    /// Always this many tokens.
    Fixed(u32),
    /// `[a, b]`: each whole number from a to b equally likely.
    Uniform(Vec<u32>),
    /// Lognormal with this mean and coefficient of variation, rounded.
    Lognormal(RawLognormalLength),
    /// Rows of a request trace, resampled.
    Empirical(RawEmpirical),
}

/// `{ lognormal: { mean, cv } }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLognormalLength {
    /// Mean length, tokens.
    pub mean: f64,
    /// Standard deviation over mean.
    pub cv: f64,
}

/// `{ empirical: { path, format } }`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmpirical {
    /// A request trace, relative to the scenario file.
    pub path: String,
    /// `csv` (default) or `azure-llm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<RawTraceFormat>,
}

/// Lengths for arrivals that carry none; either side may be left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokensSpec {
    /// Prompt lengths.
    pub prompt: Option<LengthSpec>,
    /// Output lengths.
    pub output: Option<LengthSpec>,
}

/// A validated length distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum LengthSpec {
    /// Always this many tokens.
    Fixed(u32),
    /// Each whole number in `low..=high` equally likely.
    Uniform {
        /// Smallest length.
        low: u32,
        /// Largest length.
        high: u32,
    },
    /// Lognormal with this mean and coefficient of variation, rounded to a whole number.
    Lognormal {
        /// Mean, tokens.
        mean: f64,
        /// Standard deviation over mean.
        cv: f64,
    },
    /// Lengths of a request trace's rows, one row drawn at random per request.
    Empirical(EmpiricalSource),
}

/// A request trace whose rows are resampled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmpiricalSource {
    /// Resolved path.
    pub path: PathBuf,
    /// File format.
    pub format: RequestFormat,
}

impl TokensSpec {
    /// The trace files the lengths resample, each once.
    pub fn empirical_sources(&self) -> Vec<&EmpiricalSource> {
        let mut out: Vec<&EmpiricalSource> = Vec::new();
        for side in [&self.prompt, &self.output] {
            if let Some(LengthSpec::Empirical(src)) = side
                && !out.contains(&src)
            {
                out.push(src);
            }
        }
        out
    }
}

/// Checks `workload.tokens`.
pub fn tokens(raw: Option<&RawTokens>, base_dir: &Path) -> Result<TokensSpec> {
    let Some(raw) = raw else { return Ok(TokensSpec::default()) };
    if raw.prompt.is_none() && raw.output.is_none() {
        return invalid("workload.tokens", "give `prompt`, `output` or both, e.g. { prompt: { fixed: 512 } }");
    }
    Ok(TokensSpec {
        prompt: raw.prompt.as_ref().map(|l| length("workload.tokens.prompt", l, base_dir)).transpose()?,
        output: raw.output.as_ref().map(|l| length("workload.tokens.output", l, base_dir)).transpose()?,
    })
}

fn whole(key: &str, n: u32) -> Result<u32> {
    if n == 0 || n > MAX_TOKENS {
        return invalid(key, format!("must be a number of tokens between 1 and {MAX_TOKENS}, found {n}"));
    }
    Ok(n)
}

fn length(key: &str, raw: &RawLength, base_dir: &Path) -> Result<LengthSpec> {
    Ok(match raw {
        RawLength::Fixed(n) => LengthSpec::Fixed(whole(&format!("{key}.fixed"), *n)?),
        RawLength::Uniform(bounds) => {
            let k = format!("{key}.uniform");
            let [low, high] = bounds[..] else {
                return invalid(k, format!("expected two bounds [a, b], found {} values", bounds.len()));
            };
            let (low, high) = (whole(&k, low)?, whole(&k, high)?);
            if low > high {
                return invalid(k, format!("the lower bound {low} is above the upper bound {high}"));
            }
            LengthSpec::Uniform { low, high }
        }
        RawLength::Lognormal(l) => {
            if !(l.mean.is_finite() && l.mean >= 1.0 && l.mean <= f64::from(MAX_TOKENS)) {
                return invalid(
                    format!("{key}.lognormal.mean"),
                    format!("must be a number of tokens between 1 and {MAX_TOKENS}, found {}", l.mean),
                );
            }
            if !(l.cv.is_finite() && l.cv > 0.0 && l.cv <= 100.0) {
                return invalid(format!("{key}.lognormal.cv"), format!("must be a number in (0, 100], found {}", l.cv));
            }
            LengthSpec::Lognormal { mean: l.mean, cv: l.cv }
        }
        RawLength::Empirical(e) => {
            if e.path.trim().is_empty() {
                return invalid(format!("{key}.empirical.path"), "must name a request trace file");
            }
            let format = match e.format.unwrap_or(RawTraceFormat::Csv) {
                RawTraceFormat::Csv => RequestFormat::Csv,
                RawTraceFormat::AzureLlm => RequestFormat::AzureLlm,
            };
            LengthSpec::Empirical(EmpiricalSource { path: base_dir.join(&e.path), format })
        }
    })
}

/// Where a serving run's prompt and output lengths come from, before its trace is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// The arrivals carry this length (items with a `size`).
    Yes,
    /// They carry none (Poisson, constant, diurnal; items without `size`, outputs of items).
    No,
    /// Known once the trace is open: whether it has the column.
    IfTraceColumn,
}

/// Checks that every token term of the batch time has lengths to multiply: `needs` is whether the
/// term is non-zero, `carried` what the arrivals bring, `given` whether `workload.tokens` gives
/// the side. `term` is the batch-time key, `side` `prompt` or `output`.
pub fn check_term(term: &str, side: &str, needs: bool, carried: Carried, given: bool, arrivals: &str) -> Result<()> {
    if needs && carried == Carried::No && !given {
        return invalid(
            format!("service.batch_time.{term}"),
            format!(
                "the arrivals ({arrivals}) carry no {side} lengths, so this term would be ignored: give \
                 workload.tokens.{side} (e.g. {{ fixed: 512 }}, {{ lognormal: {{ mean: 1000, cv: 1.0 }} }} or \
                 {{ empirical: {{ path: ..., format: azure-llm }} }}), or replay a trace with token counts"
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<TokensSpec> {
        let raw: RawTokens = serde_saphyr::from_str(yaml).expect("yaml");
        tokens(Some(&raw), Path::new("base"))
    }

    #[test]
    fn each_form_validates() {
        let t = parse("prompt: { uniform: [128, 2048] }\noutput: { lognormal: { mean: 200, cv: 1.5 } }\n").unwrap();
        assert_eq!(t.prompt, Some(LengthSpec::Uniform { low: 128, high: 2048 }));
        assert_eq!(t.output, Some(LengthSpec::Lognormal { mean: 200.0, cv: 1.5 }));
        let t = parse("prompt: { empirical: { path: t.csv, format: azure-llm } }\noutput: { fixed: 1 }\n").unwrap();
        let src = EmpiricalSource { path: Path::new("base").join("t.csv"), format: RequestFormat::AzureLlm };
        assert_eq!(t.prompt, Some(LengthSpec::Empirical(src.clone())));
        assert_eq!(t.empirical_sources(), vec![&src]);
    }

    #[test]
    fn bad_lengths_name_their_key() {
        for (yaml, key, fragment) in [
            ("prompt: { fixed: 0 }", "workload.tokens.prompt.fixed", "between 1 and 1048576, found 0"),
            ("output: { uniform: [5] }", "workload.tokens.output.uniform", "two bounds [a, b], found 1"),
            (
                "output: { uniform: [9, 5] }",
                "workload.tokens.output.uniform",
                "lower bound 9 is above the upper bound 5",
            ),
            ("prompt: { lognormal: { mean: 0.5, cv: 1 } }", "workload.tokens.prompt.lognormal.mean", "found 0.5"),
            ("prompt: { lognormal: { mean: 10, cv: 0 } }", "workload.tokens.prompt.lognormal.cv", "(0, 100]"),
            ("prompt: { empirical: { path: ' ' } }", "workload.tokens.prompt.empirical.path", "must name"),
            ("{}", "workload.tokens", "give `prompt`, `output` or both"),
        ] {
            let e = parse(yaml).expect_err(yaml);
            assert_eq!(e.key, key, "{yaml}");
            assert!(e.message.contains(fragment), "{yaml}: {}", e.message);
        }
    }
}
