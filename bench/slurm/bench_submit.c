/*
 * bench_submit.c -- milliseconds to submit one 1,000-task array job through
 * each of hpo's Slurm backends (libslurm, and sbatch via fork/exec), held so
 * that nothing runs, and cancelled after each submission.
 *
 *   bench_submit [--tasks N] [--reps R] SCRIPT
 * Prints one line per backend: "NAME tasks=N reps=R median_ms=M min_ms=m".
 */
#include "slurm/api.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench(const hpo_slurm_api *api, const char *script_path, const char *script, int tasks, int reps)
{
    char array[64];
    snprintf(array, sizeof array, "0-%d%%8", tasks - 1);
    hpo_slurm_job job = {.name = "hpo-bench-submit", .script = script, .script_path = script_path,
                         .array = array, .std_out = "/dev/null", .hold = 1, .time_limit_min = 1};
    double *ms = xcalloc((size_t)reps, sizeof(double));
    for (int i = 0; i < reps; i++) {
        long id = -1;
        double t0 = now_mono();
        if (api->submit(&job, &id) != 0) {
            fprintf(stderr, "%s: %s\n", api->name, hpo_error_last());
            return 1;
        }
        ms[i] = (now_mono() - t0) * 1000;
        api->cancel(id);
    }
    qsort(ms, (size_t)reps, sizeof(double), cmp_double);
    printf("%s tasks=%d reps=%d median_ms=%.2f min_ms=%.2f\n", api->name, tasks, reps, ms[reps / 2], ms[0]);
    free(ms);
    return 0;
}

int main(int argc, char **argv)
{
    int tasks = 1000, reps = 20;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tasks") == 0 && i + 1 < argc) tasks = atoi(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else path = argv[i];
    }
    char *script = NULL;
    const hpo_slurm_api *api = NULL;
    if (!path || read_file(path, &script, NULL) != 0 || slurm_api(&api) != 0) {
        fprintf(stderr, "usage: bench_submit [--tasks N] [--reps R] SCRIPT (with SLURM_CONF set): %s\n",
                hpo_error_last());
        return 2;
    }
    int r = 0;
#ifdef HPO_HAVE_LIBSLURM
    r |= bench(&slurm_api_libslurm, path, script, tasks, reps);
#endif
    r |= bench(&slurm_api_cli, path, script, tasks, reps);
    free(script);
    return r;
}
