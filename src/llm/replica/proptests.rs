//! Property tests over random request sets and configurations (both schedulers, tiny KV caches
//! that force preemptions and refusals, zero-length step times): every request completes or is
//! refused by the documented rule, tokens produced = tokens asked, KV use stays within capacity
//! (`Replica::audit` after every step), time never goes back, iterations respect their limits,
//! runs are deterministic, and `drain` returns every held request exactly once. A disaggregated
//! pair (prefill-only → decode-only) conserves the same way, and a naive second implementation
//! (`reference.rs`) gives the same first-token and completion times for every request.
//!
//! `PROPTEST_CASES=N` runs more cases than the default 256.

use std::sync::Arc;

use proptest::prelude::*;

use super::testkit::{Arrival, Entry, Recorder, fresh, opt13b_rounded, run};
use super::{Replica, reference};
use crate::engine::{Duration, SimTime};
use crate::llm::StepTime;
use crate::llm::config::{LlmConfig, Role, Scheduler};
use crate::llm::sequence::{Refusal, Sequence};
use crate::llm::step_time::fitted::{Coefficients, Fitted};

/// A random valid configuration (colocated).
fn config() -> impl Strategy<Value = LlmConfig> {
    let shape = (prop::bool::ANY, prop::sample::select(vec![1u32, 4, 16, 32]), 16u32..=2048, 1u32..=64);
    (shape, 0u32..=4096, 1u64..=8192).prop_map(|((vllm, block_size, max_model_len, max_num_seqs), extra, kv)| {
        let scheduler = if vllm { Scheduler::Vllm } else { Scheduler::Chunked };
        let floor = if vllm { max_model_len } else { max_num_seqs };
        LlmConfig {
            scheduler,
            max_num_seqs,
            max_num_batched_tokens: floor + extra,
            max_model_len,
            block_size,
            kv_cache_tokens: kv.max(u64::from(block_size)),
            role: Role::Colocated,
        }
    })
}

/// Up to 40 requests; arrivals 0–200 ms apart; some with no prompt or no output, some too long.
fn requests() -> impl Strategy<Value = Vec<Sequence>> {
    prop::collection::vec((0u64..=200, 0u32..=1500, 0u32..=200), 1..=40).prop_map(|rows| {
        let mut t = 0;
        let mut id = 0;
        rows.into_iter()
            .map(|(gap_ms, p, o)| {
                t += gap_ms * 1_000_000;
                id += 1;
                Sequence::new(id, SimTime(t), p, o)
            })
            .collect()
    })
}

/// The profile of the hand-worked tests, or one where every iteration takes no time.
fn step_time(zero: bool) -> Arc<dyn StepTime> {
    if zero {
        let none = Coefficients::new(0.0, 0.0, 0.0);
        Arc::new(Fitted::new(none, none, None).expect("finite"))
    } else {
        opt13b_rounded()
    }
}

/// The refusal rule, restated independently of the replica.
fn expected_refusal(c: &LlmConfig, s: &Sequence) -> bool {
    let (p, o) = (u64::from(s.prompt_tokens), u64::from(s.output_tokens));
    let blocks = c.kv_cache_tokens / u64::from(c.block_size);
    p == 0 || o == 0 || p + o > u64::from(c.max_model_len) || (p + o - 1).div_ceil(u64::from(c.block_size)) > blocks
}

/// Checks what a finished colocated run reported.
fn check_run(
    c: &LlmConfig,
    reqs: &[Sequence],
    refused: &[(u64, Refusal)],
    rec: &Recorder,
) -> Result<(), TestCaseError> {
    let mut ids: Vec<u64> = rec.done.iter().map(|d| d.seq.id).chain(refused.iter().map(|r| r.0)).collect();
    ids.sort_unstable();
    prop_assert_eq!(ids, reqs.iter().map(|s| s.id).collect::<Vec<_>>(), "each request completes or is refused, once");
    for s in reqs {
        prop_assert_eq!(refused.iter().any(|r| r.0 == s.id), expected_refusal(c, s), "refusal of {:?}", s);
    }
    let asked: u64 = rec.done.iter().map(|d| u64::from(d.seq.output_tokens)).sum();
    prop_assert_eq!(rec.tokens(), asked, "tokens produced = tokens asked");
    prop_assert_eq!(rec.first.len(), rec.done.len(), "one first token per served request");
    for d in &rec.done {
        prop_assert_eq!(d.seq.produced, d.seq.output_tokens);
        prop_assert!(d.seq.arrival <= d.seq.first_token_at && d.seq.first_token_at <= d.at);
        prop_assert_eq!(d.e2e, d.at.since(d.seq.arrival));
    }
    check_iterations(c, rec)
}

