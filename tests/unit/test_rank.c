/*
 * test_rank.c -- the one ranking of trials (store/rank.h), which `hpo best`,
 * the sweep's decisions, Hyperband's promotions, PBT's exploit step and the
 * report's playbook all use.  Each case fails if the objective comparison
 * is flipped, the budget order reversed or the tie-break changed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/rank.h"
#include "store/journal.h"

static hpo_trial_row row(long id, const char *status, double budget, double objective)
{
    hpo_trial_row r;
    memset(&r, 0, sizeof r);
    r.trial_id = id;
    r.parent_id = -1;
    r.budget = budget;
    r.objective = objective;
    snprintf(r.status, sizeof r.status, "%s", status);
    return r;
}

static void assert_order(const hpo_spec *spec, const hpo_trial_row *rows, size_t n, const long *want, size_t k)
{
    long *order;
    assert_int_equal(trials_rank(spec, rows, n, &order), k);
    for (size_t i = 0; i < k; i++) assert_int_equal(order[i], want[i]);
    free(order);
}

static void test_objective_mode(void **state)
{
    (void)state;
    hpo_spec spec;
    memset(&spec, 0, sizeof spec);
    hpo_trial_row rows[] = {
        row(0, HPO_STATUS_COMPLETED, NAN, 0.5), row(1, HPO_STATUS_COMPLETED, NAN, 0.9),
        row(2, HPO_STATUS_COMPLETED, NAN, 0.1), row(3, HPO_STATUS_COMPLETED, NAN, 0.7),
    };
    spec.maximize = 1;
    assert_true(objective_better(&spec, 2.0, 1.0));
    assert_false(objective_better(&spec, 1.0, 2.0));
    assert_false(objective_better(&spec, 1.0, 1.0));
    assert_order(&spec, rows, 4, (long[]){1, 3, 0, 2}, 4);
    spec.maximize = 0;
    assert_true(objective_better(&spec, 1.0, 2.0));
    assert_false(objective_better(&spec, 1.0, 1.0));
    assert_order(&spec, rows, 4, (long[]){2, 0, 3, 1}, 4);
}

static void test_only_completed_finite(void **state)
{
    (void)state;
    hpo_spec spec;
    memset(&spec, 0, sizeof spec);
    hpo_trial_row rows[] = {
        row(0, HPO_STATUS_FAILED, NAN, 0.0),     row(1, HPO_STATUS_COMPLETED, NAN, NAN),
        row(2, HPO_STATUS_COMPLETED, NAN, 3.0),  row(3, HPO_STATUS_PRUNED, NAN, -5.0),
        row(4, HPO_STATUS_COMPLETED, NAN, INFINITY), row(5, HPO_STATUS_RUNNING, NAN, 1.0),
        row(6, HPO_STATUS_COMPLETED, NAN, 2.0),  row(7, HPO_STATUS_CANCELLED, NAN, 1.0),
    };
    assert_order(&spec, rows, 8, (long[]){6, 2}, 2);
    assert_false(trial_is_ranked(&rows[4]));
    assert_true(trial_is_ranked(&rows[2]));
}

/* The higher budget first, whatever the objective; no fidelity is lowest. */
static void test_budget_first(void **state)
{
    (void)state;
    hpo_spec spec;
    memset(&spec, 0, sizeof spec);
    hpo_trial_row rows[] = {
        row(0, HPO_STATUS_COMPLETED, 1, 0.01), row(1, HPO_STATUS_COMPLETED, 9, 0.5),
        row(2, HPO_STATUS_COMPLETED, 3, 0.02), row(3, HPO_STATUS_COMPLETED, 9, 0.4),
        row(4, HPO_STATUS_COMPLETED, NAN, 0.0),
    };
    assert_order(&spec, rows, 5, (long[]){3, 1, 2, 0, 4}, 5);
    spec.maximize = 1;
    assert_order(&spec, rows, 5, (long[]){1, 3, 2, 0, 4}, 5);
}

/* Equal objectives: the lower trial id first, so the order is total. */
static void test_ties_by_trial_id(void **state)
{
    (void)state;
    hpo_spec spec;
    memset(&spec, 0, sizeof spec);
    hpo_trial_row rows[] = {
        row(5, HPO_STATUS_COMPLETED, 3, 1.0), row(2, HPO_STATUS_COMPLETED, 3, 1.0),
        row(9, HPO_STATUS_COMPLETED, 3, 0.5), row(1, HPO_STATUS_COMPLETED, 3, 1.0),
    };
    assert_order(&spec, rows, 4, (long[]){2, 3, 1, 0}, 4);
    assert_true(trial_ranks_before(&spec, &rows[3], &rows[1]));
    assert_false(trial_ranks_before(&spec, &rows[1], &rows[3]));
    /* trials_sort on a subset of indices */
    long ids[] = {0, 1, 3};
    trials_sort(&spec, rows, ids, 3);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objective_mode),
        cmocka_unit_test(test_only_completed_finite),
        cmocka_unit_test(test_budget_first),
        cmocka_unit_test(test_ties_by_trial_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
