/*
 * tpe.c -- the Tree-structured Parzen Estimator (`tpe`; Bergstra et al.
 * 2011), after Optuna 3.1's TPESampler, and the model-based sampler that
 * BOHB (bohb.c) shares (internal.h).
 *
 * The model, per proposal:
 *  - Observations: the trials at one budget (the highest that has at least
 *    min_obs completed ones; without fidelity all trials have budget NaN),
 *    in the unit-cube encoding of space.h, NaN where a parameter was
 *    inactive.  Completed trials with a finite objective are ranked (the
 *    objective, sign-flipped under mode: max); failed, timed-out, OOM and
 *    pruned trials and completed ones with a non-finite objective are
 *    always "bad" (a config that crashed is a config to stay away from;
 *    Optuna ignores failed trials instead); planned and running trials count
 *    as bad too (the constant liar's lie); cancelled and node_fail trials,
 *    which say nothing about their config, are left out.
 *  - Split: the best gamma(n) ranked trials are good, all the rest bad, with
 *    n the number of ranked ones.  gamma(n) = min(ceil(0.1 n), 25) unless
 *    the option `gamma` fixes a fraction: ceil(gamma n).
 *  - Estimators l (good) and g (bad), per parameter from the trials where it
 *    was active: a mixture of Gaussians truncated to [0,1], one per trial at
 *    its value, plus a prior component N(0.5, 1).  Weights as Optuna's
 *    default_weights (the 25 most recent trials 1, older ones ramping down),
 *    the prior's `prior_weight` (1).  Bandwidths: univariate as Optuna's,
 *    the larger gap to a sorted neighbour; multivariate by Scott's rule from
 *    the group's spread in each dimension, 1.06 sd m^(-1/(d+4)) (BOHB's
 *    rule, not Optuna's spread-blind 0.2 m^(-1/(d+4))); both clipped to
 *    [1/min(100, m+2), 1] (Optuna's "magic clip").  An int
 *    is scored by the mass of its bin (its share of the unit axis), a choice
 *    by Optuna's smoothed categorical.  Log scales and ints come from the
 *    encoding: everything here happens in the unit cube.
 *  - Pick: draw n_candidates from l, keep the one with the largest
 *    log l - log g.  multivariate: true (the default): jointly over the
 *    unconditional parameters (each kernel a product over them, as Optuna's
 *    multivariate TPE), the conditional ones univariately; false: every
 *    parameter independently, as Optuna's default TPESampler.  The unit
 *    point is then decoded, which makes inactive parameters NaN.
 *    Why multivariate by default: in bench/optimizers it reached a lower
 *    median regret than the univariate estimator (and than Optuna 3.1's
 *    TPESampler) on Branin, Hartmann-6, Ackley-5, the mixed space and the
 *    tabular benchmarks, and tied on log-scale Rosenbrock.
 *
 * Not Optuna 3.1's: its truncnorm.logpdf leaves out -log(sigma), so its
 * l(x) and g(x) weight each float kernel by its bandwidth; here densities
 * are normalised.
 *
 * A round of q proposals uses the constant liar: each pick joins the model as
 * a bad observation (Optuna's and skopt's "worst" lie) before the next, so
 * the q configs spread out instead of being q copies of one.  A pick equal to
 * a config already tried or proposed (possible in all-discrete spaces) is
 * made a lie too and picked again (up to 8 times, then drawn at random until
 * new, up to 256 draws), so no trial is spent on a known config while
 * others remain.
 *
 * Startup: the first n_startup trials, however the rounds fall, are the
 * scrambled Sobol' points that `sobol` would propose (random beyond 21
 * parameters); a round that finishes the design fills its other places from
 * the model if every trial so far completed (in rounds of 8: 8 Sobol', then
 * 2 more and 6 picks).  Past the design, the model waits for n_startup
 * completed trials (more Sobol' points until then).
 *
 * Options: gamma (0,1) (default: Optuna's rule), n_startup 1..1000 (10),
 * n_ei_candidates 1..10000 (24), multivariate true|false (true),
 * prior_weight > 0 (1).
 */
#include "optimizers/internal.h"
#include "store/journal.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SQRT_2PI 0.91893853320467274178
#define DUPLICATE_RETRIES 8
#define RANDOM_TRIES 256

/* ---- numerics: truncated Gaussians on [0,1] ---------------------------- */

/* log(Phi(b) - Phi(a)) for a < b, accurate in both tails; when the mass
 * underflows, the log density at the bin's point nearest 0 times its width
 * (an upper bound that keeps far-away bins ordered by distance). */
static double log_gauss_mass(double a, double b)
{
    /* A bin much narrower than the kernel: the midpoint rule (relative error
     * (b-a)^2 |z^2-1| / 24: 1e-4 near the kernel, and in the far tail still
     * small next to the log itself), saving two erfc() per kernel. */
    if (b - a < 0.05) {
        double z = 0.5 * (a + b);
        return log(b - a) - LOG_SQRT_2PI - 0.5 * z * z;
    }
    double m;
    if (b <= 0) m = 0.5 * (erfc(-b * M_SQRT1_2) - erfc(-a * M_SQRT1_2));
    else if (a >= 0) m = 0.5 * (erfc(a * M_SQRT1_2) - erfc(b * M_SQRT1_2));
    else m = 1.0 - 0.5 * erfc(-a * M_SQRT1_2) - 0.5 * erfc(b * M_SQRT1_2);
    if (m > 1e-300) return log(m);
    double z = a > 0 ? a : b < 0 ? b : 0;
    return log(b - a) - LOG_SQRT_2PI - 0.5 * z * z;
}

