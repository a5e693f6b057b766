/*
 * test_slurm_options.c -- the sbatch options of a job are built in one
 * place (slurm_job_options, slurm/api.h), in one order, for the CLI backend's
 * sbatch command line and the #SBATCH lines of the scripts alike: every
 * field of the job appears once, an unset one not at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "slurm/api.h"

static void test_every_field_in_order(void **state)
{
    (void)state;
    char *extra[] = {"--exclusive", "--constraint=a100"};
    hpo_slurm_job j = {
        .name = "hpo-12345678-r0003", .array = "0-7%4", .partition = "gpu", .account = "proj", .qos = "normal",
        .gres = "gpu:1", .mem = "16G", .time_limit_min = 61, .cpus_per_task = 4, .signal = "USR2@120",
        .dependency = "afterany:17", .begin_in_s = 30, .std_out = "/e/trials/slurm-%A_%a.out", .work_dir = "/e", .no_requeue = 1,
        .hold = 1, .extra = extra, .n_extra = 2,
    };
    const char *want[] = {"--job-name=hpo-12345678-r0003", "--array=0-7%4", "--partition=gpu", "--account=proj",
                          "--qos=normal", "--gres=gpu:1", "--mem=16G", "--cpus-per-task=4", "--time=61",
                          "--signal=B:USR2@120", "--dependency=afterany:17", "--begin=now+30", "--no-requeue", "--hold",
                          "--output=/e/trials/slurm-%A_%a.out", "--chdir=/e", "--exclusive", "--constraint=a100",
                          NULL};
    int n = -1;
    char **o = slurm_job_options(&j, &n);
    int k = 0;
    for (; want[k]; k++) {
        assert_non_null(o[k]);
        assert_string_equal(o[k], want[k]);
    }
    assert_null(o[k]);
    assert_int_equal(n, k);
    slurm_job_options_free(o);
}

static void test_unset_fields_left_out(void **state)
{
    (void)state;
    hpo_slurm_job j = {.name = "d", .mem = "", .partition = NULL};
    int n = -1;
    char **o = slurm_job_options(&j, &n);
    assert_int_equal(n, 1);
    assert_string_equal(o[0], "--job-name=d");
    assert_null(o[1]);
    slurm_job_options_free(o);
}

/* slurmctld counts a pending array once per task: so must hpo, to stay
 * under MaxJobCount (api.h limits()). */
static void test_array_count(void **state)
{
    (void)state;
    assert_int_equal(slurm_array_count("0-9%4"), 10);
    assert_int_equal(slurm_array_count("3"), 1);
    assert_int_equal(slurm_array_count("0-3,7,9-10%2"), 7);
    assert_int_equal(slurm_array_count("0-15:4"), 4);
    assert_int_equal(slurm_array_count(""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field_in_order),
        cmocka_unit_test(test_unset_fields_left_out),
        cmocka_unit_test(test_array_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
