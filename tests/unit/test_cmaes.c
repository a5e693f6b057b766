/*
 * test_cmaes.c -- CMA-ES (`cmaes`, alias `hazero`) driven in process over a
 * simulated history, as the driver would drive it: each round's proposals
 * "complete" with an objective that is a known function of the config.
 * Checks: plans are a pure function of (spec, seed, round, history);
 * proposals stay in bounds and every generation has popsize trials; the
 * strategy converges on a sphere and an ill-conditioned ellipsoid; it
 * beats random search on Branin over fixed seeds; init_value, mode: max and
 * failed trials are honoured; bad options give exact messages.
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
#include "spec/spec.h"
#include "core/util.h"
#include "sim_history.h"

#define MAXT 6000
#define MAXP SIM_MAXP

typedef sim_objective objective_fn;

/* ---- objectives -------------------------------------------------------- */

static const double opt3[3] = {1.0, -2.0, 0.5};

static double sphere(const double *v)
{
    double f = 0;
    for (int i = 0; i < 3; i++) f += (v[i] - opt3[i]) * (v[i] - opt3[i]);
    return f;
}

static double neg_sphere(const double *v) { return -sphere(v); }

/* Fails wherever x > 1.5: the optimum (x = 1) lies near the failing region. */
static double sphere_or_fail(const double *v) { return v[0] > 1.5 ? NAN : sphere(v); }

/* Axis scales 1 .. 1e4 (condition number 1e8 of the Hessian). */
static double ellipsoid(const double *v)
{
    double f = 0;
    for (int i = 0; i < 4; i++) f += pow(1e4, i / 3.0) * (v[i] - 0.3 * i) * (v[i] - 0.3 * i);
    return f;
}


static double lower_is_wall(const double *v) { return v[0] + v[1] + v[2] - v[3]; }

/* ---- specs ------------------------------------------------------------- */

static const char *sphere_yaml(char *buf, size_t n, const char *algorithm, const char *mode, unsigned seed)
{
    snprintf(buf, n,
             "name: t\ncommand: [./t]\nspace:\n"
             "  x: {type: float, low: -5, high: 5}\n  y: {type: float, low: -5, high: 5}\n"
             "  z: {type: float, low: -5, high: 5}\n"
             "objective: {metric: loss, mode: %s}\nalgorithm: {%s}\nseed: %u\n", mode, algorithm, seed);
    return buf;
}

static void assert_near_optimum(const hpo_proposal *out, int n, double tol)
{
    for (int i = 0; i < n; i++)
        for (int p = 0; p < 3; p++) assert_true(fabs(out[i].values[p] - opt3[p]) < tol);
}

/* ---- tests ------------------------------------------------------------- */

