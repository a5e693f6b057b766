/*
 * hyperband.c -- successive halving (`sh`) and Hyperband (`hyperband`),
 * the multi-fidelity schedulers (Jamieson & Talwalkar 2016; Li et al. 2018).
 *
 * With budgets from fidelity.min to fidelity.max and s_max =
 * floor(log_eta(max/min)), bracket s starts n_s = ceil((s_max+1)/(s+1) *
 * eta^s) configs at budget r_s = max * eta^-s; its rung k keeps the best
 * floor(n_s * eta^-k) of rung k-1 at budget r_s * eta^k.  Successive halving
 * is the one bracket s = s_max (with n = algorithm.n configs, default
 * eta^s_max).  For min=1, max=81, eta=3 Hyperband's brackets are
 *   s=4: 81@1 27@3 9@9 3@27 1@81    s=3: 34@3 11@9 3@27 1@81
 *   s=2: 15@9 5@27 1@81             s=1: 8@27 2@81     s=0: 5@81
 *
 * Packing: round k of an iteration holds rung k of EVERY bracket still
 * going, so all of them run in one array job and the cluster never waits on
 * one bracket's stragglers: an iteration takes s_max+1 rounds, not the sum
 * of the brackets' rungs.  When an iteration is over the next one starts.
 *
 * Purity: the state is read back from the history (each trial's bracket
 * and rung are in the plan and in /trials), never kept.  A promoted trial
 * has parent_id set, so it resumes from its parent's checkpoint.  A failed
 * (or pruned) trial is never promoted.
 *
 * BOHB (bohb.c) is this scheduler with another source for the fresh configs
 * of rung 0: hyperband_propose() takes a hook that overwrites Hyperband's
 * random draws (internal.h); everything else is the same code.
 */
#include "optimizers/internal.h"
#include "store/journal.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct geometry {
    double min, max, eta;
    int s_max;
    int only_s;      /* successive halving: the one bracket; -1 for Hyperband */
    long sh_n;       /* successive halving: configs of its first rung */
} geometry;

static int geometry_of(const hpo_spec *spec, int sh, geometry *g)
{
    g->min = spec->fidelity.min;
    g->max = spec->fidelity.max;
    g->eta = spec->fidelity.eta;
    g->s_max = (int)floor(log(g->max / g->min) / log(g->eta) + 1e-9);
    g->only_s = sh ? g->s_max : -1;
    g->sh_n = (long)ceil(pow(g->eta, g->s_max) - 1e-9);
    return sh ? spec_option_long(spec, "n", g->sh_n, 1, 1000000, &g->sh_n) : HPO_OK;
}

/* Configs of bracket s at rung k. */
static long rung_size(const geometry *g, int s, int k)
{
    double n0 = g->only_s >= 0 ? (double)g->sh_n : ceil((g->s_max + 1.0) / (s + 1.0) * pow(g->eta, s) - 1e-9);
    return (long)floor(n0 * pow(g->eta, -k) + 1e-9);
}

static double rung_budget(const geometry *g, int s, int k)
{
    double b = g->max * pow(g->eta, k - s);
    if (b > g->max) return g->max;
    /* 12 significant digits: 0.9 * 3^-2 reaches the trial as 0.1, not as
     * 0.09999999999999999. */
    char text[32];
    snprintf(text, sizeof text, "%.12g", b);
    return strtod(text, NULL);
}

static int first_bracket(const geometry *g) { return g->s_max; }
static int last_bracket(const geometry *g) { return g->only_s >= 0 ? g->only_s : 0; }

static void propose_one(hpo_proposal *p, double budget, long parent, int s, int k)
{
    p->budget = budget;
    p->parent_id = parent;
    p->bracket = s;
    p->rung = k;
}

/* Rung 0 of every bracket into out[0..*np): fresh random configs, or the
 * hook's.  Returns the hook's error, if any. */
static int start_iteration(const hpo_spec *spec, const geometry *g, const hpo_history *h, int round, int max,
                           hpo_proposal *out, hb_fresh_fn fresh, int *np)
{
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)round, 2);
    int n = 0, r = 0;
    for (int s = first_bracket(g); s >= last_bracket(g) && n < max; s--)
        for (long i = 0; i < rung_size(g, s, 0) && n < max; i++, n++) {
            space_sample(&spec->space, &rng, out[n].values);
            propose_one(&out[n], rung_budget(g, s, 0), -1, s, 0);
        }
    if (fresh && n > 0) {
        double **values = xmalloc(sizeof(double *) * (size_t)n);
        for (int i = 0; i < n; i++) values[i] = out[i].values;
        r = fresh(spec, h, round, n, values);
        free(values);
    }
    *np = r == 0 ? n : 0;
    return r;
}

static const hpo_spec *rank_spec;
static const hpo_trial_row *rank_rows;

static int by_objective(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    double ox = rank_rows[x].objective, oy = rank_rows[y].objective;
    if (ox != oy) return (rank_spec->maximize ? ox > oy : ox < oy) ? -1 : 1;
    return x < y ? -1 : 1;
}

