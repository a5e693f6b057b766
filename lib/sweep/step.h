/*
 * step.h -- the one step every way of running a sweep takes to decide what
 * runs next: with results.h5 just ingested, decide whether the sweep must
 * stop (and record why), or ask the optimizer and write the plan.  `hpo run`
 * and `hpo drive` take it once per round, `hpo worker` once per trial; all
 * of them hold the experiment lock around it.
 *
 * The reason a sweep stops goes into results.h5 as the attribute
 * stop_reason; in workers mode, where other trials may still be running,
 * as `stopping` until they have ended.
 *
 * Invariant: a plan is on disk before anything runs it (plan.h), so a step
 * killed at any point has either planned nothing or planned for good.
 */
#ifndef HPO_SWEEP_STEP_H
#define HPO_SWEEP_STEP_H

#include <stddef.h>
#include "optimizers/optimizer.h"
#include "store/experiment.h"
#include "store/results.h"

/* The end of the reason when the optimizer has nothing more to propose
 * (a worker's `stopping` says so; the Slurm driver then ends the sweep). */
#define HPO_STEP_EXHAUSTED "has nothing more to propose"

typedef enum {
    HPO_STEP_PLANNED,   /* round `round` was planned, with n_planned trials */
    HPO_STEP_STOPPED    /* the sweep is over; `reason` says why (also in results.h5) */
} hpo_step_outcome;

typedef struct hpo_step {
    hpo_step_outcome outcome;
    int round, n_planned;
    char reason[512];
} hpo_step;

/* The step, on the store `st` the caller has ingested and keeps open.
 * max: at most this many trials (0: a round's worth, parallel.round_size
 * or what the algorithm sizes). */
int sweep_step(hpo_experiment *e, hpo_store *st, const hpo_optimizer *opt, int max, hpo_step *out);

#endif
