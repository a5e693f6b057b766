/*
 * experiment.c -- creating, opening and locking an experiment directory.
 * See experiment.h for the layout.
 */
#include "store/experiment.h"
#include "core/util.h"
#include "store/lease.h"
#include "store/publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *experiment_path(const hpo_experiment *e, const char *name) { return path_join(e->dir, name); }

char *experiment_trial_dir(const hpo_experiment *e, long trial_id)
{
    return xasprintf("%s/trials/t%06ld", e->dir, trial_id);
}

int experiment_trial_dir_ok(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0) return 0;   /* not there yet: it will be made a directory */
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
        return hpo_error(HPO_EIO, "%s: is %s, not a directory; refusing to use it", dir,
                         S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
    return 0;
}

int experiment_trial_lock(const hpo_experiment *e, long trial_id, int wait, int *fd)
{
    *fd = -1;
    char *dir = experiment_trial_dir(e, trial_id), *path = path_join(dir, "lock");
    int r = experiment_trial_dir_ok(dir);
    if (r == 0) r = mkdir_p(dir, 0777);
    int f = r == 0 ? open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666) : -1;
    if (r == 0 && f < 0) r = hpo_error(HPO_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (f >= 0) {
        int got;
        while ((got = flock(f, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {}
        /* Then the lease: another host's holder, where flock does not
         * reach, is waited for or left to it, as the flock would be. */
        if (got == 0)
            while ((r = lease_acquire(path, f, NULL, 0)) == HPO_ELOCKED && wait) sleep_ms(200);
        if (got == 0 && r == 0) *fd = f;
        else if (got == 0 || errno == EWOULDBLOCK) { close(f); r = HPO_ELOCKED; }
        else { r = hpo_error(HPO_EIO, "%s: cannot lock: %s", path, strerror(errno)); close(f); }
    }
    free(path);
    free(dir);
    return r;
}

void experiment_trial_unlock(int fd, int handoff)
{
    if (fd < 0) return;
    if (handoff) lease_handoff(fd);
    else lease_release(fd);
    close(fd);
}

int experiment_trial_alive(const hpo_experiment *e, long trial_id)
{
    char *dir = experiment_trial_dir(e, trial_id), *path = path_join(dir, "lock");
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), alive = 0;
    if (f >= 0) {
        alive = flock(f, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
        close(f);
        if (!alive) alive = lease_held_elsewhere(path, NULL, 0);   /* running on another host */
    }
    free(path);
    free(dir);
    return alive;
}

char *experiment_results_path(const hpo_experiment *e) { return path_join(e->dir, "results.h5"); }

char *experiment_work_path(const hpo_experiment *e) { return path_join(e->dir, ".results.work.h5"); }

int experiment_knows_spec(const hpo_experiment *e, const char *sha256)
{
    char *meta = path_join(e->dir, "experiment"), *text = NULL;
    size_t len = 0;
    int found = 0;
    if (read_file(meta, &text, &len) == 0) {
        char *needle = xasprintf("spec_sha256=%s\n", sha256);
        found = strstr(text, needle) != NULL;
        free(needle);
    }
    free(text);
    free(meta);
    return found;
}

int experiment_check_links(const hpo_experiment *e)
{
    static const char *const names[] = {"results.h5", ".results.work.h5", ".results.work.h5.unpublished",
                                        "lock", "spec.yaml", "space.yaml", "experiment", "rounds", "trials"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *p = path_join(e->dir, names[i]);
        struct stat st;
        int link = lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
        int r = link ? hpo_error(HPO_EIO, "%s: is a symbolic link; hpo writes nothing through one "
                                 "(replace it with the file itself)", p) : 0;
        free(p);
        if (r) return r;
    }
    return 0;
}

char *experiment_default_dir(const hpo_spec *spec) { return xasprintf("hpo-runs/%s", spec->name); }

/* The value of the last `key` in a key=value file's text (later lines
 * record later changes), allocated, or NULL. */
static char *kv_get(const char *text, const char *key)
{
    size_t klen = strlen(key);
    char *found = NULL;
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            const char *v = line + klen + 1, *end = strchr(v, '\n');
            free(found);
            found = xstrndup(v, end ? (size_t)(end - v) : strlen(v));
        }
    }
    return found;
}

/* Whether `dir` may become an experiment: absent, or holding nothing but
 * what an interrupted creation or the driver's first log left there. */
static int creatable(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 1;
    struct dirent *de;
    int ok = 1;
    while (ok && (de = readdir(d))) {
        const char *n = de->d_name;
        ok = strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, "rounds") == 0 ||
             strcmp(n, "trials") == 0 || strcmp(n, "spec.yaml") == 0 || strcmp(n, "lock") == 0 ||
             strcmp(n, "space.yaml") == 0 || strncmp(n, "space.yaml.tmp.", 15) == 0 ||
             strncmp(n, "spec.yaml.tmp.", 14) == 0 || strncmp(n, "experiment.tmp.", 15) == 0 ||
             (strncmp(n, "driver-", 7) == 0 && strstr(n, ".log"));
    }
    closedir(d);
    return ok;
}

