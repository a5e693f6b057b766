/*
 * cmd_query.c -- the commands that only read an experiment: status, best,
 * export.  They open results.h5 read-only and take no lock, so they work
 * while a sweep runs.
 */
#include "cli.h"
#include "sweep/decide.h"
#include "store/experiment.h"
#include "store/ingest.h"
#include "store/journal.h"
#include "store/plan.h"
#include "report/playbook.h"
#include "slurm/api.h"
#include "slurm/workers.h"
#include "optimizers/optimizer.h"
#include "core/util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A damaged or deleted results.h5 is published again here too, when no
 * driver holds the experiment (one that does publishes it itself). */
static int rebuild_if_damaged(hpo_experiment *e, const char *dir)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", hpo_error_last());
    int r = experiment_lock(e);
    if (r == HPO_ELOCKED)
        return hpo_error(HPO_ECORRUPT, "%s; the process driving %s will rebuild it", msg, dir);
    if (r == 0) r = ingest(e, NULL);   /* says so on stderr and publishes it again */
    experiment_unlock(e);
    return r;
}

int cli_open_results(const char *dir, hpo_experiment **e, hpo_store **st)
{
    int r = experiment_open(e, dir);
    if (r != 0) return r;
    char *path = experiment_results_path(*e);
    r = store_open(st, path, (*e)->spec, 0);
    /* Missing although rounds were planned: deleted; rebuild it likewise. */
    if (r == HPO_ENOTFOUND && plan_count(*e) > 0) {
        fprintf(stderr, "hpo: %s: missing; publishing it again\n", path);
        r = HPO_ECORRUPT;
    }
    if (r == HPO_ECORRUPT && (r = rebuild_if_damaged(*e, dir)) == 0) r = store_open(st, path, (*e)->spec, 0);
    if (r == HPO_ENOTFOUND) r = hpo_error(HPO_ENOTFOUND, "%s: no results yet (the sweep has not ingested any round)", dir);
    free(path);
    if (r != 0) { experiment_free(*e); *e = NULL; }
    return r;
}

/* EXP/driver.failed: the last driver step failed (hpo drive writes it, and
 * removes it when a step succeeds).  Its key=value fields, each allocated
 * ("" where absent). */
typedef struct driver_failure {
    char *job, *error, *failures, *max_failures, *retry_job, *retry_at, *retry_error;
} driver_failure;

static char *failed_field(const char *text, const char *key)
{
    char *needle = xasprintf("\n%s=", key), *at = strstr(text, needle);
    if (!at && strncmp(text, needle + 1, strlen(needle) - 1) == 0) at = (char *)text - 1;
    char *v = at ? xstrndup(at + strlen(needle), strcspn(at + strlen(needle), "\n")) : xstrdup("");
    free(needle);
    return v;
}

/* 1 and *f filled when the sweep has not stopped and driver.failed is there. */
static int read_driver_failure(const hpo_experiment *e, int stopped, driver_failure *f)
{
    char *path = experiment_path(e, "driver.failed"), *text = NULL;
    int found = !stopped && read_file(path, &text, NULL) == 0;
    if (found) {
        f->job = failed_field(text, "job");
        f->error = failed_field(text, "error");
        f->failures = failed_field(text, "failures");
        f->max_failures = failed_field(text, "max_failures");
        f->retry_job = failed_field(text, "retry_job");
        f->retry_at = failed_field(text, "retry_at");
        f->retry_error = failed_field(text, "retry_error");
    }
    free(text);
    free(path);
    return found;
}

static void driver_failure_free(driver_failure *f)
{
    free(f->job); free(f->error); free(f->failures); free(f->max_failures);
    free(f->retry_job); free(f->retry_at); free(f->retry_error);
}

