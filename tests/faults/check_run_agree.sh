# `hpo check` and `hpo run` agree.  A 10 MB spec (an 80,000-value choice
# and a long comment) is legal: both accept it, and results.h5 keeps it
# whole (spec_yaml and the choices as datasets when too big for
# attributes).  A workdir that does not exist, or a program that is not
# there, is refused by both, in the same words, before anything is created.
source tests/integration/common.bash
cp examples/quadratic/quadratic "$TMP/"
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 4/' -e 's/round_size: 8/round_size: 4/' \
    examples/quadratic/spec.yaml > "$TMP/s.yaml"
$PY - "$TMP/s.yaml" "$TMP/big.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
values = ", ".join("v%d" % i for i in range(80000))
s = s.replace("kind: {type: choice, values: [a, b, c]}", "kind: {type: choice, values: [%s]}" % values)
open(sys.argv[2], "w").write(s + "# " + "x" * 10_000_000 + "\n")
PY
"$HPO" check "$TMP/big.yaml" > "$TMP/out" || fail "hpo check refused the 10 MB spec: $(cat "$TMP/out")"
"$HPO" run "$TMP/big.yaml" --exp "$TMP/big" --quiet > "$TMP/out" 2> "$TMP/err" || fail "hpo run refused the 10 MB spec: $(cat "$TMP/err")"
assert_contains "$(cat "$TMP/out")" "budget.max_trials reached (4 trials)" "the big sweep ran"
$PY - "$TMP/big.yaml" "$TMP/big/results.h5" <<'PY' || fail "results.h5 does not keep the big spec"
import sys, h5py
spec = open(sys.argv[1], "rb").read()
f = h5py.File(sys.argv[2], "r")
assert f["spec_yaml"][()] == spec
col = f["config/kind"]
choices = f[col.attrs["choices_dataset"]][:]
assert len(choices) == 80000 and choices[79999] == b"v79999"
for i in col[:]:
    assert choices[i].startswith(b"v")
PY
"$HPO" status "$TMP/big" > /dev/null || fail "hpo status of the big experiment"

# A duplicate among many values is found, and named by its first place.
$PY - "$TMP/s.yaml" "$TMP/dup.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
values = ["v%d" % i for i in range(80000)]
values[70000] = "v12"
s = s.replace("kind: {type: choice, values: [a, b, c]}", "kind: {type: choice, values: [%s]}" % ", ".join(values))
open(sys.argv[2], "w").write(s)
PY
if "$HPO" check "$TMP/dup.yaml" > "$TMP/out" 2>&1; then fail "a duplicate choice was accepted"; fi
assert_contains "$(cat "$TMP/out")" "values[70000]: duplicate value 'v12' (same as values[12])" "duplicate named"

# Nonexistent workdir, missing program, program not executable: refused
# alike by check and run, and run creates nothing.
printf '#!/bin/sh\necho loss=1\n' > "$TMP/notexec"
sed 's|^name: quadratic|name: q\nworkdir: ./no-such-dir|' "$TMP/s.yaml" > "$TMP/nodir.yaml"
sed 's|\./quadratic|./no-such-program|' "$TMP/s.yaml" > "$TMP/noprog.yaml"
sed 's|\./quadratic|no-such-program-on-path|' "$TMP/s.yaml" > "$TMP/nopath.yaml"
sed 's|\./quadratic|./notexec|' "$TMP/s.yaml" > "$TMP/notexec.yaml"
for case in nodir:"no such directory" noprog:"no such file" nopath:"is not found on \$PATH" notexec:"not an executable file"; do
    name=${case%%:*} want=${case#*:}
    if "$HPO" check "$TMP/$name.yaml" > "$TMP/check" 2>&1; then fail "$name: hpo check said ok"; fi
    if "$HPO" run "$TMP/$name.yaml" --exp "$TMP/exp-$name" --quiet > "$TMP/run" 2>&1; then fail "$name: hpo run succeeded"; fi
    assert_contains "$(cat "$TMP/check")" "$want" "$name: hpo check says why"
    assert_eq "$(cat "$TMP/run")" "$(cat "$TMP/check")" "$name: run and check say the same"
    [ ! -e "$TMP/exp-$name" ] || fail "$name: hpo run created $TMP/exp-$name"
done
echo "ok: a 10 MB spec runs and is kept whole; duplicates found among 80,000 values; 4 unrunnable specs refused alike"
