/*
 * experiment.h -- the experiment directory (README.md, "The experiment
 * directory") and its lock.
 *
 *   EXP/spec.yaml       frozen copy of the spec, byte for byte
 *   EXP/experiment      key=value: where the spec came from (its directory
 *                       resolves relative paths), its sha256, format
 *   EXP/lock            flock()ed by whoever writes results.h5 or plans
 *   EXP/lock.lease      its holder's lease, the guard between hosts (lease.h)
 *   EXP/results.h5      see results.h: the published snapshot readers open
 *   EXP/.results.work.h5  the writer's private working copy (store/publish.h)
 *   EXP/rounds/rNNNN.*  see plan.h
 *   EXP/trials/tNNNNNN/ see journal.h and trial/runner.h
 *
 * Invariant: the spec of an experiment never changes after it is created;
 * opening an experiment with a spec whose sha256 differs is refused.
 */
#ifndef HPO_EXPERIMENT_H
#define HPO_EXPERIMENT_H

#include "spec/spec.h"

typedef struct hpo_experiment {
    char *dir;            /* absolute */
    char *spec_source;    /* absolute path of the spec it was created from */
    hpo_spec *spec;       /* parsed from the frozen copy */
    int lock_fd;          /* -1 unless locked */
} hpo_experiment;

/* Open the experiment in `dir`, creating it from `spec_path` if it does not
 * exist yet.  If it exists, `spec_path` (may be NULL) must have the same
 * sha256 as the frozen copy; with allow_change a spec with the same space
 * replaces it (the old one kept as spec.yaml.N, the change logged). */
int experiment_create_or_open(hpo_experiment **out, const char *dir, const char *spec_path, int allow_change);
/* Open an existing experiment (HPO_ENOTFOUND if `dir` is not one). */
int experiment_open(hpo_experiment **out, const char *dir);
void experiment_free(hpo_experiment *e);

/* Take EXP/lock without waiting (a symbolic link is refused): its flock,
 * then its lease (store/lease.h).  HPO_ELOCKED, with a message naming the
 * holder (host, pid, Slurm job), if another process has it here or a live
 * lease says one has it on another host. */
int experiment_lock(hpo_experiment *e);
/* The same, retrying for up to `seconds` (workers hold it for milliseconds
 * at a time, so a driver step of a workers-mode sweep waits its turn). */
int experiment_lock_wait(hpo_experiment *e, double seconds);
/* Publishes results.h5 if a change is not yet published, then releases. */
void experiment_unlock(hpo_experiment *e);

/* Allocated paths inside the experiment. */
char *experiment_path(const hpo_experiment *e, const char *name);
char *experiment_trial_dir(const hpo_experiment *e, long trial_id);
/* Whether a trial's directory may be used: absent, or a real directory.
 * A symbolic link in trials/ is refused (HPO_EIO, saying so), so nothing
 * is ever written or read out of EXP through one. */
int experiment_trial_dir_ok(const char *dir);
char *experiment_results_path(const hpo_experiment *e);
/* Whether a spec of this sha256 was ever this experiment's (the one in
 * force or one that --allow-spec-change replaced). */
int experiment_knows_spec(const hpo_experiment *e, const char *sha256);
/* EXP/.results.work.h5, which only the lock holder opens. */
char *experiment_work_path(const hpo_experiment *e);
/* No file or directory of the experiment hpo writes (results.h5, the
 * working file, lock, spec.yaml, experiment, rounds, trials) may be a
 * symbolic link: HPO_EIO naming it if one is. */
int experiment_check_links(const hpo_experiment *e);

/* A trial's lock, trials/tNNNNNN/lock: whoever runs the trial holds it
 * (flock, exclusive) for as long as the trial runs, so "is this trial
 * running somewhere?" is answered by the lock, not by what was planned, and
 * it frees itself when its holder dies; its lease (lock.lease, store/lease.h)
 * keeps a holder on another host out where flock does not reach.  Take it
 * (making the trial's directory), waiting for it or not (HPO_ELOCKED if
 * held); *fd keeps it. */
int experiment_trial_lock(const hpo_experiment *e, long trial_id, int wait, int *fd);
/* Release a trial's lock taken above: remove its lease and close fd.  With
 * `handoff`, a child process on this host inherited fd and holds on: its
 * lease is left for that process to take over. */
void experiment_trial_unlock(int fd, int handoff);
/* Whether some process holds trial_id's lock now (here, or by a live lease
 * on another host). */
int experiment_trial_alive(const hpo_experiment *e, long trial_id);

/* The default experiment directory of a spec: hpo-runs/<name>. */
char *experiment_default_dir(const hpo_spec *spec);

#endif
