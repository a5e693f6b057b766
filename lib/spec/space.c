/*
 * space.c -- parameters of a search space: activity under conditions, the
 * unit-cube encoding that optimizers work in, uniform sampling and grids.
 * The encoding is documented in space.h; spec.c builds the space.
 */
#include "spec/space.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRID_DEFAULT_POINTS 5
#define GRID_MAX_POINTS 1000
#define GRID_MAX_SIZE (1ULL << 40)

void space_free(hpo_space *s)
{
    for (int i = 0; i < s->n; i++) {
        hpo_param *p = &s->params[i];
        free(p->name);
        for (int c = 0; c < p->n_choices; c++) free(p->choices[c]);
        free(p->choices);
        free(p->when);
        free(p->cond.values);
    }
    free(s->params);
    s->params = NULL;
    s->n = 0;
}

int space_find(const hpo_space *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->params[i].name, name) == 0) return i;
    return -1;
}

int space_choice_index(const hpo_param *p, const char *value)
{
    for (int c = 0; c < p->n_choices; c++)
        if (strcmp(p->choices[c], value) == 0) return c;
    return -1;
}

int space_is_active(const hpo_space *s, int i, const double *values)
{
    const hpo_condition *c = &s->params[i].cond;
    if (c->parent < 0) return 1;
    double pv = values[c->parent];
    if (isnan(pv)) return 0;          /* an inactive parent disables its children */
    int match = 0;
    for (int k = 0; k < c->n_values && !match; k++) match = c->values[k] == pv;
    return c->negate ? !match : match;
}

/* log of an int range widened by half a step at each end, so that every
 * integer gets the share of the log axis it rounds from. */
static double int_log_lo(const hpo_param *p) { return log(p->low - 0.5 > 0 ? p->low - 0.5 : p->low * 0.5); }
static double int_log_hi(const hpo_param *p) { return log(p->high + 0.5); }

