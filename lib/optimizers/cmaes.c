/*
 * cmaes.c -- the covariance matrix adaptation evolution strategy, `cmaes`,
 * also under the name PaddleHub gives it, `hazero` (PaddleHub's HAZero is
 * the pycma (mu/mu_w, lambda)-CMA-ES run in the parameter space scaled to
 * [-1, 1]).  Textbook algorithm: N. Hansen, "The CMA Evolution Strategy: A
 * Tutorial" (arXiv:1604.00772), Table 1 -- weighted recombination, rank-one
 * and rank-mu covariance updates, cumulative step-size adaptation.
 *
 * How it fits optimizer.h:
 *  - The search runs in x = 2u - 1, u the unit-cube encoding of space.h, so
 *    log scales, ints and choices come for free: a candidate is decoded by
 *    space_decode, which rounds ints and picks choices.  The initial mean is
 *    the centre, or the PaddleHub init_value point when every parameter has
 *    one; the initial step size is algorithm.sigma (default 0.2, as HAZero).
 *  - One hpo round is one generation of algorithm.popsize candidates
 *    (default 4 + floor(3 ln n)); the optimizer sizes its rounds, so
 *    parallel.round_size does not apply.  Only when budget.max_trials has
 *    fewer trials left than popsize is a generation cut short; the missing
 *    candidates rank last.
 *  - Purity: nothing is kept between calls.  propose(round R) replays
 *    generations 0..R-1: generation g's candidates are drawn again from the
 *    rng seeded by (seed, g), exactly as they were when g was planned, and
 *    ranked by the objectives of round g's trials (the k-th trial of the
 *    round is candidate k).  Failed, pruned and non-finite trials rank
 *    worst; a generation with no usable result leaves the state unchanged.
 *    The update uses the exact continuous candidates, not their rounded,
 *    decoded configs, so the state is what an in-memory CMA-ES would hold.
 *  - Bounds: a candidate is mirrored into [-1, 1] (reflection at the walls,
 *    period 4) before it is decoded, and the update uses the unmirrored
 *    point.  This is pycma's BoundTransform idea (the default HAZero ran
 *    with) in its simplest form; unlike resampling it does not truncate
 *    the distribution at the walls, which would bias the step-size
 *    adaptation when the optimum lies on a bound, as it often does in HPO.
 *  - mode: max is handled by negating the objective.
 *  - Like pycma (and so PaddleHub), it needs at least 2 numeric (float or
 *    int) parameters.
 */
#include "optimizers/optimizer.h"
#include "store/rank.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMA_SIGMA_DEFAULT 0.2
#define CMA_SIGMA_MAX 2.0
#define CMA_POPSIZE_MAX 10000
#define CMA_JACOBI_SWEEPS 60

/* The strategy's constants for dimension n and population lambda. */
typedef struct cma_params {
    int n, lambda, mu;
    double sigma0;
    double *w;                /* mu positive recombination weights, sum 1 */
    double mueff, cs, ds, cc, c1, cmu, chi_n;
} cma_params;

/* The distribution: mean, step size, covariance C = B diag(D^2) B^T, and
 * the two evolution paths.  Matrices are n*n, row-major. */
typedef struct cma_state {
    double *mean, *ps, *pc, *C, *B, *D;
    double sigma;
    int updates;              /* generations applied so far */
} cma_state;

/* ---- options ----------------------------------------------------------- */

static int count_numeric(const hpo_space *s)
{
    int k = 0;
    for (int i = 0; i < s->n; i++) k += s->params[i].type != HPO_PARAM_CHOICE;
    return k;
}

/* algorithm.sigma in (0, 2]: spec_option_double only knows closed ranges. */
static int read_sigma(const hpo_spec *spec, double *out)
{
    const hpo_option *o = spec_option(spec, "sigma");
    if (!o) return *out = CMA_SIGMA_DEFAULT, HPO_OK;
    char *end = NULL;
    double v = strtod(o->value, &end);
    if (end == o->value || *end != '\0' || !(v > 0 && v <= CMA_SIGMA_MAX))
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.sigma: expected a number in (0, 2], got %s%s%s",
                         spec->path, o->line, o->col, end == o->value || *end ? "\"" : "", o->value,
                         end == o->value || *end ? "\"" : "");
    *out = v;
    return HPO_OK;
}

