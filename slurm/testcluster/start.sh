#!/usr/bin/env bash
# Starts a real, single-node Slurm cluster on loopback for hpo's tests:
# munged, slurmctld and slurmd, with every key, socket, port, state
# directory, log and pid file under DIR, so that nothing in /etc or /run is
# used or changed and a Debian-started munged/slurmd/slurmctld (default
# socket, ports 6817/6818) cannot get in the way.
#
#   slurm/testcluster/start.sh DIR        # e.g. /tmp/hpo-slurm
#   eval "$(slurm/testcluster/start.sh DIR)"
#
# Prints "export SLURM_CONF=DIR/slurm.conf" on stdout (and writes it to
# DIR/env); progress and errors go to stderr.  Returns once the node is
# idle, or fails after SLURM_TEST_START_TIMEOUT seconds (default 60) with
# the tails of the daemons' logs.  Must run as root (slurmd launches jobs as
# their submitting user, and the daemons run as SlurmUser=root).
#
# Knobs (environment):
#   SLURM_TEST_PORT_BASE       SlurmctldPort; SlurmdPort is base+1
#                              (default: a free pair chosen at random)
#   SLURM_TEST_MIN_JOB_AGE     MinJobAge, seconds finished jobs stay
#                              visible (default 30)
#   SLURM_TEST_MAX_ARRAY_SIZE  MaxArraySize (default 1001)
#   SLURM_TEST_MAX_JOB_COUNT   MaxJobCount (default 10000; a cancelled
#                              1,000-task array holds 1,000 of it until MinJobAge)
#   SLURM_TEST_START_TIMEOUT   seconds to wait for the node (default 60)
#   SLURM_TEST_PREEMPT         cancel|requeue: a second partition "high"
#                              (PriorityTier=2) whose jobs preempt those of
#                              "hpo" (preempt/partition_prio, PreemptMode
#                              CANCEL or REQUEUE); unset: no preemption
#   SLURM_TEST_MEM_KILL        1: memory is a consumable resource (jobs get
#                              DefMemPerCPU=100 unless they ask) and a job
#                              over its memory is killed (OverMemoryKill,
#                              sampled every second; no cgroups needed)
#
# The node claims CPUs=16, RealMemory=16000 and 4 GPUs whatever the machine
# has (SlurmdParameters=config_overrides); the "GPUs" are /dev/null-like
# character devices in DIR/dev, enough for Slurm to set
# CUDA_VISIBLE_DEVICES and SLURM_JOB_GPUS per task.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
say() { echo "start.sh: $*" >&2; }
die() { echo "start.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
[ "$(id -u)" -eq 0 ] || die "must run as root (the test cluster runs SlurmUser=root)"
for p in munged mungekey slurmctld slurmd sinfo scontrol; do
    command -v "$p" >/dev/null || die "$p not found: apt-get install -y slurm-wlm munge"
done

min_job_age=${SLURM_TEST_MIN_JOB_AGE:-30}
max_array_size=${SLURM_TEST_MAX_ARRAY_SIZE:-1001}
max_job_count=${SLURM_TEST_MAX_JOB_COUNT:-10000}
timeout=${SLURM_TEST_START_TIMEOUT:-60}
for v in "$min_job_age" "$max_array_size" "$max_job_count" "$timeout" "${SLURM_TEST_PORT_BASE:-0}"; do
    [[ $v =~ ^[0-9]+$ ]] || die "SLURM_TEST_* settings must be whole numbers, got '$v'"
done
preempt=${SLURM_TEST_PREEMPT:-}
case "$preempt" in ''|cancel|requeue) ;; *) die "SLURM_TEST_PREEMPT must be cancel or requeue, got '$preempt'" ;; esac
mem_kill=${SLURM_TEST_MEM_KILL:-0}
case "$mem_kill" in 0|1) ;; *) die "SLURM_TEST_MEM_KILL must be 0 or 1, got '$mem_kill'" ;; esac

mkdir -p "$1"
DIR=$(cd "$1" && pwd -P)
# slurm.conf values cannot hold blanks; refuse early instead of failing
# obscurely in the daemons.
case "$DIR" in *[[:space:]]*) die "DIR must not contain blanks: '$DIR'" ;; esac

# A cluster from an earlier start in this DIR: stop it, so that this start
# is clean (fresh state, ports and logs).
"$here/stop.sh" "$DIR" >&2

node=$(hostname -s)
[ -n "$node" ] || die "hostname -s is empty"