/* Say whether a retry is queued, or why nothing drives the sweep on. */
static void print_driver_failure(const hpo_experiment *e, int stopped)
{
    driver_failure f;
    if (!read_driver_failure(e, stopped, &f)) return;
    char *said = escape_controls(f.error[0] ? f.error : "?"), *why_said = escape_controls(f.retry_error);
    printf("driver:     FAILED (job %s): %s", f.job[0] ? f.job : "-", said);
    if (f.retry_job[0]) {
        time_t t = (time_t)atol(f.retry_at);
        char when[32] = "soon";
        if (f.retry_at[0]) strftime(when, sizeof when, "%H:%M:%S", localtime(&t));
        printf("; %s failure%s in a row (at most %s are retried): ", f.failures, atoi(f.failures) == 1 ? "" : "s",
               f.max_failures);
        if (strcmp(f.retry_job, "queued") == 0) printf("the next step is queued already\n");
        else printf("the retry, job %ld, starts at %s\n", atol(f.retry_job), when);
    } else {
        if (f.retry_error[0] && strcmp(f.retry_error, f.error) == 0) printf("; no retry could be queued either");
        else if (f.retry_error[0]) printf("; no retry queued: %s", why_said);
        else if (f.failures[0] && f.max_failures[0] && atoi(f.failures) > atoi(f.max_failures))
            printf("; %s failures in a row, retried no more", f.failures);
        printf("; nothing drives the sweep on: fix that, then sbatch slurm/hpo-driver.sh %s (or hpo drive %s)\n",
               e->dir, e->dir);
    }
    free(said);
    free(why_said);
    driver_failure_free(&f);
}

/* Workers mode: the trials running now (by their locks, not by what was
 * planned), those waiting to be taken over, and the worker arrays. */
static void print_workers(hpo_experiment *e, hpo_store *st, int stopped)
{
    const hpo_trial_row *t = store_trials(st);
    size_t n = store_n_trials(st);
    int running = 0, waiting = 0;
    double now = now_wall();
    for (size_t i = 0; i < n; i++) {
        if (status_is_terminal(t[i].status) && strcmp(t[i].status, HPO_STATUS_CANCELLED) != 0) continue;
        char budget[32] = "";
        if (!isnan(t[i].budget)) snprintf(budget, sizeof budget, ", budget %g", t[i].budget);
        if (experiment_trial_alive(e, t[i].trial_id)) {
            if (running++ >= 20) continue;
            printf("running:    trial %zu%s", i, budget);
            if (t[i].node[0]) {
                char *node = escape_controls(t[i].node);
                printf(" on %s", node);
                free(node);
            }
            if (t[i].slurm_job_id > 0) printf(", Slurm job %lld", (long long)t[i].slurm_job_id);
            if (isfinite(t[i].start_time)) printf(", for %.0f s", now - t[i].start_time);
            printf("\n");
        } else if (waiting++ < 20) {
            printf("waiting:    trial %zu%s: %s\n", i, budget,
                   strcmp(t[i].status, HPO_STATUS_PLANNED) == 0 ? "planned, not started"
                                                               : "cut off; the next free worker resumes it");
        }
    }
    if (running > 20 || waiting > 20) printf("            (%d running, %d waiting in all)\n", running, waiting);
    hpo_worker_array *a = NULL;
    int na = 0;
    const hpo_slurm_api *api = NULL;
    if (slurm_workers_read(e, &a, &na) == 0 && na > 0 && slurm_api(&api) == 0) {
        hpo_slurm_task *tasks = NULL;
        int nt = 0, live = 0;
        printf("workers:    array job %ld:", a[na - 1].id);
        if (api->tasks(a[na - 1].id, &tasks, &nt) == 0 && nt > 0) {
            for (int i = 0; i < nt; i++) {
                live |= !slurm_state_is_final(tasks[i].state);
                if (tasks[i].task < 0) printf(" tasks %s %s;", tasks[i].pending_tasks, tasks[i].state);
                else {
                    char *node = escape_controls(tasks[i].node);
                    printf(" %d %s%s%s;", tasks[i].task, tasks[i].state, node[0] ? " on " : "", node);
                    free(node);
                }
            }
            printf("\n");
        } else {
            printf(" no longer known to Slurm (ended)\n");
        }
        free(tasks);
        if (!stopped)
            printf("next:       %s\n", live ? "the driver waits for the workers to end"
                                             : "the next driver step submits workers, or ends the sweep");
    }
    free(a);
    char *stopping = NULL;
    if (!stopped && store_get_attr(st, "stopping", &stopping) == 0)
        printf("stopping:   %s (no new trials; %d still running)\n", stopping, running);
    free(stopping);
}

