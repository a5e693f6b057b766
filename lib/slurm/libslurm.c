/*
 * libslurm.c -- Slurm through libslurm (Debian libslurm-dev): one RPC per
 * call, no fork.  Built only when libslurm is (HPO_HAVE_LIBSLURM); see
 * api.h for the interface (and docs/facts.md, "libslurm", on 22.05's quirks).
 */
#ifdef HPO_HAVE_LIBSLURM
#include "slurm/api.h"
#include "core/util.h"
#include "spec/slurm_units.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

extern char **environ;

static void ensure_init(void)
{
    static int done;
    if (!done) {
        slurm_init(NULL);
        done = 1;
    }
}

/* "USR2@120" -> signal number and seconds. */
static int parse_signal(const char *s, uint16_t *sig, uint16_t *secs)
{
    char name[32];
    int at = 60;
    if (sscanf(s, "%31[^@]@%d", name, &at) < 1) return -1;
    const char *n = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;
    for (int k = 1; k < NSIG; k++) {
        const char *abbrev = sigabbrev_np(k);
        if (abbrev && strcmp(abbrev, n) == 0) {
            *sig = (uint16_t)k;
            *secs = (uint16_t)at;
            return 0;
        }
    }
    return -1;
}

static int lib_submit(const hpo_slurm_job *job, long *job_id)
{
    if (job->n_extra > 0)   /* arbitrary sbatch options: only sbatch parses them */
        return slurm_api_cli.submit(job, job_id);
    ensure_init();
    job_desc_msg_t d;
    slurm_init_job_desc_msg(&d);
    d.name = (char *)job->name;
    d.script = (char *)job->script;
    d.array_inx = (char *)job->array;
    d.partition = (char *)job->partition;
    d.account = (char *)job->account;
    d.qos = (char *)job->qos;
    char *tres = NULL;
    if (job->gres && *job->gres) {
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 11, 0)
        tres = xasprintf("gres/%s", job->gres);
#else
        tres = xasprintf("gres:%s", job->gres);
#endif
        d.tres_per_node = tres;
    }
    long long mem = 0;   /* checked by the spec with the same parser (spec/slurm_units.h) */
    if (job->mem && *job->mem && slurm_mem_parse(job->mem, &mem) == 0 && mem > 0) d.pn_min_memory = (uint64_t)mem;
    if (job->time_limit_min > 0) d.time_limit = (uint32_t)job->time_limit_min;
    if (job->cpus_per_task > 0) d.cpus_per_task = (uint16_t)job->cpus_per_task;
    if (job->signal && parse_signal(job->signal, &d.warn_signal, &d.warn_time) == 0)
        d.warn_flags = KILL_JOB_BATCH;   /* B: to the batch shell, i.e. the trial runner */
    d.dependency = (char *)job->dependency;
    if (job->begin_in_s > 0) d.begin_time = time(NULL) + job->begin_in_s;
    if (job->no_requeue) d.requeue = 0;
    if (job->hold) d.priority = 0;
    d.std_out = (char *)job->std_out;
    char cwd[4096];
    d.work_dir = job->work_dir ? (char *)job->work_dir : getcwd(cwd, sizeof cwd);
    /* Like sbatch's default --export=ALL; an empty environment is refused. */
    uint32_t n_env = 0;
    while (environ[n_env]) n_env++;
    d.environment = environ;
    d.env_size = n_env;

    submit_response_msg_t *resp = NULL;
    int r = 0;
    if (slurm_submit_batch_job(&d, &resp) != SLURM_SUCCESS) {
        int e = errno;
        r = hpo_error(HPO_ERROR, "submitting %s (array %s%s%s): %s", job->name, job->array ? job->array : "-",
                      job->gres ? ", gres " : "", job->gres ? job->gres : "", slurm_strerror(e));
    } else {
        *job_id = (long)resp->job_id;
    }
    if (resp) slurm_free_submit_response_response_msg(resp);
    free(tres);
    return r;
}

/* Names as scontrol prints them. */
static const char *state_name(uint32_t state)
{
    static const char *names[] = {"PENDING", "RUNNING", "SUSPENDED", "COMPLETED", "CANCELLED", "FAILED",
                                  "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY"};
    uint32_t base = state & JOB_STATE_BASE;
    if (base < sizeof names / sizeof *names) {
        if (base == JOB_RUNNING && (state & JOB_COMPLETING)) return "COMPLETING";
        return names[base];
    }
    return "UNKNOWN";
}