/// Iterations follow one another and respect the scheduler's limits.
fn check_iterations(c: &LlmConfig, rec: &Recorder) -> Result<(), TestCaseError> {
    let mut last_end = SimTime::ZERO;
    for it in &rec.iterations {
        prop_assert!(it.start >= last_end && it.end >= it.start, "iterations overlap or go back");
        last_end = it.end;
        let s = it.shape;
        prop_assert!(s.decode_seqs + s.prefill_seqs <= c.max_num_seqs);
        prop_assert!(s.prefill_tokens <= u64::from(c.max_num_batched_tokens));
        if c.scheduler == Scheduler::Vllm {
            prop_assert!(s.prefill_seqs == 0 || s.decode_seqs == 0, "vllm iterations are prefill-only or decode-only");
        } else {
            prop_assert!(it.batch_tokens() <= u64::from(c.max_num_batched_tokens), "chunked iteration over budget");
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn every_request_completes_or_is_refused_and_tokens_are_conserved(
        c in config(), reqs in requests(), zero in prop::bool::weighted(0.1), speed in prop::sample::select(vec![0.5, 1.0, 3.0]),
    ) {
        let mut r = Replica::new(c, step_time(zero), speed);
        let mut rec = Recorder::default();
        let out = run(&mut r, &fresh(&reqs), &mut rec, usize::MAX);
        check_run(&c, &reqs, &out.refused, &rec)?;
        prop_assert_eq!((r.kv().used_blocks(), r.n_outstanding()), (0, 0));
        prop_assert_eq!(rec.preempted.len() as u64, r.n_preemptions());
        prop_assert_eq!(out.refused.len() as u64, r.n_refused());
        // Determinism: the same inputs give the same reports.
        let mut again = Replica::new(c, step_time(zero), speed);
        let mut rec2 = Recorder::default();
        run(&mut again, &fresh(&reqs), &mut rec2, usize::MAX);
        prop_assert_eq!(format!("{rec:?}"), format!("{rec2:?}"));
    }

    #[test]
    fn the_replica_agrees_with_a_naive_reimplementation_request_by_request(c in config(), reqs in requests()) {
        let model = opt13b_rounded();
        let mut r = Replica::new(c, model.clone(), 1.0);
        let mut rec = Recorder::default();
        run(&mut r, &fresh(&reqs), &mut rec, usize::MAX);
        let (expected, preemptions) = reference::simulate(&c, model.as_ref(), &reqs);
        for (s, e) in reqs.iter().zip(&expected) {
            let got = rec.done.iter().find(|d| d.seq.id == s.id).map(|d| (d.seq.first_token_at, d.at));
            prop_assert_eq!(got, *e, "request {:?}", s);
        }
        prop_assert_eq!(r.n_preemptions(), preemptions);
    }

    #[test]
    fn drain_returns_every_held_request_exactly_once(
        c in config(), reqs in requests(), stop_after in 0usize..60, mid_iteration in prop::bool::ANY,
    ) {
        let mut r = Replica::new(c, opt13b_rounded(), 1.0);
        let mut rec = Recorder::default();
        let out = run(&mut r, &fresh(&reqs), &mut rec, stop_after);
        if mid_iteration {
            r.start_iteration(out.end, &mut rec);
        }
        let drained = r.drain();
        prop_assert_eq!((r.kv().used_blocks(), r.n_outstanding(), r.is_busy()), (0, 0, false));
        let mut ids: Vec<u64> = rec.done.iter().map(|d| d.seq.id)
            .chain(out.refused.iter().map(|x| x.0))
            .chain(drained.waiting.iter().chain(&drained.running).map(|s| s.id))
            .collect();
        ids.sort_unstable();
        prop_assert_eq!(ids, reqs[..out.n_arrived].iter().map(|s| s.id).collect::<Vec<_>>());
        for s in drained.waiting.iter().chain(&drained.running) {
            prop_assert!(s.produced < s.output_tokens);
        }
    }

    #[test]
    fn a_prefill_and_a_decode_replica_serve_every_request_once(
        c in config(), reqs in requests(), transfer_ms in 0u64..=50,
    ) {
        let prefill = LlmConfig { role: Role::PrefillOnly, ..c };
        let decode = LlmConfig { role: Role::DecodeOnly, ..c };
        let (rec_p, rec_d, refused) = disaggregated(prefill, decode, &reqs, Duration::from_millis(transfer_ms));
        let mut ids: Vec<u64> = rec_p.done.iter().chain(&rec_d.done).map(|d| d.seq.id).chain(refused.iter().copied()).collect();
        ids.sort_unstable();
        prop_assert_eq!(ids, reqs.iter().map(|s| s.id).collect::<Vec<_>>());
        let asked: u64 = rec_p.done.iter().chain(&rec_d.done).map(|d| u64::from(d.seq.output_tokens)).sum();
        prop_assert_eq!(rec_p.tokens() + rec_d.tokens(), asked);
        prop_assert!(rec_d.first.is_empty(), "first tokens come from the prefill replica");
        prop_assert!(rec_p.iterations.iter().all(|i| i.shape.decode_seqs == 0), "the prefill replica never decodes");
        for d in &rec_d.done {
            // The decode replica adds at least the transfer to the second token.
            prop_assert!(d.at >= d.seq.first_token_at.after(Duration::from_millis(transfer_ms)));
        }
    }
}

/// A prefill-only and a decode-only replica; each hand-off reaches the decode replica
/// `transfer` later. Returns both recorders and the refused ids.
fn disaggregated(p: LlmConfig, d: LlmConfig, reqs: &[Sequence], transfer: Duration) -> (Recorder, Recorder, Vec<u64>) {
    let (mut rp, mut rd) = (Replica::new(p, opt13b_rounded(), 1.0), Replica::new(d, opt13b_rounded(), 1.0));
    let (mut rec_p, mut rec_d) = (Recorder::default(), Recorder::default());
    let (mut p_end, mut d_end) = (None::<SimTime>, None::<SimTime>);
    let (mut next, mut moved, mut refused) = (0, 0, Vec::new());
    let mut transfers: Vec<Arrival> = Vec::new();
    loop {
        let candidates = [p_end, d_end, transfers.get(moved).map(|a| a.at), reqs.get(next).map(|s| s.arrival)];
        let Some((which, now)) =
            candidates.iter().enumerate().filter_map(|(i, t)| t.map(|t| (i, t))).min_by_key(|&(i, t)| (t, i))
        else {
            break;
        };
        match which {
            0 => {
                rp.finish_iteration(now, &mut rec_p);
                p_end = None;
            }
            1 => {
                rd.finish_iteration(now, &mut rec_d);
                d_end = None;
            }
            2 => {
                rd.enqueue_transferred(transfers[moved].seq).expect("same limits as the prefill replica");
                moved += 1;
            }
            _ => {
                if rp.enqueue(reqs[next]).is_err() {
                    refused.push(reqs[next].id);
                }
                next += 1;
            }
        }
        transfers.extend(rec_p.handed_off.drain(..).map(|seq| Arrival {
            at: now.after(transfer),
            entry: Entry::Transferred,
            seq,
        }));
        rp.audit();
        rd.audit();
        if p_end.is_none() {
            p_end = rp.start_iteration(now, &mut rec_p).map(|x| now.after(x));
        }
        if d_end.is_none() {
            d_end = rd.start_iteration(now, &mut rec_d).map(|x| now.after(x));
        }
    }
    (rec_p, rec_d, refused)
}
