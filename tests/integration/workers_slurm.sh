# Workers mode on the real local Slurm: `sbatch slurm/hpo-driver.sh EXP
# spec.yaml` with parallel.mode: workers submits ONE array of 4 worker tasks
# (each with its own GPU gres), every worker takes trials as slots free, and
# the chained driver ends the sweep.  Then a worker task is scancel'ed in
# the middle of a trial: that trial runs again (another worker takes it
# over as soon as its lock is free), and nothing recorded is lost.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
wait_no_jobs() {
    for _ in $(seq 1 $(( $1 * 4 ))); do [ -z "$(squeue -h)" ] && return 0; sleep 0.25; done
    fail "jobs still queued after $1 s: $(squeue)"
}
make_quadratic_sweep "$TMP/w"
# Heterogeneous trials: 0.1 to 0.8 s, by the config's n.
cat > "$TMP/w/trial.sh" <<'SH'
#!/bin/sh
echo "${CUDA_VISIBLE_DEVICES:-unset} ${SLURM_ARRAY_TASK_ID:-unset} ${SLURM_ARRAY_JOB_ID:-unset}" > "$HPO_TRIAL_DIR/slurm_env"
sleep "$(echo "$6" | awk '{print 0.1 + ($1 % 8) / 10}')"
exec ./quadratic "$@"
SH
sed -i -e 's/max_trials: 12/max_trials: 24/' -e 's/round_size: 4, max_concurrent: 4/mode: workers, max_concurrent: 4/' \
    "$TMP/w/spec.yaml"

exp=$TMP/exp
sbatch --chdir="$PWD" --output="$TMP/first-driver.out" slurm/hpo-driver.sh "$exp" "$TMP/w/spec.yaml" > /dev/null
wait_stopped "$exp" 120
wait_no_jobs 60   # the last workers end just after they record the stop
assert_contains "$("$HPO" status "$exp")" "stopped:    budget.max_trials reached (24 trials)" "stop reason"
# one worker array of 4 tasks, one GPU each, submitted once
assert_eq "$(grep -c '^array ' "$exp/workers.state")" 1 "worker arrays"
grep -q -- "--array=0-3" "$exp/worker.sbatch" || fail "worker script: array"
grep -q -- "--gres=gpu:1" "$exp/worker.sbatch" || fail "worker script: gres"
[ "$(grep -c '^#SBATCH --' "$exp/worker.sbatch")" -ge 8 ] || fail "worker script: one #SBATCH option a line: $(cat "$exp/worker.sbatch")"
assert_eq "$(ls "$exp"/rounds/*.plan | wc -l)" 24 "one plan per trial"
assert_each_trial_once "$exp"
$PY tests/integration/check_results.py "$exp"
$PY - "$exp" <<'PY'
import os, sys, h5py
exp = sys.argv[1]
t = h5py.File(os.path.join(exp, "results.h5"), "r")["trials"][:]
assert list(t["trial_id"]) == list(range(len(t))), t["trial_id"]
array = int(open(os.path.join(exp, "workers.state")).read().split()[1])
tasks = set()
for row in t:
    gpu, task, arr = open(os.path.join(exp, "trials", "t%06d" % row["trial_id"], "slurm_env")).read().split()
    assert gpu in ("0", "1", "2", "3") and int(arr) == array, (gpu, arr, array)
    tasks.add(int(task))
# every worker task ran trials: no worker waited for another
assert tasks == {0, 1, 2, 3}, tasks
print("ok: %d trials by worker tasks %s of array %d" % (len(t), sorted(tasks), array))
PY

# scancel one worker task in the middle of a trial.
sed -i -e 's/max_trials: 24/max_trials: 8/' -e 's/name: quadslurm/name: quadcancel/' \
    -e 's/^sleep .*/sleep 3/' "$TMP/w/spec.yaml" "$TMP/w/trial.sh"
exp=$TMP/cancel
sbatch --chdir="$PWD" --output="$TMP/first-driver2.out" slurm/hpo-driver.sh "$exp" "$TMP/w/spec.yaml" > /dev/null
for _ in $(seq 1 120); do   # until trial 0 has started
    [ -s "$exp/trials/t000000/journal" ] && break
    sleep 0.25
