# hpo run killed anywhere: at each of 22 fault points of the local path
# (creating the experiment, planning, running a round, ingesting, inside
# every step of a results.h5 write, publishing it, each kind of atomic
# file replacement,
# inside a trial runner) the process dies by SIGKILL, as kill -9 would do
# it; running the same command again resumes, and the sweep ends with
# exactly the plans, configs and objectives of an uninterrupted run with
# the same seed.  `hpo rebuild` killed before its rename loses nothing
# either.  (The Slurm driver's kill points are in tests/integration/slurm_kills.sh.)
source tests/integration/common.bash
make_slow_quadratic "round_size: 4, max_concurrent: 2"
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/reference" --quiet > /dev/null

# What must come out the same: every trial's id, round, status, objective
# and config (not its runtime or node).
summary() { "$HPO" export "$1" --csv | cut -d, -f1,2,5,6,13-; }
summary "$TMP/reference" > "$TMP/reference.csv"
assert_eq "$(grep -c ',completed,' "$TMP/reference.csv")" 12 "reference run"

points="experiment:before-commit atomic:before-rename@1 atomic:before-rename@2 atomic:before-rename@3
        atomic:before-rename@5 rebuild:after-create run:before-plan run:after-plan@2 run:mid-round
        run:after-round@2 ingest:after-new-rounds@2 ingest:after-curves ingest:after-curves@3
        ingest:after-trials@2 store:after-open@2 store:mid-close@3 store:before-clear@4
        trial:started trial:before-end store:before-clear@7 publish:before-rename@1
        publish:before-rename@3"
survived=0
for p in $points; do
    exp=$TMP/exp-${p//[:@]/-}
    mark=$exp.fired
    rc=0
    HPO_FAULT=$p HPO_FAULT_MARK=$mark "$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > "$exp.out" 2>&1 || rc=$?
    [ -e "$mark" ] || fail "$p: the fault point was never reached"
    case "$rc" in
        137) ;;                                   # hpo run itself was killed
        0) case "$p" in trial:*) ;; *) fail "$p: hpo run survived its own kill" ;; esac ;;
        *) fail "$p: hpo run failed ($rc): $(cat "$exp.out")" ;;
    esac
    "$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > "$exp.out2" 2>&1 \
        || fail "$p: the resumed run failed: $(cat "$exp.out2")"
    assert_contains "$(cat "$exp.out2")" "budget.max_trials reached (12 trials)" "$p: resumed run"
    for r in 0 1 2; do
        cmp -s "$exp/rounds/r000$r.plan" "$TMP/reference/rounds/r000$r.plan" || fail "$p: round $r plan differs"
    done
    summary "$exp" > "$exp.csv"
    diff "$TMP/reference.csv" "$exp.csv" > /dev/null || fail "$p: results differ: $(diff "$TMP/reference.csv" "$exp.csv")"
    $PY tests/integration/check_results.py "$exp" > /dev/null || fail "$p: results.h5 does not match the journals"
    litter=$(ls -A "$exp" | awk '/publish-|rebuild-|\.tmp|damaged|unpublished/')
    assert_eq "$litter" "" "$p: temporary files left behind"
    survived=$((survived + 1))
done

# hpo rebuild killed before it renames the new file into place
rm "$TMP/reference/results.h5"
rc=0
HPO_FAULT=rebuild:before-rename "$HPO" rebuild "$TMP/reference" > /dev/null 2>&1 || rc=$?
assert_eq "$rc" 137 "hpo rebuild killed"
"$HPO" rebuild "$TMP/reference" > /dev/null
diff "$TMP/reference.csv" <(summary "$TMP/reference") > /dev/null || fail "rebuild after a killed rebuild differs"
survived=$((survived + 1))
echo "ok: survived $survived kill points"
