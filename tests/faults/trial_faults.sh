# Trial faults: a crash (SIGSEGV), exit 1, NaN and inf metrics, a metric
# line that is not a number, a 100 MB line of garbage on stdout, a trial
# that never reports, one that reports a step twice, one that leaves a child
# running: each is recorded with a status and a reason, and the sweep goes
# on to the end.
source tests/integration/common.bash
cat > "$TMP/fault.sh" <<'SH'
#!/bin/bash
case "$1" in
  segv)      echo "step=1 loss=5"; kill -SEGV $$ ;;
  exit1)     echo "cannot load data" >&2; exit 1 ;;
  nan)       echo "loss=nan" ;;
  inf)       echo "loss=inf" ;;
  notnumber) echo "loss=abc" ;;
  garbage)   head -c 100000000 /dev/zero | tr '\0' 'x'; echo; echo "loss=0.5" ;;
  silent)    ;;
  twice)     echo "step=1 loss=3"; echo "step=1 loss=2" ;;
  orphan)    sleep 300 & echo $! > "$HPO_TRIAL_DIR/orphan.pid"; echo "loss=1" ;;
esac
SH
chmod +x "$TMP/fault.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: faults
command: [./fault.sh, "{kind}"]
space:
  kind: {type: choice, values: [segv, exit1, nan, inf, notnumber, garbage, silent, twice, orphan]}
objective: {metric: loss}
algorithm: grid
budget: {max_trials: 9, max_failed: 0}
parallel: {round_size: 9, max_concurrent: 3}
YAML
out=$("$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet)
assert_contains "$out" "budget.max_trials reached (9 trials)" "the sweep went on to its end"
csv=$("$HPO" export "$TMP/exp" --csv)
echo "$csv"
row() { echo "$csv" | grep ",$1\$" || fail "no row for $1"; }
expect() {   # kind, status, objective, reason (a substring)
    local r; r=$(row "$1")
    [ "$(echo "$r" | cut -d, -f5)" = "$2" ] || fail "$1: status $(echo "$r" | cut -d, -f5), expected $2"
    [ "$(echo "$r" | cut -d, -f6)" = "$3" ] || fail "$1: objective '$(echo "$r" | cut -d, -f6)', expected '$3'"
    assert_contains "$(echo "$r" | cut -d, -f12)" "$4" "$1: reason"
}
expect segv failed 5 "killed by signal 11 (Segmentation fault)"
expect exit1 failed "" "exit code 1: cannot load data"
expect nan completed "" ""   # NaN: an empty CSV field, as pandas reads it
expect inf completed inf ""
expect notnumber failed "" "objective metric 'loss' was never reported"
expect garbage completed 0.5 ""
expect silent failed "" "objective metric 'loss' was never reported"
expect twice completed 2 ""
expect orphan completed 1 ""
# non-finite objectives are recorded but never ranked
assert_eq "$("$HPO" best "$TMP/exp" -n 9 | tail -n +2 | awk '{print $3}' | sort | tr '\n' ' ')" "0.5 1 2 " "ranked objectives"
# both reports of the repeated step are kept
assert_eq "$("$HPO" export "$TMP/exp" --csv --curves | grep -c "^$(echo "$csv" | grep ',twice$' | cut -d, -f1),1,loss,")" 2 "reports of step 1"
# the 100 MB line is kept in the trial's stdout, not parsed
g=$(echo "$csv" | grep ',garbage$' | cut -d, -f1)
[ "$(stat -c %s "$TMP/exp/trials/$(printf 't%06d' "$g")/stdout")" -gt 100000000 ] || fail "garbage stdout not kept"
# the child left behind did not outlive its trial
o=$(echo "$csv" | grep ',orphan$' | cut -d, -f1)
pid=$(cat "$TMP/exp/trials/$(printf 't%06d' "$o")/orphan.pid")
# (a killed child may linger as a zombie until init reaps it: that is dead)
state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
if [ -n "$state" ] && [ "$state" != Z ]; then kill "$pid"; fail "the orphaned child outlived its trial"; fi
$PY tests/integration/check_results.py "$TMP/exp"
echo "ok: 9 kinds of trial fault recorded"
