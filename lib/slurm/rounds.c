/*
 * rounds.c -- rounds as Slurm array jobs (see rounds.h).  Slurm itself is
 * reached through api.h beside this file.
 */
#include "slurm/rounds.h"
#include "store/journal.h"
#include "store/plan.h"
#include "trial/runner.h"
#include "core/util.h"
#include "spec/slurm_units.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *slurm_job_name(const hpo_experiment *e, const char *what)
{
    char sha[65];
    sha256_hex(e->dir, strlen(e->dir), sha);
    return xasprintf("hpo-%.8s-%s", sha, what);
}

/* ---- templates ------------------------------------------------------------ */

/* templates/NAME next to the hpo binary (the source tree), or
 * PREFIX/share/hpo/NAME (an installed hpo), or $HPO_TEMPLATE_DIR/NAME. */
static int read_template(const char *name, char **text)
{
    const char *env = getenv("HPO_TEMPLATE_DIR");
    char *self = self_exe_path(), *bindir = dir_of(self);
    free(self);
    char *paths[3] = {
        env && *env ? path_join(env, name) : NULL,
        xasprintf("%s/../templates/%s", bindir, name),
        xasprintf("%s/../share/hpo/%s", bindir, name),
    };
    int r = HPO_ENOTFOUND;
    for (int i = 0; i < 3 && r == HPO_ENOTFOUND; i++)
        if (paths[i] && path_exists(paths[i])) r = read_file(paths[i], text, NULL);
    if (r == HPO_ENOTFOUND)
        hpo_error(r, "%s: not found in $HPO_TEMPLATE_DIR, %s/../templates or %s/../share/hpo", name, bindir, bindir);
    for (int i = 0; i < 3; i++) free(paths[i]);
    free(bindir);
    return r;
}

char *slurm_shell_quote(const char *s);

/* Replace every @KEY@ of vars (KEY, value pairs, NULL-terminated).
 *   @KEY_Q@    the value quoted as one bash word (slurm_shell_quote), for code;
 *   "@KEY@"    (in double quotes, as templates before this said it) the
 *              same quoted word: double quotes let $(...) and ` run;
 *   @KEY@      the value with control characters shown as '?', for
 *              comments and #SBATCH lines, where a newline would start a
 *              command of its own (@SBATCH_LINES@ keeps the newlines
 *              between its lines, each already cleaned by add_line). */
static char *render(const char *tmpl, const char *const *vars)
{
    size_t cap = strlen(tmpl) + 1024, len = 0;
    char *out = xmalloc(cap);
    for (const char *c = tmpl; *c;) {
        char *value = NULL;
        size_t skip = 1;
        int dq = c[0] == '"' && c[1] == '@';
        const char *k = c + (dq ? 2 : 1);
        if (*c == '@' || dq)
            for (int i = 0; vars[i]; i += 2) {
                size_t klen = strlen(vars[i]);
                if (strncmp(k, vars[i], klen) != 0) continue;
                if (strncmp(k + klen, "_Q@", 3) == 0 && !dq) {
                    value = slurm_shell_quote(vars[i + 1]);
                    skip = klen + 4;
                } else if (k[klen] == '@' && (!dq || k[klen + 1] == '"')) {
                    if (dq) {
                        value = slurm_shell_quote(vars[i + 1]);
                        skip = klen + 4;
                    } else {
                        value = xstrdup(vars[i + 1]);
                        /* SBATCH_LINES is lines, each cleaned by add_line */
                        int lines = strcmp(vars[i], "SBATCH_LINES") == 0;
                        for (char *v = value; *v; v++)
                            if (((unsigned char)*v < 0x20 && !(lines && *v == '\n')) || *v == 0x7f) *v = '?';
                        skip = klen + 2;
                    }
                }
                if (value) break;
            }
        const char *add = value ? value : c;
        size_t n = value ? strlen(value) : 1;
        if (len + n + 1 > cap) out = xrealloc(out, cap = (len + n + 1) * 2);
        memcpy(out + len, add, n);
        len += n;
        c += skip;
        free(value);
    }
    out[len] = '\0';
    return out;
}

