/*
 * test_pshe2.c -- PSHE2 (PaddleHub's particle search) driven in process
 * over a simulated history, as the driver would drive it: each round's
 * proposals "complete" with an objective that is a known function of the
 * config.  Checks: plans are a pure function of (spec, seed, round,
 * history); every round is one step of popsize particles; proposals stay
 * in bounds (log, int, choice and conditional parameters); particle 0
 * starts at the init_value point; PSHE2 beats random search on Branin at
 * its documented budget (popsize 5 x round 10 = 50 trials) over fixed
 * seeds; mode: max works; bad options give exact messages.
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


static double quadratic(const double *v) { return (v[0] - 0.3) * (v[0] - 0.3) + (v[1] - 0.6) * (v[1] - 0.6); }

/* Fails on the left half, so some particles never get a best of their own. */
static double quadratic_or_fail(const double *v) { return v[0] < 0.5 ? NAN : quadratic(v); }

static double lower_is_wall(const double *v) { return v[0] + v[1] + v[2] - v[3]; }

static const char *branin_yaml(char *buf, size_t n, const char *algorithm, const char *mode, unsigned seed)
{
    snprintf(buf, n,
             "name: t\ncommand: [./t]\nspace:\n"
             "  x1: {type: float, low: -5, high: 10}\n  x2: {type: float, low: 0, high: 15}\n"
             "objective: {metric: loss, mode: %s}\nalgorithm: {%s}\nseed: %u\n", mode, algorithm, seed);
    return buf;
}

/* ---- tests ------------------------------------------------------------- */

static void test_deterministic(void **state)
{
    (void)state;
    char y[1024];
    sim *a = sim_new(branin_yaml(y, sizeof y, "name: pshe2", "min", 7), MAXT);
    sim *b = sim_new(y, MAXT);
    sim_run(a, 60, sim_branin);
    sim_run(b, 60, sim_branin);
    assert_int_equal(a->n, b->n);
    for (int p = 0; p < 2; p++) assert_memory_equal(a->cfg[p], b->cfg[p], sizeof(double) * a->n);

    /* The same round planned again from the same history (a resume). */
    static hpo_proposal o1[16], o2[16];
    static double v1[16][MAXP], v2[16][MAXP];
    for (int i = 0; i < 16; i++) o1[i].values = v1[i], o2[i].values = v2[i];
    hpo_history h = {.n = a->n, .trials = a->rows, .config = a->config};
    int n1 = 0, n2 = 0;
    assert_int_equal(a->opt->propose(a->spec, &h, a->rounds, 16, o1, &n1), 0);
    assert_int_equal(b->opt->propose(b->spec, &h, a->rounds, 16, o2, &n2), 0);
    assert_int_equal(n1, 5);
    assert_int_equal(n2, 5);
    assert_memory_equal(v1, v2, sizeof v1);

    sim *c = sim_new(branin_yaml(y, sizeof y, "name: pshe2", "min", 8), MAXT);
    sim_run(c, 5, sim_branin);
    assert_true(memcmp(c->cfg[0], a->cfg[0], sizeof(double) * 5) != 0);
    sim_free(a);
    sim_free(b);
    sim_free(c);
}

static void test_rounds_are_steps(void **state)
{
    (void)state;
    char y[1024];
    static hpo_proposal out[MAXT];
    sim *s = sim_new(branin_yaml(y, sizeof y, "name: pshe2", "min", 1), MAXT);
    assert_int_equal(s->opt->sizes_its_rounds, 1);
    assert_int_equal(sim_round(s, 65536, sim_branin, out), 5);
    for (int i = 0; i < 5; i++) assert_true(isnan(out[i].budget) && out[i].parent_id == -1 && out[i].rung == -1);
    assert_int_equal(sim_round(s, 2, sim_branin, out), 2);   /* budget.max_trials nearly spent */
    assert_int_equal(sim_round(s, 65536, sim_branin, out), 5);
    sim_free(s);
    s = sim_new(branin_yaml(y, sizeof y, "name: pshe2, popsize: 9, alpha: 1, epsilon: 0, round: 3", "min", 1), MAXT);
    assert_int_equal(sim_round(s, 65536, sim_branin, out), 9);
    sim_free(s);
}

