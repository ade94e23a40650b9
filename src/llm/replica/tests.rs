//! Hand-worked cases, exact to the nanosecond: the arithmetic is in the comments, step times from
//! `testkit::opt13b_rounded` (prefill a + b·ΣP + c·ΣP² with [16.5, 0.093, 6e-6] ms; decode
//! a + b·ΣC + c·k with [19.9, 0.0006, 0.0385] ms), block size 16.
//!
//! Every step time is a whole number of nanoseconds and f64 evaluation errs by far less than half
//! a nanosecond, so the replica's rounding to integer ns makes the expected values exact.

use super::Replica;
use super::testkit::{Arrival, Entry, Recorder, fresh, ms, opt13b_rounded, run, spec_config};
use crate::engine::SimTime;
use crate::llm::config::{LlmConfig, Role, Scheduler};
use crate::llm::sequence::{Refusal, Sequence};

const ALL: usize = usize::MAX;

fn replica(config: LlmConfig) -> Replica {
    Replica::new(config, opt13b_rounded(), 1.0)
}

fn at(t_ms: f64) -> SimTime {
    SimTime(ms(t_ms).0)
}

/// TPOT equals `expected` ms up to the f64 rounding of one division (1e-15 s).
fn assert_tpot(tpot_s: Option<f64>, expected_ms: f64) {
    let tpot_s = tpot_s.expect("O ≥ 2 has a TPOT");
    assert!((tpot_s - expected_ms / 1000.0).abs() < 1e-15, "TPOT {tpot_s} s, expected {expected_ms} ms");
}

#[test]
fn one_request_alone_ttft_is_its_prefill_and_tpot_the_mean_decode_time() {
    for scheduler in [Scheduler::Vllm, Scheduler::Chunked] {
        let mut r = replica(spec_config(scheduler));
        let mut rec = Recorder::default();
        run(&mut r, &fresh(&[Sequence::new(7, SimTime::ZERO, 512, 4)]), &mut rec, ALL);
        // Prefill P = 512: 16.5 + 0.093·512 + 6e-6·512² = 16.5 + 47.616 + 1.572864 = 65.688864 ms.
        let c = rec.completion(7);
        assert_eq!(c.ttft, ms(65.688864));
        // Decodes with C = 513, 514, 515: 19.9 + 0.0006·C + 0.0385 = 20.2463, 20.2469, 20.2475 ms.
        assert_eq!(rec.gap_list(), [ms(20.2463), ms(20.2469), ms(20.2475)]);
        // e2e = 65.688864 + 60.7407 = 126.429564 ms; TPOT = 60.7407 / 3 = 20.2469 ms (C = 514).
        assert_eq!(c.e2e, ms(126.429564));
        assert_tpot(c.tpot_s, 20.2469);
        assert_eq!(rec.iterations.len(), 4);
        assert_eq!((r.kv().used_blocks(), r.n_outstanding()), (0, 0));
    }
}

#[test]
fn speed_divides_every_step_time() {
    let mut r = Replica::new(spec_config(Scheduler::Vllm), opt13b_rounded(), 2.0);
    let mut rec = Recorder::default();
    run(&mut r, &fresh(&[Sequence::new(1, SimTime::ZERO, 512, 2)]), &mut rec, ALL);
    // 65.688864 / 2 = 32.844432 ms; then 20.2463 / 2 = 10.12315 ms.
    assert_eq!(rec.completion(1).ttft, ms(32.844432));
    assert_eq!(rec.gap_list(), [ms(10.12315)]);
}

/// A (P 512, O 3) and B (P 256, O 2), both at time 0, A first.
fn two_together() -> Vec<Arrival> {
    fresh(&[Sequence::new(1, SimTime::ZERO, 512, 3), Sequence::new(2, SimTime::ZERO, 256, 2)])
}

