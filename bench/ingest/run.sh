#!/bin/sh
# run.sh -- ingest benchmark: hpo's results.h5 (lib/store/results.c) against Optuna's
# RDBStorage on SQLite, recording 10,000 trials x 100 curve points.
#
#   bench/ingest/run.sh            (from anywhere; `make bench` runs it)
#   OPTUNA_TRIALS=300 TRIALS=10000 POINTS=100 bench/ingest/run.sh
#
# Optuna is slow (one transaction per report), so it runs OPTUNA_TRIALS
# trials and its file size is extrapolated to TRIALS at its bytes per point.
# Rows: the store alone in one session; the store reopened per batch (as a
# driver ingesting round by round); and `hpo rebuild` reading 10,000 real
# journal files into results.h5 (the whole ingest path).
# Needs: bin/hpo (make), cc, libhdf5-dev, /usr/bin/python3 with optuna (apt-get install
# python3-optuna).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TRIALS=${TRIALS:-10000}
POINTS=${POINTS:-100}
OPTUNA_TRIALS=${OPTUNA_TRIALS:-300}
CC=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/hpo-bench-ingest.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# Built here rather than by the Makefile, so the bench needs only the store.
$CC -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$root/lib" $(pkg-config --cflags hdf5) \
    "$here/bench_ingest.c" "$root/lib/store/results.c" "$root/lib/store/publish.c" "$root/lib/core/util.c" \
    -o "$work/bench_ingest" -lpthread \
    $(pkg-config --libs hdf5) -lhdf5_hl -lcrypto -ldeflate -lm

# The same without the per-chunk fletcher32 checksums, for their cost
# (measured 2026-11-29, 10,000 x 100: 0-5% of ingest speed, +2.4 KB).
$CC -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -DHPO_NO_FLETCHER32 -I"$root/lib" $(pkg-config --cflags hdf5) \
    "$here/bench_ingest.c" "$root/lib/store/results.c" "$root/lib/store/publish.c" "$root/lib/core/util.c" \
    -o "$work/bench_ingest_nofl" -lpthread $(pkg-config --libs hdf5) -lhdf5_hl -lcrypto -ldeflate -lm
echo "ingest: $TRIALS trials x $POINTS points (Optuna: $OPTUNA_TRIALS trials, extrapolated)" >&2
one=$("$work/bench_ingest" --trials "$TRIALS" --points "$POINTS" --batch 100 --out "$work/one.h5")
nofl=$("$work/bench_ingest_nofl" --trials "$TRIALS" --points "$POINTS" --batch 100 --out "$work/nofl.h5")
each=$("$work/bench_ingest" --trials "$TRIALS" --points "$POINTS" --batch 100 --reopen \
       --out "$work/each.h5")
# The whole ingest path: journals (checksummed lines) -> results.h5, via
# `hpo rebuild` on an experiment directory as a finished sweep leaves it.
/usr/bin/python3 "$here/make_experiment.py" "$work/exp" --trials "$TRIALS" --points "$POINTS"
t0=$(date +%s.%N)
"$root/bin/hpo" rebuild "$work/exp" >/dev/null
t1=$(date +%s.%N)
full=$(awk -v n="$TRIALS" -v p="$POINTS" -v t0="$t0" -v t1="$t1" -v b="$(stat -c %s "$work/exp/results.h5")" \
       'BEGIN { printf "trials=%d points=%d seconds=%.3f rate=%.0f bytes=%d", n, n*p, t1-t0, n*p/(t1-t0), b }')
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
    opt=$(/usr/bin/python3 "$here/optuna_ingest.py" --trials "$OPTUNA_TRIALS" --points "$POINTS" \
          --db "$work/optuna.db")
else
    echo "no optuna in /usr/bin/python3 (apt-get install python3-optuna): hpo only" >&2
    opt=""
fi

# Lines are "SYSTEM trials=.. points=.. seconds=.. rate=.. bytes=..".
printf '%s\n%s\n%s\n%s\n%s\n' "hpo-1-session $one" "hpo-1-session-no-fletcher32 $nofl" "hpo-session-per-batch $each" "hpo-rebuild-from-journals $full" \
    "${opt:+optuna-sqlite $opt}" | awk -v target="$((TRIALS * POINTS))" '
function field(name,   i, kv) {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return ""
}
NF > 1 {
    n++; sys[n] = $1; rate[n] = field("rate"); pts[n] = field("points")
    bpp[n] = field("bytes") / pts[n]
    size[n] = bpp[n] * target            # extrapolated when fewer points ran
    extra[n] = (pts[n] + 0 < target + 0) ? "*" : ""
    if ($1 == "optuna-sqlite") ref = n
}
END {
    printf "%-24s %10s %12s %14s %11s %12s %11s\n", "system", "points", "points/s",
           "size(MB)", "bytes/pt", "x optuna/s", "size/optuna"
    for (i = 1; i <= n; i++) {
        printf "%-24s %10d %12.0f %13.2f%1s %11.2f", sys[i], pts[i], rate[i],
               size[i] / 1e6, extra[i], bpp[i]
        if (ref) printf " %12.1f %11.2f\n", rate[i] / rate[ref], size[i] / size[ref]
        else printf " %12s %11s\n", "-", "-"
    }
    if (ref) printf "* extrapolated to %d points at the measured bytes per point\n", target
}'
