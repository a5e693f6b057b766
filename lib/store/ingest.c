/*
 * ingest.c -- results.h5 from plans and journals (see ingest.h).
 */
#include "store/ingest.h"
#include "store/plan.h"
#include "store/publish.h"
#include "store/rank.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Add the rows of every round planned since the last ingest. */
static int ingest_new_rounds(hpo_experiment *e, hpo_store *st)
{
    int n_plans = plan_count_from(e, (int)store_n_rounds(st)), r = 0;
    for (int round = (int)store_n_rounds(st); round < n_plans && r == 0; round++) {
        hpo_plan *plan = NULL;
        if ((r = plan_read(e, round, &plan)) != 0) break;
        hpo_trial_row *rows = xcalloc((size_t)plan->n + 1, sizeof *rows);
        const double **configs = xcalloc((size_t)plan->n + 1, sizeof *configs);
        for (int i = 0; i < plan->n; i++) {
            const hpo_plan_trial *t = &plan->trials[i];
            hpo_trial_row *row = &rows[i];
            row->trial_id = t->trial_id;
            row->round = round;
            row->array_index = t->index;
            row->parent_id = t->parent_id;
            row->budget = t->budget;
            row->bracket = t->bracket;
            row->rung = t->rung;
            snprintf(row->status, sizeof row->status, "%s", HPO_STATUS_PLANNED);
            row->objective = row->start_time = row->end_time = row->runtime_s = NAN;
            row->slurm_job_id = -1;
            configs[i] = t->values;
        }
        hpo_round_state rs;
        round_state_read(e, round, &rs);
        hpo_round_row rr = {.round = round, .array_job_id = rs.array_job_id,
                            .driver_job_id = rs.driver_job_id, .n_trials = plan->n,
                            .submitted_at = rs.submitted_at, .finished_at = NAN};
        snprintf(rr.kind, sizeof rr.kind, "%s", plan->kind);
        r = store_put_trials(st, rows, (const double *const *)configs, (size_t)plan->n);
        if (r == 0) r = store_put_round(st, &rr);
        free(rows);
        free(configs);
        plan_free(plan);
    }
    return r;
}

/* Field by field: a struct's padding and the bytes after a string's NUL
 * are not part of the value (memcmp would read them). */
