/*
 * pbt.c -- population based training, `pbt` (Jaderberg et al. 2017; the
 * "evolution" of Baidu BML and PaddleHub's population-based evaluator).
 *
 * A population of `population_size` members (default 8) trains in
 * generations of `perturbation_interval` budget units (default
 * fidelity.min): generation g's trial of a member trains to budget
 * (g+1)*interval, capped at fidelity.max, resuming from the checkpoint of
 * the member's trial of generation g-1.  One hpo round is one generation,
 * so the whole population runs as one array job.
 *
 * When generation g is over, planning g+1:
 *  - the members ranked in the worst `perturbation_ratio` (default 0.25;
 *    ceil(ratio * population), at most half of it) EXPLOIT: each copies
 *    the config of a member drawn at random from the best
 *    `perturbation_ratio` and takes that member's trial as its parent, so
 *    it resumes from that checkpoint;
 *  - then EXPLORE: every numeric parameter of the copy is multiplied by 0.8
 *    or 1.2 (clipped to its bounds; an int is rounded and, if rounding
 *    undid the move, moved by 1 the same way, so small ints do not stick);
 *    a choice moves to a neighbouring value (at an end, to the only one).
 *    A parameter the new values make active gets a fresh random value, one
 *    they make inactive is dropped.  A float at 0 stays 0 (the move is
 *    multiplicative, as in Ray Tune's PBT).
 *  - with `random_init_probability` (default 0) an exploiting member takes
 *    a fresh random config instead, with no parent: a new point of the
 *    space (BML's semantics) starts from scratch, trained from nothing to
 *    the generation's budget, since weights trained under other
 *    hyperparameters are not that point's.
 *  - every other member continues: same config, its own last trial as
 *    parent.
 * A member whose trial failed, was pruned or reported no finite objective
 * is exploited like the worst.  If no member of generation g completed
 * there is nothing to copy, and the replaced members start afresh.
 *
 * `rounds` generations (default ceil(fidelity.max / interval), i.e. until
 * fidelity.max is reached; more would resume at fidelity.max and train
 * nothing), then the search has nothing more to propose.
 *
 * Lineage: for PBT, /trials.bracket holds the MEMBER index (0 ..
 * population_size-1) and /trials.rung the GENERATION; parent_id always
 * names the trial whose checkpoint a trial resumed from (-1: a fresh
 * start).  So a member's schedule of hyperparameters is its rows ordered
 * by rung, and a trial's ancestry follows parent_id across members.
 *
 * keep_checkpoints: best (sweep/decide.c) deletes the checkpoints of the last
 * generation's trials that are not parents of the next one: a continuing
 * member's and a copied member's checkpoint are parents, so they stay; an
 * exploited member's own goes.
 *
 * Purity: the generation, the members and their ranks are read back from
 * the last round of the history (bracket, rung, status, objective); the
 * random draws come from an hpo_rng seeded with (seed, round).
 */
#include "optimizers/optimizer.h"
#include "store/journal.h"
#include "core/util.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PBT_STREAM 11                 /* rng stream of PBT's draws */
#define PBT_MAX_POPULATION 10000

typedef struct pbt_options {
    long population;
    double interval;                  /* budget units per generation */
    double ratio;                     /* perturbation_ratio, in (0, 0.5] */
    double random_init;               /* random_init_probability */
    long generations;                 /* rounds */
} pbt_options;

static const char *const option_names[] = {"population_size", "perturbation_interval", "perturbation_ratio",
                                           "random_init_probability", "rounds", NULL};

/* ---- options ---------------------------------------------------------- */

/* A typo in an option name would silently fall back to the default. */
static int check_option_names(const hpo_spec *spec)
{
    for (int i = 0; i < spec->n_options; i++) {
        const hpo_option *o = &spec->options[i];
        int known = 0;
        for (const char *const *k = option_names; *k && !known; k++) known = strcmp(*k, o->key) == 0;
        if (!known)
            return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: not an option of pbt (its options: "
                             "population_size, perturbation_interval, perturbation_ratio, "
                             "random_init_probability, rounds)", spec->path, o->line, o->col, o->key);
    }
    return HPO_OK;
}

/* perturbation_ratio: 0 would exploit nobody and over 0.5 the worst and the
 * best would overlap, so the range is (0, 0.5], open at 0, which
 * spec_option_double (closed ranges) cannot say. */
static int ratio_option(const hpo_spec *spec, double *out)
{
    const hpo_option *o = spec_option(spec, "perturbation_ratio");
    if (!o) return *out = 0.25, HPO_OK;
    char *end;
    double v = strtod(o->value, &end);
    int number = end != o->value && *end == '\0' && isfinite(v);
    if (!number || v <= 0 || v > 0.5)
        return hpo_error(HPO_ESPEC, number ? "%s:%d:%d: algorithm.perturbation_ratio: expected a number in "
                                             "(0, 0.5], got %s"
                                           : "%s:%d:%d: algorithm.perturbation_ratio: expected a number in "
                                             "(0, 0.5], got \"%s\"",
                         spec->path, o->line, o->col, o->value);
    *out = v;
    return HPO_OK;
}