/* An upper bound of logc + log_gauss_mass(za, zb), without erfc(): the
 * bin's width in sigmas (log: log_width) times the density at its point
 * nearest the kernel. */
static double int_mass_bound(double logc, double za, double zb, double log_width)
{
    double z = za > 0 ? za : zb < 0 ? zb : 0;
    return logc + log_width - LOG_SQRT_2PI - 0.5 * z * z;
}

/* log of the mass of N(mu, sigma) on [0,1]: the truncation's normaliser. */
static double log_z(double mu, double sigma)
{
    double a = (0 - mu) / sigma, b = (1 - mu) / sigma;
    /* A tail beyond 8.5 sigma holds < 1e-16: skip its erfc(). */
    if (a < -8.5 && b > 8.5) return 0;
    if (a < -8.5) return log1p(-0.5 * erfc(b * M_SQRT1_2));
    if (b > 8.5) return log1p(-0.5 * erfc(-a * M_SQRT1_2));
    return log_gauss_mass(a, b);
}

/* A draw of N(mu, sigma) truncated to [0,1], by rejection (the mass is at
 * least 0.13 for mu in [0,1], sigma <= 3); uniform if it keeps missing,
 * which only a very wide kernel does, and it is near uniform there. */
static double trunc_normal(hpo_rng *rng, double mu, double sigma)
{
    for (int i = 0; i < 64; i++) {
        double x = mu + sigma * rng_normal(rng);
        if (x >= 0 && x <= 1) return x;
    }
    return rng_uniform(rng);
}

/* log(sum exp(x[i])) over n terms (-inf terms: kernels of weight 0).  Two
 * passes: the max, then exp() only of the terms within e^-50 of it (the
 * others change the sum by less than its rounding) -- with thousands of
 * kernels many are that far, and exp's underflow path is slow. */
static double log_sum_exp(const double *x, size_t n)
{
    double max = -INFINITY, sum = 0;
    for (size_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    if (max == -INFINITY) return -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (x[i] > max - 50) sum += exp(x[i] - max);
    return max + log(sum);
}

/* ---- sorting ----------------------------------------------------------- */

/* A double's bits as an unsigned key in the same order (no NaN). */
static uint64_t sortable(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return (b >> 63) ? ~b : b | 0x8000000000000000ULL;
}

/* order[0..n) = the indices of keys in ascending order, ties by index: a
 * stable LSD radix sort, a byte a pass, skipping bytes all keys share.  Ten
 * thousand trials sort several times per proposal, and qsort's callbacks
 * were a fifth of the time. */
static void sort_indices(const double *keys, size_t n, size_t *order)
{
    uint64_t *k = xmalloc(sizeof(uint64_t) * (n + 1)), *k2 = xmalloc(sizeof(uint64_t) * (n + 1));
    size_t *o2 = xmalloc(sizeof(size_t) * (n + 1));
    for (size_t i = 0; i < n; i++) order[i] = i, k[i] = sortable(keys[i]);
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((k[i] >> shift) & 0xff) + 1]++;
        if (n == 0 || count[((k[0] >> shift) & 0xff) + 1] == n) continue;
        for (int b = 0; b < 256; b++) count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) {
            size_t dst = count[(k[i] >> shift) & 0xff]++;
            k2[dst] = k[i];
            o2[dst] = order[i];
        }
        memcpy(k, k2, sizeof(uint64_t) * n);
        memcpy(order, o2, sizeof(size_t) * n);
    }
    free(k);
    free(k2);
    free(o2);
}

/* ---- parameters in the unit cube --------------------------------------- */

static int is_choice(const hpo_param *p) { return p->type == HPO_PARAM_CHOICE; }
static int is_int(const hpo_param *p) { return p->type == HPO_PARAM_INT; }

/* An int's bin around unit coordinate u: the stretch [a, b] of the unit axis
 * that decodes to the same integer, and the encoding of that integer.  Done
 * through space_decode/space_encode on a one-parameter space, so the bins
 * are exactly space.c's (log or not). */
static void int_bin(const hpo_param *p, double u, double *a, double *b, double *center)
{
    hpo_param q = *p;
    q.cond.parent = -1;
    hpo_space one = {.n = 1, .params = &q};
    double v, lo, hi;
    space_decode(&one, &u, &v);
    lo = v - 0.5;
    hi = v + 0.5;
    space_encode(&one, &lo, a);
    space_encode(&one, &hi, b);
    space_encode(&one, &v, center);
}

static int category_of(const hpo_param *p, double u)
{
    int c = (int)floor(u * p->n_choices);
    return c < 0 ? 0 : c >= p->n_choices ? p->n_choices - 1 : c;
}

static double unit_of_category(const hpo_param *p, int c) { return (c + 0.5) / p->n_choices; }

/* ---- observations ------------------------------------------------------ */

/* The trials a model is fitted on: rows of d unit coordinates (NaN:
 * inactive) in trial order, each with a rank key (the objective to minimise,
 * or +inf for always-bad ones: failures, pending trials and lies). */
typedef struct obs_set {
    int d;
    size_t n, cap;
    double *u;
    double *key;
    size_t n_ranked;   /* rows with a finite key */
} obs_set;

static void obs_add(obs_set *o, const double *u, double key)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 64;
        o->u = xrealloc(o->u, sizeof(double) * o->cap * (size_t)(o->d ? o->d : 1));
        o->key = xrealloc(o->key, sizeof(double) * o->cap);
    }
    memcpy(o->u + o->n * (size_t)o->d, u, sizeof(double) * (size_t)o->d);
    o->key[o->n++] = key;
    if (isfinite(key)) o->n_ranked++;
}

