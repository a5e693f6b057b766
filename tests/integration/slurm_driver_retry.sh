# A driver step that fails for a passing reason (here sbatch refusing a
# round's array, as it does while slurmctld restarts or times out) queues
# its own retry after a backoff: the chain goes on, and the sweep finishes
# with every trial run once.  One that keeps failing is retried
# HPO_DRIVER_RETRIES times, then stops and says why in hpo status; started
# again once the cause is gone, it finishes the sweep.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
make_quadratic_sweep "$TMP/w"

# sbatch as the driver finds it on PATH (the CLI backend): each array
# submission takes the next word of $TMP/plan, and fails on "fail".
mkdir "$TMP/bin"
cat > "$TMP/bin/sbatch" <<SH
#!/bin/bash
case " \$* " in
*" --array="*)
    read -r -a words < "$TMP/plan" || words=()
    if [ "\${#words[@]}" -gt 0 ]; then
        echo "\${words[*]:1}" > "$TMP/plan"
        if [ "\${words[0]}" = fail ]; then
            echo "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2
            exit 1
        fi
    fi ;;
esac
exec $(command -v sbatch) "\$@"
SH
chmod +x "$TMP/bin/sbatch"
export PATH=$TMP/bin:$PATH HPO_SLURM_API=cli HPO_DRIVER_RETRY_S=1   # the driver jobs inherit them
driver_jobs() { squeue -h -o %j | grep -c -- '-driver$' || :; }

# ---- one failure: round 1's array is refused once -------------------------
echo "ok fail" > "$TMP/plan"
exp=$TMP/exp
sbatch --chdir="$PWD" --output="$TMP/first.out" slurm/hpo-driver.sh "$exp" "$TMP/w/spec.yaml" > /dev/null
wait_stopped "$exp" 180
assert_eq "$(cat "$TMP/plan")" "" "array submissions the plan saw"
grep -q "Socket timed out" "$exp"/driver-*.log || fail "no driver step met the injected failure"
grep -q "this driver step failed (1 in a row, at most 8): job [0-9]* retries it in 1 s" "$exp"/driver-*.log \
    || fail "the failed step queued no retry: $(cat "$exp"/driver-*.log)"
for r in 0 1 2; do
    assert_eq "$(grep -c '^array=' "$exp/rounds/r000$r.state")" 1 "arrays submitted for round $r"
done
[ ! -e "$exp/driver.failed" ] || fail "a good step left driver.failed: $(cat "$exp/driver.failed")"
grep -q "^driver:" <<<"$("$HPO" status "$exp")" && fail "hpo status still reports a failure"
assert_contains "$("$HPO" status "$exp" --json)" '"driver_failure": null' "hpo status --json after a good step"
assert_each_trial_once "$exp"
$PY tests/integration/check_results.py "$exp"

# ---- a failure that does not pass: retried twice, then it stops -----------
sed -i 's/name: quadslurm/name: quadstuck/' "$TMP/w/spec.yaml"
echo "fail fail fail" > "$TMP/plan"
exp=$TMP/stuck
HPO_DRIVER_RETRIES=2 sbatch --chdir="$PWD" --output="$TMP/first2.out" slurm/hpo-driver.sh "$exp" "$TMP/w/spec.yaml" \
    > /dev/null
for _ in $(seq 1 480); do grep -q '^gave_up=' "$exp/driver.failed" 2>/dev/null && break; sleep 0.25; done
grep -q '^gave_up=2$' "$exp/driver.failed" 2>/dev/null || fail "the chain did not stop: $(cat "$exp"/driver-*.log)"
grep -q '^failures=3$' "$exp/driver.failed" || fail "failures in a row: $(cat "$exp/driver.failed")"
for _ in $(seq 1 120); do [ "$(driver_jobs)" = 0 ] && break; sleep 0.25; done
assert_eq "$(driver_jobs)" 0 "driver jobs queued after it stopped"
status=$("$HPO" status "$exp")
assert_contains "$status" "Socket timed out" "hpo status says why"
assert_contains "$status" "3 failures in a row, retried no more; nothing drives the sweep on" "hpo status"
"$HPO" status "$exp" --json | $PY -c '
import json, sys
f = json.load(sys.stdin)["driver_failure"]
assert f["failures"] == 3 and f["max_failures"] == 2, f
assert "Socket timed out" in f["error"] and f["retry_job"] is None and f["job"].isdigit(), f
' || fail "hpo status --json: the driver failure"
# The cause is gone: started again, the sweep runs to its end.
sbatch --chdir="$PWD" --output="$TMP/again.out" slurm/hpo-driver.sh "$exp" > /dev/null
wait_stopped "$exp" 180
[ ! -e "$exp/driver.failed" ] || fail "driver.failed left after the sweep ended"
assert_each_trial_once "$exp"
$PY tests/integration/check_results.py "$exp"
echo "ok: a failed driver step retried itself; a failing one stopped after 3 and resumed when started again"
