/*
 * gp_model.c -- Gaussian-process regression for `gp` (see gp_model.h):
 * the Matérn-5/2 ARD kernel, Cholesky factors by LAPACKE, MAP
 * hyperparameters, the posterior, and log expected improvement.
 */
#include "optimizers/gp_model.h"
#include "core/util.h"

#include <lapacke.h>
/* glibc's vector libm (as tpe.c uses it): exp() of two doubles at once,
 * for the additive kernel's d terms a pair. */
#if defined(__x86_64__) && defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
#include <emmintrin.h>
#define HAVE_MVEC 1
__m128d _ZGVbN2v_exp(__m128d x);
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SQRT5 2.23606797749978969641
#define LOG_SQRT_2PI 0.91893853320467274178

/* Hyperparameter bounds (the search box of the fit): length scales from a
 * hundredth of the cube to far beyond it (a parameter that does not
 * matter), the signal variance of a standardised objective, and a noise
 * floor that keeps K well conditioned on noiseless functions. */
#define LOG_LS_MIN (-4.605170185988091)   /* log 0.01 */
#define LOG_LS_MAX (4.605170185988091)    /* log 100 */
#define LOG_S2_MIN (-4.605170185988091)
#define LOG_S2_MAX (4.605170185988091)
#define LOG_NOISE_MIN (-13.815510557964274) /* log 1e-6 */
#define LOG_NOISE_MAX 0.0

/* Priors (on the logs, Gaussian): length scales as BoTorch's dimension-
 * scaled default (Hvarfner et al. 2024: log l ~ N(sqrt2 + log(d)/2, sqrt3),
 * which keeps high-dimensional fits from overfitting a few points); s2
 * around 1, the scale of a standardised objective; noise small but free. */
#define PRIOR_LS_SD 1.7320508075688772
#define PRIOR_S2_MEAN 0.0
#define PRIOR_S2_SD 1.5
#define PRIOR_NOISE_MEAN (-8.0)
#define PRIOR_NOISE_SD 3.0

/* Added to the diagonal, times s2, when a factorisation fails. */
static const double jitters[] = {0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2};
#define N_JITTERS ((int)(sizeof jitters / sizeof *jitters))

void gp_init(gp_model *m, int d, const unsigned char *cat, size_t cap)
{
    memset(m, 0, sizeof *m);
    m->d = d;
    m->cap = cap ? cap : 1;
    m->cat = xmalloc((size_t)d + 1);
    if (d) memcpy(m->cat, cat, (size_t)d);
    m->theta = xmalloc(sizeof(double) * (size_t)GP_NTHETA(d));
    for (int p = 0; p < d; p++) m->theta[p] = log(0.5);
    m->theta[GP_LOG_S2(d)] = 0;
    m->theta[GP_LOG_NOISE(d)] = log(1e-4);
    m->x = xmalloc(sizeof(double) * m->cap * (size_t)(d ? d : 1));
    m->y = xmalloc(sizeof(double) * m->cap);
    m->alpha = xmalloc(sizeof(double) * m->cap);
    m->L = xmalloc(sizeof(double) * m->cap * m->cap);
}

void gp_free(gp_model *m)
{
    free(m->cat);
    free(m->theta);
    free(m->x);
    free(m->y);
    free(m->alpha);
    free(m->L);
    free(m->pairs);
}

/* ---- the kernel ---------------------------------------------------------- */

/* Coordinate p's contribution to the squared distance, before its length
 * scale (gp_model.h: the embedding). */
static double delta(int categorical, double a, double b)
{
    int ia = isnan(a), ib = isnan(b);
    if (categorical) {
        if (ia && ib) return 0;
        if (ia || ib) return 0.5;
        return a == b ? 0 : 1;
    }
    double u = ia ? GP_INACTIVE : a, v = ib ? GP_INACTIVE : b;
    return (u - v) * (u - v);
}

/* r^2 under the length scales whose inverse squares are inv_l2; each
 * coordinate's delta into dp when dp is not NULL. */
static double sq_dist(const gp_model *m, const double *inv_l2, const double *a, const double *b, double *dp)
{
    double r2 = 0;
    for (int p = 0; p < m->d; p++) {
        double dd = delta(m->cat[p], a[p], b[p]);
        if (dp) dp[p] = dd;
        r2 += dd * inv_l2[p];
    }
    return r2;
}

