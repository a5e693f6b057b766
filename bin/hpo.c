/*
 * hpo.c -- the `hpo` command: dispatch to thin subcommands over libhpo.
 */
#include "cli.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"run", cmd_run, "run SPEC [--exp DIR] [--quiet]   run a sweep here, as local processes (resumes DIR)"},
    {"drive", cmd_drive, "drive EXP [--spec SPEC] [--once]  one step of a sweep on Slurm (driver job, or cron)"},
    {"plan", cmd_plan, "plan EXP                          the next round's trials and sbatch script, not submitted"},
    {"cancel", cmd_cancel, "cancel EXP                        cancel the round's array jobs and the queued driver"},
    {"status", cmd_status, "status EXP                        progress, failures and best so far"},
    {"best", cmd_best, "best EXP [-n N]                   the N best trials with their configs"},
    {"export", cmd_export, "export EXP --csv [--curves]       trials (or curves) as CSV on stdout"},
    {"check", cmd_check, "check SPEC                        validate a spec and say what is wrong"},
    {"rebuild", cmd_rebuild, "rebuild EXP                       regenerate results.h5 from plans and journals"},
    {"report", cmd_report_dispatch, "report EXP [-o FILE]              the HTML report of a sweep (default EXP/report.html)\n  hpo report [--step N] NAME=VALUE...   record metrics from inside a trial"},
    {"worker", cmd_worker, "worker EXP [--slots K] [--time S]  one worker of a workers-mode sweep (what Slurm worker tasks run)"},
    {"trial", cmd_trial, "trial EXP ROUND INDEX             run one planned trial (used by executors)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hpo COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) fprintf(f, "  hpo %s\n", commands[i].help);
    fprintf(f, "\nhpo %s -- hyperparameter search for Slurm clusters and laptops\n", HPO_VERSION);
}

int cli_fail(int code)
{
    fprintf(stderr, "hpo: %s\n", hpo_error_last());
    if (code == HPO_ESPEC) return EXIT_USAGE;
    if (code == HPO_EINTR) return EXIT_INTERRUPTED;
    return EXIT_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hpo %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see hpo --help)\n");
    va_end(ap);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("hpo %s\n", HPO_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        /* `hpo CMD --help`, the same for every command. */
        if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            printf("usage: hpo %s\n(see man hpo, or README.md)\n", commands[i].help);
            return EXIT_OK;
        }
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "hpo: unknown command '%s' (see hpo --help)\n", argv[1]);
    return EXIT_USAGE;
}
