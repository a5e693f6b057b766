# Hyperband on the real local Slurm: one iteration with fidelity 1..9, eta
# 3 has 6 rungs (3 + 2 + 1 over its brackets) but, with the rungs that are
# ready together packed into one array, only 3 array jobs; promoted trials
# resume from their parent's checkpoint (their curves continue), and with
# keep_checkpoints: best the checkpoints of trials that can no longer be
# promoted are deleted.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
cat > "$TMP/train.sh" <<'SH'
#!/bin/sh
# "trains" to --epochs, resuming from HPO_RESUME_FROM/state when there is one
epochs=$1; x=$2; done=0
[ -n "${HPO_RESUME_FROM:-}" ] && [ -f "$HPO_RESUME_FROM/state" ] && done=$(cat "$HPO_RESUME_FROM/state")
e=$((done + 1))
while [ "$e" -le "$epochs" ]; do
    echo "step=$e loss=$(awk -v x="$x" -v e="$e" 'BEGIN { print x + 1 / e }')"
    echo "$e" > "$HPO_CHECKPOINT_DIR/state"
    e=$((e + 1))
done
SH
chmod +x "$TMP/train.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: hb
command: [./train.sh, "{epochs}", "{x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
fidelity: {param: epochs, min: 1, max: 9, eta: 3}
algorithm: {name: hyperband}
budget: {max_trials: 22}
parallel: {max_concurrent: 8}
slurm: {time: "00:05:00", mem: 50M}
seed: 5
YAML
exp=$TMP/exp
for step in $(seq 1 60); do
    out=$("$HPO" drive "$exp" --spec "$TMP/spec.yaml" --once 2>&1) || fail "drive: $out"
    case "$out" in *"sweep stopped"*) break ;; esac
    sleep 0.5
done
assert_contains "$out" "budget.max_trials reached (22 trials)" "the iteration ran to its end"
for r in 0 1 2; do
    assert_eq "$(grep -c '^array=' "$exp/rounds/r000$r.state")" 1 "arrays of round $r"
done
[ ! -e "$exp/rounds/r0003.plan" ] || fail "more than 3 rounds"
$PY - "$exp" <<'PY'
import os, sys, h5py, numpy as np
exp = sys.argv[1]
f = h5py.File(os.path.join(exp, "results.h5"), "r")
t, c = f["trials"][:], f["curves"][:]
rungs = {(int(r["bracket"]), int(r["rung"])) for r in t}
assert rungs == {(2, 0), (2, 1), (2, 2), (1, 0), (1, 1), (0, 0)}, rungs      # 6 rungs in 3 arrays
assert [int((t["round"] == k).sum()) for k in range(3)] == [17, 4, 1]
assert (t["status"] == b"completed").all(), t["status"]
for child in t[t["parent_id"] >= 0]:
    parent = t[child["parent_id"]]
    assert parent["round"] == child["round"] - 1 and child["budget"] == 3 * parent["budget"], (parent, child)
    psteps = c[c["trial_id"] == parent["trial_id"]]["step"]
    csteps = c[c["trial_id"] == child["trial_id"]]["step"]
    assert csteps.min() == psteps.max() + 1 and csteps.max() == child["budget"], (psteps, csteps)
    journal = open(os.path.join(exp, "trials/t%06d/journal" % child["trial_id"])).read()
    assert "resume from=t%06d/checkpoint" % parent["trial_id"] in journal
# keep_checkpoints: best -- in rounds 0 and 1, exactly the promoted trials
# (and the best, if it is there) keep a checkpoint
parents = set(int(p) for p in t["parent_id"] if p >= 0)
best = int(sorted(t, key=lambda r: (-r["budget"], r["objective"], r["trial_id"]))[0]["trial_id"])
for r in t[t["round"] < 2]:
    tid = int(r["trial_id"])
    kept = os.listdir(os.path.join(exp, "trials/t%06d/checkpoint" % tid)) != []
    assert kept == (tid in parents or tid == best), (tid, kept)
print("ok: 6 rungs in 3 array jobs; %d promotions resumed their parent's checkpoint" % (t["parent_id"] >= 0).sum())
PY
assert_eq "$("$HPO" best "$exp" -n 1 | awk 'NR==2 {print $2}')" \
    "$($PY -c "import h5py; t=h5py.File('$exp/results.h5')['trials'][:]; print(int(sorted(t, key=lambda r: (-r['budget'], r['objective']))[0]['trial_id']))")" \
    "hpo best ranks by the highest budget first"
$PY tests/integration/check_results.py "$exp"
echo ok
