/*
 * test_spec.c -- unit tests of lib/spec/spec.c, the spec parser.
 *
 * Two halves, both driven by the corpus in tests/specs (see its README):
 * every tests/specs/bad/NN-*.yaml must be refused with exactly the one-line
 * message in its .err file, and every .yaml in tests/specs/good must parse,
 * with selected fields checked here.  Run from the repository root, as
 * `make test` does: the specs are named by paths relative to it, and those
 * paths appear verbatim in the messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/spec.h"
#include "core/util.h"
#include "spec/slurm_units.h"

#define MIN_BAD_SPECS 35

/* The .err file's text without trailing whitespace (NULL if unreadable). */
static char *expected_error(const char *yaml_path)
{
    char err_path[PATH_MAX];
    size_t n = strlen(yaml_path);
    snprintf(err_path, sizeof err_path, "%.*s.err", (int)(n - 5), yaml_path);
    char *text = NULL;
    size_t len = 0;
    if (read_file(err_path, &text, &len) != HPO_OK) return NULL;
    while (len > 0 && isspace((unsigned char)text[len - 1])) text[--len] = '\0';
    return text;
}

/* Print where two messages first differ, so a mismatch is easy to read. */
static void print_diff(const char *file, const char *want, const char *got)
{
    size_t i = 0;
    while (want[i] && want[i] == got[i]) i++;
    fprintf(stderr, "MISMATCH %s\n  expected: %s\n  got:      %s\n  differ at column %zu: ", file, want, got,
            i + 1);
    fprintf(stderr, "expected \"%.20s\", got \"%.20s\"\n", want + i, got + i);
}

static void test_bad_corpus(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("tests/specs/bad/*.yaml", 0, NULL, &g), 0);
    int failures = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *file = g.gl_pathv[i];
        char *want = expected_error(file);
        if (!want) {
            fprintf(stderr, "MISSING %s: no .err file next to it\n", file);
            failures++;
            continue;
        }
        hpo_spec *spec = NULL;
        int rc = spec_load(&spec, file);
        if (rc != HPO_ESPEC) {
            fprintf(stderr, "WRONG CODE %s: spec_load returned %d, want HPO_ESPEC (%d): %s\n", file, rc,
                    HPO_ESPEC, rc ? hpo_error_last() : "(accepted)");
            failures++;
        } else if (strcmp(want, hpo_error_last()) != 0) {
            print_diff(file, want, hpo_error_last());
            failures++;
        }
        assert_null(spec);
        spec_free(spec);
        free(want);
    }
    fprintf(stderr, "bad specs: %zu files, %d failures\n", g.gl_pathc, failures);
    assert_true(g.gl_pathc >= MIN_BAD_SPECS);
    globfree(&g);
    assert_int_equal(failures, 0);
}

/* Every good spec parses; hparam*.yaml are PaddleHub spaces that specs
 * include, not specs, and must be refused with the PaddleHub hint. */
static void test_good_corpus(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("tests/specs/good/*.yaml", 0, NULL, &g), 0);
    int specs = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *file = g.gl_pathv[i];
        hpo_spec *spec = NULL;
        int rc = spec_load(&spec, file);
        if (strncmp(strrchr(file, '/') + 1, "hparam", 6) == 0) {
            assert_int_equal(rc, HPO_ESPEC);
            assert_non_null(strstr(hpo_error_last(), ":1:1: command: missing; a PaddleHub hparam.yaml"));
            continue;
        }
        if (rc != HPO_OK) fprintf(stderr, "REFUSED %s: %s\n", file, hpo_error_last());
        assert_int_equal(rc, HPO_OK);
        assert_string_equal(spec->path, file);
        assert_int_equal(strlen(spec->sha256), 64);
        assert_int_equal(strspn(spec->sha256, "0123456789abcdef"), 64);
        assert_true(spec->dir[0] == '/');
        assert_true(spec->workdir[0] == '/');
        assert_non_null(spec->argv);
        assert_null(spec->argv[spec->argc]);
        assert_true(spec->space.n >= 1);
        spec_free(spec);
        specs++;
    }
    globfree(&g);
    assert_true(specs >= 5);
}

