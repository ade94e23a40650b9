#!/usr/bin/env bash
# A clone that stands alone: clone this repository's current commit into an empty directory
# (nothing beside it — in particular no ../shared) and there run `cargo test`, every example
# scenario and every benchmark in its quick mode. Anything the repository reads from outside
# itself fails here.
#
# Builds go to CARGO_TARGET_DIR (default: this checkout's target/), so that dependencies built
# here are reused by the rest of CI and not built twice.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$repo" rev-parse HEAD)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"

outer="$(mktemp -d)"
trap 'rm -rf "$outer"' EXIT
clone="$outer/fleetsim"
git clone --quiet --no-local "$repo" "$clone"
git -C "$clone" checkout --quiet --detach "$commit"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "note: $repo has uncommitted changes; the clone tests commit $commit only"
fi
# Nothing beside the clone.
beside="$(ls -A "$outer")"
if [ "$beside" != "fleetsim" ]; then
  echo "error: $outer holds more than the clone: $beside" >&2
  exit 1
fi
cd "$clone"
echo "== standalone clone of $commit in $clone (builds in $CARGO_TARGET_DIR)"

echo "== tests (the README's test command)"
cargo test

# Here, not in the checkout: the test binary built above runs its commands from the clone (its
# CARGO_MANIFEST_DIR), and cargo reuses it from the shared target/ wherever it is invoked.
echo "== the fault suite of output folders with 16 interrupt moments per command (4 in cargo test)"
FLEETSIM_FAULT_SEEDS=16 cargo test --test it faults::

echo "== benchmark smoke runs (each benchmark's quick mode)"
for bench in benches/*.rs; do
  cargo bench --bench "$(basename "$bench" .rs)" -- --quick
done

echo "== example scenarios"
out="$outer/out"
for scenario in scenarios/*.yaml; do
  name=$(basename "$scenario" .yaml)
  cargo run --release --quiet -- run "$scenario" --out "$out/$name"
done
echo "standalone clone passed"
