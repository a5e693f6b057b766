/*
 * mf_functions.h -- the multi-fidelity objectives of the benchmark, in C
 * (bench/multifidelity/optuna_mf.py implements the same ones in Python, and
 * examples/curves/curves.py the learning curve; the noise of all three is
 * the same splitmix64 hash of the config and the fidelity, so a config
 * evaluated at a fidelity gives the same value in each).
 *
 *   curves      the synthetic learning curve of examples/curves, fidelity =
 *               epochs in [1, 27]: loss(e) = final + 2 exp(-e/tau) + 0.02 N.
 *               True value: the noiseless loss at epoch 27.
 *   mfh6-good   multi-fidelity Hartmann-6 as mf-prior-bench builds it, with
 *   mfh6-bad    fidelity z in [3, 100] and s = log(z)/log(100) in [0, 1]:
 *               alpha' = alpha - bias (1 - s), f = -sum_i alpha'_i exp(-sum_j
 *               A_ij (x_j - P_ij)^2) + |N(0,1)| noise (1 - s); good: bias
 *               2.5, noise 2; bad: bias 3.5, noise 4.  Cost of an evaluation
 *               at z: 0.05 + 0.95 (z/100)^2.  True value: f at z = 100
 *               (noiseless there), minimum -3.32237.
 */
#ifndef MF_FUNCTIONS_H
#define MF_FUNCTIONS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t mf_splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static inline uint64_t mf_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static inline uint64_t mf_hash(const uint64_t *w, int n)
{
    uint64_t h = 0;
    for (int i = 0; i < n; i++) h = mf_splitmix64(h ^ w[i]);
    return h;
}

/* A standard normal draw that is a pure function of h (Box-Muller). */
static inline double mf_gauss(uint64_t h)
{
    double u1 = ((double)(mf_splitmix64(h ^ 1) >> 11) + 0.5) * 0x1p-53;
    double u2 = (double)(mf_splitmix64(h ^ 2) >> 11) * 0x1p-53;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ---- the learning curve: x = (lr, momentum, width, act index) ---- */

static inline double curve_final(const double *x)
{
    static const double penalty[3] = {0.0, 0.1, 0.3};
    double l = log10(x[0]) + 2.0;
    return l * l + 4.0 * (x[1] - 0.9) * (x[1] - 0.9) + ((x[2] - 64.0) / 64.0) * ((x[2] - 64.0) / 64.0) +
           penalty[(int)x[3]];
}

static inline double curve_loss(const double *x, double epoch, int noisy)
{
    double tau = 3.0 * pow(10.0, -(log10(x[0]) + 2.0) / 2.0) * sqrt(x[2] / 64.0);
    tau = tau < 0.5 ? 0.5 : tau > 50.0 ? 50.0 : tau;
    double v = curve_final(x) + 2.0 * exp(-epoch / tau);
    if (noisy) {
        uint64_t w[5] = {mf_bits(x[0]), mf_bits(x[1]), (uint64_t)(int64_t)x[2], (uint64_t)(int64_t)x[3],
                         (uint64_t)(int64_t)llround(epoch)};
        v += 0.02 * mf_gauss(mf_hash(w, 5));
    }
    return v;
}

/* ---- multi-fidelity Hartmann-6: x in [0,1]^6, z in [3, 100] ---- */

static inline double hartmann6_mf(const double *x, double z, double bias, double noise, int noisy)
{
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                   {2329, 4135, 8307, 3736, 1004, 9991},
                                   {2348, 1451, 3522, 2883, 3047, 6650},
                                   {4047, 8828, 8732, 5743, 1091, 381}};
    double s = log(z) / log(100.0);   /* mf-prior-bench: z_min = 1, z_max = 100 */
    if (s > 1) s = 1;
    double f = 0;
    for (int i = 0; i < 4; i++) {
        double inner = 0;
        for (int j = 0; j < 6; j++) {
            double d = x[j] - 1e-4 * P[i][j];
            inner += A[i][j] * d * d;
        }
        f -= (alpha[i] - bias * (1.0 - s)) * exp(-inner);
    }
    if (noisy && s < 1) {
        uint64_t w[7];
        for (int j = 0; j < 6; j++) w[j] = mf_bits(x[j]);
        w[6] = mf_bits(z);
        f += fabs(mf_gauss(mf_hash(w, 7))) * noise * (1.0 - s);
    }
    return f;
}

static inline double hartmann6_cost(double z) { return 0.05 + 0.95 * (z / 100.0) * (z / 100.0); }

#endif