static int read_options(const hpo_spec *spec, double *sigma, int *popsize)
{
    int n = spec->space.n;
    long def = 4 + (long)floor(3.0 * log((double)(n > 0 ? n : 1))), pop;
    if (def < 2) def = 2;
    int r = read_sigma(spec, sigma);
    if (r == HPO_OK) r = spec_option_long(spec, "popsize", def, 2, CMA_POPSIZE_MAX, &pop);
    if (r == HPO_OK) *popsize = (int)pop;
    return r;
}

static int cma_check(const hpo_spec *spec)
{
    int numeric = count_numeric(&spec->space);
    if (numeric < 2)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.name: %s needs at least 2 numeric (float or int) "
                         "parameters, as PaddleHub's does (this space has %d); use random or sobol",
                         spec->path, spec->algorithm_line, spec->algorithm_col, spec->algorithm, numeric);
    double sigma;
    int popsize;
    return read_options(spec, &sigma, &popsize);
}

/* ---- the strategy ------------------------------------------------------ */

/* Hansen's default constants (the tutorial's Table 1, positive weights). */
static void params_init(cma_params *p, int n, int lambda, double sigma0)
{
    p->n = n;
    p->lambda = lambda;
    p->mu = lambda / 2;
    p->sigma0 = sigma0;
    p->w = xmalloc(sizeof(double) * (size_t)p->mu);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < p->mu; i++) sum += p->w[i] = log((lambda + 1) / 2.0) - log(i + 1.0);
    for (int i = 0; i < p->mu; i++) {
        p->w[i] /= sum;
        sum2 += p->w[i] * p->w[i];
    }
    p->mueff = 1.0 / sum2;
    p->cs = (p->mueff + 2) / (n + p->mueff + 5);
    p->ds = 1 + 2 * fmax(0, sqrt((p->mueff - 1) / (n + 1)) - 1) + p->cs;
    p->cc = (4 + p->mueff / n) / (n + 4 + 2 * p->mueff / n);
    p->c1 = 2 / ((n + 1.3) * (n + 1.3) + p->mueff);
    p->cmu = fmin(1 - p->c1, 2 * (p->mueff - 2 + 1 / p->mueff) / ((n + 2.0) * (n + 2.0) + p->mueff));
    p->chi_n = sqrt((double)n) * (1 - 1 / (4.0 * n) + 1 / (21.0 * n * n));
}

/* The start: mean at the centre, or at the init_value point when every
 * parameter has one (PaddleHub's init_input); C = I. */
static void state_init(cma_state *s, const hpo_spec *spec, const cma_params *p)
{
    int n = p->n;
    s->mean = xcalloc((size_t)n, sizeof(double));
    s->ps = xcalloc((size_t)n, sizeof(double));
    s->pc = xcalloc((size_t)n, sizeof(double));
    s->C = xcalloc((size_t)n * n, sizeof(double));
    s->B = xcalloc((size_t)n * n, sizeof(double));
    s->D = xmalloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) {
        s->C[i * n + i] = s->B[i * n + i] = 1;
        s->D[i] = 1;
    }
    s->sigma = p->sigma0;
    s->updates = 0;
    int all_init = n > 0;
    for (int i = 0; i < n; i++) all_init &= spec->space.params[i].has_init;
    if (!all_init) return;
    double *v = xmalloc(sizeof(double) * (size_t)n), *u = xmalloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = spec->space.params[i].init;
    space_encode(&spec->space, v, u);
    for (int i = 0; i < n; i++) s->mean[i] = 2 * u[i] - 1;
    free(v);
    free(u);
}

static void state_free(cma_state *s)
{
    free(s->mean);
    free(s->ps);
    free(s->pc);
    free(s->C);
    free(s->B);
    free(s->D);
}

