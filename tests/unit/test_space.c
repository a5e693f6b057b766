/*
 * test_space.c -- the search space, the random streams and the optimizers:
 * bounds, log-uniformity (a chi-square test with a fixed seed), conditions,
 * grids, the Sobol' net property, and determinism of plans.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optimizers/optimizer.h"
#include "store/plan.h"
#include "spec/space.h"
#include "spec/spec.h"
#include "core/util.h"

/* lr: float log [1e-4, 1]; x: float [-2, 3]; n: int [1, 20];
 * hidden: int log [16, 512]; opt: choice {sgd, adam, rmsprop};
 * momentum: float [0.5, 0.9] when opt == sgd. */
static hpo_space make_space(void)
{
    hpo_space s = {.n = 6, .params = xcalloc(6, sizeof(hpo_param))};
    const char *names[] = {"lr", "x", "n", "hidden", "opt", "momentum"};
    for (int i = 0; i < 6; i++) {
        s.params[i].name = xstrdup(names[i]);
        s.params[i].cond.parent = -1;
    }
    s.params[0] = (hpo_param){.name = s.params[0].name, .type = HPO_PARAM_FLOAT, .low = 1e-4, .high = 1, .log = 1, .cond.parent = -1};
    s.params[1] = (hpo_param){.name = s.params[1].name, .type = HPO_PARAM_FLOAT, .low = -2, .high = 3, .cond.parent = -1};
    s.params[2] = (hpo_param){.name = s.params[2].name, .type = HPO_PARAM_INT, .low = 1, .high = 20, .cond.parent = -1};
    s.params[3] = (hpo_param){.name = s.params[3].name, .type = HPO_PARAM_INT, .low = 16, .high = 512, .log = 1, .cond.parent = -1};
    hpo_param *opt = &s.params[4];
    opt->type = HPO_PARAM_CHOICE;
    opt->n_choices = 3;
    opt->choices = xcalloc(3, sizeof(char *));
    opt->choices[0] = xstrdup("sgd");
    opt->choices[1] = xstrdup("adam");
    opt->choices[2] = xstrdup("rmsprop");
    hpo_param *mom = &s.params[5];
    mom->type = HPO_PARAM_FLOAT;
    mom->low = 0.5;
    mom->high = 0.9;
    mom->cond.parent = 4;
    mom->cond.n_values = 1;
    mom->cond.values = xcalloc(1, sizeof(double));
    mom->cond.values[0] = 0;   /* sgd */
    return s;
}

static void test_samples_in_bounds(void **state)
{
    (void)state;
    hpo_space s = make_space();
    hpo_rng rng;
    rng_seed(&rng, 42, 0, 0);
    double v[6];
    int seen_choice[3] = {0}, n_lo = 0, n_hi = 0;
    for (int k = 0; k < 20000; k++) {
        space_sample(&s, &rng, v);
        assert_true(v[0] >= 1e-4 && v[0] <= 1);
        assert_true(v[1] >= -2 && v[1] <= 3);
        assert_true(v[2] >= 1 && v[2] <= 20 && v[2] == floor(v[2]));
        assert_true(v[3] >= 16 && v[3] <= 512 && v[3] == floor(v[3]));
        assert_true(v[4] == 0 || v[4] == 1 || v[4] == 2);
        seen_choice[(int)v[4]]++;
        n_lo += v[2] == 1;
        n_hi += v[2] == 20;
        /* the conditional parameter exists exactly when opt == sgd */
        if (v[4] == 0) assert_true(v[5] >= 0.5 && v[5] <= 0.9);
        else assert_true(isnan(v[5]));
    }
    /* the end points of an int range are as likely as any other value */
    assert_in_range(n_lo, 700, 1300);
    assert_in_range(n_hi, 700, 1300);
    for (int c = 0; c < 3; c++) assert_in_range(seen_choice[c], 6000, 7333);
    space_free(&s);
}

