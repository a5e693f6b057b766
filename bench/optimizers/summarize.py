#!/usr/bin/python3
"""summarize.py -- the tables of bench/optimizers from the lines of
bench_opt and optuna_opt.py on stdin (formats in bench_opt.c):

  1. per problem (synthetic function or tabular data set) and optimizer:
     median [q1, q3] over seeds of the regret (log10 for the synthetic
     functions, plain for the tables) at 25, 50, 100 and 200 trials, and
     ms per proposal;
  2. proposal time with N past trials (wall and, for hpo, CPU);
  3. the aim, at 100 trials (and again at 200 where the runs went that
     far), sequential: per problem, Optuna's best sampler
     there (lowest median) against hpo's best optimizer there and against
     `auto`, decided by a paired Wilcoxon signed-rank test over the seeds
     (p < 0.05); "tie" when the test cannot tell.  Met when hpo's best and
     auto lose nowhere and hpo's best wins on at least half the problems;
  4. batches of 8 against sequential for each method run both ways.
"""
import collections
import math
import sys

try:
    from scipy.stats import wilcoxon
except ImportError:      # the tables without the test
    wilcoxon = None

CHECKPOINTS = (25, 50, 100, 200)
AT = 2                   # index of 100 trials in CHECKPOINTS


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
    return (base.startswith("optuna"), base, method)


def is_ours(method):
    return not method.startswith("optuna")


def compare(a, b):
    """Paired by seed: 'better' / 'WORSE' / 'tie' for a against b (lower is
    better), the p value and the number of pairs."""
    seeds = sorted(set(a) & set(b))
    x = [a[s] for s in seeds if not (math.isnan(a[s]) or math.isnan(b[s]))]
    y = [b[s] for s in seeds if not (math.isnan(a[s]) or math.isnan(b[s]))]
    if len(x) < 5 or wilcoxon is None:
        return "n/a", math.nan, len(x)
    d = [u - v for u, v in zip(x, y)]
    if all(v == 0 for v in d):
        return "tie", 1.0, len(x)
    p = wilcoxon(x, y, zero_method="zsplit").pvalue
    if p >= 0.05:
        return "tie", p, len(x)
    return ("better" if quantiles(d)[0] < 0 or (quantiles(d)[0] == 0 and sum(d) < 0) else "WORSE"), p, len(x)


def main():
    # runs[(problem, method)][seed] = [value at each checkpoint]; ms[...] = [ms]
    runs = collections.defaultdict(dict)
    ms = collections.defaultdict(list)
    kind = {}
    perf = {}
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] in ("synth", "tab"):
            vals = [float(x) for x in f[4:8]]
            if f[0] == "tab":    # regret -> log10, floored like the synthetic ones
                vals = [math.log10(max(v, 1e-9)) if not math.isnan(v) else v for v in vals]
            runs[(f[1], f[2])][int(f[3])] = vals
            ms[(f[1], f[2])].append(float(f[8]))
            kind[f[1]] = f[0]
        elif f[0] == "perf":
            perf[(f[1], f[2], f[3])] = [float(x) for x in f[4:]]

    problems = sorted(kind, key=lambda p: (kind[p] != "synth", p))
    if runs:
        print("log10 regret, median [q1, q3] over seeds (tables: |incumbent's row mean - best row mean|); "
              "ms per proposal (mean)")
        print("%-34s %-18s %4s %-21s %-21s %-21s %-21s %9s" % ("problem", "optimizer", "runs", "25 trials",
                                                                "50 trials", "100 trials", "200 trials", "ms/prop"))
        for pr in problems:
            for m in sorted({k[1] for k in runs if k[0] == pr}, key=order_key):
                rows = list(runs[(pr, m)].values())
                cells = []
                for c in range(len(CHECKPOINTS)):
                    med, q1, q3 = quantiles([r[c] for r in rows])
                    cells.append("%6.2f [%6.2f,%6.2f]" % (med, q1, q3))
                print("%-34s %-18s %4d %s %9.3f" % (pr, m, len(rows), " ".join(cells),
                                                     sum(ms[(pr, m)]) / len(ms[(pr, m)])))
            print()

    if perf:
        print("Proposal time with N past trials (ms per proposal: wall, and CPU where measured)")
        for (fn, m, n), v in sorted(perf.items(), key=lambda kv: (kv[0][0], order_key(kv[0][1]), kv[0][2])):
            print("  %-15s %-15s N=%-6s %s" % (fn, m, n, "  ".join("%.2f" % x for x in v)))
        print()

    for at in (AT, AT + 1):
        aim(runs, problems, at)
    batches(runs, problems)


