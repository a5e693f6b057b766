/*
 * ingest.h -- bring results.h5 up to date with the durable record (plans
 * and journals).  The caller holds the experiment lock.
 *
 * Idempotent: each trial's curves are appended exactly once, when its row
 * first turns final; ingesting again finds nothing new and changes nothing.
 * A cancelled trial is not final for ingest (it will run again on resume),
 * and its reports stay in its journal only.
 */
#ifndef HPO_INGEST_H
#define HPO_INGEST_H

#include "store/experiment.h"
#include "store/results.h"

typedef struct hpo_ingest_stats {
    size_t trials_finished;   /* rows that turned final in this call */
    size_t curve_points;      /* reports appended to /curves */
    size_t dropped_lines;     /* journal lines dropped (torn or corrupt) */
    int rebuilt;              /* results.h5 was missing or damaged and was rebuilt */
} hpo_ingest_stats;

/* Ingest, and leave the store open for writing in *out (the caller reads
 * the history from it and closes it).  A damaged results.h5 is moved aside
 * (results.h5.damaged-TIME[.N]) and rebuilt, with a one-line notice (hpo_notice). */
int ingest_open(hpo_experiment *e, hpo_store **out, hpo_ingest_stats *stats);
/* Ingest and close. */
int ingest(hpo_experiment *e, hpo_ingest_stats *stats);
/* Regenerate results.h5 from plans and journals alone (written beside it
 * and renamed into place). */
int ingest_rebuild(hpo_experiment *e, hpo_ingest_stats *stats);

#endif
