/*
 * test_store.c -- unit tests of lib/store/results.c (results.h5): every value
 * round-trips exactly (inactive parameters and NaN included), rows are
 * overwritten by id, gaps are refused, an interrupted writer and a foreign
 * format_version are reported as HPO_ECORRUPT, a missing file as
 * HPO_ENOTFOUND, and h5py reads what C wrote (tests/integration/
 * store_h5py_check.py, skipped where /usr/bin/python3 has no h5py, but a
 * failure under CI=true, where make deps has installed it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/results.h"
#include "core/util.h"

#define N_PARAMS 5
enum { P_LR, P_LAYERS, P_OPT, P_MOMENTUM, P_WARMUP };

typedef struct fixture {
    char dir[64];
    char *path;
    hpo_spec spec;
    hpo_param params[N_PARAMS];
    double sgd[1];
} fixture;

static char *choices[] = { "sgd", "adam", "rmsprop" };

/* A spec built by hand: lr (float, log), layers (int), opt (choice),
 * momentum (float, only when opt == sgd), warmup (int, only when opt != sgd). */
static void build_spec(fixture *fx)
{
    hpo_spec *s = &fx->spec;
    memset(s, 0, sizeof *s);
    s->name = "unit-store";
    s->yaml = "name: unit-store\nsearch_space:\n  lr: {type: float, low: 1e-5, high: 1, log: true}\n";
    s->yaml_len = strlen(s->yaml);
    sha256_hex(s->yaml, s->yaml_len, s->sha256);
    s->metric = "val_loss";
    s->maximize = 0;
    s->seed = UINT64_C(18446744073709551557);   /* > INT64_MAX: must stay unsigned */
    memset(fx->params, 0, sizeof fx->params);
    fx->sgd[0] = 0;
    hpo_param *p = fx->params;
    p[P_LR] = (hpo_param){ .name = "lr", .type = HPO_PARAM_FLOAT, .low = 1e-5, .high = 1,
                           .log = 1, .cond = { .parent = -1 } };
    p[P_LAYERS] = (hpo_param){ .name = "layers", .type = HPO_PARAM_INT, .low = 1, .high = 8,
                               .cond = { .parent = -1 } };
    p[P_OPT] = (hpo_param){ .name = "opt", .type = HPO_PARAM_CHOICE, .n_choices = 3,
                            .choices = choices, .cond = { .parent = -1 } };
    p[P_MOMENTUM] = (hpo_param){ .name = "momentum", .type = HPO_PARAM_FLOAT, .low = 0,
                                 .high = 0.99, .when = "opt == sgd",
                                 .cond = { .parent = P_OPT, .n_values = 1, .values = fx->sgd } };
    p[P_WARMUP] = (hpo_param){ .name = "warmup", .type = HPO_PARAM_INT, .low = 0,
                               .high = 1000, .when = "opt != sgd",
                               .cond = { .parent = P_OPT, .negate = 1, .n_values = 1,
                                         .values = fx->sgd } };
    s->space.n = N_PARAMS;
    s->space.params = fx->params;
}

