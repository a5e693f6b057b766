# hpo writes nothing through a symbolic link in an experiment: a link in
# place of results.h5, the working file, lock or spec.yaml is refused in
# one line and the file it points to (another experiment's) is untouched.
# A working file copied from another experiment (its name and spec_sha256
# are not ours) is rebuilt rather than written into.
source tests/integration/common.bash
cp examples/quadratic/quadratic "$TMP/"
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 8/' examples/quadratic/spec.yaml > "$TMP/other.yaml"
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 8/' -e 's/^name: quadratic/name: mine/' \
    examples/quadratic/spec.yaml > "$TMP/s.yaml"
sed -e 's/max_trials: 8/max_trials: 16/' "$TMP/s.yaml" > "$TMP/s16.yaml"
cd "$TMP"
"$HPO" run other.yaml --exp eo --quiet > /dev/null
"$HPO" run s.yaml --exp e9 --quiet > /dev/null
digest() { sha256sum eo/results.h5 eo/.results.work.h5 eo/spec.yaml | sha256sum; }
before=$(digest)
cases=0
for f in results.h5 .results.work.h5 lock spec.yaml; do
    mv "e9/$f" "e9/$f.real"
    ln -s "$TMP/eo/$f" "e9/$f"
    set +e
    "$HPO" run s16.yaml --exp e9 --allow-spec-change --quiet > out 2> err
    rc=$?
    set -e
    [ "$rc" != 0 ] || fail "$f: a symlinked $f was accepted"
    assert_contains "$(cat err)" "symbolic link" "$f: the refusal says why"
    assert_eq "$(digest)" "$before" "$f: the other experiment's files changed"
    rm "e9/$f"
    mv "e9/$f.real" "e9/$f"
    cases=$((cases + 1))
done
"$HPO" status eo > out || fail "hpo status eo failed"
assert_contains "$(cat out)" "8 completed" "eo still has its own 8 trials"

# Another experiment's working file, copied in: rebuilt, never written into.
cp eo/.results.work.h5 e9/.results.work.h5
"$HPO" run s16.yaml --exp e9 --allow-spec-change --quiet > out 2> err || fail "run after a foreign working file: $(cat err)"
assert_contains "$(cat err)" "belongs to another experiment" "a foreign working file is noticed"
assert_contains "$(cat out)" "budget.max_trials reached (16 trials)" "e9 went on"
$PY - e9/results.h5 <<'PY' || fail "e9's results.h5 holds another experiment's rows"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["name"] == b"mine", f.attrs["name"]
assert len(f["trials"]) == 16, len(f["trials"])
PY
$PY "$OLDPWD/tests/integration/check_results.py" e9 > /dev/null || fail "e9's results.h5 disagrees with its journals"
assert_eq "$(digest)" "$before" "the other experiment's files changed"
echo "ok: $cases symlinked files refused, a foreign working file rebuilt, the other experiment untouched"