static void obs_free(obs_set *o)
{
    free(o->u);
    free(o->key);
}

/* A configuration in the unit cube, keeping NaN for inactive parameters
 * (space_encode writes 0.5 there). */
static void encode_keep_nan(const hpo_space *s, const double *values, double *u)
{
    space_encode(s, values, u);
    for (int p = 0; p < s->n; p++)
        if (isnan(values[p])) u[p] = NAN;
}

static int same_budget(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static int is_status(const hpo_trial_row *t, const char *s) { return strcmp(t->status, s) == 0; }

static int is_ranked(const hpo_trial_row *t)
{
    return is_status(t, HPO_STATUS_COMPLETED) && isfinite(t->objective);
}

/* Failed, timed out, OOM, pruned, non-finite, or still pending: a bad
 * observation.  Cancelled and node_fail trials say nothing of their config. */
static int is_bad(const hpo_trial_row *t)
{
    if (is_status(t, HPO_STATUS_CANCELLED) || is_status(t, HPO_STATUS_NODE_FAIL)) return 0;
    return !is_ranked(t);
}

/* The highest budget with at least `need` ranked trials; 0 if none.  The
 * distinct budgets are few (Hyperband's rungs), so a linear table will do. */
static int model_budget(const hpo_history *h, long need, double *budget)
{
    double *b = xmalloc(sizeof(double) * (h->n + 1));
    long *count = xcalloc(h->n + 1, sizeof(long));
    size_t nb = 0;
    for (size_t t = 0; t < h->n; t++) {
        if (!is_ranked(&h->trials[t])) continue;
        size_t k = 0;
        while (k < nb && !same_budget(b[k], h->trials[t].budget)) k++;
        if (k == nb) b[nb++] = h->trials[t].budget;
        count[k]++;
    }
    int found = 0;
    for (size_t k = 0; k < nb; k++)
        if (count[k] >= need && (!found || b[k] > *budget)) *budget = b[k], found = 1;
    free(b);
    free(count);
    return found;
}

static void collect(const hpo_spec *spec, const hpo_history *h, double budget, obs_set *o)
{
    const hpo_space *s = &spec->space;
    double *values = xmalloc(sizeof(double) * (size_t)(s->n + 1));
    double *u = xmalloc(sizeof(double) * (size_t)(s->n + 1));
    memset(o, 0, sizeof *o);
    o->d = s->n;
    for (size_t t = 0; t < h->n; t++) {
        const hpo_trial_row *r = &h->trials[t];
        if (!same_budget(r->budget, budget) || !(is_ranked(r) || is_bad(r))) continue;
        for (int p = 0; p < s->n; p++) values[p] = h->config[p][t];
        encode_keep_nan(s, values, u);
        double key = is_ranked(r) ? (spec->maximize ? -r->objective : r->objective) : INFINITY;
        obs_add(o, u, key);
    }
    free(values);
    free(u);
}

/* ---- good and bad ------------------------------------------------------ */

static size_t n_good_of(const tpe_settings *s, size_t n)
{
    size_t g;
    if (s->gamma > 0) g = (size_t)ceil(s->gamma * (double)n - 1e-9);
    else g = (size_t)ceil(0.1 * (double)n - 1e-9) < 25 ? (size_t)ceil(0.1 * (double)n - 1e-9) : 25;
    if (s->bohb_min > 0 && g < (size_t)s->bohb_min) g = (size_t)s->bohb_min;
    if (g < 1) g = 1;
    return g > n ? n : g;
}

/* Mark good[i] for the best ranked rows; everything else is bad. */
static void split(const obs_set *o, const tpe_settings *s, unsigned char *good)
{
    size_t *order = xmalloc(sizeof(size_t) * (o->n + 1));
    sort_indices(o->key, o->n, order);
    size_t g = n_good_of(s, o->n_ranked);
    memset(good, 0, o->n);
    for (size_t i = 0; i < g; i++) good[order[i]] = 1;
    free(order);
}

/* Optuna's default_weights(m): 1 for the last 25, a ramp from 1/m up to 1
 * before them, so that old observations fade. */
static void default_weights(size_t m, double *w)
{
    if (m < 25) {
        for (size_t i = 0; i < m; i++) w[i] = 1.0;
        return;
    }
    size_t ramp = m - 25;
    for (size_t i = 0; i < ramp; i++)
        w[i] = ramp == 1 ? 1.0 / (double)m : 1.0 / (double)m + (1.0 - 1.0 / (double)m) * (double)i / (double)(ramp - 1);
    for (size_t i = ramp; i < m; i++) w[i] = 1.0;
}

/* Kernel weights for m observations plus the prior (last), normalised, as
 * logs.  BOHB's densities have no prior: its weight is 0 (log -inf), unless
 * there are no observations at all. */
static void kernel_log_weights(const tpe_settings *s, size_t m, double *logw)
{
    default_weights(m, logw);
    logw[m] = s->bohb_min > 0 && m > 0 ? 0.0 : s->prior_weight > 0 ? s->prior_weight : 1.0;
    double sum = 0;
    for (size_t i = 0; i <= m; i++) sum += logw[i];
    for (size_t i = 0; i <= m; i++) logw[i] = log(logw[i] / sum);
}

/* Scott's rule, statsmodels' "normal reference" as in BOHB's KDEs: 1.06 sd
 * m^(-1/(4+d)) of the group's m values (every stride-th of x) in a
 * d-dimensional density, at least 1e-3. */
static double normal_reference(const double *x, size_t stride, size_t m, int d)
{
    if (m < 2) return 1e-3;
    double mean = 0, var = 0;
    for (size_t i = 0; i < m; i++) mean += x[i * stride];
    mean /= (double)m;
    for (size_t i = 0; i < m; i++) var += (x[i * stride] - mean) * (x[i * stride] - mean);
    double bw = 1.06 * sqrt(var / (double)m) * pow((double)m, -1.0 / (4 + d));
    return bw < 1e-3 ? 1e-3 : bw > 1 ? 1 : bw;
}

static double min_sigma(size_t m) { return 1.0 / (m + 2 < 100 ? (double)(m + 2) : 100.0); }
static double clip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Optuna's smoothed categorical: kernel i puts (1 + v) on its own category
 * and v on every other, normalised; v = prior_weight / (m + 1) (BOHB: as
 * with prior_weight 1). */
static double cat_v(const tpe_settings *s, size_t m)
{
    return (s->bohb_min > 0 || s->prior_weight <= 0 ? 1.0 : s->prior_weight) / (double)(m + 1);
}

/* ---- one parameter: univariate estimator ------------------------------- */

typedef struct kde1 {
    const hpo_param *p;
    size_t m;              /* kernels: observations, then the prior */
    double *mu, *sigma;
    double *logw;          /* log weights, normalised */
    double *logc;          /* float: logw - log sigma - log Z - log sqrt(2 pi); int: logw - log Z */
    double *cum;           /* cumulative weights, for drawing a kernel */
    double *logp;          /* choice: the log probability of each category */
} kde1;

/* Optuna's univariate bandwidths: each kernel's larger gap to its sorted
 * neighbours (0 and 1 at the ends), the first and last taking their inner
 * gap only; the prior (last) keeps sigma 1. */
static void neighbour_sigmas(size_t n, const double *mu, double *sigma)
{
    size_t *ord = xmalloc(sizeof(size_t) * n);
    sort_indices(mu, n, ord);
    for (size_t k = 0; k < n; k++) {
        double left = mu[ord[k]] - (k > 0 ? mu[ord[k - 1]] : 0.0);
        double right = (k + 1 < n ? mu[ord[k + 1]] : 1.0) - mu[ord[k]];
        double s = left > right ? left : right;
        if (n >= 2 && k == 0) s = right;
        if (n >= 2 && k == n - 1) s = left;
        sigma[ord[k]] = s;
    }
    free(ord);
}

static void kde1_build(kde1 *k, const tpe_settings *s, const hpo_param *p, const double *x, size_t m)
{
    memset(k, 0, sizeof *k);
    k->p = p;
    k->m = m + 1;
    k->logw = xmalloc(sizeof(double) * k->m);
    kernel_log_weights(s, m, k->logw);
    if (is_choice(p)) {
        int K = p->n_choices;
        double v = cat_v(s, m), norm = 1.0 + K * v;
        k->logp = xcalloc((size_t)K, sizeof(double));
        for (int c = 0; c < K; c++) k->logp[c] = exp(k->logw[m]) / K;
        for (size_t i = 0; i < m; i++) {
            double w = exp(k->logw[i]);
            int ci = category_of(p, x[i]);
            for (int c = 0; c < K; c++) k->logp[c] += w * ((c == ci) + v) / norm;
        }
        for (int c = 0; c < K; c++) k->logp[c] = log(k->logp[c]);
        return;
    }
    k->mu = xmalloc(sizeof(double) * k->m);
    k->sigma = xmalloc(sizeof(double) * k->m);
    k->logc = xmalloc(sizeof(double) * k->m);
    k->cum = xmalloc(sizeof(double) * k->m);
    memcpy(k->mu, x, sizeof(double) * m);
    k->mu[m] = 0.5;
    neighbour_sigmas(k->m, k->mu, k->sigma);
    double bohb = s->bohb_min > 0 ? normal_reference(x, 1, m, 1) : 0;
    double acc = 0;
    for (size_t i = 0; i < k->m; i++) {
        k->sigma[i] = i == m ? 1.0 : bohb > 0 ? bohb : clip(k->sigma[i], min_sigma(m), 1.0);
        double lz = log_z(k->mu[i], k->sigma[i]);
        k->logc[i] = is_int(p) ? k->logw[i] - lz : k->logw[i] - log(k->sigma[i]) - lz - LOG_SQRT_2PI;
        acc += exp(k->logw[i]);
        k->cum[i] = acc;
    }
}

static void kde1_free(kde1 *k)
{
    free(k->mu);
    free(k->sigma);
    free(k->logw);
    free(k->logc);
    free(k->cum);
    free(k->logp);
}

/* Index of a kernel drawn by weight from cumulative weights cum[0..m). */
static size_t draw_kernel(hpo_rng *rng, const double *cum, size_t m)
{
    double r = rng_uniform(rng) * cum[m - 1];
    size_t lo = 0, hi = m - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] > r) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* A candidate from l: a unit coordinate (an int's bin centre, a category's). */
