/*
 * bohb.c -- BOHB (`bohb`; Falkner, Klein & Hutter 2018): Hyperband whose new
 * configs come from a TPE-style model instead of uniform draws.
 *
 * The schedule is Hyperband's, unchanged (hyperband.c: the same brackets,
 * packing of rungs into rounds, promotions and parents); only the configs
 * that start an iteration differ.  Each of them is, with probability
 * `random_fraction` (1/3), Hyperband's own random draw, otherwise a pick of
 * tpe.c's sampler fitted on the trials at the highest budget that has more
 * than `min_points_in_model` completed trials (default: parameters + 1, so
 * that the good group can span the space).  As in BOHB:
 *  - good = the best max(min_points_in_model, gamma N) trials (gamma 0.15,
 *    BOHB's top_n_percent), bad = the rest (failed ones included, as tpe);
 *  - multivariate: one joint kernel density over the unconditional
 *    parameters (Scott's-rule bandwidths);
 *  - n_ei_candidates (64) candidates drawn from l with the bandwidths times
 *    `bandwidth_factor` (3: wider, to explore), the best l/g kept.
 * The picks of one iteration are independent draws from the one model, as
 * in BOHB (no constant liar), except that a config already tried or picked
 * is drawn again (tpe.c).  Until some budget has enough trials every fresh
 * config is random: the first iteration is exactly Hyperband's.
 *
 * In workers mode (parallel.mode: workers) the schedule is asha.c's
 * asynchronous promotions instead of Hyperband's rounds; the new configs
 * come from the same hook.
 *
 * Options: min_points_in_model 1..1000, gamma (0,1), n_ei_candidates
 * 1..10000, random_fraction [0,1], bandwidth_factor [0.1, 10],
 * multivariate true|false (true).
 */
#include "optimizers/internal.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct bohb_opts {
    tpe_settings s;
    double random_fraction;
} bohb_opts;

static const char *const bohb_keys[] = {"min_points_in_model", "gamma", "n_ei_candidates", "random_fraction",
                                        "bandwidth_factor", "multivariate", NULL};

static int bohb_read(const hpo_spec *spec, bohb_opts *o)
{
    memset(o, 0, sizeof *o);
    o->s.prior_weight = 1.0;
    int r;
    long n_min;
    if ((r = tpe_check_keys(spec, "bohb", bohb_keys))) return r;
    if ((r = spec_option_long(spec, "min_points_in_model", spec->space.n + 1, 1, 1000, &n_min))) return r;
    if ((r = tpe_open_fraction(spec, "gamma", 0.15, &o->s.gamma))) return r;
    if ((r = spec_option_long(spec, "n_ei_candidates", 64, 1, 10000, &o->s.n_candidates))) return r;
    if ((r = spec_option_double(spec, "random_fraction", 1.0 / 3, 0, 1, &o->random_fraction))) return r;
    if ((r = spec_option_double(spec, "bandwidth_factor", 3, 0.1, 10, &o->s.bandwidth_factor))) return r;
    if ((r = tpe_option_bool(spec, "multivariate", 1, &o->s.multivariate))) return r;
    /* BOHB fits a model once a budget has MORE than min_points_in_model
     * trials, so that its bad group is never empty. */
    o->s.min_obs = n_min + 1;
    o->s.bohb_min = n_min;
    o->s.liar = 0;
    return HPO_OK;
}

static int bohb_check(const hpo_spec *spec)
{
    int workers = optimizer_sweep_mode(spec) == HPO_MODE_WORKERS;
    int r = workers ? asha_check(spec, "bohb") : hyperband_check(spec, "bohb");
    bohb_opts o;
    return r != HPO_OK ? r : bohb_read(spec, &o);
}

/* The hook: overwrite a random (1 - random_fraction) share of Hyperband's
 * draws with model picks (all of them stay random until a model can be fitted). */
static int bohb_fresh(const hpo_spec *spec, const hpo_history *h, int round, int n, double **values)
{
    bohb_opts o;
    int r = bohb_read(spec, &o);
    if (r != HPO_OK) return r;
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)round, 4);
    double **model = xmalloc(sizeof(double *) * (size_t)(n + 1));
    int m = 0;
    for (int i = 0; i < n; i++)
        if (rng_uniform(&rng) >= o.random_fraction) model[m++] = values[i];
    tpe_pick(spec, h, &o.s, &rng, 0, m, model);
    free(model);
    return HPO_OK;
}

/* In rounds mode, one whole Hyperband iteration. */
static long bohb_min_trials(const hpo_spec *spec)
{
    return optimizer_sweep_mode(spec) == HPO_MODE_WORKERS ? 0 : hyperband_min_trials(spec);
}

/* In workers mode the schedule is ASHA's (asynchronous BOHB, as in
 * Optuna's TPE + Hyperband pruner and HpBandSter's asynchronous mode): the
 * same hook gives the new configs. */
static int bohb_propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out, int *n)
{
    if (optimizer_sweep_mode(spec) == HPO_MODE_WORKERS)
        return asha_propose(spec, "bohb", h, round, max, out, n, bohb_fresh);
    return hyperband_propose(spec, h, round, max, out, n, bohb_fresh);
}

const hpo_optimizer optimizer_bohb = {
    .name = "bohb",
    .check = bohb_check,
    .propose = bohb_propose,
    .sizes_its_rounds = 1,
    .modes = HPO_MODES_BOTH,
    .default_mode = HPO_MODE_WORKERS,
    .min_trials = bohb_min_trials,
};