/* Cyclic Jacobi on the symmetric n*n matrix A: on return A is (nearly)
 * diagonal and A_in = V A_out V^T, V's columns the eigenvectors.  Dims are
 * small (tens), and the input is already nearly diagonal (see eigen_update),
 * so a few sweeps of this simple, deterministic method suffice. */
static void jacobi(int n, double *A, double *V)
{
    memset(V, 0, sizeof(double) * (size_t)n * n);
    for (int i = 0; i < n; i++) V[i * n + i] = 1;
    for (int sweep = 0; sweep < CMA_JACOBI_SWEEPS; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < n; i++) {
            diag += A[i * n + i] * A[i * n + i];
            for (int j = i + 1; j < n; j++) off += A[i * n + j] * A[i * n + j];
        }
        if (off <= 1e-30 * diag || off == 0) return;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = A[p * n + q];
                if (apq == 0) continue;
                /* The rotation J (J_pp = J_qq = c, J_pq = -J_qp = s) that
                 * zeroes A_pq in J^T A J: tan of its angle t solves
                 * t^2 + 2 theta t - 1 = 0; take the smaller root. */
                double theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) {          /* A <- A J, V <- V J */
                    double akp = A[k * n + p], akq = A[k * n + q];
                    A[k * n + p] = c * akp - s * akq;
                    A[k * n + q] = s * akp + c * akq;
                    double vkp = V[k * n + p], vkq = V[k * n + q];
                    V[k * n + p] = c * vkp - s * vkq;
                    V[k * n + q] = s * vkp + c * vkq;
                }
                for (int k = 0; k < n; k++) {          /* A <- J^T A */
                    double apk = A[p * n + k], aqk = A[q * n + k];
                    A[p * n + k] = c * apk - s * aqk;
                    A[q * n + k] = s * apk + c * aqk;
                }
                A[p * n + q] = A[q * n + p] = 0;
            }
    }
}

/* C = B D^2 B^T again after C changed.  Warm start: B^T C B is nearly
 * diagonal (C moves little per generation), so Jacobi on it converges in a
 * sweep or two, and B <- B V.  Eigenvalues are floored at 1e-14 of the
 * largest, which bounds C's condition number so sampling stays sane. */
static void eigen_update(cma_state *s, int n)
{
    double *T = xmalloc(sizeof(double) * (size_t)n * n), *A = xcalloc((size_t)n * n, sizeof(double));
    double *V = xmalloc(sizeof(double) * (size_t)n * n);
    for (int i = 0; i < n; i++)                        /* symmetrize against rounding drift */
        for (int j = i + 1; j < n; j++) s->C[i * n + j] = s->C[j * n + i] = (s->C[i * n + j] + s->C[j * n + i]) / 2;
    for (int i = 0; i < n; i++)                        /* T = C B */
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int k = 0; k < n; k++) acc += s->C[i * n + k] * s->B[k * n + j];
            T[i * n + j] = acc;
        }
    for (int i = 0; i < n; i++)                        /* A = B^T T, symmetric */
        for (int j = i; j < n; j++) {
            double acc = 0;
            for (int k = 0; k < n; k++) acc += s->B[k * n + i] * T[k * n + j];
            A[i * n + j] = A[j * n + i] = acc;
        }
    jacobi(n, A, V);
    for (int i = 0; i < n; i++)                        /* B <- B V */
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int k = 0; k < n; k++) acc += s->B[i * n + k] * V[k * n + j];
            T[i * n + j] = acc;
        }
    memcpy(s->B, T, sizeof(double) * (size_t)n * n);
    double top = 0;
    for (int i = 0; i < n; i++) top = fmax(top, A[i * n + i]);
    for (int i = 0; i < n; i++) s->D[i] = sqrt(fmax(A[i * n + i], top > 0 ? top * 1e-14 : 1e-300));
    free(T);
    free(A);
    free(V);
}

