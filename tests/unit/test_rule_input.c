/* test_rule_input.c -- pins one clause of the stolen-session rule through
 * the engine API (rule_harness.h): the record itself: its kind (raw LogEvent
 * or ECS, decided once) and its time fields, bad input counted under its
 * reason, the record size limit, top-level arrays (API pages), both feed
 * modes (copied and in place) and the prefilter, which never changes which
 * alerts fire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_harness.h"

/* The record's kind is decided once and only its fields are read: a raw
 * LogEvent (top-level eventType or published) is timed by published, typed
 * by eventType and keyed by actor.*, whatever else a shipper added. */
static void test_record_kind(void **state) {
    (void)state;
    harness *h = &H;
    char extra[3][128];
    /* A shipper's @timestamp an hour away from published: the attack is
     * within 35 minutes by published, so it alerts. */
    for (int i = 0; i < 3; i++) {
        snprintf(extra[i], sizeof extra[i], "\"@timestamp\":\"2026-01-05T%02d:00:00.000Z\"", 9 + i);
        char sid[8];
        snprintf(sid, sizeof sid, "\"k%d\"", i);
        EXPECT(h, RAW(.actor = "\"00k1\"", .sid = sid, .time = quote(T(i ? "08:10" : "08:00")),
                      .extra = extra[i]), SW_ELIGIBLE);
    }
    assert_int_equal(h->na, 1);
    assert_contains(h->a[0].json, jtime("@timestamp", "08:10"));
    /* A garbage or non-string @timestamp beside a valid published. */
    EXPECT(h, RAW(.actor = "\"00k3\"", .extra = "\"@timestamp\":\"yesterday\""), SW_ELIGIBLE);
    EXPECT(h, RAW(.actor = "\"00k3\"", .extra = "\"@timestamp\":17"), SW_ELIGIBLE);
    /* A raw event without published is not timed by @timestamp. */
    EXPECT(h, RAW(.actor = "\"00k4\"", .time = ABSENT, .extra = "\"@timestamp\":\"2026-01-05T08:00:00Z\""),
           SW_R_BAD_TIME);
    /* ECS fields are not read in a raw event: a dataset, okta.* ids. */
    EXPECT(h, RAW(.actor = "\"00k5\"", .extra = "\"event\":{\"dataset\":\"okta.other\"}"), SW_ELIGIBLE);
    EXPECT(h, RAW(.actor = ABSENT, .extra = "\"okta\":{\"actor\":{\"id\":\"00k6\"}}"), SW_V_NO_ACTOR);
    /* A mixed record: top-level eventType beside okta.event_type is raw. */
    EXPECT(h, RAW(.type = "\"user.session.end\"", .extra = "\"okta\":{\"event_type\":\"user.session.start\"}"),
           SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.actor = "\"00k7\"", .extra = "\"okta\":{\"event_type\":\"user.session.end\"}"), SW_ELIGIBLE);
    /* An ECS document (okta.*, no eventType or published) is timed by
     * @timestamp and ignores raw fields; with published beside it, the
     * record is raw and has no eventType. */
    EXPECT(h, ecs("00k8", "e1", "not a time", "\"actor\":{\"id\":\"x\"},\"uuid\":5"), SW_R_BAD_TIME);
    EXPECT(h, ecs("00k8", "e1", T("08:00"), "\"actor\":{\"id\":5}"), SW_ELIGIBLE);
    EXPECT(h, ecs("00k9", "e1", T("08:00"), "\"published\":\"2026-01-05T08:00:00Z\""), SW_V_NOT_SESSION_START);
    /* Three events sharing one shipper time, published 40 minutes apart:
     * no alert. */
    for (int i = 0; i < 3; i++) {
        char sid[8];
        snprintf(sid, sizeof sid, "\"m%d\"", i);
        EXPECT(h, RAW(.actor = "\"00k2\"", .sid = sid, .time = quote(T(i == 0 ? "08:00" : i == 1 ? "08:40" : "09:20")),
                      .extra = "\"@timestamp\":\"2026-01-05T09:30:00.000Z\""), SW_ELIGIBLE);
    }
    assert_int_equal(h->na, 1); /* still the first one */
}

/* The event time: RFC 3339 with Z or an offset, as Elasticsearch reads it
 * (timefmt.h); anything else is bad_time. */
