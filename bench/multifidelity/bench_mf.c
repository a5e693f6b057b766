/*
 * bench_mf.c -- hpo's multi-fidelity optimizers on in-process objectives
 * (mf_functions.h, and the MLP learning-curve table of mlp_table.py), driven
 * the way hpo drives them: spec_parse from YAML, optimizer_for_spec, then
 * propose() from the history so far.
 *
 * Methods:
 *   random, sh, hyperband   rounds mode, as `hpo run` drives it: propose a
 *                           round, every trial of it is evaluated at its
 *                           budget and completes, the next round.
 *   asha, asha-hb, bohb     workers mode (parallel: {mode: workers}),
 *                           simulated with WORKERS (4) asynchronous workers:
 *                           asha = asynchronous successive halving, asha-hb =
 *                           asha with brackets: s_max + 1 (asynchronous
 *                           Hyperband), bohb = asha's promotions with TPE's
 *                           new configs.
 *
 * The workers simulation is event-driven.  A trial takes simulated time equal
 * to the fidelity it trains (its budget; a promotion only budget - parent's
 * budget, since it resumes its parent's checkpoint).  At time 0 the workers
 * ask in turn for a trial; afterwards the worker whose trial ends first
 * (ties: the lower worker) records it (status completed, its objective) and
 * at once asks for its next one.  Every ask is propose() with max = 1 and
 * round = the number of trials planned so far (what `hpo worker` passes: one
 * plan per proposal), on the history of every trial planned so far, the
 * ones still running with status "running" and a NaN objective.
 *
 * Compute (the budget, in fidelity units: epochs or z) is the sum of the
 * fidelity trained, a promotion charged only its new part.  A trial is
 * charged when it starts; a run starts no trial that would take it past the
 * total, and then stops (in workers mode the running trials end first).
 * Compute to target: in rounds mode the compute charged up to and including
 * the trial whose completion first made the incumbent reach the target; in
 * workers mode the fidelity actually trained by all workers until that
 * trial ended (the running trials' partial progress included).
 *
 * The incumbent is the trial at the maximum fidelity with the best observed
 * objective; its quality is its TRUE value (noiseless, at the maximum
 * fidelity; for the MLP table the validation loss after the last epoch,
 * which is what the optimizer observes there).
 *
 *   bench_mf [--seeds N] [--seed0 K] [--budget FULL_EVALS] [--func NAME]
 *            [--method NAME] [--workers N] [--mlp-table FILE]
 *   bench_mf --random-p N [--mlp-table FILE]
 *                             P(true value <= target) of a random config
 * Without --mlp-table the problem mlp-digits is left out.
 *
 * One line per (function, method, seed):
 *   FUNC METHOD SEED best=TRUE_VALUE to_target=BUDGET|inf cost_to_target=COST|inf
 *   trials=N used=BUDGET
 * BUDGET is in fidelity units (epochs, z); COST in mf-prior-bench cost units
 * (Hartmann: 0.05 + 0.95 (z/100)^2 per evaluation, a promotion charged the
 * difference; curves and mlp-digits: epochs / 27), i.e. full evaluations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/journal.h"
#include "optimizers/optimizer.h"
#include "spec/spec.h"
#include "core/util.h"

#include "mf_functions.h"

enum { KIND_CURVES, KIND_HARTMANN, KIND_TABLE };

typedef struct func {
    const char *name;
    int kind;
    const char *space;       /* the spec's space: section */
    const char *param;       /* the fidelity's placeholder */
    double zmin, zmax;
    double bias, noise;      /* Hartmann presets */
    double target;           /* on the true value */
} func;

/* The MLP learning curves (mlp_table.py): loss[config * epochs + e - 1]. */
#define TABLE_DIMS 5
static struct {
    int n, epochs, dims[TABLE_DIMS];
    double *loss;
    char space[1024];
} table;

static func funcs[] = {
    {"curves", KIND_CURVES,
     "  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}\n"
     "  momentum: {type: float, low: 0.5, high: 0.99}\n"
     "  width: {type: int, low: 16, high: 256, log: true}\n"
     "  act: {type: choice, values: [relu, tanh, sigmoid]}\n",
     "epochs", 1, 27, 0, 0, 0.2},
    {"mfh6-good", KIND_HARTMANN,
     "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n"
     "  x2: {type: float, low: 0, high: 1}\n  x3: {type: float, low: 0, high: 1}\n"
     "  x4: {type: float, low: 0, high: 1}\n  x5: {type: float, low: 0, high: 1}\n",
     "z", 3, 100, 2.5, 2.0, -2.0},
    {"mfh6-bad", KIND_HARTMANN,
     "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n"
     "  x2: {type: float, low: 0, high: 1}\n  x3: {type: float, low: 0, high: 1}\n"
     "  x4: {type: float, low: 0, high: 1}\n  x5: {type: float, low: 0, high: 1}\n",
     "z", 3, 100, 3.5, 4.0, -2.0},
    /* space, zmax and target are set by load_table() */
    {"mlp-digits", KIND_TABLE, NULL, "epochs", 1, 27, 0, 0, NAN},
};
#define NFUNCS ((int)(sizeof funcs / sizeof *funcs))