done
[ -s "$exp/trials/t000000/journal" ] || fail "trial 0 never started"
# hpo status shows the trials running (by their locks) and the worker array,
# once results.h5 has the trial (published within about a second)
for _ in $(seq 1 40); do "$HPO" status "$exp" | grep -q "running:    trial 0" && break; sleep 0.25; done
st=$("$HPO" status "$exp")
assert_contains "$st" "mode:       workers" "status: mode"
assert_contains "$st" "running:    trial 0" "status: trial 0 running"
assert_contains "$st" "workers:    array job" "status: the worker array"
task=$(awk '{print $2}' "$exp/trials/t000000/slurm_env")
array=$(awk '{print $3}' "$exp/trials/t000000/slurm_env")
scancel "${array}_${task}"
wait_stopped "$exp" 180
wait_no_jobs 60
$PY - "$exp" <<'PY'
import os, sys, h5py
exp = sys.argv[1]
t = h5py.File(os.path.join(exp, "results.h5"), "r")["trials"][:]
assert len(t) == 8 and (t["status"] == b"completed").all(), t[["trial_id", "status"]]
# trial 0 was cut off once (kept as attempt-1/) and run again to the end
assert os.path.isdir(os.path.join(exp, "trials", "t000000", "attempt-1")), os.listdir(os.path.join(exp, "trials", "t000000"))
# taken over by a worker still running, or by the next array's
arrays = [l.split()[1] for l in open(os.path.join(exp, "workers.state"))]
assert 1 <= len(arrays) <= 2, arrays
print("ok: trial 0 ran again after its worker was cancelled; worker arrays", arrays)
PY
# trials_per_gpu: 2 on Slurm: max_concurrent 4 makes 2 worker tasks of 2
# slots, and the 2 trials of a task share its one GPU, at the same time.
sed -i -e 's/name: quadcancel/name: quadshare/' \
    -e 's/mode: workers, max_concurrent: 4/mode: workers, max_concurrent: 4, trials_per_gpu: 2/' \
    -e 's/^sleep .*/sleep 1/' "$TMP/w/spec.yaml" "$TMP/w/trial.sh"
exp=$TMP/share
sbatch --chdir="$PWD" --output="$TMP/first-driver3.out" slurm/hpo-driver.sh "$exp" "$TMP/w/spec.yaml" > /dev/null
wait_stopped "$exp" 120
wait_no_jobs 60
grep -q -- "--array=0-1" "$exp/worker.sbatch" || fail "trials_per_gpu 2: 2 worker tasks"
grep -q -- "--slots 2" "$exp/worker.sbatch" || fail "trials_per_gpu 2: 2 slots"
$PY - "$exp" <<'PY'
import os, sys, h5py
exp = sys.argv[1]
t = h5py.File(os.path.join(exp, "results.h5"), "r")["trials"][:]
assert len(t) == 8 and (t["status"] == b"completed").all(), t["status"]
by_task = {}
for row in t:
    gpu, task, arr = open(os.path.join(exp, "trials", "t%06d" % row["trial_id"], "slurm_env")).read().split()
    by_task.setdefault(task, []).append((gpu, row["start_time"], row["end_time"]))
assert len(by_task) == 2, by_task.keys()
for task, rows in by_task.items():
    assert len({g for g, _, _ in rows}) == 1, ("a task used several GPUs", task, rows)
    overlap = any(a[1] < b[2] and b[1] < a[2] for i, a in enumerate(rows) for b in rows[i + 1:])
    assert overlap, ("the task's 2 slots never ran at once", task, rows)
print("ok: 2 worker tasks, each running 2 trials at once on its one GPU")
PY
# A driver step that fails says so where hpo status looks (the chain is
# broken until someone acts), and the next step that succeeds clears it.
sed -i 's/name: quadshare/name: quadfail/' "$TMP/w/spec.yaml"
exp=$TMP/fail
rc=0; SLURM_CONF=$TMP/none.conf "$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" > /dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a driver step without Slurm succeeded"
assert_contains "$("$HPO" status "$exp")" "driver:     FAILED (job -): " "status after a failed driver step"
"$HPO" drive "$exp" --once > /dev/null || fail "a driver step with Slurm failed"
grep -q "driver:" <<<"$("$HPO" status "$exp")" && fail "the failure was not cleared by a good step"
"$HPO" cancel "$exp" > /dev/null
wait_no_jobs 60

# A worker array whose workers end without running anything (here a site
# template that exits at once) stops the chain with one line, not a loop.
mkdir -p "$TMP/tmpl"
cp templates/*.in "$TMP/tmpl/"
printf '#!/bin/bash\n@SBATCH_LINES@\nexit 0\n' > "$TMP/tmpl/worker.sbatch.in"
sed -i 's/name: quadfail/name: quadidle/' "$TMP/w/spec.yaml"
exp=$TMP/idle
HPO_TEMPLATE_DIR=$TMP/tmpl "$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once > /dev/null
wait_no_jobs 60
rc=0; err=$(HPO_TEMPLATE_DIR=$TMP/tmpl "$HPO" drive "$exp" --once 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a driver step after idle workers succeeded: $err"
assert_contains "$err" "ended without finishing a trial" "idle workers"
assert_eq "$(grep -c '^array ' "$exp/workers.state")" 1 "no second worker array after idle workers"
# Chained, the step queues no retry of itself either: one would find the same.
rc=0; err=$(HPO_TEMPLATE_DIR=$TMP/tmpl "$HPO" drive "$exp" 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a chained driver step after idle workers succeeded: $err"
assert_contains "$err" "no retry queued: another step would fail the same way" "idle workers, chained"
assert_eq "$(squeue -h -o %j | grep -c -- '-driver$' || :)" 0 "driver jobs queued after idle workers"
assert_contains "$("$HPO" status "$exp")" "no retry queued: another step would fail the same way; nothing drives" "status"
echo ok
