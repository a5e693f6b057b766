# The environment a trial sees (README, "The environment of a trial"):
# HPO_* variables, {param} and fidelity placeholders, inactive conditional
# parameters left unset, and GPUs from CUDA_VISIBLE_DEVICES spread over the
# concurrent trials one device each.
source tests/integration/common.bash
cat > "$TMP/env.sh" <<'SH'
#!/bin/sh
env | grep -E '^(HPO_|CUDA_VISIBLE_DEVICES=)' | sort > "$HPO_TRIAL_DIR/env"
printf '%s\n' "$@" > "$HPO_TRIAL_DIR/argv"
pwd > "$HPO_TRIAL_DIR/pwd"
test -d "$HPO_CHECKPOINT_DIR" || exit 3
sleep 0.3
"$HPO_BIN" report --step 1 score=1.5 || exit 4
echo "score=2.5"
SH
chmod +x "$TMP/env.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: envtest
command: ./env.sh --epochs {epochs} --opt {opt} --mom "{momentum}"
space:
  opt:      {type: choice, values: [sgd, adam]}
  momentum: {type: float, low: 0.5, high: 0.9, when: "opt == sgd"}
  layers:   {type: int, low: 1, high: 4}
objective: {metric: score, mode: max}
fidelity: {param: epochs, min: 1, max: 9, eta: 3}
algorithm: random
budget: {max_trials: 8}
parallel: {round_size: 8, max_concurrent: 2}
YAML
HPO_BIN="$HPO" CUDA_VISIBLE_DEVICES=3,5 "$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet >/dev/null
$PY - "$TMP" <<'PY'
import glob, os, sys
tmp = sys.argv[1]
exp = os.path.join(tmp, "exp")
lines = open(os.path.join(exp, "rounds/r0000.plan")).read().splitlines()
assert lines[3] == "params opt momentum layers", lines[3]
gpus = set()
for line in lines[4:]:
    f = line.split()
    tid, budget, opt, mom, layers = int(f[1]), f[4], int(float(f[7])), f[8], f[9]
    d = os.path.join(exp, "trials/t%06d" % tid)
    env = dict(l.split("=", 1) for l in open(os.path.join(d, "env")).read().splitlines())
    assert env["HPO_EXP"] == exp and env["HPO_TRIAL_ID"] == str(tid) and env["HPO_ROUND"] == "0", env
    assert env["HPO_BUDGET"] == "9" == budget, (env["HPO_BUDGET"], budget)
    assert env["HPO_DATA_FRACTION"] == "1"
    assert env["HPO_CHECKPOINT_DIR"] == os.path.join(d, "checkpoint")
    assert env["HPO_JOURNAL"] == os.path.join(d, "journal")
    assert "HPO_RESUME_FROM" not in env
    assert env["HPO_PARAM_opt"] == ["sgd", "adam"][opt]
    assert env["HPO_PARAM_layers"] == layers
    argv = open(os.path.join(d, "argv")).read().splitlines()
    if opt == 0:
        assert env["HPO_PARAM_momentum"] == mom and argv[5] == mom, (env, argv)
    else:
        assert mom == "nan" and "HPO_PARAM_momentum" not in env and argv[5] == "", (env, argv)
    assert argv[:4] == ["--epochs", "9", "--opt", ["sgd", "adam"][opt]], argv
    assert open(os.path.join(d, "pwd")).read().strip() == tmp
    assert env["CUDA_VISIBLE_DEVICES"] in ("3", "5"), env["CUDA_VISIBLE_DEVICES"]
    gpus.add(env["CUDA_VISIBLE_DEVICES"])
assert gpus == {"3", "5"}, gpus
print("ok: 8 trials saw the documented environment; GPUs used:", sorted(gpus))
PY
# `hpo report` and stdout lines land in the same journal: step 1 from the
# command, step 2 continuing it for the unnumbered stdout line.
curves=$("$HPO" export "$TMP/exp" --csv --curves | grep '^0,')
assert_eq "$(echo "$curves" | cut -d, -f1-4 | tr '\n' ' ')" "0,1,score,1.5 0,2,score,2.5 " "curves of trial 0"
assert_eq "$("$HPO" best "$TMP/exp" -n 1 | awk 'NR==2 {print $3}')" "2.5" "objective is the last report"
$PY tests/integration/check_results.py "$TMP/exp"

# fidelity.param data_fraction: the budget reaches the trial as both
# HPO_BUDGET and HPO_DATA_FRACTION (successive halving: 9 trials at 0.1,
# 3 at 0.3, 1 at 0.9).
cat > "$TMP/frac.sh" <<'SH'
#!/bin/sh
echo "$HPO_BUDGET $HPO_DATA_FRACTION $1" > "$HPO_TRIAL_DIR/fraction"
echo "loss=$HPO_DATA_FRACTION"
SH
chmod +x "$TMP/frac.sh"
cat > "$TMP/frac.yaml" <<'YAML'
name: fraction
command: [./frac.sh, "{data_fraction}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss, mode: max}
fidelity: {param: data_fraction, min: 0.1, max: 0.9, eta: 3}
algorithm: sh
budget: {max_trials: 13}
YAML
"$HPO" run "$TMP/frac.yaml" --exp "$TMP/frac" --quiet > /dev/null
got=$(cat "$TMP"/frac/trials/*/fraction | awk '{print $2}' | sort | uniq -c | awk '{print $1 "@" $2}' | tr '\n' ' ')
assert_eq "$got" "9@0.1 3@0.3 1@0.9 " "HPO_DATA_FRACTION per rung"
awk '$1 != $2 || $2 != $3 { exit 1 }' "$TMP"/frac/trials/*/fraction || fail "HPO_BUDGET, HPO_DATA_FRACTION and {data_fraction} disagree"
echo "ok: data_fraction fidelity"

# parallel.trials_per_gpu: 2 trials share each GPU (4 at once on 2 GPUs).
cat > "$TMP/share.sh" <<'SH'
#!/bin/sh
sleep 0.4
echo "loss=1"
SH
chmod +x "$TMP/share.sh"
cat > "$TMP/share.yaml" <<'YAML'
name: share
command: [./share.sh]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 8}
parallel: {round_size: 8, max_concurrent: 4, trials_per_gpu: 2}
YAML
CUDA_VISIBLE_DEVICES=3,5 HPO_CUDART=/nonexistent "$HPO" run "$TMP/share.yaml" --exp "$TMP/share" --quiet > /dev/null
$PY - "$TMP/share/results.h5" <<'PY'
import sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
for dev in ("3", "5"):
    mine = [r for r in t if r["gpu"].decode().split(";")[0] == dev]
    events = sorted([(r["start_time"], 1) for r in mine] + [(r["end_time"], -1) for r in mine], key=lambda e: (e[0], e[1]))
    n = peak = 0
    for _, d in events:
        n += d
        peak = max(peak, n)
    assert peak == 2, (dev, peak)   # two trials at once on each GPU, never more
assert {r["gpu"].decode().split(";")[0] for r in t} == {"3", "5"}
print("ok: trials_per_gpu 2")
PY
