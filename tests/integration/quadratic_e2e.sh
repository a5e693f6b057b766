# End to end: `hpo run` on examples/quadratic finishes its 40 trials, finds
# a config near the known optimum, and `hpo best` / `hpo export` / h5py all
# see the same results as the journals.  Ingesting again changes nothing;
# `hpo rebuild` after deleting results.h5 gives the same tables.
source tests/integration/common.bash
EXP=$TMP/quad
out=$("$HPO" run examples/quadratic/spec.yaml --exp "$EXP" 2>"$TMP/progress")
assert_contains "$out" "stopped: budget.max_trials reached (40 trials)" "run summary"
assert_contains "$(cat "$TMP/progress")" "trials 40/40 done, 0 failed" "progress lines"

# Known optimum: loss 0 at x=1.5, lr=0.01, n=7, kind=b.  With seed 7, 40
# random trials get within loss 1.1 (trial 26: loss 1.016, kind b).
best=$("$HPO" best "$EXP" -n 5)
echo "$best"
[ "$(echo "$best" | wc -l)" -eq 6 ] || fail "hpo best -n 5 prints a header and 5 rows"
loss=$(echo "$best" | awk 'NR==2 {print $3}')
kind=$(echo "$best" | awk 'NR==2 {print $7}')
awk -v l="$loss" 'BEGIN { exit !(l < 1.1) }' || fail "best loss $loss is not within 1.1 of the optimum"
assert_eq "$kind" "b" "best kind"
assert_contains "$out" "best: trial $(echo "$best" | awk 'NR==2 {print $2}'), loss = $loss" "run prints the best"

csv=$("$HPO" export "$EXP" --csv)
assert_eq "$(echo "$csv" | head -1)" "trial_id,round,array_index,parent_id,status,objective,budget,runtime_s,exit_code,signal,node,reason,x,lr,n,kind" "csv header"
assert_eq "$(echo "$csv" | tail -n +2 | wc -l)" 40 "csv rows"
assert_eq "$(echo "$csv" | grep -c ',completed,')" 40 "completed rows"
curves=$("$HPO" export "$EXP" --csv --curves)
assert_eq "$(echo "$curves" | tail -n +2 | wc -l)" 200 "curve rows (40 trials x 5 steps)"

status=$("$HPO" status "$EXP")
assert_contains "$status" "40 completed, 0 failed" "status"

$PY tests/integration/check_results.py "$EXP"

# Ingesting again (a second run of the finished sweep) changes nothing.
$PY tests/integration/check_results.py "$EXP" --digest > "$TMP/before"
out2=$("$HPO" run examples/quadratic/spec.yaml --exp "$EXP" 2>/dev/null)
assert_contains "$out2" "stopped: budget.max_trials reached (40 trials)" "second run"
$PY tests/integration/check_results.py "$EXP" --digest > "$TMP/after"
diff "$TMP/before" "$TMP/after" || fail "a second ingest changed results.h5"

# A rebuild from plans and journals gives the same tables.
rm "$EXP/results.h5"
"$HPO" rebuild "$EXP"
$PY tests/integration/check_results.py "$EXP" --digest > "$TMP/rebuilt"
diff "$TMP/before" "$TMP/rebuilt" || fail "hpo rebuild gave different tables"

# The same spec and seed give the same configs in a new experiment.
"$HPO" run examples/quadratic/spec.yaml --exp "$TMP/quad2" --quiet >/dev/null
for r in 0 1 2 3 4; do
    cmp "$EXP/rounds/r000$r.plan" "$TMP/quad2/rounds/r000$r.plan" || fail "round $r plan differs between runs"
done
echo "ok"

# A damaged results.h5 (the published snapshot) is published again from
# the writer's working file; a damaged working file is rebuilt from the
# plans and journals.  Either way nothing is lost and nothing is left behind.
head -c 4096 /dev/urandom > "$EXP/results.h5"
out3=$("$HPO" run examples/quadratic/spec.yaml --exp "$EXP" --quiet 2>"$TMP/err3")
assert_contains "$(cat "$TMP/err3")" "publishing it again from" "damage of results.h5 is reported"
assert_eq "$(wc -l < "$TMP/err3")" 1 "one line on stderr"
assert_contains "$out3" "stopped: budget.max_trials reached (40 trials)" "run after damage"
$PY tests/integration/check_results.py "$EXP" --digest > "$TMP/recovered"
diff "$TMP/before" "$TMP/recovered" || fail "recovery lost or changed results"
head -c 4096 /dev/urandom > "$EXP/.results.work.h5"
out4=$("$HPO" run examples/quadratic/spec.yaml --exp "$EXP" --quiet 2>"$TMP/err4")
assert_contains "$(cat "$TMP/err4")" "rebuilding it from plans and journals" "damage of the working file is reported"
assert_contains "$out4" "stopped: budget.max_trials reached (40 trials)" "run after damage"
$PY tests/integration/check_results.py "$EXP" --digest > "$TMP/recovered"
diff "$TMP/before" "$TMP/recovered" || fail "recovery lost or changed results"
litter=$(ls -A "$EXP" | awk '!/^(spec.yaml|experiment|lock|rounds|trials|results.h5|.results.work.h5)$/')
[ -z "$litter" ] || fail "left behind in the experiment: $litter"
echo "ok: damaged file recovered"
