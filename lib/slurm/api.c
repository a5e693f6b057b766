/*
 * api.c -- choosing the Slurm backend (see api.h).
 */
#include "slurm/api.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int slurm_state_is_final(const char *s)
{
    static const char *live[] = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED",
                                 "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING",
                                 "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", NULL};
    for (int i = 0; live[i]; i++)
        if (strcmp(s, live[i]) == 0) return 0;
    return 1;
}

long slurm_array_count(const char *spec)
{
    long n = 0;
    for (const char *p = spec; *p && *p != '%';) {
        char *end;
        long a = strtol(p, &end, 10), b = a, step = 1;
        if (end == p) break;
        if (*end == '-') b = strtol(end + 1, &end, 10);
        if (*end == ':') step = strtol(end + 1, &end, 10);   /* "0-15:4" */
        if (b >= a && step > 0) n += (b - a) / step + 1;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',') break;
    }
    return n;
}

int slurm_api(const hpo_slurm_api **out)
{
    /* libslurm (which the commands use too) retries for a minute and then
     * exits the process when it finds no configuration: say so at once. */
    const char *conf = getenv("SLURM_CONF");
    if (conf && *conf) {
        if (!path_exists(conf))
            return hpo_error(HPO_ENOTFOUND, "SLURM_CONF=%s: no such file; is this a Slurm cluster?", conf);
    } else if (!path_exists("/etc/slurm/slurm.conf") && !path_exists("/etc/slurm-llnl/slurm.conf") &&
               !path_exists("/run/slurm/conf/slurm.conf")) {
        return hpo_error(HPO_ENOTFOUND, "no Slurm configuration found (SLURM_CONF unset, no "
                         "/etc/slurm/slurm.conf): run on a Slurm cluster, or use hpo run");
    }
    const char *want = getenv("HPO_SLURM_API");
#ifdef HPO_HAVE_LIBSLURM
    if (!want || !*want || strcmp(want, "libslurm") == 0) {
        *out = &slurm_api_libslurm;
        return 0;
    }
#endif
    if (want && *want && strcmp(want, "cli") != 0)
        return hpo_error(HPO_ERROR, "HPO_SLURM_API=%s: expected cli%s", want,
#ifdef HPO_HAVE_LIBSLURM
                         " or libslurm"
#else
                         " (this hpo was built without libslurm)"
#endif
        );
    *out = &slurm_api_cli;
    return 0;
}

typedef struct { char **v; int n; } optlist;

static void add(optlist *o, char *s)
{
    o->v = xrealloc(o->v, sizeof(char *) * (size_t)(o->n + 2));
    o->v[o->n++] = s;
    o->v[o->n] = NULL;
}

static void opt(optlist *o, const char *name, const char *value)
{
    if (value && *value) add(o, xasprintf("--%s=%s", name, value));
}

static void opt_int(optlist *o, const char *name, int value)
{
    if (value > 0) add(o, xasprintf("--%s=%d", name, value));
}

char **slurm_job_options(const hpo_slurm_job *j, int *n)
{
    optlist o = {xcalloc(1, sizeof(char *)), 0};
    opt(&o, "job-name", j->name);
    opt(&o, "array", j->array);
    opt(&o, "partition", j->partition);
    opt(&o, "account", j->account);
    opt(&o, "qos", j->qos);
    opt(&o, "gres", j->gres);
    opt(&o, "mem", j->mem);
    opt_int(&o, "cpus-per-task", j->cpus_per_task);
    opt_int(&o, "time", j->time_limit_min);
    if (j->signal && *j->signal) add(&o, xasprintf("--signal=B:%s", j->signal));
    opt(&o, "dependency", j->dependency);
    if (j->begin_in_s > 0) add(&o, xasprintf("--begin=now+%d", j->begin_in_s));
    if (j->no_requeue) add(&o, xstrdup("--no-requeue"));
    if (j->hold) add(&o, xstrdup("--hold"));
    opt(&o, "output", j->std_out);
    opt(&o, "chdir", j->work_dir);
    for (int i = 0; i < j->n_extra; i++) add(&o, xstrdup(j->extra[i]));
    if (n) *n = o.n;
    return o.v;
}

void slurm_job_options_free(char **opts)
{
    if (!opts) return;
    for (char **p = opts; *p; p++) free(*p);
    free(opts);
}