static double matern52(double s2, double r2)
{
    double r = sqrt(r2);
    return s2 * (1 + SQRT5 * r + (5.0 / 3.0) * r2) * exp(-SQRT5 * r);
}

/* Given each coordinate's r_p, exp(-sqrt5 r_p) into e; returns sum_p (1 +
 * sqrt5 r_p + 5 r_p^2 / 3) exp(-sqrt5 r_p), the additive kernel
 * (gp_model.h) times d / s2. */
static double additive_terms(int d, const double *r, double *e)
{
    int p = 0;
#ifdef HAVE_MVEC
    const __m128d c = _mm_set1_pd(-SQRT5);
    for (; p + 2 <= d; p += 2) _mm_storeu_pd(e + p, _ZGVbN2v_exp(_mm_mul_pd(c, _mm_loadu_pd(r + p))));
#endif
    for (; p < d; p++) e[p] = exp(-SQRT5 * r[p]);
    double sum = 0;
    for (p = 0; p < d; p++) sum += (1 + SQRT5 * r[p] + (5.0 / 3.0) * r[p] * r[p]) * e[p];
    return sum;
}

/* The additive kernel from the deltas dp; scratch: room for 2 d. */
static double additive52(int d, double s2, const double *inv_l2, const double *dp, double *scratch)
{
    for (int p = 0; p < d; p++) scratch[p] = sqrt(dp[p] * inv_l2[p]);
    return s2 * additive_terms(d, scratch, scratch + d) / d;
}

/* k(a, b) under either kernel; dp is room for 3 d (the deltas, and
 * additive52's scratch). */
static double kernel_at(const gp_model *m, double s2, const double *inv_l2, const double *a, const double *b,
                        double *dp)
{
    if (!m->additive) return matern52(s2, sq_dist(m, inv_l2, a, b, NULL));
    sq_dist(m, inv_l2, a, b, dp);
    return additive52(m->d, s2, inv_l2, dp, dp + m->d);
}

static void inverse_sq_scales(int d, const double *theta, double *inv_l2)
{
    for (int p = 0; p < d; p++) inv_l2[p] = exp(-2 * theta[p]);
}

double gp_kernel(const gp_model *m, const double *a, const double *b)
{
    double *inv_l2 = xmalloc(sizeof(double) * (size_t)(4 * m->d + 1)), *dp = inv_l2 + m->d;
    inverse_sq_scales(m->d, m->theta, inv_l2);
    double k = kernel_at(m, exp(m->theta[GP_LOG_S2(m->d)]), inv_l2, a, b, dp);
    free(inv_l2);
    return k;
}

/* K(X, X) + (noise + jitter s2) I for the n points x into the lower
 * triangle of A (column-major, leading dimension lda). */
static void build_k(const gp_model *m, const double *theta, size_t n, const double *x, double jitter, double *A,
                    size_t lda)
{
    int d = m->d;
    double *inv_l2 = xmalloc(sizeof(double) * (size_t)(4 * d + 1)), *dp = inv_l2 + d;
    inverse_sq_scales(d, theta, inv_l2);
    double s2 = exp(theta[GP_LOG_S2(d)]), noise = exp(theta[GP_LOG_NOISE(d)]);
    for (size_t j = 0; j < n; j++) {
        A[j + j * lda] = s2 + noise + jitter * s2;
        for (size_t i = j + 1; i < n; i++)
            A[i + j * lda] = kernel_at(m, s2, inv_l2, x + i * (size_t)d, x + j * (size_t)d, dp);
    }
    free(inv_l2);
}

/* Cholesky of K(x) into A, adding jitter until it succeeds; 0 or -1. */
static int factor(const gp_model *m, const double *theta, size_t n, const double *x, double *A, size_t lda)
{
    if (n == 0) return 0;
    for (int j = 0; j < N_JITTERS; j++) {
        build_k(m, theta, n, x, jitters[j], A, lda);
        if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, A, (lapack_int)lda) == 0) return 0;
    }
    return -1;
}

/* alpha = K^-1 y from the factor. */
static void solve_alpha(size_t n, const double *L, size_t lda, const double *y, double *alpha)
{
    memcpy(alpha, y, sizeof(double) * n);
    if (n) LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, 1, L, (lapack_int)lda, alpha, (lapack_int)n);
}

