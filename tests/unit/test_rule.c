/* test_rule.c -- pins every clause of the stolen-session rule, observed only
 * through the engine API (sw_engine_feed -> on_alert / on_reject / counters):
 *
 *   - eligibility: dataset, event type, session id, actor id, the okta
 *     prefix exclusion (case-sensitive by default, case-insensitive and
 *     custom lists on request), the hardening switches, the event time;
 *     each clause on both sides (filtered / counted);
 *   - the per-key state machine: N distinct sessions within W (inclusive),
 *     repeated and escaped session ids, out-of-order events, t <= r covered,
 *     reset after an alert, Q listed exactly in the alert;
 *   - per-tenant watermark, lateness and eviction; the per-tenant,
 *     per-30-minute alert cap; tenant isolation;
 *   - deterministic alert ids; bad input reasons; array records;
 *     prefilter transparency; memory bounded by N per key;
 *   - a differential test against a direct model of the spec on random
 *     streams (out of order, late, duplicate and escaped ids, two tenants).
 *
 * Records are raw Okta LogEvents (some ECS) built with snprintf.  Every
 * record is copied into a fresh heap buffer: alternately exactly len bytes
 * (cap = len, the parser must copy; ASan catches any over-read) and len + 64
 * bytes of '"' garbage (cap = len + SW_PADDING, parsed in place). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "timefmt.h"
#include "extract.h"
#include "rule.h"
#include "store.h"
#include "table.h"
#include "window.h"

/* ---------------------------------------------------------------- harness */

typedef struct {
    char *json;
    char id[SW_ALERT_ID_LEN + 1];
    char tenant[64];
    char actor[64];
    uint64_t line;
    uint32_t index;
} got_alert;

#define MAX_REJECTS 64

typedef struct {
    sw_verdict why;
    size_t len;
    char head[1024]; /* first bytes of the record, NUL-terminated */
    uint64_t line;
    uint32_t index;
} got_reject;

typedef struct {
    sw_config cfg;
    sw_engine *e;
    sw_parser *p;
    int64_t (*clock)(void);
    got_alert *a;
    size_t na, acap;
    got_reject r[MAX_REJECTS]; /* the first MAX_REJECTS */
    size_t nr;                 /* all of them */
    char *buf;                 /* the record being fed */
    uint64_t line;
    int mode; /* -1 alternate, 0 exact buffer (cap = len), 1 padded (cap = len + 64) */
} harness;

static harness H;

/* 2026-01-06T11:46:40.000Z and 2027-01-01T00:00:00.000Z */
static int64_t clock_a(void) { return 1767700000000LL; }
static int64_t clock_b(void) { return 1798761600000LL; }

static void on_alert(void *ud, const sw_alert_out *o) {
    harness *h = ud;
    if (h->na == h->acap) {
        h->acap = h->acap ? h->acap * 2 : 16;
        h->a = realloc(h->a, h->acap * sizeof *h->a);
        assert_non_null(h->a);
    }
    got_alert *g = &h->a[h->na++];
    memset(g, 0, sizeof *g);
    g->json = malloc(o->json_len + 1);
    assert_non_null(g->json);
    memcpy(g->json, o->json, o->json_len);
    g->json[o->json_len] = '\0';
    assert_int_equal(strlen(g->json), o->json_len);
    assert_int_equal(strlen(o->alert_id), SW_ALERT_ID_LEN);
    memcpy(g->id, o->alert_id, SW_ALERT_ID_LEN + 1);
    assert_true(o->tenant_len < sizeof g->tenant && o->actor_len < sizeof g->actor);
    memcpy(g->tenant, o->tenant, o->tenant_len);
    memcpy(g->actor, o->actor, o->actor_len);
    g->line = o->source->line;
    g->index = o->source->index;
}

static void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    harness *h = ud;
    if (h->nr++ >= MAX_REJECTS) return;
    got_reject *g = &h->r[h->nr - 1];
    g->why = why;
    g->len = len;
    size_t n = len < sizeof g->head - 1 ? len : sizeof g->head - 1;
    memcpy(g->head, rec, n);
    g->head[n] = '\0';
    g->line = src->line;
    g->index = src->index;
}

/* Numbers the records' uuids; restarted by h_init so that two runs over
 * the same calls build byte-identical records. */
static unsigned uuid_counter;

static void h_init(harness *h) {
    uuid_counter = 0;
    memset(h, 0, sizeof *h);
    sw_config_defaults(&h->cfg);
    h->mode = -1;
    h->clock = clock_a;
}

static void h_free(harness *h) {
    for (size_t i = 0; i < h->na; i++) free(h->a[i].json);
    free(h->a);
    free(h->buf);
    sw_engine_free(h->e);
    sw_parser_free(h->p);
    memset(h, 0, sizeof *h);
}

/* The engine, created on first use so that a test may set h->cfg first. */
static sw_engine *eng(harness *h) {
    if (!h->e) {
        h->p = sw_parser_new(h->cfg.max_record_bytes);
        assert_non_null(h->p);
        h->e = sw_engine_new(&h->cfg, on_alert, on_reject, h);
        assert_non_null(h->e);
        sw_engine_set_clock(h->e, h->clock);
    }
    return h->e;
}

static const sw_counters *cnt(harness *h) { return sw_engine_counters(eng(h)); }

static void feed_n(harness *h, const char *rec, size_t len) {
    sw_engine *e = eng(h);
    h->line++;
    int padded = h->mode < 0 ? (int)(h->line & 1) : h->mode;
    size_t cap = padded ? len + SW_PADDING : len;
    /* A fresh exact-size block each time, so ASan sees any read past cap. */
    free(h->buf);
    h->buf = malloc(cap ? cap : 1);
    assert_non_null(h->buf);
    if (len) memcpy(h->buf, rec, len);
    if (padded) memset(h->buf + len, '"', SW_PADDING);
    sw_source src = {.file = "test", .line = h->line, .topic = NULL,
                     .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    sw_engine_feed(e, h->p, h->buf, len, cap, &src);
}

static void feed(harness *h, const char *rec) { feed_n(h, rec, strlen(rec)); }

static int setup(void **state) {
    (void)state;
    h_init(&H);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    h_free(&H);
    return 0;
}

/* --------------------------------------------------------------- records */

#define SLOT 4096
#define NSLOTS 256
static char *slot(void) {
    static char slots[NSLOTS][SLOT];
    static unsigned i;
    return slots[i++ % NSLOTS];
}

typedef struct {
    char *p;
    size_t len;
} sb;

static void sb_add(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sb *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, SLOT - b->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < SLOT - b->len);
    b->len += (size_t)n;
}

/* A member's value: NULL means the default, ABSENT leaves the key out. */
static const char ABSENT[] = "<absent>";

static void member(sb *b, const char *key, const char *val, const char *dflt) {
    const char *v = val ? val : dflt;
    if (v == ABSENT) return;
    sb_add(b, ",\"%s\":%s", key, v);
}

/* Every value is raw JSON text (strings include their quotes). */
typedef struct {
    const char *type, *actor, *name, *alt, *sid, *time, *outcome, *extra;
} rspec;

/* A raw Okta System Log LogEvent. */
static const char *build(rspec s) {
    sb b = {slot(), 0};
    sb_add(&b, "{\"uuid\":\"ev-%05u\"", ++uuid_counter);
    member(&b, "published", s.time, "\"2026-01-05T08:00:00.000Z\"");
    member(&b, "eventType", s.type, "\"user.session.start\"");
    sb_add(&b, ",\"version\":\"0\",\"severity\":\"INFO\",\"actor\":{\"type\":\"User\"");
    member(&b, "id", s.actor, "\"00u1\"");
    member(&b, "alternateId", s.alt, "\"user@example.com\"");
    member(&b, "displayName", s.name, "\"User One\"");
    sb_add(&b, "},\"client\":{\"ipAddress\":\"203.0.113.7\",\"userAgent\":{\"rawUserAgent\":"
               "\"Mozilla/5.0 (test)\",\"os\":\"Linux\"},\"geographicalContext\":{\"country\":"
               "\"Testland\",\"city\":\"Testville\"}},\"outcome\":{\"reason\":null");
    member(&b, "result", s.outcome, "\"SUCCESS\"");
    sb_add(&b, "},\"authenticationContext\":{\"authenticationStep\":0");
    member(&b, "externalSessionId", s.sid, "\"s1\"");
    sb_add(&b, "}");
    if (s.extra) sb_add(&b, ",%s", s.extra);
    sb_add(&b, "}");
    return b.p;
}
#define RAW(...) build((rspec){__VA_ARGS__})

/* "08:20" -> "2026-01-05T08:20:00.000Z"; "08:35:00.001" likewise. */
static const char *T(const char *hms) {
    static char slots[64][80];
    static unsigned i;
    char *out = slots[i++ % 64];
    size_t n = strlen(hms);
    snprintf(out, 80, "2026-01-05T%s%sZ", hms, n == 5 ? ":00.000" : n == 8 ? ".000" : "");
    return out;
}

static const char *quote(const char *s) {
    if (!s) return ABSENT;
    char *out = slot();
    snprintf(out, SLOT, "\"%s\"", s);
    return out;
}

