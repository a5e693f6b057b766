/*
 * test_lease.c -- the rules of store/lease.h on real files: a lease of
 * another host is refused while live and taken over once expired, one of
 * this host at once, a damaged one replaced; release removes only this
 * process's own; a temporary lease left by a killed writer is removed by
 * the next holder; the heartbeat renews a held lease past its first expiry
 * and leaves alone one that was lost.  "Another host" is HPO_HOSTNAME.
 * (The lease module takes no flock itself: these call it as the holder of
 * the flock would.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "store/lease.h"

static char dir[64], lock[96], lease[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hpo-lease-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(lock, sizeof lock, "%s/lock", dir);
    snprintf(lease, sizeof lease, "%s/lock.lease", dir);
    setenv("HPO_LEASE_S", "60", 1);
    unsetenv("HPO_HOSTNAME");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    empty_directory(dir);
    rmdir(dir);
    return 0;
}

/* The value of `key` in the lease file ("" if none). */
static const char *field(const char *key)
{
    static char v[128];
    char *text = NULL, *at;
    v[0] = '\0';
    if (read_file(lease, &text, NULL) != 0) return v;
    char *needle = xasprintf("%s=", key);
    if ((at = strstr(text, needle))) snprintf(v, sizeof v, "%.*s", (int)strcspn(at + strlen(needle), "\n"), at + strlen(needle));
    free(needle);
    free(text);
    return v;
}

/* A lease of host `host` expiring `in` seconds from now. */
static void plant(const char *host, double in)
{
    char *text = xasprintf("host=%s\npid=99\nboot=b\ntoken=feed\nlease=60\nexpires=%.3f\n", host, now_wall() + in);
    assert_int_equal(write_file_atomic(lease, text, strlen(text)), 0);
    free(text);
}

static void test_other_host_live_refused_expired_taken(void **state)
{
    (void)state;
    plant("elsewhere", 30);
    char who[256];
    assert_int_equal(lease_acquire(lock, 10, who, sizeof who), HPO_ELOCKED);
    assert_non_null(strstr(who, "host elsewhere pid 99 (its lease expires in"));
    assert_true(lease_held_elsewhere(lock, NULL, 0));
    assert_string_equal(field("token"), "feed");   /* untouched */
    plant("elsewhere", -29);   /* expired, but within the grace (30 s) */
    assert_int_equal(lease_acquire(lock, 10, NULL, 0), HPO_ELOCKED);
    plant("elsewhere", -31);   /* past it: its holder vanished */
    assert_int_equal(lease_acquire(lock, 10, NULL, 0), 0);
    assert_false(lease_held_elsewhere(lock, NULL, 0));
    char host[128];
    host_name(host, sizeof host);
    assert_string_equal(field("host"), host);
    lease_release(10);
    assert_false(path_exists(lease));
}

static void test_same_host_and_damaged_taken_at_once(void **state)
{
    (void)state;
    char host[128];
    host_name(host, sizeof host);
    /* Of this host (another boot id would be another host: this boot's). */
    char *boot = NULL;
    assert_int_equal(read_file("/proc/sys/kernel/random/boot_id", &boot, NULL), 0);
    boot[strcspn(boot, "\n")] = '\0';
    char *text = xasprintf("host=%s\npid=1\nboot=%s\ntoken=feed\nexpires=%.0f\n", host, boot, now_wall() + 3600);
    assert_int_equal(write_file_atomic(lease, text, strlen(text)), 0);
    assert_false(lease_held_elsewhere(lock, NULL, 0));
    assert_int_equal(lease_acquire(lock, 11, NULL, 0), 0);
    assert_string_not_equal(field("token"), "feed");
    lease_release(11);
    assert_int_equal(write_file_atomic(lease, "garbage\n", 8), 0);
    assert_int_equal(lease_acquire(lock, 12, NULL, 0), 0);
    assert_string_equal(field("host"), host);
    lease_handoff(12);   /* left for a child process to take on */
    assert_true(path_exists(lease));
    free(text);
    free(boot);
}

/* A holder killed between writing its temporary lease and the rename
 * left LOCK.lease.new-TOKEN: the next holder removes it. */
static void test_stale_temporary_removed(void **state)
{
    (void)state;
    char stale[160], other[160];
    snprintf(stale, sizeof stale, "%s.new-deadbeef", lease);
    snprintf(other, sizeof other, "%s/lockx.lease.new-deadbeef", dir);   /* another lock's: kept */
    assert_int_equal(write_file_atomic(stale, "host=gone\n", 10), 0);
    assert_int_equal(write_file_atomic(other, "host=gone\n", 10), 0);
    assert_int_equal(lease_acquire(lock, 17, NULL, 0), 0);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(access(other, F_OK), 0);
    assert_int_equal(access(lease, F_OK), 0);
    lease_release(17);
}

static void test_release_removes_only_its_own(void **state)
{
    (void)state;
    assert_int_equal(lease_acquire(lock, 13, NULL, 0), 0);
    plant("elsewhere", 30);   /* someone else's now */
    lease_release(13);
    assert_string_equal(field("token"), "feed");
}

static void test_heartbeat_renews_and_lets_go_of_a_lost_lease(void **state)
{
    (void)state;
    setenv("HPO_LEASE_S", "1.5", 1);
    setenv("HPO_HOSTNAME", "holder", 1);
    assert_int_equal(lease_acquire(lock, 14, NULL, 0), 0);
    double first = atof(field("expires"));
    char token[40];
    snprintf(token, sizeof token, "%s", field("token"));
    while (now_wall() < first + 1.5) sleep_ms(20);   /* well past expiry and grace (0.75 s) */
    setenv("HPO_HOSTNAME", "taker", 1);
    assert_true(lease_held_elsewhere(lock, NULL, 0));   /* renewed: still live */
    assert_int_equal(lease_acquire(lock, 15, NULL, 0), HPO_ELOCKED);
    assert_string_equal(field("token"), token);
    /* Lost (as if it stalled past expiry and another host took over): the
     * heartbeat renews it no more and leaves the new holder's lease alone. */
    plant("elsewhere", 3600);
    double until = now_wall() + 1.5;   /* longer than a renewal takes to come */
    while (now_wall() < until) sleep_ms(20);
    assert_string_equal(field("token"), "feed");
    lease_release(14);
    assert_string_equal(field("token"), "feed");
}

static void test_off(void **state)
{
    (void)state;
    setenv("HPO_LEASE_S", "0", 1);
    plant("elsewhere", 30);
    assert_int_equal(lease_acquire(lock, 16, NULL, 0), 0);
    assert_false(lease_held_elsewhere(lock, NULL, 0));
    lease_release(16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_other_host_live_refused_expired_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_host_and_damaged_taken_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_removes_only_its_own, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temporary_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_renews_and_lets_go_of_a_lost_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