static int setup(void **state)
{
    fixture *fx = xcalloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_store.XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    fx->path = path_join(fx->dir, "results.h5");
    build_spec(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char *cmd = xasprintf("rm -rf '%s'", fx->dir);
    int r = system(cmd);
    free(cmd);
    free(fx->path);
    free(fx);
    return r == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ test data */

#define N_TRIALS 5

static hpo_trial_row make_trial(int64_t id)
{
    hpo_trial_row t;
    memset(&t, 0, sizeof t);
    t.trial_id = id;
    t.round = (int32_t)(id / 3);
    t.array_index = (int32_t)(id % 3);
    t.parent_id = id == 4 ? 1 : -1;
    t.budget = id == 0 ? NAN : 0.25 * (double)(id + 1);
    snprintf(t.status, sizeof t.status, "%s", id == 1 ? "failed" : "completed");
    t.objective = id == 1 ? NAN : 1.0 / (double)(id + 3);
    t.exit_code = id == 1 ? -1 : 0;
    t.signal = id == 1 ? 9 : 0;
    t.slurm_job_id = id == 2 ? -1 : INT64_C(1234567890123) + id;
    snprintf(t.node, sizeof t.node, "node%03d", (int)id);
    t.start_time = 1700000000.123456 + (double)id;
    t.end_time = t.start_time + 60.5;
    t.runtime_s = id == 3 ? NAN : 60.5;
    t.max_rss_kb = INT64_C(1) << (20 + id % 20);
    snprintf(t.gpu, sizeof t.gpu, "%s", id == 0 ? "" : "NVIDIA H100 80GB HBM3");
    /* Fill one string to its last byte, to check nothing is cut off. */
    memset(t.reason, 'r', sizeof t.reason - 1);
    if (id == 1) snprintf(t.reason, sizeof t.reason, "killed by signal 9 (out of memory?)");
    if (id == 0) memset(t.status, 's', sizeof t.status - 1);
    return t;
}

/* Trial configurations; NaN where a parameter is inactive. */
static const double configs[N_TRIALS][N_PARAMS] = {
    { 1e-3, 4, 1, NAN, 100 },                      /* adam: momentum inactive */
    { 0.1, 1, 0, 0.9, NAN },                       /* sgd: warmup inactive */
    { 1e-5, 8, 2, NAN, 0 },
    { 0.123456789012345678, 2, 0, 0.0, NAN },
    { 1.0, 3, 1, NAN, 1000 },
};

static void config_ptrs(const double *ptrs[N_TRIALS])
{
    for (int i = 0; i < N_TRIALS; i++) ptrs[i] = configs[i];
}

static hpo_round_row make_round(int32_t r)
{
    hpo_round_row row;
    memset(&row, 0, sizeof row);
    row.round = r;
    snprintf(row.kind, sizeof row.kind, "%s", r == 0 ? "random" : "rung");
    row.array_job_id = r == 0 ? -1 : 4242;
    row.driver_job_id = -1;
    row.n_trials = 3;
    row.submitted_at = 1700000000.5 + r;
    row.finished_at = r == 1 ? NAN : 1700000100.25;
    return row;
}

static hpo_curve_row make_curve(size_t i)
{
    hpo_curve_row c;
    memset(&c, 0, sizeof c);
    c.trial_id = (int64_t)(i / 4);
    c.step = (int64_t)(i % 4);
    snprintf(c.metric, sizeof c.metric, "%s", i % 2 ? "val_loss" : "val_acc");
    c.value = i == 5 ? NAN : i == 6 ? INFINITY : 1.0 / (double)(i + 1);
    c.time = 1700000000.0 + 0.001 * (double)i;
    return c;
}

/* -------------------------------------------------------------- helpers */

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

#define assert_same_double(a, b) assert_true(same_double((a), (b)))

static void assert_trial_equal(const hpo_trial_row *a, const hpo_trial_row *b)
{
    assert_int_equal(a->trial_id, b->trial_id);
    assert_int_equal(a->round, b->round);
    assert_int_equal(a->array_index, b->array_index);
    assert_int_equal(a->parent_id, b->parent_id);
    assert_same_double(a->budget, b->budget);
    assert_string_equal(a->status, b->status);
    assert_same_double(a->objective, b->objective);
    assert_int_equal(a->exit_code, b->exit_code);
    assert_int_equal(a->signal, b->signal);
    assert_int_equal(a->slurm_job_id, b->slurm_job_id);
    assert_string_equal(a->node, b->node);
    assert_same_double(a->start_time, b->start_time);
    assert_same_double(a->end_time, b->end_time);
    assert_same_double(a->runtime_s, b->runtime_s);
    assert_int_equal(a->max_rss_kb, b->max_rss_kb);
    assert_string_equal(a->gpu, b->gpu);
    assert_string_equal(a->reason, b->reason);
}

static void assert_round_equal(const hpo_round_row *a, const hpo_round_row *b)
{
    assert_int_equal(a->round, b->round);
    assert_string_equal(a->kind, b->kind);
    assert_int_equal(a->array_job_id, b->array_job_id);
    assert_int_equal(a->driver_job_id, b->driver_job_id);
    assert_int_equal(a->n_trials, b->n_trials);
    assert_same_double(a->submitted_at, b->submitted_at);
    assert_same_double(a->finished_at, b->finished_at);
}

static void assert_curve_equal(const hpo_curve_row *a, const hpo_curve_row *b)
{
    assert_int_equal(a->trial_id, b->trial_id);
    assert_int_equal(a->step, b->step);
    assert_string_equal(a->metric, b->metric);
    assert_same_double(a->value, b->value);
    assert_same_double(a->time, b->time);
}

static void assert_error_contains(const char *needle)
{
    if (!strstr(hpo_error_last(), needle))
        fail_msg("error \"%s\" does not contain \"%s\"", hpo_error_last(), needle);
}

#define N_CURVES 10

/* A file holding N_TRIALS trials, 2 rounds, N_CURVES curve points (written
 * in two appends) and a stop_reason attribute. */
static void write_sample(fixture *fx)
{
    assert_int_equal(store_create(fx->path, &fx->spec), 0);
    hpo_store *st;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 1), 0);
    hpo_trial_row rows[N_TRIALS];
    const double *cfg[N_TRIALS];
    for (int i = 0; i < N_TRIALS; i++) rows[i] = make_trial(i);
    config_ptrs(cfg);
    assert_int_equal(store_put_trials(st, rows, cfg, 3), 0);
    assert_int_equal(store_put_trials(st, rows + 3, cfg + 3, 2), 0);
    for (int r = 0; r < 2; r++) {
        hpo_round_row rr = make_round(r);
        assert_int_equal(store_put_round(st, &rr), 0);
    }
    hpo_curve_row curves[N_CURVES];
    for (size_t i = 0; i < N_CURVES; i++) curves[i] = make_curve(i);
    assert_int_equal(store_append_curves(st, curves, 4), 0);
    assert_int_equal(store_append_curves(st, curves + 4, N_CURVES - 4), 0);
    assert_int_equal(store_set_attr(st, "stop_reason", "max_trials reached"), 0);
    assert_int_equal(store_close(st), 0);
}

