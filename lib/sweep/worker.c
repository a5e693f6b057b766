/*
 * worker.c -- the worker loop (see worker.h).
 *
 * The loop never blocks on anything but short sleeps: it reaps the runners
 * that ended, tries the experiment lock without waiting (another worker
 * holds it for milliseconds), and sleeps 5-20 ms between tries, so a free
 * slot is filled within a few tens of milliseconds of its trial's end.
 */
#include "sweep/worker.h"
#include "executors/executor.h"
#include "store/ingest.h"
#include "store/journal.h"
#include "store/plan.h"
#include "sweep/step.h"
#include "trial/runner.h"
#include "core/util.h"
#include "store/rank.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A trial taken over this many times by one worker without its runner ever
 * recording an end: the runner cannot start it (it said why on stderr). */
#define MAX_SAME_TAKES 3

typedef struct slot {
    pid_t pid;              /* 0: free */
    int pidfd;              /* polled to wake when the runner ends; -1 if none */
    long trial_id;
} slot;

typedef struct worker {
    hpo_experiment *e;
    const hpo_worker_options *o;
    const hpo_optimizer *opt;
    hpo_worker_stats *stats;
    slot *slots;
    char **gpus;
    int n_gpus;
    int stopping;           /* start nothing more */
    int over;               /* plan nothing more: the sweep step said the sweep is over
                               (trials cut off elsewhere are still taken over) */
    long left;              /* trials not final at the last take, ours and others' */
    int short_of_time;      /* a trial to take over did not fit the time left */
    long last_taken, same_takes;
} worker;

/* The job a take hands to a free slot. */
typedef struct take {
    int round, index;
    long trial_id;
    int lock_fd;
    int resumed;
} take;

static int running(const worker *w)
{
    int n = 0;
    for (int s = 0; s < w->o->slots; s++) n += w->slots[s].pid > 0;
    return n;
}

static int free_slot(const worker *w)
{
    for (int s = 0; s < w->o->slots; s++)
        if (w->slots[s].pid == 0) return s;
    return -1;
}

/* ---- choosing what to run ------------------------------------------------ */

/* The median runtime of the completed trials at `budget`; NaN if none. */
static double median_runtime(const hpo_store *st, double budget)
{
    const hpo_trial_row *t = store_trials(st);
    size_t n = store_n_trials(st), m = 0;
    double *x = xmalloc(sizeof(double) * (n + 1));
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].status, HPO_STATUS_COMPLETED) == 0 && same_budget(t[i].budget, budget) &&
            isfinite(t[i].runtime_s))
            x[m++] = t[i].runtime_s;
    qsort(x, m, sizeof(double), cmp_double);
    double med = m == 0 ? NAN : m % 2 ? x[m / 2] : (x[m / 2 - 1] + x[m / 2]) / 2;
    free(x);
    return med;
}

/* Whether a trial at `budget` would end before the deadline, as far as the
 * finished trials tell (unknown: yes). */
static int fits(const worker *w, const hpo_store *st, double budget)
{
    if (w->o->deadline <= 0) return 1;
    double need = median_runtime(st, budget), left = w->o->deadline - now_wall();
    return isnan(need) ? left > 0 : need < left;
}

/* Record a trial that was cut off too often as final. */
static void give_up_on(const hpo_experiment *e, long id, int attempts)
{
    char *dir = experiment_trial_dir(e, id);
    hpo_trial_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.status, sizeof r.status, "%s", HPO_STATUS_NODE_FAIL);
    r.exit_code = -1;
    r.start_time = r.end_time = r.runtime_s = NAN;
    r.slurm_job_id = -1;
    snprintf(r.gpu, sizeof r.gpu, "unknown");
    snprintf(r.reason, sizeof r.reason, "cut off %d times (its worker died, was cancelled or ran out of time)",
             attempts);
    result_write(dir, &r);
    free(dir);
}

