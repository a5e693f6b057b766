# bench/optimizers' driver (bench_opt.c) must read the tables and drive the
# optimizers as `hpo run` does, or its comparisons with Optuna mean nothing:
# a row with fewer seed values than the header has (NAS-Bench-201: 2 of 3
# in half its rows) is evaluated and averaged on its own values only, and
# an optimizer that sizes its own rounds (cmaes: a generation) gets the
# same rounds whatever batch the bench asks for.
source tests/integration/common.bash
build=${HPO_BUILD:-build/release}
san=""
[ "${SAN:-}" = 1 ] && san="-fsanitize=address,undefined"
cli=""
[[ $build == *-cli ]] && cli=1
libs="$(make -s NO_LIBSLURM="$cli" print-libs) -lz"   # -lz: bench_opt reads the gzipped tables
cc -std=c11 -O1 -D_GNU_SOURCE $san -Ilib $(pkg-config --cflags hdf5) bench/optimizers/bench_opt.c \
    "$build/libhpo-internal.a" $libs -o "$TMP/bench_opt"

# Row a has two seed values, 1 and 1: its mean is 1, the best (mode min).
# Read with a third value from another row (9), a's mean would be 3.67, b
# the best, and an incumbent a a regret of 1.67.  (Long names: the value
# left in a freed row then lies past what free() overwrites.)
n=configuration_with_a_long_name
printf 'x,seed0,seed1,seed2\n%s_b,2,2,2\n%s_c,9,9,9\n%s_a,1,1\n' $n $n $n | gzip > "$TMP/t.csv.gz"
out=$("$TMP/bench_opt" tab "$TMP/t.csv.gz" min --method random --seeds 5 --trials 25 --batch 1)
assert_eq "$(wc -l <<<"$out")" 5 "one line per seed"
assert_eq "$(awk '$5 != 0' <<<"$out")" "" "regret 0 once row a (mean 1) is the incumbent"

# cmaes plans a generation a round: batch 1 and batch 8 give the same trials.
out=$("$TMP/bench_opt" synth --func branin --method cmaes --seeds 2 --trials 30)
b1=$(awk '$3 == "cmaes/b1" {print $4, $5, $6}' <<<"$out")
b8=$(awk '$3 == "cmaes/b8" {print $4, $5, $6}' <<<"$out")
assert_eq "$(wc -l <<<"$b1")" 2 "two seeds at batch 1"
assert_eq "$b1" "$b8" "cmaes's regrets at 25 trials, batch 1 and batch 8"
echo "bench_opt: rows with fewer seeds, rounds cmaes sizes: ok"
