/*
 * test_pbt.c -- population based training, driven in process on a
 * simulated history: every trial "completes" with loss = x (so the ranking
 * of a generation is known) unless a test makes it fail.  Checks the
 * generations' sizes and budgets and the end of the sweep; that continuing
 * members resume their own last trial with their config; that the worst
 * members copy a top member's config and checkpoint, then perturb it by
 * x0.8 / x1.2 or to a neighbouring choice (conditional parameters
 * following); that failed members are replaced; random_init_probability;
 * determinism; lineage (bracket = member, rung = generation); and the
 * exact errors of bad options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/journal.h"
#include "optimizers/optimizer.h"
#include "spec/spec.h"
#include "core/util.h"
#include "sim_history.h"

#define MAXT 2000
#define NP 5          /* parameters of the space below */

/* x first: the objective.  opt's first value is sgd, so mom is active. */
static const char *const SPACE =
    "space:\n"
    "  x: {type: float, low: 0, high: 1}\n"
    "  lr: {type: float, low: 1.0e-4, high: 1, log: true}\n"
    "  n: {type: int, low: 1, high: 100}\n"
    "  opt: {type: choice, values: [sgd, adam, rmsprop, lamb]}\n"
    "  mom: {type: float, low: 0.5, high: 0.99, when: \"opt == sgd\"}\n";

static char *spec_text(const char *fidelity, const char *algorithm, unsigned seed)
{
    static char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "name: pbt\ncommand: [./t, \"{x}\"]\n%s"
             "objective: {metric: loss}\nfidelity: %s\nalgorithm: %s\n"
             "budget: {max_trials: 100000}\nseed: %u\n", SPACE, fidelity, algorithm, seed);
    return yaml;
}

/* Which trials fail (set by a test after pbt_new; none by default). */
static int (*fail_if)(const double *values);

static sim *pbt_new(const char *fidelity, const char *algorithm, unsigned seed)
{
    fail_if = NULL;
    sim *s = sim_new(spec_text(fidelity, algorithm, seed), MAXT);
    assert_int_equal(s->spec->space.n, NP);
    return s;
}

/* Every trial finishes with loss = x, or fails when fail_if says so. */
static double loss_x(const double *v) { return fail_if && fail_if(v) ? NAN : v[0]; }

/* Plan one round (at most `max` trials) into out, then let its trials finish. */
static int pbt_round_max(sim *s, hpo_proposal *out, int max) { return sim_round(s, max, loss_x, out); }
static int pbt_round(sim *s, hpo_proposal *out) { return pbt_round_max(s, out, MAXT - (int)s->n); }

static const char *const FID = "{param: epochs, min: 1, max: 10}";

/* Trial t's config, as a row. */
static void config_of(const sim *s, long t, double *row)
{
    for (int p = 0; p < NP; p++) row[p] = s->cfg[p][t];
}

/* Equal, NaN (inactive) equal to NaN. */
static int same(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i])))) return 0;
    return 1;
}

static double clip(double v, const hpo_param *p) { return v < p->low ? p->low : v > p->high ? p->high : v; }

/* `to` is `from` explored: each numeric parameter x0.8 or x1.2 (ints
 * rounded, moved by one if rounding undid it), each choice a neighbour,
 * inactive ones NaN, newly active ones anywhere in range. */
static void assert_perturbed(const hpo_space *s, const double *from, const double *to)
{
    for (int i = 0; i < s->n; i++) {
        const hpo_param *p = &s->params[i];
        if (!space_is_active(s, i, to)) { assert_true(isnan(to[i])); continue; }
        assert_false(isnan(to[i]));
        if (isnan(from[i])) {
            assert_true(to[i] >= p->low && to[i] <= p->high);
            continue;
        }
        if (p->type == HPO_PARAM_CHOICE) {
            assert_true(fabs(to[i] - from[i]) == 1 && to[i] >= 0 && to[i] < p->n_choices);
        } else if (p->type == HPO_PARAM_FLOAT) {
            assert_true(to[i] == clip(from[i] * 0.8, p) || to[i] == clip(from[i] * 1.2, p));
        } else {
            double down = round(from[i] * 0.8), up = round(from[i] * 1.2);
            if (down == from[i]) down--;
            if (up == from[i]) up++;
            assert_true(to[i] == clip(down, p) || to[i] == clip(up, p));
        }
    }
}

