/*
 * test_sweep.c -- the durable record and the decisions read from it, on a
 * real experiment directory in /tmp:
 *   plans (store/plan.c): written once and read back bit for bit (NaN
 *     budgets, parents, brackets), counted densely, refused when damaged;
 *     round states round-trip;
 *   ingest (store/ingest.c): journals and end records become rows and
 *     curves; a second ingest changes nothing; a deleted results.h5 is
 *     rebuilt with the same rows;
 *   decisions (sweep/decide.c): the summary and best trial, what is left of
 *     a round, and each reason to stop (target, max_failed, max_trials).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sweep/decide.h"
#include "store/experiment.h"
#include "store/ingest.h"
#include "store/journal.h"
#include "store/plan.h"
#include "store/publish.h"
#include "store/rank.h"
#include "core/util.h"

typedef struct fixture {
    char *tmp;
    hpo_experiment *e;
} fixture;

static const char *SPEC =
    "name: unit-sweep\n"
    "command: [./t, \"{x}\", \"{k}\"]\n"
    "space:\n"
    "  x: {type: float, low: 0, high: 1}\n"
    "  k: {type: int, low: 1, high: 4}\n"
    "objective: {metric: loss, target: 0.01}\n"
    "algorithm: random\n"
    "budget: {max_trials: 8, max_failed: 3}\n"
    "parallel: {round_size: 4}\n"
    "seed: 3\n";

static int setup(void **state)
{
    fixture *fx = xcalloc(1, sizeof *fx);
    char tmpl[] = "/tmp/hpo-test-sweep.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    fx->tmp = xstrdup(tmpl);
    char *spec = path_join(fx->tmp, "spec.yaml"), *exp = path_join(fx->tmp, "exp"), *prog = path_join(fx->tmp, "t");
    assert_int_equal(write_file_atomic(spec, SPEC, strlen(SPEC)), 0);
    assert_int_equal(write_file_atomic(prog, "#!/bin/sh\n", 10), 0);   /* the command must exist */
    assert_int_equal(chmod(prog, 0755), 0);
    free(prog);
    if (experiment_create_or_open(&fx->e, exp, spec, 0) != 0) fail_msg("%s", hpo_error_last());
    free(spec);
    free(exp);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    experiment_free(fx->e);
    char *cmd = xasprintf("rm -rf '%s'", fx->tmp);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(fx->tmp);
    free(fx);
    return 0;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ---- plans ---------------------------------------------------------------- */

static void test_plan_roundtrip(void **state)
{
    fixture *fx = *state;
    assert_int_equal(plan_count(fx->e), 0);
    hpo_plan *p = plan_new(0, "random", 2, 3);
    double xs[3] = {0.1, 1.0 / 3.0, 5e-324};
    for (int i = 0; i < 3; i++) {
        p->trials[i].trial_id = i;
        p->trials[i].values[0] = xs[i];
        p->trials[i].values[1] = i + 1;
    }
    p->trials[1].parent_id = 0;
    p->trials[1].budget = 81;
    p->trials[1].bracket = 4;
    p->trials[1].rung = 2;
    p->trials[2].values[0] = NAN;   /* an inactive parameter */
    assert_int_equal(plan_write(fx->e, p), 0);
    assert_int_equal(plan_count(fx->e), 1);

    hpo_plan *q = NULL;
    assert_int_equal(plan_read(fx->e, 0, &q), 0);
    assert_int_equal(q->round, 0);
    assert_string_equal(q->kind, "random");
    assert_int_equal(q->n, 3);
    assert_int_equal(q->n_params, 2);
    for (int i = 0; i < 3; i++) {
        const hpo_plan_trial *a = &p->trials[i], *b = &q->trials[i];
        assert_int_equal(b->trial_id, a->trial_id);
        assert_int_equal(b->index, a->index);
        assert_int_equal(b->parent_id, a->parent_id);
        assert_int_equal(b->bracket, a->bracket);
        assert_int_equal(b->rung, a->rung);
        assert_true(same_bits(b->budget, a->budget) || (isnan(a->budget) && isnan(b->budget)));
        for (int k = 0; k < 2; k++)
            assert_true(same_bits(b->values[k], a->values[k]) || (isnan(a->values[k]) && isnan(b->values[k])));
    }
    plan_free(q);
    plan_free(p);

    assert_int_equal(plan_read(fx->e, 1, &q), HPO_ENOTFOUND);
    /* a plan that does not match the experiment's space is refused */
    hpo_plan *wrong = plan_new(1, "random", 5, 1);
    wrong->trials[0].trial_id = 3;
    assert_int_equal(plan_write(fx->e, wrong), 0);
    plan_free(wrong);
    assert_int_not_equal(plan_read(fx->e, 1, &q), 0);
    /* and so is a damaged one */
    char *path = experiment_path(fx->e, "rounds/r0001.plan");
    assert_int_equal(write_file_atomic(path, "hpo-plan 1\nround 1\ngarbage\n", 27), 0);
    assert_int_equal(plan_read(fx->e, 1, &q), HPO_ECORRUPT);
    /* binary data, even data that starts with a NUL, and an empty file */
    assert_int_equal(write_file_atomic(path, "\0hpo-plan 1\nround 1\n", 21), 0);
    assert_int_equal(plan_read(fx->e, 1, &q), HPO_ECORRUPT);
    assert_int_equal(write_file_atomic(path, "hpo-plan 1\nround 1\0\n", 21), 0);
    assert_int_equal(plan_read(fx->e, 1, &q), HPO_ECORRUPT);
    assert_int_equal(write_file_atomic(path, "", 0), 0);
    assert_int_equal(plan_read(fx->e, 1, &q), HPO_ECORRUPT);
    assert_int_equal(write_file_atomic(path, "\n\n", 2), 0);
    assert_int_equal(plan_read(fx->e, 1, &q), HPO_ECORRUPT);
    free(path);
}

