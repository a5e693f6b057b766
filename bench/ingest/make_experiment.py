#!/usr/bin/python3
"""make_experiment.py -- write an experiment directory as a finished sweep
leaves it (frozen spec, plans, and per-trial journal + result files), so
that `hpo rebuild` measures the whole ingest path: reading and checking
every journal line, then writing results.h5.

usage: make_experiment.py DIR --trials N --points P [--shaped]

--shaped gives the sweep something to find (bench/report, and the report's
10,000-trial test): the loss has a best region (lr near 1e-3, layers near 5,
adam), curves fall at different rates, and about 7% of the trials fail
(diverged at a high lr, or killed), their curves cut short.  Without it the
loss is uniform noise, as the ingest benchmark has always measured.
"""
import argparse
import math
import os
import random
import zlib

SPEC = """name: bench
command: [./train, "{lr}", "{layers}", "{opt}"]
space:
  lr: {type: float, low: 1.0e-5, high: 1.0, log: true}
  layers: {type: int, low: 1, high: 8}
  opt: {type: choice, values: [sgd, adam, rmsprop]}
objective: {metric: loss, mode: min}
budget: {max_trials: 100000}
parallel: {round_size: 1000, max_concurrent: 8}
"""


def line(payload):
    return "%08x %s\n" % (zlib.crc32(payload.encode()), payload)


def shaped_trial(rng, lr, layers, opt, points):
    """(status, reason, curve) of one trial of the --shaped sweep."""
    final = (0.1 + 0.08 * (math.log10(lr) + 3) ** 2 + 0.04 * (layers - 5) ** 2
             + (0.15, 0.0, 0.05)[opt] + rng.uniform(0, 0.1))
    rate = rng.uniform(0.5, 3)
    curve = [final * (1 + rate / (s + 1)) for s in range(points)]
    if lr > 0.3 and rng.random() < 0.5:
        cut = rng.randint(1, max(1, points // 4))
        return "failed", "RuntimeError: loss is nan (diverged)", [v * (1 + s) for s, v in enumerate(curve[:cut])]
    if rng.random() < 0.02:
        cut = rng.randint(1, points)
        return "failed", "killed by signal 9 (out of memory?)", curve[:cut]
    return "completed", "", curve


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--trials", type=int, default=10000)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--round-size", type=int, default=1000)
    ap.add_argument("--workers", action="store_true",
                    help="a workers-mode sweep: one plan per trial, and a ./train that reports loss=1")
    ap.add_argument("--shaped", action="store_true",
                    help="a best region, varied curves and 7%% failed trials (bench/report)")
    a = ap.parse_args()
    if a.workers:
        a.round_size = 1
    rng = random.Random(1)
    os.makedirs(os.path.join(a.dir, "rounds"))
    os.makedirs(os.path.join(a.dir, "trials"))
    spec = os.path.join(a.dir, "spec.yaml")
    open(spec, "w").write(SPEC.replace("round_size: 1000", "mode: workers") if a.workers else SPEC)
    if a.workers:
        train = os.path.join(a.dir, "train")
        open(train, "w").write("#!/bin/sh\necho loss=1\n")
        os.chmod(train, 0o755)
    open(os.path.join(a.dir, "experiment"), "w").write(
        "format=hpo-experiment\nversion=1\nspec_source=%s\nspec_sha256=-\n" % os.path.abspath(spec))
    t0 = 1.8e9
    for r in range(0, (a.trials + a.round_size - 1) // a.round_size):
        ids = range(r * a.round_size, min(a.trials, (r + 1) * a.round_size))
        rows = ["hpo-plan 1", "round %d" % r, "kind random", "params lr layers opt"]
        for i, tid in enumerate(ids):
            lr, layers, opt = 10 ** rng.uniform(-5, 0), rng.randint(1, 8), rng.randint(0, 2)
            rows.append("trial %d %d -1 nan -1 -1 %r %d %d" % (tid, i, lr, layers, opt))
            d = os.path.join(a.dir, "trials", "t%06d" % tid)
            os.makedirs(d)
            if a.shaped:
                status, reason, curve = shaped_trial(rng, lr, layers, opt, a.points)
            else:
                loss = rng.uniform(0.1, 2)
                status, reason, curve = "completed", "", [loss * (1 + 1.0 / (s + 1)) for s in range(a.points)]
            with open(os.path.join(d, "journal"), "w") as j:
                j.write(line("e start host=bench pid=1"))
                for s, v in enumerate(curve):
                    j.write(line("r %d %r loss %r" % (s, t0 + tid + s * 0.01, v)))
            open(os.path.join(d, "result"), "w").write(
                "status=%s\nexit_code=%d\nsignal=0\nstart_time=%r\nend_time=%r\nruntime_s=1\n"
                "max_rss_kb=1000\nnode=bench\ngpu=none\nreason=%s\n"
                % (status, status != "completed", t0 + tid, t0 + tid + 1, reason))
        open(os.path.join(a.dir, "rounds", "r%04d.plan" % r), "w").write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
