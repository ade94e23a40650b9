//! The `vllm` scheduler (prefill first, vLLM's default before chunked prefill): at an iteration
//! start, admit waiting sequences first-come first-served while their prompts fit the token
//! budget, `max_num_seqs` and the KV cache, stopping at the first that does not, and prefill them
//! in a prefill-only iteration; if no prompt was admitted, decode every running sequence.
//!
//! A transferred sequence at the head of the queue (decode replicas) needs no prompt budget: it
//! joins the running set when its blocks and `max_num_seqs` allow, and decodes in the next decode
//! iteration (this one, if no prompt was admitted).

use super::{DECODE, Replica, Slot};
use crate::llm::IterationShape;
use crate::llm::sink::TokenSink;

impl Replica {
    /// Plans a `vllm` iteration; returns its shape and the index of its first running slot.
    pub(super) fn plan_vllm(&mut self, sink: &mut (impl TokenSink + ?Sized)) -> (IterationShape, usize) {
        let mut shape = IterationShape::default();
        let n_before = self.running.len();
        let mut budget = self.config.max_num_batched_tokens;
        while let Some(head) = self.waiting.front() {
            if self.running.len() >= self.config.max_num_seqs as usize || head.prefill_left > budget {
                break;
            }
            let need = self.kv.blocks_for(head.seq.context_tokens());
            if !self.kv.try_take(need) {
                break;
            }
            let mut slot: Slot = self.waiting.pop_front().expect("head exists");
            slot.blocks = need;
            if slot.prefill_left > 0 {
                budget -= slot.prefill_left;
                slot.step = slot.prefill_left;
                add_chunk(&mut shape, 0, slot.prefill_left);
            }
            self.running.push(slot);
        }
        if shape.prefill_seqs > 0 {
            // Only admitted slots prefill; transferred ones admitted beside them wait for a decode.
            return (shape, n_before);
        }
        let mut i = 0;
        while i < self.running.len() {
            if !self.grow_or_preempt(i, sink) {
                break;
            }
            let slot = &mut self.running[i];
            slot.step = DECODE;
            add_decode(&mut shape, slot.seq.context_tokens());
            i += 1;
        }
        (shape, 0)
    }
}

/// Adds a prompt chunk of `k` tokens whose first `p` are already prefilled.
pub(super) fn add_chunk(shape: &mut IterationShape, p: u32, k: u32) {
    let (p, k) = (u64::from(p), u64::from(k));
    shape.prefill_seqs += 1;
    shape.prefill_tokens += k;
    shape.prefill_sq += (p + k) * (p + k) - p * p;
    shape.prefill_prior += p;
}

/// Adds a sequence decoding one token with context `context`.
pub(super) fn add_decode(shape: &mut IterationShape, context: u32) {
    shape.decode_seqs += 1;
    shape.decode_context += u64::from(context);
}
