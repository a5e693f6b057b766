# Failing tasks on a real Slurm, each recorded with its own status: a task
# that exits 1 (failed, with its stderr), one killed at its --time limit
# after Slurm's warning signal reached it (timeout), one whose node is set
# DOWN mid-run (node failure: not the config's fault, so it runs again and
# completes); budget.max_failed then stops the sweep, naming the failure.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
node=$(sinfo -h -o %N | head -1)
cat > "$TMP/fail.sh" <<'SH'
#!/bin/bash
case "$1" in
  exit1) echo "bad config" >&2; exit 1 ;;
  timeout)
    trap 'echo "warned=1"' USR2          # Slurm's warning before the limit
    for _ in $(seq 1 600); do sleep 1; done ;;
  nodedown)
    if [ -d "$HPO_TRIAL_DIR/attempt-1" ]; then echo "loss=2"; exit 0; fi
    touch "$HPO_TRIAL_DIR/running"
    for _ in $(seq 1 600); do sleep 1; done ;;
  *) echo "loss=1" ;;
esac
SH
chmod +x "$TMP/fail.sh"
spec() {   # $1 name, $2 choices, $3 max_failed
    cat > "$TMP/$1.yaml" <<YAML
name: $1
command: [./fail.sh, "{case}"]
space:
  case: {type: choice, values: [$2]}
objective: {metric: loss}
algorithm: grid
budget: {max_trials: 3, max_failed: $3}
parallel: {round_size: 3, max_concurrent: 3}
slurm: {time: "00:01:00", mem: 100M}
YAML
}
drive_until_stopped() {   # $1 exp, $2 spec, $3 seconds; runs $4 once a trial is "running"
    local deadline=$((SECONDS + $3)) hooked=0
    while [ $SECONDS -lt $deadline ]; do
        out=$("$HPO" drive "$1" --spec "$2" --once 2>&1) || fail "drive: $out"
        case "$out" in *"sweep stopped"*) echo "$out"; return 0 ;; esac
        if [ -n "${4:-}" ] && [ "$hooked" = 0 ] && ls "$1"/trials/*/running >/dev/null 2>&1; then
            $4
            hooked=1
        fi
        sleep 1
    done
    squeue >&2
    fail "$1 did not stop in $3 s"
}

# A node failure: the trial runs again and completes; the first attempt is
# kept, recorded as a retried node failure.
set_node_down() { scontrol update NodeName="$node" State=DOWN Reason=hpo-test; }
spec nodes "nodedown, ok1, ok2" 5
out=$(drive_until_stopped "$TMP/nodes" "$TMP/nodes.yaml" 120 set_node_down)
assert_contains "$out" "budget.max_trials reached (3 trials)" "node-failure sweep ends normally"
t=$(dirname "$(dirname "$(ls "$TMP"/nodes/trials/*/attempt-1/result)")")
grep -q '^status=cancelled$' "$t/attempt-1/result" || fail "first attempt: $(cat "$t/attempt-1/result")"
grep -q '^reason=node_fail; retrying (attempt 2 of 3): Slurm: NODE_FAIL' "$t/attempt-1/result" \
    || fail "first attempt's reason: $(cat "$t/attempt-1/result")"
grep -q '^status=completed$' "$t/result" || fail "the retried trial did not complete"
assert_eq "$("$HPO" export "$TMP/nodes" --csv | grep -c ',completed,')" 3 "completed trials"
sinfo -h -o %t | grep -q idle || fail "the node did not return to service"

# exit 1 and a time-out: two failures stop the sweep (max_failed 2).
spec fails "exit1, timeout, ok" 2
out=$(drive_until_stopped "$TMP/fails" "$TMP/fails.yaml" 200)
assert_contains "$out" "budget.max_failed reached: 2 trials failed" "max_failed stops the sweep"
csv=$("$HPO" export "$TMP/fails" --csv)
echo "$csv"
echo "$csv" | grep -Eq ",failed,,,[0-9.e-]+,1,0,$node,exit code 1: bad config,exit1\$" || fail "exit 1 not recorded"
echo "$csv" | grep -q ',timeout,.*Slurm: TIMEOUT.*,timeout$' || fail "time limit not recorded as timeout"
curves=$("$HPO" export "$TMP/fails" --csv --curves)
assert_contains "$curves" ",warned,1," "the warning signal reached the trial before its limit"
assert_contains "$("$HPO" status "$TMP/fails")" "(timeout):" "status lists the time-out"
$PY tests/integration/check_results.py "$TMP/fails"
echo ok
