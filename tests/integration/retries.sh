# retries: N runs a failed trial's config again, up to N more times, before
# its failure counts: a trial that fails once and then succeeds ends
# completed (its failed attempt kept, and not counted against max_failed);
# one that always fails ends failed after N+1 attempts.
source tests/integration/common.bash
cat > "$TMP/flaky.sh" <<'SH'
#!/bin/sh
case "$1" in
  always) echo "broken for good" >&2; exit 1 ;;
  *) [ -d "$HPO_TRIAL_DIR/attempt-1" ] || { echo "flaky first run" >&2; exit 1; }
     echo "loss=1" ;;
esac
SH
chmod +x "$TMP/flaky.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: retries
command: [./flaky.sh, "{case}"]
space:
  case: {type: choice, values: [flaky1, flaky2, always]}
objective: {metric: loss}
algorithm: grid
retries: 1
budget: {max_trials: 3, max_failed: 2}
parallel: {round_size: 3, max_concurrent: 3}
YAML
out=$("$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet)
assert_contains "$out" "budget.max_trials reached (3 trials)" "one failure is under max_failed 2"
csv=$("$HPO" export "$TMP/exp" --csv)
echo "$csv"
assert_eq "$(echo "$csv" | grep -c ',completed,.*,flaky[12]$')" 2 "flaky trials completed on their second attempt"
echo "$csv" | grep -q ',failed,.*exit code 1: broken for good,always$' || fail "the always-failing trial"
for t in 0 1 2; do
    d=$TMP/exp/trials/t00000$t
    [ -d "$d/attempt-1" ] || fail "trial $t: first attempt not kept"
    [ ! -d "$d/attempt-2" ] || fail "trial $t ran more than twice"
    grep -q '^reason=failed; retrying (attempt 2 of 2): exit code 1' "$d/attempt-1/result" \
        || fail "trial $t: first attempt's record: $(cat "$d/attempt-1/result")"
done
$PY tests/integration/check_results.py "$TMP/exp"
echo ok
