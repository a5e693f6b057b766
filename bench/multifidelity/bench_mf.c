/*
 * bench_mf.c -- hpo's multi-fidelity optimizers (random at full budget, sh,
 * hyperband) on in-process objectives (mf_functions.h), driven the way
 * `hpo run` drives them: spec_parse from YAML, optimizer_for_spec, then
 * propose round after round from the history so far (every trial of a round
 * is evaluated at its budget and "completes" with that objective).
 *
 * Budget accounting: a trial costs its budget (epochs, or z), except a
 * promotion (parent_id >= 0), which resumes its parent's checkpoint and costs
 * only budget - parent's budget.  A run stops before the evaluation that
 * would take it past the total budget.  The incumbent is the trial at the
 * maximum fidelity with the best observed objective; its quality is its TRUE
 * value (noiseless, at the maximum fidelity).
 *
 *   bench_mf [--seeds N] [--budget FULL_EVALS] [--func NAME] [--method NAME]
 *   bench_mf --random-p N        P(true value <= target) of a random config
 *
 * One line per (function, method, seed):
 *   FUNC METHOD SEED best=TRUE_VALUE to_target=BUDGET|inf cost_to_target=COST|inf
 *   trials=N used=BUDGET
 * BUDGET is in fidelity units (epochs, z); COST in mf-prior-bench cost units
 * (Hartmann: 0.05 + 0.95 (z/100)^2 per evaluation, a promotion charged the
 * difference; curves: epochs / 27), i.e. full evaluations.
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

typedef struct func {
    const char *name;
    const char *space;       /* the spec's space: section */
    const char *param;       /* the fidelity's placeholder */
    double zmin, zmax;
    double bias, noise;      /* Hartmann presets */
    double target;           /* on the true value */
} func;

static const func funcs[] = {
    {"curves",
     "  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}\n"
     "  momentum: {type: float, low: 0.5, high: 0.99}\n"
     "  width: {type: int, low: 16, high: 256, log: true}\n"
     "  act: {type: choice, values: [relu, tanh, sigmoid]}\n",
     "epochs", 1, 27, 0, 0, 0.2},
    {"mfh6-good",
     "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n"
     "  x2: {type: float, low: 0, high: 1}\n  x3: {type: float, low: 0, high: 1}\n"
     "  x4: {type: float, low: 0, high: 1}\n  x5: {type: float, low: 0, high: 1}\n",
     "z", 3, 100, 2.5, 2.0, -2.0},
    {"mfh6-bad",
     "  x0: {type: float, low: 0, high: 1}\n  x1: {type: float, low: 0, high: 1}\n"
     "  x2: {type: float, low: 0, high: 1}\n  x3: {type: float, low: 0, high: 1}\n"
     "  x4: {type: float, low: 0, high: 1}\n  x5: {type: float, low: 0, high: 1}\n",
     "z", 3, 100, 3.5, 4.0, -2.0},
};
#define NFUNCS ((int)(sizeof funcs / sizeof *funcs))

static const char *const methods[] = {"random", "sh", "hyperband"};
#define NMETHODS 3

static int is_curves(const func *f) { return strcmp(f->name, "curves") == 0; }

static double evaluate(const func *f, const double *x, double z, int noisy)
{
    return is_curves(f) ? curve_loss(x, z, noisy) : hartmann6_mf(x, z, f->bias, f->noise, noisy);
}

static double true_value(const func *f, const double *x) { return evaluate(f, x, f->zmax, 0); }

static double cost_of(const func *f, double z)
{
    return is_curves(f) ? z / f->zmax : hartmann6_cost(z);
}

static hpo_spec *make_spec(const func *f, const char *algo, int seed)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "name: bench-mf\ncommand: [./t, \"{%s}\"]\nspace:\n%s"
             "objective: {metric: loss, mode: min}\n"
             "fidelity: {param: %s, min: %g, max: %g, eta: 3}\n"
             "algorithm: {name: %s}\nbudget: {max_trials: 100000000}\n"
             "parallel: {round_size: 8}\nseed: %d\n",
             f->param, f->space, f->param, f->zmin, f->zmax, algo, seed);
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

#define MAXPROP 65536

