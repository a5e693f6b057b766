/*
 * test_gp.c -- the `gp` optimizer (lib/optimizers/gp.c) and its Gaussian
 * process (gp_model.c).
 *
 * The model against reference values computed independently with numpy,
 * scipy and mpmath by tests/unit/gp_reference.py (its output is pasted
 * below): the kernel matrix of a small mixed numeric/categorical data set
 * with inactive coordinates, the posterior mean and variance, the negative
 * log posterior of the hyperparameters, and log EI (also far in the tail,
 * where EI itself underflows).  The gradient of the negative log posterior
 * against central finite differences.  The additive kernel's value by
 * hand, and its gradient the same way.
 *
 * The optimizer driven in process on a simulated history as test_tpe.c
 * does: plans a pure function of (spec, seed, round, history); proposals
 * in bounds and respecting conditions; a round's configs distinct (the
 * capped kriging believer); the startup design n_startup points however
 * the rounds fall; failed trials avoided, running ones not
 * proposed again; mode: max the negation of mode: min; better than random search
 * on Branin at 30 trials; the objective's log warp taken on a heavy-tailed
 * objective (log-scale Rosenbrock) and not on smooth ones; the additive
 * kernel taken on a separable objective only, never with a choice; parameters the
 * objective ignores kept nearer the incumbent; bad options name their key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/journal.h"
#include "optimizers/optimizer.h"
#include "optimizers/gp_model.h"
#include "optimizers/internal.h"
#include "spec/spec.h"
#include "core/util.h"
#include "sim_history.h"

/* ---- the model against gp_reference.py ------------------------------------ */

/* |a - b| <= tol, saying both values when not (cmocka here has no
 * assert_double_equal). */
#define assert_close(a, b, tol) assert_close_at((a), (b), (tol), __FILE__, __LINE__)
static void assert_close_at(double a, double b, double tol, const char *file, int line)
{
    if (fabs(a - b) <= tol) return;
    print_error("%.17g != %.17g (tolerance %g)\n", a, b, tol);
    _fail(file, line);
}

#define RN 5
static const double ref_x[RN][3] = {
    {0.1, 0.2, 0}, {0.4, 0.9, 1}, {0.7, 0.5, 0}, {0.3, NAN, 2}, {0.95, 0.05, NAN}};
static const double ref_y[RN] = {1.0, -0.5, 0.3, 2.0, 0.7};
static const double ref_xs[3][3] = {{0.5, 0.5, 1}, {0.2, NAN, 2}, {0.0, 1.0, NAN}};
static const unsigned char ref_cat[3] = {0, 0, 1};

/* K + noise I, row-major (gp_reference.py: "K (with noise)"). */
static const double ref_k[RN * RN] = {
    1.501, 0.17160231650391602, 0.18202888139356668, 0.21059273159985226, 0.04279258937003475,
    0.17160231650391602, 1.501, 0.28360639968829143, 0.03601618562457762, 0.07439180096231461,
    0.18202888139356668, 0.28360639968829143, 1.501, 0.06767669424710793, 0.41802586338430786,
    0.21059273159985226, 0.03601618562457762, 0.06767669424710793, 1.501, 0.08290174779303679,
    0.04279258937003475, 0.07439180096231461, 0.41802586338430786, 0.08290174779303679, 1.501};
static const double ref_mean[3] = {-0.04614814118374811, 1.8454483484761786, 0.01037166572076074};
static const double ref_var[3] = {0.8762966286293052, 0.23982744741396567, 1.3798532948569031};
static const double ref_neg_log_posterior = 11.04268138847704;

/* Length scales 0.3, 0.5, 0.8; s2 1.5; noise 1e-3. */
static void ref_model(gp_model *m, size_t cap)
{
    gp_init(m, 3, ref_cat, cap);
    m->theta[0] = log(0.3);
    m->theta[1] = log(0.5);
    m->theta[2] = log(0.8);
    m->theta[GP_LOG_S2(3)] = log(1.5);
    m->theta[GP_LOG_NOISE(3)] = log(1e-3);
}

