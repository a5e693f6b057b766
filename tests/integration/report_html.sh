# `hpo report EXP -o report.html`, checked in a real browser (Debian's
# headless Chromium) on four real sweeps:
#   quadratic  examples/quadratic (random search, 40 trials)
#   playbook   failing trials (two reasons), a scientific choice, and GPUs
#              handed out by the local executor (CUDA_VISIBLE_DEVICES=0,1),
#              also reported while it still runs
#   curves     examples/curves with one Hyperband iteration (rungs)
#   pbt        population based training (the lineage chart)
# For each report: Chromium loads it with no script error (the page's own
# inline script records window.onerror in a DOM attribute, read back with
# --dump-dom) and its charts are there: #best-so-far, #best-vs-gpu-hours,
# #curves, one #scatter-P per parameter, #parallel, #top-trials, #failures
# (and #lineage for PBT); a screenshot is a PNG of the window's size; the
# page names nothing outside itself; its best is `hpo best`'s.  And the
# playbook flags appear in `hpo status`, one line each.
# Chromium is required: without it this test fails, saying how to install it.
source tests/integration/common.bash

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (Debian: apt-get install -y chromium; it is in make deps)"

# Headless, offline, and without any of the browser's own network traffic.
browser() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-extensions \
        --user-data-dir="$TMP/chrome" "$@" 2>>"$TMP/chrome.log"
}

