#!/usr/bin/env python3
"""A Python trial that knows nothing of hpo: it reads its hyperparameters
from the command line and reports one line of metrics per epoch on stdout
(`step=3 val_acc=0.91 loss=0.3`, the step being the epoch); hpo records every such line.

It fits a logistic-regression classifier by gradient descent on a small
synthetic two-class problem, so it needs only the standard library.
"""
import argparse
import math
import random


def make_data(n, seed):
    rng = random.Random(seed)
    data = []
    for _ in range(n):
        label = rng.random() < 0.5
        centre = 1.0 if label else -1.0
        x = [rng.gauss(centre * 0.8, 1.0), rng.gauss(-centre * 0.5, 1.0)]
        data.append((x, 1.0 if label else 0.0))
    return data


def accuracy(w, b, data):
    hits = sum(1 for x, y in data if ((w[0] * x[0] + w[1] * x[1] + b) > 0) == (y > 0.5))
    return hits / len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()

    train, val = make_data(400, 1), make_data(200, 2)
    w, b = [0.0, 0.0], 0.0
    rng = random.Random(0)
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(train)
        loss = 0.0
        for start in range(0, len(train), args.batch):
            batch = train[start:start + args.batch]
            gw, gb = [0.0, 0.0], 0.0
            for x, y in batch:
                z = max(-30.0, min(30.0, w[0] * x[0] + w[1] * x[1] + b))
                p = 1.0 / (1.0 + math.exp(-z))
                loss -= y * math.log(p + 1e-12) + (1 - y) * math.log(1 - p + 1e-12)
                gw = [gw[0] + (p - y) * x[0], gw[1] + (p - y) * x[1]]
                gb += p - y
            w = [w[i] - args.lr * (gw[i] / len(batch) + args.l2 * w[i]) for i in range(2)]
            b -= args.lr * gb / len(batch)
        print(f"step={epoch} loss={loss / len(train):.6f} val_acc={accuracy(w, b, val):.4f}", flush=True)


if __name__ == "__main__":
    main()
