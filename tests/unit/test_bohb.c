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

#define MAXT 4000

typedef struct sim {
    hpo_spec *spec;
    const hpo_optimizer *opt;
    hpo_trial_row rows[MAXT];
    double cfg[2][MAXT];
    const double *config[2];
    size_t n;
    int rounds;
} sim;

static sim *sim_new(const char *algo, unsigned seed)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "name: hb\ncommand: [./t, \"{x}\", \"{y}\", \"{epochs}\"]\n"
             "space:\n  x: {type: float, low: 0, high: 1}\n  y: {type: float, low: 0, high: 1}\n"
             "objective: {metric: loss}\nfidelity: {param: epochs, min: 1, max: 81, eta: 3}\n"
             "algorithm: %s\nbudget: {max_trials: 100000}\nparallel: {mode: rounds}\nseed: %u\n", algo, seed);
    sim *s = xcalloc(1, sizeof *s);
    assert_int_equal(spec_parse(&s->spec, "test.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(s->spec, &s->opt), 0);
    s->config[0] = s->cfg[0];
    s->config[1] = s->cfg[1];
    return s;
}

static void sim_free(sim *s)
{
    spec_free(s->spec);
    free(s);
}

/* The function every trial reports, whatever its budget: a bowl at (0.3, 0.7). */
static double loss(double x, double y) { return (x - 0.3) * (x - 0.3) + (y - 0.7) * (y - 0.7); }

/* Plan one round, then let every trial finish. */
static int sim_round(sim *s, hpo_proposal *out)
{
    static double vals[MAXT][2];
    for (int i = 0; i < MAXT; i++) out[i].values = vals[i];
    hpo_history h = {.n = s->n, .trials = s->rows, .config = s->config};
    int n = 0;
    assert_int_equal(s->opt->propose(s->spec, &h, s->rounds, MAXT - (int)s->n, out, &n), 0);
    for (int i = 0; i < n; i++) {
        hpo_trial_row *r = &s->rows[s->n];
        memset(r, 0, sizeof *r);
        r->trial_id = (int64_t)s->n;
        r->round = s->rounds;
        r->parent_id = out[i].parent_id;
        r->budget = out[i].budget;
        r->bracket = out[i].bracket;
        r->rung = out[i].rung;
        s->cfg[0][s->n] = out[i].values[0];
        s->cfg[1][s->n] = out[i].values[1];
        snprintf(r->status, sizeof r->status, "%s", HPO_STATUS_COMPLETED);
        r->objective = loss(out[i].values[0], out[i].values[1]);
        s->n++;
    }
    s->rounds++;
    return n;
}

static int count(const hpo_proposal *out, int n, int s, double b)
{
    int c = 0;
    for (int i = 0; i < n; i++) c += out[i].bracket == s && out[i].budget == b;
    return c;
}

static void test_bohb_tables(void **state)
{
    (void)state;
    sim *s = sim_new("bohb", 0);
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
            int n = sim_round(s, out);
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
        sim *hb = sim_new("hyperband", seed), *bohb = sim_new("bohb", seed);
        for (int r = 0; r < 6; r++) {
            sim_round(hb, out);
            sim_round(bohb, out);
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
    sim *a = sim_new("bohb", 3), *b = sim_new("bohb", 3), *c = sim_new("bohb", 4);
    for (int r = 0; r < 7; r++) {
        sim_round(a, out);
        sim_round(b, out);
        sim_round(c, out);
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
    char yaml[512];
    snprintf(yaml, sizeof yaml, "name: t\ncommand: [./t]\nspace:\n  x: {type: float, low: 0, high: 1}\n"
                                "objective: {metric: loss}\nalgorithm: %s\n%s", algorithm,
             fidelity ? "fidelity: {param: epochs, min: 1, max: 81, eta: 3}\n" : "");
    hpo_spec *spec = NULL;
    const hpo_optimizer *opt = NULL;
    assert_int_equal(spec_parse(&spec, "t.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(spec, &opt), HPO_ESPEC);
    assert_string_equal(hpo_error_last(), message);
    spec_free(spec);
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