/* The #SBATCH lines that say what was submitted: slurm_job_options(), the
 * options the CLI backend passes to sbatch. */
static char *sbatch_lines(const hpo_slurm_job *j)
{
    char **opts = slurm_job_options(j, NULL), *t = xstrdup("");
    for (char **o = opts; *o; o++) {
        for (char *v = *o; *v; v++)   /* a newline would end the comment: the rest would run */
            if ((unsigned char)*v < 0x20 || *v == 0x7f) *v = '?';
        char *joined = xasprintf("%s%s#SBATCH %s", t, *t ? "\n" : "", *o);
        free(t);
        t = joined;
    }
    slurm_job_options_free(opts);
    return t;
}

static void fill_job(const hpo_experiment *e, hpo_slurm_job *j, char **signal);

/* Single-quoted for bash: a value with $, `, " or ' in it stays one word. */
char *slurm_shell_quote(const char *s)
{
    size_t n = 2;
    for (const char *c = s; *c; c++) n += *c == '\'' ? 4 : 1;
    char *out = xmalloc(n + 1), *o = out;
    *o++ = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'') { memcpy(o, "'\\''", 4); o += 4; }
        else *o++ = *c;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

int slurm_prepare_job(const hpo_experiment *e, hpo_slurm_job *j, char **signal)
{
    fill_job(e, j, signal);
    return 0;
}

int slurm_render_script(const char *template_name, const char *const *vars, const hpo_slurm_job *j,
                        char **script)
{
    char *tmpl = NULL, *lines = sbatch_lines(j);
    int r = read_template(template_name, &tmpl);
    if (r == 0) {
        const char *all[32];
        int k = 0;
        for (; vars[k] && k < 28; k += 2) all[k] = vars[k], all[k + 1] = vars[k + 1];
        all[k++] = "SBATCH_LINES";
        all[k++] = lines;
        all[k] = NULL;
        *script = render(tmpl, all);
    }
    free(tmpl);
    free(lines);
    return r;
}

/* ---- submitting a round --------------------------------------------------- */

/* "0-3,5,9-10%K" for the sorted indices minus offset. */
static char *array_string(const int *idx, int n, int offset, int max_concurrent)
{
    char *s = xstrdup("");
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && idx[j + 1] == idx[j] + 1) j++;
        char *more = j > i ? xasprintf("%s%s%d-%d", s, *s ? "," : "", idx[i] - offset, idx[j] - offset)
                           : xasprintf("%s%s%d", s, *s ? "," : "", idx[i] - offset);
        free(s);
        s = more;
        i = j + 1;
    }
    char *with_limit = xasprintf("%s%%%d", s, max_concurrent);
    free(s);
    return with_limit;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* Grace before the time limit for the warning signal: 2 minutes, or half
 * the limit for short jobs. */
static char *signal_option(const hpo_spec *spec, int limit_min)
{
    const char *sig = spec->slurm.signal && *spec->slurm.signal ? spec->slurm.signal : "USR2";
    if (strncmp(sig, "SIG", 3) == 0) sig += 3;
    int grace = 120;
    if (limit_min > 0 && limit_min * 60 / 2 < grace) grace = limit_min * 60 / 2;
    return xasprintf("%s@%d", sig, grace);
}

