# Preemption on a real Slurm (preempt/partition_prio): a job of the
# higher-tier partition "high" takes the node from a round's running tasks.
# Each preempted trial is recorded as cancelled with a reason that starts
# "preempted" (hpo status, results.h5), runs again from its checkpoint, and
# the preemption is not held against it: with `retries: 1`, the same trial
# may still fail once afterwards and be retried.  Under PreemptMode=REQUEUE
# Slurm does not requeue hpo's tasks (they are submitted --no-requeue; it
# kills them instead), so each trial runs exactly three times, never twice
# at once: preempted, failed once, completed.
source tests/integration/common.bash
source tests/integration/slurm.bash
mkdir -p "$TMP/w"
cat > "$TMP/w/trial.sh" <<'SH2'
#!/bin/bash
# 1st run: checkpoint step 3, then run until preempted; 2nd: fail once; 3rd:
# resume from the checkpoint.
ck=$HPO_CHECKPOINT_DIR
if [ ! -e "$ck/step" ]; then
    echo "step=0 loss=9"
    echo 3 > "$ck/step"
    trap 'exit 143' TERM
    while :; do sleep 0.1; done
fi
if [ ! -e "$ck/failed-once" ]; then touch "$ck/failed-once"; echo "a failure of its own" >&2; exit 1; fi
echo "step=$(cat "$ck/step") loss=1 resumed_from=$(cat "$ck/step")"
SH2
chmod +x "$TMP/w/trial.sh"
cat > "$TMP/w/spec.yaml" <<'YAML'
name: preempt
command: [./trial.sh, "{x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
algorithm: random
budget: {max_trials: 2}
parallel: {round_size: 2, max_concurrent: 2}
retries: 1
slurm: {time: "00:05:00", gres: "gpu:1"}
YAML

# Drive $1 with spec $2 (--once steps) until the sweep stops, preempting
# its two trials once both have checkpointed; $3 names the case.
drive_preempted() {
    local exp=$1 spec=$2 what=$3 preempted=0
    seen=0
    : > "$TMP/log-$what"
    for step in $(seq 1 120); do
        out=$("$HPO" drive "$exp" --spec "$spec" --once 2>&1) || fail "$what: drive: $out"
        echo "$out" >> "$TMP/log-$what"
        case "$out" in *"sweep stopped"*) break ;; esac
        # Both trials checkpointed and running: a job of the high tier
        # wanting the whole node preempts them.
        if [ "$preempted" = 0 ] && [ -e "$exp/trials/t000000/checkpoint/step" ] &&
           [ -e "$exp/trials/t000001/checkpoint/step" ]; then
            sbatch -p high -c 16 -o /dev/null --wrap 'sleep 1' > /dev/null
            preempted=1
        fi
        # The step that saw the preemption recorded it for hpo status.
        if [ "$seen" = 0 ] && "$HPO" status "$exp" 2>&1 | grep -q "^again:      trial [01]: preempted by a higher-priority job"; then seen=1; fi
        sleep 0.3
    done
    assert_contains "$out" "budget.max_trials reached (2 trials)" "$what: the sweep ends"
    [ "$preempted" = 1 ] || fail "$what: the trials never ran to their checkpoint"
}

# Each trial: preempted, then failed once (its retry still there), then
# completed from the checkpoint; three runs, no failure counted.
check_trials() {
    local exp=$1 what=$2 t
    for t in "$exp"/trials/t00000[01]; do
        grep -q '^status=cancelled$' "$t/attempt-1/result" || fail "$what: $t attempt 1: $(cat "$t/attempt-1/result")"
        grep -q '^reason=preempted by a higher-priority job (Slurm: PREEMPTED, job [0-9]*); runs again' \
            "$t/attempt-1/result" || fail "$what: $t attempt 1's reason: $(cat "$t/attempt-1/result")"
        # the failure after the preemption still had its retry
        grep -q '^reason=failed; retrying (attempt 2 of 2): exit code 1: a failure of its own' "$t/attempt-2/result" \
            || fail "$what: $t attempt 2: $(cat "$t/attempt-2/result")"
        grep -q '^status=completed$' "$t/result" || fail "$what: $t did not complete: $(cat "$t/result")"
        [ ! -e "$t/attempt-3" ] || fail "$what: $t ran more than three times"
        # three runs, one after the other: each attempt's journal has one start
        assert_eq "$(cat "$t"/journal "$t"/attempt-*/journal | grep -c ' e start host=')" 3 "$what: runs of $t"
    done
    csv=$("$HPO" export "$exp" --csv)
    assert_eq "$(grep -c ',completed,' <<<"$csv")" 2 "$what: completed trials"
    # resumed from the checkpoint written before the preemption
    assert_contains "$("$HPO" export "$exp" --csv --curves)" ",resumed_from,3" "$what: resumed from the checkpoint"
    $PY - "$exp/results.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
t = f["trials"][:]
assert (t["status"] == b"completed").all(), t["status"]
PY
    assert_contains "$("$HPO" status "$exp")" "2 completed, 0 failed" "$what: no failure counted"
    $PY tests/integration/check_results.py "$exp" > /dev/null
}

for mode in cancel requeue; do
    SLURM_TEST_PREEMPT=$mode start_cluster
    exp=$TMP/exp-$mode
    drive_preempted "$exp" "$TMP/w/spec.yaml" "$mode"
    [ "$seen" = 1 ] || fail "$mode: hpo status never said preempted: $("$HPO" status "$exp" 2>&1)"
    check_trials "$exp" "$mode"
    # no trial submitted twice: 6 tasks ran (3 per trial), none is left
    assert_eq "$(ls "$exp"/trials/slurm-*.out | wc -l)" 6 "$mode: tasks that ran"
    assert_eq "$(squeue -h -o %j | grep -c -- '-r0000-' || :)" 0 "$mode: tasks left in the queue"
    if [ "$mode" = requeue ]; then
        grep -q "preempted JobId=.* had to be killed" "$TMP/slurm/log/slurmctld.log" \
            || fail "requeue: Slurm requeued a --no-requeue task instead of killing it"
    fi
done

# Workers mode (on the REQUEUE cluster): both worker tasks are preempted;
# the next driver step marks their trials' records preempted before the
# next worker array takes them over.
sed 's/parallel: {round_size: 2, max_concurrent: 2}/parallel: {mode: workers, max_concurrent: 2}/' \
    "$TMP/w/spec.yaml" > "$TMP/w/workers.yaml"
grep -q 'mode: workers' "$TMP/w/workers.yaml" || fail "workers spec"
exp=$TMP/exp-workers
drive_preempted "$exp" "$TMP/w/workers.yaml" workers
assert_contains "$(cat "$TMP/log-workers")" "2 trial records of preempted worker tasks marked preempted" "workers: the notice"
check_trials "$exp" workers
[ "$(grep -c '^array ' "$exp/workers.state")" -ge 2 ] || fail "workers: no second worker array"
echo ok
