#!/usr/bin/env bash
# Bring up a throw-away one-node Slurm cluster on 127.0.0.1 without systemd, for .ci/slurm-sweep.sh.
# Everything (munge key/socket, slurm.conf, state, spool, logs, PIDs) lives in
# $SLURM_CI_DIR (default /tmp/slurm-ci); nothing under /etc is touched.
# Afterwards:  set -a; . "$SLURM_CI_DIR/env"; set +a   (KEY=VALUE lines, so the
# file can also be appended to $GITHUB_ENV).  Stop with slurm-down.sh.
set -euo pipefail

DIR=${SLURM_CI_DIR:-/tmp/slurm-ci}
CTLD_PORT=${SLURM_CI_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_CI_SLURMD_PORT:-6818}
TIMEOUT=${SLURM_CI_TIMEOUT:-60}          # seconds to wait for each daemon
HERE=$(cd "$(dirname "$0")" && pwd)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
log() { echo "[slurm-up] $*"; }

# 1. Packages (idempotent; refresh the apt lists only if the install fails).
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
   ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  t=$(now); pkgs="slurmctld slurmd slurm-client munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $pkgs ||
    { apt-get update && apt-get install -y --no-install-recommends $pkgs; }
  log "apt-get install took $(since "$t")s"
fi

# 2. Fresh private directory. Refuse to clobber a cluster that is still running.
# running PID EXE: PID is alive and still that program (zombies have no exe).
running() { [[ $(readlink -f "/proc/$1/exe" 2>/dev/null) == "$2" ]]; }
if [[ -f $DIR/pids ]]; then
  while read -r _ pid exe; do
    if running "$pid" "$exe"; then log "already running ($DIR/pids); run slurm-down.sh first"; exit 1; fi
  done <"$DIR/pids"
fi
rm -rf "$DIR"
mkdir -p "$DIR"/{munge,state,spool,log}
# munged insists every directory above its socket is world-executable
# (mktemp-style 0700 dirs fail with "Socket is inaccessible").
chmod 0755 "$DIR" "$DIR/munge"
START=$(now)

# Start a daemon (in foreground mode) in its own session; $! is the daemon
# itself (setsid execs directly because a background job is not a group leader).
# stderr catches errors from before a log file is opened (munged -F logs only
# there; slurm daemons with -D log to both stderr and their LogFile).
# Record "name pid exe" so slurm-down.sh can kill exactly that process.
start() {
  local name=$1; shift
  setsid "$@" >"$DIR/log/$name.stderr" 2>&1 </dev/null &
  echo "$name $! $(readlink -f "$(command -v "$1")")" >>"$DIR/pids"
}
pid_of() { awk -v n="$1" '$1==n{print $2}' "$DIR/pids"; }
is_up() { running $(awk -v n="$1" '$1==n{print $2, $3}' "$DIR/pids"); }

fail() {
  log "ERROR: $*"
  [[ -f ${SLURM_CONF:-/} ]] && timeout 5 sinfo -R 2>/dev/null || true
  for f in "$DIR"/log/*; do echo "===== $f"; tail -n 40 "$f"; done
  "$HERE/slurm-down.sh" || true
  exit 1
}

# Wait until "$@" succeeds, or fail if the timeout passes / the daemon dies.
wait_for() {
  local name=$1; shift; local t=$(now) deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    is_up "$name" || fail "$name exited during startup"
    ((SECONDS < deadline)) || fail "$name not ready after ${TIMEOUT}s"
    sleep 0.2
  done
  log "$name ready after $(since "$t")s (pid $(pid_of "$name"))"
}

# 3. munged: private key + socket, run as root in the foreground (-F). As root
# it needs no --force as long as key/dirs are root-owned and not group/other
# writable. The system key in /etc/munge is not used at all.
SOCK=$DIR/munge/munge.socket
KEY=$DIR/munge/munge.key
mungekey --create --keyfile="$KEY" 2>/dev/null ||
  dd if=/dev/urandom of="$KEY" bs=1 count=1024 status=none
chmod 0400 "$KEY"
start munged munged -F --socket="$SOCK" --key-file="$KEY" \
  --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed"
munge_ok() { munge -n -S "$SOCK" | unmunge -S "$SOCK"; }
wait_for munged munge_ok

# 4. slurm.conf sized to this machine. `slurmd -C` prints exactly what slurmd
# will detect (CPUs, sockets/cores/threads, RealMemory in MiB); using it avoids
# the node being drained for "Low RealMemory" / CPU count mismatches.
HOST=$(hostname -s)
HW=$(slurmd -C 2>/dev/null | head -n1 | grep -o 'CPUs=.*RealMemory=[0-9]*' ||
     echo "CPUs=$(nproc) RealMemory=$(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo)")
export SLURM_CONF=$DIR/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=ci
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
# Daemons as root (also Slurm's built-in default; SlurmUser=slurm dies with
# "Incorrect permissions on state save loc" on our root-owned dirs). Root may
# submit/run jobs by default (DisableRootJobs=NO), so nothing else is needed.
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups, no accounting.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# A DOWN node comes back by itself once slurmd registers with valid config.
ReturnToService=2
# Cancel jobs whose dependency can never be met (instead of pending forever).
DependencyParameters=kill_invalid_depend
# Schedule batch jobs immediately on submit/completion (default delay 3s).
SchedulerParameters=batch_sched_delay=0
NodeName=$HOST NodeAddr=127.0.0.1 $HW State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

# 5. slurmctld, then slurmd; -D keeps them in the foreground so $! is the PID.
start slurmctld slurmctld -D -c -f "$SLURM_CONF"
wait_for slurmctld bash -c 'scontrol ping | grep -q "is UP"'
start slurmd slurmd -D -f "$SLURM_CONF"
# Ready = node "idle" (not "idle*" = not responding). A responding node that
# is down/drained gets one resume per poll; "inval" (config larger than the
# hardware) cannot be resumed, so it times out and fail() shows the reason.
node_ready() {
  case $(sinfo -h -n "$HOST" -o %t) in
    idle) return 0 ;;
    down|drain|drng) scontrol update nodename="$HOST" state=resume ;;
  esac
  return 1
}
wait_for slurmd node_ready
# Smoke test: a real job step catches what daemon readiness does not
# (e.g. proctrack/cgroup loads fine but every step fails without cgroups).
t=$(now)
# Check the output: srun 22.05 exits 0 even when the task launch fails.
[[ $(timeout "$TIMEOUT" srun -N1 -n1 -t 1 echo smoke-ok) == smoke-ok ]] ||
  fail "smoke-test job step failed"
log "smoke-test step ran in $(since "$t")s"

cat >"$DIR/env" <<EOF
SLURM_CI_DIR=$DIR
SLURM_CONF=$SLURM_CONF
SLURM_CI_NODE=$HOST
EOF
log "cluster up in $(since "$START")s; env: $DIR/env"
sinfo
