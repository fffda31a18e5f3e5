/* test_log_limit.c -- the rate-limited logger (log.h: sw_log_limit): a
 * limit lets its first line through, then none until its interval is over;
 * SW_LOG_ONCE lets exactly one through per process; threads racing for a
 * due slot get it exactly once.  No timing is asserted: intervals are far
 * longer than any test. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clock.h"
#include "log.h"

#define HOUR_MS (3600LL * 1000)

static void test_first_line_then_quiet(void **state) {
    (void)state;
    sw_log_limit l = SW_LOG_LIMIT(HOUR_MS);
    assert_true(sw_log_due(&l));
    for (int i = 0; i < 100; i++) assert_false(sw_log_due(&l));
    /* Once the interval is over (set back here, not waited for), one more. */
    atomic_store(&l.next_ms, sw_mono_coarse_ms() - 1);
    assert_true(sw_log_due(&l));
    assert_false(sw_log_due(&l));
}

static void test_once(void **state) {
    (void)state;
    sw_log_limit l = SW_LOG_LIMIT(SW_LOG_ONCE);
    assert_true(sw_log_due(&l));
    assert_false(sw_log_due(&l));
    assert_int_equal(atomic_load(&l.next_ms), INT64_MAX); /* no overflow: never again */
    assert_false(sw_log_due(&l));
}

static sw_log_limit shared = SW_LOG_LIMIT(SW_LOG_ONCE);
static atomic_int granted;

static void *race(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++)
        if (sw_log_due(&shared)) atomic_fetch_add(&granted, 1);
    return NULL;
}

static void test_threads_share_a_limit(void **state) {
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, race, NULL), 0);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&granted), 1);
}

static void test_limited_line_is_written_once(void **state) {
    (void)state;
    sw_log_setup("test", false, SW_LOG_INFO);
    sw_log_limit l = SW_LOG_LIMIT(HOUR_MS);
    sw_log_limited(&l, SW_LOG_WARN, "limited %d", 1);
    assert_true(atomic_load(&l.next_ms) > 0);
    int64_t next = atomic_load(&l.next_ms);
    sw_log_limited(&l, SW_LOG_WARN, "limited %d", 2); /* not written: the slot is not moved */
    assert_int_equal(atomic_load(&l.next_ms), next);
    /* A line below the log level takes no slot. */
    sw_log_limit quiet = SW_LOG_LIMIT(HOUR_MS);
    sw_log_limited(&quiet, SW_LOG_DEBUG, "debug %d", 3);
    assert_int_equal(atomic_load(&quiet.next_ms), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_line_then_quiet),
        cmocka_unit_test(test_once),
        cmocka_unit_test(test_threads_share_a_limit),
        cmocka_unit_test(test_limited_line_is_written_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