static hpo_spec *load_ok(const char *path)
{
    hpo_spec *spec = NULL;
    int rc = spec_load(&spec, path);
    if (rc != HPO_OK) fprintf(stderr, "%s\n", hpo_error_last());
    assert_int_equal(rc, HPO_OK);
    return spec;
}

/* The directory the specs live in, absolute, like spec->dir. */
static char *good_dir(void)
{
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    return xasprintf("%s/tests/specs/good", cwd);
}

static void test_full(void **state)
{
    (void)state;
    hpo_spec *s = load_ok("tests/specs/good/full.yaml");
    char *dir = good_dir();
    assert_string_equal(s->dir, dir);
    char *work = xasprintf("%s/work", dir);
    assert_string_equal(s->workdir, work);   /* ../good/work, normalized */
    free(work);
    free(dir);

    assert_string_equal(s->name, "mlp-digits");
    assert_int_equal(s->argc, 15);
    assert_string_equal(s->argv[0], "./train");
    assert_string_equal(s->argv[2], "{lr}");          /* placeholders are kept */
    assert_string_equal(s->argv[12], "{epochs}");
    assert_string_equal(s->argv[14], "1e-3");         /* numbers as written */

    const hpo_space *sp = &s->space;
    assert_int_equal(sp->n, 7);
    const hpo_param *lr = &sp->params[0], *hidden = &sp->params[1], *batch = &sp->params[2];
    const hpo_param *opt = &sp->params[3], *mom = &sp->params[4], *beta2 = &sp->params[5];
    const hpo_param *layers = &sp->params[6];
    assert_string_equal(lr->name, "lr");
    assert_int_equal(lr->type, HPO_PARAM_FLOAT);
    assert_true(lr->low == 1.0e-4 && lr->high == 1.0 && lr->log);
    assert_int_equal(lr->line, 7);
    assert_int_equal(lr->col, 3);
    assert_int_equal(lr->cond.parent, -1);
    assert_null(lr->when);
    assert_int_equal(lr->role, HPO_ROLE_NUISANCE);
    assert_int_equal(hidden->type, HPO_PARAM_INT);
    assert_true(hidden->low == 16 && hidden->high == 512 && hidden->log);
    assert_int_equal(hidden->grid_points, 4);
    assert_int_equal(batch->type, HPO_PARAM_CHOICE);
    assert_int_equal(batch->n_choices, 4);
    assert_string_equal(batch->choices[3], "256");
    assert_int_equal(opt->role, HPO_ROLE_SCIENTIFIC);
    assert_int_equal(beta2->role, HPO_ROLE_FIXED);

    /* momentum: when "optimizer == sgd" */
    assert_string_equal(mom->when, "optimizer == sgd");
    assert_int_equal(mom->cond.parent, 3);
    assert_int_equal(mom->cond.negate, 0);
    assert_int_equal(mom->cond.n_values, 1);
    assert_true(mom->cond.values[0] == 0);
    /* beta2: when "optimizer not in [sgd, 'rmsprop']" */
    assert_int_equal(beta2->cond.parent, 3);
    assert_int_equal(beta2->cond.negate, 1);
    assert_int_equal(beta2->cond.n_values, 2);
    assert_true(beta2->cond.values[0] == 0 && beta2->cond.values[1] == 2);
    /* layers: when "hidden != 16" (a numeric parent) */
    assert_int_equal(layers->cond.parent, 1);
    assert_int_equal(layers->cond.negate, 1);
    assert_true(layers->cond.n_values == 1 && layers->cond.values[0] == 16);
    double cfg[7] = {0.1, 16, 0, 0, 0.9, NAN, NAN};
    assert_true(space_is_active(sp, 4, cfg));
    assert_false(space_is_active(sp, 5, cfg));
    assert_false(space_is_active(sp, 6, cfg));

    assert_string_equal(s->metric, "val_acc");
    assert_true(s->maximize && s->has_target && s->target == 0.99 && s->reduce_best);
    assert_true(s->fidelity.enabled);
    assert_string_equal(s->fidelity.param, "epochs");
    assert_true(s->fidelity.min == 1 && s->fidelity.max == 81 && s->fidelity.eta == 3);
    assert_string_equal(s->algorithm, "hyperband");
    assert_int_equal(s->algorithm_line, 21);
    assert_int_equal(s->n_options, 2);
    assert_string_equal(s->options[0].key, "popsize");
    assert_string_equal(s->options[1].value, "0.3");
    assert_true(s->max_trials == 300 && s->max_rounds == 40 && s->max_failed == 0 && s->max_hours == 24);
    assert_true(s->round_size == 32 && s->max_concurrent == 8);
    assert_string_equal(s->slurm.partition, "gpu");
    assert_string_equal(s->slurm.gres, "gpu:a100:1");
    assert_int_equal(s->slurm.cpus_per_task, 4);
    assert_string_equal(s->slurm.mem, "16G");
    assert_string_equal(s->slurm.time, "1-12:00:00");
    assert_string_equal(s->slurm.account, "myproj");
    assert_string_equal(s->slurm.qos, "normal");
    assert_string_equal(s->slurm.signal, "SIGUSR2");
    assert_int_equal(s->slurm.n_extra, 2);
    assert_string_equal(s->slurm.extra[1], "--exclusive");
    assert_true(s->seed == 7);

    /* the bytes are kept whole, for the frozen copy */
    char *bytes;
    size_t len;
    assert_int_equal(read_file("tests/specs/good/full.yaml", &bytes, &len), HPO_OK);
    assert_int_equal(s->yaml_len, len);
    assert_memory_equal(s->yaml, bytes, len);
    char sha[65];
    sha256_hex(bytes, len, sha);
    assert_string_equal(s->sha256, sha);
    free(bytes);
    spec_free(s);
}

