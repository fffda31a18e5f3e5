/* test_rule_alert.c -- pins one clause of the stolen-session rule through
 * the engine API (rule_harness.h): the alert a key raises: the names of the
 * completing event, ids that are deterministic (the same events give the
 * same alert id, whatever the clock), and the size bounds of a huge alert
 * (ids cut, sessions left out, "truncated" exactly when something was cut). */
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

/* The names an alert shows are those of the event that completes it (the
 * state keeps none): a renamed user shows the new name; a completing event
 * without names shows null, whatever earlier events had. */
static void test_alert_names_from_completing_event(void **state) {
    (void)state;
    harness *h = &H;
    FEED(h, "00u1", "Old Name", {"s1", "08:00"}, {"s2", "08:10"});
    feed(h, build((rspec){.actor = quote("00u1"), .name = quote("New \\\"Name\\\""), .alt = quote("new@example.com"),
                          .sid = quote("s3"), .time = quote(T("08:20"))}));
    assert_int_equal(h->na, 1);
    assert_contains(h->a[0].json, "\"okta\":{\"actor\":{\"id\":\"00u1\",\"display_name\":\"New \\\"Name\\\"\","
                                  "\"alternate_id\":\"new@example.com\"}}");
    assert_contains(h->a[0].json, "\"user\":{\"id\":\"00u1\",\"name\":\"New \\\"Name\\\"\",\"email\":\"new@example.com\"}");
    assert_lacks(h->a[0].json, "Old Name");

    FEED(h, "00u2", "User Two", {"s1", "08:00"}, {"s2", "08:10"});
    feed(h, build((rspec){.actor = quote("00u2"), .name = ABSENT, .alt = ABSENT, .sid = quote("s3"),
                          .time = quote(T("08:20"))}));
    assert_int_equal(h->na, 2);
    assert_contains(h->a[1].json, "\"okta\":{\"actor\":{\"id\":\"00u2\",\"display_name\":null,\"alternate_id\":null}}");
    assert_contains(h->a[1].json, "\"user\":{\"id\":\"00u2\",\"name\":null,\"email\":null}");
}

/* Same events per key -> same alert ids; detected_at is not part of them. */
static void run_ids(harness *h, int64_t (*clock)(void), const char *const *recs) {
    h_init(h);
    h->clock = clock;
    for (size_t i = 0; recs[i]; i++) feed(h, recs[i]);
}

static void test_alert_id_deterministic(void **state) {
    (void)state;
    const char *recs[16];
    size_t n = 0;
    recs[n++] = strdup(ev("00u1", "U", "s1", T("08:00")));
    recs[n++] = strdup(ev("00u2", "U", "s1", T("08:00")));
    recs[n++] = strdup(ev("00u1", "U", "s2", T("08:01")));
    recs[n++] = strdup(ev("00u1", "U", "s3", T("08:02")));
    recs[n++] = strdup(ev("00u2", "U", "s2", T("08:03")));
    recs[n++] = strdup(ev("00u2", "U", "s4", T("08:04")));
    recs[n] = NULL;
    static harness a, b, c, d;
    run_ids(&a, clock_a, recs);
    run_ids(&b, clock_b, recs);
    assert_int_equal(a.na, 2);
    assert_int_equal(b.na, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_true(is_hex_id(a.a[i].id));
        assert_string_equal(a.a[i].id, b.a[i].id);
    }
    assert_string_not_equal(a.a[0].id, a.a[1].id);
    assert_contains(a.a[0].json, "\"detected_at\":\"2026-01-06T11:46:40.000Z\"");
    assert_contains(b.a[0].json, "\"detected_at\":\"2027-01-01T00:00:00.000Z\"");

    /* A different session set (s4 instead of s3) gives a different id. */
    const char *recs2[] = {recs[0], recs[2], ev("00u1", "U", "s4", T("08:02")), NULL};
    run_ids(&c, clock_a, recs2);
    assert_int_equal(c.na, 1);
    assert_string_not_equal(c.a[0].id, a.a[0].id);

    /* Arrival order of the same events does not change the id (sorted ids, r = maxT). */
    const char *recs3[] = {recs[3], recs[0], recs[2], NULL};
    run_ids(&d, clock_b, recs3);
    assert_int_equal(d.na, 1);
    assert_string_equal(d.a[0].id, a.a[0].id);

    h_free(&a);
    h_free(&b);
    h_free(&c);
    h_free(&d);
    for (size_t i = 0; i < n; i++) free((void *)recs[i]);
}

/* ------------------------------------------------------ alert size bounds */

typedef struct {
    char *json;
    size_t len;
    char id[SW_ALERT_ID_LEN + 1];
} big_alert;

static void on_big_alert(void *ud, const sw_alert_out *o) {
    big_alert *b = ud;
    free(b->json);
    b->json = malloc(o->json_len + 1);
    assert_non_null(b->json);
    memcpy(b->json, o->json, o->json_len);
    b->json[o->json_len] = '\0';
    b->len = o->json_len;
    memcpy(b->id, o->alert_id, SW_ALERT_ID_LEN + 1);
}