typedef struct method {
    const char *name, *algo;
    int workers;             /* simulated asynchronous workers, 0: rounds */
    int all_brackets;        /* algorithm.brackets: s_max + 1 */
} method;

static const method methods[] = {
    {"random", "random", 0, 0},   {"sh", "sh", 0, 0},     {"hyperband", "hyperband", 0, 0},
    {"asha", "asha", 1, 0},       {"asha-hb", "asha", 1, 1}, {"bohb", "bohb", 1, 0},
};
#define NMETHODS ((int)(sizeof methods / sizeof *methods))

static int n_workers = 4;

/* The row of a config of the table: x holds the grid indices (ints and the
 * choice's index), in the table's order. */
static const double *table_curve(const double *x)
{
    long i = 0;
    for (int d = 0; d < TABLE_DIMS; d++) i = i * table.dims[d] + (long)llround(x[d]);
    return table.loss + (size_t)i * (size_t)table.epochs;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Read mlp_table.py's output; the target is the 1% quantile of the configs'
 * final loss (the ceil(n/100)-th best), as the other problems' targets are
 * about the 1% quantile of a random config's true value. */
static void load_table(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) { perror(path); exit(1); }
    size_t cap = 1024;
    table.loss = xcalloc(cap * 64, sizeof(double));
    char line[8192];
    int n = 0, epochs = -1;
    while (fgets(line, sizeof line, fp)) {
        char *p = line, *end;
        long idx[TABLE_DIMS];
        for (int d = 0; d < TABLE_DIMS; d++) {
            idx[d] = strtol(p, &end, 10);
            if (end == p) { fprintf(stderr, "%s:%d: expected %d indices\n", path, n + 1, TABLE_DIMS); exit(1); }
            p = end;
            if (idx[d] + 1 > table.dims[d]) table.dims[d] = (int)idx[d] + 1;
        }
        double v[64];
        int e = 0;
        for (;;) {
            double x = strtod(p, &end);
            if (end == p) break;
            if (e == 64) { fprintf(stderr, "%s:%d: more than 64 epochs\n", path, n + 1); exit(1); }
            v[e++] = x;
            p = end;
        }
        if (epochs < 0) epochs = e;
        if (e != epochs || e < 2) { fprintf(stderr, "%s:%d: %d losses, expected %d\n", path, n + 1, e, epochs); exit(1); }
        if ((size_t)n == cap) {
            cap *= 2;
            table.loss = xrealloc(table.loss, cap * 64 * sizeof(double));
        }
        memcpy(table.loss + (size_t)n * (size_t)epochs, v, (size_t)e * sizeof(double));
        n++;
    }
    fclose(fp);
    table.n = n;
    table.epochs = epochs;
    long want = 1;
    for (int d = 0; d < TABLE_DIMS; d++) want *= table.dims[d];
    if (n == 0 || want != n) { fprintf(stderr, "%s: %d rows, not a full grid of %ld\n", path, n, want); exit(1); }
    /* Rows must be in index order (mlp_table.py writes them so): check. */
    if (!(fp = fopen(path, "r"))) { perror(path); exit(1); }
    for (int i = 0; i < n && fgets(line, sizeof line, fp); i++) {
        char *p = line, *end;
        double x[TABLE_DIMS];
        for (int d = 0; d < TABLE_DIMS; d++) x[d] = (double)strtol(p, &end, 10), p = end;
        if (table_curve(x) != table.loss + (size_t)i * (size_t)epochs) {
            fprintf(stderr, "%s:%d: rows not in index order\n", path, i + 1);
            exit(1);
        }
    }
    fclose(fp);
    snprintf(table.space, sizeof table.space,
             "  lr: {type: int, low: 0, high: %d}\n  alpha: {type: int, low: 0, high: %d}\n"
             "  width: {type: int, low: 0, high: %d}\n  batch: {type: int, low: 0, high: %d}\n"
             "  act: {type: choice, values: [relu, tanh, logistic]}\n",
             table.dims[0] - 1, table.dims[1] - 1, table.dims[2] - 1, table.dims[3] - 1);
    if (table.dims[4] != 3) { fprintf(stderr, "%s: expected 3 activations\n", path); exit(1); }
    double *final = xcalloc((size_t)n, sizeof(double));
    for (int i = 0; i < n; i++) final[i] = table.loss[(size_t)i * (size_t)epochs + (size_t)epochs - 1];
    qsort(final, (size_t)n, sizeof(double), cmp_double);
    for (int i = 0; i < NFUNCS; i++)
        if (funcs[i].kind == KIND_TABLE) {
            funcs[i].space = table.space;
            funcs[i].zmax = epochs;
            funcs[i].target = final[(n + 99) / 100 - 1];
        }
    free(final);
}

