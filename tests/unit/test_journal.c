/*
 * test_journal.c -- unit tests of lib/store/journal.c (the per-trial journal and
 * result file) and lib/client/report.c (hpo_report()).
 *
 * The journal is the durable record the whole system trusts, so beyond
 * round-trips these tests hold its crash contract: a journal cut at ANY byte
 * reads back exactly the complete lines before the cut, damage to one line
 * costs only that line, a writer killed with SIGKILL leaves every complete
 * report readable, and arbitrary bytes never crash the reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hpo.h"
#include "store/journal.h"
#include "core/util.h"

/* ---- helpers ---------------------------------------------------------- */

static char *make_tmpdir(void)
{
    char *d = xstrdup("/tmp/hpo-test-journal-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rm_rf(const char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

/* Plain (non-durable) write: fast enough to call once per byte offset. */
static void put_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* put_file() of a string literal, NULs included. */
#define PUT_LIT(path, lit) put_file(path, lit, sizeof(lit) - 1)

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void assert_rec_equal(const hpo_report_rec *got, const hpo_report_rec *want)
{
    assert_int_equal(got->step, want->step);
    assert_string_equal(got->metric, want->metric);
    assert_true(same_bits(got->time, want->time));
    assert_true(same_bits(got->value, want->value));
}

/* A line with a correct checksum around an arbitrary payload, so tests can
 * reach the parser behind the checksum. */
static size_t frame(char *out, const char *payload, size_t plen)
{
    sprintf(out, "%08x ", (unsigned)crc32_of(payload, plen));
    memcpy(out + 9, payload, plen);
    out[9 + plen] = '\n';
    return 10 + plen;
}

/* The checksum is the CRC-32 of zlib and Python's zlib.crc32 (what other
 * readers of the journal check): its standard check value, and a line the
 * runner wrote. */
static void test_crc32_is_zlibs(void **state)
{
    (void)state;
    assert_int_equal(crc32_of("123456789", 9), 0xCBF43926u);
    assert_int_equal(crc32_of("", 0), 0);
    /* zlib.crc32(b"r 0 1795966382.5738666 loss 1.000000") */
    assert_int_equal(crc32_of("r 0 1795966382.5738666 loss 1.000000", 36), 0xa6006d42u);
}

/* Numbers are written in the fewest digits (at least 6) that read back
 * exactly: known texts, then for many values that they read back and that
 * one digit fewer would not. */
static void test_format_double_shortest(void **state)
{
    (void)state;
    static const struct { double v; const char *text; } known[] = {
        {0.1, "0.1"}, {0.7963199610821903, "0.7963199610821903"}, {1.0 / 3.0, "0.3333333333333333"},
        {1795966382.5738666, "1795966382.5738666"}, {1e13, "1e+13"}, {123456789012.0, "123456789012"},
        {-2.5, "-2.5"}, {0.0, "0"}, {NAN, "nan"}, {-INFINITY, "-inf"},
    };
    char buf[40], fewer[40];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        format_double(buf, sizeof buf, known[i].v);
        assert_string_equal(buf, known[i].text);
    }
    for (long i = 1; i < 200000; i++) {
        double v = i % 2 ? 1.0 / (double)i : 1795966382.0 + (double)i * 1e-7;
        format_double(buf, sizeof buf, v);
        assert_true(strtod(buf, NULL) == v);
        int digits = 0;
        for (const char *c = buf; *c && *c != 'e'; c++) digits += *c >= '0' && *c <= '9';
        for (const char *c = buf; *c == '0' || *c == '.'; c++) digits -= *c == '0';   /* leading zeros */
        if (digits <= 6) continue;
        snprintf(fewer, sizeof fewer, "%.*g", digits - 1, v);
        if (strtod(fewer, NULL) == v) fail_msg("%s: %s is shorter and reads back too", buf, fewer);
    }
}

/* Values whose text form is tricky: all must come back bit for bit. */
static const double tricky[] = {
    0.0, -0.0, 1.0, 0.1, -2.5, 1e-300, 4.9406564584124654e-324, DBL_MIN, DBL_MAX,
    -DBL_MAX, 3.141592653589793, 1.0 / 3.0, 123456789012345678.0, NAN, INFINITY,
    -INFINITY, 0.30000000000000004,
};
#define NTRICKY (sizeof tricky / sizeof tricky[0])

/* Write a journal of n reports (steps 0..n-1, values from `tricky`) with
 * an event after every third; fill want[] with what must be read back. */
static void write_sample(const char *dir, int n, hpo_report_rec *want)
{
    int fd;
    assert_int_equal(journal_open(dir, &fd), HPO_OK);
    for (int i = 0; i < n; i++) {
        hpo_report_rec *w = &want[i];
        w->step = i;
        w->time = 1700000000.0 + i * 0.123456789;
        if (i % 2) snprintf(w->metric, sizeof w->metric, "val_acc");
        else snprintf(w->metric, sizeof w->metric, "train/loss-%d", i);
        w->value = tricky[(size_t)i % NTRICKY];
        assert_int_equal(journal_append_report(fd, w->step, w->time, w->metric, w->value), HPO_OK);
        if (i % 3 == 2) assert_int_equal(journal_append_event(fd, "checkpoint\nsaved"), HPO_OK);
    }
    close(fd);
}

/* ---- journal: round trip ---------------------------------------------- */

static void test_roundtrip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    enum { N = 40 };
    hpo_report_rec want[N];
    write_sample(dir, N, want);

    char *path = path_join(dir, "journal");
    hpo_report_rec *recs;
    size_t n, dropped;
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, N);
    assert_int_equal(dropped, 0);
    for (int i = 0; i < N; i++) assert_rec_equal(&recs[i], &want[i]);
    assert_true(isnan(recs[13].value));
    assert_true(isinf(recs[14].value) && recs[14].value > 0);
    assert_true(isinf(recs[15].value) && recs[15].value < 0);
    free(recs);

    /* Every line has the documented form. */
    char *data;
    size_t len;
    assert_int_equal(read_file(path, &data, &len), HPO_OK);
    assert_memory_equal(data + 8, " r 0 ", 5);
    assert_non_null(strstr(data, " e checkpoint saved\n"));
    free(data);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_negative_step_is_unnumbered(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    int fd;
    assert_int_equal(journal_open(dir, &fd), HPO_OK);
    assert_int_equal(journal_append_report(fd, -7, 1.5, "a", 2.0), HPO_OK);
    assert_int_equal(journal_append_report(fd, -1, 1.5, "a", 3.0), HPO_OK);
    close(fd);
    char *path = path_join(dir, "journal");
    hpo_report_rec *recs;
    size_t n, dropped;
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, 2);
    assert_int_equal(recs[0].step, -1);
    assert_int_equal(recs[1].step, -1);
    free(recs);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_metric_names_checked_at_append(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    int fd;
    assert_int_equal(journal_open(dir, &fd), HPO_OK);
    const char *bad[] = {"", "a23456789012345678901234567890123" /* 33 */,
                         "a2345678901234567890123456789012" /* 32 */, "val acc", "a\nb",
                         "1abc", "a=b", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(journal_append_report(fd, 0, 0.0, bad[i], 1.0), HPO_EINVAL);
    assert_int_equal(journal_append_report(fd, 0, 0.0, NULL, 1.0), HPO_EINVAL);
    assert_int_equal(journal_append_report(fd, 0, 0.0, "a234567890123456789012345678901", 1.0),
                     HPO_OK); /* 31 bytes: the longest allowed */
    assert_int_equal(journal_append_report(fd, 0, 0.0, "_x.y:z/w-1", 1.0), HPO_OK);
    close(fd);
    char *path = path_join(dir, "journal");
    hpo_report_rec *recs;
    size_t n, dropped;
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, 2);
    assert_int_equal(dropped, 0);
    assert_string_equal(recs[0].metric, "a234567890123456789012345678901");
    assert_string_equal(recs[1].metric, "_x.y:z/w-1");
    free(recs);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_missing_journal_reads_empty(void **state)
{
    (void)state;
    hpo_report_rec *recs = (hpo_report_rec *)1;
    size_t n = 99, dropped = 99;
    assert_int_equal(journal_read("/nonexistent/hpo/journal", &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, 0);
    assert_int_equal(dropped, 0);
    assert_null(recs);
}

/* ---- journal: the crash contract -------------------------------------- */

/* Cut a valid journal at every byte offset: the reader returns exactly the
 * reports of the complete lines before the cut, and counts the torn line. */
static void test_truncate_every_offset(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    enum { N = 12 };
    hpo_report_rec want[N];
    write_sample(dir, N, want);
    char *path = path_join(dir, "journal"), *cut = path_join(dir, "cut");
    char *data;
    size_t len;
    assert_int_equal(read_file(path, &data, &len), HPO_OK);

    for (size_t k = 0; k <= len; k++) {
        /* Reports on complete lines of data[0..k): count the report lines
         * ("<crc> r ...") whose '\n' lies before the cut. */
        size_t expect = 0;
        for (size_t i = 0, start = 0; i < k; i++) {
            if (data[i] != '\n') continue;
            if (data[start + 9] == 'r') expect++;
            start = i + 1;
        }
        put_file(cut, data, k);
        hpo_report_rec *recs;
        size_t n, dropped;
        assert_int_equal(journal_read(cut, &recs, &n, &dropped), HPO_OK);
        assert_int_equal(n, expect);
        assert_int_equal(dropped, (k > 0 && data[k - 1] != '\n') ? 1 : 0);
        for (size_t i = 0; i < n; i++) assert_rec_equal(&recs[i], &want[i]);
        free(recs);
    }
    free(data);
    free(path);
    free(cut);
    rm_rf(dir);
    free(dir);
}

/* Damage any one byte of a middle report line: only that line is lost. */
static void test_flipped_byte_drops_one_line(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    enum { N = 5 };
    hpo_report_rec want[N];
    write_sample(dir, N, want);   /* lines: r0 r1 r2 e r3 r4 */
    char *path = path_join(dir, "journal"), *bad = path_join(dir, "bad");
    char *data;
    size_t len;
    assert_int_equal(read_file(path, &data, &len), HPO_OK);
    /* The line of report 1 is the second line. */
    char *l1 = strchr(data, '\n') + 1, *l1end = strchr(l1, '\n');
    for (char *p = l1; p < l1end; p++) {
        for (int bit = 0; bit < 8; bit++) {
            char saved = *p;
            *p = (char)(*p ^ (1 << bit));
            if (*p == '\n') {  /* would split the line in two: not this test */
                *p = saved;
                continue;
            }
            put_file(bad, data, len);
            *p = saved;
            hpo_report_rec *recs;
            size_t n, dropped;
            assert_int_equal(journal_read(bad, &recs, &n, &dropped), HPO_OK);
            assert_int_equal(dropped, 1);
            assert_int_equal(n, N - 1);
            assert_rec_equal(&recs[0], &want[0]);
            for (size_t i = 1; i < n; i++) assert_rec_equal(&recs[i], &want[i + 1]);
            free(recs);
        }
    }
    free(data);
    free(path);
    free(bad);
    rm_rf(dir);
    free(dir);
}

/* An append after a torn last line must not be glued onto it. */
static void test_append_after_torn_line(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    enum { N = 3 };
    hpo_report_rec want[N];
    write_sample(dir, N, want);
    char *path = path_join(dir, "journal");
    char *data;
    size_t len;
    assert_int_equal(read_file(path, &data, &len), HPO_OK);
    put_file(path, data, len - 7);     /* tear the last line (an event) */
    free(data);

    int fd;
    assert_int_equal(journal_open(dir, &fd), HPO_OK);
    assert_int_equal(journal_append_report(fd, 3, 9.0, "after", 0.5), HPO_OK);
    close(fd);
    hpo_report_rec *recs;
    size_t n, dropped;
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(dropped, 1);
    assert_int_equal(n, N + 1);
    for (int i = 0; i < N; i++) assert_rec_equal(&recs[i], &want[i]);
    assert_string_equal(recs[N].metric, "after");
    assert_int_equal(recs[N].step, 3);
    free(recs);
    free(path);
    rm_rf(dir);
    free(dir);
}

/* A writer killed with SIGKILL at a random instant: every complete report
 * reads back, steps consecutive from 0, at most one line lost. */
static void test_sigkill_writer(void **state)
{
    (void)state;
    size_t total = 0;
    for (int round = 0; round < 5; round++) {
        char *dir = make_tmpdir();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int fd;
            if (journal_open(dir, &fd) != HPO_OK) _exit(2);
            for (long i = 0;; i++) {
                if (journal_append_report(fd, i, now_wall(), "loss", 1.0 / (double)(i + 1)) != HPO_OK)
                    _exit(3);
                if (i % 4 == 3) journal_append_event(fd, "tick");
            }
        }
        struct timespec ts = {0, (20 + 15 * round) * 1000000L};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        char *path = path_join(dir, "journal");
        hpo_report_rec *recs;
        size_t n, dropped;
        assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
        assert_true(dropped <= 1);
        total += n;
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(recs[i].step, (long)i);
            assert_string_equal(recs[i].metric, "loss");
            assert_true(same_bits(recs[i].value, 1.0 / (double)(i + 1)));
        }
        free(recs);
        free(path);
        rm_rf(dir);
        free(dir);
    }
    assert_true(total > 0);   /* the writer did get to write before the kills */
}

