/*
 * runner.h -- the trial runner: runs one planned trial's command and records
 * what happens in its journal (`hpo trial EXP ROUND INDEX`, used by both the
 * local and the Slurm executor).
 *
 * The command is started with fork/exec, never through a shell: a parameter
 * value reaches the program as one argument, byte for byte.  The child gets
 * its own process group; SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 sent
 * to the runner are forwarded to that group, and whatever is left of the
 * group when the command exits is killed, so no child outlives its trial.
 *
 * Idempotent: a trial that already has a final result (other than
 * cancelled) is not run again.  A cancelled or interrupted attempt is moved
 * to attempt-N/ inside the trial directory (kept, never deleted) before the
 * trial runs again.
 */
#ifndef HPO_TRIAL_H
#define HPO_TRIAL_H

#include "store/experiment.h"
#include "store/plan.h"
#include "store/journal.h"

/* Run trial `index` of round `round`.  *exit_status is what `hpo trial`
 * should exit with: 0 if the trial completed, else its exit code (128+N
 * for a signal). */
int trial_run(hpo_experiment *e, int round, int index, int *exit_status);

/* The trial's argv: the spec's command with {param} placeholders replaced
 * ({{ and }} are literal braces).  NULL-terminated; free with
 * trial_free_argv. */
char **trial_build_argv(const hpo_spec *spec, const hpo_plan_trial *t);
void trial_free_argv(char **argv);

/* How many earlier attempts of the trial in directory `dir` were kept
 * (its attempt-1/, attempt-2/, ... folders). */
int trial_earlier_attempts(const char *dir);
/* Those of them that count against the retry policy (spec_max_attempts):
 * all but the preempted ones (HPO_REASON_PREEMPTED). */
int trial_counted_attempts(const char *dir);

#endif
