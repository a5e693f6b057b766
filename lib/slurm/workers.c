/*
 * workers.c -- the worker arrays of workers mode (see workers.h).
 */
#include "slurm/workers.h"
#include "executors/executor.h"
#include "slurm/rounds.h"
#include "store/journal.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *state_path(const hpo_experiment *e) { return path_join(e->dir, "workers.state"); }

int slurm_workers_read(const hpo_experiment *e, hpo_worker_array **out, int *n)
{
    *out = NULL;
    *n = 0;
    char *path = state_path(e), *text = NULL;
    int r = read_file(path, &text, NULL);
    free(path);
    if (r == HPO_ENOTFOUND) return 0;
    if (r != 0) return r;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        hpo_worker_array a;
        if (sscanf(line, "array %ld %ld %ld %lf", &a.id, &a.finished, &a.planned, &a.submitted_at) != 4) continue;
        *out = xrealloc(*out, sizeof **out * (size_t)(*n + 1));
        (*out)[(*n)++] = a;
    }
    free(text);
    return 0;
}

/* Append an array to workers.state (rewritten whole, atomically). */
static int record(const hpo_experiment *e, long id, long finished, long planned)
{
    hpo_worker_array *a = NULL;
    int n = 0, r = slurm_workers_read(e, &a, &n);
    for (int k = 0; r == 0 && k < n; k++)
        if (a[k].id == id) { free(a); return 0; }
    char *text = xstrdup("");
    for (int k = 0; k < n; k++) {
        char *more = xasprintf("%sarray %ld %ld %ld %.3f\n", text, a[k].id, a[k].finished, a[k].planned,
                               a[k].submitted_at);
        free(text);
        text = more;
    }
    char *more = xasprintf("%sarray %ld %ld %ld %.3f\n", text, id, finished, planned, now_wall());
    free(text);
    char *path = state_path(e);
    if (r == 0) r = write_file_atomic(path, more, strlen(more));
    free(path);
    free(more);
    free(a);
    return r;
}

static int is_live(const hpo_slurm_api *api, long id, int *live)
{
    hpo_slurm_task *tasks = NULL;
    int nt = 0, r = api->tasks(id, &tasks, &nt);
    *live = 0;
    for (int i = 0; r == 0 && i < nt; i++) *live |= !slurm_state_is_final(tasks[i].state);
    free(tasks);
    return r;
}

/* An array in the queue under our name but not recorded: adopt it. */
static int adopt(hpo_experiment *e, const hpo_slurm_api *api, long *adopted)
{
    *adopted = -1;
    char *name = slurm_job_name(e, "workers");
    long *ids = NULL;
    int n_ids = 0, r = api->find(name, &ids, &n_ids);
    free(name);
    hpo_worker_array *a = NULL;
    int n = 0;
    if (r == 0) r = slurm_workers_read(e, &a, &n);
    for (int k = 0; r == 0 && k < n_ids && *adopted < 0; k++) {
        int known = 0;
        for (int j = 0; j < n; j++) known |= a[j].id == ids[k];
        if (!known) {
            r = record(e, ids[k], -1, -1);
            *adopted = ids[k];
        }
    }
    free(a);
    free(ids);
    return r;
}

int slurm_workers_live(hpo_experiment *e, const hpo_slurm_api *api, long *ids, int max, int *n)
{
    *n = 0;
    long adopted;
    int r = adopt(e, api, &adopted);
    hpo_worker_array *a = NULL;
    int na = 0;
    if (r == 0) r = slurm_workers_read(e, &a, &na);
    /* Only the last few can still live: each step waits for the one before. */
    for (int k = na > 8 ? na - 8 : 0; r == 0 && k < na && *n < max; k++) {
        int live = 0;
        if ((r = is_live(api, a[k].id, &live)) == 0 && live) ids[(*n)++] = a[k].id;
    }
    free(a);
    return r;
}

