/*
 * grid.c -- grid search: the product of every choice and `grid_points`
 * values of each numeric parameter (space.c builds the grid), walked in
 * order, a round at a time, until it is exhausted.
 */
#include "optimizers/optimizer.h"
#include "core/util.h"

#include <stdlib.h>

static int grid_check(const hpo_spec *spec)
{
    if (space_grid_size(&spec->space) == 0)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm: the grid of this space has more than "
                         "2^40 points; lower grid_points", spec->path, spec->algorithm_line,
                         spec->algorithm_col);
    return HPO_OK;
}

static int grid_propose(const hpo_spec *spec, const hpo_history *h, int round,
                        int max, hpo_proposal *out, int *n)
{
    (void)round;
    /* The grid position is the number of trials planned so far: a pure
     * function of the history. */
    double **values = xcalloc((size_t)max + 1, sizeof(double *));
    for (int i = 0; i < max; i++) values[i] = out[i].values;
    int k = space_grid_points(&spec->space, h->n, max, values);
    free(values);
    proposals_fresh(spec, out, k);
    *n = k;
    return 0;
}

const hpo_optimizer optimizer_grid = {
    .name = "grid",
    .check = grid_check,
    .propose = grid_propose,
    .modes = HPO_MODES_BOTH,
    .default_mode = HPO_MODE_ROUNDS,
};
