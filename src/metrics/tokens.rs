//! Token-level figures of LLM serving (SPEC "LLM serving (token level)"): TTFT, TPOT and
//! inter-token latency distributions, tokens, the SLOs over them, the KV cache and iterations.
//!
//! Only requests that arrive after warmup enter the latency distributions and the SLOs, as for
//! `latency_s`; tokens, iterations and the KV cache count everything.

use serde::Serialize;

use super::latency::{LatencyStats, LatencySummary};
use crate::engine::{Duration, SimTime};
use crate::llm::sink::{Completion, IterationStats};
use crate::scenario::Sla;
use crate::scenario::serving::workload::TokenSlos;

/// What an LLM executor measures as its replicas run.
#[derive(Clone)]
pub struct TokenMetrics {
    warmup: SimTime,
    slos: TokenSlos,
    /// The end-to-end objective (`workload.sla.latency` or `e2e`).
    e2e: Option<Sla>,
    ttft: LatencyStats,
    tpot: LatencyStats,
    itl: LatencyStats,
    n_prompt_tokens: u64,
    n_output_tokens: u64,
    /// Measured completions meeting every objective given.
    n_met: u64,
    n_ttft_over: u64,
    n_tpot_over: u64,
    n_e2e_over: u64,
    /// Measured completions.
    n_measured: u64,
    n_preemptions: u64,
    n_iterations: u64,
    batch_tokens: u64,
    running: u64,
    /// Σ KV utilization × iteration length (ns) and Σ iteration lengths (ns).
    kv_weighted: f64,
    iteration_ns: f64,
    /// The ledger the invariant checker balances (see [`LlmAudit`]); everything, warmup or not.
    ledger: Ledger,
}

/// What [`TokenMetrics`] counts for the audit, independently of the figures it reports.
#[derive(Clone, Copy, Debug, Default)]
struct Ledger {
    tokens_produced: u64,
    first_tokens: u64,
    completed: u64,
    tokens_of_completed: u64,
    not_as_asked: u64,
    out_of_order: u64,
    over_limits: u64,
    kv_peak_utilization: f64,
}

/// The token and KV ledger of an LLM run, which the invariant checker ([`crate::check`]) balances
/// against the summary. Token counts are output tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LlmAudit {
    /// Tokens produced, counted per iteration on every replica (a recomputed prefix produces none).
    pub tokens_produced: u64,
    /// Requests the replicas completed (cache hits never reach them).
    pub completed: u64,
    /// Σ over those requests of the tokens each had produced when it completed.
    pub tokens_of_completed: u64,
    /// Completed requests that had produced other than the O tokens they asked for.
    pub not_as_asked: u64,
    /// Completed requests whose first token came before their arrival or after their completion.
    pub out_of_order: u64,
    /// Tokens produced for requests that did not complete: held at the end (by a replica or in a
    /// queue) or dropped after producing some (re-routed, then refused or dropped at a limit).
    pub tokens_unfinished: u64,
    /// First tokens produced: one per request that produced any, recomputes included.
    pub first_tokens: u64,
    /// Iterations beyond their replica's limits: more than `max_num_seqs` sequences admitted or
    /// decoding, or prompt tokens with the decodes beside them above `max_num_batched_tokens`.
    pub iterations_over_limits: u64,
    /// The most of a replica's KV blocks any iteration held, as a fraction of its blocks.
    pub kv_peak_utilization: f64,
    /// Blocks a replica's cache counted as in use that no sequence held, or the reverse, summed
    /// over replicas when they were drained and at the end of the run.
    pub kv_unaccounted_blocks: u64,
}

/// `ttft_s`, `tpot_s`, `itl_s`, `tokens`, `kv`, `llm`: the keys an LLM run adds to `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TokenSummary {
    /// Time to first token of measured requests.
    pub ttft_s: LatencySummary,
    /// Time per output token ((completion − first token) / (O − 1)) of measured requests, O ≥ 2.
    pub tpot_s: LatencySummary,
    /// Every gap between consecutive tokens of measured requests.
    pub itl_s: LatencySummary,
    /// Tokens of completed requests.
    pub tokens: Tokens,
    /// The KV cache.
    pub kv: KvSummary,
    /// Iterations.
    pub llm: IterationSummary,
}

/// `tokens.*`
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Tokens {
    /// Prompt tokens of completed requests.
    pub prompt: u64,
    /// Output tokens of completed requests.
    pub output: u64,
    /// Output tokens per second of simulated time (start to the end of the drain).
    pub output_per_s: f64,
}

