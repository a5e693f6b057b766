# `hpo report` at scale: a finished sweep of 10,000 trials x 100 curve
# points (bench/ingest/make_experiment.py --shaped, then `hpo rebuild`: a
# best region, and 7% failed trials), checked in headless Chromium.
#   - the page loads with no console message at all (Chromium's log of the
#     page's console, which also carries script and CSP errors) and no
#     script error recorded by the page itself;
#   - it stays small: at most 3 MB and 5,000 SVG elements (every trial
#     drawn was 22 MB and 120,000 elements);
#   - every chart summarises, and says so: the curves are the top 20 lines
#     over a quantile band; each scatter shows density cells or a box per
#     value, the best 50 as dots, failures as bars; progress has bars per
#     column and the best-so-far line drawn last, on top; parallel
#     coordinates draw at most 300 lines and the caption says it sampled;
#   - a summarised element's tooltip says what it summarises;
#   - the trials drawn one by one are in the top-trials tables.
# And a 100-trial sweep is still drawn trial by trial.  No timings here:
# size and speed are measured in bench/report.
source tests/integration/common.bash

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (Debian: apt-get install -y chromium; it is in make deps)"
MAKE_EXP=${HPO_REPO:-$PWD}/bench/ingest/make_experiment.py

# dump NAME: render $TMP/NAME.html, the DOM to $TMP/NAME.dom, the browser's
# log (with the page's console) to $TMP/NAME.log.
dump() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-extensions \
        --enable-logging=stderr --v=0 --user-data-dir="$TMP/chrome" \
        --dump-dom "file://$TMP/$1.html" > "$TMP/$1.dom" 2> "$TMP/$1.log" \
        || fail "$1: chromium --dump-dom failed: $(tail -5 "$TMP/$1.log")"
    grep -q 'data-loaded="1"' "$TMP/$1.dom" || fail "$1: the page did not finish loading in chromium"
    if grep -q 'data-js-error="' "$TMP/$1.dom"; then
        fail "$1: script error: $(grep -o 'data-js-error="[^"]*"' "$TMP/$1.dom")"
    fi
    if grep -q ':CONSOLE' "$TMP/$1.log"; then
        fail "$1: the page wrote to the console: $(grep ':CONSOLE' "$TMP/$1.log" | head -3)"
    fi
}

$PY "$MAKE_EXP" "$TMP/big" --trials 10000 --points 100 --shaped
"$HPO" rebuild "$TMP/big" > /dev/null
"$HPO" report "$TMP/big" -o "$TMP/big.html" > /dev/null || fail "hpo report of 10,000 trials failed"
dump big
best=$("$HPO" best "$TMP/big" -n 1 | awk 'NR == 2 { print $2 }')

$PY - "$TMP/big.html" "$TMP/big.dom" "$TMP/big/results.h5" "$best" <<'PY' || fail "the 10,000-trial report"
import math, os, re, sys
import h5py
html, dom, h5, best = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4])
t = h5py.File(h5, "r")["trials"][:]
completed = int((t["status"] == b"completed").sum())
failed = int((t["status"] == b"failed").sum())
assert len(t) == 10000 and failed > 500, (len(t), failed)

size = os.path.getsize(html)
assert size <= 3_000_000, "report.html is %d bytes" % size

def svg(id):
    m = re.search(r'<svg id="%s".*?</svg>' % re.escape(id), dom, re.S)
    assert m, "no <svg id=%s>" % id
    return m.group(0)

svgs = re.findall(r"<svg\b.*?</svg>", dom, re.S)
elements = sum(len(re.findall(r"<[a-z]", s)) for s in svgs)
assert 500 < elements <= 5000, "%d SVG elements" % elements

# Curves: the top 20 as lines (here no trial resumed another), one median
# line, a quantile bar per step with a tooltip that says what it holds.
c = svg("curves")
lines = re.findall(r'<polyline class="(bold|mid|median|faint)"', c)
assert lines.count("bold") == 5 and lines.count("mid") == 15 and lines.count("median") == 1, lines
assert "faint" not in lines
bands = re.findall(r'<rect class="band"[^>]*><title>([^<]*)</title>', c)
assert len(bands) == 100, len(bands)   # steps 0..99, one bar each
assert all(re.match(r"step \d+: \d+ trials reported loss; median [-0-9.e]+, 10-90% quantiles", b) for b in bands), bands[:3]
assert re.search(r'id="curves".*?</svg>\s*<figcaption>\d+ reports of loss by 10000 trials\. Too many to draw one '
                 r'by one: the top 20 trials are lines', dom, re.S), "the curves' caption"