static void test_kernel_matrix(void **state)
{
    (void)state;
    gp_model m;
    ref_model(&m, RN);
    for (int i = 0; i < RN; i++)
        for (int j = 0; j < RN; j++) {
            double k = gp_kernel(&m, ref_x[i], ref_x[j]) + (i == j ? 1e-3 : 0);
            assert_close(k, ref_k[i * RN + j], 1e-13);
        }
    gp_free(&m);
}

static void test_posterior(void **state)
{
    (void)state;
    double mean[3], var[3];
    gp_model m;
    ref_model(&m, RN);
    assert_int_equal(gp_set_data(&m, RN, &ref_x[0][0], ref_y), 0);
    gp_predict(&m, 3, &ref_xs[0][0], mean, var);
    for (int j = 0; j < 3; j++) {
        assert_close(mean[j], ref_mean[j], 1e-11);
        assert_close(var[j], ref_var[j], 1e-11);
    }
    gp_free(&m);
    /* The same from 4 points and one added (the believer's O(n^2) path). */
    ref_model(&m, RN);
    assert_int_equal(gp_set_data(&m, RN - 1, &ref_x[0][0], ref_y), 0);
    assert_int_equal(gp_add(&m, ref_x[RN - 1], ref_y[RN - 1]), 0);
    gp_predict(&m, 3, &ref_xs[0][0], mean, var);
    for (int j = 0; j < 3; j++) {
        assert_close(mean[j], ref_mean[j], 1e-11);
        assert_close(var[j], ref_var[j], 1e-11);
    }
    /* At a data point the variance is below the noise. */
    gp_predict(&m, 1, ref_x[2], mean, var);
    assert_true(var[0] < 1e-3);
    gp_free(&m);
}

/* The gradient of the negative log posterior of the reference model m at
 * m->theta against central differences. */
static void assert_gradient_matches(gp_model *m)
{
    double theta[GP_NTHETA(3)], grad[GP_NTHETA(3)];
    memcpy(theta, m->theta, sizeof theta);
    gp_neg_log_posterior(m, theta, grad);
    for (int j = 0; j < GP_NTHETA(3); j++) {
        double h = 1e-5, t[GP_NTHETA(3)];
        memcpy(t, theta, sizeof t);
        t[j] += h;
        double up = gp_neg_log_posterior(m, t, NULL);
        t[j] -= 2 * h;
        double down = gp_neg_log_posterior(m, t, NULL);
        assert_close(grad[j], (up - down) / (2 * h), 1e-6);
    }
}

static void test_neg_log_posterior_and_gradient(void **state)
{
    (void)state;
    gp_model m;
    ref_model(&m, RN);
    assert_int_equal(gp_set_data(&m, RN, &ref_x[0][0], ref_y), 0);
    assert_close(gp_neg_log_posterior(&m, m.theta, NULL), ref_neg_log_posterior, 1e-10);
    assert_gradient_matches(&m);
    gp_free(&m);
}

/* The additive kernel, by hand: length scales 0.3 and 0.5, s2 1.5, a =
 * (0.1, 0.2), b = (0.4, 0.9): r_1 = 1, r_2 = 1.4, k = 1.5/2 (m(1) +
 * m(1.4)), m(r) = (1 + sqrt5 r + 5 r^2/3) exp(-sqrt5 r); the product
 * kernel's is 1.5 m(sqrt(1 + 1.4^2)).  Then, on the reference data (a
 * choice and inactive coordinates among them), the gradient of its
 * negative log posterior against central differences. */
static void test_additive_kernel(void **state)
{
    (void)state;
    static const unsigned char cat2[2] = {0, 0};
    const double a[2] = {0.1, 0.2}, b[2] = {0.4, 0.9};
    gp_model m;
    gp_init(&m, 2, cat2, 2);
    m.theta[0] = log(0.3), m.theta[1] = log(0.5), m.theta[GP_LOG_S2(2)] = log(1.5);
    assert_close(gp_kernel(&m, a, b), 0.3131007410384067, 1e-13);
    m.additive = 1;
    assert_close(gp_kernel(&m, a, b), 0.635416228847686, 1e-13);
    assert_close(gp_kernel(&m, a, a), 1.5, 1e-13);
    gp_free(&m);

    ref_model(&m, RN);
    m.additive = 1;
    assert_int_equal(gp_set_data(&m, RN, &ref_x[0][0], ref_y), 0);
    assert_true(isfinite(gp_neg_log_posterior(&m, m.theta, NULL)));
    assert_gradient_matches(&m);
    /* The posterior through the same kernel: at a data point the mean is
     * near its value. */
    double mean, var;
    gp_predict(&m, 1, ref_x[2], &mean, &var);
    assert_close(mean, ref_y[2], 0.05);
    gp_free(&m);
}

