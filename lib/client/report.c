/*
 * report.c -- hpo_report(), the public C API a trial program calls to
 * record a metric (see hpo.h).
 *
 * How it fits: the trial runner starts the user's command with HPO_JOURNAL
 * set to the path of the trial's journal file; hpo_report() appends one
 * report line to it, exactly as the runner does for metrics it reads from
 * stdout and as `hpo report` does from a shell.  Each report is written at
 * once, and fsync'd by group commit (journal.h): here when this process's
 * last fsync is older than $HPO_JOURNAL_SYNC_MS, and by the runner, which
 * fsyncs the journal when it grew and before the trial's result.  So a
 * trial calling hpo_report() a million times costs a million write()s,
 * not a million fsyncs.
 *
 * The journal stays open between calls (one descriptor per process: a
 * child after fork() opens its own, and a changed HPO_JOURNAL opens the new
 * journal); a mutex keeps calls from several threads apart, held across
 * fork() (pthread_atfork) so that a child never inherits it locked.  A
 * journal replaced under the same path is not noticed: the runner moves a
 * journal away (attempt-N/) only before a trial's next attempt starts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pread, strnlen; the Makefile also passes -D_GNU_SOURCE */
#endif
#include "hpo.h"
#include "store/journal.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Open the journal for appending, creating it if the runner has not yet.
 * O_RDWR rather than O_WRONLY lets the append check for a torn last line
 * (journal.c); a journal we may only write still works, without the check. */
static int open_journal(const char *path, int *fd)
{
    int f = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (f < 0 && errno == EACCES)
        f = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (f < 0 && errno == ENOENT) {
        f = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (f >= 0) fsync_parent_dir(path);   /* make the new name durable */
    }
    if (f < 0)
        return hpo_error(errno == ENOENT ? HPO_ENOTFOUND : HPO_EIO,
                         "hpo_report: cannot open journal %s: %s", path, strerror(errno));
    *fd = f;
    return HPO_OK;
}

/* The open journal of this process. */
static struct {
    pthread_mutex_t lock;
    int fd;                    /* -1: none open */
    pid_t pid;                 /* the process that opened it */
    char *path;                /* the HPO_JOURNAL it was opened as */
    double last_sync;          /* now_mono() of the last fsync, 0: never */
    double sync_every;         /* journal_sync_interval() when it was opened */
} journal = {PTHREAD_MUTEX_INITIALIZER, -1, 0, NULL, 0, 0};

static void lock_before_fork(void) { pthread_mutex_lock(&journal.lock); }
static void unlock_after_fork(void) { pthread_mutex_unlock(&journal.lock); }
static void register_fork_handlers(void)
{
    pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
}

/* The journal's descriptor for this process, opening it if needed. */
static int current_journal(const char *path, int *fd)
{
    pid_t me = getpid();
    if (journal.fd >= 0 && journal.pid == me && strcmp(journal.path, path) == 0) {
        *fd = journal.fd;
        return HPO_OK;
    }
    /* Another journal: ours is closed.  A child of fork() leaves the copy
     * it inherited alone (it may have closed it and reused the number)
     * and opens its own.  Either way its first report here is fsync'd. */
    if (journal.fd >= 0 && journal.pid == me) close(journal.fd);
    free(journal.path);
    journal.fd = -1;
    journal.path = NULL;
    journal.last_sync = 0;
    int rc = open_journal(path, fd);
    if (rc != HPO_OK) return rc;
    journal.fd = *fd;
    journal.pid = me;
    journal.path = xstrdup(path);
    journal.sync_every = journal_sync_interval();
    return HPO_OK;
}

static int report(const char *metric, double value, long step)
{
    const char *path = getenv("HPO_JOURNAL");
    if (!path || !*path)
        return hpo_error(HPO_ENOTFOUND,
                         "hpo_report: HPO_JOURNAL is not set (not running as an hpo trial?)");
    if (!metric_name_ok(metric, metric ? strnlen(metric, HPO_METRIC_MAX) : 0))
        return hpo_error(HPO_EINVAL, "hpo_report: invalid metric name '%.40s': want " HPO_METRIC_GRAMMAR,
                         metric ? metric : "(null)");
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_fork_handlers);
    pthread_mutex_lock(&journal.lock);
    int fd = -1;   /* set by current_journal(); -1 quiets -Wmaybe-uninitialized */
    int rc = current_journal(path, &fd);
    /* A negative step means "unnumbered": it is recorded as -1 and the
     * store numbers such reports in journal order when it ingests them. */
    if (rc == HPO_OK) rc = journal_write_report(fd, step < 0 ? -1 : step, now_wall(), metric, value);
    double now = now_mono();
    if (rc == HPO_OK && (journal.last_sync == 0 || now - journal.last_sync >= journal.sync_every)) {
        rc = journal_sync(fd);
        journal.last_sync = now;
    }
    pthread_mutex_unlock(&journal.lock);
    return rc;
}

int hpo_report(const char *metric, double value, long step)
{
    /* hpo.h: the last error stays until the next failing call, so a
     * success leaves it as it was, whatever happened inside. */
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", hpo_error_last());
    int rc = report(metric, value, step);
    if (rc == HPO_OK) hpo_error(HPO_OK, "%s", saved);
    return rc;
}
