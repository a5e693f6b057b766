/*
 * step.c -- the sweep step (see step.h).
 */
#include "sweep/step.h"
#include "sweep/decide.h"

#include <stdio.h>
#include <string.h>

int sweep_step(hpo_experiment *e, hpo_store *st, const hpo_optimizer *opt, int max, hpo_step *out)
{
    memset(out, 0, sizeof *out);
    out->round = (int)store_n_rounds(st);
    int r = 0;
    if (driver_should_stop(e, st, out->reason, sizeof out->reason)) {
        out->outcome = HPO_STEP_STOPPED;
    } else {
        r = driver_plan_round(e, st, opt, out->round, max, &out->n_planned);
        if (r == 0 && out->n_planned > 0) {
            out->outcome = HPO_STEP_PLANNED;
            return 0;
        }
        out->outcome = HPO_STEP_STOPPED;
        snprintf(out->reason, sizeof out->reason, "the %s search " HPO_STEP_EXHAUSTED, opt->name);
    }
    /* In workers mode other trials may still run: the sweep has stopped
     * only once they end, which whoever sees that records (worker.c,
     * slurm/drive.c); until then `stopping` says why no more start. */
    int workers = optimizer_sweep_mode(e->spec) == HPO_MODE_WORKERS;
    return r != 0 ? r : store_set_attr(st, workers ? "stopping" : "stop_reason", out->reason);
}
