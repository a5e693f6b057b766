#!/bin/bash
# Readers during writes: how long an h5py reader waits to open results.h5
# while `hpo run` ingests about once a second, and how long the writer
# holds the file per ingest.  Run by hand; prints figures, asserts nothing.
#
# hpo's choice (README, "Reading results.h5 while a sweep runs"): the one
# writer opens the file only for the length of an ingest, with HDF5's file
# lock; a reader that finds it busy retries.  Not SWMR (it needs the latest
# file format, which a killed writer leaves unopenable without h5clear, and
# allows no new objects once started), and not write-new-then-rename (a
# full rewrite of a 10,000-trial file per ingest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/hpo-bench-readers.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$root/examples/quadratic/quadratic" "$work/"
printf '#!/bin/sh\nsleep 0.05\nexec ./quadratic "$@"\n' > "$work/trial.sh"
chmod +x "$work/trial.sh"
sed -e 's|\./quadratic|./trial.sh|' -e 's/max_trials: 40, max_failed: 5/max_trials: 400/' \
    -e 's/round_size: 8, max_concurrent: 4/round_size: 40, max_concurrent: 4/' \
    "$root/examples/quadratic/spec.yaml" > "$work/spec.yaml"
"$root/bin/hpo" run "$work/spec.yaml" --exp "$work/exp" --quiet > /dev/null &
run=$!
/usr/bin/python3 - "$work/exp/results.h5" "$run" <<'PY'
import os, sys, time, statistics, h5py
path, pid = sys.argv[1], int(sys.argv[2])
waits, retries, rows = [], 0, 0
def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
while alive():
    if not os.path.exists(path):
        time.sleep(0.01)
        continue
    t0 = time.monotonic()
    while True:
        try:
            f = h5py.File(path, "r")
            break
        except OSError:
            retries += 1
            time.sleep(0.002)
    waits.append((time.monotonic() - t0) * 1000)
    assert int(f.attrs["writing"]) == 0
    rows = len(f["trials"])
    f.close()
    time.sleep(0.01)
waits.sort()
q = lambda p: waits[min(len(waits) - 1, int(p * len(waits)))]
print("reader opens: %d, busy retries: %d, trials seen at the end: %d" % (len(waits), retries, rows))
print("wait to open (ms): median %.2f  p99 %.2f  max %.2f" % (statistics.median(waits), q(0.99), waits[-1]))
PY
wait "$run"
t0=$(date +%s.%N); "$root/bin/hpo" rebuild "$work/exp" > /dev/null; t1=$(date +%s.%N)
echo "a whole rebuild of the 400-trial file (upper bound on one ingest's hold): $(echo "($t1 - $t0) * 1000" | bc | cut -d. -f1) ms"
