/*
 * bench_ingest.c -- how fast lib/store/results.c takes in finished trials, and how
 * big results.h5 gets: N trials x P curve points each, written the way the
 * driver's ingest does (trials and their curves in batches, one
 * store_put_trials + one store_append_curves per batch).
 *
 *   bench_ingest [--trials N] [--points P] [--batch B] [--reopen] --out FILE
 *
 * --reopen closes and reopens the file after every batch, as a driver that
 * ingests one round per run does (each session sets and clears `writing`
 * and rewrites the last partial chunks).  Prints one line:
 *   hpo trials=N points=T seconds=S rate=R bytes=F
 */
#include "store/results.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: deterministic noise for the curves. */
static double uniform(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

static char *opt_choices[] = { "sgd", "adam", "rmsprop" };

/* The same three parameters optuna_ingest.py sets. */
static void bench_spec(hpo_spec *s, hpo_param *p)
{
    memset(s, 0, sizeof *s);
    memset(p, 0, 3 * sizeof *p);
    s->name = "bench-ingest";
    s->yaml = "name: bench-ingest\n";
    sha256_hex(s->yaml, strlen(s->yaml), s->sha256);
    s->metric = "val_loss";
    p[0] = (hpo_param){ .name = "lr", .type = HPO_PARAM_FLOAT, .low = 1e-5, .high = 1,
                        .log = 1, .cond = { .parent = -1 } };
    p[1] = (hpo_param){ .name = "layers", .type = HPO_PARAM_INT, .low = 1, .high = 8,
                        .cond = { .parent = -1 } };
    p[2] = (hpo_param){ .name = "opt", .type = HPO_PARAM_CHOICE, .n_choices = 3,
                        .choices = opt_choices, .cond = { .parent = -1 } };
    s->space.n = 3;
    s->space.params = p;
}

static void make_trial(hpo_trial_row *t, double *cfg, long id, int points, double final)
{
    memset(t, 0, sizeof *t);
    t->trial_id = id;
    t->round = (int32_t)(id / 100);
    t->array_index = (int32_t)(id % 100);
    t->parent_id = -1;
    t->budget = NAN;
    snprintf(t->status, sizeof t->status, "completed");
    t->objective = final;
    t->slurm_job_id = 1000 + id / 100;
    snprintf(t->node, sizeof t->node, "node%03ld", id % 64);
    t->start_time = 1.7e9 + (double)id * 10;
    t->runtime_s = points * 0.5;
    t->end_time = t->start_time + t->runtime_s;
    t->max_rss_kb = 1 << 20;
    snprintf(t->gpu, sizeof t->gpu, "NVIDIA H100 80GB HBM3");
    cfg[0] = exp(log(1e-5) + uniform() * (log(1.0) - log(1e-5)));
    cfg[1] = 1 + (int)(uniform() * 8);
    cfg[2] = (int)(uniform() * 3);
}

static int die(const char *what)
{
    fprintf(stderr, "bench_ingest: %s: %s\n", what, hpo_error_last());
    return 1;
}

int main(int argc, char **argv)
{
    long n_trials = 10000, batch = 100;
    int points = 100, reopen = 0;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--trials") && i + 1 < argc) n_trials = atol(argv[++i]);
        else if (!strcmp(argv[i], "--points") && i + 1 < argc) points = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atol(argv[++i]);
        else if (!strcmp(argv[i], "--reopen")) reopen = 1;
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else {
            fprintf(stderr, "usage: bench_ingest [--trials N] [--points P] [--batch B] "
                            "[--reopen] --out FILE\n");
            return 2;
        }
    }
    if (!out || n_trials < 1 || points < 1 || batch < 1) {
        fprintf(stderr, "bench_ingest: --out FILE is required; counts must be >= 1\n");
        return 2;
    }
    unlink(out);

    hpo_spec spec;
    hpo_param params[3];
    bench_spec(&spec, params);
    hpo_trial_row *rows = xmalloc((size_t)batch * sizeof *rows);
    double *cfg = xmalloc((size_t)batch * 3 * sizeof *cfg);
    const double **cfgp = xmalloc((size_t)batch * sizeof *cfgp);
    hpo_curve_row *curves = xmalloc((size_t)batch * (size_t)points * sizeof *curves);

    double t0 = now_mono();
    if (store_create(out, &spec) != 0) return die("store_create");
    hpo_store *st = NULL;
    for (long first = 0; first < n_trials; first += batch) {
        long n = first + batch <= n_trials ? batch : n_trials - first;
        if (!st && store_open(&st, out, &spec, 1) != 0) return die("store_open");
        size_t k = 0;
        for (long j = 0; j < n; j++) {
            long id = first + j;
            double loss = 2.0 + uniform();
            for (int s = 0; s < points; s++) {
                hpo_curve_row *c = &curves[k++];
                memset(c, 0, sizeof *c);   /* the journal reader zero-fills too */
                c->trial_id = id;
                c->step = s;
                snprintf(c->metric, sizeof c->metric, "val_loss");
                loss *= 0.97 + 0.02 * uniform();
                c->value = loss;
                c->time = 1.7e9 + (double)id * 10 + s * 0.5 + 0.01 * uniform();
            }
            make_trial(&rows[j], &cfg[j * 3], id, points, loss);
            cfgp[j] = &cfg[j * 3];
        }
        if (store_put_trials(st, rows, cfgp, (size_t)n) != 0) return die("store_put_trials");
        if (store_append_curves(st, curves, k) != 0) return die("store_append_curves");
        if (reopen || first + n >= n_trials) {
            if (store_close(st) != 0) return die("store_close");
            st = NULL;
        }
    }
    double secs = now_mono() - t0;

    struct stat sb;
    if (stat(out, &sb) != 0) {
        perror(out);
        return 1;
    }
    double total = (double)n_trials * points;
    printf("hpo trials=%ld points=%.0f seconds=%.3f rate=%.0f bytes=%lld\n", n_trials, total,
           secs, total / secs, (long long)sb.st_size);
    free(rows);
    free(cfg);
    free(cfgp);
    free(curves);
    return 0;
}
