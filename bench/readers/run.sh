#!/bin/bash
# Readers and the writer (README, "Reading results.h5 while a sweep runs").
# Run by hand; prints figures, asserts nothing.
#
#  1. What one publish costs (copy + fsync + rename + fsync(dir)) for a
#     working file of TRIALS x POINTS (default 10,000 x 100), written as
#     ingest writes it.
#  2. A sweep of 400 short trials, alone and with an h5py reader holding
#     results.h5 open throughout: the wall time of `hpo run` for both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TRIALS=${TRIALS:-10000}
POINTS=${POINTS:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/hpo-bench-readers.XXXXXX")
trap 'rm -rf "$work"' EXIT
CC=${CC:-cc}
flags="-std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -I$root/lib $(pkg-config --cflags hdf5)"
libs="$(pkg-config --libs hdf5) -lhdf5_hl -lcrypto -ldeflate -lm -lpthread"
$CC $flags "$root/bench/ingest/bench_ingest.c" "$root/lib/store/results.c" "$root/lib/store/publish.c" \
    "$root/lib/core/util.c" -o "$work/bench_ingest" $libs
$CC $flags "$here/bench_publish.c" "$root/lib/store/publish.c" "$root/lib/core/util.c" \
    -o "$work/bench_publish" $libs
"$work/bench_ingest" --trials "$TRIALS" --points "$POINTS" --batch 100 --out "$work/work.h5" > /dev/null
echo "1. $TRIALS trials x $POINTS points: $("$work/bench_publish" "$work/work.h5" "$work/results.h5" 20)"

cp "$root/examples/quadratic/quadratic" "$work/"
printf '#!/bin/sh\nsleep 0.05\nexec ./quadratic "$@"\n' > "$work/trial.sh"
chmod +x "$work/trial.sh"
sed -e 's|\./quadratic|./trial.sh|' -e 's/max_trials: 40, max_failed: 5/max_trials: 400/' \
    -e 's/round_size: 8, max_concurrent: 4/round_size: 40, max_concurrent: 4/' \
    "$root/examples/quadratic/spec.yaml" > "$work/spec.yaml"
sed -e 's/max_trials: 400/max_trials: 40/' "$work/spec.yaml" > "$work/first.yaml"
sweep() {   # $1: experiment; prints the seconds of the second `hpo run`
    "$root/bin/hpo" run "$work/first.yaml" --exp "$1" --quiet > /dev/null
    local t0 t1
    t0=$(date +%s.%N)
    "$root/bin/hpo" run "$work/spec.yaml" --exp "$1" --quiet --allow-spec-change > /dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
alone=$(sweep "$work/a")
"$root/bin/hpo" run "$work/first.yaml" --exp "$work/b" --quiet > /dev/null
/usr/bin/python3 -c 'import sys, time, h5py
f = h5py.File(sys.argv[1], "r")
while True:
    len(f["trials"][:]); time.sleep(0.01)' "$work/b/results.h5" &
reader=$!
t0=$(date +%s.%N)
"$root/bin/hpo" run "$work/spec.yaml" --exp "$work/b" --quiet --allow-spec-change > /dev/null 2>&1
t1=$(date +%s.%N)
kill "$reader"
echo "2. 360 trials: hpo run took ${alone}s alone, $(echo "$t1 - $t0" | bc)s with a reader holding results.h5"
