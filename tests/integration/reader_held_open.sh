# A notebook holds results.h5 open (h5py, default flags) for the whole of a
# sweep: `hpo run` neither stops, fails nor waits for it, no trial is
# cancelled, and the held handle keeps reading one consistent snapshot.
# Meanwhile new readers (one of them with HDF5_USE_FILE_LOCKING=FALSE, as
# on NFS) see the results grow, never torn.
#
# HPO_READER_TRIALS (default 40) sizes the sweep: `make soak` runs it with
# thousands of trials, so that the reader holds the file through as many
# publishes as a long sweep makes.
source tests/integration/common.bash
trials=${HPO_READER_TRIALS:-40}
[[ $trials =~ ^[0-9]+$ ]] && [ "$trials" -gt 4 ] || fail "HPO_READER_TRIALS must be a number above 4, got '$trials'"
cat > "$TMP/obj.sh" <<'SH'
#!/bin/sh
for s in 1 2 3; do sleep 0.1; echo "step=$s loss=$1"; done
SH
chmod +x "$TMP/obj.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: held
command: [./obj.sh, "{x}"]
space:
  x: {type: float, low: 0, high: 1}
  k: {type: choice, values: [alpha, beta, gamma]}
objective: {metric: loss}
budget: {max_trials: TRIALS}
parallel: {round_size: 4, max_concurrent: 2}
YAML
sed -i "s/TRIALS/$trials/" "$TMP/spec.yaml"
exp=$TMP/exp
# A first round, so that there is a results.h5 to hold.
sed "s/max_trials: $trials/max_trials: 4/" "$TMP/spec.yaml" > "$TMP/first.yaml"
"$HPO" run "$TMP/first.yaml" --exp "$exp" --quiet > /dev/null
[ -f "$exp/results.h5" ] || fail "no results.h5 after the first round"

# The holder: opens results.h5 once and keeps it until told to stop,
# re-reading the held handle and checking it never changes or tears.
$PY - "$exp/results.h5" "$TMP/stop" "$TMP/held.out" <<'PY' &
import hashlib, os, sys, time, h5py, numpy as np
path, stop, out = sys.argv[1:]
f = h5py.File(path, "r")          # default flags: HDF5's file lock, no SWMR
def digest():
    h = hashlib.sha256()
    for name in ("trials", "curves", "rounds"):
        h.update(f[name][:].tobytes())
    for c in f["config"].values():
        h.update(c[:].tobytes())
    n = len(f["trials"])
    assert all(len(c) == n for c in f["config"].values()), "config columns of unequal length"
    assert list(f["trials"]["trial_id"]) == list(range(n)), "trial ids not 0..n-1"
    return h.hexdigest(), n
first, n0 = digest()
reads, t0 = 0, time.monotonic()
while not os.path.exists(stop):
    d, n = digest()
    assert d == first, "the held snapshot changed under the reader"
    reads += 1
    time.sleep(0.05)
open(out, "w").write("%d %d %.1f\n" % (n0, reads, time.monotonic() - t0))
f.close()
PY
holder=$!
trap 'kill $holder 2>/dev/null || :; rm -rf "$TMP"' EXIT   # clean-up only
sleep 0.5   # the holder has the file open before the sweep goes on

"$HPO" run "$TMP/spec.yaml" --exp "$exp" --allow-spec-change > "$TMP/run.out" 2> "$TMP/run.err" &
run=$!
grew=0 reads=0 seen=' '
while kill -0 "$run" 2>/dev/null; do
    # new readers, with and without HDF5's file locking
    for locking in TRUE FALSE; do
        n=$(HDF5_USE_FILE_LOCKING=$locking $PY - "$exp/results.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    t = f["trials"][:]
    n = len(t)
    assert all(len(c) == n for c in f["config"].values())
    assert list(t["trial_id"]) == list(range(n))
    for r in t:                              # every string decodes
        for k in ("status", "node", "gpu", "reason"):
            r[k].decode("utf-8")
    f["curves"][:]
    print(n)
PY
) || fail "a new reader (HDF5_USE_FILE_LOCKING=$locking) failed during the sweep"
        [ "$n" -gt 4 ] && grew=1
        [[ $seen == *" $n "* ]] || seen="$seen$n "
        reads=$((reads + 1))
    done
    sleep 0.2
done
wait "$run" || fail "hpo run failed while a reader held results.h5: $(cat "$TMP/run.err")"
touch "$TMP/stop"
wait "$holder" || fail "the reader holding results.h5 saw it change or tear"
read -r n_held held_reads held_s < "$TMP/held.out"
assert_eq "$n_held" 4 "trials in the held snapshot"
[ "$grew" = 1 ] || fail "no new reader saw results beyond the first round during the sweep"
grep -q busy "$TMP/run.err" && fail "hpo run said the file was busy: $(cat "$TMP/run.err")"
$PY - "$exp/results.h5" "$trials" <<'PY' || fail "the final results.h5 is not complete"
import sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
n = int(sys.argv[2])
st = [s.decode() for s in t["status"]]
assert len(t) == n, len(t)
assert st.count("completed") == n, st
PY
$PY tests/integration/check_results.py "$exp" > /dev/null || fail "results.h5 disagrees with the journals"
snapshots=$(wc -w <<< "$seen")
echo "ok: a reader held results.h5 for ${held_s}s ($held_reads reads of one snapshot) while $((trials - 4)) trials ran; $reads new reads saw $snapshots snapshots"