/* The last round's arrays as Slurm sees them, task states counted; and
 * what the driver will do next.  Only when the round ran on Slurm. */
static void print_slurm_round(hpo_experiment *e, const hpo_store *st, int stopped)
{
    int round = (int)store_n_rounds(st) - 1;
    hpo_round_state rs;
    if (round < 0 || round_state_read(e, round, &rs) != 0 || rs.n_arrays == 0) return;
    const hpo_slurm_api *api = NULL;
    if (slurm_api(&api) != 0) {
        printf("slurm:      round %d ran as array job %ld (%s)\n", round, rs.arrays[0], hpo_error_last());
        return;
    }
    int live = 0;
    for (int k = 0; k < rs.n_arrays; k++) {
        hpo_slurm_task *tasks = NULL;
        int n = 0;
        printf("slurm:      round %d, array job %ld:", round, rs.arrays[k]);
        if (api->tasks(rs.arrays[k], &tasks, &n) != 0 || n == 0) {
            printf(" %s\n", n == 0 ? "no longer known to Slurm (ended)" : hpo_error_last());
            free(tasks);
            continue;
        }
        /* Count tasks per state, in order of first appearance. */
        char states[16][24];
        int counts[16] = {0}, n_states = 0;
        for (int i = 0; i < n; i++) {
            if (!slurm_state_is_final(tasks[i].state)) live = 1;
            if (tasks[i].task < 0) {   /* the record of the tasks not started yet */
                printf(" tasks %s %s;", tasks[i].pending_tasks, tasks[i].state);
                continue;
            }
            int k2 = 0;
            while (k2 < n_states && strcmp(states[k2], tasks[i].state) != 0) k2++;
            if (k2 == n_states && n_states < 16) snprintf(states[n_states++], sizeof states[0], "%s", tasks[i].state);
            if (k2 < 16) counts[k2]++;
        }
        for (int k2 = 0; k2 < n_states; k2++) printf(" %d %s", counts[k2], states[k2]);
        printf("\n");
        free(tasks);
    }
    if (!stopped)
        printf("next:       %s\n", live ? "the driver waits for this round to end"
                                         : "the next driver step ingests this round and plans the next");
}

/* ---- --json ---------------------------------------------------------------- */

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void json_number(double v)
{
    char buf[64];
    if (!isfinite(v)) { fputs("null", stdout); return; }   /* JSON has no NaN or inf */
    format_double(buf, sizeof buf, v);
    fputs(buf, stdout);
}

/* A parameter's value in JSON: a number, a choice's text, or null. */
static void json_param(const hpo_param *p, double v)
{
    char buf[256];
    if (isnan(v)) fputs("null", stdout);
    else if (p->type == HPO_PARAM_CHOICE) { space_format_value(p, v, buf, sizeof buf); json_string(buf); }
    else json_number(v);
}

