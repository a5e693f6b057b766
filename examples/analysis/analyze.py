#!/usr/bin/python3
"""analyze.py -- the analyst's path: a sweep's results.h5 in pandas.

    /usr/bin/python3 examples/analysis/analyze.py EXP/results.h5 [--png OUT.png] [--csv OUT.csv]

Opens results.h5 with h5py (read-only, retrying while hpo's writer holds it,
as README.md describes, so it works while the sweep runs), builds

  trials  one row per trial (/trials) joined with its config (/config/P):
          a choice decoded from the column's `choices` attribute, an inactive
          parameter as None/NaN;
  curves  a long table of every report (/curves): trial_id, step, metric,
          value, time;

prints a summary (trials by status, the best trials ranked as `hpo best`
ranks them, the failures by reason) and draws, with matplotlib's Agg
backend (no display needed), the best objective so far, the learning curves
and one scatter per parameter into a PNG.  Uses only Debian's python3-h5py,
python3-pandas and python3-matplotlib.  tests/integration/analysis_example.sh
runs it on a real sweep and checks it against `hpo best` and `hpo export`.
"""
import argparse
import math
import sys
import time

import h5py
import numpy as np
import pandas as pd


def open_results(path, tries=200):
    """Open results.h5 read-only, retrying while the writer holds it."""
    for _ in range(tries):
        try:
            f = h5py.File(path, "r")
            if int(f.attrs["writing"]) == 0:
                return f
            f.close()            # only without file locks: a write in progress
        except OSError:          # the writer holds it: try again shortly
            pass
        time.sleep(0.05)
    raise TimeoutError(path)


def text(v):
    """An HDF5 fixed-length string (bytes in h5py) as str."""
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def load(f):
    """(trials, curves, params): the joined trials table, the long curves
    table, and each parameter's attributes (type, low, high, log, choices)."""
    trials = pd.DataFrame(f["trials"][:])
    for col in ("status", "node", "gpu", "reason"):
        trials[col] = trials[col].map(text)
    params = {}
    for name, col in f["config"].items():
        attrs = {k: (text(v) if isinstance(v, bytes) else v) for k, v in col.attrs.items()}
        vals = col[:]
        if "choices" in col.attrs:
            choices = [text(c) for c in col.attrs["choices"]]
            attrs["choices"] = choices
            series = pd.Series([choices[i] if i >= 0 else None for i in vals], dtype="object")
        elif "missing" in col.attrs:     # an int: INT64_MIN marks an inactive one
            series = pd.Series(vals, dtype="Int64").mask(vals == col.attrs["missing"])
        else:
            series = pd.Series(vals)     # a float: NaN when inactive
        # A parameter named like a /trials column keeps both.
        trials[name if name not in trials.columns else "config." + name] = series
        params[name] = attrs
    curves = pd.DataFrame(f["curves"][:])
    curves["metric"] = curves["metric"].map(text)
    return trials, curves, params


def ranked(trials, maximize):
    """Completed trials with a finite objective, best first: the highest
    budget first, then the objective, then the trial id (`hpo best`)."""
    done = trials[(trials["status"] == "completed") & np.isfinite(trials["objective"])].copy()
    done["_budget"] = done["budget"].fillna(-math.inf)
    done = done.sort_values(["_budget", "objective", "trial_id"], ascending=[False, not maximize, True])
    return done.drop(columns="_budget")


def summary(f, trials, params, maximize, top):
    metric = text(f.attrs["objective"])
    print("experiment: %s (%d trials, objective %s, %s)" % (text(f.attrs["name"]), len(trials), metric,
                                                            "max" if maximize else "min"))
    print("by status:  " + ", ".join("%d %s" % (n, s) for s, n in trials["status"].value_counts().items()))
    best = ranked(trials, maximize)
    cols = ["trial_id", "objective", "budget", "runtime_s"] + [c for c in trials.columns
                                                               if c in params or c.startswith("config.")]
    if len(best):
        print("\nthe %d best:" % min(top, len(best)))
        print(best[cols].head(top).to_string(index=False))
        row = best.iloc[0]
        print("\nbest: trial %d %s = %.10g" % (row["trial_id"], metric, row["objective"]))
    else:
        print("best: none yet")
    failed = trials[trials["status"].isin(["failed", "timeout", "oom", "node_fail"])]
    if len(failed):
        print("\nfailures by reason:")
        print(failed.groupby(["status", "reason"]).size().sort_values(ascending=False).to_string())
    return best


