/*
 * cmd_run.c -- the commands that change an experiment: run, trial, report,
 * rebuild, and check (which only reads a spec).
 */
#include "cli.h"
#include "sweep/decide.h"
#include "store/experiment.h"
#include "store/ingest.h"
#include "trial/metrics.h"
#include "optimizers/optimizer.h"
#include "sweep/run.h"
#include "trial/runner.h"
#include "core/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The best trial and its config, as `hpo run` ends with. */
static void print_best(hpo_experiment *e)
{
    char *path = experiment_results_path(e);
    hpo_store *st = NULL;
    if (store_open(&st, path, e->spec, 0) == 0) {
        hpo_summary s;
        driver_summary(e->spec, st, &s);
        if (s.best < 0) {
            printf("no trial completed with a finite %s\n", e->spec->metric);
        } else {
            printf("best: trial %ld, %s = %.10g (%s)\n", s.best, e->spec->metric, s.best_objective,
                   e->spec->maximize ? "max" : "min");
            for (int p = 0; p < e->spec->space.n; p++) {
                char v[256];
                space_format_value(&e->spec->space.params[p], store_config(st, p)[s.best], v, sizeof v);
                if (v[0]) printf("  %s = %s\n", e->spec->space.params[p].name, v);
            }
        }
        store_close(st);
    }
    printf("results: %s\n", path);
    free(path);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"exp", required_argument, 0, 'e'}, {"quiet", no_argument, 0, 'q'},
        {"allow-spec-change", no_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *exp = NULL;
    int allow_change = 0;
    hpo_run_options o = {.progress_tty = isatty(STDERR_FILENO)};
    int c;
    while ((c = getopt_long(argc, argv, "e:qh", opts, NULL)) != -1) {
        if (c == 'e') exp = optarg;
        else if (c == 'q') o.quiet = 1;
        else if (c == 'a') allow_change = 1;
        else if (c == 'h') { printf("usage: hpo run SPEC [--exp DIR] [--quiet] [--allow-spec-change]\n"); return EXIT_OK; }
        else return cli_usage("run", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("run", "expected one spec file");
    const char *spec_path = argv[optind];
    hpo_spec *spec = NULL;
    int r = spec_load(&spec, spec_path);
    if (r != 0) return cli_fail(r);
    char *dir = exp ? xstrdup(exp) : experiment_default_dir(spec);
    spec_free(spec);
    hpo_experiment *e = NULL;
    if ((r = experiment_create_or_open(&e, dir, spec_path, allow_change)) != 0) { free(dir); return cli_fail(r); }
    if (!o.quiet) fprintf(stderr, "hpo: experiment %s (%s search, seed %llu)\n", dir, e->spec->algorithm,
                          (unsigned long long)e->spec->seed);
    char reason[512];
    r = run_sweep(e, &o, reason, sizeof reason);
    int code = EXIT_OK;
    if (r == 0) {
        printf("sweep '%s' stopped: %s\n", e->spec->name, reason);
        print_best(e);
    } else {
        code = cli_fail(r);
    }
    experiment_free(e);
    free(dir);
    return code;
}

int cmd_trial(int argc, char **argv)
{
    if (argc != 4) return cli_usage("trial", "expected EXP ROUND INDEX");
    char *end1, *end2;
    long round = strtol(argv[2], &end1, 10), index = strtol(argv[3], &end2, 10);
    if (*end1 || *end2 || round < 0 || index < 0) return cli_usage("trial", "ROUND and INDEX must be numbers >= 0");
    hpo_experiment *e = NULL;
    int r = experiment_open(&e, argv[1]);
    if (r != 0) return cli_fail(r);
    int status = 0;
    r = trial_run(e, (int)round, (int)index, &status);
    experiment_free(e);
    return r != 0 ? cli_fail(r) : status;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"step", required_argument, 0, 's'}, {0, 0, 0, 0}};
    long step = -1;
    int c;
    while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        char *end;
        if (c != 's') return cli_usage("report", "unknown option");
        step = strtol(optarg, &end, 10);
        if (*end || step < 0) return cli_usage("report", "--step wants an integer >= 0, got '%s'", optarg);
    }
    if (optind >= argc) return cli_usage("report", "expected NAME=VALUE arguments");
    for (int i = optind; i < argc; i++) {
        hpo_metric_kv kv;
        long s = -1;
        if (metrics_parse_line(argv[i], strlen(argv[i]), &kv, 1, &s) != 1)
            return cli_usage("report", "'%s' is not NAME=NUMBER", argv[i]);
        int r = hpo_report(kv.name, kv.value, step);
        if (r != 0) return cli_fail(r);
    }
    return EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
    if (argc != 2) return cli_usage("check", "expected one spec file");
    hpo_spec *spec = NULL;
    const hpo_optimizer *opt = NULL;
    int r = spec_load(&spec, argv[1]);
    if (r == 0) r = optimizer_for_spec(spec, &opt);
    if (r != 0) {
        spec_free(spec);
        return cli_fail(r);
    }
    printf("%s: ok: '%s', %d parameters, %s search, up to %ld trials\n", argv[1], spec->name,
           spec->space.n, spec->algorithm, spec->max_trials);
    spec_free(spec);
    return EXIT_OK;
}

int cmd_rebuild(int argc, char **argv)
{
    if (argc != 2) return cli_usage("rebuild", "expected EXP");
    hpo_experiment *e = NULL;
    int r = experiment_open(&e, argv[1]);
    if (r == 0) r = experiment_lock(e);
    hpo_ingest_stats stats;
    if (r == 0) r = ingest_rebuild(e, &stats);
    if (r == 0)
        printf("rebuilt %s/results.h5: %zu finished trials, %zu curve points, %zu torn journal lines dropped\n",
               e->dir, stats.trials_finished, stats.curve_points, stats.dropped_lines);
    experiment_free(e);
    return r != 0 ? cli_fail(r) : EXIT_OK;
}