static double kde1_sample(const kde1 *k, hpo_rng *rng, double bandwidth_factor)
{
    if (is_choice(k->p)) {
        double r = rng_uniform(rng), acc = 0;
        for (int c = 0; c < k->p->n_choices; c++) {
            acc += exp(k->logp[c]);
            if (r < acc) return unit_of_category(k->p, c);
        }
        return unit_of_category(k->p, k->p->n_choices - 1);
    }
    size_t i = draw_kernel(rng, k->cum, k->m);
    double u = trunc_normal(rng, k->mu[i], k->sigma[i] * bandwidth_factor);
    if (is_int(k->p)) {
        double a, b;
        int_bin(k->p, u, &a, &b, &u);
    }
    return u;
}

/* log density at unit coordinate u (an int: log mass of its bin); `terms`
 * is scratch for k->m values. */
static double kde1_log_pdf(const kde1 *k, double u, double *terms)
{
    if (is_choice(k->p)) return k->logp[category_of(k->p, u)];
    if (is_int(k->p)) {
        double a, b, c;
        int_bin(k->p, u, &a, &b, &c);
        /* The prior (last kernel) first: its term is a floor under the sum,
         * and a kernel whose bound lies e^-50 below it needs no erfc(). */
        size_t last = k->m - 1;
        terms[last] = k->logc[last] + log_gauss_mass((a - k->mu[last]) / k->sigma[last],
                                                     (b - k->mu[last]) / k->sigma[last]);
        double lw = log(b - a);
        for (size_t i = 0; i < last; i++) {
            double za = (a - k->mu[i]) / k->sigma[i], zb = (b - k->mu[i]) / k->sigma[i];
            if (int_mass_bound(k->logc[i], za, zb, lw - log(k->sigma[i])) < terms[last] - 50) {
                terms[i] = -INFINITY;
                continue;
            }
            terms[i] = k->logc[i] + log_gauss_mass(za, zb);
        }
    } else {
        for (size_t i = 0; i < k->m; i++) {
            double z = (u - k->mu[i]) / k->sigma[i];
            terms[i] = k->logc[i] - 0.5 * z * z;
        }
    }
    return log_sum_exp(terms, k->m);
}

