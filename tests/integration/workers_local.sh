# Workers mode on this machine (no Slurm):
#  1. `hpo run` with parallel.mode: workers keeps 4 trials running, every
#     trial planned once, on disk before it runs, and recorded once;
#  2. four `hpo worker` processes racing for the lock over 1,000 trials:
#     unique dense trial ids, one plan each, no torn plan, no lost journal;
#  3. ASHA end to end: promoted trials resume their parents' checkpoints;
#  4. a worker with little time left starts no trial it cannot finish, and
#     the trial it planned runs under the next worker; Slurm's warning
#     signal stops it starting trials, and a trial cut by the time limit
#     resumes from its checkpoint under the next worker;
#  5. bad input: workers mode for a rounds-only algorithm, hpo worker on a
#     rounds experiment, trials_per_gpu without GPU gres: one line, exit 2,
#     nothing written.
source tests/integration/common.bash
cp examples/quadratic/quadratic "$TMP/"

# -- 1 ---------------------------------------------------------------------
sed -e 's/round_size: 8, max_concurrent: 4/mode: workers, max_concurrent: 4/' \
    examples/quadratic/spec.yaml > "$TMP/spec.yaml"
out=$("$HPO" run "$TMP/spec.yaml" --exp "$TMP/run" 2>&1)
assert_contains "$out" "workers mode: 4 trials at once" "hpo run says its mode"
assert_contains "$out" "budget.max_trials reached (40 trials)" "hpo run stop"
assert_eq "$(ls "$TMP/run/rounds/"*.plan | wc -l)" 40 "one plan per trial"
assert_contains "$("$HPO" status "$TMP/run")" "stopped:" "status after the sweep"
$PY tests/integration/check_results.py "$TMP/run" > /dev/null

