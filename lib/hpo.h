/*
 * hpo.h -- the public API of libhpo.
 *
 * libhpo is the library behind the `hpo` command: it reads a sweep's spec,
 * plans rounds of trials, runs them (locally or on Slurm), and keeps the
 * results in an HDF5 file.  Most users only need hpo_report(), which a C
 * trial program calls to record a metric in its trial's journal.
 *
 * Conventions (as in libgit2): every call returns 0 on success or a negative
 * HPO_E* code; the message of the last error on this thread is available
 * from hpo_error_last() until the next failing call.
 */
#ifndef HPO_H
#define HPO_H

#ifdef __cplusplus
extern "C" {
#endif

#define HPO_VERSION "0.1.0"

/* What libhpo exports: only the functions declared here.  Everything else
 * is built with -fvisibility=hidden (and localized in libhpo.a), so a trial
 * program may define read_file() or xmalloc() of its own. */
#if defined(__GNUC__) || defined(__clang__)
#define HPO_EXPORT __attribute__((visibility("default")))
#else
#define HPO_EXPORT
#endif

enum {
    HPO_OK = 0,
    HPO_ERROR = -1,      /* generic failure */
    HPO_ESPEC = -2,      /* the spec is invalid (message is FILE:LINE:COL: ...) */
    HPO_EIO = -3,        /* a file could not be read or written */
    HPO_ELOCKED = -4,    /* another process holds the experiment lock */
    HPO_ENOTFOUND = -5,  /* a file, trial or experiment does not exist */
    HPO_ECORRUPT = -6,   /* a file exists but its contents are not valid */
    HPO_EINTR = -7,      /* interrupted by the user (Ctrl-C) */
    HPO_EFORMAT = -8,    /* a file of another (newer) format_version: never rewritten */
    HPO_EINVAL = -9      /* an invalid argument (e.g. a metric name outside the grammar) */
};

/* The message of the last error on this thread ("" if none). */
HPO_EXPORT const char *hpo_error_last(void);

/*
 * Record one metric value for the running trial, at the given step (use a
 * negative step to let hpo number reports in order).  The trial is found
 * through the environment hpo sets for it (HPO_JOURNAL); outside a trial the
 * call fails with HPO_ENOTFOUND.  Safe to call from several threads and
 * processes of the same trial: each report is one atomic append, made
 * before the call returns, so no kill loses it.  fsync is group-committed:
 * a process's first report is fsync'd at once, later ones at most every
 * HPO_JOURNAL_SYNC_MS (default 200 ms), and the trial runner fsyncs the
 * rest; a crash of the machine may lose the reports of that last interval.
 */
HPO_EXPORT int hpo_report(const char *metric, double value, long step);

#ifdef __cplusplus
}
#endif
#endif
