# results.h5 or the writer's working file damaged while no writer holds it
# -- a writer's flag left set, the file truncated, zeros written over its
# middle, replaced by garbage, the file deleted -- is noticed by the next
# command that reads it (hpo status, hpo best, hpo run), said in one line,
# and made again (results.h5 published again from the working file, the
# working file rebuilt from the plans and journals), losing nothing they
# recorded and leaving nothing behind.
source tests/integration/common.bash
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 16/' examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"
exp=$TMP/exp
"$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > /dev/null
$PY tests/integration/check_results.py "$exp" --digest > "$TMP/good"
size=$(stat -c %s "$exp/results.h5")

damage() {   # $1: how, $2: which file
    local f=$exp/$2
    case "$1" in
        writing-flag) $PY -c "import h5py; f = h5py.File('$f', 'r+'); f.attrs['writing'] = 1" ;;
        truncated)    truncate -s $((size / 2)) "$f" ;;
        zeroed)       dd if=/dev/zero of="$f" bs=1 seek=$((size / 3)) count=$((size / 3)) conv=notrunc status=none ;;
        deleted)      rm "$f" ;;
        garbage)      head -c "$size" /dev/urandom > "$f" ;;
    esac
}
cases=0
# The published file: whoever reads it next publishes it again from the
# working file.  The working file: the next writer rebuilds it.
for file in results.h5 .results.work.h5; do
    for how in writing-flag truncated zeroed deleted garbage; do
        for cmd in status best run; do
            [ "$file" = .results.work.h5 ] && [ "$cmd" != run ] && continue   # readers never open it
            damage "$how" "$file"
            case "$cmd" in
                status) "$HPO" status "$exp" > "$TMP/out" 2> "$TMP/err" || fail "$file $how: hpo status failed: $(cat "$TMP/err")" ;;
                best)   "$HPO" best "$exp" > "$TMP/out" 2> "$TMP/err" || fail "$file $how: hpo best failed: $(cat "$TMP/err")" ;;
                run)    "$HPO" run "$TMP/spec.yaml" --exp "$exp" --quiet > "$TMP/out" 2> "$TMP/err" \
                            || fail "$file $how: hpo run failed: $(cat "$TMP/err")" ;;
            esac
            # one line says what happened (a writer just makes a deleted file again)
            if [ "$how" != deleted ] || [ "$cmd" != run ]; then
                assert_eq "$(wc -l < "$TMP/err")" 1 "$file $how/$cmd: lines on stderr"
            fi
            case "$file/$how" in
                results.h5/deleted) [ "$cmd" = run ] || assert_contains "$(cat "$TMP/err")" "missing; publishing it again" "$how/$cmd" ;;
                results.h5/*)       assert_contains "$(cat "$TMP/err")" "publishing it again from" "$how/$cmd" ;;
                .results.work.h5/deleted) ;;
                *)                  assert_contains "$(cat "$TMP/err")" "rebuilding it from plans and journals" "$how/$cmd" ;;
            esac
            # nothing is left behind: no damaged copies, no temporary files
            extra=$(ls -A "$exp" | awk '!/^(spec.yaml|experiment|lock|rounds|trials|results.h5|.results.work.h5)$/')
            assert_eq "$extra" "" "$file $how/$cmd: files left in the experiment"
            $PY tests/integration/check_results.py "$exp" --digest > "$TMP/now"
            diff "$TMP/good" "$TMP/now" > /dev/null || fail "$file $how/$cmd: the rebuilt file differs"
            cases=$((cases + 1))
        done
    done
done
echo "ok: recovered $cases damaged-file cases"