static void test_log_scale_is_log_uniform(void **state)
{
    (void)state;
    hpo_space s = make_space();
    hpo_rng rng;
    rng_seed(&rng, 7, 0, 0);
    enum { N = 40000, BINS = 8 };
    int bins[BINS] = {0}, lin_bins[BINS] = {0};
    double v[6];
    for (int k = 0; k < N; k++) {
        space_sample(&s, &rng, v);
        int b = (int)((log10(v[0]) + 4) / 4 * BINS);   /* 8 bins over 4 decades */
        bins[b < BINS ? b : BINS - 1]++;
        int l = (int)((v[0] - 1e-4) / (1 - 1e-4) * BINS);
        lin_bins[l < BINS ? l : BINS - 1]++;
    }
    double chi2 = 0, expect = (double)N / BINS;
    for (int b = 0; b < BINS; b++) chi2 += (bins[b] - expect) * (bins[b] - expect) / expect;
    /* 7 degrees of freedom: P(chi2 > 24.3) = 0.001 */
    assert_true(chi2 < 24.3);
    /* on the linear axis most of the mass is in the first bin */
    assert_true(lin_bins[0] > N * 0.7);   /* log-uniform: 77.5%; uniform: 12.5% */
    space_free(&s);
}

static void test_encode_decode_roundtrip(void **state)
{
    (void)state;
    hpo_space s = make_space();
    hpo_rng rng;
    rng_seed(&rng, 1, 2, 3);
    double v[6], u[6], w[6];
    for (int k = 0; k < 5000; k++) {
        space_sample(&s, &rng, v);
        space_encode(&s, v, u);
        for (int i = 0; i < 6; i++) assert_true(u[i] >= 0 && u[i] <= 1);
        space_decode(&s, u, w);
        for (int i = 2; i < 5; i++) assert_true(v[i] == w[i]);   /* ints and choices exactly */
        for (int i = 0; i < 2; i++) assert_true(fabs(v[i] - w[i]) <= 1e-9 * fmax(1, fabs(v[i])));
        assert_true(isnan(v[5]) == isnan(w[5]));
    }
    space_free(&s);
}

static void test_grid(void **state)
{
    (void)state;
    hpo_space s = make_space();
    /* 5 lr x 5 x x 5 n x 5 hidden x (sgd: 5 momentum + adam + rmsprop) */
    assert_int_equal(space_grid_size(&s), 5 * 5 * 5 * 5 * 7);
    s.params[2].grid_points = 30;   /* more than the 20 integers: each once */
    assert_int_equal(space_grid_size(&s), 5 * 5 * 20 * 5 * 7);
    uint64_t size = space_grid_size(&s);
    double *all = xcalloc(size * 6, sizeof(double)), **rows = xcalloc(size, sizeof(double *));
    for (uint64_t k = 0; k < size; k++) rows[k] = all + 6 * k;
    assert_int_equal(space_grid_points(&s, 0, (int)size, rows), (int)size);
    double v[6];
    int momentum_points = 0;
    for (uint64_t k = 0; k < size; k++) {
        memcpy(v, rows[k], sizeof v);
        if (k < 7 * 5 * 20) {   /* the first lr, x ... */
            assert_true(v[0] == 1e-4);
            assert_true(v[1] == -2);
        }
        if (v[4] == 0) momentum_points += 1;
        else assert_true(isnan(v[5]));
    }
    assert_int_equal(momentum_points, 5 * 5 * 20 * 5 * 5);
    /* single points agree with the bulk walk */
    for (uint64_t k = 0; k < size; k += 997) {
        assert_int_equal(space_grid_point(&s, k, v), 0);
        for (int i = 0; i < 6; i++) assert_true(v[i] == rows[k][i] || (isnan(v[i]) && isnan(rows[k][i])));
    }
    assert_int_equal(space_grid_point(&s, size, v), -1);
    assert_int_equal(space_grid_points(&s, size - 2, 5, rows), 2);
    free(all);
    free(rows);
    /* without conditions: exactly the product, every point distinct */
    hpo_space t = {.n = 2, .params = s.params + 2};
    assert_int_equal(space_grid_size(&t), 20 * 5);
    int seen[21][600] = {{0}};
    for (uint64_t k = 0; k < 100; k++) {
        space_grid_point(&t, k, v);
        assert_false(seen[(int)v[0]][(int)v[1]]);
        seen[(int)v[0]][(int)v[1]] = 1;
    }
    assert_true(seen[1][16] && seen[20][512]);
    space_free(&s);
}

