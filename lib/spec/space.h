/*
 * space.h -- the search space: typed parameters, conditions between them,
 * sampling, the unit-hypercube encoding the optimizers work in, and grids.
 *
 * A configuration is an array of doubles, one per parameter, in the order the
 * spec declares them:
 *   float   the value itself
 *   int     the integer value (exact: |v| < 2^53)
 *   choice  the index of the chosen value in `choices`
 *   NaN     the parameter is inactive (its `when:` condition is false)
 * Invariant: a parameter's condition may only name a parameter declared
 * before it, so one pass in declaration order decides every activity.
 */
#ifndef HPO_SPACE_H
#define HPO_SPACE_H

#include <stddef.h>
#include <stdint.h>
#include "core/rng.h"

typedef enum { HPO_PARAM_FLOAT, HPO_PARAM_INT, HPO_PARAM_CHOICE } hpo_param_type;
typedef enum { HPO_ROLE_NUISANCE, HPO_ROLE_SCIENTIFIC, HPO_ROLE_FIXED } hpo_param_role;

/* `when: "parent == v"`, `"parent != v"`, `"parent in [a, b]"`. */
typedef struct hpo_condition {
    int parent;          /* index of the parameter it tests; -1: always active */
    int negate;          /* != / not in */
    int n_values;
    double *values;      /* parent values (a choice's index, or a number) that match */
} hpo_condition;

typedef struct hpo_param {
    char *name;
    hpo_param_type type;
    double low, high;    /* float and int bounds, both inclusive */
    int log;             /* sample log-uniformly */
    int n_choices;
    char **choices;      /* a choice's values, as written in the spec */
    hpo_param_role role;
    int grid_points;     /* points of a numeric parameter in a grid (0: default) */
    int has_init;        /* PaddleHub init_value given */
    double init;
    char *when;          /* the condition's source text, NULL if none */
    hpo_condition cond;
    int line, col;       /* where it is declared, for messages */
} hpo_param;

typedef struct hpo_space {
    int n;
    hpo_param *params;
} hpo_space;

void space_free(hpo_space *s);
/* Index of the parameter called `name`, or -1. */
int space_find(const hpo_space *s, const char *name);
/* Index of `value` among a choice parameter's choices, or -1. */
int space_choice_index(const hpo_param *p, const char *value);

/* Whether parameter i is active, given the values of the ones before it. */
int space_is_active(const hpo_space *s, int i, const double *values);

/* Map a point of [0,1)^n to a configuration (inactive parameters: NaN). */
void space_decode(const hpo_space *s, const double *unit, double *values);
/* Map a configuration to [0,1]^n (inactive parameters: 0.5). */
void space_encode(const hpo_space *s, const double *values, double *unit);
/* Draw a configuration uniformly (log-uniformly for log parameters). */
void space_sample(const hpo_space *s, hpo_rng *rng, double *values);

/* Number of distinct points of the grid (numeric parameters take
 * grid_points values each, default 5; an int range smaller than that takes
 * every integer).  Points that differ only in inactive parameters count
 * once.  Returns 0 if it would exceed 2^40. */
uint64_t space_grid_size(const hpo_space *s);
/* The k-th distinct grid point (0 <= k < space_grid_size); fills values. */
int space_grid_point(const hpo_space *s, uint64_t k, double *values);
/* Grid points start, start+1, ... into out[0..n); returns how many there
 * were (fewer than n at the end of the grid).  One pass over the grid. */
int space_grid_points(const hpo_space *s, uint64_t start, int n, double **out);

/* The value as a trial sees it, in argv and HPO_PARAM_<name>: a float in
 * its shortest exact form, an int in decimal, a choice as written, an
 * inactive parameter as "". */
void space_format_value(const hpo_param *p, double v, char *buf, size_t n);

#endif
