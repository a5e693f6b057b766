/*
 * drive.c -- one driver step on Slurm (see drive.h).
 */
#include "slurm/drive.h"
#include "sweep/decide.h"
#include "slurm/rounds.h"
#include "store/ingest.h"
#include "sweep/step.h"
#include "store/plan.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arrays of `round` to wait for (all of them: afterany on an ended job
 * is satisfied at once). */
static int round_arrays(const hpo_experiment *e, int round, long *ids)
{
    hpo_round_state s;
    round_state_read(e, round, &s);
    for (int k = 0; k < s.n_arrays; k++) ids[k] = s.arrays[k];
    return s.n_arrays;
}

static int chain(hpo_experiment *e, const hpo_drive_options *o, const hpo_slurm_api *api,
                 const long *deps, int n)
{
    if (o->once) return 0;
    long id;
    return slurm_chain_driver(e, api, deps, n, &id);
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
        r = chain(e, o, api, p.live_arrays, p.n_live_arrays);
    } else if (r == 0 && p.n_rerun > 0) {
        *busy = 1;
        *outcome = HPO_DRIVE_SUBMITTED;
        snprintf(msg, n, "round %d: submitted %d trials that have not run (again)", round, p.n_rerun);
        r = slurm_submit_round(e, api, round, p.rerun, p.n_rerun, 0);
        long ids[HPO_MAX_ARRAYS];
        int k = round_arrays(e, round, ids);
        if (r == 0) r = chain(e, o, api, ids, k);
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
    r = slurm_submit_round(e, api, round, all, planned, 0);
    free(all);
    fault_point("drive:after-submit");
    *outcome = HPO_DRIVE_SUBMITTED;
    snprintf(msg, n, "round %d: submitted %d trials", round, planned);
    /* Record the round's rows and job ids for hpo status and h5py. */
    if (r == 0) r = ingest(e, NULL);
    long ids[HPO_MAX_ARRAYS];
    int k = round_arrays(e, round, ids);
    fault_point("drive:before-chain");
    if (r == 0) r = chain(e, o, api, ids, k);
    return r;
}

int drive_step(hpo_experiment *e, const hpo_drive_options *o, hpo_drive_outcome *outcome, char *msg, size_t n)
{
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
