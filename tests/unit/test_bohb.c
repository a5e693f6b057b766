/*
 * test_bohb.c -- BOHB (lib/optimizers/bohb.c) is Hyperband's schedule with
 * model-based fresh configs: the same bracket table (min=1, max=81, eta=3),
 * packing and promotions as Hyperband; a first iteration identical to
 * Hyperband's (no model yet); fresh configs of later iterations that
 * concentrate near the optimum far more than Hyperband's uniform ones;
 * deterministic plans; bad options named.  The history is simulated as in
 * test_hyperband.c: every trial "completes" with a known function of its
 * config.
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

static sim *hb_new(const char *algo, unsigned seed)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "name: hb\ncommand: [./t, \"{x}\", \"{y}\", \"{epochs}\"]\n"
             "space:\n  x: {type: float, low: 0, high: 1}\n  y: {type: float, low: 0, high: 1}\n"
             "objective: {metric: loss}\nfidelity: {param: epochs, min: 1, max: 81, eta: 3}\n"
             "algorithm: %s\nbudget: {max_trials: 100000}\nparallel: {mode: rounds}\nseed: %u\n", algo, seed);
    return sim_new(yaml, MAXT);
}

/* The function every trial reports, whatever its budget: a bowl at (0.3, 0.7). */
static double loss(double x, double y) { return (x - 0.3) * (x - 0.3) + (y - 0.7) * (y - 0.7); }

static double loss_of(const double *v) { return loss(v[0], v[1]); }

/* Plan one round, then let every trial finish. */
static int hb_round(sim *s, hpo_proposal *out) { return sim_round(s, MAXT - (int)s->n, loss_of, out); }

static int count(const hpo_proposal *out, int n, int s, double b)
{
    int c = 0;
    for (int i = 0; i < n; i++) c += out[i].bracket == s && out[i].budget == b;
    return c;
}

static void test_bohb_tables(void **state)
{
    (void)state;
    sim *s = hb_new("bohb", 0);
    static hpo_proposal out[MAXT];
    static const struct { int s; double budget; int n; } table[5][5] = {
        {{4, 1, 81}, {3, 3, 34}, {2, 9, 15}, {1, 27, 8}, {0, 81, 5}},
        {{4, 3, 27}, {3, 9, 11}, {2, 27, 5}, {1, 81, 2}},
        {{4, 9, 9}, {3, 27, 3}, {2, 81, 1}},
        {{4, 27, 3}, {3, 81, 1}},
        {{4, 81, 1}},
    };
    static const int totals[5] = {143, 45, 13, 4, 1};
    for (int iteration = 0; iteration < 3; iteration++)
        for (int k = 0; k < 5; k++) {
            int n = hb_round(s, out);
            assert_int_equal(n, totals[k]);
            for (int j = 0; j < 5 - k; j++)
                assert_int_equal(count(out, n, table[k][j].s, table[k][j].budget), table[k][j].n);
            for (int i = 0; i < n; i++) {
                assert_int_equal(out[i].rung, k);
                assert_true(out[i].values[0] >= 0 && out[i].values[0] <= 1);
                assert_true(out[i].values[1] >= 0 && out[i].values[1] <= 1);
                if (k == 0) { assert_int_equal(out[i].parent_id, -1); continue; }
                const hpo_trial_row *p = &s->rows[out[i].parent_id];
                assert_int_equal(p->bracket, out[i].bracket);
                assert_int_equal(p->rung, k - 1);
                assert_true(out[i].values[0] == s->cfg[0][out[i].parent_id]);
                assert_true(out[i].budget == p->budget * 3);
            }
        }
    sim_free(s);
}

/* Mean distance to the optimum of the configs of round r (and how many
 * lie within 0.15 of it). */
