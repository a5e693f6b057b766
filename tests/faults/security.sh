# Security: a symbolic link placed in EXP/trials/ is never followed out of
# the experiment (the trial is refused, nothing is written or read through
# it, and hpo run stops instead of retrying forever); results.h5 is never
# world-writable whatever the umask, while other files follow the umask;
# parameter values never pass through a shell (tests/integration/injection.sh).
source tests/integration/common.bash
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 8/' -e 's/round_size: 8/round_size: 4/' \
    examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"

# A link where round 1's first trial will live, pointing outside EXP.
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet > /dev/null
mkdir "$TMP/outside"
rm -rf "$TMP/exp"
sed -i 's/max_trials: 8/max_trials: 4/' "$TMP/spec.yaml"
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet > /dev/null
sed -i 's/max_trials: 4/max_trials: 8/' "$TMP/spec.yaml"
ln -s "$TMP/outside" "$TMP/exp/trials/t000004"
rc=0
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --allow-spec-change --quiet > "$TMP/out" 2> "$TMP/err" || rc=$?
assert_eq "$rc" 1 "hpo run with a link in trials/"
assert_contains "$(cat "$TMP/err")" "t000004: is a symbolic link, not a directory; refusing to use it" "the link is named"
assert_contains "$(cat "$TMP/err")" "could not be run" "the sweep stops instead of looping"
assert_eq "$(ls -A "$TMP/outside" | wc -l)" 0 "files written through the link"
"$HPO" status "$TMP/exp" > /dev/null   # reading around the link works
# with the link gone, the sweep resumes and ends
rm "$TMP/exp/trials/t000004"
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet > "$TMP/out"
assert_contains "$(cat "$TMP/out")" "budget.max_trials reached (8 trials)" "resumed without the link"

# umask: 000 would make files world-writable; results.h5 never is.
for mask in 000 022 077; do
    (umask $mask; "$HPO" run "$TMP/spec.yaml" --exp "$TMP/u$mask" --quiet > /dev/null)
    mode=$(stat -c %a "$TMP/u$mask/results.h5")
    [ $((8#$mode & 8#002)) = 0 ] || fail "umask $mask: results.h5 is world-writable ($mode)"
    want=$(printf '%o' $((8#666 & ~8#$mask)))
    assert_eq "$(stat -c %a "$TMP/u$mask/rounds/r0000.plan")" "$want" "umask $mask: a plan's mode"
done
assert_eq "$(stat -c %a "$TMP/u077/results.h5")" 600 "umask 077: results.h5"
echo ok