/* Invariant: EXP/experiment is written last, so a directory without it is
 * no experiment yet, whatever else a killed creation left in it. */
static int experiment_create(const char *dir, const hpo_spec *spec)
{
    if (!creatable(dir))
        return hpo_error(HPO_EIO, "%s: exists and is not an hpo experiment; choose another directory", dir);
    char *rounds = path_join(dir, "rounds"), *trials = path_join(dir, "trials");
    char *frozen = path_join(dir, "spec.yaml"), *meta = path_join(dir, "experiment");
    char *src = absolute_path(spec->path);
    char *meta_text = xasprintf("format=hpo-experiment\nversion=1\nspec_source=%s\nspec_sha256=%s\n",
                                src, spec->sha256);
    int r = mkdir_p(rounds, 0777);
    if (r == 0) r = mkdir_p(trials, 0777);
    if (r == 0) r = write_file_atomic(frozen, spec->yaml, spec->yaml_len);
    /* A PaddleHub `space: FILE` is frozen too: a later edit of the file
     * must not change the space of the sweep under way. */
    if (r == 0 && spec->space_yaml) {
        char *space = path_join(dir, "space.yaml");
        r = write_file_atomic(space, spec->space_yaml, spec->space_len);
        free(space);
    }
    fault_point("experiment:before-commit");
    if (r == 0) r = write_file_atomic(meta, meta_text, strlen(meta_text));
    free(rounds); free(trials); free(frozen); free(meta); free(src); free(meta_text);
    return r;
}

int experiment_open(hpo_experiment **out, const char *dir)
{
    char *abs = absolute_path(dir);
    char *meta_path = path_join(abs, "experiment"), *frozen = path_join(abs, "spec.yaml");
    char *meta = NULL, *yaml = NULL, *source = NULL;
    size_t yaml_len = 0;
    hpo_spec *spec = NULL;
    struct stat lst;
    int r = 0;
    if (lstat(meta_path, &lst) == 0 && S_ISLNK(lst.st_mode))
        r = hpo_error(HPO_EIO, "%s: is a symbolic link; refusing to use it", meta_path);
    else if (lstat(frozen, &lst) == 0 && S_ISLNK(lst.st_mode))
        r = hpo_error(HPO_EIO, "%s: is a symbolic link; refusing to use it", frozen);
    if (r == 0) r = read_file(meta_path, &meta, NULL);
    if (r == HPO_ENOTFOUND)
        r = hpo_error(HPO_ENOTFOUND, "%s: not an hpo experiment (no %s)", dir,
                      path_exists(abs) ? "experiment file" : "such directory");
    if (r == 0 && !(source = kv_get(meta, "spec_source")))
        r = hpo_error(HPO_ECORRUPT, "%s: spec_source missing", meta_path);
    if (r == 0) r = read_file(frozen, &yaml, &yaml_len);
    /* Parse the frozen bytes as if they were at the original place, so
     * that relative paths (workdir, space: file) resolve as they did. */
    char *space = path_join(abs, "space.yaml");
    if (r == 0 && lstat(space, &lst) == 0 && S_ISLNK(lst.st_mode))
        r = hpo_error(HPO_EIO, "%s: is a symbolic link; refusing to use it", space);
    if (r == 0) r = spec_parse_frozen(&spec, source, yaml, yaml_len, path_exists(space) ? space : NULL);
    free(space);
    if (r == 0) {
        hpo_experiment *e = xcalloc(1, sizeof *e);
        e->dir = abs;
        e->spec_source = source;
        e->spec = spec;
        e->lock_fd = -1;
        *out = e;
        abs = source = NULL;
    }
    free(abs); free(meta_path); free(frozen); free(meta); free(yaml); free(source);
    return r;
}

