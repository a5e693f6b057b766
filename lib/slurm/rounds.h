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
#include "store/journal.h"

/* The job name of `what` ("r0003", "driver") of this experiment:
 * "hpo-<8 hex of the experiment's path>-<what>". */
char *slurm_job_name(const hpo_experiment *e, const char *what);

/* Submit trials indices[0..n) of `round`, or as many of them as the
 * controller's MaxJobCount lets in now (*n_submitted, may be NULL; the
 * others are left for a later step, with a notice).  With dry_run, only
 * print the script(s) and options that would be submitted to stdout. */
int slurm_submit_round(hpo_experiment *e, const hpo_slurm_api *api, int round,
                       const int *indices, int n, int dry_run, int *n_submitted);

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

/* How a task that ended is recorded: the one place where Slurm's word
 * becomes a trial status (rounds here, worker arrays in workers.c).
 * `output` is the task's Slurm output file (NULL: none), read for what the
 * state hides; *why says what Slurm said.
 *
 *   TIMEOUT, DEADLINE          timeout
 *   OUT_OF_MEMORY              oom (cgroup memory enforcement)
 *   the output says the job    oom: jobacct_gather's OverMemoryKill (no
 *   exceeded its memory        cgroups) SIGKILLs the job, which Slurm then
 *                              calls FAILED, exit 0:9
 *   NODE_FAIL, BOOT_FAIL       node_fail
 *   PREEMPTED, or the output   cancelled, *why starting "preempted": runs
 *   says DUE TO PREEMPTION     again, not counted against the retries
 *                              (HPO_REASON_PREEMPTED)
 *   CANCELLED                  cancelled
 *   anything else              failed */
const char *slurm_task_status(const char *output, const hpo_slurm_task *t, char *why, size_t n);

/* Correct the runner's record `res` of the trial or attempt directory dir
 * (a plain cancellation or failure, as SIGTERM/SIGKILL left it) to what
 * slurm_task_status() says; a completion or a failure of the trial's own is
 * kept.  Returns 1 if rewritten. */
int slurm_correct_record(const char *dir, hpo_trial_result *res, const char *status, const char *why);

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