/* rounds: at most the generations it takes to reach fidelity.max. */
static int rounds_option(const hpo_spec *spec, const pbt_options *o, long *out)
{
    long most = (long)ceil(spec->fidelity.max / o->interval - 1e-9);
    int r = spec_option_long(spec, "rounds", most, 1, LONG_MAX, out);
    if (r != HPO_OK || *out <= most) return r;
    const hpo_option *opt = spec_option(spec, "rounds");
    return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.rounds: expected an integer in [1, %ld] (generations "
                     "of perturbation_interval %g until fidelity.max %g), got %s",
                     spec->path, opt->line, opt->col, most, o->interval, spec->fidelity.max, opt->value);
}

static int options_of(const hpo_spec *spec, pbt_options *o)
{
    int r;
    if ((r = check_option_names(spec))) return r;
    if ((r = spec_option_long(spec, "population_size", 8, 2, PBT_MAX_POPULATION, &o->population))) return r;
    if ((r = spec_option_double(spec, "perturbation_interval", spec->fidelity.min, spec->fidelity.min,
                                spec->fidelity.max, &o->interval)))
        return r;
    if ((r = ratio_option(spec, &o->ratio))) return r;
    if ((r = spec_option_double(spec, "random_init_probability", 0, 0, 1, &o->random_init))) return r;
    return rounds_option(spec, o, &o->generations);
}

/* ---- explore ---------------------------------------------------------- */

/* A fresh value of parameter i alone (its condition aside): space_decode on
 * a one-parameter space, so the sampling is the same as space_sample's. */
