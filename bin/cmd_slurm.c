/*
 * cmd_slurm.c -- the commands of a sweep on Slurm: drive (one driver step,
 * chained or from cron), plan (what the next round would be), cancel.
 */
#include "cli.h"
#include "slurm/drive.h"
#include "optimizers/optimizer.h"
#include "sweep/decide.h"
#include "slurm/rounds.h"
#include "slurm/workers.h"
#include "store/experiment.h"
#include "store/ingest.h"
#include "store/journal.h"
#include "store/plan.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cmd_drive(int argc, char **argv)
{
    static const struct option opts[] = {
        {"once", no_argument, 0, 'o'}, {"spec", required_argument, 0, 's'},
        {"allow-spec-change", no_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    hpo_drive_options o = {0};
    int allow_change = 0;
    const char *spec = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'o') o.once = 1;
        else if (c == 's') spec = optarg;
        else if (c == 'a') allow_change = 1;
        else if (c == 'h') { printf("usage: hpo drive EXP [--spec SPEC] [--once]\n"); return EXIT_OK; }
        else return cli_usage("drive", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("drive", "expected EXP");
    hpo_experiment *e = NULL;
    int r = spec ? experiment_create_or_open(&e, argv[optind], spec, allow_change) : experiment_open(&e, argv[optind]);
    if (r != 0) return cli_fail(r);
    hpo_drive_outcome outcome;
    char msg[600];
    r = drive_step(e, &o, &outcome, msg, sizeof msg);
    char said[1024];
    snprintf(said, sizeof said, "%s", hpo_error_last());
    experiment_free(e);
    if (r == HPO_ELOCKED) {   /* another driver has it: it carries on */
        printf("hpo drive: %s; nothing to do\n", said);
        return EXIT_OK;
    }
    if (r != 0) return cli_fail(hpo_error(r, "%s", said));
    printf("hpo drive: %s%s\n", outcome == HPO_DRIVE_STOPPED ? "sweep stopped: " : "", msg);
    return EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
    if (argc != 2) return cli_usage("plan", "expected EXP");
    hpo_experiment *e = NULL;
    const hpo_optimizer *opt = NULL;
    int r = experiment_open(&e, argv[1]);
    if (r == 0) r = optimizer_for_spec(e->spec, &opt);
    if (r != 0) { experiment_free(e); return cli_fail(r); }
    char *path = experiment_results_path(e), *scratch = NULL;
    hpo_store *st = NULL;
    r = store_open(&st, path, e->spec, 0);
    if (r == HPO_ENOTFOUND) {
        /* Nothing ingested yet: plan from an empty history in a scratch
         * file, since a dry run writes nothing into the experiment. */
        scratch = xasprintf("/tmp/hpo-plan-%ld.h5", (long)getpid());
        r = store_create(scratch, e->spec);
        if (r == 0) r = store_open(&st, scratch, e->spec, 0);
    }
    free(path);
    if (r != 0) { experiment_free(e); return cli_fail(r); }
    int round = (int)store_n_rounds(st);
    char reason[512];
    hpo_plan *plan = NULL;
    if (optimizer_sweep_mode(e->spec) == HPO_MODE_WORKERS) {
        /* Workers plan one trial at a time as slots free: what a plan can
         * show is the worker array. */
        const hpo_slurm_api *api = NULL;
        long id;
        printf("# workers mode: each worker plans its next trial when a slot frees, from the results then\n");
        if (driver_should_stop(e, st, reason, sizeof reason))
            printf("# the sweep stops once its unfinished trials have run (%s)\n", reason);
        if (slurm_api(&api) == 0) r = slurm_submit_workers(e, api, 0, 0, &id, 1);
        else printf("# (%s: the sbatch script is not shown)\n", hpo_error_last());
        store_close(st);
        if (scratch) unlink(scratch);
        free(scratch);
        experiment_free(e);
        return r != 0 ? cli_fail(r) : EXIT_OK;
    }
    int running = round > 0 && plan_count(e) == round;
    if (driver_should_stop(e, st, reason, sizeof reason)) {
        printf("no next round: the sweep stops (%s)\n", reason);
    } else if ((r = driver_propose_round(e, st, opt, round, 0, &plan)) == 0) {
        printf("# round %d (%s): %d trials%s\n# trial", round, opt->name, plan->n,
               running ? ", as planned from the results so far" : "");
        for (int p = 0; p < e->spec->space.n; p++) printf("  %s", e->spec->space.params[p].name);
        printf("\n");
        int *idx = xcalloc((size_t)plan->n + 1, sizeof(int));
        for (int i = 0; i < plan->n; i++) {
            printf("# %ld", plan->trials[i].trial_id);
            for (int p = 0; p < e->spec->space.n; p++) {
                char v[256];
                space_format_value(&e->spec->space.params[p], plan->trials[i].values[p], v, sizeof v);
                printf("  %s", v[0] ? v : "-");
            }
            printf("\n");
            idx[i] = i;
        }
        const hpo_slurm_api *api = NULL;
        if (slurm_api(&api) == 0) r = slurm_submit_round(e, api, round, idx, plan->n, 1, NULL);
        else printf("# (%s: the sbatch script is not shown)\n", hpo_error_last());
        free(idx);
        plan_free(plan);
    }
    store_close(st);
    if (scratch) unlink(scratch);
    free(scratch);
    experiment_free(e);
    return r != 0 ? cli_fail(r) : EXIT_OK;
}

/* Trials of the round that never started get a cancelled record, so the
 * record says what happened to them (the next drive runs them again). */
static int mark_unstarted_cancelled(hpo_experiment *e, int round, int *n_marked)
{
    hpo_plan *plan = NULL;
    int r = plan_read(e, round, &plan);
    *n_marked = 0;
    for (int i = 0; r == 0 && i < plan->n; i++) {
        char *dir = experiment_trial_dir(e, plan->trials[i].trial_id), *journal = path_join(dir, "journal");
        hpo_trial_result res;
        if (experiment_trial_dir_ok(dir) == 0 && result_read(dir, &res) == HPO_ENOTFOUND && !path_exists(journal)) {
            memset(&res, 0, sizeof res);
            snprintf(res.status, sizeof res.status, "%s", HPO_STATUS_CANCELLED);
            snprintf(res.reason, sizeof res.reason, "cancelled by hpo cancel before it started");
            res.exit_code = -1;
            res.slurm_job_id = -1;
            res.start_time = res.end_time = res.runtime_s = 0.0 / 0.0;
            if ((r = mkdir_p(dir, 0777)) == 0) r = result_write(dir, &res);
            if (r == 0) ++*n_marked;
        }
        free(journal);
        free(dir);
    }
    plan_free(plan);
    return r;
}

int cmd_cancel(int argc, char **argv)
{
    if (argc != 2) return cli_usage("cancel", "expected EXP");
    hpo_experiment *e = NULL;
    const hpo_slurm_api *api = NULL;
    int r = experiment_open(&e, argv[1]);
    if (r == 0) r = slurm_api(&api);
    if (r != 0) { experiment_free(e); return cli_fail(r); }
    int workers = optimizer_sweep_mode(e->spec) == HPO_MODE_WORKERS;
    /* In workers mode every planned trial is its own round: none is marked,
     * the next driver step runs them (as it does trials cut off). */
    int round = workers ? -1 : plan_count(e) - 1, n_jobs = 0, n_marked = 0, n_workers = 0;
    r = slurm_cancel_experiment(e, api, round, &n_jobs);
    if (r == 0 && workers) r = slurm_cancel_workers(e, api, &n_workers);
    n_jobs += n_workers;
    if (r == 0) r = experiment_lock_wait(e, 10);   /* a driver being cancelled lets go */
    if (r == 0 && round >= 0) r = mark_unstarted_cancelled(e, round, &n_marked);
    if (r == 0) r = ingest(e, NULL);
    if (r == 0)
        printf("hpo cancel: cancelled %d Slurm jobs; %d trials that had not started are recorded as cancelled; "
               "`hpo drive %s` resumes\n", n_jobs, n_marked, argv[1]);
    experiment_free(e);
    return r != 0 ? cli_fail(r) : EXIT_OK;
}
