/*
 * pshe2.c -- `pshe2`, PaddleHub AutoDL Finetuner's PSHE2: a swarm of
 * particles that move by Hamiltonian-like dynamics toward their own best
 * point and the swarm's best point, with a random kick each step.
 *
 * Per particle i and step t (PaddleHub's autoft.py, PSHE2.feedback):
 *   m <- (1 - 3 alpha / t) m - alpha (x - best_i) - alpha (x - best)
 *   x <- x + alpha m
 *   x <- x + (1 - x) r eps   if r >= 0,   x + (x + 1) r eps   if r < 0,
 *        r uniform in [-1, 1) per coordinate (the kick keeps x in [-1, 1])
 * in the space scaled to [-1, 1].  Options and PaddleHub's defaults: alpha
 * 0.5, epsilon 0.2, popsize 5, round 10 (PaddleHub's number of rounds, so
 * its documented budget is popsize * round = 50 trials).
 *
 * How it fits optimizer.h, and where it differs from PaddleHub:
 *  - The space is x = 2u - 1, u the unit-cube encoding of space.h, so log
 *    scales, ints and choices work (PaddleHub has linear floats and ints
 *    only); a position is clipped into [-1, 1] after the move, then decoded
 *    by space_decode, which rounds ints and picks choices.
 *  - The damping factor uses t = min(step, round): during PaddleHub's
 *    `round` rounds it is exactly PaddleHub's, and a sweep that runs longer
 *    keeps the last factor rather than letting it creep toward 1 (no
 *    damping: particles orbit the best forever).  It is also clamped at
 *    >= 0: with alpha > 2/3 the early factors would be negative, which
 *    flips the momentum instead of damping it.
 *  - Round 0: particle 0 at the PaddleHub init_value point when every
 *    parameter has one, the others drawn as PaddleHub does (uniform between
 *    that point and either wall; uniform in [-1, 1] without init values).
 *  - One hpo round is one step of every particle: the optimizer sizes its
 *    rounds (popsize trials; fewer only when budget.max_trials runs out),
 *    and parallel.round_size does not apply.
 *  - Purity: nothing is kept between calls.  propose(round R) replays steps
 *    1..R from round 0, the kick of step t drawn from the rng of (seed, t),
 *    reading only objectives from the history: the k-th trial of round t is
 *    particle k.  Failed, pruned and non-finite results never become a
 *    best; a particle with no best yet is pulled by the swarm's best only.
 *    PaddleHub's shared-list aliasing (its momentum rows are one list) is
 *    not reproduced: each particle has its own momentum.
 *  - mode: max is handled by negating the objective.
 */
#include "optimizers/optimizer.h"
#include "store/rank.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct pshe2_options {
    double alpha, epsilon;
    int popsize;
    long rounds;              /* PaddleHub's `round` */
} pshe2_options;

/* The swarm: positions, momenta, each particle's best and the swarm's. */
typedef struct swarm {
    int n, pop;
    double *x, *m, *best, *best_f;   /* pop * n, pop * n, pop * n, pop */
    double *gbest, gbest_f;          /* n */
    int has_gbest;
} swarm;

/* ---- options ----------------------------------------------------------- */

/* A number in (0, hi] (spec_option_double only knows closed ranges). */
static int read_positive(const hpo_spec *spec, const char *key, double def, double hi, const char *hi_text,
                         double *out)
{
    const hpo_option *o = spec_option(spec, key);
    if (!o) return *out = def, HPO_OK;
    char *end = NULL;
    double v = strtod(o->value, &end);
    int bad_text = end == o->value || *end != '\0';
    if (bad_text || !(v > 0 && v <= hi))
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: expected a number in (0, %s], got %s%s%s",
                         spec->path, o->line, o->col, key, hi_text, bad_text ? "\"" : "", o->value,
                         bad_text ? "\"" : "");
    *out = v;
    return HPO_OK;
}

