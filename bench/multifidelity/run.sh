#!/bin/sh
# run.sh -- multi-fidelity benchmark, quality at equal compute (issue 14):
# hpo's random search at full budget, successive halving and Hyperband in
# rounds mode, and asha, asha-hb (asynchronous Hyperband) and bohb in workers
# mode with 4 simulated asynchronous workers (lib/optimizers/, driven in
# process by bench_mf.c), against Optuna's RandomSampler and TPESampler with
# SuccessiveHalvingPruner and HyperbandPruner (optuna_mf.py), on the same
# objectives:
#   curves      the synthetic learning curve of examples/curves (epochs 1..27)
#   mfh6-good   multi-fidelity Hartmann-6 as in mf-prior-bench (z in 3..100),
#   mfh6-bad    presets good (bias 2.5, noise 2) and bad (bias 3.5, noise 4)
#   mlp-digits  real learning curves: scikit-learn's MLPClassifier trained
#               with partial_fit on the digits, validation log-loss after each
#               of 27 epochs, for a grid of 768 configs, computed once by
#               mlp_table.py and cached in build/bench-mf/mlp_digits.txt
#               (about 5 CPU-minutes; not committed), then looked up
# Compute is the sum of the fidelity trained (epochs, z), a promoted trial
# charged only its new part.  At a fixed total (BUDGET full evaluations per
# run), over SEEDS seeds, it prints per problem and method the median best
# (true, noiseless value at the maximum fidelity of the incumbent at the end)
# and the median compute until the incumbent first reached the target
# (curves: true loss <= 0.2; Hartmann: f <= -2.0; mlp-digits: the 1% quantile
# of the grid's final losses; each about 1% of random configs), and
# Wilcoxon signed-rank tests (seed i of one method paired with seed i of
# the other) of ours against Optuna's best.  Run by hand; nothing here is
# asserted.
#
#   bench/multifidelity/run.sh
#   SEEDS=20 OPTUNA_SEEDS=10 BUDGET=100 JOBS=2 bench/multifidelity/run.sh
# hpo's part takes about 2 minutes; Optuna's about 25 minutes per 10 seeds
# with JOBS=2 on 2 busy cores (its TPESampler with the SuccessiveHalvingPruner
# is most of it).  OPTUNA_SEEDS (default SEEDS) runs fewer seeds of Optuna;
# JOBS Optuna processes run at once (default 2); KEEP=DIR keeps the raw
# result lines (one per problem, method and seed) in DIR; MLP_TABLE=FILE
# uses another table.  The summary alone, from kept lines:
#   cat DIR/hpo DIR/optuna | /usr/bin/python3 summarize.py --budget B --random-p DIR/random_p
#
# Needs: build/release/libhpo-internal.a (make), cc, libhdf5-dev, libyaml-dev, and
# /usr/bin/python3 with optuna, scipy and sklearn (apt-get install
# python3-optuna python3-scipy python3-sklearn) for the Optuna rows, the
# tests and mlp-digits (without them, what can run does).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SEEDS=${SEEDS:-20}
OPTUNA_SEEDS=${OPTUNA_SEEDS:-$SEEDS}
BUDGET=${BUDGET:-100}
JOBS=${JOBS:-2}
CC=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/hpo-bench-mf.XXXXXX")
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT INT TERM

lib=$root/build/release/libhpo-internal.a
# The library as the sources are now; the one already built if that fails
# (someone in the middle of an edit).
if ! make -C "$root" -s build/release/libhpo-internal.a >&2; then
    [ -f "$lib" ] || { echo "run.sh: no $lib and make failed" >&2; exit 1; }
    echo "run.sh: make failed; using the $lib already built" >&2
fi
libs="$(pkg-config --libs hdf5) -lhdf5_hl -lyaml -lcrypto -llapacke -lopenblas -ldeflate -lm -ldl -lpthread"
[ -f /usr/include/slurm/slurm.h ] && libs="$libs -lslurm"
$CC -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$root/lib" $(pkg-config --cflags hdf5) \
    "$here/bench_mf.c" "$lib" $libs -o "$work/bench_mf"

table=${MLP_TABLE:-$root/build/bench-mf/mlp_digits.txt}
if [ ! -f "$table" ] && /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
    echo "run.sh: computing the MLP learning curves into $table (once)" >&2
    mkdir -p "$(dirname "$table")"
    /usr/bin/python3 -B "$here/mlp_table.py" "$table" --jobs "$JOBS"
fi
targs=""
if [ -f "$table" ]; then targs="--mlp-table $table"; else echo "run.sh: no $table: mlp-digits left out" >&2; fi

start=$(date +%s)
"$work/bench_mf" --random-p 1000000 $targs > "$work/random_p"
"$work/bench_mf" --seeds "$SEEDS" --budget "$BUDGET" $targs > "$work/hpo"
echo "hpo: $(wc -l < "$work/hpo") runs in $(($(date +%s) - start)) s" >&2

: > "$work/optuna"
if /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
    # Seeds split over JOBS processes (Optuna's TPE is the slow part).
    per=$(( (OPTUNA_SEEDS + JOBS - 1) / JOBS )) j=0
    while [ $((j * per)) -lt "$OPTUNA_SEEDS" ]; do
        n=$per; [ $(( (j + 1) * per )) -gt "$OPTUNA_SEEDS" ] && n=$((OPTUNA_SEEDS - j * per))
        /usr/bin/python3 -B "$here/optuna_mf.py" --seed0 $((j * per)) --seeds "$n" --budget "$BUDGET" \
            $targs > "$work/optuna.$j" &
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

if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$work/hpo" "$work/optuna" "$work/random_p" "$KEEP/"; fi
cat "$work/hpo" "$work/optuna" | /usr/bin/python3 -B "$here/summarize.py" --budget "$BUDGET" \
    --random-p "$work/random_p"