static void test_defaults(void **state)
{
    (void)state;
    hpo_spec *s = load_ok("tests/specs/good/minimal.yaml");
    char *dir = good_dir();
    assert_string_equal(s->workdir, dir);   /* default: the spec's directory */
    free(dir);
    assert_int_equal(s->space.params[0].type, HPO_PARAM_FLOAT);
    assert_true(s->space.params[0].low == -5 && !s->space.params[0].log);
    assert_int_equal(s->space.params[0].grid_points, 0);
    assert_false(s->maximize);
    assert_false(s->has_target);
    assert_false(s->reduce_best);
    assert_string_equal(s->algorithm, "auto");   /* the default: picked by the space and budget */
    assert_int_equal(s->n_options, 0);
    assert_int_equal(s->max_trials, 100);
    assert_int_equal(s->max_rounds, 0);
    assert_int_equal(s->max_failed, 10);
    assert_true(s->max_hours == 0);
    assert_int_equal(s->round_size, 8);
    assert_int_equal(s->max_concurrent, 4);
    assert_false(s->fidelity.enabled);
    assert_null(s->slurm.partition);
    assert_null(s->slurm.time);
    assert_int_equal(s->slurm.cpus_per_task, 0);
    assert_int_equal(s->slurm.n_extra, 0);
    assert_true(s->seed == 0);
    spec_free(s);
}

static void test_string_command(void **state)
{
    (void)state;
    hpo_spec *s = load_ok("tests/specs/good/string-command.yaml");
    const char *want[] = {"./run.sh", "--name", "two words", "--msg", "say \"hi\"",
                          "--opt={opt}", "--json={{\"k\": 1}}", "a b"};
    assert_int_equal(s->argc, 8);
    for (int i = 0; i < 8; i++) assert_string_equal(s->argv[i], want[i]);
    assert_string_equal(s->name, "string.cmd-1");
    assert_string_equal(s->algorithm, "grid");   /* `algorithm: grid`, the short form */
    const hpo_param *n = &s->space.params[1];
    assert_int_equal(n->type, HPO_PARAM_INT);
    assert_int_equal(n->cond.parent, 0);
    assert_false(n->cond.negate);
    assert_true(n->cond.n_values == 1 && n->cond.values[0] == 0);
    assert_string_equal(s->slurm.time, "30");
    spec_free(s);
}