static void test_round_state_roundtrip(void **state)
{
    fixture *fx = *state;
    hpo_round_state s, t;
    assert_int_not_equal(round_state_read(fx->e, 0, &s), 0);   /* none yet */
    memset(&s, 0, sizeof s);
    s.submitted_at = 1700000000.25;
    s.finished_at = NAN;
    s.driver_job_id = 77;
    s.n_arrays = 2;
    s.arrays[0] = 1001, s.offsets[0] = 0;
    s.arrays[1] = 1005, s.offsets[1] = 3;
    s.array_job_id = 1001;
    assert_int_equal(round_state_write(fx->e, 0, &s), 0);
    assert_int_equal(round_state_read(fx->e, 0, &t), 0);
    assert_true(t.submitted_at == s.submitted_at);
    assert_true(isnan(t.finished_at));
    assert_int_equal(t.driver_job_id, 77);
    assert_int_equal(t.n_arrays, 2);
    assert_int_equal(t.array_job_id, 1001);
    assert_int_equal(t.arrays[1], 1005);
    assert_int_equal(t.offsets[1], 3);
}

/* ---- ingest and decisions -------------------------------------------------- */

/* Trial `id` reports `losses` (n of them) and ends with `status`. */
static void run_trial(const fixture *fx, long id, const double *losses, int n, const char *status)
{
    char *dir = experiment_trial_dir(fx->e, id);
    assert_int_equal(mkdir_p(dir, 0777), 0);
    int fd;
    assert_int_equal(journal_open(dir, &fd), 0);
    for (int i = 0; i < n; i++) assert_int_equal(journal_append_report(fd, i, 1700000000.0 + i, "loss", losses[i]), 0);
    close(fd);
    if (status) {
        hpo_trial_result r;
        memset(&r, 0, sizeof r);
        snprintf(r.status, sizeof r.status, "%s", status);
        r.exit_code = strcmp(status, HPO_STATUS_COMPLETED) == 0 ? 0 : 1;
        r.start_time = 1700000000.0;
        r.end_time = 1700000010.0;
        r.runtime_s = 10;
        r.slurm_job_id = -1;
        if (strcmp(status, HPO_STATUS_FAILED) == 0) snprintf(r.reason, sizeof r.reason, "exit 1");
        assert_int_equal(result_write(dir, &r), 0);
    }
    free(dir);
}

/* Plan round `round` through the decisions, as run and drive do. */
static int plan_round(fixture *fx, int round)
{
    hpo_store *st = NULL;
    const hpo_optimizer *opt = NULL;
    assert_int_equal(optimizer_for_spec(fx->e->spec, &opt), 0);
    if (ingest_open(fx->e, &st, NULL) != 0) fail_msg("%s", hpo_error_last());
    int n = -1;
    assert_int_equal(driver_plan_round(fx->e, st, opt, round, 0, &n), 0);
    assert_int_equal(store_close(st), 0);
    return n;
}

