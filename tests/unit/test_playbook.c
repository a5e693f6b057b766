/*
 * test_playbook.c -- the Deep Learning Tuning Playbook checks (playbook.h)
 * on histories built in memory: a spec parsed from YAML and trial rows with
 * configs whose objectives are set by hand, so each test knows which trial
 * is best and where it lies.
 *   (a) the best near a bound (linear and log space), not when inside;
 *   (b) the best first tried in the last 10% of finished trials, not when
 *       early; a promotion of an early config does not count as late;
 *   (c) a scientific choice: the best per value over the nuisance ones; a
 *       scientific numeric: quantile bins holding every trial once;
 *   the ranking puts the highest budget first, as driver_ranking does.
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
#include "report/playbook.h"
#include "spec/spec.h"
#include "core/util.h"

#define MAXT 200

typedef struct hist {
    hpo_spec *spec;
    hpo_trial_row rows[MAXT];
    double cfg[4][MAXT];
    const double *config[4];
    size_t n;
} hist;

/* x: linear [0, 10]; lr: log [1e-4, 1]; opt: a scientific choice;
 * wd: a scientific numeric [0, 1]. */
static hist *hist_new(const char *extra)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: pb\ncommand: [./t]\nspace:\n"
             "  x:   {type: float, low: 0, high: 10}\n"
             "  lr:  {type: float, low: 1.0e-4, high: 1, log: true}\n"
             "  opt: {type: choice, values: [sgd, adam, lamb], role: scientific}\n"
             "  wd:  {type: float, low: 0, high: 1, role: scientific}\n"
             "objective: {metric: loss}\n%s", extra);
    hist *h = xcalloc(1, sizeof *h);
    assert_int_equal(spec_parse(&h->spec, "test.yaml", yaml, strlen(yaml)), 0);
    for (int p = 0; p < 4; p++) h->config[p] = h->cfg[p];
    return h;
}

static void hist_free(hist *h)
{
    spec_free(h->spec);
    free(h);
}

/* Append a trial; returns its id. */
static long add(hist *h, const char *status, double obj, double x, double lr, int opt, double wd)
{
    long id = (long)h->n++;
    hpo_trial_row *r = &h->rows[id];
    memset(r, 0, sizeof *r);
    r->trial_id = id;
    r->parent_id = -1;
    r->budget = NAN;
    r->bracket = r->rung = -1;
    snprintf(r->status, sizeof r->status, "%s", status);
    r->objective = obj;
    h->cfg[0][id] = x;
    h->cfg[1][id] = lr;
    h->cfg[2][id] = opt;
    h->cfg[3][id] = wd;
    return id;
}

/* n completed trials in the middle of every range, objective 10 + i. */
static void add_middling(hist *h, int n)
{
    for (int i = 0; i < n; i++) add(h, HPO_STATUS_COMPLETED, 10 + i, 5, 0.01, i % 2, 0.5);
}

static void check(hist *h, hpo_playbook *pb)
{
    playbook_check(h->spec, h->rows, h->config, h->n, pb);
}

static int count_kind(const hpo_playbook *pb, hpo_finding_kind k)
{
    int n = 0;
    for (int i = 0; i < pb->n_findings; i++) n += pb->findings[i].kind == k;
    return n;
}

static const char *find_kind(const hpo_playbook *pb, hpo_finding_kind k)
{
    for (int i = 0; i < pb->n_findings; i++)
        if (pb->findings[i].kind == k) return pb->findings[i].text;
    return NULL;
}

static void test_nothing_completed(void **state)
{
    (void)state;
    hist *h = hist_new("");
    add(h, HPO_STATUS_FAILED, NAN, 0, 1e-4, 0, 0);
    hpo_playbook pb;
    check(h, &pb);
    assert_int_equal(pb.best, -1);
    assert_int_equal(pb.n_findings, 0);
    playbook_free(&pb);
    hist_free(h);
}

static void test_boundary_linear(void **state)
{
    (void)state;
    hist *h = hist_new("");
    long best = add(h, HPO_STATUS_COMPLETED, 1.0, 9.6, 0.01, 0, 0.5);   /* 96% of [0, 10] */
    add_middling(h, 30);
    hpo_playbook pb;
    check(h, &pb);
    assert_int_equal(pb.best, best);
    assert_int_equal(count_kind(&pb, PLAYBOOK_BOUNDARY), 1);
    assert_string_equal(find_kind(&pb, PLAYBOOK_BOUNDARY),
                        "the search space may be too small: x = 9.6 is within 5% of its upper bound 10");
    playbook_free(&pb);

    h->cfg[0][best] = 9.4;   /* 94%: inside */
    check(h, &pb);
    assert_int_equal(count_kind(&pb, PLAYBOOK_BOUNDARY), 0);
    playbook_free(&pb);
    hist_free(h);
}