static void fill_job(const hpo_experiment *e, hpo_slurm_job *j, char **signal)
{
    const hpo_spec *spec = e->spec;
    memset(j, 0, sizeof *j);
    j->partition = spec->slurm.partition;
    j->account = spec->slurm.account;
    j->qos = spec->slurm.qos;
    j->gres = spec->slurm.gres;
    j->mem = spec->slurm.mem;
    j->cpus_per_task = spec->slurm.cpus_per_task;
    /* the spec was checked with the same parser: a bad time cannot be here */
    if (!spec->slurm.time || slurm_time_parse(spec->slurm.time, &j->time_limit_min) != 0) j->time_limit_min = 0;
    *signal = signal_option(spec, j->time_limit_min);
    j->signal = *signal;
    j->extra = spec->slurm.extra;
    j->n_extra = spec->slurm.n_extra;
    j->work_dir = e->dir;
    /* Slurm would requeue a task whose node fails, out of sight of the
     * record; hpo decides retries from its own journals instead. */
    j->no_requeue = 1;
}

/* A path for the round's script that no earlier submission used. */
static char *script_path(const hpo_experiment *e, int round, int offset)
{
    char *base = offset ? xasprintf("%s/rounds/r%04d-o%d", e->dir, round, offset)
                        : xasprintf("%s/rounds/r%04d", e->dir, round);
    char *path = xasprintf("%s.sbatch", base);
    for (int k = 2; path_exists(path); k++) {
        free(path);
        path = xasprintf("%s.%d.sbatch", base, k);
    }
    free(base);
    return path;
}

static int state_has(const hpo_round_state *s, long id)
{
    for (int k = 0; k < s->n_arrays; k++)
        if (s->arrays[k] == id) return 1;
    return 0;
}

static int record_array(hpo_experiment *e, int round, long id, int offset)
{
    hpo_round_state s;
    round_state_read(e, round, &s);
    if (state_has(&s, id)) return 0;
    if (s.n_arrays == HPO_MAX_ARRAYS)
        return hpo_error(HPO_ERROR, "round %d: more than %d arrays submitted", round, HPO_MAX_ARRAYS);
    s.arrays[s.n_arrays] = id;
    s.offsets[s.n_arrays++] = offset;
    if (isnan(s.submitted_at)) s.submitted_at = now_wall();
    const char *driver = getenv("SLURM_JOB_ID");
    if (driver && s.driver_job_id < 0) s.driver_job_id = atol(driver);
    return round_state_write(e, round, &s);
}

/* Submit (or adopt) one array: the trials idx[0..n), all within
 * [offset, offset + MaxArraySize). */
static int submit_chunk(hpo_experiment *e, const hpo_slurm_api *api, int round, const int *idx, int n,
                        int offset, int dry_run)
{
    char what[64];
    snprintf(what, sizeof what, "r%04d-o%d", round, offset);
    char *name = slurm_job_name(e, what);
    int r = 0;
    if (!dry_run) {
        /* Killed between submitting and recording the id?  Then the array
         * is in the queue under this name: adopt it, never submit twice. */
        long *ids = NULL;
        int n_ids = 0;
        hpo_round_state s;
        round_state_read(e, round, &s);
        r = api->find(name, &ids, &n_ids);
        for (int k = 0; r == 0 && k < n_ids; k++)
            if (!state_has(&s, ids[k])) {
                hpo_notice(HPO_NOTE_INFO, "round %d: found array job %ld already submitted; adopting it", round, ids[k]);
                r = record_array(e, round, ids[k], offset);
                free(ids);
                free(name);
                return r;
            }
        free(ids);
        if (r != 0) { free(name); return r; }
    }
    hpo_slurm_job job;
    char *signal = NULL, *tmpl = NULL;
    fill_job(e, &job, &signal);
    job.name = name;
    char *array = array_string(idx, n, offset, e->spec->max_concurrent);
    job.array = array;
    char *out = xasprintf("%s/trials/slurm-%%A_%%a.out", e->dir);
    job.std_out = out;
    char *lines = sbatch_lines(&job), *path = script_path(e, round, offset);
    char rnd[16], off[16];
    snprintf(rnd, sizeof rnd, "%d", round);
    snprintf(off, sizeof off, "%d", offset);
    r = read_template("round.sbatch.in", &tmpl);
    char *script = NULL;
    if (r == 0) {
        char *self = self_exe_path();
        const char *vars[] = {"EXP", e->dir, "ROUND", rnd, "OFFSET", off, "HPO", self,
                              "SBATCH_LINES", lines, NULL};
        script = render(tmpl, vars);
        free(self);
        job.script = script;
        job.script_path = path;
    }
    if (r == 0 && dry_run) {
        hpo_notice(HPO_NOTE_OUTPUT, "# round %d, trials %s: would be submitted as\n%s", round, array, script);
    } else if (r == 0) {
        r = write_file_atomic(path, script, strlen(script));
        if (r == 0) chmod(path, 0755);
        long id = -1;
        if (r == 0) r = api->submit(&job, &id);
        if (r == 0) fault_point("submit:before-record");
        if (r == 0) r = record_array(e, round, id, offset);
        if (r == 0) hpo_notice(HPO_NOTE_INFO, "round %d: submitted %d trials as array job %ld (%s)", round, n, id, path);
    }
    free(script);
    free(tmpl);
    free(lines);
    free(path);
    free(out);
    free(array);
    free(signal);
    free(name);
    return r;
}

