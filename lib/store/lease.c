/*
 * lease.c -- leases beside locks, renewed by a heartbeat thread (see
 * lease.h for the rules and the assumptions they rest on).
 *
 * The file, LOCK.lease:
 *
 *   host=node17
 *   pid=4242
 *   boot=1c0e...            (/proc/sys/kernel/random/boot_id)
 *   token=9f3a...           (random: which hold this is)
 *   lease=60
 *   expires=1764431234.5    (seconds since the epoch, the holder's clock)
 *
 * It is written to LOCK.lease.new-TOKEN and linked into place when there
 * is none (link fails if another host created one meanwhile) or renamed
 * over the one it replaces, so a reader sees a whole lease or none.  No
 * fsync: a lease matters only while its holder lives, and a crash of the
 * holder's machine ends the holder too.
 *
 * Invariant: this process renews, and removes, only a lease whose token is
 * the one it wrote; one that names someone else was lost (it expired while
 * the process stalled) and is left alone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/lease.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LEASE_S 60.0
#define SETTLE_MS       100     /* after taking over an expired lease: let a rival's rename land */

typedef struct lease_rec {
    char host[128], boot[64], token[40];
    long pid;
    double expires;
} lease_rec;

typedef struct held {
    int fd;
    char *path;           /* LOCK.lease */
    lease_rec me;
    double written;       /* when the lease was last written; 0: not yet (could not be) */
} held;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static held *helds;
static int n_held, cap_held, thread_started;

/* $HPO_LEASE_S: the lease in seconds; 0 turns leases off. */
static double lease_s(void)
{
    return env_number("HPO_LEASE_S", DEFAULT_LEASE_S);
}

/* How long past its expiry a lease of another host still counts: the
 * clock skew between hosts that is tolerated. */
static double grace_s(void) { return lease_s() / 2; }

static char g_boot[64];
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

static void read_boot_id(void)
{
    char *text = NULL;
    if (read_file("/proc/sys/kernel/random/boot_id", &text, NULL) == 0) {
        text[strcspn(text, "\n")] = '\0';
        snprintf(g_boot, sizeof g_boot, "%s", text);
    }
    free(text);
}

/* This boot's id ("" if unknown): a host that rebooted is another host. */
static void boot_id(char *buf, size_t n)
{
    pthread_once(&boot_once, read_boot_id);
    snprintf(buf, n, "%s", g_boot);
}

static void self_rec(lease_rec *r)
{
    memset(r, 0, sizeof *r);
    host_name(r->host, sizeof r->host);
    r->host[strcspn(r->host, "\n")] = '\0';
    boot_id(r->boot, sizeof r->boot);
    r->pid = (long)getpid();
    unsigned char b[8];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {   /* not expected; still distinct per hold */
        double t = now_wall();
        memcpy(b, &t, sizeof b);
        b[0] ^= (unsigned char)r->pid;
    }
    for (int i = 0; i < 8; i++) snprintf(r->token + 2 * i, 3, "%02x", b[i]);
}

/* 1: read and whole; 0: no lease; -1: there, but not one (damaged). */
static int read_rec(const char *path, lease_rec *r)
{
    memset(r, 0, sizeof *r);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    char text[1024];
    ssize_t len = read(fd, text, sizeof text - 1);
    close(fd);
    if (len <= 0) return -1;
    text[len] = '\0';
    int have_expires = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(line, "host") == 0) snprintf(r->host, sizeof r->host, "%s", v);
        else if (strcmp(line, "boot") == 0) snprintf(r->boot, sizeof r->boot, "%s", v);
        else if (strcmp(line, "token") == 0) snprintf(r->token, sizeof r->token, "%s", v);
        else if (strcmp(line, "pid") == 0) r->pid = atol(v);
        else if (strcmp(line, "expires") == 0) {
            char *end;
            r->expires = strtod(v, &end);
            have_expires = end != v;
        }
    }
    return r->host[0] && r->token[0] && have_expires ? 1 : -1;
}