int gp_set_data(gp_model *m, size_t n, const double *x, const double *y)
{
    if (n > m->cap) return -1;
    if (x != m->x) memmove(m->x, x, sizeof(double) * n * (size_t)m->d);
    if (y != m->y) memmove(m->y, y, sizeof(double) * n);
    m->n = n;
    free(m->pairs);
    m->pairs = NULL;
    if (factor(m, m->theta, n, m->x, m->L, m->cap) != 0) return -1;
    solve_alpha(n, m->L, m->cap, m->y, m->alpha);
    return 0;
}

int gp_add(gp_model *m, const double *x, double y)
{
    size_t n = m->n, lda = m->cap;
    int d = m->d;
    if (n == m->cap) return -1;
    memcpy(m->x + n * (size_t)d, x, sizeof(double) * (size_t)d);
    m->y[n] = y;
    double *inv_l2 = xmalloc(sizeof(double) * (size_t)(d + 1));
    inverse_sq_scales(d, m->theta, inv_l2);
    double s2 = exp(m->theta[GP_LOG_S2(d)]), noise = exp(m->theta[GP_LOG_NOISE(d)]);
    /* The new row l of L: L l = k(X, x), then l_nn = sqrt(k(x,x) + noise - l.l). */
    double *l = xmalloc(sizeof(double) * (n + 1));
    for (size_t i = 0; i < n; i++) l[i] = matern52(s2, sq_dist(m, inv_l2, m->x + i * (size_t)d, x, NULL));
    free(inv_l2);
    if (n) LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, 'L', 'N', 'N', (lapack_int)n, 1, m->L, (lapack_int)lda, l, (lapack_int)n);
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += l[i] * l[i];
    double diag = s2 + noise - ss;
    if (!(diag > 1e-12 * s2)) {   /* lost to rounding: refactor all, with jitter */
        free(l);
        return gp_set_data(m, n + 1, m->x, m->y);
    }
    for (size_t i = 0; i < n; i++) m->L[n + i * lda] = l[i];
    m->L[n + n * lda] = sqrt(diag);
    free(l);
    m->n = n + 1;
    free(m->pairs);
    m->pairs = NULL;
    solve_alpha(m->n, m->L, lda, m->y, m->alpha);
    return 0;
}

void gp_predict(const gp_model *m, size_t k, const double *xs, double *mean, double *var)
{
    size_t n = m->n;
    int d = m->d;
    double s2 = exp(m->theta[GP_LOG_S2(d)]);
    if (n == 0) {
        for (size_t j = 0; j < k; j++) mean[j] = 0, var[j] = s2;
        return;
    }
    double *inv_l2 = xmalloc(sizeof(double) * (size_t)(4 * d + 1)), *dp = inv_l2 + d;
    inverse_sq_scales(d, m->theta, inv_l2);
    double *ks = xmalloc(sizeof(double) * n * k);   /* n x k, column-major */
    for (size_t j = 0; j < k; j++) {
        double mu = 0;
        for (size_t i = 0; i < n; i++) {
            double v = kernel_at(m, s2, inv_l2, m->x + i * (size_t)d, xs + j * (size_t)d, dp);
            ks[i + j * n] = v;
            mu += v * m->alpha[i];
        }
        mean[j] = mu;
    }
    /* All k right-hand sides in one triangular solve (BLAS 3). */
    LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, 'L', 'N', 'N', (lapack_int)n, (lapack_int)k, m->L, (lapack_int)m->cap, ks,
                   (lapack_int)n);
    for (size_t j = 0; j < k; j++) {
        double ss = 0;
        for (size_t i = 0; i < n; i++) ss += ks[i + j * n] * ks[i + j * n];
        double v = s2 - ss;
        var[j] = v > 1e-12 * s2 ? v : 1e-12 * s2;
    }
    free(ks);
    free(inv_l2);
}

/* ---- fitting ------------------------------------------------------------- */

static double prior_ls_mean(int d) { return M_SQRT2 + 0.5 * log(d > 0 ? d : 1); }

