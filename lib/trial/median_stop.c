/*
 * median_stop.c -- the median stopping rule (see median_stop.h).
 */
#include "trial/median_stop.h"
#include "store/results.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hpo_median_rule {
    int maximize;
    char metric[HPO_METRIC_MAX];
    size_t n;            /* steps judged, ascending */
    long *steps;
    double *median;
    int *count;          /* finished trials behind each median */
};

typedef struct { long step; double best; } point;

static int by_step_value(const void *a, const void *b)
{
    const point *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    return x->best < y->best ? -1 : x->best > y->best;
}

static int better(int maximize, double a, double b) { return maximize ? a > b : a < b; }

/* (step, running best) of every finished trial's objective curve. */
static point *running_bests(const hpo_spec *spec, const hpo_trial_row *trials, const hpo_curve_row *c,
                            size_t n, size_t *len)
{
    point *pts = xcalloc(n + 1, sizeof *pts);
    *len = 0;
    long trial = -1;
    double best = NAN;
    for (size_t i = 0; i < n; i++) {   /* a trial's rows are together, in report order */
        if (strcmp(c[i].metric, spec->metric) != 0) continue;
        if (strcmp(trials[c[i].trial_id].status, "completed") != 0) continue;
        if (c[i].trial_id != trial) { trial = c[i].trial_id; best = NAN; }
        if (isfinite(c[i].value) && (isnan(best) || better(spec->maximize, c[i].value, best))) best = c[i].value;
        if (!isnan(best)) pts[(*len)++] = (point){c[i].step, best};
    }
    return pts;
}

hpo_median_rule *median_rule_load(const hpo_experiment *e)
{
    const hpo_spec *spec = e->spec;
    if (!spec->median_stop) return NULL;
    char *path = experiment_results_path(e);
    hpo_store *st = NULL;
    hpo_curve_row *curves = NULL;
    size_t n_curves = 0, n_pts = 0;
    int r = store_open(&st, path, spec, 0);
    free(path);
    if (r == 0) r = store_read_curves(st, &curves, &n_curves);
    if (r != 0) {
        if (st) store_close(st);
        return NULL;
    }
    point *pts = running_bests(spec, store_trials(st), curves, n_curves, &n_pts);
    store_close(st);
    free(curves);
    qsort(pts, n_pts, sizeof *pts, by_step_value);
    hpo_median_rule *m = xcalloc(1, sizeof *m);
    m->maximize = spec->maximize;
    snprintf(m->metric, sizeof m->metric, "%s", spec->metric);
    m->steps = xcalloc(n_pts + 1, sizeof(long));
    m->median = xcalloc(n_pts + 1, sizeof(double));
    m->count = xcalloc(n_pts + 1, sizeof(int));
    for (size_t i = 0; i < n_pts;) {
        size_t j = i;
        while (j < n_pts && pts[j].step == pts[i].step) j++;
        size_t k = j - i;
        if (k >= (size_t)spec->median_min_trials) {
            m->steps[m->n] = pts[i].step;
            m->median[m->n] = k % 2 ? pts[i + k / 2].best : (pts[i + k / 2 - 1].best + pts[i + k / 2].best) / 2;
            m->count[m->n++] = (int)k;
        }
        i = j;
    }
    free(pts);
    return m;
}

int median_rule_check(const hpo_median_rule *m, const hpo_report_rec *recs, size_t n, char *reason, size_t len)
{
    if (!m || m->n == 0) return 0;
    double best = NAN;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(recs[i].metric, m->metric) != 0) continue;
        if (isfinite(recs[i].value) && (isnan(best) || better(m->maximize, recs[i].value, best))) best = recs[i].value;
        /* A trial whose every report so far is NaN has no running best: it
         * is judged worse than any median. */
        size_t lo = 0, hi = m->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (m->steps[mid] < recs[i].step) lo = mid + 1;
            else hi = mid;
        }
        if (lo == m->n || m->steps[lo] != recs[i].step) continue;
        if (isnan(best) || better(m->maximize, m->median[lo], best)) {
            snprintf(reason, len, "median stopping at step %ld: running best %g is worse than the median %g "
                     "of %d finished trials", recs[i].step, best, m->median[lo], m->count[lo]);
            return 1;
        }
    }
    return 0;
}

void median_rule_free(hpo_median_rule *m)
{
    if (!m) return;
    free(m->steps);
    free(m->median);
    free(m->count);
    free(m);
}
