//! The end of an iteration: each sequence in it produces its token (a decode, or the last chunk of
//! a prefill), completes with its last one, or — on a prefill-only replica — is handed back to be
//! transferred; every token is reported to the sink, gaps grouped.

use super::{DECODE, Planned, Replica, Slot};
use crate::engine::{Duration, SimTime};
use crate::llm::config::Role;
use crate::llm::sink::{Completion, IterationStats, TokenSink};

/// Consecutive equal inter-token gaps, reported as one `(gap, count)`.
struct GapRun {
    gap: Duration,
    count: u32,
}

impl GapRun {
    #[inline]
    fn push(&mut self, gap: Duration, sink: &mut (impl TokenSink + ?Sized)) {
        if gap != self.gap && self.count > 0 {
            sink.token_gaps(self.gap, self.count);
            self.count = 0;
        }
        self.gap = gap;
        self.count += 1;
    }

    fn flush(&mut self, sink: &mut (impl TokenSink + ?Sized)) {
        if self.count > 0 {
            sink.token_gaps(self.gap, self.count);
            self.count = 0;
        }
    }
}

impl Replica {
    /// Applies the iteration in progress, which ends at `now` (asserted: the time
    /// [`Replica::start_iteration`] gave), and reports its tokens, completions and hand-offs.
    pub fn finish_iteration(&mut self, now: SimTime, sink: &mut (impl TokenSink + ?Sized)) {
        let planned: Planned = self.current.take().expect("finish_iteration without an iteration in progress");
        assert_eq!(now, planned.end, "an iteration finishes at the time start_iteration gave");
        self.advance_clock(now);
        let mut gaps = GapRun { gap: Duration::ZERO, count: 0 };
        let mut output_tokens = 0;
        let hand_off = self.config.role == Role::PrefillOnly;
        let len = self.running.len();
        let mut write = planned.first_idx;
        for read in planned.first_idx..len {
            let slot = &mut self.running[read];
            let step = std::mem::take(&mut slot.step);
            let stays = if step == 0 || (step != DECODE && !slot.finish_chunk(step)) {
                true
            } else {
                output_tokens += 1;
                let prefilled = step != DECODE;
                slot.token(now, self.measure_from, &mut gaps, sink);
                let leaves = slot.seq.produced == slot.seq.output_tokens || (prefilled && hand_off);
                if leaves {
                    self.kv.give_back(slot.blocks);
                    if slot.seq.produced == slot.seq.output_tokens {
                        sink.completed(&Completion::of(slot.seq, now));
                    } else {
                        sink.prefill_done(slot.seq);
                    }
                }
                !leaves
            };
            if stays {
                if write != read {
                    self.running[write] = self.running[read];
                }
                write += 1;
            }
        }
        self.running.truncate(write);
        gaps.flush(sink);
        let stats = IterationStats { start: planned.start, end: now, shape: planned.shape, output_tokens };
        sink.iteration(&stats);
    }
}

impl Slot {
    /// Applies a prefill chunk of `k` tokens; true when it finished the prompt (a token is due).
    #[inline]
    fn finish_chunk(&mut self, k: u32) -> bool {
        self.prefill_done += k;
        self.prefill_left -= k;
        if self.prefill_left == 0 {
            self.prefill_done = 0;
            true
        } else {
            false
        }
    }

    /// One output token at `now`: the first (TTFT) or one more gap (reported only for requests
    /// that arrived at or after `measure_from`).
    #[inline]
    fn token(&mut self, now: SimTime, measure_from: SimTime, gaps: &mut GapRun, sink: &mut (impl TokenSink + ?Sized)) {
        let seq = &mut self.seq;
        if seq.produced == 0 {
            seq.first_token_at = now;
            sink.first_token(seq, now.since(seq.arrival));
        } else if seq.arrival >= measure_from {
            gaps.push(now.since(seq.last_token_at), sink);
        }
        seq.produced += 1;
        seq.last_token_at = now;
    }
}
