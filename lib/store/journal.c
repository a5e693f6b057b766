/*
 * journal.c -- a trial's durable record: the append-only journal of metric
 * reports and events, and the `result` file written once the trial ends.
 * See journal.h for the formats.
 *
 * How it fits: the trial runner (and `hpo report` / hpo_report() from the
 * trial's own processes) append to the journal while the trial runs; the
 * driver's ingest step reads it back with journal_read() and the result with
 * result_read(), and stores both in results.h5.  Because the journal, not
 * results.h5, is the durable record, the reader must accept anything a kill
 * or a crash can leave behind (a torn last line, zeros after a power loss)
 * and anything else on disk (it is fuzzed): bad lines are counted, never
 * fatal, and nothing is ever read past the bytes of the file.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pread, strnlen; the Makefile also passes -D_GNU_SOURCE */
#endif
#include "store/journal.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOURNAL_NAME "journal"
#define RESULT_NAME  "result"
/* Events are truncated to this many bytes so that a line stays small: one
 * write() of it is then, in practice, all-or-nothing. */
#define EVENT_MAX 4096
/* Longest number token accepted when reading (format_double writes <= 24). */
#define NUM_MAX 64

/* ---- small text helpers ---------------------------------------------- */

/* Metric names follow the one grammar of core/metric_name.h.  Checking it
 * on both append and read keeps a name the same wherever it came from, and
 * guarantees it holds no space or newline that would break the line format. */

/* Length of the longest prefix of s[0..n) that is at most `max` bytes and
 * does not end inside a UTF-8 sequence, so truncated text stays valid. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    /* Back off over continuation bytes (10xxxxxx) to a character start. */
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

/* Copy s[0..n) into dst[size] as a NUL-terminated one-line string:
 * truncated at a character boundary, newlines and CRs made spaces. */
static void copy_line_str(char *dst, size_t size, const char *s, size_t n)
{
    size_t k = utf8_cut(s, n, size - 1);
    for (size_t i = 0; i < k; i++)
        dst[i] = (s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
    dst[k] = '\0';
}

/* Parse a whole token as a double (what strtod accepts, incl. nan/inf). */
static int parse_double_tok(const char *tok, size_t n, double *out)
{
    char buf[NUM_MAX];
    if (n == 0 || n >= sizeof buf || memchr(tok, '\0', n)) return 0;
    memcpy(buf, tok, n);
    buf[n] = '\0';
    if (strchr(" \t\r\n\v\f", buf[0])) return 0;   /* strtod would skip them */
    char *end;
    double v = strtod(buf, &end);
    if (end != buf + n) return 0;
    *out = v;
    return 1;
}

/* Parse a whole token as a decimal long: optional '-', then digits only. */
static int parse_long_tok(const char *tok, size_t n, long *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((tok[i] >= '0' && tok[i] <= '9') || (i == 0 && tok[i] == '-' && n > 1)))
            return 0;
    memcpy(buf, tok, n);
    buf[n] = '\0';
    errno = 0;
    long v = strtol(buf, NULL, 10);
    if (errno == ERANGE) return 0;
    *out = v;
    return 1;
}

/* ---- appending -------------------------------------------------------- */

/* Whether the journal behind fd ends with a torn line (last byte not '\n').
 * If an earlier writer died mid-line, our line must not be glued onto its
 * remains, or the reader would drop both; so the appender starts its write
 * with a '\n' to close the torn line off.  An fd that cannot be read (opened
 * O_WRONLY) simply skips the check.  A concurrent appender caught mid-write
 * costs at most one empty line, which readers ignore. */
static int ends_torn(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return 0;
    char c;
    if (pread(fd, &c, 1, st.st_size - 1) != 1) return 0;
    return c != '\n';
}

/* Frame payload as "<crc hex8> <payload>\n" and append it with ONE write(),
 * then fsync if `sync`.  buf has 10 free bytes before the payload (at
 * buf + 10) and one after it, so no copy is needed. */