static double evaluate(const func *f, const double *x, double z, int noisy)
{
    switch (f->kind) {
    case KIND_CURVES: return curve_loss(x, z, noisy);
    case KIND_HARTMANN: return hartmann6_mf(x, z, f->bias, f->noise, noisy);
    default: return table_curve(x)[(long)llround(z) - 1];
    }
}

static double true_value(const func *f, const double *x) { return evaluate(f, x, f->zmax, 0); }

static double cost_of(const func *f, double z)
{
    return f->kind == KIND_HARTMANN ? hartmann6_cost(z) : z / f->zmax;
}

static hpo_spec *make_spec(const func *f, const method *m, int seed)
{
    char yaml[4096], algo[128], parallel[128];
    int s_max = (int)floor(log(f->zmax / f->zmin) / log(3.0) + 1e-9);
    if (m->all_brackets) snprintf(algo, sizeof algo, "{name: %s, brackets: %d}", m->algo, s_max + 1);
    else snprintf(algo, sizeof algo, "{name: %s}", m->algo);
    if (m->workers) snprintf(parallel, sizeof parallel, "{mode: workers, max_concurrent: %d}", n_workers);
    else snprintf(parallel, sizeof parallel, "{mode: rounds, round_size: 8}");
    snprintf(yaml, sizeof yaml,
             "name: bench-mf\ncommand: [./t, \"{%s}\"]\nspace:\n%s"
             "objective: {metric: loss, mode: min}\n"
             "fidelity: {param: %s, min: %g, max: %g, eta: 3}\n"
             "algorithm: %s\nbudget: {max_trials: 100000000}\n"
             "parallel: %s\nseed: %d\n",
             f->param, f->space, f->param, f->zmin, f->zmax, algo, parallel, seed);
    hpo_spec *spec = NULL;
    if (spec_parse(&spec, "bench.yaml", yaml, strlen(yaml)) != 0) {
        fprintf(stderr, "bench_mf: %s\n", hpo_error_last());
        exit(1);
    }
    return spec;
}

typedef struct result {
    double best_true, to_target, cost_to_target, used;
    size_t n;
} result;

/* The trials planned so far, as the history propose() reads. */
typedef struct store {
    int np;
    size_t n, cap;
    hpo_trial_row *rows;
    double **cfg;
    double best_obs;
} store;

static void store_init(store *s, int np)
{
    memset(s, 0, sizeof *s);
    s->np = np;
    s->cap = 1024;
    s->rows = xcalloc(s->cap, sizeof *s->rows);
    s->cfg = xcalloc((size_t)np + 1, sizeof *s->cfg);
    for (int p = 0; p < np; p++) s->cfg[p] = xcalloc(s->cap, sizeof(double));
    s->best_obs = INFINITY;
}

static void store_free(store *s)
{
    for (int p = 0; p < s->np; p++) free(s->cfg[p]);
    free(s->cfg);
    free(s->rows);
}

static hpo_history store_history(const store *s)
{
    return (hpo_history){.n = s->n, .trials = s->rows, .config = (const double **)s->cfg};
}

/* Plan proposal pr as the next trial, with `status`. */
static hpo_trial_row *store_add(store *s, const hpo_proposal *pr, int round, const char *status)
{
    if (s->n == s->cap) {
        s->cap *= 2;
        s->rows = xrealloc(s->rows, s->cap * sizeof *s->rows);
        for (int p = 0; p < s->np; p++) s->cfg[p] = xrealloc(s->cfg[p], s->cap * sizeof(double));
    }
    hpo_trial_row *t = &s->rows[s->n];
    memset(t, 0, sizeof *t);
    t->trial_id = (int64_t)s->n;
    t->round = round;
    t->parent_id = pr->parent_id;
    t->budget = pr->budget;
    t->bracket = pr->bracket;
    t->rung = pr->rung;
    t->objective = NAN;
    snprintf(t->status, sizeof t->status, "%s", status);
    for (int p = 0; p < s->np; p++) s->cfg[p][s->n] = pr->values[p];
    s->n++;
    return t;
}

