/*
 * spec.h -- a sweep's spec: the YAML file a user writes (README.md, "The
 * spec"), parsed with libyaml into one struct.  Every error names the file,
 * line and column in the compiler convention ("FILE:LINE:COL: message") so
 * editors jump to it.  The spec is validated whole here: later stages may
 * assume every field is in range.
 */
#ifndef HPO_SPEC_H
#define HPO_SPEC_H

#include <stdint.h>
#include "spec/space.h"

/* How trials are scheduled (README.md, "Rounds and workers"):
 *  ROUNDS   one array (or local batch) per round, the driver between rounds;
 *  WORKERS  long-lived workers that each take the next trial as soon as a
 *           slot is free (no round barrier). */
typedef enum { HPO_MODE_DEFAULT = 0, HPO_MODE_ROUNDS, HPO_MODE_WORKERS } hpo_sweep_mode;

/* A scalar option of the algorithm (algorithm: {name: x, popsize: 8}),
 * kept as text with its position so the optimizer can validate it. */
typedef struct hpo_option {
    char *key, *value;
    int line, col;
} hpo_option;

typedef struct hpo_spec {
    char *path;              /* the file as given */
    char *dir;               /* absolute directory of the file */
    char *yaml;              /* the file's bytes (frozen into the experiment) */
    size_t yaml_len;
    char sha256[65];         /* of those bytes */

    char *name;              /* [A-Za-z0-9_.-]+ */
    int argc;                /* command, split into argv (no shell) */
    char **argv;             /* may hold {param} placeholders */
    char *workdir;           /* absolute; default: the spec's directory */
    char *space_file;        /* `space: FILE` (PaddleHub hparam.yaml) as read, or NULL */
    char *space_yaml;        /* its bytes (frozen into the experiment as EXP/space.yaml) */
    size_t space_len;
    char space_sha256[65];   /* of those bytes, "" without a space file */

    hpo_space space;

    char *metric;            /* objective.metric */
    int maximize;            /* objective.mode == max */
    int has_target;
    double target;           /* objective.target */
    int reduce_best;         /* objective.reduce: best (default: last) */

    char *algorithm;         /* algorithm.name, default "random" */
    int algorithm_line, algorithm_col;
    int n_options;
    hpo_option *options;     /* the other keys of `algorithm:` */

    long max_trials;         /* budget.max_trials, default 100 */
    int max_trials_line, max_trials_col; /* where it was given (0: the default) */
    long max_rounds;         /* 0: no limit */
    long max_failed;         /* default 10 */
    double max_hours;        /* 0: no limit */

    hpo_sweep_mode mode;     /* parallel.mode; DEFAULT: the algorithm's (optimizer.h) */
    int mode_line, mode_col; /* where parallel.mode was given (0 if not) */
    int round_size;          /* parallel.round_size, default 8 */
    int max_concurrent;      /* parallel.max_concurrent, default 4 */
    int trials_per_gpu;      /* parallel.trials_per_gpu: trials sharing one GPU, default 1 */

    struct {
        int enabled;
        char *param;         /* the parameter or placeholder that carries the budget */
        double min, max, eta;
    } fidelity;

    struct {
        char *partition, *gres, *mem, *time, *account, *qos, *signal;
        int cpus_per_task;   /* 0: not given */
        int n_extra;
        char **extra;
    } slurm;

    uint64_t seed;           /* default 0 */
    int retries;             /* runs again of a failed trial before it counts as failed, default 0 */
    int retries_given;       /* `retries` is in the spec (see spec_max_attempts) */

    /* early_stop: (the target is objective.target) */
    int patience_rounds;     /* stop when the best has not improved for this many rounds; 0: never */
    int median_stop;         /* prune a trial whose running best is worse than the finished trials' median */
    int median_min_trials;   /* ... once at least this many finished trials reported that step (default 3) */
    int keep_all_checkpoints;/* keep_checkpoints: all (default best: delete those no longer promotable) */
} hpo_spec;

/* Parse and validate the spec at `path`.  On error returns HPO_ESPEC (or
 * HPO_ENOTFOUND/HPO_EIO) with hpo_error_last() = "FILE:LINE:COL: message". */
int spec_load(hpo_spec **out, const char *path);
/* The same, from bytes already read; `path` names them in messages and
 * fixes the spec's directory. */
int spec_parse(hpo_spec **out, const char *path, const char *yaml, size_t len);
/* The same, reading a `space: FILE` from `space_file` instead (the frozen
 * copy in an experiment), whatever the spec names. */
int spec_parse_frozen(hpo_spec **out, const char *path, const char *yaml, size_t len, const char *space_file);
void spec_free(hpo_spec *spec);
/* What the spec needs of this machine, checked before anything is created
 * (hpo check and hpo run say the same): the workdir is a directory, and
 * the program (command[0], unless it has a placeholder) is an executable
 * file -- relative to the workdir if it has a '/', else found on $PATH.
 * HPO_ESPEC saying which, otherwise 0. */
int spec_check_runnable(const hpo_spec *spec);

/* The algorithm option `key`, or NULL. */
const hpo_option *spec_option(const hpo_spec *spec, const char *key);
/* Read option `key` as a number in [lo, hi] (default `def` when absent);
 * HPO_ESPEC with a FILE:LINE:COL message naming the key otherwise. */
int spec_option_double(const hpo_spec *spec, const char *key, double def,
                       double lo, double hi, double *out);
int spec_option_long(const hpo_spec *spec, const char *key, long def,
                     long lo, long hi, long *out);

/* The retry policy, in one place: how many attempts in all a trial may
 * have.  A failure of the config (status failed) gets retries + 1.  A
 * failure that is not the config's fault (a node failure, or a time-out
 * after the trial wrote a checkpoint; `infrastructure`) gets retries + 1
 * too when the spec says `retries`, and HPO_INFRA_RETRIES_DEFAULT + 1 = 3
 * when it does not. */
#define HPO_INFRA_RETRIES_DEFAULT 2
int spec_max_attempts(const hpo_spec *s, int infrastructure);

#endif
