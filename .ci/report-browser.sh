#!/usr/bin/env bash
# Opens report.html of a run, a job, a two-axis sweep and a comparison in headless Chromium
# (Debian's package), takes a screenshot of each and checks it is not blank. Installs chromium
# with apt-get if it is missing (needs root then). SHOTS=DIR keeps the screenshots there.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium ||
    { apt-get update && apt-get install -y --no-install-recommends chromium; }
fi
chromium --version
cargo build --release --quiet --example png_check
work=$(mktemp -d /tmp/fleetsim-browser.XXXXXX)
trap 'rm -rf "$work"' EXIT
fleetsim=target/release/fleetsim
$fleetsim run scenarios/compare-mixed.yaml --set horizon=2h --out "$work/run" >/dev/null
$fleetsim run scenarios/job-checkpoint-h100.yaml --out "$work/job" >/dev/null
$fleetsim sweep scenarios/sweep-batcher.yaml --set horizon=5m --set warmup=1m --replications 3 \
  --out "$work/sweep" >/dev/null 2>&1
$fleetsim compare scenarios/compare-on-demand.yaml scenarios/compare-spot.yaml scenarios/compare-mixed.yaml \
  --set horizon=2h --replications 4 --out "$work/compare" >/dev/null 2>&1
for name in run job sweep compare; do
  page="$work/$name/report.html"
  shot="$work/$name.png"
  # The flags of the issue; a fresh profile; no network (the page needs none).
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$name" --window-size=1280,4000 --screenshot="$shot" "file://$page" \
    2>"$work/$name.chromium.log" || { cat "$work/$name.chromium.log"; exit 1; }
  target/release/examples/png_check "$shot"
  if [ -n "${SHOTS:-}" ]; then
    mkdir -p "$SHOTS" && cp "$shot" "$SHOTS/"
  fi
done
echo "report.html renders in Chromium (run, job, sweep, compare)"
