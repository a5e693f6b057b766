#!/usr/bin/env bash
# Runs the whole suite: every cmocka unit-test binary given as arguments,
# then every tests/integration/*.sh.  Prints one line per suite and ends
# with "N passed, N failed"; exits non-zero if anything failed.
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
passed=0 failed=0 failures=()
log_dir=$(mktemp -d /tmp/hpo-test-logs.XXXXXX)
run_one() {
    local name=$1; shift
    local log="$log_dir/$(basename "$name").log" start=$SECONDS
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS  %-40s %3ds\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL  %-40s %3ds\n' "$name" $((SECONDS - start))
        sed 's/^/      | /' "$log" | tail -n 40
    fi
}
for t in "$@"; do run_one "unit/$(basename "$t")" "$t"; done
for t in tests/integration/*.sh; do run_one "integration/$(basename "$t" .sh)" bash "$t"; done
for t in tests/faults/*.sh; do run_one "faults/$(basename "$t" .sh)" bash "$t"; done
echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "logs: $log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