/* Values of parameter p in the rows of group `want` (1 good, 0 bad) where
 * it was active, in trial order. */
static size_t gather(const obs_set *o, const unsigned char *good, int want, int p, double *x)
{
    size_t m = 0;
    for (size_t i = 0; i < o->n; i++) {
        double v = o->u[i * (size_t)o->d + (size_t)p];
        if (good[i] == want && !isnan(v)) x[m++] = v;
    }
    return m;
}

/* Univariate pick of parameter p: the best of n_candidates draws from l. */
static double pick_univariate(const hpo_spec *spec, const tpe_settings *s, const obs_set *o,
                              const unsigned char *good, int p, hpo_rng *rng, double *x)
{
    const hpo_param *par = &spec->space.params[p];
    kde1 l, g;
    kde1_build(&l, s, par, x, gather(o, good, 1, p, x));
    kde1_build(&g, s, par, x, gather(o, good, 0, p, x));
    double best = 0.5, best_score = -INFINITY;
    double *terms = xmalloc(sizeof(double) * (l.m > g.m ? l.m : g.m));
    for (long c = 0; c < s->n_candidates; c++) {
        double u = kde1_sample(&l, rng, s->bandwidth_factor);
        double score = kde1_log_pdf(&l, u, terms) - kde1_log_pdf(&g, u, terms);
        if (score > best_score || c == 0) best = u, best_score = score;
    }
    free(terms);
    kde1_free(&l);
    kde1_free(&g);
    return best;
}

/* ---- the unconditional parameters jointly: multivariate estimator ------ */

typedef struct kden {
    const hpo_space *space;
    int nd;
    const int *dims;       /* parameter index of each dimension */
    size_t m;              /* kernels: observations, then the prior */
    double *mu;            /* m x nd: unit coordinate (a choice: its category) */
    double *sigma;         /* m x nd (numeric dims) */
    double *inv;           /* m x nd: 1 / sigma */
    double *logc;          /* m x nd: as kde1's logc without the weight */
    hpo_param_type *type;  /* per dim */
    int all_float;         /* every dim a float: kden_log_pdf's fast path */
    double *kconst;        /* per kernel: log weight + the float dims' logc */
    double *logw, *cum;
    double v;              /* categorical smoothing, cat_v() */
    double *log_same, *log_other;   /* per choice dim: a kernel's log probability of its own
                                       category and of each other one */
} kden;

