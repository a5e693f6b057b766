#!/usr/bin/python3
"""optuna_opt.py -- the Optuna side of bench/optimizers (see bench_opt.c for
the functions, the spaces and the output format, which this mirrors line for
line): RandomSampler, TPESampler, TPESampler(multivariate=True) and, when its
`cmaes` dependency imports, CmaEsSampler, all sequential (batch 1) through
ask/tell, with the time of ask() (which samples every parameter: the
distributions are fixed) as the time per proposal.

    optuna_opt.py synth [--seeds N] [--seed0 S] [--trials T] [--func F] [--method M]
    optuna_opt.py tab FILE.csv.gz min|max [--seeds N] [--seed0 S] [--trials T] [--method M]
    optuna_opt.py perf [--n 10000] [--func F]
    optuna_opt.py eval --func F --at X0,X1,...   (an all-float function's value, as bench_opt eval)
"""
import argparse
import csv
import gzip
import math
import os
import random
import sys
import time
import warnings

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")


# ---- synthetic functions (as bench_opt.c) ---------------------------------

def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    u = x[1] - b * x[0] ** 2 + c * x[0] - 6
    return u * u + 10 * (1 - t) * math.cos(x[0]) + 10


H_A = [1.0, 1.2, 3.0, 3.2]
H_AM = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
       [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(x):
    return -sum(H_A[i] * math.exp(-sum(H_AM[i][j] * (x[j] - H_P[i][j]) ** 2 for j in range(6))) for i in range(4))


def rosenbrock4(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def ackley5(x):
    s1 = sum(v * v for v in x)
    s2 = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(s1 / 5)) - math.exp(s2 / 5) + 20 + math.e


def mixed(x):
    offset = [0.3, 0, 0.6, 1.0]
    a = ["a", "b", "c", "d"].index(x[2])
    lr = math.log10(x[0]) + 2 + 0.5 * a
    return lr * lr + 0.1 * (x[1] - 7) ** 2 + offset[a] + 2 * (x[3] - 0.3) ** 2


def levy6(x):
    w = [1 + (v - 1) / 4 for v in x]
    f = math.sin(math.pi * w[0]) ** 2
    f += sum((w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2) for i in range(5))
    return f + (w[5] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[5]) ** 2)


def schwefel4(x):
    return 418.9828872724338 * 4 - sum(v * math.sin(math.sqrt(abs(v))) for v in x)


def rastrigin8(x):
    return 80 + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x)


RASTRIGIN_SHIFT = [2.11, -3.47, 0.83, 3.02, -1.66, -2.58, 1.39, -0.41]
ACKLEY_SHIFT = [12.3, -20.9, 6.1, -8.4, 17.6]


def rastrigin8s(x):
    """rastrigin8 with its minimum off the box's centre (bench_opt.c)."""
    return rastrigin8([v - o for v, o in zip(x, RASTRIGIN_SHIFT)])


def ackley5s(x):
    return ackley5([v - o for v, o in zip(x, ACKLEY_SHIFT)])


def styblinski10(x):
    return sum(0.5 * (v ** 4 - 16 * v * v + 5 * v) for v in x)


def cond(x):
    """x = [model, lr, l2, depth, frac], None where inactive (bench_opt.c)."""
    if x[0] == "lin":
        a, b = math.log10(x[1]) + 2, math.log10(x[2]) + 4
        return a * a + 0.5 * b * b + 0.2
    return 0.05 * (x[3] - 7) ** 2 + 3 * (x[4] - 0.6) ** 2


def cond_suggest(trial):
    """The conditional space, define-by-run (the only way Optuna has)."""
    model = trial.suggest_categorical("model", ["lin", "tree"])
    if model == "lin":
        return [model, trial.suggest_float("lr", 1e-4, 1, log=True), trial.suggest_float("l2", 1e-6, 0.1, log=True),
                None, None]
    return [model, None, None, trial.suggest_int("depth", 1, 12), trial.suggest_float("frac", 0.1, 1)]


def floats(names, low, high, log=False):
    return [(n, FloatDistribution(low, high, log=log)) for n in names]


