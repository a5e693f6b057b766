# The analyst's path: examples/analysis/analyze.py (h5py + pandas +
# matplotlib, Debian's) on real sweeps -- examples/quadratic, and one with
# failures, a conditional int parameter (inactive in some trials) and a
# choice -- checked against hpo itself:
#  - the best row of its DataFrame is `hpo best`'s first (trial, objective);
#  - its joined trials table (--csv) holds, for every trial, the status and
#    config `hpo export --csv` gives: choices decoded from their names,
#    inactive parameters empty;
#  - its plots are a PNG of sensible size.
source tests/integration/common.bash
for mod in h5py pandas matplotlib; do
    $PY -c "import $mod" 2>/dev/null || fail "python3-$mod is missing (Debian: apt-get install -y python3-$mod; it is in make deps)"
done

# check NAME EXP: run analyze.py on EXP and compare with hpo.
check() {
    local name=$1 exp=$2
    $PY examples/analysis/analyze.py "$exp/results.h5" --png "$TMP/$name.png" --csv "$TMP/$name.csv" \
        > "$TMP/$name.out" 2>&1 || fail "$name: analyze.py failed: $(cat "$TMP/$name.out")"
    local best_line want
    best_line=$(grep '^best: trial ' "$TMP/$name.out") || fail "$name: analyze.py printed no best"
    want=$("$HPO" best "$exp" -n 1 | awk 'NR == 2 { printf "best: trial %s loss = %s", $2, $3 }')
    assert_eq "$best_line" "$want" "$name: analyze.py's best vs hpo best"
    "$HPO" export "$exp" --csv > "$TMP/$name.export.csv"
    $PY - "$TMP/$name.csv" "$TMP/$name.export.csv" "$TMP/$name.png" <<'PY' || fail "$name: analyze.py's table or plot"
import math, struct, sys
import pandas as pd
mine = pd.read_csv(sys.argv[1], keep_default_na=False)
theirs = pd.read_csv(sys.argv[2], keep_default_na=False)
assert list(mine["trial_id"]) == list(theirs["trial_id"]) == list(range(len(theirs))), "trial ids"
assert list(mine["status"]) == list(theirs["status"]), "statuses"
params = list(theirs.columns[theirs.columns.get_loc("reason") + 1:])
for p in params:
    for i, (a, b) in enumerate(zip(mine[p], theirs[p])):
        a, b = str(a), str(b)
        if b == "" or a == "":                 # inactive: empty in both
            assert a in ("", "nan", "<NA>", "None") and b == "", (p, i, a, b)
        else:
            try:
                assert math.isclose(float(a), float(b), rel_tol=1e-12), (p, i, a, b)
            except ValueError:                 # a choice: its name
                assert a == b, (p, i, a, b)
data = open(sys.argv[3], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert w >= 800 and h >= 500 and len(data) > 30_000, (w, h, len(data))
PY
}

"$HPO" run examples/quadratic/spec.yaml --exp "$TMP/quadratic" --quiet > /dev/null
check quadratic "$TMP/quadratic"
assert_contains "$(cat "$TMP/quadratic.out")" "by status:  40 completed" "quadratic: the status summary"

cat > "$TMP/train.py" <<'PY'
import sys
lr, opt, layers = float(sys.argv[1]), sys.argv[2], sys.argv[3]
if lr > 0.1:
    print("diverged", file=sys.stderr)
    sys.exit(2)
loss = (lr - 0.1) ** 2 + (0.1 if opt == "sgd" else 0) + (0.01 * int(layers) if layers else 0.05)
for step in range(3):
    print("step=%d loss=%r" % (step, loss + 1 / (step + 1)))
PY
cat > "$TMP/spec.yaml" <<'YAML'
name: mixed
command: [/usr/bin/python3, train.py, "{lr}", "{opt}", "{layers}"]
space:
  lr:     {type: float, low: 0.001, high: 1, log: true}
  opt:    {type: choice, values: [sgd, adam]}
  layers: {type: int, low: 1, high: 4, when: "opt == adam"}
objective: {metric: loss}
budget: {max_trials: 16, max_failed: 0}
seed: 4
YAML
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/mixed" --quiet > /dev/null
check mixed "$TMP/mixed"
assert_contains "$(cat "$TMP/mixed.out")" "failures by reason:" "mixed: failures summarised"
assert_contains "$(cat "$TMP/mixed.out")" "exit code 2: diverged" "mixed: the failure's reason"
echo ok
