/*
 * run.c -- `hpo run` (see run.h).  Rounds mode:
 *
 *   loop: ingest -> decide (resume the round, stop, or plan the next) ->
 *         run the round's trials with the local executor, polling every
 *         100 ms, re-ingesting at most once a second so that `hpo status`
 *         and h5py see progress while the round runs.
 */
#include "sweep/run.h"
#include "sweep/decide.h"
#include "executors/executor.h"
#include "store/ingest.h"
#include "sweep/step.h"
#include "sweep/worker.h"
#include "store/plan.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void show(const hpo_run_options *o, const hpo_summary *s, int running, int final)
{
    if (o->progress) o->progress(o->arg, s, running, final);
}

static int stopped(const hpo_run_options *o) { return o->stop && *o->stop; }

/* Run the given trials of `round` to the end (or until interrupted). */
static int run_round(hpo_experiment *e, int round, const int *indices, int n, const hpo_run_options *o)
{
    hpo_executor *x = NULL;
    int r = executor_local.open(&x, e);
    if (r != 0) return r;
    hpo_round_state rs;
    round_state_read(e, round, &rs);
    if (isnan(rs.submitted_at)) {
        rs.submitted_at = now_wall();
        round_state_write(e, round, &rs);
    }
    executor_local.submit(x, round, indices, n);
    hpo_exec_counts c = {0};
    double last_ingest = 0;
    int cancelled = 0, last_finished = -1;
    for (;;) {
        if ((r = executor_local.poll(x, &c)) != 0) break;
        if (stopped(o) && !cancelled) {
            executor_local.cancel(x);
            cancelled = 1;
        }
        if (c.running == 0 && c.queued == 0) break;
        /* Ingest when something finished, at most once a second. */
        if (c.finished != last_finished && now_mono() - last_ingest >= 1.0) {
            hpo_store *st = NULL;
            if ((r = ingest_open(e, &st, NULL)) != 0) break;
            hpo_summary s;
            driver_summary(e->spec, st, &s);
            store_close(st);
            show(o, &s, c.running, 0);
            fault_point("run:mid-round");
            last_ingest = now_mono();
            last_finished = c.finished;
        }
        sleep_ms(100);
    }
    if (r != 0) {   /* stop what runs before reporting the error */
        executor_local.cancel(x);
        while (executor_local.poll(x, &c) == 0 && c.running > 0) sleep_ms(100);
    }
    executor_local.close(x);
    return r != 0 ? r : cancelled ? HPO_EINTR : 0;
}

static int check_progress(hpo_experiment *e, int round, const int *todo, int n_todo)
{
    hpo_store *st = NULL;
    int r = ingest_open(e, &st, NULL), *left = NULL, n_left = 0;
    if (r != 0) return r;
    driver_unfinished(st, round, &left, &n_left);
    store_close(st);
    int stuck = n_left == n_todo && memcmp(left, todo, sizeof(int) * (size_t)n_todo) == 0;
    /* A trial that wrote an end record (a cancelled or retried attempt)
     * made progress; stuck means no runner recorded anything at all. */
    hpo_plan *plan = NULL;
    if (stuck && plan_read(e, round, &plan) == 0) {
        for (int i = 0; i < n_left && stuck; i++) {
            char *dir = experiment_trial_dir(e, plan->trials[left[i]].trial_id), *res = path_join(dir, "result");
            if (path_exists(res)) stuck = 0;
            free(res);
            free(dir);
        }
        plan_free(plan);
    }
    int first = n_left > 0 ? left[0] : -1;
    free(left);
    if (!stuck) return 0;
    return hpo_error(HPO_ERROR, "round %d: %d trial%s could not be run (trial index %d first; the trial "
                     "runner said why above)", round, n_todo, n_todo == 1 ? "" : "s", first);
}

static int record_stop(hpo_experiment *e, const char *reason)
{
    hpo_store *st = NULL;
    int r = ingest_open(e, &st, NULL);
    if (r == 0) r = store_set_attr(st, "stop_reason", reason);
    if (st) {
        int c = store_close(st);
        if (r == 0) r = c;
    }
    return r;
}

/* Rounds mode: round after round, holding the lock throughout. */
static int run_rounds(hpo_experiment *e, const hpo_optimizer *opt, const hpo_run_options *o, char *reason, size_t n)
{
    int r = experiment_lock(e);
    if (r != 0) return r;
    reason[0] = '\0';
    while (r == 0 && !stopped(o)) {
        hpo_store *st = NULL;
        if ((r = ingest_open(e, &st, NULL)) != 0) break;
        int rounds = (int)store_n_rounds(st), *todo = NULL, n_todo = 0;
        if (rounds > 0) driver_unfinished(st, rounds - 1, &todo, &n_todo);
        hpo_summary s;
        driver_summary(e->spec, st, &s);
        show(o, &s, 0, 0);
        int round = rounds - 1, planned = 0;
        if (n_todo == 0) {
            /* The last round is over: stop, or plan the next one. */
            hpo_step step;
            fault_point("run:before-plan");
            r = sweep_step(e, st, opt, 0, &step);
            if (r == 0 && step.outcome == HPO_STEP_STOPPED) {
                snprintf(reason, n, "%s", step.reason);
                store_close(st);
                free(todo);
                break;
            }
            fault_point("run:after-plan");
            round = step.round;
            planned = step.n_planned;
            free(todo);
            todo = xcalloc((size_t)planned + 1, sizeof(int));
            for (int i = 0; i < planned; i++) todo[i] = i;
            n_todo = planned;
        }
        store_close(st);
        if (r == 0 && n_todo > 0) r = run_round(e, round, todo, n_todo, o);
        fault_point("run:after-round");
        /* A trial whose runner could not even start it (it says why on
         * stderr) would be run again forever: stop instead. */
        if (r == 0 && n_todo > 0 && !stopped(o)) r = check_progress(e, round, todo, n_todo);
        free(todo);
    }
    if (r == 0 && stopped(o)) r = HPO_EINTR;
    /* Whatever happened, leave results.h5 reflecting every journal (and
     * keep the message of the error that stopped us). */
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", hpo_error_last());
    hpo_store *st = NULL;
    if (ingest_open(e, &st, NULL) == 0) {
        hpo_summary s;
        driver_summary(e->spec, st, &s);
        store_close(st);
        show(o, &s, 0, 1);
    }
    if (r != 0) hpo_error(r, "%s", saved);
    if (r == 0 && reason[0]) r = record_stop(e, reason);
    experiment_unlock(e);
    return r;
}

int run_sweep(hpo_experiment *e, const hpo_run_options *o, char *reason, size_t n)
{
    const hpo_optimizer *opt = NULL;
    int r = optimizer_for_spec(e->spec, &opt);
    if (r != 0) return r;
    if (optimizer_sweep_mode(e->spec) == HPO_MODE_WORKERS) {
        hpo_worker_options wo = {.slots = e->spec->max_concurrent, .wait_all = 1, .stop = o->stop,
                                 .progress = o->progress, .arg = o->arg};
        hpo_worker_stats stats;
        r = worker_run(e, &wo, &stats, reason, n);
    } else {
        r = run_rounds(e, opt, o, reason, n);
    }
    if (r == HPO_EINTR) {
        snprintf(reason, n, "interrupted; run the same command again to resume");
        hpo_error(HPO_EINTR, "interrupted: running trials were cancelled; run again to resume");
    }
    return r;
}
