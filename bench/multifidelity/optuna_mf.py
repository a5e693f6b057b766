#!/usr/bin/python3
"""Optuna's pruners on the objectives of bench_mf.c (mf_functions.h), for
bench/multifidelity/run.sh.

Methods: random-sha, tpe-sha, random-hb, tpe-hb: RandomSampler or
TPESampler (Optuna's defaults, seeded) with SuccessiveHalvingPruner or
HyperbandPruner, min_resource = the fidelity's minimum, max_resource
(Hyperband) = its maximum, reduction_factor 3.  One study runs its trials
one after another (n_jobs 1: every pruning decision sees every earlier
trial, Optuna's most informed setting).  A trial reports its value
at every step of the fidelity (epochs 1..27; z = 3..100) and stops when
pruned; it costs the fidelity it reached (epochs, or z), which is what a
trial promoted from a checkpoint costs in bench_mf.c.  A study stops before
the step that would take it past the total budget.  The incumbent is the
trial that reached the maximum fidelity with the best observed value; its
quality is its true (noiseless, maximum-fidelity) value.

Output: the lines of bench_mf.c,
  FUNC METHOD SEED best=.. to_target=..|inf cost_to_target=..|inf trials=N used=..

mlp-digits (with --mlp-table FILE, mlp_table.py's output): the learning
curves of scikit-learn's MLPClassifier on the digits, looked up; the space is
the grid's indices (ints) and the activation (categorical), as in bench_mf.c;
the target is the 1% quantile of the grid's final losses.

usage: optuna_mf.py [--seeds N] [--seed0 K] [--budget FULL_EVALS] [--func NAME] [--method NAME]
                    [--mlp-table FILE]
"""
import argparse
import math
import os
import struct
import sys

import optuna

MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", float(v)))[0]


def mhash(words):
    h = 0
    for w in words:
        h = splitmix64(h ^ (w & MASK))
    return h


def gauss(h):
    u1 = ((splitmix64(h ^ 1) >> 11) + 0.5) * 2.0 ** -53
    u2 = (splitmix64(h ^ 2) >> 11) * 2.0 ** -53
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


# ---- the learning curve (examples/curves/curves.py) ----
ACTS = ["relu", "tanh", "sigmoid"]
PENALTY = [0.0, 0.1, 0.3]


def curve_loss(x, epoch, noisy=True):
    lr, m, w, a = x
    l = math.log10(lr) + 2.0
    final = l * l + 4.0 * (m - 0.9) ** 2 + ((w - 64.0) / 64.0) ** 2 + PENALTY[a]
    tau = min(max(3.0 * 10.0 ** (-l / 2.0) * math.sqrt(w / 64.0), 0.5), 50.0)
    v = final + 2.0 * math.exp(-epoch / tau)
    if noisy:
        v += 0.02 * gauss(mhash([bits(lr), bits(m), int(w), a, int(round(epoch))]))
    return v


# ---- multi-fidelity Hartmann-6 (mf-prior-bench) ----
ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6_mf(x, z, bias, noise, noisy=True):
    s = min(math.log(z) / math.log(100.0), 1.0)
    f = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(6):
            d = x[j] - 1e-4 * P[i][j]
            inner += A[i][j] * d * d
        f -= (ALPHA[i] - bias * (1.0 - s)) * math.exp(-inner)
    if noisy and s < 1:
        f += abs(gauss(mhash([bits(v) for v in x] + [bits(z)]))) * noise * (1.0 - s)
    return f


def hartmann6_cost(z):
    return 0.05 + 0.95 * (z / 100.0) ** 2


# ---- the MLP learning curves (mlp_table.py) ----
MLP_ACTS = ["relu", "tanh", "logistic"]