/* Generation g: one trial per member (bracket 0..pop-1, each once), at
 * rung g, all at `budget`. */
static void assert_generation(const hpo_proposal *out, int n, int pop, int g, double budget)
{
    assert_int_equal(n, pop);
    for (int i = 0; i < n; i++) {
        assert_int_equal(out[i].bracket, i);
        assert_int_equal(out[i].rung, g);
        assert_true(out[i].budget == budget);
    }
}

static void test_generations_and_budgets(void **state)
{
    (void)state;
    /* interval 3 up to max 10: budgets 3, 6, 9, then capped at 10 */
    sim *s = pbt_new(FID, "{name: pbt, population_size: 6, perturbation_interval: 3}", 1);
    static hpo_proposal out[MAXT];
    static const double budgets[] = {3, 6, 9, 10};
    for (int g = 0; g < 4; g++) {
        int n = pbt_round(s, out);
        assert_generation(out, n, 6, g, budgets[g]);
        for (int i = 0; i < n && g == 0; i++) assert_int_equal(out[i].parent_id, -1);
        for (int i = 0; i < n && g > 0; i++) assert_true(out[i].parent_id >= 0);
    }
    assert_int_equal(pbt_round(s, out), 0);   /* fidelity.max reached: nothing more */
    sim_free(s);

    /* defaults: population 8, interval fidelity.min (1), so 10 generations */
    s = pbt_new(FID, "{name: pbt}", 1);
    for (int g = 0; g < 10; g++) assert_generation(out, pbt_round(s, out), 8, g, g + 1);
    assert_int_equal(pbt_round(s, out), 0);
    sim_free(s);

    /* rounds: 3 generations only */
    s = pbt_new(FID, "{name: pbt, population_size: 4, rounds: 3}", 1);
    for (int g = 0; g < 3; g++) assert_generation(out, pbt_round(s, out), 4, g, g + 1);
    assert_int_equal(pbt_round(s, out), 0);
    sim_free(s);

    /* a fractional interval reaches the trial rounded, not as 0.30000000000000004 */
    s = pbt_new("{param: data_fraction, min: 0.1, max: 1}", "{name: pbt, population_size: 2}", 1);
    for (int g = 0; g < 10; g++) {
        char want[16];
        snprintf(want, sizeof want, "%.1f", 0.1 * (g + 1));
        assert_generation(out, pbt_round(s, out), 2, g, strtod(want, NULL));
    }
    assert_int_equal(pbt_round(s, out), 0);
    sim_free(s);
}

static void test_max_trials_cuts_a_generation(void **state)
{
    (void)state;
    sim *s = pbt_new(FID, "{name: pbt, population_size: 8}", 3);
    static hpo_proposal out[MAXT];
    assert_int_equal(pbt_round_max(s, out, 5), 5);     /* members 0..4 */
    for (int i = 0; i < 5; i++) assert_int_equal(out[i].bracket, i);
    /* the members without a trial are replaced like failed ones */
    int n = pbt_round(s, out);
    assert_generation(out, n, 8, 1, 2);
    for (int i = 5; i < 8; i++) assert_true(out[i].parent_id >= 0 && s->rows[out[i].parent_id].bracket != i);
    sim_free(s);
}

/* The plan out[0..n) from the generation in trial ids [first, first+pop)
 * (member i = trial first+i): the best members continue, the worst `k` and
 * the failed copy and perturb one of the best `k`. */
