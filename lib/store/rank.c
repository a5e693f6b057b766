/*
 * rank.c -- the ranking of trials (see rank.h).  Reentrant: the sort's
 * context travels through qsort_r, never through file-level state.
 */
#include "store/rank.h"
#include "store/journal.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int objective_better(const hpo_spec *spec, double a, double b)
{
    return spec->maximize ? a > b : a < b;
}

double trial_objective(const hpo_spec *spec, const hpo_report_rec *recs, size_t n, int *found)
{
    double best = NAN, last = NAN;
    *found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(recs[i].metric, spec->metric) != 0) continue;
        double v = recs[i].value;
        *found = 1;
        last = v;
        /* Non-finite values are kept as reported but never become best. */
        if (!isfinite(v)) continue;
        if (isnan(best) || objective_better(spec, v, best)) best = v;
    }
    return spec->reduce_best ? best : last;
}

int trial_is_ranked(const hpo_trial_row *r)
{
    return strcmp(r->status, HPO_STATUS_COMPLETED) == 0 && isfinite(r->objective);
}

int trial_ranks_before(const hpo_spec *spec, const hpo_trial_row *a, const hpo_trial_row *b)
{
    double ba = isnan(a->budget) ? -INFINITY : a->budget, bb = isnan(b->budget) ? -INFINITY : b->budget;
    if (ba != bb) return ba > bb;
    if (a->objective != b->objective) return objective_better(spec, a->objective, b->objective);
    return a->trial_id < b->trial_id;
}

typedef struct rank_ctx {
    const hpo_spec *spec;
    const hpo_trial_row *rows;
} rank_ctx;

static int rank_cmp(const void *a, const void *b, void *arg)
{
    const rank_ctx *c = arg;
    long x = *(const long *)a, y = *(const long *)b;
    if (x == y) return 0;
    return trial_ranks_before(c->spec, &c->rows[x], &c->rows[y]) ? -1 : 1;
}

void trials_sort(const hpo_spec *spec, const hpo_trial_row *rows, long *ids, size_t n)
{
    rank_ctx c = {spec, rows};
    qsort_r(ids, n, sizeof *ids, rank_cmp, &c);
}

size_t trials_rank(const hpo_spec *spec, const hpo_trial_row *rows, size_t n, long **order)
{
    size_t k = 0;
    *order = xcalloc(n + 1, sizeof(long));
    for (size_t i = 0; i < n; i++)
        if (trial_is_ranked(&rows[i])) (*order)[k++] = (long)i;
    trials_sort(spec, rows, *order, k);
    return k;
}

int same_budget(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }
