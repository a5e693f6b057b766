#!/usr/bin/python3
"""summarize.py -- the tables of bench/optimizers from the lines of
bench_opt and optuna_opt.py on stdin (formats in bench_opt.c):

  1. synthetic functions: per function and optimizer, median [q1, q3] of
     log10 simple regret at 25, 50, 100, 200 trials, and ms per proposal;
  2. tabular benchmarks: median regret at 50, 100, 200 trials;
  3. proposal time with N past trials;
  4. the aim: hpo's tpe (sequential) against Optuna's TPESampler at 100
     trials, per function: no worse everywhere, better on at least half.
"""
import collections
import math
import sys


def quantiles(v):
    v = sorted(x for x in v if not math.isnan(x))
    if not v:
        return math.nan, math.nan, math.nan

    def q(p):
        k = (len(v) - 1) * p
        lo, hi = math.floor(k), math.ceil(k)
        return v[lo] + (v[hi] - v[lo]) * (k - lo)
    return q(0.5), q(0.25), q(0.75)


def order_key(method):
    base = method.split("/")[0]
    ours = not base.startswith("optuna")
    return (not ours, base, method)


def main():
    synth = collections.defaultdict(list)
    tab = collections.defaultdict(list)
    perf = {}
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "synth":
            synth[(f[1], f[2])].append([float(x) for x in f[4:9]])
        elif f[0] == "tab":
            tab[(f[1], f[2])].append([float(x) for x in f[4:8]])
        elif f[0] == "perf":
            perf[(f[1], f[2], f[3])] = float(f[4])

    funcs = sorted({k[0] for k in synth}, key=lambda n: ["branin", "hartmann6", "rosenbrock4log", "ackley5",
                                                         "mixed"].index(n) if n in
                   ["branin", "hartmann6", "rosenbrock4log", "ackley5", "mixed"] else 99)
    if synth:
        print("Synthetic functions: log10 simple regret, median [q1, q3] over seeds; ms per proposal (mean)")
        print("%-15s %-18s %4s %-21s %-21s %-21s %-21s %9s" % ("function", "optimizer", "runs", "25 trials",
                                                                "50 trials", "100 trials", "200 trials", "ms/prop"))
        for fn in funcs:
            for m in sorted({k[1] for k in synth if k[0] == fn}, key=order_key):
                rows = synth[(fn, m)]
                cells = []
                for c in range(4):
                    med, q1, q3 = quantiles([r[c] for r in rows])
                    cells.append("%6.2f [%6.2f,%6.2f]" % (med, q1, q3))
                ms = sum(r[4] for r in rows) / len(rows)
                print("%-15s %-18s %4d %s %9.3f" % (fn, m, len(rows), " ".join(cells), ms))
            print()

    if tab:
        print("Tabular benchmarks: regret of the incumbent (|its row mean - the best row mean|), "
              "median [q1, q3] over seeds")
        print("%-34s %-18s %4s %-30s %-30s %-30s %9s" % ("data set", "optimizer", "runs", "50 trials",
                                                          "100 trials", "200 trials", "ms/prop"))
        for ds in sorted({k[0] for k in tab}):
            for m in sorted({k[1] for k in tab if k[0] == ds}, key=order_key):
                rows = tab[(ds, m)]
                cells = []
                for c in range(3):
                    med, q1, q3 = quantiles([r[c] for r in rows])
                    cells.append("%9.3g [%8.3g,%8.3g]" % (med, q1, q3))
                ms = sum(r[3] for r in rows) / len(rows)
                print("%-34s %-18s %4d %s %9.3f" % (ds, m, len(rows), " ".join(cells), ms))
            print()

    if perf:
        print("Proposal time with N past trials (ms per proposal)")
        for fn in sorted({k[0] for k in perf}):
            row = {k[1]: (k[2], v) for k, v in perf.items() if k[0] == fn}
            parts = ["%s %.2f" % (m, v[1]) for m, v in sorted(row.items(), key=lambda kv: order_key(kv[0]))]
            n = next(iter(row.values()))[0]
            ratio = ""
            if "tpe" in row and "optuna-tpe" in row:
                ratio = "  (optuna-tpe / tpe = %.0fx)" % (row["optuna-tpe"][1] / row["tpe"][1])
            print("  %-15s N=%s: %s%s" % (fn, n, ", ".join(parts), ratio))
        print()

    # The aim: tpe/b1 vs optuna-tpe/b1 at 100 trials.
    verdict = []
    for fn in funcs:
        a, b = synth.get((fn, "tpe/b1")), synth.get((fn, "optuna-tpe/b1"))
        if a and b:
            verdict.append((fn, quantiles([r[2] for r in a])[0], quantiles([r[2] for r in b])[0]))
    for ds in sorted({k[0] for k in tab}):
        a, b = tab.get((ds, "tpe/b1")), tab.get((ds, "optuna-tpe/b1"))
        if a and b:
            ma, mb = quantiles([r[1] for r in a])[0], quantiles([r[1] for r in b])[0]
            verdict.append((ds, math.log10(max(ma, 1e-12)), math.log10(max(mb, 1e-12))))
    if verdict:
        print("Aim: hpo tpe vs Optuna TPE, median log10 regret at 100 trials (sequential)")
        worse = better = 0
        for name, ours, theirs in verdict:
            tag = "better" if ours < theirs else "same" if ours == theirs else "WORSE"
            worse += ours > theirs
            better += ours < theirs
            print("  %-34s tpe %7.3f  optuna-tpe %7.3f  %s" % (name, ours, theirs, tag))
        print("  => %s: no worse on %d of %d, better on %d" % (
            "met" if worse == 0 and 2 * better >= len(verdict) else "NOT met", len(verdict) - worse,
            len(verdict), better))


if __name__ == "__main__":
    main()