/* lr in [1e-4, 1] spans 4 decades: 5% is 0.2 decades, so 1.5e-4
 * (0.176 decades up) is near the lower bound, 2e-4 (0.30) is not -- though
 * both are within 0.0001 of it, i.e. within 5% of the range linearly. */
static void test_boundary_log(void **state)
{
    (void)state;
    hist *h = hist_new("");
    long best = add(h, HPO_STATUS_COMPLETED, 1.0, 5, 1.5e-4, 0, 0.5);
    add_middling(h, 30);
    hpo_playbook pb;
    check(h, &pb);
    assert_string_equal(find_kind(&pb, PLAYBOOK_BOUNDARY),
                        "the search space may be too small: lr = 0.00015 is within 5% of its lower bound 0.0001");
    playbook_free(&pb);
    h->cfg[1][best] = 2e-4;
    check(h, &pb);
    assert_null(find_kind(&pb, PLAYBOOK_BOUNDARY));
    playbook_free(&pb);
    hist_free(h);
}

static void test_convergence(void **state)
{
    (void)state;
    hist *h = hist_new("");
    add_middling(h, 36);
    long late = add(h, HPO_STATUS_COMPLETED, 1.0, 5, 0.01, 0, 0.5);   /* 37th of 40 */
    add_middling(h, 3);
    hpo_playbook pb;
    check(h, &pb);
    assert_int_equal(pb.best, late);
    assert_string_equal(find_kind(&pb, PLAYBOOK_CONVERGENCE),
                        "not converged: the best came in the last 10% of trials; more trials likely help");
    playbook_free(&pb);

    /* The 36th of 40 is outside the last 4. */
    h->rows[late].objective = 50;
    h->rows[35].objective = 1.0;
    check(h, &pb);
    assert_int_equal(pb.best, 35);
    assert_null(find_kind(&pb, PLAYBOOK_CONVERGENCE));
    playbook_free(&pb);

    /* Trials not finished yet do not count: with 4 of the last planned,
     * the 36th of 36 finished is the last one. */
    for (size_t i = 36; i < 40; i++) snprintf(h->rows[i].status, sizeof h->rows[i].status, HPO_STATUS_PLANNED);
    check(h, &pb);
    assert_non_null(find_kind(&pb, PLAYBOOK_CONVERGENCE));
    playbook_free(&pb);
    hist_free(h);
}

/* Hyperband promotes an early config to the top budget late: the config
 * was found early, so that is no sign of a search still improving. */
static void test_promotion_is_not_late(void **state)
{
    (void)state;
    hist *h = hist_new("fidelity: {param: epochs, min: 1, max: 9, eta: 3}\nalgorithm: {name: hyperband}\n");
    long early = add(h, HPO_STATUS_COMPLETED, 3.0, 5, 0.01, 0, 0.5);
    h->rows[early].budget = 1;
    for (int i = 0; i < 30; i++) h->rows[add(h, HPO_STATUS_COMPLETED, 4 + i, 1 + i * 0.1, 0.01, 0, 0.5)].budget = 1;
    long promoted = add(h, HPO_STATUS_COMPLETED, 2.5, 5, 0.01, 0, 0.5);   /* early's config, promoted */
    h->rows[promoted].budget = 9;
    h->rows[promoted].parent_id = early;
    h->rows[add(h, HPO_STATUS_COMPLETED, 0.5, 1, 0.01, 0, 0.5)].budget = 1;  /* better, but at a lower budget */
    hpo_playbook pb;
    check(h, &pb);
    assert_int_equal(pb.best, promoted);       /* the highest budget ranks first */
    assert_int_equal(pb.best_origin, early);
    assert_null(find_kind(&pb, PLAYBOOK_CONVERGENCE));
    playbook_free(&pb);

    /* A fresh config at the top budget, late, is late. */
    h->rows[promoted].parent_id = -1;
    check(h, &pb);
    assert_int_equal(pb.best_origin, promoted);
    assert_non_null(find_kind(&pb, PLAYBOOK_CONVERGENCE));
    playbook_free(&pb);
    hist_free(h);
}

static void test_ranking_matches_driver(void **state)
{
    (void)state;
    hist *h = hist_new("");
    add(h, HPO_STATUS_COMPLETED, 2.0, 5, 0.01, 0, 0.5);
    add(h, HPO_STATUS_FAILED, NAN, 5, 0.01, 0, 0.5);
    add(h, HPO_STATUS_COMPLETED, 1.0, 5, 0.01, 0, 0.5);
    add(h, HPO_STATUS_COMPLETED, INFINITY, 5, 0.01, 0, 0.5);   /* never best */
    add(h, HPO_STATUS_COMPLETED, 1.0, 5, 0.01, 0, 0.5);       /* ties: the earlier first */
    long *order = NULL;
    assert_int_equal(playbook_ranking(h->spec, h->rows, h->n, &order), 3);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 4);
    assert_int_equal(order[2], 0);
    free(order);
    hist_free(h);
}