/* Set a root integer attribute behind the store's back. */
static void poke_root_int(const char *path, const char *name, int32_t v)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, H5T_NATIVE_INT32, &v) >= 0);
    H5Aclose(a);
    assert_true(H5Fclose(f) >= 0);
}

/* ---------------------------------------------------------------- tests */

static void test_roundtrip(void **state)
{
    fixture *fx = *state;
    write_sample(fx);

    hpo_store *st;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), 0);
    assert_int_equal(store_n_trials(st), N_TRIALS);
    for (int i = 0; i < N_TRIALS; i++) {
        hpo_trial_row want = make_trial(i);
        assert_trial_equal(&store_trials(st)[i], &want);
    }
    for (int p = 0; p < N_PARAMS; p++) {
        const double *col = store_config(st, p);
        assert_non_null(col);
        for (int i = 0; i < N_TRIALS; i++) assert_same_double(col[i], configs[i][p]);
    }
    assert_null(store_config(st, N_PARAMS));
    assert_int_equal(store_n_rounds(st), 2);
    for (int r = 0; r < 2; r++) {
        hpo_round_row want = make_round(r);
        assert_round_equal(&store_rounds(st)[r], &want);
    }
    hpo_curve_row *curves;
    size_t n;
    assert_int_equal(store_read_curves(st, &curves, &n), 0);
    assert_int_equal(n, N_CURVES);
    for (size_t i = 0; i < n; i++) {
        hpo_curve_row want = make_curve(i);
        assert_curve_equal(&curves[i], &want);
    }
    free(curves);

    char *v;
    assert_int_equal(store_get_attr(st, "stop_reason", &v), 0);
    assert_string_equal(v, "max_trials reached");
    free(v);
    assert_int_equal(store_get_attr(st, "spec_yaml", &v), 0);
    assert_string_equal(v, fx->spec.yaml);
    free(v);
    assert_int_equal(store_get_attr(st, "spec_sha256", &v), 0);
    assert_string_equal(v, fx->spec.sha256);
    free(v);
    assert_int_equal(store_get_attr(st, "seed", &v), 0);
    assert_string_equal(v, "18446744073709551557");
    free(v);
    assert_int_equal(store_get_attr(st, "mode", &v), 0);
    assert_string_equal(v, "min");
    free(v);
    assert_int_equal(store_get_attr(st, "objective", &v), 0);
    assert_string_equal(v, "val_loss");
    free(v);
    assert_int_equal(store_get_attr(st, "created", &v), 0);
    assert_int_equal(strlen(v), 20);                 /* 2024-01-02T03:04:05Z */
    assert_int_equal(v[19], 'Z');
    free(v);
    assert_int_equal(store_get_attr(st, "no_such_attr", &v), HPO_ENOTFOUND);
    assert_null(v);
    assert_int_equal(store_close(st), 0);
}

