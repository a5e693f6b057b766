/*
 * executor.h -- where trials run.  An executor takes a round's trials and
 * starts them (`submit`), reports progress without blocking (`poll`), and
 * stops them (`cancel`).  Each trial is `hpo trial EXP ROUND INDEX`, so
 * every executor records results the same way, through the journals.
 *
 * Only the local executor (local.c) is behind these operations: it lives
 * as long as the sweep and owns its trials as child processes.  Slurm is
 * deliberately not: its driver never lives between rounds, so lib/slurm/
 * offers one-shot steps instead (submit, reconcile, chain, cancel; see
 * slurm/rounds.h) whose every decision comes from the durable record.
 */
#ifndef HPO_EXECUTOR_H
#define HPO_EXECUTOR_H

#include "store/experiment.h"

typedef struct hpo_executor hpo_executor;

typedef struct hpo_exec_counts {
    int queued;      /* submitted, not started */
    int running;
    int finished;    /* ended (in any state) since submit */
} hpo_exec_counts;

typedef struct hpo_executor_ops {
    const char *name;
    int (*open)(hpo_executor **out, hpo_experiment *e);
    /* Start trials `indices[0..n)` of `round`. */
    int (*submit)(hpo_executor *x, int round, const int *indices, int n);
    /* Reap what ended, start what may start; never blocks for long. */
    int (*poll)(hpo_executor *x, hpo_exec_counts *c);
    /* Ask every trial to stop (they record themselves as cancelled); the
     * caller keeps polling until nothing runs. */
    int (*cancel)(hpo_executor *x);
    void (*close)(hpo_executor *x);
} hpo_executor_ops;

extern const hpo_executor_ops executor_local;

/* CUDA_VISIBLE_DEVICES split at commas (*gpus and its strings allocated);
 * returns how many (0 when unset). */
int executor_visible_gpus(char ***gpus);

/* Which of n_gpus visible GPUs concurrency slot `slot` uses: slots fill
 * the GPUs parallel.trials_per_gpu at a time (the local executor and the
 * worker loop share this rule). */
int executor_slot_gpu(const hpo_spec *spec, int slot, int n_gpus);

/* The `hpo` binary the executors start trials with (default: this
 * process's own executable). */
void executor_set_hpo_binary(const char *path);
const char *executor_hpo_binary(void);

#endif
