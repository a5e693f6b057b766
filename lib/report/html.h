/*
 * html.h -- `hpo report EXP -o report.html`: one self-contained HTML
 * page about a sweep (inline SVG charts, no script or font from anywhere
 * else), readable in any browser, offline, while the sweep runs.
 *
 * Two steps, so results.h5 is held open only for as long as it takes to
 * copy it out: report_data_load() snapshots an open (read-only) store into
 * memory, and report_html_write() renders the snapshot, with the playbook
 * checks of playbook.h.  What the page shows is listed in html.c.
 */
#ifndef HPO_REPORT_HTML_H
#define HPO_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>
#include "sweep/decide.h"
#include "spec/spec.h"
#include "store/results.h"

/* Everything the report shows, copied out of results.h5. */
typedef struct hpo_report_data {
    const hpo_spec *spec;     /* borrowed: the experiment's */
    char *exp_dir;            /* shown in the header */
    size_t n;                 /* trials */
    hpo_trial_row *trials;    /* row i = trial i */
    double **config;          /* config[p][i]: trial i's value of parameter p (space.h encoding) */
    size_t n_curves;
    hpo_curve_row *curves;    /* every report, every metric */
    size_t n_rounds;
    hpo_summary summary;      /* driver_summary() */
    size_t n_ranked;
    long *ranking;            /* driver_ranking(): `hpo best`'s order */
    char *stop_reason;        /* NULL while the sweep goes on */
    double taken_at;          /* when the snapshot was taken (seconds since the epoch) */
} hpo_report_data;

/* Copy what the report needs out of an open store.  The caller may close
 * the store right after. */
int report_data_load(hpo_report_data *d, const hpo_spec *spec, const char *exp_dir, hpo_store *st);
void report_data_free(hpo_report_data *d);

/* Write the page to f.  HPO_EIO if writing failed. */
int report_html_write(FILE *f, const hpo_report_data *d);

/* How many GPUs a /trials `gpu` value names: CUDA_VISIBLE_DEVICES as the
 * trial saw it ("0", "0,1", or "all" with the runtime's list of devices),
 * then "; " and what CUDA said; "none" or "" is 0. */
int report_gpu_count(const char *gpu);

#endif