/* Negative log prior (up to a constant) and its gradient, added to grad. */
static double neg_log_prior(int d, int additive, const double *theta, double *grad)
{
    /* An additive kernel's length scales are each of one coordinate's
     * distance alone: the prior of a 1-parameter space. */
    double nlp = 0, mu = prior_ls_mean(additive ? 1 : d);
    for (int p = 0; p < d; p++) {
        double z = (theta[p] - mu) / PRIOR_LS_SD;
        nlp += 0.5 * z * z;
        if (grad) grad[p] += z / PRIOR_LS_SD;
    }
    double z = (theta[GP_LOG_S2(d)] - PRIOR_S2_MEAN) / PRIOR_S2_SD;
    nlp += 0.5 * z * z;
    if (grad) grad[GP_LOG_S2(d)] += z / PRIOR_S2_SD;
    z = (theta[GP_LOG_NOISE(d)] - PRIOR_NOISE_MEAN) / PRIOR_NOISE_SD;
    nlp += 0.5 * z * z;
    if (grad) grad[GP_LOG_NOISE(d)] += z / PRIOR_NOISE_SD;
    return nlp;
}

/* The pairs' deltas (their square roots for the additive kernel, whose
 * terms each take one coordinate's distance), computed once per data set:
 * a fit evaluates the likelihood a hundred times on the same points. */
static const double *pair_deltas(gp_model *m)
{
    if (m->pairs || m->n < 2) return m->pairs;
    size_t n = m->n, d = (size_t)m->d, k = 0;
    m->pairs = xmalloc(sizeof(double) * (n * (n - 1) / 2) * (d ? d : 1));
    for (size_t j = 0; j < n; j++)
        for (size_t i = j + 1; i < n; i++, k++)
            for (size_t p = 0; p < d; p++) {
                double dd = delta(m->cat[p], m->x[i * d + p], m->x[j * d + p]);
                m->pairs[k * d + p] = m->additive ? sqrt(dd) : dd;
            }
    return m->pairs;
}

/* d NLL / d theta = -1/2 sum_ij W_ij dK_ij/dtheta, W = alpha alpha' - K^-1
 * (A holds K^-1's lower triangle; r[k], e[k]: pair k's distance and
 * exp(-sqrt5 r); for the additive kernel r[k d + p], e[k d + p], each
 * coordinate's). */
static void nll_gradient(const gp_model *m, const double *theta, const double *A, const double *alpha,
                         const double *pairs, const double *r, const double *e, double *grad)
{
    size_t n = m->n;
    int d = m->d;
    double *inv_l2 = xmalloc(sizeof(double) * (size_t)(d + 1));
    double *gl = xcalloc((size_t)d + 1, sizeof(double));
    inverse_sq_scales(d, theta, inv_l2);
    double s2 = exp(theta[GP_LOG_S2(d)]), noise = exp(theta[GP_LOG_NOISE(d)]);
    double g_s2 = 0, g_noise = 0;
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        double w = alpha[j] * alpha[j] - A[j + j * n];
        g_s2 += w * s2;
        g_noise += w * noise;
        for (size_t i = j + 1; i < n; i++, k++) {
            w = 2 * (alpha[i] * alpha[j] - A[i + j * n]);   /* both triangles */
            if (m->additive) {   /* each coordinate's term on its own scale */
                const double *rk = r + k * (size_t)d, *ek = e + k * (size_t)d;
                for (int p = 0; p < d; p++) {
                    double c = w * s2 / d * ek[p];
                    g_s2 += c * (1 + SQRT5 * rk[p] + (5.0 / 3.0) * rk[p] * rk[p]);
                    gl[p] += c * (5.0 / 3.0) * (1 + SQRT5 * rk[p]) * rk[p] * rk[p];
                }
                continue;
            }
            g_s2 += w * s2 * (1 + SQRT5 * r[k] + (5.0 / 3.0) * r[k] * r[k]) * e[k];
            /* dk/dlog l_p = s2 5/3 (1 + sqrt5 r) e^(-sqrt5 r) delta_p / l_p^2 */
            double c = w * s2 * (5.0 / 3.0) * (1 + SQRT5 * r[k]) * e[k];
            const double *dp = pairs + k * (size_t)d;
            for (int p = 0; p < d; p++) gl[p] += c * dp[p] * inv_l2[p];
        }
    }
    for (int p = 0; p < d; p++) grad[p] = -0.5 * gl[p];
    grad[GP_LOG_S2(d)] = -0.5 * g_s2;
    grad[GP_LOG_NOISE(d)] = -0.5 * g_noise;
    free(inv_l2);
    free(gl);
}

