/*
 * sobol.c -- quasi-random search along a scrambled Sobol' sequence: covers
 * the space more evenly than random draws, so it is the usual choice for
 * the first, space-filling trials of a sweep.
 */
#include "optimizers/optimizer.h"
#include "core/util.h"

#include <stdlib.h>

static int sobol_check(const hpo_spec *spec)
{
    if (spec->space.n > SOBOL_MAX_DIM)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm: sobol supports at most %d parameters "
                         "(this space has %d); use random", spec->path, spec->algorithm_line,
                         spec->algorithm_col, SOBOL_MAX_DIM, spec->space.n);
    return HPO_OK;
}

static int sobol_propose(const hpo_spec *spec, const hpo_history *h, int round,
                         int max, hpo_proposal *out, int *n)
{
    (void)round;
    hpo_rng rng;
    hpo_sobol q;
    rng_seed(&rng, spec->seed, 0, 1);   /* one scramble for the whole sweep */
    sobol_init(&q, spec->space.n > 0 ? spec->space.n : 1, &rng);
    double *u = xmalloc(sizeof(double) * (size_t)(spec->space.n + 1));
    for (int i = 0; i < max; i++) {
        /* The point index continues from the trials planned so far. */
        sobol_point(&q, h->n + (uint64_t)i, u);
        space_decode(&spec->space, u, out[i].values);
    }
    proposals_fresh(spec, out, max);
    free(u);
    *n = max;
    return 0;
}

const hpo_optimizer optimizer_sobol = {
    .name = "sobol",
    .check = sobol_check,
    .propose = sobol_propose,
    .modes = HPO_MODES_BOTH,
    .default_mode = HPO_MODE_ROUNDS,
};
