/*
 * rank.h -- a trial's objective, and the one ranking of trials, used
 * wherever trials are ordered best first: the sweep's decisions (best
 * trial, `hpo best`), the optimizers that promote or exploit by rank
 * (Hyperband, ASHA, PBT) and the report's playbook.
 *
 * A trial takes part when it completed with a finite objective.  Order: the
 * higher budget first (an objective at 81 epochs says more than one at 1;
 * no fidelity counts as the lowest budget), then the better objective (the
 * spec's mode), then the lower trial id, so the order is total and the same
 * on every run.
 */
#ifndef HPO_RANK_H
#define HPO_RANK_H

#include <stddef.h>
#include "spec/spec.h"
#include "store/results.h"
#include "store/journal.h"

/* Whether objective a is strictly better than b under the spec's mode. */
int objective_better(const hpo_spec *spec, double a, double b);

/* The objective of a trial from its reports (last or best value of the
 * spec's metric, per objective.reduce); NaN if never reported.  *found
 * tells whether the metric was reported at all. */
double trial_objective(const hpo_spec *spec, const hpo_report_rec *recs, size_t n, int *found);

/* Whether two budgets are the same (NaN, a sweep without fidelity, equals
 * NaN): the trials a model of one budget is fitted on. */
int same_budget(double a, double b);

/* Whether a row takes part in the ranking. */
int trial_is_ranked(const hpo_trial_row *r);

/* Whether trial a ranks before trial b. */
int trial_ranks_before(const hpo_spec *spec, const hpo_trial_row *a, const hpo_trial_row *b);

/* Sort ids[0..n) (indices into rows) best first. */
void trials_sort(const hpo_spec *spec, const hpo_trial_row *rows, long *ids, size_t n);

/* The indices of rows[0..n) that take part, best first, in *order
 * (allocated, caller frees); returns how many. */
size_t trials_rank(const hpo_spec *spec, const hpo_trial_row *rows, size_t n, long **order);

#endif
