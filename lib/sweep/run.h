/*
 * run.h -- `hpo run`: a whole sweep on this machine.  In rounds mode, round
 * after round with the local executor, holding the experiment lock
 * throughout; in workers mode, the worker loop (worker.h) with
 * parallel.max_concurrent slots, taking the lock only briefly, so more
 * workers (another `hpo run`, `hpo worker`) may join.  When *stop is set
 * (the command's Ctrl-C handler) the running trials are cancelled, every
 * file stays valid, and a later run on the same experiment resumes.
 */
#ifndef HPO_RUN_H
#define HPO_RUN_H

#include <signal.h>
#include <stddef.h>
#include "store/experiment.h"
#include "sweep/decide.h"

typedef struct hpo_run_options {
    volatile sig_atomic_t *stop;   /* set by the command's signal handler */
    /* Progress: called as trials end, and once more with final = 1. */
    void (*progress)(void *arg, const hpo_summary *s, int running, int final);
    void *arg;
} hpo_run_options;

/* Run the sweep; returns HPO_EINTR if stopped.  The reason it stopped is
 * written to results.h5 (attribute stop_reason) and to *reason. */
int run_sweep(hpo_experiment *e, const hpo_run_options *o, char *reason, size_t n);

#endif