static void kden_build(kden *k, const hpo_space *space, const int *dims, int nd, const obs_set *o,
                       const unsigned char *good, int want, const tpe_settings *s)
{
    memset(k, 0, sizeof *k);
    k->space = space;
    k->dims = dims;
    k->nd = nd;
    size_t m = 0;
    for (size_t i = 0; i < o->n; i++) m += good[i] == want;
    k->m = m + 1;
    size_t cells = k->m * (size_t)nd;
    k->mu = xmalloc(sizeof(double) * cells);
    k->sigma = xmalloc(sizeof(double) * cells);
    k->inv = xmalloc(sizeof(double) * cells);
    k->logc = xmalloc(sizeof(double) * cells);
    k->type = xmalloc(sizeof(hpo_param_type) * (size_t)nd);
    for (int d = 0; d < nd; d++) k->type[d] = space->params[dims[d]].type;
    k->logw = xmalloc(sizeof(double) * k->m);
    k->cum = xmalloc(sizeof(double) * k->m);
    kernel_log_weights(s, m, k->logw);
    k->v = cat_v(s, m);
    k->log_same = xcalloc((size_t)nd, sizeof(double));
    k->log_other = xcalloc((size_t)nd, sizeof(double));
    for (int d = 0; d < nd; d++) {
        double K = space->params[dims[d]].n_choices;
        k->log_same[d] = log((1.0 + k->v) / (1.0 + K * k->v));
        k->log_other[d] = log(k->v / (1.0 + K * k->v));
    }
    /* The kernels' centres: the group's rows, then the prior's. */
    size_t row = 0;
    for (size_t i = 0; i <= o->n; i++) {
        int prior = i == o->n;
        if (!prior && good[i] != want) continue;
        for (int d = 0; d < nd; d++) {
            const hpo_param *p = &space->params[dims[d]];
            double u = prior ? 0.5 : o->u[i * (size_t)o->d + (size_t)dims[d]];
            if (isnan(u)) u = 0.5;   /* unconditional: never inactive, but be safe */
            /* a choice: its category; -1 for the prior's uniform */
            k->mu[row * (size_t)nd + (size_t)d] = !is_choice(p) ? u : prior ? -1 : category_of(p, u);
        }
        row++;
    }
    /* Bandwidths per dimension from the group's own spread (Scott's rule,
     * as BOHB's): they shrink as the good trials cluster, so the search
     * refines.  Optuna's multivariate bandwidth, 0.2 m^(-1/(d+4)) whatever
     * the spread, stays wide: in bench/optimizers this rule ended 0.2 to 1
     * decade lower on every function.  tpe keeps Optuna's magic clip as
     * the floor, BOHB its own 1e-3. */
    for (int d = 0; d < nd; d++) {
        const hpo_param *p = &space->params[dims[d]];
        if (is_choice(p)) continue;
        double sd = normal_reference(k->mu + d, (size_t)nd, m, nd);
        if (s->bohb_min == 0) sd = clip(sd, min_sigma(m), 1.0);
        for (size_t i = 0; i < k->m; i++) {
            size_t c = i * (size_t)nd + (size_t)d;
            k->sigma[c] = i == m ? 1.0 : sd;
            k->inv[c] = 1.0 / k->sigma[c];
            double lz = log_z(k->mu[c], k->sigma[c]);
            k->logc[c] = is_int(p) ? -lz : -log(k->sigma[c]) - lz - LOG_SQRT_2PI;
        }
    }
    double acc = 0;
    for (size_t i = 0; i < k->m; i++) k->cum[i] = acc += exp(k->logw[i]);
    k->all_float = 1;
    for (int d = 0; d < nd; d++) k->all_float &= k->type[d] == HPO_PARAM_FLOAT;
    k->kconst = xmalloc(sizeof(double) * k->m);
    for (size_t i = 0; i < k->m; i++) {
        k->kconst[i] = k->logw[i];
        for (int d = 0; d < nd; d++)
            if (k->type[d] == HPO_PARAM_FLOAT) k->kconst[i] += k->logc[i * (size_t)nd + (size_t)d];
    }
}

static void kden_free(kden *k)
{
    free(k->kconst);
    free(k->inv);
    free(k->type);
    free(k->log_same);
    free(k->log_other);
    free(k->mu);
    free(k->sigma);
    free(k->logc);
    free(k->logw);
    free(k->cum);
}

/* A candidate from l into u[dims[d]]. */
static void kden_sample(const kden *k, hpo_rng *rng, double bandwidth_factor, double *u)
{
    size_t i = draw_kernel(rng, k->cum, k->m);
    for (int d = 0; d < k->nd; d++) {
        const hpo_param *p = &k->space->params[k->dims[d]];
        size_t c = i * (size_t)k->nd + (size_t)d;
        if (is_choice(p)) {
            /* (1 + v) on the kernel's category, v on each: the kernel's own
             * category with probability 1 / (1 + K v), else uniform. */
            int K = p->n_choices, cat = (int)k->mu[c];
            if (cat < 0 || rng_uniform(rng) * (1.0 + K * k->v) >= 1.0) cat = (int)rng_below(rng, (uint64_t)K);
            u[k->dims[d]] = unit_of_category(p, cat);
            continue;
        }
        double x = trunc_normal(rng, k->mu[c], k->sigma[c] * bandwidth_factor);
        if (is_int(p)) {
            double a, b;
            int_bin(p, x, &a, &b, &x);
        }
        u[k->dims[d]] = x;
    }
}

/* Kernel i's log weight plus its log density at the candidate in the float
 * and choice dims (cat[d]: the candidate's category in a choice dim). */
static double kden_base(const kden *k, size_t i, const double *u, const int *cat)
{
    double acc = k->logw[i];
    if (acc == -INFINITY) return acc;   /* BOHB: no prior */
    const double *mu = k->mu + i * (size_t)k->nd, *inv = k->inv + i * (size_t)k->nd;
    const double *logc = k->logc + i * (size_t)k->nd;
    for (int d = 0; d < k->nd; d++) {
        if (k->type[d] == HPO_PARAM_FLOAT) {
            double z = (u[k->dims[d]] - mu[d]) * inv[d];
            acc += logc[d] - 0.5 * z * z;
        } else if (k->type[d] == HPO_PARAM_CHOICE) {
            acc += mu[d] < 0 ? -log((double)k->space->params[k->dims[d]].n_choices)
                             : cat[d] == (int)mu[d] ? k->log_same[d] : k->log_other[d];
        }
    }
    return acc;
}

/* Kernel i's log mass of the candidate's bins in the int dims (lw[d]: the
 * bin's log width), or only an upper bound of it (int_mass_bound). */
static double kden_ints(const kden *k, size_t i, const double *bin_a, const double *bin_b, const double *lw,
                        int bound)
{
    double acc = 0;
    for (int d = 0; d < k->nd; d++) {
        if (!is_int(&k->space->params[k->dims[d]])) continue;
        size_t c = i * (size_t)k->nd + (size_t)d;
        double za = (bin_a[d] - k->mu[c]) / k->sigma[c], zb = (bin_b[d] - k->mu[c]) / k->sigma[c];
        acc += bound ? int_mass_bound(k->logc[c], za, zb, lw[d] - log(k->sigma[c]))
                     : k->logc[c] + log_gauss_mass(za, zb);
    }
    return acc;
}