static double sample_one(const hpo_space *s, int i, hpo_rng *rng)
{
    hpo_param p = s->params[i];
    p.cond.parent = -1;
    hpo_space one = {.n = 1, .params = &p};
    double u = rng_uniform(rng), v;
    space_decode(&one, &u, &v);
    return v;
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static double perturb_one(const hpo_param *p, double v, hpo_rng *rng)
{
    int up = rng_below(rng, 2) == 1;
    if (p->type == HPO_PARAM_CHOICE) {
        if (p->n_choices < 2) return v;
        double to = v + (up ? 1 : -1);
        if (to < 0) to = 1;                                   /* the first value's only neighbour */
        if (to > p->n_choices - 1) to = p->n_choices - 2;     /* the last value's */
        return to;
    }
    double moved = v * (up ? 1.2 : 0.8);
    if (p->type == HPO_PARAM_INT) {
        /* Which way the move went (x1.2 of a negative value goes down). */
        double dir = moved > v ? 1 : moved < v ? -1 : up ? 1 : -1;
        moved = round(moved);
        if (moved == v) moved = v + dir;
    }
    return clip(moved, p->low, p->high);
}

/* The copied config `src`, perturbed into `out`, in declaration order so
 * each parameter's activity follows the new values before it. */
static void explore(const hpo_space *s, const double *src, double *out, hpo_rng *rng)
{
    for (int i = 0; i < s->n; i++) {
        if (!space_is_active(s, i, out)) out[i] = NAN;
        else if (isnan(src[i])) out[i] = sample_one(s, i, rng);   /* newly active */
        else out[i] = perturb_one(&s->params[i], src[i], rng);
    }
}

/* ---- generations ------------------------------------------------------ */

static double generation_budget(const hpo_spec *spec, const pbt_options *o, int g)
{
    double b = (g + 1) * o->interval;
    if (b >= spec->fidelity.max) return spec->fidelity.max;
    /* 12 significant digits, as Hyperband's: 3 * 0.1 reaches the trial as
     * 0.3, not as 0.30000000000000004. */
    char text[32];
    snprintf(text, sizeof text, "%.12g", b);
    return strtod(text, NULL);
}

static void set_position(hpo_proposal *p, double budget, long parent, long member, int g)
{
    p->budget = budget;
    p->parent_id = parent;
    p->bracket = (int)member;
    p->rung = g;
}

static void copy_config(const hpo_spec *spec, const hpo_history *h, long t, double *out)
{
    for (int p = 0; p < spec->space.n; p++) out[p] = h->config[p][t];
}

/* Generation 0: random configs, fresh starts. */
static int first_generation(const hpo_spec *spec, const pbt_options *o, hpo_rng *rng, int max,
                            hpo_proposal *out)
{
    int n = 0;
    for (long m = 0; m < o->population && n < max; m++, n++) {
        space_sample(&spec->space, rng, out[n].values);
        set_position(&out[n], generation_budget(spec, o, 0), -1, m, 0);
    }
    return n;
}

static const hpo_spec *rank_spec;
static const hpo_trial_row *rank_rows;

/* Best objective first; ties by the earlier trial, so the order is total. */
static int by_objective(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    double ox = rank_rows[x].objective, oy = rank_rows[y].objective;
    if (ox != oy) return (rank_spec->maximize ? ox > oy : ox < oy) ? -1 : 1;
    return x < y ? -1 : 1;
}

/* The last generation: member m's trial (-1 if it has none), the trials
 * that completed with a finite objective, best first, and member m's place
 * in that ranking (-1: failed, pruned, no objective or no trial). */
typedef struct generation {
    int g;
    long *trial;        /* [population] */
    long *ranked;       /* [n_ranked] trial ids */
    long n_ranked;
    long *rank;         /* [population] */
} generation;

static void read_generation(const hpo_spec *spec, const pbt_options *o, const hpo_history *h, generation *gen)
{
    gen->g = h->trials[h->n - 1].rung;
    gen->trial = xcalloc((size_t)o->population, sizeof(long));
    gen->ranked = xcalloc((size_t)o->population, sizeof(long));
    gen->rank = xcalloc((size_t)o->population, sizeof(long));
    gen->n_ranked = 0;
    for (long m = 0; m < o->population; m++) gen->trial[m] = gen->rank[m] = -1;
    int last_round = h->trials[h->n - 1].round;
    for (size_t t = h->n; t-- > 0 && h->trials[t].round == last_round;) {
        const hpo_trial_row *r = &h->trials[t];
        if (r->rung == gen->g && r->bracket >= 0 && r->bracket < o->population) gen->trial[r->bracket] = (long)t;
    }
    for (long m = 0; m < o->population; m++) {
        long t = gen->trial[m];
        if (t >= 0 && strcmp(h->trials[t].status, HPO_STATUS_COMPLETED) == 0 && isfinite(h->trials[t].objective))
            gen->ranked[gen->n_ranked++] = t;
    }
    rank_spec = spec;
    rank_rows = h->trials;
    qsort(gen->ranked, (size_t)gen->n_ranked, sizeof(long), by_objective);
    for (long i = 0; i < gen->n_ranked; i++) gen->rank[h->trials[gen->ranked[i]].bracket] = i;
}

static void generation_free(generation *gen)
{
    free(gen->trial);
    free(gen->ranked);
    free(gen->rank);
}

/* Generation g+1 from generation g: continue, or exploit and explore. */
static int next_generation(const hpo_spec *spec, const pbt_options *o, const generation *gen, const hpo_history *h,
                           hpo_rng *rng, int max, hpo_proposal *out)
{
    /* The quantile, as Ray Tune computes it: ceil(ratio * population),
     * at most half the population so the best and the worst never meet. */
    long k = (long)ceil(o->ratio * (double)o->population - 1e-9);
    if (k > o->population / 2) k = o->population / 2;
    long top = k < gen->n_ranked ? k : gen->n_ranked;
    long worst = k < gen->n_ranked - top ? k : gen->n_ranked - top;
    double budget = generation_budget(spec, o, gen->g + 1);
    double *src = xcalloc((size_t)spec->space.n + 1, sizeof(double));
    int n = 0;
    for (long m = 0; m < o->population && n < max; m++, n++) {
        long t = gen->trial[m], rank = gen->rank[m];
        if (rank >= 0 && rank < gen->n_ranked - worst) {             /* continue */
            copy_config(spec, h, t, out[n].values);
            set_position(&out[n], budget, t, m, gen->g + 1);
        } else if (top == 0 || rng_uniform(rng) < o->random_init) {  /* a new random point */
            space_sample(&spec->space, rng, out[n].values);
            set_position(&out[n], budget, -1, m, gen->g + 1);
        } else {                                                     /* exploit, explore */
            long from = gen->ranked[rng_below(rng, (uint64_t)top)];
            copy_config(spec, h, from, src);
            explore(&spec->space, src, out[n].values, rng);
            set_position(&out[n], budget, from, m, gen->g + 1);
        }
    }
    free(src);
    return n;
}

static int propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out, int *n)
{
    pbt_options o;
    int r = options_of(spec, &o);
    if (r != 0) return r;
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)round, PBT_STREAM);
    *n = 0;
    if (h->n == 0 || h->trials[h->n - 1].rung < 0) {
        *n = first_generation(spec, &o, &rng, max, out);
        return 0;
    }
    generation gen;
    read_generation(spec, &o, h, &gen);
    /* After the last generation: nothing more, and the sweep ends. */
    if (gen.g + 1 < o.generations) *n = next_generation(spec, &o, &gen, h, &rng, max, out);
    generation_free(&gen);
    return 0;
}

static int check(const hpo_spec *spec)
{
    if (!spec->fidelity.enabled)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.name: pbt needs a fidelity: section, the budget "
                         "its generations train to (e.g. fidelity: {param: epochs, min: 1, max: 20})",
                         spec->path, spec->algorithm_line, spec->algorithm_col);
    pbt_options o;
    return options_of(spec, &o);
}

const hpo_optimizer optimizer_pbt = {
    .name = "pbt",
    .check = check,
    .propose = propose,
    .sizes_its_rounds = 1,
    .modes = HPO_MODES_ROUNDS,
    .default_mode = HPO_MODE_ROUNDS,
};
