/*
 * plan.h -- a round's plan: the trials of one round with their configs,
 * written to EXP/rounds/rNNNN.plan before anything is run or submitted.
 *
 * Format (text, one record a line, so a person can read it):
 *   hpo-plan 1
 *   round 3
 *   kind random
 *   params lr hidden batch
 *   trial ID INDEX PARENT BUDGET BRACKET RUNG V1 V2 ...
 * Values are in the space.h encoding, printed to round-trip exactly.
 *
 * Invariant: a plan is written once, atomically (temp + rename), before its
 * round starts; it is never changed afterwards.  Trial ids are dense across
 * rounds: round r's trials follow round r-1's.
 *
 * EXP/rounds/rNNNN.state holds what happened to the round (key=value,
 * replaced whole): submitted_at, finished_at, array_job_id, driver_job_id.
 */
#ifndef HPO_PLAN_H
#define HPO_PLAN_H

#include "store/experiment.h"

typedef struct hpo_plan_trial {
    long trial_id;
    int index;            /* position in the round (the array task index) */
    long parent_id;       /* -1 if none */
    double budget;        /* NaN if no fidelity */
    int bracket, rung;    /* Hyperband bracket and rung, -1 if none */
    double *values;       /* space.n values */
} hpo_plan_trial;

typedef struct hpo_plan {
    int round;
    char kind[16];
    int n_params;
    int n;
    hpo_plan_trial *trials;
} hpo_plan;

#define HPO_MAX_ARRAYS 64

typedef struct hpo_round_state {
    double submitted_at, finished_at;   /* NaN if not yet */
    long array_job_id, driver_job_id;   /* -1 if none; array_job_id = arrays[0] */
    /* Every array submitted for the round, in order: task t of array k
     * runs trial index offsets[k] + t.  A later array that covers a trial
     * again (a resubmission) supersedes the earlier ones for it. */
    int n_arrays;
    long arrays[HPO_MAX_ARRAYS];
    int offsets[HPO_MAX_ARRAYS];
} hpo_round_state;

/* Allocate an empty plan for n trials of n_params values each. */
hpo_plan *plan_new(int round, const char *kind, int n_params, int n);
void plan_free(hpo_plan *p);

int plan_write(const hpo_experiment *e, const hpo_plan *p);
/* Read round `round`'s plan; HPO_ENOTFOUND if there is none, HPO_ECORRUPT
 * if it does not match the experiment's space. */
int plan_read(const hpo_experiment *e, int round, hpo_plan **out);
/* The number of rounds planned so far (plans are dense from r0000). */
int plan_count(const hpo_experiment *e);
/* The same, when rounds [0, known) are known to be planned (what results.h5
 * holds): one look per new round, not one per round (workers mode plans a
 * round per trial). */
int plan_count_from(const hpo_experiment *e, int known);

int round_state_read(const hpo_experiment *e, int round, hpo_round_state *s);
int round_state_write(const hpo_experiment *e, int round, const hpo_round_state *s);

#endif