/* What h5py sees must be what C wrote. */
static void test_h5py_reads_it(void **state)
{
    fixture *fx = *state;
    const char *script = "tests/integration/store_h5py_check.py";
    if (access(script, R_OK) != 0 ||
        system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) {
        /* CI installs h5py (make deps): there, a missing one is a failure */
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0)
            fail_msg("CI=true but no %s here or no h5py in /usr/bin/python3 (make deps installs python3-h5py)", script);
        print_message("skipped: no %s here or no h5py in /usr/bin/python3\n", script);
        skip();
    }
    write_sample(fx);
    char *cmd = xasprintf(
        "/usr/bin/python3 %s '%s' attr.format=hpo-results attr.format_version=1 "
        "attr.writing=0 attr.name=unit-store attr.objective=val_loss attr.mode=min "
        "attr.seed=18446744073709551557 attr.stop_reason='max_trials reached' "
        "len.trials=5 len.curves=10 len.rounds=2 "
        "trials.status[1]=failed trials.signal[1]=9 trials.objective[1]=nan "
        "trials.slurm_job_id[3]=1234567890126 trials.node[4]=node004 "
        "trials.start_time[2]=1700000002.123456 trials.max_rss_kb[4]=16777216 "
        "trials.status[0]=sssssssssssssss "
        "config.lr[3]=0.12345678901234568 config.layers[2]=8 config.opt[0]=adam "
        "config.opt[2]=rmsprop config.momentum[0]=none config.momentum[1]=0.9 "
        "config.warmup[1]=none config.warmup[4]=1000 "
        "curves.metric[1]=val_loss curves.value[5]=nan curves.value[6]=inf "
        "rounds.kind[1]=rung rounds.finished_at[1]=nan rounds.array_job_id[0]=-1",
        script, fx->path);
    int r = system(cmd);
    free(cmd);
    assert_int_equal(r, 0);
}

