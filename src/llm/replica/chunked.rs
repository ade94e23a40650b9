//! The `chunked` scheduler (decode first: Sarathi-Serve, vLLM's chunked prefill): every running
//! decode takes one token of the budget, then prompt chunks fill what is left of
//! `max_num_batched_tokens`, partly prefilled prompts first (in admission order), then waiting
//! sequences first-come first-served while `max_num_seqs` and the KV cache allow, stopping at the
//! first that does not fit. A prompt's blocks are taken whole when it is admitted.
//!
//! A transferred sequence admitted from the queue (decode replicas) decodes in this iteration and
//! takes one token of the budget.

use super::vllm::{add_chunk, add_decode};
use super::{DECODE, Replica};
use crate::llm::IterationShape;
use crate::llm::sink::TokenSink;

impl Replica {
    /// Plans a `chunked` iteration; returns its shape and the index of its first running slot.
    pub(super) fn plan_chunked(&mut self, sink: &mut (impl TokenSink + ?Sized)) -> (IterationShape, usize) {
        let mut shape = IterationShape::default();
        let mut budget = self.config.max_num_batched_tokens;
        // Partly prefilled prompts: rare, so only their first position is noted on the way.
        let mut first_partial = usize::MAX;
        let mut i = 0;
        while i < self.running.len() {
            if self.running[i].prefill_left == 0 {
                if !self.grow_or_preempt(i, sink) {
                    break;
                }
                let slot = &mut self.running[i];
                slot.step = DECODE;
                add_decode(&mut shape, slot.seq.context_tokens());
                budget = budget.saturating_sub(1);
            } else {
                first_partial = first_partial.min(i);
            }
            i += 1;
        }
        let partials = self.running.iter_mut().skip(first_partial).filter(|s| s.prefill_left > 0);
        for slot in partials {
            if budget == 0 {
                break;
            }
            let k = slot.prefill_left.min(budget);
            slot.step = k;
            add_chunk(&mut shape, slot.prefill_done, k);
            budget -= k;
        }
        self.admit_chunked(&mut shape, budget);
        (shape, 0)
    }

    /// Admits waiting sequences while budget, `max_num_seqs` and blocks allow (FCFS, no skipping).
    fn admit_chunked(&mut self, shape: &mut IterationShape, mut budget: u32) {
        while budget > 0 && self.running.len() < self.config.max_num_seqs as usize {
            let Some(head) = self.waiting.front() else { break };
            let need = self.kv.blocks_for(head.seq.context_tokens());
            if !self.kv.try_take(need) {
                break;
            }
            let mut slot = self.waiting.pop_front().expect("head exists");
            slot.blocks = need;
            if slot.prefill_left > 0 {
                let k = slot.prefill_left.min(budget);
                slot.step = k;
                add_chunk(shape, 0, k);
                budget -= k;
            } else {
                slot.step = DECODE;
                add_decode(shape, slot.seq.context_tokens());
                budget -= 1;
            }
            self.running.push(slot);
        }
    }
}
