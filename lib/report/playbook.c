/*
 * playbook.c -- the Deep Learning Tuning Playbook checks (see playbook.h).
 *
 * Everything here reads trial rows and configs only, and allocates what it
 * returns; nothing touches the experiment or the results file except
 * playbook_print(), which borrows an open store's arrays.
 */
#include "report/playbook.h"
#include "sweep/decide.h"
#include "store/journal.h"
#include "store/rank.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- ranking: store/rank.h's, the order of `hpo best` ---- */

size_t playbook_ranking(const hpo_spec *spec, const hpo_trial_row *rows, size_t n, long **order)
{
    return trials_rank(spec, rows, n, order);
}

/* ---- findings ---- */

static void add_finding(hpo_playbook *pb, hpo_finding_kind kind, int param, char *text)
{
    pb->findings = xrealloc(pb->findings, (size_t)(pb->n_findings + 1) * sizeof *pb->findings);
    pb->findings[pb->n_findings++] = (hpo_finding){kind, param, text};
}

/* Where v lies in [low, high], from 0 to 1; in log space for a log-scale
 * parameter, where "5% of the range" means 5% of its decades. */
static double position_in_range(const hpo_param *p, double v)
{
    if (p->log) return (log(v) - log(p->low)) / (log(p->high) - log(p->low));
    return (v - p->low) / (p->high - p->low);
}

/* (a) The best config near an edge of a numeric parameter's range: the
 * optimum may lie beyond it.  An inactive parameter says nothing. */
static void check_boundaries(const hpo_spec *spec, const double *const *config, hpo_playbook *pb)
{
    for (int p = 0; p < spec->space.n; p++) {
        const hpo_param *par = &spec->space.params[p];
        double v = config[p][pb->best];
        if (par->type == HPO_PARAM_CHOICE || isnan(v)) continue;
        double u = position_in_range(par, v);
        int lower = u <= PLAYBOOK_EDGE_FRACTION, upper = u >= 1 - PLAYBOOK_EDGE_FRACTION;
        if (!lower && !upper) continue;
        char value[64];
        space_format_value(par, v, value, sizeof value);
        add_finding(pb, PLAYBOOK_BOUNDARY, p,
                    xasprintf("the search space may be too small: %s = %s is within 5%% of its %s bound %.10g",
                              par->name, value, lower ? "lower" : "upper", lower ? par->low : par->high));
    }
}

static int same_config(const hpo_spec *spec, const double *const *config, long a, long b)
{
    for (int p = 0; p < spec->space.n; p++) {
        double x = config[p][a], y = config[p][b];
        if (!(x == y || (isnan(x) && isnan(y)))) return 0;
    }
    return 1;
}

/* The trial that first tried trial t's config: a promotion (successive
 * halving, Hyperband) or a continuing PBT member resumes its parent with
 * the same config, so the config was found when its chain began, not when
 * it reached the top budget -- which comes late by construction. */
long playbook_config_origin(const hpo_spec *spec, const hpo_trial_row *rows, const double *const *config,
                            size_t n, long t)
{
    for (size_t guard = 0; guard < n; guard++) {
        long parent = (long)rows[t].parent_id;
        if (parent < 0 || (size_t)parent >= n || parent >= t || !same_config(spec, config, parent, t)) break;
        t = parent;
    }
    return t;
}

static int is_finished(const hpo_trial_row *r)
{
    return status_is_terminal(r->status) && strcmp(r->status, HPO_STATUS_CANCELLED) != 0;
}

/* (b) The best config first tried among the last 10% of the finished
 * trials (in trial order, the order they were planned in). */
