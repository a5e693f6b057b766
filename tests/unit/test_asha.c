/*
 * test_asha.c -- ASHA's promotion rule (asha.c) on hand-computed histories,
 * with fidelity 1..9, eta 3 (rungs at budgets 1, 3, 9):
 *  - a trial is promoted once it is in the top floor(n/eta) of the n trials
 *    COMPLETED at its rung (running and failed ones do not count), to the
 *    next rung's budget, with its config and itself as parent;
 *  - higher rungs first; never the same parent twice (also within a batch);
 *  - otherwise a new config at rung 0; with brackets: 2 new configs go to
 *    bracket 0 (budget 1) and bracket 1 (budget 3) in proportion to
 *    Hyperband's bracket sizes (9 and 5), starting 0, 1, 0;
 *  - the top rung is at fidelity.max also when max/min is not a power of
 *    eta (3..100: rungs at 100/27, 100/9, 100/3, 100; it used to stop at 81);
 *  - mode: rounds and bad brackets are refused with FILE:LINE:COL.
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

#define MAXT 64

typedef struct hist {
    hpo_spec *spec;
    const hpo_optimizer *opt;
    hpo_trial_row rows[MAXT];
    double x[MAXT];
    const double *config[1];
    size_t n;
} hist;

static const char *fidelity = "{param: epochs, min: 1, max: 9, eta: 3}";

static hpo_spec *parse(const char *extra, int *rc)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "name: asha\ncommand: [./t, \"{x}\", \"{epochs}\"]\n"
             "space:\n  x: {type: float, low: 0, high: 1}\n"
             "fidelity: %s\n%s%s", fidelity, extra,
             strstr(extra, "objective:") ? "" : "objective: {metric: loss}\n");
    hpo_spec *s = NULL;
    *rc = spec_parse(&s, "test.yaml", yaml, strlen(yaml));
    return s;
}

static hist *hist_new_fidelity(const char *fid, const char *extra)
{
    hist *h = xcalloc(1, sizeof *h);
    int rc;
    const char *saved = fidelity;
    if (fid) fidelity = fid;
    h->spec = parse(extra, &rc);
    fidelity = saved;
    assert_int_equal(rc, 0);
    assert_int_equal(optimizer_for_spec(h->spec, &h->opt), 0);
    h->config[0] = h->x;
    return h;
}

/* Add a trial: bracket 0 unless given, status, objective = its loss. */
static long add(hist *h, int rung, long parent, const char *status, double objective)
{
    hpo_trial_row *r = &h->rows[h->n];
    memset(r, 0, sizeof *r);
    r->trial_id = (int64_t)h->n;
    r->round = (int32_t)h->n;
    r->parent_id = parent;
    r->bracket = 0;
    r->rung = rung;
    r->budget = pow(3, rung);
    snprintf(r->status, sizeof r->status, "%s", status);
    r->objective = objective;
    h->x[h->n] = parent >= 0 ? h->x[parent] : (double)h->n / 100;
    return (long)h->n++;
}

static hist *hist_new(const char *extra) { return hist_new_fidelity(NULL, extra); }

static int propose(hist *h, int max, hpo_proposal *out)
{
    static double vals[8][1];
    for (int i = 0; i < 8; i++) out[i].values = vals[i];
    hpo_history hh = {.n = h->n, .trials = h->rows, .config = h->config};
    int n = 0;
    assert_int_equal(h->opt->propose(h->spec, &hh, (int)h->n, max, out, &n), 0);
    return n;
}

static void hist_free(hist *h)
{
    spec_free(h->spec);
    free(h);
}

static void expect_new(const hpo_proposal *p, int bracket, double budget)
{
    assert_int_equal(p->parent_id, -1);
    assert_int_equal(p->rung, 0);
    assert_int_equal(p->bracket, bracket);
    assert_true(p->budget == budget);
}

static void expect_promotion(hist *h, const hpo_proposal *p, long parent, int rung, double budget)
{
    assert_int_equal(p->parent_id, parent);
    assert_int_equal(p->rung, rung);
    assert_true(p->budget == budget);
    assert_true(p->values[0] == h->x[parent]);
}

