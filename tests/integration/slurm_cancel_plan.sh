# `hpo plan` shows the next round's trials and sbatch script and submits
# nothing; `hpo status` shows the round's array and task states;
# `hpo cancel` cancels the running array and the queued driver job and
# records the trials as cancelled; `hpo drive` afterwards resumes, and the
# sweep ends with every trial completed once.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
make_quadratic_sweep "$TMP/w"
sed -i 's|^exec ./quadratic|sleep "${SLOW:-0}"\nexec ./quadratic|' "$TMP/w/trial.sh"
exp=$TMP/exp
SLOW=60 "$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once > /dev/null 2>&1

plan=$("$HPO" plan "$exp")
assert_contains "$plan" "# round 1 (random): 4 trials" "plan header"
assert_contains "$plan" "#SBATCH --array=0-3%4" "plan shows the sbatch options"
assert_contains "$plan" "exec '$HPO' trial '$exp' 1" "plan shows the trial command"
[ ! -e "$exp/rounds/r0001.plan" ] || fail "hpo plan wrote a plan"
assert_eq "$(squeue -h | wc -l)" 1 "hpo plan submitted nothing (one array pending or running)"

# Let the tasks start, and chain a driver behind the array.
for _ in $(seq 1 50); do [ "$(ls "$exp"/trials/*/journal 2>/dev/null | wc -l)" = 4 ] && break; sleep 0.2; done
SLOW=60 "$HPO" drive "$exp" > "$TMP/chain" 2>&1
assert_contains "$(cat "$TMP/chain")" "still pending or running" "the driver waits"
status=$("$HPO" status "$exp")
echo "$status"
assert_contains "$status" "4 RUNNING" "status shows the tasks running"
assert_contains "$status" "next:       the driver waits for this round to end" "status says what comes next"
[ -n "$(squeue -h -o %j | grep -- '-driver$')" ] || fail "no driver job was chained"

out=$("$HPO" cancel "$exp")
assert_contains "$out" "cancelled 2 Slurm jobs" "cancel: the array and the driver"
for _ in $(seq 1 60); do [ -z "$(squeue -h)" ] && break; sleep 0.5; done
assert_eq "$(squeue -h | wc -l)" 0 "jobs left after hpo cancel"
for _ in $(seq 1 40); do [ "$(grep -l '^status=cancelled' "$exp"/trials/*/result 2>/dev/null | wc -l)" = 4 ] && break; sleep 0.25; done
assert_eq "$(grep -l '^status=cancelled' "$exp"/trials/*/result | wc -l)" 4 "trials recorded as cancelled"
"$HPO" drive "$exp" --once > /dev/null 2>&1   # ingests the cancellations (and resubmits them)
assert_contains "$("$HPO" export "$exp" --csv)" ",cancelled," "cancelled in results.h5"

# Resume: the same trials run again (their first attempts kept) and the
# sweep ends with each trial completed once.
for step in $(seq 1 60); do
    out=$("$HPO" drive "$exp" --once 2>&1) || fail "drive: $out"
    case "$out" in *"sweep stopped"*) break ;; esac
    sleep 0.5
done
assert_contains "$out" "budget.max_trials reached (12 trials)" "the resumed sweep ends"
assert_eq "$(ls -d "$exp"/trials/t00000[0-3]/attempt-1 | wc -l)" 4 "first attempts kept"
assert_each_trial_once "$exp"
$PY tests/integration/check_results.py "$exp"
echo ok
