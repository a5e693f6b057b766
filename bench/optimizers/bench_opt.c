/*
 * bench_opt.c -- hpo's single-fidelity optimizers (random, sobol, tpe (its
 * default, multivariate), tpe-uv (multivariate: false), cmaes, pshe2, gp,
 * and auto, the default, which picks one of them by the spec) on
 * synthetic functions and on tabular benchmarks, driven in process the way
 * `hpo run` drives them: spec_parse from YAML, optimizer_for_spec, then
 * propose round after round from the history so far, every trial of a round
 * "completing" with its objective.  The Optuna side is optuna_opt.py; the
 * functions and spaces are defined identically there.  run.sh runs both and
 * summarize.py prints the tables.
 *
 *   bench_opt synth [--seeds N] [--seed0 S] [--trials T] [--func F] [--method M]
 *                   [--batch 1|8] [--method custom --name OPTIMIZER --algorithm 'YAML' (for tuning)]
 *       one line per (function, method, batch, seed):
 *       synth FUNC METHOD/bBATCH SEED LOG10_REGRET@25 @50 @100 @200 MS_PER_PROPOSAL
 *   bench_opt tab FILE.csv.gz min|max [--seeds N] [--seed0 S] [--trials T] [--method M] [--batch Q]
 *       tab NAME METHOD/bBATCH SEED REGRET@25 @50 @100 @200 MS_PER_PROPOSAL
 *   --workers W (synth, tab): workers mode simulated instead of rounds: W
 *       trials at once, each taking a random time, one proposed as each
 *       ends (lines labelled METHOD/wW)
 *   bench_opt eval FUNC X0 X1 ...
 *       FUNC's value at the point (every parameter a float: not mixed or
 *       cond), %.17g: tests/integration/bench_opt.sh checks that
 *       optuna_opt.py's functions are these
 *   bench_opt perf [--n 10000] [--func F] [--method M]
 *       perf FUNC METHOD N MS_PER_PROPOSAL CPU_MS_PER_PROPOSAL (one proposal after N
 *       past trials; wall and process CPU time)
 *
 * Regret: synthetic functions are noiseless; simple regret = best value so
 * far - the known minimum, floored at 1e-9 before log10.  Tabular: each
 * evaluation is one seed's value of the config's row (the seed drawn at
 * random: the benchmark's real noise); the incumbent is the trial with the
 * best observed value, and its regret is |its row mean - the best row mean|.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "store/journal.h"
#include "optimizers/optimizer.h"
#include "spec/spec.h"
#include "core/util.h"

/* ---- synthetic functions (values decoded: the space's own units) -------- */

static double branin(const double *x)
{
    double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - 6;
    return u * u + 10 * (1 - t) * cos(x[0]) + 10;
}

