/*
 * local.c -- the local executor: a round's trials as child processes of
 * this machine, at most parallel.max_concurrent at once.
 *
 * GPUs: when CUDA_VISIBLE_DEVICES is set, concurrency slot k gets device
 * (k / parallel.trials_per_gpu) mod (number of devices): concurrent trials
 * spread over the GPUs, trials_per_gpu of them to a GPU (small models that
 * leave a GPU mostly idle share one, each its own process and journal).
 */
#include "executors/executor.h"
#include "core/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char hpo_binary[4096];

void executor_set_hpo_binary(const char *path)
{
    snprintf(hpo_binary, sizeof hpo_binary, "%s", path);
}

const char *executor_hpo_binary(void)
{
    if (!hpo_binary[0]) {
        ssize_t n = readlink("/proc/self/exe", hpo_binary, sizeof hpo_binary - 1);
        hpo_binary[n > 0 ? n : 0] = '\0';
    }
    return hpo_binary;
}

int executor_slot_gpu(const hpo_spec *spec, int slot, int n_gpus)
{
    return (slot / spec->trials_per_gpu) % n_gpus;
}

struct hpo_executor {
    hpo_experiment *e;
    int round;
    int *queue, n_queue, next;     /* trial indices still to start */
    int slots;                     /* max_concurrent */
    pid_t *pid;                    /* per slot, 0 if free */
    int finished, cancelling;
    char **gpus;                   /* CUDA_VISIBLE_DEVICES split at commas */
    int n_gpus;
};

int executor_visible_gpus(char ***gpus)
{
    const char *v = getenv("CUDA_VISIBLE_DEVICES");
    int n = 0;
    *gpus = NULL;
    if (!v || !*v) return 0;
    char *copy = xstrdup(v), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        *gpus = xrealloc(*gpus, sizeof(char *) * (size_t)(n + 1));
        (*gpus)[n++] = xstrdup(tok);
    }
    free(copy);
    return n;
}

static int local_open(hpo_executor **out, hpo_experiment *e)
{
    hpo_executor *x = xcalloc(1, sizeof *x);
    x->e = e;
    x->slots = e->spec->max_concurrent;
    x->pid = xcalloc((size_t)x->slots, sizeof(pid_t));
    x->n_gpus = executor_visible_gpus(&x->gpus);
    *out = x;
    return 0;
}

static int local_submit(hpo_executor *x, int round, const int *indices, int n)
{
    x->round = round;
    x->queue = xrealloc(x->queue, sizeof(int) * (size_t)(n ? n : 1));
    memcpy(x->queue, indices, sizeof(int) * (size_t)n);
    x->n_queue = n;
    x->next = 0;
    x->finished = 0;
    x->cancelling = 0;
    return 0;
}

static pid_t start_trial(hpo_executor *x, int slot, int index)
{
    char round[32], idx[32];
    snprintf(round, sizeof round, "%d", x->round);
    snprintf(idx, sizeof idx, "%d", index);
    pid_t pid = fork();
    if (pid != 0) return pid;
    if (x->n_gpus > 0)
        setenv("CUDA_VISIBLE_DEVICES", x->gpus[executor_slot_gpu(x->e->spec, slot, x->n_gpus)], 1);
    const char *bin = executor_hpo_binary();
    execl(bin, bin, "trial", x->e->dir, round, idx, (char *)NULL);
    fprintf(stderr, "hpo: cannot run %s: %s\n", bin, strerror(errno));
    _exit(127);
}

static int local_poll(hpo_executor *x, hpo_exec_counts *c)
{
    int running = 0;
    for (int s = 0; s < x->slots; s++) {
        if (x->pid[s] > 0) {
            int status;
            pid_t r = waitpid(x->pid[s], &status, WNOHANG);
            if (r == x->pid[s] || (r < 0 && errno == ECHILD)) {
                x->pid[s] = 0;
                x->finished++;
            }
        }
        if (x->pid[s] == 0 && !x->cancelling && x->next < x->n_queue) {
            pid_t pid = start_trial(x, s, x->queue[x->next]);
            if (pid < 0) return hpo_error(HPO_ERROR, "cannot fork a trial: %s", strerror(errno));
            x->pid[s] = pid;
            x->next++;
        }
        if (x->pid[s] > 0) running++;
    }
    if (c) {
        c->running = running;
        c->queued = x->cancelling ? 0 : x->n_queue - x->next;
        c->finished = x->finished;
    }
    return 0;
}

static int local_cancel(hpo_executor *x)
{
    x->cancelling = 1;
    /* The runners forward SIGTERM to their trials and record them as
     * cancelled; trials that never started stay planned. */
    for (int s = 0; s < x->slots; s++)
        if (x->pid[s] > 0) kill(x->pid[s], SIGTERM);
    return 0;
}

static void local_close(hpo_executor *x)
{
    if (!x) return;
    for (int g = 0; g < x->n_gpus; g++) free(x->gpus[g]);
    free(x->gpus);
    free(x->queue);
    free(x->pid);
    free(x);
}

const hpo_executor_ops executor_local = {
    .name = "local",
    .open = local_open,
    .submit = local_submit,
    .poll = local_poll,
    .cancel = local_cancel,
    .close = local_close,
};
