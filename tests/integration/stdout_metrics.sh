# The trial runner reads the trial's stdout in large chunks: its stdout
# file is the output byte for byte, every metric line is journalled once
# and in order wherever the chunks cut it, a line longer than 64 KiB is
# kept in the file but not parsed (even one that looks like a report), and
# a last line without a newline still counts.
source tests/integration/common.bash
cat > "$TMP/emit.sh" <<'SH'
#!/bin/sh
awk 'BEGIN {
    for (i = 0; i < 100000; i++) printf "step=%d loss=%.17g\n", i, 1 / (i + 1)
    printf "acc=1"; for (i = 0; i < 70000; i++) printf " "; printf "acc=2\n"
    print "epoch done"
    printf "last=0.25"
}'
SH
chmod +x "$TMP/emit.sh"
"$TMP/emit.sh" > "$TMP/expected"
cat > "$TMP/spec.yaml" <<YAML
name: lines
command: [$TMP/emit.sh, "{x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 1}
YAML
(cd "$TMP" && "$HPO" run spec.yaml --exp "$TMP/exp" --quiet > "$TMP/out" 2>&1) || fail "run: $(cat "$TMP/out")"
dir=$TMP/exp/trials/t000000
cmp "$TMP/expected" "$dir/stdout" || fail "the stdout file is not the trial's output"
$PY - "$dir/journal" <<'PY' || fail "the journal is not the trial's metric lines"
import sys
sys.path.insert(0, "tests/integration")
from journal_lines import reports
reports = reports(sys.argv[1])
loss = [r for r in reports if r[0] == "loss"]
assert [r[1] for r in loss] == list(range(100000)), len(loss)
assert all(v == 1 / (s + 1) for _, s, v in loss)
others = [r for r in reports if r[0] != "loss"]
assert others == [("last", -1, 0.25)], others
PY
echo "ok: 100,000 metric lines across read chunks, a 70 KB line kept but not parsed, a last line without newline"
