/*
 * results.h -- results.h5, the analysis-ready view of an experiment (layout in
 * README.md, "results.h5"), written with the HDF5 C API.
 *
 * Invariants:
 *  - Only the holder of EXP/lock writes (the caller guarantees it), and it
 *    writes the private working file EXP/.results.work.h5; results.h5 is
 *    only ever replaced whole by publishing (store/publish.h).
 *  - A writable open refuses a symbolic link.
 *  - /trials row i is trial i: trial ids are dense from 0, so a row is
 *    updated in place by id; /config/P row i is trial i's value of P.
 *  - A write session (store_open writable ... store_close) first sets the
 *    root attribute `writing` to 1 and flushes, and clears it last.  A file
 *    found with writing=1 was cut off mid-write: store_open reports
 *    HPO_ECORRUPT and the caller rebuilds it from plans and journals.
 *  - A file of another format_version is HPO_EFORMAT: written by another
 *    hpo, so it is refused, never rebuilt over.
 *  - Appends are batched: one H5Dset_extent + one hyperslab write per call.
 */
#ifndef HPO_STORE_H
#define HPO_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "spec/spec.h"
#include "store/journal.h"

#define HPO_FORMAT_VERSION 1

/* In-memory layout of one /trials row (the HDF5 compound maps onto it). */
typedef struct hpo_trial_row {
    int64_t trial_id;
    int32_t round;
    int32_t array_index;
    int64_t parent_id;         /* -1 if none */
    double budget;             /* NaN if the sweep has no fidelity */
    int32_t bracket;           /* Hyperband bracket s (successive halving: its one), -1 if none */
    int32_t rung;              /* rung within the bracket, 0 first; -1 if none */
    char status[16];
    double objective;          /* NaN if none */
    int32_t exit_code;
    int32_t signal;
    int64_t slurm_job_id;      /* -1 if not run on Slurm */
    char node[64];
    double start_time, end_time, runtime_s;   /* NaN until known */
    int64_t max_rss_kb;
    char gpu[64];
    char reason[128];
} hpo_trial_row;

typedef struct hpo_curve_row {
    int64_t trial_id;
    int64_t step;
    char metric[HPO_METRIC_MAX];
    double value;
    double time;
} hpo_curve_row;

typedef struct hpo_round_row {
    int32_t round;
    char kind[16];             /* e.g. "random", "grid", "rung" */
    int64_t array_job_id;      /* -1 for local rounds */
    int64_t driver_job_id;     /* -1 if not run by a driver job */
    int32_t n_trials;
    double submitted_at;       /* NaN until known */
    double finished_at;        /* NaN until known */
} hpo_round_row;

typedef struct hpo_store hpo_store;

/* Create a new, empty results file at `path` for `spec` (fails if it exists). */
int store_create(const char *path, const hpo_spec *spec);
/* Open an existing file.  Checks format, format_version, layout and the
 * `writing` flag; HPO_ECORRUPT (with a one-line reason) if unusable,
 * HPO_ENOTFOUND if absent.  A writable open sets `writing`.  Retries for a
 * few seconds while another process has the file open (HDF5 file locks). */
int store_open(hpo_store **out, const char *path, const hpo_spec *spec, int writable);
/* Flush, clear `writing`, close and free.  Returns the first error. */
int store_close(hpo_store *st);

/* Trials, in trial-id order (the whole table is held in memory). */
size_t store_n_trials(const hpo_store *st);
const hpo_trial_row *store_trials(const hpo_store *st);
/* Value of parameter p for every trial (the space's encoding: see space.h;
 * inactive = NaN). */
const double *store_config(const hpo_store *st, int p);

/* Append new trials or overwrite existing ones, by trial_id.  `configs` is
 * n arrays of spec->space.n values, or NULL to leave configs untouched
 * (only allowed for rows that already exist).  New ids must continue the
 * table without gaps. */
int store_put_trials(hpo_store *st, const hpo_trial_row *rows,
                     const double *const *configs, size_t n);

size_t store_n_rounds(const hpo_store *st);
const hpo_round_row *store_rounds(const hpo_store *st);
/* Append or overwrite the row of round r->round (rounds are dense from 0). */
int store_put_round(hpo_store *st, const hpo_round_row *r);

/* Append reports to /curves. */
int store_append_curves(hpo_store *st, const hpo_curve_row *rows, size_t n);
/* Read the whole /curves table (caller frees *rows). */
int store_read_curves(hpo_store *st, hpo_curve_row **rows, size_t *n);

/* When this write session closes successfully and changed something (or
 * `force`), publish the file to `dst` (see store/publish.h: copy, fsync,
 * rename, rate-limited).  Used by ingest for EXP/results.h5. */
void store_publish_to(hpo_store *st, const char *dst, int force);

/* Root string attributes beyond the fixed ones (e.g. "stop_reason"). */
int store_set_attr(hpo_store *st, const char *name, const char *value);
/* Read one; returns HPO_ENOTFOUND if absent.  Caller frees *value. */
int store_get_attr(hpo_store *st, const char *name, char **value);

#endif
