/* test_parser_events.c -- the events of a record belong to the parser
 * (sw_parser_extract_events), not to each engine: one array per thread,
 * whatever the number of engines (Kafka partitions) it feeds. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "extract.h"
#include "rule.h"

#define MIB (1024 * 1024)

static void test_events_live_in_the_parser(void **state) {
    (void)state;
    sw_parser *p = sw_parser_new(MIB);
    assert_non_null(p);
    static const char page[] = "[{\"eventType\":\"a\",\"actor\":{\"id\":\"u1\"}},"
                               "{\"eventType\":\"b\",\"actor\":{\"id\":\"u2\"}},7]";
    const sw_event *ev = NULL, *again = NULL;
    size_t n = 99;
    assert_int_equal(sw_parser_extract_events(p, page, sizeof page - 1, sizeof page - 1, NULL, &ev, &n), SW_X_OK);
    assert_int_equal(n, 3);
    assert_non_null(ev);
    assert_int_equal(ev[0].f[SW_F_ACTOR_ID].n, 2);
    assert_memory_equal(ev[1].f[SW_F_ACTOR_ID].p, "u2", 2);
    assert_true(ev[2].not_object);
    /* The same array every call: the parser's own. */
    static const char one[] = "{\"eventType\":\"c\",\"actor\":{\"id\":\"u3\"}}";
    assert_int_equal(sw_parser_extract_events(p, one, sizeof one - 1, sizeof one - 1, NULL, &again, &n), SW_X_OK);
    assert_int_equal(n, 1);
    assert_ptr_equal(again, ev);
    assert_memory_equal(ev[0].f[SW_F_ACTOR_ID].p, "u3", 2);
    /* A record that does not parse has no events. */
    assert_int_equal(sw_parser_extract_events(p, "{", 1, 1, NULL, &again, &n), SW_X_MALFORMED);
    assert_int_equal(n, 0);
    /* The page limit holds as with a caller's array. */
    size_t big = 2 + 1001 * 3;
    char *arr = malloc(big);
    assert_non_null(arr);
    size_t k = 0;
    arr[k++] = '[';
    for (int i = 0; i < 1001; i++) arr[k++] = '{', arr[k++] = '}', arr[k++] = ',';
    arr[k - 1] = ']';
    assert_int_equal(sw_parser_extract_events(p, arr, k, k, NULL, &again, &n), SW_X_TOO_MANY);
    free(arr);
    sw_parser_free(p);
}

static void test_null_arguments(void **state) {
    (void)state;
    const sw_event *ev = (const sw_event *)1;
    size_t n = 5;
    assert_int_equal(sw_parser_extract_events(NULL, "{}", 2, 2, NULL, &ev, &n), SW_X_MALFORMED);
    assert_null(ev);
    assert_int_equal(n, 0);
    sw_parser *p = sw_parser_new(MIB);
    assert_non_null(p);
    n = 5;
    assert_int_equal(sw_parser_extract_events(p, "{}", 2, 2, NULL, NULL, &n), SW_X_MALFORMED);
    assert_int_equal(n, 0);
    assert_int_equal(sw_parser_extract_events(p, "{}", 2, 2, NULL, &ev, NULL), SW_X_MALFORMED);
    sw_parser_free(p);
}

typedef struct {
    int alerts;
} seen;

static void count_alert(void *ud, const sw_alert_out *a) {
    (void)a;
    ((seen *)ud)->alerts++;
}

/* Two engines fed by one parser, interleaved: each sees its own records'
 * events, as when each had an array of its own. */
static void test_engines_share_a_parser(void **state) {
    (void)state;
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.prefilter = false; /* every record reaches the parser */
    sw_parser *p = sw_parser_new(cfg.max_record_bytes);
    assert_non_null(p);
    seen s1 = {0}, s2 = {0};
    sw_engine *e1 = sw_engine_new(&cfg, count_alert, NULL, &s1), *e2 = sw_engine_new(&cfg, count_alert, NULL, &s2);
    assert_non_null(e1);
    assert_non_null(e2);
    static const char rec[] = "[{\"eventType\":\"x\"},{\"eventType\":\"y\"}]";
    sw_source src = {.topic = "t", .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    sw_engine_feed(e1, p, rec, sizeof rec - 1, sizeof rec - 1, &src);
    sw_engine_feed(e2, p, "{}", 2, 2, &src);
    sw_engine_feed(e1, p, rec, sizeof rec - 1, sizeof rec - 1, &src);
    assert_int_equal(sw_engine_counters(e1)->records, 2);
    assert_int_equal(sw_engine_counters(e1)->events, 4);
    assert_int_equal(sw_engine_counters(e2)->records, 1);
    assert_int_equal(sw_engine_counters(e2)->events, 1);
    assert_int_equal(s1.alerts + s2.alerts, 0);
    sw_engine_free(e1);
    sw_engine_free(e2);
    sw_parser_free(p);
}

/* What an engine costs before it holds any state: its empty store, not a
 * record's worth of events (that was 296 KB per engine, so per Kafka
 * partition).  Measured with glibc's counters; under a sanitizer, whose
 * allocator keeps none, there is nothing to measure. */
static void test_engine_carries_no_event_array(void **state) {
    (void)state;
    sw_config cfg;
    sw_config_defaults(&cfg);
    enum { N = 64 };
    sw_engine *e[N];
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < N; i++) assert_non_null(e[i] = sw_engine_new(&cfg, NULL, NULL, NULL));
    struct mallinfo2 after = mallinfo2();
    size_t used = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
    for (int i = 0; i < N; i++) sw_engine_free(e[i]);
    if (before.uordblks + before.hblkhd == 0) skip();
    assert_true(used / N < 64 * 1024);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_live_in_the_parser),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_engines_share_a_parser),
        cmocka_unit_test(test_engine_carries_no_event_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
