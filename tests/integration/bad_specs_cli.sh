# Every bad spec of the corpus, given to the command line: `hpo check` and
# `hpo run` answer with exactly one line, "hpo: " and the expected
# FILE:LINE:COL message, exit with status 2, and create nothing.
source tests/integration/common.bash
n=0
for spec in tests/specs/bad/*.yaml; do
    want="hpo: $(cat "${spec%.yaml}.err")"
    rc=0; "$HPO" check "$spec" > "$TMP/out" 2> "$TMP/err" || rc=$?
    assert_eq "$rc" 2 "hpo check $spec: exit status"
    assert_eq "$(cat "$TMP/err")" "$want" "hpo check $spec"
    [ ! -s "$TMP/out" ] || fail "hpo check $spec printed on stdout"
    rc=0; "$HPO" run "$spec" --exp "$TMP/exp" > /dev/null 2> "$TMP/err" || rc=$?
    assert_eq "$rc" 2 "hpo run $spec: exit status"
    assert_eq "$(cat "$TMP/err")" "$want" "hpo run $spec"
    [ ! -e "$TMP/exp" ] || fail "hpo run $spec created an experiment"
    n=$((n + 1))
done
[ "$n" -ge 35 ] || fail "only $n bad specs"
for spec in tests/specs/good/*.yaml; do
    case "$spec" in */hparam*) continue ;; esac
    # A good spec may name an algorithm a later version brings, or a
    # program or workdir this machine does not have; nothing else fails.
    if ! "$HPO" check "$spec" > /dev/null 2> "$TMP/err"; then
        grep -Eq "is not available in this version of hpo|: (workdir|command): .*(no such directory|no such file|is not found on \\\$PATH|not an executable file)" "$TMP/err" \
            || fail "good spec $spec: $(cat "$TMP/err")"
    fi
done
# A missing spec, and a spec changed after its sweep started.
rc=0; "$HPO" run "$TMP/nope.yaml" 2> "$TMP/err" || rc=$?
assert_eq "$rc" 1 "missing spec: exit status"
assert_eq "$(cat "$TMP/err")" "hpo: $TMP/nope.yaml: cannot open: No such file or directory" "missing spec"
sed 's/max_trials: 40/max_trials: 8/' examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp2" --quiet > /dev/null
echo "# changed" >> "$TMP/spec.yaml"
rc=0; "$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp2" 2> "$TMP/err" || rc=$?
assert_eq "$rc" 2 "changed spec: exit status"
assert_contains "$(cat "$TMP/err")" "differs from the spec this experiment was started with" "changed spec"
echo "ok: $n bad specs, each one line and exit 2"
