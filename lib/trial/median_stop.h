/*
 * median_stop.h -- the median stopping rule (early_stop.median): a trial
 * whose running best at step s is worse than the median of the running
 * bests of the finished trials at step s is stopped (status `pruned`).
 * Medians come from results.h5 when the trial starts; the trial runner
 * checks the trial's own reports as they arrive, so a trial needs no
 * cooperation beyond reporting.  Only steps that at least
 * early_stop.median_min_trials finished trials reported are judged.
 */
#ifndef HPO_MEDIAN_STOP_H
#define HPO_MEDIAN_STOP_H

#include <stddef.h>
#include "store/experiment.h"
#include "store/journal.h"

typedef struct hpo_median_rule hpo_median_rule;

/* NULL when the spec does not ask for it, or no results exist yet. */
hpo_median_rule *median_rule_load(const hpo_experiment *e);
/* 1 (and why, in reason) if the reports so far (steps numbered) say prune. */
int median_rule_check(const hpo_median_rule *m, const hpo_report_rec *recs, size_t n, char *reason, size_t len);
void median_rule_free(hpo_median_rule *m);

#endif