static void test_time_parsing(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT_EACH(h, time, SW_R_BAD_TIME,
                "\"yesterday\"", ABSENT, "null", "1767600000000",
                "\"2026-01-05T08:00:00\"", /* no offset */
                "\"2026-02-30T08:00:00Z\"", "\"2026-01-05T24:00:00Z\"", "\"2026-01-05T08:00:00ZZ\"", "\"\"",
                /* More than RFC 3339 (or than Elasticsearch reads): timefmt.h. */
                "\"2026-01-05T13:35:00.000+0500\"", "\"2026-01-05T08:00:00,5Z\"", "\"2026-01-05T08:00:60Z\"",
                "\"2026-01-05T08:00:00+23:59\"");
    assert_contains(h->r[0].head, "\"published\":\"yesterday\"");
    assert_int_equal(h->nr, 13);
    for (size_t i = 0; i < h->nr; i++) assert_int_equal(h->r[i].why, SW_R_BAD_TIME);

    /* Mixed offsets: 09:00+01:00 = 08:00Z, 03:10-05:00 = 08:10Z. */
    EXPECT(h, RAW(.sid = "\"s1\"", .time = "\"2026-01-05T09:00:00+01:00\""), SW_ELIGIBLE);
    EXPECT(h, RAW(.sid = "\"s2\"", .time = "\"2026-01-05T03:10:00.250-05:00\""), SW_ELIGIBLE);
    EXPECT(h, RAW(.sid = "\"s3\"", .time = "\"2026-01-05T13:35:00.000+05:00\""), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    const char *j = h->a[0].json;
    assert_contains(j, "\"@timestamp\":\"2026-01-05T08:35:00.000Z\"");
    assert_contains(j, "\"from\":\"2026-01-05T08:00:00.000Z\"");
    EXPECT_SESSIONS(j, "s1", "s2", "s3"); /* exactly 35 min apart: inclusive */
    assert_contains(session_obj(j, "s2"), "\"first_seen\":\"2026-01-05T08:10:00.250Z\"");

    /* Fractional seconds optional, any precision (truncated to ms). */
    EXPECT(h, RAW(.actor = "\"00u2\"", .sid = "\"s1\"", .time = "\"2026-01-05T08:00:00Z\""), SW_ELIGIBLE);
    EXPECT(h, RAW(.actor = "\"00u2\"", .sid = "\"s2\"", .time = "\"2026-01-05T08:00:00.5Z\""), SW_ELIGIBLE);
    EXPECT(h, RAW(.actor = "\"00u2\"", .sid = "\"s3\"", .time = "\"2026-01-05T08:00:00.123456789Z\""),
           SW_ELIGIBLE);
    assert_int_equal(h->na, 2);
    assert_contains(h->a[1].json, "\"@timestamp\":\"2026-01-05T08:00:00.123Z\"");
    EXPECT_SESSIONS(h->a[1].json, "s1", "s3", "s2");
}

/* Every kind of bad input is counted under its reason and seen by on_reject. */
static void test_bad_input(void **state) {
    (void)state;
    harness *h = &H;
    /* 1 MB over the default limit (8 MiB). */
    size_t big = h->cfg.max_record_bytes + (1u << 20);
    char *rec = malloc(big);
    assert_non_null(rec);
    const char *head = "{\"eventType\":\"user.session.start\",\"pad\":\"";
    memset(rec, 'x', big);
    memcpy(rec, head, strlen(head));
    memcpy(rec + big - 2, "\"}", 2);
    feed_expect_at(__LINE__, h, rec, big, SW_R_TOO_LARGE);
    free(rec);

    /* Binary garbage that holds the needle (and a NUL). */
    static const char garbage[] = "\x00\x01\xff\xfe user.session.start \x80\x81{\"\x00";
    feed_expect_at(__LINE__, h, garbage, sizeof garbage - 1, SW_R_MALFORMED);
    /* Truncated JSON. */
    const char *full = ev("00u1", "U", "s1", T("08:00"));
    feed_expect_at(__LINE__, h, full, strlen(full) / 2, SW_R_MALFORMED);
    feed_expect_at(__LINE__, h, full, strlen(full) - 1, SW_R_MALFORMED);
    /* Trailing content, two objects, invalid UTF-8 in a string. */
    char two[SLOT];
    snprintf(two, sizeof two, "%s}", full);
    EXPECT(h, two, SW_R_MALFORMED);
    snprintf(two, sizeof two, "%s %s", full, full);
    EXPECT(h, two, SW_R_MALFORMED);
    EXPECT(h, RAW(.name = "\"bad \xc3\x28 utf8\""), SW_R_MALFORMED);
    /* Wrong types: a top-level string, an array holding only a non-object
     * (test_array_non_object pins the element-level rejection), a number
     * session id. */
    EXPECT(h, "\"user.session.start\"", SW_R_WRONG_TYPE);
    EXPECT(h, "[\"user.session.start\"]", SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.sid = "1.5e3"), SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.type = "7", .extra = "\"note\":\"user.session.start\""), SW_R_WRONG_TYPE);
    /* Duplicate keys the rule reads: literal twice, and nested + dotted. */
    EXPECT(h, "{\"eventType\":\"user.session.start\",\"eventType\":\"user.session.start\","
              "\"published\":\"2026-01-05T08:00:00.000Z\",\"actor\":{\"id\":\"00u1\"},"
              "\"authenticationContext\":{\"externalSessionId\":\"s1\"}}",
           SW_R_DUPLICATE_KEY);
    EXPECT(h, RAW(.extra = "\"actor.id\":\"00u1\""), SW_R_DUPLICATE_KEY);
    EXPECT(h, RAW(.extra = "\"authenticationContext\":{\"externalSessionId\":\"s2\"}"), SW_R_DUPLICATE_KEY);
    /* An oversize record the reader skipped. */
    sw_source src = {.file = "test", .line = 99, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    sw_engine_reject_oversize(eng(h), "{\"eventType\":", 13, &src);

    const sw_counters *c = cnt(h);
    assert_int_equal(c->records, 15);
    assert_int_equal(c->verdict[SW_R_TOO_LARGE], 2);
    assert_int_equal(c->verdict[SW_R_MALFORMED], 6);
    assert_int_equal(c->verdict[SW_R_WRONG_TYPE], 4);
    assert_int_equal(c->verdict[SW_R_DUPLICATE_KEY], 3);
    assert_int_equal(c->eligible, 0);
    assert_int_equal(h->nr, 15);
    assert_int_equal(h->r[0].len, big);
    assert_int_equal(h->r[14].why, SW_R_TOO_LARGE);
    assert_int_equal(h->r[14].line, 99);
    assert_string_equal(h->r[14].head, "{\"eventType\":");
    assert_int_equal(h->na, 0);
}

