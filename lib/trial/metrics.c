/*
 * metrics.c -- the stdout report protocol (see metrics.h for the grammar).
 *
 * How it fits: the trial runner reads the user program's stdout line by
 * line, hands every line to metrics_parse_line(), and appends what it finds
 * to the trial's journal.  Most lines of a program's output are ordinary
 * text, so the parser is strict: a line counts only if EVERY token is
 * NAME=NUMBER; one stray word ("epoch 3 done: acc=0.9") makes it ordinary
 * output, never a half-read report.  The line is not NUL-terminated and may
 * hold any bytes, so nothing here reads past `len`.
 */
#include "trial/metrics.h"
#include "core/metric_name.h"

#include <stdlib.h>
#include <string.h>

/* Longest NUMBER token accepted; "%.17g" needs at most 24 bytes. */
#define NUM_MAX 64

/* Whitespace between tokens; '\r' included so CRLF output parses. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}


/* Whether s[0..n) is a plain decimal number: [+-] digits [. digits]
 * [(e|E) [+-] digits], with at least one digit before the exponent.  What
 * strtod reads whole, but checked without converting it: a trial printing
 * a million metric lines a second would otherwise spend most of the
 * runner's time in strtod. */
static int plain_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits++;
    if (digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) e = ++i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == e) return 0;
    }
    return i == n;
}

/* strtod of s[0..n), which has no NUL; *end_ok: it read all n bytes. */
static double convert(const char *s, size_t n, int *end_ok)
{
    char buf[NUM_MAX];
    memcpy(buf, s, n);             /* strtod needs a NUL; s has none */
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    *end_ok = end == buf + n;      /* short of n also catches an embedded NUL */
    return v;
}

/* NUMBER: the whole token must be what strtod accepts ("0.91," is not).
 * Plain decimals are checked by their syntax, the rest (nan, inf, hex
 * floats) by strtod itself; a token never starts with whitespace, so
 * strtod's skipping of it cannot matter. */
static int number_ok(const char *s, size_t n)
{
    if (n == 0 || n >= NUM_MAX) return 0;
    if (plain_decimal(s, n)) return 1;
    int ok;
    convert(s, n, &ok);
    return ok;
}

double metrics_kv_value(const hpo_metric_kv *kv)
{
    int ok;
    return convert(kv->text, kv->text_len, &ok);
}

/* The step: a plain decimal integer >= 0. */
static int step_ok(const char *s, size_t n, long *out)
{
    if (n == 0 || n > 18) return 0;    /* 18 digits cannot overflow a long */
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

int metrics_parse_line(const char *line, size_t len, hpo_metric_kv *out, int max, long *step)
{
    long st = -1;
    int found = 0, stored = 0;
    size_t i = 0;
    if (step) *step = -1;
    while (i < len) {
        while (i < len && is_space(line[i])) i++;
        if (i == len) break;
        size_t start = i;
        while (i < len && !is_space(line[i])) i++;
        const char *tok = line + start;
        size_t tn = i - start;

        const char *eq = memchr(tok, '=', tn);
        if (!eq) return 0;
        size_t nn = (size_t)(eq - tok);
        const char *val = eq + 1;
        size_t vn = tn - nn - 1;
        if (!metric_name_ok(tok, nn)) return 0;

        if (nn == 4 && memcmp(tok, "step", 4) == 0) {
            /* A second step= would make the line ambiguous. */
            if (st >= 0 || !step_ok(val, vn, &st)) return 0;
            continue;
        }
        if (!number_ok(val, vn)) return 0;
        found++;
        /* More metrics than room: keep the first `max`, but go on checking
         * that the rest of the line is still a report. */
        if (out && stored < max) {
            memcpy(out[stored].name, tok, nn);
            out[stored].name[nn] = '\0';
            out[stored].name_len = nn;
            out[stored].text = val;
            out[stored].text_len = vn;
            stored++;
        }
    }
    if (found == 0) return 0;          /* "step=3" alone reports nothing */
    if (step) *step = st;
    return stored;
}