static int lib_tasks(long job_id, hpo_slurm_task **out, int *n)
{
    ensure_init();
    *out = NULL;
    *n = 0;
    job_info_msg_t *msg = NULL;
    if (slurm_load_job(&msg, (uint32_t)job_id, SHOW_DETAIL) != SLURM_SUCCESS) {
        int e = errno;
        if (e == ESLURM_INVALID_JOB_ID) return 0;   /* purged, or never existed */
        return hpo_error(HPO_ERROR, "reading job %ld from Slurm: %s", job_id, slurm_strerror(e));
    }
    *out = xcalloc(msg->record_count + 1, sizeof **out);
    for (uint32_t i = 0; i < msg->record_count; i++) {
        const slurm_job_info_t *j = &msg->job_array[i];
        hpo_slurm_task *t = &(*out)[(*n)++];
        t->job_id = (long)j->job_id;
        t->task = j->array_task_id == NO_VAL ? -1 : (int)j->array_task_id;
        if (t->task < 0 && j->array_task_str)
            snprintf(t->pending_tasks, sizeof t->pending_tasks, "%s", j->array_task_str);
        snprintf(t->state, sizeof t->state, "%s", state_name(j->job_state));
        t->exit_code = (int)((j->exit_code >> 8) & 0xff);
        t->signal = (int)(j->exit_code & 0x7f);
        snprintf(t->node, sizeof t->node, "%s", j->nodes ? j->nodes : "");
        /* slurm_job_reason_string() is not in 22.05's header: the number. */
        snprintf(t->reason, sizeof t->reason, "reason %u", (unsigned)j->state_reason);
    }
    slurm_free_job_info_msg(msg);
    return 0;
}

static int lib_find(const char *name, long **ids, int *n)
{
    ensure_init();
    *ids = NULL;
    *n = 0;
    job_info_msg_t *msg = NULL;
    if (slurm_load_jobs(0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        return hpo_error(HPO_ERROR, "listing Slurm jobs: %s", slurm_strerror(errno));
    uid_t me = getuid();
    for (uint32_t i = 0; i < msg->record_count; i++) {
        const slurm_job_info_t *j = &msg->job_array[i];
        if (j->user_id != me || !j->name || strcmp(j->name, name) != 0) continue;
        if (slurm_state_is_final(state_name(j->job_state))) continue;
        long id = (long)(j->array_job_id ? j->array_job_id : j->job_id);
        int seen = 0;
        for (int k = 0; k < *n; k++) seen |= (*ids)[k] == id;
        if (seen) continue;
        *ids = xrealloc(*ids, sizeof(long) * (size_t)(*n + 1));
        (*ids)[(*n)++] = id;
    }
    slurm_free_job_info_msg(msg);
    return 0;
}

static int lib_cancel(long job_id)
{
    ensure_init();
    /* As scancel does: SIGTERM to every step, SIGKILL after KillWait. */
    if (slurm_kill_job((uint32_t)job_id, SIGKILL, 0) != SLURM_SUCCESS) {
        int e = errno;
        if (e == ESLURM_ALREADY_DONE || e == ESLURM_INVALID_JOB_ID) return 0;
        return hpo_error(HPO_ERROR, "cancelling job %ld: %s", job_id, slurm_strerror(e));
    }
    return 0;
}

static int lib_limits(long *max_array_size, long *max_job_count, long *n_jobs)
{
    ensure_init();
    slurm_conf_t *conf = NULL;
    if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS)
        return hpo_error(HPO_ERROR, "reading the Slurm configuration: %s", slurm_strerror(errno));
    *max_array_size = (long)conf->max_array_sz;
    *max_job_count = (long)conf->max_job_cnt;
    slurm_free_ctl_conf(conf);
    /* A pending array is one record standing for each of its pending
     * tasks (slurmctld counts them all); any other record counts once. */
    job_info_msg_t *msg = NULL;
    *n_jobs = -1;
    if (slurm_load_jobs(0, &msg, SHOW_ALL) == SLURM_SUCCESS) {
        *n_jobs = 0;
        for (uint32_t i = 0; i < msg->record_count; i++) {
            const slurm_job_info_t *j = &msg->job_array[i];
            long k = j->array_task_id == NO_VAL && j->array_task_str ? slurm_array_count(j->array_task_str) : 1;
            *n_jobs += k > 0 ? k : 1;
        }
        slurm_free_job_info_msg(msg);
    }
    return 0;
}

const hpo_slurm_api slurm_api_libslurm = {
    .name = "libslurm",
    .submit = lib_submit,
    .tasks = lib_tasks,
    .find = lib_find,
    .cancel = lib_cancel,
    .limits = lib_limits,
};
#else
/* Built without libslurm: lib/slurm/cli.c is the only backend. */
typedef int hpo_no_libslurm;
#endif