/* A planned or cut-off trial that nobody runs: take its lock and return 1. */
static int take_orphan(worker *w, const hpo_store *st, take *k)
{
    const hpo_trial_row *t = store_trials(st);
    size_t n = store_n_trials(st);
    for (size_t i = 0; i < n; i++) {
        if (status_is_terminal(t[i].status) && strcmp(t[i].status, HPO_STATUS_CANCELLED) != 0) continue;
        if (experiment_trial_alive(w->e, t[i].trial_id)) continue;
        int fd = -1;
        if (experiment_trial_lock(w->e, t[i].trial_id, 0, &fd) != 0) continue;
        char *dir = experiment_trial_dir(w->e, t[i].trial_id);
        hpo_trial_result prev;
        int done = result_read(dir, &prev) == 0 && strcmp(prev.status, HPO_STATUS_CANCELLED) != 0;
        int lost = trial_counted_attempts(dir);
        free(dir);
        /* Cut off each time (its worker died, was cancelled or ran out of
         * time): not the config's fault, so the retry policy of node
         * failures applies (spec_max_attempts), then it is node_fail. */
        if (!done && lost >= spec_max_attempts(w->e->spec, 1)) {
            give_up_on(w->e, t[i].trial_id, lost);
            done = 1;
        }
        if (done || !fits(w, st, t[i].budget)) {
            /* Ended just now (the next ingest sees it), or too long for the
             * time left: another worker will take it. */
            experiment_trial_unlock(fd, 0);
            if (!done) w->stopping = 1, w->short_of_time = 1;
            continue;
        }
        *k = (take){.round = t[i].round, .index = t[i].array_index, .trial_id = t[i].trial_id,
                    .lock_fd = fd, .resumed = 1};
        return 1;
    }
    return 0;
}

/* Plan one new trial with the sweep step and take its lock; 0 when the
 * sweep is over (reason filled) or the trial does not fit the time left. */
static int take_new(worker *w, hpo_store *st, take *k, char *reason, size_t n, int *err)
{
    hpo_step step;
    fault_point("worker:before-plan");
    if ((*err = sweep_step(w->e, st, w->opt, 1, &step)) != 0) return 0;
    if (step.outcome == HPO_STEP_STOPPED) {
        snprintf(reason, n, "%s", step.reason);
        w->over = 1;
        return 0;
    }
    fault_point("worker:after-plan");
    hpo_plan *plan = NULL;
    if ((*err = plan_read(w->e, step.round, &plan)) != 0) return 0;
    long id = plan->trials[0].trial_id;
    double budget = plan->trials[0].budget;
    plan_free(plan);
    if (!fits(w, st, budget)) {   /* it stays planned: the next worker runs it */
        w->stopping = 1;
        snprintf(reason, n, "the time left (%.0f s) is shorter than a trial at this budget takes",
                 w->o->deadline - now_wall());
        return 0;
    }
    int fd = -1;
    if ((*err = experiment_trial_lock(w->e, id, 0, &fd)) != 0) return 0;
    *k = (take){.round = step.round, .index = 0, .trial_id = id, .lock_fd = fd, .resumed = 0};
    return 1;
}

/* Mark every descriptor above stderr close-on-exec, except keep. */
static void close_others_on_exec(int keep)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) != 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    fcntl(keep, F_SETFD, 0);
}