/* log density at the candidate u (its dims), bins precomputed for ints;
 * `terms` is scratch for k->m values.  With int dims, the prior's term
 * (last kernel) is a floor under the sum: a kernel whose bound lies e^-50
 * below it is skipped without its erfc()s. */
static double kden_log_pdf(const kden *k, const double *u, const double *bin_a, const double *bin_b,
                           double *terms)
{
    if (k->all_float) {
        /* The common case, and the hot loop with 10,000 trials: no calls. */
        int nd = k->nd;
        for (size_t i = 0; i < k->m; i++) {
            const double *mu = k->mu + i * (size_t)nd, *inv = k->inv + i * (size_t)nd;
            double q = 0;
            for (int d = 0; d < nd; d++) {
                double z = (u[k->dims[d]] - mu[d]) * inv[d];
                q += z * z;
            }
            terms[i] = k->kconst[i] - 0.5 * q;
        }
        return log_sum_exp(terms, k->m);
    }
    int *cat = xmalloc(sizeof(int) * (size_t)k->nd);
    double *lw = xmalloc(sizeof(double) * (size_t)k->nd);
    int ints = 0;
    for (int d = 0; d < k->nd; d++) {
        const hpo_param *p = &k->space->params[k->dims[d]];
        if (is_choice(p)) cat[d] = category_of(p, u[k->dims[d]]);
        if (is_int(p)) lw[d] = log(bin_b[d] - bin_a[d]), ints = 1;
    }
    size_t last = k->m - 1;
    terms[last] = kden_base(k, last, u, cat) + kden_ints(k, last, bin_a, bin_b, lw, 0);
    for (size_t i = 0; i < last; i++) {
        double base = kden_base(k, i, u, cat);
        if (base == -INFINITY || (ints && base + kden_ints(k, i, bin_a, bin_b, lw, 1) < terms[last] - 50))
            terms[i] = -INFINITY;
        else
            terms[i] = ints ? base + kden_ints(k, i, bin_a, bin_b, lw, 0) : base;
    }
    free(cat);
    free(lw);
    return log_sum_exp(terms, k->m);
}

/* Joint pick of dims into u: the best of n_candidates draws from l. */
static void pick_joint(const hpo_spec *spec, const tpe_settings *s, const obs_set *o,
                       const unsigned char *good, const int *dims, int nd, hpo_rng *rng, double *u)
{
    const hpo_space *space = &spec->space;
    kden l, g;
    kden_build(&l, space, dims, nd, o, good, 1, s);
    kden_build(&g, space, dims, nd, o, good, 0, s);
    double *cand = xmalloc(sizeof(double) * (size_t)space->n);
    double *a = xcalloc((size_t)nd, sizeof(double)), *b = xcalloc((size_t)nd, sizeof(double));
    double best_score = -INFINITY;
    double *terms = xmalloc(sizeof(double) * (l.m > g.m ? l.m : g.m));
    for (long c = 0; c < s->n_candidates; c++) {
        memcpy(cand, u, sizeof(double) * (size_t)space->n);
        kden_sample(&l, rng, s->bandwidth_factor, cand);
        for (int d = 0; d < nd; d++) {
            double centre;
            const hpo_param *p = &space->params[dims[d]];
            if (is_int(p)) int_bin(p, cand[dims[d]], &a[d], &b[d], &centre);
        }
        double score = kden_log_pdf(&l, cand, a, b, terms) - kden_log_pdf(&g, cand, a, b, terms);
        if (score > best_score || c == 0) {
            best_score = score;
            for (int d = 0; d < nd; d++) u[dims[d]] = cand[dims[d]];
        }
    }
    free(terms);
    free(cand);
    free(a);
    free(b);
    kden_free(&l);
    kden_free(&g);
}

/* ---- one proposal ------------------------------------------------------ */

/* One configuration from the model of `o` into values. */
static void pick_one(const hpo_spec *spec, const tpe_settings *s, const obs_set *o, hpo_rng *rng,
                     double *values)
{
    const hpo_space *space = &spec->space;
    unsigned char *good = xmalloc(o->n + 1);
    double *x = xmalloc(sizeof(double) * (o->n + 1));
    double *u = xmalloc(sizeof(double) * (size_t)(space->n + 1));
    int *joint = xmalloc(sizeof(int) * (size_t)(space->n + 1));
    int nd = 0;
    split(o, s, good);
    if (s->multivariate)
        for (int p = 0; p < space->n; p++)
            if (space->params[p].cond.parent < 0) joint[nd++] = p;
    if (nd < 2) nd = 0;   /* one dimension: Optuna's univariate estimator */
    for (int p = 0; p < space->n; p++) u[p] = 0.5;
    if (nd > 0) pick_joint(spec, s, o, good, joint, nd, rng, u);
    for (int p = 0, d = 0; p < space->n; p++) {
        if (d < nd && joint[d] == p) { d++; continue; }
        u[p] = pick_univariate(spec, s, o, good, p, rng, x);
    }
    space_decode(space, u, values);
    free(good);
    free(x);
    free(u);
    free(joint);
}

/* values[j] drawn at random until it is new (the model keeps proposing
 * known configs: a small discrete space is nearly exhausted).  After
 * RANDOM_TRIES a known config is accepted. */
static void draw_new(const hpo_spec *spec, const hpo_history *h, hpo_rng *rng, double **values, int j)
{
    for (int i = 0; i < RANDOM_TRIES; i++) {
        space_sample(&spec->space, rng, values[j]);
        if (!config_known(spec, h, values, j, values[j])) return;
    }
}

