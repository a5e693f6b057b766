#!/usr/bin/python3
"""Summarize the result lines of bench_mf and optuna_mf.py (on stdin) into
the side-by-side table run.sh prints, and say whether the aims of issue 14
are met:
  - quality at equal compute: at least one of ours at or below Optuna's best
    (the Optuna method with the lowest median) on every problem;
  - compute to target: one of ours reaching the target with <= 1/5 of random
    search's compute (random's exact median from --random-p: the median of a
    geometric number of full evaluations with p = P(random config reaches
    the target), since a few seeds of random search are noisy and censored).
Better/worse claims come from a Wilcoxon signed-rank test (scipy), seed i
of one method paired with seed i of the other over the seeds both ran
(their random streams are independent: the pairing is by index only); a
run that missed the target counts with the total budget as its compute.

usage: summarize.py --budget FULL_EVALS [--random-p FILE] < lines
"""
import argparse
import math
import statistics
import sys
import warnings

try:
    from scipy.stats import wilcoxon
except ImportError:   # the table without the tests
    wilcoxon = None

FUNCS = [("curves", 27), ("mfh6-good", 100), ("mfh6-bad", 100), ("mlp-digits", 27)]
OURS = [("random", "hpo random (full budget)"), ("sh", "hpo sh (rounds)"), ("hyperband", "hpo hyperband (rounds)"),
        ("asha", "hpo asha (4 workers)"), ("asha-hb", "hpo asha-hb (4 workers)"), ("bohb", "hpo bohb (4 workers)")]
# ours that can claim the aims (random search is the reference)
CONTENDERS = ["sh", "hyperband", "asha", "asha-hb", "bohb"]
OPTUNA = [("optuna-random-sha", "optuna Random+SHA"), ("optuna-tpe-sha", "optuna TPE+SHA"),
          ("optuna-random-hb", "optuna Random+Hyperband"), ("optuna-tpe-hb", "optuna TPE+Hyperband")]
ALPHA = 0.05


def median(xs):
    """The median; inf (not reached) when at least half are inf."""
    return statistics.median(xs) if xs else math.nan


def paired(a, b, key, cap):
    """Values of key for the seeds both a and b ran, inf capped at cap."""
    da = {int(r["seed"]): min(r[key], cap) for r in a}
    db = {int(r["seed"]): min(r[key], cap) for r in b}
    common = sorted(set(da) & set(db))
    return [da[s] for s in common], [db[s] for s in common]


def common_median(a, b, key, cap=math.inf):
    """The medians of key for a and b over the seeds both ran."""
    x, y = paired(a, b, key, cap)
    return (median(x), median(y), len(x)) if x else (math.nan, math.nan, 0)


