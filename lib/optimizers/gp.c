/*
 * gp.c -- the `gp` optimizer: Bayesian optimisation with a Gaussian process
 * (gp_model.c) and log expected improvement, for the small budgets of
 * expensive trials (tens to a few hundred).
 *
 * Per proposal round:
 *  - Startup: the first n_startup trials, however the rounds fall, are the
 *    scrambled Sobol' points `sobol` would plan (random beyond its 21
 *    dimensions), as `tpe`'s (design_points, optimizer.c); a round that
 *    finishes the design fills its other places from the model if every
 *    trial so far completed.  Past the design, the model waits for
 *    n_startup completed trials (more Sobol' points until then).
 *  - Observations: the trials at the spec's full budget.  Completed ones
 *    with a finite objective keep it (negated under mode: max), warped
 *    (below) and standardised; failed, timed-out, OOM, pruned and
 *    non-finite ones get the worst value seen (stay away from configs
 *    that crash); cancelled and node_fail ones are left out (they say
 *    nothing of their config); planned and running ones join later (see
 *    batches).  Past max_history (500) observations the model keeps the
 *    best tenth of that many and the most recent rest, which bounds the
 *    cost of a proposal however long the sweep.
 *  - Coordinates (gp_model.h): a float or int is its unit-cube encoding
 *    (space.h: so log-scale parameters are in log space, an int at its
 *    bin's centre); a choice is a category under a categorical kernel;
 *    inactive parameters are NaN.
 *  - Fit: the kernel's hyperparameters maximise the marginal likelihood
 *    times weak priors (gp_fit, `restarts` starts) on at most FIT_MAX of
 *    the observations (the best quarter and the most recent rest: the
 *    fit's gradient costs O(n^3), the posterior only O(n^2) a point);
 *    then the posterior is conditioned on all of them.  The objective is
 *    modelled through the warp, of two, under which the observations are
 *    most probable (the fit's evidence, Jacobian included): itself, or
 *    log(1 + (y - min) / scale), scale the lower quartile of y - min,
 *    for objectives with a heavy tail of bad values (warp, fit_model).
 *    On a numeric space (no choice, no condition, two or more
 *    parameters) an additive kernel, one Matérn term per parameter
 *    (gp_model.h), competes with the product kernel under the chosen warp,
 *    and the fit of the higher posterior wins: a separable objective
 *    (Rastrigin, Styblinski-Tang, Schwefel) is learned from a fraction of
 *    the points the product needs (bench/optimizers/RESULTS.md, fifth
 *    run).
 *  - Acquisition: log EI against the best observation, maximised by
 *    random search (n_candidates points: half uniform in the cube but for
 *    the parameters the fit found nothing about, which keep the best
 *    observation's values; half perturbations of the best observations)
 *    and then hill climbing from the best few by shrinking Gaussian
 *    steps.  Every candidate is decoded and re-encoded before it is
 *    scored -- ints rounded, choices made categories, conditions applied
 *    -- so the acquisition is optimised over configs that can actually
 *    run ("rounding inside the acquisition", Garrido-Merchán &
 *    Hernández-Lobato 2020).
 *  - Batches: each pick joins the model before the next (the
 *    hyperparameters kept) at its posterior mean, but no better than the
 *    best observation (lie(): a kriging believer capped by the constant
 *    liar's "min" lie), and the next pick keeps MIN_SPACING away from it
 *    while any candidate can, so a round's q configs spread out; planned
 *    and running trials join the same way.  A pick equal to a config
 *    already tried or picked is passed over for the next best candidate.
 *
 * Options: n_startup 1..1000 (10), n_candidates 16..100000 (384), restarts
 * 1..20 (3), max_history 20..100000 (500).
 */
#include "optimizers/gp_model.h"
#include "optimizers/internal.h"
#include "store/journal.h"
#include "store/rank.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIT_MAX 100          /* observations the hyperparameters are fitted on */
#define FIT_ITERATIONS 32    /* Rprop steps per restart */
#define REFINE_STARTS 4      /* candidates refined by hill climbing */
#define REFINE_STEPS 8
#define REFINE_BATCH 8       /* perturbations per start and step */
#define RNG_STREAM 11
/* A pick keeps at least this far (in some numeric coordinate of the unit
 * cube, or a different category) from the pending trials and the round's
 * other picks while any candidate does: with the lie at the best value,
 * EI can stay positive a hair away from a lie where the mean slopes on
 * down, and q near-copies would waste an array job. */
