# A 3-round random sweep of examples/quadratic runs entirely through
# `sbatch slurm/hpo-driver.sh`, once through libslurm and once through the
# sbatch/squeue CLIs: one array job per round, each task with its own GPU
# (CUDA_VISIBLE_DEVICES from Slurm's gres), every trial in results.h5 with
# its Slurm job id, the driver chaining itself, and exactly the plans a
# local `hpo run` of the same spec and seed makes.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
make_quadratic_sweep "$TMP/w"
"$HPO" run "$TMP/w/spec.yaml" --exp "$TMP/local" --quiet > /dev/null

for api in libslurm cli; do
    exp=$TMP/$api
    HPO_SLURM_API=$api sbatch --chdir="$PWD" --output="$TMP/first-driver-$api.out" \
        slurm/hpo-driver.sh "$exp" "$TMP/w/spec.yaml" > /dev/null
    wait_stopped "$exp" 120
    assert_contains "$("$HPO" status "$exp")" "stopped:    budget.max_trials reached (12 trials)" "$api: stop reason"
    # one array job per round, and the driver ran once per round plus the last
    ids=""
    for r in 0 1 2; do
        cmp "$exp/rounds/r000$r.plan" "$TMP/local/rounds/r000$r.plan" || fail "$api: round $r differs from hpo run"
        assert_eq "$(grep -c '^array=' "$exp/rounds/r000$r.state")" 1 "$api: arrays of round $r"
        ids="$ids $(sed -n 's/^array=\([0-9]*\)@0$/\1/p' "$exp/rounds/r000$r.state")"
        grep -q -- "--array=0-3%4" "$exp/rounds/r000$r.sbatch" || fail "$api: round $r script"
        grep -q -- "--gres=gpu:1" "$exp/rounds/r000$r.sbatch" || fail "$api: gres in round $r script"
        [ "$(grep -c '^#SBATCH --' "$exp/rounds/r000$r.sbatch")" -ge 8 ] || fail "$api: one #SBATCH option a line"
    done
    [ ! -e "$exp/rounds/r0003.plan" ] || fail "$api: a fourth round was planned"
    assert_eq "$(ls "$exp"/driver-*.log | wc -l)" 4 "$api: driver steps"
    assert_each_trial_once "$exp"
    $PY tests/integration/check_results.py "$exp"
    $PY - "$exp" $ids <<'PY'
import os, sys, h5py
exp, arrays = sys.argv[1], [int(a) for a in sys.argv[2:]]
f = h5py.File(os.path.join(exp, "results.h5"), "r")
t, rounds = f["trials"][:], f["rounds"][:]
assert list(rounds["array_job_id"]) == arrays, (rounds["array_job_id"], arrays)
for row in t:
    env = open(os.path.join(exp, "trials", "t%06d" % row["trial_id"], "slurm_env")).read().split()
    gpu, task, array = env
    # each task saw one GPU of the node's four, and ran as its planned index
    assert gpu in ("0", "1", "2", "3"), env
    # the gpu column: what Slurm gave, then what CUDA says of it (no driver here)
    assert row["gpu"].decode().startswith(gpu + "; none ("), (row["gpu"], gpu)
    assert int(task) == row["array_index"] and int(array) == arrays[row["round"]], (env, row)
print("ok: %d trials, arrays %s" % (len(t), arrays))
PY
done
echo ok
