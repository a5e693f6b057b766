/*
 * rng.h -- deterministic random numbers and low-discrepancy sequences.
 *
 * Every optimizer draws from an hpo_rng seeded from (spec seed, round,
 * stream), never from global state, so that a plan is a pure function of
 * the spec, the seed, the round and the history: the resume guarantee.
 */
#ifndef HPO_RNG_H
#define HPO_RNG_H

#include <stdint.h>

typedef struct hpo_rng { uint64_t s[4]; } hpo_rng;   /* xoshiro256** */

/* Seed from any number of 64-bit words (e.g. seed, round, stream). */
void rng_seed(hpo_rng *r, uint64_t seed, uint64_t round, uint64_t stream);
uint64_t rng_next(hpo_rng *r);
/* Uniform in [0, 1). */
double rng_uniform(hpo_rng *r);
/* Uniform integer in [0, n). */
uint64_t rng_below(hpo_rng *r, uint64_t n);
/* Standard normal. */
double rng_normal(hpo_rng *r);

/* Sobol' sequence, scrambled by a random digital shift drawn from `rng`. */
#define SOBOL_MAX_DIM 21
typedef struct hpo_sobol {
    int dim;
    uint32_t v[SOBOL_MAX_DIM][32];   /* direction numbers */
    uint32_t shift[SOBOL_MAX_DIM];
} hpo_sobol;

int sobol_init(hpo_sobol *q, int dim, hpo_rng *rng);
/* The index-th point (index >= 0), in [0,1)^dim. */
void sobol_point(const hpo_sobol *q, uint64_t index, double *out);

#endif