static void test_format_value(void **state)
{
    (void)state;
    hpo_space s = make_space();
    char buf[64];
    space_format_value(&s.params[0], 0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    space_format_value(&s.params[0], 1.0 / 3, buf, sizeof buf);
    assert_true(strtod(buf, NULL) == 1.0 / 3);
    space_format_value(&s.params[2], 17, buf, sizeof buf);
    assert_string_equal(buf, "17");
    space_format_value(&s.params[4], 2, buf, sizeof buf);
    assert_string_equal(buf, "rmsprop");
    space_format_value(&s.params[5], NAN, buf, sizeof buf);
    assert_string_equal(buf, "");
    space_free(&s);
}

/* Every dimension's first 2^m points fall one in each interval of length
 * 2^-m, and dimensions 1-2 form a (0,m,2)-net: one point in every
 * elementary box of area 2^-m.  Both hold with and without the shift. */
static void test_sobol_nets(void **state)
{
    (void)state;
    for (int scrambled = 0; scrambled < 2; scrambled++) {
        hpo_rng rng;
        rng_seed(&rng, 5, 0, 1);
        hpo_sobol q;
        assert_int_equal(sobol_init(&q, SOBOL_MAX_DIM, scrambled ? &rng : NULL), 0);
        enum { M = 8, N = 1 << M };
        double pts[N][SOBOL_MAX_DIM];
        for (int i = 0; i < N; i++) sobol_point(&q, (uint64_t)i, pts[i]);
        for (int d = 0; d < SOBOL_MAX_DIM; d++) {
            int count[N] = {0};
            for (int i = 0; i < N; i++) {
                assert_true(pts[i][d] >= 0 && pts[i][d] < 1);
                count[(int)(pts[i][d] * N)]++;
            }
            for (int j = 0; j < N; j++) assert_int_equal(count[j], 1);
        }
        for (int a = 0; a <= M; a++) {   /* boxes 2^-a by 2^-(M-a) */
            int count[N] = {0};
            for (int i = 0; i < N; i++) {
                int bx = (int)(pts[i][0] * (1 << a)), by = (int)(pts[i][1] * (1 << (M - a)));
                count[bx * (1 << (M - a)) + by]++;
            }
            for (int j = 0; j < N; j++) assert_int_equal(count[j], 1);
        }
    }
    hpo_sobol q;
    assert_int_equal(sobol_init(&q, SOBOL_MAX_DIM + 1, NULL), -1);
}

static void test_rng_streams(void **state)
{
    (void)state;
    hpo_rng a, b, c;
    rng_seed(&a, 1, 0, 0);
    rng_seed(&b, 1, 0, 0);
    rng_seed(&c, 1, 1, 0);
    int same_c = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_next(&a);
        assert_true(x == rng_next(&b));
        same_c += x == rng_next(&c);
    }
    assert_int_equal(same_c, 0);
    double sum = 0, sq = 0;
    for (int i = 0; i < 100000; i++) {
        double z = rng_normal(&a);
        sum += z;
        sq += z * z;
    }
    assert_true(fabs(sum / 100000) < 0.02);
    assert_true(fabs(sq / 100000 - 1) < 0.03);
    for (int i = 0; i < 1000; i++) assert_true(rng_below(&a, 7) < 7);
}