static double clamp(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static double decode_one(const hpo_param *p, double u)
{
    u = clamp(u, 0.0, 1.0);
    switch (p->type) {
    case HPO_PARAM_FLOAT:
        if (p->log) return clamp(exp(log(p->low) + u * (log(p->high) - log(p->low))), p->low, p->high);
        return clamp(p->low + u * (p->high - p->low), p->low, p->high);
    case HPO_PARAM_INT:
        if (p->log) {
            double lo = int_log_lo(p), hi = int_log_hi(p);
            return clamp(round(exp(lo + u * (hi - lo))), p->low, p->high);
        }
        return clamp(p->low + floor(u * (p->high - p->low + 1)), p->low, p->high);
    case HPO_PARAM_CHOICE:
        return clamp(floor(u * p->n_choices), 0, p->n_choices - 1);
    }
    return NAN;
}

static double encode_one(const hpo_param *p, double v)
{
    switch (p->type) {
    case HPO_PARAM_FLOAT:
        if (p->high == p->low) return 0.5;
        if (p->log) return (log(v) - log(p->low)) / (log(p->high) - log(p->low));
        return (v - p->low) / (p->high - p->low);
    case HPO_PARAM_INT:
        if (p->log) {
            double lo = int_log_lo(p), hi = int_log_hi(p);
            return (log(v) - lo) / (hi - lo);
        }
        return (v - p->low + 0.5) / (p->high - p->low + 1);
    case HPO_PARAM_CHOICE:
        return (v + 0.5) / p->n_choices;
    }
    return 0.5;
}

void space_decode(const hpo_space *s, const double *unit, double *values)
{
    for (int i = 0; i < s->n; i++)
        values[i] = space_is_active(s, i, values) ? decode_one(&s->params[i], unit[i]) : NAN;
}

void space_encode(const hpo_space *s, const double *values, double *unit)
{
    for (int i = 0; i < s->n; i++)
        unit[i] = isnan(values[i]) ? 0.5 : clamp(encode_one(&s->params[i], values[i]), 0.0, 1.0);
}

void space_sample(const hpo_space *s, hpo_rng *rng, double *values)
{
    double *u = xmalloc(sizeof(double) * (size_t)(s->n ? s->n : 1));
    /* One draw per parameter, active or not, so that a parameter's value
     * does not depend on whether an earlier one happened to be active. */
    for (int i = 0; i < s->n; i++) u[i] = rng_uniform(rng);
    space_decode(s, u, values);
    free(u);
}

/* The grid values of one parameter, ascending and distinct; returns count. */
static int grid_values(const hpo_param *p, double *out)
{
    if (p->type == HPO_PARAM_CHOICE) {
        for (int c = 0; c < p->n_choices; c++) out[c] = c;
        return p->n_choices;
    }
    int g = p->grid_points > 0 ? p->grid_points : GRID_DEFAULT_POINTS;
    if (g > GRID_MAX_POINTS) g = GRID_MAX_POINTS;
    if (p->type == HPO_PARAM_INT && p->high - p->low + 1 <= g) {
        int n = 0;
        for (double v = p->low; v <= p->high; v++) out[n++] = v;
        return n;
    }
    if (g == 1) {
        out[0] = p->type == HPO_PARAM_INT ? round(decode_one(p, 0.5)) : decode_one(p, 0.5);
        return 1;
    }
    int n = 0;
    for (int k = 0; k < g; k++) {
        double t = (double)k / (g - 1), v;
        if (p->log) v = exp(log(p->low) + t * (log(p->high) - log(p->low)));
        else v = p->low + t * (p->high - p->low);
        if (k == 0) v = p->low;
        if (k == g - 1) v = p->high;
        if (p->type == HPO_PARAM_INT) v = round(v);
        if (n == 0 || out[n - 1] != v) out[n++] = v;
    }
    return n;
}

/* The grid of a space: every parameter's values, computed once. */
typedef struct grid {
    int *counts;
    double **values;
    uint64_t raw_size;    /* product of counts; 0 if over GRID_MAX_SIZE */
    int conditional;      /* some parameter has a condition */
} grid;

static grid grid_build(const hpo_space *s)
{
    grid g = {.counts = xcalloc((size_t)s->n + 1, sizeof(int)),
              .values = xcalloc((size_t)s->n + 1, sizeof(double *)), .raw_size = 1};
    for (int i = 0; i < s->n; i++) {
        const hpo_param *p = &s->params[i];
        g.values[i] = xmalloc(sizeof(double) * (size_t)(GRID_MAX_POINTS + p->n_choices));
        g.counts[i] = grid_values(p, g.values[i]);
        if (g.raw_size > GRID_MAX_SIZE / (uint64_t)g.counts[i]) g.raw_size = 0;
        if (g.raw_size) g.raw_size *= (uint64_t)g.counts[i];
        if (p->cond.parent >= 0) g.conditional = 1;
    }
    return g;
}

static void grid_free(const hpo_space *s, grid *g)
{
    for (int i = 0; i < s->n; i++) free(g->values[i]);
    free(g->values);
    free(g->counts);
}

/* Raw grid point number `raw` (mixed radix, last parameter fastest); sets
 * values and returns 1 if it is canonical: every inactive parameter sits at
 * its first grid value, so points differing only there are counted once. */
static int grid_raw_point(const hpo_space *s, const grid *g, uint64_t raw, double *values)
{
    uint64_t div = g->raw_size;
    int canonical = 1;
    for (int i = 0; i < s->n; i++) {
        div /= (uint64_t)g->counts[i];
        uint64_t digit = raw / div;
        raw %= div;
        if (!space_is_active(s, i, values)) {
            values[i] = NAN;
            if (digit != 0) canonical = 0;
        } else {
            values[i] = g->values[i][digit];
        }
    }
    return canonical;
}

uint64_t space_grid_size(const hpo_space *s)
{
    grid g = grid_build(s);
    uint64_t n = g.raw_size;
    if (g.raw_size && g.conditional) {
        double *values = xmalloc(sizeof(double) * (size_t)(s->n + 1));
        n = 0;
        for (uint64_t raw = 0; raw < g.raw_size; raw++) n += (uint64_t)grid_raw_point(s, &g, raw, values);
        free(values);
    }
    grid_free(s, &g);
    return n;
}

int space_grid_points(const hpo_space *s, uint64_t start, int n, double **out)
{
    grid g = grid_build(s);
    int found = 0;
    if (!g.conditional) {
        for (; found < n && start + (uint64_t)found < g.raw_size; found++)
            grid_raw_point(s, &g, start + (uint64_t)found, out[found]);
    } else {
        /* Distinct points are not evenly spread over raw numbers: walk them
         * once, in order.  Linear in the grid, once per call (per round). */
        uint64_t seen = 0;
        for (uint64_t raw = 0; raw < g.raw_size && found < n; raw++) {
            if (!grid_raw_point(s, &g, raw, out[found])) continue;
            if (seen++ >= start) found++;
        }
    }
    grid_free(s, &g);
    return found;
}

int space_grid_point(const hpo_space *s, uint64_t k, double *values)
{
    return space_grid_points(s, k, 1, &values) == 1 ? 0 : -1;
}

void space_format_value(const hpo_param *p, double v, char *buf, size_t n)
{
    if (isnan(v)) { snprintf(buf, n, "%s", ""); return; }
    switch (p->type) {
    case HPO_PARAM_FLOAT: format_double(buf, n, v); break;
    case HPO_PARAM_INT: snprintf(buf, n, "%.0f", v); break;
    case HPO_PARAM_CHOICE:
        snprintf(buf, n, "%s", (v >= 0 && v < p->n_choices) ? p->choices[(int)v] : "");
        break;
    }
}
