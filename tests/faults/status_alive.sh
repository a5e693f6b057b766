# hpo status counts running trials from what is alive (the trial locks
# their runners hold), not from what results.h5 last recorded: while trials
# run it says so, and after everything was killed (a crash) it says 0
# running, however results.h5 was left.
source tests/integration/common.bash
make_wait_trial
printf 'name: alive\ncommand: [./wait.sh, "{x}"]\nspace:\n  x: {type: float, low: 0, high: 1}\nobjective: {metric: loss}\nbudget: {max_trials: 4}\nparallel: {round_size: 4, max_concurrent: 2}\n' > "$TMP/spec.yaml"
exp=$TMP/exp
(cd "$TMP" && exec "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) &
run=$!
trap 'kill -9 $run 2>/dev/null || :; touch "$exp/go"; sleep 0.3; rm -rf "$TMP"' EXIT
for _ in $(seq 1 600); do
    [ "$(ls "$exp"/trials/t*/ready 2>/dev/null | wc -l)" = 2 ] && [ -f "$exp/results.h5" ] && break
    sleep 0.05
done
[ "$(ls "$exp"/trials/t*/ready 2>/dev/null | wc -l)" = 2 ] || fail "the first two trials did not start"
# results.h5 is published within about a second of the round's planning
for _ in $(seq 1 600); do "$HPO" status "$exp" | grep -q "4 of 4 planned" && break; sleep 0.05; done
assert_contains "$("$HPO" status "$exp")" "0 completed, 0 failed, 0 pruned, 2 running, 2 waiting" "while two run"
# A crash: hpo run, the runners and the trials all killed at once.
runners=$(pgrep -f "hpo trial $exp " | tr '\n' ' ')
trials=$(cat "$exp"/trials/t*/pid | tr '\n' ' ')
kill -9 $run $runners $trials
wait "$run" 2>/dev/null || true   # killed: its status is not the point
assert_contains "$("$HPO" status "$exp")" "0 running, 4 waiting" "after the crash"
assert_contains "$("$HPO" status "$exp" --json)" '"running": 0, "waiting": 4' "after the crash (json)"
# And the sweep resumes to its end.
touch "$exp/go"
(cd "$TMP" && "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) || fail "no resume: $(cat "$TMP/out")"
assert_contains "$("$HPO" status "$exp")" "4 completed, 0 failed, 0 pruned, 0 running, 0 waiting" "at the end"
echo "ok: running counted from live trial locks, during a sweep and after a crash"
