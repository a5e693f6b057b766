/*
 * metrics.h -- the stdout report protocol: a trial reports metrics by
 * printing lines such as
 *     step=3 val_acc=0.91 loss=0.3
 * A line is a report only if it is made wholly of whitespace-separated
 * NAME=NUMBER tokens (NAME: [A-Za-z_][A-Za-z0-9_.:/-]*, at most 31 bytes;
 * NUMBER: what strtod accepts, including nan and inf).  Any other line is
 * ordinary output and is ignored.  `step` is not a metric: it sets the step
 * of the line's other values; without it, steps count reports of that
 * trial from 0.
 */
#ifndef HPO_METRICS_H
#define HPO_METRICS_H

#include <stddef.h>
#include "store/journal.h"

typedef struct hpo_metric_kv {
    char name[HPO_METRIC_MAX];
    size_t name_len;
    const char *text;          /* the value as written on the line (not NUL-terminated) */
    size_t text_len;
} hpo_metric_kv;

/* Parse one line (without its newline; not necessarily NUL-terminated).
 * Returns the number of metrics put in out[0..max) (0 if the line is not a
 * report), and sets *step (-1 when the line has no step=).  Values are
 * checked, not converted: the trial runner journals their text. */
int metrics_parse_line(const char *line, size_t len, hpo_metric_kv *out, int max, long *step);

/* The value of a metric metrics_parse_line() found (its text, converted). */
double metrics_kv_value(const hpo_metric_kv *kv);

#endif
