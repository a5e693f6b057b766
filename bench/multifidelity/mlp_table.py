#!/usr/bin/python3
"""Learning curves of scikit-learn's MLPClassifier on the digits, for the
`mlp-digits` problem of bench/multifidelity (bench_mf.c, optuna_mf.py).

Every config of a grid is trained for 27 epochs, one partial_fit call per
epoch (one pass over the training set in mini-batches, Adam), and after each
epoch its validation log-loss is recorded.  The optimizers then look the
curves up: a trial at budget e sees the loss after epoch e, and a promoted
trial continues the same training run (what resuming its parent's checkpoint
gives).  It is a tabular benchmark, like LCBench or HPOBench's: the curves
are real (one training run per config, deterministic: random_state 0), and
looking them up makes 20 seeds of every optimizer affordable.

Grid (ordinal indices in the search space, so every optimizer sees the same
discrete space):
  lr      learning_rate_init  1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1
  alpha   L2 penalty          1e-5, 1e-3, 1e-2, 1e-1
  width   hidden units        16, 32, 64, 128 (one hidden layer)
  batch   batch_size          32, 128
  act     activation          relu, tanh, logistic
= 768 configs.  Data: load_digits (1,797 images, 8x8, /16), a stratified
split (random_state 0) into 1,198 training and 599 validation images.
The loss is capped at 10 (a diverging run gives inf or NaN).

Output (text, one line per config, in index order
((((lr*4 + alpha)*4 + width)*2 + batch)*3 + act)):
  i_lr i_alpha i_width i_batch i_act loss_1 .. loss_27

usage: mlp_table.py OUT [--jobs N]   (about 5 CPU-minutes on an idle core)
"""
import argparse
import itertools
import math
import os
import sys
import warnings
from multiprocessing import Pool

import numpy as np

LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1]
ALPHAS = [1e-5, 1e-3, 1e-2, 1e-1]
WIDTHS = [16, 32, 64, 128]
BATCHES = [32, 128]
ACTS = ["relu", "tanh", "logistic"]
EPOCHS = 27
CAP = 10.0

_data = None


def data():
    global _data
    if _data is None:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        X, y = load_digits(return_X_y=True)
        X = X / 16.0
        _data = train_test_split(X, y, test_size=599, stratify=y, random_state=0)
    return _data


def curve(idx):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier
    i_lr, i_alpha, i_width, i_batch, i_act = idx
    Xtr, Xva, ytr, yva = data()
    classes = np.arange(10)
    m = MLPClassifier(hidden_layer_sizes=(WIDTHS[i_width],), activation=ACTS[i_act], solver="adam",
                      learning_rate_init=LRS[i_lr], alpha=ALPHAS[i_alpha], batch_size=BATCHES[i_batch],
                      random_state=0)
    out = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(EPOCHS):
            try:
                m.partial_fit(Xtr, ytr, classes=classes)
                p = m.predict_proba(Xva)
                v = log_loss(yva, p, labels=classes) if np.all(np.isfinite(p)) else math.inf
            except (ValueError, FloatingPointError):
                v = math.inf
            out.append(v if math.isfinite(v) and v < CAP else CAP)
    return idx, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    grid = list(itertools.product(range(len(LRS)), range(len(ALPHAS)), range(len(WIDTHS)), range(len(BATCHES)),
                                  range(len(ACTS))))
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        with Pool(args.jobs) as pool:
            for idx, c in pool.imap(curve, grid, chunksize=8):
                f.write(" ".join(map(str, idx)) + " " + " ".join("%.6g" % v for v in c) + "\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
