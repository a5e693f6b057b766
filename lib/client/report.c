/*
 * report.c -- hpo_report(), the public C API a trial program calls to
 * record a metric (see hpo.h).
 *
 * How it fits: the trial runner starts the user's command with HPO_JOURNAL
 * set to the path of the trial's journal file; hpo_report() appends one
 * report line to it through journal_append_report(), exactly as the runner
 * does for metrics it reads from stdout and as `hpo report` does from a
 * shell.  The call keeps no state: it opens, appends (one write + fsync) and
 * closes each time, so it is safe from several processes and after fork().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pread, strnlen; the Makefile also passes -D_GNU_SOURCE */
#endif
#include "hpo.h"
#include "store/journal.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
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

static int report(const char *metric, double value, long step)
{
    const char *path = getenv("HPO_JOURNAL");
    if (!path || !*path)
        return hpo_error(HPO_ENOTFOUND,
                         "hpo_report: HPO_JOURNAL is not set (not running as an hpo trial?)");
    if (!metric_name_ok(metric, metric ? strnlen(metric, HPO_METRIC_MAX) : 0))
        return hpo_error(HPO_EINVAL, "hpo_report: invalid metric name '%.40s': want " HPO_METRIC_GRAMMAR,
                         metric ? metric : "(null)");
    int fd = -1;   /* set by open_journal(); -1 quiets -Wmaybe-uninitialized */
    int rc = open_journal(path, &fd);
    if (rc != HPO_OK) return rc;
    /* A negative step means "unnumbered": it is recorded as -1 and the
     * store numbers such reports in journal order when it ingests them. */
    rc = journal_append_report(fd, step < 0 ? -1 : step, now_wall(), metric, value);
    close(fd);
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