static void check_convergence(const hpo_trial_row *rows, size_t n, hpo_playbook *pb)
{
    size_t finished = 0, upto = 0;
    for (size_t i = 0; i < n; i++)
        if (is_finished(&rows[i])) {
            finished++;
            if ((long)i <= pb->best_origin) upto++;
        }
    size_t late = (size_t)ceil(PLAYBOOK_LATE_FRACTION * (double)finished);
    if (upto > finished - late)
        add_finding(pb, PLAYBOOK_CONVERGENCE, -1,
                    xstrdup("not converged: the best came in the last 10% of trials; more trials likely help"));
}

/* ---- (c) scientific parameters ---- */

typedef struct valued {
    double v;
    long trial;
} valued;

static int valued_cmp(const void *a, const void *b)
{
    const valued *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return x->trial < y->trial ? -1 : x->trial > y->trial;
}

/* Put every ranked trial (in rank order, so a group's first is its best)
 * into the group that holds its value. */
static void fill_groups(const hpo_spec *spec, const hpo_trial_row *rows, const double *col,
                        const long *order, size_t k, hpo_sci_table *t)
{
    const hpo_param *par = &spec->space.params[t->param];
    for (size_t r = 0; r < k; r++) {
        double v = col[order[r]];
        if (isnan(v)) continue;
        for (int g = 0; g < t->n_groups; g++) {
            hpo_sci_group *grp = &t->groups[g];
            int in = par->type == HPO_PARAM_CHOICE ? v == grp->lo : (v >= grp->lo && v <= grp->hi);
            if (!in) continue;
            if (grp->n_trials++ == 0) {
                grp->best = order[r];
                grp->best_objective = rows[order[r]].objective;
            }
            break;
        }
    }
}

/* A numeric parameter's groups: with at most PLAYBOOK_MAX_BINS distinct
 * values tried, one per value; otherwise that many bins of about as many
 * ranked trials each (quantiles of the values tried), a value never split
 * across two bins. */
static void numeric_groups(const hpo_param *par, const double *col, const long *order, size_t k,
                           hpo_sci_table *t)
{
    valued *vs = xcalloc(k + 1, sizeof *vs);
    size_t m = 0;
    for (size_t r = 0; r < k; r++)
        if (!isnan(col[order[r]])) vs[m++] = (valued){col[order[r]], order[r]};
    qsort(vs, m, sizeof *vs, valued_cmp);
    size_t distinct = 0;
    for (size_t i = 0; i < m; i++) distinct += i == 0 || vs[i].v != vs[i - 1].v;
    int per_value = distinct <= PLAYBOOK_MAX_BINS;
    t->groups = xcalloc(PLAYBOOK_MAX_BINS + 1, sizeof *t->groups);
    size_t start = 0;
    for (int b = 0; b < PLAYBOOK_MAX_BINS && start < m; b++) {
        size_t end = b == PLAYBOOK_MAX_BINS - 1 ? m : (size_t)(b + 1) * m / PLAYBOOK_MAX_BINS;
        if (per_value || end <= start) end = start + 1;
        while (end < m && vs[end].v == vs[end - 1].v) end++;   /* keep equal values together */
        hpo_sci_group *g = &t->groups[t->n_groups++];
        g->lo = vs[start].v;
        g->hi = vs[end - 1].v;
        g->best = -1;
        char lo[32], hi[32];
        space_format_value(par, g->lo, lo, sizeof lo);
        space_format_value(par, g->hi, hi, sizeof hi);
        if (g->lo == g->hi) snprintf(g->label, sizeof g->label, "%s", lo);
        else if (par->type == HPO_PARAM_FLOAT) snprintf(g->label, sizeof g->label, "[%.3g, %.3g]", g->lo, g->hi);
        else snprintf(g->label, sizeof g->label, "[%s, %s]", lo, hi);
        start = end;
    }
    free(vs);
}

static void choice_groups(const hpo_param *par, hpo_sci_table *t)
{
    t->groups = xcalloc((size_t)par->n_choices, sizeof *t->groups);
    t->n_groups = par->n_choices;
    for (int c = 0; c < par->n_choices; c++) {
        hpo_sci_group *g = &t->groups[c];
        snprintf(g->label, sizeof g->label, "%s", par->choices[c]);
        g->lo = g->hi = c;
        g->best = -1;
    }
}

