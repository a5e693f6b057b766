# Cluster limits: on a cluster whose MaxArraySize is 4, a round of 10 trials
# is split into arrays of task ids 0-3, each running its own slice of the
# round (trial index = offset + task id), all recorded for the round.
source tests/integration/common.bash
source tests/integration/slurm.bash
SLURM_TEST_MAX_ARRAY_SIZE=4 start_cluster
assert_contains "$(scontrol show config | grep MaxArraySize)" "= 4" "the cluster's MaxArraySize"
make_quadratic_sweep "$TMP/w"
sed -i 's/max_trials: 12/max_trials: 10/; s/round_size: 4, max_concurrent: 4/round_size: 10, max_concurrent: 2/' "$TMP/w/spec.yaml"
exp=$TMP/exp
for step in $(seq 1 60); do
    out=$("$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once 2>&1) || fail "drive: $out"
    case "$out" in *"sweep stopped"*) break ;; esac
    sleep 0.5
done
assert_contains "$out" "budget.max_trials reached (10 trials)" "sweep ends"
assert_eq "$(grep -c '^array=' "$exp/rounds/r0000.state")" 3 "arrays for a round of 10 under MaxArraySize 4"
grep -q '^array=[0-9]*@0$' "$exp/rounds/r0000.state" && grep -q '^array=[0-9]*@4$' "$exp/rounds/r0000.state" \
    && grep -q '^array=[0-9]*@8$' "$exp/rounds/r0000.state" || fail "offsets: $(cat "$exp/rounds/r0000.state")"
grep -q -- '--array=0-3%2' "$exp/rounds/r0000-o4.sbatch" || fail "second array's task ids"
grep -q -- '--array=0-1%2' "$exp/rounds/r0000-o8.sbatch" || fail "third array's task ids"
$PY - "$exp" <<'PY'
import os, sys
exp = sys.argv[1]
for tid in range(10):
    gpu, task, array = open(os.path.join(exp, "trials/t%06d/slurm_env" % tid)).read().split()
    assert int(task) == tid % 4, (tid, task)     # task ids stay below MaxArraySize
PY
assert_each_trial_once "$exp"
$PY tests/integration/check_results.py "$exp"
echo ok