/* A session start: actor id, display name (NULL: none), session id (raw
 * JSON string content, so escapes are allowed) and time, all plain. */
static const char *ev(const char *actor, const char *name, const char *sid, const char *time) {
    char alt[256];
    snprintf(alt, sizeof alt, "%s@example.com", actor);
    return build((rspec){.actor = quote(actor), .name = quote(name), .alt = quote(alt),
                         .sid = quote(sid), .time = quote(time)});
}

/* The same with a top-level "tenant". */
static const char *evt(const char *tenant, const char *actor, const char *sid, const char *time) {
    char alt[256], extra[256];
    snprintf(alt, sizeof alt, "%s@example.com", actor);
    snprintf(extra, sizeof extra, "\"tenant\":\"%s\"", tenant);
    return build((rspec){.actor = quote(actor), .name = quote("Tenant User"), .alt = quote(alt),
                         .sid = quote(sid), .time = quote(time), .extra = extra});
}

/* Sets a tenant's watermark to time: one session start at time from each
 * of SW_WM_ACTORS pacer actors (p1, p2, ...), the fewest that move it
 * (tenant NULL: the default tenant).  They never alert (one session each). */
static void pace(harness *h, const char *tenant, const char *time) {
    for (int i = 1; i <= SW_WM_ACTORS; i++) {
        char actor[16];
        snprintf(actor, sizeof actor, "p%d", i);
        feed(h, tenant ? evt(tenant, actor, "pace", time) : ev(actor, "Pacer", "pace", time));
    }
}

/* An ECS document (Elastic's okta integration, nested). extra: top-level members. */
static const char *ecs(const char *actor, const char *sid, const char *time, const char *extra) {
    sb b = {slot(), 0};
    sb_add(&b, "{\"@timestamp\":\"%s\",\"okta\":{\"event_type\":\"user.session.start\","
               "\"actor\":{\"id\":\"%s\",\"display_name\":\"ECS User\"},"
               "\"authentication_context\":{\"external_session_id\":\"%s\"}}",
           time, actor, sid);
    if (extra) sb_add(&b, ",%s", extra);
    sb_add(&b, "}");
    return b.p;
}

/* ------------------------------------------------------- alert inspection */

#define assert_contains(hay, needle)                                                          \
    do {                                                                                      \
        if (!strstr((hay), (needle)))                                                         \
            fail_msg("line %d: expected\n  %s\nin\n  %s", __LINE__, (needle), (hay));          \
    } while (0)
#define assert_not_contains(hay, needle)                                                      \
    do {                                                                                      \
        if (strstr((hay), (needle)))                                                          \
            fail_msg("line %d: did not expect\n  %s\nin\n  %s", __LINE__, (needle), (hay));    \
    } while (0)

/* The session ids of an alert, in the order listed. */
static size_t alert_ids(const char *json, char ids[][64], size_t max) {
    const char *p = strstr(json, "\"sessions\":[");
    if (!p) return 0;
    p += strlen("\"sessions\":[");
    const char *end = strstr(p, "],\"source\":");
    assert_non_null(end);
    size_t n = 0;
    while ((p = strstr(p, "{\"id\":\"")) && p < end) {
        p += 7;
        const char *q = strchr(p, '"');
        assert_non_null(q);
        assert_true(n < max && (size_t)(q - p) < 64);
        memcpy(ids[n], p, (size_t)(q - p));
        ids[n][q - p] = '\0';
        n++;
        p = q;
    }
    return n;
}

/* The alert lists exactly these sessions, in this order (last_seen, then
 * id), and says so in threshold_result.cardinality. */
static void expect_sessions_at(int line, const char *json, const char *const *want) {
    char ids[80][64];
    size_t n = alert_ids(json, ids, 80), nw = 0;
    while (want[nw]) nw++;
    int ok = n == nw;
    for (size_t i = 0; ok && i < n; i++) ok = strcmp(ids[i], want[i]) == 0;
    if (!ok) {
        char got[1024] = "", exp[1024] = "";
        for (size_t i = 0; i < n; i++) {
            strncat(got, ids[i], sizeof got - strlen(got) - 2);
            strncat(got, " ", sizeof got - strlen(got) - 1);
        }
        for (size_t i = 0; i < nw; i++) {
            strncat(exp, want[i], sizeof exp - strlen(exp) - 2);
            strncat(exp, " ", sizeof exp - strlen(exp) - 1);
        }
        fail_msg("line %d: alert lists [%s], expected [%s]", line, got, exp);
    }
    char card[200];
    snprintf(card, sizeof card,
             "\"cardinality\":[{\"field\":\"okta.authentication_context.external_session_id\","
             "\"value\":%zu}]",
             nw);
    assert_contains(json, card);
}
#define EXPECT_SESSIONS(json, ...) expect_sessions_at(__LINE__, (json), (const char *[]){__VA_ARGS__, NULL})

/* The JSON object of session id in the alert (from its '{'), NUL-terminated copy. */
static const char *session_obj(const char *json, const char *id) {
    char key[128];
    snprintf(key, sizeof key, "{\"id\":\"%s\",", id);
    const char *s = strstr(json, "\"sessions\":[");
    assert_non_null(s);
    const char *p = strstr(s, key);
    if (!p) fail_msg("session %s not in %s", id, json);
    const char *q = strstr(p, ",\"event_uuid\":");
    assert_non_null(q);
    char *out = slot();
    size_t n = (size_t)(q - p);
    assert_true(n < SLOT);
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static const char *jtime(const char *key, const char *hms) {
    char *out = slot();
    snprintf(out, SLOT, "\"%s\":\"%s\"", key, T(hms));
    return out;
}

static int is_hex_id(const char *s) {
    if (strlen(s) != SW_ALERT_ID_LEN) return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
    return 1;
}

/* ------------------------------------------------------ verdict checking */

/* Feeds rec and checks its fate: exactly one of eligible or verdict[want]
 * moved, by one, and on_reject saw it iff want is a reject reason. */
static void feed_expect_at(int line, harness *h, const char *rec, size_t len, sw_verdict want) {
    sw_counters before = *cnt(h);
    size_t nr = h->nr;
    feed_n(h, rec, len);
    const sw_counters *after = cnt(h);
    int got = -1, moved = 0;
    if (after->eligible != before.eligible) {
        got = SW_ELIGIBLE;
        moved += (int)(after->eligible - before.eligible);
    }
    for (int v = 1; v < SW_VERDICT_COUNT; v++)
        if (after->verdict[v] != before.verdict[v]) {
            got = v;
            moved += (int)(after->verdict[v] - before.verdict[v]);
        }
    if (got != (int)want || moved != 1)
        fail_msg("line %d: expected %s, got %s (%d counters moved) for %.*s", line,
                 sw_verdict_name(want), got < 0 ? "nothing" : sw_verdict_name((sw_verdict)got),
                 moved, (int)(len < 300 ? len : 300), rec);
    if (sw_verdict_is_reject(want)) {
        assert_int_equal(h->nr, nr + 1);
        assert_true(h->nr <= MAX_REJECTS);
        assert_int_equal(h->r[h->nr - 1].why, want);
        assert_int_equal(h->r[h->nr - 1].len, len);
        assert_int_equal(h->r[h->nr - 1].line, h->line);
    } else {
        assert_int_equal(h->nr, nr);
    }
}
#define EXPECT(h, rec, v)                                                                     \
    do {                                                                                      \
        const char *rec_ = (rec);                                                             \
        feed_expect_at(__LINE__, (h), rec_, strlen(rec_), (v));                               \
    } while (0)

/* ================================================================== tests */

/* The names an alert shows are those of the event that completes it (the
 * state keeps none): a renamed user shows the new name; a completing event
 * without names shows null, whatever earlier events had. */
static void test_alert_names_from_completing_event(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "Old Name", "s1", T("08:00")));
    feed(h, ev("00u1", "Old Name", "s2", T("08:10")));
    feed(h, build((rspec){.actor = quote("00u1"), .name = quote("New \\\"Name\\\""), .alt = quote("new@example.com"),
                          .sid = quote("s3"), .time = quote(T("08:20"))}));
    assert_int_equal(h->na, 1);
    assert_contains(h->a[0].json, "\"okta\":{\"actor\":{\"id\":\"00u1\",\"display_name\":\"New \\\"Name\\\"\","
                                  "\"alternate_id\":\"new@example.com\"}}");
    assert_contains(h->a[0].json, "\"user\":{\"id\":\"00u1\",\"name\":\"New \\\"Name\\\"\",\"email\":\"new@example.com\"}");
    assert_not_contains(h->a[0].json, "Old Name");

    feed(h, ev("00u2", "User Two", "s1", T("08:00")));
    feed(h, ev("00u2", "User Two", "s2", T("08:10")));
    feed(h, build((rspec){.actor = quote("00u2"), .name = ABSENT, .alt = ABSENT, .sid = quote("s3"),
                          .time = quote(T("08:20"))}));
    assert_int_equal(h->na, 2);
    assert_contains(h->a[1].json, "\"okta\":{\"actor\":{\"id\":\"00u2\",\"display_name\":null,\"alternate_id\":null}}");
    assert_contains(h->a[1].json, "\"user\":{\"id\":\"00u2\",\"name\":null,\"email\":null}");
}

