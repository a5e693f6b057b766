/*
 * drive.c -- one driver step on Slurm (see drive.h).
 */
#include "slurm/drive.h"
#include "sweep/decide.h"
#include "slurm/rounds.h"
#include "store/ingest.h"
#include "sweep/step.h"
#include "slurm/workers.h"
#include "store/journal.h"
#include "store/plan.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_RETRY_S   60     /* the first retry's delay; each next one doubles */
#define MAX_RETRY_DELAY_S 1800   /* ... up to half an hour */
#define DEFAULT_RETRIES   8      /* failures in a row retried (about 2 hours in all) */

/* The arrays of `round` to wait for (all of them: afterany on an ended job
 * is satisfied at once). */
static int round_arrays(const hpo_experiment *e, int round, long *ids)
{
    hpo_round_state s;
    round_state_read(e, round, &s);
    for (int k = 0; k < s.n_arrays; k++) ids[k] = s.arrays[k];
    return s.n_arrays;
}

static long retry_delay(int k);

/* When MaxJobCount let no trial in (slurm_submit_round), the next step
 * waits as long as a first retry (HPO_DRIVER_RETRY_S) for finished jobs to
 * be purged, instead of a chain of driver jobs that each find the
 * controller full. */
static int full_delay(int sent) { return sent == 0 ? (int)retry_delay(1) : 0; }

static int chain(hpo_experiment *e, const hpo_drive_options *o, const hpo_slurm_api *api,
                 const long *deps, int n, int delay_s)
{
    if (o->once) return 0;
    long id;
    return slurm_chain_driver(e, api, deps, n, delay_s, &id);
}

/* Step 2: the last round.  Returns 1 in *busy if it is not over yet. */
static int continue_round(hpo_experiment *e, const hpo_drive_options *o, const hpo_slurm_api *api,
                          int round, int *busy, hpo_drive_outcome *outcome, char *msg, size_t n)
{
    hpo_round_progress p;
    int r = slurm_reconcile_round(e, api, round, &p);
    *busy = 0;
    if (r == 0 && p.live > 0) {
        *busy = 1;
        *outcome = HPO_DRIVE_WAITING;
        snprintf(msg, n, "round %d: %d trials still pending or running, %d ended", round, p.live, p.ended);
        r = chain(e, o, api, p.live_arrays, p.n_live_arrays, 0);
    } else if (r == 0 && p.n_rerun > 0) {
        *busy = 1;
        *outcome = HPO_DRIVE_SUBMITTED;
        int sent = 0;
        r = slurm_submit_round(e, api, round, p.rerun, p.n_rerun, 0, &sent);
        snprintf(msg, n, "round %d: submitted %d of %d trials that have not run (again)", round, sent, p.n_rerun);
        long ids[HPO_MAX_ARRAYS];
        if (r == 0) r = chain(e, o, api, ids, round_arrays(e, round, ids), full_delay(sent));
    }
    round_progress_free(&p);
    return r;
}

/* Steps 3-5: stop, or plan and submit the next round. */
static int next_round(hpo_experiment *e, const hpo_drive_options *o, const hpo_slurm_api *api,
                      const hpo_optimizer *opt, hpo_drive_outcome *outcome, char *msg, size_t n)
{
    hpo_store *st = NULL;
    int r = ingest_open(e, &st, NULL);
    if (r != 0) return r;
    hpo_step step;
    r = sweep_step(e, st, opt, 0, &step);
    if (r == 0 && step.outcome == HPO_STEP_PLANNED) fault_point("drive:after-plan");
    int c = store_close(st);
    if (r == 0) r = c;
    if (r != 0) return r;
    if (step.outcome == HPO_STEP_STOPPED) {
        *outcome = HPO_DRIVE_STOPPED;
        snprintf(msg, n, "%s", step.reason);
        return 0;
    }
    int round = step.round, planned = step.n_planned;
    int *all = xcalloc((size_t)planned, sizeof(int));
    for (int i = 0; i < planned; i++) all[i] = i;
    int sent = 0;
    r = slurm_submit_round(e, api, round, all, planned, 0, &sent);
    free(all);
    fault_point("drive:after-submit");
    *outcome = HPO_DRIVE_SUBMITTED;
    if (sent == planned) snprintf(msg, n, "round %d: submitted %d trials", round, planned);
    else snprintf(msg, n, "round %d: submitted %d of %d trials (the rest later)", round, sent, planned);
    /* Record the round's rows and job ids for hpo status and h5py. */
    if (r == 0) r = ingest(e, NULL);
    long ids[HPO_MAX_ARRAYS];
    int k = r == 0 ? round_arrays(e, round, ids) : 0;   /* (keeps a failure's message) */
    fault_point("drive:before-chain");
    if (r == 0) r = chain(e, o, api, ids, k, full_delay(sent));
    return r;
}

