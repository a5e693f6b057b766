/*
 * rng.c -- xoshiro256** seeded through splitmix64, normal deviates, and a
 * Sobol' sequence with Joe & Kuo's direction numbers (new-joe-kuo-6.21201,
 * first 21 dimensions), scrambled by a random digital shift.
 *
 * Why our own generator rather than rand()/random(): plans must be
 * byte-identical on every machine and libc, and after a kill and resume.
 */
#include "core/rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(hpo_rng *r, uint64_t seed, uint64_t round, uint64_t stream)
{
    /* Mix the three words so that neighbouring seeds, rounds and streams
     * give unrelated states. */
    uint64_t x = seed;
    x = splitmix64(&x) ^ (round * 0xd1b54a32d192ed03ULL);
    x = splitmix64(&x) ^ (stream * 0x8cb92ba72f3d8dd7ULL);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(hpo_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(hpo_rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t rng_below(hpo_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    /* Rejection keeps the draw exactly uniform. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng_next(r); while (x >= limit);
    return x % n;
}

double rng_normal(hpo_rng *r)
{
    /* Box-Muller; one deviate per call keeps the stream simple to replay. */
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Joe & Kuo: degree s, coefficients a, initial m_1..m_s, for dims 2.. */
static const struct { int s, a; uint32_t m[8]; } joe_kuo[SOBOL_MAX_DIM - 1] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
};

int sobol_init(hpo_sobol *q, int dim, hpo_rng *rng)
{
    if (dim < 1 || dim > SOBOL_MAX_DIM) return -1;
    memset(q, 0, sizeof *q);
    q->dim = dim;
    for (int k = 0; k < 32; k++) q->v[0][k] = 1u << (31 - k);
    for (int j = 1; j < dim; j++) {
        int s = joe_kuo[j - 1].s;
        uint32_t a = (uint32_t)joe_kuo[j - 1].a;
        uint32_t *v = q->v[j];
        for (int k = 0; k < s && k < 32; k++)
            v[k] = joe_kuo[j - 1].m[k] << (31 - k);
        for (int k = s; k < 32; k++) {
            v[k] = v[k - s] ^ (v[k - s] >> s);
            for (int i = 1; i < s; i++)
                if ((a >> (s - 1 - i)) & 1) v[k] ^= v[k - i];
        }
    }
    for (int j = 0; j < dim; j++) q->shift[j] = rng ? (uint32_t)(rng_next(rng) >> 32) : 0;
    return 0;
}

void sobol_point(const hpo_sobol *q, uint64_t index, double *out)
{
    for (int j = 0; j < q->dim; j++) {
        uint32_t x = 0;
        uint64_t n = index;
        for (int k = 0; n && k < 32; k++, n >>= 1)
            if (n & 1) x ^= q->v[j][k];
        out[j] = (double)(x ^ q->shift[j]) * 0x1.0p-32;
    }
}
