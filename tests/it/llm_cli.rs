//! `fleetsim catalog --models/--gpus` and `fleetsim calibrate`: what they print, and bad input
//! as exit code 2 with a message naming the file, line or flag.

use super::common::{fleetsim, write};
use predicates::prelude::*;

#[test]
fn catalog_lists_models_and_gpus_with_sources_and_dates() {
    fleetsim().args(["catalog", "--models"]).assert().success().stdout(
        predicate::str::contains("llama-3-8b")
            .and(predicate::str::contains("128 KiB"))
            .and(predicate::str::contains("12.88B"))
            .and(predicate::str::contains("https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json"))
            .and(predicate::str::contains("2024-04-18")),
    );
    fleetsim().args(["catalog", "--gpus"]).assert().success().stdout(
        predicate::str::is_match(r"H100 +80 +989.5 +989.5 +1979 +3350 +900 nvlink")
            .unwrap()
            .and(predicate::str::contains("https://www.nvidia.com/en-us/data-center/h100/"))
            .and(predicate::str::contains("2022-03-22")),
    );
    let out = fleetsim().args(["catalog", "--gpus", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t4 = v["gpus"].as_array().unwrap().iter().find(|g| g["name"] == "T4").unwrap();
    assert_eq!((t4["bf16_tflops"].as_f64(), t4["fp8_tflops"].as_f64()), (Some(0.0), Some(0.0)));
    assert!(t4["note"].as_str().unwrap().contains("no bf16 and no fp8"));
    fleetsim().args(["catalog", "--models", "--filter", "x"]).assert().code(2);
}

const MEASURED: &str = "prefill_seqs,prefill_tokens,decode_seqs,context_tokens,time_s\n\
    1,128,0,0,0.0063\n1,2048,0,0,0.0308\n0,0,120,138240,0.01728\n1,128,0,0,0.0070\n1,2048,0,0,0.036\n0,0,112,129024,0.01643\n";

#[test]
fn calibrate_prints_the_fit_and_the_step_time_block() {
    // Llama-2-7B fp8 on an H100: TensorRT-LLM's published iterations (tests/data/step-times).
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "measured.csv", MEASURED);
    fleetsim()
        .args(["calibrate", path.to_str().unwrap(), "--model", "llama-2-7b", "--instance", "p5.48xlarge"])
        .args(["--precision", "fp8"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "llama-2-7b at fp8 (KV fp8) on p5.48xlarge (8 × H100, tensor_parallel 1): 6 measured",
            )
            .and(predicate::str::contains("fit: mean |error| 4.7%, max 8.3% (defaults: mean 27.7%)"))
            .and(predicate::str::contains("left at their defaults: allreduce"))
            .and(predicate::str::contains("step_time:\n  roofline:\n    compute_efficiency: 0.4812\n")),
        );
}

#[test]
fn calibrate_refuses_bad_input_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.csv", MEASURED);
    let bad = write(
        dir.path(),
        "bad.csv",
        "prefill_seqs,prefill_tokens,decode_seqs,context_tokens,time_s\n1,128,0,0,0.01\n1,128,0,0,-1\n",
    );
    let run = |args: &[&str]| fleetsim().arg("calibrate").args(args).assert().code(2);
    let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());
    run(&[bad, "--model", "llama-3-8b", "--instance", "g6.xlarge"])
        .stderr(predicate::str::contains("bad.csv:3: time_s: expected seconds > 0, found \"-1\""));
    run(&[good, "--model", "llama-9-8b", "--instance", "g6.xlarge"])
        .stderr(predicate::str::contains("--model: unknown model \"llama-9-8b\": use one of llama-2-7b"));
    run(&[good, "--model", "llama-3-8b", "--instance", "g6.xlarg"])
        .stderr(predicate::str::contains("did you mean g6.xlarge"));
    run(&[good, "--model", "llama-3-8b", "--instance", "c5.xlarge"]).stderr(predicate::str::contains("has no GPU"));
    run(&[good, "--model", "llama-3-8b", "--instance", "p4d.24xlarge", "--tensor-parallel", "3"])
        .stderr(predicate::str::contains("does not divide the instance's 8 GPU(s)"));
    run(&[good, "--model", "llama-2-7b", "--instance", "g4dn.xlarge", "--precision", "bf16"])
        .stderr(predicate::str::contains("T4 has no bf16 tensor cores"));
    run(&[good, "--model", "llama-2-7b", "--instance", "g6.xlarge", "--precision", "fp4"])
        .stderr(predicate::str::contains("unknown precision \"fp4\""));
    run(&["missing.csv", "--model", "llama-2-7b", "--instance", "g6.xlarge"])
        .stderr(predicate::str::contains("missing.csv: cannot read"));
}