static void test_log_ei(void **state)
{
    (void)state;
    /* (mean, var, best, log EI by mpmath at 60 digits) */
    static const double cases[][4] = {
        {0.3, 0.04, 0.5, -1.5294116935847935},
        {1.0, 0.25, 0.0, -5.4619307044770595},
        {0.0, 1.0, 0.0, -0.9189385332046728},
        {2.0, 0.01, -1.0, -460.02723885359205},
        {50.0, 1.0, 0.0, -1258.744182868461},   /* EI = e^-1258: underflows as a double */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double v = gp_log_ei(cases[i][0], cases[i][1], cases[i][2]);
        assert_close(v, cases[i][3], 1e-9 * fabs(cases[i][3]));
    }
    /* Monotone: a lower mean or (below the best) a larger variance is better. */
    assert_true(gp_log_ei(0.1, 1, 0) > gp_log_ei(0.2, 1, 0));
    assert_true(gp_log_ei(30, 2, 0) > gp_log_ei(30, 1, 0));
}

static void test_fit_recovers_scales(void **state)
{
    (void)state;
    /* y = sin(6 x0), x1 irrelevant: the fitted length scale of x1 is much
     * longer than that of x0. */
    enum { N = 40 };
    double x[N][2], y[N];
    hpo_rng rng;
    rng_seed(&rng, 1, 0, 0);
    for (int i = 0; i < N; i++) {
        x[i][0] = rng_uniform(&rng);
        x[i][1] = rng_uniform(&rng);
        y[i] = sin(6 * x[i][0]);
    }
    static const unsigned char cat[2] = {0, 0};
    gp_model m;
    gp_init(&m, 2, cat, N);
    assert_int_equal(gp_set_data(&m, N, &x[0][0], y), 0);
    double before = gp_neg_log_posterior(&m, m.theta, NULL);
    assert_int_equal(gp_fit(&m, &rng, 3, 40), 0);
    assert_true(gp_neg_log_posterior(&m, m.theta, NULL) < before);
    assert_true(m.theta[1] > m.theta[0] + 1);
    gp_free(&m);
}

/* ---- the optimizer, on a simulated history ---------------------------------- */

#define MAXT 200

typedef sim_objective objective_fn;

/* A sweep of `trials` in rounds of q, on the shared simulated history. */
static sim *run_sweep(const char *space, const char *algo, unsigned seed, objective_fn f, int trials, int q,
                      int maximize)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "name: t\ncommand: [./t]\nspace:\n%sobjective: {metric: loss%s}\nalgorithm: %s\nseed: %u\n",
             space, maximize ? ", mode: max" : "", algo, seed);
    sim *s = sim_new(yaml, MAXT);
    hpo_proposal out[64];
    while ((int)s->n < trials) {
        int want = trials - (int)s->n < q ? trials - (int)s->n : q;
        assert_int_equal(sim_round(s, want, f, out), want);
    }
    return s;
}

static double best_so_far(const sim *s)
{
    double b = INFINITY;
    for (size_t t = 0; t < s->n; t++)
        if (isfinite(s->rows[t].objective) && s->rows[t].objective < b) b = s->rows[t].objective;
    return b;
}

static int same_history(const sim *a, const sim *b)
{
    if (a->n != b->n) return 0;
    for (int p = 0; p < a->spec->space.n; p++)
        if (memcmp(a->cfg[p], b->cfg[p], sizeof(double) * a->n) != 0) return 0;
    return 1;
}


