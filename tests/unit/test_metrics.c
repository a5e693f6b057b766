/*
 * test_metrics.c -- unit tests of lib/trial/metrics.c, the stdout report protocol.
 *
 * Table-driven: each case is a line (given with its exact length, so NULs
 * and the absence of a terminator can be tested), the metrics it must yield
 * and the step.  Every line is parsed from a heap copy of exactly its
 * length, so AddressSanitizer catches any read past `len`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trial/metrics.h"

#define MAXM 4   /* room for metrics in the table: "more than max" cases exceed it */

struct kv { const char *name; double value; };

struct mcase {
    const char *line;
    size_t len;
    int n;                  /* expected return */
    long step;              /* expected *step */
    struct kv want[MAXM];
};

/* L(): a literal with its length, NULs included. */
#define L(s) s, sizeof(s) - 1
#define NOT_REPORT 0, -1, {{0}}

static const struct mcase cases[] = {
    {L("step=3 val_acc=0.91 loss=0.3"), 2, 3, {{"val_acc", 0.91}, {"loss", 0.3}}},
    {L("val_acc=0.91"), 1, -1, {{"val_acc", 0.91}}},
    {L("loss=0.3 step=7"), 1, 7, {{"loss", 0.3}}},          /* step anywhere */
    {L("val_acc=nan"), 1, -1, {{"val_acc", NAN}}},
    {L("x=inf"), 1, -1, {{"x", INFINITY}}},
    {L("x=-inf y=+1"), 2, -1, {{"x", -INFINITY}, {"y", 1.0}}},
    {L("x=1e-3"), 1, -1, {{"x", 1e-3}}},
    {L("x=0x10"), 1, -1, {{"x", 16.0}}},                   /* strtod accepts hex */
    {L("step=2 acc=0.5\r"), 1, 2, {{"acc", 0.5}}},         /* CRLF output */
    {L("acc=0.5\r\n"), 1, -1, {{"acc", 0.5}}},
    {L("\tacc=1\tloss=2\t"), 2, -1, {{"acc", 1.0}, {"loss", 2.0}}},
    {L("   acc=1    loss=2   "), 2, -1, {{"acc", 1.0}, {"loss", 2.0}}},
    {L("train/loss=1 a.b=2 c:d=3 e-f=4"), 4, -1,
     {{"train/loss", 1.0}, {"a.b", 2.0}, {"c:d", 3.0}, {"e-f", 4.0}}},
    {L("_x=1 Step=2"), 2, -1, {{"_x", 1.0}, {"Step", 2.0}}}, /* only "step" is special */
    {L("step=0 a=1"), 1, 0, {{"a", 1.0}}},
    {L("a234567890123456789012345678901=5"), 1, -1,           /* 31 bytes: longest name */
     {{"a234567890123456789012345678901", 5.0}}},
    {L("a=1 b=2 c=3 d=4 e=5 f=6"), MAXM, -1,                   /* more than max: truncated */
     {{"a", 1.0}, {"b", 2.0}, {"c", 3.0}, {"d", 4.0}}},
    {L("a=1 b=2 c=3 d=4 e=5 x"), NOT_REPORT},                  /* ...but still all checked */
    {L("a=1 a=2"), 2, -1, {{"a", 1.0}, {"a", 2.0}}},
    {L("step=3 val_acc=0.91 "), 1, 3, {{"val_acc", 0.91}}},
    /* Lines that are ordinary output, not reports. */
    {L("hello world"), NOT_REPORT},
    {L("epoch 3 done: acc=0.9"), NOT_REPORT},
    {L("a=1 b"), NOT_REPORT},
    {L("a=1 b=x"), NOT_REPORT},
    {L("a=0.91,"), NOT_REPORT},
    {L("a=abc"), NOT_REPORT},
    {L("a=="), NOT_REPORT},
    {L("a==1"), NOT_REPORT},
    {L("=1"), NOT_REPORT},
    {L("a="), NOT_REPORT},
    {L("1a=1"), NOT_REPORT},
    {L("a b=1"), NOT_REPORT},
    {L("a%=1"), NOT_REPORT},
    {L("step=-1 a=1"), NOT_REPORT},
    {L("step=1.5 a=1"), NOT_REPORT},
    {L("step=x a=1"), NOT_REPORT},
    {L("step= a=1"), NOT_REPORT},
    {L("step=1 step=2 a=1"), NOT_REPORT},
    {L("step=99999999999999999999 a=1"), NOT_REPORT},
    {L("step=3"), NOT_REPORT},
    {L("a2345678901234567890123456789012=5"), NOT_REPORT},  /* 32-byte name */
    {L("a234567890123456789012345678901234567890=1"), NOT_REPORT}, /* 40 bytes */
    {L(""), NOT_REPORT},
    {L("   \t \r"), NOT_REPORT},
    {L("a=1\0b=2"), NOT_REPORT},                               /* NUL inside len */
    {L("a=1 \0"), NOT_REPORT},
    {L("\0a=1"), NOT_REPORT},
    {L("a=1234567890123456789012345678901234567890123456789012345678901234567890"),
     NOT_REPORT},                                               /* number too long */
    {L("a=\xc3\xa9"), NOT_REPORT},
    /* Plain decimals are checked without strtod: its edges. */
    {L("a=1. b=.5 c=-.5e+3 d=1E400 e=+0e-0"), MAXM, -1,
     {{"a", 1.0}, {"b", 0.5}, {"c", -500.0}, {"d", INFINITY}}},
    {L("a=1e"), NOT_REPORT},
    {L("a=1e+"), NOT_REPORT},
    {L("a=."), NOT_REPORT},
    {L("a=-"), NOT_REPORT},
    {L("a=.e1"), NOT_REPORT},
    {L("a=1.2.3"), NOT_REPORT},
    {L("a=1e5.0"), NOT_REPORT},
    {L("a=--1"), NOT_REPORT},
};