/* K's lower triangle from the cached deltas into A (n x n), plus jitter;
 * each pair's r and exp(-sqrt5 r) into r, e for the gradient. */
static void build_k_pairs(int d, int additive, size_t n, const double *theta, const double *pairs, double jitter,
                          double *A, double *r, double *e)
{
    double *inv_l2 = xmalloc(sizeof(double) * (size_t)(2 * d + 1)), *inv_l = inv_l2 + d;
    inverse_sq_scales(d, theta, inv_l2);
    for (int p = 0; p < d; p++) inv_l[p] = exp(-theta[p]);
    double s2 = exp(theta[GP_LOG_S2(d)]), noise = exp(theta[GP_LOG_NOISE(d)]);
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        A[j + j * n] = s2 + noise + jitter * s2;
        for (size_t i = j + 1; i < n; i++, k++) {
            double r2 = 0;
            const double *dp = pairs + k * (size_t)d;
            if (additive) {   /* r, e: np x d, each coordinate's r_p and exp(-sqrt5 r_p) */
                double *rk = r + k * (size_t)d;
                for (int p = 0; p < d; p++) rk[p] = dp[p] * inv_l[p];   /* dp: |delta|^(1/2) */
                A[i + j * n] = s2 * additive_terms(d, rk, e + k * (size_t)d) / d;
                continue;
            }
            for (int p = 0; p < d; p++) r2 += dp[p] * inv_l2[p];
            r[k] = sqrt(r2);
            e[k] = exp(-SQRT5 * r[k]);
            A[i + j * n] = s2 * (1 + SQRT5 * r[k] + (5.0 / 3.0) * r2) * e[k];
        }
    }
    free(inv_l2);
}

double gp_neg_log_posterior(gp_model *m, const double *theta, double *grad)
{
    size_t n = m->n, np = n * (n - (n > 0)) / 2;
    int d = m->d;
    if (n == 0) return INFINITY;
    const double *pairs = pair_deltas(m);
    double *A = xmalloc(sizeof(double) * n * n), *alpha = xmalloc(sizeof(double) * n);
    size_t per_pair = m->additive ? (size_t)d : 1;   /* build_k_pairs' r and e */
    double *r = xmalloc(sizeof(double) * (np * per_pair + 1)), *e = xmalloc(sizeof(double) * (np * per_pair + 1));
    double value = INFINITY;
    int ok = 0;
    for (int j = 0; j < N_JITTERS && !ok; j++) {
        build_k_pairs(d, m->additive, n, theta, pairs, jitters[j], A, r, e);
        ok = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, A, (lapack_int)n) == 0;
    }
    if (!ok) goto out;
    solve_alpha(n, A, n, m->y, alpha);
    double fit = 0, logdet = 0;
    for (size_t i = 0; i < n; i++) fit += m->y[i] * alpha[i], logdet += log(A[i + i * n]);
    value = 0.5 * fit + logdet + (double)n * LOG_SQRT_2PI;
    if (grad) {
        double *inv = xmalloc(n * n * sizeof(double));
        memcpy(inv, A, n * n * sizeof(double));
        if (LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, inv, (lapack_int)n) != 0) {
            free(inv);
            value = INFINITY;
            goto out;
        }
        nll_gradient(m, theta, inv, alpha, pairs, r, e, grad);
        free(inv);
    }
    value += neg_log_prior(d, m->additive, theta, grad);
out:
    free(A);
    free(alpha);
    free(r);
    free(e);
    return value;
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static void clip_theta(int d, double *theta)
{
    for (int p = 0; p < d; p++) theta[p] = clip(theta[p], LOG_LS_MIN, LOG_LS_MAX);
    theta[GP_LOG_S2(d)] = clip(theta[GP_LOG_S2(d)], LOG_S2_MIN, LOG_S2_MAX);
    theta[GP_LOG_NOISE(d)] = clip(theta[GP_LOG_NOISE(d)], LOG_NOISE_MIN, LOG_NOISE_MAX);
}

/* iRprop- from theta (in place): steps grow while the gradient keeps its
 * sign and shrink when it flips -- robust to the NLL's badly scaled
 * directions without a line search.  Returns the best value seen, with
 * theta at it. */
