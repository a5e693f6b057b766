# examples/python: a Python trial that knows nothing of hpo, reporting by
# stdout lines only, runs as a Sobol' sweep; every epoch's metrics are in
# /curves and the objective is each trial's best val_acc.
source tests/integration/common.bash
out=$("$HPO" run examples/python/spec.yaml --exp "$TMP/exp" --quiet)
assert_contains "$out" "stopped: budget.max_trials reached (16 trials)" "sweep"
$PY tests/integration/check_results.py "$TMP/exp"
$PY - "$TMP/exp/results.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
t, c = f["trials"][:], f["curves"][:]
assert (t["status"] == b"completed").all(), t["status"]
for tid in range(len(t)):
    mine = c[c["trial_id"] == tid]
    acc = mine[mine["metric"] == b"val_acc"]
    assert list(acc["step"]) == list(range(1, 9)), acc["step"]     # step= is the epoch
    assert len(mine) == 16 and set(mine["metric"]) == {b"val_acc", b"loss"}
    assert t["objective"][tid] == acc["value"].max()                 # reduce: best
best = t["objective"].max()
assert best > 0.8, best   # the problem is easy: a good config is found
print("ok: best val_acc %.4f" % best)
PY