# -- 2 ---------------------------------------------------------------------
cat > "$TMP/fast.yaml" <<'YAML'
name: race
command: [sh, -c, "echo loss={x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 1000, max_failed: 0}
parallel: {mode: workers, max_concurrent: 2}
YAML
mkdir -p "$TMP/race"
"$HPO" worker "$TMP/race/exp" --spec "$TMP/fast.yaml" --slots 2 --quiet & pids=$!
for i in 1 2 3; do "$HPO" worker "$TMP/race/exp" --spec "$TMP/fast.yaml" --slots 2 2> "$TMP/race/w$i.err" & pids="$pids $!"; done
for p in $pids; do wait "$p" || fail "a racing worker failed: $(cat "$TMP"/race/w*.err)"; done
$PY - "$TMP/race/exp" <<'PY'
import os, sys, h5py, numpy as np
exp = sys.argv[1]
t = h5py.File(os.path.join(exp, "results.h5"), "r")["trials"][:]
assert len(t) == 1000, len(t)
assert (t["trial_id"] == np.arange(1000)).all(), "ids not dense and unique"
assert (t["status"] == b"completed").all(), set(t["status"])
plans = sorted(os.listdir(os.path.join(exp, "rounds")))
assert len([p for p in plans if p.endswith(".plan")]) == 1000, len(plans)
ids = []
for p in plans:
    if not p.endswith(".plan"): continue
    lines = open(os.path.join(exp, "rounds", p)).read().splitlines()
    assert lines[0] == "hpo-plan 1", (p, lines[:2])          # not torn
    trials = [l for l in lines if l.startswith("trial ")]
    assert len(trials) == 1, (p, trials)
    ids.append(int(trials[0].split()[1]))
assert sorted(ids) == list(range(1000)), "a trial planned twice or never"
for i in range(1000):   # each journal: one start, one report, one end
    j = open(os.path.join(exp, "trials", "t%06d" % i, "journal")).read()
    assert j.count(" e start") == 1 and j.count(" r ") == 1 and j.count(" e end ") == 1, (i, j)
print("ok: 4 workers, 1000 trials, ids unique and dense, one plan and one run each")
PY
grep -h "lock held" "$TMP"/race/w*.err

# -- 3 ---------------------------------------------------------------------
mkdir -p "$TMP/curves"
cp examples/curves/curves.py "$TMP/curves/"
sed -e 's/algorithm: {name: hyperband}/algorithm: {name: asha}/' -e 's/max_trials: 138/max_trials: 60/' \
    examples/curves/spec.yaml > "$TMP/curves/spec.yaml"
"$HPO" run "$TMP/curves/spec.yaml" --exp "$TMP/asha" --quiet > /dev/null
$PY - "$TMP/asha" <<'PY'
import os, sys, h5py, numpy as np
exp = sys.argv[1]
f = h5py.File(os.path.join(exp, "results.h5"), "r")
t, c = f["trials"][:], f["curves"][:]
assert len(t) == 60 and (t["status"] == b"completed").all()
kids = t[t["parent_id"] >= 0]
assert len(kids) >= 5, "ASHA promoted almost nothing: %d" % len(kids)
for k in kids:
    p = t[k["parent_id"]]
    assert k["rung"] == p["rung"] + 1 and k["budget"] == 3 * p["budget"], (k, p)
    steps = c[(c["trial_id"] == k["trial_id"]) & (c["metric"] == b"loss")]["step"]
    # resumed from the parent's checkpoint: its epochs continue the parent's
    assert steps.min() == p["budget"] + 1 and steps.max() == k["budget"], (k["trial_id"], steps)
    note = open(os.path.join(exp, "trials", "t%06d" % k["trial_id"], "journal")).read()
    assert "resume" in note, note[:300]
print("ok: ASHA promoted %d trials, each resumed from its parent's checkpoint" % len(kids))
PY

# -- 4 ---------------------------------------------------------------------
cat > "$TMP/slow.yaml" <<'YAML'
name: slow
command: [sh, -c, "sleep 1; echo loss={x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 6}
parallel: {mode: workers, max_concurrent: 1}
YAML
"$HPO" worker "$TMP/slow" --spec "$TMP/slow.yaml" --slots 1 --time 3.5 2> "$TMP/slow.err" \
    || fail "a worker short of time failed: $(cat "$TMP/slow.err")"
assert_contains "$(cat "$TMP/slow.err")" "time left" "the worker says why it stopped starting"
$PY - "$TMP/slow" <<'PY'
import os, sys, h5py
t = h5py.File(os.path.join(sys.argv[1], "results.h5"), "r")["trials"][:]
done = (t["status"] == b"completed").sum()
assert 2 <= done <= 3, t["status"]            # 3.5 s fit 2 or 3 trials of 1 s, never a cut one
assert not (t["status"] == b"cancelled").any(), t["status"]
PY
"$HPO" worker "$TMP/slow" --slots 2 --quiet
assert_eq "$("$HPO" export "$TMP/slow" --csv | grep -c ',completed,')" 6 "the next worker finished the sweep"

# -- 4b: Slurm's warning signal, then the time limit ------------------------
# SIGUSR2 makes the worker start nothing more and pass the signal on; the
# trial keeps training; SIGTERM (Slurm at the limit) cuts it, and the next
# worker resumes it from its checkpoint.
cat > "$TMP/warn.yaml" <<YAML
name: warn
command: [$PWD/bench/workers/trial.py, --lr, "{lr}", --width, "{width}", --epochs, "30", --spe, "0.05"]
space:
  lr:    {type: float, low: 1.0e-3, high: 1.0e-1, log: true}
  width: {type: choice, values: [16]}
objective: {metric: loss}
budget: {max_trials: 2}
parallel: {mode: workers, max_concurrent: 1}
YAML
"$HPO" worker "$TMP/warn" --spec "$TMP/warn.yaml" --slots 1 --quiet 2> "$TMP/warn.err" & wpid=$!
for _ in $(seq 1 100); do
    [ "$(cat "$TMP/warn/trials/t000000/journal" 2>/dev/null | grep -c ' r ')" -ge 3 ] && break
    sleep 0.1
done
[ -s "$TMP/warn/trials/t000000/journal" ] || fail "the trial never started: $(cat "$TMP/warn.err")"
kill -USR2 "$wpid"; sleep 0.3; kill -TERM "$wpid"
rc=0; wait "$wpid" || rc=$?
assert_eq "$rc" 130 "a worker stopped by SIGTERM"
[ ! -e "$TMP/warn/trials/t000001" ] || fail "a worker started a trial after the warning"
"$HPO" worker "$TMP/warn" --slots 1 --quiet
$PY - "$TMP/warn" <<'PY'
import os, sys, h5py
exp = sys.argv[1]
f = h5py.File(os.path.join(exp, "results.h5"), "r")
t, c = f["trials"][:], f["curves"][:]
assert len(t) == 2 and (t["status"] == b"completed").all(), t["status"]
steps = sorted(c[c["trial_id"] == 0]["step"])
first = open(os.path.join(exp, "trials", "t000000", "attempt-1", "journal")).read().count(" r ")
# the second attempt went on from the checkpoint: its steps continue the
# first's.  trial.py reports an epoch before it checkpoints it, so a cut
# between the two reruns that one epoch.
assert first >= 3 and first <= steps[0] <= first + 1 and steps[-1] == 30, (first, steps[:3])
print("ok: cut at epoch %d by the time limit, resumed from its checkpoint to 30" % first)
PY

# -- 5 ---------------------------------------------------------------------
sed -e 's/algorithm: {name: random}/algorithm: {name: cmaes}/' "$TMP/spec.yaml" > "$TMP/bad1.yaml"
rc=0; err=$("$HPO" run "$TMP/bad1.yaml" --exp "$TMP/bad1" 2>&1) || rc=$?
assert_eq "$rc" 2 "cmaes in workers mode: exit"
assert_contains "$err" "bad1.yaml:13:19: parallel.mode: cmaes cannot run in workers mode" "cmaes in workers mode"
[ ! -e "$TMP/bad1" ] || fail "a refused spec created its experiment"
rc=0; err=$("$HPO" check "$TMP/bad1.yaml" 2>&1) || rc=$?
assert_eq "$rc" 2 "hpo check agrees"
sed -e 's/mode: workers, //' "$TMP/spec.yaml" > "$TMP/rounds.yaml"
"$HPO" run "$TMP/rounds.yaml" --exp "$TMP/rounds" --quiet > /dev/null
before=$(ls -R "$TMP/rounds" | md5sum)
rc=0; err=$("$HPO" worker "$TMP/rounds" 2>&1) || rc=$?
assert_eq "$rc" 2 "hpo worker on a rounds experiment: exit"
assert_contains "$err" "this experiment runs in rounds, so it has no workers" "hpo worker on rounds"
assert_eq "$(ls -R "$TMP/rounds" | md5sum)" "$before" "nothing written"
printf 'slurm: {gres: "shard:2"}\n' >> "$TMP/spec.yaml"
sed -i 's/mode: workers, max_concurrent: 4/mode: workers, max_concurrent: 4, trials_per_gpu: 2/' "$TMP/spec.yaml"
rc=0; err=$("$HPO" check "$TMP/spec.yaml" 2>&1) || rc=$?
assert_eq "$rc" 2 "trials_per_gpu without GPU gres: exit"
assert_contains "$err" "parallel.trials_per_gpu" "trials_per_gpu without GPU gres"
echo ok
