#!/bin/sh
# run.sh -- multi-fidelity benchmark: hpo's random search at full budget,
# successive halving and Hyperband (lib/optimizers/, driven in process by
# bench_mf.c) against Optuna's TPESampler+HyperbandPruner and
# RandomSampler+SuccessiveHalvingPruner (optuna_mf.py), on the same
# in-process objectives (mf_functions.h, optuna_mf.py):
#   curves      the synthetic learning curve of examples/curves (epochs 1..27)
#   mfh6-good   multi-fidelity Hartmann-6 as in mf-prior-bench (z in 3..100),
#   mfh6-bad    presets good (bias 2.5, noise 2) and bad (bias 3.5, noise 4)
# At a fixed total budget (BUDGET full evaluations per run), over SEEDS seeds,
# it prints per function and method the median best (true, noiseless value at
# the maximum fidelity of the incumbent) and the median budget spent until the
# incumbent first reached the target: curves: true loss <= 0.2 (1.3% of random
# configs reach it); Hartmann: f <= -2.0 (0.75% of random configs; optimum
# -3.32237).  Run by hand; nothing here is asserted.
#
#   bench/multifidelity/run.sh        (about 5 minutes on 2 idle cores; hpo's
#                                      part takes a second, Optuna's TPE the rest)
#   SEEDS=20 OPTUNA_SEEDS=10 BUDGET=200 JOBS=2 bench/multifidelity/run.sh
# OPTUNA_SEEDS (default SEEDS) runs fewer seeds of Optuna when time is short;
# JOBS Optuna processes run at once (default 2); KEEP=DIR keeps the raw result
# lines (one per function, method and seed) in DIR.  The targets are fixed in
# bench_mf.c, optuna_mf.py and summarize.py.
#
# Needs: build/release/libhpo.a (make), cc, libhdf5-dev, libyaml-dev, and
# /usr/bin/python3 with optuna (apt-get install python3-optuna) for the Optuna
# rows (without it, hpo's rows only).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SEEDS=${SEEDS:-20}
OPTUNA_SEEDS=${OPTUNA_SEEDS:-$SEEDS}
BUDGET=${BUDGET:-200}
JOBS=${JOBS:-2}
CC=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/hpo-bench-mf.XXXXXX")
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT INT TERM

lib=$root/build/release/libhpo.a
# The library as the sources are now; the one already built if that fails
# (someone in the middle of an edit).
if ! make -C "$root" -s build/release/libhpo.a >&2; then
    [ -f "$lib" ] || { echo "run.sh: no $lib and make failed" >&2; exit 1; }
    echo "run.sh: make failed; using the $lib already built" >&2
fi
libs="$(pkg-config --libs hdf5) -lhdf5_hl -lyaml -lcrypto -llapacke -lopenblas -lz -lm -ldl -lpthread"
[ -f /usr/include/slurm/slurm.h ] && libs="$libs -lslurm"
$CC -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$root/lib" $(pkg-config --cflags hdf5) \
    "$here/bench_mf.c" "$lib" $libs -o "$work/bench_mf"

start=$(date +%s)
"$work/bench_mf" --random-p 1000000 > "$work/random_p"
"$work/bench_mf" --seeds "$SEEDS" --budget "$BUDGET" > "$work/hpo"
echo "hpo: $(wc -l < "$work/hpo") runs in $(($(date +%s) - start)) s" >&2

: > "$work/optuna"
if /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
    # Seeds split over JOBS processes (Optuna's TPE is the slow part).
    per=$(( (OPTUNA_SEEDS + JOBS - 1) / JOBS )) j=0
    while [ $((j * per)) -lt "$OPTUNA_SEEDS" ]; do
        n=$per; [ $(( (j + 1) * per )) -gt "$OPTUNA_SEEDS" ] && n=$((OPTUNA_SEEDS - j * per))
        /usr/bin/python3 -B "$here/optuna_mf.py" --seed0 $((j * per)) --seeds "$n" --budget "$BUDGET" \
            > "$work/optuna.$j" &
        pids="$pids $!"
        j=$((j + 1))
    done
    for p in $pids; do wait "$p"; done
    pids=""
    cat "$work"/optuna.* > "$work/optuna"
    echo "optuna: $(wc -l < "$work/optuna") runs, $(($(date +%s) - start)) s in all" >&2
else
    echo "no optuna in /usr/bin/python3 (apt-get install python3-optuna): hpo only" >&2
fi

cat "$work/hpo" "$work/optuna" | /usr/bin/python3 -B "$here/summarize.py" --budget "$BUDGET" \
    --random-p "$work/random_p"
if [ -n "${KEEP:-}" ]; then cp "$work/hpo" "$work/optuna" "$work/random_p" "$KEEP/"; fi