# Fresh state every time: slurmctld would otherwise recover jobs (and job
# ids) from the previous run.  Old logs are kept once, as *.prev.
rm -rf "${DIR:?}/state" "${DIR:?}/spool" "${DIR:?}/munge" "${DIR:?}/dev"
# Marks DIR as ours, for stop.sh --clean.
: >"$DIR/.hpo-testcluster"
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run" "$DIR/munge" "$DIR/dev"
for f in "$DIR"/log/*.log; do [ -e "$f" ] && mv -f "$f" "$f.prev"; done

# ---- ports -------------------------------------------------------------
# True if some socket (any state, IPv4 or IPv6) uses local TCP port $1.
# (awk alone: a "cat | grep -q" pipeline can fail with SIGPIPE under
# pipefail and report a used port as free.)
port_used() {
    local hex f files=()
    hex=$(printf ':%04X' "$1")
    for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
    [ ${#files[@]} -gt 0 ] || return 1
    # only a listener blocks the daemons (they bind with SO_REUSEADDR): state 0A
    awk -v p="$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' "${files[@]}"
}
if [ -n "${SLURM_TEST_PORT_BASE:-}" ]; then
    base=$SLURM_TEST_PORT_BASE
    for p in "$base" $((base + 1)); do
        port_used "$p" && die "port $p (from SLURM_TEST_PORT_BASE) is in use"
    done
else
    # Random, away from Slurm's defaults (6817/6818) and below the usual
    # ephemeral range (32768+), so parallel test runs rarely collide.
    base=
    for _ in $(seq 50); do
        b=$((20000 + (RANDOM % 6000) * 2))
        if ! port_used "$b" && ! port_used $((b + 1)); then base=$b; break; fi
    done
    [ -n "$base" ] || die "no free port pair found in 20000-32000"
fi
ctld_port=$base
slurmd_port=$((base + 1))

# ---- munge -------------------------------------------------------------
# Own key and socket; clients (libslurm, sbatch, the daemons) are pointed
# at the socket by AuthInfo in slurm.conf.  --force: munged insists that
# every directory above its socket be world-executable, which a mktemp -d
# (0700) is not; everything here runs as root, so the check buys nothing.
mungekey --create --bits=1024 --keyfile="$DIR/munge/munge.key" >/dev/null
munged --force \
    --socket="$DIR/munge/munge.socket" \
    --key-file="$DIR/munge/munge.key" \
    --pid-file="$DIR/run/munged.pid" \
    --log-file="$DIR/log/munged.log" \
    --seed-file="$DIR/munge/munged.seed" ||
    { tail -n 20 "$DIR/log/munged.log" >&2 || true; die "munged failed to start"; }
for _ in $(seq 50); do
    munge -S "$DIR/munge/munge.socket" -n </dev/null 2>/dev/null |
        unmunge -S "$DIR/munge/munge.socket" >/dev/null 2>&1 && break
    sleep 0.1
done
munge -S "$DIR/munge/munge.socket" -n </dev/null |
    unmunge -S "$DIR/munge/munge.socket" >/dev/null ||
    { tail -n 20 "$DIR/log/munged.log" >&2 || true; die "munged does not answer on $DIR/munge/munge.socket"; }

# ---- fake GPUs ---------------------------------------------------------
# gres.conf File= must name character or block devices (plain files are
# rejected); copies of /dev/null (1,3) are harmless.
for i in 0 1 2 3; do
    mknod "$DIR/dev/gpu$i" c 1 3 ||
        die "mknod $DIR/dev/gpu$i failed (needs CAP_MKNOD; DIR on a nodev mount will not do either)"
done
cat >"$DIR/gres.conf" <<EOF
# Written by slurm/testcluster/start.sh
Name=gpu File=$DIR/dev/gpu[0-3]
EOF

# ---- slurm.conf ---------------------------------------------------------
# Memory enforcement without cgroups: jobacct_gather/linux samples each
# task's RSS every second and OverMemoryKill kills a job past its --mem.
# Memory must then be a consumable resource (CR_Core_Memory); DefMemPerCPU
# keeps 16 one-CPU jobs that do not ask for memory fitting at once.
if [ "$mem_kill" = 1 ]; then
    acct_gather=$'JobAcctGatherType=jobacct_gather/linux\nJobAcctGatherFrequency=1\nJobAcctGatherParams=OverMemoryKill\nDefMemPerCPU=100'
    select_params=CR_Core_Memory
else
    acct_gather=JobAcctGatherType=jobacct_gather/none
    select_params=CR_Core
fi
# Preemption: a job of partition "high" (higher PriorityTier) that does not
# fit takes the resources of running "hpo" jobs, which are cancelled or
# requeued (PreemptMode).  PreemptExemptTime=0: any running job may go.
preempt_conf=PreemptType=preempt/none high_partition=
if [ -n "$preempt" ]; then
    mode=$(echo "$preempt" | tr a-z A-Z)
    preempt_conf=$'PreemptType=preempt/partition_prio\nPreemptMode='"$mode"$'\nPreemptExemptTime=0'
    high_partition="PartitionName=high Nodes=ALL MaxTime=INFINITE State=UP OverSubscribe=NO PriorityTier=2 PreemptMode=OFF"
fi
cat >"$DIR/slurm.conf" <<EOF
# Test cluster written by slurm/testcluster/start.sh; rewritten on each start.
ClusterName=hpotest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket

StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
PlugStackConfig=$DIR/plugstack.conf

# No cgroups in containers/CI sandboxes: track processes by /proc, bind
# nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
$acct_gather
AccountingStorageType=accounting_storage/none
MpiDefault=none
# Let the node declare more CPUs/memory/GPUs than the machine has.
SlurmdParameters=config_overrides
# Cores only: jobs need not ask for memory, 16 one-CPU tasks fit at once.
SelectType=select/cons_tres
SelectTypeParameters=$select_params
GresTypes=gpu

# A DOWN node comes back by itself once slurmd registers again.
ReturnToService=2
# Finished jobs stay visible this long (no slurmdbd, no sacct).
MinJobAge=$min_job_age
MaxArraySize=$max_array_size
MaxJobCount=$max_job_count
# No grace past a time limit (slurmctld still only checks every 30 s, so a
# job dies 0-30 s after its limit), and KillWait=5 follows SIGTERM with
# SIGKILL quickly.
OverTimeLimit=0
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
# Submissions are scheduled at once instead of up to 3 s later (the default
# batch_sched_delay); an array still waits for slurmctld's 1 s background
# tick, so a 4-task array starts ~1 s after sbatch and a throttled array
# (%N) refills once a second.
SchedulerParameters=batch_sched_delay=0
$preempt_conf

NodeName=$node NodeAddr=127.0.0.1 CPUs=16 RealMemory=16000 Gres=gpu:4 State=UNKNOWN
PartitionName=hpo Default=YES Nodes=ALL MaxTime=INFINITE State=UP OverSubscribe=NO PriorityTier=1
$high_partition
EOF
# An empty SPANK stack, so /etc/slurm/plugstack.conf (whatever Debian or
# the admin put there) is not loaded.
: >"$DIR/plugstack.conf"

env_line="export SLURM_CONF=$DIR/slurm.conf"
echo "$env_line" >"$DIR/env"
export SLURM_CONF="$DIR/slurm.conf"

# ---- daemons -------------------------------------------------------------
show_logs() {
    local f
    for f in "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" "$DIR/log/munged.log"; do
        [ -e "$f" ] || continue
        echo "---- tail of $f" >&2
        tail -n 25 "$f" >&2
    done
}
# Both fork into the background once configured; a non-zero exit here is a
# configuration error that the log explains.
slurmctld -f "$DIR/slurm.conf" || { show_logs; die "slurmctld failed to start"; }
# -N: the node's name, in case hostname -s and slurmd's own idea differ.
slurmd -f "$DIR/slurm.conf" -N "$node" || { show_logs; die "slurmd failed to start"; }

say "waiting for node $node to become idle (ports $ctld_port/$slurmd_port)"
# A daemon that dies (bad config, port taken meanwhile) fails the start at
# once rather than after the whole timeout.  Its pid file may lag its fork.
daemon_dead() {
    local pidfile="$DIR/run/$1.pid" pid st
    [ -s "$pidfile" ] || { [ $SECONDS -ge $((start + 10)) ]; return; }
    pid=$(tr -dc '0-9' <"$pidfile")
    st=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0
    st=${st##*) }
    [ "${st%% *}" = Z ]          # a zombie, where PID 1 is slow to reap
}
start=$SECONDS
deadline=$((SECONDS + timeout))
state=
while :; do
    state=$(sinfo -h -n "$node" -o '%T' 2>/dev/null || true)
    [ "$state" = idle ] && break
    for d in munged slurmctld slurmd; do
        daemon_dead "$d" && { show_logs; die "$d died while starting (its log is above)"; }
    done
    if [ $SECONDS -ge $deadline ]; then
        show_logs
        die "node $node not idle after ${timeout}s (state: '${state:-no answer from slurmctld}')"
    fi
    sleep 0.2
done
say "cluster up in $DIR"
echo "$env_line"