def plot(path, f, trials, curves, params, best, maximize):
    import matplotlib
    matplotlib.use("Agg")            # files only, no display
    import matplotlib.pyplot as plt

    metric = text(f.attrs["objective"])
    names = list(params)
    ncols = 3
    nrows = 1 + math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.6 * nrows), squeeze=False)

    # Best so far, in the order trials finished; in a multi-fidelity sweep
    # at the top budget only (objectives at other budgets do not compare).
    ax = axes[0][0]
    done = trials[trials["status"] == "completed"].sort_values("end_time")
    top_budget = done["budget"].max()
    at_top = done if np.isnan(top_budget) else done[done["budget"] == top_budget]
    run = at_top["objective"].cummax() if maximize else at_top["objective"].cummin()
    ax.plot(range(1, len(at_top) + 1), at_top["objective"], ".", alpha=0.4, label="trial")
    ax.step(range(1, len(at_top) + 1), run, where="post", label="best so far")
    where = "" if np.isnan(top_budget) else " at budget %g" % top_budget
    ax.set(title="best %s so far%s" % (metric, where), xlabel="trials completed" + where, ylabel=metric)
    ax.legend()

    # Learning curves: all faint, the top 5 bold.
    ax = axes[0][1]
    mine = curves[curves["metric"] == metric]
    top5 = list(best["trial_id"].head(5))
    for tid, c in mine.groupby("trial_id"):
        bold = tid in top5
        ax.plot(c["step"], c["value"], lw=2 if bold else 0.7, alpha=1 if bold else 0.25,
                color=None if bold else "grey", label="trial %d" % tid if bold else None)
    ax.set(title="learning curves (top 5 bold)", xlabel="step", ylabel=metric)
    if top5:
        ax.legend(fontsize=7)

    # The same against compute hours (every completed trial's runtime counts).
    ax = axes[0][2]
    hours = (done["runtime_s"].fillna(0).cumsum() / 3600)[at_top.index]
    ax.step(hours, run, where="post")
    ax.set(title="best so far%s by compute hours" % where, xlabel="hours (runtime summed)", ylabel=metric)

    # One scatter per parameter.
    for k, name in enumerate(names):
        ax = axes[1 + k // ncols][k % ncols]
        col = name if name in trials.columns and name in params else "config." + name
        ok = done[done[col].notna()]
        if "choices" in params[name]:
            order = params[name]["choices"]
            x = ok[col].map({c: i for i, c in enumerate(order)})
            ax.set_xticks(range(len(order)), order)
        else:
            x = ok[col].astype(float)
            if int(params[name].get("log", 0)):
                ax.set_xscale("log")
        ax.scatter(x, ok["objective"], s=12, alpha=0.6)
        ax.set(title="%s vs %s" % (metric, name), xlabel=name, ylabel=metric)
    for k in range(len(names), (nrows - 1) * ncols):
        axes[1 + k // ncols][k % ncols].axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="EXP/results.h5")
    ap.add_argument("--png", default="analysis.png", help="where to draw the plots (default analysis.png)")
    ap.add_argument("--csv", help="also write the joined trials table here")
    ap.add_argument("--top", type=int, default=5, help="how many best trials to print")
    args = ap.parse_args()
    f = open_results(args.results)
    trials, curves, params = load(f)
    maximize = text(f.attrs["mode"]) == "max"
    best = summary(f, trials, params, maximize, args.top)
    print("curves:     %d reports of %d metrics by %d trials" % (len(curves), curves["metric"].nunique(),
                                                                  curves["trial_id"].nunique()))
    if args.csv:
        trials.to_csv(args.csv, index=False)
    plot(args.png, f, trials, curves, params, best, maximize)
    print("plots:      %s" % args.png)
    f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
