//! Test helpers: a sink that records everything, a one-replica event loop, the replica's internal
//! invariants, and the step-time profile of the hand-worked tests.

use std::sync::Arc;

use super::{DECODE, Replica};
use crate::engine::{Duration, SimTime};
use crate::llm::config::{LlmConfig, Role, Scheduler};
use crate::llm::sequence::{Refusal, Sequence};
use crate::llm::sink::{Completion, IterationStats, TokenSink};
use crate::llm::step_time::fitted::{Coefficients, Fitted, LargeBatch};

/// DistServe's OPT-13B profile on one A100-80GB (LLMServe/DistServe,
/// `simdistserve/estimators/profile_data/profiler-a100-80g.distserve.json`, tp 1), rounded so that
/// every step time is a whole number of nanoseconds and the hand-worked sums are exact:
/// prefill [16.5 ms, 0.093 ms/token, 6e-6 ms/token²] (fit: 16.46, 0.0926, 6.47e-6), decode
/// [19.9 ms, 0.0006 ms/context token, 0.0385 ms/sequence] (fit: 19.93, 0.000627, 0.0385), and the
/// large-batch set [7.2, 0.00058, 0.158] from 95 sequences (fit: 7.17, 0.00058, 0.158).
pub(super) fn opt13b_rounded() -> Arc<Fitted> {
    Arc::new(
        Fitted::new(
            Coefficients::new(16.5, 0.093, 6e-6),
            Coefficients::new(19.9, 0.0006, 0.0385),
            Some(LargeBatch { decode: Coefficients::new(7.2, 0.00058, 0.158), from_seqs: 95 }),
        )
        .expect("finite coefficients"),
    )
}

/// SPEC's example limits (`max_num_seqs: 256`, `max_num_batched_tokens: 8192`,
/// `max_model_len: 8192` here so that `vllm` validates, `block_size: 16`,
/// `kv_cache_tokens: 200000`), colocated.
pub(super) fn spec_config(scheduler: Scheduler) -> LlmConfig {
    LlmConfig {
        scheduler,
        max_num_seqs: 256,
        max_num_batched_tokens: 8192,
        max_model_len: 8192,
        block_size: 16,
        kv_cache_tokens: 200_000,
        role: Role::Colocated,
    }
}

/// Milliseconds with up to 6 decimals as exact nanoseconds (for hand-worked expectations).
pub(super) fn ms(x: f64) -> Duration {
    Duration((x * 1e6).round() as u64)
}

/// Everything a replica reported.
#[derive(Debug, Default)]
pub(super) struct Recorder {
    pub first: Vec<(u64, Duration)>,
    pub gaps: Vec<(Duration, u32)>,
    pub done: Vec<Completion>,
    pub handed_off: Vec<Sequence>,
    pub preempted: Vec<u64>,
    pub iterations: Vec<IterationStats>,
}

impl TokenSink for Recorder {
    fn first_token(&mut self, seq: &Sequence, ttft: Duration) {
        self.first.push((seq.id, ttft));
    }
    fn token_gaps(&mut self, gap: Duration, count: u32) {
        assert!(count > 0, "gap reported with count 0");
        self.gaps.push((gap, count));
    }
    fn completed(&mut self, done: &Completion) {
        self.done.push(*done);
    }
    fn prefill_done(&mut self, seq: Sequence) {
        self.handed_off.push(seq);
    }
    fn preempted(&mut self, seq: &Sequence) {
        self.preempted.push(seq.id);
    }
    fn iteration(&mut self, stats: &IterationStats) {
        self.iterations.push(*stats);
    }
}

impl Recorder {
    /// Output tokens reported: first tokens plus every gap.
    pub fn tokens(&self) -> u64 {
        self.first.len() as u64 + self.gaps.iter().map(|&(_, c)| u64::from(c)).sum::<u64>()
    }

    /// Every gap, one entry per token, in report order.
    pub fn gap_list(&self) -> Vec<Duration> {
        self.gaps.iter().flat_map(|&(g, c)| std::iter::repeat_n(g, c as usize)).collect()
    }

    /// The completion of request `id`.
    pub fn completion(&self, id: u64) -> &Completion {
        self.done.iter().find(|c| c.seq.id == id).unwrap_or_else(|| panic!("request {id} did not complete"))
    }
}

