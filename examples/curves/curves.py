#!/usr/bin/env python3
"""A synthetic learning curve with a known optimum, for multi-fidelity sweeps.

    python3 curves.py --lr 0.01 --momentum 0.9 --width 64 --act relu --epochs 27

prints one line per epoch, `step=<epoch> loss=<value>`, where

    loss(epoch) = final(config) + A * exp(-epoch / tau(config)) + noise

    final = (log10(lr) + 2)^2 + 4 (momentum - 0.9)^2 + ((width - 64) / 64)^2
            + penalty[act]            (relu 0, tanh 0.1, sigmoid 0.3)
    tau   = clamp(3 * 10^(-(log10(lr) + 2) / 2) * sqrt(width / 64), 0.5, 50)
    A     = 2,   noise = 0.02 * N(0, 1)

so the optimum is final = 0 at lr = 0.01, momentum = 0.9, width = 64, act =
relu (loss at epoch 27 there: 2 e^-9 = 0.00025, plus noise).  A larger lr
converges faster (smaller tau), so early epochs favour a larger lr than the
best one: low fidelities rank configs well but not perfectly.  The noise is a
pure function of the config and the epoch (a splitmix64 hash, the same one
bench/multifidelity/bench_mf.c uses), so a rerun, or a run resumed from a
checkpoint, reports exactly the same values as one run straight through.

Checkpoints: after every epoch it writes HPO_CHECKPOINT_DIR/state.json
({"epoch": N, "config": {...}}, written to a temporary file and renamed).
When HPO_RESUME_FROM names a directory holding a state.json (a parent trial's
checkpoint, when hpo promotes a trial to a larger budget), it continues from
that epoch + 1 up to --epochs, reporting only the new epochs, so the steps
continue across parent and child.  A state.json already in its own
HPO_CHECKPOINT_DIR (an earlier attempt of this trial) is used the same way if
it is further along.  Standard library only.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

ACTS = ["relu", "tanh", "sigmoid"]
PENALTY = {"relu": 0.0, "tanh": 0.1, "sigmoid": 0.3}
AMPLITUDE = 2.0
NOISE = 0.02
MASK = (1 << 64) - 1


def final(lr, momentum, width, act="relu"):
    """The loss the curve converges to; 0 at the optimum."""
    x = math.log10(lr) + 2.0
    return x * x + 4.0 * (momentum - 0.9) ** 2 + ((width - 64.0) / 64.0) ** 2 + PENALTY[act]


def tau(lr, width):
    """The curve's time constant, in epochs."""
    t = 3.0 * 10.0 ** (-(math.log10(lr) + 2.0) / 2.0) * math.sqrt(width / 64.0)
    return min(max(t, 0.5), 50.0)


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def float_bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def hash_words(words):
    h = 0
    for w in words:
        h = splitmix64(h ^ (w & MASK))
    return h


def gauss(h):
    """A standard normal draw that is a pure function of the hash h."""
    u1 = ((splitmix64(h ^ 1) >> 11) + 0.5) * 2.0 ** -53     # in (0, 1)
    u2 = (splitmix64(h ^ 2) >> 11) * 2.0 ** -53
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def loss(lr, momentum, width, act, epoch, noise=True):
    value = final(lr, momentum, width, act) + AMPLITUDE * math.exp(-epoch / tau(lr, width))
    if noise:
        h = hash_words([float_bits(lr), float_bits(momentum), width, ACTS.index(act), epoch])
        value += NOISE * gauss(h)
    return value


def read_state(directory, config):
    """The last epoch recorded in directory/state.json, or 0."""
    if not directory:
        return 0
    path = os.path.join(directory, "state.json")
    try:
        with open(path) as f:
            state = json.load(f)
    except FileNotFoundError:
        return 0
    if state.get("config") != config:
        sys.exit("curves.py: %s is the checkpoint of another config: %s" % (path, state.get("config")))
    return int(state["epoch"])


def write_state(directory, config, epoch):
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump({"epoch": epoch, "config": config}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(directory, "state.json"))


def main():
    ap = argparse.ArgumentParser(description="synthetic learning curve (see the module's docstring)")
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--momentum", type=float, required=True)
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--act", choices=ACTS, default="relu")
    ap.add_argument("--epochs", type=int, required=True, help="the budget: train up to this epoch")
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds to sleep per epoch")
    args = ap.parse_args()
    if args.lr <= 0 or args.width <= 0 or args.epochs < 1:
        ap.error("lr and width must be > 0 and epochs >= 1")

    config = {"lr": args.lr, "momentum": args.momentum, "width": args.width, "act": args.act}
    resume_from = os.environ.get("HPO_RESUME_FROM", "")
    ckpt = os.environ.get("HPO_CHECKPOINT_DIR", "")
    done = max(read_state(resume_from, config), read_state(ckpt, config))
    if resume_from and done == 0:
        print("curves.py: no state.json in %s: starting at epoch 1" % resume_from, file=sys.stderr)

    start = done + 1
    if start > args.epochs:
        # Already trained this far (a budget no larger than the parent's):
        # report the last epoch again so the trial still has its objective.
        start = args.epochs
    for epoch in range(start, args.epochs + 1):
        if args.sleep > 0:
            time.sleep(args.sleep)
        value = loss(args.lr, args.momentum, args.width, args.act, epoch)
        # Report, then checkpoint: a kill in between repeats this epoch (with
        # the same value) on resume rather than losing it.
        print("step=%d loss=%.10g" % (epoch, value), flush=True)
        if ckpt:
            write_state(ckpt, config, max(epoch, done))


if __name__ == "__main__":
    main()
