/*
 * playbook.h -- checks from Google's Deep Learning Tuning Playbook on the
 * results of a sweep, for `hpo status` (one line each) and the HTML report
 * (report/html.h):
 *
 *  (a) boundary: the best config lies within 5% of a bound of the search
 *      range of a numeric parameter (measured in log space for a log-scale
 *      one): the optimum may lie outside the range, so widen it;
 *  (b) convergence: the best config was first tried in the last 10% of the
 *      finished trials: the search is still improving, so more trials help;
 *  (c) scientific parameters (`role: scientific`): the best objective for
 *      each value of the parameter (per choice; per quantile bin of a
 *      numeric one), optimising over the nuisance parameters, which is how
 *      the playbook compares e.g. optimisers fairly.
 *
 * The checks work on trial rows and configs in memory (as store/results.h lays them
 * out), so they are tested without a results file; playbook_print() is the
 * thin wrapper over an open store that `hpo status` calls.
 */
#ifndef HPO_PLAYBOOK_H
#define HPO_PLAYBOOK_H

#include <stddef.h>
#include <stdio.h>
#include "spec/spec.h"
#include "store/results.h"

#define PLAYBOOK_EDGE_FRACTION 0.05   /* (a): within 5% of a bound */
#define PLAYBOOK_LATE_FRACTION 0.10   /* (b): in the last 10% of trials */
#define PLAYBOOK_MAX_BINS 4           /* (c): quantile bins of a numeric parameter */

typedef enum { PLAYBOOK_BOUNDARY, PLAYBOOK_CONVERGENCE, PLAYBOOK_SCIENTIFIC } hpo_finding_kind;

/* One flag, as the one line `hpo status` prints. */
typedef struct hpo_finding {
    hpo_finding_kind kind;
    int param;              /* the parameter it is about, or -1 */
    char *text;
} hpo_finding;

/* (c): one value (choice) or quantile bin (numeric) of a scientific parameter. */
typedef struct hpo_sci_group {
    char label[96];         /* "adam", "[0.001, 0.01]" */
    double lo, hi;          /* numeric: the values it holds; choice: the index twice */
    size_t n_trials;        /* completed trials with a finite objective in the group */
    long best;              /* the best of them (the ranking's first), -1 if none */
    double best_objective;
} hpo_sci_group;

typedef struct hpo_sci_table {
    int param;
    int n_groups;
    hpo_sci_group *groups;
} hpo_sci_table;

typedef struct hpo_playbook {
    long best;              /* the best trial, -1 if no trial completed */
    long best_origin;       /* the trial that first tried the best's config */
    int n_findings;
    hpo_finding *findings;  /* (a) and (b) in that order, then one per table of (c) */
    int n_tables;
    hpo_sci_table *tables;  /* (c), one per scientific parameter */
} hpo_playbook;

/* The completed trials with a finite objective, best first: the order of
 * driver_ranking() (the highest budget first, then the objective, then the
 * trial id), computed from rows in memory.  Returns how many; *order is
 * allocated (the caller frees it). */
size_t playbook_ranking(const hpo_spec *spec, const hpo_trial_row *rows, size_t n, long **order);

/* The trial that first tried trial t's config: t's ancestors through
 * parent_id as long as they have the same config (a promotion, a
 * continuing PBT member). */
long playbook_config_origin(const hpo_spec *spec, const hpo_trial_row *rows, const double *const *config,
                            size_t n, long t);

/* Run the checks on trials 0..n-1 (config[p][i]: trial i's value of
 * parameter p in the space's encoding).  Fills *out; free it with
 * playbook_free().  Never fails: with no completed trial there is nothing
 * to flag. */
void playbook_check(const hpo_spec *spec, const hpo_trial_row *rows, const double *const *config,
                    size_t n, hpo_playbook *out);
void playbook_free(hpo_playbook *pb);

/* `hpo status`: each finding as one line "<prefix><text>". */
void playbook_print(FILE *f, const char *prefix, const hpo_spec *spec, const hpo_store *st);

#endif
