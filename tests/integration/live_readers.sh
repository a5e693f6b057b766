# While a sweep runs: `hpo status`, `hpo best`, `hpo export` and h5py read
# results.h5 again and again and always get a consistent file; the local
# executor never runs more than parallel.max_concurrent trials at once.
source tests/integration/common.bash
# Trials take 0.8 s, so that the sweep lasts long enough for 5 rounds of
# reads even on a loaded machine (or beside other suites: tests/run.sh).
cat > "$TMP/obj.sh" <<'SH'
#!/bin/sh
for s in 1 2; do sleep 0.4; echo "step=$s loss=$1"; done
SH
chmod +x "$TMP/obj.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: live
command: [./obj.sh, "{x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 24}
parallel: {round_size: 6, max_concurrent: 3}
YAML
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" > "$TMP/out" 2>&1 &
pid=$!
reads=0 seen_partial=0
while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$TMP/exp/results.h5" ]; then
        s=$("$HPO" status "$TMP/exp") || fail "hpo status failed during the sweep"
        "$HPO" best "$TMP/exp" -n 3 > /dev/null || fail "hpo best failed during the sweep"
        "$HPO" export "$TMP/exp" --csv > /dev/null || fail "hpo export failed during the sweep"
        $PY - "$TMP/exp/results.h5" <<'PY' || fail "h5py saw an inconsistent file"
import sys, time, h5py
for attempt in range(100):   # the writer holds the file briefly; retry as documented
    try:
        f = h5py.File(sys.argv[1], "r")
        break
    except OSError:
        time.sleep(0.05)
n = len(f["trials"])
assert all(len(c) == n for c in f["config"].values())
assert sorted(f["trials"]["trial_id"]) == list(range(n))
PY
        case "$s" in *"24 completed"*) ;; *completed*) seen_partial=1 ;; esac
        reads=$((reads + 1))
    fi
    sleep 0.1
done
wait "$pid" || fail "the sweep failed: $(cat "$TMP/out")"
[ "$reads" -ge 5 ] || fail "only $reads reads happened during the sweep"
[ "$seen_partial" = 1 ] || fail "no read saw the sweep in progress"
echo "ok: $reads consistent reads during the sweep"
$PY - "$TMP/exp/results.h5" <<'PY'
import sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
events = sorted([(r["start_time"], 1) for r in t] + [(r["end_time"], -1) for r in t], key=lambda e: (e[0], e[1]))
running = peak = 0
for _, d in events:
    running += d
    peak = max(peak, running)
assert peak == 3, "at most max_concurrent=3 trials at once, and that many: %d" % peak
print("ok: peak concurrency", peak)
PY
