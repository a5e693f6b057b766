/*
 * gp_model.h -- Gaussian-process regression for the `gp` optimizer (gp.c):
 * a Matérn-5/2 kernel with one length scale per parameter (ARD), its
 * hyperparameters fitted by maximising the marginal likelihood (with
 * priors), the posterior at many points at once, and log expected
 * improvement.  The linear algebra (Cholesky, triangular solves, inverse)
 * is LAPACKE's.
 *
 * Points have d coordinates.  A numeric coordinate is a unit-cube value
 * (space.h's encoding, so log-scale parameters are already in log space);
 * a categorical one is a category index, compared only for equality.
 * Either may be NaN: the parameter is inactive.  The squared distance is
 *   r^2 = sum_p delta_p / l_p^2
 * with delta_p = (a_p - b_p)^2 for numeric coordinates (an inactive one
 * sits at GP_INACTIVE, outside the cube), and for categorical ones 0 when
 * equal, 1 when different, 1/2 when one is inactive.  Both are squared
 * Euclidean distances of an embedding (a one-hot vector / sqrt 2, zeros
 * when inactive), so the kernel stays positive definite.
 *
 *   k(a, b) = s2 (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r),  K = k(X, X) + noise I
 *
 * or, for a model made additive (m->additive = 1 after gp_init and before
 * gp_set_data, which drops the fit's cache of pair distances), the mean
 * of d one-coordinate Matérn kernels, each on its own coordinate's
 * distance r_p^2 = delta_p / l_p^2 (first-order additive GP, Duvenaud et
 * al. 2011):
 *
 *   k(a, b) = s2 / d sum_p (1 + sqrt5 r_p + 5 r_p^2 / 3) exp(-sqrt5 r_p)
 *
 * which a separable objective (a sum of one function per parameter) fits
 * with far fewer points than the product does.
 *
 * Everything is deterministic: no randomness but the hpo_rng passed in.
 */
#ifndef HPO_OPTIMIZERS_GP_MODEL_H
#define HPO_OPTIMIZERS_GP_MODEL_H

#include <stddef.h>
#include "core/rng.h"

#define GP_INACTIVE (-0.5)

/* theta: d log length scales, then log s2, then log noise. */
#define GP_LOG_S2(d) (d)
#define GP_LOG_NOISE(d) ((d) + 1)
#define GP_NTHETA(d) ((d) + 2)

typedef struct gp_model {
    int d;
    int additive;            /* the additive kernel instead of the product */
    unsigned char *cat;      /* cat[p]: coordinate p is a category index */
    double *theta;           /* GP_NTHETA(d) */
    size_t n, cap;           /* points, and room for them */
    double *x;               /* cap x d, row-major */
    double *y;               /* cap */
    double *L;               /* cap x cap, column-major: lower Cholesky factor of K */
    double *alpha;           /* K^-1 y */
    double *pairs;           /* the fit's cache: delta_p of each pair i > j of
                                the n points (n(n-1)/2 x d), or NULL */
} gp_model;

/* A model for up to cap points, with theta at its defaults (length scales
 * 0.5, s2 1, noise 1e-4). */
void gp_init(gp_model *m, int d, const unsigned char *cat, size_t cap);
void gp_free(gp_model *m);

/* The kernel k(a, b) under m->theta (without the noise). */
double gp_kernel(const gp_model *m, const double *a, const double *b);

/* Set the data (n <= cap rows of x, y) and factor K; 0, or -1 when K could
 * not be factored even with added jitter. */
int gp_set_data(gp_model *m, size_t n, const double *x, const double *y);

/* Append one point, extending the factor in O(n^2) (a kriging believer
 * calls it with y = the posterior mean at x); 0 or -1 as above. */
int gp_add(gp_model *m, const double *x, double y);

/* Posterior mean and variance (of the latent function: no noise) at the
 * k points xs (k x d, row-major). */
void gp_predict(const gp_model *m, size_t k, const double *xs, double *mean, double *var);

/* The negative log marginal likelihood of m's data under theta, plus the
 * negative log prior, and its gradient in grad (NULL: not wanted).  +inf
 * when K cannot be factored.  Fills m's pair cache. */
double gp_neg_log_posterior(gp_model *m, const double *theta, double *grad);

/* Fit m->theta to m's data: maximise the marginal likelihood times the
 * prior from `restarts` starts (the defaults, then random ones), by Rprop
 * on the gradient; then refactor.  0 or -1 as gp_set_data. */
int gp_fit(gp_model *m, hpo_rng *rng, int restarts, int iterations);

/* gp_fit in two steps, for comparing fits of different data from the same
 * start (gp.c's warps of the objective): gp_fit_first, the defaults'
 * start only (no random numbers drawn), m->theta its optimum, returns its
 * negative log posterior; gp_fit_rest, given that value, the other
 * restarts, then refactors as gp_fit. */
double gp_fit_first(gp_model *m, int iterations);
int gp_fit_rest(gp_model *m, double first, hpo_rng *rng, int restarts, int iterations);

/* log E[max(best - f, 0)] for f ~ N(mean, var), accurate far into the
 * tail (where EI itself underflows to 0). */
double gp_log_ei(double mean, double var, double best);

#endif