static int same_double(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static int same_trial_row(const hpo_trial_row *a, const hpo_trial_row *b)
{
    return a->trial_id == b->trial_id && a->round == b->round && a->array_index == b->array_index &&
           a->parent_id == b->parent_id && same_double(a->budget, b->budget) && a->bracket == b->bracket &&
           a->rung == b->rung && strcmp(a->status, b->status) == 0 && same_double(a->objective, b->objective) &&
           a->exit_code == b->exit_code && a->signal == b->signal && a->slurm_job_id == b->slurm_job_id &&
           strcmp(a->node, b->node) == 0 && same_double(a->start_time, b->start_time) &&
           same_double(a->end_time, b->end_time) && same_double(a->runtime_s, b->runtime_s) &&
           a->max_rss_kb == b->max_rss_kb && strcmp(a->gpu, b->gpu) == 0 && strcmp(a->reason, b->reason) == 0;
}

static int same_round_row(const hpo_round_row *a, const hpo_round_row *b)
{
    return a->round == b->round && strcmp(a->kind, b->kind) == 0 && a->array_job_id == b->array_job_id &&
           a->driver_job_id == b->driver_job_id && a->n_trials == b->n_trials &&
           same_double(a->submitted_at, b->submitted_at) && same_double(a->finished_at, b->finished_at);
}

static int row_needs_ingest(const hpo_trial_row *row)
{
    return !status_is_terminal(row->status) || strcmp(row->status, HPO_STATUS_CANCELLED) == 0;
}

/* Turn a trial's reports into /curves rows. */
static void append_curve_rows(long trial_id, hpo_report_rec *recs, size_t n,
                              hpo_curve_row **rows, size_t *len, size_t *cap)
{
    journal_number_steps(recs, n);
    for (size_t i = 0; i < n; i++) {
        if (*len == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *rows = xrealloc(*rows, *cap * sizeof **rows);
        }
        hpo_curve_row *c = &(*rows)[(*len)++];
        memset(c, 0, sizeof *c);
        c->trial_id = trial_id;
        c->step = recs[i].step;
        snprintf(c->metric, sizeof c->metric, "%s", recs[i].metric);
        c->value = recs[i].value;
        c->time = recs[i].time;
    }
}

/* Read the journals of every unfinished trial; update their rows and
 * append the curves of those that finished. */
static int ingest_trials(hpo_experiment *e, hpo_store *st, hpo_ingest_stats *stats)
{
    size_t n = store_n_trials(st), n_changed = 0, n_curves = 0, cap = 0;
    hpo_trial_row *changed = xcalloc(n + 1, sizeof *changed);
    hpo_curve_row *curves = NULL;
    const hpo_trial_row *rows = store_trials(st);
    for (size_t i = 0; i < n; i++) {
        if (!row_needs_ingest(&rows[i])) continue;
        char *dir = experiment_trial_dir(e, (long)i);
        if (experiment_trial_dir_ok(dir) != 0) {   /* never read through a link out of EXP */
            free(dir);
            continue;
        }
        hpo_trial_result res;
        int have = result_read(dir, &res) == 0;
        hpo_trial_row row = rows[i];
        if (!have) {
            char *j = path_join(dir, "journal");
            int started = path_exists(j);
            free(j);
            free(dir);
            if (started && strcmp(row.status, HPO_STATUS_PLANNED) == 0) {
                snprintf(row.status, sizeof row.status, "%s", HPO_STATUS_RUNNING);
                changed[n_changed++] = row;
            }
            continue;
        }
        snprintf(row.status, sizeof row.status, "%s", res.status);
        row.exit_code = res.exit_code;
        row.signal = res.signal;
        snprintf(row.node, sizeof row.node, "%s", res.node);
        snprintf(row.gpu, sizeof row.gpu, "%s", res.gpu);
        snprintf(row.reason, sizeof row.reason, "%s", res.reason);
        row.start_time = res.start_time;
        row.end_time = res.end_time;
        row.runtime_s = res.runtime_s;
        row.max_rss_kb = res.max_rss_kb;
        row.slurm_job_id = res.slurm_job_id;
        if (strcmp(res.status, HPO_STATUS_CANCELLED) != 0) {
            char *jpath = path_join(dir, "journal");
            hpo_report_rec *recs = NULL;
            size_t nrec = 0, dropped = 0;
            if (journal_read(jpath, &recs, &nrec, &dropped) == 0) {
                int found;
                row.objective = trial_objective(e->spec, recs, nrec, &found);
                append_curve_rows((long)i, recs, nrec, &curves, &n_curves, &cap);
                if (stats) stats->dropped_lines += dropped;
            }
            free(recs);
            free(jpath);
            if (stats) stats->trials_finished++;
        }
        free(dir);
        if (!same_trial_row(&row, &rows[i])) changed[n_changed++] = row;
    }
    /* Curves first: if we are cut off before the rows, the writing flag
     * makes the next open rebuild, so no curve is ever counted twice. */
    int r = n_curves ? store_append_curves(st, curves, n_curves) : 0;
    if (n_curves) fault_point("ingest:after-curves");
    if (r == 0 && n_changed) r = store_put_trials(st, changed, NULL, n_changed);
    if (n_changed) fault_point("ingest:after-trials");
    if (stats) stats->curve_points += n_curves;
    free(curves);
    free(changed);
    return r;
}

/* Fill in round times and job ids as they become known. */
static int ingest_round_rows(hpo_experiment *e, hpo_store *st)
{
    size_t n_rounds = store_n_rounds(st), n = store_n_trials(st);
    const hpo_trial_row *trials = store_trials(st);
    int r = 0;
    for (size_t k = 0; k < n_rounds && r == 0; k++) {
        hpo_round_row rr = store_rounds(st)[k];
        if (!isnan(rr.finished_at)) continue;
        hpo_round_state rs;
        round_state_read(e, (int)k, &rs);
        rr.submitted_at = rs.submitted_at;
        rr.array_job_id = rs.array_job_id;
        rr.driver_job_id = rs.driver_job_id;
        int all_done = 1;
        double last_end = NAN;
        for (size_t i = 0; i < n; i++) {
            if (trials[i].round != (int32_t)k) continue;
            if (row_needs_ingest(&trials[i])) all_done = 0;
            else if (isnan(last_end) || trials[i].end_time > last_end) last_end = trials[i].end_time;
        }
        if (all_done) rr.finished_at = !isnan(rs.finished_at) ? rs.finished_at : last_end;
        if (!same_round_row(&rr, &store_rounds(st)[k])) r = store_put_round(st, &rr);
    }
    return r;
}

/* After --allow-spec-change, the file says which spec is now in force. */
static int sync_spec(hpo_experiment *e, hpo_store *st)
{
    char *sha = NULL;
    int r = 0;
    if (store_get_attr(st, "spec_sha256", &sha) != 0 || strcmp(sha, e->spec->sha256) != 0) {
        char *yaml = xstrndup(e->spec->yaml, e->spec->yaml_len);
        r = store_set_attr(st, "spec_yaml", yaml);
        if (r == 0) r = store_set_attr(st, "spec_sha256", e->spec->sha256);
        free(yaml);
    }
    free(sha);
    return r;
}

static int sync_store(hpo_experiment *e, hpo_store *st, hpo_ingest_stats *stats)
{
    int r = sync_spec(e, st);
    if (r == 0) r = ingest_new_rounds(e, st);
    fault_point("ingest:after-new-rounds");
    if (r == 0) r = ingest_trials(e, st, stats);
    if (r == 0) r = ingest_round_rows(e, st);
    return r;
}

/* Create a fresh file at `path` and fill it from plans and journals. */
static int build_at(hpo_experiment *e, const char *path, hpo_store **out, hpo_ingest_stats *stats)
{
    hpo_store *st = NULL;
    int r = store_create(path, e->spec);
    fault_point("rebuild:after-create");
    if (r == 0) r = store_open(&st, path, e->spec, 1);
    if (r == 0) r = sync_store(e, st, stats);
    if (r != 0 && st) { store_close(st); st = NULL; }
    *out = st;
    return r;
}

/* The file at `path` belongs to this experiment: its spec_sha256 is the
 * spec in force (then its name is the spec's) or one it replaced. */
static int check_identity(hpo_experiment *e, hpo_store *st, const char *path)
{
    char *sha = NULL, *name = NULL;
    int r = 0;
    if (store_get_attr(st, "spec_sha256", &sha) != 0 || store_get_attr(st, "name", &name) != 0)
        r = hpo_error(HPO_ECORRUPT, "%s: has no name or spec_sha256", path);
    else if (strcmp(sha, e->spec->sha256) == 0 ? strcmp(name, e->spec->name ? e->spec->name : "") != 0
                                               : !experiment_knows_spec(e, sha))
        r = hpo_error(HPO_ECORRUPT, "%s: belongs to another experiment ('%s', spec %.12s; this one is "
                      "'%s', spec %.12s)", path, name, sha, e->spec->name ? e->spec->name : "",
                      e->spec->sha256);
    free(sha);
    free(name);
    return r;
}

/* Start the working file from the published results.h5 (an experiment
 * written before the working file existed, or whose working file was
 * lost) when that is sound and ours: 0 if copied, HPO_ENOTFOUND if it must
 * be rebuilt instead, HPO_EFORMAT (another hpo's file) or an I/O error. */
static int adopt_published(hpo_experiment *e, const char *dst, const char *work)
{
    if (!path_exists(dst)) return HPO_ENOTFOUND;
    hpo_store *st = NULL;
    int r = store_open(&st, dst, e->spec, 0);
    if (r == 0) r = check_identity(e, st, dst);
    if (st) store_close(st);
    if (r == HPO_EFORMAT) return r;
    if (r != 0) {
        hpo_notice(HPO_NOTE_INFO, "%s; rebuilding it from plans and journals", hpo_error_last());
        return HPO_ENOTFOUND;
    }
    return publish_now(dst, work);
}

/* Room for an ingest: a session rewrites a few chunks, and publishing
 * copies the whole working file.  Refusing up front (one line, nothing
 * written) beats failing halfway through HDF5's writes. */
#define SPACE_SLACK_KB 64   /* $HPO_MIN_FREE_KB overrides it */
static int check_space(hpo_experiment *e, const char *work)
{
    struct statvfs fs;
    struct stat st;
    if (statvfs(e->dir, &fs) != 0) return 0;
    const char *v = getenv("HPO_MIN_FREE_KB");
    unsigned long long slack = (v && *v ? strtoull(v, NULL, 10) : SPACE_SLACK_KB) * 1024;
    if (v && *v && slack == 0) return 0;   /* off: for tests of a disk filling mid-write */
    unsigned long long free_b = (unsigned long long)fs.f_bavail * fs.f_frsize;
    unsigned long long need = slack + (stat(work, &st) == 0 ? (unsigned long long)st.st_size : 0);
    if (free_b >= need) return 0;
    return hpo_error(HPO_EIO, "%s: no space left for results.h5 (%llu KiB free on %s, %llu KiB needed); "
                     "free some space and run the same command again: nothing recorded is lost", e->dir,
                     free_b / 1024, e->dir, need / 1024);
}

int ingest_open(hpo_experiment *e, hpo_store **out, hpo_ingest_stats *stats)
{
    hpo_ingest_stats dummy;
    if (!stats) stats = &dummy;
    memset(stats, 0, sizeof *stats);
    *out = NULL;
    int r = experiment_check_links(e);
    if (r != 0) return r;
    publish_cleanup(e->dir);
    char *dst = experiment_results_path(e), *work = experiment_work_path(e);
    if ((r = check_space(e, work)) != 0) {
        free(dst);
        free(work);
        return r;
    }
    hpo_store *st = NULL;
    int force = 0;
    r = store_open(&st, work, e->spec, 1);
    if (r == 0 && (r = check_identity(e, st, work)) != 0) {
        store_close(st);
        st = NULL;
    }
    if (r == HPO_ECORRUPT) {
        /* The working file is private and derived: nothing in it is lost
         * (plans and journals hold it all), so it is not kept. */
        hpo_notice(HPO_NOTE_INFO, "%s; rebuilding it from plans and journals", hpo_error_last());
        unlink(work);
        r = HPO_ENOTFOUND;
    } else if (r == HPO_ENOTFOUND) {
        r = adopt_published(e, dst, work);
        if (r == 0 && (r = store_open(&st, work, e->spec, 1)) == 0) r = sync_store(e, st, stats);
        if (r == HPO_ECORRUPT) {
            hpo_notice(HPO_NOTE_INFO, "%s; rebuilding it from plans and journals", hpo_error_last());
            if (st) { store_close(st); st = NULL; }
            unlink(work);
            r = HPO_ENOTFOUND;
        }
        force = 1;
    } else if (r == 0) {
        r = sync_store(e, st, stats);
    }
    if (r == HPO_ENOTFOUND) {
        stats->rebuilt = 1;
        force = 1;
        r = build_at(e, work, &st, stats);
    }
    /* Once per process, look at what readers see: a published file that
     * was deleted or damaged since is published again. */
    static char *checked;
    if (r == 0 && (!checked || strcmp(checked, dst) != 0)) {
        free(checked);
        checked = xstrdup(dst);
        hpo_store *pub = NULL;
        int c = store_open(&pub, dst, NULL, 0);
        if (pub) store_close(pub);
        if (c == HPO_ENOTFOUND) force = 1;
        else if (c == HPO_EFORMAT) r = c;   /* another hpo's: refused, never published over */
        else if (c != 0 && !force) {
            hpo_notice(HPO_NOTE_INFO, "%s; publishing it again from %s", hpo_error_last(), work);
            force = 1;
        }
    }
    if (r == 0) store_publish_to(st, dst, force);
    if (r != 0 && st) { store_close(st); st = NULL; }
    free(dst);
    free(work);
    if (r == 0) *out = st;
    return r;
}

int ingest(hpo_experiment *e, hpo_ingest_stats *stats)
{
    hpo_store *st = NULL;
    int r = ingest_open(e, &st, stats);
    if (r == 0) r = store_close(st);
    return r;
}

int ingest_rebuild(hpo_experiment *e, hpo_ingest_stats *stats)
{
    hpo_ingest_stats dummy;
    if (!stats) stats = &dummy;
    memset(stats, 0, sizeof *stats);
    int r = experiment_check_links(e);
    if (r != 0) return r;
    publish_cleanup(e->dir);
    char *path = experiment_results_path(e), *work = experiment_work_path(e);
    char *tmp = xasprintf("%s.rebuild-%ld", work, (long)getpid());
    hpo_store *st = NULL;
    /* Never replace a file that another hpo (another format) wrote. */
    r = store_open(&st, path, NULL, 0);
    if (st) store_close(st);
    st = NULL;
    if (r != HPO_EFORMAT) r = 0;
    unlink(tmp);
    if (r == 0) r = build_at(e, tmp, &st, stats);
    if (st) {
        int c = store_close(st);
        if (r == 0) r = c;
    }
    fault_point("rebuild:before-rename");
    if (r == 0 && rename(tmp, work) != 0) r = hpo_error(HPO_EIO, "%s: cannot replace: %s", work, strerror(errno));
    if (r == 0) {
        fsync_parent_dir(work);
        stats->rebuilt = 1;
        publish_mark(work, 1);   /* published now, or by the next lock holder */
        if ((r = publish_now(work, path)) == 0) publish_mark(work, 0);
    } else {
        unlink(tmp);
    }
    free(tmp);
    free(work);
    free(path);
    return r;
}
