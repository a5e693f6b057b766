# MaxJobCount: a round larger than the controller lets in is not refused.
# slurmctld refuses (EAGAIN, "Resource temporarily unavailable") any
# submission that would bring its job records, one per array task, to
# MaxJobCount; hpo submits the trials that fit now, says so in one line,
# and a later driver step submits the rest once finished jobs are purged.
# With MaxJobCount 6, a round of 10 runs in several arrays, every trial
# exactly once, and Slurm never refused a submission; through libslurm and
# through the commands.
source tests/integration/common.bash
source tests/integration/slurm.bash
SLURM_TEST_MAX_JOB_COUNT=6 SLURM_TEST_MIN_JOB_AGE=1 start_cluster
assert_contains "$(scontrol show config | grep MaxJobCount)" "= 6" "the cluster's MaxJobCount"
make_quadratic_sweep "$TMP/w"
sed -i 's/max_trials: 12/max_trials: 10/; s/round_size: 4, max_concurrent: 4/round_size: 10, max_concurrent: 4/' "$TMP/w/spec.yaml"
for api in libslurm cli; do
    exp=$TMP/exp-$api
    : > "$TMP/log-$api"
    for step in $(seq 1 240); do
        out=$(HPO_SLURM_API=$api "$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once 2>&1) || fail "$api: drive: $out"
        echo "$out" >> "$TMP/log-$api"
        case "$out" in *"sweep stopped"*) break ;; esac
        sleep 0.5
    done
    assert_contains "$out" "budget.max_trials reached (10 trials)" "$api: the sweep ends"
    assert_contains "$(cat "$TMP/log-$api")" "of its MaxJobCount 6; submitting" "$api: the notice"
    arrays=$(grep -c '^array=' "$exp/rounds/r0000.state")
    [ "$arrays" -ge 3 ] || fail "$api: the round of 10 went in $arrays arrays under MaxJobCount 6"
    assert_each_trial_once "$exp"
    $PY tests/integration/check_results.py "$exp"
done
# hpo kept under the limit: slurmctld never had to refuse a job.
! grep -q "MaxJobCount limit from slurm.conf reached" "$TMP/slurm/log/slurmctld.log" \
    || fail "a submission was refused: $(grep -m1 'MaxJobCount limit' "$TMP/slurm/log/slurmctld.log")"

# A controller with no room at all (a held array of 4 takes it, keeping one
# job for the driver): the driver submits no trial, and its next step is
# chained to begin later instead of at once, so no chain of driver jobs
# spins on a full controller.
for _ in $(seq 1 240); do [ -z "$(squeue -h -t all)" ] && break; sleep 0.5; done   # the sweeps' jobs purged
sbatch --hold --array=0-3 -o /dev/null --wrap true > /dev/null
out=$("$HPO" drive "$TMP/full" --spec "$TMP/w/spec.yaml" 2>&1) || fail "drive on a full controller: $out"
assert_contains "$out" "submitting 0 of 10 trials now" "nothing fits"
assert_contains "$out" "round 0: submitted 0 of 10 trials (the rest later)" "the step's summary"
[ ! -e "$TMP/full/rounds/r0000.state" ] || ! grep -q '^array=' "$TMP/full/rounds/r0000.state" \
    || fail "an array was submitted to a full controller"
assert_eq "$(squeue -h -o '%j %r' | awk '/-driver / {print $2}')" "BeginTime" "the chained driver waits to begin"
echo ok