/* Whether two spaces are the same: the plans and /config depend on it. */
static const char *space_difference(const hpo_space *a, const hpo_space *b)
{
    if (a->n != b->n) return "the number of parameters";
    for (int i = 0; i < a->n; i++) {
        const hpo_param *p = &a->params[i], *q = &b->params[i];
        if (strcmp(p->name, q->name) != 0 || p->type != q->type || p->n_choices != q->n_choices) return p->name;
        for (int c = 0; c < p->n_choices; c++)
            if (strcmp(p->choices[c], q->choices[c]) != 0) return p->name;
    }
    return NULL;
}

/* --allow-spec-change: freeze the new spec, keeping the old one as
 * spec.yaml.N, and log the change in EXP/experiment. */
static int change_spec(hpo_experiment *e, const hpo_spec *spec, const char *spec_path)
{
    const char *diff = space_difference(&e->spec->space, &spec->space);
    if (diff)
        return hpo_error(HPO_ESPEC, "%s: changes the search space (%s) of experiment %s; a changed spec may "
                         "change anything but the space: start a new experiment with --exp", spec_path, diff, e->dir);
    char *frozen = path_join(e->dir, "spec.yaml"), *old = NULL, *meta_path = path_join(e->dir, "experiment");
    for (int k = 1;; k++) {
        old = xasprintf("%s.%d", frozen, k);
        if (!path_exists(old)) break;
        free(old);
    }
    char *meta = NULL, *src = absolute_path(spec_path);
    int r = read_file(meta_path, &meta, NULL);
    char *text = NULL;
    if (r == 0) {
        /* The newest spec_source/spec_sha256 lines win; the history stays. */
        text = xasprintf("%sspec_change=%.0f %s %s\nspec_source=%s\nspec_sha256=%s\n", meta, now_wall(),
                         e->spec->sha256, spec->sha256, src, spec->sha256);
        r = link(frozen, old) == 0 ? 0 : hpo_error(HPO_EIO, "%s: cannot keep the old spec: %s", old, strerror(errno));
    }
    if (r == 0) r = write_file_atomic(frozen, spec->yaml, spec->yaml_len);
    if (r == 0 && spec->space_yaml) {   /* its space file, frozen with it */
        char *space = path_join(e->dir, "space.yaml");
        r = write_file_atomic(space, spec->space_yaml, spec->space_len);
        free(space);
    }
    if (r == 0) r = write_file_atomic(meta_path, text, strlen(text));
    if (r == 0) hpo_notice(HPO_NOTE_INFO, "%s: spec changed (was %.12s, now %.12s; the old one is kept as %s)",
                           e->dir, e->spec->sha256, spec->sha256, old);
    free(frozen); free(old); free(meta_path); free(meta); free(src); free(text);
    return r;
}

int experiment_create_or_open(hpo_experiment **out, const char *dir, const char *spec_path, int allow_change)
{
    hpo_spec *spec = NULL;
    int r = HPO_OK;
    if (spec_path && (r = spec_load(&spec, spec_path)) != 0) return r;
    /* What hpo check says, before anything is created. */
    if (spec && (r = spec_check_runnable(spec)) != 0) {
        spec_free(spec);
        return r;
    }
    char *meta = path_join(dir, "experiment");
    if (!path_exists(meta)) {
        if (!spec) r = hpo_error(HPO_ENOTFOUND, "%s: not an hpo experiment, and no spec given", dir);
        else r = experiment_create(dir, spec);
    }
    free(meta);
    if (r == 0) r = experiment_open(out, dir);
    /* The space file the spec names now must be the one frozen with it. */
    if (r == 0 && spec && strcmp(spec->sha256, (*out)->spec->sha256) == 0 && spec->space_yaml &&
        strcmp(spec->space_sha256, (*out)->spec->space_sha256) != 0) {
        r = hpo_error(HPO_ESPEC, "%s: differs from the space this experiment was started with (%s/space.yaml); "
                      "restore it, or start a new experiment with --exp", spec->space_file, (*out)->dir);
        experiment_free(*out);
        *out = NULL;
    }
    if (r == 0 && spec && strcmp(spec->sha256, (*out)->spec->sha256) != 0) {
        if (!allow_change)
            r = hpo_error(HPO_ESPEC, "%s: differs from the spec this experiment was started with "
                          "(%s/spec.yaml); start a new experiment with --exp, restore the spec, or "
                          "pass --allow-spec-change", spec_path, (*out)->dir);
        else if ((r = change_spec(*out, spec, spec_path)) == 0) {
            experiment_free(*out);
            r = experiment_open(out, dir);
        }
        if (r != 0) {
            experiment_free(*out);
            *out = NULL;
        }
    }
    spec_free(spec);
    return r;
}

