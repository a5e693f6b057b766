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
# The Optuna side's functions are bench_opt's: the same value at random
# points of each all-float function's box, and the shifted variants' minimum
# 0 at their shift (off the box's centre, where CMA-ES starts).
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import optuna' 2>/dev/null ||
    fail "bench_opt: /usr/bin/python3 with optuna (python3-optuna, make deps) is needed to compare the functions"
out=$(/usr/bin/python3 -B - "$TMP/bench_opt" <<'PY'
import random, subprocess, sys
sys.path.insert(0, "bench/optimizers")
import optuna_opt as o
rng = random.Random(7)
points = []
for name, (space, f, fmin) in o.FUNCS.items():
    if space is not None and all(type(d).__name__ == "FloatDistribution" for _, d in space):
        points += [(name, [rng.uniform(d.low, d.high) for _, d in space]) for _ in range(3)]
points += [("rastrigin8s", o.RASTRIGIN_SHIFT), ("ackley5s", o.ACKLEY_SHIFT)]
bad = 0
for name, x in points:
    c = float(subprocess.run([sys.argv[1], "eval", name] + [repr(v) for v in x], check=True,
                             capture_output=True, text=True).stdout)
    py = o.FUNCS[name][1](x)
    if abs(c - py) > 1e-9 * (1 + abs(py)):
        print("%s at %s: bench_opt %r, optuna_opt.py %r" % (name, x, c, py)); bad += 1
    if x is o.RASTRIGIN_SHIFT or x is o.ACKLEY_SHIFT:
        if abs(c) > 1e-9:
            print("%s at its shift: %r, not 0" % (name, c)); bad += 1
print("%d points, %d bad" % (len(points), bad))
PY
) || fail "comparing the functions: $out"
assert_eq "$(tail -1 <<<"$out")" "32 points, 0 bad" "bench_opt's and optuna_opt.py's functions at the same points ($out)"
echo "bench_opt: rows with fewer seeds, rounds cmaes sizes, functions as optuna_opt.py's: ok"
