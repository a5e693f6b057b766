# A full disk, at many fill levels, on a small tmpfs of our own: `hpo run`
# never crashes, ends with one line that names the place and the free
# space, never leaves results.h5 damaged or torn, leaves no temporary or
# damaged copies behind, and resumes to the full result once space returns.
# Run once with the up-front space check (the default) and once without it
# (HPO_MIN_FREE_KB=0), so that HDF5's own writes hit the full disk.
# Needs root (mount); it fails, never skips, without it.
source tests/integration/common.bash
[ "$(id -u)" = 0 ] || fail "needs root to mount a small tmpfs"
fs=$TMP/fs
mkdir -p "$fs"
mount -t tmpfs -o size=1400k tmpfs "$fs" || fail "cannot mount a tmpfs on $fs"
trap 'umount "$fs" 2>/dev/null; rm -rf "$TMP"' EXIT
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 40/' examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"
repo=$PWD
cd "$TMP"
points=0 stopped=0
for min_free in default 0; do
    for fill in 1340 1300 1250 1200 1150 1100 1000 900 800 700 500; do
        rm -rf "${fs:?}"/*
        head -c "${fill}k" /dev/zero > "$fs/filler" 2>/dev/null || true   # as much as fits
        exp=$fs/exp
        set +e
        if [ "$min_free" = default ]; then
            "$HPO" run spec.yaml --exp "$exp" --quiet > out 2> err
        else
            HPO_MIN_FREE_KB=0 "$HPO" run spec.yaml --exp "$exp" --quiet > out 2> err
        fi
        rc=$?
        set -e
        what="min_free=$min_free fill=${fill}k"
        [ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "$what: hpo run exited $rc: $(tail -3 err)"
        if [ "$rc" = 1 ]; then
            stopped=$((stopped + 1))
            grep -q "$fs.*KiB free on $fs" err || fail "$what: no line names the place and the free space: $(cat err)"
            lines=$(grep -cv '/trials/t[0-9]*/' err)   # trial runners say theirs, one line each
            # (without the up-front check, each failed write says so too)
            [ "$min_free" = 0 ] || [ "$lines" -le 2 ] || fail "$what: $lines lines of errors: $(cat err)"
            # a failed publish is said once, not again each time the free
            # space it names changes (a slow run tries more often)
            again=$(sed -n '/cannot publish/s/[0-9][0-9]*/N/gp' err | uniq -d)
            [ -z "$again" ] || fail "$what: the same publish failure said twice: $(cat err)"
        fi
        # Nothing left behind, and what readers see is a whole file.
        extra=$(ls -A "$exp" 2>/dev/null | awk '!/^(spec.yaml|experiment|lock|rounds|trials|results.h5|.results.work.h5|.results.work.h5.unpublished)$/')
        assert_eq "$extra" "" "$what: files left in the experiment"
        if [ -f "$exp/results.h5" ]; then
            $PY - "$exp/results.h5" <<'PY' || fail "$what: results.h5 is damaged"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert int(f.attrs["writing"]) == 0
    t = f["trials"][:]
    assert all(len(c) == len(t) for c in f["config"].values())
    assert list(t["trial_id"]) == list(range(len(t)))
    f["curves"][:]
PY
        fi
        # Space returns: the same command finishes the sweep, losing nothing.
        rm -f "$fs/filler"
        [ -d "$exp" ] || continue   # not even the experiment fitted
        "$HPO" run spec.yaml --exp "$exp" --quiet > out 2> err || fail "$what: no resume after space returned: $(cat err)"
        assert_contains "$(cat out)" "budget.max_trials reached (40 trials)" "$what: resumed"
        $PY "$repo/tests/integration/check_results.py" "$exp" > /dev/null || fail "$what: results.h5 disagrees with the journals"
        points=$((points + 1))
    done
done
[ "$stopped" -ge 8 ] || fail "only $stopped runs hit the full disk: the fill levels no longer test it"
echo "ok: $points fill levels ($stopped stopped by the full disk), no crash, no damage, no litter, all resumed"