static void test_paddlehub(void **state)
{
    (void)state;
    hpo_spec *s = load_ok("tests/specs/good/paddlehub-inline.yaml");
    assert_int_equal(s->space.n, 2);
    const hpo_param *lr = &s->space.params[0], *bs = &s->space.params[1];
    assert_string_equal(lr->name, "learning_rate");
    assert_int_equal(lr->type, HPO_PARAM_FLOAT);
    assert_true(lr->low == 0.000005 && lr->high == 0.05);   /* greater_than, lower_than */
    assert_true(lr->has_init && lr->init == 0.001);
    assert_int_equal(bs->type, HPO_PARAM_INT);
    assert_true(bs->low == 10 && bs->high == 20 && bs->has_init && bs->init == 12);
    assert_int_equal(bs->cond.parent, -1);
    spec_free(s);

    s = load_ok("tests/specs/good/paddlehub-file.yaml");
    assert_int_equal(s->space.n, 2);
    assert_string_equal(s->space.params[1].name, "warmup_prop");
    assert_true(s->space.params[1].low == 0 && s->space.params[1].high == 0.3);
    assert_true(s->space.params[1].has_init && s->space.params[1].init == 0.1);
    assert_int_equal(s->argc, 6);
    assert_string_equal(s->argv[3], "{learning_rate}");
    assert_string_equal(s->algorithm, "tpe");
    spec_free(s);
}

static void test_options(void **state)
{
    (void)state;
    hpo_spec *s = load_ok("tests/specs/good/full.yaml");
    long l = 0;
    double d = 0;
    assert_non_null(spec_option(s, "popsize"));
    assert_null(spec_option(s, "missing"));
    assert_int_equal(spec_option_long(s, "popsize", 4, 1, 10000, &l), HPO_OK);
    assert_int_equal(l, 8);
    assert_int_equal(spec_option_long(s, "missing", 4, 1, 10000, &l), HPO_OK);
    assert_int_equal(l, 4);
    assert_int_equal(spec_option_double(s, "sigma", 1, 0, 1, &d), HPO_OK);
    assert_true(d == 0.3);
    assert_int_equal(spec_option_long(s, "popsize", 4, 10, 100, &l), HPO_ESPEC);
    assert_string_equal(hpo_error_last(),
                        "tests/specs/good/full.yaml:21:39: algorithm.popsize: expected an integer in [10, 100], got 8");
    assert_int_equal(spec_option_long(s, "sigma", 4, 1, 10, &l), HPO_ESPEC);
    assert_string_equal(hpo_error_last(),
                        "tests/specs/good/full.yaml:21:49: algorithm.sigma: expected an integer in [1, 10], got \"0.3\"");
    assert_int_equal(spec_option_double(s, "sigma", 1, 0.5, 2, &d), HPO_ESPEC);
    assert_string_equal(hpo_error_last(),
                        "tests/specs/good/full.yaml:21:49: algorithm.sigma: expected a number in [0.5, 2], got 0.3");
    spec_free(s);
}

static void test_missing_file(void **state)
{
    (void)state;
    hpo_spec *s = (hpo_spec *)1;
    assert_int_equal(spec_load(&s, "tests/specs/no-such-spec.yaml"), HPO_ENOTFOUND);
    assert_null(s);
    assert_string_equal(hpo_error_last(), "tests/specs/no-such-spec.yaml: cannot open: No such file or directory");
}

/* spec_parse names the bytes by the path given, and takes its directory
 * from it, without reading anything. */
static void test_parse_bytes(void **state)
{
    (void)state;
    const char *yaml = "name: m\ncommand: run {x}\nspace: {x: {type: int, low: 0, high: 3}}\n"
                       "objective: {metric: m}\nworkdir: /tmp/./w/../work\n";
    hpo_spec *s = NULL;
    assert_int_equal(spec_parse(&s, "/nowhere/spec.yaml", yaml, strlen(yaml)), HPO_OK);
    assert_string_equal(s->dir, "/nowhere");
    assert_string_equal(s->workdir, "/tmp/work");
    assert_int_equal(s->argc, 2);
    spec_free(s);

    const char *bad = "name: m\ncommand: run\nspace: {x: {type: int, low: 0, high: 3}}\nobjective: {metric: m}\n"
                      "seed: 1.5\n";
    assert_int_equal(spec_parse(&s, "inline.yaml", bad, strlen(bad)), HPO_ESPEC);
    assert_string_equal(hpo_error_last(), "inline.yaml:5:7: seed: expected an integer >= 0, got \"1.5\"");
    assert_null(s);
}