/* ---- workers mode ---------------------------------------------------------- */

/* One driver step of a workers-mode sweep: wait while a worker array
 * lives; else stop when the sweep is over, or submit the next array. */
static int workers_step(hpo_experiment *e, const hpo_drive_options *o, const hpo_slurm_api *api,
                        hpo_drive_outcome *outcome, char *msg, size_t n, int *final)
{
    long live[16];
    int n_live = 0, marked = 0, r = slurm_workers_preempted(e, api, &marked);
    if (r == 0 && marked > 0) hpo_notice(HPO_NOTE_INFO, "%d trial record%s of preempted worker tasks marked preempted",
                                         marked, marked == 1 ? "" : "s");
    if (r == 0) r = slurm_workers_live(e, api, live, 16, &n_live);
    if (r == 0 && n_live > 0) {
        *outcome = HPO_DRIVE_WAITING;
        snprintf(msg, n, "worker array %ld is still pending or running", live[0]);
        r = ingest(e, NULL);
        return r ? r : chain(e, o, api, live, n_live, 0);
    }
    hpo_store *st = NULL;
    if (r == 0) r = ingest_open(e, &st, NULL);
    if (r != 0) return r;
    hpo_summary s;
    driver_summary(e->spec, st, &s);
    /* not final yet: planned, running, or cut off and to run again */
    long left = (long)(s.n_running + s.n_waiting), finished = (long)(s.n_trials - s.n_running - s.n_waiting);
    char reason[512] = "", *said = NULL;
    int over = driver_should_stop(e, st, reason, sizeof reason);
    if (!over && store_get_attr(st, "stopping", &said) == 0) {   /* a worker found nothing to propose */
        over = strstr(said, HPO_STEP_EXHAUSTED) != NULL;
        if (over) snprintf(reason, sizeof reason, "%s", said);
    }
    free(said);
    hpo_worker_array *a = NULL;
    int na = 0;
    if (over && left == 0) {
        *outcome = HPO_DRIVE_STOPPED;
        snprintf(msg, n, "%s", reason);
        r = store_set_attr(st, "stop_reason", reason);
    } else if ((r = slurm_workers_read(e, &a, &na)) == 0 && na > 0 && a[na - 1].finished == finished &&
               a[na - 1].planned == (long)s.n_trials) {
        /* Its workers ran and ended without finishing or planning anything:
         * another array would do the same.  Say so rather than loop. */
        r = hpo_error(HPO_ERROR, "worker array %ld ended without finishing a trial; see %s/workers/slurm-%ld_*.out",
                      a[na - 1].id, e->dir, a[na - 1].id);
        *final = 1;   /* a retry would find the same record: not retried */
    }
    int c = store_close(st);
    if (r == 0) r = c;
    if (r != 0 || *outcome == HPO_DRIVE_STOPPED) { free(a); return r; }
    long id = -1;
    r = slurm_submit_workers(e, api, finished, (long)s.n_trials, &id, 0);
    fault_point("drive:after-submit");
    free(a);
    if (r != 0) return r;
    *outcome = HPO_DRIVE_SUBMITTED;
    snprintf(msg, n, "submitted worker array %ld (%ld trials to finish%s)", id, left,
             over ? ", then the sweep is over" : "");
    return chain(e, o, api, &id, 1, 0);
}

/* Steps 1-5 (or the workers-mode step).  *final: a failure that a retry
 * of the step cannot mend. */
static int one_step(hpo_experiment *e, const hpo_drive_options *o, hpo_drive_outcome *outcome, char *msg, size_t n,
                    int *final)
{
    if (optimizer_sweep_mode(e->spec) == HPO_MODE_WORKERS) {
        const hpo_slurm_api *api = NULL;
        const hpo_optimizer *opt = NULL;
        int r = optimizer_for_spec(e->spec, &opt);
        if (r == 0) r = slurm_api(&api);
        /* Workers take the lock for milliseconds at a time: wait our turn. */
        if (r == 0) r = experiment_lock_wait(e, 60);
        if (r != 0) return r;
        msg[0] = '\0';
        *outcome = HPO_DRIVE_WAITING;
        fault_point("drive:locked");
        r = workers_step(e, o, api, outcome, msg, n, final);
        experiment_unlock(e);
        return r;
    }
    const hpo_slurm_api *api = NULL;
    const hpo_optimizer *opt = NULL;
    int r = optimizer_for_spec(e->spec, &opt);
    if (r == 0) r = slurm_api(&api);
    if (r == 0) r = experiment_lock(e);
    if (r != 0) return r;
    msg[0] = '\0';
    fault_point("drive:locked");
    int rounds = plan_count(e), busy = 0;
    if (rounds > 0) r = continue_round(e, o, api, rounds - 1, &busy, outcome, msg, n);
    if (r == 0 && busy) r = ingest(e, NULL);
    else if (r == 0) r = next_round(e, o, api, opt, outcome, msg, n);
    experiment_unlock(e);
    return r;
}