/* ---- journal: hostile input ------------------------------------------- */

/* Lines behind a valid checksum that still are not reports. */
static void test_valid_crc_but_not_a_report(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = path_join(dir, "journal");
    /* C(): the literal and its length, NULs included */
#define C(lit, report, bad) {lit, sizeof(lit) - 1, report, bad}
    static const struct { const char *payload; size_t len; int report, bad; } cases[] = {
        C("r 1 2.5 acc 0.5", 1, 0),
        C("r -1 2.5 acc nan", 1, 0),
        C("r 1 2.5 acc 0.5 ", 0, 1),           /* trailing space */
        C("r 1 2.5 acc", 0, 1),                /* missing field */
        C("r 1 2.5 acc 0.5 7", 0, 1),          /* extra field */
        C("r 1  2.5 acc 0.5", 0, 1),           /* empty field */
        C("r 1.5 2.5 acc 0.5", 0, 1),          /* step not an integer */
        C("r -2 2.5 acc 0.5", 0, 1),           /* step below -1 */
        C("r 99999999999999999999999 2.5 acc 0.5", 0, 1), /* step overflows */
        C("r 1 x acc 0.5", 0, 1),              /* time not a number */
        C("r 1 2.5 acc 0.5x", 0, 1),           /* value not a number */
        C("r 1 2.5 acc \t0.5", 0, 1),          /* whitespace strtod would skip */
        C("r 1 2.5 a2345678901234567890123456789012 0.5", 0, 1), /* 32-byte name */
        C("r 1 2.5 9acc 0.5", 0, 1),           /* bad name */
        C("r 1 2.5 acc 0.5\0", 0, 1),          /* NUL in a number */
        C("r 1 2.5 a\0c 0.5", 0, 1),           /* NUL in a name */
        C("r", 0, 1),
        C("rx 1 2 a 3", 0, 1),
        C("e", 0, 0),                           /* events: valid, not reports */
        C("e anything \0 at all", 0, 0),
        C("x future kind", 0, 0),              /* unknown kinds are skipped */
    };
#undef C
    size_t nc = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < nc; i++) {
        char line[128];
        size_t ll = frame(line, cases[i].payload, cases[i].len);
        put_file(path, line, ll);
        hpo_report_rec *recs;
        size_t n, dropped;
        assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
        if (n != (size_t)cases[i].report || dropped != (size_t)cases[i].bad)
            fail_msg("case %zu (%s): n=%zu dropped=%zu", i, cases[i].payload, n, dropped);
        free(recs);
    }
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_hostile_bytes_never_crash(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = path_join(dir, "journal");
    hpo_report_rec *recs;
    size_t n, dropped;

    /* A huge line without and with its newline; NULs; blank lines. */
    size_t big = 1 << 20;
    char *buf = xmalloc(big + 1);
    memset(buf, 'a', big);
    put_file(path, buf, big);
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, 0);
    assert_int_equal(dropped, 1);
    buf[big - 1] = '\n';
    put_file(path, buf, big);
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(dropped, 1);
    memset(buf, 0, big);
    put_file(path, buf, 4096);
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, 0);
    assert_int_equal(dropped, 1);
    PUT_LIT(path, "\n\n\n");   /* empty lines: what torn-line repair leaves */
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n + dropped, 0);
    free(buf);

    /* Mutations of a valid journal: random bytes, cuts and duplications. */
    enum { N = 10 };
    hpo_report_rec want[N];
    char *sub = path_join(dir, "src");
    assert_int_equal(mkdir(sub, 0777), 0);
    write_sample(sub, N, want);
    char *src = path_join(sub, "journal"), *data;
    size_t len;
    assert_int_equal(read_file(src, &data, &len), HPO_OK);
    char *mut = xmalloc(2 * len + 1);
    srand(12345);
    for (int iter = 0; iter < 3000; iter++) {
        size_t ml = len;
        memcpy(mut, data, len);
        int edits = 1 + rand() % 8;
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)rand() % ml;
            switch (rand() % 4) {
            case 0: mut[at] = (char)(rand() % 256); break;
            case 1: mut[at] = (char)"\n \0r-e.9f"[rand() % 9]; break;
            case 2: ml = at; break;
            default:  /* duplicate a chunk */
                if (ml + 64 <= 2 * len) { memmove(mut + at + 64, mut + at, ml - at); ml += 64; }
            }
            if (ml == 0) break;
        }
        put_file(path, mut, ml);
        assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
        assert_true(n <= ml / 10);
        free(recs);
    }
    free(mut);
    free(data);
    free(src);
    free(sub);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_events_are_sanitized(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    int fd;
    assert_int_equal(journal_open(dir, &fd), HPO_OK);
    size_t big = 10000;
    char *text = xmalloc(big + 1);
    memset(text, 'x', big);
    text[big] = '\0';
    text[5] = '\n';
    text[6] = '\r';
    assert_int_equal(journal_append_event(fd, text), HPO_OK);
    assert_int_equal(journal_append_event(fd, ""), HPO_OK);
    assert_int_equal(journal_append_event(fd, NULL), HPO_OK);
    assert_int_equal(journal_append_report(fd, 0, 1.0, "m", 2.0), HPO_OK);
    close(fd);
    free(text);
    char *path = path_join(dir, "journal"), *data;
    size_t len;
    assert_int_equal(read_file(path, &data, &len), HPO_OK);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    assert_int_equal(lines, 4);       /* newlines inside text did not split it */
    assert_true(len < 4096 + 200);    /* the long event was truncated */
    free(data);
    hpo_report_rec *recs;
    size_t n, dropped;
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, 1);
    assert_int_equal(dropped, 0);
    free(recs);
    free(path);
    rm_rf(dir);
    free(dir);
}

