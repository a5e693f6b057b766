/*
 * sim_history.h -- the simulated history the optimizer unit tests drive
 * an optimizer with, the way `hpo run` does: propose a round from the
 * history, let every trial "complete" with a known function of its config,
 * append the rows, repeat.  One copy for test_{tpe,bohb,cmaes,pbt,pshe2,
 * hyperband}.c (sim_history.c; the Makefile links it into every unit test).
 */
#ifndef HPO_SIM_HISTORY_H
#define HPO_SIM_HISTORY_H

#include <stddef.h>
#include "optimizers/optimizer.h"
#include "spec/spec.h"
#include "store/results.h"

#define SIM_MAXP 8          /* parameters at most */

/* A trial's objective from its config; NaN makes it a failed trial. */
typedef double (*sim_objective)(const double *values);

typedef struct sim {
    hpo_spec *spec;
    const hpo_optimizer *opt;
    hpo_trial_row *rows;             /* [cap], n used, in trial-id order */
    double *cfg[SIM_MAXP];           /* cfg[p][t] */
    const double *config[SIM_MAXP];  /* the same, for hpo_history */
    double *vals;                    /* proposals' values, cap x SIM_MAXP */
    size_t n, cap;
    int rounds;                      /* rounds run so far: the next round's number */
    double best, worst;              /* lowest and highest finite objective seen */
} sim;

/* A sweep of the spec in `yaml` (failing the test if it does not parse or
 * its algorithm refuses it), with room for `cap` trials. */
sim *sim_new(const char *yaml, size_t cap);
void sim_free(sim *s);

/* The history so far, as the optimizer sees it. */
hpo_history sim_history_of(const sim *s);

/* Propose round s->rounds (at most max trials) into out[0..n); out has
 * room for min(max, cap), and the values live in s->vals until the next
 * proposal.  Nothing is appended. */
int sim_propose(sim *s, int max, hpo_proposal *out);

/* Append one trial of config x that ended with objective y (NaN: failed)
 * in round s->rounds, at the position p gives it (budget, parent, bracket,
 * rung), or at none (NaN budget, -1) when p is NULL. */
void sim_add(sim *s, const double *x, double y, const hpo_proposal *p);

/* Propose a round, complete every trial with f (NULL: objective 0), and
 * count the round.  Returns its size. */
int sim_round(sim *s, int max, sim_objective f, hpo_proposal *out);

/* Rounds until `trials` trials (or the optimizer has nothing more), sized
 * as the driver sizes them: the optimizer's own size, or round_size. */
void sim_run(sim *s, long trials, sim_objective f);

/* Objectives the tests share: Branin on x1 in [-5, 10], x2 in [0, 15]
 * (global minimum SIM_BRANIN_MIN), its negation (for mode: max), and a
 * 10-config space of a choice and an int (best a = p, k = 2). */
#define SIM_BRANIN_SPACE "  x1: {type: float, low: -5, high: 10}\n  x2: {type: float, low: 0, high: 15}\n"
#define SIM_BRANIN_MIN 0.397887357729739
#define SIM_TINY_SPACE "  a: {type: choice, values: [p, q]}\n  k: {type: int, low: 1, high: 5}\n"
double sim_branin(const double *x);
double sim_neg_branin(const double *x);
double sim_tiny(const double *x);

/* The startup design is n_startup (10) Sobol' points in all, however the
 * rounds fall (optimizer.c, design_points): with `algo` on Branin in
 * rounds of 8, trials 0-9 are sobol's and 10-15 the model's picks -- not 8
 * more Sobol' points in the second round because fewer than 10 trials had
 * completed.  Fails the test otherwise. */
void sim_check_startup_across_rounds(const char *algo);

/* The spec "name: t, command, space: SPACE (NULL: one float x in [0, 1]),
 * objective, algorithm: ALGORITHM" (the algorithm on line 6 with the
 * default space), then EXTRA (NULL: nothing), parses, and its optimizer
 * refuses it with exactly `message`.  Fails the test otherwise. */
void sim_expect_refused(const char *space, const char *algorithm, const char *extra, const char *message);

#endif
