/*
 * bench_publish.c -- what publishing results.h5 costs (lib/store/publish.c):
 * copy the working file to a temporary file, fsync, rename over the
 * published one, fsync the directory.
 *
 *   bench_publish WORK DST [REPEATS]
 *
 * Prints one line: bytes, then the median and max milliseconds per publish.
 */
#include "store/publish.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_publish WORK DST [REPEATS]\n");
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 20;
    if (n < 1) n = 1;
    double *ms = xcalloc((size_t)n, sizeof *ms);
    for (int i = 0; i < n; i++) {
        double t0 = now_mono();
        if (publish_now(argv[1], argv[2]) != 0) {
            fprintf(stderr, "bench_publish: %s\n", hpo_error_last());
            return 1;
        }
        ms[i] = (now_mono() - t0) * 1000;
    }
    qsort(ms, (size_t)n, sizeof *ms, cmp);
    struct stat st;
    stat(argv[2], &st);
    printf("publish bytes=%lld median_ms=%.1f max_ms=%.1f repeats=%d\n", (long long)st.st_size,
           ms[n / 2], ms[n - 1], n);
    free(ms);
    return 0;
}
