/*
 * runner.c -- the trial runner (see runner.h).
 */
#include "trial/runner.h"
#include "store/journal.h"
#include "store/lease.h"
#include "store/rank.h"
#include "trial/gpu.h"
#include "trial/median_stop.h"
#include "trial/metrics.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define LINE_MAX_PARSED 65536   /* longer stdout lines are kept, not parsed */
/* The trial's stdout is read in chunks of up to this many bytes, from a
 * pipe made as large (F_SETPIPE_SZ, where allowed): a trial that prints
 * fast fills it while the runner parses the last chunk, instead of waiting
 * on a 64 KiB pipe, and each read() brings thousands of lines at once. */
#define PUMP_CHUNK (1 << 20)

/* ---- argv and environment ---------------------------------------------- */

static void append(char **s, size_t *len, size_t *cap, const char *add, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *s = xrealloc(*s, *cap);
    }
    memcpy(*s + *len, add, n);
    *len += n;
    (*s)[*len] = '\0';
}

/* The text a placeholder stands for, or NULL if it names nothing. */
static int placeholder_value(const hpo_spec *spec, const hpo_plan_trial *t, const char *name,
                             size_t len, char *buf, size_t n)
{
    for (int i = 0; i < spec->space.n; i++) {
        const hpo_param *p = &spec->space.params[i];
        if (strlen(p->name) == len && strncmp(p->name, name, len) == 0) {
            space_format_value(p, t->values[i], buf, n);
            return 1;
        }
    }
    if (spec->fidelity.enabled && strlen(spec->fidelity.param) == len &&
        strncmp(spec->fidelity.param, name, len) == 0) {
        format_double(buf, n, t->budget);
        return 1;
    }
    return 0;
}

static char *substitute(const hpo_spec *spec, const hpo_plan_trial *t, const char *arg)
{
    size_t len = 0, cap = strlen(arg) + 16;
    char *out = xmalloc(cap);
    out[0] = '\0';
    char value[1024];
    for (const char *c = arg; *c;) {
        if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}')) {
            append(&out, &len, &cap, c, 1);
            c += 2;
        } else if (c[0] == '{' && strchr(c, '}')) {
            const char *end = strchr(c, '}');
            if (placeholder_value(spec, t, c + 1, (size_t)(end - c - 1), value, sizeof value)) {
                append(&out, &len, &cap, value, strlen(value));
                c = end + 1;
            } else {
                append(&out, &len, &cap, c++, 1);   /* the spec checker refuses these */
            }
        } else {
            append(&out, &len, &cap, c++, 1);
        }
    }
    return out;
}

char **trial_build_argv(const hpo_spec *spec, const hpo_plan_trial *t)
{
    char **argv = xcalloc((size_t)spec->argc + 1, sizeof(char *));
    for (int i = 0; i < spec->argc; i++) argv[i] = substitute(spec, t, spec->argv[i]);
    return argv;
}

void trial_free_argv(char **argv)
{
    if (!argv) return;
    for (char **a = argv; *a; a++) free(*a);
    free(argv);
}

typedef struct { char **v; size_t n, cap; } envlist;

/* Set NAME=VALUE, replacing an inherited NAME. */
static void env_set(envlist *env, const char *name, const char *value)
{
    size_t nlen = strlen(name);
    char *entry = xasprintf("%s=%s", name, value);
    for (size_t i = 0; i < env->n; i++)
        if (strncmp(env->v[i], name, nlen) == 0 && env->v[i][nlen] == '=') {
            free(env->v[i]);
            env->v[i] = entry;
            return;
        }
    if (env->n + 2 > env->cap) {
        env->cap = env->cap ? env->cap * 2 : 64;
        env->v = xrealloc(env->v, env->cap * sizeof(char *));
    }
    env->v[env->n++] = entry;
    env->v[env->n] = NULL;
}