int slurm_submit_workers(hpo_experiment *e, const hpo_slurm_api *api, long finished, long planned, long *id,
                         int dry_run)
{
    const hpo_spec *spec = e->spec;
    int per_task = spec->trials_per_gpu, tasks = (spec->max_concurrent + per_task - 1) / per_task;
    hpo_slurm_job job;
    char *signal = NULL, *script = NULL;
    slurm_prepare_job(e, &job, &signal);
    char *name = slurm_job_name(e, "workers"), *array = xasprintf("0-%d", tasks - 1);
    char *out = xasprintf("%s/workers/slurm-%%A_%%a.out", e->dir), *wdir = path_join(e->dir, "workers");
    job.name = name;
    job.array = array;
    job.std_out = out;
    char slots[16], *time_opt = xstrdup("");
    snprintf(slots, sizeof slots, "%d", per_task);
    if (job.time_limit_min > 0) {
        free(time_opt);
        time_opt = xasprintf("--time %d", job.time_limit_min * 60);
    }
    const char *vars[] = {"HPO", executor_hpo_binary(), "EXP", e->dir, "SLOTS", slots, "TIME_OPTION", time_opt,
                          NULL};   /* the template quotes them: @HPO_Q@, @EXP_Q@ */
    int r = mkdir_p(wdir, 0777);
    if (r == 0) r = slurm_render_script("worker.sbatch.in", vars, &job, &script);
    char *path = xasprintf("%s/worker.sbatch", e->dir);
    job.script = script;
    job.script_path = path;
    *id = -1;
    if (r == 0 && dry_run) {
        hpo_notice(HPO_NOTE_OUTPUT, "# workers: %d tasks of %d slot%s: would be submitted as\n%s", tasks,
                   per_task, per_task == 1 ? "" : "s", script);
    } else if (r == 0) {
        r = write_file_atomic(path, script, strlen(script));
        if (r == 0) chmod(path, 0755);
        if (r == 0) r = api->submit(&job, id);
        if (r == 0) fault_point("workers:before-record");
        if (r == 0) r = record(e, *id, finished, planned);
    }
    free(path); free(time_opt); free(out); free(wdir);
    free(array); free(name); free(signal); free(script);
    return r;
}

typedef struct preempted_task {
    long job_id;
    char why[128];
} preempted_task;

/* The preempted tasks of the last few worker arrays (output in
 * EXP/workers/slurm-A_a.out). */
static int preempted_tasks(hpo_experiment *e, const hpo_slurm_api *api, preempted_task **out, int *n)
{
    *out = NULL;
    *n = 0;
    hpo_worker_array *a = NULL;
    int na = 0, r = slurm_workers_read(e, &a, &na);
    for (int k = na > 8 ? na - 8 : 0; r == 0 && k < na; k++) {
        hpo_slurm_task *tasks = NULL;
        int nt = 0;
        r = api->tasks(a[k].id, &tasks, &nt);
        for (int i = 0; r == 0 && i < nt; i++) {
            if (tasks[i].task < 0 || !slurm_state_is_final(tasks[i].state)) continue;
            char *path = xasprintf("%s/workers/slurm-%ld_%d.out", e->dir, a[k].id, tasks[i].task), why[128];
            slurm_task_status(path, &tasks[i], why, sizeof why);
            free(path);
            if (!reason_is_preempted(why)) continue;
            *out = xrealloc(*out, sizeof **out * (size_t)(*n + 1));
            (*out)[*n].job_id = tasks[i].job_id;
            snprintf((*out)[(*n)++].why, sizeof (*out)->why, "%s", why);
        }
        free(tasks);
    }
    free(a);
    return r;
}

/* Correct the record in dir if a preempted task wrote it. */
static int correct_if_preempted(const char *dir, const preempted_task *p, int np)
{
    hpo_trial_result res;
    if (result_read(dir, &res) != 0) return 0;
    for (int k = 0; k < np; k++)
        if (res.slurm_job_id == p[k].job_id) return slurm_correct_record(dir, &res, HPO_STATUS_CANCELLED, p[k].why);
    return 0;
}

int slurm_workers_preempted(hpo_experiment *e, const hpo_slurm_api *api, int *n_marked)
{
    *n_marked = 0;
    preempted_task *p = NULL;
    int np = 0, r = preempted_tasks(e, api, &p, &np);
    /* Trial ids are dense from 0: stop at the first without a directory. */
    for (long id = 0; r == 0 && np > 0; id++) {
        char *dir = experiment_trial_dir(e, id);
        if (!path_exists(dir)) { free(dir); break; }
        int fd = -1;
        /* The trial's own record only while nobody runs it: a runner
         * taking it over moves it to attempt-N/ under this lock. */
        if (experiment_trial_lock(e, id, 0, &fd) == 0) {
            *n_marked += correct_if_preempted(dir, p, np);
            close(fd);
        }
        for (int k = 1;; k++) {
            char *adir = xasprintf("%s/attempt-%d", dir, k);
            int there = path_exists(adir);
            if (there) *n_marked += correct_if_preempted(adir, p, np);
            free(adir);
            if (!there) break;
        }
        free(dir);
    }
    free(p);
    return r;
}

int slurm_cancel_workers(hpo_experiment *e, const hpo_slurm_api *api, int *n_cancelled)
{
    long ids[16];
    int n = 0, r = slurm_workers_live(e, api, ids, 16, &n);
    *n_cancelled = 0;
    for (int k = 0; r == 0 && k < n; k++)
        if ((r = api->cancel(ids[k])) == 0) ++*n_cancelled;
    return r;
}