int tpe_pick(const hpo_spec *spec, const hpo_history *h, const tpe_settings *s, hpo_rng *rng, int first, int n,
             double **values)
{
    double budget = NAN;
    if (n <= first || !model_budget(h, s->min_obs, &budget)) return 0;
    const hpo_space *space = &spec->space;
    obs_set o;
    collect(spec, h, budget, &o);
    double *u = xmalloc(sizeof(double) * (size_t)(space->n + 1));
    for (int j = 0; j < n; j++) {
        for (int tries = 0; j >= first; tries++) {   /* values[0..first) are given: lies only */
            pick_one(spec, s, &o, rng, values[j]);
            if (!config_known(spec, h, values, j, values[j])) break;
            if (tries == DUPLICATE_RETRIES) { draw_new(spec, h, rng, values, j); break; }
            /* A known config: make it a lie, so the model moves off it. */
            encode_keep_nan(space, values[j], u);
            obs_add(&o, u, INFINITY);
        }
        if (s->liar) {
            encode_keep_nan(space, values[j], u);
            obs_add(&o, u, INFINITY);
        }
    }
    free(u);
    obs_free(&o);
    return n - first;
}

/* ---- the `tpe` optimizer ----------------------------------------------- */

static const char *const tpe_keys[] = {"gamma", "n_startup", "n_ei_candidates", "multivariate", "prior_weight", NULL};

typedef struct tpe_opts {
    tpe_settings s;
    long n_startup;
} tpe_opts;

int tpe_option_error(const hpo_spec *spec, const hpo_option *o, const char *what)
{
    return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: %s, got %s", spec->path, o->line, o->col, o->key,
                     what, o->value);
}

/* Every option key is one of keys[] (a typo would otherwise be ignored). */
int tpe_check_keys(const hpo_spec *spec, const char *name, const char *const *keys)
{
    for (int i = 0; i < spec->n_options; i++) {
        const hpo_option *o = &spec->options[i];
        int k = 0;
        while (keys[k] && strcmp(keys[k], o->key) != 0) k++;
        if (keys[k]) continue;
        char list[200] = "";
        for (k = 0; keys[k]; k++) {
            strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, keys[k], sizeof list - strlen(list) - 1);
        }
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: unknown option of %s (its options: %s)", spec->path,
                         o->line, o->col, o->key, name, list);
    }
    return HPO_OK;
}

/* A fraction strictly between 0 and 1 (spec_option_double's ranges are
 * closed, and its message would say so). */
int tpe_open_fraction(const hpo_spec *spec, const char *key, double def, double *out)
{
    const hpo_option *o = spec_option(spec, key);
    *out = def;
    if (!o) return HPO_OK;
    char *end;
    double v = strtod(o->value, &end);
    if (end == o->value || *end || !(v > 0 && v < 1))
        return tpe_option_error(spec, o, "expected a number in (0, 1)");
    *out = v;
    return HPO_OK;
}

int tpe_option_bool(const hpo_spec *spec, const char *key, int def, int *out)
{
    const hpo_option *o = spec_option(spec, key);
    *out = def;
    if (!o) return HPO_OK;
    if (strcmp(o->value, "true") == 0) *out = 1;
    else if (strcmp(o->value, "false") == 0) *out = 0;
    else return tpe_option_error(spec, o, "expected true or false");
    return HPO_OK;
}

static int tpe_read(const hpo_spec *spec, tpe_opts *o)
{
    memset(o, 0, sizeof *o);
    o->s.prior_weight = 1.0;
    o->s.bandwidth_factor = 1.0;
    o->s.liar = 1;
    int r;
    if ((r = tpe_check_keys(spec, "tpe", tpe_keys))) return r;
    if ((r = tpe_open_fraction(spec, "gamma", 0, &o->s.gamma))) return r;
    if ((r = spec_option_long(spec, "n_startup", 10, 1, 1000, &o->n_startup))) return r;
    if ((r = spec_option_long(spec, "n_ei_candidates", 24, 1, 10000, &o->s.n_candidates))) return r;
    if ((r = tpe_option_bool(spec, "multivariate", 1, &o->s.multivariate))) return r;
    if ((r = spec_option_double(spec, "prior_weight", 1.0, 1e-6, 1e6, &o->s.prior_weight))) return r;
    o->s.min_obs = o->n_startup;
    return HPO_OK;
}

static int tpe_check(const hpo_spec *spec)
{
    tpe_opts o;
    return tpe_read(spec, &o);
}

static int tpe_propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out, int *n)
{
    tpe_opts o;
    int r = tpe_read(spec, &o);
    if (r != HPO_OK) return r;
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)round, 3);
    double **values = xmalloc(sizeof(double *) * (size_t)(max + 1));
    for (int i = 0; i < max; i++) values[i] = out[i].values;
    /* The startup design is n_startup trials in all, however the rounds
     * fall: after a round of 8, the next carries the last 2 and 6 from the
     * model, where waiting for n_startup completed trials made it 16 Sobol'
     * points (bench/optimizers, 120 seeds, batches of 8: regret at 25
     * trials 0.12 log10 lower on protein_structure, no change later). */
    int k = design_places(h, o.n_startup, max);
    if (k > 0) o.s.min_obs = (long)h->n;   /* the model, on every trial so far once all have completed */
    design_points(spec, h, &rng, 0, k, out);
    if (tpe_pick(spec, h, &o.s, &rng, k, max, values) == 0) design_points(spec, h, &rng, k, max, out);
    free(values);
    proposals_fresh(spec, out, max);
    *n = max;
    return HPO_OK;
}

const hpo_optimizer optimizer_tpe = {
    .name = "tpe",
    .check = tpe_check,
    .propose = tpe_propose,
    .modes = HPO_MODES_BOTH,
    .default_mode = HPO_MODE_WORKERS,
};
