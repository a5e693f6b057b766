/*
 * internal.h -- what the files of lib/optimizers/ share among themselves,
 * outside the optimizer interface (optimizer.h):
 *
 *  - tpe.c's model-based sampler, which both `tpe` and `bohb` draw from:
 *    Parzen estimators of the good and the bad trials at one budget, and
 *    the candidate with the largest l(x)/g(x);
 *  - hyperband.c's scheduler with a hook that decides where the fresh
 *    configs of a new iteration come from (BOHB: from the sampler above).
 *
 * Everything here keeps the optimizer invariant: a pure function of (spec,
 * seed, round, history), randomness only from the hpo_rng passed in.
 */
#ifndef HPO_OPTIMIZERS_INTERNAL_H
#define HPO_OPTIMIZERS_INTERNAL_H

#include "optimizers/optimizer.h"

/* The knobs of the sampler (tpe.c fills them from `tpe`'s options, bohb.c
 * from BOHB's). */
typedef struct tpe_settings {
    double gamma;            /* fraction of the observations that are "good"; 0:
                                Optuna's rule, min(ceil(0.1 n), 25) of them */
    long min_obs;            /* completed trials a budget needs before a model is
                                fitted on it */
    long n_candidates;       /* candidates drawn from l(x) for each pick */
    int multivariate;        /* one joint estimator over the unconditional parameters */
    double prior_weight;     /* weight of the prior (uniform-ish) component */
    double bandwidth_factor; /* candidates are drawn with bandwidths times this */
    long bohb_min;           /* > 0: BOHB's group sizes, at least this many good
                                and bad: max(bohb_min, gamma N) */
    int liar;                /* constant liar: every pick joins the model as a
                                worst-so-far observation before the next one */
} tpe_settings;

/* Pick configurations (space.h encoding) into values[first..n) from a model
 * fitted on the trials at the highest budget (NaN counts as one budget) that
 * has at least s->min_obs completed trials with a finite objective;
 * values[0..first) are the round's picks so far (known configs, and lies
 * under s->liar).  Returns n - first, or 0 with values untouched when no
 * budget has that many. */
int tpe_pick(const hpo_spec *spec, const hpo_history *h, const tpe_settings *s,
             hpo_rng *rng, int first, int n, double **values);

/* Whether config v (space.h encoding, NaN for inactive) equals a trial of
 * the history or one of picks[0..k): what tpe and gp draw again rather
 * than propose twice (optimizer.c). */
int config_known(const hpo_spec *spec, const hpo_history *h, double **picks, int k, const double *v);

/* The startup design of tpe and gp (optimizer.c): the first n_startup
 * trials of a sweep, however its rounds fall, are the scrambled Sobol'
 * points `sobol` would plan (random beyond SOBOL_MAX_DIM parameters).
 * design_places: how many of a round of max, from its first place on,
 * still belong to the design (0 once h->n reaches n_startup).
 * design_points: those configs into out[first..n), the Sobol' index
 * continuing from the history's trials. */
int design_places(const hpo_history *h, long n_startup, int max);
void design_points(const hpo_spec *spec, const hpo_history *h, hpo_rng *rng, int first, int n, hpo_proposal *out);

/* Which warp of the objective gp's model of this history takes (gp.c,
 * fit_model): 0 the objective itself, 1 its log warp, -1 no model yet (no
 * ranked trial, or no fit); and into *additive (when not NULL) whether its
 * kernel is the additive one.  For the tests: gp_propose() decides the
 * same way. */
int gp_objective_warp(const hpo_spec *spec, const hpo_history *h, int *additive);

/* Option helpers with FILE:LINE:COL messages naming the key, beyond
 * spec.h's: every key one of keys[] (NULL-terminated), a number strictly
 * inside (0, 1), true|false, and "algorithm.KEY: WHAT, got VALUE". */
int tpe_check_keys(const hpo_spec *spec, const char *name, const char *const *keys);
int tpe_open_fraction(const hpo_spec *spec, const char *key, double def, double *out);
int tpe_option_bool(const hpo_spec *spec, const char *key, int def, int *out);
int tpe_option_error(const hpo_spec *spec, const hpo_option *o, const char *what);

/* Fill values[0..n) with the configs that start a Hyperband iteration in
 * round `round` (values already hold Hyperband's own random draws). */
typedef int (*hb_fresh_fn)(const hpo_spec *spec, const hpo_history *h, int round,
                           int n, double **values);

/* Hyperband's propose() with `fresh` (NULL: Hyperband's random draws) for
 * the rung-0 configs; its check() for an algorithm called `name`. */
int hyperband_propose(const hpo_spec *spec, const hpo_history *h, int round, int max,
                      hpo_proposal *out, int *n, hb_fresh_fn fresh);
int hyperband_check(const hpo_spec *spec, const char *name);
/* Trials of one whole Hyperband iteration of the spec's fidelity. */
long hyperband_min_trials(const hpo_spec *spec);

/* ASHA's propose() for an algorithm called `name` (asha.c), with `fresh`
 * for the values of new configs (NULL: uniform draws); its check(); and
 * the budget of rung k of bracket s. */
int asha_propose(const hpo_spec *spec, const char *name, const hpo_history *h, int round, int max,
                 hpo_proposal *out, int *n, hb_fresh_fn fresh);
int asha_check(const hpo_spec *spec, const char *name);
double asha_budget(const hpo_spec *spec, int s, int k);

#endif