/* Generation g's lambda candidates: Y[k] = B D z_k with z_k ~ N(0, I) from
 * the rng of (seed, g), and X[k] = mean + sigma Y[k] (unbounded). */
static void sample(const hpo_spec *spec, const cma_params *p, const cma_state *s, int g, double *Y, double *X)
{
    int n = p->n;
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)g, 0);
    double *z = xmalloc(sizeof(double) * (size_t)n);
    for (int k = 0; k < p->lambda; k++) {
        for (int i = 0; i < n; i++) z[i] = s->D[i] * rng_normal(&rng);
        for (int i = 0; i < n; i++) {
            double acc = 0;
            for (int j = 0; j < n; j++) acc += s->B[i * n + j] * z[j];
            Y[k * n + i] = acc;
            X[k * n + i] = s->mean[i] + s->sigma * acc;
        }
    }
    free(z);
}

/* One generation's update from its candidates Y, best first in `order`. */
static void update(const cma_params *p, cma_state *s, const double *Y, const int *order)
{
    int n = p->n;
    double *yw = xcalloc((size_t)n, sizeof(double)), *t = xmalloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < p->mu; i++)
        for (int j = 0; j < n; j++) yw[j] += p->w[i] * Y[order[i] * n + j];
    for (int j = 0; j < n; j++) s->mean[j] += s->sigma * yw[j];

    /* p_sigma <- (1-cs) p_sigma + sqrt(cs(2-cs) mueff) C^-1/2 yw, with
     * C^-1/2 = B D^-1 B^T (of the C the candidates were drawn from). */
    for (int i = 0; i < n; i++) {
        double acc = 0;
        for (int k = 0; k < n; k++) acc += s->B[k * n + i] * yw[k];
        t[i] = acc / s->D[i];
    }
    double ks = sqrt(p->cs * (2 - p->cs) * p->mueff), norm2 = 0;
    for (int i = 0; i < n; i++) {
        double acc = 0;
        for (int k = 0; k < n; k++) acc += s->B[i * n + k] * t[k];
        s->ps[i] = (1 - p->cs) * s->ps[i] + ks * acc;
        norm2 += s->ps[i] * s->ps[i];
    }
    double ps_norm = sqrt(norm2);
    s->updates++;

    /* h_sigma stalls p_c while p_sigma is long, so a fast sigma increase
     * does not blow C up along the path (tutorial, eq. 45 and its note). */
    int hsig = ps_norm / sqrt(1 - pow(1 - p->cs, 2.0 * s->updates)) / p->chi_n < 1.4 + 2.0 / (n + 1);
    double kc = sqrt(p->cc * (2 - p->cc) * p->mueff);
    for (int i = 0; i < n; i++) s->pc[i] = (1 - p->cc) * s->pc[i] + (hsig ? kc * yw[i] : 0);

    double keep = 1 - p->c1 - p->cmu + (hsig ? 0 : p->c1 * p->cc * (2 - p->cc));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double rank_mu = 0;
            for (int k = 0; k < p->mu; k++) rank_mu += p->w[k] * Y[order[k] * n + i] * Y[order[k] * n + j];
            s->C[i * n + j] = keep * s->C[i * n + j] + p->c1 * s->pc[i] * s->pc[j] + p->cmu * rank_mu;
        }

    /* Cumulative step-size adaptation; the change per generation is capped
     * at e^1 as in pycma, so a freak generation cannot explode sigma. */
    s->sigma *= exp(fmin(1.0, p->cs / p->ds * (ps_norm / p->chi_n - 1)));
    if (s->sigma > 1e3) s->sigma = 1e3;
    eigen_update(s, n);
    free(yw);
    free(t);
}

/* ---- the history ------------------------------------------------------- */

typedef struct ranked { double f; int ok, k; } ranked;

/* Usable results first, best (lowest) first; ties and the unusable in
 * candidate order, so the ranking is a total order (deterministic). */
static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->ok != y->ok) return y->ok - x->ok;
    if (x->ok && x->f != y->f) return x->f < y->f ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