/* Evaluate trial i and mark it completed; 1 when the incumbent first reaches
 * the target by it. */
static int store_complete(store *s, const func *f, size_t i, result *r)
{
    double x[16];
    for (int p = 0; p < s->np; p++) x[p] = s->cfg[p][i];
    hpo_trial_row *t = &s->rows[i];
    t->objective = evaluate(f, x, t->budget, 1);
    snprintf(t->status, sizeof t->status, "%s", HPO_STATUS_COMPLETED);
    if (t->budget >= f->zmax - 1e-9 && t->objective < s->best_obs) {
        s->best_obs = t->objective;
        r->best_true = true_value(f, x);
        return r->best_true <= f->target && isinf(r->to_target);
    }
    return 0;
}

/* The compute (fidelity units) and cost of proposal pr. */
static void charge(const func *f, const store *s, const hpo_proposal *pr, double *extra, double *extra_cost)
{
    double z = pr->budget;
    *extra = z;
    *extra_cost = cost_of(f, z);
    if (pr->parent_id >= 0) {
        double zp = s->rows[pr->parent_id].budget;
        *extra = z - zp;
        *extra_cost = cost_of(f, z) - cost_of(f, zp);
    }
}

#define MAXPROP 65536
static hpo_proposal *out;

static void proposals_init(void)
{
    if (out) return;
    out = xcalloc(MAXPROP, sizeof *out);
    double *vals = xcalloc((size_t)MAXPROP * 16, sizeof *vals);
    for (int i = 0; i < MAXPROP; i++) out[i].values = vals + (size_t)i * 16;
}

static void propose_or_die(const hpo_optimizer *opt, const hpo_spec *spec, const store *s, int round, int max,
                           int *k)
{
    hpo_history h = store_history(s);
    if (opt->propose(spec, &h, round, max, out, k) != 0 || *k == 0) {
        fprintf(stderr, "bench_mf: %s proposed nothing: %s\n", opt->name, hpo_error_last());
        exit(1);
    }
}

/* Rounds mode: propose a round, evaluate it trial by trial, the next. */
static void run_rounds(const func *f, const hpo_spec *spec, const hpo_optimizer *opt, double total, store *s,
                       result *r)
{
    double used = 0, cost = 0;
    for (int round = 0;; round++) {
        int max = opt->sizes_its_rounds ? MAXPROP : spec->round_size, k = 0;
        propose_or_die(opt, spec, s, round, max, &k);
        for (int i = 0; i < k; i++) {
            double extra, extra_cost;
            charge(f, s, &out[i], &extra, &extra_cost);
            if (used + extra > total + 1e-9) { r->used = used; return; }
            used += extra;
            cost += extra_cost;
            store_add(s, &out[i], round, HPO_STATUS_RUNNING);
            if (store_complete(s, f, s->n - 1, r)) {
                r->to_target = used;
                r->cost_to_target = cost;
            }
        }
    }
}

/* Workers mode: n_workers asynchronous workers (see the header). */
typedef struct worker {
    int busy;
    size_t trial;
    double start, end, extra, extra_cost;
} worker;

static void run_workers(const func *f, const hpo_spec *spec, const hpo_optimizer *opt, double total, store *s,
                        result *r)
{
    worker *w = xcalloc((size_t)n_workers, sizeof *w);
    double used = 0, done = 0, done_cost = 0, now = 0;
    int stopped = 0;
    for (int who = -1;;) {
        /* Every idle worker (at time 0 all of them, then the one whose trial
         * just ended) asks for its next trial. */
        for (int i = 0; i < n_workers && !stopped; i++) {
            if (w[i].busy || (who >= 0 && i != who)) continue;
            int k = 0, round = (int)s->n;
            propose_or_die(opt, spec, s, round, 1, &k);
            double extra, extra_cost;
            charge(f, s, &out[0], &extra, &extra_cost);
            if (used + extra > total + 1e-9) { stopped = 1; break; }
            used += extra;
            store_add(s, &out[0], round, HPO_STATUS_RUNNING);
            w[i] = (worker){.busy = 1, .trial = s->n - 1, .start = now, .end = now + extra, .extra = extra,
                            .extra_cost = extra_cost};
        }
        who = -1;
        for (int i = 0; i < n_workers; i++)
            if (w[i].busy && (who < 0 || w[i].end < w[who].end)) who = i;
        if (who < 0) break;
        now = w[who].end;
        w[who].busy = 0;
        done += w[who].extra;
        done_cost += w[who].extra_cost;
        if (store_complete(s, f, w[who].trial, r)) {
            /* what every worker has trained until now */
            double d = done, c = done_cost;
            for (int i = 0; i < n_workers; i++)
                if (w[i].busy && w[i].extra > 0) {
                    double frac = (now - w[i].start) / w[i].extra;
                    d += w[i].extra * frac;
                    c += w[i].extra_cost * frac;
                }
            r->to_target = d;
            r->cost_to_target = c;
        }
    }
    r->used = used;
    free(w);
}