/* ---- result file ------------------------------------------------------ */

static void test_result_roundtrip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    hpo_trial_result r, got;
    memset(&r, 0, sizeof r);
    strcpy(r.status, HPO_STATUS_OOM);
    r.exit_code = -1;
    r.signal = 9;
    r.start_time = 1700000000.123456789;
    r.end_time = 1700000123.987654321;
    r.runtime_s = r.end_time - r.start_time;
    r.max_rss_kb = 123456789L;
    strcpy(r.node, "gpu-node-07\nsecond line");
    strcpy(r.gpu, "NVIDIA H100=80GB");
    /* Fill reason to the brim, with no NUL at all: must not be over-read. */
    memset(r.reason, 'y', sizeof r.reason);
    r.reason[10] = '\n';
    assert_int_equal(result_write(dir, &r), HPO_OK);
    assert_int_equal(result_read(dir, &got), HPO_OK);
    assert_string_equal(got.status, "oom");
    assert_int_equal(got.exit_code, -1);
    assert_int_equal(got.signal, 9);
    assert_true(same_bits(got.start_time, r.start_time));
    assert_true(same_bits(got.end_time, r.end_time));
    assert_true(same_bits(got.runtime_s, r.runtime_s));
    assert_int_equal(got.max_rss_kb, 123456789L);
    assert_string_equal(got.node, "gpu-node-07 second line");
    assert_string_equal(got.gpu, "NVIDIA H100=80GB");
    assert_int_equal(strlen(got.reason), sizeof got.reason - 1);
    assert_int_equal(got.reason[10], ' ');
    assert_int_equal(got.reason[11], 'y');

    /* Non-finite times survive too. */
    r.start_time = NAN;
    r.end_time = INFINITY;
    assert_int_equal(result_write(dir, &r), HPO_OK);
    assert_int_equal(result_read(dir, &got), HPO_OK);
    assert_true(isnan(got.start_time));
    assert_true(isinf(got.end_time));
    rm_rf(dir);
    free(dir);
}