static double rprop(gp_model *m, double *theta, int iterations)
{
    int nt = GP_NTHETA(m->d);
    double *g = xmalloc(sizeof(double) * (size_t)nt), *gprev = xcalloc((size_t)nt, sizeof(double));
    double *step = xmalloc(sizeof(double) * (size_t)nt), *best = xmalloc(sizeof(double) * (size_t)nt);
    for (int j = 0; j < nt; j++) step[j] = 0.2;
    double f = gp_neg_log_posterior(m, theta, g), fbest = f;
    memcpy(best, theta, sizeof(double) * (size_t)nt);
    for (int it = 0; it < iterations && isfinite(f); it++) {
        for (int j = 0; j < nt; j++) {
            double s = g[j] * gprev[j];
            if (s > 0) step[j] = fmin(step[j] * 1.2, 1.0);
            else if (s < 0) step[j] = fmax(step[j] * 0.5, 1e-4), g[j] = 0;
            theta[j] -= ((g[j] > 0) - (g[j] < 0)) * step[j];
            gprev[j] = g[j];
        }
        clip_theta(m->d, theta);
        f = gp_neg_log_posterior(m, theta, g);
        if (f < fbest) fbest = f, memcpy(best, theta, sizeof(double) * (size_t)nt);
    }
    memcpy(theta, best, sizeof(double) * (size_t)nt);
    free(g);
    free(gprev);
    free(step);
    free(best);
    return fbest;
}

/* Restart r's starting point: r = 0 the defaults, the others random
 * length scales in [0.05, 5] (log-uniform), where local optima of the
 * NLL lie, and a random noise in [1e-6, 1e-2]. */
static void start_theta(int d, int r, hpo_rng *rng, double *theta)
{
    for (int p = 0; p < d; p++) theta[p] = r == 0 ? log(0.5) : log(0.05) + rng_uniform(rng) * log(100.0);
    theta[GP_LOG_S2(d)] = 0;
    theta[GP_LOG_NOISE(d)] = r == 0 ? log(1e-4) : log(1e-6) + rng_uniform(rng) * log(1e4);
}

double gp_fit_first(gp_model *m, int iterations)
{
    start_theta(m->d, 0, NULL, m->theta);
    return rprop(m, m->theta, iterations);
}

int gp_fit_rest(gp_model *m, double first, hpo_rng *rng, int restarts, int iterations)
{
    int d = m->d, nt = GP_NTHETA(d);
    double *theta = xmalloc(sizeof(double) * (size_t)nt);
    double fbest = first;
    for (int r = 1; r < restarts; r++) {
        start_theta(d, r, rng, theta);
        double f = rprop(m, theta, iterations);
        if (f < fbest) fbest = f, memcpy(m->theta, theta, sizeof(double) * (size_t)nt);
    }
    free(theta);
    return gp_set_data(m, m->n, m->x, m->y);
}

int gp_fit(gp_model *m, hpo_rng *rng, int restarts, int iterations)
{
    return gp_fit_rest(m, gp_fit_first(m, iterations), rng, restarts, iterations);
}

/* ---- log expected improvement -------------------------------------------- */

/* log h(z), h(z) = phi(z) + z Phi(z): EI = sigma h((best - mean) / sigma). */
static double log_h(double z)
{
    if (z > -25) {
        /* Direct: Phi by erfc keeps its relative accuracy in the tail, and
         * the cancellation phi + z Phi costs a few digits at most here. */
        double phi = exp(-0.5 * z * z - LOG_SQRT_2PI), Phi = 0.5 * erfc(-z * M_SQRT1_2);
        return log(phi + z * Phi);
    }
    /* Far tail: h(z) = phi(z) (1/z^2 - 3/z^4 + 15/z^6 - ...), where phi(z)
     * itself would underflow; at |z| >= 25 the series is exact to rounding. */
    double w = 1 / (z * z);
    return -0.5 * z * z - LOG_SQRT_2PI + log(w * (1 - 3 * w * (1 - 5 * w * (1 - 7 * w))));
}

double gp_log_ei(double mean, double var, double best)
{
    double sigma = sqrt(var > 0 ? var : 0);
    if (!(sigma > 0)) return mean < best ? log(best - mean) : -INFINITY;
    return log(sigma) + log_h((best - mean) / sigma);
}
