#!/usr/bin/env bash
# Runs each cargo-fuzz target for a short while from its seeds (fuzz/README.md). The seeds and every
# regression input also run in `cargo test` (tests/it/fuzz_regressions.rs); this step looks for new
# crashes. Needs a nightly toolchain (cargo-fuzz's instrumentation); without one it says so and
# skips. Built without AddressSanitizer, which makes the build much faster (the code has no
# `unsafe`); the long runs of fuzz/README.md use it. A crash or a failed build fails CI; a crash
# leaves its input in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "no nightly toolchain: fuzz smoke run skipped"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --version '^0.13' --locked
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in $(cargo +nightly fuzz list); do
  mkdir -p "$work/$target"
  echo "-- $target, ${seconds} s"
  if ! cargo +nightly fuzz run --sanitizer none "$target" "$work/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$work/$target.log" 2>&1; then
    tail -40 "$work/$target.log"
    echo "fuzz target $target failed (a crash leaves its input in fuzz/artifacts/$target/)"
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$work/$target.log" || true
done