static void test_ingest_and_decide(void **state)
{
    fixture *fx = *state;
    assert_int_equal(experiment_lock(fx->e), 0);
    assert_int_equal(plan_round(fx, 0), 4);
    assert_int_equal(plan_count(fx->e), 1);

    /* t0 completes at 0.5 (its last report), t1 at 0.2, t2 fails, t3 is running */
    run_trial(fx, 0, (double[]){0.9, 0.5}, 2, HPO_STATUS_COMPLETED);
    run_trial(fx, 1, (double[]){0.4, 0.3, 0.2}, 3, HPO_STATUS_COMPLETED);
    run_trial(fx, 2, (double[]){0.8}, 1, HPO_STATUS_FAILED);
    run_trial(fx, 3, (double[]){0.7}, 1, NULL);

    hpo_ingest_stats stats;
    hpo_store *st = NULL;
    assert_int_equal(ingest_open(fx->e, &st, &stats), 0);
    assert_int_equal(stats.trials_finished, 3);
    assert_int_equal(stats.curve_points, 6);       /* t0, t1, t2; t3 not yet final */
    assert_int_equal(stats.dropped_lines, 0);
    assert_int_equal(store_n_trials(st), 4);
    const hpo_trial_row *t = store_trials(st);
    assert_string_equal(t[0].status, HPO_STATUS_COMPLETED);
    assert_true(t[0].objective == 0.5);
    assert_true(t[1].objective == 0.2);
    assert_string_equal(t[2].status, HPO_STATUS_FAILED);
    assert_string_equal(t[3].status, HPO_STATUS_RUNNING);

    hpo_summary s;
    driver_summary(fx->e->spec, st, &s);
    assert_int_equal(s.n_trials, 4);
    assert_int_equal(s.n_completed, 2);
    assert_int_equal(s.n_failed, 1);
    assert_int_equal(s.n_running, 1);
    assert_int_equal(s.best, 1);
    assert_true(s.best_objective == 0.2);
    long *order;
    assert_int_equal(driver_ranking(fx->e->spec, st, &order), 2);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 0);
    free(order);

    int *left, n_left;
    assert_int_equal(driver_unfinished(st, 0, &left, &n_left), 0);
    assert_int_equal(n_left, 1);
    assert_int_equal(left[0], 3);
    free(left);
    char why[256];
    assert_int_equal(driver_should_stop(fx->e, st, why, sizeof why), 0);
    assert_int_equal(store_close(st), 0);

    /* ingesting again finds nothing new and changes nothing */
    assert_int_equal(ingest_open(fx->e, &st, &stats), 0);
    assert_int_equal(stats.trials_finished, 0);
    assert_int_equal(stats.curve_points, 0);
    assert_int_equal(store_close(st), 0);

    /* t3 ends; round 1 fills max_trials (8), which then stops the sweep */
    run_trial(fx, 3, (double[]){0.7, 0.6}, 2, HPO_STATUS_COMPLETED);
    assert_int_equal(plan_round(fx, 1), 4);
    for (long id = 4; id < 8; id++) run_trial(fx, id, (double[]){0.3 + id / 100.0}, 1, HPO_STATUS_COMPLETED);
    assert_int_equal(ingest_open(fx->e, &st, &stats), 0);
    assert_int_equal(stats.trials_finished, 4);   /* t3 was ingested when round 1 was planned */
    assert_int_equal(driver_should_stop(fx->e, st, why, sizeof why), 1);
    assert_non_null(strstr(why, "budget.max_trials reached (8 trials)"));
    size_t n_rows = store_n_trials(st);
    hpo_trial_row *before = xcalloc(n_rows, sizeof *before);
    memcpy(before, store_trials(st), n_rows * sizeof *before);
    assert_int_equal(store_close(st), 0);

    /* results.h5 and the working file it is published from, both deleted,
     * are rebuilt from plans and journals, row for row */
    char *path = experiment_results_path(fx->e), *work = experiment_work_path(fx->e);
    publish_before_read(path);   /* nothing left for the publishing thread to bring back */
    unlink(path);
    assert_int_equal(unlink(work), 0);
    free(path);
    free(work);
    assert_int_equal(ingest_open(fx->e, &st, &stats), 0);
    assert_int_equal(stats.rebuilt, 1);
    assert_int_equal(store_n_trials(st), n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        assert_string_equal(store_trials(st)[i].status, before[i].status);
        assert_true(same_bits(store_trials(st)[i].objective, before[i].objective));
    }
    free(before);
    assert_int_equal(store_close(st), 0);
    experiment_unlock(fx->e);
}

static void test_stop_reasons(void **state)
{
    fixture *fx = *state;
    assert_int_equal(experiment_lock(fx->e), 0);
    assert_int_equal(plan_round(fx, 0), 4);
    run_trial(fx, 0, (double[]){0.5}, 1, HPO_STATUS_FAILED);
    run_trial(fx, 1, (double[]){0.5}, 1, HPO_STATUS_FAILED);
    run_trial(fx, 2, (double[]){0.5}, 1, HPO_STATUS_COMPLETED);
    hpo_store *st = NULL;
    char why[256];
    assert_int_equal(ingest_open(fx->e, &st, NULL), 0);
    assert_int_equal(driver_should_stop(fx->e, st, why, sizeof why), 0);
    assert_int_equal(store_close(st), 0);

    run_trial(fx, 3, (double[]){0.004}, 1, HPO_STATUS_COMPLETED);
    assert_int_equal(ingest_open(fx->e, &st, NULL), 0);
    assert_int_equal(driver_should_stop(fx->e, st, why, sizeof why), 1);
    assert_non_null(strstr(why, "objective.target 0.01 reached by trial 3"));
    assert_int_equal(store_close(st), 0);
    experiment_unlock(fx->e);
}

static void test_max_failed(void **state)
{
    fixture *fx = *state;
    assert_int_equal(experiment_lock(fx->e), 0);
    assert_int_equal(plan_round(fx, 0), 4);
    for (long id = 0; id < 3; id++) run_trial(fx, id, (double[]){0.5}, 1, HPO_STATUS_FAILED);
    hpo_store *st = NULL;
    char why[256];
    assert_int_equal(ingest_open(fx->e, &st, NULL), 0);
    assert_int_equal(driver_should_stop(fx->e, st, why, sizeof why), 1);
    assert_non_null(strstr(why, "budget.max_failed reached: 3 trials failed; the last, trial 2: exit 1"));
    assert_int_equal(store_close(st), 0);
    experiment_unlock(fx->e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plan_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_state_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_and_decide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_failed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
