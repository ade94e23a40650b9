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

/// What becomes of a slot once its token is out.
enum After {
    Stays,
    Leaves,
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
        let mut write = planned.first_idx;
        for read in planned.first_idx..self.running.len() {
            let mut slot = self.running[read];
            let step = std::mem::take(&mut slot.step);
            let produces = match step {
                0 => false,
                DECODE => true,
                chunk => {
                    slot.prefill_done += chunk;
                    slot.prefill_left -= chunk;
                    slot.prefill_left == 0
                }
            };
            if produces {
                output_tokens += 1;
                if let After::Leaves = self.produce(&mut slot, step != DECODE, now, &mut gaps, sink) {
                    continue;
                }
            }
            self.running[write] = slot;
            write += 1;
        }
        self.running.truncate(write);
        gaps.flush(sink);
        let stats = IterationStats { start: planned.start, end: now, shape: planned.shape, output_tokens };
        sink.iteration(&stats);
    }

    /// One output token for `slot`; frees its blocks when it completes or is handed off.
    fn produce(
        &mut self,
        slot: &mut Slot,
        prefilled: bool,
        now: SimTime,
        gaps: &mut GapRun,
        sink: &mut (impl TokenSink + ?Sized),
    ) -> After {
        let seq = &mut slot.seq;
        if seq.produced == 0 {
            seq.first_token_at = now;
            sink.first_token(seq, now.since(seq.arrival));
        } else {
            gaps.push(now.since(seq.last_token_at), sink);
        }
        seq.produced += 1;
        seq.last_token_at = now;
        if prefilled {
            slot.prefill_done = 0;
        }
        if seq.produced == seq.output_tokens {
            self.kv.give_back(slot.blocks);
            sink.completed(&Completion::of(*seq, now));
            After::Leaves
        } else if prefilled && self.config.role == Role::PrefillOnly {
            self.kv.give_back(slot.blocks);
            sink.prefill_done(*seq);
            After::Leaves
        } else {
            After::Stays
        }
    }
}
