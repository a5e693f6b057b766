/*
 * cli.c -- Slurm through its commands: sbatch --parsable, scontrol -o show
 * job, squeue, scancel, scontrol show config.  Slower than libslurm (one
 * fork per call) but independent of libslurm's ABI.  See api.h.
 */
#include "slurm/api.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run argv, capturing stdout and stderr together; *status is the exit
 * status (or -1 if it could not be run). */
static int run_capture(char *const argv[], char **out, int *status)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return hpo_error(HPO_EIO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return hpo_error(HPO_ERROR, "fork: %s", strerror(errno));
    }
    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) buf = xrealloc(buf, cap *= 2);
        ssize_t r = read(fds[0], buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    *out = buf;
    return 0;
}

/* The output without trailing newlines, for messages. */
static const char *chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
    for (char *c = s; *c; c++)
        if (*c == '\n') *c = ' ';
    return s;
}

typedef struct { char **v; int n; } args;

static void arg(args *a, char *s)
{
    a->v = xrealloc(a->v, sizeof(char *) * (size_t)(a->n + 2));
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void args_free(args *a)
{
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
}

static int cli_submit(const hpo_slurm_job *job, long *job_id)
{
    if (!job->script_path) return hpo_error(HPO_ERROR, "sbatch needs the script on disk");
    args a = {0};
    arg(&a, xstrdup("sbatch"));
    arg(&a, xstrdup("--parsable"));
    char **opts = slurm_job_options(job, NULL);   /* the options, built in one place */
    for (char **o = opts; *o; o++) arg(&a, *o);
    free(opts);                                   /* the strings now belong to a */
    arg(&a, xstrdup(job->script_path));
    char *out = NULL;
    int status = -1, r = run_capture(a.v, &out, &status);
    if (r == 0) {
        char *end;
        long id = strtol(out, &end, 10);
        if (status == 0 && end != out && id > 0) *job_id = id;
        else r = hpo_error(HPO_ERROR, "sbatch %s: %s", job->name, chomp(out));
    }
    free(out);
    args_free(&a);
    return r;
}

/* The value of KEY= in a `scontrol -o` record (up to the next space). */
static int field(const char *rec, const char *key, char *buf, size_t n)
{
    size_t klen = strlen(key);
    for (const char *p = rec; (p = strstr(p, key)); p++) {
        if ((p == rec || p[-1] == ' ') && p[klen] == '=') {
            const char *v = p + klen + 1, *end = strchr(v, ' ');
            size_t len = end ? (size_t)(end - v) : strlen(v);
            if (len >= n) len = n - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return 1;
        }
    }
    buf[0] = '\0';
    return 0;
}

static int cli_tasks(long job_id, hpo_slurm_task **out, int *n)
{
    char id[32];
    snprintf(id, sizeof id, "%ld", job_id);
    char *argv[] = {"scontrol", "-o", "show", "job", id, NULL};
    char *text = NULL;
    int status = -1, r = run_capture(argv, &text, &status);
    *out = NULL;
    *n = 0;
    if (r != 0) return r;
    if (status != 0) {
        /* "Invalid job id specified": purged or never existed. */
        if (strstr(text, "Invalid job id")) r = 0;
        else r = hpo_error(HPO_ERROR, "scontrol show job %ld: %s", job_id, chomp(text));
        free(text);
        return r;
    }
    char *save = NULL;
    for (char *rec = strtok_r(text, "\n", &save); rec; rec = strtok_r(NULL, "\n", &save)) {
        char v[128];
        if (!field(rec, "JobId", v, sizeof v)) continue;
        *out = xrealloc(*out, sizeof **out * (size_t)(*n + 1));
        hpo_slurm_task *t = &(*out)[(*n)++];
        memset(t, 0, sizeof *t);
        t->job_id = atol(v);
        t->task = -1;
        if (field(rec, "ArrayTaskId", v, sizeof v)) {
            char *end;
            long k = strtol(v, &end, 10);
            if (*end == '\0') t->task = (int)k;
            else field(rec, "ArrayTaskId", t->pending_tasks, sizeof t->pending_tasks);
        }
        field(rec, "JobState", t->state, sizeof t->state);
        field(rec, "NodeList", t->node, sizeof t->node);
        field(rec, "Reason", t->reason, sizeof t->reason);
        if (field(rec, "ExitCode", v, sizeof v)) sscanf(v, "%d:%d", &t->exit_code, &t->signal);
    }
    free(text);
    return 0;
}

static int cli_find(const char *name, long **ids, int *n)
{
    char *nm = xasprintf("--name=%s", name);
    char *argv[] = {"squeue", "-h", nm, "-o", "%F", NULL};
    char *text = NULL;
    int status = -1, r = run_capture(argv, &text, &status);
    free(nm);
    *ids = NULL;
    *n = 0;
    if (r != 0) return r;
    if (status != 0) {
        r = hpo_error(HPO_ERROR, "squeue --name=%s: %s", name, chomp(text));
        free(text);
        return r;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        long id = atol(line);
        int seen = 0;
        for (int i = 0; i < *n; i++) seen |= (*ids)[i] == id;
        if (id <= 0 || seen) continue;
        *ids = xrealloc(*ids, sizeof(long) * (size_t)(*n + 1));
        (*ids)[(*n)++] = id;
    }
    free(text);
    return 0;
}

static int cli_cancel(long job_id)
{
    char id[32];
    snprintf(id, sizeof id, "%ld", job_id);
    char *argv[] = {"scancel", id, NULL};
    char *text = NULL;
    int status = -1, r = run_capture(argv, &text, &status);
    if (r == 0 && status != 0) r = hpo_error(HPO_ERROR, "scancel %ld: %s", job_id, chomp(text));
    free(text);
    return r;
}

static long config_value(const char *text, const char *key)
{
    for (const char *p = text; (p = strstr(p, key)); p++)
        if ((p == text || p[-1] == '\n') && (p[strlen(key)] == ' ' || p[strlen(key)] == '=')) {
            const char *eq = strchr(p, '=');
            return eq ? atol(eq + 1) : -1;
        }
    return -1;
}

static int cli_limits(long *max_array_size, long *max_job_count, long *n_jobs)
{
    char *argv[] = {"scontrol", "show", "config", NULL};
    char *text = NULL;
    int status = -1, r = run_capture(argv, &text, &status);
    if (r == 0 && status != 0) r = hpo_error(HPO_ERROR, "scontrol show config: %s", chomp(text));
    if (r == 0) {
        *max_array_size = config_value(text, "MaxArraySize");
        *max_job_count = config_value(text, "MaxJobCount");
    }
    free(text);
    /* One line per job record, pending array tasks each on their own (-r),
     * finished ones included (-t all), all partitions (-a). */
    char *list[] = {"squeue", "-h", "-a", "-r", "-t", "all", "-o", "%i", NULL};
    *n_jobs = -1;
    text = NULL;
    if (r == 0 && run_capture(list, &text, &status) == 0 && status == 0) {
        *n_jobs = 0;
        for (const char *c = text; *c; c++) *n_jobs += *c == '\n';
    }
    free(text);
    return r;
}

const hpo_slurm_api slurm_api_cli = {
    .name = "cli",
    .submit = cli_submit,
    .tasks = cli_tasks,
    .find = cli_find,
    .cancel = cli_cancel,
    .limits = cli_limits,
};