static void check_exploit_round(const sim *s, const hpo_proposal *out, int n, size_t first, int pop, int k)
{
    /* the previous generation's members, ranked by loss (= x), ties (x
     * clipped at a bound) by the earlier trial */
    long order[MAXT];
    int ranked = 0;
    for (size_t t = first; t < first + (size_t)pop; t++)
        if (strcmp(s->rows[t].status, HPO_STATUS_COMPLETED) == 0) order[ranked++] = (long)t;
    for (int a = 0; a < ranked; a++)
        for (int b = a + 1; b < ranked; b++)
            if (s->rows[order[b]].objective < s->rows[order[a]].objective ||
                (s->rows[order[b]].objective == s->rows[order[a]].objective && order[b] < order[a])) {
                long tmp = order[a]; order[a] = order[b]; order[b] = tmp;
            }
    int top = k < ranked ? k : ranked;
    int worst = k < ranked - top ? k : ranked - top;
    for (int i = 0; i < n; i++) {
        long prev = (long)first + i;
        int rank = -1;
        for (int r = 0; r < ranked; r++) if (order[r] == prev) rank = r;
        double mine[NP], theirs[NP];
        if (rank >= 0 && rank < ranked - worst) {
            /* continues: own trial as parent, same config */
            assert_int_equal(out[i].parent_id, prev);
            config_of(s, prev, mine);
            assert_true(same(out[i].values, mine, NP));
            continue;
        }
        /* exploited: a top member's trial as parent, its config perturbed */
        long parent = out[i].parent_id;
        int parent_rank = -1;
        for (int r = 0; r < top; r++) if (order[r] == parent) parent_rank = r;
        if (parent_rank < 0) fail_msg("member %d: parent %ld is not in the top %d", i, parent, top);
        assert_true(s->rows[parent].bracket != i);
        config_of(s, parent, theirs);
        assert_perturbed(&s->spec->space, theirs, out[i].values);
    }
}

/* Plan the next round without running it. */
static int pbt_plan(sim *s, hpo_proposal *out) { return sim_propose(s, 1000, out); }

/* Spelled out on one generation: of 8 members, exactly the 2 with the
 * largest loss are exploited, each from one of the 2 with the smallest. */
static void test_exploit_and_explore(void **state)
{
    (void)state;
    sim *s = pbt_new(FID, "{name: pbt, population_size: 8}", 4);
    static hpo_proposal out[MAXT];
    pbt_round(s, out);
    int n = pbt_plan(s, out);
    assert_generation(out, n, 8, 1, 2);
    for (int i = 0; i < n; i++) {
        int below = 0;                        /* members with a smaller loss than member i */
        for (int j = 0; j < 8; j++) below += s->rows[j].objective < s->rows[i].objective;
        long parent = out[i].parent_id;
        if (below < 6) {
            assert_int_equal(parent, i);
            continue;
        }
        int parent_below = 0;
        for (int j = 0; j < 8; j++) parent_below += s->rows[j].objective < s->rows[parent].objective;
        assert_true(parent_below < 2);
        double theirs[NP];
        config_of(s, parent, theirs);
        assert_perturbed(&s->spec->space, theirs, out[i].values);
    }
    sim_free(s);
}

/* Every generation of a long run: the ratio's quantile is exploited, with
 * the right parents and perturbations, including choices (and so mom's
 * activity) moving. */
static void test_every_generation(void **state)
{
    (void)state;
    static const struct { const char *algo; int pop, k; } cases[] = {
        {"{name: pbt, population_size: 8}", 8, 2},
        {"{name: pbt, population_size: 2}", 2, 1},
        {"{name: pbt, population_size: 10, perturbation_ratio: 0.5}", 10, 5},
        {"{name: pbt, population_size: 3, perturbation_ratio: 0.5}", 3, 1},
        {"{name: pbt, population_size: 7, perturbation_ratio: 0.1}", 7, 1},
    };
    static hpo_proposal out[MAXT];
    int woke = 0, slept = 0;                  /* mom made active / inactive by opt's move */
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        sim *s = pbt_new("{param: epochs, min: 1, max: 30}", cases[c].algo, (unsigned)c);
        size_t first = s->n;
        pbt_round(s, out);
        int moved_choice = 0;
        for (int g = 1; g < 30; g++) {
            int n = pbt_plan(s, out);
            assert_generation(out, n, cases[c].pop, g, g + 1);
            check_exploit_round(s, out, n, first, cases[c].pop, cases[c].k);
            for (int i = 0; i < n; i++) {
                int exploited = s->rows[out[i].parent_id].bracket != i;
                moved_choice += exploited && out[i].values[3] != s->cfg[3][out[i].parent_id];
                woke += isnan(s->cfg[4][out[i].parent_id]) && !isnan(out[i].values[4]);
                slept += !isnan(s->cfg[4][out[i].parent_id]) && isnan(out[i].values[4]);
            }
            first = s->n;
            assert_int_equal(pbt_round(s, out), n);   /* the same plan, run */
        }
        assert_true(moved_choice > 0);
        sim_free(s);
    }
    assert_true(woke > 0 && slept > 0);
}