static int append_framed(int fd, char *buf, size_t plen, int sync)
{
    char *payload = buf + 10;
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", (unsigned)crc32_of(payload, plen));
    memcpy(buf + 1, hex, 8);
    buf[9] = ' ';
    payload[plen] = '\n';
    char *start = buf + 1;
    if (ends_torn(fd)) {
        *--start = '\n';
    }
    size_t len = (size_t)(payload + plen + 1 - start);
    ssize_t w;
    do {
        w = write(fd, start, len);
    } while (w < 0 && errno == EINTR);
    /* Not write_all(): a second write() could land after another process's
     * line.  A short write (disk full) leaves a torn line, which the reader
     * drops and the next appender closes off. */
    if (w < 0 || (size_t)w != len)
        return hpo_error(HPO_EIO, "journal: cannot append: %s",
                         w < 0 ? strerror(errno) : "short write");
    return sync ? journal_sync(fd) : HPO_OK;
}

int journal_open(const char *dir, int *fd)
{
    char *path = path_join(dir, JOURNAL_NAME);
    /* O_RDWR, not O_WRONLY, so appends can check for a torn last line. */
    int f = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (f < 0 && errno == ENOENT) {
        f = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        /* A new file's name must be durable too, not only its contents. */
        if (f >= 0) fsync_parent_dir(path);
    }
    if (f < 0) {
        int r = hpo_error(errno == ENOENT ? HPO_ENOTFOUND : HPO_EIO,
                          "%s: cannot open journal: %s", path, strerror(errno));
        free(path);
        return r;
    }
    free(path);
    *fd = f;
    return HPO_OK;
}

static int append_report(int fd, long step, double time, const char *metric, double value, int sync)
{
    if (!metric || !metric_name_ok(metric, strnlen(metric, HPO_METRIC_MAX)))
        return hpo_error(HPO_EINVAL, "invalid metric name '%.40s': want " HPO_METRIC_GRAMMAR,
                         metric ? metric : "(null)");
    if (step < 0) step = -1;   /* every negative step means "unnumbered" */
    char t[32], v[32];
    format_double(t, sizeof t, time);
    format_double(v, sizeof v, value);
    char buf[10 + 160];
    int plen = snprintf(buf + 10, sizeof buf - 11, "r %ld %s %s %s", step, t, metric, v);
    if (plen < 0 || (size_t)plen >= sizeof buf - 11)
        return hpo_error(HPO_ERROR, "journal: report line too long");
    return append_framed(fd, buf, (size_t)plen, sync);
}

int journal_append_report(int fd, long step, double time, const char *metric, double value)
{
    return append_report(fd, step, time, metric, value, 1);
}

int journal_write_report(int fd, long step, double time, const char *metric, double value)
{
    return append_report(fd, step, time, metric, value, 0);
}

double journal_sync_interval(void)
{
    return env_number("HPO_JOURNAL_SYNC_MS", 200) / 1000.0;
}

int journal_append_event(int fd, const char *text)
{
    if (!text) text = "";
    size_t n = strlen(text);
    char *buf = xmalloc(10 + 2 + EVENT_MAX + 1);
    buf[10] = 'e';
    buf[11] = ' ';
    size_t k = utf8_cut(text, n, EVENT_MAX);
    for (size_t i = 0; i < k; i++)
        buf[12 + i] = (text[i] == '\n' || text[i] == '\r') ? ' ' : text[i];
    int r = append_framed(fd, buf, 2 + k, 1);
    free(buf);
    return r;
}

