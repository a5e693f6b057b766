/*
 * sim_history.c -- the optimizer tests' simulated history (sim_history.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_history.h"
#include "store/journal.h"
#include "core/util.h"

sim *sim_new(const char *yaml, size_t cap)
{
    sim *s = xcalloc(1, sizeof *s);
    if (spec_parse(&s->spec, "test.yaml", yaml, strlen(yaml)) != 0) fail_msg("%s", hpo_error_last());
    if (optimizer_for_spec(s->spec, &s->opt) != 0) fail_msg("%s", hpo_error_last());
    assert_true(s->spec->space.n <= SIM_MAXP);
    s->cap = cap;
    s->rows = xcalloc(cap, sizeof *s->rows);
    for (int p = 0; p < SIM_MAXP; p++) s->config[p] = s->cfg[p] = xcalloc(cap, sizeof(double));
    s->vals = xcalloc(cap * SIM_MAXP, sizeof(double));
    s->best = INFINITY;
    s->worst = -INFINITY;
    return s;
}

void sim_free(sim *s)
{
    if (!s) return;
    spec_free(s->spec);
    free(s->rows);
    for (int p = 0; p < SIM_MAXP; p++) free(s->cfg[p]);
    free(s->vals);
    free(s);
}

hpo_history sim_history_of(const sim *s)
{
    hpo_history h = {.n = s->n, .trials = s->rows, .config = (const double **)s->config};
    return h;
}

int sim_propose(sim *s, int max, hpo_proposal *out)
{
    /* out has room for min(max, cap): an optimizer that sizes its own
     * rounds is asked for "as many as you like" and writes its size */
    assert_true(max >= 0);
    for (int i = 0; i < max && (size_t)i < s->cap; i++) out[i].values = s->vals + (size_t)i * SIM_MAXP;
    hpo_history h = sim_history_of(s);
    int n = -1;
    assert_int_equal(s->opt->propose(s->spec, &h, s->rounds, max, out, &n), 0);
    assert_true(n >= 0 && n <= max && (size_t)n <= s->cap);
    return n;
}

void sim_add(sim *s, const double *x, double y, const hpo_proposal *p)
{
    assert_true(s->n < s->cap);
    hpo_trial_row *r = &s->rows[s->n];
    memset(r, 0, sizeof *r);
    r->trial_id = (int64_t)s->n;
    r->round = s->rounds;
    r->parent_id = p ? p->parent_id : -1;
    r->budget = p ? p->budget : NAN;
    r->bracket = p ? p->bracket : -1;
    r->rung = p ? p->rung : -1;
    for (int k = 0; k < s->spec->space.n; k++) s->cfg[k][s->n] = x[k];
    snprintf(r->status, sizeof r->status, "%s", isnan(y) ? HPO_STATUS_FAILED : HPO_STATUS_COMPLETED);
    r->objective = y;
    if (!isnan(y) && y < s->best) s->best = y;
    if (!isnan(y) && y > s->worst) s->worst = y;
    s->n++;
}

int sim_round(sim *s, int max, sim_objective f, hpo_proposal *out)
{
    int n = sim_propose(s, max, out);
    for (int i = 0; i < n; i++) sim_add(s, out[i].values, f ? f(out[i].values) : 0, &out[i]);
    s->rounds++;
    return n;
}

void sim_run(sim *s, long trials, sim_objective f)
{
    hpo_proposal *out = xcalloc(s->cap, sizeof *out);
    while ((long)s->n < trials) {
        long room = trials - (long)s->n, want = s->opt->sizes_its_rounds ? 65536 : s->spec->round_size;
        if (sim_round(s, (int)(room < want ? room : want), f, out) == 0) break;
    }
    free(out);
}

double sim_branin(const double *x)
{
    const double pi = 3.14159265358979323846;
    double a = x[1] - 5.1 / (4 * pi * pi) * x[0] * x[0] + 5 / pi * x[0] - 6;
    return a * a + 10 * (1 - 1 / (8 * pi)) * cos(x[0]) + 10;
}

double sim_neg_branin(const double *x) { return -sim_branin(x); }

double sim_tiny(const double *x) { return x[0] + fabs(x[1] - 2); }

/* Branin in rounds of q until `trials`, with `algo` and seed 5. */
static sim *branin_rounds(const char *algo, int trials, int q)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: t\ncommand: [./t]\nspace:\n" SIM_BRANIN_SPACE "objective: {metric: loss}\nalgorithm: %s\nseed: 5\n",
             algo);
    sim *s = sim_new(yaml, (size_t)trials);
    hpo_proposal out[64];
    while ((int)s->n < trials) {
        int want = trials - (int)s->n < q ? trials - (int)s->n : q;
        assert_int_equal(sim_round(s, want, sim_branin, out), want);
    }
    return s;
}

void sim_check_startup_across_rounds(const char *algo)
{
    sim *sob = branin_rounds("sobol", 16, 16);
    sim *s = branin_rounds(algo, 16, 8);
    for (size_t t = 0; t < 16; t++) {
        int same = s->cfg[0][t] == sob->cfg[0][t] && s->cfg[1][t] == sob->cfg[1][t];
        if (t < 10) assert_true(same);
        else assert_false(same);
    }
    sim_free(sob);
    sim_free(s);
}

void sim_expect_refused(const char *space, const char *algorithm, const char *extra, const char *message)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "name: t\ncommand: [./t]\nspace:\n%sobjective: {metric: loss}\nalgorithm: %s\n%s",
             space ? space : "  x: {type: float, low: 0, high: 1}\n", algorithm, extra ? extra : "");
    hpo_spec *spec = NULL;
    const hpo_optimizer *opt = NULL;
    assert_int_equal(spec_parse(&spec, "t.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(spec, &opt), HPO_ESPEC);
    assert_string_equal(hpo_error_last(), message);
    spec_free(spec);
}