static void env_free(envlist *env)
{
    for (size_t i = 0; i < env->n; i++) free(env->v[i]);
    free(env->v);
}

static envlist trial_environment(const hpo_experiment *e, int round, const hpo_plan_trial *t,
                                 const char *dir)
{
    const hpo_spec *spec = e->spec;
    envlist env = {0};
    for (char **v = environ; *v; v++) {
        char *eq = strchr(*v, '=');
        if (!eq) continue;
        char *name = xstrndup(*v, (size_t)(eq - *v));
        env_set(&env, name, eq + 1);
        free(name);
    }
    char buf[1100];
    env_set(&env, "HPO_EXP", e->dir);
    snprintf(buf, sizeof buf, "%ld", t->trial_id);
    env_set(&env, "HPO_TRIAL_ID", buf);
    snprintf(buf, sizeof buf, "%d", round);
    env_set(&env, "HPO_ROUND", buf);
    format_double(buf, sizeof buf, t->budget);
    env_set(&env, "HPO_BUDGET", isnan(t->budget) ? "" : buf);
    int fraction = spec->fidelity.enabled && strcmp(spec->fidelity.param, "data_fraction") == 0;
    env_set(&env, "HPO_DATA_FRACTION", fraction ? buf : "1");
    char *path = path_join(dir, "checkpoint");
    env_set(&env, "HPO_CHECKPOINT_DIR", path);
    free(path);
    path = path_join(dir, "journal");
    env_set(&env, "HPO_JOURNAL", path);
    free(path);
    env_set(&env, "HPO_TRIAL_DIR", dir);
    if (t->parent_id >= 0) {
        char *pdir = experiment_trial_dir(e, t->parent_id);
        path = path_join(pdir, "checkpoint");
        env_set(&env, "HPO_RESUME_FROM", path);
        free(path);
        free(pdir);
    }
    for (int i = 0; i < spec->space.n; i++) {
        if (isnan(t->values[i])) continue;   /* inactive: not set at all */
        char name[256];
        snprintf(name, sizeof name, "HPO_PARAM_%s", spec->space.params[i].name);
        space_format_value(&spec->space.params[i], t->values[i], buf, sizeof buf);
        env_set(&env, name, buf);
    }
    return env;
}

/* ---- running -------------------------------------------------------------- */

static volatile sig_atomic_t child_pgid = 0;
static volatile sig_atomic_t cancel_signal = 0;
/* The trial had already exited when the first stop came: it finished its
 * work, and keeps its real result. */
static volatile sig_atomic_t done_before_stop = 0;

/* Whether the trial's own process has exited (not reaped: WNOWAIT). */
static int child_has_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return pid > 0 && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

static void forward_signal(int sig)
{
    int saved = errno;
    if ((sig == SIGTERM || sig == SIGINT || sig == SIGHUP) && !cancel_signal) {
        done_before_stop = child_has_exited(child_pgid);
        cancel_signal = sig;
    }
    if (child_pgid > 0) kill(-child_pgid, sig);
    errno = saved;
}

/* The signals the runner forwards to the trial's process group while it
 * runs; the caller's own handlers are put back when the trial has ended. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
#define N_FORWARDED (sizeof forwarded / sizeof *forwarded)

static void install_forwarding(struct sigaction saved[N_FORWARDED])
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FORWARDED; i++) sigaction(forwarded[i], &sa, &saved[i]);
}

static void restore_signals(const struct sigaction saved[N_FORWARDED])
{
    for (size_t i = 0; i < N_FORWARDED; i++) sigaction(forwarded[i], &saved[i], NULL);
}

/* Move the files of an earlier attempt into attempt-N/. */
static void archive_attempt(const char *dir)
{
    static const char *files[] = {"journal", "result", "stdout", "stderr"};
    int any = 0;
    for (size_t i = 0; i < 4; i++) {
        char *p = path_join(dir, files[i]);
        any |= path_exists(p);
        free(p);
    }
    if (!any) return;
    char *adir = NULL;
    for (int k = 1;; k++) {
        adir = xasprintf("%s/attempt-%d", dir, k);
        if (!path_exists(adir)) break;
        free(adir);
    }
    mkdir(adir, 0777);
    for (size_t i = 0; i < 4; i++) {
        char *from = path_join(dir, files[i]), *to = path_join(adir, files[i]);
        rename(from, to);
        free(from);
        free(to);
    }
    fsync_parent_dir(adir);
    free(adir);
}