static double mean_distance(const sim *s, int r, int *near)
{
    double sum = 0;
    int n = 0;
    *near = 0;
    for (size_t t = 0; t < s->n; t++) {
        if (s->rows[t].round != r) continue;
        double d = sqrt(loss(s->cfg[0][t], s->cfg[1][t]));
        sum += d;
        *near += d < 0.15;
        n++;
    }
    return sum / n;
}

static void test_concentrates_after_first_iteration(void **state)
{
    (void)state;
    static hpo_proposal out[MAXT];
    double hb_total = 0, bohb_total = 0;
    int hb_near_total = 0, bohb_near_total = 0;
    for (unsigned seed = 0; seed < 5; seed++) {
        sim *hb = hb_new("hyperband", seed), *bohb = hb_new("bohb", seed);
        for (int r = 0; r < 6; r++) {
            hb_round(hb, out);
            hb_round(bohb, out);
        }
        /* The first iteration (rounds 0..4) has no model: Hyperband's exactly. */
        size_t first = 0;
        while (first < hb->n && hb->rows[first].round < 5) first++;
        assert_memory_equal(hb->cfg[0], bohb->cfg[0], first * sizeof(double));
        assert_memory_equal(hb->cfg[1], bohb->cfg[1], first * sizeof(double));
        int hb_near, bohb_near;
        hb_total += mean_distance(hb, 5, &hb_near);
        bohb_total += mean_distance(bohb, 5, &bohb_near);
        hb_near_total += hb_near;
        bohb_near_total += bohb_near;
        sim_free(hb);
        sim_free(bohb);
    }
    print_message("fresh configs of iteration 2 (5 seeds x 143): mean distance to the optimum hyperband %.3f, "
                  "bohb %.3f; within 0.15: hyperband %d, bohb %d\n", hb_total / 5, bohb_total / 5, hb_near_total,
                  bohb_near_total);
    assert_true(bohb_total < 0.6 * hb_total);
    assert_true(bohb_near_total > 3 * hb_near_total);
}

static void test_deterministic(void **state)
{
    (void)state;
    static hpo_proposal out[MAXT];
    sim *a = hb_new("bohb", 3), *b = hb_new("bohb", 3), *c = hb_new("bohb", 4);
    for (int r = 0; r < 7; r++) {
        hb_round(a, out);
        hb_round(b, out);
        hb_round(c, out);
    }
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->cfg[0], b->cfg[0], a->n * sizeof(double));
    assert_memory_equal(a->cfg[1], b->cfg[1], a->n * sizeof(double));
    assert_memory_not_equal(a->cfg[0], c->cfg[0], a->n * sizeof(double));
    sim_free(a);
    sim_free(b);
    sim_free(c);
}

static void expect_error(const char *algorithm, int fidelity, const char *message)
{
    sim_expect_refused(NULL, algorithm, fidelity ? "fidelity: {param: epochs, min: 1, max: 81, eta: 3}\n" : NULL,
                       message);
}

static void test_bad_options(void **state)
{
    (void)state;
    expect_error("{name: bohb}", 0, "t.yaml:6:19: algorithm.name: bohb needs a fidelity: section "
                                    "(e.g. fidelity: {param: epochs, min: 1, max: 81, eta: 3})");
    expect_error("{name: bohb, gamma: 1}", 1, "t.yaml:6:32: algorithm.gamma: expected a number in (0, 1), got 1");
    expect_error("{name: bohb, random_fraction: 2}", 1,
                 "t.yaml:6:42: algorithm.random_fraction: expected a number in [0, 1], got 2");
    expect_error("{name: bohb, min_points_in_model: 0}", 1,
                 "t.yaml:6:46: algorithm.min_points_in_model: expected an integer in [1, 1000], got 0");
    expect_error("{name: bohb, eta: 3}", 1,
                 "t.yaml:6:30: algorithm.eta: unknown option of bohb (its options: min_points_in_model, gamma, "
                 "n_ei_candidates, random_fraction, bandwidth_factor, multivariate)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bohb_tables),
        cmocka_unit_test(test_concentrates_after_first_iteration),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
