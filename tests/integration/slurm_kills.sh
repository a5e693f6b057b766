# The driver killed anywhere: `hpo drive` is SIGKILLed at each fault point
# (holding the lock, after writing the plan, between submitting an array and
# recording its id, after the submit, in the middle of writing results.h5,
# before chaining), and the chained driver job is scancel'ed; each time the
# sweep resumes and ends with exactly the plans of an uninterrupted run with
# the same seed, every trial run once: none lost, none twice.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
make_quadratic_sweep "$TMP/w"
sed -i 's|^exec ./quadratic|sleep "${SLOW:-0}"\nexec ./quadratic|' "$TMP/w/trial.sh"
"$HPO" run "$TMP/w/spec.yaml" --exp "$TMP/reference" --quiet > /dev/null

check_like_reference() {
    for r in 0 1 2; do
        cmp "$1/rounds/r000$r.plan" "$TMP/reference/rounds/r000$r.plan" || fail "$1: round $r differs"
    done
    [ ! -e "$1/rounds/r0003.plan" ] || fail "$1: an extra round"
    assert_each_trial_once "$1"
    $PY tests/integration/check_results.py "$1" > /dev/null
}

# Drive with --once until the sweep stops; from step $2 on, steps run with
# HPO_FAULT=$3 until one reaches the point and dies by it (exit 137).
drive_with_fault() {
    local exp=$1 from=$2 fault=$3 killed=0 rc
    for step in $(seq 1 80); do
        rc=0
        if [ "$step" -ge "$from" ] && [ "$killed" = 0 ]; then
            SLOW=1 HPO_FAULT=$fault "$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once > "$TMP/out" 2>&1 || rc=$?
        else
            SLOW=1 "$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once > "$TMP/out" 2>&1 || rc=$?
        fi
        cat "$TMP/out" >> "$TMP/log-$fault"
        if [ "$rc" = 137 ]; then killed=1; continue; fi
        [ "$rc" = 0 ] || fail "$fault: drive failed ($rc): $(cat "$TMP/out")"
        grep -q "sweep stopped" "$TMP/out" && break
        sleep 0.3
    done
    [ "$killed" = 1 ] || fail "$fault: the fault point was never reached"
    grep -q "sweep stopped" "$TMP/out" || fail "$fault: the sweep did not end"
}

points=0
for fault in drive:locked drive:after-plan submit:before-record drive:after-submit \
             ingest:after-curves drive:before-chain; do
    # armed from the second step: round 0 exists, round 1 comes next
    drive_with_fault "$TMP/$fault" 2 "$fault"
    check_like_reference "$TMP/$fault"
    points=$((points + 1))
done
# The array submitted just before the kill was found and adopted, not
# submitted a second time.
grep -q "adopting it" "$TMP/log-submit:before-record" || fail "the unrecorded array was not adopted"
# The write cut off mid-ingest was detected and rebuilt.
grep -q "rebuilding it from plans and journals" "$TMP/log-ingest:after-curves" \
    || fail "the interrupted results.h5 write was not detected"

# scancel of the chained driver job: the sweep stalls, and a new driver
# job resumes it.
exp=$TMP/chained
SLOW=1 sbatch --chdir="$PWD" --output="$TMP/first.out" slurm/hpo-driver.sh "$exp" "$TMP/w/spec.yaml" > /dev/null
for _ in $(seq 1 100); do [ -e "$exp/rounds/r0001.state" ] && break; sleep 0.2; done
[ -e "$exp/rounds/r0001.state" ] || fail "round 1 was never submitted"
# The step that submitted round 1 may still be running: wait until it has
# ended and only its chained successor is left, pending on round 1.
driver=
for _ in $(seq 1 100); do
    jobs=$(squeue -h -o '%i %j %T' | awk '$2 ~ /-driver$/')
    if [ "$(wc -l <<< "$jobs")" = 1 ] && [[ $jobs == *" PENDING" ]]; then driver=${jobs%% *}; break; fi
    sleep 0.2
done
[ -n "$driver" ] || fail "no chained driver job left pending alone: $(squeue -h -o '%i %j %T')"
scancel $driver
for _ in $(seq 1 60); do [ -z "$(squeue -h)" ] && break; sleep 0.5; done
sleep 1
[ ! -e "$exp/rounds/r0002.plan" ] || fail "the sweep went on without its driver"
sbatch --chdir="$PWD" --output="$TMP/resume.out" slurm/hpo-driver.sh "$exp" > /dev/null
wait_stopped "$exp" 120
check_like_reference "$exp"
points=$((points + 1))
echo "ok: the sweep survived $points kill points"
