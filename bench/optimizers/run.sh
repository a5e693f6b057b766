#!/bin/sh
# run.sh -- single-fidelity optimizer benchmark.  hpo's random, sobol, tpe,
# tpe-uv (univariate), cmaes, pshe2, gp and auto (the default: it picks one
# of them by the spec), driven in process by bench_opt.c sequentially
# (rounds of 1) and in batches of 8, against every Optuna 3.1 sampler that
# can serve the space (optuna_opt.py, sequential through ask/tell):
# RandomSampler, QMCSampler, TPESampler, TPESampler(multivariate=True),
# TPESampler(multivariate=True, group=True) on the conditional space, and
# CmaEsSampler.  Problems:
#   branin          2-D, x1 in [-5, 10], x2 in [0, 15]; min 0.397887
#   hartmann6       6-D in [0, 1]^6; min -3.32237
#   rosenbrock4log  4-D Rosenbrock, each x in [1e-3, 10] on a log scale; min 0 at x = 1
#   ackley5         5-D in [-32.768, 32.768]^5; min 0 at 0
#   mixed           lr log-float, depth int, act choice of 4, drop float; min 0
#   levy6, schwefel4, rastrigin8, styblinski10: rugged, 4-10 D
#   rastrigin8s, ackley5s: rastrigin8 and ackley5 with the minimum moved off
#                   the box's centre, where CMA-ES starts (as BBOB shifts)
#   cond            conditional: model lin (lr, l2) or tree (depth, frac)
# and the tabular benchmarks of ../shared/benchdata (next to the checkout;
# DATA=... elsewhere): all 8 HPOBench, 4 HPOLib and 3 NAS-Bench-201 data
# sets (every column a choice; each evaluation reports one random seed of
# the row; regret exact against the best row mean).  Then the proposal time
# with 10,000 past trials (tpe) and 500 (gp).  summarize.py prints median
# [q1, q3] at 25/50/100/200 trials and, per problem, Optuna's best sampler
# against hpo's best optimizer and auto by a paired Wilcoxon signed-rank
# test over seeds.  Run by hand; nothing here is asserted.
#
#   bench/optimizers/run.sh                       (hours on 2 cores: 20 seeds, 200 trials)
#   SEEDS=10 TRIALS=100 BATCH=1 JOBS=2 bench/optimizers/run.sh
#   FUNCS="branin cond" TABLES="nasbench201/cifar10" HPO_METHODS="gp tpe auto" bench/optimizers/run.sh
#   SEEDS=80 TRIALS=100 BATCH=1 FUNCS= HPO_METHODS=gp PERF=0 \
#     OPTUNA_METHODS="optuna-tpe optuna-tpe-mv optuna-random optuna-qmc" \
#     bench/optimizers/run.sh                     (the tables as RESULTS.md's fourth run)
#   KEEP=/tmp/out bench/optimizers/run.sh         (keeps the raw lines)
#   PERF=0 ...                                     (no proposal-time runs)
# Workers mode is simulated by hand: bench_opt synth|tab ... --workers 8
# (RESULTS.md, "Workers mode, simulated").
#
# Needs: build/release/libhpo-internal.a (make), cc, the -dev packages of `make
# deps`, and /usr/bin/python3 with optuna, cmaes and scipy (python3-optuna,
# python3-cmaes, python3-scipy) for the Optuna rows and the test.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
SEEDS=${SEEDS:-20}
TRIALS=${TRIALS:-200}
JOBS=${JOBS:-2}
BATCH=${BATCH:-}          # 1 or 8: only that; empty: both (hpo; Optuna is sequential)
CC=${CC:-cc}
DATA=${DATA:-$root/../shared/benchdata}
FUNCS=${FUNCS-branin hartmann6 rosenbrock4log ackley5 ackley5s mixed levy6 schwefel4 rastrigin8 rastrigin8s styblinski10 cond}
TABLES=${TABLES-$(cd "$DATA" 2>/dev/null && ls */*.csv.gz | sed 's/\.csv\.gz$//' | tr '\n' ' ')}
HPO_METHODS=${HPO_METHODS:-random sobol tpe tpe-uv cmaes pshe2 gp auto}
OPTUNA_METHODS=${OPTUNA_METHODS-optuna-random optuna-qmc optuna-tpe optuna-tpe-mv optuna-tpe-group optuna-cmaes}
export OPENBLAS_NUM_THREADS=1   # JOBS processes share the cores already

work=$(mktemp -d "${TMPDIR:-/tmp}/hpo-bench-opt.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

lib=$root/build/release/libhpo-internal.a
[ -f "$lib" ] || make -C "$root" >&2
libs="$(make -s -C "$root" print-libs) -lz"   # -lz: bench_opt reads the gzipped tables
$CC -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$root/lib" $(pkg-config --cflags hdf5) \
    "$here/bench_opt.c" "$lib" $libs -o "$work/bench_opt"

mode_of() {   # the direction of a table
    case $1 in hpolib/*) echo min ;; *) echo max ;; esac
}

# One job a line: a (problem, method) pair, all seeds.
opt="/usr/bin/python3 -B $here/optuna_opt.py"
have_optuna=0
/usr/bin/python3 -c 'import optuna' 2>/dev/null && have_optuna=1
batch=${BATCH:+--batch $BATCH}
{
    for f in $FUNCS; do
        for m in $HPO_METHODS; do
            echo "$work/bench_opt synth --func $f --method $m --seeds $SEEDS --trials $TRIALS $batch"
        done
        [ $have_optuna = 1 ] && for m in $OPTUNA_METHODS; do
            echo "$opt synth --func $f --method $m --seeds $SEEDS --trials $TRIALS"
        done
    done
    for t in $TABLES; do
        [ -f "$DATA/$t.csv.gz" ] || continue
        for m in $HPO_METHODS; do
            case $m in cmaes|sobol|pshe2) continue ;; esac   # all-choice spaces: refused or no better than random
            echo "$work/bench_opt tab $DATA/$t.csv.gz $(mode_of "$t") --method $m --seeds $SEEDS --trials $TRIALS $batch"
        done
        [ $have_optuna = 1 ] && for m in $OPTUNA_METHODS; do
            case $m in optuna-cmaes|optuna-tpe-group) continue ;; esac   # random / multivariate TPE there
            echo "$opt tab $DATA/$t.csv.gz $(mode_of "$t") --method $m --seeds $SEEDS --trials $TRIALS"
        done
    done
    if [ "${PERF:-1}" = 1 ]; then
        echo "$work/bench_opt perf --n 10000 --method tpe"
        echo "$work/bench_opt perf --n 500 --method gp"
        [ $have_optuna = 1 ] && echo "$opt perf --n 10000 --func branin" && echo "$opt perf --n 10000 --func hartmann6"
    fi
} > "$work/jobs"
[ $have_optuna = 1 ] || echo "no optuna in /usr/bin/python3 (apt-get install python3-optuna): hpo only" >&2
start=$(date +%s)
echo "$(wc -l < "$work/jobs") jobs on $JOBS workers" >&2
# Longest first would be better; the order above interleaves hpo and Optuna.
tr '\n' '\0' < "$work/jobs" | xargs -0 -P "$JOBS" -I{} sh -c '{} > "$1/out.$$.$(date +%s%N)" 2>>"$1/err"' _ "$work"
cat "$work"/out.* > "$work/all"
echo "$(wc -l < "$work/all") lines in $(($(date +%s) - start)) s" >&2
sort -u "$work/err" >&2 || true

/usr/bin/python3 -B "$here/summarize.py" < "$work/all"
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$work/all" "$KEEP/"; fi
