#!/usr/bin/env bash
# Peak memory of the trace readers per byte of trace: writes traces of every format (the shipped
# traces' values repeated, and a change at every value) with examples/big_traces.rs, reads each
# with `fleetsim validate` under /usr/bin/time -v, prints peak bytes per byte of file and fails if
# one passes 4. Usage: bash .ci/trace-memory.sh [MIB]  (default 64 MiB per file).
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-64}
if [ ! -x /usr/bin/time ]; then
  echo "/usr/bin/time is not installed (Debian: apt-get install time); skipped"
  exit 0
fi
cargo build --release --quiet --bin fleetsim --example big_traces
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
target/release/examples/big_traces "$dir" "$mib"
bin=$(pwd)/target/release/fleetsim
# The process's own peak with nothing to read, subtracted from each figure.
printf 'name: base\nhorizon: 1h\nworkload:\n  arrivals:\n    poisson: { rate: 1/s }\nservice:\n  batch_time: { base: 10ms }\nfleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n' > "$dir/base.yaml"
peak() { /usr/bin/time -v "$bin" validate "$1" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}'; }
base_kib=$(peak "$dir/base.yaml")
fail=0
printf '%-30s %10s %12s %14s\n' trace "size MiB" "peak MiB" "bytes/byte"
for yaml in "$dir"/*-*.yaml; do
  name=$(basename "$yaml" .yaml)
  file="$dir/$name.json"
  [ -f "$file" ] || file="$dir/$name.csv"
  size=$(stat -c %s "$file")
  kib=$(peak "$yaml")
  ratio=$(awk -v k="$kib" -v b="$base_kib" -v s="$size" 'BEGIN { printf "%.2f", (k - b) * 1024 / s }')
  printf '%-30s %10.1f %12.1f %14s\n' "$name" "$(awk -v s="$size" 'BEGIN {print s / 1048576}')" "$(awk -v k="$kib" 'BEGIN {print k / 1024}')" "$ratio"
  if awk -v r="$ratio" 'BEGIN { exit !(r > 4) }'; then fail=1; fi
done
echo "(peak minus the $((base_kib / 1024)) MiB of a run that reads no trace, per byte of file)"
exit $fail
