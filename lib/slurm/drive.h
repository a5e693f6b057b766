/*
 * drive.h -- one step of a sweep on Slurm (`hpo drive EXP`): the driver job
 * that runs after each round, or cron's `hpo drive EXP --once`.
 *
 *   1. take the experiment lock (a second driver says who holds it and
 *      leaves: exit 0);
 *   2. reconcile the last round with Slurm: trials whose task still lives
 *      mean wait; trials never run (or cancelled, preempted) are submitted
 *      again; dead tasks get the end record they could not write;
 *   3. ingest; stop if the budget, target or max_failed says so;
 *   4. plan the next round (the plan is on disk before anything is
 *      submitted), submit it as one array job, record its id;
 *   5. unless --once, submit the driver again with
 *      --dependency=afterany:<array>, and exit.
 *
 * A failed step queues its own retry (below), so the chain does not break.
 *
 * Every step is safe to repeat and to kill at any point: what is decided
 * comes from plans, journals and round states, never from memory.
 */
#ifndef HPO_DRIVE_H
#define HPO_DRIVE_H

#include <stddef.h>
#include "store/experiment.h"

typedef struct hpo_drive_options {
    int once;        /* do not submit the next driver job */
} hpo_drive_options;

typedef enum {
    HPO_DRIVE_WAITING,     /* the round's tasks are still pending or running */
    HPO_DRIVE_SUBMITTED,   /* a round (or its reruns) was submitted */
    HPO_DRIVE_STOPPED      /* the sweep has ended; *msg says why */
} hpo_drive_outcome;

/* One step.  HPO_ELOCKED when another process drives the experiment (in
 * rounds mode; workers mode waits a minute for it, then fails).
 *
 * A step that fails for any other reason (Slurm unreachable, a full disk,
 * results.h5 unusable) is a failure in a row, counted in EXP/driver.failed
 * with its error: unless --once, it queues the next step itself, to begin
 * after $HPO_DRIVER_RETRY_S seconds (default 60), doubling with each
 * failure in a row up to 30 minutes, so the chain goes on.  After
 * $HPO_DRIVER_RETRIES failures in a row (default 8), or when no retry can be
 * queued, it stops and EXP/driver.failed says why (hpo status shows it).  A
 * step that succeeds removes the file. */
int drive_step(hpo_experiment *e, const hpo_drive_options *o, hpo_drive_outcome *outcome,
               char *msg, size_t n);

#endif