/* MaxJobCount: slurmctld refuses (EAGAIN) a submission that would bring
 * the job records it holds to MaxJobCount, and an array counts once per
 * task.  So submit only what fits now, keeping one record for the chained
 * driver; the rest are trials that never ran, which a later driver step
 * submits (rerun in rounds.h) once finished jobs are purged.  Returns how
 * many of n to submit now. */
static int fits_now(int round, int n, long max_jobs, long held)
{
    if (max_jobs <= 0 || held < 0) return n;
    long room = max_jobs - 1 - held - 1;
    if (room >= n) return n;
    if (room < 0) room = 0;
    hpo_notice(HPO_NOTE_INFO,
               "round %d: Slurm holds %ld jobs of its MaxJobCount %ld; submitting %ld of %d trials now, "
               "the rest in a later driver step", round, held, max_jobs, room, n);
    return (int)room;
}

int slurm_submit_round(hpo_experiment *e, const hpo_slurm_api *api, int round, const int *indices, int n,
                       int dry_run, int *n_submitted)
{
    if (n_submitted) *n_submitted = 0;
    if (n == 0) return 0;
    long max_array = 1001, max_jobs = -1, held = -1;
    int r = api->limits(&max_array, &max_jobs, &held);
    if (r != 0) return r;
    if (max_array < 2) max_array = 2;
    int *idx = xmalloc(sizeof(int) * (size_t)n);
    memcpy(idx, indices, sizeof(int) * (size_t)n);
    qsort(idx, (size_t)n, sizeof(int), cmp_int);
    if (!dry_run) n = fits_now(round, n, max_jobs, held);
    if (n_submitted) *n_submitted = n;
    /* Task ids must stay below MaxArraySize: trials [k*M, (k+1)*M) go in
     * an array of their own, which runs trial index offset + task id. */
    for (int i = 0; i < n && r == 0;) {
        int offset = (int)((idx[i] / max_array) * max_array), j = i;
        while (j < n && idx[j] < offset + max_array) j++;
        r = submit_chunk(e, api, round, idx + i, j - i, offset, dry_run);
        i = j;
    }
    free(idx);
    return r;
}

/* ---- reconciling with Slurm ------------------------------------------------ */

typedef struct task_info {
    int known, live;
    long array;
    hpo_slurm_task t;
} task_info;

/* Mark the trials in a pending record's "0-3,7%2" as live. */
static void mark_pending(const char *spec, int offset, long array, task_info *info, int n)
{
    char *copy = xstrdup(spec), *save = NULL;
    char *pct = strchr(copy, '%');
    if (pct) *pct = '\0';
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int a, b;
        if (sscanf(tok, "%d-%d", &a, &b) != 2) b = a = atoi(tok);
        for (int t = a; t <= b; t++)
            if (offset + t >= 0 && offset + t < n) {
                task_info *ti = &info[offset + t];
                ti->known = ti->live = 1;
                ti->array = array;
                snprintf(ti->t.state, sizeof ti->t.state, "PENDING");
            }
    }
    free(copy);
}