/* The optimizers' proposals are a function of (spec, seed, round, history). */
static void test_optimizers_deterministic(void **state)
{
    (void)state;
    hpo_spec *spec = NULL;
    assert_int_equal(spec_load(&spec, "examples/quadratic/spec.yaml"), 0);
    const char *algos[] = {"random", "sobol", "grid"};
    for (int a = 0; a < 3; a++) {
        const hpo_optimizer *opt = optimizer_find(algos[a]);
        assert_non_null(opt);
        double vals[2][8][4];
        hpo_proposal props[8];
        hpo_history h = {.n = 8};
        for (int run = 0; run < 2; run++) {
            for (int i = 0; i < 8; i++) props[i].values = vals[run][i];
            int n = 0;
            assert_int_equal(opt->propose(spec, &h, 1, 8, props, &n), 0);
            assert_int_equal(n, 8);
        }
        assert_memory_equal(vals[0], vals[1], sizeof vals[0]);
        /* a different seed (or, for grid, a different position) differs */
        spec->seed++;
        h.n = 16;
        for (int i = 0; i < 8; i++) props[i].values = vals[1][i];
        int n = 0;
        opt->propose(spec, &h, 1, 8, props, &n);
        assert_memory_not_equal(vals[0], vals[1], sizeof vals[0]);
        spec->seed--;
    }
    /* grid stops when exhausted: 5 x 5 x 5 x 3 = 375 points */
    double v[4];
    hpo_proposal p = {.values = v};
    hpo_history h = {.n = 375};
    int n = -1;
    optimizer_grid.propose(spec, &h, 99, 1, &p, &n);
    assert_int_equal(n, 0);
    spec_free(spec);
}

static void test_plan_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/hpo-test-plan.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *rounds = path_join(dir, "rounds");
    assert_int_equal(mkdir_p(rounds, 0777), 0);
    hpo_experiment e = {.dir = dir, .lock_fd = -1};
    assert_int_equal(spec_load(&e.spec, "examples/quadratic/spec.yaml"), 0);
    hpo_plan *p = plan_new(3, "random", 4, 3);
    double vals[3][4] = {{0.1, 1.0 / 3, 7, 2}, {-4.999999999999, 1e-4, 20, 0}, {NAN, INFINITY, 1, 1}};
    for (int i = 0; i < 3; i++) {
        memcpy(p->trials[i].values, vals[i], sizeof vals[i]);
        p->trials[i].trial_id = 24 + i;
        p->trials[i].parent_id = i == 2 ? 5 : -1;
        p->trials[i].budget = i == 1 ? 27 : NAN;
    }
    assert_int_equal(plan_write(&e, p), 0);
    hpo_plan *q = NULL;
    assert_int_equal(plan_read(&e, 3, &q), 0);
    assert_int_equal(q->n, 3);
    assert_string_equal(q->kind, "random");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(q->trials[i].trial_id, 24 + i);
        assert_int_equal(q->trials[i].index, i);
        assert_int_equal(q->trials[i].parent_id, p->trials[i].parent_id);
        assert_true(q->trials[i].budget == p->trials[i].budget || (isnan(q->trials[i].budget) && i != 1));
        for (int k = 0; k < 4; k++)
            assert_true(q->trials[i].values[k] == vals[i][k] || (isnan(vals[i][k]) && isnan(q->trials[i].values[k])));
    }
    assert_int_equal(plan_read(&e, 4, &q), HPO_ENOTFOUND);
    assert_int_equal(plan_count(&e), 0);   /* r0000 is missing: rounds are dense */
    plan_free(p);
    plan_free(q);
    /* a plan made for another space is refused */
    char *path = xasprintf("%s/rounds/r0000.plan", dir);
    const char *other = "hpo-plan 1\nround 0\nkind random\nparams x lr n other\ntrial 0 0 -1 nan -1 -1 1 1 1 1\n";
    assert_int_equal(write_file_atomic(path, other, strlen(other)), 0);
    assert_int_equal(plan_read(&e, 0, &q), HPO_ECORRUPT);
    assert_non_null(strstr(hpo_error_last(), "parameters do not match"));
    unlink(path);
    rmdir(rounds);
    rmdir(dir);
    free(path);
    free(rounds);
    spec_free(e.spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_in_bounds),
        cmocka_unit_test(test_log_scale_is_log_uniform),
        cmocka_unit_test(test_encode_decode_roundtrip),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_format_value),
        cmocka_unit_test(test_sobol_nets),
        cmocka_unit_test(test_rng_streams),
        cmocka_unit_test(test_optimizers_deterministic),
        cmocka_unit_test(test_plan_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
