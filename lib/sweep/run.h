/*
 * run.h -- `hpo run`: a whole sweep on this machine with the local
 * executor, round after round, until the driver says stop.  Ctrl-C (or
 * SIGTERM) cancels the running trials, leaves every file valid, and a
 * later run on the same experiment resumes where this one stopped.
 */
#ifndef HPO_RUN_H
#define HPO_RUN_H

#include <signal.h>
#include "store/experiment.h"

typedef struct hpo_run_options {
    int progress_tty;    /* 1: one progress line redrawn in place; 0: plain lines */
    int quiet;           /* no progress at all */
} hpo_run_options;

/* Run the sweep; returns HPO_EINTR if interrupted.  The reason it stopped
 * is written to results.h5 (attribute stop_reason) and to *reason. */
int run_sweep(hpo_experiment *e, const hpo_run_options *o, char *reason, size_t n);

/* Set by SIGINT/SIGTERM during run_sweep. */
extern volatile sig_atomic_t hpo_interrupted;

#endif
