# `algorithm: auto` (the default when a spec names none): `hpo check` and
# `hpo run` say which optimizer it picked and why, in one line; a named
# algorithm gets no such line; a sweep under auto runs to its budget.
source tests/integration/common.bash
cat > "$TMP/spec.yaml" <<'YAML'
name: auto
command: [sh, -c, "echo loss={x}"]
space:
  x: {type: float, low: 0, high: 1}
  n: {type: int, low: 1, high: 9}
objective: {metric: loss}
budget: {max_trials: 12}
parallel: {round_size: 4}
YAML
out=$("$HPO" check "$TMP/spec.yaml") || fail "hpo check: $out"
assert_contains "$out" "hpo: algorithm auto: gp (budget of 12 trials, 2 parameters" "check, numeric"
err=$("$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" 2>&1 > /dev/null) || fail "hpo run: $err"
assert_contains "$err" "hpo: algorithm auto: gp (" "run says it"
[ "$(grep -c 'algorithm auto' <<<"$err")" = 1 ] || fail "run says it more than once: $err"
$PY - "$TMP/exp" <<'PY'
import sys, h5py
t = h5py.File(sys.argv[1] + "/results.h5", "r")["trials"][:]
assert len(t) == 12 and (t["status"] == b"completed").all(), t["status"]
PY
# a fidelity: BOHB, asynchronous
sed -e '/^budget:/d' "$TMP/spec.yaml" > "$TMP/fid.yaml"
printf 'fidelity: {param: epochs, min: 1, max: 9, eta: 3}\n' >> "$TMP/fid.yaml"
out=$("$HPO" check "$TMP/fid.yaml") || fail "hpo check fidelity: $out"
assert_contains "$out" "hpo: algorithm auto: bohb (the spec has a fidelity (epochs): BOHB, asynchronous" "check, fidelity"
printf 'name: n\ncommand: [./t]\nspace:\n  x: {type: float, low: 0, high: 1}\nobjective: {metric: loss}\nalgorithm: random\n' \
    > "$TMP/named.yaml"
printf '#!/bin/sh\n' > "$TMP/t" && chmod +x "$TMP/t"   # hpo check wants the program there
out=$("$HPO" check "$TMP/named.yaml") || fail "hpo check named: $out"
grep -q "algorithm auto" <<<"$out" && fail "a named algorithm got the auto line: $out"
echo ok