static void test_too_few_to_promote(void **state)
{
    (void)state;
    hist *h = hist_new("algorithm: {name: asha}\n");
    hpo_proposal out[8];
    assert_int_equal(propose(h, 1, out), 1);   /* empty history: a new config */
    expect_new(&out[0], 0, 1);
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.5);
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.2);
    /* floor(2 / 3) = 0: nobody is in the top third yet */
    assert_int_equal(propose(h, 1, out), 1);
    expect_new(&out[0], 0, 1);
    hist_free(h);
}

static void test_top_third_promoted_once(void **state)
{
    (void)state;
    hist *h = hist_new("algorithm: {name: asha}\n");
    hpo_proposal out[8];
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.5);
    long best = add(h, 0, -1, HPO_STATUS_COMPLETED, 0.2);
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.9);
    add(h, 0, -1, HPO_STATUS_RUNNING, NAN);     /* running: does not count */
    assert_int_equal(propose(h, 1, out), 1);
    expect_promotion(h, &out[0], best, 1, 3);
    /* once promoted (its child is running), never again */
    add(h, 1, best, HPO_STATUS_RUNNING, NAN);
    assert_int_equal(propose(h, 1, out), 1);
    expect_new(&out[0], 0, 1);
    /* three more complete at rung 0: n = 6, top 2 = trials 1 and 6 */
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.7);
    add(h, 0, -1, HPO_STATUS_FAILED, NAN);      /* failed: neither counted nor promoted */
    long second = add(h, 0, -1, HPO_STATUS_COMPLETED, 0.3);
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.8);
    assert_int_equal(propose(h, 1, out), 1);
    expect_promotion(h, &out[0], second, 1, 3);
    hist_free(h);
}

static void test_higher_rungs_first_and_batches(void **state)
{
    (void)state;
    hist *h = hist_new("algorithm: {name: asha}\n");
    hpo_proposal out[8];
    long a = add(h, 0, -1, HPO_STATUS_COMPLETED, 0.1);
    long b = add(h, 0, -1, HPO_STATUS_COMPLETED, 0.2);
    long c = add(h, 0, -1, HPO_STATUS_COMPLETED, 0.3);
    for (int i = 0; i < 6; i++) add(h, 0, -1, HPO_STATUS_COMPLETED, 0.5 + i / 10.0);
    /* a, b and c went to rung 1 and completed there, c best */
    long a1 = add(h, 1, a, HPO_STATUS_COMPLETED, 0.05);
    long b1 = add(h, 1, b, HPO_STATUS_COMPLETED, 0.06);
    long c1 = add(h, 1, c, HPO_STATUS_COMPLETED, 0.01);
    (void)a1, (void)b1;
    /* a batch of 3: rung 1's best to rung 2 first; rung 0 has n = 9, top 3
     * = a, b, c, all promoted already; then new configs */
    assert_int_equal(propose(h, 3, out), 3);
    expect_promotion(h, &out[0], c1, 2, 9);
    expect_new(&out[1], 0, 1);
    expect_new(&out[2], 0, 1);
    hist_free(h);
}

static void test_maximize(void **state)
{
    (void)state;
    hist *h = hist_new("objective: {metric: acc, mode: max}\nalgorithm: {name: asha}\n");
    hpo_proposal out[8];
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.5);
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.2);
    long best = add(h, 0, -1, HPO_STATUS_COMPLETED, 0.9);
    assert_int_equal(propose(h, 1, out), 1);
    expect_promotion(h, &out[0], best, 1, 3);
    hist_free(h);
}

static void test_brackets_take_turns(void **state)
{
    (void)state;
    hist *h = hist_new("algorithm: {name: asha, brackets: 2}\n");
    hpo_proposal out[8];
    assert_int_equal(propose(h, 3, out), 3);
    expect_new(&out[0], 0, 1);
    expect_new(&out[1], 1, 3);   /* bracket 1 starts at min * eta */
    expect_new(&out[2], 0, 1);
    hist_free(h);
}

/* New configs are spread over the brackets as Hyperband sizes them (1..9,
 * eta 3: bracket 0 from budget 1 gets 9 configs for bracket 1's 5), not in
 * turn: 14 new configs are 9 and 5. */