static void test_overwrite_and_append(void **state)
{
    fixture *fx = *state;
    write_sample(fx);
    hpo_store *st;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 1), 0);

    /* Trial 2 finishes: overwrite its row, keeping its configuration. */
    hpo_trial_row t2 = make_trial(2);
    snprintf(t2.status, sizeof t2.status, "timeout");
    t2.objective = 42.5;
    assert_int_equal(store_put_trials(st, &t2, NULL, 1), 0);
    /* Two new trials given out of order, and trial 0's config rewritten. */
    hpo_trial_row more[3] = { make_trial(6), make_trial(5), make_trial(0) };
    const double c6[N_PARAMS] = { 0.5, 5, 0, 0.5, NAN };
    const double c5[N_PARAMS] = { 0.25, 6, 2, NAN, 7 };
    const double c0[N_PARAMS] = { 0.75, 7, 1, NAN, 9 };
    const double *cfg[3] = { c6, c5, c0 };
    assert_int_equal(store_put_trials(st, more, cfg, 3), 0);
    assert_int_equal(store_n_trials(st), 7);
    hpo_round_row r1 = make_round(1);
    r1.finished_at = 1700000200.0;
    assert_int_equal(store_put_round(st, &r1), 0);
    hpo_round_row r2 = make_round(2);
    assert_int_equal(store_put_round(st, &r2), 0);
    assert_int_equal(store_close(st), 0);

    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), 0);
    assert_int_equal(store_n_trials(st), 7);
    assert_trial_equal(&store_trials(st)[2], &t2);
    for (int i = 0; i < 7; i++) {
        hpo_trial_row want = i == 2 ? t2 : make_trial(i);
        assert_trial_equal(&store_trials(st)[i], &want);
        const double *c = i == 0 ? c0 : i == 5 ? c5 : i == 6 ? c6 : configs[i];
        for (int p = 0; p < N_PARAMS; p++) assert_same_double(store_config(st, p)[i], c[p]);
    }
    assert_int_equal(store_n_rounds(st), 3);
    assert_round_equal(&store_rounds(st)[1], &r1);
    assert_round_equal(&store_rounds(st)[2], &r2);
    assert_int_equal(store_close(st), 0);
}

static void test_gaps_and_bad_values_refused(void **state)
{
    fixture *fx = *state;
    write_sample(fx);
    hpo_store *st;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 1), 0);
    const double *cfg[2] = { configs[0], configs[1] };

    hpo_trial_row gap = make_trial(N_TRIALS + 1);          /* skips trial 5 */
    assert_int_equal(store_put_trials(st, &gap, cfg, 1), HPO_ERROR);
    assert_error_contains("gap");
    hpo_trial_row two_gap[2] = { make_trial(N_TRIALS), make_trial(N_TRIALS + 2) };
    assert_int_equal(store_put_trials(st, two_gap, cfg, 2), HPO_ERROR);
    assert_error_contains("gap at trial 6");
    hpo_trial_row neg = make_trial(0);
    neg.trial_id = -3;
    assert_int_equal(store_put_trials(st, &neg, cfg, 1), HPO_ERROR);
    hpo_trial_row fresh = make_trial(N_TRIALS);            /* new row needs a config */
    assert_int_equal(store_put_trials(st, &fresh, NULL, 1), HPO_ERROR);
    assert_error_contains("needs its configuration");

    double bad[N_PARAMS];
    memcpy(bad, configs[0], sizeof bad);
    bad[P_OPT] = 3;                                        /* only 3 choices */
    const double *badp = bad;
    assert_int_equal(store_put_trials(st, &fresh, &badp, 1), HPO_ERROR);
    assert_error_contains("'opt'");
    bad[P_OPT] = 1;
    bad[P_LAYERS] = 2.5;                                   /* not an integer */
    assert_int_equal(store_put_trials(st, &fresh, &badp, 1), HPO_ERROR);
    assert_error_contains("'layers'");

    hpo_round_row r5 = make_round(5);
    assert_int_equal(store_put_round(st, &r5), HPO_ERROR);
    assert_error_contains("gap");

    /* Nothing of the refused calls was applied. */
    assert_int_equal(store_n_trials(st), N_TRIALS);
    assert_int_equal(store_n_rounds(st), 2);
    assert_int_equal(store_set_attr(st, "writing", "0"), HPO_ERROR);
    assert_int_equal(store_close(st), 0);

    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), 0);
    assert_int_equal(store_n_trials(st), N_TRIALS);
    hpo_trial_row t0 = make_trial(0);
    assert_trial_equal(&store_trials(st)[0], &t0);
    /* A read-only store refuses every write. */
    assert_int_equal(store_put_trials(st, &t0, NULL, 1), HPO_ERROR);
    assert_int_equal(store_put_round(st, &r5), HPO_ERROR);
    assert_int_equal(store_append_curves(st, NULL, 0), HPO_ERROR);
    assert_int_equal(store_set_attr(st, "x", "y"), HPO_ERROR);
    assert_error_contains("read-only");
    assert_int_equal(store_close(st), 0);
}

