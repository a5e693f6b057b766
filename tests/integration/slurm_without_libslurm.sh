# A build without libslurm (make NO_LIBSLURM=1) reaches Slurm through the
# sbatch/squeue/scontrol/scancel commands alone: it links no libslurm, says
# clearly that it cannot use it, and runs a sweep through the driver job.
source tests/integration/common.bash
source tests/integration/slurm.bash
build=$(make -s NO_LIBSLURM=1 SAN="${SAN:-}" print-build)
make -s NO_LIBSLURM=1 SAN="${SAN:-}" "$build/hpo" > "$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; fail "build"; }
hpo=$PWD/$build/hpo
if ldd "$hpo" | grep -q libslurm; then fail "the NO_LIBSLURM build links libslurm"; fi
start_cluster
make_quadratic_sweep "$TMP/w"
rc=0; HPO_SLURM_API=libslurm "$hpo" drive "$TMP/x" --spec "$TMP/w/spec.yaml" --once 2> "$TMP/err" || rc=$?
assert_eq "$rc" 1 "asking for libslurm"
assert_contains "$(cat "$TMP/err")" "this hpo was built without libslurm" "message"
HPO_BIN=$hpo HPO_TEMPLATE_DIR=$PWD/templates PATH=/usr/bin:/bin sbatch --chdir="$PWD" --output="$TMP/first.out" \
    slurm/hpo-driver.sh "$TMP/exp" "$TMP/w/spec.yaml" > /dev/null
wait_stopped "$TMP/exp" 120
grep -qF "exec '$hpo' trial" "$TMP/exp/rounds/r0000.sbatch" || fail "round scripts call the hpo that planned them"
assert_each_trial_once "$TMP/exp"
$PY tests/integration/check_results.py "$TMP/exp"
echo ok