static void status_json(const hpo_experiment *e, hpo_store *st, const hpo_summary *s)
{
    const hpo_spec *spec = e->spec;
    printf("{\"experiment\": ");
    json_string(e->dir);
    printf(", \"name\": ");
    json_string(spec->name);
    printf(", \"algorithm\": ");
    json_string(spec->algorithm);
    printf(", \"seed\": %llu, \"rounds\": %zu, \"max_trials\": %ld,\n", (unsigned long long)spec->seed,
           store_n_rounds(st), spec->max_trials);
    printf(" \"trials\": {\"planned\": %zu, \"completed\": %zu, \"failed\": %zu, \"pruned\": %zu, "
           "\"running\": %zu, \"waiting\": %zu},\n", s->n_trials, s->n_completed, s->n_failed, s->n_pruned,
           s->n_running, s->n_waiting);
    printf(" \"best\": ");
    if (s->best < 0) fputs("null", stdout);
    else { printf("{\"trial\": %ld, \"objective\": ", s->best); json_number(s->best_objective); putchar('}'); }
    printf(",\n \"failures\": [");
    const hpo_trial_row *t = store_trials(st);
    int first = 1;
    for (size_t i = 0; i < s->n_trials; i++) {
        if (!status_is_failure(t[i].status)) continue;
        printf("%s{\"trial\": %zu, \"status\": ", first ? "" : ", ", i);
        json_string(t[i].status);
        printf(", \"reason\": ");
        json_string(t[i].reason);
        putchar('}');
        first = 0;
    }
    printf("],\n \"stopped\": ");
    char *stop = NULL;
    int stopped = store_get_attr(st, "stop_reason", &stop) == 0;
    if (stopped) json_string(stop);
    else fputs("null", stdout);
    free(stop);
    /* The last driver step's failure, as hpo status prints it: null when
     * none (or the sweep stopped); retry_job a job id, "queued" (a step
     * was queued already) or null (nothing drives the sweep on). */
    printf(",\n \"driver_failure\": ");
    driver_failure f;
    if (read_driver_failure(e, stopped, &f)) {
        printf("{\"job\": ");
        if (f.job[0] && strcmp(f.job, "-") != 0) json_string(f.job); else fputs("null", stdout);   /* "-": not in a job */
        printf(", \"error\": ");
        json_string(f.error);
        printf(", \"failures\": %d, \"max_failures\": %d, \"retry_job\": ", atoi(f.failures), atoi(f.max_failures));
        if (!f.retry_job[0]) fputs("null", stdout);
        else if (strcmp(f.retry_job, "queued") == 0) json_string("queued");
        else printf("%ld", atol(f.retry_job));
        printf(", \"retry_at\": ");
        if (f.retry_at[0]) printf("%ld", atol(f.retry_at)); else fputs("null", stdout);
        printf(", \"retry_error\": ");
        if (f.retry_error[0]) json_string(f.retry_error); else fputs("null", stdout);
        putchar('}');
        driver_failure_free(&f);
    } else {
        fputs("null", stdout);
    }
    printf("}\n");
}

/* Running and waiting counted from what is alive, not from what results.h5
 * last said: a trial is running while some process holds its lock (the
 * runner takes it for as long as the trial runs, and it frees itself when
 * that process dies), waiting otherwise until it has a final record. */
static void count_alive(const hpo_experiment *e, hpo_store *st, hpo_summary *s)
{
    const hpo_trial_row *t = store_trials(st);
    size_t n = store_n_trials(st);
    s->n_running = s->n_waiting = 0;
    for (size_t i = 0; i < n; i++) {
        if (status_is_terminal(t[i].status) && strcmp(t[i].status, HPO_STATUS_CANCELLED) != 0) continue;
        if (experiment_trial_alive(e, t[i].trial_id)) s->n_running++;
        else s->n_waiting++;
    }
}