/* What Slurm knows of each trial of the round, from its arrays in order
 * (a later array supersedes an earlier one for the trials it covers). */
static int gather(const hpo_slurm_api *api, const hpo_round_state *s, task_info *info, int n)
{
    for (int k = 0; k < s->n_arrays; k++) {
        hpo_slurm_task *tasks = NULL;
        int nt = 0;
        int r = api->tasks(s->arrays[k], &tasks, &nt);
        if (r != 0) return r;
        for (int i = 0; i < nt; i++) {
            if (tasks[i].task < 0) {
                mark_pending(tasks[i].pending_tasks, s->offsets[k], s->arrays[k], info, n);
                continue;
            }
            int trial = s->offsets[k] + tasks[i].task;
            if (trial < 0 || trial >= n) continue;
            info[trial].known = 1;
            info[trial].live = !slurm_state_is_final(tasks[i].state);
            info[trial].array = s->arrays[k];
            info[trial].t = tasks[i];
        }
        free(tasks);
    }
    return 0;
}

/* The last n - 1 bytes of the task's Slurm output (where slurmstepd
 * writes why it ended a job), as text; "" if there is none. */
static void output_tail(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    struct stat st;
    if (fd < 0) return;
    if (fstat(fd, &st) == 0) {
        off_t from = st.st_size > (off_t)(n - 1) ? st.st_size - (off_t)(n - 1) : 0;
        ssize_t got = pread(fd, buf, n - 1, from);
        buf[got > 0 ? got : 0] = '\0';
    }
    close(fd);
}

/* Whether tail says one of marks; *line gets the rest of that line from
 * the mark on. */
static int tail_says(const char *tail, const char *const *marks, char *line, size_t n)
{
    for (int i = 0; marks[i]; i++) {
        const char *at = strstr(tail, marks[i]);
        if (!at) continue;
        size_t len = strcspn(at, "\n");
        snprintf(line, n, "%.*s", (int)len, at);
        return 1;
    }
    return 0;
}

/* The statuses by Slurm's word: the table in rounds.h. */
const char *slurm_task_status(const char *output, const hpo_slurm_task *t, char *why, size_t n)
{
    static const char *const over_memory[] = {"exceeded memory limit", "Exceeded job memory limit",
                                              "Exceeded step memory limit", "oom_kill event", "oom-kill", NULL};
    static const char *const preemption[] = {"DUE TO PREEMPTION", NULL};
    const char *state = t->state;
    char line[160] = "", tail[8193];
    snprintf(why, n, "Slurm: %.16s (job %ld, exit %d:%d)", state, t->job_id, t->exit_code, t->signal);
    if (strcmp(state, "TIMEOUT") == 0 || strcmp(state, "DEADLINE") == 0) return HPO_STATUS_TIMEOUT;
    if (strcmp(state, "NODE_FAIL") == 0 || strcmp(state, "BOOT_FAIL") == 0) return HPO_STATUS_NODE_FAIL;
    output_tail(output, tail, sizeof tail);   /* read once for both marks */
    if (strcmp(state, "OUT_OF_MEMORY") == 0 || tail_says(tail, over_memory, line, sizeof line)) {
        char *paren = strchr(line, ')');   /* "exceeded memory limit (RSS > limit)", not ", being killed" */
        if (paren) paren[1] = '\0';
        snprintf(why, n, "over its memory limit (Slurm: %.16s, job %ld): %.56s", state, t->job_id,
                 strcmp(state, "OUT_OF_MEMORY") == 0 ? "OUT_OF_MEMORY" : line);
        return HPO_STATUS_OOM;
    }
    if (strcmp(state, "PREEMPTED") == 0 || tail_says(tail, preemption, line, sizeof line)) {
        snprintf(why, n, "%s by a higher-priority job (Slurm: %.16s, job %ld); runs again", HPO_REASON_PREEMPTED,
                 state, t->job_id);
        return HPO_STATUS_CANCELLED;
    }
    if (strcmp(state, "CANCELLED") == 0) return HPO_STATUS_CANCELLED;
    return HPO_STATUS_FAILED;
}