static double hartmann6(const double *x)
{
    static const double a[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                   {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                   {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                   {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    double f = 0;
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int j = 0; j < 6; j++) s += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
        f -= a[i] * exp(-s);
    }
    return f;
}

/* Rosenbrock in 4 dimensions, each x_i in [1e-3, 10] searched on a log
 * scale; minimum 0 at x = 1. */
static double rosenbrock4(const double *x)
{
    double f = 0;
    for (int i = 0; i < 3; i++) f += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
    return f;
}

static double ackley5(const double *x)
{
    double s1 = 0, s2 = 0;
    for (int i = 0; i < 5; i++) s1 += x[i] * x[i], s2 += cos(2 * M_PI * x[i]);
    return -20 * exp(-0.2 * sqrt(s1 / 5)) - exp(s2 / 5) + 20 + M_E;
}

/* Mixed: lr log-float [1e-5, 1], depth int [1, 20], act a 4-way choice,
 * drop float [0, 1].  The best lr depends on the choice: log10 lr* = -2 -
 * 0.5 a; act offsets 0.3, 0, 0.6, 1.0; depth* = 7; drop* = 0.3; minimum 0
 * (act b, lr 10^-2.5, depth 7, drop 0.3). */
static double mixed(const double *x)
{
    static const double offset[4] = {0.3, 0, 0.6, 1.0};
    int a = (int)x[2];
    double l = log10(x[0]) + 2 + 0.5 * a, d = x[1] - 7, p = x[3] - 0.3;
    return l * l + 0.1 * d * d + offset[a] + 2 * p * p;
}

/* Rugged functions (Surjanovic & Bingham's definitions), minimum 0 except
 * Styblinski-Tang's -39.16616570377142 d. */
static double levy6(const double *x)
{
    double w[6], f;
    for (int i = 0; i < 6; i++) w[i] = 1 + (x[i] - 1) / 4;
    f = pow(sin(M_PI * w[0]), 2);
    for (int i = 0; i < 5; i++) f += pow(w[i] - 1, 2) * (1 + 10 * pow(sin(M_PI * w[i] + 1), 2));
    return f + pow(w[5] - 1, 2) * (1 + pow(sin(2 * M_PI * w[5]), 2));
}

static double schwefel4(const double *x)
{
    double f = 418.9828872724338 * 4;
    for (int i = 0; i < 4; i++) f -= x[i] * sin(sqrt(fabs(x[i])));
    return f;
}

static double rastrigin8(const double *x)
{
    double f = 10 * 8;
    for (int i = 0; i < 8; i++) f += x[i] * x[i] - 10 * cos(2 * M_PI * x[i]);
    return f;
}

/* Rastrigin and Ackley have their minimum at the centre of the box, where
 * CMA-ES starts (hpo's and Optuna's alike: the mean of the bounds), so
 * they reward that start as much as the search.  The shifted variants
 * move the minimum off centre, as BBOB does for every function (Hansen et
 * al. 2009), with the box unchanged.  The shifts were fixed before any
 * run; optuna_opt.py has the same. */
static const double rastrigin_shift[8] = {2.11, -3.47, 0.83, 3.02, -1.66, -2.58, 1.39, -0.41};
static const double ackley_shift[5] = {12.3, -20.9, 6.1, -8.4, 17.6};

static double rastrigin8s(const double *x)
{
    double z[8];
    for (int i = 0; i < 8; i++) z[i] = x[i] - rastrigin_shift[i];
    return rastrigin8(z);
}

static double ackley5s(const double *x)
{
    double z[5];
    for (int i = 0; i < 5; i++) z[i] = x[i] - ackley_shift[i];
    return ackley5(z);
}

static double styblinski10(const double *x)
{
    double f = 0;
    for (int i = 0; i < 10; i++) f += 0.5 * (pow(x[i], 4) - 16 * x[i] * x[i] + 5 * x[i]);
    return f;
}

/* Conditional: model lin (lr, l2 active) or tree (depth, frac active);
 * the tree branch holds the minimum 0, lin's best is 0.2. */
static double cond(const double *x)
{
    if (x[0] == 0) {
        double a = log10(x[1]) + 2, b = log10(x[2]) + 4;
        return a * a + 0.5 * b * b + 0.2;
    }
    return 0.05 * (x[3] - 7) * (x[3] - 7) + 3 * (x[4] - 0.6) * (x[4] - 0.6);
}

#define FLOATS4(lo, hi) \
    "  x0: {type: float, low: " lo ", high: " hi "}\n  x1: {type: float, low: " lo ", high: " hi "}\n" \
    "  x2: {type: float, low: " lo ", high: " hi "}\n  x3: {type: float, low: " lo ", high: " hi "}\n"
#define FLOATS2(i, j, lo, hi) \
    "  x" #i ": {type: float, low: " lo ", high: " hi "}\n  x" #j ": {type: float, low: " lo ", high: " hi "}\n"

typedef struct func {
    const char *name;
    const char *space;
    double (*f)(const double *);
    double min;
} func;

static const func funcs[] = {
    {"branin", "  x1: {type: float, low: -5, high: 10}\n  x2: {type: float, low: 0, high: 15}\n", branin,
     0.397887357729739},
    {"hartmann6",
     "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n"
     "  x2: {type: float, low: 0, high: 1}\n  x3: {type: float, low: 0, high: 1}\n"
     "  x4: {type: float, low: 0, high: 1}\n  x5: {type: float, low: 0, high: 1}\n",
     hartmann6, -3.32236801141551},
    {"rosenbrock4log",
     "  x0: {type: float, low: 1.0e-3, high: 10, log: true}\n  x1: {type: float, low: 1.0e-3, high: 10, log: true}\n"
     "  x2: {type: float, low: 1.0e-3, high: 10, log: true}\n  x3: {type: float, low: 1.0e-3, high: 10, log: true}\n",
     rosenbrock4, 0},
    {"ackley5",
     "  x0: {type: float, low: -32.768, high: 32.768}\n  x1: {type: float, low: -32.768, high: 32.768}\n"
     "  x2: {type: float, low: -32.768, high: 32.768}\n  x3: {type: float, low: -32.768, high: 32.768}\n"
     "  x4: {type: float, low: -32.768, high: 32.768}\n",
     ackley5, 0},
    {"mixed",
     "  lr: {type: float, low: 1.0e-5, high: 1, log: true}\n  depth: {type: int, low: 1, high: 20}\n"
     "  act: {type: choice, values: [a, b, c, d]}\n  drop: {type: float, low: 0, high: 1}\n",
     mixed, 0},
    {"levy6", FLOATS4("-10", "10") FLOATS2(4, 5, "-10", "10"), levy6, 0},
    {"schwefel4", FLOATS4("-500", "500"), schwefel4, 0},
    {"rastrigin8", FLOATS4("-5.12", "5.12") FLOATS2(4, 5, "-5.12", "5.12") FLOATS2(6, 7, "-5.12", "5.12"),
     rastrigin8, 0},
    {"rastrigin8s", FLOATS4("-5.12", "5.12") FLOATS2(4, 5, "-5.12", "5.12") FLOATS2(6, 7, "-5.12", "5.12"),
     rastrigin8s, 0},
    {"ackley5s",
     "  x0: {type: float, low: -32.768, high: 32.768}\n  x1: {type: float, low: -32.768, high: 32.768}\n"
     "  x2: {type: float, low: -32.768, high: 32.768}\n  x3: {type: float, low: -32.768, high: 32.768}\n"
     "  x4: {type: float, low: -32.768, high: 32.768}\n",
     ackley5s, 0},
    {"styblinski10",
     FLOATS4("-5", "5") FLOATS2(4, 5, "-5", "5") FLOATS2(6, 7, "-5", "5") FLOATS2(8, 9, "-5", "5"),
     styblinski10, -391.6616570377142},
    {"cond",
     "  model: {type: choice, values: [lin, tree]}\n"
     "  lr: {type: float, low: 1.0e-4, high: 1, log: true, when: \"model == lin\"}\n"
     "  l2: {type: float, low: 1.0e-6, high: 0.1, log: true, when: \"model == lin\"}\n"
     "  depth: {type: int, low: 1, high: 12, when: \"model == tree\"}\n"
     "  frac: {type: float, low: 0.1, high: 1, when: \"model == tree\"}\n",
     cond, 0},
};
#define NFUNCS ((int)(sizeof funcs / sizeof *funcs))

/* The methods: label and algorithm: text; those missing from the table
 * (cmaes, pshe2 in a build without them) are skipped. */
static struct { const char *label, *name, *algorithm; } methods[] = {
    {"random", "random", "random"},
    {"sobol", "sobol", "sobol"},
    {"tpe", "tpe", "tpe"},
    {"tpe-uv", "tpe", "{name: tpe, multivariate: false}"},
    {"cmaes", "cmaes", "cmaes"},
    {"pshe2", "pshe2", "pshe2"},
    {"gp", "gp", "gp"},
    {"auto", "auto", "auto"},
    {"custom", "", ""},      /* --algorithm TEXT --name NAME (tuning) */
};
#define NMETHODS ((int)(sizeof methods / sizeof *methods))

/* ---- driving an optimizer ------------------------------------------------ */

typedef struct run {
    hpo_spec *spec;
    const hpo_optimizer *opt;
    size_t n, cap;
    hpo_trial_row *rows;
    double **cfg;
    double propose_s;      /* seconds spent in propose() */
    int proposals;
} run;

/* budget.max_trials of the specs: the sweep's length (--trials), as a user
 * would write it -- `auto` picks by it. */
static long spec_max_trials = 200;

static hpo_spec *make_spec(const char *space, const char *algorithm, int seed, int maximize)
{
    size_t len = strlen(space) + 512;
    char *yaml = xmalloc(len);
    snprintf(yaml, len, "name: bench-opt\ncommand: [./t]\nspace:\n%sobjective: {metric: y, mode: %s}\n"
                        "algorithm: %s\nbudget: {max_trials: %ld}\nseed: %d\n",
             space, maximize ? "max" : "min", algorithm, spec_max_trials, seed);
    hpo_spec *spec = NULL;
    int r = spec_parse(&spec, "bench.yaml", yaml, strlen(yaml));
    free(yaml);
    return r == 0 ? spec : NULL;
}

/* NULL (and a note) when the method is not in this build or refuses the space. */
static run *run_new(const char *space, int m, int seed, int maximize)
{
    if (!*methods[m].name || (strcmp(methods[m].name, "auto") != 0 && !optimizer_find(methods[m].name)))
        return NULL;
    hpo_spec *spec = make_spec(space, methods[m].algorithm, seed, maximize);
    const hpo_optimizer *opt = NULL;
    if (!spec || optimizer_for_spec(spec, &opt) != 0) {
        static char said[4096];   /* each refusal once */
        if (!strstr(said, hpo_error_last()) && strlen(said) + strlen(hpo_error_last()) < sizeof said - 1) {
            fprintf(stderr, "bench_opt: %s skipped: %s\n", methods[m].label, hpo_error_last());
            strcat(said, hpo_error_last());
        }
        if (spec) spec_free(spec);
        return NULL;
    }
    run *r = xcalloc(1, sizeof *r);
    r->spec = spec;
    r->opt = opt;
    r->cap = 256;
    r->rows = xcalloc(r->cap, sizeof *r->rows);
    r->cfg = xcalloc((size_t)spec->space.n, sizeof *r->cfg);
    for (int p = 0; p < spec->space.n; p++) r->cfg[p] = xcalloc(r->cap, sizeof(double));
    return r;
}

static void run_free(run *r)
{
    for (int p = 0; p < r->spec->space.n; p++) free(r->cfg[p]);
    free(r->cfg);
    free(r->rows);
    spec_free(r->spec);
    free(r);
}

static void run_add(run *r, int round, const double *values, double y)
{
    if (r->n == r->cap) {
        r->cap *= 2;
        r->rows = xrealloc(r->rows, r->cap * sizeof *r->rows);
        for (int p = 0; p < r->spec->space.n; p++) r->cfg[p] = xrealloc(r->cfg[p], r->cap * sizeof(double));
    }
    hpo_trial_row *t = &r->rows[r->n];
    memset(t, 0, sizeof *t);
    t->trial_id = (int64_t)r->n;
    t->round = round;
    t->parent_id = -1;
    t->budget = NAN;
    t->bracket = t->rung = -1;
    snprintf(t->status, sizeof t->status, "%s", isfinite(y) ? HPO_STATUS_COMPLETED : HPO_STATUS_FAILED);
    t->objective = y;
    for (int p = 0; p < r->spec->space.n; p++) r->cfg[p][r->n] = values[p];
    r->n++;
}

#define MAXQ 64
#define MAXD 16

/* Propose one round of q into vals; returns how many. */
static int run_propose(run *r, int round, int q, double vals[][MAXD])
{
    hpo_proposal out[MAXQ];
    for (int i = 0; i < q; i++) out[i].values = vals[i];
    hpo_history h = {.n = r->n, .trials = r->rows, .config = (const double **)r->cfg};
    int n = 0;
    double t0 = now_mono();
    if (r->opt->propose(r->spec, &h, round, q, out, &n) != 0) {
        fprintf(stderr, "bench_opt: propose: %s\n", hpo_error_last());
        exit(1);
    }
    r->propose_s += now_mono() - t0;
    r->proposals += n;
    return n;
}

/* --workers W: workers mode, simulated (0: rounds).  W trials run at once;
 * each takes a time drawn uniformly from [0.5, 1.5); whenever one ends,
 * its result joins the history and one new trial is proposed with the
 * other W - 1 still running (status running, as the worker loop's
 * history shows them: the optimizers' lies).  Results are in the order
 * trials were proposed, as everywhere here. */
static int workers;

static void run_async(run *r, int trials, double (*evaluate)(void *, const double *), void *ctx)
{
    double vals[MAXQ][MAXD], *hidden = xmalloc(sizeof(double) * (size_t)trials), ends[MAXQ];
    size_t slot[MAXQ];
    hpo_rng rng;
    rng_seed(&rng, r->spec->seed, 0, 4242);
    int running = 0, proposed = 0;
    double now = 0;
    for (;;) {
        while (running < workers && proposed < trials) {
            if (run_propose(r, proposed, 1, vals) != 1) break;
            hidden[r->n] = evaluate(ctx, vals[0]);
            run_add(r, proposed, vals[0], NAN);
            snprintf(r->rows[r->n - 1].status, sizeof r->rows[r->n - 1].status, "%s", HPO_STATUS_RUNNING);
            slot[running] = r->n - 1;
            ends[running++] = now + 0.5 + rng_uniform(&rng);
            proposed++;
        }
        if (running == 0) break;
        int first = 0;
        for (int k = 1; k < running; k++)
            if (ends[k] < ends[first]) first = k;
        now = ends[first];
        hpo_trial_row *t = &r->rows[slot[first]];
        double y = hidden[slot[first]];
        snprintf(t->status, sizeof t->status, "%s", isfinite(y) ? HPO_STATUS_COMPLETED : HPO_STATUS_FAILED);
        t->objective = y;
        slot[first] = slot[--running];
        ends[first] = ends[running];
    }
    free(hidden);
}

/* Rounds of q until `trials`. */
static void run_sweep(run *r, int trials, int q, double (*evaluate)(void *, const double *), void *ctx)
{
    double vals[MAXQ][MAXD];
    if (workers > 0 && !r->opt->sizes_its_rounds) {
        run_async(r, trials, evaluate, ctx);
        return;
    }
    for (int round = 0; (int)r->n < trials; round++) {
        /* As the driver (sweep/decide.c): an optimizer that sizes its own
         * rounds (cmaes: a generation; pshe2) gets all the room there is,
         * not q -- with q = 1, CMA-ES generations of one candidate diverged. */
        int size = r->opt->sizes_its_rounds ? MAXQ : q;
        int want = trials - (int)r->n < size ? trials - (int)r->n : size;
        int n = run_propose(r, round, want, vals);
        if (n == 0) break;
        for (int i = 0; i < n; i++) run_add(r, round, vals[i], evaluate(ctx, vals[i]));
    }
}

/* ---- synthetic ------------------------------------------------------------ */

static double eval_func(void *ctx, const double *x) { return ((const func *)ctx)->f(x); }

static const int checkpoints[] = {25, 50, 100, 200};
static int only_batch;   /* --batch Q: only rounds of Q (0: 1 and 8) */
static int batch_wanted(int q) { return !only_batch || q == only_batch; }

static void synth(int seed0, int seeds, int trials, const char *only_func, const char *only_method)
{
    static const int batches[] = {1, 8};
    for (int fi = 0; fi < NFUNCS; fi++) {
        const func *f = &funcs[fi];
        if (only_func && strcmp(only_func, f->name) != 0) continue;
        for (int m = 0; m < NMETHODS; m++) {
            if (only_method && strcmp(only_method, methods[m].label) != 0) continue;
            for (int b = 0; b < 2; b++)
                for (int seed = seed0; batch_wanted(batches[b]) && seed < seed0 + seeds; seed++) {
                    run *r = run_new(f->space, m, seed, 0);
                    if (!r) break;
                    run_sweep(r, trials, batches[b], eval_func, (void *)f);
                    printf("synth %s %s/%c%d %d", f->name, methods[m].label, workers ? 'w' : 'b',
                           workers ? workers : batches[b], seed);
                    double best = INFINITY;
                    size_t t = 0;
                    for (int c = 0; c < 4; c++) {
                        for (; t < r->n && (int)t < checkpoints[c]; t++)
                            if (r->rows[t].objective < best) best = r->rows[t].objective;
                        double regret = best - f->min;
                        printf(" %.4f", (int)r->n >= checkpoints[c] ? log10(regret > 1e-9 ? regret : 1e-9) : NAN);
                    }
                    printf(" %.4f\n", 1e3 * r->propose_s / (r->proposals ? r->proposals : 1));
                    fflush(stdout);
                    run_free(r);
                }
        }
    }
}

/* ---- tabular benchmarks ---------------------------------------------------- */

typedef struct table {
    char name[128];
    int np, ns;                /* parameter columns, seed columns */
    char **cols;               /* parameter names */
    int *k;                    /* distinct values per parameter */
    char ***values;            /* values[p][j]: the j-th (sorted) distinct value */
    size_t size;               /* product of k */
    double *mean;              /* by mixed-radix config index; NaN if absent */
    double *seed_values;       /* size x ns */
    int *n_seeds;              /* per config: its seed columns that hold a value */
    double best;               /* best row mean */
    int maximize;
    char *space;               /* the spec's space: section */
} table;

static int is_number(const char *s)
{
    char *end;
    strtod(s, &end);
    return end != s && *end == 0;
}

static const int *sort_numeric;
static int by_value(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    if (*sort_numeric) {
        double u = strtod(x, NULL), v = strtod(y, NULL);
        return u < v ? -1 : u > v;
    }
    return strcmp(x, y);
}

/* Split a CSV line (no quoting in these files) in place. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static int value_index(const table *t, int p, const char *v)
{
    for (int j = 0; j < t->k[p]; j++)
        if (strcmp(t->values[p][j], v) == 0) return j;
    return -1;
}

static table *table_load(const char *path, int maximize)
{
    gzFile z = gzopen(path, "rb");
    if (!z) { fprintf(stderr, "bench_opt: cannot open %s\n", path); exit(1); }
    table *t = xcalloc(1, sizeof *t);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dir_end = strrchr(path, '/');
    const char *dir = path;
    for (const char *p = path; dir_end && p < dir_end; p++) if (*p == '/') dir = p + 1;
    snprintf(t->name, sizeof t->name, "%.*s/%.*s", dir_end ? (int)(dir_end - dir) : 0, dir,
             (int)strcspn(base, "."), base);
    t->maximize = maximize;
    char line[4096], *f[64];
    gzgets(z, line, sizeof line);
    int nf = split_csv(line, f, 64);
    while (t->np < nf && strncmp(f[t->np], "seed", 4) != 0) t->np++;
    t->ns = nf - t->np;
    t->cols = xcalloc((size_t)t->np, sizeof(char *));
    for (int p = 0; p < t->np; p++) t->cols[p] = xstrdup(f[p]);
    /* All rows as text first, to find each column's distinct values. */
    size_t nrows = 0, cap = 1024;
    char **rows = xmalloc(cap * sizeof(char *));
    while (gzgets(z, line, sizeof line)) {
        if (nrows == cap) rows = xrealloc(rows, (cap *= 2) * sizeof(char *));
        rows[nrows++] = xstrdup(line);
    }
    gzclose(z);
    t->k = xcalloc((size_t)t->np, sizeof(int));
    t->values = xcalloc((size_t)t->np, sizeof(char **));
    for (int p = 0; p < t->np; p++) {
        t->values[p] = xcalloc(nrows + 1, sizeof(char *));
        int numeric = 1;
        for (size_t r = 0; r < nrows; r++) {
            char *copy = xstrdup(rows[r]);
            split_csv(copy, f, 64);
            if (value_index(t, p, f[p]) < 0) {
                t->values[p][t->k[p]++] = xstrdup(f[p]);
                numeric &= is_number(f[p]);
            }
            free(copy);
        }
        sort_numeric = &numeric;
        qsort(t->values[p], (size_t)t->k[p], sizeof(char *), by_value);
    }
    t->size = 1;
    for (int p = 0; p < t->np; p++) t->size *= (size_t)t->k[p];
    t->mean = xmalloc(t->size * sizeof(double));
    t->seed_values = xmalloc(t->size * (size_t)t->ns * sizeof(double));
    t->n_seeds = xcalloc(t->size, sizeof(int));
    for (size_t i = 0; i < t->size; i++) t->mean[i] = NAN;
    t->best = maximize ? -INFINITY : INFINITY;
    for (size_t r = 0; r < nrows; r++) {
        /* NAS-Bench-201 has rows with fewer seeds than the header (2 of 3):
         * the row's mean and its evaluations use the seeds it has. */
        int n = split_csv(rows[r], f, 64) - t->np;
        if (n < 1 || n > t->ns) { fprintf(stderr, "bench_opt: %s: a row with %d seed values\n", path, n); exit(1); }
        size_t idx = 0;
        for (int p = 0; p < t->np; p++) idx = idx * (size_t)t->k[p] + (size_t)value_index(t, p, f[p]);
        double sum = 0;
        for (int s = 0; s < n; s++) {
            double v = strtod(f[t->np + s], NULL);
            t->seed_values[idx * (size_t)t->ns + (size_t)s] = v;
            sum += v;
        }
        t->n_seeds[idx] = n;
        t->mean[idx] = sum / n;
        if (maximize ? t->mean[idx] > t->best : t->mean[idx] < t->best) t->best = t->mean[idx];
        free(rows[r]);
    }
    free(rows);
    /* The space: every column a choice of its distinct values, in order. */
    size_t len = 0;
    for (int p = 0; p < t->np; p++) {
        len += strlen(t->cols[p]) + 64;
        for (int j = 0; j < t->k[p]; j++) len += strlen(t->values[p][j]) + 4;
    }
    t->space = xcalloc(len + 1, 1);
    for (int p = 0; p < t->np; p++) {
        char *e = t->space + strlen(t->space);
        e += sprintf(e, "  %s: {type: choice, values: [", t->cols[p]);
        for (int j = 0; j < t->k[p]; j++) e += sprintf(e, "%s\"%s\"", j ? ", " : "", t->values[p][j]);
        sprintf(e, "]}\n");
    }
    return t;
}

static void table_free(table *t)
{
    for (int p = 0; p < t->np; p++) {
        for (int j = 0; j < t->k[p]; j++) free(t->values[p][j]);
        free(t->values[p]);
        free(t->cols[p]);
    }
    free(t->values);
    free(t->cols);
    free(t->k);
    free(t->mean);
    free(t->seed_values);
    free(t->n_seeds);
    free(t->space);
    free(t);
}

typedef struct tab_ctx {
    const table *t;
    hpo_rng rng;           /* which seed each evaluation reports */
} tab_ctx;

static size_t config_index(const table *t, const double *x)
{
    size_t idx = 0;
    for (int p = 0; p < t->np; p++) idx = idx * (size_t)t->k[p] + (size_t)x[p];
    return idx;
}

static double eval_table(void *ctx, const double *x)
{
    tab_ctx *c = ctx;
    size_t idx = config_index(c->t, x);
    int s = (int)rng_below(&c->rng, (uint64_t)c->t->n_seeds[idx]);
    return c->t->seed_values[idx * (size_t)c->t->ns + (size_t)s];
}

static void tab(const char *path, int maximize, int seed0, int seeds, int trials, const char *only_method)
{
    static const int tab_checkpoints[] = {25, 50, 100, 200};
    table *t = table_load(path, maximize);
    for (int m = 0; m < NMETHODS; m++)
        for (int b = 0; b < 2; b++) {
            int q = b ? 8 : 1;
            if (only_method && strcmp(only_method, methods[m].label) != 0) continue;
            for (int seed = seed0; batch_wanted(q) && seed < seed0 + seeds; seed++) {
                run *r = run_new(t->space, m, seed, maximize);
                if (!r) break;
                tab_ctx c = {.t = t};
                rng_seed(&c.rng, (uint64_t)seed, 999, 7);
                run_sweep(r, trials, q, eval_table, &c);
                printf("tab %s %s/%c%d %d", t->name, methods[m].label, workers ? 'w' : 'b', workers ? workers : q,
                       seed);
                double best_obs = maximize ? -INFINITY : INFINITY, regret = NAN;
                size_t i = 0;
                for (int cp = 0; cp < 4; cp++) {
                    for (; i < r->n && (int)i < tab_checkpoints[cp]; i++) {
                        double y = r->rows[i].objective;
                        if (maximize ? y > best_obs : y < best_obs) {
                            best_obs = y;
                            double x[MAXD];
                            for (int p = 0; p < t->np; p++) x[p] = r->cfg[p][i];
                            regret = fabs(t->best - t->mean[config_index(t, x)]);
                        }
                    }
                    printf(" %.6g", (int)r->n >= tab_checkpoints[cp] ? regret : NAN);
                }
                printf(" %.4f\n", 1e3 * r->propose_s / (r->proposals ? r->proposals : 1));
                fflush(stdout);
                run_free(r);
            }
        }
    table_free(t);
}

/* ---- proposal time with a long history ---------------------------------------- */

static void perf(int n, const char *only_func, const char *only_method)
{
    for (int fi = 0; fi < NFUNCS; fi++) {
        const func *f = &funcs[fi];
        if (only_func && strcmp(only_func, f->name) != 0) continue;
        for (int m = 0; m < NMETHODS; m++) {
            if (strcmp(methods[m].name, "tpe") != 0 && strcmp(methods[m].name, "gp") != 0) continue;
            if (only_method && strcmp(only_method, methods[m].label) != 0) continue;
            run *r = run_new(f->space, m, 0, 0);
            if (!r) continue;
            /* The same history optuna_opt.py builds: uniform draws from a
             * fixed stream, evaluated. */
            hpo_rng rng;
            rng_seed(&rng, 4242, 0, 0);
            double x[MAXD], vals[MAXQ][MAXD];
            for (int i = 0; i < n; i++) {
                space_sample(&r->spec->space, &rng, x);
                run_add(r, i, x, f->f(x));
            }
            int reps = 20;
            struct timespec c0, c1;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
            for (int i = 0; i < reps; i++) run_propose(r, n + i, 1, vals);
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
            /* CPU time too: on shared cores the wall time says more about
             * the neighbours than about the optimizer. */
            double cpu = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
            printf("perf %s %s %d %.4f %.4f\n", f->name, methods[m].label, n, 1e3 * r->propose_s / r->proposals,
                   1e3 * cpu / reps);
            fflush(stdout);
            run_free(r);
        }
    }
}

/* bench_opt eval FUNC X...: the function at one point, in its own units. */
static int eval_at(int argc, char **argv)
{
    for (int fi = 0; argc > 2 && fi < NFUNCS; fi++) {
        if (strcmp(funcs[fi].name, argv[2]) != 0) continue;
        if (strstr(funcs[fi].space, "choice")) break;
        double x[16];
        int d = argc - 3;
        if (d > 16) d = 16;
        for (int i = 0; i < d; i++) x[i] = strtod(argv[3 + i], NULL);
        printf("%.17g\n", funcs[fi].f(x));
        return 0;
    }
    fprintf(stderr, "bench_opt: eval FUNC X...: FUNC one of the all-float functions\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_opt synth|tab|eval|perf [options] (see bench_opt.c)\n");
        return 2;
    }
    if (strcmp(argv[1], "eval") == 0) return eval_at(argc, argv);
    int seeds = 20, seed0 = 0, trials = 200, n = 10000, maximize = 0;
    const char *func = NULL, *method = NULL, *path = NULL;
    int i = 2;
    if (strcmp(argv[1], "tab") == 0) {
        if (argc < 4) { fprintf(stderr, "usage: bench_opt tab FILE.csv.gz min|max\n"); return 2; }
        path = argv[2];
        maximize = strcmp(argv[3], "max") == 0;
        i = 4;
    }
    for (; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seeds") == 0) seeds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--trials") == 0) trials = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0) only_batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed0") == 0) seed0 = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--workers") == 0) workers = atoi(argv[i + 1]) < MAXQ ? atoi(argv[i + 1]) : MAXQ, only_batch = 1;
        else if (strcmp(argv[i], "--n") == 0) n = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--algorithm") == 0) methods[NMETHODS - 1].algorithm = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0) methods[NMETHODS - 1].name = argv[i + 1];
        else if (strcmp(argv[i], "--func") == 0) func = argv[i + 1];
        else if (strcmp(argv[i], "--method") == 0) method = argv[i + 1];
        else { fprintf(stderr, "bench_opt: unknown option %s\n", argv[i]); return 2; }
    }
    spec_max_trials = strcmp(argv[1], "perf") == 0 ? n + 100 : trials;
    if (strcmp(argv[1], "synth") == 0) synth(seed0, seeds, trials, func, method);
    else if (strcmp(argv[1], "tab") == 0) tab(path, maximize, seed0, seeds, trials, method);
    else if (strcmp(argv[1], "perf") == 0) perf(n, func, method);
    else { fprintf(stderr, "bench_opt: unknown mode %s\n", argv[1]); return 2; }
    return 0;
}
