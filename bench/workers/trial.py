#!/usr/bin/python3
"""trial.py -- the heterogeneous workload of bench/workers: a synthetic
learning curve whose seconds per epoch vary by a factor of 8 with the
config (width % 8), checkpointing after every epoch and resuming from a
parent's checkpoint (HPO_RESUME_FROM) or its own, and riding out Slurm's
warning signal (SIGUSR1/SIGUSR2), as a real training program would.

    trial.py --lr LR --width W --epochs E [--spe SECONDS]

loss(epoch) = (log10(lr) + 2)^2 + ((width - 64) / 64)^2 + 2 exp(-epoch / 5)
"""
import json
import math
import os
import signal
import sys
import time

# Slurm's warning before the time limit: the checkpoint of every epoch is
# already on disk, so there is nothing more to save; keep training.
signal.signal(signal.SIGUSR1, lambda *_: None)
signal.signal(signal.SIGUSR2, lambda *_: None)

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
lr, width = float(args["--lr"]), int(args["--width"])
epochs = int(round(float(args["--epochs"])))
spe = float(args.get("--spe", "0.05")) * (1 + width % 8)
ckpt = os.environ.get("HPO_CHECKPOINT_DIR", ".")
start = 0
for d in (os.environ.get("HPO_RESUME_FROM"), ckpt):
    try:
        start = max(start, json.load(open(os.path.join(d, "state.json")))["epoch"])
    except (OSError, TypeError, ValueError, KeyError):
        pass
final = (math.log10(lr) + 2) ** 2 + ((width - 64) / 64) ** 2
for e in range(start + 1, epochs + 1):
    time.sleep(spe)
    print("step=%d loss=%.6f" % (e, final + 2 * math.exp(-e / 5)), flush=True)
    tmp = os.path.join(ckpt, "state.tmp")
    with open(tmp, "w") as f:
        json.dump({"epoch": e}, f)
    os.rename(tmp, os.path.join(ckpt, "state.json"))