int slurm_correct_record(const char *dir, hpo_trial_result *res, const char *status, const char *why)
{
    /* The runner saw SIGTERM or SIGKILL (or its trial died of it first);
     * Slurm knows whether that was the time limit, the OOM killer, a node
     * failure or preemption.  A real failure or completion stays. */
    int generic = strcmp(res->status, HPO_STATUS_CANCELLED) == 0 || strcmp(res->status, HPO_STATUS_FAILED) == 0;
    if (!generic || strcmp(status, HPO_STATUS_FAILED) == 0) return 0;
    if (strcmp(status, res->status) == 0 && !(reason_is_preempted(why) && !result_is_preempted(res))) return 0;
    char reason[sizeof res->reason];
    snprintf(reason, sizeof reason, "%.92s; runner: %.24s", why, res->reason);
    snprintf(res->status, sizeof res->status, "%s", status);
    snprintf(res->reason, sizeof res->reason, "%s", reason);
    return result_write(dir, res) == 0;
}

/* The task's output file: rounds write EXP/trials/slurm-A_a.out. */
static const char *task_status(const hpo_experiment *e, const task_info *ti, char *why, size_t n)
{
    char *out = ti->t.task >= 0 ? xasprintf("%s/trials/slurm-%ld_%d.out", e->dir, ti->array, ti->t.task) : NULL;
    const char *st = slurm_task_status(out, &ti->t, why, n);
    free(out);
    return st;
}

static void write_end_record(const char *dir, const char *status, const char *reason, const task_info *ti,
                             const hpo_trial_result *prev)
{
    if (experiment_trial_dir_ok(dir) != 0) return;
    hpo_trial_result r;
    if (prev) r = *prev;
    else {
        memset(&r, 0, sizeof r);
        r.exit_code = ti && ti->known ? ti->t.exit_code : -1;
        r.signal = ti && ti->known ? ti->t.signal : 0;
        r.start_time = r.end_time = r.runtime_s = NAN;
        r.slurm_job_id = ti && ti->known ? ti->t.job_id : -1;
        snprintf(r.node, sizeof r.node, "%s", ti && ti->known ? ti->t.node : "");
        snprintf(r.gpu, sizeof r.gpu, "unknown");
    }
    snprintf(r.status, sizeof r.status, "%s", status);
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    mkdir_p(dir, 0777);
    result_write(dir, &r);
}

static void add_live_array(hpo_round_progress *p, long id)
{
    for (int k = 0; k < p->n_live_arrays; k++)
        if (p->live_arrays[k] == id) return;
    if (p->n_live_arrays < HPO_MAX_ARRAYS) p->live_arrays[p->n_live_arrays++] = id;
}

static int has_checkpoint(const char *dir)
{
    char *ckpt = path_join(dir, "checkpoint");
    DIR *d = opendir(ckpt);
    free(ckpt);
    if (!d) return 0;
    struct dirent *de;
    int any = 0;
    while (!any && (de = readdir(d))) any = de->d_name[0] != '.';
    closedir(d);
    return any;
}

/* A node failure, or a time-out of a trial that checkpointed, is not the
 * config's fault: record it as cancelled (to run again, resuming from its
 * checkpoint) until spec_max_attempts() (spec.h: the retry policy), and as
 * final after that. */
