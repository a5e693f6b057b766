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
#include "sweep/worker.h"
#include "trial/runner.h"
#include "core/util.h"

#include <getopt.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The best trial and its config, as `hpo run` ends with. */
/* `algorithm: auto` (the default): which one it picked and why. */
static void print_auto_choice(FILE *f, const hpo_spec *spec)
{
    if (strcmp(spec->algorithm, "auto") != 0) return;
    char why[256];
    const char *name = optimizer_auto(spec, why, sizeof why);
    fprintf(f, "hpo: algorithm auto: %s (%s)\n", name, why);
}

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

/* ---- what hpo run and hpo worker show, and their signals -------------- */

static volatile sig_atomic_t stop_requested, drain_signal;

static void on_stop(int sig) { stop_requested = sig; }
static void on_warning(int sig) { drain_signal = sig; }

/* SIGINT/SIGTERM stop (the running trials are cancelled, to run again on
 * resume); with `warning`, SIGUSR1/SIGUSR2 (Slurm's --signal before the
 * time limit) drain instead. */
static void catch_signals(int warning)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (warning) {
        sa.sa_handler = on_warning;
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGUSR2, &sa, NULL);
    }
}

typedef struct progress {
    const hpo_spec *spec;
    int tty, quiet;
    double t0;
    size_t last_finished;
} progress;

/* One progress line, redrawn in place on a terminal and printed as plain
 * lines (only when something finished) otherwise. */
static void progress_show(void *arg, const hpo_summary *s, int running, int final)
{
    progress *p = arg;
    if (p->quiet) return;
    size_t finished = s->n_completed + s->n_failed + s->n_pruned;
    if (!p->tty && !final && finished == p->last_finished) return;
    p->last_finished = finished;
    char best[64] = "-";
    if (s->best >= 0) snprintf(best, sizeof best, "%.6g (trial %ld)", s->best_objective, s->best);
    int secs = (int)(now_mono() - p->t0);
    char line[256];
    snprintf(line, sizeof line, "[%02d:%02d:%02d] trials %zu/%ld done, %zu failed, %d running; best %s %s",
             secs / 3600, secs / 60 % 60, secs % 60, finished, p->spec->max_trials, s->n_failed, running,
             p->spec->metric, best);
    if (p->tty) {
        fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"exp", required_argument, 0, 'e'}, {"quiet", no_argument, 0, 'q'},
        {"allow-spec-change", no_argument, 0, 'a'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *exp = NULL;
    int allow_change = 0;
    progress pg = {.tty = isatty(STDERR_FILENO), .t0 = now_mono(), .last_finished = (size_t)-1};
    int c;
    while ((c = getopt_long(argc, argv, "e:qh", opts, NULL)) != -1) {
        if (c == 'e') exp = optarg;
        else if (c == 'q') pg.quiet = 1;
        else if (c == 'a') allow_change = 1;
        else if (c == 'h') { printf("usage: hpo run SPEC [--exp DIR] [--quiet] [--allow-spec-change]\n"); return EXIT_OK; }
        else return cli_usage("run", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("run", "expected one spec file");
    const char *spec_path = argv[optind];
    hpo_spec *spec = NULL;
    const hpo_optimizer *opt = NULL;
    int r = spec_load(&spec, spec_path);
    if (r == 0) r = optimizer_for_spec(spec, &opt);   /* refuse a bad spec before creating anything */
    if (r != 0) { spec_free(spec); return cli_fail(r); }
    char *dir = exp ? xstrdup(exp) : experiment_default_dir(spec);
    spec_free(spec);
    hpo_experiment *e = NULL;
    if ((r = experiment_create_or_open(&e, dir, spec_path, allow_change)) != 0) { free(dir); return cli_fail(r); }
    int workers = optimizer_sweep_mode(e->spec) == HPO_MODE_WORKERS;
    if (!pg.quiet) {
        fprintf(stderr, "hpo: experiment %s (%s search, seed %llu, ", dir, e->spec->algorithm,
                (unsigned long long)e->spec->seed);
        if (workers) fprintf(stderr, "workers mode: %d trials at once, each started as soon as a slot frees)\n",
                             e->spec->max_concurrent);
        else fprintf(stderr, "rounds mode)\n");
        print_auto_choice(stderr, e->spec);
    }
    pg.spec = e->spec;
    catch_signals(0);
    hpo_run_options o = {.stop = &stop_requested, .progress = progress_show, .arg = &pg};
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

/* hpo worker EXP [--spec SPEC] [--slots K] [--time SECONDS]: one worker of a workers-mode
 * sweep (what a Slurm worker task runs). */
int cmd_worker(int argc, char **argv)
{
    static const struct option opts[] = {{"slots", required_argument, 0, 's'}, {"time", required_argument, 0, 't'},
                                         {"spec", required_argument, 0, 'p'}, {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *spec = NULL;
    long slots = 0;
    double seconds = 0;
    progress pg = {.tty = 0, .t0 = now_mono(), .last_finished = (size_t)-1};
    int c;
    while ((c = getopt_long(argc, argv, "s:t:qh", opts, NULL)) != -1) {
        char *end;
        if (c == 's') {
            slots = strtol(optarg, &end, 10);
            if (*end || slots < 1 || slots > 1024) return cli_usage("worker", "--slots wants 1..1024, got '%s'", optarg);
        } else if (c == 't') {
            seconds = strtod(optarg, &end);
            if (*end || !(seconds > 0)) return cli_usage("worker", "--time wants seconds > 0, got '%s'", optarg);
        } else if (c == 'p') spec = optarg;
        else if (c == 'q') pg.quiet = 1;
        else if (c == 'h') {
            printf("usage: hpo worker EXP [--spec SPEC] [--slots K] [--time SECONDS] [--quiet]\n");
            return EXIT_OK;
        }
        else return cli_usage("worker", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("worker", "expected one experiment directory");
    hpo_experiment *e = NULL;
    int r = spec ? experiment_create_or_open(&e, argv[optind], spec, 0) : experiment_open(&e, argv[optind]);
    if (r != 0) return cli_fail(r);
    pg.spec = e->spec;
    catch_signals(1);
    hpo_worker_options wo = {.slots = slots > 0 ? (int)slots : e->spec->trials_per_gpu,
                             .deadline = seconds > 0 ? now_wall() + seconds : 0,
                             .stop = &stop_requested, .drain = &drain_signal,
                             .progress = progress_show, .arg = &pg};
    hpo_worker_stats stats;
    char reason[512];
    r = worker_run(e, &wo, &stats, reason, sizeof reason);
    if (!pg.quiet)
        fprintf(stderr, "hpo worker: %s; started %ld trials (%ld taken over); lock held %.1f ms per take "
                "(longest %.1f ms, %ld takes)\n", r == 0 ? reason : hpo_error_last(), stats.started,
                stats.resumed, stats.takes ? 1000 * stats.lock_held_s / (double)stats.takes : 0,
                1000 * stats.lock_held_max_s, stats.takes);
    experiment_free(e);
    return r != 0 ? cli_fail(r) : EXIT_OK;
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
        int r = hpo_report(kv.name, metrics_kv_value(&kv), step);
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
    if (r == 0) r = spec_check_runnable(spec);   /* as hpo run does */
    if (r != 0) {
        spec_free(spec);
        return cli_fail(r);
    }
    printf("%s: ok: '%s', %d parameters, %s search, up to %ld trials\n", argv[1], spec->name,
           spec->space.n, spec->algorithm, spec->max_trials);
    print_auto_choice(stdout, spec);
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
