# Bad input to every subcommand -- a missing, empty, binary or wrong-type
# file, a nonexistent or non-experiment directory, an experiment whose files
# are damaged, a results.h5 of another format_version, a spec changed after
# the sweep started -- gets one clear line on stderr and a non-zero exit:
# never a crash, never a partly written experiment.
source tests/integration/common.bash
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 8/' examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/good" --quiet > /dev/null

mkdir -p "$TMP/in" "$TMP/emptydir"
: > "$TMP/in/empty.yaml"
head -c 4096 /bin/ls > "$TMP/in/binary.yaml"
cp "$TMP/good/results.h5" "$TMP/in/results-as-spec.yaml"
printf 'not a directory\n' > "$TMP/in/file-as-exp"
cp -r "$TMP/good" "$TMP/badmeta";   head -c 100 /dev/urandom > "$TMP/badmeta/experiment"
cp -r "$TMP/good" "$TMP/badspec";   head -c 300 /dev/urandom > "$TMP/badspec/spec.yaml"
cp -r "$TMP/good" "$TMP/badplan";   head -c 300 /dev/urandom > "$TMP/badplan/rounds/r0001.plan"
cp -r "$TMP/good" "$TMP/newer";     $PY -c "import h5py; h5py.File('$TMP/newer/results.h5', 'r+').attrs['format_version'] = 2"

checked=0
# $1 = expected exit status (or "nonzero"), the rest = the command
bad() {
    local want=$1; shift
    local rc=0
    "$HPO" "$@" > "$TMP/out" 2> "$TMP/err" || rc=$?
    if [ "$want" = nonzero ]; then [ "$rc" -ne 0 ] || fail "hpo $*: exit 0"
    else [ "$rc" = "$want" ] || fail "hpo $*: exit $rc, expected $want: $(cat "$TMP/err")"; fi
    [ "$rc" -lt 128 ] || fail "hpo $*: killed by a signal ($rc)"
    assert_eq "$(wc -l < "$TMP/err")" 1 "hpo $*: lines on stderr ($(cat "$TMP/err"))"
    grep -q '^hpo' "$TMP/err" || fail "hpo $*: the message does not say it is hpo's: $(cat "$TMP/err")"
    if grep -qE 'AddressSanitizer|runtime error|Segmentation' "$TMP/err"; then fail "hpo $*: crashed"; fi
    checked=$((checked + 1))
}
for spec in "$TMP/in/missing.yaml" "$TMP/in/empty.yaml" "$TMP/in/binary.yaml" "$TMP/in/results-as-spec.yaml" "$TMP/emptydir"; do
    want=2; [ "$spec" = "$TMP/in/missing.yaml" ] && want=1; [ "$spec" = "$TMP/emptydir" ] && want=1
    bad $want check "$spec"
    bad $want run "$spec" --exp "$TMP/new"
    [ ! -e "$TMP/new" ] || fail "hpo run $spec left a directory behind"
    bad $want drive "$TMP/new" --spec "$spec" --once
    [ ! -e "$TMP/new" ] || fail "hpo drive $spec left a directory behind"
done
for exp in "$TMP/nonexistent" "$TMP/in/file-as-exp" "$TMP/emptydir" "$TMP/badmeta" "$TMP/badspec"; do
    for cmd in status best export rebuild plan cancel; do
        [ "$cmd" = export ] && bad nonzero export "$exp" --csv && continue
        bad nonzero "$cmd" "$exp"
    done
    bad nonzero drive "$exp" --once
    bad nonzero trial "$exp" 0 0
done
[ ! -e "$TMP/nonexistent" ] || fail "a command created the nonexistent experiment"
# a damaged plan: commands that need it say which file and line
bad 1 rebuild "$TMP/badplan"
assert_contains "$(cat "$TMP/err")" "r0001.plan" "damaged plan named"
bad 1 trial "$TMP/badplan" 1 0
# another format_version: refused, never rebuilt over
for cmd in status best rebuild; do bad 1 $cmd "$TMP/newer"; done
assert_contains "$(cat "$TMP/err")" "format_version 2 is not supported (this hpo reads 1)" "newer format"
bad 1 run "$TMP/spec.yaml" --exp "$TMP/newer" --quiet
[ -z "$(find "$TMP/newer" -name 'results.h5.damaged-*')" ] || fail "a newer-format file was moved aside"
# command-line mistakes
bad 2 trial "$TMP/good" x y
bad 1 trial "$TMP/good" 0 99
bad 2 best "$TMP/good" -n 0
bad 2 report --step -3 loss=1
bad 1 report loss                       # not NAME=VALUE: taken as an experiment for the HTML report
bad 1 report loss=1                     # outside a trial: no HPO_JOURNAL
bad 2 frobnicate
bad 2 run

# A spec changed after the sweep started is refused; --allow-spec-change
# takes it (if the space is the same) and records the change.
sed 's/max_trials: 8/max_trials: 12/' "$TMP/spec.yaml" > "$TMP/spec2.yaml"
bad 2 run "$TMP/spec2.yaml" --exp "$TMP/good"
assert_contains "$(cat "$TMP/err")" "pass --allow-spec-change" "changed spec refused"
out=$("$HPO" run "$TMP/spec2.yaml" --exp "$TMP/good" --allow-spec-change --quiet 2> "$TMP/err")
assert_contains "$out" "budget.max_trials reached (12 trials)" "the changed spec is in force"
assert_contains "$(cat "$TMP/err")" "spec changed" "the change is said"
cmp -s "$TMP/good/spec.yaml.1" "$TMP/spec.yaml" || fail "the old spec was not kept"
grep -q '^spec_change=' "$TMP/good/experiment" || fail "the change is not logged"
$PY -c "
import h5py, hashlib
f = h5py.File('$TMP/good/results.h5', 'r')
assert f.attrs['spec_sha256'].decode() == hashlib.sha256(open('$TMP/spec2.yaml', 'rb').read()).hexdigest()"
sed 's/kind: {type: choice, values: \[a, b, c\]}/kind: {type: choice, values: [a, b]}/' "$TMP/spec2.yaml" > "$TMP/spec3.yaml"
bad 2 run "$TMP/spec3.yaml" --exp "$TMP/good" --allow-spec-change
assert_contains "$(cat "$TMP/err")" "changes the search space (kind)" "a space change is refused"
echo "ok: $checked bad inputs answered in one line"