#[test]
fn vllm_two_requests_together_prefill_in_one_iteration_then_decode_together() {
    let mut r = replica(spec_config(Scheduler::Vllm));
    let mut rec = Recorder::default();
    run(&mut r, &two_together(), &mut rec, ALL);
    // Iteration 1, prefill both: ΣP = 768, ΣP² = 262,144 + 65,536 = 327,680:
    // 16.5 + 71.424 + 1.96608 = 89.89008 ms; both first tokens then.
    assert_eq!(rec.first, [(1, ms(89.89008)), (2, ms(89.89008))]);
    // Iteration 2, decode both: ΣC = 513 + 257 = 770, k = 2: 19.9 + 0.462 + 0.077 = 20.439 ms
    // (ends 110.32908; B's token 2 = its last). Iteration 3, A alone, C = 514: 20.2469 ms (ends 130.57598).
    // Both tokens of iteration 2 follow their previous ones by the same gap: one report, count 2.
    assert_eq!(rec.gaps, [(ms(20.439), 2), (ms(20.2469), 1)]);
    assert_eq!(rec.completion(2).e2e, ms(110.32908));
    assert_tpot(rec.completion(2).tpot_s, 20.439);
    assert_eq!(rec.completion(1).e2e, ms(130.57598));
    // TPOT A = (130.57598 − 89.89008) / 2 = 20.34295 ms.
    assert_tpot(rec.completion(1).tpot_s, 20.34295);
    let batches: Vec<_> =
        rec.iterations.iter().map(|i| (i.shape.prefill_seqs, i.shape.decode_seqs, i.batch_tokens())).collect();
    assert_eq!(batches, [(2, 0, 768), (0, 2, 2), (0, 1, 1)]);
}

#[test]
fn chunked_two_requests_together_split_over_the_token_budget() {
    // Budget 384 tokens (max_num_seqs 8 so that the budget covers a full set of decodes).
    let config = LlmConfig { max_num_batched_tokens: 384, max_num_seqs: 8, ..spec_config(Scheduler::Chunked) };
    let mut r = replica(config);
    let mut rec = Recorder::default();
    run(&mut r, &two_together(), &mut rec, ALL);
    // Iteration 1: chunk (p 0, k 384) of A: 16.5 + 0.093·384 + 6e-6·384² = 16.5 + 35.712 + 0.884736
    // = 53.096736 ms; no token. B waits: no budget left.
    // Iteration 2: A's rest (p 384, k 128), then B whole (0, 256): 384 tokens,
    // Σ((p+k)² − p²) = (512² − 384²) + 256² = 114,688 + 65,536 = 180,224:
    // 16.5 + 35.712 + 1.081344 = 53.293344 ms, ends 106.39008: both first tokens.
    assert_eq!(rec.first, [(1, ms(106.39008)), (2, ms(106.39008))]);
    let it2 = rec.iterations[1].shape;
    assert_eq!((it2.prefill_seqs, it2.prefill_tokens, it2.prefill_sq, it2.prefill_prior), (2, 384, 180_224, 384));
    assert_eq!(rec.iterations[0].output_tokens, 0);
    // Iteration 3: decode both (C 513 + 257): 20.439 ms, ends 126.82908, B done.
    // Iteration 4: A (C 514): 20.2469 ms, ends 147.07598.
    assert_eq!(rec.gaps, [(ms(20.439), 2), (ms(20.2469), 1)]);
    assert_eq!(rec.completion(2).e2e, ms(126.82908));
    assert_eq!(rec.completion(1).e2e, ms(147.07598));
    assert_tpot(rec.completion(1).tpot_s, 20.34295);
}

/// A (P 512, O 3) at 0, B (P 256, O 2) at 10 ms: B arrives while A prefills.
fn staggered() -> Vec<Arrival> {
    fresh(&[Sequence::new(1, SimTime::ZERO, 512, 3), Sequence::new(2, at(10.0), 256, 2)])
}