/// How a test's arrival enters the replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Entry {
    /// [`Replica::enqueue`]: prefilled here.
    Fresh,
    /// [`Replica::enqueue_transferred`]: its KV comes from a prefill replica.
    Transferred,
}

/// A sequence reaching the replica at `at`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Arrival {
    pub at: SimTime,
    pub entry: Entry,
    pub seq: Sequence,
}

/// Fresh requests arriving at their own arrival times.
pub(super) fn fresh(seqs: &[Sequence]) -> Vec<Arrival> {
    seqs.iter().map(|&seq| Arrival { at: seq.arrival, entry: Entry::Fresh, seq }).collect()
}

/// What the loop saw besides the sink's reports.
#[derive(Debug, Default)]
pub(super) struct Run {
    pub refused: Vec<(u64, Refusal)>,
    /// Arrivals handled (a prefix of the list).
    pub n_arrived: usize,
    /// Time of the last event handled.
    pub end: SimTime,
}

/// Runs one replica over `arrivals` (sorted by time) until it is idle with nothing left, or until
/// `max_iterations` iterations have started and the last has finished. At equal times an
/// iteration's end is handled before arrivals, and an idle replica starts an iteration after both.
/// The replica's invariants are checked after every step.
pub(super) fn run(replica: &mut Replica, arrivals: &[Arrival], rec: &mut Recorder, max_iterations: usize) -> Run {
    let mut out = Run::default();
    let (mut next, mut busy_until, mut started) = (0, None::<SimTime>, 0);
    loop {
        let arrival = arrivals.get(next).map(|a| a.at);
        let now = if let Some(end) = busy_until.filter(|&end| arrival.is_none_or(|a| end <= a)) {
            replica.finish_iteration(end, rec);
            busy_until = None;
            end
        } else if let Some(at) = arrival {
            while let Some(a) = arrivals.get(next).filter(|a| a.at == at) {
                let r = match a.entry {
                    Entry::Fresh => replica.enqueue(a.seq),
                    Entry::Transferred => replica.enqueue_transferred(a.seq),
                };
                if let Err(e) = r {
                    out.refused.push((a.seq.id, e));
                }
                next += 1;
            }
            at
        } else {
            break;
        };
        assert!(now >= out.end, "time went back from {} to {now}", out.end);
        (out.end, out.n_arrived) = (now, next);
        replica.audit();
        if busy_until.is_none() && started < max_iterations {
            if let Some(d) = replica.start_iteration(now, rec) {
                busy_until = Some(now.after(d));
                started += 1;
            }
            replica.audit();
        }
        if started >= max_iterations && busy_until.is_none() {
            break;
        }
    }
    out
}

impl Replica {
    /// The replica's internal invariants: blocks held add up to the cache's count, never above its
    /// capacity; waiting sequences hold none; a sequence in the iteration holds blocks for its
    /// context C = P + produced (whole prompt when prefilling); nothing held has produced all its tokens.
    pub(super) fn audit(&self) {
        let held: u64 = self.running.iter().map(|s| u64::from(s.blocks)).sum();
        assert_eq!(held, u64::from(self.kv.used_blocks()), "blocks held vs KV cache count");
        assert!(self.kv.used_blocks() <= self.kv.total_blocks());
        assert!(self.running.len() <= self.config.max_num_seqs as usize, "more running than max_num_seqs");
        for s in &self.waiting {
            assert_eq!((s.blocks, s.step, s.prefill_done), (0, 0, 0), "waiting slot {s:?}");
            assert!(s.seq.produced < s.seq.output_tokens);
        }
        for s in &self.running {
            assert!(s.seq.produced < s.seq.output_tokens, "completed sequence still running: {s:?}");
            // Blocks cover the context up to the last iteration start: at most C = P + produced,
            // at least C − 1 (a decode or prefill since then produced one token).
            let context = s.seq.context_tokens();
            let (low, high) = (self.kv.blocks_for(context - 1), self.kv.blocks_for(context));
            assert!((low..=high).contains(&s.blocks), "running slot {s:?} holds blocks outside {low}..={high}");
            if self.current.is_some() && s.step != 0 {
                assert_eq!(s.blocks, high, "a slot in the iteration holds blocks for its whole context: {s:?}");
            }
            if s.step == DECODE {
                assert_eq!(s.prefill_left, 0);
            }
        }
    }
}
