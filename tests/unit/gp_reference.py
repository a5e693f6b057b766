#!/usr/bin/python3
# gp_reference.py -- the reference values of test_gp.c, computed with
# numpy/scipy/mpmath independently of gp_model.c: the kernel is built from
# the explicit embedding (inactive numeric -> -0.5, a choice -> one-hot /
# sqrt 2, all zeros when inactive) and a plain Euclidean Matern-5/2.
#   /usr/bin/python3 tests/unit/gp_reference.py
import numpy as np, mpmath
from scipy.stats import norm

nan = float("nan")
X = np.array([[0.1, 0.2, 0], [0.4, 0.9, 1], [0.7, 0.5, 0], [0.3, nan, 2], [0.95, 0.05, nan]])
Y = np.array([1.0, -0.5, 0.3, 2.0, 0.7])
XS = np.array([[0.5, 0.5, 1], [0.2, nan, 2], [0.0, 1.0, nan]])
LS = np.array([0.3, 0.5, 0.8]); S2 = 1.5; NOISE = 1e-3; K_CHOICES = 3

def embed(x):
    out = []
    for p in range(2):
        out.append((-0.5 if np.isnan(x[p]) else x[p]) / LS[p])
    oh = np.zeros(K_CHOICES)
    if not np.isnan(x[2]): oh[int(x[2])] = 1 / np.sqrt(2)
    return np.concatenate([out, oh / LS[2]])

def kern(A, B):
    EA, EB = np.array([embed(a) for a in A]), np.array([embed(b) for b in B])
    r = np.sqrt(((EA[:, None, :] - EB[None, :, :]) ** 2).sum(-1))
    return S2 * (1 + np.sqrt(5) * r + 5 * r * r / 3) * np.exp(-np.sqrt(5) * r)

K = kern(X, X) + NOISE * np.eye(len(X))
Ks = kern(X, XS)
mean = Ks.T @ np.linalg.solve(K, Y)
var = S2 - np.einsum("ij,ij->j", Ks, np.linalg.solve(K, Ks))
sign, logdet = np.linalg.slogdet(K)
nll = 0.5 * Y @ np.linalg.solve(K, Y) + 0.5 * logdet + 0.5 * len(Y) * np.log(2 * np.pi)
np.set_printoptions(precision=17)
print("K (with noise)", repr(K.ravel()))
print("mean", repr(mean)); print("var", repr(var)); print("nll (no prior)", repr(nll))

def log_ei(m, v, best):
    mpmath.mp.dps = 60
    s = mpmath.sqrt(v); z = (best - m) / s
    h = mpmath.npdf(z) + z * mpmath.ncdf(z)
    return float(mpmath.log(s * h))
for m, v, best in [(0.3, 0.04, 0.5), (1.0, 0.25, 0.0), (0.0, 1.0, 0.0), (2.0, 0.01, -1.0), (50.0, 1.0, 0.0)]:
    z = (best - m) / np.sqrt(v)
    print("log_ei", m, v, best, repr(log_ei(m, v, best)),
          "scipy:", repr(np.log(np.sqrt(v) * (z * norm.cdf(z) + norm.pdf(z)))))

# gp_neg_log_posterior at theta = (log LS, log S2, log NOISE): nll plus the
# priors' negative logs (gp_model.c: log l ~ N(sqrt2 + log(3)/2, sqrt3),
# log s2 ~ N(0, 1.5), log noise ~ N(-8, 3)), constants of the priors left out.
mu = np.sqrt(2) + 0.5 * np.log(3)
prior = 0.5 * (((np.log(LS) - mu) / np.sqrt(3)) ** 2).sum() + 0.5 * (np.log(S2) / 1.5) ** 2 \
    + 0.5 * ((np.log(NOISE) + 8) / 3) ** 2
print("neg log posterior", repr(nll + prior))
