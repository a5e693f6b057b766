/*
 * util.h -- small shared helpers of libhpo: the thread's last error, memory
 * that never returns NULL, durable file writes, CRC-32, time and paths.
 *
 * Durability invariant kept by every writer in libhpo: a file is either
 * appended to with one write() per record followed by fsync(), or replaced
 * whole by write-temp + fsync + rename + fsync(dir).  A kill at any instant
 * therefore leaves the old file, the new file, or an old file plus a torn
 * last record that readers detect by its checksum.
 */
#ifndef HPO_UTIL_H
#define HPO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "hpo.h"

#define HPO_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set the thread's last error and return `code`, so callers can write
 * `return hpo_error(HPO_EIO, "cannot open %s: %s", p, strerror(errno));` */
int hpo_error(int code, const char *fmt, ...) HPO_PRINTF(2, 3);
void hpo_error_clear(void);

/* Notices: what the library has to say that is not an error (a damaged
 * results.h5 rebuilt, a round submitted, a spec change).  The library never
 * prints; it hands each notice, one line without "hpo: " or a newline, to
 * the function the program installed, or drops it when there is none.
 * HPO_NOTE_INFO is a remark for stderr; HPO_NOTE_OUTPUT is output the user
 * asked for (a --dry-run's script), for stdout.  bin/hpo.c installs one at
 * startup; set it before any threads start. */
enum { HPO_NOTE_INFO = 0, HPO_NOTE_OUTPUT = 1 };
typedef void (*hpo_notice_fn)(int kind, const char *text);
void hpo_set_notice(hpo_notice_fn fn);
void hpo_notice(int kind, const char *fmt, ...) HPO_PRINTF(2, 3);

/* Allocation that aborts with a message on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) HPO_PRINTF(1, 2);

/* Read a whole file (NUL-terminated; *len excludes the NUL). */
int read_file(const char *path, char **data, size_t *len);
/* Replace `path` atomically and durably with `len` bytes of `data`. */
int write_file_atomic(const char *path, const void *data, size_t len);
/* write() all of buf, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/* strerror(err), and for a full disk or quota (ENOSPC, EDQUOT) also how
 * much space is left where `path` lives: "No space left on device (12 KiB
 * free on /scratch)".  The text is in a thread-local buffer. */
const char *io_strerror(int err, const char *path);
/* `s` with every control character (C0, DEL, and C1 as UTF-8) written as
 * \xNN, so text a trial wrote (a reason from its stderr, a node name)
 * cannot move the cursor, set the title or run escape sequences on the
 * terminal or in a spreadsheet.  Allocated. */
char *escape_controls(const char *s);
/* fsync the directory that holds `path`. */
int fsync_parent_dir(const char *path);
/* mkdir -p */
int mkdir_p(const char *path, unsigned mode);
int path_exists(const char *path);

/* The CRC-32 of zlib, gzip and Python's zlib.crc32 (the journal's). */
uint32_t crc32_of(const void *data, size_t len);
/* SHA-256 as 64 lowercase hex digits plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* Wall-clock time in seconds since the epoch, with sub-second resolution. */
double now_wall(void);
/* Monotonic seconds, for measuring durations. */
double now_mono(void);
/* Sleep ms milliseconds (less if a signal comes). */
void sleep_ms(long ms);

/* The name of this host as hpo records it (locks, leases, a trial's node):
 * $HPO_HOSTNAME if set (a test and diagnostic knob: it makes one machine
 * pass for another), else gethostname(). */
void host_name(char *buf, size_t n);

/* The setting $name as a number >= 0 (the HPO_* knobs of README), or
 * `dflt` when it is unset, empty, not a number or negative. */
double env_number(const char *name, double dflt);

/* Shortest text that reads back as exactly `v` ("nan", "inf", "-inf" for
 * non-finite values). */
void format_double(char *buf, size_t n, double v);

/* qsort() comparator of doubles, ascending. */
int cmp_double(const void *a, const void *b);

/* Delete everything inside directory `path` (not the directory itself),
 * never following symbolic links out of it.  Returns how many entries. */
long empty_directory(const char *path);

/* Fault injection for tests: if $HPO_FAULT names this point (and, with
 * "point@N", this is its N-th visit in this process), the process kills
 * itself with SIGKILL here, as a crash or `kill -9` would.  With
 * $HPO_FAULT_MARK set, the first process to fire creates that file and no
 * process fires again (trial runners inherit the environment).  Free when
 * HPO_FAULT is unset. */
void fault_point(const char *point);

/* Absolute form of `path` (relative to the cwd); the caller frees it. */
char *absolute_path(const char *path);
/* The directory part of `path` (like dirname(3), but allocated). */
char *dir_of(const char *path);
/* Join dir and name with one '/', allocated. */
char *path_join(const char *dir, const char *name);
/* This process's own executable (/proc/self/exe), allocated; "" if unknown.
 * Trials are started as `<it> trial ...`, and templates found beside it. */
char *self_exe_path(void);

#endif