static int fails_when_big(const double *v) { return v[0] > 0.3; }
static int fails_always(const double *v) { (void)v; return 1; }

static void test_failed_members_replaced(void **state)
{
    (void)state;
    sim *s = pbt_new(FID, "{name: pbt, population_size: 8}", 5);
    fail_if = fails_when_big;              /* most members fail */
    static hpo_proposal out[MAXT];
    pbt_round(s, out);
    int failed = 0;
    for (size_t t = 0; t < 8; t++) failed += strcmp(s->rows[t].status, HPO_STATUS_FAILED) == 0;
    assert_true(failed > 2 && failed < 8);     /* seed 5: more fail than the quantile */
    int n = pbt_plan(s, out);
    check_exploit_round(s, out, n, 0, 8, 2);
    for (int i = 0; i < n; i++) {
        const hpo_trial_row *parent = &s->rows[out[i].parent_id];
        assert_string_equal(parent->status, HPO_STATUS_COMPLETED);   /* never a failed checkpoint */
    }
    sim_free(s);

    /* nobody completed: nothing to copy, so every member starts afresh */
    s = pbt_new(FID, "{name: pbt, population_size: 4}", 5);
    fail_if = fails_always;
    pbt_round(s, out);
    int m = pbt_round(s, out);
    assert_generation(out, m, 4, 1, 2);
    for (int i = 0; i < m; i++) assert_int_equal(out[i].parent_id, -1);
    sim_free(s);
}

static void test_random_init(void **state)
{
    (void)state;
    sim *s = pbt_new(FID, "{name: pbt, population_size: 8, random_init_probability: 1}", 6);
    static hpo_proposal out[MAXT];
    pbt_round(s, out);
    int n = pbt_round(s, out);
    assert_generation(out, n, 8, 1, 2);
    int fresh = 0;
    for (int i = 0; i < n; i++) {
        if (out[i].parent_id < 0) { fresh++; continue; }
        assert_int_equal(s->rows[out[i].parent_id].bracket, i);   /* the rest continue */
    }
    assert_int_equal(fresh, 2);
    sim_free(s);
}

/* Run a whole sweep; return the trials' configs and positions flattened. */
static size_t whole_run(unsigned seed, double *flat)
{
    sim *s = pbt_new(FID, "{name: pbt, population_size: 5, perturbation_ratio: 0.4}", seed);
    static hpo_proposal out[MAXT];
    while (pbt_round(s, out) > 0) {}
    size_t k = 0;
    for (size_t t = 0; t < s->n; t++) {
        for (int p = 0; p < NP; p++) flat[k++] = s->cfg[p][t];
        flat[k++] = (double)s->rows[t].parent_id;
        flat[k++] = s->rows[t].budget;
    }
    size_t n = s->n;
    sim_free(s);
    assert_int_equal(n, 50);
    return k;
}

static void test_deterministic(void **state)
{
    (void)state;
    static double a[MAXT * 8], b[MAXT * 8], c[MAXT * 8];
    size_t na = whole_run(7, a), nb = whole_run(7, b), nc = whole_run(8, c);
    assert_int_equal(na, nb);
    assert_true(same(a, b, na));
    assert_int_equal(na, nc);
    assert_false(same(a, c, na));
}

/* Lineage: a member's rows ordered by rung are its schedule; every parent
 * is a trial of the generation before, at a smaller budget; a continuing
 * member's parent is its own. */
static void test_lineage(void **state)
{
    (void)state;
    sim *s = pbt_new(FID, "{name: pbt, population_size: 6}", 9);
    static hpo_proposal out[MAXT];
    while (pbt_round(s, out) > 0) {}
    assert_int_equal(s->n, 60);
    int seen[6][10] = {{0}};
    for (size_t t = 0; t < s->n; t++) {
        const hpo_trial_row *r = &s->rows[t];
        assert_true(r->bracket >= 0 && r->bracket < 6 && r->rung >= 0 && r->rung < 10);
        assert_int_equal(r->round, r->rung);
        seen[r->bracket][r->rung]++;
        if (r->rung == 0) { assert_int_equal(r->parent_id, -1); continue; }
        const hpo_trial_row *p = &s->rows[r->parent_id];
        assert_int_equal(p->rung, r->rung - 1);
        assert_true(p->budget < r->budget);
        double mine[NP], theirs[NP];
        config_of(s, (long)t, mine);
        config_of(s, r->parent_id, theirs);
        if (p->bracket == r->bracket) assert_true(same(mine, theirs, NP));
        else assert_perturbed(&s->spec->space, theirs, mine);
    }
    for (int m = 0; m < 6; m++)
        for (int g = 0; g < 10; g++) assert_int_equal(seen[m][g], 1);
    sim_free(s);
}