/* cfg.max_record_bytes is an inclusive limit. */
static void test_record_limit(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_record_bytes = 1024;
    const char *base = RAW(.extra = "\"pad\":\"\"");
    size_t n = strlen(base);
    assert_true(n < 1000);
    char rec[1100];
    /* Pad to exactly 1024, then 1025 bytes. */
    for (size_t want = 1024; want <= 1025; want++) {
        size_t pad = want - n;
        memcpy(rec, base, n - 2); /* up to the closing quote of pad */
        memset(rec + n - 2, 'p', pad);
        memcpy(rec + n - 2 + pad, "\"}", 2);
        feed_expect_at(__LINE__, h, rec, want, want == 1024 ? SW_ELIGIBLE : SW_R_TOO_LARGE);
    }
}

/* A top-level array: one record, one event per element, numbered. */
static void test_array_records(void **state) {
    (void)state;
    harness *h = &H;
    char arr[3 * SLOT];
    snprintf(arr, sizeof arr, "[%s,%s,\n %s]", ev("00u1", "U", "s1", T("08:00")),
             ev("00u2", "U", "s1", T("08:00")), ev("00u3", "U", "s1", T("08:00")));
    feed(h, arr);
    const sw_counters *c = cnt(h);
    assert_int_equal(c->records, 1);
    assert_int_equal(c->events, 3);
    assert_int_equal(c->eligible, 3);
    assert_int_equal(h->na, 0);

    /* Each element completes its user's alert: source.index 0, 1, 2. */
    feed(h, ev("00u1", "U", "s2", T("08:01")));
    feed(h, ev("00u2", "U", "s2", T("08:01")));
    feed(h, ev("00u3", "U", "s2", T("08:01")));
    snprintf(arr, sizeof arr, "  [%s,%s,%s]", ev("00u1", "U", "s3", T("08:02")),
             ev("00u2", "U", "s3", T("08:02")), ev("00u3", "U", "s3", T("08:02")));
    feed(h, arr);
    assert_int_equal(h->na, 3);
    for (uint32_t i = 0; i < 3; i++) {
        char want[64], actor[8];
        snprintf(actor, sizeof actor, "00u%u", i + 1);
        assert_string_equal(h->a[i].actor, actor);
        assert_int_equal(h->a[i].index, i);
        assert_int_equal(h->a[i].line, 5);
        snprintf(want, sizeof want, "\"source\":{\"file\":\"test\",\"line\":5,\"index\":%u}", i);
        assert_contains(h->a[i].json, want);
    }
    assert_int_equal(cnt(h)->events, 9);

    /* A rejected element: the whole record goes to on_reject with its index. */
    snprintf(arr, sizeof arr, "[%s,%s,%s]", ev("00u4", "U", "s1", T("08:03")),
             RAW(.actor = "\"00u5\"", .time = "\"later\""), ev("00u6", "U", "s1", T("08:03")));
    feed(h, arr);
    assert_int_equal(h->nr, 1);
    assert_int_equal(h->r[0].why, SW_R_BAD_TIME);
    assert_int_equal(h->r[0].index, 1);
    assert_int_equal(h->r[0].len, strlen(arr));
    assert_int_equal(cnt(h)->events, 12);
    assert_int_equal(cnt(h)->eligible, 11);

    /* An empty page. */
    feed(h, "[]");
    assert_int_equal(cnt(h)->records, 7);
    assert_int_equal(cnt(h)->events, 12);
}