static const char *mixed_space =
    "  lr: {type: float, low: 1.0e-5, high: 1.0, log: true}\n"
    "  width: {type: int, low: 8, high: 1024, log: true}\n"
    "  layers: {type: int, low: 1, high: 6}\n"
    "  opt: {type: choice, values: [sgd, adam, rmsprop]}\n"
    "  momentum: {type: float, low: 0.5, high: 0.99, when: \"opt == sgd\"}\n";

/* Best at lr = 1e-2, width 128, 3 layers, adam. */
static double mixed(const double *x)
{
    double l = log10(x[0]) + 2, w = log2(x[1] / 128.0), d = x[2] - 3;
    return l * l + 0.3 * w * w + 0.5 * d * d + (x[3] == 1 ? 0 : 1) + (isnan(x[4]) ? 0 : 0.2 * x[4]);
}


static void test_deterministic(void **state)
{
    (void)state;
    sim *a = run_sweep(mixed_space, "gp", 7, mixed, 30, 5, 0);
    sim *b = run_sweep(mixed_space, "gp", 7, mixed, 30, 5, 0);
    sim *c = run_sweep(mixed_space, "gp", 8, mixed, 30, 5, 0);
    assert_true(same_history(a, b));
    assert_false(same_history(a, c));
    /* A round re-planned from the same history (a resume) is the same. */
    hpo_history h = {.n = 20, .trials = a->rows, .config = a->config};
    double v[5][SIM_MAXP];
    hpo_proposal out[5];
    for (int i = 0; i < 5; i++) out[i].values = v[i];
    int n = 0;
    assert_int_equal(a->opt->propose(a->spec, &h, a->rows[20].round, 5, out, &n), 0);
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++)
        for (int p = 0; p < a->spec->space.n; p++) assert_memory_equal(&v[i][p], &a->cfg[p][20 + i], sizeof(double));
    sim_free(a);
    sim_free(b);
    sim_free(c);
}

static void test_bounds_and_conditions(void **state)
{
    (void)state;
    sim *s = run_sweep(mixed_space, "{name: gp, n_startup: 5}", 3, mixed, 40, 4, 0);
    const hpo_space *sp = &s->spec->space;
    for (size_t t = 0; t < s->n; t++) {
        double x[SIM_MAXP];
        for (int p = 0; p < sp->n; p++) x[p] = s->cfg[p][t];
        for (int p = 0; p < sp->n; p++) {
            const hpo_param *par = &sp->params[p];
            int active = space_is_active(sp, p, x);
            assert_int_equal(!isnan(x[p]), active);
            if (!active) continue;
            if (par->type == HPO_PARAM_CHOICE) {
                assert_true(x[p] >= 0 && x[p] < par->n_choices && x[p] == floor(x[p]));
            } else {
                assert_true(x[p] >= par->low && x[p] <= par->high);
                if (par->type == HPO_PARAM_INT) assert_true(x[p] == floor(x[p]));
            }
        }
    }
    assert_true(best_so_far(s) < 0.5);   /* it learns: the optimum is 0 */
    sim_free(s);
}

static void test_batch_distinct(void **state)
{
    (void)state;
    /* A round of 8 after the startup: no two within 2% of the box of each
     * other (a pure kriging believer put 4 within 0.02% at x1 = 10). */
    sim *s = run_sweep(SIM_BRANIN_SPACE, "gp", 1, sim_branin, 20, 5, 0);
    hpo_proposal out[64];
    assert_int_equal(sim_round(s, 8, sim_branin, out), 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < i; j++)
            assert_true(fabs(out[i].values[0] - out[j].values[0]) > 0.3 || fabs(out[i].values[1] - out[j].values[1]) > 0.3);
    sim_free(s);
    /* All-discrete, 10 configs: none proposed twice until all ran. */
    s = run_sweep(SIM_TINY_SPACE, "{name: gp, n_startup: 3}", 2, sim_tiny, 3, 3, 0);
    assert_int_equal(sim_round(s, 4, sim_tiny, out), 4);
    assert_int_equal(sim_round(s, 3, sim_tiny, out), 3);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < i; j++) assert_false(s->cfg[0][i] == s->cfg[0][j] && s->cfg[1][i] == s->cfg[1][j]);
    sim_free(s);
}

