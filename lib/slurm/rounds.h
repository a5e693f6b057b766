/*
 * rounds.h -- running rounds as Slurm array jobs.  The driver (drive.c)
 * is a one-shot process, so unlike the local executor (executors/) this
 * is not an hpo_executor_ops but a set of steps the driver takes, each safe to repeat:
 *
 *   submit     a round's trials as one array (or several, where the round
 *              exceeds MaxArraySize), each recorded in rounds/rNNNN.state
 *              right after it is accepted; an array found already submitted
 *              under the round's job name is adopted instead of submitted
 *              twice (the driver may have been killed in between).
 *   reconcile  for trials without an end record, ask Slurm how their task
 *              ended, and write the record a dead task could not (timeout,
 *              oom, node_fail, ...); report which tasks still live.
 *   chain      submit the driver again, to run after the round.
 *   cancel     the round's arrays and the pending driver.
 */
#ifndef HPO_EXEC_SLURM_H
#define HPO_EXEC_SLURM_H

#include "store/experiment.h"
#include "store/plan.h"
#include "slurm/api.h"

/* The job name of `what` ("r0003", "driver") of this experiment:
 * "hpo-<8 hex of the experiment's path>-<what>". */
char *slurm_job_name(const hpo_experiment *e, const char *what);

/* Submit trials indices[0..n) of `round`.  With dry_run, only print the
 * script(s) and options that would be submitted to stdout. */
int slurm_submit_round(hpo_experiment *e, const hpo_slurm_api *api, int round,
                       const int *indices, int n, int dry_run);

typedef struct hpo_round_progress {
    int live;            /* trials whose task is pending or running */
    int ended;           /* trials with an end record */
    int *rerun;          /* trials to run again: never started, or cancelled/preempted */
    int n_rerun;
    long live_arrays[HPO_MAX_ARRAYS];
    int n_live_arrays;
} hpo_round_progress;

int slurm_reconcile_round(hpo_experiment *e, const hpo_slurm_api *api, int round, hpo_round_progress *p);
void round_progress_free(hpo_round_progress *p);

/* Submit EXP/driver.sbatch to run after `deps` (afterany) and no sooner
 * than `begin_in_s` seconds from now (0: at once), unless a driver of this
 * experiment other than the current job is already queued (*job_id -1). */
int slurm_chain_driver(hpo_experiment *e, const hpo_slurm_api *api, const long *deps, int n_deps, int begin_in_s,
                       long *job_id);

/* Cancel the round's live arrays and any queued driver; returns how many jobs. */
int slurm_cancel_experiment(hpo_experiment *e, const hpo_slurm_api *api, int round, int *n_cancelled);

/* For the other kinds of job (workers.c): a job with the spec's slurm:
 * options (*signal is allocated, to free after submitting); and a script
 * from templates/NAME with @KEY@ of vars (KEY, value pairs, NULL-ended;
 * values already quoted for bash where they need it) and the job's
 * #SBATCH lines as @SBATCH_LINES@. */
int slurm_prepare_job(const hpo_experiment *e, hpo_slurm_job *j, char **signal);
int slurm_render_script(const char *template_name, const char *const *vars, const hpo_slurm_job *j,
                        char **script);
/* s in single quotes for bash (allocated). */
char *slurm_shell_quote(const char *s);

#endif