/* Record the complete stdout lines in buf[0..*len) as metric reports and
 * keep the incomplete tail.  A line longer than LINE_MAX_PARSED is not
 * parsed: its start is dropped once that much of it is held, and the rest
 * skipped up to its end (*skipping). */
static void parse_stdout_lines(int jfd, char *buf, size_t *len, int *skipping)
{
    static hpo_journal_batch batch;
    char t[32];
    format_double(t, sizeof t, now_wall());   /* one time for the lines of one read() */
    size_t tlen = strlen(t);
    char *p = buf, *end = buf + *len, *nl;
    for (; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
        if (!*skipping && (size_t)(nl - p) <= LINE_MAX_PARSED) {
            hpo_metric_kv kv[64];
            long step = -1;
            int n = metrics_parse_line(p, (size_t)(nl - p), kv, 64, &step);
            for (int k = 0; k < n; k++) journal_batch_add(&batch, step, t, tlen, kv[k].name, kv[k].name_len, kv[k].text, kv[k].text_len);
        }
        *skipping = 0;
    }
    /* All the lines of one read() in one append; fsync'd by pump_output. */
    journal_batch_write(jfd, &batch);
    *len = (size_t)(end - p);
    memmove(buf, p, *len);
    if (*len >= LINE_MAX_PARSED) {   /* an overlong line: drop what we have */
        *len = 0;
        *skipping = 1;
    }
}

/* SIGKILL every process left under this runner (its children: with the
 * subreaper flag, every orphaned descendant of the trial becomes one), and
 * reap them, until none is left. */
static void kill_descendants(void)
{
    pid_t me = getpid();
    for (int round = 0; round < 100; round++) {
        int found = 0;
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
            char path[300], buf[512];
            snprintf(path, sizeof path, "/proc/%.250s/stat", de->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n <= 0) continue;
            buf[n] = '\0';
            const char *rp = strrchr(buf, ')');   /* the name may hold spaces and ')' */
            char state;
            long ppid;
            if (!rp || sscanf(rp + 1, " %c %ld", &state, &ppid) != 2 || ppid != (long)me) continue;
            pid_t pid = (pid_t)atol(de->d_name);
            kill(-pid, SIGKILL);   /* its group too, if it leads one */
            kill(pid, SIGKILL);
            found++;
        }
        if (d) closedir(d);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        if (!found) return;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* A trial told to stop (Ctrl-C, scancel, a time limit, median pruning)
 * gets $HPO_STOP_GRACE_S seconds (default 30) to save a checkpoint and
 * exit; then its process group gets SIGKILL. */
static double stop_grace_s(void)
{
    return env_number("HPO_STOP_GRACE_S", 30.0);
}

/* The last non-empty line of the trial's stderr, for the failure reason. */
static void last_stderr_line(const char *dir, char *out, size_t n)
{
    out[0] = '\0';
    char *path = path_join(dir, "stderr");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0) return;
    char buf[512];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t r = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (r <= 0) return;
    buf[r] = '\0';
    while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r' || buf[r - 1] == ' ')) buf[--r] = '\0';
    const char *line = strrchr(buf, '\n');
    line = line ? line + 1 : buf;
    size_t len = strlen(line) < n - 1 ? strlen(line) : n - 1;
    memcpy(out, line, len);
    out[len] = '\0';
}

