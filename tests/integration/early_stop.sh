# Early stopping: the median rule prunes a trial that is clearly worse than
# the finished ones (the runner stops it between reports; status pruned,
# with the step and the medians in its reason) and never the best one;
# objective.target stops the sweep after the round in which it was met,
# with that reason recorded; early_stop.patience_rounds stops a sweep
# whose best has not improved.
source tests/integration/common.bash
cat > "$TMP/curve.sh" <<'SH'
#!/bin/sh
# loss at step s: x + 1/s, over 6 steps
for s in 1 2 3 4 5 6; do
    echo "step=$s loss=$(awk -v x="$1" -v s="$s" 'BEGIN { print x + 1 / s }')"
    sleep 0.3
done
SH
chmod +x "$TMP/curve.sh"
cat > "$TMP/median.yaml" <<'YAML'
name: median
command: [./curve.sh, "{x}"]
space:
  x: {type: choice, values: [0.3, 0.2, 0.25, 0.1, 9, 0.05]}
objective: {metric: loss}
algorithm: grid
early_stop: {median: true, median_min_trials: 3}
budget: {max_trials: 6}
parallel: {round_size: 6, max_concurrent: 1}
YAML
"$HPO" run "$TMP/median.yaml" --exp "$TMP/m" --quiet > /dev/null
csv=$("$HPO" export "$TMP/m" --csv)
echo "$csv"
echo "$csv" | grep -q ',pruned,.*median stopping at step [0-9]*: running best 10 is worse than the median .* of [3-9] finished trials,9$' \
    || fail "the bad trial was not pruned"
assert_eq "$(echo "$csv" | grep -c ',pruned,')" 1 "pruned trials"
echo "$csv" | grep -q ',completed,0\.21666[0-9]*,.*,0.05$' || fail "the best trial was pruned"
steps=$(grep -c ' r [0-9]' "$TMP/m/trials/t000004/journal")
[ "$steps" -lt 6 ] || fail "the pruned trial ran all its steps"
assert_eq "$("$HPO" best "$TMP/m" -n 1 | awk 'NR==2 {print $2}')" 5 "best trial"
assert_contains "$("$HPO" status "$TMP/m")" "1 pruned" "status counts pruned trials"
$PY tests/integration/check_results.py "$TMP/m"

# objective.target: met in round 1 (x=0.1 reaches loss 0.2666 at step 6) ->
# the sweep stops after round 1, not at max_trials.
sed -e 's/name: median/name: target/' -e 's/objective: {metric: loss}/objective: {metric: loss, target: 0.3}/' \
    -e '/early_stop/d' -e 's/round_size: 6, max_concurrent: 1/round_size: 2, max_concurrent: 2/' \
    -e 's/values: \[0.3, 0.2, 0.25, 0.1, 9, 0.05\]/values: [0.3, 0.2, 0.1, 0.25, 9, 0.05]/' \
    "$TMP/median.yaml" > "$TMP/target.yaml"
out=$("$HPO" run "$TMP/target.yaml" --exp "$TMP/t" --quiet)
assert_contains "$out" "stopped: objective.target 0.3 reached by trial 2 (loss = 0.26666" "target reason"
assert_eq "$(ls "$TMP"/t/rounds/*.plan | wc -l)" 2 "rounds run before the target stopped the sweep"
$PY - "$TMP/t/results.h5" <<'PY'
import sys, h5py
reason = h5py.File(sys.argv[1], "r").attrs["stop_reason"]
reason = reason.decode() if isinstance(reason, bytes) else reason
assert reason.startswith("objective.target 0.3 reached by trial 2"), reason
PY

# early_stop.patience_rounds: the best comes in round 0, then 2 rounds
# without improvement stop it.
sed -e 's/name: median/name: patience/' -e 's/early_stop: .*/early_stop: {patience_rounds: 2}/' \
    -e 's/round_size: 6, max_concurrent: 1/round_size: 1, max_concurrent: 1/' \
    -e 's/values: \[0.3, 0.2, 0.25, 0.1, 9, 0.05\]/values: [0.01, 0.3, 0.2, 0.5, 0.4, 0.6]/' \
    "$TMP/median.yaml" > "$TMP/patience.yaml"
out=$("$HPO" run "$TMP/patience.yaml" --exp "$TMP/p" --quiet)
assert_contains "$out" "stopped: early_stop.patience_rounds: the best has not improved in the last 2 rounds" "patience"
assert_eq "$(ls "$TMP"/p/rounds/*.plan | wc -l)" 3 "rounds before patience ran out"
echo ok
