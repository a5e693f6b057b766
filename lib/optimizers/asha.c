/*
 * asha.c -- asynchronous successive halving (`asha`; Li et al., "A System
 * for Massively Parallel Hyperparameter Tuning", MLSys 2020), and with
 * `brackets` > 1 asynchronous Hyperband.  Runs in workers mode only: each
 * call proposes the next trial(s) for workers whose slot just freed.
 *
 * Rungs: with s_max = floor(log_eta(max/min)), bracket s (0 .. brackets-1)
 * has rungs k = 0 .. s_max - s at budget max * eta^(s+k-s_max): the top
 * rung of every bracket is at fidelity.max, as in Hyperband (hyperband.c),
 * also when max/min is not a power of eta (min 3, max 100, eta 3: rungs at
 * 3.7, 11.1, 33.3, 100; counting up from min would stop at 81 and never
 * train a config fully).
 *
 * The promotion rule (the paper's get_job): for the rungs from the top
 * down, a trial completed at rung k is promotable when it ranks in the top
 * floor(n_k / eta) of the n_k trials COMPLETED at rung k (trials still
 * running there do not count), and no trial was promoted from it yet.  The
 * first promotable trial found (highest rung, then best objective) is
 * promoted: a new trial with parent_id = that trial, at the next rung's
 * budget, resuming from its checkpoint.  When none is promotable a new
 * config starts at rung 0.  Unlike synchronous successive halving, nobody
 * waits for a rung to fill: a promotion can be "wrong" early (it would not
 * have made the cut of the full rung), which the paper shows costs little
 * against what the barrier costs.
 *
 * New configs go to the brackets in proportion to Hyperband's bracket
 * sizes (hyperband.c: the bracket starting s_max - s rungs below max gets
 * n = ceil((s_max+1)/(s_max-s+1) eta^(s_max-s)) configs; 1..27, eta 3: 27,
 * 12, 6, 4): each new config goes to the bracket with the fewest fresh
 * configs so far relative to its size (ties: the lower bracket), so async
 * Hyperband spreads its compute over the brackets as Hyperband does.  (In
 * turn, one config each, would give most of the compute to the bracket that
 * starts at max, i.e. to random search.)
 * Their values are uniform draws, or the hook's (BOHB's TPE picks: bohb.c).
 *
 * Purity: everything is read back from the history (bracket, rung and
 * parent of every trial are in the plans), so the same history gives the
 * same proposal; the random draws are seeded by (seed, round).
 */
#include "optimizers/internal.h"
#include "store/journal.h"
#include "store/rank.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct asha_geometry {
    double min, max, eta;
    int s_max;
    long brackets;
} asha_geometry;

static const char *const asha_keys[] = {"brackets", NULL};

static int geometry_of(const hpo_spec *spec, const char *name, asha_geometry *g)
{
    if (!spec->fidelity.enabled)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.name: %s needs a fidelity: section "
                         "(e.g. fidelity: {param: epochs, min: 1, max: 81, eta: 3})",
                         spec->path, spec->algorithm_line, spec->algorithm_col, name);
    g->min = spec->fidelity.min;
    g->max = spec->fidelity.max;
    g->eta = spec->fidelity.eta;
    g->s_max = (int)floor(log(g->max / g->min) / log(g->eta) + 1e-9);
    g->brackets = 1;
    if (strcmp(name, "asha") != 0) return HPO_OK;
    int r = tpe_check_keys(spec, name, asha_keys);
    return r ? r : spec_option_long(spec, "brackets", 1, 1, g->s_max + 1, &g->brackets);
}

/* Rungs of bracket s: 0 .. top. */
static int top_rung(const asha_geometry *g, int s) { return g->s_max - s; }

double asha_budget(const hpo_spec *spec, int s, int k)
{
    double min = spec->fidelity.min, max = spec->fidelity.max, eta = spec->fidelity.eta;
    int s_max = (int)floor(log(max / min) / log(eta) + 1e-9);
    double b = max * pow(eta, s + k - s_max);
    if (b > max * (1 - 1e-12)) return max;
    /* 12 significant digits, as Hyperband's budgets (hyperband.c). */
    char text[32];
    snprintf(text, sizeof text, "%.12g", b);
    return strtod(text, NULL);
}

/* The trial to promote out of rung k of bracket s, or -1.  taken[t] marks
 * trials already promoted (in the history or earlier in this batch). */