int trial_earlier_attempts(const char *dir)
{
    int k = 0;
    for (;; k++) {
        char *a = xasprintf("%s/attempt-%d", dir, k + 1);
        int there = path_exists(a);
        free(a);
        if (!there) return k;
    }
}

int trial_counted_attempts(const char *dir)
{
    int n = trial_earlier_attempts(dir), counted = 0;
    for (int k = 1; k <= n; k++) {
        char *a = xasprintf("%s/attempt-%d", dir, k);
        hpo_trial_result prev;
        counted += !(result_read(a, &prev) == 0 && result_is_preempted(&prev));
        free(a);
    }
    return counted;
}

/* spec.retries: a failed attempt with retries left is recorded as
 * cancelled (so it runs again, and is not yet ingested as a failure). */
static void apply_retries(const hpo_spec *spec, const char *dir, hpo_trial_result *res)
{
    int attempt = trial_counted_attempts(dir) + 1, max = spec_max_attempts(spec, 0);
    if (strcmp(res->status, HPO_STATUS_FAILED) != 0 || attempt >= max) return;
    char reason[128];
    snprintf(reason, sizeof reason, "failed; retrying (attempt %d of %d): %.70s", attempt + 1,
             max, res->reason);
    snprintf(res->status, sizeof res->status, "%s", HPO_STATUS_CANCELLED);
    snprintf(res->reason, sizeof res->reason, "%s", reason);
}

/* Whether the end of the trial's stderr says the GPU ran out of memory
 * (PyTorch, TensorFlow, JAX, cuBLAS, plain CUDA); the line, if so. */
static int gpu_oom(const char *dir, char *line, size_t n)
{
    static const char *marks[] = {"CUDA out of memory", "CUDA_ERROR_OUT_OF_MEMORY", "cudaErrorMemoryAllocation",
                                  "CUBLAS_STATUS_ALLOC_FAILED", "CUDNN_STATUS_ALLOC_FAILED",
                                  "RESOURCE_EXHAUSTED: Out of memory", "out of memory on device", NULL};
    char *path = path_join(dir, "stderr");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0) return 0;
    char buf[8192];
    off_t size = lseek(fd, 0, SEEK_END);
    ssize_t r = pread(fd, buf, sizeof buf - 1, size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0);
    close(fd);
    if (r <= 0) return 0;
    buf[r] = '\0';
    for (int i = 0; marks[i]; i++) {
        char *at = strstr(buf, marks[i]);
        if (!at) continue;
        char *start = at, *end = strchr(at, '\n');
        while (start > buf && start[-1] != '\n') start--;
        snprintf(line, n, "%.*s", (int)((end ? end : buf + r) - start), start);
        return 1;
    }
    return 0;
}