static void test_brackets_sized_as_hyperband(void **state)
{
    (void)state;
    hist *h = hist_new("algorithm: {name: asha, brackets: 2}\n");
    hpo_proposal out[8];
    int in[2] = {0, 0};
    for (int i = 0; i < 14; i++) {
        assert_int_equal(propose(h, 1, out), 1);
        assert_int_equal(out[0].parent_id, -1);
        assert_true(out[0].bracket == 0 || out[0].bracket == 1);
        in[out[0].bracket]++;
        long t = add(h, 0, -1, HPO_STATUS_RUNNING, NAN);
        h->rows[t].bracket = out[0].bracket;
    }
    assert_int_equal(in[0], 9);
    assert_int_equal(in[1], 5);
    hist_free(h);
}

/* max/min not a power of eta (3..100, eta 3, s_max 3): the rungs count
 * down from max, so the top rung trains to 100 (not 3 * 27 = 81) and rung 0
 * is at 100/27; bracket 1 starts at 100/9. */
static void test_top_rung_at_max(void **state)
{
    (void)state;
    const char *fid = "{param: epochs, min: 3, max: 100, eta: 3}";
    hist *h = hist_new_fidelity(fid, "algorithm: {name: asha}\n");
    hpo_proposal out[8];
    assert_int_equal(propose(h, 1, out), 1);
    expect_new(&out[0], 0, 3.7037037037);
    for (int i = 0; i < 3; i++) add(h, 2, -1, HPO_STATUS_COMPLETED, 0.5 + i);
    assert_int_equal(propose(h, 1, out), 1);
    expect_promotion(h, &out[0], 0, 3, 100);
    hist_free(h);
    h = hist_new_fidelity(fid, "algorithm: {name: asha, brackets: 2}\n");
    assert_int_equal(propose(h, 2, out), 2);
    expect_new(&out[0], 0, 3.7037037037);
    expect_new(&out[1], 1, 11.1111111111);
    hist_free(h);
}

/* bohb in workers mode: ASHA's schedule, TPE's configs once a rung has a
 * model (here the promotion rule is what is checked). */
static void test_bohb_in_workers_mode(void **state)
{
    (void)state;
    hist *h = hist_new("algorithm: {name: bohb}\n");   /* workers is bohb's default */
    hpo_proposal out[8];
    assert_int_equal(propose(h, 1, out), 1);
    expect_new(&out[0], 0, 1);
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.4);
    long best = add(h, 0, -1, HPO_STATUS_COMPLETED, 0.1);
    add(h, 0, -1, HPO_STATUS_COMPLETED, 0.3);
    assert_int_equal(propose(h, 1, out), 1);
    expect_promotion(h, &out[0], best, 1, 3);
    hist_free(h);
}

static void test_bad_options(void **state)
{
    (void)state;
    int rc;
    const hpo_optimizer *o = NULL;
    hpo_spec *s = parse("algorithm: {name: asha}\nparallel: {mode: rounds}\n", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(optimizer_for_spec(s, &o), HPO_ESPEC);
    assert_string_equal(hpo_error_last(), "test.yaml:7:18: parallel.mode: asha cannot run in rounds mode: "
                                          "it runs in workers mode only (mode: workers)");
    spec_free(s);
    s = parse("algorithm: {name: asha, brackets: 4}\n", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(optimizer_for_spec(s, &o), HPO_ESPEC);
    assert_non_null(strstr(hpo_error_last(), "test.yaml:6:"));
    assert_non_null(strstr(hpo_error_last(), "brackets"));
    spec_free(s);
    s = parse("algorithm: {name: hyperband}\nparallel: {mode: workers}\n", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(optimizer_for_spec(s, &o), HPO_ESPEC);
    assert_non_null(strstr(hpo_error_last(), "test.yaml:7:18: parallel.mode: hyperband cannot run in workers mode"));
    spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_too_few_to_promote),
        cmocka_unit_test(test_top_third_promoted_once),
        cmocka_unit_test(test_higher_rungs_first_and_batches),
        cmocka_unit_test(test_maximize),
        cmocka_unit_test(test_brackets_take_turns),
        cmocka_unit_test(test_top_rung_at_max),
        cmocka_unit_test(test_brackets_sized_as_hyperband),
        cmocka_unit_test(test_bohb_in_workers_mode),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