void journal_batch_add(hpo_journal_batch *b, long step, const char *time_text, size_t tlen,
                       const char *metric, size_t mlen, const char *value_text, size_t value_len)
{
    if (!metric_name_ok(metric, mlen) || tlen == 0 || tlen >= 64 || value_len == 0 || value_len >= 64) return;
    size_t need = 10 + 2 + 21 + 1 + tlen + 1 + mlen + 1 + value_len + 1;
    if (b->len + need + 1 > b->cap) {
        b->cap = (b->len + need + 1) * 2;
        if (b->cap < 4096) b->cap = 4096;
        b->buf = xrealloc(b->buf, b->cap);
        if (b->len == 0) b->len = 1;   /* byte 0: room for a '\n' closing a torn line */
    }
    if (b->len == 0) b->len = 1;
    char *line = b->buf + b->len, *p = line + 9;
    *p++ = 'r';
    *p++ = ' ';
    if (step < 0) { memcpy(p, "-1", 2); p += 2; }
    else {
        char digits[24];
        int k = 0;
        do { digits[k++] = (char)('0' + step % 10); step /= 10; } while (step > 0);
        while (k > 0) *p++ = digits[--k];
    }
    *p++ = ' ';
    memcpy(p, time_text, tlen); p += tlen;
    *p++ = ' ';
    memcpy(p, metric, mlen); p += mlen;
    *p++ = ' ';
    memcpy(p, value_text, value_len); p += value_len;
    size_t plen = (size_t)(p - (line + 9));
    static const char hexd[] = "0123456789abcdef";
    uint32_t crc = crc32_of(line + 9, plen);
    for (int i = 7; i >= 0; i--, crc >>= 4) line[i] = hexd[crc & 15];
    line[8] = ' ';
    *p++ = '\n';
    b->len = (size_t)(p - b->buf);
}

int journal_batch_write(int fd, hpo_journal_batch *b)
{
    if (b->len <= 1) return HPO_OK;
    char *start = b->buf + 1;
    if (ends_torn(fd)) *--start = '\n';
    size_t wl = (size_t)(b->buf + b->len - start);
    ssize_t w;
    do { w = write(fd, start, wl); } while (w < 0 && errno == EINTR);
    b->len = 1;
    if (w < 0 || (size_t)w != wl)
        return hpo_error(HPO_EIO, "journal: cannot append: %s", w < 0 ? strerror(errno) : "short write");
    return HPO_OK;
}

void journal_batch_free(hpo_journal_batch *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

int journal_sync(int fd)
{
    if (fsync(fd) != 0 && errno != EINVAL)   /* EINVAL: a pipe or the like */
        return hpo_error(HPO_EIO, "journal: cannot fsync: %s", strerror(errno));
    return HPO_OK;
}

/* ---- reading ---------------------------------------------------------- */

enum line_kind { LINE_BAD, LINE_REPORT, LINE_OTHER };

/* Split the next space-separated field off [*p, end); empty fields fail. */
static int next_field(const char **p, const char *end, const char **tok, size_t *n)
{
    const char *s = *p;
    const char *sp = memchr(s, ' ', (size_t)(end - s));
    const char *e = sp ? sp : end;
    if (e == s) return 0;
    *tok = s;
    *n = (size_t)(e - s);
    *p = sp ? sp + 1 : end;
    return 1;
}

/* Parse the fields of "r STEP TIME METRIC VALUE" (p points after "r "). */
static int parse_report(const char *p, const char *end, hpo_report_rec *rec)
{
    const char *tok[4];
    size_t n[4];
    for (int i = 0; i < 4; i++)
        if (p >= end || !next_field(&p, end, &tok[i], &n[i])) return 0;
    if (p != end) return 0;                       /* extra fields or a trailing space */
    if (end[-1] == ' ') return 0;
    long step;
    if (!parse_long_tok(tok[0], n[0], &step) || step < -1) return 0;
    if (!parse_double_tok(tok[1], n[1], &rec->time)) return 0;
    if (!metric_name_ok(tok[2], n[2])) return 0;
    if (!parse_double_tok(tok[3], n[3], &rec->value)) return 0;
    rec->step = step;
    memcpy(rec->metric, tok[2], n[2]);
    rec->metric[n[2]] = '\0';
    return 1;
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;   /* writers only use lowercase */
}

/* Check one line (without its '\n') and parse it if it is a report. */
static enum line_kind parse_line(const char *s, size_t n, hpo_report_rec *rec)
{
    if (n < 10 || s[8] != ' ') return LINE_BAD;
    uint32_t crc = 0;
    for (int i = 0; i < 8; i++) {
        int d = hex_digit((unsigned char)s[i]);
        if (d < 0) return LINE_BAD;
        crc = crc << 4 | (uint32_t)d;
    }
    const char *payload = s + 9, *end = s + n;
    size_t plen = n - 9;
    if (crc32_of(payload, plen) != crc) return LINE_BAD;
    if (plen > 1 && payload[1] != ' ') return LINE_BAD;
    if (payload[0] == 'r')
        return plen > 2 && parse_report(payload + 2, end, rec) ? LINE_REPORT : LINE_BAD;
    /* "e" events, and kinds a later version may add: valid, not reports. */
    return LINE_OTHER;
}

int journal_read(const char *path, hpo_report_rec **recs, size_t *n, size_t *dropped)
{
    *recs = NULL;
    *n = 0;
    if (dropped) *dropped = 0;
    char *data;
    size_t len;
    int r = read_file(path, &data, &len);
    if (r == HPO_ENOTFOUND) {
        hpo_error_clear();
        return HPO_OK;                 /* a trial that has not reported yet */
    }
    if (r != HPO_OK) return r;
    journal_parse(data, len, recs, n, dropped);
    free(data);
    return HPO_OK;
}

void journal_parse(const char *data, size_t len, hpo_report_rec **recs, size_t *n, size_t *dropped)
{
    hpo_report_rec *out = NULL;
    size_t count = 0, cap = 0, bad = 0;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {                     /* no '\n': torn by a kill mid-append */
            bad++;
            break;
        }
        size_t ln = (size_t)(nl - p);
        hpo_report_rec rec;
        /* Empty lines are what closing off a torn line may leave (ends_torn). */
        enum line_kind k = ln == 0 ? LINE_OTHER : parse_line(p, ln, &rec);
        if (k == LINE_BAD) bad++;
        if (k == LINE_REPORT) {
            if (count == cap) out = xrealloc(out, (cap = cap ? 2 * cap : 64) * sizeof *out);
            out[count++] = rec;
        }
        p = nl + 1;
    }
    *recs = out;
    *n = count;
    if (dropped) *dropped = bad;
}