/* f[g * lambda + k]: the (minimized) objective of candidate k of
 * generation g, NaN where there is none usable. */
static double *results_by_generation(const hpo_spec *spec, const hpo_history *h, int rounds, int lambda)
{
    double *f = xmalloc(sizeof(double) * (size_t)(rounds > 0 ? rounds : 1) * (size_t)lambda);
    int *seen = xcalloc((size_t)(rounds > 0 ? rounds : 1), sizeof(int));
    for (size_t i = 0; i < (size_t)rounds * (size_t)lambda; i++) f[i] = NAN;
    for (size_t t = 0; t < h->n; t++) {
        const hpo_trial_row *r = &h->trials[t];
        if (r->round < 0 || r->round >= rounds) continue;
        int k = seen[r->round]++;
        if (k >= lambda) continue;
        if (!trial_is_ranked(r)) continue;
        f[(size_t)r->round * lambda + k] = spec->maximize ? -r->objective : r->objective;
    }
    free(seen);
    return f;
}

/* Candidate order of one generation, best first; returns how many usable. */
static int rank(const double *f, int lambda, int *order)
{
    ranked *r = xmalloc(sizeof(ranked) * (size_t)lambda);
    int ok = 0;
    for (int k = 0; k < lambda; k++) {
        r[k] = (ranked){.f = f[k], .ok = !isnan(f[k]), .k = k};
        ok += r[k].ok;
    }
    qsort(r, (size_t)lambda, sizeof *r, ranked_cmp);
    for (int k = 0; k < lambda; k++) order[k] = r[k].k;
    free(r);
    return ok;
}

/* Mirror into [-1, 1]: reflection at both walls, period 4. */
static double reflect(double x)
{
    double t = fmod(x + 1, 4.0);
    if (t < 0) t += 4;
    return t <= 2 ? t - 1 : 3 - t;
}

/* ---- propose ----------------------------------------------------------- */

static int cma_propose(const hpo_spec *spec, const hpo_history *h, int round,
                       int max, hpo_proposal *out, int *n_out)
{
    double sigma0;
    int lambda, r = read_options(spec, &sigma0, &lambda);
    if (r != HPO_OK) return r;
    int n = spec->space.n;
    cma_params p;
    cma_state s;
    params_init(&p, n, lambda, sigma0);
    state_init(&s, spec, &p);
    double *Y = xmalloc(sizeof(double) * (size_t)lambda * n), *X = xmalloc(sizeof(double) * (size_t)lambda * n);
    double *f = results_by_generation(spec, h, round, lambda);
    int *order = xmalloc(sizeof(int) * (size_t)lambda);
    for (int g = 0; g < round; g++) {
        sample(spec, &p, &s, g, Y, X);
        if (rank(&f[(size_t)g * lambda], lambda, order) > 0) update(&p, &s, Y, order);
    }
    sample(spec, &p, &s, round, Y, X);
    int m = max < lambda ? max : lambda;
    double *u = xmalloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    for (int k = 0; k < m; k++) {
        for (int i = 0; i < n; i++) u[i] = (reflect(X[k * n + i]) + 1) / 2;
        space_decode(&spec->space, u, out[k].values);
    }
    proposals_fresh(spec, out, m);
    *n_out = m > 0 ? m : 0;
    free(u);
    free(order);
    free(f);
    free(Y);
    free(X);
    free(p.w);
    state_free(&s);
    return HPO_OK;
}

const hpo_optimizer optimizer_cmaes = {
    .name = "cmaes",
    .check = cma_check,
    .propose = cma_propose,
    .sizes_its_rounds = 1,
    .modes = HPO_MODES_ROUNDS,
    .default_mode = HPO_MODE_ROUNDS,
};

/* PaddleHub's name for the same strategy; plans say which name was used. */
const hpo_optimizer optimizer_hazero = {
    .name = "hazero",
    .check = cma_check,
    .propose = cma_propose,
    .sizes_its_rounds = 1,
    .modes = HPO_MODES_ROUNDS,
    .default_mode = HPO_MODE_ROUNDS,
};