FUNCS = {
    "branin": ([("x1", FloatDistribution(-5, 10)), ("x2", FloatDistribution(0, 15))], branin, 0.397887357729739),
    "hartmann6": (floats(["x%d" % i for i in range(6)], 0, 1), hartmann6, -3.32236801141551),
    "rosenbrock4log": (floats(["x%d" % i for i in range(4)], 1e-3, 10, log=True), rosenbrock4, 0.0),
    "ackley5": (floats(["x%d" % i for i in range(5)], -32.768, 32.768), ackley5, 0.0),
    "mixed": ([("lr", FloatDistribution(1e-5, 1, log=True)), ("depth", IntDistribution(1, 20)),
               ("act", CategoricalDistribution(["a", "b", "c", "d"])), ("drop", FloatDistribution(0, 1))],
              mixed, 0.0),
    "levy6": (floats(["x%d" % i for i in range(6)], -10, 10), levy6, 0.0),
    "schwefel4": (floats(["x%d" % i for i in range(4)], -500, 500), schwefel4, 0.0),
    "rastrigin8": (floats(["x%d" % i for i in range(8)], -5.12, 5.12), rastrigin8, 0.0),
    "rastrigin8s": (floats(["x%d" % i for i in range(8)], -5.12, 5.12), rastrigin8s, 0.0),
    "ackley5s": (floats(["x%d" % i for i in range(5)], -32.768, 32.768), ackley5s, 0.0),
    "styblinski10": (floats(["x%d" % i for i in range(10)], -5, 5), styblinski10, -391.6616570377142),
    "cond": (None, cond, 0.0),     # define-by-run: cond_suggest
}


def have_cmaes():
    try:
        import cmaes  # noqa: F401
        return True
    except ImportError:
        return False


def samplers(conditional=False):
    """Every sampler of this Optuna (3.1: no GPSampler yet) that can serve
    the space; group=True only where there are conditions (elsewhere it is
    multivariate TPE)."""
    s = [("optuna-random", lambda seed: optuna.samplers.RandomSampler(seed=seed)),
         ("optuna-qmc", lambda seed: optuna.samplers.QMCSampler(seed=seed, scramble=True)),
         ("optuna-tpe", lambda seed: optuna.samplers.TPESampler(seed=seed)),
         ("optuna-tpe-mv", lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=True))]
    if conditional:
        s.append(("optuna-tpe-group",
                  lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)))
    if have_cmaes():
        s.append(("optuna-cmaes", lambda seed: optuna.samplers.CmaEsSampler(seed=seed)))
    else:
        print("optuna_opt: no cmaes module: CmaEsSampler skipped", file=sys.stderr)
    return s


def run(sampler, space, evaluate, trials):
    """Ask/tell `trials` times; the objective values and the mean ask() time."""
    study = optuna.create_study(sampler=sampler)
    dists = dict(space) if space else None
    ys, spent = [], 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        if space:
            trial = study.ask(dists)
            x = [trial.params[n] for n, _ in space]
        else:    # define-by-run: the sampler's time is in the suggest calls
            trial = study.ask()
            x = cond_suggest(trial)
        spent += time.perf_counter() - t0
        y = evaluate(x)
        study.tell(trial, y)
        ys.append(y)
    return ys, 1e3 * spent / trials


def synth(args):
    for name, (space, f, fmin) in FUNCS.items():
        if args.func and args.func != name:
            continue
        for label, make in samplers(conditional=space is None):
            if args.method and args.method != label:
                continue
            if label == "optuna-cmaes" and space is None:
                continue    # CMA-ES samples conditional parameters at random: that is random search
            for seed in range(args.seed0, args.seed0 + args.seeds):
                ys, ms = run(make(seed), space, f, args.trials)
                out, best = [], math.inf
                for c in (25, 50, 100, 200):
                    if len(ys) >= c:
                        best = min(best, min(ys[:c]))
                        out.append("%.4f" % math.log10(max(best - fmin, 1e-9)))
                    else:
                        out.append("nan")
                print("synth %s %s/b1 %d %s %.4f" % (name, label, seed, " ".join(out), ms), flush=True)


