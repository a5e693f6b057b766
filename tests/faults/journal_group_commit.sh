# Metric lines are group-committed (fsync at most every HPO_JOURNAL_SYNC_MS,
# and at the end of the trial's output), but each is written to the journal
# as soon as it is read: a SIGKILL of the trial runner, of `hpo run` and of
# the trial itself loses none of the reports already in the journal, every
# line there is whole and checksummed, and the run resumes to the full result.
source tests/integration/common.bash
cat > "$TMP/burst.sh" <<'SH'
#!/bin/sh
echo $$ > "$HPO_TRIAL_DIR/pid"
if [ -e "$HPO_TRIAL_DIR/../../../second" ]; then n=3; else n=50000; fi
awk -v n=$n 'BEGIN { for (i = 0; i < n; i++) printf "step=%d loss=%.17g\n", i, 1 / (i + 1) }'
[ -e "$HPO_TRIAL_DIR/../../../second" ] || sleep 1000
SH
chmod +x "$TMP/burst.sh"
one_trial_spec '[./burst.sh, "{x}"]'
exp=$TMP/exp
# A long interval: nothing is fsync'd while the burst is read.
(cd "$TMP" && HPO_JOURNAL_SYNC_MS=600000 exec "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) &
run=$!
j=$exp/trials/t000000/journal
for _ in $(seq 1 600); do
    [ -f "$j" ] && [ "$(grep -c ' r [0-9]' "$j")" -ge 50000 ] && break
    sleep 0.1
done
[ "$(grep -c ' r [0-9]' "$j")" -ge 50000 ] || fail "the burst did not reach the journal"
runner=$(pgrep -f "hpo trial $exp 0 0" | head -1)
[ -n "$runner" ] || fail "no trial runner found"
trial=$(cat "$exp/trials/t000000/pid")
kill -9 "$runner" "$run"
kill -9 -- "-$trial" 2>/dev/null || kill -9 "$trial"
wait "$run" 2>/dev/null || true   # it was killed: its status is not the point
$PY - "$j" <<'PY' || fail "the journal lost or tore reports"
import sys
sys.path.insert(0, "tests/integration")
from journal_lines import reports
steps = {s for _, s, _ in reports(sys.argv[1])}
assert steps == set(range(50000)), len(steps)
PY
# The killed attempt is archived; the trial runs again to its end.
touch "$TMP/second"
(cd "$TMP" && "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) || fail "no resume: $(cat "$TMP/out")"
assert_contains "$(cat "$TMP/out")" "budget.max_trials reached (1 trials)" "resumed"
[ "$(grep -c ' r [0-9]' "$exp/trials/t000000/attempt-1/journal")" = 50000 ] || fail "the killed attempt's journal was not kept whole"
echo "ok: 50,000 reports written without fsync survived SIGKILL of runner, hpo run and trial"