static result run_one(const func *f, const char *algo, int seed, double total)
{
    hpo_spec *spec = make_spec(f, algo, seed);
    const hpo_optimizer *opt = NULL;
    if (optimizer_for_spec(spec, &opt) != 0) {
        fprintf(stderr, "bench_mf: %s\n", hpo_error_last());
        exit(1);
    }
    int np = spec->space.n;
    size_t cap = 1024, n = 0;
    hpo_trial_row *rows = xcalloc(cap, sizeof *rows);
    double **cfg = xcalloc((size_t)np, sizeof *cfg);
    for (int p = 0; p < np; p++) cfg[p] = xcalloc(cap, sizeof(double));
    static hpo_proposal *out;
    static double *vals;
    if (!out) {
        out = xcalloc(MAXPROP, sizeof *out);
        vals = xcalloc((size_t)MAXPROP * 16, sizeof *vals);
    }
    for (int i = 0; i < MAXPROP; i++) out[i].values = vals + (size_t)i * 16;

    result r = {.best_true = NAN, .to_target = INFINITY, .cost_to_target = INFINITY};
    double best_obs = INFINITY, used = 0, cost = 0;
    int done = 0;
    for (int round = 0; !done; round++) {
        hpo_history h = {.n = n, .trials = rows, .config = (const double **)cfg};
        int max = opt->sizes_its_rounds ? MAXPROP : spec->round_size, k = 0;
        if (opt->propose(spec, &h, round, max, out, &k) != 0 || k == 0) {
            fprintf(stderr, "bench_mf: %s proposed nothing: %s\n", algo, hpo_error_last());
            exit(1);
        }
        for (int i = 0; i < k; i++) {
            const hpo_proposal *pr = &out[i];
            double z = pr->budget, extra = z, extra_cost = cost_of(f, z);
            if (pr->parent_id >= 0) {
                extra = z - rows[pr->parent_id].budget;
                extra_cost = cost_of(f, z) - cost_of(f, rows[pr->parent_id].budget);
            }
            if (used + extra > total + 1e-9) { done = 1; break; }
            used += extra;
            cost += extra_cost;
            if (n == cap) {
                cap *= 2;
                rows = xrealloc(rows, cap * sizeof *rows);
                for (int p = 0; p < np; p++) cfg[p] = xrealloc(cfg[p], cap * sizeof(double));
            }
            hpo_trial_row *t = &rows[n];
            memset(t, 0, sizeof *t);
            t->trial_id = (int64_t)n;
            t->round = round;
            t->parent_id = pr->parent_id;
            t->budget = z;
            t->bracket = pr->bracket;
            t->rung = pr->rung;
            snprintf(t->status, sizeof t->status, "%s", HPO_STATUS_COMPLETED);
            for (int p = 0; p < np; p++) cfg[p][n] = pr->values[p];
            t->objective = evaluate(f, pr->values, z, 1);
            n++;
            if (z >= f->zmax - 1e-9 && t->objective < best_obs) {
                best_obs = t->objective;
                r.best_true = true_value(f, pr->values);
                if (r.best_true <= f->target && isinf(r.to_target)) {
                    r.to_target = used;
                    r.cost_to_target = cost;
                }
            }
        }
    }
    r.used = used;
    r.n = n;
    for (int p = 0; p < np; p++) free(cfg[p]);
    free(cfg);
    free(rows);
    spec_free(spec);
    return r;
}

/* P(true value <= target) of a config drawn at random from the space. */
static void random_p(long samples)
{
    for (int fi = 0; fi < NFUNCS; fi++) {
        const func *f = &funcs[fi];
        hpo_spec *spec = make_spec(f, "random", 0);
        hpo_rng rng;
        rng_seed(&rng, 12345, 0, 0);
        double x[16];
        long hit = 0;
        for (long i = 0; i < samples; i++) {
            space_sample(&spec->space, &rng, x);
            hit += true_value(f, x) <= f->target;
        }
        double p = (double)hit / (double)samples;
        /* the median of a geometric number of full evaluations */
        double med = p > 0 ? ceil(log(0.5) / log1p(-p)) : INFINITY;
        printf("%s random-p p=%.6g median_full_evals=%.0f median_budget=%.0f target=%g zmax=%g\n", f->name, p,
               med, med * f->zmax, f->target, f->zmax);
        spec_free(spec);
    }
}

int main(int argc, char **argv)
{
    int seeds = 20;
    double full_evals = 200;
    const char *only_func = NULL, *only_method = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--budget") && i + 1 < argc) full_evals = atof(argv[++i]);
        else if (!strcmp(argv[i], "--func") && i + 1 < argc) only_func = argv[++i];
        else if (!strcmp(argv[i], "--method") && i + 1 < argc) only_method = argv[++i];
        else if (!strcmp(argv[i], "--random-p") && i + 1 < argc) { random_p(atol(argv[++i])); return 0; }
        else {
            fprintf(stderr, "usage: bench_mf [--seeds N] [--budget FULL_EVALS] [--func NAME] [--method NAME]"
                            " | --random-p SAMPLES\n");
            return 2;
        }
    }
    for (int fi = 0; fi < NFUNCS; fi++) {
        const func *f = &funcs[fi];
        if (only_func && strcmp(only_func, f->name)) continue;
        for (int m = 0; m < NMETHODS; m++) {
            if (only_method && strcmp(only_method, methods[m])) continue;
            for (int s = 0; s < seeds; s++) {
                result r = run_one(f, methods[m], s, full_evals * f->zmax);
                printf("%s %s %d best=%.6g to_target=%.6g cost_to_target=%.6g trials=%zu used=%.6g\n", f->name,
                       methods[m], s, r.best_true, r.to_target, r.cost_to_target, r.n, r.used);
                fflush(stdout);
            }
        }
    }
    return 0;
}