/* Start `hpo trial EXP ROUND INDEX` in slot s, handing down the trial's lock. */
static int start(worker *w, int s, take *k)
{
    char round[32], idx[32], fd[32];
    snprintf(round, sizeof round, "%d", k->round);
    snprintf(idx, sizeof idx, "%d", k->index);
    snprintf(fd, sizeof fd, "%d", k->lock_fd);
    const char *bin = executor_hpo_binary();
    pid_t pid = fork();
    if (pid == 0) {
        /* The lock descriptor must survive exec; nothing else of ours may:
         * results.h5 is open here (HDF5 opens without O_CLOEXEC), and a
         * runner holding its lock would block every reader for the
         * trial's whole run. */
        close_others_on_exec(k->lock_fd);
        setenv("HPO_TRIAL_LOCK_FD", fd, 1);
        if (w->n_gpus > 0) setenv("CUDA_VISIBLE_DEVICES", w->gpus[executor_slot_gpu(w->e->spec, s, w->n_gpus)], 1);
        execl(bin, bin, "trial", w->e->dir, round, idx, (char *)NULL);
        dprintf(2, "hpo: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    experiment_trial_unlock(k->lock_fd, pid > 0);   /* the runner holds it now, and takes on its lease */
    if (pid < 0) return hpo_error(HPO_ERROR, "cannot fork a trial runner: %s", strerror(errno));
    w->slots[s] = (slot){.pid = pid, .pidfd = (int)syscall(SYS_pidfd_open, pid, 0), .trial_id = k->trial_id};
    w->stats->started++;
    w->stats->resumed += k->resumed;
    return 0;
}

/* Take the experiment lock (without waiting), ingest, choose, and start
 * what was chosen in slot s.  The runner starts before results.h5 is closed
 * and the lock released (its plan is on disk already), so its start up
 * overlaps our close.  Returns 1 when a trial started, 0 when there is
 * nothing to take now (locked by another process, the sweep is over, or no
 * time left) or on error (*err). */
static int take_next(worker *w, int s, char *reason, size_t n, int *err)
{
    *err = 0;
    double t0 = now_mono();
    int r = experiment_lock(w->e);
    if (r == HPO_ELOCKED) return 0;
    if (r != 0) { *err = r; return 0; }
    hpo_store *st = NULL;
    take k = {.lock_fd = -1};
    int got = 0;
    fault_point("worker:locked");
    if ((r = ingest_open(w->e, &st, NULL)) == 0) {
        got = take_orphan(w, st, &k);
        if (!got && !w->stopping && !w->over) got = take_new(w, st, &k, reason, n, &r);
        if (w->short_of_time && !got)
            snprintf(reason, n, "the time left (%.0f s) is shorter than the trial to resume takes",
                     w->o->deadline - now_wall());
        if (got && r == 0) r = start(w, s, &k);
        else if (got) experiment_trial_unlock(k.lock_fd, 0);
        got = got && r == 0;
        hpo_summary sum;
        driver_summary(w->e->spec, st, &sum);
        w->left = (long)(sum.n_running + sum.n_waiting);
        if (w->o->progress) w->o->progress(w->o->arg, &sum, running(w), 0);
        int c = store_close(st);
        if (r == 0) r = c;
    }
    experiment_unlock(w->e);
    double held = now_mono() - t0;
    w->stats->takes++;
    w->stats->lock_held_s += held;
    if (held > w->stats->lock_held_max_s) w->stats->lock_held_max_s = held;
    if (got && k.resumed && k.trial_id == w->last_taken) w->same_takes++;
    else if (got) w->same_takes = 0;
    if (got) w->last_taken = k.trial_id;
    *err = r;
    return got;
}

/* ---- running -------------------------------------------------------------- */

/* Sleep up to ms, waking as soon as one of our runners ends (pidfds:
 * no signal handler needed, which the library must not install). */
static void wait_for_runners(worker *w, long ms)
{
    struct pollfd fds[64];
    int n = 0;
    for (int s = 0; s < w->o->slots && n < 64; s++)
        if (w->slots[s].pid > 0 && w->slots[s].pidfd >= 0) fds[n++] = (struct pollfd){.fd = w->slots[s].pidfd, .events = POLLIN};
    if (n == 0 || n < running(w)) sleep_ms(n == 0 ? ms : ms < 20 ? ms : 20);
    else poll(fds, (nfds_t)n, (int)ms);
}

static void reap(worker *w)
{
    for (int s = 0; s < w->o->slots; s++) {
        if (w->slots[s].pid <= 0) continue;
        int status;
        pid_t r = waitpid(w->slots[s].pid, &status, WNOHANG);
        if (r == w->slots[s].pid || (r < 0 && errno == ECHILD)) {
            w->slots[s].pid = 0;
            if (w->slots[s].pidfd >= 0) close(w->slots[s].pidfd);
            w->slots[s].pidfd = -1;
        }
    }
}

static void signal_all(worker *w, int sig)
{
    for (int s = 0; s < w->o->slots; s++)
        if (w->slots[s].pid > 0) kill(w->slots[s].pid, sig);
}

int worker_run(hpo_experiment *e, const hpo_worker_options *o, hpo_worker_stats *stats, char *reason, size_t n)
{
    worker w = {.e = e, .o = o, .stats = stats, .last_taken = -1};
    memset(stats, 0, sizeof *stats);
    reason[0] = '\0';
    int r = optimizer_for_spec(e->spec, &w.opt);
    if (r != 0) return r;
    if (optimizer_sweep_mode(e->spec) != HPO_MODE_WORKERS) {
        const hpo_spec *sp = e->spec;
        return hpo_error(HPO_ESPEC, "%s:%d:%d: parallel.mode: this experiment runs in rounds, so it has no "
                         "workers (expected mode: workers; run it with hpo run or hpo drive)", sp->path,
                         sp->mode_line ? sp->mode_line : 1, sp->mode_line ? sp->mode_col : 1);
    }
    w.slots = xcalloc((size_t)o->slots, sizeof(slot));
    w.n_gpus = executor_visible_gpus(&w.gpus);
    int cancelled = 0, drained = 0;
    while (r == 0) {
        reap(&w);
        if (o->stop && *o->stop && !cancelled) {
            signal_all(&w, SIGTERM);   /* runners record their trials as cancelled */
            cancelled = w.stopping = 1;
        }
        if (o->drain && *o->drain && !drained) {
            /* Slurm's warning: pass it on, so trials checkpoint; start nothing. */
            signal_all(&w, (int)*o->drain);
            drained = w.stopping = 1;
            snprintf(reason, n, "this worker's time is nearly up");
        }
        int s = free_slot(&w);
        if (s >= 0 && !w.stopping) {
            int err = 0;
            if (take_next(&w, s, reason, n, &err)) {
                if (w.same_takes >= MAX_SAME_TAKES)
                    r = hpo_error(HPO_ERROR, "trial %ld could not be run %d times (the trial runner said why above)",
                                  w.last_taken, MAX_SAME_TAKES);
                continue;   /* fill the next free slot at once */
            }
            r = err;
        }
        if (running(&w) == 0 && (w.stopping || (w.over && (w.left == 0 || !o->wait_all)))) break;
        /* Until a runner ends, or a little while: the lock may free soon;
         * trials of other processes take longer to end. */
        long ms = s < 0 || w.stopping ? 1000 : w.over ? 200 : 5 + (long)(getpid() % 16);
        wait_for_runners(&w, ms);
    }
    if (r != 0) {   /* stop what runs before reporting the error */
        signal_all(&w, SIGTERM);
        while (running(&w) > 0) { reap(&w); sleep_ms(20); }
    }
    /* Leave results.h5 reflecting every journal. */
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", hpo_error_last());
    if (experiment_lock(e) == 0) {
        hpo_store *st = NULL;
        if (ingest_open(e, &st, NULL) == 0) {
            hpo_summary sum;
            driver_summary(e->spec, st, &sum);
            /* The last trial of a finished sweep has ended: it has stopped. */
            if (r == 0 && w.over && sum.n_running + sum.n_waiting == 0) r = store_set_attr(st, "stop_reason", reason);
            if (o->progress) o->progress(o->arg, &sum, 0, 1);
            int c = store_close(st);
            if (r == 0) r = c;
        }
        experiment_unlock(e);
    }
    if (r != 0) hpo_error(r, "%s", saved);
    else if (cancelled) r = hpo_error(HPO_EINTR, "interrupted: running trials were cancelled; run again to resume");
    for (int g = 0; g < w.n_gpus; g++) free(w.gpus[g]);
    free(w.gpus);
    free(w.slots);
    return r;
}