/* The startup design across rounds (sim_history.h; with 8 more Sobol'
 * points instead, batches of 8 ended in Hartmann-6's local basin in 17 of
 * 40 seeds, not 12). */
static void test_startup_across_rounds(void **state)
{
    (void)state;
    sim_check_startup_across_rounds("gp");
}

/* Fails left of 0.5; best at 0.7. */
static double line_fails_left(const double *x) { return x[0] < 0.5 ? NAN : fabs(x[0] - 0.7); }
static const char *line_space = "  x: {type: float, low: 0, high: 1}\n";

static void test_failed_and_pending(void **state)
{
    (void)state;
    /* Failed trials count as the worst result: the model stays right. */
    sim *s = run_sweep(line_space, "gp", 5, line_fails_left, 40, 4, 0);
    int left = 0;
    for (size_t t = 20; t < 40; t++) left += s->cfg[0][t] < 0.5;
    assert_true(left <= 5);   /* at most half of random search's 10 */
    /* A running trial is not proposed again, and the round avoids it. */
    double v[64][SIM_MAXP];
    snprintf(s->rows[s->n - 1].status, sizeof s->rows[0].status, "%s", HPO_STATUS_RUNNING);
    s->rows[s->n - 1].objective = NAN;
    s->cfg[0][s->n - 1] = 0.7;
    hpo_proposal out[4];
    for (int i = 0; i < 4; i++) out[i].values = v[i];
    hpo_history h = {.n = s->n, .trials = s->rows, .config = s->config};
    int n = 0;
    assert_int_equal(s->opt->propose(s->spec, &h, s->rounds, 4, out, &n), 0);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) assert_true(fabs(v[i][0] - 0.7) > 1e-3);
    sim_free(s);
}

static void test_maximize_is_negated_minimize(void **state)
{
    (void)state;
    sim *a = run_sweep(SIM_BRANIN_SPACE, "gp", 4, sim_branin, 20, 4, 0);
    sim *b = run_sweep(SIM_BRANIN_SPACE, "gp", 4, sim_neg_branin, 20, 4, 1);
    assert_true(same_history(a, b));
    sim_free(a);
    sim_free(b);
}

static double median_regret(const char *algo, int seeds, int trials, int q)
{
    double r[16];
    for (int k = 0; k < seeds; k++) {
        sim *s = run_sweep(SIM_BRANIN_SPACE, algo, 100 + (unsigned)k, sim_branin, trials, q, 0);
        r[k] = best_so_far(s) - SIM_BRANIN_MIN;
        sim_free(s);
    }
    qsort(r, (size_t)seeds, sizeof(double), cmp_double);
    return 0.5 * (r[(seeds - 1) / 2] + r[seeds / 2]);
}

static void test_beats_random_on_branin(void **state)
{
    (void)state;
    double rnd = median_regret("random", 5, 30, 1);
    double gp = median_regret("gp", 5, 30, 1);
    print_message("Branin, 30 trials, median regret over 5 seeds: random %.4f, gp %.4f\n", rnd, gp);
    /* random's median regret at 30 is about 1.4 on these seeds; gp's is
     * orders below (0.0009, 0.011 since the objective's warp: a median of
     * 5 seeds moves with any change of the model; 20 seeds of
     * bench/optimizers tie, -1.70 and -1.47 log10 at 25 trials) */
    assert_true(gp < 0.02 * rnd);
    assert_true(gp < 0.02);
}

/* ---- the objective's warp ------------------------------------------------- */

#define ROSENBROCK_LOG_SPACE                                                                              \
    "  x0: {type: float, low: 1.0e-3, high: 10, log: true}\n  x1: {type: float, low: 1.0e-3, high: 10, log: true}\n" \
    "  x2: {type: float, low: 1.0e-3, high: 10, log: true}\n  x3: {type: float, low: 1.0e-3, high: 10, log: true}\n"

/* Rosenbrock on a log scale: values from about 2 to 10^6, the best ones
 * on a flat valley floor -- a heavy tail of bad values. */
