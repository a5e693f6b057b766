#!/usr/bin/env bash
# Runs the whole suite: every cmocka unit-test binary given as arguments,
# then every tests/integration/*.sh and tests/faults/*.sh.  Suites run
# HPO_TEST_JOBS at a time (default 3; 1 runs them one after another): each
# is independent (its own temp dir, and the Slurm ones their own cluster on
# ports of their own, see tests/integration/slurm.bash), and its output is
# kept apart and printed whole when it ends.  HPO_TEST_ONLY=REGEX runs only
# the suites whose names (unit/test_spec, integration/pbt, ...) match.  Prints one line per suite and
# ends with "N passed, N failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
export HPO="$PWD/bin/hpo"
export HPO_REPO="$PWD"
if [ "${SAN:-}" = 1 ]; then
    # HDF5 keeps free lists until exit that LeakSanitizer would report.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi
jobs_max=${HPO_TEST_JOBS:-3}
[[ $jobs_max =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: HPO_TEST_JOBS must be a positive number" >&2; exit 2; }
log_dir=$(mktemp -d /tmp/hpo-test-logs.XXXXXX)
start=$SECONDS

# name|command... of every suite.  The slowest first, longest first (as
# measured: they bound the total time), then the rest in their usual order.
suites=()
slow=(integration/slurm_driver_retry integration/slurm_failures integration/workers_local integration/curves_example
      integration/slurm_max_job_count faults/enospc integration/report_html
      faults/kill_points integration/slurm_kills integration/slurm_without_libslurm integration/analysis_example
      faults/fuzz_short integration/mlp_example integration/early_stop integration/interrupt_resume
      integration/workers_slurm integration/slurm_sweep integration/slurm_cancel_plan integration/slurm_hyperband
      integration/slurm_cron integration/slurm_limits)
for s in "${slow[@]}"; do [ -f "tests/$s.sh" ] && suites+=("$s|bash tests/$s.sh"); done
for t in "$@"; do suites+=("unit/$(basename "$t")|$t"); done
for t in tests/integration/*.sh tests/faults/*.sh; do
    s=${t#tests/}; s=${s%.sh}
    [[ " ${slow[*]} " == *" $s "* ]] || suites+=("$s|bash $t")
done

if [ -n "${HPO_TEST_ONLY:-}" ]; then
    kept=()
    for s in "${suites[@]}"; do [[ ${s%%|*} =~ $HPO_TEST_ONLY ]] && kept+=("$s"); done
    suites=("${kept[@]}")
fi

# One suite: its output to its log, then PASS/FAIL with its time to .res.
run_one() {
    local name=$1 cmd=$2 id=$3 t0=$SECONDS
    if $cmd >"$log_dir/$id.log" 2>&1; then echo "PASS $((SECONDS - t0)) $name" > "$log_dir/$id.res"
    else echo "FAIL $((SECONDS - t0)) $name" > "$log_dir/$id.res"; fi
}

passed=0 failed=0 failures=()
report() {   # print what finished suite $1 (its id) said, grouped
    local id=$1 verdict secs name
    read -r verdict secs name < "$log_dir/$id.res"
    printf '%s  %-40s %3ds\n' "$verdict" "$name" "$secs"
    if [ "$verdict" = PASS ]; then passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
        sed 's/^/      | /' "$log_dir/$id.log" | tail -n 40
    fi
    rm -f "$log_dir/$id.res"
    reported[$id]=1
}

declare -A pids=() reported=()
i=0
for s in "${suites[@]}"; do
    name=${s%%|*} cmd=${s#*|} id=$(printf '%03d-%s' "$i" "${name//\//-}")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n 2>/dev/null || true; done
    for done_id in "${!pids[@]}"; do
        [ -f "$log_dir/$done_id.res" ] && [ -z "${reported[$done_id]:-}" ] && { report "$done_id"; unset "pids[$done_id]"; }
    done
    run_one "$name" "$cmd" "$id" &
    pids[$id]=$!
    i=$((i + 1))
done
wait
for done_id in $(printf '%s\n' "${!pids[@]}" | sort); do
    [ -f "$log_dir/$done_id.res" ] && report "$done_id"
done
echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "logs: $log_dir (${jobs_max} at a time, $((SECONDS - start)) s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
