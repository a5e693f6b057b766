/*
 * decide.h -- the decisions of a sweep, shared by `hpo run` (local loop)
 * and the Slurm driver: what is left of the current round, whether to stop
 * and why, and planning the next round.  Everything here reads the store as
 * ingested just before, so the decisions follow from the durable record
 * alone (never from what a process remembers).
 */
#ifndef HPO_DRIVER_H
#define HPO_DRIVER_H

#include <stddef.h>
#include "store/experiment.h"
#include "optimizers/optimizer.h"
#include "store/plan.h"
#include "store/results.h"

typedef struct hpo_summary {
    size_t n_trials;        /* planned so far */
    size_t n_completed;
    size_t n_failed;        /* failed, timeout, oom, node_fail */
    size_t n_pruned;        /* stopped early by the median rule */
    size_t n_running;
    size_t n_waiting;       /* planned or cancelled: still to run */
    long best;              /* best completed trial, or -1 */
    double best_objective;
} hpo_summary;

void driver_summary(const hpo_spec *spec, const hpo_store *st, hpo_summary *s);

/* Whether status counts as a failure of the trial's config. */
int status_is_failure(const char *status);

/* Trials of `round` that still have to run (not yet final, or cancelled);
 * *indices holds their array indices (caller frees). */
int driver_unfinished(const hpo_store *st, int round, int **indices, int *n);

/* 1 and a reason in buf if the sweep must stop before planning another
 * round (budget, target, failures, time), else 0. */
int driver_should_stop(const hpo_experiment *e, const hpo_store *st, char *buf, size_t n);

/* Ask the optimizer for round `round` of at most max_new trials (0: a
 * round's worth): *out is the plan (with n == 0 when the optimizer has
 * nothing more to propose), not yet written. */
int driver_propose_round(const hpo_experiment *e, const hpo_store *st, const hpo_optimizer *opt,
                         int round, int max_new, hpo_plan **out);
/* The same, and write the plan; *n_planned is its number of trials. */
int driver_plan_round(hpo_experiment *e, const hpo_store *st, const hpo_optimizer *opt,
                      int round, int max_new, int *n_planned);

/* The trials ranked best first: completed ones with a finite objective.
 * Returns how many; *order is allocated. */
size_t driver_ranking(const hpo_spec *spec, const hpo_store *st, long **order);

#endif