class Table:
    def __init__(self, path):
        rows = [line.split() for line in open(path) if line.strip()]
        self.dims = [max(int(r[d]) for r in rows) + 1 for d in range(5)]
        self.curves = {tuple(int(v) for v in r[:5]): [float(v) for v in r[5:]] for r in rows}
        self.epochs = len(rows[0]) - 5
        final = sorted(c[-1] for c in self.curves.values())
        self.target = final[(len(final) + 99) // 100 - 1]


class Func:
    def __init__(self, name, zmin, zmax, target, bias=0.0, noise=0.0):
        self.name, self.zmin, self.zmax, self.target = name, zmin, zmax, target
        self.bias, self.noise = bias, noise
        self.curves = name == "curves"
        self.table = None

    def sample(self, trial):
        if self.table:
            t = self.table
            return (trial.suggest_int("lr", 0, t.dims[0] - 1), trial.suggest_int("alpha", 0, t.dims[1] - 1),
                    trial.suggest_int("width", 0, t.dims[2] - 1), trial.suggest_int("batch", 0, t.dims[3] - 1),
                    MLP_ACTS.index(trial.suggest_categorical("act", MLP_ACTS)))
        if self.curves:
            return (trial.suggest_float("lr", 1e-4, 1.0, log=True),
                    trial.suggest_float("momentum", 0.5, 0.99),
                    trial.suggest_int("width", 16, 256, log=True),
                    ACTS.index(trial.suggest_categorical("act", ACTS)))
        return tuple(trial.suggest_float("x%d" % j, 0.0, 1.0) for j in range(6))

    def value(self, x, z, noisy=True):
        if self.table:
            return self.table.curves[x][z - 1]
        if self.curves:
            return curve_loss(x, z, noisy)
        return hartmann6_mf(x, z, self.bias, self.noise, noisy)

    def cost(self, z):
        return hartmann6_cost(z) if self.name.startswith("mfh6") else z / self.zmax


# The targets: the 1% quantile of the true value of a random config (see run.sh).
FUNCS = {
    "curves": Func("curves", 1, 27, 0.2),
    "mfh6-good": Func("mfh6-good", 3, 100, -2.0, 2.5, 2.0),
    "mfh6-bad": Func("mfh6-bad", 3, 100, -2.0, 3.5, 4.0),
}


METHODS = ["random-sha", "tpe-sha", "random-hb", "tpe-hb"]


def run_one(f, method, seed, total):
    sampler_name, pruner_name = method.split("-")
    if sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    if pruner_name == "hb":
        pruner = optuna.pruners.HyperbandPruner(min_resource=f.zmin, max_resource=f.zmax, reduction_factor=3)
    else:
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=f.zmin, reduction_factor=3)
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    st = dict(used=0.0, cost=0.0, best_obs=math.inf, best_true=math.nan, to_target=math.inf,
              cost_to_target=math.inf, out=False)

    def objective(trial):
        x = f.sample(trial)
        reached = 0
        value = math.nan
        for z in range(f.zmin, f.zmax + 1):
            extra = z - reached
            if st["used"] + extra > total + 1e-9:
                st["out"] = True
                raise optuna.TrialPruned()
            st["used"] += extra
            st["cost"] += f.cost(z) - (f.cost(reached) if reached else 0.0)
            reached = z
            value = f.value(x, z)
            trial.report(value, z)
            if z < f.zmax and trial.should_prune():
                raise optuna.TrialPruned()
        if value < st["best_obs"]:
            st["best_obs"] = value
            st["best_true"] = f.value(x, f.zmax, noisy=False)
            if st["best_true"] <= f.target and math.isinf(st["to_target"]):
                st["to_target"], st["cost_to_target"] = st["used"], st["cost"]
        return value

    def stop_when_spent(study, trial):
        if st["out"]:
            study.stop()

    study.optimize(objective, callbacks=[stop_when_spent], gc_after_trial=False)
    return st, len(study.trials)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--budget", type=float, default=200, help="total budget, in full evaluations")
    ap.add_argument("--func", choices=sorted(FUNCS) + ["mlp-digits"])
    ap.add_argument("--method", choices=METHODS)
    ap.add_argument("--mlp-table")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if args.mlp_table:
        t = Table(args.mlp_table)
        FUNCS["mlp-digits"] = Func("mlp-digits", 1, t.epochs, t.target)
        FUNCS["mlp-digits"].table = t
    for name, f in FUNCS.items():
        if args.func and name != args.func:
            continue
        for method in METHODS:
            if args.method and method != args.method:
                continue
            for seed in range(args.seed0, args.seed0 + args.seeds):
                st, n = run_one(f, method, seed, args.budget * f.zmax)
                print("%s optuna-%s %d best=%.6g to_target=%.6g cost_to_target=%.6g trials=%d used=%.6g"
                      % (name, method, seed, st["best_true"], st["to_target"], st["cost_to_target"], n,
                         st["used"]), flush=True)


if __name__ == "__main__":
    main()