/* A non-object element of an API page rejects only itself (wrong_type,
 * source.index naming it); the other elements are processed. */
static void test_array_non_object(void **state) {
    (void)state;
    harness *h = &H;
    static const char *const bad[] = {"null", "1", "\"x\"", "true", "[]", "[{}]"};
    char arr[4 * SLOT];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char actor[16];
        snprintf(actor, sizeof actor, "00n%zu", i);
        size_t at = i % 4; /* where the bad element goes */
        static const char *const sids[] = {"s1", "s2", "s3"};
        const char *el[4];
        size_t j = 0;
        for (size_t k = 0; k < 4; k++) el[k] = k == at ? bad[i] : ev(actor, "U", sids[j++], T("08:00"));
        snprintf(arr, sizeof arr, "[%s,%s,%s,%s]", el[0], el[1], el[2], el[3]);
        size_t nr = h->nr, na = h->na;
        uint64_t elig = cnt(h)->eligible, wt = cnt(h)->verdict[SW_R_WRONG_TYPE], evs = cnt(h)->events;
        feed(h, arr);
        assert_int_equal(cnt(h)->events, evs + 4);
        assert_int_equal(cnt(h)->eligible, elig + 3);
        assert_int_equal(cnt(h)->verdict[SW_R_WRONG_TYPE], wt + 1);
        assert_int_equal(h->nr, nr + 1);
        assert_int_equal(h->r[nr].why, SW_R_WRONG_TYPE);
        assert_int_equal(h->r[nr].index, at);
        assert_int_equal(h->r[nr].len, strlen(arr));
        assert_int_equal(h->na, na + 1);
        assert_string_equal(h->a[na].actor, actor);
    }
}

/* JSON whitespace before the '[' includes CR and LF (a Kafka message may
 * carry any): the elements are still numbered. */
static void test_array_leading_newline(void **state) {
    (void)state;
    harness *h = &H;
    char arr[3 * SLOT];
    snprintf(arr, sizeof arr, "\r\n[%s]", RAW(.time = "\"later\""));
    feed(h, arr);
    assert_int_equal(h->nr, 1);
    assert_int_equal(h->r[0].why, SW_R_BAD_TIME);
    assert_int_equal(h->r[0].index, 0);
}

