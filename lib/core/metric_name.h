/*
 * metric_name.h -- the one grammar of metric names, shared by the spec
 * (objective.metric), the stdout protocol (trial/metrics.c), the journal
 * and hpo_report():
 *
 *   NAME = [A-Za-z_][A-Za-z0-9_.:/-]*, at most HPO_METRIC_MAX - 1 bytes
 *
 * The length bound is that of the journal's and results.h5's fixed-size
 * metric field.  Byte tests only: no locale.
 */
#ifndef HPO_METRIC_NAME_H
#define HPO_METRIC_NAME_H

#include <stddef.h>

#define HPO_METRIC_MAX 32      /* metric names are at most 31 bytes */

/* Whether s[0..n) is a valid metric name. */
int metric_name_ok(const char *s, size_t n);

/* The grammar in words, for error messages. */
#define HPO_METRIC_GRAMMAR "a letter or '_', then letters, digits or _ . : / -; at most 31 bytes"

#endif