/* A writer killed between store_open and store_close leaves writing=1. */
static void test_interrupted_writer_is_corrupt(void **state)
{
    fixture *fx = *state;
    write_sample(fx);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hpo_store *st;
        if (store_open(&st, fx->path, &fx->spec, 1) != 0) _exit(1);
        hpo_trial_row t = make_trial(1);
        store_put_trials(st, &t, NULL, 1);
        _exit(0);                               /* "crash": no store_close */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    hpo_store *st = (hpo_store *)1;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 1), HPO_ECORRUPT);
    assert_null(st);
    assert_error_contains("a writer was interrupted mid-write");
    assert_error_contains(fx->path);
    assert_int_equal(store_open(&st, fx->path, NULL, 0), HPO_ECORRUPT);
}

static void test_writing_flag_set_directly(void **state)
{
    fixture *fx = *state;
    write_sample(fx);
    poke_root_int(fx->path, "writing", 1);
    hpo_store *st;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), HPO_ECORRUPT);
    assert_error_contains("interrupted");
    poke_root_int(fx->path, "writing", 0);
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), 0);
    assert_int_equal(store_close(st), 0);
}

static void test_wrong_format_version(void **state)
{
    fixture *fx = *state;
    write_sample(fx);
    poke_root_int(fx->path, "format_version", 2);
    hpo_store *st;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 1), HPO_EFORMAT);
    char *want = xasprintf("%s: format_version 2 is not supported (this hpo reads 1)", fx->path);
    assert_string_equal(hpo_error_last(), want);
    free(want);
}

static void test_missing_and_foreign_files(void **state)
{
    fixture *fx = *state;
    hpo_store *st;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), HPO_ENOTFOUND);
    assert_error_contains(fx->path);
    /* Not HDF5 at all. */
    assert_int_equal(write_file_atomic(fx->path, "hello\n", 6), 0);
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), HPO_ECORRUPT);
    assert_int_equal(store_create(fx->path, &fx->spec), HPO_ERROR);   /* exists */
    assert_error_contains("already exists");
    unlink(fx->path);
    /* HDF5, but not ours. */
    hid_t f = H5Fcreate(fx->path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    H5Fclose(f);
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), HPO_ECORRUPT);
    assert_error_contains("not an hpo results file");
}

static void test_spec_mismatch_and_no_spec(void **state)
{
    fixture *fx = *state;
    write_sample(fx);
    hpo_store *st;
    /* Without a spec: trials and rounds, no configs. */
    assert_int_equal(store_open(&st, fx->path, NULL, 0), 0);
    assert_int_equal(store_n_trials(st), N_TRIALS);
    assert_null(store_config(st, 0));
    assert_int_equal(store_close(st), 0);
    /* Writable without a spec: existing rows can be updated. */
    assert_int_equal(store_open(&st, fx->path, NULL, 1), 0);
    hpo_trial_row t = make_trial(3);
    snprintf(t.status, sizeof t.status, "pruned");
    assert_int_equal(store_put_trials(st, &t, NULL, 1), 0);
    assert_int_equal(store_close(st), 0);
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), 0);
    assert_string_equal(store_trials(st)[3].status, "pruned");
    assert_same_double(store_config(st, P_LR)[3], configs[3][P_LR]);
    assert_int_equal(store_close(st), 0);

    /* A parameter whose type changed. */
    fx->params[P_LAYERS].type = HPO_PARAM_FLOAT;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), HPO_ECORRUPT);
    assert_error_contains("layers");
    fx->params[P_LAYERS].type = HPO_PARAM_INT;
    /* Choices reordered. */
    char *other[] = { "adam", "sgd", "rmsprop" };
    fx->params[P_OPT].choices = other;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), HPO_ECORRUPT);
    assert_error_contains("choices");
    fx->params[P_OPT].choices = choices;
    /* One parameter fewer. */
    fx->spec.space.n = N_PARAMS - 1;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), HPO_ECORRUPT);
    fx->spec.space.n = N_PARAMS;
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), 0);
    assert_int_equal(store_close(st), 0);
}

