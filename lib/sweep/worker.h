/*
 * worker.h -- the worker loop of workers mode (`hpo worker EXP`; `hpo run`
 * runs the same loop locally).  A worker keeps `slots` trials running: as
 * soon as one ends it takes the next, so no GPU waits for another trial and
 * no round barrier exists.  Any number of workers, on any nodes, share one
 * experiment directory; no process coordinates them but the lock.
 *
 * One take (under the experiment lock, held briefly):
 *   1. ingest what has finished since the last take;
 *   2. a trial that is planned or was cut off, and that nobody runs (its
 *      trial lock is free: its worker died, was cancelled or ran out of
 *      time), is taken first: it runs again, from its checkpoint if any;
 *   3. otherwise the sweep step (step.h): stop, or plan one new trial --
 *      the optimizer sees the trials still running (TPE's constant liar,
 *      ASHA's promotions);
 *   4. the taken trial's lock is acquired before the experiment lock is
 *      released and handed down to its runner, so no other worker can take
 *      the same trial in between.
 * Then the trial runs with the ordinary trial runner (`hpo trial`), as a
 * child of the worker.
 *
 * Guarantees (tests/integration/workers_*.sh): every trial's plan is on
 * disk before it runs; no trial is planned twice; a worker killed at any
 * point loses nothing recorded, and its trials run again under another
 * worker.  Unlike rounds mode, WHAT is planned depends on the order in
 * which trials finish, so plans are not reproducible across runs.
 *
 * Time: with a deadline (a Slurm task's end), a trial is not started when
 * the median runtime of the finished trials at its budget says it would
 * not end in time; it stays planned, for the next worker to run.
 */
#ifndef HPO_SWEEP_WORKER_H
#define HPO_SWEEP_WORKER_H

#include <signal.h>
#include <stddef.h>
#include "store/experiment.h"
#include "sweep/decide.h"

typedef struct hpo_worker_options {
    int slots;                          /* trials at once (>= 1) */
    int wait_all;                       /* once the sweep is over, wait for the trials
                                           other processes still run (hpo run) */
    double deadline;                    /* wall-clock second by which trials must end; 0: none */
    /* Set by the command's signal handlers (the library installs none):
     * stop: cancel the running trials and stop (they run again later);
     * drain: the number of a warning signal (Slurm's --signal) received:
     * it is passed on to the trials (to checkpoint), nothing new starts,
     * and the running trials end as they will. */
    volatile sig_atomic_t *stop, *drain;
    /* Called after each take and when the worker ends (may be NULL). */
    void (*progress)(void *arg, const hpo_summary *s, int running, int final);
    void *arg;
} hpo_worker_options;

typedef struct hpo_worker_stats {
    long started;                      /* trials this worker started */
    long resumed;                      /* ... of which were taken over (not newly planned) */
    long takes;                        /* takes of the experiment lock */
    double lock_held_s, lock_held_max_s;   /* total and longest hold */
} hpo_worker_stats;

/* Run until the sweep is over (reason says why), the deadline leaves no
 * room, or *stop.  HPO_EINTR when stopped by *stop. */
int worker_run(hpo_experiment *e, const hpo_worker_options *o, hpo_worker_stats *stats,
               char *reason, size_t n);

#endif
