# results.h5 damaged while no writer holds it -- a writer's flag left set,
# the file truncated, zeros written over its middle, replaced by garbage, the
# file deleted -- is noticed by the next command that reads it (hpo status,
# hpo best, hpo run), said in one line, kept aside, and rebuilt from the
# plans and journals, losing nothing they recorded.
source tests/integration/common.bash
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 16/' examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"
exp=$TMP/exp
"$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > /dev/null
$PY tests/integration/check_results.py "$exp" --digest > "$TMP/good"
size=$(stat -c %s "$exp/results.h5")

damage() {   # $1: how
    case "$1" in
        writing-flag) $PY -c "import h5py; f = h5py.File('$exp/results.h5', 'r+'); f.attrs['writing'] = 1" ;;
        truncated)    truncate -s $((size / 2)) "$exp/results.h5" ;;
        zeroed)       dd if=/dev/zero of="$exp/results.h5" bs=1 seek=$((size / 3)) count=$((size / 3)) conv=notrunc status=none ;;
        deleted)      rm "$exp/results.h5" ;;
        garbage)      head -c "$size" /dev/urandom > "$exp/results.h5" ;;
    esac
}
cases=0
for how in writing-flag truncated zeroed deleted garbage; do
    for cmd in status best run; do
        damage "$how"
        before=$(find "$exp" -maxdepth 1 -name 'results.h5.damaged-*' | wc -l)
        case "$cmd" in
            status) "$HPO" status "$exp" > "$TMP/out" 2> "$TMP/err" || fail "$how: hpo status failed: $(cat "$TMP/err")" ;;
            best)   "$HPO" best "$exp" > "$TMP/out" 2> "$TMP/err" || fail "$how: hpo best failed: $(cat "$TMP/err")" ;;
            run)    "$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > "$TMP/out" 2> "$TMP/err" \
                        || fail "$how: hpo run failed: $(cat "$TMP/err")" ;;
        esac
        if [ "$how" != deleted ]; then
            # one line says what happened, and the damaged file is kept
            assert_eq "$(wc -l < "$TMP/err")" 1 "$how/$cmd: lines on stderr"
            assert_contains "$(cat "$TMP/err")" "rebuilding it from plans and journals" "$how/$cmd"
            assert_eq "$(find "$exp" -maxdepth 1 -name 'results.h5.damaged-*' | wc -l)" $((before + 1)) "$how/$cmd: damaged file kept"
        fi
        $PY tests/integration/check_results.py "$exp" --digest > "$TMP/now"
        diff "$TMP/good" "$TMP/now" > /dev/null || fail "$how/$cmd: the rebuilt file differs"
        cases=$((cases + 1))
    done
done
echo "ok: recovered $cases damaged-file cases"
