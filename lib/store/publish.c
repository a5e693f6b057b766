/*
 * publish.c -- copy-and-rename publishing of results.h5 (see publish.h).
 *
 * Invariants:
 *  - Only the lock holder publishes, and only a closed working file whose
 *    last session succeeded (its `writing` flag clear).
 *  - The background thread copies only while no write session is open
 *    (sessions wait for a copy in progress: one mutex covers both), and
 *    never after publish_flush(), which the lock holder calls before it
 *    releases the lock.
 *  - The temporary file is EXP/.results.h5.publish-PID: hidden, and
 *    removed on every failure; one left by a killed publisher is removed
 *    by the next lock holder (publish_cleanup).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/publish.h"
#include "core/util.h"
#include "store/lease.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_INTERVAL_MS 1000
#define COST_FACTOR         10.0     /* interval >= 10 x the last copy's cost */
#define TMP_PREFIX          ".results.h5.publish-"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int thread_started, sessions, pending, held;
static char *g_work, *g_dst, *g_lock;        /* what is pending, owned */
static double last_cost;
static char last_warning[1024];

static double interval_s(void)
{
    double s = env_number("HPO_PUBLISH_INTERVAL_MS", DEFAULT_INTERVAL_MS) / 1000.0;
    return s > COST_FACTOR * last_cost ? s : COST_FACTOR * last_cost;
}

/* Seconds until the next publish is due (<= 0: now).  The published
 * file's mtime is the time of the last publish, whichever process did it. */
static double due_in(void)
{
    struct stat st;
    if (!g_dst || stat(g_dst, &st) != 0) return 0;
    double age = now_wall() - ((double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec * 1e-9);
    if (age < -1.0) return 0;   /* a clock set back */
    return interval_s() - age;
}

static char *marker_of(const char *work) { return xasprintf("%s.unpublished", work); }

void publish_mark(const char *work, int on)
{
    char *m = marker_of(work);
    if (on) {
        int fd = open(m, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0) close(fd);
    } else {
        unlink(m);
    }
    free(m);
}

static int has_marker(const char *work)
{
    char *m = marker_of(work);
    struct stat st;
    int r = lstat(m, &st) == 0;
    free(m);
    return r;
}

/* Copy fd `in` (size bytes) to `out`: a reflink where the filesystem can
 * (btrfs, XFS: no data copied), else copy_file_range, else read/write. */
static int copy_fd(int in, int out, off_t size)
{
#ifdef FICLONE
    if (ioctl(out, FICLONE, in) == 0) return 0;
#endif
    off_t done = 0;
    while (done < size) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            break;
        if (n < 0) return -1;
        if (n == 0) { errno = EIO; return -1; }
        done += n;
    }
    if (done == size) return 0;
    if (lseek(in, done, SEEK_SET) < 0 || lseek(out, done, SEEK_SET) < 0) return -1;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return 0;
        if (write_all(out, buf, (size_t)n) != 0) return -1;
    }
}

int publish_now(const char *work, const char *dst)
{
    struct stat st;
    if (lstat(dst, &st) == 0 && !S_ISREG(st.st_mode))
        return hpo_error(HPO_EIO, "%s: is %s, not a file; refusing to replace it", dst,
                         S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
    double t0 = now_mono();
    int in = open(work, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) return hpo_error(HPO_EIO, "%s: cannot open: %s", work, strerror(errno));
    char *dir = dir_of(dst);
    char *tmp = xasprintf("%s/" TMP_PREFIX "%ld", dir, (long)getpid());
    free(dir);
    unlink(tmp);
    int out = -1, err = 0;
    const char *what = "read";
    if (fstat(in, &st) != 0) err = errno;
    if (!err) {
        what = "create";
        out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0775);
        if (out < 0) err = errno;
    }
    if (!err) {
        what = "write";
        if (copy_fd(in, out, st.st_size) != 0 || fsync(out) != 0) err = errno ? errno : EIO;
    }
    if (out >= 0 && close(out) != 0 && !err) { what = "write"; err = errno; }
    close(in);
    fault_point("publish:before-rename");
    if (!err && rename(tmp, dst) != 0) { what = "rename into place"; err = errno; }
    int r = 0;
    if (err) {
        unlink(tmp);
        r = hpo_error(HPO_EIO, "%s: cannot publish (%s %s: %s); it keeps its previous snapshot",
                      dst, what, tmp, io_strerror(err, dst));
    } else {
        fsync_parent_dir(dst);
        last_cost = now_mono() - t0;
    }
    free(tmp);
    return r;
}

