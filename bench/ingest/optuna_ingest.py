#!/usr/bin/python3
"""optuna_ingest.py -- the peer of bench_ingest.c: record N trials x P
intermediate values through Optuna's RDBStorage on SQLite, as Optuna does
when trials report (one storage call, one transaction, per report).

    /usr/bin/python3 optuna_ingest.py [--trials N] [--points P] --db FILE

Each trial: create_new_trial, three set_trial_param calls (the same space
as bench_ingest.c), P set_trial_intermediate_value calls, and a
set_trial_state_values(COMPLETE).  Optuna is slow, so the caller runs a few
hundred trials and extrapolates (the rate is flat in N).  Prints one line:
    optuna trials=N points=T seconds=S rate=R bytes=F
"""
import argparse
import math
import os
import random
import time

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.study import StudyDirection
from optuna.trial import TrialState


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--db", required=True)
    a = ap.parse_args()
    if os.path.exists(a.db):
        os.unlink(a.db)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = random.Random(1)
    dists = {
        "lr": FloatDistribution(1e-5, 1.0, log=True),
        "layers": IntDistribution(1, 8),
        "opt": CategoricalDistribution(["sgd", "adam", "rmsprop"]),
    }

    t0 = time.monotonic()
    storage = optuna.storages.RDBStorage("sqlite:///" + os.path.abspath(a.db))
    study = storage.create_new_study([StudyDirection.MINIMIZE], "bench-ingest")
    for _ in range(a.trials):
        tid = storage.create_new_trial(study)
        storage.set_trial_param(tid, "lr", math.exp(math.log(1e-5) + rng.random() * -math.log(1e-5)),
                                dists["lr"])
        storage.set_trial_param(tid, "layers", float(rng.randint(1, 8)), dists["layers"])
        storage.set_trial_param(tid, "opt", float(rng.randrange(3)), dists["opt"])
        loss = 2.0 + rng.random()
        for step in range(a.points):
            loss *= 0.97 + 0.02 * rng.random()
            storage.set_trial_intermediate_value(tid, step, loss)
        storage.set_trial_state_values(tid, TrialState.COMPLETE, [loss])
    storage.remove_session()
    secs = time.monotonic() - t0

    total = a.trials * a.points
    size = os.path.getsize(a.db)
    print(f"optuna trials={a.trials} points={total} seconds={secs:.3f} "
          f"rate={total / secs:.0f} bytes={size}")


if __name__ == "__main__":
    main()
