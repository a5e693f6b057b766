# A short libFuzzer run of each target (the spec parser, the journal
# reader, the stdout metric parser) on its seed corpus: no crash, no leak,
# no out-of-bounds read.  Longer runs: make fuzz FUZZ_SECONDS=600.
source tests/integration/common.bash
out=$(make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-5}" 2>&1) || { echo "$out"; fail "a fuzz target crashed"; }
echo "$out" | grep 'number_of_executed_units'
for t in spec journal metrics; do
    runs=$(echo "$out" | sed -n "s/^fuzz $t: stat::number_of_executed_units: *//p")
    [ "${runs:-0}" -gt 1000 ] || fail "fuzz $t ran only ${runs:-0} inputs"
done
echo ok