static void unlock_(hpo_experiment *e, int final);

void experiment_free(hpo_experiment *e)
{
    if (!e) return;
    unlock_(e, 1);
    spec_free(e->spec);
    free(e->dir);
    free(e->spec_source);
    free(e);
}

/* A lock whose holder, by the file, is a process of this host that is gone
 * is held by a child it forked in the instant before it died: between
 * fork() and exec() the child shares the lock's open file (O_CLOEXEC
 * lets go of it only at the exec).  That lasts microseconds, or a few
 * scheduler ticks on a loaded machine, so experiment_lock() tries again
 * for up to HOLDER_GONE_TRIES x HOLDER_GONE_PAUSE_MS (2 s) before it
 * calls the experiment in use -- a resumed `hpo run` right after a kill
 * would otherwise be refused (tests/faults/lock_fork_window.sh). */
#define HOLDER_GONE_TRIES 100
#define HOLDER_GONE_PAUSE_MS 20

static int holder_gone(const char *holder)
{
    char host[128], mine[128];
    long pid;
    if (sscanf(holder, "host %127s pid %ld", host, &pid) != 2 || pid <= 0) return 0;
    host_name(mine, sizeof mine);
    return strcmp(host, mine) == 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int experiment_lock(hpo_experiment *e)
{
    char *path = experiment_path(e, "lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
        int err = errno;
        int r = hpo_error(HPO_EIO, "%s: cannot open: %s", path,
                          err == ELOOP ? "it is a symbolic link; refusing to use it" : io_strerror(err, path));
        free(path);
        return r;
    }
    char holder[256] = "";
    int r;
    for (int tries = 0; (r = publish_lock_acquire(path, fd, holder, sizeof holder)) != 0; tries++) {
        if (!holder[0]) {   /* the flock: its holder said who it is in the file */
            ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
            holder[n > 0 ? n : 0] = '\0';
            holder[strcspn(holder, "\n")] = '\0';
        }
        if (tries >= HOLDER_GONE_TRIES || !holder_gone(holder)) break;
        sleep_ms(HOLDER_GONE_PAUSE_MS);
        holder[0] = '\0';
    }
    if (r != 0) {
        close(fd);
        r = hpo_error(HPO_ELOCKED, "%s: in use by %s", e->dir, holder[0] ? holder : "another process");
        free(path);
        return r;
    }
    /* Say who holds it, for the message the next contender prints. */
    char host[128];
    host_name(host, sizeof host);
    const char *job = getenv("SLURM_JOB_ID");
    char *who = xasprintf("host %s pid %ld%s%s\n", host, (long)getpid(), job ? " slurm job " : "", job ? job : "");
    if (ftruncate(fd, 0) == 0) {
        ssize_t w = pwrite(fd, who, strlen(who), 0);
        (void)w;
    }
    free(who);
    free(path);
    e->lock_fd = fd;
    return HPO_OK;
}

int experiment_lock_wait(hpo_experiment *e, double seconds)
{
    double until = now_mono() + seconds;
    int r;
    while ((r = experiment_lock(e)) == HPO_ELOCKED && now_mono() < until) sleep_ms(10);
    return r;
}

static void unlock_(hpo_experiment *e, int final)
{
    char *work = experiment_work_path(e), *dst = experiment_results_path(e);
    if (e->lock_fd >= 0) {
        publish_lock_release(work, dst, final);
        lease_release(e->lock_fd);   /* while the flock still excludes */
        close(e->lock_fd);   /* closing releases the flock */
        e->lock_fd = -1;
    } else if (final) {
        publish_final(work, dst);
    }
    free(work);
    free(dst);
}

void experiment_unlock(hpo_experiment *e) { unlock_(e, 0); }