static void test_deterministic(void **state)
{
    (void)state;
    char y[1024];
    sim *a = sim_new(sphere_yaml(y, sizeof y, "name: cmaes", "min", 7), MAXT);
    sim *b = sim_new(y, MAXT);
    sim_run(a, 70, sphere);
    sim_run(b, 70, sphere);
    /* Two runs: the same trials, to the bit. */
    assert_int_equal(a->n, b->n);
    for (int p = 0; p < 3; p++) assert_memory_equal(a->cfg[p], b->cfg[p], sizeof(double) * a->n);
    for (size_t t = 0; t < a->n; t++) assert_int_equal(a->rows[t].round, b->rows[t].round);

    /* The same round planned again from the same history (a resume). */
    static hpo_proposal o1[16], o2[16];
    static double v1[16][MAXP], v2[16][MAXP];
    for (int i = 0; i < 16; i++) o1[i].values = v1[i], o2[i].values = v2[i];
    hpo_history h = {.n = a->n, .trials = a->rows, .config = a->config};
    int n1 = 0, n2 = 0;
    assert_int_equal(a->opt->propose(a->spec, &h, a->rounds, 16, o1, &n1), 0);
    assert_int_equal(b->opt->propose(b->spec, &h, a->rounds, 16, o2, &n2), 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(v1, v2, sizeof v1);

    /* Another seed plans differently. */
    sim *c = sim_new(sphere_yaml(y, sizeof y, "name: cmaes", "min", 8), MAXT);
    sim_run(c, 7, sphere);
    assert_true(memcmp(c->cfg[0], a->cfg[0], sizeof(double) * 7) != 0);
    sim_free(a);
    sim_free(b);
    sim_free(c);
}

static void test_rounds_are_generations(void **state)
{
    (void)state;
    char y[1024];
    sim *s = sim_new(sphere_yaml(y, sizeof y, "name: cmaes", "min", 1), MAXT);
    assert_int_equal(s->opt->sizes_its_rounds, 1);
    static hpo_proposal out[MAXT];
    /* default popsize 4 + floor(3 ln 3) = 7, whatever max allows above it */
    assert_int_equal(sim_round(s, 65536, sphere, out), 7);
    assert_int_equal(sim_round(s, 65536, sphere, out), 7);
    for (int i = 0; i < 7; i++) assert_true(isnan(out[i].budget) && out[i].parent_id == -1 && out[i].bracket == -1);
    /* budget.max_trials nearly spent: the generation is cut short */
    assert_int_equal(sim_round(s, 3, sphere, out), 3);
    assert_int_equal(sim_round(s, 65536, sphere, out), 7);
    sim_free(s);

    s = sim_new(sphere_yaml(y, sizeof y, "name: cmaes, popsize: 12", "min", 1), MAXT);
    assert_int_equal(sim_round(s, 65536, sphere, out), 12);
    sim_free(s);
}

static void test_in_bounds(void **state)
{
    (void)state;
    /* The objective pushes toward the walls, so candidates leave [-1, 1]
     * and must be mirrored back. */
    const char *yaml =
        "name: t\ncommand: [./t]\nspace:\n"
        "  a: {type: float, low: 0.5, high: 2}\n"
        "  lr: {type: float, low: 1.0e-5, high: 1.0, log: true}\n"
        "  k: {type: int, low: -3, high: 4}\n"
        "  h: {type: int, low: 8, high: 512, log: true}\n"
        "  opt: {type: choice, values: [sgd, adam, rmsprop]}\n"
        "  mom: {type: float, low: 0.8, high: 0.99, when: \"opt == sgd\"}\n"
        "objective: {metric: loss}\nalgorithm: {name: cmaes, sigma: 2}\nseed: 3\n";
    sim *s = sim_new(yaml, MAXT);
    sim_run(s, 1500, lower_is_wall);
    const hpo_space *sp = &s->spec->space;
    int saw_sgd = 0, saw_other = 0;
    for (size_t t = 0; t < s->n; t++) {
        for (int p = 0; p < 4; p++) {
            double v = s->cfg[p][t];
            assert_true(v >= sp->params[p].low && v <= sp->params[p].high);
            if (sp->params[p].type == HPO_PARAM_INT) assert_true(v == floor(v));
        }
        double c = s->cfg[4][t];
        assert_true(c == 0 || c == 1 || c == 2);
        if (c == 0) {
            saw_sgd = 1;
            assert_true(s->cfg[5][t] >= 0.8 && s->cfg[5][t] <= 0.99);
        } else {
            saw_other = 1;
            assert_true(isnan(s->cfg[5][t]));
        }
    }
    assert_true(saw_sgd && saw_other);
    /* It went to the walls it was pushed to (slowly: the int parameters'
     * plateaus, 512 is a sliver of h's log scale, give it little signal). */
    size_t last = s->n - 1;
    assert_true(s->cfg[0][last] < 0.55 && s->cfg[2][last] == -3 && s->cfg[3][last] >= 500);
    sim_free(s);
}

static void test_sphere_converges(void **state)
{
    (void)state;
    char y[1024];
    static hpo_proposal out[MAXT];
    sim *s = sim_new(sphere_yaml(y, sizeof y, "name: cmaes", "min", 11), MAXT);
    for (int g = 0; g < 100; g++) sim_round(s, 65536, sphere, out);
    int n = sim_round(s, 65536, sphere, out);
    assert_near_optimum(out, n, 1e-3);
    sim_free(s);
}

static void test_maximize(void **state)
{
    (void)state;
    char y[1024];
    static hpo_proposal out[MAXT];
    sim *s = sim_new(sphere_yaml(y, sizeof y, "name: cmaes", "max", 11), MAXT);
    for (int g = 0; g < 100; g++) sim_round(s, 65536, neg_sphere, out);
    assert_near_optimum(out, sim_round(s, 65536, neg_sphere, out), 1e-3);
    sim_free(s);
}

static void test_failures_rank_last(void **state)
{
    (void)state;
    char y[1024];
    static hpo_proposal out[MAXT];
    sim *s = sim_new(sphere_yaml(y, sizeof y, "name: cmaes", "min", 5), MAXT);
    sim_round(s, 65536, NULL, out);
    /* a round in which everything failed changes nothing */
    for (size_t t = 0; t < s->n; t++) {
        snprintf(s->rows[t].status, sizeof s->rows[t].status, "%s", HPO_STATUS_FAILED);
        s->rows[t].objective = NAN;
    }
    for (int g = 0; g < 120; g++) sim_round(s, 65536, sphere_or_fail, out);
    assert_near_optimum(out, sim_round(s, 65536, sphere_or_fail, out), 1e-3);
    sim_free(s);
}

static void test_ellipsoid_converges(void **state)
{
    (void)state;
    const char *yaml =
        "name: t\ncommand: [./t]\nspace:\n"
        "  a: {type: float, low: -2, high: 2}\n  b: {type: float, low: -2, high: 2}\n"
        "  c: {type: float, low: -2, high: 2}\n  d: {type: float, low: -2, high: 2}\n"
        "objective: {metric: loss}\nalgorithm: {name: cmaes}\nseed: 2\n";
    static hpo_proposal out[MAXT];
    sim *s = sim_new(yaml, MAXT);
    for (int g = 0; g < 400; g++) sim_round(s, 65536, ellipsoid, out);
    int n = sim_round(s, 65536, ellipsoid, out);
    for (int i = 0; i < n; i++)
        for (int p = 0; p < 4; p++) assert_true(fabs(out[i].values[p] - 0.3 * p) < 1e-3);
    sim_free(s);
}

/* Median over seeds 1..10 of the best Branin value found in `trials`. */
static double branin_median_regret(const char *algorithm, long trials)
{
    double regret[10];
    for (unsigned seed = 1; seed <= 10; seed++) {
        char y[1024];
        snprintf(y, sizeof y,
                 "name: t\ncommand: [./t]\nspace:\n"
                 "  x1: {type: float, low: -5, high: 10}\n  x2: {type: float, low: 0, high: 15}\n"
                 "objective: {metric: loss}\nalgorithm: {name: %s}\nseed: %u\n", algorithm, seed);
        sim *s = sim_new(y, MAXT);
        sim_run(s, trials, sim_branin);
        assert_int_equal(s->n, trials);
        regret[seed - 1] = s->best - SIM_BRANIN_MIN;
        sim_free(s);
    }
    qsort(regret, 10, sizeof *regret, cmp_double);
    return (regret[4] + regret[5]) / 2;
}

static void test_branin_beats_random(void **state)
{
    (void)state;
    double cma = branin_median_regret("cmaes", 200), rnd = branin_median_regret("random", 200);
    printf("# sim_branin, 200 trials, median regret over 10 seeds: cmaes %.3g, random %.3g\n", cma, rnd);
    assert_true(cma < rnd);
    assert_true(cma < 1e-4);   /* not just better: solved */
}

static void test_init_value(void **state)
{
    (void)state;
    const char *yaml =
        "name: t\ncommand: [./t]\nparam_list:\n"
        "- {name: lr, init_value: 0.001, type: float, greater_than: 0.0, lower_than: 0.01}\n"
        "- {name: bs, init_value: 12, type: int, greater_than: 10, lower_than: 20}\n"
        "objective: {metric: acc, mode: max}\nalgorithm: {name: hazero, sigma: 0.001}\n";
    static hpo_proposal out[MAXT];
    sim *s = sim_new(yaml, MAXT);
    assert_string_equal(s->opt->name, "hazero");
    int n = sim_round(s, 65536, NULL, out);
    assert_int_equal(n, 6);   /* 4 + floor(3 ln 2) */
    for (int i = 0; i < n; i++) {
        assert_true(fabs(out[i].values[0] - 0.001) < 1e-4);
        assert_true(out[i].values[1] == 12);
    }
    sim_free(s);
}

static void test_hazero_is_cmaes(void **state)
{
    (void)state;
    char y[1024];
    sim *a = sim_new(sphere_yaml(y, sizeof y, "name: cmaes", "min", 4), MAXT);
    sim *b = sim_new(sphere_yaml(y, sizeof y, "name: hazero", "min", 4), MAXT);
    assert_string_equal(a->opt->name, "cmaes");
    assert_string_equal(b->opt->name, "hazero");
    sim_run(a, 50, sphere);
    sim_run(b, 50, sphere);
    for (int p = 0; p < 3; p++) assert_memory_equal(a->cfg[p], b->cfg[p], sizeof(double) * 50);
    sim_free(a);
    sim_free(b);
}

static void expect_error(const char *space, const char *algorithm, const char *message)
{
    char braced[512];
    snprintf(braced, sizeof braced, "{%s}", algorithm);
    sim_expect_refused(space, braced, NULL, message);
}

static void test_bad_options(void **state)
{
    (void)state;
    const char *two = "  x: {type: float, low: 0, high: 1}\n  y: {type: int, low: 0, high: 9}\n";
    /* line 7 is the algorithm's; the value's column is given */
    expect_error(two, "name: cmaes, popsize: 0",
                 "t.yaml:7:35: algorithm.popsize: expected an integer in [2, 10000], got 0");
    expect_error(two, "name: cmaes, sigma: 0", "t.yaml:7:33: algorithm.sigma: expected a number in (0, 2], got 0");
    expect_error(two, "name: hazero, sigma: 2.5",
                 "t.yaml:7:34: algorithm.sigma: expected a number in (0, 2], got 2.5");
    expect_error(two, "name: cmaes, sigma: wide",
                 "t.yaml:7:33: algorithm.sigma: expected a number in (0, 2], got \"wide\"");
    expect_error("  x: {type: float, low: 0, high: 1}\n  c: {type: choice, values: [a, b, c]}\n", "name: hazero",
                 "t.yaml:7:19: algorithm.name: hazero needs at least 2 numeric (float or int) parameters, "
                 "as PaddleHub's does (this space has 1); use random or sobol");
    expect_error("  x: {type: float, low: 0, high: 1}\n", "name: cmaes",
                 "t.yaml:6:19: algorithm.name: cmaes needs at least 2 numeric (float or int) parameters, "
                 "as PaddleHub's does (this space has 1); use random or sobol");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_rounds_are_generations),
        cmocka_unit_test(test_in_bounds),
        cmocka_unit_test(test_sphere_converges),
        cmocka_unit_test(test_maximize),
        cmocka_unit_test(test_failures_rank_last),
        cmocka_unit_test(test_ellipsoid_converges),
        cmocka_unit_test(test_branin_beats_random),
        cmocka_unit_test(test_init_value),
        cmocka_unit_test(test_hazero_is_cmaes),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