static void classify(const hpo_spec *spec, const char *dir, int status, hpo_trial_result *res)
{
    char tail[200];
    if (cancel_signal) {
        snprintf(res->status, sizeof res->status, "%s", HPO_STATUS_CANCELLED);
        snprintf(res->reason, sizeof res->reason, "cancelled by SIG%s", sigabbrev_np(cancel_signal));
    } else if (WIFSIGNALED(status)) {
        snprintf(res->status, sizeof res->status, "%s", HPO_STATUS_FAILED);
        snprintf(res->reason, sizeof res->reason, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else if (WEXITSTATUS(status) != 0) {
        last_stderr_line(dir, tail, sizeof tail);
        snprintf(res->status, sizeof res->status, "%s", HPO_STATUS_FAILED);
        snprintf(res->reason, sizeof res->reason, "exit code %d%s%.100s", WEXITSTATUS(status), tail[0] ? ": " : "", tail);
    } else {
        char *jpath = path_join(dir, "journal");
        hpo_report_rec *recs = NULL;
        size_t n = 0, dropped = 0;
        int found = 0;
        if (journal_read(jpath, &recs, &n, &dropped) == 0) trial_objective(spec, recs, n, &found);
        free(recs);
        free(jpath);
        snprintf(res->status, sizeof res->status, "%s", found ? HPO_STATUS_COMPLETED : HPO_STATUS_FAILED);
        if (!found) snprintf(res->reason, sizeof res->reason, "objective metric '%s' was never reported", spec->metric);
    }
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    /* A config too large for the GPU: a failure of that config only. */
    char line[200];
    if (strcmp(res->status, HPO_STATUS_FAILED) == 0 && gpu_oom(dir, line, sizeof line)) {
        snprintf(res->status, sizeof res->status, "%s", HPO_STATUS_OOM);
        snprintf(res->reason, sizeof res->reason, "GPU out of memory: %.100s", line);
    }
}

/* Start the command with stdout on a pipe; returns the child's pid. */
static pid_t start_child(const hpo_spec *spec, char **argv, char **envp, int out_fd, int err_fd, int pipe_rd)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    setpgid(0, 0);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    close(pipe_rd);
    signal(SIGPIPE, SIG_DFL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
    if (chdir(spec->workdir) != 0) {
        dprintf(STDERR_FILENO, "hpo trial: cannot enter workdir %s: %s\n", spec->workdir, strerror(errno));
        _exit(127);
    }
    execvpe(argv[0], argv, envp);
    dprintf(STDERR_FILENO, "hpo trial: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* The early-stopping watch on a running trial: its journal (which stdout
 * lines, `hpo report` and hpo_report() all reach) read again when it grows,
 * at most every quarter second. */
typedef struct watch {
    const hpo_experiment *e;       /* NULL: nothing to watch */
    hpo_median_rule *rule;         /* medians of the trials finished so far */
    char *journal, *results;
    off_t seen_size;
    struct timespec results_mtime;
    double next_check, next_reload;
    int pruned, done_before_prune;
    char reason[128];
} watch;

/* Trials go on finishing while this one runs: take in their results when
 * results.h5 changes, at most once a second. */
static void watch_reload(watch *w)
{
    struct stat st;
    if (now_mono() < w->next_reload || stat(w->results, &st) != 0) return;
    w->next_reload = now_mono() + 1.0;
    if (st.st_mtim.tv_sec == w->results_mtime.tv_sec && st.st_mtim.tv_nsec == w->results_mtime.tv_nsec) return;
    hpo_median_rule *m = median_rule_load(w->e);
    if (!m) return;   /* busy or unreadable: keep the rule we have */
    median_rule_free(w->rule);
    w->rule = m;
    w->results_mtime = st.st_mtim;
    w->seen_size = -1;   /* judge the reports so far against the new medians */
}

static void watch_check(watch *w, pid_t pid)
{
    if (!w->e || w->pruned || now_mono() < w->next_check) return;
    w->next_check = now_mono() + 0.25;
    watch_reload(w);
    struct stat st;
    if (!w->rule || stat(w->journal, &st) != 0 || st.st_size == w->seen_size) return;
    w->seen_size = st.st_size;
    hpo_report_rec *recs = NULL;
    size_t n = 0, dropped = 0;
    if (journal_read(w->journal, &recs, &n, &dropped) == 0) {
        journal_number_steps(recs, n);
        if (median_rule_check(w->rule, recs, n, w->reason, sizeof w->reason)) {
            w->pruned = 1;
            w->done_before_prune = child_has_exited(pid);
            kill(-pid, SIGTERM);   /* the trial may catch it and save a checkpoint */
        }
    }
    free(recs);
}

/* Copy the child's stdout to the file and the journal until the child has
 * exited and the pipe is drained; returns the wait status. */
static int pump_output(pid_t pid, int pipe_rd, int stdout_file, int jfd, watch *w)
{
    /* Room for an unfinished line (< LINE_MAX_PARSED), a chunk, and the
     * '\n' that closes a last line without one. */
    char *buf = xmalloc(LINE_MAX_PARSED + PUMP_CHUNK + 1);
    size_t len = 0;
    int skipping = 0, status = 0, exited = 0;
    double drain_deadline = 0, sync_every = journal_sync_interval(), last_sync = now_mono();
    double kill_at = 0;   /* when a stopped trial that has not ended gets SIGKILL */
    struct stat jst;
    off_t synced_size = fstat(jfd, &jst) == 0 ? jst.st_size : 0;   /* its events are fsync'd */
    for (;;) {
        if (!exited && !kill_at && (cancel_signal || w->pruned)) kill_at = now_mono() + stop_grace_s();
        if (!exited && kill_at && now_mono() >= kill_at) {
            kill(-pid, SIGKILL);   /* it had its grace period to save a checkpoint */
            kill_at = 1e300;
        }
        /* Group commit (journal.h): whoever wrote to the journal since the
         * last fsync (these stdout lines, hpo_report() in a burst), one
         * fsync covers it, at most every sync_every. */
        if (now_mono() - last_sync >= sync_every && fstat(jfd, &jst) == 0 && jst.st_size != synced_size) {
            journal_sync(jfd);
            synced_size = jst.st_size;
            last_sync = now_mono();
        }
        if (!exited) watch_check(w, pid);
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
            exited = 1;
            /* No descendant outlives the trial; killing the group also
             * closes the pipe ends its leftovers held, so the drain ends.
             * A descendant that left the group gets 2 s more. */
            kill(-pid, SIGKILL);
            kill_descendants();   /* those that left the group too (subreaper) */
            drain_deadline = now_mono() + 2.0;
        }
        if (exited && now_mono() > drain_deadline) break;
        struct pollfd pfd = {.fd = pipe_rd, .events = POLLIN};
        int pr = poll(&pfd, 1, 100);
        if (pr <= 0) continue;   /* timeout or EINTR (a forwarded signal) */
        ssize_t r = read(pipe_rd, buf + len, PUMP_CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {   /* every writer closed stdout */
            if (!exited) {
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
                kill(-pid, SIGKILL);
            }
            break;
        }
        /* Keep parsing even when the disk is full: the journal matters more. */
        (void)write_all(stdout_file, buf + len, (size_t)r);
        len += (size_t)r;
        parse_stdout_lines(jfd, buf, &len, &skipping);
    }
    if (len > 0 && !skipping) {   /* a last line without newline still counts */
        buf[len++] = '\n';
        parse_stdout_lines(jfd, buf, &len, &skipping);
    }
    journal_sync(jfd);
    free(buf);
    return status;
}

static int open_output(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    free(p);
    return fd;
}

/* The GPUs the trial was given: CUDA_VISIBLE_DEVICES as Slurm or the local
 * executor set it, and what the CUDA runtime says of them, into the `gpu`
 * column (as much as fits) and whole into the trial's `gpu` file.  No
 * CUDA_VISIBLE_DEVICES and no /dev/nvidia0: "none", without asking CUDA. */
static void describe_gpus(const char *dir, char *out, size_t n)
{
    const char *visible = getenv("CUDA_VISIBLE_DEVICES");
    if ((!visible || !*visible) && !path_exists("/dev/nvidia0")) {
        snprintf(out, n, "none");
        return;
    }
    char facts[512], *line;
    gpu_describe(facts, sizeof facts);
    line = xasprintf("%s; %s", visible && *visible ? visible : "all", facts);
    char *path = path_join(dir, "gpu"), *text = xasprintf("%s\n", line);
    write_file_atomic(path, text, strlen(text));
    snprintf(out, n, "%.*s", (int)n - 1, line);
    free(path);
    free(text);
    free(line);
}

/* A promoted trial resumes from its parent's checkpoint; one whose parent
 * left none restarts from scratch at its budget: say so in the journal. */
static void note_resume(const hpo_experiment *e, const hpo_plan_trial *t, int jfd)
{
    if (t->parent_id < 0) return;
    char *pdir = experiment_trial_dir(e, t->parent_id), *ckpt = path_join(pdir, "checkpoint");
    DIR *d = opendir(ckpt);
    int any = 0;
    struct dirent *de;
    while (d && !any && (de = readdir(d))) any = de->d_name[0] != '.';
    if (d) closedir(d);
    char event[256];
    snprintf(event, sizeof event, any ? "resume from=t%06ld/checkpoint"
                                      : "restart: parent t%06ld left no checkpoint, starting from scratch",
             t->parent_id);
    journal_append_event(jfd, event);
    free(ckpt);
    free(pdir);
}

/* Hold the trial's lock, so one trial never runs twice at once (a resumed
 * sweep waits for a runner that outlived its driver).  A worker that
 * claimed the trial hands its lock down already held, as descriptor
 * HPO_TRIAL_LOCK_FD, so no other worker can take the trial in between. */
static int lock_trial(const hpo_experiment *e, long trial_id, const char *dir)
{
    const char *inherited = getenv("HPO_TRIAL_LOCK_FD");
    if (inherited && *inherited) {
        int fd = atoi(inherited);
        struct stat a, b;
        char *p = path_join(dir, "lock");
        int same = fd > 2 && fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        free(p);
        unsetenv("HPO_TRIAL_LOCK_FD");   /* not the trial's business */
        if (same) {
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            /* The worker's lease, of this host: take it over, to renew it
             * for as long as the trial runs. */
            char *p2 = path_join(dir, "lock");
            int r = lease_acquire(p2, fd, NULL, 0);
            free(p2);
            if (r == 0) return fd;
            close(fd);
            return -1;
        }
    }
    int fd = -1;
    return experiment_trial_lock(e, trial_id, 1, &fd) == 0 ? fd : -1;
}

/* Whether the trial has a final record.  Only a cancelled attempt runs
 * again (the driver records a retried node failure or time-out as
 * cancelled), so a round submitted twice never runs a trial twice. */
static int already_done(const char *dir)
{
    hpo_trial_result prev;
    return result_read(dir, &prev) == 0 && strcmp(prev.status, HPO_STATUS_CANCELLED) != 0;
}

int trial_run(hpo_experiment *e, int round, int index, int *exit_status)
{
    hpo_plan *plan = NULL;
    int r = plan_read(e, round, &plan);
    if (r != 0) return r;
    if (index < 0 || index >= plan->n) {
        r = hpo_error(HPO_ENOTFOUND, "%s: round %d has no trial at index %d (it has %d)", e->dir, round, index, plan->n);
        plan_free(plan);
        return r;
    }
    const hpo_plan_trial *t = &plan->trials[index];
    char *dir = experiment_trial_dir(e, t->trial_id);
    char *ckpt = path_join(dir, "checkpoint");
    int lock_fd = -1, jfd = -1, out_fd = -1, err_fd = -1, pipefd[2] = {-1, -1}, forwarding = 0;
    struct sigaction saved_actions[N_FORWARDED];
    char **argv = NULL;
    envlist env = {0};
    *exit_status = 0;
    if ((r = experiment_trial_dir_ok(dir)) != 0) goto done;
    if ((r = mkdir_p(ckpt, 0777)) != 0) goto done;
    if ((lock_fd = lock_trial(e, t->trial_id, dir)) < 0) { r = hpo_error(HPO_EIO, "%s: cannot lock: %s", dir, strerror(errno)); goto done; }
    if (already_done(dir)) goto done;
    archive_attempt(dir);
    if ((r = journal_open(dir, &jfd)) != 0) goto done;
    out_fd = open_output(dir, "stdout");
    err_fd = open_output(dir, "stderr");
    if (out_fd < 0 || err_fd < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        r = hpo_error(HPO_EIO, "%s: cannot create output files: %s", dir, strerror(errno));
        goto done;
    }
    /* Best effort: above /proc/sys/fs/pipe-max-size it fails, and the
     * default pipe only costs speed. */
    (void)fcntl(pipefd[0], F_SETPIPE_SZ, PUMP_CHUNK);
    argv = trial_build_argv(e->spec, t);
    env = trial_environment(e, round, t, dir);

    hpo_trial_result res;
    memset(&res, 0, sizeof res);
    host_name(res.node, sizeof res.node);
    const char *job = getenv("SLURM_JOB_ID");
    res.slurm_job_id = job && *job ? atol(job) : -1;
    describe_gpus(dir, res.gpu, sizeof res.gpu);
    snprintf(res.status, sizeof res.status, "%s", HPO_STATUS_RUNNING);
    res.start_time = now_wall();
    res.end_time = res.runtime_s = NAN;
    char event[512];
    snprintf(event, sizeof event, "start host=%s pid=%ld", res.node, (long)getpid());
    journal_append_event(jfd, event);
    fault_point("trial:started");

    note_resume(e, t, jfd);
    watch w = {.e = e->spec->median_stop ? e : NULL, .journal = path_join(dir, "journal"),
               .results = experiment_results_path(e)};

    double t0 = now_mono();
    cancel_signal = done_before_stop = 0;
    /* Descendants that leave the trial's process group (setsid, daemons)
     * are re-parented to us rather than to init, so they are found and
     * ended with it (kill_descendants). */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    install_forwarding(saved_actions);
    forwarding = 1;
    pid_t pid = start_child(e->spec, argv, env.v, pipefd[1], err_fd, pipefd[0]);
    if (pid < 0) {
        r = hpo_error(HPO_ERROR, "cannot fork: %s", strerror(errno));
        free(w.journal);
        free(w.results);
        goto done;
    }
    setpgid(pid, pid);
    child_pgid = pid;
    close(pipefd[1]);
    pipefd[1] = -1;
    int status = pump_output(pid, pipefd[0], out_fd, jfd, &w);
    child_pgid = 0;
    kill_descendants();

    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    res.max_rss_kb = ru.ru_maxrss;
    res.end_time = now_wall();
    res.runtime_s = now_mono() - t0;
    /* A trial that had exited before it was told to stop finished its
     * work: it keeps its real result.  Not one killed by a stop signal of
     * its own: scancel and the time limit signal the trial and its runner
     * at once, and the trial may die first. */
    int stop_sig = WIFSIGNALED(status) && (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGINT ||
                                           WTERMSIG(status) == SIGHUP || WTERMSIG(status) == SIGKILL);
    if (done_before_stop && !stop_sig) cancel_signal = 0;
    if (w.done_before_prune) w.pruned = 0;
    classify(e->spec, dir, status, &res);
    if (w.pruned && !cancel_signal) {
        snprintf(res.status, sizeof res.status, "%s", HPO_STATUS_PRUNED);
        snprintf(res.reason, sizeof res.reason, "%s", w.reason);
    }
    apply_retries(e->spec, dir, &res);
    fault_point("trial:before-end");
    snprintf(event, sizeof event, "end status=%s", res.status);
    journal_append_event(jfd, event);
    r = result_write(dir, &res);
    median_rule_free(w.rule);
    free(w.journal);
    free(w.results);
    *exit_status = strcmp(res.status, HPO_STATUS_COMPLETED) == 0 ? 0
                 : res.signal ? 128 + res.signal : res.exit_code ? res.exit_code : 1;
done:
    /* Only now, with the end record written: a signal until here still
     * makes the trial "cancelled" rather than killing the runner. */
    if (forwarding) restore_signals(saved_actions);
    for (int *fd = (int[]){jfd, out_fd, err_fd, pipefd[0], pipefd[1], -2}; *fd != -2; fd++)
        if (*fd >= 0) close(*fd);
    experiment_trial_unlock(lock_fd, 0);
    trial_free_argv(argv);
    env_free(&env);
    free(ckpt);
    free(dir);
    plan_free(plan);
    return r;
}
