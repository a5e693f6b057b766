#!/usr/bin/python3
"""Summarize the result lines of bench_mf and optuna_mf.py (on stdin) into
the side-by-side table run.sh prints, and say whether the aims are met.

usage: summarize.py --budget FULL_EVALS [--random-p FILE] < lines
"""
import argparse
import math
import statistics
import sys

FUNCS = [("curves", 27, 0.2), ("mfh6-good", 100, -2.0), ("mfh6-bad", 100, -2.0)]
METHODS = [("random", "hpo random (full budget)"), ("sh", "hpo sh"), ("hyperband", "hpo hyperband"),
           ("optuna-tpe-hb", "optuna TPE+Hyperband"), ("optuna-random-sha", "optuna Random+SHA")]


def median(xs):
    """The median; inf (not reached) when at least half are inf."""
    return statistics.median(xs) if xs else math.nan


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
        kv = dict(x.split("=", 1) for x in f[3:])
        runs.setdefault((f[0], f[1]), []).append({k: float(v) for k, v in kv.items()})
    ref = {}
    if args.random_p:
        for line in open(args.random_p):
            f = line.split()
            kv = dict(x.split("=", 1) for x in f[2:])
            ref[f[0]] = (float(kv["p"]), float(kv["median_full_evals"]))

    def cell_best(rs):
        return "%8.3f" % median([r["best"] for r in rs]) if rs else "%8s" % "-"

    def to_target(rs, zmax):
        return median([r["to_target"] / zmax for r in rs]) if rs else math.nan

    def fmt_tt(v):
        if math.isnan(v):
            return "%7s" % "-"
        return "%7s" % (">%g" % args.budget) if math.isinf(v) else "%7.1f" % v

    seeds = max((len(v) for v in runs.values()), default=0)
    print("multi-fidelity benchmark: total budget %g full evaluations per run, median over seeds" % args.budget)
    print("(best: true value at max fidelity of the incumbent at the end; to-tgt: budget, in full")
    print(" evaluations, spent when the incumbent first reached the target; hit: seeds that reached it)")
    print()
    w = 27
    head = "%-26s" % "method"
    sub = "%-26s" % ""
    for name, zmax, target in FUNCS:
        head += " | %-*s" % (w, "%s (target %g)" % (name, target))
        sub += " | %8s %7s %4s %5s" % ("best", "to-tgt", "hit", "cost")
    print(head)
    print(sub)
    print("-" * len(sub))
    med = {}
    for key, label in METHODS:
        row = "%-26s" % label
        n_seen = 0
        for name, zmax, target in FUNCS:
            rs = runs.get((name, key), [])
            n_seen = max(n_seen, len(rs))
            tt = to_target(rs, zmax)
            cost = median([r["cost_to_target"] for r in rs]) if rs else math.nan
            hit = sum(1 for r in rs if not math.isinf(r["to_target"]))
            med[(name, key)] = (median([r["best"] for r in rs]) if rs else math.nan, tt)
            row += " | %s %s %4s %5s" % (cell_best(rs), fmt_tt(tt), "%d/%d" % (hit, len(rs)) if rs else "-",
                                        fmt_tt(cost).strip() if rs else "-")
        print(row + ("   (%d seeds)" % n_seen if n_seen != seeds else ""))
    if ref:
        row = "%-26s" % "random, exact median"
        for name, zmax, target in FUNCS:
            p, m = ref.get(name, (math.nan, math.nan))
            row += " | %8s %7.1f %10s" % ("", m, "p=%.4f" % p) + " " * 0
        print(row)
    print()
    print("cost: median mf-prior-bench cost to the target (Hartmann: 0.05+0.95(z/100)^2 per evaluation,")
    print("a promotion charged the difference; curves: epochs/27), in full-evaluation units.")
    print()
    print("aims:")
    for name, zmax, target in FUNCS:
        hb_best, hb_tt = med.get((name, "hyperband"), (math.nan, math.nan))
        rnd_best, rnd_tt = med.get((name, "random"), (math.nan, math.nan))
        # The reference is random search's exact median (from p, 10^6 configs):
        # 20 seeds of it are noisy, and censored at the budget.
        ref_tt = ref[name][1] if name in ref else rnd_tt
        if math.isinf(hb_tt):
            verdict, why = "NOT met", "hyperband did not reach the target in half the seeds"
        else:
            r = hb_tt / ref_tt
            verdict = "met" if r <= 0.2 else "NOT met"
            why = "%.2fx (%.1f vs %.1f full evaluations, random's exact median)" % (r, hb_tt, ref_tt)
            if not math.isinf(rnd_tt) and not math.isnan(rnd_tt):
                why += "; %.2fx random's median over the seeds (%.1f)" % (hb_tt / rnd_tt, rnd_tt)
        print("  %-10s hyperband <= 1/5 of random's budget to target: %s -- %s" % (name, verdict, why))
        for key, label in METHODS[3:]:
            ob, ot = med.get((name, key), (math.nan, math.nan))
            if math.isnan(ob):
                continue
            print("  %-10s   hyperband vs %-22s median best %.3f vs %.3f (to target %s vs %s): %s"
                  % ("", label, hb_best, ob, fmt_tt(hb_tt).strip(), fmt_tt(ot).strip(),
                     "no worse" if hb_best <= ob else "WORSE"))
        if not any(k[1].startswith("optuna") for k in runs if k[0] == name):
            print("  %-10s   (no optuna results)" % "")


if __name__ == "__main__":
    main()
