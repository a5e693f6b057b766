# The real single-node Slurm of slurm/testcluster works as the Slurm tests
# need it: a GPU array runs with one device per task, MaxArraySize is what
# start.sh was asked for, scancel kills a running job, and stop.sh stops
# the daemons.  Fails (never skips) when the cluster cannot start: it needs
# root and Debian's slurm-wlm + munge (see slurm/testcluster/README.md).
source tests/integration/common.bash

CL="$TMP/slurm"
# Stop the cluster before common.bash's trap removes $TMP (stopping needs
# the pid files and spool sockets in it).  Compose, do not replace: take
# common.bash's EXIT command as trap -p prints it and run it afterwards.
eval "prev_exit=( $(trap -p EXIT) )"
# shellcheck disable=SC2064  # expanded now on purpose
trap "slurm/testcluster/stop.sh $(printf %q "$CL") >/dev/null 2>&1 || true; ${prev_exit[2]:-}" EXIT

# alive PID: the process exists and is not a zombie (a slow-reaping PID 1
# can leave an exited daemon as one, and kill -0 succeeds on it).
alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

# wait_until SECONDS WHAT CMD...: poll CMD every 0.2 s; fail after SECONDS.
wait_until() {
    local limit=$1 what=$2; shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        [ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for $what"
        sleep 0.2
    done
}

t0=$SECONDS
env_line=$(SLURM_TEST_MAX_ARRAY_SIZE=77 slurm/testcluster/start.sh "$CL") ||
    fail "slurm/testcluster/start.sh could not start the test cluster (see its messages above)"
assert_eq "$env_line" "export SLURM_CONF=$CL/slurm.conf" "start.sh output"
assert_eq "$(cat "$CL/env")" "$env_line" "start.sh's $CL/env"
eval "$env_line"
echo "cluster up in $((SECONDS - t0))s"

# (3) The configured knobs reached slurmctld.
config=$(scontrol show config)
assert_contains "$config" "MaxArraySize            = 77" "scontrol show config"
assert_contains "$config" "MinJobAge               = 30 sec" "scontrol show config"
assert_contains "$config" "OverTimeLimit           = 0 min" "scontrol show config"

# (1) A 4-task array, 4 at a time, one GPU each.  Each task records what
# Slurm gave it and stays 1 s, so that all four hold their GPU together and
# must have been given different ones.
mkdir -p "$TMP/out"
cat >"$TMP/gpu_task.sh" <<SH
#!/bin/sh
echo "\${CUDA_VISIBLE_DEVICES-unset} \${SLURM_JOB_GPUS-unset}" >"$TMP/out/task.\$SLURM_ARRAY_TASK_ID.tmp"
sleep 1
mv "$TMP/out/task.\$SLURM_ARRAY_TASK_ID.tmp" "$TMP/out/task.\$SLURM_ARRAY_TASK_ID"
SH
t1=$SECONDS
arr=$(sbatch --parsable --array=0-3%4 --gres=gpu:1 -J smoke_gpu -o "$TMP/out/slurm-%A_%a.out" "$TMP/gpu_task.sh") ||
    fail "sbatch of the GPU array failed"
array_gone() { [ -z "$(squeue -h -j "$arr" -o %i 2>/dev/null)" ]; }
wait_until 30 "array $arr to finish" array_gone
echo "4-task GPU array done $((SECONDS - t1))s after sbatch"
states=$(squeue -h -t all -j "$arr" -o '%T' | sort | uniq -c | awk '{print $1, $2}')
assert_eq "$states" "4 COMPLETED" "states of the array's tasks"
seen=()
for i in 0 1 2 3; do
    [ -f "$TMP/out/task.$i" ] || fail "task $i wrote nothing; its log: $(cat "$TMP"/out/slurm-*_"$i".out 2>&1)"
    read -r cvd gpus <"$TMP/out/task.$i"
    [[ $cvd =~ ^[0-3]$ ]] || fail "task $i: CUDA_VISIBLE_DEVICES='$cvd', expected one index 0..3"
    # No device cgroup (task/none): Slurm's index is the visible one.
    assert_eq "$gpus" "$cvd" "task $i: SLURM_JOB_GPUS vs CUDA_VISIBLE_DEVICES"
    seen+=("$cvd")
done
assert_eq "$(printf '%s\n' "${seen[@]}" | sort | tr '\n' ' ')" "0 1 2 3 " "GPUs of the 4 concurrent tasks"

# (4) scancel of a running job kills its processes.
cat >"$TMP/sleeper.sh" <<SH
#!/bin/sh
echo \$\$ >"$TMP/out/sleeper.pid.tmp" && mv "$TMP/out/sleeper.pid.tmp" "$TMP/out/sleeper.pid"
exec sleep 300
SH
job=$(sbatch --parsable -J smoke_sleep -o /dev/null "$TMP/sleeper.sh") || fail "sbatch of the sleeper failed"
running() { [ "$(squeue -h -j "$job" -o %T 2>/dev/null)" = RUNNING ] && [ -s "$TMP/out/sleeper.pid" ]; }
wait_until 15 "job $job to run" running
pid=$(cat "$TMP/out/sleeper.pid")
alive "$pid" || fail "job $job's process $pid is not alive while RUNNING"
scancel "$job" || fail "scancel $job failed"
cancelled() { [ "$(squeue -h -t all -j "$job" -o %T 2>/dev/null)" = CANCELLED ]; }
wait_until 15 "job $job to be CANCELLED" cancelled
dead() { ! alive "$pid"; }
wait_until 10 "process $pid of cancelled job $job to die" dead

# stop.sh stops every daemon it started and keeps DIR for inspection.
daemons=$(cat "$CL"/run/slurmctld.pid "$CL"/run/slurmd.pid "$CL"/run/munged.pid)
slurm/testcluster/stop.sh "$CL" || fail "stop.sh failed"
for p in $daemons; do
    ! alive "$p" || fail "daemon $p still alive after stop.sh"
done
[ -f "$CL/log/slurmctld.log" ] || fail "stop.sh removed $CL without --clean"
echo "ok: test cluster ran a GPU array, honoured MaxArraySize, cancelled a job; total $((SECONDS - t0))s"