static double rosenbrock4(const double *x)
{
    double f = 0;
    for (int i = 0; i < 3; i++) f += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1 - x[i]) * (1 - x[i]);
    return f;
}

/* A smooth bowl: no tail to speak of. */
static double bowl(const double *x) { return (x[0] - 1) * (x[0] - 1) + 0.5 * (x[1] - 6) * (x[1] - 6); }

/* The warp gp's model takes after `trials` random trials of f. */
static int warp_after(const char *space, objective_fn f, unsigned seed, int trials)
{
    sim *s = run_sweep(space, "random", seed, f, trials, trials, 0);
    hpo_history h = sim_history_of(s);
    int w = gp_objective_warp(s->spec, &h, NULL);
    sim_free(s);
    return w;
}

/* The evidence takes the log warp where the objective has a heavy tail
 * (from 20 trials on) and keeps the objective itself where it has none. */
static void test_objective_warp(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 5; seed++) {
        assert_int_equal(warp_after(ROSENBROCK_LOG_SPACE, rosenbrock4, seed, 20), 1);
        assert_int_equal(warp_after(ROSENBROCK_LOG_SPACE, rosenbrock4, seed, 60), 1);
        assert_int_equal(warp_after(SIM_BRANIN_SPACE, bowl, seed, 20), 0);
        assert_int_equal(warp_after(SIM_BRANIN_SPACE, bowl, seed, 60), 0);
        assert_int_equal(warp_after(SIM_BRANIN_SPACE, sim_branin, seed, 60), 0);
    }
    /* no ranked trial yet: no model */
    sim *s = run_sweep(SIM_BRANIN_SPACE, "random", 1, sim_branin, 0, 1, 0);
    hpo_history h = sim_history_of(s);
    assert_int_equal(gp_objective_warp(s->spec, &h, NULL), -1);
    sim_free(s);
}

#define RIPPLES_SPACE                                                                              \
    "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n"                     \
    "  x2: {type: float, low: 0, high: 1}\n  x3: {type: float, low: 0, high: 1}\n"

/* A sum of one rippled bowl per parameter (Rastrigin's shape, 4 periods
 * across each range): separable. */
static double ripples(const double *x)
{
    double f = 0;
    for (int i = 0; i < 4; i++) f += 20 * (x[i] - 0.4) * (x[i] - 0.4) - cos(8 * M_PI * (x[i] - 0.4));
    return f;
}

/* Not separable: Hartmann-6's first term in 4 of its coordinates. */
static double bump(const double *x)
{
    double s = 0;
    for (int i = 0; i < 4; i++) s += 3 * (x[i] - 0.2 * (i + 1)) * (x[i] - 0.2 * (i + 1));
    return -exp(-4 * s) - exp(-6 * ((x[0] - x[1]) * (x[0] - x[1]) + (x[2] - x[3]) * (x[2] - x[3])));
}

/* Which kernel gp's fit takes after `trials` random trials of f. */
static int additive_after(const char *space, objective_fn f, unsigned seed, int trials)
{
    sim *s = run_sweep(space, "random", seed, f, trials, trials, 0);
    hpo_history h = sim_history_of(s);
    int additive = -1;
    assert_true(gp_objective_warp(s->spec, &h, &additive) >= 0);
    sim_free(s);
    return additive;
}

/* The fit takes the additive kernel where its posterior is the higher: on
 * a separable objective, not on one whose parameters interact; never in
 * a space with a choice (it is tried on numeric spaces only). */
static void test_additive_chosen(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 5; seed++) {
        assert_int_equal(additive_after(RIPPLES_SPACE, ripples, seed, 60), 1);
        assert_int_equal(additive_after(RIPPLES_SPACE, bump, seed, 60), 0);
        assert_int_equal(additive_after(mixed_space, mixed, seed, 60), 0);
    }
}

#define IGNORED_SPACE                                                                              \
    "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n"                     \
    "  x2: {type: float, low: 0, high: 1}\n  x3: {type: float, low: 0, high: 1}\n"

/* Only x0 matters; x1..x3 do nothing. */
static double only_x0(const double *x) { return (x[0] - 0.3) * (x[0] - 0.3); }