/* Write `r` to a new temporary file beside `path`; its name, allocated. */
static char *write_tmp(const char *path, const lease_rec *r)
{
    char *tmp = xasprintf("%s.new-%s", path, r->token), exp[64];
    format_double(exp, sizeof exp, r->expires);
    char *text = xasprintf("host=%s\npid=%ld\nboot=%s\ntoken=%s\nlease=%g\nexpires=%s\n", r->host, r->pid, r->boot,
                           r->token, lease_s(), exp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
    int ok = fd >= 0 && write_all(fd, text, strlen(text)) == 0;
    if (fd >= 0 && close(fd) != 0) ok = 0;
    if (!ok) {
        unlink(tmp);
        free(tmp);
        tmp = NULL;
    }
    free(text);
    return tmp;
}

/* Whether a lease was written on this host (this boot): then the flock,
 * which the caller holds, is what says whether its holder lives. */
static int same_host(const lease_rec *r)
{
    lease_rec me;
    host_name(me.host, sizeof me.host);
    me.host[strcspn(me.host, "\n")] = '\0';
    boot_id(me.boot, sizeof me.boot);
    return strcmp(r->host, me.host) == 0 && strcmp(r->boot, me.boot) == 0;
}

static int live(const lease_rec *r) { return now_wall() <= r->expires + grace_s(); }

static void describe(const lease_rec *r, char *who, size_t n)
{
    if (!who || n == 0) return;
    char *host = escape_controls(r->host);
    double left = r->expires - now_wall();
    if (left >= 0)
        snprintf(who, n, "host %s pid %ld (its lease expires in %.0f s unless renewed)", host, r->pid, left);
    else
        snprintf(who, n, "host %s pid %ld (its lease expired %.0f s ago; taken over %.0f s after expiry)", host,
                 r->pid, -left, grace_s());
    free(host);
}

/* Put `me` in place at `path`.  1: written; 0: could not write it (no
 * space?); -1: another host's live lease is there (*cur, described). */
static int put(const char *path, lease_rec *me, char *who, size_t n)
{
    lease_rec cur;
    if (read_rec(path, &cur) == 1 && !same_host(&cur) && live(&cur)) {
        describe(&cur, who, n);
        return -1;
    }
    char *tmp = write_tmp(path, me);
    if (!tmp) return 0;
    int result = 0;
    for (int tries = 0; tries < 4; tries++) {
        int st = read_rec(path, &cur);
        if (st == 1 && !same_host(&cur) && live(&cur)) {
            describe(&cur, who, n);
            result = -1;
            break;
        }
        if (st == 0) {   /* none: create it, unless another host just did */
            if (link(tmp, path) == 0) { result = 1; break; }
            if (errno == EEXIST) continue;
        }
        if (rename(tmp, path) != 0) break;
        free(tmp);
        tmp = NULL;
        result = 1;
        if (st != 0 && !same_host(&cur)) {
            char *host = escape_controls(cur.host);
            if (st == 1) hpo_notice(HPO_NOTE_INFO, "%s: took over the expired lease of host %s pid %ld", path, host, cur.pid);
            else hpo_notice(HPO_NOTE_INFO, "%s: replaced a damaged lease", path);
            free(host);
            /* A rival taking over at the same moment: the last rename
             * wins; whoever the file does not name backs off. */
            sleep_ms(SETTLE_MS);
            if (read_rec(path, &cur) == 1 && strcmp(cur.token, me->token) != 0) {
                describe(&cur, who, n);
                result = -1;
            }
        }
        break;
    }
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    return result;
}

/* ---- the heartbeat ---------------------------------------------------------- */

/* With mu held: renew h if a third of the lease has gone (or it was never
 * written).  0 when it was lost to someone else. */
static int renew_locked(held *h)
{
    double now = now_wall(), len = lease_s();
    if (h->written > 0 && now - h->written < len / 3) return 1;
    lease_rec cur;
    /* Not ours any more: lost.  (One never written is lost only to a live
     * lease of another host, which took the lock while it could not be.) */
    if (read_rec(h->path, &cur) == 1 && strcmp(cur.token, h->me.token) != 0 &&
        (h->written > 0 || (!same_host(&cur) && live(&cur)))) {
        char *host = escape_controls(cur.host);
        hpo_notice(HPO_NOTE_INFO, "%s: lost the lease to host %s pid %ld (this process was stalled past its "
                   "expiry); a second holder may now write", h->path, host, cur.pid);
        free(host);
        return 0;
    }
    h->me.expires = now + len;
    char *tmp = write_tmp(h->path, &h->me);
    if (tmp && rename(tmp, h->path) == 0) h->written = now;
    else if (tmp) unlink(tmp);
    free(tmp);
    return 1;
}

static void *heartbeat(void *arg)
{
    (void)arg;
    for (;;) {
        double period = lease_s() / 6;
        if (period < 0.05) period = 0.05;
        if (period > 1) period = 1;   /* cheap, and a lease taken meanwhile is seen soon */
        sleep_ms((long)(period * 1000));
        pthread_mutex_lock(&mu);
        for (int i = 0; i < n_held; i++)
            if (!renew_locked(&helds[i])) {   /* lost: renew it no more */
                free(helds[i].path);
                helds[i--] = helds[--n_held];
            }
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* With mu held. */
static void start_heartbeat_locked(void)
{
    if (thread_started) return;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    /* All signals blocked in the thread: they stay the main thread's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    if (pthread_create(&t, &a, heartbeat, NULL) == 0) thread_started = 1;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&a);
}

/* Remove PATH.new-* files but `keep`: a holder killed between writing its
 * temporary lease and renaming it into place (write_tmp, put) left them.
 * Called by a new holder only: no one else writes this lease now, so no
 * other temporary of it is being written. */
static void remove_stale_tmps(const char *path, const char *keep)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    char *prefix = xasprintf("%s.new-", slash ? slash + 1 : path);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || strcmp(e->d_name + strlen(prefix), keep) == 0) continue;
        char *stale = path_join(dir, e->d_name);
        unlink(stale);
        free(stale);
    }
    if (d) closedir(d);
    free(prefix);
    free(dir);
}

/* ---- the interface ------------------------------------------------------------ */

int lease_acquire(const char *lock_path, int fd, char *who, size_t n)
{
    if (who && n) who[0] = '\0';
    if (lease_s() <= 0) return HPO_OK;
    char *path = xasprintf("%s.lease", lock_path);
    lease_rec me;
    self_rec(&me);
    me.expires = now_wall() + lease_s();
    int put_ = put(path, &me, who, n);
    if (put_ < 0) {
        int r = hpo_error(HPO_ELOCKED, "%s: held by %s", lock_path, who && *who ? who : "another host");
        free(path);
        return r;
    }
    remove_stale_tmps(path, me.token);
    pthread_mutex_lock(&mu);
    if (n_held == cap_held) {
        cap_held = cap_held ? 2 * cap_held : 8;
        helds = xrealloc(helds, sizeof(held) * (size_t)cap_held);
    }
    helds[n_held++] = (held){.fd = fd, .path = path, .me = me, .written = put_ ? now_wall() : 0};
    start_heartbeat_locked();
    pthread_mutex_unlock(&mu);
    return HPO_OK;
}

static void forget(int fd, int remove)
{
    pthread_mutex_lock(&mu);
    for (int i = 0; i < n_held; i++) {
        if (helds[i].fd != fd) continue;
        lease_rec cur;
        if (remove && read_rec(helds[i].path, &cur) == 1 && strcmp(cur.token, helds[i].me.token) == 0)
            unlink(helds[i].path);
        free(helds[i].path);
        helds[i] = helds[--n_held];
        break;
    }
    pthread_mutex_unlock(&mu);
}

void lease_release(int fd) { forget(fd, 1); }

void lease_handoff(int fd) { forget(fd, 0); }

int lease_held_elsewhere(const char *lock_path, char *who, size_t n)
{
    if (who && n) who[0] = '\0';
    if (lease_s() <= 0) return 0;
    char *path = xasprintf("%s.lease", lock_path);
    lease_rec cur;
    int held_ = read_rec(path, &cur) == 1 && !same_host(&cur) && live(&cur);
    if (held_) describe(&cur, who, n);
    free(path);
    return held_;
}