/* 64 sessions of one user, each with a 2,000-byte session id, a 1,500-byte
 * actor id and a user agent of 512 control characters (6 bytes each once
 * escaped); the last session id ends in last_tail.  Returns the alert. */
static big_alert big_alert_of(char last_tail) {
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.min_sessions = 64;
    big_alert got = {0};
    sw_parser *p = sw_parser_new(cfg.max_record_bytes);
    sw_engine *e = sw_engine_new(&cfg, on_big_alert, NULL, &got);
    assert_true(p && e);
    size_t cap = 64 * 1024;
    char *rec = malloc(cap), *actor = malloc(1501), *sid = malloc(2001), *ua = malloc(512 * 6 + 1);
    assert_true(rec && actor && sid && ua);
    memset(actor, 'A', 1500);
    actor[1500] = '\0';
    for (int i = 0; i < 512; i++) memcpy(ua + i * 6, "\\u0001", 6);
    ua[512 * 6] = '\0';
    for (int i = 0; i < 64; i++) {
        memset(sid, 'a' + i % 26, 2000);
        snprintf(sid, 2001, "%02d", i); /* distinct, and '\0' ends the copy */
        sid[2] = 'x';
        memset(sid + 3, 'b', 1996);
        sid[1999] = i == 63 ? last_tail : 'z';
        sid[2000] = '\0';
        int n = snprintf(rec, cap, "{\"published\":\"2026-01-05T08:%02d:%02d.000Z\",\"eventType\":\"user.session.start\","
                         "\"actor\":{\"id\":\"%s\"},\"client\":{\"userAgent\":{\"rawUserAgent\":\"%s\"}},"
                         "\"authenticationContext\":{\"externalSessionId\":\"%s\"}}", i / 60, i % 60, actor, ua, sid);
        assert_true(n > 0 && (size_t)n < cap);
        sw_source src = {.file = "big", .line = (uint64_t)i + 1, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
        sw_engine_feed(e, p, rec, (size_t)n, (size_t)n, &src);
    }
    assert_int_equal(sw_engine_counters(e)->alerts, 1);
    free(rec);
    free(actor);
    free(sid);
    free(ua);
    sw_engine_free(e);
    sw_parser_free(p);
    return got;
}

static void test_alert_size_bounds(void **state) {
    (void)state;
    big_alert a = big_alert_of('z'), b = big_alert_of('y');
    /* Within SW_ALERT_MAX_BYTES (the full alert would be ~330 KB): ids cut at
     * SW_ALERT_MAX_ID with their full length and hash, the sessions that do
     * not fit left out, all said in "truncated"; Q's size still counted. */
    assert_true(a.len <= SW_ALERT_MAX_BYTES);
    assert_true(a.len > SW_ALERT_MAX_BYTES / 2);
    assert_contains(a.json, "\"cardinality\":[{\"field\":\"okta.authentication_context.external_session_id\",\"value\":64}]");
    const char *t = strstr(a.json, ",\"truncated\":{\"session_ids\":");
    assert_non_null(t);
    char *end;
    long cut = strtol(t + 28, &end, 10);
    assert_true(strncmp(end, ",\"sessions_omitted\":", 20) == 0);
    long omitted = strtol(end + 20, &end, 10);
    assert_true(cut > 0 && omitted > 0);
    assert_int_equal(cut + omitted, 64);
    assert_true(strncmp(end, ",\"actor_id\":{\"bytes\":1500,\"hash\":\"", 34) == 0);
    static const char tail[] = "\"}},\"source\":{\"file\":\"big\"";
    assert_true(strncmp(end + 34 + 16, tail, sizeof tail - 1) == 0);
    size_t listed = 0, cut_notes = 0;
    const char *sessions = strstr(a.json, "\"sessions\":[");
    assert_non_null(sessions);
    for (const char *s = sessions; (s = strstr(s, "{\"id\":\"")); s++) listed++;
    for (const char *s = a.json; (s = strstr(s, ",\"id_truncated\":{\"bytes\":2000,\"hash\":\"")); s++) cut_notes++;
    assert_int_equal(listed, (size_t)cut);
    assert_int_equal(cut_notes, (size_t)cut);
    /* Cut ids are SW_ALERT_MAX_ID bytes (ASCII here); the actor id is cut
     * alike in its three places. */
    for (const char *s = sessions; (s = strstr(s, "{\"id\":\"")); s++)
        assert_int_equal(strcspn(s + 7, "\""), SW_ALERT_MAX_ID);
    size_t actors = 0;
    for (const char *s = a.json; (s = strstr(s, "\"AAAA")); s++, actors++)
        assert_int_equal(strcspn(s + 1, "\""), SW_ALERT_MAX_ID);
    assert_int_equal(actors, 3);
    /* The id hashes the full ids: a difference past the cut changes it;
     * the listed part is the same. */
    assert_string_not_equal(a.id, b.id);
    free(a.json);
    free(b.json);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_alert_names_from_completing_event), RULE_CASE(test_alert_id_deterministic),
        cmocka_unit_test(test_alert_size_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