/* Each optimiser's best, whatever the nuisance parameters of the overall
 * best: lamb is never tried, adam's best is trial 1. */
static void test_scientific_choice(void **state)
{
    (void)state;
    hist *h = hist_new("");
    add(h, HPO_STATUS_COMPLETED, 3.0, 5, 0.01, 0, 0.5);
    add(h, HPO_STATUS_COMPLETED, 2.0, 6, 0.01, 1, 0.5);
    add(h, HPO_STATUS_COMPLETED, 1.0, 4, 0.01, 0, 0.5);
    add(h, HPO_STATUS_COMPLETED, 7.0, 3, 0.01, 1, 0.5);
    add(h, HPO_STATUS_FAILED, NAN, 3, 0.01, 2, 0.5);
    add_middling(h, 40);
    hpo_playbook pb;
    check(h, &pb);
    assert_int_equal(pb.n_tables, 2);
    const hpo_sci_table *t = &pb.tables[0];
    assert_int_equal(t->param, 2);
    assert_int_equal(t->n_groups, 3);
    assert_string_equal(t->groups[0].label, "sgd");
    assert_int_equal(t->groups[0].best, 2);
    assert_true(t->groups[0].best_objective == 1.0);
    assert_int_equal(t->groups[0].n_trials, 2 + 20);
    assert_int_equal(t->groups[1].best, 1);
    assert_int_equal(t->groups[1].n_trials, 2 + 20);
    assert_int_equal(t->groups[2].best, -1);
    assert_int_equal(t->groups[2].n_trials, 0);
    int found = 0;
    for (int i = 0; i < pb.n_findings; i++)
        if (pb.findings[i].kind == PLAYBOOK_SCIENTIFIC && pb.findings[i].param == 2) {
            assert_string_equal(pb.findings[i].text,
                                "scientific opt: best loss per value, over the nuisance parameters: "
                                "sgd 1 (trial 2; 22 trials); adam 2 (trial 1; 22 trials); lamb (no completed trial)");
            found = 1;
        }
    assert_true(found);
    playbook_free(&pb);
    hist_free(h);
}

/* wd takes 40 distinct values: 4 bins of 10, in order, each trial in one;
 * the best of each bin is its own best trial. */
static void test_scientific_numeric_bins(void **state)
{
    (void)state;
    hist *h = hist_new("");
    for (int i = 0; i < 40; i++) add(h, HPO_STATUS_COMPLETED, 100 - i, 5, 0.01, 0, (39 - i) / 40.0);
    add(h, HPO_STATUS_COMPLETED, 0.5, 5, 0.01, 0, NAN);   /* inactive: in no bin */
    hpo_playbook pb;
    check(h, &pb);
    const hpo_sci_table *t = &pb.tables[1];
    assert_int_equal(t->param, 3);
    assert_int_equal(t->n_groups, 4);
    size_t total = 0;
    for (int g = 0; g < 4; g++) {
        total += t->groups[g].n_trials;
        assert_int_equal(t->groups[g].n_trials, 10);
        if (g) assert_true(t->groups[g].lo > t->groups[g - 1].hi);
        /* Objective 100 - i falls as wd = (39 - i)/40 falls: the bin's
         * best is its smallest wd. */
        assert_true(h->cfg[3][t->groups[g].best] == t->groups[g].lo);
    }
    assert_int_equal(total, 40);
    assert_string_equal(t->groups[0].label, "[0, 0.225]");
    playbook_free(&pb);

    /* Few distinct values: one group per value, equal values never split. */
    for (int i = 0; i < 40; i++) h->cfg[3][i] = (i % 3) * 0.5;
    check(h, &pb);
    t = &pb.tables[1];
    assert_int_equal(t->n_groups, 3);
    assert_string_equal(t->groups[1].label, "0.5");
    for (int g = 0; g < 3; g++) assert_true(t->groups[g].n_trials >= 13);
    playbook_free(&pb);
    hist_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_completed),
        cmocka_unit_test(test_boundary_linear),
        cmocka_unit_test(test_boundary_log),
        cmocka_unit_test(test_convergence),
        cmocka_unit_test(test_promotion_is_not_late),
        cmocka_unit_test(test_ranking_matches_driver),
        cmocka_unit_test(test_scientific_choice),
        cmocka_unit_test(test_scientific_numeric_bins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
