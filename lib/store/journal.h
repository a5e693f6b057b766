/*
 * journal.h -- a trial's durable record, in EXP/trials/tNNNNNN/.
 *
 *   journal   one line per event, appended with one write() of whole lines:
 *               "<crc32 hex8> <payload>\n"
 *             where payload is "r STEP TIME METRIC VALUE" for a metric report
 *             (the only kind the store reads) or "e TEXT" for a free-form
 *             event.  A line whose checksum does not match (a torn last line
 *             after a kill, or damage) is dropped and counted, never fatal.
 *   result    the trial's end record, key=value lines, replaced whole by
 *             write-temp+rename; absent while the trial has not ended.
 *
 * Both the trial runner and `hpo report`/hpo_report() (from the trial's own
 * processes) append to the same journal: O_APPEND keeps whole lines apart.
 *
 * Durability, by group commit: every report is written to the journal as
 * soon as it is made (a stdout line as soon as it is read), so a kill of
 * any process -- the trial, its runner, `hpo run` -- loses none that was
 * made.  fsync comes at most every $HPO_JOURNAL_SYNC_MS (default 200 ms):
 * the trial runner fsyncs the journal when it has grown since its last
 * fsync, whoever wrote to it, and always before the trial's result is
 * written; hpo_report() fsyncs when its process's last fsync is older than
 * that (so the first report of a process, and every lone one, is fsync'd
 * at once).  A crash of the machine itself loses at most the reports of the
 * last interval.
 */
#ifndef HPO_JOURNAL_H
#define HPO_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/metric_name.h"   /* HPO_METRIC_MAX, metric_name_ok() */

typedef struct hpo_report_rec {
    long step;
    double time;               /* wall clock, seconds since the epoch */
    char metric[HPO_METRIC_MAX];
    double value;              /* may be NaN or +-inf */
} hpo_report_rec;

/* Statuses (README.md, "Trial statuses"). */
#define HPO_STATUS_PLANNED   "planned"
#define HPO_STATUS_RUNNING   "running"
#define HPO_STATUS_COMPLETED "completed"
#define HPO_STATUS_FAILED    "failed"
#define HPO_STATUS_TIMEOUT   "timeout"
#define HPO_STATUS_OOM       "oom"
#define HPO_STATUS_NODE_FAIL "node_fail"
#define HPO_STATUS_CANCELLED "cancelled"
#define HPO_STATUS_PRUNED    "pruned"

/* The reason of a cancelled attempt that Slurm preempted starts with this
 * word (written in one place: slurm_task_status(), slurm/rounds.h).  It
 * runs again like any cancelled attempt, but does not count against the
 * retry policy (trial_counted_attempts, trial/runner.h): a preemption is
 * the cluster's doing, not the config's, however often it happens. */
#define HPO_REASON_PREEMPTED "preempted"

/* The end record of a trial. */
typedef struct hpo_trial_result {
    char status[16];
    int exit_code;             /* -1 if killed by a signal */
    int signal;                /* 0 if none */
    double start_time, end_time, runtime_s;
    long max_rss_kb;
    long slurm_job_id;         /* the Slurm job id the trial ran as, -1 if none */
    char node[64];
    char gpu[64];
    char reason[128];          /* why it failed, "" if completed */
} hpo_trial_result;

/* Open (creating) the journal of trial directory `dir` for appending. */
int journal_open(const char *dir, int *fd);
/* Append one metric report; fsync'd before returning. */
int journal_append_report(int fd, long step, double time, const char *metric, double value);
/* The same, written at once but not fsync'd: the caller group-commits. */
int journal_write_report(int fd, long step, double time, const char *metric, double value);
/* The group commit interval, $HPO_JOURNAL_SYNC_MS (default 200 ms), in s. */
double journal_sync_interval(void);
/* Many reports appended at once, in one write() of whole lines, and not
 * fsync'd: the caller group-commits with journal_sync() (the trial runner,
 * for metric lines on stdout).  Values are kept as the text they were
 * written as (what strtod reads back exactly), so nothing is formatted. */
typedef struct hpo_journal_batch {
    char *buf;
    size_t len, cap;
} hpo_journal_batch;
void journal_batch_add(hpo_journal_batch *b, long step, const char *time_text, size_t time_len,
                       const char *metric, size_t metric_len, const char *value_text, size_t value_len);
int journal_batch_write(int fd, hpo_journal_batch *b);
void journal_batch_free(hpo_journal_batch *b);
/* fsync the journal. */
int journal_sync(int fd);
/* Append a free-form event line (newlines in text are replaced). */
int journal_append_event(int fd, const char *text);

/* Read every valid report of the journal at `path`, in order.  *dropped
 * counts lines that failed their checksum or did not parse.  A missing
 * journal reads as zero reports. */
int journal_read(const char *path, hpo_report_rec **recs, size_t *n, size_t *dropped);

/* The same, from the journal's bytes (for tests and fuzzing). */
void journal_parse(const char *data, size_t len, hpo_report_rec **recs, size_t *n, size_t *dropped);

/* Give reports without a step (-1) one: the metric's previous step + 1
 * (0 for its first), as /curves records them. */
void journal_number_steps(hpo_report_rec *recs, size_t n);

/* The result record: write atomically / read (HPO_ENOTFOUND if absent). */
int result_write(const char *dir, const hpo_trial_result *r);
int result_read(const char *dir, hpo_trial_result *r);

/* Whether a status is final (everything but planned and running). */
int status_is_terminal(const char *status);

/* Whether a reason says preempted (HPO_REASON_PREEMPTED), and whether an
 * end record is a preempted attempt (cancelled for that reason). */
int reason_is_preempted(const char *reason);
int result_is_preempted(const hpo_trial_result *r);

#endif