/* ---- a failed step: retry with backoff, or say why not ---------------------- */

/* The failures in a row so far: EXP/driver.failed's count (0 if none). */
static int failures_so_far(const hpo_experiment *e)
{
    char *path = experiment_path(e, "driver.failed"), *text = NULL;
    int k = 0;
    if (read_file(path, &text, NULL) == 0) {
        const char *f = strstr(text, "\nfailures=");
        k = f ? atoi(f + 10) : 1;   /* written before counts were: one */
    }
    free(text);
    free(path);
    return k;
}

/* The delay before retry k (1, 2, ...): base, doubling, capped. */
static long retry_delay(int k)
{
    long base = (long)fmin(env_number("HPO_DRIVER_RETRY_S", DEFAULT_RETRY_S), 1e9), d = base > 0 ? base : 1;
    long cap = base > MAX_RETRY_DELAY_S ? base : MAX_RETRY_DELAY_S;
    for (int i = 1; i < k && d < cap; i++) d *= 2;
    return d < cap ? d : cap;
}

/* Invariant: a step that fails leaves either its successor queued (a retry
 * after a backoff, or one already queued) or, in EXP/driver.failed, why
 * nothing is: the chain never breaks silently. */
static int step_failed(hpo_experiment *e, const hpo_drive_options *o, int err, int final)
{
    char saved[1024], retry_err[600] = "";
    snprintf(saved, sizeof saved, "%s", hpo_error_last());
    int k = failures_so_far(e) + 1, max = (int)fmin(env_number("HPO_DRIVER_RETRIES", DEFAULT_RETRIES), 1e6);
    long delay = retry_delay(k), next = -1;
    const hpo_slurm_api *api = NULL;
    int queued = 0;
    if (final) snprintf(retry_err, sizeof retry_err, "%s", "another step would fail the same way");
    else if (!o->once && k <= max) {
        int r = slurm_api(&api);
        if (r == 0) r = slurm_chain_driver(e, api, NULL, 0, (int)delay, &next);
        if (r == 0) queued = 1;
        else snprintf(retry_err, sizeof retry_err, "%s", hpo_error_last());
    }
    const char *job = getenv("SLURM_JOB_ID");
    char *text = xasprintf("time=%.0f\njob=%s\nfailures=%d\nmax_failures=%d\nerror=%s\n", now_wall(),
                           job ? job : "-", k, max, saved);
    char *more = queued && next >= 0 ? xasprintf("retry_job=%ld\nretry_at=%.0f\n", next, now_wall() + (double)delay)
               : queued ? xstrdup("retry_job=queued\n")   /* a driver job was queued already */
               : retry_err[0] ? xasprintf("retry_error=%s\n", retry_err)
               : o->once ? xstrdup("") : xasprintf("gave_up=%d\n", max);
    char *all = xasprintf("%s%s", text, more), *path = experiment_path(e, "driver.failed");
    write_file_atomic(path, all, strlen(all));
    if (queued && next >= 0)
        hpo_notice(HPO_NOTE_INFO, "this driver step failed (%d in a row, at most %d): job %ld retries it in %ld s", k,
                   max, next, delay);
    else if (retry_err[0])
        hpo_notice(HPO_NOTE_INFO, "this driver step failed; no retry queued: %s", retry_err);
    else if (!o->once && !queued)
        hpo_notice(HPO_NOTE_INFO, "this driver step failed %d times in a row: not retrying again; nothing drives "
                   "the sweep on until it is fixed and the driver is started again", k);
    free(text); free(more); free(all); free(path);
    return hpo_error(err, "%s", saved);
}

int drive_step(hpo_experiment *e, const hpo_drive_options *o, hpo_drive_outcome *outcome, char *msg, size_t n)
{
    int final = 0, r = one_step(e, o, outcome, msg, n, &final);
    /* Cron and a chained driver may meet: one proceeds, the other leaves.
     * In workers mode the step waited a minute for workers' brief holds,
     * so a lock still held is a failure, not a meeting. */
    if (r == HPO_ELOCKED && optimizer_sweep_mode(e->spec) != HPO_MODE_WORKERS) return r;
    if (r != 0) return step_failed(e, o, r == HPO_ELOCKED ? HPO_ERROR : r, final);
    char *failed = experiment_path(e, "driver.failed");
    unlink(failed);   /* the chain holds again: the failures in a row start over */
    free(failed);
    return 0;
}
