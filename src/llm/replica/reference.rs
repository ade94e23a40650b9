//! A second, deliberately naive implementation of SPEC's colocated semantics, written from the
//! SPEC text without the replica's shortcuts (no in-place compaction, no block fast path, no
//! first-index skipping, shape rebuilt from an explicit list): the property tests compare the
//! two request by request.

use std::collections::VecDeque;

use super::iteration_length;
use crate::engine::SimTime;
use crate::llm::config::{LlmConfig, Scheduler};
use crate::llm::sequence::Sequence;
use crate::llm::{IterationShape, StepTime};

/// One request's state.
#[derive(Clone, Debug)]
struct Req {
    seq: Sequence,
    blocks: u64,
    /// Tokens of the current (re)computation already prefilled.
    done: u64,
    /// Tokens to prefill in the current (re)computation; 0 once it decodes.
    target: u64,
}

/// What each request in an iteration does.
enum Work {
    Decode,
    Chunk(u64),
}

/// The naive replica.
struct Naive<'a> {
    c: &'a LlmConfig,
    state: Vec<Req>,
    waiting: VecDeque<usize>,
    running: Vec<usize>,
    free: u64,
    preemptions: u64,
}

impl Naive<'_> {
    fn blocks_for(&self, tokens: u64) -> u64 {
        tokens.div_ceil(u64::from(self.c.block_size))
    }

    fn ctx(&self, id: usize) -> u64 {
        u64::from(self.state[id].seq.prompt_tokens + self.state[id].seq.produced)
    }

    /// Every running decode, in admission order, taking blocks and preempting from the back.
    fn decodes(&mut self, work: &mut Vec<(usize, Work)>, budget: &mut u64) {
        let mut i = 0;
        while i < self.running.len() {
            let id = self.running[i];
            if self.state[id].target > 0 {
                i += 1;
                continue;
            }
            let need = self.blocks_for(self.ctx(id));
            while self.free < need - self.state[id].blocks {
                let victim = self.running.pop().expect("running");
                self.free += self.state[victim].blocks;
                let target = self.ctx(victim);
                let v = &mut self.state[victim];
                (v.blocks, v.done, v.target) = (0, 0, target);
                self.waiting.push_front(victim);
                self.preemptions += 1;
                if victim == id {
                    return;
                }
            }
            self.free -= need - self.state[id].blocks;
            self.state[id].blocks = need;
            work.push((id, Work::Decode));
            *budget = budget.saturating_sub(1);
            i += 1;
        }
    }

    /// Admits the head of the queue if `fits` says so; returns it.
    fn admit(&mut self, budget: u64) -> Option<usize> {
        let &id = self.waiting.front()?;
        let need = self.blocks_for(self.ctx(id));
        let prompt_fits = match self.c.scheduler {
            Scheduler::Vllm => self.state[id].target <= budget,
            Scheduler::Chunked => budget > 0,
        };
        if self.running.len() >= self.c.max_num_seqs as usize || !prompt_fits || need > self.free {
            return None;
        }
        self.waiting.pop_front();
        self.free -= need;
        self.state[id].blocks = need;
        self.running.push(id);
        Some(id)
    }

    /// The work of the next iteration.
    fn plan(&mut self) -> Vec<(usize, Work)> {
        let mut work = Vec::new();
        let mut budget = u64::from(self.c.max_num_batched_tokens);
        if self.c.scheduler == Scheduler::Vllm {
            while let Some(id) = self.admit(budget) {
                budget -= self.state[id].target;
                work.push((id, Work::Chunk(self.state[id].target)));
            }
            if work.is_empty() {
                self.decodes(&mut work, &mut budget);
            }
            return work;
        }
        self.decodes(&mut work, &mut budget);
        for &id in self.running.iter().filter(|&&id| self.state[id].target > 0) {
            let k = (self.state[id].target - self.state[id].done).min(budget);
            if k > 0 {
                work.push((id, Work::Chunk(k)));
                budget -= k;
            }
        }
        while let Some(id) = self.admit(budget) {
            let k = self.state[id].target.min(budget);
            work.push((id, Work::Chunk(k)));
            budget -= k;
        }
        work
    }

    fn shape(&self, work: &[(usize, Work)]) -> IterationShape {
        let mut shape = IterationShape::default();
        for (id, w) in work {
            match *w {
                Work::Decode => {
                    shape.decode_seqs += 1;
                    shape.decode_context += self.ctx(*id);
                }
                Work::Chunk(k) => {
                    let p = self.state[*id].done;
                    shape.prefill_seqs += 1;
                    shape.prefill_tokens += k;
                    shape.prefill_sq += (p + k) * (p + k) - p * p;
                    shape.prefill_prior += p;
                }
            }
        }
        shape
    }

    /// The end of an iteration at `now`: tokens and completions.
    fn apply(&mut self, work: Vec<(usize, Work)>, now: SimTime, out: &mut [Option<(SimTime, SimTime)>]) {
        for (id, w) in work {
            let r = &mut self.state[id];
            if let Work::Chunk(k) = w {
                r.done += k;
                if r.done < r.target {
                    continue;
                }
                (r.done, r.target) = (0, 0);
            }
            if r.seq.produced == 0 {
                r.seq.first_token_at = now;
            }
            r.seq.produced += 1;
            if r.seq.produced == r.seq.output_tokens {
                self.free += r.blocks;
                r.blocks = 0;
                out[id] = Some((r.seq.first_token_at, now));
                self.running.retain(|&x| x != id);
            }
        }
    }
}

/// Per request (by position in the input): (first token, completion) times, or `None` if refused;
/// and the number of preemptions. Arrivals up to an iteration's end join before the next starts.
pub(super) fn simulate(
    c: &LlmConfig,
    model: &dyn StepTime,
    reqs: &[Sequence],
) -> (Vec<Option<(SimTime, SimTime)>>, u64) {
    let total = c.kv_cache_tokens / u64::from(c.block_size);
    let state = reqs.iter().map(|&seq| Req { seq, blocks: 0, done: 0, target: 0 }).collect();
    let mut n = Naive { c, state, waiting: VecDeque::new(), running: Vec::new(), free: total, preemptions: 0 };
    let mut out = vec![None; reqs.len()];
    let (mut next, mut now) = (0, SimTime::ZERO);
    loop {
        while next < reqs.len() && reqs[next].arrival <= now {
            let (p, o) = (u64::from(reqs[next].prompt_tokens), u64::from(reqs[next].output_tokens));
            if p > 0 && o > 0 && p + o <= u64::from(c.max_model_len) && n.blocks_for(p + o - 1) <= total {
                n.state[next].target = p;
                n.waiting.push_back(next);
            }
            next += 1;
        }
        if n.waiting.is_empty() && n.running.is_empty() {
            match reqs.get(next) {
                Some(s) => now = s.arrival,
                None => break,
            }
            continue;
        }
        let work = n.plan();
        assert!(!work.is_empty(), "reference: empty iteration with work");
        now = now.after(iteration_length(model.seconds(&n.shape(&work)), 1.0));
        n.apply(work, now, &mut out);
    }
    (out, n.preemptions)
}