/* The one parser of Slurm's --time and --mem (spec/slurm_units.h): what
 * the spec accepts converts, and what would overflow is refused. */
static void test_slurm_units(void **state)
{
    (void)state;
    static const struct { const char *t; int min; } times[] = {
        {"0", 0}, {"90", 90}, {"1:30", 2}, {"1:00", 1}, {"01:00:00", 60}, {"1:00:01", 61},
        {"1-0", 1440}, {"2-03", 2 * 1440 + 180}, {"2-3:04", 2 * 1440 + 184}, {"2-3:4:5", 2 * 1440 + 185},
        {"35791394", 35791394},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        int m = -7;
        assert_int_equal(slurm_time_parse(times[i].t, &m), 0);
        assert_int_equal(m, times[i].min);
    }
    const char *bad[] = {"", "2h", "1:60", "1:2:3:4", "1-24", "1-1:60", "-5", "1--2", ":", "1:", "a", NULL};
    for (int i = 0; bad[i]; i++) assert_int_equal(slurm_time_parse(bad[i], NULL), HPO_SLURM_UNIT_BAD);
    const char *huge[] = {"999999999-0", "35791395", "99999999999999999999", "24856-0", NULL};
    for (int i = 0; huge[i]; i++) assert_int_equal(slurm_time_parse(huge[i], NULL), HPO_SLURM_UNIT_RANGE);

    static const struct { const char *m; long long mib; } mems[] = {
        {"500", 500}, {"500M", 500}, {"16G", 16384}, {"16g", 16384}, {"1T", 1048576}, {"1K", 1}, {"2048K", 2},
    };
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++) {
        long long v = -7;
        assert_int_equal(slurm_mem_parse(mems[i].m, &v), 0);
        assert_int_equal(v, mems[i].mib);
    }
    assert_int_equal(slurm_mem_parse("16GB", NULL), HPO_SLURM_UNIT_BAD);
    assert_int_equal(slurm_mem_parse("G", NULL), HPO_SLURM_UNIT_BAD);
    assert_int_equal(slurm_mem_parse("", NULL), HPO_SLURM_UNIT_BAD);
    assert_int_equal(slurm_mem_parse("99999999999T", NULL), HPO_SLURM_UNIT_RANGE);
    assert_int_equal(slurm_mem_parse("9999999999999999999999", NULL), HPO_SLURM_UNIT_RANGE);
}

/* The retry policy (spec_max_attempts): a spec without `retries` gives a
 * failed trial 1 attempt and a node failure or checkpointed time-out 3;
 * `retries: N` gives both N + 1. */
static void test_retry_policy(void **state)
{
    (void)state;
    const char *base = "name: r\ncommand: [./t]\nspace:\n  x: {type: float, low: 0, high: 1}\n"
                       "objective: {metric: loss}\n";
    hpo_spec *s = NULL;
    assert_int_equal(spec_parse(&s, "r.yaml", base, strlen(base)), 0);
    assert_int_equal(spec_max_attempts(s, 0), 1);
    assert_int_equal(spec_max_attempts(s, 1), HPO_INFRA_RETRIES_DEFAULT + 1);
    assert_int_equal(spec_max_attempts(s, 1), 3);
    spec_free(s);
    for (int n = 0; n <= 4; n += 4) {
        char *y = xasprintf("%sretries: %d\n", base, n);
        assert_int_equal(spec_parse(&s, "r.yaml", y, strlen(y)), 0);
        assert_int_equal(spec_max_attempts(s, 0), n + 1);
        assert_int_equal(spec_max_attempts(s, 1), n + 1);
        spec_free(s);
        free(y);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_corpus),   cmocka_unit_test(test_good_corpus),
        cmocka_unit_test(test_full),         cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_string_command), cmocka_unit_test(test_paddlehub),
        cmocka_unit_test(test_options),      cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_parse_bytes),  cmocka_unit_test(test_slurm_units),
        cmocka_unit_test(test_retry_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
