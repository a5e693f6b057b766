/*
 * cmd_report.c -- `hpo report EXP [-o FILE]`: the HTML report of a sweep
 * (lib/report/html.h), written atomically to FILE (default
 * EXP/report.html), so a browser reloading it never sees half a page.
 *
 * `hpo report` also names the metric reporter a trial calls (`hpo report
 * [--step N] NAME=VALUE...`, cmd_report() in cmd_run.c).  The two never
 * look alike: a metric is always NAME=VALUE, an experiment never has '='
 * and the reporter has no -o, so cmd_report_dispatch() tells them apart by
 * their arguments.
 *
 * Like status/best/export it opens results.h5 read-only and takes no lock,
 * so it works while the sweep runs; the store retries while the writer
 * holds the file, and the file is closed as soon as it is copied out.
 */
#include "cli.h"
#include "store/experiment.h"
#include "store/ingest.h"
#include "store/plan.h"
#include "report/html.h"
#include "core/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the arguments ask for the HTML report: -o/--output, or a first
 * positional argument without '=' (the metric reporter's are NAME=VALUE;
 * its --step takes the next argument). */
static int wants_html(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "-o", 2) == 0 || strncmp(a, "--output", 8) == 0) return 1;
        if (strcmp(a, "--step") == 0 || strcmp(a, "-s") == 0) { i++; continue; }
        if (a[0] == '-') continue;
        return strchr(a, '=') == NULL;
    }
    return 0;
}

/* Render into memory, then replace `out` atomically. */
static int write_report(const hpo_report_data *d, const char *out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return hpo_error(HPO_EIO, "cannot allocate the report");
    int r = report_html_write(mem, d);
    if (fclose(mem) != 0 && r == 0) r = hpo_error(HPO_EIO, "cannot write the report");
    if (r == 0) r = write_file_atomic(out, buf, len);
    free(buf);
    return r;
}

static int report_html(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c != 'o') return cli_usage("report", "unknown option (expected EXP [-o FILE])");
        out = optarg;
    }
    if (optind != argc - 1) return cli_usage("report", "expected EXP [-o FILE]");
    hpo_experiment *e = NULL;
    hpo_store *st = NULL;
    int r = cli_open_results(argv[optind], &e, &st);
    if (r != 0) return cli_fail(r);
    hpo_report_data d;
    r = report_data_load(&d, e->spec, e->dir, st);
    store_close(st);   /* copied out: let the writer have the file back */
    char *path = out ? xstrdup(out) : experiment_path(e, "report.html");
    if (r == 0) r = write_report(&d, path);
    if (r == 0) printf("report: %s (%zu trials)\n", path, d.n);
    free(path);
    report_data_free(&d);
    experiment_free(e);
    return r != 0 ? cli_fail(r) : EXIT_OK;
}

int cmd_report_dispatch(int argc, char **argv)
{
    return wants_html(argc, argv) ? report_html(argc, argv) : cmd_report(argc, argv);
}