static int retry_instead(const hpo_spec *spec, const char *dir, hpo_trial_result *res)
{
    int node = strcmp(res->status, HPO_STATUS_NODE_FAIL) == 0;
    int timeout = strcmp(res->status, HPO_STATUS_TIMEOUT) == 0 && has_checkpoint(dir);
    int attempt = trial_counted_attempts(dir) + 1, max = spec_max_attempts(spec, 1);
    if ((!node && !timeout) || attempt >= max) return 0;
    char reason[128];
    snprintf(reason, sizeof reason, "%s; retrying (attempt %d of %d): %.60s", res->status, attempt + 1,
             max, res->reason);
    snprintf(res->status, sizeof res->status, "%s", HPO_STATUS_CANCELLED);
    snprintf(res->reason, sizeof res->reason, "%s", reason);
    result_write(dir, res);
    return 1;
}

/* Decide one trial (see reconcile in rounds.h). */
static void reconcile_trial(hpo_experiment *e, const hpo_round_state *s, const hpo_plan_trial *t,
                            const task_info *ti, hpo_round_progress *p)
{
    char *dir = experiment_trial_dir(e, t->trial_id), reason[128], why[128];
    hpo_trial_result res;
    int have = result_read(dir, &res) == 0;
    if (have && ti->known && !ti->live && experiment_trial_dir_ok(dir) == 0)
        slurm_correct_record(dir, &res, task_status(e, ti, why, sizeof why), why);
    if (!have && ti->known && !ti->live) {
        const char *st = task_status(e, ti, why, sizeof why);
        snprintf(reason, sizeof reason, "%.96s; no end record", why);
        write_end_record(dir, st, reason, ti, NULL);
        have = result_read(dir, &res) == 0;
    }
    /* A cancelled record with a live task is an attempt already submitted
     * again and not started yet (or one just writing its record): waiting
     * for it, not submitting it once more, keeps a trial from running
     * twice when the driver steps faster than Slurm starts tasks (cron,
     * hpo drive by hand). */
    int again = have && strcmp(res.status, HPO_STATUS_CANCELLED) == 0 && ti->known && ti->live;
    if (have && !again) {
        if (retry_instead(e->spec, dir, &res) || strcmp(res.status, HPO_STATUS_CANCELLED) == 0)
            p->rerun[p->n_rerun++] = t->index;
        else p->ended++;
    } else if (ti->known && ti->live) {
        p->live++;
        add_live_array(p, ti->array);
    } else {
        /* Slurm no longer knows the task (purged, or cancelled while
         * pending), or it was never submitted. */
        char *journal = path_join(dir, "journal");
        if (s->n_arrays > 0 && path_exists(journal)) {
            write_end_record(dir, HPO_STATUS_NODE_FAIL,
                             "started, but left no end record and Slurm no longer knows its job", ti, NULL);
            p->ended++;
        } else {
            p->rerun[p->n_rerun++] = t->index;
        }
        free(journal);
    }
    free(dir);
}

int slurm_reconcile_round(hpo_experiment *e, const hpo_slurm_api *api, int round, hpo_round_progress *p)
{
    memset(p, 0, sizeof *p);
    hpo_plan *plan = NULL;
    int r = plan_read(e, round, &plan);
    if (r != 0) return r;
    hpo_round_state s;
    round_state_read(e, round, &s);
    task_info *info = xcalloc((size_t)plan->n + 1, sizeof *info);
    p->rerun = xcalloc((size_t)plan->n + 1, sizeof(int));
    r = gather(api, &s, info, plan->n);
    for (int i = 0; r == 0 && i < plan->n; i++) reconcile_trial(e, &s, &plan->trials[i], &info[i], p);
    free(info);
    plan_free(plan);
    return r;
}

void round_progress_free(hpo_round_progress *p)
{
    free(p->rerun);
    p->rerun = NULL;
}

/* ---- the chained driver ----------------------------------------------------- */