/* 2 sessions: nothing; the 3rd: one alert listing exactly those 3, with the
 * 3rd event's time, the count of events and the first event's time. */
static void test_three_sessions_alert(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "User One", "s1", T("08:00")));
    feed(h, ev("00u2", "User Two", "sX", T("08:05"))); /* another user */
    feed(h, ev("00u1", "User One", "s2", T("08:10")));
    assert_int_equal(h->na, 0);
    feed(h, ev("00u1", "User One", "s3", T("08:20")));
    assert_int_equal(h->na, 1);

    const char *j = h->a[0].json;
    EXPECT_SESSIONS(j, "s1", "s2", "s3");
    assert_not_contains(j, "\"sX\"");
    assert_contains(j, jtime("@timestamp", "08:20"));
    assert_contains(j, "\"threshold_result\":{\"terms\":[{\"field\":\"okta.actor.id\",\"value\":\"00u1\"}],"
                       "\"count\":3,\"from\":\"2026-01-05T08:00:00.000Z\",\"cardinality\":[{\"field\":"
                       "\"okta.authentication_context.external_session_id\",\"value\":3}]}");
    assert_contains(j, "\"tenant\":\"\"");
    assert_contains(j, "\"okta\":{\"actor\":{\"id\":\"00u1\",\"display_name\":\"User One\","
                       "\"alternate_id\":\"00u1@example.com\"}}");
    assert_contains(j, "\"user\":{\"id\":\"00u1\",\"name\":\"User One\",\"email\":\"00u1@example.com\"}");
    assert_contains(j, "\"parameters\":{\"window_ms\":2100000,\"min_sessions\":3}");
    assert_contains(j, "\"detected_at\":\"2026-01-06T11:46:40.000Z\"");
    assert_contains(j, "\"source\":{\"file\":\"test\",\"line\":4}");
    assert_contains(session_obj(j, "s2"), "{\"id\":\"s2\",\"first_seen\":\"2026-01-05T08:10:00.000Z\","
                                          "\"last_seen\":\"2026-01-05T08:10:00.000Z\",\"events\":1,"
                                          "\"client\":{\"ip\":\"203.0.113.7\",\"user_agent\":\"Mozilla/5.0 (test)\","
                                          "\"geo\":{\"country_name\":\"Testland\",\"city_name\":\"Testville\"}}");

    /* The id: 32 lowercase hex digits, the same in the callback and the JSON. */
    assert_true(is_hex_id(h->a[0].id));
    char head[64];
    snprintf(head, sizeof head, "{\"alert_id\":\"%s\",", h->a[0].id);
    assert_int_equal(strncmp(j, head, strlen(head)), 0);
    assert_string_equal(h->a[0].actor, "00u1");
    assert_string_equal(h->a[0].tenant, "");
    assert_int_equal(h->a[0].line, 4);
    assert_int_equal(h->a[0].index, UINT32_MAX);

    const sw_counters *c = cnt(h);
    assert_int_equal(c->records, 4);
    assert_int_equal(c->events, 4);
    assert_int_equal(c->eligible, 4);
    assert_int_equal(c->alerts, 1);
    assert_int_equal(c->covered, 0);
    assert_int_equal(c->alerts_capped, 0);
    assert_int_equal(c->nomem, 0);
    for (int v = 0; v < SW_VERDICT_COUNT; v++) assert_int_equal(c->verdict[v], 0);
    assert_int_equal(h->nr, 0);
}

/* W is inclusive: a spread of exactly 35 min alerts, 35 min + 1 ms does not
 * (and then the oldest session is out of Q for good). */
static void test_window_boundary(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00ua", "A", "s1", T("08:00:00.000")));
    feed(h, ev("00ua", "A", "s2", T("08:20")));
    feed(h, ev("00ua", "A", "s3", T("08:35:00.000")));
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s1", "s2", "s3");

    feed(h, ev("00ub", "B", "s1", T("08:00:00.000")));
    feed(h, ev("00ub", "B", "s2", T("08:20")));
    feed(h, ev("00ub", "B", "s3", T("08:35:00.001")));
    assert_int_equal(h->na, 1);
    /* s1 is out; a 4th session completes Q = {s2, s3, s4}. */
    feed(h, ev("00ub", "B", "s4", T("08:35:00.002")));
    assert_int_equal(h->na, 2);
    EXPECT_SESSIONS(h->a[1].json, "s2", "s3", "s4");
    assert_contains(h->a[1].json, "\"from\":\"2026-01-05T08:20:00.000Z\"");
    assert_int_equal(cnt(h)->alerts, 2);
}

/* A session seen twice counts once; the alert reports its 2 events. */
static void test_repeated_session(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, ev("00u1", "U", "s1", T("08:05")));
    feed(h, ev("00u1", "U", "s2", T("08:10")));
    assert_int_equal(h->na, 0);
    assert_int_equal(cnt(h)->eligible, 3);
    feed(h, ev("00u1", "U", "s3", T("08:15")));
    assert_int_equal(h->na, 1);
    const char *j = h->a[0].json;
    EXPECT_SESSIONS(j, "s1", "s2", "s3");
    assert_contains(session_obj(j, "s1"), "\"first_seen\":\"2026-01-05T08:00:00.000Z\","
                                          "\"last_seen\":\"2026-01-05T08:05:00.000Z\",\"events\":2,");
    assert_contains(session_obj(j, "s3"), "\"events\":1,");
    assert_contains(j, "\"count\":4,\"from\":\"2026-01-05T08:00:00.000Z\"");
}

/* Session ids compare after JSON unescaping. */
static void test_escaped_session_ids(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "U", "102ab", T("08:00")));
    feed(h, ev("00u1", "U", "102\\u0061b", T("08:01")));
    feed(h, ev("00u1", "U", "c", T("08:02")));
    assert_int_equal(h->na, 0);
    feed(h, ev("00u1", "U", "d", T("08:03")));
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "102ab", "c", "d");
    assert_contains(session_obj(h->a[0].json, "102ab"), "\"events\":2,");

    /* \/ and a non-ASCII \u escape against the literal bytes. */
    feed(h, ev("00u2", "U", "a/b", T("08:10")));
    feed(h, ev("00u2", "U", "a\\/b", T("08:11")));
    feed(h, ev("00u2", "U", "caf\xc3\xa9", T("08:12")));
    feed(h, ev("00u2", "U", "caf\\u00e9", T("08:13")));
    assert_int_equal(h->na, 1);
    feed(h, ev("00u2", "U", "z", T("08:14")));
    assert_int_equal(h->na, 2);
    EXPECT_SESSIONS(h->a[1].json, "a/b", "caf\xc3\xa9", "z");
}

/* After an alert: r = maxT, sessions forgotten; t <= r is covered and does
 * not count toward the next alert. */
static void test_reset_and_covered(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, ev("00u1", "U", "s2", T("08:01")));
    feed(h, ev("00u1", "U", "s3", T("08:02")));
    assert_int_equal(h->na, 1);
    feed(h, ev("00u1", "U", "s4", T("08:03")));
    feed(h, ev("00u1", "U", "s5", T("08:04")));
    assert_int_equal(h->na, 1);
    feed(h, ev("00u1", "U", "s6", T("08:05")));
    assert_int_equal(h->na, 2);
    EXPECT_SESSIONS(h->a[1].json, "s4", "s5", "s6");
    assert_contains(h->a[1].json, "\"count\":3,\"from\":\"2026-01-05T08:03:00.000Z\"");
    assert_int_equal(cnt(h)->covered, 0);

    /* Covered: t == r, t < r, and an old session id at t == r. */
    feed(h, ev("00u2", "U", "s1", T("08:00")));
    feed(h, ev("00u2", "U", "s2", T("08:01")));
    feed(h, ev("00u2", "U", "s3", T("08:02")));
    assert_int_equal(h->na, 3);
    feed(h, ev("00u2", "U", "s7", T("08:02:00.000")));
    feed(h, ev("00u2", "U", "s8", T("08:01")));
    feed(h, ev("00u2", "U", "s1", T("08:02")));
    assert_int_equal(cnt(h)->covered, 3);
    assert_int_equal(cnt(h)->eligible, 12);
    feed(h, ev("00u2", "U", "s4", T("08:02:00.001")));
    feed(h, ev("00u2", "U", "s5", T("08:04")));
    assert_int_equal(h->na, 3); /* s7, s8 did not count */
    feed(h, ev("00u2", "U", "s6", T("08:05")));
    assert_int_equal(h->na, 4);
    EXPECT_SESSIONS(h->a[3].json, "s4", "s5", "s6");

    /* The same three ids again after the alert are new sessions. */
    feed(h, ev("00u3", "U", "s1", T("08:00")));
    feed(h, ev("00u3", "U", "s2", T("08:01")));
    feed(h, ev("00u3", "U", "s3", T("08:02")));
    feed(h, ev("00u3", "U", "s1", T("08:03")));
    feed(h, ev("00u3", "U", "s2", T("08:04")));
    assert_int_equal(h->na, 5);
    feed(h, ev("00u3", "U", "s3", T("08:05")));
    assert_int_equal(h->na, 6);
    EXPECT_SESSIONS(h->a[5].json, "s1", "s2", "s3");
    assert_contains(h->a[5].json, "\"count\":3,\"from\":\"2026-01-05T08:03:00.000Z\"");
    assert_int_equal(cnt(h)->covered, 3);
}