# check_report NAME EXP PARAM... : render EXP's report and check it.
check_report() {
    local name=$1 exp=$2; shift 2
    local html="$TMP/$name.html"
    "$HPO" report "$exp" -o "$html" > "$TMP/$name.out" || fail "$name: hpo report failed"
    assert_contains "$(cat "$TMP/$name.out")" "report: $html" "$name: hpo report says where"
    # Self-contained: nothing is fetched, linked or loaded from anywhere.
    if grep -Eq 'https?:|src=|href=|@import|url\(' "$html"; then
        fail "$name: the report refers to something outside itself: $(grep -Eo '.{20}(https?:|src=|href=|@import|url\().{20}' "$html" | head -3)"
    fi
    browser --dump-dom "file://$html" > "$TMP/$name.dom" || fail "$name: chromium --dump-dom failed: $(tail -5 "$TMP/chrome.log")"
    grep -q 'data-loaded="1"' "$TMP/$name.dom" || fail "$name: the page did not finish loading in chromium"
    if grep -q 'data-js-error="' "$TMP/$name.dom"; then
        fail "$name: script error in chromium: $(grep -o 'data-js-error="[^"]*"' "$TMP/$name.dom")"
    fi
    local id
    for id in best-so-far best-vs-gpu-hours curves parallel; do
        grep -q "<svg id=\"$id\"" "$TMP/$name.dom" || fail "$name: no <svg id=\"$id\"> in the rendered page"
    done
    local p
    for p in "$@"; do
        grep -q "<svg id=\"scatter-$p\"" "$TMP/$name.dom" || fail "$name: no scatter plot of parameter $p"
    done
    [ "$(grep -o '<svg id="scatter-' "$TMP/$name.dom" | wc -l)" = $# ] || fail "$name: not one scatter per parameter"
    grep -q '<table id="top-trials"' "$TMP/$name.dom" || fail "$name: no top-trials table"
    grep -q '<section id="failures"' "$TMP/$name.dom" || fail "$name: no failures section"
    grep -q '<section id="playbook"' "$TMP/$name.dom" || fail "$name: no playbook section"
    # The report's best is `hpo best`'s.
    local best report_best
    best=$("$HPO" best "$exp" -n 1 | awk 'NR == 2 { print $2 }')
    report_best=$(grep -o '<td id="best">trial [0-9]*' "$TMP/$name.dom" | grep -o '[0-9]*$')
    assert_eq "$report_best" "$best" "$name: the report's best trial"
    # A screenshot of the page: a PNG of the window's size, not blank.
    browser --screenshot="$TMP/$name.png" --window-size=1400,4000 --hide-scrollbars "file://$html" > /dev/null \
        || fail "$name: chromium --screenshot failed: $(tail -5 "$TMP/chrome.log")"
    $PY - "$TMP/$name.png" <<'PY' || fail "$name: the screenshot is not a sensible PNG"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1400, 4000), (w, h)
assert len(data) > 50_000, "%d bytes: a blank page?" % len(data)
PY
}

# --- quadratic: the example, random search ---
"$HPO" run examples/quadratic/spec.yaml --exp "$TMP/quadratic" --quiet > /dev/null
check_report quadratic "$TMP/quadratic" x lr n kind
grep -q "compute hours (no trial had a GPU)" "$TMP/quadratic.dom" || fail "quadratic: no GPU, so compute hours, said so"
grep -q '<p id="no-failures">' "$TMP/quadratic.dom" || fail "quadratic: no failure, said so"
grep -q 'id="lineage"' "$TMP/quadratic.dom" && fail "quadratic: a lineage chart for a random search"
# Without -o the report goes into the experiment.
"$HPO" report "$TMP/quadratic" > /dev/null && [ -s "$TMP/quadratic/report.html" ] || fail "hpo report EXP: no EXP/report.html"
# The metric reporter keeps its name and meaning.
out=$("$HPO" report loss=1 2>&1) && fail "hpo report NAME=VALUE outside a trial succeeded"
assert_contains "$out" "HPO_JOURNAL" "hpo report NAME=VALUE is still the metric reporter"
"$HPO" report "$TMP/nonexistent" -o "$TMP/x.html" 2>/dev/null && fail "hpo report of a missing experiment succeeded"

# --- playbook: failures, a scientific parameter, GPUs; read while it runs ---
cat > "$TMP/train.py" <<'PY'
import math, sys, time
lr, opt, wd, pause = float(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
if lr > 0.3:
    print("RuntimeError: loss is nan (diverged)", file=sys.stderr)
    sys.exit(3)
if lr < 0.002:
    sys.exit(0)        # never reports the objective
for step in range(1, 6):
    time.sleep(pause)
    loss = (math.log10(lr) + 2) ** 2 + 10 * wd + {"sgd": 0.3, "adam": 0.0}[opt] + 2 / step
    print("step=%d loss=%r" % (step, loss), flush=True)
PY
cat > "$TMP/playbook.yaml" <<'YAML'
name: playbook
command: [/usr/bin/python3, train.py, "{lr}", "{opt}", "{wd}", "{pause}"]
space:
  lr:    {type: float, low: 1.0e-3, high: 1, log: true}
  opt:   {type: choice, values: [sgd, adam], role: scientific}
  wd:    {type: int, low: 0, high: 3}
  pause: {type: choice, values: ["0.05"], role: fixed}
objective: {metric: loss}
algorithm: {name: random}
budget: {max_trials: 32, max_failed: 0}
parallel: {round_size: 8, max_concurrent: 4}
seed: 5
YAML
CUDA_VISIBLE_DEVICES=0,1 "$HPO" run "$TMP/playbook.yaml" --exp "$TMP/playbook" --quiet > "$TMP/playbook.out" 2>&1 &
pid=$!
live=0
while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$TMP/playbook/results.h5" ] && "$HPO" report "$TMP/playbook" -o "$TMP/live.html" > /dev/null 2>"$TMP/live.err"; then
        grep -q 'running (or not driven since)' "$TMP/live.html" && live=$((live + 1))
    fi
    sleep 0.2
done
wait "$pid" || fail "the playbook sweep failed: $(cat "$TMP/playbook.out")"
[ "$live" -gt 0 ] || fail "hpo report never read the sweep while it ran: $(cat "$TMP/live.err")"
check_report playbook "$TMP/playbook" lr opt wd pause
grep -q 'GPU-hours (runtime x GPUs' "$TMP/playbook.dom" || fail "playbook: trials had GPUs: GPU-hours"
grep -q '<table id="failures-table"' "$TMP/playbook.dom" || fail "playbook: no failures table"
grep -q 'RuntimeError: loss is nan (diverged)' "$TMP/playbook.dom" || fail "playbook: the divergence reason"
grep -q "objective metric 'loss' was never reported" "$TMP/playbook.dom" || fail "playbook: the never-reported reason"
$PY - "$TMP/playbook/results.h5" "$TMP/playbook.dom" <<'PY' || fail "playbook: failure counts"
import re, sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
dom = open(sys.argv[2]).read()
rows = re.findall(r'<tr><td>failed</td><td>([^<]*)</td><td class="n">(\d+)</td>', dom)
got = {reason: int(n) for reason, n in rows}
want = {}
for row in t[t["status"] == b"failed"]:
    want[row["reason"].decode()] = want.get(row["reason"].decode(), 0) + 1
assert got == {k.replace("'", "&#39;"): v for k, v in want.items()} or got == want, (got, want)
assert len(want) == 2, want
PY
grep -q '<table class="sci" id="scientific-opt"' "$TMP/playbook.dom" || fail "playbook: no table for the scientific opt"
status=$("$HPO" status "$TMP/playbook")
assert_contains "$status" "playbook:   scientific opt: best loss per value, over the nuisance parameters: sgd " \
    "status: the scientific parameter, one line"
# wd costs 10 a unit, so the best has wd = 0, its lower bound (the chance
# that none of ~20 completed trials drew it is 0.75^20): flagged, in status
# and report alike.
flag="the search space may be too small: wd = 0 is within 5% of its lower bound 0"
assert_contains "$status" "playbook:   $flag" "status: the boundary flag"
grep -qF "$flag" "$TMP/playbook.dom" || fail "playbook: the boundary flag in the report"

# --- curves: Hyperband, one iteration (69 trials), coloured by rung ---
cp examples/curves/curves.py "$TMP/"
sed -e 's/max_trials: 138/max_trials: 69/' examples/curves/spec.yaml > "$TMP/curves.yaml"
"$HPO" run "$TMP/curves.yaml" --exp "$TMP/curves" --quiet > /dev/null
check_report curves "$TMP/curves" lr momentum width act
grep -q 'coloured by rung' "$TMP/curves.dom" || fail "curves: rung colours"
grep -q '>rung 3<' "$TMP/curves.dom" || fail "curves: no legend for rung 3"

# --- pbt: members x generations ---
cat > "$TMP/pbt.py" <<'PY'
import json, math, os, sys
epochs, rate, opt = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
q = 0.3 * math.exp(-math.log(rate / 0.3) ** 2) * {"a": 0.5, "b": 1.0, "c": 0.75}[opt]
epoch, loss = 0, 1.0
resume = os.environ.get("HPO_RESUME_FROM")
if resume and os.path.exists(os.path.join(resume, "state.json")):
    state = json.load(open(os.path.join(resume, "state.json")))
    epoch, loss = state["epoch"], state["loss"]
while epoch < epochs:
    epoch += 1
    loss *= 1 - q
    json.dump({"epoch": epoch, "loss": loss}, open(os.path.join(os.environ["HPO_CHECKPOINT_DIR"], "state.json"), "w"))
    print("step=%d loss=%r" % (epoch, loss), flush=True)
PY
cat > "$TMP/pbt.yaml" <<'YAML'
name: pbt
command: [/usr/bin/python3, pbt.py, "{epochs}", "{rate}", "{opt}"]
space:
  rate: {type: float, low: 0.01, high: 1, log: true}
  opt:  {type: choice, values: [a, b, c]}
objective: {metric: loss}
fidelity: {param: epochs, min: 1, max: 8}
algorithm: {name: pbt, population_size: 6, perturbation_interval: 2}
parallel: {max_concurrent: 6}
seed: 3
YAML
"$HPO" run "$TMP/pbt.yaml" --exp "$TMP/pbt" --quiet > /dev/null
check_report pbt "$TMP/pbt" rate opt
grep -q '<svg id="lineage"' "$TMP/pbt.dom" || fail "pbt: no lineage chart"
# 6 members x 4 generations: a node per trial, an edge per trial with a parent.
$PY - "$TMP/pbt/results.h5" "$TMP/pbt.dom" <<'PY' || fail "pbt: lineage nodes and edges"
import re, sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
dom = open(sys.argv[2]).read()
lineage = dom[dom.index('<svg id="lineage"'):]
lineage = lineage[:lineage.index("</svg>")]
nodes = lineage.count('<circle class="node"')
edges = len(re.findall(r'<line class="(cont|exploit)"', lineage))
assert nodes == len(t) == 24, (nodes, len(t))
assert edges == int((t["parent_id"] >= 0).sum()) == 18, edges
assert '<line class="exploit"' in lineage, "no exploit edge"
PY
echo ok
