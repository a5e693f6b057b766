# Failing trials are recorded with a status and a reason and the sweep goes
# on; budget.max_failed stops it with a reason naming the failures.  NaN
# objectives are recorded but never chosen as best.
source tests/integration/common.bash
cat > "$TMP/obj.sh" <<'SH'
#!/bin/sh
# x < 0.3: reports NaN; 0.3-0.5: fine; 0.5-0.7: exits 1; >0.7: never reports
case "$1" in
  0.[0-2]*) echo "loss=nan" ;;
  0.[3-4]*) echo "loss=$1" ;;
  0.[5-6]*) echo "boom at $1" >&2; exit 1 ;;
  *) echo "nothing to say" ;;
esac
SH
chmod +x "$TMP/obj.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: failures
command: [./obj.sh, "{x}"]
space:
  x: {type: float, low: 0.0, high: 0.99}
objective: {metric: loss, mode: min}
budget: {max_trials: 60, max_failed: 6}
parallel: {round_size: 4, max_concurrent: 2}
seed: 3
YAML
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" > "$TMP/out" 2>&1
cat "$TMP/out"
assert_contains "$(cat "$TMP/out")" "stopped: budget.max_failed reached" "max_failed stops the sweep"
status=$("$HPO" status "$TMP/exp")
echo "$status"
assert_contains "$status" "(failed): exit code 1: boom at 0." "exit 1 recorded with stderr's last line"
assert_contains "$status" "(failed): objective metric 'loss' was never reported" "silent trial recorded"
$PY tests/integration/check_results.py "$TMP/exp"
$PY - "$TMP/exp/results.h5" <<'PY'
import sys, math, h5py
f = h5py.File(sys.argv[1], "r")
t = f["trials"][:]
x = f["config/x"][:]
nan_rows = [i for i in range(len(t)) if x[i] < 0.3]
assert nan_rows, "the seed must produce a NaN-reporting trial"
for i in nan_rows:
    assert t[i]["status"] == b"completed" and math.isnan(t[i]["objective"]), t[i]
fail = [i for i in range(len(t)) if t[i]["status"] == b"failed"]
assert len(fail) >= 6, len(fail)   # the round in which the 6th failed ends first
assert all(t[i]["exit_code"] == 1 for i in fail if 0.5 <= x[i] < 0.7)
print("ok: %d NaN trials completed, %d failed" % (len(nan_rows), len(fail)))
PY
best=$("$HPO" best "$TMP/exp" -n 100)
if echo "$best" | awk 'NR>1 {print $3}' | grep -qi nan; then fail "a NaN objective was ranked"; fi
echo ok