/* Out of order inside the window counts; Q is listed by last_seen. */
static void test_out_of_order(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, ev("00u1", "U", "s2", T("08:30")));
    feed(h, ev("00u1", "U", "s3", T("08:10")));
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s1", "s3", "s2");
    assert_contains(h->a[0].json, jtime("@timestamp", "08:10")); /* the completing event */
    assert_contains(h->a[0].json, "\"from\":\"2026-01-05T08:00:00.000Z\"");

    /* Inclusive at maxT - W, also when the old one arrives last. */
    feed(h, ev("00u2", "U", "s1", T("08:35")));
    feed(h, ev("00u2", "U", "s2", T("08:10")));
    feed(h, ev("00u2", "U", "s3", T("08:00:00.000")));
    assert_int_equal(h->na, 2);
    EXPECT_SESSIONS(h->a[1].json, "s3", "s2", "s1");

    /* last(s) = max: an older event of a session does not pull it back. */
    feed(h, ev("00u3", "U", "s1", T("08:00")));
    feed(h, ev("00u3", "U", "s1", T("07:58")));
    feed(h, ev("00u3", "U", "s2", T("08:30")));
    feed(h, ev("00u3", "U", "s3", T("08:34")));
    assert_int_equal(h->na, 3);
    EXPECT_SESSIONS(h->a[2].json, "s1", "s2", "s3");
    assert_contains(session_obj(h->a[2].json, "s1"), "\"first_seen\":\"2026-01-05T07:58:00.000Z\","
                                                     "\"last_seen\":\"2026-01-05T08:00:00.000Z\",\"events\":2,");
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_LATE], 0);
}

/* An event older than maxT - W (but in time) is eligible and not in Q. */
static void test_old_event_not_in_q(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "U", "s1", T("08:35")));
    feed(h, ev("00u1", "U", "s2", T("08:10")));
    EXPECT(h, ev("00u1", "U", "s3", T("07:59:59.999")), SW_ELIGIBLE);
    assert_int_equal(h->na, 0);
    feed(h, ev("00u1", "U", "s4", T("08:20")));
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s2", "s4", "s1");
    assert_not_contains(h->a[0].json, "\"s3\"");
}

/* Tenants never share state, even with colliding actor ids. */
static void test_tenants_isolated(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant_field = "tenant";
    feed(h, evt("a", "00u1", "s1", T("08:00")));
    feed(h, evt("a", "00u1", "s2", T("08:01")));
    feed(h, evt("b", "00u1", "s3", T("08:02")));
    feed(h, ev("00u1", "U", "s4", T("08:03"))); /* no tenant field: tenant "" */
    assert_int_equal(h->na, 0);
    assert_int_equal(cnt(h)->eligible, 4);
    feed(h, evt("b", "00u1", "s4", T("08:04")));
    feed(h, evt("b", "00u1", "s5", T("08:05")));
    assert_int_equal(h->na, 1);
    const char *j = h->a[0].json;
    assert_contains(j, "\"tenant\":\"b\"");
    assert_string_equal(h->a[0].tenant, "b");
    assert_string_equal(h->a[0].actor, "00u1");
    EXPECT_SESSIONS(j, "s3", "s4", "s5");
    feed(h, evt("a", "00u1", "s9", T("08:06")));
    assert_int_equal(h->na, 2);
    assert_string_equal(h->a[1].tenant, "a");
    EXPECT_SESSIONS(h->a[1].json, "s1", "s2", "s9");
    /* Same sessions, other tenant: its own alert id. */
    assert_string_not_equal(h->a[0].id, h->a[1].id);
}

/* A fixed tenant overrides the records. */
static void test_fixed_tenant(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant = "acme";
    feed(h, evt("a", "00u1", "s1", T("08:00")));
    feed(h, evt("b", "00u1", "s2", T("08:01")));
    feed(h, ev("00u1", "U", "s3", T("08:02")));
    assert_int_equal(h->na, 1);
    assert_contains(h->a[0].json, "\"tenant\":\"acme\"");
    assert_string_equal(h->a[0].tenant, "acme");
}

/* The okta exclusion: case-sensitive prefix of actor id or display name. */
static void test_exclusion_default(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, ev("okta123", "Robot", "x1", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("00u9", "okta_system", "x2", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("okta", NULL, "x3", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("00u1", "Okta System", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("Okta9", "U", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("OKTA8", "U", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("okt", "ok", "s1", T("08:00")), SW_ELIGIBLE); /* shorter than the prefix */
    EXPECT(h, ev("00uokta", "x okta", "s1", T("08:00")), SW_ELIGIBLE); /* not a prefix */
    /* An excluded actor never alerts. */
    for (int i = 0; i < 5; i++) {
        char sid[16];
        snprintf(sid, sizeof sid, "sys%d", i);
        EXPECT(h, ev("okta123", "Robot", sid, T("08:01")), SW_V_EXCLUDED_ACTOR);
    }
    /* "Okta System" is counted: 3 sessions alert. */
    EXPECT(h, ev("00u1", "Okta System", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, ev("00u1", "Okta System", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "00u1");
    assert_contains(h->a[0].json, "\"display_name\":\"Okta System\"");
    assert_int_equal(cnt(h)->verdict[SW_V_EXCLUDED_ACTOR], 8);
}

static void test_exclusion_case_insensitive(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.exclude_case_insensitive = true;
    EXPECT(h, ev("00u1", "Okta System", "s1", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("OKTA9", "U", "s1", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("okta123", "U", "s1", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("00u2", "oKtA_system", "s1", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("00u3", "Human", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("okt", "Oktx", "s1", T("08:00")), SW_ELIGIBLE);
}

/* A custom list replaces "okta". */
static void test_exclusion_custom_list(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.exclude_prefix[0] = "svc-";
    h->cfg.exclude_prefix[1] = "bot";
    h->cfg.n_exclude_prefix = 2;
    h->cfg.exclude_prefix_given = true;
    EXPECT(h, ev("svc-backup", "U", "s1", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("00u7", "bot runner", "s1", T("08:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, ev("00u7", "Bot runner", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("okta123", "okta_system", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("okta123", "okta_system", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, ev("okta123", "okta_system", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "okta123");
}

/* Dataset: named in ECS (event.dataset or data_stream.dataset, nested or
 * dotted) it must be okta.system; counted records complete an alert. */
static void test_filter_dataset(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, ecs("00e1", "s1", T("08:00"), "\"event\":{\"dataset\":\"okta.other\"}"), SW_V_WRONG_DATASET);
    EXPECT(h, ecs("00e1", "s2", T("08:00"), "\"data_stream\":{\"dataset\":\"okta.other\"}"), SW_V_WRONG_DATASET);
    EXPECT(h, ecs("00e1", "s3", T("08:00"), "\"data_stream.dataset\":\"okta.other\""), SW_V_WRONG_DATASET);
    EXPECT(h, ecs("00e1", "s4", T("08:00"), "\"event.dataset\":\"okta.system \""), SW_V_WRONG_DATASET);
    assert_int_equal(h->na, 0);
    EXPECT(h, ecs("00e1", "s1", T("08:00"), "\"event\":{\"dataset\":\"okta.system\"}"), SW_ELIGIBLE);
    EXPECT(h, ecs("00e1", "s2", T("08:01"), "\"data_stream\":{\"dataset\":\"okta.system\"}"), SW_ELIGIBLE);
    EXPECT(h, ecs("00e1", "s3", T("08:02"), "\"event.dataset\":\"okta.system\""), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "00e1");
    EXPECT_SESSIONS(h->a[0].json, "s1", "s2", "s3");
    /* No dataset at all (raw LogEvent, or ECS without one): okta.system. */
    EXPECT(h, ecs("00e2", "s1", T("08:00"), NULL), SW_ELIGIBLE);
    EXPECT(h, RAW(.actor = "\"00e2\"", .sid = "\"s2\""), SW_ELIGIBLE);
}

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

static void test_filter_event_type(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, RAW(.type = "\"user.session.end\""), SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.type = "\"user.session.start.extra\""), SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.type = "\"User.session.start\""), SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.type = ABSENT), SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.type = "null"), SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.type = "\"user.session.start\""), SW_ELIGIBLE);
    h_free(h);
    h_init(h);
    h->cfg.prefilter = false;
    EXPECT(h, RAW(.type = "\"user.session.end\""), SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.type = "\"user.session.start\""), SW_ELIGIBLE);
}

/* Session id: missing / null / "" filtered, non-string rejected. */
static void test_filter_session_id(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, RAW(.sid = ABSENT), SW_V_NO_SESSION_ID);
    EXPECT(h, RAW(.sid = "null"), SW_V_NO_SESSION_ID);
    EXPECT(h, RAW(.sid = "\"\""), SW_V_NO_SESSION_ID);
    EXPECT(h, RAW(.sid = "12345"), SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.sid = "true"), SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.sid = "{\"id\":\"s1\"}"), SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.sid = "[\"s1\"]"), SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.sid = "\" \""), SW_ELIGIBLE); /* non-empty */
    EXPECT(h, RAW(.sid = "\"s1\""), SW_ELIGIBLE);
    assert_contains(h->r[0].head, "\"externalSessionId\":12345");
}

/* Actor id: missing / "" / null filtered, object rejected. */
static void test_filter_actor_id(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, RAW(.actor = ABSENT), SW_V_NO_ACTOR);
    EXPECT(h, RAW(.actor = "\"\""), SW_V_NO_ACTOR);
    EXPECT(h, RAW(.actor = "null"), SW_V_NO_ACTOR);
    EXPECT(h, RAW(.actor = "{\"id\":\"00u1\"}"), SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.actor = "42"), SW_R_WRONG_TYPE);
    EXPECT(h, RAW(.actor = "\"00u1\""), SW_ELIGIBLE);
}

static void test_filter_require_success(void **state) {
    (void)state;
    harness *h = &H;
    /* Off (the default): outcome does not matter. */
    EXPECT(h, RAW(.outcome = "\"FAILURE\"", .sid = "\"s1\"", .time = quote(T("08:00"))), SW_ELIGIBLE);
    EXPECT(h, RAW(.outcome = ABSENT, .sid = "\"s2\"", .time = quote(T("08:01"))), SW_ELIGIBLE);
    EXPECT(h, RAW(.outcome = "\"FAILURE\"", .sid = "\"s3\"", .time = quote(T("08:02"))), SW_ELIGIBLE);
    assert_int_equal(h->na, 1); /* a password spray's failures alert without hardening */
    h_free(h);
    h_init(h);
    h->cfg.require_success = true;
    EXPECT(h, RAW(.outcome = "\"FAILURE\"", .sid = "\"s1\""), SW_V_NOT_SUCCESS);
    EXPECT(h, RAW(.outcome = ABSENT, .sid = "\"s2\""), SW_V_NOT_SUCCESS);
    EXPECT(h, RAW(.outcome = "\"success\"", .sid = "\"s3\""), SW_V_NOT_SUCCESS);
    EXPECT(h, RAW(.outcome = "\"SUCCESS\"", .sid = "\"s4\""), SW_ELIGIBLE);
    assert_int_equal(h->na, 0);
}

static void test_filter_unknown_actor(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, ev("unknown", "Unknown", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("unknown", "Unknown", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, ev("unknown", "Unknown", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "unknown");
    h_free(h);
    h_init(h);
    h->cfg.exclude_unknown_actor = true;
    EXPECT(h, ev("unknown", "Unknown", "s1", T("08:00")), SW_V_UNKNOWN_ACTOR);
    EXPECT(h, ev("unknown2", "Unknown", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("Unknown", "Unknown", "s1", T("08:00")), SW_ELIGIBLE);
}

/* The event time: RFC 3339 with Z or an offset, as Elasticsearch reads it
 * (timefmt.h); anything else is bad_time. */
static void test_time_parsing(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, RAW(.time = "\"yesterday\""), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = ABSENT), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "null"), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "1767600000000"), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "\"2026-01-05T08:00:00\""), SW_R_BAD_TIME); /* no offset */
    EXPECT(h, RAW(.time = "\"2026-02-30T08:00:00Z\""), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "\"2026-01-05T24:00:00Z\""), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "\"2026-01-05T08:00:00ZZ\""), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "\"\""), SW_R_BAD_TIME);
    /* More than RFC 3339 (or than Elasticsearch reads): timefmt.h. */
    EXPECT(h, RAW(.time = "\"2026-01-05T13:35:00.000+0500\""), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "\"2026-01-05T08:00:00,5Z\""), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "\"2026-01-05T08:00:60Z\""), SW_R_BAD_TIME);
    EXPECT(h, RAW(.time = "\"2026-01-05T08:00:00+23:59\""), SW_R_BAD_TIME);
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