/* Feeding with cap = len (copied) or with padding (in place) is the same. */
static void test_feed_modes_identical(void **state) {
    (void)state;
    const char *recs[] = {
        ev("00u1", "U", "s1", T("08:00")), ev("00u1", "U", "s\\u0032", T("08:01")),
        ev("00u2", "U", "s1", T("08:01")), ev("00u1", "U", "s3", T("08:02")),
        ev("00u2", "U", "s2", T("08:03")), RAW(.time = "\"bad\""),
        ev("00u2", "U", "s3", T("08:04")),
    };
    static harness x, y;
    h_init(&x);
    h_init(&y);
    x.mode = 0;
    y.mode = 1;
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        feed(&x, recs[i]);
        feed(&y, recs[i]);
    }
    assert_int_equal(x.na, 2);
    assert_int_equal(y.na, 2);
    for (size_t i = 0; i < 2; i++) assert_string_equal(x.a[i].json, y.a[i].json);
    assert_memory_equal(cnt(&x), cnt(&y), sizeof(sw_counters));
    assert_int_equal(x.nr, 1);
    assert_int_equal(y.nr, 1);
    h_free(&x);
    h_free(&y);
}

/* The prefilter never changes which alerts fire. */
static void run_mixed(harness *h, bool prefilter) {
    h_init(h);
    h->cfg.prefilter = prefilter;
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, RAW(.type = "\"user.authentication.sso\"", .actor = "\"00u1\"", .sid = "\"s9\""));
    feed(h, ev("00u2", "U", "s1", T("08:00")));
    feed(h, "{\"eventType\":\"policy.evaluate_sign_on\",\"truncated");
    feed(h, ev("00u1", "U", "s2", T("08:01")));
    feed(h, RAW(.type = "\"user.session.end\"", .actor = "\"00u2\"", .sid = "\"s7\""));
    /* The escaped event type completes 00u1's alert. */
    feed(h, RAW(.type = "\"user\\u002esession.start\"", .actor = "\"00u1\"", .sid = "\"s3\"",
                .time = quote(T("08:02"))));
    feed(h, ev("00u2", "U", "s2", T("08:03")));
    feed(h, RAW(.type = "\"user.session.star\\u0074\"", .actor = "\"00u2\"", .sid = "\"s3\"",
                .time = quote(T("08:04"))));
    feed(h, "not json at all");
    FEED(h, "00u3", "U", {"s1", "08:05"}, {"s2", "08:06"}, {"s3", "08:07"});
}

static void test_prefilter_transparent(void **state) {
    (void)state;
    static harness on, off;
    run_mixed(&on, true);
    run_mixed(&off, false);
    assert_int_equal(on.na, 3);
    assert_int_equal(off.na, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(on.a[i].id, off.a[i].id);
        assert_string_equal(on.a[i].json, off.a[i].json);
    }
    assert_string_equal(on.a[0].actor, "00u1");
    assert_string_equal(on.a[1].actor, "00u2");
    assert_int_equal(cnt(&on)->eligible, cnt(&off)->eligible);
    assert_int_equal(cnt(&on)->eligible, 9);
    assert_int_equal(cnt(&on)->prefiltered, 4);
    assert_int_equal(cnt(&on)->verdict[SW_V_NOT_SESSION_START], 4);
    assert_int_equal(cnt(&off)->prefiltered, 0);
    assert_int_equal(cnt(&off)->verdict[SW_V_NOT_SESSION_START], 2);
    assert_int_equal(cnt(&off)->verdict[SW_R_MALFORMED], 2);
    h_free(&on);
    h_free(&off);

    /* The needle or a \u escape at every offset near the end of a record
     * (the SIMD loop and its scalar tail). */
    harness *h = &H;
    for (int esc = 0; esc < 2; esc++)
        for (int pad = 0; pad < 80; pad++) {
            char rec[512];
            int n = snprintf(rec, sizeof rec,
                             "{\"published\":\"2026-01-05T08:00:00Z\",\"actor\":{\"id\":\"p%d\"},"
                             "\"authenticationContext\":{\"externalSessionId\":\"s\"},\"x\":\"%.*s\","
                             "\"eventType\":\"%s\"}",
                             pad, pad, "................................................................................",
                             esc ? "user.session.star\\u0074" : "user.session.start");
            assert_true(n > 0 && n < (int)sizeof rec);
            EXPECT(h, rec, SW_ELIGIBLE);
        }
    assert_int_equal(cnt(h)->prefiltered, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_record_kind), RULE_CASE(test_array_non_object), RULE_CASE(test_time_parsing),
        RULE_CASE(test_bad_input), RULE_CASE(test_record_limit), RULE_CASE(test_array_records),
        RULE_CASE(test_array_leading_newline), RULE_CASE(test_feed_modes_identical),
        RULE_CASE(test_prefilter_transparent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