#define MIN_SPACING 0.02
/* A length scale (log) past which the fit has found nothing about a
 * parameter: 5 times the unit cube, where the kernel's correlation across
 * the parameter's whole range (or between two categories) stays above
 * 0.97.  The fit leaves such a scale near its prior's mean (5.8 with 2
 * parameters, 11.6 with 8: gp_model.c); below 5 the data have pulled it
 * down.  initial_pool. */
#define LOG_IGNORED_SCALE 1.6094379124341003   /* log 5 */

static const char *const gp_keys[] = {"n_startup", "n_candidates", "restarts", "max_history", NULL};

typedef struct gp_opts {
    long n_startup, n_candidates, restarts, max_history;
} gp_opts;

static int gp_read(const hpo_spec *spec, gp_opts *o)
{
    int r;
    if ((r = tpe_check_keys(spec, "gp", gp_keys))) return r;
    if ((r = spec_option_long(spec, "n_startup", 10, 1, 1000, &o->n_startup))) return r;
    if ((r = spec_option_long(spec, "n_candidates", 384, 16, 100000, &o->n_candidates))) return r;
    if ((r = spec_option_long(spec, "restarts", 3, 1, 20, &o->restarts))) return r;
    if ((r = spec_option_long(spec, "max_history", 500, 20, 100000, &o->max_history))) return r;
    return HPO_OK;
}

static int gp_check(const hpo_spec *spec)
{
    gp_opts o;
    return gp_read(spec, &o);
}

/* ---- configs as GP coordinates ------------------------------------------- */

/* values (space.h encoding) to coordinates z: unit-cube numbers, choice
 * indices, NaN where inactive. */
static void to_coords(const hpo_space *s, const double *values, double *z)
{
    space_encode(s, values, z);
    for (int p = 0; p < s->n; p++)
        if (isnan(values[p])) z[p] = NAN;
        else if (s->params[p].type == HPO_PARAM_CHOICE) z[p] = values[p];
}

/* A point of the unit cube to the config it decodes to (values) and that
 * config's coordinates (z): the rounding inside the acquisition. */
static void snap(const hpo_space *s, const double *u, double *values, double *z)
{
    space_decode(s, u, values);
    to_coords(s, values, z);
}

/* ---- observations ------------------------------------------------------- */

typedef struct obs {
    int d;
    size_t n, n_pending;
    double *z;          /* n x d, then n_pending x d of pending trials */
    double *u;          /* the same trials in the unit cube (0.5 where inactive) */
    double *raw;        /* n; objective to minimise, or NaN for a bad trial */
    double *y;          /* n; raw warped and standardised, bad trials at the worst (standardise) */
    size_t *trial;      /* index in the history, for recency */
} obs;

static int has_status(const hpo_trial_row *t, const char *s) { return strcmp(t->status, s) == 0; }

/* 1: ranked, 2: bad (worst value), 3: pending, 0: left out. */
static int kind_of(const hpo_trial_row *t)
{
    if (has_status(t, HPO_STATUS_CANCELLED) || has_status(t, HPO_STATUS_NODE_FAIL)) return 0;
    if (has_status(t, HPO_STATUS_PLANNED) || has_status(t, HPO_STATUS_RUNNING)) return 3;
    if (trial_is_ranked(t)) return 1;
    return 2;
}