#[test]
fn chunked_runs_a_decode_beside_a_prompt_and_pays_one_base() {
    let mut r = replica(spec_config(Scheduler::Chunked));
    let mut rec = Recorder::default();
    run(&mut r, &staggered(), &mut rec, ALL);
    // Iteration 1: A's prefill, 65.688864 ms. Iteration 2: A decodes (C 513) beside B's prompt:
    // prefill base only: 16.5 + 0.093·256 + 6e-6·65,536 + 0.0006·513 + 0.0385·1
    // = 16.5 + 23.808 + 0.393216 + 0.3078 + 0.0385 = 41.047516 ms, ends 106.73638.
    // TTFT B = 106.73638 − 10 = 96.73638 ms.
    assert_eq!(rec.completion(2).ttft, ms(96.73638));
    // Iteration 3: A (C 514) and B (C 257): 19.9 + 0.0006·771 + 0.077 = 20.4396 ms, ends 127.17598:
    // both complete. TPOT A = (127.17598 − 65.688864) / 2 = 30.743558 ms.
    assert_eq!(rec.completion(1).e2e, ms(127.17598));
    assert_tpot(rec.completion(1).tpot_s, 30.743558);
    assert_eq!(rec.gaps, [(ms(41.047516), 1), (ms(20.4396), 2)]);
}

#[test]
fn vllm_stalls_running_decodes_to_prefill_a_new_prompt() {
    let mut r = replica(spec_config(Scheduler::Vllm));
    let mut rec = Recorder::default();
    run(&mut r, &staggered(), &mut rec, ALL);
    // Iteration 1: A's prefill, ends 65.688864. Iteration 2: B waits, so prefill-only:
    // 16.5 + 23.808 + 0.393216 = 40.701216 ms, ends 106.39008; TTFT B = 96.39008 ms.
    assert_eq!(rec.completion(2).ttft, ms(96.39008));
    // Iteration 3: decode A (513) and B (257): 20.439 ms, ends 126.82908. A's token 2 came
    // 126.82908 − 65.688864 = 61.140216 ms after its first; B's token 2 after 20.439 (B done).
    // Iteration 4: A (514): 20.2469 ms, ends 147.07598.
    assert_eq!(rec.gaps, [(ms(61.140216), 1), (ms(20.439), 1), (ms(20.2469), 1)]);
    assert_eq!(rec.completion(1).e2e, ms(147.07598));
}

#[test]
fn a_prompt_chunked_four_ways_costs_its_unchunked_prefill_plus_three_bases() {
    // P = 1000, O = 1 (completes at its prefill), budget 256: chunks of 256, 256, 256, 232.
    let config = LlmConfig { max_num_batched_tokens: 256, ..spec_config(Scheduler::Chunked) };
    let mut r = replica(config);
    let mut rec = Recorder::default();
    run(&mut r, &fresh(&[Sequence::new(1, SimTime::ZERO, 1000, 1)]), &mut rec, ALL);
    // (p, k) = (0, 256): 16.5 + 23.808 + 6e-6·65,536 = 40.701216 ms;
    // (256, 256): 16.5 + 23.808 + 6e-6·(512² − 256² = 196,608) = 41.487648;
    // (512, 256): 16.5 + 23.808 + 6e-6·(768² − 512² = 327,680) = 42.27408;
    // (768, 232): 16.5 + 21.576 + 6e-6·(1000² − 768² = 410,176) = 40.537056.
    let times: Vec<_> = rec.iterations.iter().map(|i| i.end.since(i.start)).collect();
    assert_eq!(times, [ms(40.701216), ms(41.487648), ms(42.27408), ms(40.537056)]);
    let priors: Vec<_> = rec.iterations.iter().map(|i| i.shape.prefill_prior).collect();
    assert_eq!(priors, [0, 256, 512, 768]);
    // Sum 165 ms = 4·16.5 + 0.093·1000 + 6e-6·1000² = 66 + 93 + 6; unchunked: 16.5 + 93 + 6 = 115.5.
    let c = rec.completion(1);
    assert_eq!((c.ttft, c.e2e, c.tpot_s), (ms(165.0), ms(165.0), None));
    let mut whole = replica(spec_config(Scheduler::Vllm));
    let mut rec_whole = Recorder::default();
    run(&mut whole, &fresh(&[Sequence::new(1, SimTime::ZERO, 1000, 1)]), &mut rec_whole, ALL);
    assert_eq!(rec_whole.completion(1).ttft, ms(115.5));
    assert_eq!(c.ttft.0 - 3 * ms(16.5).0, ms(115.5).0);
}