/* A result written by hand (or a later version): unknown keys, CRLF, lines
 * without '=', and strings longer than the struct. */
static void test_result_read_lenient(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = path_join(dir, "result");
    char longnode[300];
    memset(longnode, 'n', sizeof longnode - 1);
    longnode[sizeof longnode - 1] = '\0';
    /* 62 ASCII bytes then a 2-byte UTF-8 character crossing the 63-byte cut */
    char utf[80];
    memset(utf, 'g', 62);
    strcpy(utf + 62, "\xc3\xa9tail");
    char *text = xasprintf("# comment\nfuture_key=whatever\nstatus=completed\r\n"
                           "exit_code=0\nnode=%s\ngpu=%s\nreason=a=b\n", longnode, utf);
    put_file(path, text, strlen(text));
    free(text);
    hpo_trial_result got;
    assert_int_equal(result_read(dir, &got), HPO_OK);
    assert_string_equal(got.status, "completed");
    assert_int_equal(strlen(got.node), sizeof got.node - 1);
    assert_int_equal(strlen(got.gpu), 62);          /* not cut inside the é */
    assert_string_equal(got.reason, "a=b");
    assert_int_equal(got.max_rss_kb, 0);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_result_errors(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    hpo_trial_result got;
    assert_int_equal(result_read(dir, &got), HPO_ENOTFOUND);

    char *path = path_join(dir, "result");
    PUT_LIT(path, "exit_code=0\nnode=x\n");
    assert_int_equal(result_read(dir, &got), HPO_ECORRUPT);
    assert_non_null(strstr(hpo_error_last(), path));

    PUT_LIT(path, "");
    assert_int_equal(result_read(dir, &got), HPO_ECORRUPT);
    PUT_LIT(path, "status=\n");
    assert_int_equal(result_read(dir, &got), HPO_ECORRUPT);
    PUT_LIT(path, "status=failed\nexit_code=abc\n");
    assert_int_equal(result_read(dir, &got), HPO_ECORRUPT);
    assert_non_null(strstr(hpo_error_last(), "exit_code"));
    PUT_LIT(path, "status=failed\nruntime_s=1.5s\n");
    assert_int_equal(result_read(dir, &got), HPO_ECORRUPT);
    PUT_LIT(path, "status=fai\0led\nexit_code=1");   /* NULs, no final '\n' */
    assert_int_equal(result_read(dir, &got), HPO_OK);
    assert_string_equal(got.status, "fai");
    assert_int_equal(got.exit_code, 1);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void test_status_is_terminal(void **state)
{
    (void)state;
    assert_false(status_is_terminal(HPO_STATUS_PLANNED));
    assert_false(status_is_terminal(HPO_STATUS_RUNNING));
    assert_false(status_is_terminal(NULL));
    assert_false(status_is_terminal(""));
    const char *done[] = {HPO_STATUS_COMPLETED, HPO_STATUS_FAILED, HPO_STATUS_TIMEOUT,
                          HPO_STATUS_OOM, HPO_STATUS_NODE_FAIL, HPO_STATUS_CANCELLED,
                          HPO_STATUS_PRUNED};
    for (size_t i = 0; i < sizeof done / sizeof done[0]; i++)
        assert_true(status_is_terminal(done[i]));
}

/* ---- hpo_report() ----------------------------------------------------- */

static void test_hpo_report(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = path_join(dir, "my-journal");   /* any name: the env says */
    assert_int_equal(setenv("HPO_JOURNAL", path, 1), 0);
    double before = now_wall();
    assert_int_equal(hpo_report("val_acc", 0.91, 3), HPO_OK);
    assert_int_equal(hpo_report("val_acc", NAN, -5), HPO_OK);
    /* a bad name is an invalid argument, and its message stays the last
     * error through later successful calls (hpo.h) */
    assert_int_equal(hpo_report("bad name", 1.0, 0), HPO_EINVAL);
    assert_int_equal(hpo_report(NULL, 1.0, 0), HPO_EINVAL);
    assert_int_equal(hpo_report("a2345678901234567890123456789012", 1.0, 0), HPO_EINVAL);
    char *msg = xstrdup(hpo_error_last());
    assert_non_null(strstr(msg, "invalid metric name"));
    assert_int_equal(hpo_report("val_acc", 0.5, 4), HPO_OK);
    assert_string_equal(hpo_error_last(), msg);
    free(msg);
    hpo_report_rec *recs;
    size_t n, dropped;
    assert_int_equal(journal_read(path, &recs, &n, &dropped), HPO_OK);
    assert_int_equal(n, 3);
    assert_int_equal(dropped, 0);
    assert_string_equal(recs[0].metric, "val_acc");
    assert_true(same_bits(recs[0].value, 0.91));
    assert_int_equal(recs[0].step, 3);
    assert_true(recs[0].time >= before - 1 && recs[0].time <= now_wall() + 1);
    assert_int_equal(recs[1].step, -1);
    assert_true(isnan(recs[1].value));
    free(recs);

    assert_int_equal(setenv("HPO_JOURNAL", "/nonexistent-dir/journal", 1), 0);
    assert_int_equal(hpo_report("x", 1.0, 0), HPO_ENOTFOUND);
    assert_int_equal(unsetenv("HPO_JOURNAL"), 0);
    assert_int_equal(hpo_report("x", 1.0, 0), HPO_ENOTFOUND);
    assert_non_null(strstr(hpo_error_last(), "HPO_JOURNAL"));
    free(path);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_is_zlibs),
        cmocka_unit_test(test_format_double_shortest),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_negative_step_is_unnumbered),
        cmocka_unit_test(test_metric_names_checked_at_append),
        cmocka_unit_test(test_missing_journal_reads_empty),
        cmocka_unit_test(test_truncate_every_offset),
        cmocka_unit_test(test_flipped_byte_drops_one_line),
        cmocka_unit_test(test_append_after_torn_line),
        cmocka_unit_test(test_sigkill_writer),
        cmocka_unit_test(test_valid_crc_but_not_a_report),
        cmocka_unit_test(test_hostile_bytes_never_crash),
        cmocka_unit_test(test_events_are_sanitized),
        cmocka_unit_test(test_result_roundtrip),
        cmocka_unit_test(test_result_read_lenient),
        cmocka_unit_test(test_result_errors),
        cmocka_unit_test(test_status_is_terminal),
        cmocka_unit_test(test_hpo_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