/* Rung k+1 of every bracket whose rung k ran in the last round. */
static int promote(const hpo_spec *spec, const geometry *g, const hpo_history *h, size_t first, int k,
                   int max, hpo_proposal *out)
{
    long *ok = xcalloc(h->n - first + 1, sizeof(long));
    int n = 0;
    for (int s = first_bracket(g); s >= last_bracket(g) && s > k && n < max; s--) {
        size_t m = 0;
        for (size_t t = first; t < h->n; t++)
            if (h->trials[t].bracket == s && strcmp(h->trials[t].status, HPO_STATUS_COMPLETED) == 0 &&
                isfinite(h->trials[t].objective))
                ok[m++] = (long)t;
        rank_spec = spec;
        rank_rows = h->trials;
        qsort(ok, m, sizeof(long), by_objective);
        long keep = rung_size(g, s, k + 1);
        for (long i = 0; i < keep && i < (long)m && n < max; i++, n++) {
            for (int p = 0; p < spec->space.n; p++) out[n].values[p] = h->config[p][ok[i]];
            propose_one(&out[n], rung_budget(g, s, k + 1), ok[i], s, k + 1);
        }
    }
    free(ok);
    return n;
}

static int propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out,
                   int *n, int sh, hb_fresh_fn fresh)
{
    geometry g;
    int r = geometry_of(spec, sh, &g);
    if (r != 0) return r;
    *n = 0;
    if (h->n > 0 && h->trials[h->n - 1].rung >= 0) {
        /* The last round: trials [first, n) share its round and its rung. */
        size_t first = h->n;
        int last_round = h->trials[h->n - 1].round;
        while (first > 0 && h->trials[first - 1].round == last_round) first--;
        *n = promote(spec, &g, h, first, h->trials[h->n - 1].rung, max, out);
    }
    /* Nothing to promote: the iteration is over (or none began). */
    if (*n == 0) return start_iteration(spec, &g, h, round, max, out, fresh, n);
    return 0;
}

/* Trials of one whole iteration: every rung of every bracket. */
static long iteration_trials(const geometry *g)
{
    long n = 0;
    for (int s = first_bracket(g); s >= last_bracket(g); s--)
        for (int k = 0; k <= s; k++) n += rung_size(g, s, k);
    return n;
}

static long min_trials(const hpo_spec *spec, int sh)
{
    geometry g;
    return geometry_of(spec, sh, &g) == HPO_OK ? iteration_trials(&g) : 0;
}

static int check(const hpo_spec *spec, int sh, const char *name)
{
    if (!spec->fidelity.enabled)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.name: %s needs a fidelity: section "
                         "(e.g. fidelity: {param: epochs, min: 1, max: 81, eta: 3})",
                         spec->path, spec->algorithm_line, spec->algorithm_col, name);
    geometry g;
    int r = geometry_of(spec, sh, &g);
    if (r != HPO_OK) return r;
    /* A budget that ends inside the first iteration never promotes to the
     * top rungs: the sweep would be random search at small budgets. */
    long need = iteration_trials(&g);
    if (spec->max_trials < need)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: budget.max_trials: %ld trials cannot complete one %s iteration, "
                         "which plans %ld (fidelity %g..%g, eta %g); set max_trials to at least %ld, or a multiple "
                         "of it", spec->path, spec->max_trials_line ? spec->max_trials_line : 1,
                         spec->max_trials_line ? spec->max_trials_col : 1, spec->max_trials,
                         sh ? "successive-halving" : "Hyperband", need, g.min, g.max, g.eta, need);
    return HPO_OK;
}

int hyperband_propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out,
                      int *n, hb_fresh_fn fresh)
{
    return propose(spec, h, round, max, out, n, 0, fresh);
}

int hyperband_check(const hpo_spec *spec, const char *name)
{
    return check(spec, 0, name);
}

static int sh_check(const hpo_spec *spec) { return check(spec, 1, "sh"); }
static long sh_min_trials(const hpo_spec *spec) { return min_trials(spec, 1); }
static long hb_min_trials(const hpo_spec *spec) { return min_trials(spec, 0); }
long hyperband_min_trials(const hpo_spec *spec) { return min_trials(spec, 0); }
static int hb_check(const hpo_spec *spec) { return check(spec, 0, "hyperband"); }

static int sh_propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out, int *n)
{
    return propose(spec, h, round, max, out, n, 1, NULL);
}

static int hb_propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out, int *n)
{
    return propose(spec, h, round, max, out, n, 0, NULL);
}

const hpo_optimizer optimizer_sh = {
    .name = "sh",
    .check = sh_check,
    .propose = sh_propose,
    .sizes_its_rounds = 1,
    .modes = HPO_MODES_ROUNDS,
    .default_mode = HPO_MODE_ROUNDS,
    .min_trials = sh_min_trials,
};

const hpo_optimizer optimizer_hyperband = {
    .name = "hyperband",
    .check = hb_check,
    .propose = hb_propose,
    .sizes_its_rounds = 1,
    .modes = HPO_MODES_ROUNDS,
    .default_mode = HPO_MODE_ROUNDS,
    .min_trials = hb_min_trials,
};