/// `kv.*`
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct KvSummary {
    /// KV blocks in use over blocks, averaged over the time replicas spend running iterations.
    pub utilization_mean: f64,
    /// Running sequences preempted for want of KV blocks (recomputed).
    pub preemptions: u64,
    /// Disaggregated fleets: prefilled sequences whose KV crossed to a decode replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfers: Option<u64>,
    /// Disaggregated fleets: mean time of a KV transfer, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_mean_s: Option<f64>,
}

/// `llm.*`
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct IterationSummary {
    /// Iterations run (on every replica).
    pub iterations: u64,
    /// Tokens per iteration: prompt tokens plus one per decoding sequence.
    pub mean_batch_tokens: f64,
    /// Sequences admitted (holding KV) during an iteration, per iteration.
    pub mean_running: f64,
}

/// One objective's figures, under `sla.ttft`, `sla.tpot`, `sla.e2e`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SloSummary {
    /// Target, seconds.
    pub target_s: f64,
    /// Quantile the target applies to.
    pub quantile: f64,
    /// Fraction of measured requests over the target (dropped ones count as over).
    pub violation_rate: f64,
    /// Whether at most `1 − quantile` of measured requests were over.
    pub met: bool,
}

impl TokenMetrics {
    /// Empty figures; requests arriving before `warmup` are left out of latencies and SLOs.
    pub fn new(warmup: SimTime, e2e: Option<Sla>, slos: TokenSlos) -> TokenMetrics {
        TokenMetrics {
            warmup,
            slos,
            e2e,
            ttft: LatencyStats::new(None),
            tpot: LatencyStats::new(None),
            itl: LatencyStats::new(None),
            n_prompt_tokens: 0,
            n_output_tokens: 0,
            n_met: 0,
            n_ttft_over: 0,
            n_tpot_over: 0,
            n_e2e_over: 0,
            n_measured: 0,
            n_preemptions: 0,
            n_iterations: 0,
            batch_tokens: 0,
            running: 0,
            kv_weighted: 0.0,
            iteration_ns: 0.0,
            ledger: Ledger::default(),
        }
    }

    /// The ledger as the metrics saw it; the executor adds what its replicas and the world hold.
    pub fn audit(&self) -> LlmAudit {
        let l = &self.ledger;
        LlmAudit {
            tokens_produced: l.tokens_produced,
            completed: l.completed,
            tokens_of_completed: l.tokens_of_completed,
            not_as_asked: l.not_as_asked,
            out_of_order: l.out_of_order,
            iterations_over_limits: l.over_limits,
            tokens_unfinished: 0,
            first_tokens: l.first_tokens,
            kv_peak_utilization: l.kv_peak_utilization,
            kv_unaccounted_blocks: 0,
        }
    }

    /// Where measurement starts: requests arriving earlier are left out.
    pub fn warmup(&self) -> SimTime {
        self.warmup
    }

    /// A request's first token (`arrival` its arrival).
    #[inline]
    pub fn first_token(&mut self, arrival: SimTime, ttft: Duration) {
        self.ledger.first_tokens += 1;
        if arrival >= self.warmup {
            self.ttft.record(ttft);
        }
    }

    /// `count` inter-token gaps of measured requests.
    #[inline]
    pub fn token_gaps(&mut self, gap: Duration, count: u32) {
        self.itl.record_n(gap, u64::from(count));
    }

    /// A request completed.
    pub fn completed(&mut self, done: &Completion) {
        let (seq, l) = (&done.seq, &mut self.ledger);
        l.completed += 1;
        l.tokens_of_completed += u64::from(seq.produced);
        l.not_as_asked += u64::from(seq.produced != seq.output_tokens);
        l.out_of_order += u64::from(seq.first_token_at < seq.arrival || done.at < seq.first_token_at);
        self.n_prompt_tokens += u64::from(done.seq.prompt_tokens);
        self.n_output_tokens += u64::from(done.seq.output_tokens);
        if done.seq.arrival < self.warmup {
            return;
        }
        self.n_measured += 1;
        if let Some(tpot) = done.tpot_s {
            self.tpot.record(Duration::from_secs_f64(tpot));
        }
        let over = |slo: Option<Sla>, value: Duration| slo.is_some_and(|s| value > s.latency);
        let ttft_over = over(self.slos.ttft, done.ttft);
        // A request with one output token has no TPOT: it meets the TPOT objective.
        let tpot_over = done.tpot_s.is_some_and(|t| self.slos.tpot.is_some_and(|s| t > s.latency.as_secs_f64()));
        let e2e_over = over(self.e2e, done.e2e);
        self.n_ttft_over += u64::from(ttft_over);
        self.n_tpot_over += u64::from(tpot_over);
        self.n_e2e_over += u64::from(e2e_over);
        if !(ttft_over || tpot_over || e2e_over) {
            self.n_met += 1;
        }
    }