/* Lateness is judged against the tenant's newest eligible event. */
static void test_lateness(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, ev("00u1", "U", "s1", T("10:00")), SW_ELIGIBLE);
    pace(h, NULL, T("10:00")); /* the watermark needs SW_WM_ACTORS actors at 10:00 */
    EXPECT(h, ev("00u2", "U", "s1", T("09:14:59.999")), SW_R_TOO_LATE);
    EXPECT(h, ev("00u2", "U", "s2", T("09:15:00.000")), SW_ELIGIBLE);
    assert_contains(h->r[0].head, "09:14:59.999");
    /* Neither filtered nor rejected events move the watermark. */
    EXPECT(h, ev("okta1", "U", "s1", T("12:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, RAW(.actor = "\"00u3\"", .sid = ABSENT, .time = quote(T("12:00"))), SW_V_NO_SESSION_ID);
    EXPECT(h, ev("00u3", "U", "s1", T("09:15:00.000")), SW_ELIGIBLE);
    /* A too-late event does not count toward an alert. */
    EXPECT(h, ev("00u4", "U", "s1", T("09:30")), SW_ELIGIBLE);
    EXPECT(h, ev("00u4", "U", "s2", T("09:31")), SW_ELIGIBLE);
    EXPECT(h, ev("00u4", "U", "s3", T("09:00")), SW_R_TOO_LATE);
    assert_int_equal(h->na, 0);
    EXPECT(h, ev("00u4", "U", "s3", T("09:32")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_LATE], 2);
}

/* ms since the epoch of T(hms). */
static int64_t at(const char *hms) {
    const char *t = T(hms);
    int64_t ms;
    assert_int_equal(sw_time_parse(t, strlen(t), &ms), 0);
    return ms;
}

/* The watermark is the SW_WM_ACTORS-th newest of the actors' newest
 * times: fewer actors, however far ahead, set none; one actor's records
 * count once. */
static void test_watermark_needs_k_actors(void **state) {
    (void)state;
    harness *h = &H;
    for (int i = 0; i < SW_WM_ACTORS - 1; i++) {
        char actor[16];
        snprintf(actor, sizeof actor, "00uF%d", i);
        EXPECT(h, ev(actor, "F", "f1", "9999-12-31T23:59:59.999Z"), SW_ELIGIBLE);
        EXPECT(h, ev(actor, "F", "f2", "9999-12-31T23:59:59.999Z"), SW_ELIGIBLE);
    }
    /* Three actors far ahead: no watermark, nothing is late. */
    EXPECT(h, ev("00u1", "U", "s1", T("07:00")), SW_ELIGIBLE);
    const sw_store *st = sw_engine_store(eng(h));
    const sw_tenant *t = sw_store_tenant_at(st, 0);
    assert_int_equal(t->ntop, SW_WM_ACTORS);
    assert_int_equal(t->watermark, at("07:00"));
    /* The watermark is 07:00 (the 4th actor's), not 9999: 06:15 is in time. */
    EXPECT(h, ev("00u2", "U", "s1", T("06:15")), SW_ELIGIBLE);
    EXPECT(h, ev("00u2", "U", "s1", T("06:14:59.999")), SW_R_TOO_LATE);
    /* Repeats of one actor count once: 00u1, the 4th newest actor, moves
     * it as 00u1 moves on; 00u2, behind it, does not. */
    EXPECT(h, ev("00u1", "U", "s2", T("10:00")), SW_ELIGIBLE);
    assert_int_equal(t->watermark, at("10:00"));
    EXPECT(h, ev("00u1", "U", "s3", T("11:00")), SW_ELIGIBLE);
    assert_int_equal(t->watermark, at("11:00"));
    EXPECT(h, ev("00u2", "U", "s2", T("10:30")), SW_ELIGIBLE);
    assert_int_equal(t->watermark, at("11:00"));
    assert_int_equal(t->ntop, SW_WM_ACTORS);
}

/* run: an event dated after the clock + --max-clock-skew is rejected
 * too_early: not counted, no tenant or key created, the watermark never
 * sees it. */
static void test_too_early(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_clock_skew_ms = 5 * 60000; /* clock_a: 2026-01-06T11:46:40Z */
    EXPECT(h, ev("00u1", "U", "s1", "2026-01-06T11:51:40.001Z"), SW_R_TOO_EARLY);
    EXPECT(h, ev("00u1", "U", "s1", "9999-12-31T23:59:59.999Z"), SW_R_TOO_EARLY);
    assert_int_equal(sw_engine_store(eng(h))->tenants.count, 0);
    assert_int_equal(sw_store_users(sw_engine_store(eng(h))), 0);
    EXPECT(h, ev("00u1", "U", "s1", "2026-01-06T11:51:40.000Z"), SW_ELIGIBLE);
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_EARLY], 2);
    assert_int_equal(sw_engine_future_limit(eng(h)), clock_a() + 5 * 60000);
    /* Without a skew (scan) there is no bound. */
    h->cfg.max_clock_skew_ms = 0;
    assert_int_equal(sw_engine_future_limit(eng(h)), INT64_MAX);
}

/* --max-tenants: a new tenant beyond it is rejected, never allocated; its
 * known tenants go on. */
