/*
 * optimizer.h -- the one small interface every search algorithm implements:
 * propose the next round of configurations from the history.
 *
 * Invariant (the resume guarantee): propose() is a pure function of (spec,
 * seed, round, history).  It keeps no state between calls and draws random
 * numbers only from an hpo_rng it seeds itself, so a sweep killed and
 * resumed at any point plans exactly what an uninterrupted one would.
 *
 * Adding an algorithm: one file in lib/optimizers/ and one line in the
 * table in optimizer.c.
 */
#ifndef HPO_OPTIMIZER_H
#define HPO_OPTIMIZER_H

#include <stddef.h>
#include "spec/spec.h"
#include "store/results.h"

/* Every trial planned so far, finished or not, in trial-id order. */
typedef struct hpo_history {
    size_t n;
    const hpo_trial_row *trials;   /* n rows */
    const double **config;         /* config[p][t]: parameter p of trial t */
} hpo_history;

/* One proposed trial. */
typedef struct hpo_proposal {
    double *values;                /* space.n values (space.h encoding) */
    double budget;                 /* NaN when the sweep has no fidelity */
    long parent_id;                /* trial whose checkpoint to resume, or -1 */
    int bracket, rung;             /* multi-fidelity position, -1 if none */
} hpo_proposal;

typedef struct hpo_optimizer {
    const char *name;
    /* Check the spec's algorithm options (and whatever else the algorithm
     * needs of the space); HPO_ESPEC with a FILE:LINE:COL message if bad. */
    int (*check)(const hpo_spec *spec);
    /* Propose at most `max` trials for round `round` into out[0..*n); each
     * out[i].values is allocated by the caller.  *n == 0 means the search
     * has nothing more to propose (e.g. the grid is exhausted). */
    int (*propose)(const hpo_spec *spec, const hpo_history *h, int round,
                   int max, hpo_proposal *out, int *n);
    /* The algorithm decides its rounds' sizes (Hyperband's rungs), so
     * `max` is what is left of budget.max_trials, not parallel.round_size. */
    int sizes_its_rounds;
    /* The parallel.modes it runs in (HPO_MODES_*), and the one it runs in
     * when the spec does not say (README.md, "Rounds and workers"). */
    unsigned modes;
    hpo_sweep_mode default_mode;
    /* The fewest trials that make a complete search (one Hyperband
     * iteration), or NULL; check() refuses a budget.max_trials below it. */
    long (*min_trials)(const hpo_spec *spec);
} hpo_optimizer;

#define HPO_MODES_ROUNDS  1u
#define HPO_MODES_WORKERS 2u
#define HPO_MODES_BOTH    3u

/* The mode a spec's sweep runs in: parallel.mode, or its algorithm's
 * default (ROUNDS when the algorithm is unknown: the spec is refused
 * elsewhere). */
hpo_sweep_mode optimizer_sweep_mode(const hpo_spec *spec);

/* For algorithms without fidelity of their own: every proposal at the
 * spec's full budget (NaN without fidelity), with no parent. */
void proposals_fresh(const hpo_spec *spec, hpo_proposal *out, int n);

/* The optimizer called `name`, or NULL. */
const hpo_optimizer *optimizer_find(const char *name);
/* The optimizer for a spec (`auto`: the one optimizer_auto picks), after
 * checking its options and mode.  Also completes what the spec's defaults
 * leave to the algorithm: a multi-fidelity search whose budget.max_trials
 * was not given gets enough for one whole iteration (min_trials). */
int optimizer_for_spec(hpo_spec *spec, const hpo_optimizer **out);

/* What `algorithm: auto` (the default) picks for a spec, and why (one
 * line into why[0..n)): a pure function of the spec, so a resumed sweep
 * picks the same.  The library does not print it; `hpo run` does. */
const char *optimizer_auto(const hpo_spec *spec, char *why, size_t n);

extern const hpo_optimizer optimizer_random;
extern const hpo_optimizer optimizer_grid;
extern const hpo_optimizer optimizer_sobol;
extern const hpo_optimizer optimizer_sh;
extern const hpo_optimizer optimizer_hyperband;
extern const hpo_optimizer optimizer_pbt;
extern const hpo_optimizer optimizer_cmaes;
extern const hpo_optimizer optimizer_hazero;
extern const hpo_optimizer optimizer_pshe2;
extern const hpo_optimizer optimizer_tpe;
extern const hpo_optimizer optimizer_bohb;
extern const hpo_optimizer optimizer_asha;
extern const hpo_optimizer optimizer_gp;

#endif
