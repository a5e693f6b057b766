# Workers mode killed anywhere: SIGKILL of `hpo run` (the worker loop) at
# each fault point of a take (lock taken, before and after the plan write,
# during ingest, inside a results.h5 write, the plan's atomic rename), and
# of a trial runner; then the same command again.  In workers mode what is
# planned depends on the order trials finish, so plans are not compared
# with a reference; what must hold (and is checked): every trial's plan is
# on disk and planned once (ids dense, one plan each), every trial ends
# completed exactly once, and results.h5 matches the journals.
source tests/integration/common.bash
make_slow_quadratic "mode: workers, max_concurrent: 3"

points="worker:locked@3 worker:before-plan@2 worker:after-plan@4 ingest:after-new-rounds@3
        ingest:after-curves@2 store:after-open@5 store:mid-close@6 atomic:before-rename@4
        trial:started trial:before-end"
survived=0
for p in $points; do
    exp=$TMP/exp-${p//[:@]/-}
    mark=$exp.fired
    rc=0
    HPO_FAULT=$p HPO_FAULT_MARK=$mark "$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > "$exp.out" 2>&1 || rc=$?
    [ -e "$mark" ] || fail "$p: the fault point was never reached"
    case "$rc" in
        137) ;;
        0) case "$p" in trial:*) ;; *) fail "$p: hpo run survived its own kill" ;; esac ;;
        *) fail "$p: hpo run failed ($rc): $(cat "$exp.out")" ;;
    esac
    "$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > "$exp.out2" 2>&1 \
        || fail "$p: the resumed run failed: $(cat "$exp.out2")"
    assert_contains "$(cat "$exp.out2")" "budget.max_trials reached (12 trials)" "$p: resumed run"
    $PY - "$exp" <<'PY' || fail "$p: trials lost or duplicated"
import os, sys, h5py, numpy as np
exp = sys.argv[1]
t = h5py.File(os.path.join(exp, "results.h5"), "r")["trials"][:]
assert len(t) == 12 and (t["trial_id"] == np.arange(12)).all(), t["trial_id"]
assert (t["status"] == b"completed").all(), t["status"]
ids = []
for p in sorted(os.listdir(os.path.join(exp, "rounds"))):
    if p.endswith(".plan"):
        ids += [int(l.split()[1]) for l in open(os.path.join(exp, "rounds", p)) if l.startswith("trial ")]
assert sorted(ids) == list(range(12)), ids
for i in range(12):   # exactly one completed run per trial (cut-off ones kept in attempt-N/)
    j = open(os.path.join(exp, "trials", "t%06d" % i, "journal")).read()
    assert j.count("e end status=completed") == 1, (i, j)
PY
    $PY tests/integration/check_results.py "$exp" > /dev/null || fail "$p: results.h5 does not match the journals"
    survived=$((survived + 1))
done
echo "ok: workers mode survived $survived kill points"
