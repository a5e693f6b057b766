/*
 * test_hyperband.c -- successive halving and Hyperband plan exactly the
 * published bracket tables (min=1, max=81, eta=3), pack the rungs of all
 * brackets into one round, promote the best of each rung with its config
 * and parent, never promote a failed trial, and start over when an
 * iteration ends.  The history is simulated: every trial "completes" with
 * an objective that is a known function of its config.
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

#define MAXT 4000

static sim *hb_new(const char *algo)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "name: hb\ncommand: [./t, \"{x}\", \"{y}\", \"{epochs}\"]\n"
             "space:\n  x: {type: float, low: 0, high: 1}\n  y: {type: float, low: 0, high: 1}\n"
             "objective: {metric: loss}\nfidelity: {param: epochs, min: 1, max: 81, eta: 3}\n"
             "algorithm: {name: %s}\nbudget: {max_trials: 100000}\n", algo);
    return sim_new(yaml, MAXT);
}

/* Every trial finishes with loss = x (so the best configs are those with
 * the smallest x), failing those `fail_if` says. */
static int (*fail_if)(double x);
static double loss_x(const double *v) { return fail_if && fail_if(v[0]) ? NAN : v[0]; }

/* Plan one round, then let every trial finish. */
static int hb_round(sim *s, hpo_proposal *out, int (*fails)(double x))
{
    fail_if = fails;
    return sim_round(s, MAXT - (int)s->n, loss_x, out);
}

/* Count the proposals of bracket s at budget b. */
static int count(const hpo_proposal *out, int n, int s, double b)
{
    int c = 0;
    for (int i = 0; i < n; i++) c += out[i].bracket == s && out[i].budget == b;
    return c;
}

static void test_hyperband_tables(void **state)
{
    (void)state;
    sim *s = hb_new("hyperband");
    static hpo_proposal out[MAXT];
    /* round k of the iteration: rung k of every bracket s >= k */
    static const struct { int s; double budget; int n; } table[5][5] = {
        {{4, 1, 81}, {3, 3, 34}, {2, 9, 15}, {1, 27, 8}, {0, 81, 5}},
        {{4, 3, 27}, {3, 9, 11}, {2, 27, 5}, {1, 81, 2}},
        {{4, 9, 9}, {3, 27, 3}, {2, 81, 1}},
        {{4, 27, 3}, {3, 81, 1}},
        {{4, 81, 1}},
    };
    static const int totals[5] = {143, 45, 13, 4, 1};
    for (int iteration = 0; iteration < 2; iteration++)
        for (int k = 0; k < 5; k++) {
            int n = hb_round(s, out, NULL);
            assert_int_equal(n, totals[k]);
            for (int j = 0; j < 5 - k; j++)
                assert_int_equal(count(out, n, table[k][j].s, table[k][j].budget), table[k][j].n);
            for (int i = 0; i < n; i++) {
                assert_int_equal(out[i].rung, k);
                if (k == 0) { assert_int_equal(out[i].parent_id, -1); continue; }
                /* a promotion: the parent's config, one rung up, same bracket */
                const hpo_trial_row *p = &s->rows[out[i].parent_id];
                assert_int_equal(p->bracket, out[i].bracket);
                assert_int_equal(p->rung, k - 1);
                assert_true(out[i].values[0] == s->cfg[0][out[i].parent_id]);
                assert_true(out[i].budget == p->budget * 3);
            }
        }
    sim_free(s);
}

static void test_promotes_the_best(void **state)
{
    (void)state;
    sim *s = hb_new("sh");
    static hpo_proposal out[MAXT];
    int n0 = hb_round(s, out, NULL);
    assert_int_equal(n0, 81);
    int n1 = hb_round(s, out, NULL);
    assert_int_equal(n1, 27);
    /* the 27 promoted are exactly the 27 smallest x of the 81 */
    double xs[81];
    for (int i = 0; i < 81; i++) xs[i] = s->cfg[0][i];
    int below = 0;
    for (int i = 0; i < n1; i++) {
        below = 0;
        for (int j = 0; j < 81; j++) below += xs[j] < out[i].values[0];
        assert_true(below < 27);
    }
    static const int sizes[] = {9, 3, 1, 81};   /* then a new SH bracket */
    for (int k = 0; k < 4; k++) assert_int_equal(hb_round(s, out, NULL), sizes[k]);
    assert_true(out[0].budget == 1 && out[0].parent_id == -1);
    sim_free(s);
}

static int fails_when_small(double x) { return x < 0.2; }

static void test_failed_never_promoted(void **state)
{
    (void)state;
    sim *s = hb_new("sh");
    static hpo_proposal out[MAXT];
    hb_round(s, out, fails_when_small);   /* the best configs all fail */
    int n1 = hb_round(s, out, fails_when_small);
    assert_int_equal(n1, 27);
    for (int i = 0; i < n1; i++) {
        assert_true(out[i].values[0] >= 0.2);
        assert_string_equal(s->rows[out[i].parent_id].status, HPO_STATUS_COMPLETED);
    }
    sim_free(s);
}

static void test_needs_fidelity(void **state)
{
    (void)state;
    sim_expect_refused(NULL, "{name: hyperband}", NULL,
                       "t.yaml:6:19: algorithm.name: hyperband needs a fidelity: section "
                       "(e.g. fidelity: {param: epochs, min: 1, max: 81, eta: 3})");
}

/* A budget that cannot finish one iteration is refused, naming what to
 * set; without budget.max_trials the default covers one whole iteration. */
static void test_budget_covers_an_iteration(void **state)
{
    (void)state;
    const char *base = "name: hb\ncommand: [./t, \"{epochs}\"]\nspace:\n  x: {type: float, low: 0, high: 1}\n"
                       "objective: {metric: loss}\nfidelity: {param: epochs, min: 1, max: 81, eta: 3}\n"
                       "algorithm: {name: %s}\n%s";
    char yaml[512];
    hpo_spec *spec = NULL;
    const hpo_optimizer *opt = NULL;
    snprintf(yaml, sizeof yaml, base, "hyperband", "budget: {max_trials: 100}\n");
    assert_int_equal(spec_parse(&spec, "t.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(spec, &opt), HPO_ESPEC);
    /* 81+27+9+3+1 + 34+11+3+1 + 15+5+1 + 8+2 + 5 = 206 */
    assert_string_equal(hpo_error_last(), "t.yaml:8:22: budget.max_trials: 100 trials cannot complete one Hyperband "
                                          "iteration, which plans 206 (fidelity 1..81, eta 3); set max_trials to "
                                          "at least 206, or a multiple of it");
    spec_free(spec);
    snprintf(yaml, sizeof yaml, base, "hyperband", "");
    assert_int_equal(spec_parse(&spec, "t.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(spec, &opt), 0);
    assert_int_equal(spec->max_trials, 206);
    spec_free(spec);
    snprintf(yaml, sizeof yaml, base, "sh", "");   /* 81 + 27 + 9 + 3 + 1 */
    assert_int_equal(spec_parse(&spec, "t.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(spec, &opt), 0);
    assert_int_equal(spec->max_trials, 121);
    spec_free(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hyperband_tables),
        cmocka_unit_test(test_promotes_the_best),
        cmocka_unit_test(test_failed_never_promoted),
        cmocka_unit_test(test_needs_fidelity),
        cmocka_unit_test(test_budget_covers_an_iteration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