void publish_cleanup(const char *dir)
{
    pthread_mutex_lock(&mu);   /* never under a copy of this process in progress */
    DIR *d = opendir(dir);
    if (!d) {
        pthread_mutex_unlock(&mu);
        return;
    }
    struct dirent *de;
    static const char *const litter[] = {TMP_PREFIX, ".results.work.h5.rebuild-", ".results.work.h5.tmp",
                                         "results.h5.tmp", "results.h5.rebuild-"};
    while ((de = readdir(d))) {
        int match = 0;
        for (size_t i = 0; i < sizeof litter / sizeof litter[0]; i++)
            if (strncmp(de->d_name, litter[i], strlen(litter[i])) == 0) match = 1;
        char *p = path_join(dir, de->d_name);
        /* write_file_atomic's, cut off before its rename -- but only when
         * its writer is gone (or it is very old): processes that do not
         * hold EXP/lock write files here too (workers creating the
         * experiment at once), and their rename may be a moment away. */
        struct stat st;
        const char *tmp = strstr(de->d_name, ".tmp.");
        if (tmp && lstat(p, &st) == 0) {
            double age = now_wall() - (double)st.st_mtime;
            long pid = atol(tmp + 5);
            int dead = pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
            match = dead || age > 600;   /* (a writer on another host is taken for dead: no
                                            such process here; only creation writes there
                                            without EXP/lock, and it is done on one host) */
        }
        if (!match) {
            free(p);
            continue;
        }
        unlink(p);
        free(p);
    }
    closedir(d);
    pthread_mutex_unlock(&mu);
}

/* Whether two failure messages say the same but for their figures: a
 * full disk's "(16 KiB free on ...)" becomes "(12 KiB free ...)" from one
 * try to the next, and that is no news worth a second line. */
static int same_but_figures(const char *a, const char *b)
{
    for (;;) {
        int da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';
        if (da != db) return 0;
        if (da) {
            while (*a >= '0' && *a <= '9') a++;
            while (*b >= '0' && *b <= '9') b++;
            continue;
        }
        if (*a != *b) return 0;
        if (!*a) return 1;
        a++, b++;
    }
}

/* With mu held (and EXP/lock held by this process): publish what is
 * pending; warn once per distinct failure (figures aside). */
static void publish_locked(void)
{
    if (!g_work) return;
    /* A failed publish is a warning: keep the caller's error message. */
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", hpo_error_last());
    if (publish_now(g_work, g_dst) == 0) {
        pending = 0;
        publish_mark(g_work, 0);
        last_warning[0] = '\0';
    } else if (!same_but_figures(last_warning, hpo_error_last())) {
        snprintf(last_warning, sizeof last_warning, "%s", hpo_error_last());
        hpo_notice(HPO_NOTE_INFO, "%s", last_warning);
    }
    hpo_error(0, "%s", saved);
}

/* With mu held: publish, taking EXP/lock for it unless this process holds
 * it already.  0 if the lock was busy (its holder publishes). */