int cmd_status(int argc, char **argv)
{
    int json = argc == 3 && strcmp(argv[2], "--json") == 0;
    if (argc != 2 && !json) return cli_usage("status", "expected EXP [--json]");
    hpo_experiment *e = NULL;
    hpo_store *st = NULL;
    int r = cli_open_results(argv[1], &e, &st);
    if (r != 0) {
        /* A first driver step that failed is why there are no results. */
        char saved[1024];
        snprintf(saved, sizeof saved, "%s", hpo_error_last());
        hpo_experiment *x = NULL;
        if (r == HPO_ENOTFOUND && experiment_open(&x, argv[1]) == 0) print_driver_failure(x, 0);
        experiment_free(x);
        hpo_error(r, "%s", saved);
        return cli_fail(r);
    }
    const hpo_spec *spec = e->spec;
    hpo_summary s;
    driver_summary(spec, st, &s);
    count_alive(e, st, &s);
    if (json) {
        status_json(e, st, &s);
        store_close(st);
        experiment_free(e);
        return EXIT_OK;
    }
    printf("experiment: %s ('%s', %s search, seed %llu)\n", e->dir, spec->name, spec->algorithm,
           (unsigned long long)spec->seed);
    if (optimizer_sweep_mode(spec) == HPO_MODE_WORKERS) printf("mode:       workers (a trial planned as each slot frees)\n");
    else printf("rounds:     %zu\n", store_n_rounds(st));
    printf("trials:     %zu of %ld planned: %zu completed, %zu failed, %zu pruned, %zu running, %zu waiting\n",
           s.n_trials, spec->max_trials, s.n_completed, s.n_failed, s.n_pruned, s.n_running, s.n_waiting);
    if (s.best >= 0) printf("best:       trial %ld, %s = %.10g\n", s.best, spec->metric, s.best_objective);
    else printf("best:       none yet\n");
    const hpo_trial_row *t = store_trials(st);
    int shown = 0;
    for (size_t i = 0; i < s.n_trials; i++)
        if (status_is_failure(t[i].status) && shown++ < 10) {
            char *reason = escape_controls(t[i].reason);   /* it may come from the trial's stderr */
            printf("failed:     trial %zu (%s): %s\n", i, t[i].status, reason);
            free(reason);
        }
    /* Cut off and to run again (preempted, cancelled, retried): why. */
    shown = 0;
    for (size_t i = 0; i < s.n_trials; i++)
        if (strcmp(t[i].status, HPO_STATUS_CANCELLED) == 0 && t[i].reason[0] && shown++ < 10) {
            char *reason = escape_controls(t[i].reason);
            printf("again:      trial %zu: %s\n", i, reason);
            free(reason);
        }
    playbook_print(stdout, "playbook:   ", spec, st);
    char *stop = NULL;
    int stopped = store_get_attr(st, "stop_reason", &stop) == 0;
    if (optimizer_sweep_mode(spec) == HPO_MODE_WORKERS) print_workers(e, st, stopped);
    else print_slurm_round(e, st, stopped);
    if (stopped) {
        char *text = escape_controls(stop);
        printf("stopped:    %s\n", text);
        free(text);
    }
    print_driver_failure(e, stopped);
    free(stop);
    store_close(st);
    experiment_free(e);
    return EXIT_OK;
}

static void best_json(const hpo_spec *spec, hpo_store *st, const long *order, size_t k)
{
    putchar('[');
    for (size_t i = 0; i < k; i++) {
        const hpo_trial_row *t = &store_trials(st)[order[i]];
        printf("%s\n {\"rank\": %zu, \"trial\": %ld, \"objective\": ", i ? "," : "", i + 1, order[i]);
        json_number(t->objective);
        printf(", \"budget\": ");
        json_number(t->budget);
        printf(", \"params\": {");
        for (int p = 0; p < spec->space.n; p++) {
            printf("%s", p ? ", " : "");
            json_string(spec->space.params[p].name);
            printf(": ");
            json_param(&spec->space.params[p], store_config(st, p)[order[i]]);
        }
        printf("}}");
    }
    printf("\n]\n");
}

int cmd_best(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {0, 0, 0, 0}};
    long n = 5;
    int c, json = 0;
    while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
        char *end;
        if (c == 'j') { json = 1; continue; }
        if (c != 'n') return cli_usage("best", "unknown option");
        n = strtol(optarg, &end, 10);
        if (*end || n < 1) return cli_usage("best", "-n wants an integer >= 1, got '%s'", optarg);
    }
    if (optind != argc - 1) return cli_usage("best", "expected EXP");
    hpo_experiment *e = NULL;
    hpo_store *st = NULL;
    int r = cli_open_results(argv[optind], &e, &st);
    if (r != 0) return cli_fail(r);
    const hpo_spec *spec = e->spec;
    long *order = NULL;
    size_t k = driver_ranking(spec, st, &order);
    if ((long)k > n) k = (size_t)n;
    if (json) {
        best_json(spec, st, order, k);
        free(order);
        store_close(st);
        experiment_free(e);
        return EXIT_OK;
    }
    /* Format every cell first, so each column is as wide as its widest. */
    int cols = 3 + spec->space.n;
    char **cell = xcalloc((k + 1) * (size_t)cols, sizeof(char *));
    cell[0] = xstrdup("rank");
    cell[1] = xstrdup("trial");
    cell[2] = xstrdup(spec->metric);
    for (int p = 0; p < spec->space.n; p++) cell[3 + p] = xstrdup(spec->space.params[p].name);
    for (size_t i = 0; i < k; i++) {
        long id = order[i];
        char **row = cell + (i + 1) * (size_t)cols, v[256];
        row[0] = xasprintf("%zu", i + 1);
        row[1] = xasprintf("%ld", id);
        row[2] = xasprintf("%.10g", store_trials(st)[id].objective);
        for (int p = 0; p < spec->space.n; p++) {
            space_format_value(&spec->space.params[p], store_config(st, p)[id], v, sizeof v);
            row[3 + p] = xstrdup(v[0] ? v : "-");
        }
    }
    int *width = xcalloc((size_t)cols, sizeof(int));
    for (size_t i = 0; i <= k; i++)
        for (int c = 0; c < cols; c++) {
            int w = (int)strlen(cell[i * (size_t)cols + c]);
            if (w > width[c]) width[c] = w;
        }
    for (size_t i = 0; i <= k; i++) {
        for (int c = 0; c < cols; c++) {
            printf("%s%-*s", c ? "  " : "", c == cols - 1 ? 0 : width[c], cell[i * (size_t)cols + c]);
            free(cell[i * (size_t)cols + c]);
        }
        printf("\n");
    }
    free(cell);
    free(width);
    if (k == 0) printf("(no completed trial yet)\n");
    free(order);
    store_close(st);
    experiment_free(e);
    return EXIT_OK;
}