static void test_too_many_tenants(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant_field = "tenant";
    h->cfg.max_tenants = 2;
    EXPECT(h, evt("a", "00u1", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, evt("c", "00u1", "s1", T("08:00")), SW_R_TOO_MANY_TENANTS);
    EXPECT(h, evt("a", "00u1", "s2", T("08:01")), SW_ELIGIBLE);
    assert_int_equal(sw_engine_store(eng(h))->tenants.count, 2);
    assert_int_equal(sw_engine_store(eng(h))->tenants_refused, 1);
}

/* Per-tenant memory does not depend on W + L: a tenant holds cap buckets
 * only for alerts, and only while they can change. */
static void test_cap_buckets_lazy(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.window_ms = SW_MAX_WINDOW_MS;
    h->cfg.lateness_ms = SW_MAX_LATENESS_MS;
    h->cfg.tenant_field = "tenant";
    for (int i = 0; i < 1000; i++) {
        char tenant[16];
        snprintf(tenant, sizeof tenant, "t%d", i);
        feed(h, evt(tenant, "00u1", "s1", T("08:00")));
    }
    const sw_store *st = sw_engine_store(eng(h));
    assert_int_equal(st->tenants.count, 1000);
    for (uint32_t i = 0; i < st->tenants.count; i++) {
        assert_null(sw_store_tenant_at(st, i)->cap);
        assert_int_equal(sw_store_tenant_at(st, i)->ncap, 0);
    }
    /* One alert: one bucket. */
    feed(h, evt("t0", "00u1", "s2", T("08:01")));
    feed(h, evt("t0", "00u1", "s3", T("08:02")));
    assert_int_equal(h->na, 1);
    assert_int_equal(sw_store_tenant_at(st, 0)->ncap, 1);
    assert_int_equal(sw_store_tenant_at(st, 1)->ncap, 0);
}

/* One tenant's newer events never make another tenant's events late. */
static void test_lateness_per_tenant(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant_field = "tenant";
    EXPECT(h, evt("a", "00u1", "s1", T("10:00")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].tenant, "b");
    pace(h, "a", T("10:00"));
    pace(h, "b", T("08:02"));
    EXPECT(h, evt("a", "00u2", "s1", T("09:14:59.999")), SW_R_TOO_LATE);
    EXPECT(h, evt("a", "00u2", "s1", T("09:15")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u2", "s1", T("07:16:59.999")), SW_R_TOO_LATE);
    EXPECT(h, evt("b", "00u2", "s1", T("07:17")), SW_ELIGIBLE);
}

/* A key whose maxT fell more than W + L behind the tenant's watermark is
 * forgotten: its sessions no longer count. */
static void test_eviction(void **state) {
    (void)state;
    harness *h = &H;
    /* Control: without the other user, s1 s2 s3 alert. */
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, ev("00u1", "U", "s2", T("08:00")));
    feed(h, ev("00u1", "U", "s3", T("08:01")));
    assert_int_equal(h->na, 1);
    h_free(h);
    h_init(h);

    /* Boundary: maxT == watermark - (W + L) is not stale yet. */
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, ev("00u1", "U", "s2", T("08:00")));
    pace(h, NULL, T("08:45:00.000"));
    EXPECT(h, ev("00u1", "U", "s3", T("08:01")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s1", "s2", "s3");
    assert_int_equal(sw_engine_store(h->e)->evicted, 0);
    h_free(h);
    h_init(h);

    /* One ms later the key is stale: s1 and s2 are forgotten. */
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, ev("00u1", "U", "s2", T("08:00")));
    pace(h, NULL, T("08:45:00.001"));
    EXPECT(h, ev("00u1", "U", "s3", T("08:01")), SW_ELIGIBLE);
    assert_int_equal(h->na, 0);
    assert_int_equal(sw_engine_store(h->e)->evicted, 1);
    EXPECT(h, ev("00u1", "U", "s4", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 0);
    EXPECT(h, ev("00u1", "U", "s5", T("08:03")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s3", "s4", "s5");
    h_free(h);
    h_init(h);

    /* After an alert (r = 08:02) the key goes stale and is forgotten too.
     * (Its r can never suppress again anyway: maxT >= r, and an in-time
     * event is newer than any stale maxT.) */
    feed(h, ev("00u1", "U", "s1", T("08:00")));
    feed(h, ev("00u1", "U", "s2", T("08:01")));
    feed(h, ev("00u1", "U", "s3", T("08:02")));
    assert_int_equal(h->na, 1);
    pace(h, NULL, T("08:47:00.001"));
    assert_int_equal(sw_engine_store(h->e)->evicted, 1);
    EXPECT(h, ev("00u1", "U", "s4", T("08:03")), SW_ELIGIBLE);
    EXPECT(h, ev("00u1", "U", "s5", T("08:04")), SW_ELIGIBLE);
    EXPECT(h, ev("00u1", "U", "s6", T("08:05")), SW_ELIGIBLE);
    assert_int_equal(h->na, 2);
    EXPECT_SESSIONS(h->a[1].json, "s4", "s5", "s6");
    assert_int_equal(cnt(h)->covered, 0);
}

/* Three users in one tenant alert in one 30-minute bucket. */
static void three_users(harness *h, const char *tenant, const char *const users[3], const char *base_min) {
    char hms[16];
    int m0 = atoi(base_min);
    for (int u = 0; u < 3; u++)
        for (int s = 0; s < 3; s++) {
            char sid[8];
            snprintf(sid, sizeof sid, "s%d", s + 1);
            snprintf(hms, sizeof hms, "08:%02d", m0 + u * 3 + s);
            feed(h, tenant ? evt(tenant, users[u], sid, T(hms)) : ev(users[u], "U", sid, T(hms)));
        }
}

/* At most max_alerts per tenant per bucket; the capped key is still reset;
 * the next bucket flows again. */
static void test_cap(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 2;
    three_users(h, NULL, (const char *const[]){"00u1", "00u2", "00u3"}, "05");
    assert_int_equal(h->na, 2);
    assert_string_equal(h->a[0].actor, "00u1");
    assert_string_equal(h->a[1].actor, "00u2");
    assert_int_equal(cnt(h)->alerts, 2);
    assert_int_equal(cnt(h)->alerts_capped, 1);
    /* 00u3 was reset by its capped alert at 08:13: its sessions are gone. */
    feed(h, ev("00u3", "U", "s4", T("08:30")));
    feed(h, ev("00u3", "U", "s5", T("08:31")));
    assert_int_equal(h->na, 2);
    feed(h, ev("00u3", "U", "s6", T("08:32")));
    assert_int_equal(h->na, 3);
    EXPECT_SESSIONS(h->a[2].json, "s4", "s5", "s6");
    /* Bucket 08:30-09:00: one more alert, then capped. */
    feed(h, ev("00u4", "U", "s1", T("08:33")));
    feed(h, ev("00u4", "U", "s2", T("08:34")));
    feed(h, ev("00u4", "U", "s3", T("08:35")));
    feed(h, ev("00u5", "U", "s1", T("08:36")));
    feed(h, ev("00u5", "U", "s2", T("08:37")));
    feed(h, ev("00u5", "U", "s3", T("08:38")));
    assert_int_equal(h->na, 4);
    assert_string_equal(h->a[3].actor, "00u4");
    assert_int_equal(cnt(h)->alerts, 4);
    assert_int_equal(cnt(h)->alerts_capped, 2);
    /* The bucket is floor(t / 30 min): 08:59:59.999 is still capped. */
    feed(h, ev("00u6", "U", "s1", T("08:59")));
    feed(h, ev("00u6", "U", "s2", T("08:59:30")));
    feed(h, ev("00u6", "U", "s3", T("08:59:59.999")));
    assert_int_equal(h->na, 4);
    feed(h, ev("00u7", "U", "s1", T("08:59")));
    feed(h, ev("00u7", "U", "s2", T("08:59:30")));
    feed(h, ev("00u7", "U", "s3", T("09:00:00.000")));
    assert_int_equal(h->na, 5);
    assert_int_equal(cnt(h)->alerts_capped, 3);
}

static void test_cap_per_tenant(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 2;
    h->cfg.tenant_field = "tenant";
    three_users(h, "a", (const char *const[]){"00u1", "00u2", "00u3"}, "00");
    three_users(h, "b", (const char *const[]){"00u1", "00u2", "00u3"}, "01");
    assert_int_equal(h->na, 4);
    assert_string_equal(h->a[0].tenant, "a");
    assert_string_equal(h->a[1].tenant, "a");
    assert_string_equal(h->a[2].tenant, "b");
    assert_string_equal(h->a[3].tenant, "b");
    assert_string_equal(h->a[3].actor, "00u2");
    assert_int_equal(cnt(h)->alerts_capped, 2);
}

static void test_cap_unlimited(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 0;
    three_users(h, NULL, (const char *const[]){"00u1", "00u2", "00u3"}, "00");
    three_users(h, NULL, (const char *const[]){"00u4", "00u5", "00u6"}, "01");
    assert_int_equal(h->na, 6);
    assert_int_equal(cnt(h)->alerts_capped, 0);
}

/* The cap counts per bucket of event time, whatever the arrival order: an
 * alert that lands back in a full bucket after one in the next bucket is
 * still capped. */
static void test_cap_bucket_out_of_order(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 2;
    three_users(h, NULL, (const char *const[]){"00u1", "00u2", "00u9"}, "00"); /* 08:00-08:08 */
    assert_int_equal(h->na, 2);                                              /* 00u9 capped */
    feed(h, ev("00u3", "U", "s1", T("08:30")));
    feed(h, ev("00u3", "U", "s2", T("08:31")));
    feed(h, ev("00u3", "U", "s3", T("08:32"))); /* next bucket: emitted */
    assert_int_equal(h->na, 3);
    /* Back in 08:00-08:30 (in time: the watermark is 08:32). */
    feed(h, ev("00u4", "U", "s1", T("08:27")));
    feed(h, ev("00u4", "U", "s2", T("08:28")));
    feed(h, ev("00u4", "U", "s3", T("08:29:30")));
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_LATE], 0);
    /* Spec: bucket 08:00-08:30 already holds 2 alerts, so 00u4 is capped. */
    assert_int_equal(cnt(h)->alerts_capped, 2);
    assert_int_equal(cnt(h)->alerts, 3);
    assert_int_equal(h->na, 3);
}

/* W + L = 45 min: alerts can land in three buckets at once; each is
 * counted exactly. */
static void test_cap_three_buckets(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 1;
    const char *const users[] = {"00a1", "00b1", "00c1", "00a2", "00b2", "00c2"};
    const char *const times[][3] = {
        {"08:18", "08:19", "08:20"}, /* bucket 08:00: emitted */
        {"08:38", "08:39", "08:40"}, /* bucket 08:30: emitted */
        {"08:59", "09:00", "09:01"}, /* bucket 09:00: emitted; watermark 09:01 */
        {"08:20", "08:21", "08:25"}, /* bucket 08:00 again: capped */
        {"08:41", "08:42", "08:43"}, /* bucket 08:30 again: capped */
        {"09:02", "09:03", "09:04"}, /* bucket 09:00 again: capped */
    };
    for (int u = 0; u < 6; u++)
        for (int i = 0; i < 3; i++) {
            char sid[8];
            snprintf(sid, sizeof sid, "s%d", i);
            EXPECT(h, ev(users[u], "U", sid, T(times[u][i])), SW_ELIGIBLE);
        }
    assert_int_equal(h->na, 3);
    assert_int_equal(cnt(h)->alerts_capped, 3);
}

/* The cap holds for any W + L: with W = 6 h an alert can land 12 buckets
 * behind the watermark, and its bucket's count must still be known (a
 * fixed ring of 8 buckets once let a second alert out here). */
static void test_cap_wide_window(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.window_ms = 6 * 3600000LL;
    h->cfg.lateness_ms = 0;
    h->cfg.max_alerts = 1;
    for (int k = 0; k < 10; k++) { /* one alert in each bucket 08:00, 08:30, ..., 12:30 */
        char actor[8], hms[8];
        snprintf(actor, sizeof actor, "u%d", k);
        snprintf(hms, sizeof hms, "%02d:%02d", 8 + (k * 30 + 5) / 60, (k * 30 + 5) % 60);
        for (int s = 0; s < 3; s++) {
            char sid[8];
            snprintf(sid, sizeof sid, "s%d", s);
            feed(h, ev(actor, "U", sid, T(hms)));
        }
    }
    assert_int_equal(h->na, 10);
    /* Back in bucket 08:00 (in time: the watermark is 12:35, W + L = 6 h). */
    EXPECT(h, ev("late", "U", "s0", T("08:10")), SW_ELIGIBLE);
    EXPECT(h, ev("late", "U", "s1", T("08:10")), SW_ELIGIBLE);
    EXPECT(h, ev("late", "U", "s2", T("08:10")), SW_ELIGIBLE);
    assert_int_equal(cnt(h)->alerts_capped, 1);
    assert_int_equal(h->na, 10);
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
    feed(h, ev("00u3", "U", "s1", T("08:05")));
    feed(h, ev("00u3", "U", "s2", T("08:06")));
    feed(h, ev("00u3", "U", "s3", T("08:07")));
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

/* Sessions held per key never exceed N; no alert lists more than N. */
static void check_bounded(harness *h, uint32_t n_max) {
    sw_store *st = sw_engine_store(eng(h));
    for (uint32_t i = 0; i < st->users.count; i++) {
        const sw_user *u = sw_table_at(&st->users, i);
        assert_true(u->nsessions <= n_max);
        uint32_t len = 0;
        for (const sw_session *s = u->sessions; s; s = s->next) len++;
        assert_int_equal(len, u->nsessions);
    }
}

static const sw_user *find_user(harness *h, const char *actor) {
    sw_store *st = sw_engine_store(eng(h));
    size_t n = strlen(actor);
    for (uint32_t i = 0; i < st->users.count; i++) {
        const sw_user *u = sw_table_at(&st->users, i);
        if (u->k.key_len == n + 4 && memcmp(u->k.key + 4, actor, n) == 0) return u;
    }
    return NULL;
}

static void test_bounded_state(void **state) {
    (void)state;
    for (uint32_t N = 3; N <= 5; N += 2) {
        harness *h = &H;
        h_free(h);
        h_init(h);
        h->cfg.min_sessions = N;
        char sid[32], hms[32];
        /* N - 1 sessions in the window (maxT ~ 10:00) ... */
        for (uint32_t i = 0; i + 1 < N; i++) {
            snprintf(sid, sizeof sid, "in%u", i);
            snprintf(hms, sizeof hms, "10:00:00.00%u", i);
            feed(h, ev("00u1", "U", sid, T(hms)));
        }
        /* ... then 500 distinct sessions older than maxT - W (09:25), in time (>= 09:15). */
        for (int i = 0; i < 500; i++) {
            snprintf(sid, sizeof sid, "old%d", i);
            snprintf(hms, sizeof hms, "09:%02d:%02d.%03d", 16 + i / 60, i % 60, i);
            EXPECT(h, ev("00u1", "U", sid, T(hms)), SW_ELIGIBLE);
            check_bounded(h, N);
        }
        /* ... and 500 sessions 36 minutes apart for another user. */
        for (int i = 0; i < 500; i++) {
            snprintf(sid, sizeof sid, "far%d", i);
            char t[64];
            int64_t m = 36LL * i;
            snprintf(t, sizeof t, "2026-01-%02dT%02d:%02d:00.000Z", 5 + (int)(m / 1440),
                     (int)(m / 60 % 24), (int)(m % 60));
            feed(h, ev("00u2", "U", sid, t));
            check_bounded(h, N);
        }
        assert_int_equal(h->na, 0);
        const sw_user *u = find_user(h, "00u2");
        assert_non_null(u);
        assert_int_equal(u->nsessions, 1);
        /* One more in-window session for 00u1 (whose key is stale by now:
         * start it again) alerts with exactly N. */
        h_free(h);
        h_init(h);
        h->cfg.min_sessions = N;
        for (uint32_t i = 0; i + 1 < N; i++) {
            snprintf(sid, sizeof sid, "in%u", i);
            snprintf(hms, sizeof hms, "10:00:00.00%u", i);
            feed(h, ev("00u1", "U", sid, T(hms)));
        }
        for (int i = 0; i < 50; i++) {
            snprintf(sid, sizeof sid, "old%d", i);
            snprintf(hms, sizeof hms, "09:20:%02d", i);
            feed(h, ev("00u1", "U", sid, T(hms)));
        }
        u = find_user(h, "00u1");
        assert_non_null(u);
        assert_int_equal(u->nsessions, N); /* N - 1 in the window + the newest stale one */
        feed(h, ev("00u1", "U", "last", T("10:30")));
        assert_int_equal(h->na, 1);
        char ids[80][64];
        assert_int_equal(alert_ids(h->a[0].json, ids, 80), N);
        u = find_user(h, "00u1");
        assert_int_equal(u->nsessions, 0);
    }
}

/* --------------------------------------------------- differential model */

enum { M_TENANTS = 2, M_ACTORS = 6, M_SIDS = 10 };
#define NONE INT64_MIN

typedef struct {
    int64_t r, maxT, last[M_SIDS];
} mkey;

typedef struct {
    int tenant, actor;
    unsigned mask;
    int64_t t;
} malert;

enum { M_BUCKETS = 26 * 48 }; /* 30-minute buckets from 2026-01-05T00:00Z */

typedef struct {
    int64_t newest[M_TENANTS][M_ACTORS]; /* each actor's newest eligible time */
    mkey k[M_TENANTS][M_ACTORS];
    uint32_t cap[M_TENANTS][M_BUCKETS]; /* alerts emitted per bucket */
    uint64_t eligible, covered, too_late, evicted, capped;
    malert al[20000]; /* emitted alerts */
    size_t nal;
} model;

static void mkey_reset(mkey *k) {
    k->r = k->maxT = NONE;
    for (int s = 0; s < M_SIDS; s++) k->last[s] = NONE;
}

/* The tenant's watermark: the SW_WM_ACTORS-th newest of its actors'
 * newest times, NONE while fewer actors were seen. */
static int64_t model_wm(const model *m, int tn) {
    int64_t t[M_ACTORS];
    int n = 0;
    for (int a = 0; a < M_ACTORS; a++)
        if (m->newest[tn][a] != NONE) t[n++] = m->newest[tn][a];
    if (n < SW_WM_ACTORS) return NONE;
    for (int i = 0; i < n; i++) /* sort, newest first */
        for (int j = i + 1; j < n; j++)
            if (t[j] > t[i]) {
                int64_t x = t[i];
                t[i] = t[j];
                t[j] = x;
            }
    return t[SW_WM_ACTORS - 1];
}

/* The spec, written as plainly as possible. */
static void model_event(model *m, const sw_config *c, int tn, int ac, int sid, int64_t t) {
    int64_t horizon = c->window_ms + c->lateness_ms;
    int64_t wm0 = model_wm(m, tn);
    if (wm0 != NONE && t < wm0 - horizon) {
        m->too_late++;
        return;
    }
    if (m->newest[tn][ac] == NONE || t > m->newest[tn][ac]) m->newest[tn][ac] = t;
    m->eligible++;
    mkey *k = &m->k[tn][ac];
    int64_t wm = model_wm(m, tn);
    if (k->maxT != NONE && wm != NONE && k->maxT < wm - horizon) {
        mkey_reset(k);
        m->evicted++;
    }
    if (k->r != NONE && t <= k->r) {
        m->covered++;
        return;
    }
    if (k->last[sid] == NONE || t > k->last[sid]) k->last[sid] = t;
    if (k->maxT == NONE || t > k->maxT) k->maxT = t;
    unsigned q = 0, nq = 0;
    for (int s = 0; s < M_SIDS; s++)
        if (k->last[s] != NONE && k->last[s] >= k->maxT - c->window_ms) {
            q |= 1u << s;
            nq++;
        }
    if (nq >= c->min_sessions) {
        int64_t b = t / SW_CAP_BUCKET_MS; /* t >= 0: ms since a bucket boundary */
        assert_true(b < M_BUCKETS);
        if (c->max_alerts && m->cap[tn][b] >= c->max_alerts) {
            m->capped++;
        } else {
            m->cap[tn][b]++;
            assert_true(m->nal < sizeof m->al / sizeof m->al[0]);
            m->al[m->nal++] = (malert){tn, ac, q, t};
        }
        k->r = k->maxT;
        for (int s = 0; s < M_SIDS; s++) k->last[s] = NONE;
    }
}

static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rnd_upto(int64_t n) { return n > 0 ? (int64_t)(rnd() % (uint64_t)(n + 1)) : 0; }

/* ms since 2026-01-05T00:00Z -> RFC 3339 (January only). */
static void fmt_ms(int64_t ms, char out[40]) {
    int64_t day = ms / 86400000, rem = ms % 86400000;
    assert_true(ms >= 0 && day < 26);
    snprintf(out, 40, "2026-01-%02dT%02d:%02d:%02d.%03dZ", 5 + (int)day, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

static void run_model(uint64_t seed, int64_t W, int64_t L, uint32_t N, uint32_t max_alerts, int events) {
    static model m;
    memset(&m, 0, sizeof m);
    for (int tn = 0; tn < M_TENANTS; tn++) {
        for (int a = 0; a < M_ACTORS; a++) {
            mkey_reset(&m.k[tn][a]);
            m.newest[tn][a] = NONE;
        }
    }
    harness *h = &H;
    h_free(h);
    h_init(h);
    h->cfg.window_ms = W;
    h->cfg.lateness_ms = L;
    h->cfg.min_sessions = N;
    h->cfg.max_alerts = max_alerts;
    h->cfg.tenant_field = "tenant";
    rng_state = seed;

    int64_t base = 8 * 3600000LL; /* 08:00 on the 5th */
    int cur[M_TENANTS][M_ACTORS] = {{0}};
    for (int i = 0; i < events; i++) {
        uint64_t r = rnd() % 1000;
        if (r < 10) base += rnd_upto(2 * (W + L));         /* a quiet stretch: eviction */
        else base += rnd_upto(W / 300);
        int64_t t = base;
        r = rnd() % 100;
        if (r < 20) t -= rnd_upto((W + L) * 13 / 10);      /* out of order, some too late */
        else if (r < 22) t -= rnd_upto(W / 50);             /* slightly out of order */
        int tn = (int)(rnd() % M_TENANTS);
        int ac = rnd() % 10 < 1 ? 5 : (int)(rnd() % 5);    /* actor 5 is rare */
        /* Actor 2 of tenant b comes from a feed lagging ~0.9 (W + L): its
         * alerts land buckets behind the others'. */
        if (tn == 1 && ac == 2 && r >= 22) t = base - (W + L) * 9 / 10 + rnd_upto((W + L) / 20);
        if (rnd() % 100 < 30) cur[tn][ac] = (int)(rnd() % M_SIDS);
        int sid = cur[tn][ac];

        char ts[40], sidtxt[16], actor[8], extra[32];
        fmt_ms(t, ts);
        if (rnd() % 4 == 0) snprintf(sidtxt, sizeof sidtxt, "\\u0073%d", sid); /* "s" escaped */
        else snprintf(sidtxt, sizeof sidtxt, "s%d", sid);
        snprintf(actor, sizeof actor, "\"m%d\"", ac);
        snprintf(extra, sizeof extra, "\"tenant\":\"%c\"", 'a' + tn);
        const char *rec = build((rspec){.actor = actor, .name = "\"Model User\"", .sid = quote(sidtxt),
                                        .time = quote(ts), .extra = extra});
        size_t nal0 = m.nal;
        model_event(&m, &h->cfg, tn, ac, sid, t);
        feed(h, rec);

        if (h->na != m.nal)
            fail_msg("seed %llu event %d (%s): engine has %zu alerts, model %zu", (unsigned long long)seed, i,
                     rec, h->na, m.nal);
        if (m.nal != nal0) {
            const malert *ma = &m.al[m.nal - 1];
            const got_alert *ga = &h->a[h->na - 1];
            char want_actor[8], want_ts[64];
            snprintf(want_actor, sizeof want_actor, "m%d", ma->actor);
            assert_string_equal(ga->actor, want_actor);
            assert_int_equal(ga->tenant[0], 'a' + ma->tenant);
            snprintf(want_ts, sizeof want_ts, "\"@timestamp\":\"%s\"", ts);
            assert_contains(ga->json, want_ts);
            char ids[80][64];
            size_t n = alert_ids(ga->json, ids, 80);
            unsigned mask = 0;
            for (size_t j = 0; j < n; j++) mask |= 1u << atoi(ids[j] + 1);
            if (mask != ma->mask || n != (size_t)__builtin_popcount(ma->mask))
                fail_msg("seed %llu event %d: engine Q %#x (%zu ids), model Q %#x", (unsigned long long)seed, i,
                         mask, n, ma->mask);
            assert_true(n <= N);
        }
        check_bounded(h, N);
    }
    const sw_counters *c = cnt(h);
    assert_int_equal(c->eligible, m.eligible);
    assert_int_equal(c->covered, m.covered);
    assert_int_equal(c->verdict[SW_R_TOO_LATE], m.too_late);
    assert_int_equal(c->alerts, m.nal);
    assert_int_equal(c->alerts_capped, m.capped);
    /* The stream exercised every path. */
    assert_true(m.nal > 20);
    if (max_alerts) assert_true(m.capped > 20);
    assert_true(m.covered > 20);
    assert_true(m.too_late > 20);
    assert_true(m.evicted > 0);
    assert_true(m.eligible - m.covered > (m.nal + m.capped) * N);
}

static void test_model_default(void **state) {
    (void)state;
    run_model(1, 35 * 60000LL, 10 * 60000LL, 3, 0, 6000);
    run_model(2, 35 * 60000LL, 10 * 60000LL, 3, 0, 6000);
}

static void test_model_variants(void **state) {
    (void)state;
    run_model(3, 5 * 60000LL, 0, 2, 0, 6000);
    run_model(4, 10 * 60000LL, 2 * 60000LL, 4, 0, 6000);
    run_model(5, 60 * 60000LL, 30 * 60000LL, 5, 0, 6000);
}

/* The cap on random streams: alerts land out of order across buckets and
 * the streams span days of buckets. */
static void test_model_cap(void **state) {
    (void)state;
    run_model(6, 35 * 60000LL, 10 * 60000LL, 3, 1, 6000);
    run_model(7, 35 * 60000LL, 10 * 60000LL, 3, 2, 6000);
    run_model(8, 5 * 60000LL, 0, 2, 3, 6000);
    run_model(9, 120 * 60000LL, 60 * 60000LL, 3, 1, 6000);
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
        cmocka_unit_test_setup_teardown(test_three_sessions_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_names_from_completing_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escaped_session_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_and_covered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_event_not_in_q, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenants_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fixed_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclusion_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclusion_case_insensitive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclusion_custom_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_dataset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_array_non_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_event_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_session_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_actor_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_require_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_unknown_actor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_parsing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lateness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lateness_per_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_per_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_unlimited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_bucket_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_three_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_wide_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_id_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_array_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_array_leading_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_modes_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefilter_transparent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watermark_needs_k_actors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_tenants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_buckets_lazy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_cap, setup, teardown),
        cmocka_unit_test(test_alert_size_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
