/*
 * test_auto.c -- `algorithm: auto` (lib/optimizer.c, optimizer_auto), the
 * default when a spec names no algorithm: which optimizer it picks for
 * which spec, that it says why, and that it refuses options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "optimizers/optimizer.h"
#include "spec/spec.h"
#include "core/util.h"
#include "sim_history.h"

static const char *numeric = "  x: {type: float, low: 0, high: 1}\n  n: {type: int, low: 1, high: 9}\n"
                             "  lr: {type: float, low: 1.0e-4, high: 1, log: true}\n";
static const char *choices = "  x: {type: float, low: 0, high: 1}\n  a: {type: choice, values: [p, q]}\n"
                             "  b: {type: choice, values: [r, s, t]}\n";
static const char *conditional = "  x: {type: float, low: 0, high: 1}\n  n: {type: int, low: 1, high: 9}\n"
                                 "  m: {type: float, low: 0, high: 1, when: \"n == 3\"}\n";

/* The optimizer the spec gets, and auto's reason into why. */
static const char *picked(const char *space, const char *extra, char *why, size_t n)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "name: t\ncommand: [./t]\nspace:\n%sobjective: {metric: loss}\n%s", space, extra);
    hpo_spec *spec = NULL;
    const hpo_optimizer *opt = NULL;
    assert_int_equal(spec_parse(&spec, "t.yaml", yaml, strlen(yaml)), 0);
    assert_int_equal(optimizer_for_spec(spec, &opt), 0);
    const char *name = optimizer_auto(spec, why, n);
    if (strcmp(spec->algorithm, "auto") == 0) assert_string_equal(opt->name, name);
    spec_free(spec);
    return opt->name;   /* static storage: the table's */
}

static void test_picks(void **state)
{
    (void)state;
    char why[256];
    /* omitted: auto; small numeric budget: gp */
    assert_string_equal(picked(numeric, "", why, sizeof why), "gp");
    assert_non_null(strstr(why, "100 trials"));
    assert_string_equal(picked(numeric, "algorithm: auto\nbudget: {max_trials: 150}\n", why, sizeof why), "gp");
    /* a large budget: tpe */
    assert_string_equal(picked(numeric, "budget: {max_trials: 1000}\n", why, sizeof why), "tpe");
    assert_non_null(strstr(why, "1000 trials"));
    /* mostly choices is no reason for tpe: gp was at or ahead of it on
     * the 15 all-choice tables of bench/optimizers */
    assert_string_equal(picked(choices, "", why, sizeof why), "gp");
    assert_non_null(strstr(why, "3 parameters"));
    /* more than 20 parameters: tpe */
    char wide[2048] = "";
    for (int p = 0; p < 21; p++) {
        size_t len = strlen(wide);
        snprintf(wide + len, sizeof wide - len, "  x%d: {type: float, low: 0, high: 1}\n", p);
    }
    assert_string_equal(picked(wide, "", why, sizeof why), "tpe");
    assert_non_null(strstr(why, "21 parameters"));
    /* conditions alone do not send it to tpe: gp was ahead on the
     * conditional space of bench/optimizers */
    assert_string_equal(picked(conditional, "", why, sizeof why), "gp");
    /* a fidelity: the multi-fidelity scheduler, BOHB (asynchronous by
     * default, Hyperband's rounds when mode: rounds) */
    assert_string_equal(picked(numeric, "fidelity: {param: epochs, min: 1, max: 27, eta: 3}\n", why, sizeof why),
                        "bohb");
    assert_non_null(strstr(why, "epochs"));
    assert_non_null(strstr(why, "asynchronous"));
    assert_string_equal(picked(numeric, "fidelity: {param: epochs, min: 1, max: 27, eta: 3}\n"
                                        "parallel: {mode: rounds}\n", why, sizeof why), "bohb");
    assert_non_null(strstr(why, "Hyperband's rounds"));
    /* a named algorithm is left alone */
    assert_string_equal(picked(numeric, "algorithm: random\n", why, sizeof why), "random");
}

static void test_no_options(void **state)
{
    (void)state;
    sim_expect_refused(NULL, "{name: auto, n_startup: 3}", NULL,
                       "t.yaml:6:36: algorithm.n_startup: auto takes no options (name the "
                       "algorithm to set its options)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_picks),
        cmocka_unit_test(test_no_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