def test(a, b, key, cap):
    """(n, p, verdict of a against b: lower is better)."""
    x, y = paired(a, b, key, cap)
    if not x:
        return 0, math.nan, "no common seeds"
    d = [u - v for u, v in zip(x, y)]
    if all(abs(v) < 1e-12 for v in d):
        return len(x), 1.0, "the same on every seed"
    if wilcoxon is None:
        return len(x), math.nan, "no scipy: no test"
    with warnings.catch_warnings():
        # ties and zero differences: scipy falls back to the normal approximation
        warnings.simplefilter("ignore")
        p = wilcoxon(x, y).pvalue
    if p < ALPHA:
        return len(x), p, "better" if statistics.median(d) < 0 or sum(d) < 0 else "worse"
    return len(x), p, "no significant difference"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, required=True)
    ap.add_argument("--random-p")
    args = ap.parse_args()
    runs = {}
    for line in sys.stdin:
        f = line.split()
        if len(f) < 4 or "=" not in f[3]:
            continue
        kv = {k: float(v) for k, v in (x.split("=", 1) for x in f[3:])}
        kv["seed"] = float(f[2])
        runs.setdefault((f[0], f[1]), []).append(kv)
    ref, targets = {}, {}
    if args.random_p:
        for line in open(args.random_p):
            f = line.split()
            kv = dict(x.split("=", 1) for x in f[2:])
            ref[f[0]] = (float(kv["p"]), float(kv["median_full_evals"]))
            targets[f[0]] = float(kv["target"])
    funcs = [(n, z) for n, z in FUNCS if any(k[0] == n for k in runs)]

    def best_med(name, key):
        rs = runs.get((name, key), [])
        return median([r["best"] for r in rs]) if rs else math.nan

    def tt_med(name, key, zmax):
        rs = runs.get((name, key), [])
        return median([r["to_target"] / zmax for r in rs]) if rs else math.nan

    def fmt_tt(v):
        if math.isnan(v):
            return "-"
        return ">%g" % args.budget if math.isinf(v) else "%.1f" % v

    # Optuna's best per problem: the lowest median best (ties: the lower
    # median compute to target), and the fastest to target.
    opt_best, opt_fast = {}, {}
    for name, zmax in funcs:
        have = [k for k, _ in OPTUNA if (name, k) in runs]
        if have:
            opt_best[name] = min(have, key=lambda k: (best_med(name, k), tt_med(name, k, zmax)))
            opt_fast[name] = min(have, key=lambda k: (tt_med(name, k, zmax), best_med(name, k)))

    print("multi-fidelity benchmark, quality at equal compute: %g full evaluations of compute per run" % args.budget)
    print("(compute = the sum of the fidelity trained, a promotion charged only its new part)")
    print("best: median true value at max fidelity of the incumbent at the end (lower is better);")
    print("to-tgt: median compute, in full evaluations, until the incumbent first reached the target")
    print("(>%g: not reached in half the seeds); hit: seeds that reached it" % args.budget)
    print()
    w = 21
    head = "%-28s" % "method"
    sub = "%-28s" % ""
    for name, zmax in funcs:
        t = targets.get(name)
        head += " | %-*s" % (w, "%s (%s)" % (name, "%.4g" % t if t is not None else "?"))
        sub += " | %8s %6s %5s" % ("best", "to-tgt", "hit")
    print(head)
    print(sub)
    print("-" * len(sub))

    def row(label, key_of):
        out = "%-28s" % label
        seeds = set()
        for name, zmax in funcs:
            key = key_of(name)
            rs = runs.get((name, key), []) if key else []
            seeds.add(len(rs))
            if not rs:
                out += " | %8s %6s %5s" % ("-", "-", "-")
                continue
            hit = sum(1 for r in rs if not math.isinf(r["to_target"]))
            out += " | %8.4f %6s %5s" % (best_med(name, key), fmt_tt(tt_med(name, key, zmax)),
                                         "%d/%d" % (hit, len(rs)))
        return out + "  (%s seeds)" % "/".join(str(s) for s in sorted(seeds))

    for key, label in OURS:
        if any((n, key) in runs for n, _ in funcs):
            print(row(label, lambda n, k=key: k))
    for key, label in OPTUNA:
        if any((n, key) in runs for n, _ in funcs):
            print(row(label, lambda n, k=key: k))
    if opt_best:
        print(row("optuna best (lowest median)", lambda n: opt_best.get(n)))
    if ref:
        out = "%-28s" % "random, exact median"
        for name, zmax in funcs:
            p, m = ref.get(name, (math.nan, math.nan))
            out += " | %8s %6s %5s" % ("p=%.4f" % p, "%.0f" % m, "")
        print(out)
    if opt_best:
        print()
        print("optuna best per problem: " + ", ".join("%s: %s" % (n, opt_best[n]) for n, _ in funcs if n in opt_best))

    print()
    print("aims (medians over the seeds both ran; Wilcoxon signed-rank, paired by seed index,")
    print("p < %g for better/worse; a run that missed the target counts the whole budget):" % ALPHA)
    for name, zmax in funcs:
        print("%s:" % name)
        mine = [k for k in CONTENDERS if (name, k) in runs]
        if not mine:
            continue
        # quality at equal compute, the medians over the seeds both ran
        if name in opt_best:
            ob = opt_best[name]
            cm = {k: common_median(runs[(name, k)], runs[(name, ob)], "best") for k in mine}
            top = min(mine, key=lambda k: cm[k][0])
            ok = cm[top][0] <= cm[top][1] + 1e-12
            print("  quality: %s -- our best %s %.4f vs %s %.4f (median best over the %d common seeds)"
                  % ("met" if ok else "NOT met", top, cm[top][0], ob, cm[top][1], cm[top][2]))
            for k in mine:
                n, p, v = test(runs[(name, k)], runs[(name, ob)], "best", math.inf)
                print("    %-10s %.4f vs %.4f: %s (n=%d, p=%.3g)" % (k, cm[k][0], cm[k][1], v, n, p))
        # compute to target
        rnd = ref.get(name, (math.nan, math.nan))[1]
        if not math.isnan(rnd):
            fast = min(mine, key=lambda k: tt_med(name, k, zmax))
            r = tt_med(name, fast, zmax) / rnd
            print("  to target <= 1/5 of random's compute: %s -- %s %s of %.0f full evaluations (%.2fx)"
                  % ("met" if r <= 0.2 else "NOT met", fast, fmt_tt(tt_med(name, fast, zmax)), rnd, r))
            print("    " + ", ".join("%s %.2fx" % (k, tt_med(name, k, zmax) / rnd) for k in mine))
        if name in opt_fast:
            of = opt_fast[name]
            print("  to target vs %s (%s):" % (of, fmt_tt(tt_med(name, of, zmax))))
            for k in mine:
                n, p, v = test(runs[(name, k)], runs[(name, of)], "to_target", args.budget * zmax)
                x, y, _ = common_median(runs[(name, k)], runs[(name, of)], "to_target")
                print("    %-10s %6s vs %6s: %s (n=%d, p=%.3g)"
                      % (k, fmt_tt(x / zmax), fmt_tt(y / zmax), v, n, p))


if __name__ == "__main__":
    main()