/* The spec with `algorithm` is rejected with exactly `want`. */
static void assert_rejected(const char *fidelity, const char *algorithm, const char *want)
{
    hpo_spec *spec = NULL;
    const hpo_optimizer *opt = NULL;
    const char *yaml = fidelity ? spec_text(fidelity, algorithm, 0)
                                : "name: p\ncommand: [./t]\nspace:\n  x: {type: float, low: 0, high: 1}\n"
                                  "objective: {metric: loss}\nalgorithm: {name: pbt}\n";
    assert_int_equal(spec_parse(&spec, "t.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(spec, &opt), HPO_ESPEC);
    assert_string_equal(hpo_error_last(), want);
    spec_free(spec);
}

static void test_bad_options(void **state)
{
    (void)state;
    /* line 11 is `algorithm:`; "{name: pbt, " is 12 columns */
    assert_rejected(FID, "{name: pbt, population_size: 1}",
                    "t.yaml:11:41: algorithm.population_size: expected an integer in [2, 10000], got 1");
    assert_rejected(FID, "{name: pbt, population_size: 2.5}",
                    "t.yaml:11:41: algorithm.population_size: expected an integer in [2, 10000], got \"2.5\"");
    assert_rejected(FID, "{name: pbt, perturbation_ratio: 0}",
                    "t.yaml:11:44: algorithm.perturbation_ratio: expected a number in (0, 0.5], got 0");
    assert_rejected(FID, "{name: pbt, perturbation_ratio: 0.6}",
                    "t.yaml:11:44: algorithm.perturbation_ratio: expected a number in (0, 0.5], got 0.6");
    assert_rejected(FID, "{name: pbt, perturbation_ratio: most}",
                    "t.yaml:11:44: algorithm.perturbation_ratio: expected a number in (0, 0.5], got \"most\"");
    assert_rejected(FID, "{name: pbt, perturbation_interval: 0}",
                    "t.yaml:11:47: algorithm.perturbation_interval: expected a number in [1, 10], got 0");
    assert_rejected(FID, "{name: pbt, perturbation_interval: 11}",
                    "t.yaml:11:47: algorithm.perturbation_interval: expected a number in [1, 10], got 11");
    assert_rejected(FID, "{name: pbt, random_init_probability: 1.5}",
                    "t.yaml:11:49: algorithm.random_init_probability: expected a number in [0, 1], got 1.5");
    assert_rejected(FID, "{name: pbt, rounds: 0}",
                    "t.yaml:11:32: algorithm.rounds: expected an integer >= 1, got 0");
    assert_rejected(FID, "{name: pbt, perturbation_interval: 3, rounds: 5}",
                    "t.yaml:11:58: algorithm.rounds: expected an integer in [1, 4] (generations of "
                    "perturbation_interval 3 until fidelity.max 10), got 5");
    assert_rejected(FID, "{name: pbt, populaton_size: 4}",
                    "t.yaml:11:40: algorithm.populaton_size: not an option of pbt (its options: "
                    "population_size, perturbation_interval, perturbation_ratio, random_init_probability, "
                    "rounds)");
    assert_rejected(NULL, NULL,
                    "t.yaml:6:19: algorithm.name: pbt needs a fidelity: section, the budget its generations "
                    "train to (e.g. fidelity: {param: epochs, min: 1, max: 20})");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generations_and_budgets),
        cmocka_unit_test(test_max_trials_cuts_a_generation),
        cmocka_unit_test(test_exploit_and_explore),
        cmocka_unit_test(test_every_generation),
        cmocka_unit_test(test_failed_members_replaced),
        cmocka_unit_test(test_random_init),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_lineage),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