static void collect(const hpo_spec *spec, const hpo_history *h, obs *o)
{
    const hpo_space *s = &spec->space;
    int d = s->n;
    double budget = spec->fidelity.enabled ? spec->fidelity.max : NAN;
    memset(o, 0, sizeof *o);
    o->d = d;
    o->z = xmalloc(sizeof(double) * (h->n + 1) * (size_t)(d + 1));
    o->u = xmalloc(sizeof(double) * (h->n + 1) * (size_t)(d + 1));
    o->raw = xmalloc(sizeof(double) * (h->n + 1));
    o->y = xmalloc(sizeof(double) * (h->n + 1));
    o->trial = xmalloc(sizeof(size_t) * (h->n + 1));
    double *values = xmalloc(sizeof(double) * (size_t)(d + 1));
    /* Two passes: observations first, pending after them. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t t = 0; t < h->n; t++) {
            const hpo_trial_row *r = &h->trials[t];
            int k = kind_of(r);
            if (!k || !same_budget(r->budget, budget) || (k == 3) != pass) continue;
            size_t i = o->n + o->n_pending;
            for (int p = 0; p < d; p++) values[p] = h->config[p][t];
            to_coords(s, values, o->z + i * (size_t)d);
            space_encode(s, values, o->u + i * (size_t)d);
            if (pass) { o->n_pending++; continue; }
            o->raw[i] = k == 1 ? (spec->maximize ? -r->objective : r->objective) : NAN;
            o->trial[i] = t;
            o->n++;
        }
    free(values);
}

static void obs_free(obs *o)
{
    free(o->z);
    free(o->u);
    free(o->raw);
    free(o->y);
    free(o->trial);
}

/* ---- the objective's warp ------------------------------------------------ */

/* What the GP models is the objective through a monotone warp: the
 * objective itself, or log(1 + (y - min) / scale), which keeps the
 * differences among the best trials (where y - min is small against
 * scale, the warp is nearly linear) and compresses a heavy tail of bad
 * ones.  Rosenbrock on a log scale spans six orders of magnitude: there,
 * on the objective itself, the thousands of the worst trials set the
 * GP's scale, the best ones look flat, and gp searched no better than
 * random (bench/optimizers/RESULTS.md).  Which warp is used is decided by
 * the evidence (fit_model()), so smooth objectives keep their own. */
typedef struct warp {
    int log;
    double min, scale;
} warp;

static double warp_value(const warp *w, double y) { return w->log ? log1p((y - w->min) / w->scale) : y; }

/* log of the warp's slope at y: the Jacobian term of the evidence. */
static double warp_log_slope(const warp *w, double y) { return w->log ? -log(w->scale + (y - w->min)) : 0; }

/* The log warp of o's ranked values: min their minimum, scale the lower
 * quartile of y - min (the scale of the better trials' differences).  0
 * when there is none: fewer than 4 ranked values, or a quartile of 0. */
static int log_warp_of(const obs *o, warp *w)
{
    double *v = xmalloc(sizeof(double) * (o->n + 1));
    size_t m = 0;
    for (size_t i = 0; i < o->n; i++)
        if (!isnan(o->raw[i])) v[m++] = o->raw[i];
    int ok = m >= 4;
    if (ok) {
        qsort(v, m, sizeof(double), cmp_double);
        w->log = 1;
        w->min = v[0];
        w->scale = v[(m - 1) / 4] - v[0];
        ok = w->scale > 0 && isfinite(w->scale);
    }
    free(v);
    return ok;
}

/* o->y from o->raw: warped, standardised; bad trials get the worst value.
 * The best (smallest) standardised value into *best, the standard
 * deviation of the warped values into *sd; 0 if none is ranked. */
static int standardise(obs *o, const warp *w, double *best, double *sd_out)
{
    double sum = 0, sq = 0, worst = -INFINITY;
    size_t m = 0;
    for (size_t i = 0; i < o->n; i++) {
        o->y[i] = isnan(o->raw[i]) ? NAN : warp_value(w, o->raw[i]);
        if (!isnan(o->y[i])) sum += o->y[i], m++;
    }
    if (m == 0) return 0;
    double mean = sum / (double)m;
    for (size_t i = 0; i < o->n; i++)
        if (!isnan(o->y[i])) sq += (o->y[i] - mean) * (o->y[i] - mean);
    double sd = m > 1 ? sqrt(sq / (double)(m - 1)) : 1;
    if (!(sd > 0)) sd = 1;
    *best = INFINITY;
    for (size_t i = 0; i < o->n; i++)
        if (!isnan(o->y[i])) {
            o->y[i] = (o->y[i] - mean) / sd;
            worst = fmax(worst, o->y[i]);
            *best = fmin(*best, o->y[i]);
        }
    for (size_t i = 0; i < o->n; i++)
        if (isnan(o->y[i])) o->y[i] = worst;
    *sd_out = sd;
    return 1;
}

static int by_value_then_recency(const void *a, const void *b, void *ctx)
{
    const obs *o = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (o->y[i] != o->y[j]) return o->y[i] < o->y[j] ? -1 : 1;
    return i > j ? -1 : i < j;
}

/* The indices (ascending) of at most `cap` observations: the best `keep`
 * and then the most recent others. */
static size_t subset(const obs *o, size_t cap, size_t keep, size_t *idx)
{
    if (o->n <= cap) {
        for (size_t i = 0; i < o->n; i++) idx[i] = i;
        return o->n;
    }
    size_t *order = xmalloc(sizeof(size_t) * o->n);
    unsigned char *in = xcalloc(o->n, 1);
    for (size_t i = 0; i < o->n; i++) order[i] = i;
    qsort_r(order, o->n, sizeof(size_t), by_value_then_recency, (void *)o);
    for (size_t k = 0; k < keep && k < cap; k++) in[order[k]] = 1;
    size_t taken = keep < cap ? keep : cap;
    for (size_t i = o->n; i-- > 0 && taken < cap;)
        if (!in[i]) in[i] = 1, taken++;
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        if (in[i]) idx[n++] = i;
    free(order);
    free(in);
    return n;
}

/* Rows idx[0..n) of o's z and y into x and y. */
static void gather(const obs *o, const size_t *idx, size_t n, double *x, double *y)
{
    for (size_t k = 0; k < n; k++) {
        memcpy(x + k * (size_t)o->d, o->z + idx[k] * (size_t)o->d, sizeof(double) * (size_t)o->d);
        y[k] = o->y[idx[k]];
    }
}

/* The value a pending trial or a pick joins the model with before its
 * result is known: its posterior mean (the kriging believer), but no
 * better than the best observation (the constant liar's "min" lie).  A
 * pure believer below the best leaves EI high right next to it wherever
 * the mean still slopes down (on Branin, q picks a hair apart at the
 * box's edge); at the best, the pick's own improvement is gone and the
 * best stays as it was; MIN_SPACING keeps the picks from crowding.
 * Measured against a lie at the observations' mean (batches of 8, 100
 * trials, 12 seeds, median log10 regret): branin -4.96 against -4.53,
 * hartmann6 -2.19 against -1.78, levy6 0.17 against 0.50, mixed -5.64
 * against -5.13 (sequential: -5.13, -2.46, 0.05, -5.75). */
static double lie(double mean, double best) { return mean > best ? mean : best; }

static unsigned char *categorical_mask(const hpo_space *s)
{
    unsigned char *cat = xmalloc((size_t)s->n + 1);
    for (int p = 0; p < s->n; p++) cat[p] = s->params[p].type == HPO_PARAM_CHOICE;
    return cat;
}

/* The hyperparameters' data: at most FIT_MAX of o's standardised
 * observations (the best quarter and the most recent rest: the fit's
 * gradient costs O(n^3), the posterior only O(n^2) a point) into fit,
 * their indices into idx.  0 or -1 as gp_set_data. */
static int fit_data(const hpo_space *s, const obs *o, int additive, gp_model *fit, size_t *idx, size_t *nf)
{
    int d = s->n;
    unsigned char *cat = categorical_mask(s);
    double *x = xmalloc(sizeof(double) * (o->n + 1) * (size_t)(d + 1)), *y = xmalloc(sizeof(double) * (o->n + 1));
    *nf = subset(o, FIT_MAX, FIT_MAX / 4, idx);
    gather(o, idx, *nf, x, y);
    gp_init(fit, d, cat, *nf);
    fit->additive = additive;
    int r = gp_set_data(fit, *nf, x, y);
    free(cat);
    free(x);
    free(y);
    return r;
}

/* Whether the additive kernel competes with the product for this space:
 * two or more parameters, none a choice or conditional (bench/optimizers
 * measured it on numeric spaces only). */
static int additive_candidate(const hpo_space *s)
{
    if (s->n < 2) return 0;
    for (int p = 0; p < s->n; p++)
        if (s->params[p].type == HPO_PARAM_CHOICE || s->params[p].when) return 0;
    return 1;
}

/* The fit: the hyperparameters (theta) under the warp the observations
 * are most probable under, the objective itself or its log warp
 * (log_warp_of), with o->y standardised under it, its best value into
 * *best and which warp into *which (1: the log warp).
 *
 * "Most probable": each warp's fit from the defaults' start (gp_fit_first,
 * the same start for both) gives the log evidence of the fitted
 * observations' raw values -- the log marginal likelihood times prior of
 * their standardised values plus the log Jacobian of raw to standardised,
 * -log sd and the warp's slope (a bad trial's taken at the worst ranked
 * value, which it stands in for).  Raw values are the same data under
 * every warp, so these compare (a warped GP's model choice, Snelson et al.
 * 2004).  Only the chosen warp's fit goes on to the random restarts
 * (gp_fit_rest), so where the objective itself is chosen the fit, and
 * every proposal, is what the GP without warps made; the choice costs one
 * Rprop run more than the fit alone.  On bench/optimizers (20 seeds, 100
 * trials) the evidence takes the log warp on log-scale Rosenbrock from the
 * first fits on and almost never on Hartmann-6 (3 fits in 540).
 * 1, 0 when nothing is ranked yet, -1 when no fit could be made. */
static int fit_model(const hpo_space *s, const gp_opts *opt, obs *o, hpo_rng *rng, double *theta, double *best,
                     int *which, int *additive)
{
    warp warps[2] = {{0, 0, 1}, {0, 0, 1}};
    int n_warps = 1 + log_warp_of(o, &warps[1]), chosen = -1;
    double worst_raw = -INFINITY, evidence[2], first[2], sd;
    for (size_t i = 0; i < o->n; i++)
        if (!isnan(o->raw[i])) worst_raw = fmax(worst_raw, o->raw[i]);
    if (worst_raw == -INFINITY) return 0;
    gp_model fits[2];
    size_t *idx = xmalloc(sizeof(size_t) * (o->n + 1)), nf = 0;
    for (int w = 0; w < n_warps; w++) {   /* every fits[w] initialised, even when its data fail */
        standardise(o, &warps[w], best, &sd);
        evidence[w] = -INFINITY;
        if (fit_data(s, o, 0, &fits[w], idx, &nf) != 0) continue;
        first[w] = gp_fit_first(&fits[w], FIT_ITERATIONS);
        evidence[w] = -first[w] - (double)nf * log(sd);
        for (size_t k = 0; k < nf; k++)
            evidence[w] += warp_log_slope(&warps[w], isnan(o->raw[idx[k]]) ? worst_raw : o->raw[idx[k]]);
        if (isfinite(evidence[w]) && (chosen < 0 || evidence[w] > evidence[chosen])) chosen = w;
    }
    /* The additive kernel against the product, under the chosen warp: the
     * same data, so the two fits' posteriors compare directly. */
    gp_model sum, *won = chosen >= 0 ? &fits[chosen] : NULL;
    int tried_sum = chosen >= 0 && additive_candidate(s);
    if (chosen >= 0) standardise(o, &warps[chosen], best, &sd);
    if (tried_sum) {
        double f = fit_data(s, o, 1, &sum, idx, &nf) == 0 ? gp_fit_first(&sum, FIT_ITERATIONS) : INFINITY;
        if (f < first[chosen]) won = &sum, first[chosen] = f;
    }
    int r = won && gp_fit_rest(won, first[chosen], rng, (int)opt->restarts, FIT_ITERATIONS) == 0;
    if (r) {
        memcpy(theta, won->theta, sizeof(double) * (size_t)GP_NTHETA(s->n));
        *which = warps[chosen].log;
        *additive = won->additive;
    }
    if (tried_sum) gp_free(&sum);
    for (int w = 0; w < n_warps; w++) gp_free(&fits[w]);
    free(idx);
    return r ? 1 : -1;
}

/* The model under theta, conditioned on the (capped) observations, then
 * on the pending trials at lie(). */
static int condition(const hpo_space *s, const gp_opts *opt, const obs *o, const double *theta, int additive,
                     double best, int extra, gp_model *m)
{
    int d = s->n;
    unsigned char *cat = categorical_mask(s);
    size_t cap = (size_t)opt->max_history, *idx = xmalloc(sizeof(size_t) * (o->n + 1));
    double *x = xmalloc(sizeof(double) * (o->n + 1) * (size_t)(d + 1)), *y = xmalloc(sizeof(double) * (o->n + 1));
    size_t n = subset(o, cap, cap / 10, idx);
    gather(o, idx, n, x, y);
    gp_init(m, d, cat, n + o->n_pending + (size_t)extra);
    memcpy(m->theta, theta, sizeof(double) * (size_t)GP_NTHETA(d));
    m->additive = additive;
    int r = gp_set_data(m, n, x, y);
    for (size_t i = 0; r == 0 && i < o->n_pending; i++) {
        const double *z = o->z + (o->n + i) * (size_t)d;
        double mean, var;
        gp_predict(m, 1, z, &mean, &var);
        r = gp_add(m, z, lie(mean, best));
    }
    free(cat);
    free(idx);
    free(x);
    free(y);
    return r;
}

/* ---- the acquisition ----------------------------------------------------- */

/* Candidates: k points of the unit cube (u), their configs (v) and
 * coordinates (z), and log EI (score). */
typedef struct pool {
    int d;
    size_t k;
    double *u, *v, *z, *score;
} pool;

static void pool_init(pool *c, int d, size_t k)
{
    c->d = d;
    c->k = k;
    size_t w = (size_t)(d + 1);
    c->u = xmalloc(sizeof(double) * k * w);
    c->v = xmalloc(sizeof(double) * k * w);
    c->z = xmalloc(sizeof(double) * k * w);
    c->score = xmalloc(sizeof(double) * k);
}

static void pool_free(pool *c)
{
    free(c->u);
    free(c->v);
    free(c->z);
    free(c->score);
}

static void score_all(const gp_model *m, double best, pool *c)
{
    double *mean = xmalloc(sizeof(double) * c->k), *var = xmalloc(sizeof(double) * c->k);
    gp_predict(m, c->k, c->z, mean, var);
    for (size_t j = 0; j < c->k; j++) c->score[j] = gp_log_ei(mean[j], var[j], best);
    free(mean);
    free(var);
}

/* u = centre moved by N(0, sigma) in each numeric coordinate (clipped to
 * the cube) and, with probability `flip`, to a random category in each
 * choice. */
static void perturb(const hpo_space *s, hpo_rng *rng, const double *centre, double sigma, double flip, double *u)
{
    for (int p = 0; p < s->n; p++) {
        if (s->params[p].type == HPO_PARAM_CHOICE) {
            u[p] = rng_uniform(rng) < flip ? rng_uniform(rng) : centre[p];
            continue;
        }
        double x = centre[p] + sigma * rng_normal(rng);
        u[p] = x < 0 ? 0 : x > 1 ? 1 : x;
    }
}

/* The first pool: half around the best observations, half uniform in the
 * cube but for the parameters the fit found nothing to say about (a
 * length scale past LOG_IGNORED_SCALE under m's theta), which keep the best
 * observation's values: along those log EI is flat, so a uniform value
 * there is a step the model did not ask for, away from where the best
 * trials are (the fill-in of dropout BO, Li et al. 2017). */
static void initial_pool(const hpo_space *s, const gp_model *m, const obs *o, hpo_rng *rng, pool *c)
{
    int d = s->n;
    size_t n_local = o->n ? c->k / 2 : 0, top = o->n < 5 ? o->n : 5;
    size_t *order = xmalloc(sizeof(size_t) * (o->n + 1));
    for (size_t i = 0; i < o->n; i++) order[i] = i;
    qsort_r(order, o->n, sizeof(size_t), by_value_then_recency, (void *)o);
    const double *best = o->n ? o->u + order[0] * (size_t)d : NULL;
    double flip = d > 0 ? 1.0 / d : 1;
    for (size_t j = 0; j < c->k; j++) {
        double *u = c->u + j * (size_t)d;
        if (j < n_local) perturb(s, rng, o->u + order[j % top] * (size_t)d, 0.1, flip, u);
        else
            for (int p = 0; p < d; p++) {
                u[p] = rng_uniform(rng);
                if (best && m->theta[p] > LOG_IGNORED_SCALE) u[p] = best[p];
            }
        snap(s, u, c->v + j * (size_t)d, c->z + j * (size_t)d);
    }
    free(order);
}

static size_t argmax(const double *x, size_t n)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

/* Hill climbing from the best REFINE_STARTS of c: each step tries
 * REFINE_BATCH perturbations of each start, keeps any that improves, and
 * halves a start's step when none did.  The climbed points are appended
 * to `out` (a pool of REFINE_STARTS points). */
static void refine(const hpo_space *s, const gp_model *m, double best, hpo_rng *rng, pool *c, pool *out)
{
    int d = s->n;
    size_t w = (size_t)d, starts = out->k;
    double sigma[REFINE_STARTS];
    unsigned char *used = xcalloc(c->k, 1);
    for (size_t a = 0; a < starts; a++) {
        /* the a-th best candidate (selection; starts is small) */
        size_t b = SIZE_MAX;
        for (size_t j = 0; j < c->k; j++)
            if (!used[j] && (b == SIZE_MAX || c->score[j] > c->score[b])) b = j;
        used[b] = 1;
        memcpy(out->u + a * w, c->u + b * w, sizeof(double) * w);
        memcpy(out->v + a * w, c->v + b * w, sizeof(double) * w);
        memcpy(out->z + a * w, c->z + b * w, sizeof(double) * w);
        out->score[a] = c->score[b];
        sigma[a] = 0.05;
    }
    free(used);
    pool step;
    pool_init(&step, d, starts * REFINE_BATCH);
    double flip = d > 0 ? 0.5 / d : 0.5;
    for (int it = 0; it < REFINE_STEPS; it++) {
        for (size_t j = 0; j < step.k; j++) {
            size_t a = j / REFINE_BATCH;
            perturb(s, rng, out->u + a * w, sigma[a], flip, step.u + j * w);
            snap(s, step.u + j * w, step.v + j * w, step.z + j * w);
        }
        score_all(m, best, &step);
        for (size_t a = 0; a < starts; a++) {
            size_t j = a * REFINE_BATCH + argmax(step.score + a * REFINE_BATCH, REFINE_BATCH);
            if (step.score[j] > out->score[a]) {
                memcpy(out->u + a * w, step.u + j * w, sizeof(double) * w);
                memcpy(out->v + a * w, step.v + j * w, sizeof(double) * w);
                memcpy(out->z + a * w, step.z + j * w, sizeof(double) * w);
                out->score[a] = step.score[j];
            } else {
                sigma[a] *= 0.5;
            }
        }
    }
    pool_free(&step);
}

static int by_score_desc(const void *a, const void *b, void *ctx)
{
    const pool *p = ctx;
    size_t i = *(const size_t *)a, k = *(const size_t *)b;
    if (p->score[i] != p->score[k]) return p->score[i] > p->score[k] ? -1 : 1;
    return i < k ? -1 : i > k;   /* ties by index: the same order everywhere */
}

/* Whether coordinates z lie within MIN_SPACING, in every numeric
 * coordinate, of a point of the model from row `first` on (the pending
 * trials and this round's picks), with the same categories and activity. */
static int crowded(const gp_model *m, size_t first, const double *z)
{
    for (size_t i = first; i < m->n; i++) {
        const double *x = m->x + i * (size_t)m->d;
        int p = 0;
        for (; p < m->d; p++) {
            if (isnan(x[p]) != isnan(z[p])) break;
            if (isnan(z[p])) continue;
            if (m->cat[p] ? x[p] != z[p] : fabs(x[p] - z[p]) > MIN_SPACING) break;
        }
        if (p == m->d) return 1;
    }
    return 0;
}

/* The index of p's best-scoring config that is neither in the history nor
 * among picks[0..j) and, when `spaced`, not crowded against the lies (rows
 * `first_lie` on of m); SIZE_MAX if there is none. */
static size_t best_new(const hpo_spec *spec, const hpo_history *h, double **picks, int j, const pool *p,
                       const gp_model *m, size_t first_lie, int spaced)
{
    size_t *order = xmalloc(sizeof(size_t) * (p->k + 1)), found = SIZE_MAX;
    for (size_t i = 0; i < p->k; i++) order[i] = i;
    qsort_r(order, p->k, sizeof(size_t), by_score_desc, (void *)p);
    for (size_t i = 0; i < p->k && found == SIZE_MAX; i++) {
        size_t b = order[i];
        if (spaced && crowded(m, first_lie, p->z + b * (size_t)p->d)) continue;
        if (!config_known(spec, h, picks, j, p->v + b * (size_t)p->d)) found = b;
    }
    free(order);
    return found;
}

/* Pick j of the round into picks[j] and its coordinates into z: the best
 * new config of the refined candidates, else of the random ones (spaced
 * from the lies if any is), else a random new one (a nearly exhausted
 * discrete space), else a known one. */
static void pick(const hpo_spec *spec, const hpo_history *h, const gp_model *m, const obs *o, double best,
                 const gp_opts *opt, hpo_rng *rng, double **picks, int j, double *z)
{
    const hpo_space *s = &spec->space;
    size_t d = (size_t)s->n;
    pool c, r;
    pool_init(&c, s->n, (size_t)opt->n_candidates);
    initial_pool(s, m, o, rng, &c);
    score_all(m, best, &c);
    pool_init(&r, s->n, c.k < REFINE_STARTS ? c.k : REFINE_STARTS);
    refine(s, m, best, rng, &c, &r);
    /* the lies: the model's last rows, the pending trials and picks[0..j) */
    size_t first_lie = m->n - o->n_pending - (size_t)j;
    /* refined then random candidates, spaced out if any can be, else new */
    const pool *from = NULL;
    size_t b = SIZE_MAX;
    for (int k = 0; k < 4 && b == SIZE_MAX; k++) {
        from = k % 2 ? &c : &r;
        b = best_new(spec, h, picks, j, from, m, first_lie, k < 2);
    }
    if (b != SIZE_MAX) {
        memcpy(picks[j], from->v + b * d, sizeof(double) * d);
    } else {
        int found = 0;
        for (int t = 0; !found && t < 256; t++) {
            space_sample(s, rng, picks[j]);
            found = !config_known(spec, h, picks, j, picks[j]);
        }
        if (!found) memcpy(picks[j], c.v, sizeof(double) * d);   /* all known: repeat one */
    }
    to_coords(s, picks[j], z);
    pool_free(&c);
    pool_free(&r);
}

/* ---- the optimizer -------------------------------------------------------- */

static size_t count_ranked(const hpo_spec *spec, const hpo_history *h)
{
    double budget = spec->fidelity.enabled ? spec->fidelity.max : NAN;
    size_t n = 0;
    for (size_t t = 0; t < h->n; t++) n += kind_of(&h->trials[t]) == 1 && same_budget(h->trials[t].budget, budget);
    return n;
}

/* The model's picks into out[first..max), out[0..first) (the design's
 * last points) joining it as lies first; -1 when the model could not be
 * built (K not positive definite even with jitter: then the caller falls
 * back to the design's points). */
static int model_round(const hpo_spec *spec, const hpo_history *h, const gp_opts *opt, hpo_rng *rng, int first,
                       int max, hpo_proposal *out)
{
    obs o;
    double best, *theta = xmalloc(sizeof(double) * (size_t)GP_NTHETA(spec->space.n));
    int warped, additive = 0;
    collect(spec, h, &o);
    gp_model m;
    int r = fit_model(&spec->space, opt, &o, rng, theta, &best, &warped, &additive) == 1
                ? condition(&spec->space, opt, &o, theta, additive, best, max, &m) : -2;
    free(theta);
    if (r == -2) {
        obs_free(&o);
        return -1;
    }
    double **picks = xmalloc(sizeof(double *) * (size_t)(max + 1));
    double *z = xmalloc(sizeof(double) * (size_t)(spec->space.n + 1));
    for (int j = 0; r == 0 && j < max; j++) {
        picks[j] = out[j].values;
        if (j < first) to_coords(&spec->space, picks[j], z);
        else pick(spec, h, &m, &o, best, opt, rng, picks, j, z);
        double mean, var;
        gp_predict(&m, 1, z, &mean, &var);
        if (j + 1 < max) r = gp_add(&m, z, lie(mean, best));
    }
    free(picks);
    free(z);
    gp_free(&m);
    obs_free(&o);
    return r;
}

int gp_objective_warp(const hpo_spec *spec, const hpo_history *h, int *additive_out)
{
    gp_opts opt;
    if (gp_read(spec, &opt) != HPO_OK) return -1;
    hpo_rng rng;
    rng_seed(&rng, spec->seed, 0, RNG_STREAM);
    obs o;
    double best, *theta = xmalloc(sizeof(double) * (size_t)GP_NTHETA(spec->space.n));
    int warped = -1, additive = 0;
    collect(spec, h, &o);
    if (fit_model(&spec->space, &opt, &o, &rng, theta, &best, &warped, &additive) != 1) warped = -1;
    if (additive_out) *additive_out = additive;
    free(theta);
    obs_free(&o);
    return warped;
}

static int gp_propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out, int *n)
{
    gp_opts opt;
    int r = gp_read(spec, &opt);
    if (r != HPO_OK) return r;
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)round, RNG_STREAM);
    /* The design is n_startup trials in all, however the rounds fall: a
     * round that finishes it fills its other places from the model once
     * every trial so far completed (rounds of 8: 8 Sobol', then 2 and 6
     * picks).  Waiting for n_startup completed trials made it 16 Sobol'
     * points, and batches of 8 ended in Hartmann-6's local basin in 17 of
     * 40 seeds, now 12 (sequential: 10; bench/optimizers/RESULTS.md).
     * Past the design, the model waits for n_startup completed trials. */
    int k = design_places(h, opt.n_startup, max);
    long need = k > 0 ? (long)h->n : opt.n_startup;
    design_points(spec, h, &rng, 0, k, out);
    if (k < max && (spec->space.n == 0 || (long)count_ranked(spec, h) < need ||
                    model_round(spec, h, &opt, &rng, k, max, out) != 0))
        design_points(spec, h, &rng, k, max, out);
    proposals_fresh(spec, out, max);
    *n = max;
    return HPO_OK;
}

const hpo_optimizer optimizer_gp = {
    .name = "gp",
    .check = gp_check,
    .propose = gp_propose,
    /* Workers mode: running trials join the model as lies (lie()). */
    .modes = HPO_MODES_BOTH,
    .default_mode = HPO_MODE_ROUNDS,
};