int slurm_chain_driver(hpo_experiment *e, const hpo_slurm_api *api, const long *deps, int n_deps, int begin_in_s,
                       long *job_id)
{
    *job_id = -1;
    char *name = slurm_job_name(e, "driver");
    long *ids = NULL;
    int n_ids = 0, r = api->find(name, &ids, &n_ids);
    const char *me = getenv("SLURM_JOB_ID");
    long self = me ? atol(me) : -1;
    for (int k = 0; r == 0 && k < n_ids; k++)
        if (ids[k] != self) {
            hpo_notice(HPO_NOTE_INFO, "driver job %ld of this experiment is already queued; not chaining another", ids[k]);
            free(ids);
            free(name);
            return 0;
        }
    free(ids);
    char *tmpl = NULL, *dep = xstrdup("afterany"), *out = xasprintf("%s/driver-%%j.log", e->dir);
    for (int k = 0; k < n_deps; k++) {
        char *more = xasprintf("%s:%ld", dep, deps[k]);
        free(dep);
        dep = more;
    }
    hpo_slurm_job job;
    memset(&job, 0, sizeof job);
    job.name = name;
    job.partition = e->spec->slurm.partition;
    job.account = e->spec->slurm.account;
    job.qos = e->spec->slurm.qos;
    job.time_limit_min = 15;
    job.cpus_per_task = 1;
    job.dependency = n_deps ? dep : NULL;
    job.begin_in_s = begin_in_s;
    job.std_out = out;
    job.work_dir = e->dir;
    char *lines = sbatch_lines(&job), *path = path_join(e->dir, "driver.sbatch"), *script = NULL;
    if (r == 0) r = read_template("driver.sbatch.in", &tmpl);
    if (r == 0) {
        char *self = self_exe_path();
        const char *vars[] = {"EXP", e->dir, "HPO", self, "SBATCH_LINES", lines, NULL};
        script = render(tmpl, vars);
        free(self);
        job.script = script;
        job.script_path = path;
        r = write_file_atomic(path, script, strlen(script));
    }
    if (r == 0) chmod(path, 0755);
    if (r == 0) r = api->submit(&job, job_id);
    if (r == 0 && begin_in_s > 0) hpo_notice(HPO_NOTE_INFO, "next driver step is job %ld (in %d s)", *job_id, begin_in_s);
    else if (r == 0) hpo_notice(HPO_NOTE_INFO, "next driver step is job %ld (%s)", *job_id, dep);
    free(script); free(tmpl); free(lines); free(path); free(out); free(dep); free(name);
    return r;
}

int slurm_cancel_experiment(hpo_experiment *e, const hpo_slurm_api *api, int round, int *n_cancelled)
{
    *n_cancelled = 0;
    int r = 0;
    char *name = slurm_job_name(e, "driver");
    long *ids = NULL;
    int n_ids = 0;
    /* The driver first, so it cannot submit anything new meanwhile. */
    r = api->find(name, &ids, &n_ids);
    const char *me = getenv("SLURM_JOB_ID");
    for (int k = 0; r == 0 && k < n_ids; k++)
        if (!me || ids[k] != atol(me)) {
            r = api->cancel(ids[k]);
            if (r == 0) ++*n_cancelled;
        }
    free(ids);
    free(name);
    if (round >= 0 && r == 0) {
        hpo_round_state s;
        round_state_read(e, round, &s);
        for (int k = 0; k < s.n_arrays && r == 0; k++) {
            hpo_slurm_task *tasks = NULL;
            int nt = 0;
            r = api->tasks(s.arrays[k], &tasks, &nt);
            int live = 0;
            for (int i = 0; i < nt; i++) live |= !slurm_state_is_final(tasks[i].state);
            free(tasks);
            if (r == 0 && live) {
                r = api->cancel(s.arrays[k]);
                if (r == 0) ++*n_cancelled;
            }
        }
    }
    return r;
}