    /// A running sequence was preempted.
    #[inline]
    pub fn preempted(&mut self) {
        self.n_preemptions += 1;
    }

    /// An iteration finished; `kv_utilization` held while it ran and `running` sequences were
    /// admitted.
    #[inline]
    pub fn iteration(&mut self, stats: &IterationStats, kv_utilization: f64, running: usize) {
        self.n_iterations += 1;
        self.ledger.tokens_produced += u64::from(stats.output_tokens);
        self.ledger.kv_peak_utilization = self.ledger.kv_peak_utilization.max(kv_utilization);
        self.batch_tokens += stats.batch_tokens();
        self.running += running as u64;
        let ns = stats.end.since(stats.start).as_nanos() as f64;
        self.kv_weighted += kv_utilization * ns;
        self.iteration_ns += ns;
    }

    /// Time to first token of measured requests.
    pub fn ttft(&self) -> &LatencyStats {
        &self.ttft
    }

    /// Time per output token of measured requests with two output tokens or more.
    pub fn tpot(&self) -> &LatencyStats {
        &self.tpot
    }

    /// Counts (for the audit) an iteration of a replica with these limits that went beyond them.
    /// A `vllm` decode iteration takes no token budget; any iteration with prompt tokens does.
    #[inline]
    pub fn audit_limits(&mut self, stats: &IterationStats, running: usize, max_num_seqs: u32, budget: u32) {
        let s = &stats.shape;
        let seqs = running > max_num_seqs as usize || s.decode_seqs > max_num_seqs;
        let tokens = s.prefill_seqs > 0 && stats.batch_tokens() > u64::from(budget);
        self.ledger.over_limits += u64::from(seqs || tokens);
    }

    /// Output tokens of completed requests.
    pub fn output_tokens(&self) -> u64 {
        self.n_output_tokens
    }

    /// Measured (post-warmup) completions.
    pub fn measured(&self) -> u64 {
        self.n_measured
    }

    /// Prompt tokens of completed requests.
    pub fn prompt_tokens(&self) -> u64 {
        self.n_prompt_tokens
    }

    /// The summary: `duration_s` is the simulated time start to end.
    pub fn summary(&self, duration_s: f64) -> TokenSummary {
        let per = |x: u64, n: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
        TokenSummary {
            ttft_s: self.ttft.summary(),
            tpot_s: self.tpot.summary(),
            itl_s: self.itl.summary(),
            tokens: Tokens {
                prompt: self.n_prompt_tokens,
                output: self.n_output_tokens,
                output_per_s: if duration_s > 0.0 { self.n_output_tokens as f64 / duration_s } else { 0.0 },
            },
            kv: KvSummary {
                utilization_mean: if self.iteration_ns > 0.0 { self.kv_weighted / self.iteration_ns } else { 0.0 },
                preemptions: self.n_preemptions,
                transfers: None,
                transfer_mean_s: None,
            },
            llm: IterationSummary {
                iterations: self.n_iterations,
                mean_batch_tokens: per(self.batch_tokens, self.n_iterations),
                mean_running: per(self.running, self.n_iterations),
            },
        }
    }

    /// The objectives' figures given `n_dropped` measured requests that never completed (they
    /// count as missing every objective): (attainment, met requests, ttft, tpot, e2e).
    pub fn slos(&self, n_dropped: u64) -> SloFigures {
        let n = self.n_measured + n_dropped;
        let rate = |over: u64| if n == 0 { 0.0 } else { (over + n_dropped) as f64 / n as f64 };
        let slo = |s: Option<Sla>, over: u64| {
            s.map(|s| {
                let violation_rate = rate(over);
                SloSummary {
                    target_s: s.latency.as_secs_f64(),
                    quantile: s.quantile,
                    violation_rate,
                    met: violation_rate <= 1.0 - s.quantile,
                }
            })
        };
        SloFigures {
            attainment: if n == 0 { 0.0 } else { self.n_met as f64 / n as f64 },
            n_met: self.n_met,
            ttft: slo(self.slos.ttft, self.n_ttft_over),
            tpot: slo(self.slos.tpot, self.n_tpot_over),
            e2e: slo(self.e2e, self.n_e2e_over),
        }
    }
}

/// The objectives over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SloFigures {
    /// Fraction of measured requests that met every objective.
    pub attainment: f64,
    /// Measured requests that met every objective.
    pub n_met: u64,
    /// `sla.ttft`.
    pub ttft: Option<SloSummary>,
    /// `sla.tpot`.
    pub tpot: Option<SloSummary>,
    /// `sla.e2e`.
    pub e2e: Option<SloSummary>,
}
