/*
 * cli.h -- what the subcommands of `hpo` share: exit codes, error output,
 * and the subcommand entry points (one file per group of commands).
 */
#ifndef HPO_CLI_H
#define HPO_CLI_H

#include "hpo.h"

/* Exit codes (documented in README.md). */
enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,         /* something went wrong; the message says what */
    EXIT_USAGE = 2,        /* bad command line or bad spec */
    EXIT_INTERRUPTED = 130
};

/* Print "hpo: <last error>" and return the exit code for error `code`. */
int cli_fail(int code);
/* Print a usage error and return EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* results.h5 of EXP opened read-only; one found damaged or deleted is
 * rebuilt first when no driver holds the experiment (cmd_query.c). */
struct hpo_experiment;
struct hpo_store;
int cli_open_results(const char *dir, struct hpo_experiment **e, struct hpo_store **st);

int cmd_run(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_trial(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_report_dispatch(int argc, char **argv);   /* the HTML report, or cmd_report */
int cmd_check(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_best(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_drive(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_cancel(int argc, char **argv);

#endif