static int read_options(const hpo_spec *spec, pshe2_options *o)
{
    long pop = 5;
    int r = read_positive(spec, "alpha", 0.5, 1.0, "1", &o->alpha);
    if (r == HPO_OK) r = spec_option_double(spec, "epsilon", 0.2, 0.0, 1.0, &o->epsilon);
    if (r == HPO_OK) r = spec_option_long(spec, "popsize", 5, 1, 10000, &pop);
    if (r == HPO_OK) r = spec_option_long(spec, "round", 10, 1, 1000000, &o->rounds);
    o->popsize = (int)pop;
    return r;
}

static int pshe2_check(const hpo_spec *spec)
{
    pshe2_options o;
    return read_options(spec, &o);
}

/* ---- the swarm --------------------------------------------------------- */

static void swarm_alloc(swarm *s, int n, int pop)
{
    size_t cells = (size_t)pop * (size_t)(n > 0 ? n : 1);
    s->n = n;
    s->pop = pop;
    s->x = xcalloc(cells, sizeof(double));
    s->m = xcalloc(cells, sizeof(double));
    s->best = xcalloc(cells, sizeof(double));
    s->best_f = xmalloc(sizeof(double) * (size_t)pop);
    for (int i = 0; i < pop; i++) s->best_f[i] = NAN;
    s->gbest = xcalloc((size_t)(n > 0 ? n : 1), sizeof(double));
    s->has_gbest = 0;
    s->gbest_f = NAN;
}

static void swarm_free(swarm *s)
{
    free(s->x);
    free(s->m);
    free(s->best);
    free(s->best_f);
    free(s->gbest);
}

/* PaddleHub's draw around a centre c: uniform between c and +1 or between
 * -1 and c, each side with probability 1/2 (uniform in [-1, 1] for c = 0). */
static double around(double c, double ratio)
{
    return ratio >= 0 ? c + (1 - c) * ratio : c + (c + 1) * ratio;
}

/* Round 0: particle 0 at the init point (if every parameter has one), the
 * others drawn around it (around the centre otherwise). */
static void swarm_start(swarm *s, const hpo_spec *spec)
{
    int n = s->n, all_init = n > 0;
    double *c = xcalloc((size_t)(n > 0 ? n : 1), sizeof(double));
    for (int j = 0; j < n; j++) all_init &= spec->space.params[j].has_init;
    if (all_init) {
        double *v = xmalloc(sizeof(double) * (size_t)n);
        for (int j = 0; j < n; j++) v[j] = spec->space.params[j].init;
        space_encode(&spec->space, v, c);
        for (int j = 0; j < n; j++) c[j] = 2 * c[j] - 1;
        free(v);
    }
    hpo_rng rng;
    rng_seed(&rng, spec->seed, 0, 0);
    for (int i = 0; i < s->pop; i++)
        for (int j = 0; j < n; j++) {
            double ratio = 2 * rng_uniform(&rng) - 1;   /* drawn even for particle 0: same stream either way */
            s->x[i * n + j] = all_init && i == 0 ? c[j] : around(c[j], ratio);
        }
    free(c);
}

/* Take in one round's results f[0..pop) (minimized; NaN: none usable).
 * Like PaddleHub, ties move a best to the newer point (<=), and the
 * swarm's best is the round's first best particle if it ties or beats it. */
static void swarm_feedback(swarm *s, const double *f)
{
    int n = s->n, round_best = -1;
    for (int i = 0; i < s->pop; i++) {
        if (isnan(f[i])) continue;
        if (isnan(s->best_f[i]) || f[i] <= s->best_f[i]) {
            s->best_f[i] = f[i];
            memcpy(&s->best[i * n], &s->x[i * n], sizeof(double) * (size_t)n);
        }
        if (round_best < 0 || f[i] < f[round_best]) round_best = i;
    }
    if (round_best >= 0 && (!s->has_gbest || f[round_best] <= s->gbest_f)) {
        s->has_gbest = 1;
        s->gbest_f = f[round_best];
        memcpy(s->gbest, &s->x[round_best * n], sizeof(double) * (size_t)n);
    }
}

