/*
 * workers.h -- workers mode on Slurm: the worker arrays.  Each driver step
 * of a workers-mode sweep (drive.c) submits at most one array of worker
 * tasks, each running `hpo worker EXP` (templates/worker.sbatch.in), and
 * chains the next driver step after it.  The arrays submitted are recorded
 * in EXP/workers.state (one line each: "array ID FINISHED PLANNED TIME",
 * the trials finished and planned when it was submitted), so a driver step
 * can tell whether the last array made progress.
 *
 * Invariant: an array is recorded right after Slurm accepts it; one found
 * in the queue under the experiment's worker job name but not recorded (the
 * driver was killed in between) is adopted, never submitted twice.
 */
#ifndef HPO_SLURM_WORKERS_H
#define HPO_SLURM_WORKERS_H

#include "store/experiment.h"
#include "slurm/api.h"

#define HPO_MAX_WORKER_ARRAYS 4096

typedef struct hpo_worker_array {
    long id;
    long finished, planned;    /* trials final / planned when it was submitted */
    double submitted_at;
} hpo_worker_array;

/* The arrays recorded so far, oldest first (*out allocated; *n may be 0). */
int slurm_workers_read(const hpo_experiment *e, hpo_worker_array **out, int *n);

/* The ids of recorded (or adoptable) worker arrays with a task still
 * pending or running. */
int slurm_workers_live(hpo_experiment *e, const hpo_slurm_api *api, long *ids, int max, int *n);

/* Submit one array of ceil(max_concurrent / trials_per_gpu) worker tasks,
 * each with trials_per_gpu slots, and record it.  With dry_run, print the
 * script instead. */
int slurm_submit_workers(hpo_experiment *e, const hpo_slurm_api *api, long finished, long planned,
                         long *id, int dry_run);

/* Worker tasks that Slurm preempted: the records their trials' runners
 * left (a plain cancellation: SIGTERM) are corrected to preempted
 * (slurm_correct_record), in the trial's own record when nobody runs it
 * (under its trial lock) or in the attempt-N/ that a worker that took it
 * over has archived.  Then the preemption is held neither against the
 * trial's retries nor as a failure.  *n_marked counts records rewritten. */
int slurm_workers_preempted(hpo_experiment *e, const hpo_slurm_api *api, int *n_marked);

/* Cancel every live worker array; *n_cancelled counts them. */
int slurm_cancel_workers(hpo_experiment *e, const hpo_slurm_api *api, int *n_cancelled);

#endif