/* While another process has the file open, store_open waits for it. */
static void test_busy_file_is_waited_for(void **state)
{
    fixture *fx = *state;
    write_sample(fx);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hpo_store *st;
        close(pfd[0]);
        if (store_open(&st, fx->path, &fx->spec, 1) != 0) _exit(1);
        if (write(pfd[1], "x", 1) != 1) _exit(2);
        struct timespec ts = { 0, 600000000L };
        nanosleep(&ts, NULL);
        _exit(store_close(st) == 0 ? 0 : 3);
    }
    close(pfd[1]);
    char c;
    assert_int_equal(read(pfd[0], &c, 1), 1);     /* the child holds the file */
    close(pfd[0]);
    double t0 = now_mono();
    hpo_store *st;
    int r = store_open(&st, fx->path, &fx->spec, 1);
    double waited = now_mono() - t0;
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (r != 0) fail_msg("store_open: %s", hpo_error_last());
    assert_true(waited > 0.2);
    assert_int_equal(store_n_trials(st), N_TRIALS);
    assert_int_equal(store_close(st), 0);
}

/* A bigger file: many appends, then everything reads back in order. */
static void test_many_rows(void **state)
{
    fixture *fx = *state;
    assert_int_equal(store_create(fx->path, &fx->spec), 0);
    hpo_store *st;
    enum { N = 3000, PER = 7 };
    for (int session = 0; session < 3; session++) {
        assert_int_equal(store_open(&st, fx->path, &fx->spec, 1), 0);
        for (int k = 0; k < N / 3; k++) {
            int id = session * (N / 3) + k;
            hpo_trial_row t = make_trial(id);
            double c[N_PARAMS] = { 1e-3 * (id + 1), id % 8 + 1, id % 3,
                                   id % 3 == 0 ? 0.5 : NAN, id % 3 ? id : NAN };
            const double *cp = c;
            assert_int_equal(store_put_trials(st, &t, &cp, 1), 0);
            hpo_curve_row cr[PER];
            for (int j = 0; j < PER; j++) {
                cr[j] = make_curve((size_t)j);
                cr[j].trial_id = id;
                cr[j].step = j;
            }
            assert_int_equal(store_append_curves(st, cr, PER), 0);
        }
        assert_int_equal(store_close(st), 0);
    }
    assert_int_equal(store_open(&st, fx->path, &fx->spec, 0), 0);
    assert_int_equal(store_n_trials(st), N);
    for (int id = 0; id < N; id++) {
        assert_int_equal(store_trials(st)[id].trial_id, id);
        assert_same_double(store_config(st, P_LR)[id], 1e-3 * (id + 1));
        assert_same_double(store_config(st, P_WARMUP)[id], id % 3 ? id : NAN);
    }
    hpo_curve_row *rows;
    size_t n;
    assert_int_equal(store_read_curves(st, &rows, &n), 0);
    assert_int_equal(n, (size_t)N * PER);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].trial_id, (int64_t)(i / PER));
        assert_int_equal(rows[i].step, (int64_t)(i % PER));
    }
    free(rows);
    assert_int_equal(store_close(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h5py_reads_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overwrite_and_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gaps_and_bad_values_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_writer_is_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writing_flag_set_directly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_format_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_foreign_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spec_mismatch_and_no_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_file_is_waited_for, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_rows, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