/* ---- the result file -------------------------------------------------- */

/* Append "key=value\n" for a string field of at most `size` bytes (the
 * struct's array: it may lack its NUL if filled to the brim). */
static size_t put_str(char *buf, size_t at, const char *key, const char *val, size_t size)
{
    char line[256];   /* >= every string field of hpo_trial_result */
    copy_line_str(line, size < sizeof line ? size : sizeof line, val, strnlen(val, size));
    return at + (size_t)sprintf(buf + at, "%s=%s\n", key, line);
}

static size_t put_num(char *buf, size_t at, const char *key, double v)
{
    char num[32];
    format_double(num, sizeof num, v);
    return at + (size_t)sprintf(buf + at, "%s=%s\n", key, num);
}

int result_write(const char *dir, const hpo_trial_result *r)
{
    /* Fields are bounded (<= 128 bytes of text each), so 1 KiB is ample. */
    char buf[1024];
    size_t at = 0;
    at = put_str(buf, at, "status", r->status, sizeof r->status);
    at += (size_t)sprintf(buf + at, "exit_code=%d\nsignal=%d\n", r->exit_code, r->signal);
    at = put_num(buf, at, "start_time", r->start_time);
    at = put_num(buf, at, "end_time", r->end_time);
    at = put_num(buf, at, "runtime_s", r->runtime_s);
    at += (size_t)sprintf(buf + at, "max_rss_kb=%ld\n", r->max_rss_kb);
    at += (size_t)sprintf(buf + at, "slurm_job_id=%ld\n", r->slurm_job_id);
    at = put_str(buf, at, "node", r->node, sizeof r->node);
    at = put_str(buf, at, "gpu", r->gpu, sizeof r->gpu);
    at = put_str(buf, at, "reason", r->reason, sizeof r->reason);
    char *path = path_join(dir, RESULT_NAME);
    int rc = write_file_atomic(path, buf, at);
    free(path);
    return rc;
}