static result run_one(const func *f, const method *m, int seed, double total)
{
    hpo_spec *spec = make_spec(f, m, seed);
    const hpo_optimizer *opt = NULL;
    if (optimizer_for_spec(spec, &opt) != 0) {
        fprintf(stderr, "bench_mf: %s\n", hpo_error_last());
        exit(1);
    }
    proposals_init();
    store s;
    store_init(&s, spec->space.n);
    result r = {.best_true = NAN, .to_target = INFINITY, .cost_to_target = INFINITY};
    if (m->workers) run_workers(f, spec, opt, total, &s, &r);
    else run_rounds(f, spec, opt, total, &s, &r);
    r.n = s.n;
    store_free(&s);
    spec_free(spec);
    return r;
}

/* P(true value <= target) of a config drawn at random from the space. */
static void random_p(long samples)
{
    for (int fi = 0; fi < NFUNCS; fi++) {
        const func *f = &funcs[fi];
        if (!f->space) continue;
        hpo_spec *spec = make_spec(f, &methods[0], 0);
        hpo_rng rng;
        rng_seed(&rng, 12345, 0, 0);
        double x[16], p;
        long hit = 0;
        if (f->kind == KIND_TABLE) {
            /* exact: the share of the grid at or below the target */
            for (int i = 0; i < table.n; i++)
                hit += table.loss[(size_t)i * (size_t)table.epochs + (size_t)table.epochs - 1] <= f->target;
            p = (double)hit / table.n;
        } else {
            for (long i = 0; i < samples; i++) {
                space_sample(&spec->space, &rng, x);
                hit += true_value(f, x) <= f->target;
            }
            p = (double)hit / (double)samples;
        }
        /* the median of a geometric number of full evaluations */
        double med = p > 0 ? ceil(log(0.5) / log1p(-p)) : INFINITY;
        printf("%s random-p p=%.6g median_full_evals=%.0f median_budget=%.0f target=%.6g zmax=%g\n", f->name, p,
               med, med * f->zmax, f->target, f->zmax);
        spec_free(spec);
    }
}

int main(int argc, char **argv)
{
    int seeds = 20, seed0 = 0;
    long random_samples = 0;
    double full_evals = 200;
    const char *only_func = NULL, *only_method = NULL, *table_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed0") && i + 1 < argc) seed0 = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--budget") && i + 1 < argc) full_evals = atof(argv[++i]);
        else if (!strcmp(argv[i], "--func") && i + 1 < argc) only_func = argv[++i];
        else if (!strcmp(argv[i], "--method") && i + 1 < argc) only_method = argv[++i];
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc) n_workers = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mlp-table") && i + 1 < argc) table_path = argv[++i];
        else if (!strcmp(argv[i], "--random-p") && i + 1 < argc) random_samples = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_mf [--seeds N] [--seed0 K] [--budget FULL_EVALS] [--func NAME]"
                            " [--method NAME] [--workers N] [--mlp-table FILE] | --random-p SAMPLES"
                            " [--mlp-table FILE]\n");
            return 2;
        }
    }
    if (n_workers < 1) n_workers = 1;
    if (table_path) load_table(table_path);
    if (random_samples > 0) { random_p(random_samples); return 0; }
    for (int fi = 0; fi < NFUNCS; fi++) {
        const func *f = &funcs[fi];
        if (!f->space || (only_func && strcmp(only_func, f->name))) continue;
        for (int m = 0; m < NMETHODS; m++) {
            if (only_method && strcmp(only_method, methods[m].name)) continue;
            for (int s = seed0; s < seed0 + seeds; s++) {
                result r = run_one(f, &methods[m], s, full_evals * f->zmax);
                printf("%s %s %d best=%.6g to_target=%.6g cost_to_target=%.6g trials=%zu used=%.6g\n", f->name,
                       methods[m].name, s, r.best_true, r.to_target, r.cost_to_target, r.n, r.used);
                fflush(stdout);
            }
        }
    }
    return 0;
}