static long promotable(const hpo_spec *spec, const asha_geometry *g, const hpo_history *h, int s, int k,
                       const unsigned char *taken, long *scratch)
{
    size_t m = 0;
    for (size_t t = 0; t < h->n; t++)
        if (h->trials[t].bracket == s && h->trials[t].rung == k && trial_is_ranked(&h->trials[t]))
            scratch[m++] = (long)t;
    long keep = (long)floor((double)m / g->eta + 1e-9);
    if (keep == 0) return -1;
    trials_sort(spec, h->trials, scratch, m);   /* store/rank.h; one rung: one budget */
    for (long i = 0; i < keep; i++)
        if (!taken[scratch[i]]) return scratch[i];
    return -1;
}

static void set_proposal(hpo_proposal *p, double budget, long parent, int s, int k)
{
    p->budget = budget;
    p->parent_id = parent;
    p->bracket = s;
    p->rung = k;
}

int asha_propose(const hpo_spec *spec, const char *name, const hpo_history *h, int round, int max,
                 hpo_proposal *out, int *n, hb_fresh_fn fresh)
{
    asha_geometry g;
    int r = geometry_of(spec, name, &g);
    if (r != 0) return r;
    unsigned char *taken = xcalloc(h->n + 1, 1);
    long *scratch = xcalloc(h->n + 1, sizeof(long));
    long *fresh_in = xcalloc((size_t)g.brackets + 1, sizeof(long));
    double *size = xcalloc((size_t)g.brackets + 1, sizeof(double));
    for (int s = 0; s < (int)g.brackets; s++) {
        int hs = g.s_max - s;   /* Hyperband's index of the bracket */
        size[s] = ceil((g.s_max + 1.0) / (hs + 1.0) * pow(g.eta, hs) - 1e-9);
    }
    for (size_t t = 0; t < h->n; t++) {
        if (h->trials[t].parent_id >= 0 && (size_t)h->trials[t].parent_id < h->n) taken[h->trials[t].parent_id] = 1;
        int b = h->trials[t].bracket;
        if (h->trials[t].parent_id < 0 && b >= 0 && b < (int)g.brackets) fresh_in[b]++;
    }
    hpo_rng rng;
    rng_seed(&rng, spec->seed, (uint64_t)round, 5);
    int made = 0, n_fresh = 0;
    double **fresh_values = xcalloc((size_t)max + 1, sizeof(double *));
    for (; made < max; made++) {
        long parent = -1;
        int ps = -1, pk = -1;
        for (int s = 0; s < (int)g.brackets && parent < 0; s++)
            for (int k = top_rung(&g, s) - 1; k >= 0 && parent < 0; k--)
                if ((parent = promotable(spec, &g, h, s, k, taken, scratch)) >= 0) ps = s, pk = k;
        if (parent >= 0) {
            taken[parent] = 1;
            for (int p = 0; p < spec->space.n; p++) out[made].values[p] = h->config[p][parent];
            set_proposal(&out[made], asha_budget(spec, ps, pk + 1), parent, ps, pk + 1);
        } else {
            int s = 0;
            for (int b = 1; b < (int)g.brackets; b++)
                if ((double)fresh_in[b] * size[s] < (double)fresh_in[s] * size[b]) s = b;
            fresh_in[s]++;
            space_sample(&spec->space, &rng, out[made].values);
            set_proposal(&out[made], asha_budget(spec, s, 0), -1, s, 0);
            fresh_values[n_fresh++] = out[made].values;
        }
    }
    if (fresh && n_fresh > 0) r = fresh(spec, h, round, n_fresh, fresh_values);
    free(fresh_values);
    free(size);
    free(fresh_in);
    free(scratch);
    free(taken);
    *n = r == 0 ? made : 0;
    return r;
}

int asha_check(const hpo_spec *spec, const char *name)
{
    asha_geometry g;
    return geometry_of(spec, name, &g);
}

static int check(const hpo_spec *spec) { return asha_check(spec, "asha"); }

static int propose(const hpo_spec *spec, const hpo_history *h, int round, int max, hpo_proposal *out, int *n)
{
    return asha_propose(spec, "asha", h, round, max, out, n, NULL);
}

const hpo_optimizer optimizer_asha = {
    .name = "asha",
    .check = check,
    .propose = propose,
    .modes = HPO_MODES_WORKERS,
    .default_mode = HPO_MODE_WORKERS,
};
