/*
 * api.h -- all of hpo's access to Slurm, behind one interface with two
 * backends: libslurm (lib/slurm/libslurm.c, when built with it) and the
 * sbatch/squeue/scontrol/scancel commands (lib/slurm/cli.c).  libslurm's ABI
 * changes with every Slurm release; the commands do not, so a build without
 * libslurm, or HPO_SLURM_API=cli, still works everywhere.
 *
 * What Slurm tells us is advisory: whether a round is finished is decided
 * from hpo's own plans and journals (a dependency on a purged job counts as
 * satisfied, and finished jobs vanish after MinJobAge without slurmdbd).
 */
#ifndef HPO_SLURM_API_H
#define HPO_SLURM_API_H

/* What to submit.  Every field but script and name may be NULL/0. */
typedef struct hpo_slurm_job {
    const char *name;          /* job name */
    const char *script;        /* the batch script's text (starts with #!) */
    const char *script_path;   /* the same script kept on disk (for the CLI) */
    const char *array;         /* "0-7%4", "1,3,5%2" */
    const char *partition, *account, *qos;
    const char *gres;          /* "gpu:1" */
    const char *mem;           /* "16G" */
    int time_limit_min;        /* 0: the partition's default */
    int cpus_per_task;
    const char *signal;        /* "USR2@120": send SIGUSR2 to the batch shell 120 s before the limit */
    const char *dependency;    /* "afterany:123:124" */
    int begin_in_s;            /* > 0: start no sooner than this many seconds from now */
    const char *std_out;       /* path pattern, %A_%a allowed */
    const char *work_dir;
    int no_requeue;            /* never requeue (hpo decides retries itself) */
    int hold;                  /* submit held (priority 0), to be released or cancelled */
    char **extra;              /* further sbatch options ("--exclusive") */
    int n_extra;
} hpo_slurm_job;

/* The job's sbatch options ("--array=0-7%4", "--no-requeue", ...), in one
 * order, NULL-terminated and allocated (free with slurm_job_options_free).
 * The one place they are built: the CLI backend passes them to sbatch and
 * the generated scripts carry them as #SBATCH lines, so what a script says
 * is what was submitted. */
char **slurm_job_options(const hpo_slurm_job *job, int *n);
void slurm_job_options_free(char **opts);

/* One task of an array (or a plain job) as Slurm last saw it. */
typedef struct hpo_slurm_task {
    long job_id;               /* the task's own job id */
    int task;                  /* its array index; -1 for a record of still-pending tasks */
    char pending_tasks[64];    /* task == -1: which ("0-3%4") */
    char state[24];            /* PENDING RUNNING COMPLETED FAILED TIMEOUT OUT_OF_MEMORY
                                  NODE_FAIL CANCELLED PREEMPTED BOOT_FAIL DEADLINE ... */
    int exit_code, signal;
    char node[64];
    char reason[64];
} hpo_slurm_task;

typedef struct hpo_slurm_api {
    const char *name;
    /* Submit; *job_id is the (array) job id.  Errors carry Slurm's text. */
    int (*submit)(const hpo_slurm_job *job, long *job_id);
    /* Every task Slurm still knows of array (or job) `job_id`; *n = 0 when
     * Slurm no longer knows it (purged). */
    int (*tasks)(long job_id, hpo_slurm_task **out, int *n);
    /* Ids of this user's jobs named `name` that have not ended. */
    int (*find)(const char *name, long **ids, int *n);
    int (*cancel)(long job_id);
    /* MaxArraySize and MaxJobCount of the controller, and how many job
     * records it holds now (*n_jobs, -1 if unknown): every pending array
     * task, running or finished job counts until MinJobAge purges it, and
     * slurmctld refuses a submission that would bring the count to
     * MaxJobCount (EAGAIN, "Resource temporarily unavailable"). */
    int (*limits)(long *max_array_size, long *max_job_count, long *n_jobs);
} hpo_slurm_api;

/* The backend to use: HPO_SLURM_API=cli|libslurm, else libslurm when built
 * in, else cli.  Fails with a one-line message when no slurm.conf can be
 * found (libslurm would retry for a minute and then exit the process). */
int slurm_api(const hpo_slurm_api **out);

/* Whether a Slurm state name means the job or task has ended. */
int slurm_state_is_final(const char *state);

/* How many task ids an array expression ("0-3,7%2") names. */
long slurm_array_count(const char *spec);

extern const hpo_slurm_api slurm_api_cli;
#ifdef HPO_HAVE_LIBSLURM
extern const hpo_slurm_api slurm_api_libslurm;
#endif

#endif