# Progress: bars, record dots, and the best-so-far line drawn last.
for id in ("best-so-far", "best-vs-gpu-hours"):
    p = svg(id)
    bins = re.findall(r'<g class="bin"[^>]*><title>(\d+) completed trials', p)
    assert 10 <= len(bins) <= 60, (id, len(bins))
    assert sum(map(int, bins)) == completed, (id, sum(map(int, bins)), completed)
    dots = len(re.findall(r"<circle ", p))
    assert 1 <= dots <= 100, (id, dots)
    assert p.rindex('<polyline class="step"') > max(p.rindex("<circle "), p.rindex('<g class="bin"')), id

# Scatters: density cells for lr, a box per value for layers and opt, the
# best 50 as dots, the best circled, failures as bars whose counts add up.
for param, kind, n in (("lr", "cell", None), ("layers", "box", 8), ("opt", "box", 3)):
    s = svg("scatter-" + param)
    assert "<circle class=\"dot\"" not in s, param + ": every trial a dot"
    if kind == "box":
        boxes = re.findall(r'<g class="box"><title>([^<]*)</title>', s)
        assert len(boxes) == n, (param, len(boxes))
        counts = [int(re.search(r": (\d+) completed trials", b).group(1)) for b in boxes]
        assert sum(counts) == completed, (param, sum(counts), completed)
        assert all("median" in b and "quartiles" in b for b in boxes)
    else:
        cells = re.findall(r'<rect class="cell"[^>]*><title>(\d+) completed trials with lr from', s)
        assert 50 <= len(cells) <= 32 * 18, (param, len(cells))
        assert sum(map(int, cells)) == completed, (param, sum(map(int, cells)), completed)
    assert len(re.findall(r'<circle class="dot topdot"', s)) == 50, param
    assert len(re.findall(r'<circle class="best"', s)) == 1, param
    fails = re.findall(r'<rect class="failbar"[^>]*><title>(\d+) failed trials with', s)
    assert sum(map(int, fails)) == failed, (param, fails, failed)
    assert len(re.findall(r'<path class="fail"', s)) == 0, param

# Parallel coordinates: the top 20% of the configs, at most 300 lines, and
# the caption says that it sampled.
pc = svg("parallel")
n_pc = len(re.findall(r'<path class="pc"', pc))
top = math.ceil(0.2 * completed)
assert top > 300 and 200 <= n_pc <= 300, (top, n_pc)
assert re.search(r"sampled: of the top %d configs, the best 100 are drawn" % top, dom), "no sampling caption"

# The trials drawn one by one are reachable from the tables: the top 5,
# then ranks 6 to 50.
assert re.search(r'<td id="best">trial %d:' % best, dom), "the best is not hpo best's"
more = re.search(r'<table id="top-trials-more">.*?</table>', dom, re.S)
assert more and len(re.findall(r"<tr><td class=\"n\">", more.group(0))) == 45, "ranks 6 to 50"
PY

# --- 100 trials: still every trial drawn ---
$PY "$MAKE_EXP" "$TMP/small" --trials 100 --points 20 --shaped --round-size 50
"$HPO" rebuild "$TMP/small" > /dev/null
"$HPO" report "$TMP/small" -o "$TMP/small.html" > /dev/null || fail "hpo report of 100 trials failed"
dump small
$PY - "$TMP/small.dom" "$TMP/small/results.h5" <<'PY' || fail "the 100-trial report"
import re, sys
import h5py
dom = open(sys.argv[1]).read()
t = h5py.File(sys.argv[2], "r")["trials"][:]
completed = int((t["status"] == b"completed").sum())
failed = int((t["status"] == b"failed").sum())
for param in ("lr", "layers", "opt"):
    s = re.search(r'<svg id="scatter-%s".*?</svg>' % param, dom, re.S).group(0)
    assert len(re.findall(r'<circle class="dot"', s)) == completed, param
    assert len(re.findall(r'<path class="fail"', s)) == failed, param
    assert not re.search(r'class="(cell|box|topdot|failbar)"', s), param
c = re.search(r'<svg id="curves".*?</svg>', dom, re.S).group(0)
assert len(re.findall(r'<polyline class="(faint|bold)"', c)) == 100 and 'class="band"' not in c
p = re.search(r'<svg id="best-so-far".*?</svg>', dom, re.S).group(0)
assert len(re.findall(r'<circle class="dot"', p)) == completed and 'class="bin"' not in p
assert '<table id="top-trials-more">' not in dom
PY
echo ok