static void check_case(size_t ci, const struct mcase *c)
{
    /* An exact-length heap copy: reading past len trips ASan. */
    char *line = malloc(c->len ? c->len : 1);
    assert_non_null(line);
    memcpy(line, c->line, c->len);
    hpo_metric_kv out[MAXM];
    long step = 12345;
    int n = metrics_parse_line(line, c->len, out, MAXM, &step);
    if (n != c->n) fail_msg("case %zu \"%s\": got %d metrics, want %d", ci, c->line, n, c->n);
    if (step != c->step) fail_msg("case %zu \"%s\": got step %ld, want %ld", ci, c->line, step, c->step);
    for (int i = 0; i < n; i++) {
        assert_string_equal(out[i].name, c->want[i].name);
        double got = metrics_kv_value(&out[i]), want = c->want[i].value;
        if (isnan(want)) assert_true(isnan(got));
        else if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("case %zu: %s=%.17g, want %.17g", ci, out[i].name, got, want);
    }
    free(line);   /* only now: the values are read from the line's text */
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(i, &cases[i]);
}

/* Only the first len bytes count: the rest of the buffer is not looked at. */
static void test_len_bounds_the_line(void **state)
{
    (void)state;
    hpo_metric_kv out[2];
    long step;
    const char *s = "a=1 garbage";
    assert_int_equal(metrics_parse_line(s, 3, out, 2, &step), 1);
    assert_string_equal(out[0].name, "a");
    assert_int_equal(metrics_parse_line(s, 2, out, 2, &step), 0);   /* "a=" */
    assert_int_equal(metrics_parse_line(s, 0, out, 2, &step), 0);
    assert_int_equal(metrics_parse_line("x=12", 3, out, 2, &step), 1);
    assert_true(metrics_kv_value(&out[0]) == 1.0);
}

/* A value counts exactly when strtod reads all of it: every token of up to
 * 5 characters over the alphabet numbers are made of, and more. */
static void test_numbers_as_strtod(void **state)
{
    (void)state;
    static const char alpha[] = "01.+-eExna";
    const size_t k = sizeof alpha - 1;
    char line[16] = "v=", num[8];
    for (size_t len = 1; len <= 5; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++) total *= k;
        for (size_t code = 0; code < total; code++) {
            size_t c = code;
            for (size_t i = 0; i < len; i++, c /= k) num[i] = alpha[c % k];
            num[len] = '\0';
            char *end;
            strtod(num, &end);
            int want = end == num + len;
            memcpy(line + 2, num, len + 1);
            hpo_metric_kv out[1];
            long step;
            if (metrics_parse_line(line, 2 + len, out, 1, &step) != want)
                fail_msg("\"%s\": strtod reads it %s, the parser says otherwise", num, want ? "whole" : "not whole");
        }
    }
}

/* max 0 or a NULL step are allowed; a non-report resets *step to -1. */
static void test_odd_arguments(void **state)
{
    (void)state;
    hpo_metric_kv out[1];
    long step = 5;
    assert_int_equal(metrics_parse_line("step=3 a=1", 10, out, 0, &step), 0);
    assert_int_equal(metrics_parse_line("step=3 a=1", 10, out, 1, NULL), 1);
    assert_int_equal(metrics_parse_line("hello", 5, out, 1, &step), 0);
    assert_int_equal(step, -1);
}

/* Every prefix and every single-byte change of a report line: never a
 * crash or an over-read, and a result always within [0, max]. */
static void test_mutations_never_crash(void **state)
{
    (void)state;
    const char *base = "step=12 val_acc=0.91 loss=3e-2 lr=nan";
    size_t n = strlen(base);
    hpo_metric_kv out[3];
    long step;
    for (size_t k = 0; k <= n; k++) {
        char *line = malloc(k ? k : 1);
        assert_non_null(line);
        memcpy(line, base, k);
        int r = metrics_parse_line(line, k, out, 3, &step);
        assert_true(r >= 0 && r <= 3);
        for (size_t i = 0; i < k; i++) {
            for (int b = 0; b < 256; b += 7) {
                char saved = line[i];
                line[i] = (char)b;
                r = metrics_parse_line(line, k, out, 3, &step);
                assert_true(r >= 0 && r <= 3);
                line[i] = saved;
            }
        }
        free(line);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_numbers_as_strtod),
        cmocka_unit_test(test_len_bounds_the_line),
        cmocka_unit_test(test_odd_arguments),
        cmocka_unit_test(test_mutations_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