/* The one line of a table: "scientific optimizer: best loss per value,
 * over the nuisance parameters: adam 0.08 (trial 12; 20 trials); sgd ...". */
static char *table_line(const hpo_spec *spec, const hpo_trial_row *rows, const hpo_sci_table *t)
{
    char *line = xasprintf("scientific %s: best %s per value, over the nuisance parameters:",
                           spec->space.params[t->param].name, spec->metric);
    for (int g = 0; g < t->n_groups; g++) {
        const hpo_sci_group *grp = &t->groups[g];
        char *item;
        if (grp->best < 0) item = xasprintf("%s %s (no completed trial)", g ? ";" : "", grp->label);
        else if (spec->fidelity.enabled)
            item = xasprintf("%s %s %.6g (trial %ld at budget %g; %zu trials)", g ? ";" : "", grp->label,
                             grp->best_objective, grp->best, rows[grp->best].budget, grp->n_trials);
        else
            item = xasprintf("%s %s %.6g (trial %ld; %zu trials)", g ? ";" : "", grp->label, grp->best_objective,
                             grp->best, grp->n_trials);
        char *joined = xasprintf("%s%s", line, item);
        free(line);
        free(item);
        line = joined;
    }
    return line;
}

static void check_scientific(const hpo_spec *spec, const hpo_trial_row *rows, const double *const *config,
                             const long *order, size_t k, hpo_playbook *pb)
{
    for (int p = 0; p < spec->space.n; p++) {
        const hpo_param *par = &spec->space.params[p];
        if (par->role != HPO_ROLE_SCIENTIFIC) continue;
        pb->tables = xrealloc(pb->tables, (size_t)(pb->n_tables + 1) * sizeof *pb->tables);
        hpo_sci_table *t = &pb->tables[pb->n_tables++];
        memset(t, 0, sizeof *t);
        t->param = p;
        if (par->type == HPO_PARAM_CHOICE) choice_groups(par, t);
        else numeric_groups(par, config[p], order, k, t);
        fill_groups(spec, rows, config[p], order, k, t);
        add_finding(pb, PLAYBOOK_SCIENTIFIC, p, table_line(spec, rows, t));
    }
}

void playbook_check(const hpo_spec *spec, const hpo_trial_row *rows, const double *const *config,
                    size_t n, hpo_playbook *out)
{
    memset(out, 0, sizeof *out);
    out->best = out->best_origin = -1;
    long *order = NULL;
    size_t k = playbook_ranking(spec, rows, n, &order);
    if (k > 0) {
        out->best = order[0];
        out->best_origin = playbook_config_origin(spec, rows, config, n, out->best);
        check_boundaries(spec, config, out);
        check_convergence(rows, n, out);
        check_scientific(spec, rows, config, order, k, out);
    }
    free(order);
}

void playbook_free(hpo_playbook *pb)
{
    for (int i = 0; i < pb->n_findings; i++) free(pb->findings[i].text);
    for (int i = 0; i < pb->n_tables; i++) free(pb->tables[i].groups);
    free(pb->findings);
    free(pb->tables);
    memset(pb, 0, sizeof *pb);
}

void playbook_print(FILE *f, const char *prefix, const hpo_spec *spec, const hpo_store *st)
{
    const double **config = xcalloc((size_t)spec->space.n + 1, sizeof *config);
    for (int p = 0; p < spec->space.n; p++) config[p] = store_config(st, p);
    hpo_playbook pb;
    playbook_check(spec, store_trials(st), config, store_n_trials(st), &pb);
    for (int i = 0; i < pb.n_findings; i++) fprintf(f, "%s%s\n", prefix, pb.findings[i].text);
    playbook_free(&pb);
    free(config);
}
