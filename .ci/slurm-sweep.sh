#!/usr/bin/env bash
# The Slurm path end to end, on a real one-node Slurm cluster (slurm-up.sh: slurmctld, slurmd and
# munged from Debian's packages, no systemd): the batcher sweep submitted with
# examples/slurm/sweep.sbatch as a 4-task job array plus an afterok merge job, then compared with
# the same sweep run on this machine. Needs root (apt-get, and the daemons run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "slurm-sweep.sh needs root (apt-get install, Slurm daemons); run CI as root" >&2
  exit 1
fi

cargo build --release --quiet
export FLEETSIM=$PWD/target/release/fleetsim
export SLURM_CI_DIR=/tmp/fleetsim-slurm-ci
work=$(mktemp -d /tmp/fleetsim-slurm-work.XXXXXX)
trap '.ci/slurm-down.sh; rm -rf "$work"' EXIT

.ci/slurm-up.sh
set -a
# shellcheck disable=SC1091
. "$SLURM_CI_DIR/env"
set +a

# 24 cells × 3 replications of a 5 minute horizon: 72 runs.
flags=(--set horizon=5m --set warmup=1m --replications 3)
echo "== the sweep on this machine"
"$FLEETSIM" sweep scenarios/sweep-batcher.yaml "${flags[@]}" --threads 2 --out "$work/local"

echo "== the same sweep as a Slurm job array"
submitted=$(SHARDS=4 bash examples/slurm/sweep.sbatch scenarios/sweep-batcher.yaml "$work/cluster" "${flags[@]}")
echo "$submitted"
array=$(sed -n 's/^ARRAY_JOB=//p' <<<"$submitted")
merge=$(sed -n 's/^MERGE_JOB=//p' <<<"$submitted")

# Every state of a job (an array has one per task) must end COMPLETED.
wait_job() {
  local deadline=$((SECONDS + 600)) states
  while ((SECONDS < deadline)); do
    states=$(scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort -u | xargs)
    case " $states " in
      " COMPLETED ") return 0 ;;
      *" PENDING "* | *" RUNNING "* | *" CONFIGURING "* | *" COMPLETING "* | "  ") sleep 0.5 ;;
      *) echo "job $1 ended: $states"; return 1 ;;
    esac
  done
  echo "job $1 did not finish in 10 minutes"
  return 1
}
status=0
wait_job "$merge" && wait_job "$array" || status=1
squeue --all || true
for log in "$work"/cluster/shard-*.log "$work/cluster/merge.log"; do
  echo "---- $log"
  cat "$log" || true
done
if ((status != 0)); then
  scontrol show job || true
  exit 1
fi

echo "== the merged cluster sweep equals the single-machine one"
without_wall() { sed 's/,[^,]*$//' "$1"; }
diff <(without_wall "$work/local/runs.csv") <(without_wall "$work/cluster/merged/runs.csv")
cmp "$work/local/summary.csv" "$work/cluster/merged/summary.csv"
cmp "$work/local/best.json" "$work/cluster/merged/best.json"
echo "runs.csv ($(($(wc -l <"$work/local/runs.csv") - 1)) runs), summary.csv and best.json identical"