/// 5 blocks of 16 tokens (80 tokens of KV).
fn small_kv(scheduler: Scheduler) -> LlmConfig {
    LlmConfig { kv_cache_tokens: 80, ..spec_config(scheduler) }
}

#[test]
fn a_full_kv_cache_preempts_the_most_recent_sequence_which_is_recomputed_keeping_its_ttft() {
    let mut r = replica(small_kv(Scheduler::Vllm));
    let mut rec = Recorder::default();
    let reqs = [Sequence::new(1, SimTime::ZERO, 48, 3), Sequence::new(2, SimTime::ZERO, 32, 3)];
    run(&mut r, &fresh(&reqs), &mut rec, ALL);
    // Iteration 1: A takes ⌈48/16⌉ = 3 blocks, B ⌈32/16⌉ = 2: none left. ΣP = 80, ΣP² = 3,328:
    // 16.5 + 7.44 + 0.019968 = 23.959968 ms: both first tokens.
    // Iteration 2: A (C 49) needs a 4th block, none free: B, the most recently admitted, is
    // preempted (its 2 blocks freed, A takes 1) and goes back to wait. A alone:
    // 19.9 + 0.0294 + 0.0385 = 19.9679 ms, ends 43.927868.
    // Iteration 3: B needs ⌈(32 + 1)/16⌉ = 3 blocks, 1 free: A decodes (C 50), 19.9685 ms, ends
    // 63.896368, A done (its 4 blocks freed).
    // Iteration 4: B recomputed: prefill of 33 tokens, 16.5 + 3.069 + 0.006534 = 19.575534 ms, ends
    // 83.471902: B's token 2, 83.471902 − 23.959968 = 59.511934 ms after its first.
    // Iteration 5: B (C 34): 19.9589 ms, ends 103.430802: B done.
    assert_eq!(rec.preempted, [2]);
    assert_eq!(r.n_preemptions(), 1);
    assert_eq!(rec.gap_list(), [ms(19.9679), ms(19.9685), ms(59.511934), ms(19.9589)]);
    let b = rec.completion(2);
    assert_eq!((b.ttft, b.e2e, b.seq.n_preemptions), (ms(23.959968), ms(103.430802), 1));
    // TPOT B = (103.430802 − 23.959968) / 2 = 39.735417 ms.
    assert_tpot(b.tpot_s, 39.735417);
    let shapes: Vec<_> = rec.iterations.iter().map(|i| (i.shape.prefill_tokens, i.shape.decode_seqs)).collect();
    assert_eq!(shapes, [(80, 0), (0, 1), (0, 1), (33, 0), (0, 1)]);
}

#[test]
fn a_sequence_that_needs_a_block_may_preempt_itself() {
    let mut r = replica(small_kv(Scheduler::Vllm));
    let mut rec = Recorder::default();
    let reqs = [Sequence::new(1, SimTime::ZERO, 32, 4), Sequence::new(2, SimTime::ZERO, 32, 3)];
    run(&mut r, &fresh(&reqs), &mut rec, ALL);
    // Iteration 1: 2 + 2 blocks, prefill 16.5 + 5.952 + 0.012288 = 22.464288 ms.
    // Iteration 2: A (C 33) takes the last block; B (C 33) needs one, none free, and is itself the
    // most recently admitted: preempted. A alone: 19.9583 ms. Iterations 3, 4: A (C 34, 35):
    // 19.9589, 19.9595 ms, ends 82.340988, A done. Iteration 5: B recomputes 33 tokens:
    // 19.575534 ms, ends 101.916522. Iteration 6: B (C 34): 19.9589 ms, ends 121.875422.
    assert_eq!(rec.preempted, [2]);
    let b = rec.completion(2);
    assert_eq!((b.ttft, b.e2e), (ms(22.464288), ms(121.875422)));
    // TPOT B = (121.875422 − 22.464288) / 2 = 49.705567 ms.
    assert_tpot(b.tpot_s, 49.705567);
    assert_eq!(rec.completion(1).e2e, ms(82.340988));
}

