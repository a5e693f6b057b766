/*
 * publish.h -- results.h5 as published snapshots of a private working file
 * (README.md, "Reading results.h5 while a sweep runs").
 *
 * The one writer (the holder of EXP/lock) writes only EXP/.results.work.h5.
 * After a write session that changed something, the working file is copied
 * to a hidden temporary file beside results.h5, fsync'd, and renamed over
 * results.h5.  A reader that holds results.h5 open keeps reading the inode
 * it opened, a complete and consistent older snapshot; a new reader opens
 * the new one.  No reader can ever stop, fail or slow the writer, and
 * results.h5 is never modified in place, so no crash or full disk can
 * leave it torn.
 *
 * Rate: a snapshot is published at most once per interval ($HPO_PUBLISH_-
 * INTERVAL_MS, default 1000 ms, measured from results.h5's mtime, so
 * across processes; never more often than 10 times the last copy's cost,
 * so publishing takes at most ~10% of the writer's time).  A change that
 * comes sooner is published by a background thread when the interval is
 * over (taking EXP/lock for it when this process does not hold it), when
 * the process is done with the experiment (experiment_free), and before
 * this process reads results.h5 itself.  A change not yet published
 * survives the process in EXP/.results.work.h5.unpublished (a marker), so
 * whoever holds the lock next publishes it.
 */
#ifndef HPO_PUBLISH_H
#define HPO_PUBLISH_H

#include <stddef.h>

/* A write session begins (waits for a copy in progress). */
void publish_session_begin(void);
/* A write session on `work` ended.  If `dst` is not NULL (the session
 * succeeded): publish `work` to `dst` when `changed`, `force` or a change
 * is still unpublished -- now if due or forced, else later (the thread). */
void publish_session_end(const char *work, const char *dst, int changed, int force);
/* Take EXP/lock (`lock`, open as fd) without waiting, never while this
 * process's publisher holds it: flock(fd, LOCK_EX | LOCK_NB), then its
 * lease (store/lease.h).  HPO_ELOCKED if busy, with `who` describing a
 * holder on another host ("" when the flock said busy). */
int publish_lock_acquire(const char *lock, int fd, char *who, size_t n);
/* The lock is about to be released: publish an unpublished change now if
 * due (always if `final`: the process is done with the experiment), else
 * leave it to the thread, which takes the lock itself when it is free. */
void publish_lock_release(const char *work, const char *dst, int final);
/* Done with the experiment without holding its lock: publish what this
 * process left unpublished, if the lock is free (else its holder will). */
void publish_final(const char *work, const char *dst);
/* Before reading `dst`: publish this process's own pending change, so it
 * reads what it wrote. */
void publish_before_read(const char *dst);
/* Copy `work` to `dst` now: temporary file + fsync + rename + fsync(dir).
 * On failure nothing is left behind and `dst` is untouched. */
int publish_now(const char *work, const char *dst);
/* Set or clear the marker that says `work` has an unpublished change. */
void publish_mark(const char *work, int on);
/* Remove what an interrupted publisher, rebuild or atomic replacement
 * left in `dir` (temporary files; under the lock). */
void publish_cleanup(const char *dir);

#endif
