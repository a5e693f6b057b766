/*
 * optimizer.c -- the table of search algorithms behind optimizer.h.
 */
#include "optimizers/optimizer.h"
#include "core/util.h"

#include <math.h>
#include <string.h>

static const hpo_optimizer *const optimizers[] = {
    &optimizer_random,
    &optimizer_grid,
    &optimizer_sobol,
    &optimizer_sh,          /* successive halving: lib/optimizers/hyperband.c */
    &optimizer_hyperband,
    &optimizer_pbt,         /* population based training: lib/optimizers/pbt.c */
    &optimizer_cmaes,
    &optimizer_hazero,      /* PaddleHub's name for cmaes: lib/optimizers/cmaes.c */
    &optimizer_pshe2,
    &optimizer_tpe,         /* lib/optimizers/tpe.c */
    &optimizer_bohb,        /* Hyperband + TPE: lib/optimizers/bohb.c */
    &optimizer_asha,        /* asynchronous successive halving: lib/optimizers/asha.c */
};

const hpo_optimizer *optimizer_find(const char *name)
{
    for (size_t i = 0; i < sizeof optimizers / sizeof *optimizers; i++)
        if (strcmp(optimizers[i]->name, name) == 0) return optimizers[i];
    return NULL;
}

/* parallel.mode against what the algorithm can do. */
static int check_mode(const hpo_spec *spec, const hpo_optimizer *o)
{
    hpo_sweep_mode m = optimizer_sweep_mode(spec);
    unsigned need = m == HPO_MODE_WORKERS ? HPO_MODES_WORKERS : HPO_MODES_ROUNDS;
    if (o->modes & need) return HPO_OK;
    const char *why = m == HPO_MODE_ROUNDS ? "it runs in workers mode only (mode: workers)"
                    : strcmp(o->name, "hyperband") == 0 || strcmp(o->name, "sh") == 0
                        ? "its rungs are synchronous; asha is its asynchronous form (algorithm: {name: asha}, "
                          "with brackets: N for asynchronous Hyperband)"
                        : "its generations are synchronous, so it runs in rounds only (mode: rounds)";
    return hpo_error(HPO_ESPEC, "%s:%d:%d: parallel.mode: %s cannot run in %s mode: %s", spec->path,
                     spec->mode_line ? spec->mode_line : spec->algorithm_line,
                     spec->mode_line ? spec->mode_col : spec->algorithm_col, o->name,
                     m == HPO_MODE_WORKERS ? "workers" : "rounds", why);
}

int optimizer_for_spec(hpo_spec *spec, const hpo_optimizer **out)
{
    const hpo_optimizer *o = optimizer_find(spec->algorithm);
    if (!o)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.name: '%s' is not available in this "
                         "version of hpo (available: random, grid, sobol, sh, hyperband, pbt, cmaes, hazero, pshe2, tpe, bohb, asha)",
                         spec->path, spec->algorithm_line, spec->algorithm_col, spec->algorithm);
    if (o->min_trials && !spec->max_trials_line && spec->fidelity.enabled) {
        long m = o->min_trials(spec);
        if (m > spec->max_trials) spec->max_trials = m;
    }
    int r = o->check ? o->check(spec) : HPO_OK;
    if (r == HPO_OK) r = check_mode(spec, o);
    if (r == HPO_OK) *out = o;
    return r;
}

hpo_sweep_mode optimizer_sweep_mode(const hpo_spec *spec)
{
    if (spec->mode != HPO_MODE_DEFAULT) return spec->mode;
    const hpo_optimizer *o = optimizer_find(spec->algorithm);
    return o ? o->default_mode : HPO_MODE_ROUNDS;
}

void proposals_fresh(const hpo_spec *spec, hpo_proposal *out, int n)
{
    for (int i = 0; i < n; i++) {
        out[i].budget = spec->fidelity.enabled ? spec->fidelity.max : NAN;
        out[i].parent_id = -1;
        out[i].bracket = out[i].rung = -1;
    }
}