#[test]
fn blocks_cover_the_prompt_after_prefill_and_the_context_during_each_decode() {
    let mut r = replica(spec_config(Scheduler::Vllm));
    let mut rec = Recorder::default();
    r.enqueue(Sequence::new(1, SimTime::ZERO, 32, 4)).unwrap();
    let mut now = SimTime::ZERO;
    let mut used = Vec::new();
    while let Some(d) = r.start_iteration(now, &mut rec) {
        let during = r.kv().used_blocks();
        now = now.after(d);
        r.finish_iteration(now, &mut rec);
        used.push((during, r.kv().used_blocks()));
    }
    // Prefill: ⌈32/16⌉ = 2 blocks, kept after it (the KV holds P = 32). Decodes at C = 33, 34, 35:
    // 3 blocks each; the last token frees them.
    assert_eq!(used, [(2, 2), (3, 3), (3, 3), (3, 0)]);
    // A chunked prompt takes its whole prompt's blocks at admission: ⌈100/16⌉ = 7 for a 64-token chunk.
    let config = LlmConfig { max_num_batched_tokens: 64, max_num_seqs: 64, ..spec_config(Scheduler::Chunked) };
    let mut r = replica(config);
    r.enqueue(Sequence::new(2, SimTime::ZERO, 100, 2)).unwrap();
    r.start_iteration(SimTime::ZERO, &mut rec).unwrap();
    assert_eq!(r.kv().used_blocks(), 7);
}

#[test]
fn a_decode_replica_takes_a_transferred_sequence_without_a_prefill() {
    let mut r = replica(LlmConfig { role: Role::DecodeOnly, ..spec_config(Scheduler::Vllm) });
    let mut rec = Recorder::default();
    // Prefilled elsewhere: first token at 65.688864 ms; the KV arrives here at 70 ms.
    let mut seq = Sequence::new(3, SimTime::ZERO, 512, 3);
    (seq.produced, seq.first_token_at, seq.last_token_at) = (1, at(65.688864), at(65.688864));
    run(&mut r, &[Arrival { at: at(70.0), entry: Entry::Transferred, seq }], &mut rec, ALL);
    // Joins with C = P + 1 = 513 (⌈513/16⌉ = 33 blocks): decode 20.2463 ms, ends 90.2463, token 2
    // 24.557436 ms after token 1 (the transfer included); then C 514: 20.2469 ms, ends 110.4932.
    assert!(rec.first.is_empty(), "TTFT was the prefill replica's");
    assert_eq!(rec.gap_list(), [ms(24.557436), ms(20.2469)]);
    assert!(rec.iterations.iter().all(|i| i.shape.prefill_seqs == 0));
    let c = rec.completion(3);
    assert_eq!((c.ttft, c.e2e), (ms(65.688864), ms(110.4932)));
    // TPOT = (110.4932 − 65.688864) / 2 = 22.402168 ms.
    assert_tpot(c.tpot_s, 22.402168);
}