/* A CSV field: control characters escaped (escape_controls: a reason
 * from a trial's stderr must not reach a terminal or spreadsheet raw),
 * quoted when it holds a comma or quote. */
static void csv_field(const char *raw)
{
    char *esc = escape_controls(raw);
    const char *s = esc;
    if (!strpbrk(s, ",\"")) {
        fputs(s, stdout);
    } else {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"') putchar('"');
            putchar(*s);
        }
        putchar('"');
    }
    free(esc);
}

static void csv_double(double v)
{
    char buf[64];
    if (isnan(v)) return;   /* empty field: pandas reads NaN */
    format_double(buf, sizeof buf, v);
    fputs(buf, stdout);
}

static void export_trials(const hpo_spec *spec, hpo_store *st)
{
    printf("trial_id,round,array_index,parent_id,status,objective,budget,runtime_s,exit_code,signal,node,reason");
    for (int p = 0; p < spec->space.n; p++) printf(",%s", spec->space.params[p].name);
    printf("\n");
    const hpo_trial_row *t = store_trials(st);
    for (size_t i = 0; i < store_n_trials(st); i++) {
        printf("%lld,%d,%d,%lld,%s,", (long long)t[i].trial_id, t[i].round, t[i].array_index,
               (long long)t[i].parent_id, t[i].status);
        csv_double(t[i].objective); putchar(',');
        csv_double(t[i].budget); putchar(',');
        csv_double(t[i].runtime_s);
        printf(",%d,%d,", t[i].exit_code, t[i].signal);
        csv_field(t[i].node); putchar(',');
        csv_field(t[i].reason);
        for (int p = 0; p < spec->space.n; p++) {
            char v[256];
            space_format_value(&spec->space.params[p], store_config(st, p)[i], v, sizeof v);
            putchar(',');
            csv_field(v);
        }
        putchar('\n');
    }
}

static int export_curves(hpo_store *st)
{
    hpo_curve_row *rows = NULL;
    size_t n = 0;
    int r = store_read_curves(st, &rows, &n);
    if (r != 0) return r;
    printf("trial_id,step,metric,value,time\n");
    for (size_t i = 0; i < n; i++) {
        printf("%lld,%lld,", (long long)rows[i].trial_id, (long long)rows[i].step);
        csv_field(rows[i].metric);
        putchar(',');
        csv_double(rows[i].value);
        putchar(',');
        csv_double(rows[i].time);
        putchar('\n');
    }
    free(rows);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"csv", no_argument, 0, 'c'}, {"curves", no_argument, 0, 'u'}, {0, 0, 0, 0}};
    int curves = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'u') curves = 1;
        else if (c != 'c') return cli_usage("export", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("export", "expected EXP");
    hpo_experiment *e = NULL;
    hpo_store *st = NULL;
    int r = cli_open_results(argv[optind], &e, &st);
    if (r != 0) return cli_fail(r);
    if (curves) r = export_curves(st);
    else export_trials(e->spec, st);
    store_close(st);
    experiment_free(e);
    return r != 0 ? cli_fail(r) : EXIT_OK;
}
