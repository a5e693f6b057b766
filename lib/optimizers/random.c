/*
 * random.c -- random search: every trial drawn independently and uniformly
 * (log-uniformly on log scales).  The baseline every other algorithm must
 * beat, and often hard to beat in high dimensions.
 */
#include "optimizers/optimizer.h"

static int random_propose(const hpo_spec *spec, const hpo_history *h, int round,
                          int max, hpo_proposal *out, int *n)
{
    (void)h;
    hpo_rng rng;
    /* One stream per round: the round's draws do not depend on how many
     * trials earlier rounds had. */
    rng_seed(&rng, spec->seed, (uint64_t)round, 0);
    for (int i = 0; i < max; i++) space_sample(&spec->space, &rng, out[i].values);
    proposals_fresh(spec, out, max);
    *n = max;
    return 0;
}

const hpo_optimizer optimizer_random = {
    .name = "random",
    .check = NULL,
    .propose = random_propose,
    .modes = HPO_MODES_BOTH,
    .default_mode = HPO_MODE_ROUNDS,
};