/* Set one field of r from key=value; 0 if a known key has a bad value. */
static int result_set(hpo_trial_result *r, const char *k, size_t kn, const char *v, size_t vn,
                      int *have_status)
{
#define KEY(name) (kn == sizeof(name) - 1 && memcmp(k, name, kn) == 0)
    long l;
    if (KEY("status")) {
        if (vn == 0) return 0;
        copy_line_str(r->status, sizeof r->status, v, vn);
        *have_status = 1;
    } else if (KEY("exit_code")) {
        if (!parse_long_tok(v, vn, &l) || l < -2147483647L || l > 2147483647L) return 0;
        r->exit_code = (int)l;
    } else if (KEY("signal")) {
        if (!parse_long_tok(v, vn, &l) || l < 0 || l > 2147483647L) return 0;
        r->signal = (int)l;
    } else if (KEY("max_rss_kb")) {
        if (!parse_long_tok(v, vn, &r->max_rss_kb)) return 0;
    } else if (KEY("slurm_job_id")) {
        if (!parse_long_tok(v, vn, &r->slurm_job_id)) return 0;
    } else if (KEY("start_time")) {
        return parse_double_tok(v, vn, &r->start_time);
    } else if (KEY("end_time")) {
        return parse_double_tok(v, vn, &r->end_time);
    } else if (KEY("runtime_s")) {
        return parse_double_tok(v, vn, &r->runtime_s);
    } else if (KEY("node")) {
        copy_line_str(r->node, sizeof r->node, v, vn);
    } else if (KEY("gpu")) {
        copy_line_str(r->gpu, sizeof r->gpu, v, vn);
    } else if (KEY("reason")) {
        copy_line_str(r->reason, sizeof r->reason, v, vn);
    }
    /* Unknown keys are ignored: a later version may add fields. */
    return 1;
#undef KEY
}

int result_read(const char *dir, hpo_trial_result *r)
{
    memset(r, 0, sizeof *r);
    r->slurm_job_id = -1;   /* absent in records of trials run locally */
    char *path = path_join(dir, RESULT_NAME);
    char *data;
    size_t len;
    int rc = read_file(path, &data, &len);
    if (rc != HPO_OK) {
        free(path);
        return rc;                     /* HPO_ENOTFOUND: the trial has not ended */
    }
    int have_status = 0;
    const char *p = data, *end = data + len;
    while (p < end && rc == HPO_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && le[-1] == '\r') le--;
        const char *eq = memchr(p, '=', (size_t)(le - p));
        /* Lines without '=' are ignored, like unknown keys. */
        if (eq && !result_set(r, p, (size_t)(eq - p), eq + 1, (size_t)(le - eq - 1), &have_status))
            rc = hpo_error(HPO_ECORRUPT, "%s: bad value for '%.*s'", path,
                           (int)((eq - p) > 32 ? 32 : (eq - p)), p);
        p = nl ? nl + 1 : end;
    }
    if (rc == HPO_OK && !have_status)
        rc = hpo_error(HPO_ECORRUPT, "%s: no status in the result record", path);
    free(data);
    free(path);
    return rc;
}

int status_is_terminal(const char *status)
{
    if (!status || !*status) return 0;
    return strcmp(status, HPO_STATUS_PLANNED) != 0 && strcmp(status, HPO_STATUS_RUNNING) != 0;
}

int reason_is_preempted(const char *reason)
{
    return strncmp(reason, HPO_REASON_PREEMPTED, strlen(HPO_REASON_PREEMPTED)) == 0;
}

int result_is_preempted(const hpo_trial_result *r)
{
    return strcmp(r->status, HPO_STATUS_CANCELLED) == 0 && reason_is_preempted(r->reason);
}

void journal_number_steps(hpo_report_rec *recs, size_t n)
{
    enum { MAX_TRACKED = 64 };   /* metrics of one trial; more keep counting from 0 */
    const char *names[MAX_TRACKED];
    long last[MAX_TRACKED];
    int n_names = 0;
    for (size_t i = 0; i < n; i++) {
        int m = 0;
        while (m < n_names && strcmp(names[m], recs[i].metric) != 0) m++;
        if (m == n_names && n_names < MAX_TRACKED) {
            names[n_names] = recs[i].metric;
            last[n_names++] = -1;
        }
        if (recs[i].step < 0) recs[i].step = m < n_names ? last[m] + 1 : 0;
        if (m < n_names) last[m] = recs[i].step;
    }
}
