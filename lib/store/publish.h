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
 * INTERVAL_MS, default 1000 ms; never more often than 10 times the last
 * copy's cost, so publishing takes at most ~10% of the writer's time).  A
 * change that comes sooner is published by a background thread when the
 * interval is over, and in any case when the lock is released.  A change
 * not yet published survives the process in EXP/.results.work.h5.unpublished
 * (a marker), so the next lock holder publishes it.
 */
#ifndef HPO_PUBLISH_H
#define HPO_PUBLISH_H

/* A write session on `work` begins (waits for a copy of it in progress). */
void publish_session_begin(void);
/* A write session ended.  If `dst` is not NULL and the session succeeded:
 * the working file is to be published to `dst` (now if due, later by the
 * background thread otherwise) when `changed` or `force`, or when a change
 * is still unpublished. */
void publish_session_end(const char *work, const char *dst, int changed, int force);
/* Publish any unpublished change of `work` to `dst` now (the lock holder
 * calls it before releasing the lock), and stop deferred publishing. */
void publish_flush(const char *work, const char *dst);
/* Copy `work` to `dst` now: temporary file + fsync + rename + fsync(dir).
 * On failure nothing is left behind and `dst` is untouched. */
int publish_now(const char *work, const char *dst);
/* Set or clear the marker that says `work` has an unpublished change. */
void publish_mark(const char *work, int on);
/* Remove what an interrupted publisher or rebuild left in `dir` (the
 * temporary files; under the lock). */
void publish_cleanup(const char *dir);

#endif