#[test]
fn a_prefill_replica_hands_off_prefilled_sequences_and_frees_their_blocks() {
    let mut r = replica(LlmConfig { role: Role::PrefillOnly, ..spec_config(Scheduler::Vllm) });
    let mut rec = Recorder::default();
    let reqs = [Sequence::new(1, SimTime::ZERO, 512, 3), Sequence::new(2, SimTime::ZERO, 256, 1)];
    run(&mut r, &fresh(&reqs), &mut rec, ALL);
    // One prefill of both, 89.89008 ms: A goes to be transferred, B (O = 1) is done.
    assert_eq!(rec.iterations.len(), 1);
    assert_eq!(rec.handed_off.len(), 1);
    let a = rec.handed_off[0];
    assert_eq!((a.id, a.produced, a.first_token_at), (1, 1, at(89.89008)));
    assert_eq!(rec.completion(2).e2e, ms(89.89008));
    assert_eq!((r.kv().used_blocks(), r.n_outstanding()), (0, 0));
}

#[test]
fn requests_that_can_never_be_served_are_refused_and_counted() {
    let config = LlmConfig { max_model_len: 1024, kv_cache_tokens: 80, ..spec_config(Scheduler::Vllm) };
    let mut r = replica(config);
    let t0 = SimTime::ZERO;
    // 1000 + 25 = 1025 > 1024; P + O − 1 = 81 tokens need ⌈81/16⌉ = 6 blocks > 5; no prompt.
    assert_eq!(r.enqueue(Sequence::new(1, t0, 1000, 25)), Err(Refusal::TooLong { tokens: 1025, max_model_len: 1024 }));
    assert_eq!(r.enqueue(Sequence::new(2, t0, 70, 12)), Err(Refusal::ExceedsKvCache { blocks: 6, total_blocks: 5 }));
    assert_eq!(r.enqueue(Sequence::new(3, t0, 0, 5)), Err(Refusal::Empty));
    assert_eq!(r.enqueue(Sequence::new(4, t0, 10, 0)), Err(Refusal::Empty));
    assert_eq!(r.n_refused(), 4);
    // 70 + 11 − 1 = 80 tokens: exactly 5 blocks, served.
    let mut rec = Recorder::default();
    run(&mut r, &fresh(&[Sequence::new(5, t0, 70, 11)]), &mut rec, ALL);
    assert_eq!(rec.completion(5).seq.produced, 11);
    assert!(rec.preempted.is_empty());
}

#[test]
fn drain_returns_every_held_sequence_once_and_they_finish_elsewhere() {
    let reqs: Vec<_> = (0..6).map(|i| Sequence::new(i, at(i as f64), 300 + 50 * i as u32, 3 + i as u32)).collect();
    let mut r = replica(spec_config(Scheduler::Vllm));
    let mut rec = Recorder::default();
    let out = run(&mut r, &fresh(&reqs), &mut rec, 3);
    r.start_iteration(out.end, &mut rec).expect("work left");
    let drained = r.drain();
    assert_eq!((r.is_busy(), r.kv().used_blocks(), r.n_outstanding()), (false, 0, 0));
    assert_eq!(r.start_iteration(out.end, &mut rec), None);
    let mut ids: Vec<u64> = rec.done.iter().map(|c| c.seq.id).collect();
    ids.extend(drained.waiting.iter().chain(&drained.running).map(|s| s.id));
    ids.sort_unstable();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
    // Elsewhere: recomputed, each keeps its TTFT and produces exactly the tokens it still owed.
    let owed: u64 =
        drained.waiting.iter().chain(&drained.running).map(|s| u64::from(s.output_tokens - s.produced)).sum();
    assert!(drained.running.iter().all(|s| s.produced >= 1), "running sequences had their first token");
    let ttft_before: Vec<_> = drained.running.iter().map(|s| (s.id, s.first_token_at)).collect();
    let mut other = replica(spec_config(Scheduler::Chunked));
    let mut rec2 = Recorder::default();
    let again: Vec<_> = drained
        .running
        .iter()
        .chain(&drained.waiting)
        .map(|&seq| Arrival { at: out.end, entry: Entry::Fresh, seq })
        .collect();
    run(&mut other, &again, &mut rec2, ALL);
    assert_eq!(rec2.tokens(), owed);
    for (id, first) in ttft_before {
        assert_eq!(rec2.completion(id).seq.first_token_at, first);
    }
    assert_eq!(rec2.done.len(), drained.running.len() + drained.waiting.len());
}