static int try_publish_locked(void)
{
    if (!g_work || sessions > 0) return 0;
    if (held) {
        publish_locked();
        return 1;
    }
    int fd = open(g_lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    /* The lock of every holder: flock, then the lease (another host's). */
    char saved[1024];   /* a lease held elsewhere is no error of the caller's */
    snprintf(saved, sizeof saved, "%s", hpo_error_last());
    int ok = flock(fd, LOCK_EX | LOCK_NB) == 0 && lease_acquire(g_lock, fd, NULL, 0) == 0;
    hpo_error(0, "%s", saved);
    if (ok) {
        publish_locked();
        lease_release(fd);
    }
    close(fd);   /* releases it */
    return ok;
}

static void *publisher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        double wait = 3600.0;
        if (pending && sessions == 0) {
            wait = due_in();
            if (wait <= 0) {
                try_publish_locked();
                /* Busy or failed: try again after an interval (a holder
                 * that is another process publishes when it releases). */
                wait = pending ? interval_s() : 3600.0;
            }
        }
        if (wait < 0.01) wait = 0.01;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)wait;
        ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    return NULL;
}

/* With mu held: make sure the thread runs and looks again. */
static void defer_locked(void)
{
    if (!thread_started) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        /* All signals blocked in the thread: they stay the main thread's. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (pthread_create(&t, &a, publisher, NULL) == 0) thread_started = 1;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&a);
    }
    if (thread_started) pthread_cond_signal(&cv);
    else try_publish_locked();
}

/* With mu held: `work` -> `dst` is what is pending now (an earlier
 * experiment's pending change is published first, if it can be). */
static void set_target_locked(const char *work, const char *dst)
{
    if (g_work && strcmp(g_work, work) == 0 && strcmp(g_dst, dst) == 0) return;
    if (g_work && pending) try_publish_locked();
    free(g_work);
    free(g_dst);
    free(g_lock);
    g_work = xstrdup(work);
    g_dst = xstrdup(dst);
    char *dir = dir_of(dst);
    g_lock = path_join(dir, "lock");
    free(dir);
    pending = 0;
}

static int mine_locked(const char *work) { return g_work && strcmp(g_work, work) == 0; }

void publish_session_begin(void)
{
    pthread_mutex_lock(&mu);
    sessions++;
    pthread_mutex_unlock(&mu);
}

void publish_session_end(const char *work, const char *dst, int changed, int force)
{
    pthread_mutex_lock(&mu);
    sessions--;
    if (dst && (changed || force || (mine_locked(work) && pending) || has_marker(work))) {
        set_target_locked(work, dst);
        if (!pending) publish_mark(work, 1);
        pending = 1;
        if (force || due_in() <= 0) try_publish_locked();
        if (pending) defer_locked();
    }
    pthread_mutex_unlock(&mu);
}

int publish_lock_acquire(const char *lock, int fd, char *who, size_t n)
{
    if (who && n) who[0] = '\0';
    pthread_mutex_lock(&mu);   /* never while this process's thread holds it to publish */
    int r = flock(fd, LOCK_EX | LOCK_NB) == 0 ? HPO_OK : HPO_ELOCKED;
    if (r == 0 && (r = lease_acquire(lock, fd, who, n)) != 0) flock(fd, LOCK_UN);
    if (r == 0) held = 1;
    pthread_mutex_unlock(&mu);
    return r;
}

void publish_lock_release(const char *work, const char *dst, int final)
{
    pthread_mutex_lock(&mu);
    if (sessions == 0 && ((mine_locked(work) && pending) || has_marker(work))) {
        set_target_locked(work, dst);
        pending = 1;
        if (final || due_in() <= 0) try_publish_locked();
        if (pending && !final) defer_locked();
    }
    held = 0;
    if (final && mine_locked(work)) pending = 0;   /* the next holder publishes what is left */
    pthread_mutex_unlock(&mu);
}

void publish_final(const char *work, const char *dst)
{
    pthread_mutex_lock(&mu);
    if (sessions == 0 && !held && ((mine_locked(work) && pending) || has_marker(work))) {
        set_target_locked(work, dst);
        pending = 1;
        try_publish_locked();
        pending = 0;   /* busy: its holder publishes it */
    }
    pthread_mutex_unlock(&mu);
}

void publish_before_read(const char *dst)
{
    pthread_mutex_lock(&mu);
    if (pending && g_dst && strcmp(g_dst, dst) == 0) try_publish_locked();
    pthread_mutex_unlock(&mu);
}
