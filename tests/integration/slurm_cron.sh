# Cron mode: `hpo drive EXP --once` run again and again drives a sweep to
# its end without ever chaining a driver job; while another process holds
# the experiment it says who and exits 0 having submitted nothing; and two
# run at once never both submit a round.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
make_quadratic_sweep "$TMP/w"
exp=$TMP/exp

# Another holder of the lock (as a running driver would be).
"$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once > "$TMP/first"
assert_contains "$(cat "$TMP/first")" "round 0: submitted 4 trials" "first step"
flock "$exp/lock" sleep 3 &
holder=$!
sleep 0.5
out=$("$HPO" drive "$exp" --once)
assert_contains "$out" "in use by" "second driver says who holds the lock"
assert_contains "$out" "nothing to do" "second driver"
wait "$holder"

# Pairs of drivers at once, until the sweep ends.
conflicts=0
for step in $(seq 1 60); do
    "$HPO" drive "$exp" --once > "$TMP/a" 2>&1 &
    a=$!
    "$HPO" drive "$exp" --once > "$TMP/b" 2>&1 &
    b=$!
    wait "$a" || fail "driver a failed: $(cat "$TMP/a")"
    wait "$b" || fail "driver b failed: $(cat "$TMP/b")"
    # (grep on the files, not cat | grep -q: under pipefail, cat killed by
    # SIGPIPE once grep has its match would read as no match)
    grep -q "nothing to do" "$TMP/a" "$TMP/b" && conflicts=$((conflicts + 1))
    grep -q "sweep stopped" "$TMP/a" "$TMP/b" && break
    [ -z "$(squeue -h -o %j | grep -- '-driver$')" ] || fail "--once chained a driver job"
    sleep 0.5
done
grep -q "sweep stopped" "$TMP/a" "$TMP/b" || fail "the sweep did not end"
for r in 0 1 2; do
    assert_eq "$(grep -c '^array=' "$exp/rounds/r000$r.state")" 1 "arrays submitted for round $r"
done
[ "$conflicts" -ge 1 ] || fail "no pair of drivers ever met on the lock"
assert_each_trial_once "$exp"
$PY tests/integration/check_results.py "$exp"
echo "ok: $step steps, $conflicts times one driver left the other to it"