def aim(runs, problems, at):
    """The aim at CHECKPOINTS[at] trials (printed when any problem has it)."""
    verdict = []
    for pr in problems:
        seq = {m: runs[(pr, m)] for (p, m) in runs if p == pr and m.endswith("/b1")}
        med = {m: quantiles([r[at] for r in v.values()])[0] for m, v in seq.items()}
        theirs = [m for m in seq if not is_ours(m) and not math.isnan(med[m])]
        ours = [m for m in seq if is_ours(m) and not m.startswith(("random", "sobol", "auto"))
                and not math.isnan(med[m])]
        if not theirs or not ours:
            continue
        bt = min(theirs, key=lambda m: med[m])
        bo = min(ours, key=lambda m: med[m])
        col = lambda m: {s: r[at] for s, r in seq[m].items()}
        res_best = compare(col(bo), col(bt))
        res_auto = compare(col("auto/b1"), col(bt)) if "auto/b1" in seq else ("n/a", math.nan, 0)
        verdict.append((pr, bt, med[bt], bo, med[bo], res_best, med.get("auto/b1", math.nan), res_auto))
    if verdict:
        print("Aim, at %d trials, sequential: Optuna's best sampler per problem against hpo's best optimizer "
              "and auto (median log10 regret; Wilcoxon signed-rank over seeds, p < 0.05)" % CHECKPOINTS[at])
        print("%-34s %-20s %7s  %-12s %7s %-8s %6s  %7s %-8s %6s" % ("problem", "Optuna best", "median", "hpo best",
                                                                      "median", "", "p", "auto", "", "p"))
        lose = win = lose_auto = 0
        for pr, bt, mt, bo, mo, (tag, p, n), ma, (tag_a, pa, na) in verdict:
            lose += tag == "WORSE"
            win += tag == "better"
            lose_auto += tag_a == "WORSE"
            print("%-34s %-20s %7.3f  %-12s %7.3f %-8s %6.3f  %7.3f %-8s %6.3f" % (
                pr, bt.split("/")[0], mt, bo.split("/")[0], mo, tag, p, ma, tag_a, pa))
        print("  => %s: hpo's best loses on %d, wins on %d of %d; auto loses on %d" % (
            "met" if lose == 0 and lose_auto == 0 and 2 * win >= len(verdict) else "NOT met", lose, win,
            len(verdict), lose_auto))
        print()


def batches(runs, problems):
    """Batches of 8 against sequential, per method that has both: median
    log10 regret at 100 and 200 trials, the difference (the aim: within
    0.2), and the paired test."""
    rows = []
    for pr in problems:
        for (p, m) in sorted(runs):
            if p != pr or not m.endswith("/b8") or (pr, m[:-1] + "1") not in runs:
                continue
            b8, b1 = runs[(pr, m)], runs[(pr, m[:-1] + "1")]
            cells = []
            for at in (AT, AT + 1):
                m8 = quantiles([r[at] for r in b8.values()])[0]
                m1 = quantiles([r[at] for r in b1.values()])[0]
                if math.isnan(m8) or math.isnan(m1):
                    cells.append("%-31s" % "-")
                    continue
                tag, pv, _ = compare({s: r[at] for s, r in b8.items()}, {s: r[at] for s, r in b1.items()})
                cells.append("%6.2f %6.2f %+6.2f %-6s %5.3f" % (m8, m1, m8 - m1, tag, pv))
            rows.append("%-34s %-8s %s" % (pr, m.split("/")[0], "  ".join(cells)))
    if rows:
        print("Batches of 8 against sequential (median log10 regret b8, b1, b8-b1; Wilcoxon, p < 0.05) "
              "at 100 trials | at 200 trials")
        for r in rows:
            print(r)
        print()

if __name__ == "__main__":
    main()
