# Ctrl-C cancels a sweep cleanly and a second `hpo run` resumes it; so does
# a SIGKILL of `hpo run` itself.  Either way the sweep ends with exactly the
# plans of an uninterrupted run with the same seed, every trial completed
# once, and the cancelled attempt kept in the trial's attempt-1/.
source tests/integration/common.bash
cat > "$TMP/slow.sh" <<'SH'
#!/bin/sh
for s in 1 2 3; do sleep 0.4; echo "step=$s loss=$1"; done
SH
chmod +x "$TMP/slow.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: slow
command: [./slow.sh, "{x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 8}
parallel: {round_size: 4, max_concurrent: 2}
seed: 11
YAML

# Wait until at least `n` trials of EXP have a result file.
wait_results() {
    for _ in $(seq 1 200); do
        [ "$(ls "$1"/trials/*/result 2>/dev/null | wc -l)" -ge "$2" ] && return 0
        sleep 0.05
    done
    fail "no $2 results in $1"
}

# 1. Ctrl-C (SIGINT to the whole process group, as a terminal sends it).
setsid "$HPO" run "$TMP/spec.yaml" --exp "$TMP/a" > "$TMP/a.out" 2>&1 &
pid=$!
wait_results "$TMP/a" 1
sleep 0.3
kill -INT -- -"$pid"
rc=0; wait "$pid" || rc=$?
assert_eq "$rc" 130 "exit status after Ctrl-C"
assert_contains "$(cat "$TMP/a.out")" "interrupted" "Ctrl-C message"
$PY tests/integration/check_results.py "$TMP/a"     # still a valid, consistent file
cancelled=$(grep -l '^status=cancelled' "$TMP"/a/trials/*/result | wc -l)
[ "$cancelled" -ge 1 ] || fail "no trial was recorded as cancelled"
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/a" --quiet > "$TMP/a2.out"
assert_contains "$(cat "$TMP/a2.out")" "budget.max_trials reached (8 trials)" "resumed sweep ends"
[ "$(ls -d "$TMP"/a/trials/*/attempt-1 | wc -l)" -eq "$cancelled" ] || fail "cancelled attempts not kept"

# 2. SIGKILL of hpo run alone: its trial runners finish on their own, and
# the resumed run waits for them instead of running them twice.
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/b" > "$TMP/b.out" 2>&1 &
pid=$!
wait_results "$TMP/b" 3
kill -KILL "$pid"
wait "$pid" || true   # killed on purpose; its status is not the test
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/b" --quiet > "$TMP/b2.out"
assert_contains "$(cat "$TMP/b2.out")" "budget.max_trials reached (8 trials)" "resumed after SIGKILL"

# 3. The reference: one uninterrupted run.
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/c" --quiet > /dev/null
for exp in a b; do
    for r in r0000 r0001; do
        cmp "$TMP/$exp/rounds/$r.plan" "$TMP/c/rounds/$r.plan" || fail "$exp: $r differs from the uninterrupted run"
    done
    [ ! -e "$TMP/$exp/rounds/r0002.plan" ] || fail "$exp: an extra round was planned"
    $PY tests/integration/check_results.py "$TMP/$exp"
    n=$("$HPO" export "$TMP/$exp" --csv | grep -c ',completed,')
    assert_eq "$n" 8 "$exp: completed trials"
    # every trial ran to the end exactly once: three reports in its journal
    for j in "$TMP"/$exp/trials/*/journal; do
        assert_eq "$(grep -c ' r [0-9]' "$j")" 3 "reports in $j"
    done
done
[ ! -d "$TMP/b/trials/t000000/attempt-1" ] || fail "a trial that finished after the kill was run again"
echo ok
