/*
 * util.c -- shared helpers: last-error buffer, allocation, durable writes,
 * checksums, clocks, number formatting and paths.  See util.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>

static __thread char last_error[1024];

int hpo_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

void hpo_error_clear(void) { last_error[0] = '\0'; }

const char *hpo_error_last(void) { return last_error; }

static hpo_notice_fn notice_fn;

void hpo_set_notice(hpo_notice_fn fn) { notice_fn = fn; }

void hpo_notice(int kind, const char *fmt, ...)
{
    if (!notice_fn) return;
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) >= 0) {
        notice_fn(kind, text);
        free(text);
    }
    va_end(ap);
}

static void out_of_memory(size_t n)
{
    fprintf(stderr, "hpo: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) out_of_memory(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) out_of_memory(strlen(fmt));
    return s;
}

int read_file(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hpo_error(errno == ENOENT ? HPO_ENOTFOUND : HPO_EIO,
                         "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return hpo_error(HPO_EIO, "%s: cannot read: %s", path, strerror(e));
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = xrealloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return hpo_error(HPO_EIO, "%s: cannot read: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    if (len) *len = n;
    return HPO_OK;
}

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int fsync_parent_dir(const char *path)
{
    char *dir = dir_of(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return hpo_error(HPO_EIO, "%s: cannot create: %s", path, io_strerror(e, path));
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return hpo_error(HPO_EIO, "%s: cannot write: %s", path, io_strerror(e, path));
    }
    close(fd);
    fault_point("atomic:before-rename");
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return hpo_error(HPO_EIO, "%s: cannot rename into place: %s", path, strerror(e));
    }
    free(tmp);
    fsync_parent_dir(path);
    return HPO_OK;
}

int mkdir_p(const char *path, unsigned mode)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, mode) != 0 && errno != EEXIST) goto fail;
        *s = '/';
    }
    if (mkdir(p, mode) != 0 && errno != EEXIST) goto fail;
    free(p);
    return HPO_OK;
fail:;
    int e = errno;
    int r = hpo_error(HPO_EIO, "%s: cannot create directory: %s", p, strerror(e));
    free(p);
    return r;
}

int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* libdeflate's, not zlib's: the same CRC-32, but zlib 1.2 goes one byte at
 * a time below 47 bytes, and a journal line's payload is about 40: on a
 * trial printing 1,000,000 metric lines that was half the runner's time. */
uint32_t crc32_of(const void *data, size_t len)
{
    return libdeflate_crc32(0, data, len);
}

double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

double env_number(const char *name, double dflt)
{
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    double x = strtod(v, &end);
    return *end || !(x >= 0) ? dflt : x;
}

void host_name(char *buf, size_t n)
{
    const char *env = getenv("HPO_HOSTNAME");
    if (env && *env) snprintf(buf, n, "%s", env);
    else if (gethostname(buf, n) != 0 || n == 0) snprintf(buf, n, "?");
    if (n > 0) buf[n - 1] = '\0';   /* gethostname may leave it unterminated */
}

double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void format_double(char *buf, size_t n, double v)
{
    if (isnan(v)) { snprintf(buf, n, "nan"); return; }
    if (isinf(v)) { snprintf(buf, n, v > 0 ? "inf" : "-inf"); return; }
    /* The fewest digits (at least 6) that read back as v, found by
     * bisection: if p digits read back, so do p + 1 (the nearest (p+1)-digit
     * decimal is no farther from v than the p-digit one), and 17 always do.
     * Four tries instead of up to twelve: hpo_report() formats two numbers
     * a call. */
    int lo = 6, hi = 17, in_buf = 0;   /* in_buf: the digits of buf's text */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(buf, n, "%.*g", mid, v);
        in_buf = mid;
        if (strtod(buf, NULL) == v) hi = mid;
        else lo = mid + 1;
    }
    if (in_buf != lo) snprintf(buf, n, "%.*g", lo, v);
}

char *absolute_path(const char *path)
{
    if (path[0] == '/') return xstrdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return xstrdup(path);
    if (strcmp(path, ".") == 0) return xstrdup(cwd);
    if (strncmp(path, "./", 2) == 0) path += 2;
    return path_join(cwd, path);
}

char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    return xasprintf("%.*s/%s", (int)n, dir, name);
}

void fault_point(const char *point)
{
    static int visits;
    const char *want = getenv("HPO_FAULT");
    if (!want || !*want) return;
    size_t n = strlen(point);
    if (strncmp(want, point, n) != 0 || (want[n] != '\0' && want[n] != '@')) return;
    visits++;
    if (want[n] == '@' && atoi(want + n + 1) != visits) return;
    const char *mark = getenv("HPO_FAULT_MARK");
    if (mark && *mark) {
        int fd = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) return;   /* fired already, in this process or another */
        close(fd);
    }
    fprintf(stderr, "hpo: fault injected at %s\n", point);
    fflush(stderr);
    raise(SIGKILL);
}

/* nftw() passes no context: per thread, so empty_directory() is reentrant. */
static __thread const char *emptied_root;
static __thread long emptied;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st; (void)type; (void)f;
    if (strcmp(path, emptied_root) != 0 && remove(path) == 0) emptied++;
    return 0;
}

long empty_directory(const char *path)
{
    emptied_root = path;
    emptied = 0;
    /* FTW_PHYS: a link is removed, never followed; FTW_DEPTH: files first. */
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return emptied;
}

char *self_exe_path(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return xstrndup(buf, n > 0 ? (size_t)n : 0);
}

const char *io_strerror(int err, const char *path)
{
    static __thread char buf[512];
    if (err != ENOSPC && err != EDQUOT) return strerror(err);
    char *dir = dir_of(path);
    struct statvfs fs;
    if (statvfs(dir, &fs) == 0) {
        unsigned long long kib = (unsigned long long)fs.f_bavail * fs.f_frsize / 1024;
        snprintf(buf, sizeof buf, "%s (%llu KiB free on %s)", strerror(err), kib, dir);
    } else {
        snprintf(buf, sizeof buf, "%s", strerror(err));
    }
    free(dir);
    return buf;
}

char *escape_controls(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n * 8 + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i], d = (unsigned char)s[i + 1];
        if (c < 0x20 || c == 0x7f) {
            o += sprintf(o, "\\x%02x", c);
        } else if (c == 0xc2 && d >= 0x80 && d <= 0x9f) {   /* C1, as UTF-8 */
            o += sprintf(o, "\\xc2\\x%02x", d);
            i++;
        } else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
