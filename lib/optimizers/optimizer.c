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
};

const hpo_optimizer *optimizer_find(const char *name)
{
    for (size_t i = 0; i < sizeof optimizers / sizeof *optimizers; i++)
        if (strcmp(optimizers[i]->name, name) == 0) return optimizers[i];
    return NULL;
}

int optimizer_for_spec(const hpo_spec *spec, const hpo_optimizer **out)
{
    const hpo_optimizer *o = optimizer_find(spec->algorithm);
    if (!o)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.name: '%s' is not available in this "
                         "version of hpo (available: random, grid, sobol, sh, hyperband, pbt, cmaes, hazero, pshe2, tpe, bohb)",
                         spec->path, spec->algorithm_line, spec->algorithm_col, spec->algorithm);
    int r = o->check ? o->check(spec) : HPO_OK;
    if (r == HPO_OK) *out = o;
    return r;
}

void proposals_fresh(const hpo_spec *spec, hpo_proposal *out, int n)
{
    for (int i = 0; i < n; i++) {
        out[i].budget = spec->fidelity.enabled ? spec->fidelity.max : NAN;
        out[i].parent_id = -1;
        out[i].bracket = out[i].rung = -1;
    }
}
