#!/usr/bin/env bash
# Stop the daemons started by slurm-up.sh, by the exact PIDs it recorded in
# $SLURM_CI_DIR/pids ("name pid exe" per line). Logs are left in $SLURM_CI_DIR/log.
set -uo pipefail
DIR=${SLURM_CI_DIR:-/tmp/slurm-ci}
log() { echo "[slurm-down] $*"; }
[[ -f $DIR/pids ]] || { log "nothing to stop ($DIR/pids missing)"; exit 0; }

# Cancel leftover jobs first so no slurmstepd outlives slurmd (best effort).
SLURM_CONF=$DIR/slurm.conf timeout 10 scancel --full --quiet -u root 2>/dev/null || true

# Alive = exists and not a zombie. Orphaned daemons are reaped by PID 1, which
# may be slow (here ~2s) or never happen in a container whose PID 1 is not init.
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1); [[ -n $st && $st != Z ]]; }

rc=0
# Reverse start order: slurmd, slurmctld, munged.
for name in slurmd slurmctld munged; do
  read -r pid exe < <(awk -v n="$name" '$1==n{print $2, $3}' "$DIR/pids") || continue
  # Only signal the PID if it is still the same program (guards against reuse).
  if [[ $(readlink -f "/proc/$pid/exe" 2>/dev/null) != "$exe" ]]; then
    log "$name (pid $pid) not running"; continue
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then
    log "$name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"; kill -KILL "$pid"; rc=1
  else
    log "stopped $name (pid $pid)"
  fi
done
rm -f "$DIR/pids"
exit $rc