#[test]
fn admission_stops_at_the_first_waiting_request_that_does_not_fit() {
    // vllm, token budget 8192: A (P 500), B (P 8000), C (P 100), O = 2 each, all at 0.
    let reqs = [(1, 500), (2, 8000), (3, 100)].map(|(id, p)| Sequence::new(id, SimTime::ZERO, p, 2));
    let mut r = replica(spec_config(Scheduler::Vllm));
    let mut rec = Recorder::default();
    run(&mut r, &fresh(&reqs), &mut rec, ALL);
    // Iteration 1: A (500); B would make 8500 > 8192: stop, and C waits behind B although it fits.
    // 16.5 + 0.093·500 + 6e-6·250,000 = 16.5 + 46.5 + 1.5 = 64.5 ms.
    // Iteration 2: B and C (8100 tokens, ΣP² = 64,010,000): 16.5 + 753.3 + 384.06 = 1153.86 ms,
    // ends 1218.36. Iteration 3: decode all three (ΣC = 501 + 8001 + 101 = 8603, k = 3):
    // 19.9 + 5.1618 + 0.1155 = 25.1773 ms, ends 1243.5373.
    assert_eq!(rec.first, [(1, ms(64.5)), (2, ms(1218.36)), (3, ms(1218.36))]);
    assert_eq!(rec.completion(3).e2e, ms(1243.5373));

    // chunked, 5 KV blocks: A (P 48: 3 blocks), B (P 40: 3 blocks), C (P 16: 1 block), O = 2.
    let reqs = [(1, 48), (2, 40), (3, 16)].map(|(id, p)| Sequence::new(id, SimTime::ZERO, p, 2));
    let mut r = replica(small_kv(Scheduler::Chunked));
    let mut rec = Recorder::default();
    run(&mut r, &fresh(&reqs), &mut rec, ALL);
    // Iteration 1: A takes 3 blocks; B needs 3 of the 2 left: stop (C, 1 block, waits behind it).
    // 16.5 + 4.464 + 0.013824 = 20.977824 ms. Iteration 2: A decodes (C 49, a 4th block, 1 left);
    // B still does not fit: 19.9 + 0.0294 + 0.0385 = 19.9679 ms, ends 40.945724, A done.
    // Iteration 3: B and C (ΣP = 56, ΣP² = 1,856): 16.5 + 5.208 + 0.011136 = 21.719136 ms, ends
    // 62.66486. Iteration 4: B (C 41) and C (C 17, its 2nd block): 19.9 + 0.0348 + 0.077 = 20.0118
    // ms, ends 82.67666.
    assert_eq!(rec.first, [(1, ms(20.977824)), (2, ms(62.66486)), (3, ms(62.66486))]);
    assert_eq!(rec.completion(3).e2e, ms(82.67666));
    assert!(rec.preempted.is_empty());
}

#[test]
fn iteration_length_rounds_to_the_nearest_nanosecond_and_never_goes_negative() {
    use super::iteration_length;
    use crate::engine::Duration;
    // 1.4 ns → 1, 1.6 ns → 2, 2.5 ns → 3 (ties up); 3 ns at speed 2 → 1.5 → 2.
    assert_eq!([1.4e-9, 1.6e-9, 2.5e-9].map(|s| iteration_length(s, 1.0)), [Duration(1), Duration(2), Duration(3)]);
    assert_eq!(iteration_length(3e-9, 2.0), Duration(2));
    assert_eq!(iteration_length(-1.0, 1.0), Duration::ZERO);
    assert_eq!(iteration_length(f64::NAN, 1.0), Duration::ZERO);
    assert_eq!(iteration_length(f64::INFINITY, 1.0), Duration(u64::MAX));
}