/* Parameters the objective ignores (the fit's length scale past
 * LOG_IGNORED_SCALE) keep the best trial's values in the uniform half of
 * the candidates, so proposals stay nearer the incumbent there: what is
 * left of the distance comes from the local half, which perturbs the best
 * five trials, whose ignored values are anywhere.  The median over 5 seeds
 * x 20 proposals of the farthest of the three distances: 0.39, and 0.59
 * when the uniform half drew those parameters too. */
static void test_ignored_parameters_keep_incumbent(void **state)
{
    (void)state;
    double far[100];
    int k = 0;
    for (unsigned seed = 1; seed <= 5; seed++) {
        sim *s = run_sweep(IGNORED_SPACE, "gp", seed, only_x0, 20, 1, 0);
        hpo_proposal out[1];
        for (int r = 0; r < 20; r++) {
            size_t b = 0;
            for (size_t t = 1; t < s->n; t++)
                if (s->rows[t].objective < s->rows[b].objective) b = t;
            double inc[4] = {s->cfg[0][b], s->cfg[1][b], s->cfg[2][b], s->cfg[3][b]};
            assert_int_equal(sim_round(s, 1, only_x0, out), 1);
            double d = 0;
            for (int p = 1; p < 4; p++) d = fmax(d, fabs(s->cfg[p][s->n - 1] - inc[p]));
            far[k++] = d;
        }
        sim_free(s);
    }
    qsort(far, (size_t)k, sizeof(double), cmp_double);
    print_message("median farthest distance in the ignored parameters: %.3f\n", far[k / 2]);
    assert_true(far[k / 2] < 0.5);
}

static void test_capped_history(void **state)
{
    (void)state;
    /* 150 trials with max_history 30: every round past 30 fits on the
     * best 3 and the most recent 27, and past 100 the hyperparameters on a
     * subset too; it still closes in on the optimum (random search's
     * median regret at 100 trials in bench/optimizers: 0.5). */
    sim *s = run_sweep(SIM_BRANIN_SPACE, "{name: gp, max_history: 30}", 11, sim_branin, 150, 10, 0);
    print_message("Branin, 150 trials, max_history 30: regret %.5f\n", best_so_far(s) - SIM_BRANIN_MIN);
    assert_true(best_so_far(s) - SIM_BRANIN_MIN < 0.01);
    sim_free(s);
}

static void expect_error(const char *algorithm, const char *message)
{
    sim_expect_refused(NULL, algorithm, NULL, message);
}

static void test_bad_options(void **state)
{
    (void)state;
    expect_error("{name: gp, n_startup: -3}",
                 "t.yaml:6:34: algorithm.n_startup: expected an integer in [1, 1000], got -3");
    expect_error("{name: gp, n_candidates: 4}",
                 "t.yaml:6:37: algorithm.n_candidates: expected an integer in [16, 100000], got 4");
    expect_error("{name: gp, restarts: x}",
                 "t.yaml:6:33: algorithm.restarts: expected an integer in [1, 20], got \"x\"");
    expect_error("{name: gp, gamma: 0.2}",
                 "t.yaml:6:30: algorithm.gamma: unknown option of gp (its options: n_startup, n_candidates, "
                 "restarts, max_history)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_matrix),
        cmocka_unit_test(test_posterior),
        cmocka_unit_test(test_neg_log_posterior_and_gradient),
        cmocka_unit_test(test_log_ei),
        cmocka_unit_test(test_fit_recovers_scales),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bounds_and_conditions),
        cmocka_unit_test(test_batch_distinct),
        cmocka_unit_test(test_startup_across_rounds),
        cmocka_unit_test(test_failed_and_pending),
        cmocka_unit_test(test_maximize_is_negated_minimize),
        cmocka_unit_test(test_beats_random_on_branin),
        cmocka_unit_test(test_objective_warp),
        cmocka_unit_test(test_additive_kernel),
        cmocka_unit_test(test_additive_chosen),
        cmocka_unit_test(test_ignored_parameters_keep_incumbent),
        cmocka_unit_test(test_capped_history),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