static void test_in_bounds(void **state)
{
    (void)state;
    const char *yaml =
        "name: t\ncommand: [./t]\nspace:\n"
        "  a: {type: float, low: 0.5, high: 2}\n"
        "  lr: {type: float, low: 1.0e-5, high: 1.0, log: true}\n"
        "  k: {type: int, low: -3, high: 4}\n"
        "  h: {type: int, low: 8, high: 512, log: true}\n"
        "  opt: {type: choice, values: [sgd, adam, rmsprop]}\n"
        "  mom: {type: float, low: 0.8, high: 0.99, when: \"opt == sgd\"}\n"
        "objective: {metric: loss}\nalgorithm: {name: pshe2, alpha: 1, epsilon: 1, popsize: 20}\nseed: 3\n";
    sim *s = sim_new(yaml, MAXT);
    sim_run(s, 1000, lower_is_wall);
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
    sim_free(s);
}

static void test_init_value(void **state)
{
    (void)state;
    const char *yaml =
        "name: t\ncommand: [./t]\nparam_list:\n"
        "- {name: lr, init_value: 0.001, type: float, greater_than: 0.0, lower_than: 0.01}\n"
        "- {name: bs, init_value: 12, type: int, greater_than: 10, lower_than: 20}\n"
        "objective: {metric: acc, mode: max}\nalgorithm: {name: pshe2}\n";
    static hpo_proposal out[MAXT];
    sim *s = sim_new(yaml, MAXT);
    assert_int_equal(sim_round(s, 65536, NULL, out), 5);
    assert_true(fabs(out[0].values[0] - 0.001) < 1e-12);
    assert_true(out[0].values[1] == 12);
    int moved = 0;   /* the others are random */
    for (int i = 1; i < 5; i++) moved += out[i].values[0] != out[0].values[0];
    assert_true(moved >= 3);
    sim_free(s);
}

/* Median over seeds 1..10 of the regret of the best Branin value found in
 * `trials` (objective negated when mode is max). */
static double branin_median_regret(const char *algorithm, const char *mode, long trials)
{
    double regret[10];
    for (unsigned seed = 1; seed <= 10; seed++) {
        char y[1024];
        sim *s = sim_new(branin_yaml(y, sizeof y, algorithm, mode, seed), MAXT);
        int max = strcmp(mode, "max") == 0;
        sim_run(s, trials, max ? sim_neg_branin : sim_branin);
        assert_int_equal(s->n, trials);
        regret[seed - 1] = (max ? -s->worst : s->best) - SIM_BRANIN_MIN;
        sim_free(s);
    }
    qsort(regret, 10, sizeof *regret, cmp_double);
    return (regret[4] + regret[5]) / 2;
}

static void test_branin_beats_random(void **state)
{
    (void)state;
    double ps = branin_median_regret("name: pshe2", "min", 50);
    double rnd = branin_median_regret("name: random", "min", 50);
    printf("# sim_branin, 50 trials, median regret over 10 seeds: pshe2 %.3g, random %.3g\n", ps, rnd);
    assert_true(ps < rnd);
    /* mode: max on -sim_branin is the same search */
    assert_true(branin_median_regret("name: pshe2", "max", 50) == ps);
}

static void test_failures(void **state)
{
    (void)state;
    char y[1024];
    static hpo_proposal out[MAXT];
    sim *s = sim_new(branin_yaml(y, sizeof y, "name: pshe2", "min", 2), MAXT);
    for (int r = 0; r < 30; r++) sim_round(s, 65536, quadratic_or_fail, out);
    assert_true(s->best < 1.0);
    for (int i = 0; i < 5; i++) assert_true(isfinite(out[i].values[0]) && isfinite(out[i].values[1]));
    sim_free(s);
}

static void expect_error(const char *algorithm, const char *message)
{
    char braced[512];
    snprintf(braced, sizeof braced, "{%s}", algorithm);
    sim_expect_refused(NULL, braced, NULL, message);
}

static void test_bad_options(void **state)
{
    (void)state;
    expect_error("name: pshe2, popsize: 0", "t.yaml:6:35: algorithm.popsize: expected an integer in [1, 10000], got 0");
    expect_error("name: pshe2, alpha: 0", "t.yaml:6:33: algorithm.alpha: expected a number in (0, 1], got 0");
    expect_error("name: pshe2, alpha: fast", "t.yaml:6:33: algorithm.alpha: expected a number in (0, 1], got \"fast\"");
    expect_error("name: pshe2, epsilon: 2", "t.yaml:6:35: algorithm.epsilon: expected a number in [0, 1], got 2");
    expect_error("name: pshe2, round: 0", "t.yaml:6:33: algorithm.round: expected an integer in [1, 1000000], got 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_rounds_are_steps),
        cmocka_unit_test(test_in_bounds),
        cmocka_unit_test(test_init_value),
        cmocka_unit_test(test_branin_beats_random),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