def load_table(path):
    with gzip.open(path, "rt") as fh:
        r = csv.reader(fh)
        header = next(r)
        np_ = next(i for i, c in enumerate(header) if c.startswith("seed"))
        rows = {}
        for row in r:
            rows[tuple(row[:np_])] = [float(v) for v in row[np_:]]
    cols = header[:np_]
    space = []
    for i, c in enumerate(cols):
        vals = sorted({k[i] for k in rows})
        try:
            vals.sort(key=float)
        except ValueError:
            pass
        space.append((c, CategoricalDistribution(vals)))
    return space, rows


def tab(args):
    space, rows = load_table(args.path)
    maximize = args.mode == "max"
    means = {k: sum(v) / len(v) for k, v in rows.items()}
    best = max(means.values()) if maximize else min(means.values())
    name = "%s/%s" % (os.path.basename(os.path.dirname(args.path)), os.path.basename(args.path).split(".")[0])
    for label, make in samplers():
        if args.method and args.method != label:
            continue
        for seed in range(args.seed0, args.seed0 + args.seeds):
            noise = random.Random(seed * 7919 + 17)
            configs = []

            def evaluate(x):
                configs.append(tuple(x))
                v = rows[tuple(x)]
                y = v[noise.randrange(len(v))]
                return -y if maximize else y    # the study minimises

            ys, ms = run(make(seed), space, evaluate, args.trials)
            out, best_obs, regret, i = [], math.inf, math.nan, 0
            for c in (25, 50, 100, 200):
                for i in range(i, min(c, len(ys))):
                    if ys[i] < best_obs:
                        best_obs = ys[i]
                        regret = abs(best - means[configs[i]])
                i = min(c, len(ys))
                out.append("%.6g" % regret if len(ys) >= c else "nan")
            print("tab %s %s/b1 %d %s %.4f" % (name, label, seed, " ".join(out), ms), flush=True)


def perf(args):
    """Time ask() after N trials (uniform random configs, evaluated) with
    TPESampler and TPESampler(multivariate=True)."""
    for name, (space, f, _) in FUNCS.items():
        if (args.func and args.func != name) or space is None:
            continue
        rnd = random.Random(4242)
        dists = dict(space)
        history = []
        for _ in range(args.n):
            params = {}
            for n, d in space:
                if isinstance(d, CategoricalDistribution):
                    params[n] = rnd.choice(d.choices)
                elif d.log:
                    params[n] = math.exp(rnd.uniform(math.log(d.low), math.log(d.high)))
                elif isinstance(d, IntDistribution):
                    params[n] = rnd.randint(d.low, d.high)
                else:
                    params[n] = rnd.uniform(d.low, d.high)
            y = f([params[n] for n, _ in space])
            history.append(optuna.trial.create_trial(params=params, distributions=dists, value=y))
        for label, mv in (("optuna-tpe", False), ("optuna-tpe-mv", True)):
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, multivariate=mv))
            study.add_trials(history)
            reps, spent = 3, 0.0
            for _ in range(reps):
                t0 = time.perf_counter()
                trial = study.ask(dists)
                spent += time.perf_counter() - t0
                study.tell(trial, f([trial.params[n] for n, _ in space]))
            print("perf %s %s %d %.4f" % (name, label, args.n, 1e3 * spent / reps), flush=True)


def evaluate_at(args):
    space, f, _ = FUNCS[args.func]
    if space is None or any(isinstance(d, CategoricalDistribution) for _, d in space):
        sys.exit("optuna_opt: eval: %s is not an all-float function" % args.func)
    print(repr(f([float(v) for v in args.at.split(",")])))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["synth", "tab", "perf", "eval"])
    p.add_argument("path", nargs="?")
    p.add_argument("mode", nargs="?", choices=["min", "max"])
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--seed0", type=int, default=0)
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--func")
    p.add_argument("--method")
    p.add_argument("--at")
    args = p.parse_args()
    {"synth": synth, "tab": tab, "perf": perf, "eval": evaluate_at}[args.kind](args)


if __name__ == "__main__":
    main()