/* Step t >= 1: momentum, move, clip, kick (rng of (seed, t)). */
static void swarm_step(swarm *s, const hpo_spec *spec, const pshe2_options *o, int t)
{
    int n = s->n;
    double tt = (double)(t < o->rounds ? t : o->rounds);
    double decay = fmax(0.0, 1 - 3 * o->alpha / tt), a = o->alpha;
    for (int i = 0; i < s->pop; i++)
        for (int j = 0; j < n; j++) {
            double x = s->x[i * n + j];
            /* No usable best yet: that pull is zero (its best is where it is). */
            double own = isnan(s->best_f[i]) ? x : s->best[i * n + j];
            double swarm_best = s->has_gbest ? s->gbest[j] : x;
            double m = decay * s->m[i * n + j] - a * (x - own) - a * (x - swarm_best);
            s->m[i * n + j] = m;
            s->x[i * n + j] = fmin(1.0, fmax(-1.0, x + a * m));
        }
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)t, 0);
    for (int i = 0; i < s->pop; i++)
        for (int j = 0; j < n; j++) {
            double ratio = 2 * rng_uniform(&rng) - 1, x = s->x[i * n + j];
            s->x[i * n + j] = ratio >= 0 ? x + (1 - x) * ratio * o->epsilon : x + (x + 1) * ratio * o->epsilon;
        }
}

/* f[t * pop + k]: the (minimized) objective of particle k in round t, NaN
 * where there is none usable. */
static double *results_by_round(const hpo_spec *spec, const hpo_history *h, int rounds, int pop)
{
    size_t cells = (size_t)(rounds > 0 ? rounds : 1) * (size_t)pop;
    double *f = xmalloc(sizeof(double) * cells);
    int *seen = xcalloc((size_t)(rounds > 0 ? rounds : 1), sizeof(int));
    for (size_t i = 0; i < cells; i++) f[i] = NAN;
    for (size_t t = 0; t < h->n; t++) {
        const hpo_trial_row *r = &h->trials[t];
        if (r->round < 0 || r->round >= rounds) continue;
        int k = seen[r->round]++;
        if (k >= pop || !trial_is_ranked(r)) continue;
        f[(size_t)r->round * pop + k] = spec->maximize ? -r->objective : r->objective;
    }
    free(seen);
    return f;
}

/* ---- propose ----------------------------------------------------------- */

static int pshe2_propose(const hpo_spec *spec, const hpo_history *h, int round,
                         int max, hpo_proposal *out, int *n_out)
{
    pshe2_options o;
    int r = read_options(spec, &o);
    if (r != HPO_OK) return r;
    int n = spec->space.n;
    swarm s;
    swarm_alloc(&s, n, o.popsize);
    swarm_start(&s, spec);
    double *f = results_by_round(spec, h, round, o.popsize);
    for (int t = 1; t <= round; t++) {
        swarm_feedback(&s, &f[(size_t)(t - 1) * o.popsize]);
        swarm_step(&s, spec, &o, t);
    }
    int m = max < o.popsize ? max : o.popsize;
    double *u = xmalloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    for (int k = 0; k < m; k++) {
        for (int j = 0; j < n; j++) u[j] = (s.x[k * n + j] + 1) / 2;
        space_decode(&spec->space, u, out[k].values);
    }
    proposals_fresh(spec, out, m > 0 ? m : 0);
    *n_out = m > 0 ? m : 0;
    free(u);
    free(f);
    swarm_free(&s);
    return HPO_OK;
}

const hpo_optimizer optimizer_pshe2 = {
    .name = "pshe2",
    .check = pshe2_check,
    .propose = pshe2_propose,
    .sizes_its_rounds = 1,
    .modes = HPO_MODES_ROUNDS,
    .default_mode = HPO_MODE_ROUNDS,
};
