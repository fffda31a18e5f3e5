/* test_extract.c -- unit tests of the simdjson extractor (stream/core/extract.cpp).
 *
 * Every record goes through xt(), which extracts it twice: once in place
 * from a buffer with exactly SW_PADDING bytes of hostile padding after it
 * (so ASan catches any read past the promise), once copied (cap == len).
 * Both must agree byte for byte, and both input buffers are freed before
 * the test reads the views, which proves the views point into the parser
 * and not into the caller's record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract.h"
#include "testutil.h"
#include "tu_parsers.h"

#define MAXEV 16
#define MIB (1024 * 1024)

#define P_inplace (tu_parser[0]) /* in place, SW_PADDING hostile bytes after the record */
#define P_copy (tu_parser[1]) /* copied: cap == len */
static sw_event EV[MAXEV];
static size_t NEV;
static char PAD_BYTE = '}';

static int value_eq(const sw_value *a, const sw_value *b) {
    if (a->type != b->type || a->n != b->n) return 0;
    return a->type != SW_STRING || a->n == 0 || memcmp(a->p, b->p, a->n) == 0;
}

/* Extract rec[0..len) in place and copied; assert both agree; leave the
 * copied parser's events in EV/NEV and return the status. */
static size_t RAW_OFF[MAXEV], RAW_LEN[MAXEV]; /* each event's raw text in the last record */

/* The raw text of event i of the last record rec, as a string. */
static void is_raw(const char *rec, size_t i, const char *want) {
    assert_int_equal(RAW_LEN[i], strlen(want));
    assert_memory_equal(rec + RAW_OFF[i], want, RAW_LEN[i]);
}

static sw_xstatus xtn(const char *rec, size_t len, const char *tenant, size_t max_out) {
    static sw_event ev1[MAXEV];
    size_t n1 = 99, n2 = 99;
    char *b1 = malloc(len + SW_PADDING);
    char *b2 = malloc(len ? len : 1);
    assert_non_null(b1);
    assert_non_null(b2);
    memcpy(b1, rec, len);
    memset(b1 + len, PAD_BYTE, SW_PADDING);
    memcpy(b2, rec, len);
    assert_true(max_out <= MAXEV);
    sw_xstatus s1 = sw_parser_extract(P_inplace, b1, len, len + SW_PADDING, tenant, ev1, max_out, &n1);
    sw_xstatus s2 = sw_parser_extract(P_copy, b2, len, len, tenant, EV, max_out, &n2);
    /* raw views point into the caller's record, whichever buffer was parsed */
    for (size_t i = 0; s2 == SW_X_OK && i < n2; i++) {
        assert_true(ev1[i].raw >= b1 && ev1[i].raw + ev1[i].raw_len <= b1 + len);
        assert_true(EV[i].raw >= b2 && EV[i].raw + EV[i].raw_len <= b2 + len);
        assert_int_equal(ev1[i].raw - b1, EV[i].raw - b2);
        assert_int_equal(ev1[i].raw_len, EV[i].raw_len);
        RAW_OFF[i] = (size_t)(EV[i].raw - b2);
        RAW_LEN[i] = EV[i].raw_len;
    }
    memset(b1, 'X', len + SW_PADDING); /* a caller reusing its buffer */
    memset(b2, 'X', len ? len : 1);
    free(b1);
    free(b2);
    assert_int_equal(s1, s2);
    assert_int_equal(n1, n2);
    if (s2 != SW_X_OK) assert_int_equal(n2, 0);
    for (size_t i = 0; i < n2; i++) {
        assert_int_equal(ev1[i].format, EV[i].format);
        for (int f = 0; f < SW_F_COUNT; f++) assert_true(value_eq(&ev1[i].f[f], &EV[i].f[f]));
    }
    NEV = n2;
    return s2;
}

static sw_xstatus xt(const char *rec, const char *tenant) {
    return xtn(rec, strlen(rec), tenant, MAXEV);
}

/* xt() on a single object: status OK, one event. */
static const sw_event *one(const char *rec, const char *tenant) {
    assert_int_equal(xt(rec, tenant), SW_X_OK);
    assert_int_equal(NEV, 1);
    return &EV[0];
}

static void is_str(const sw_value *v, const char *s) {
    assert_int_equal(v->type, SW_STRING);
    assert_int_equal(v->n, strlen(s));
    assert_memory_equal(v->p, s, v->n);
}

static void is_type(const sw_value *v, int type) {
    assert_int_equal(v->type, type);
}

/* The wanted paths, as extract.cpp must know them (field, dotted path,
 * and whether it is read in ECS documents or in raw LogEvents). */
static const struct {
    int field;
    const char *path;
    int ecs;
} PATHS[] = {
    {SW_F_EVENT_TYPE, "eventType", 0},
    {SW_F_EVENT_TYPE, "okta.event_type", 1},
    {SW_F_ACTOR_ID, "actor.id", 0},
    {SW_F_ACTOR_ID, "okta.actor.id", 1},
    {SW_F_ACTOR_NAME, "actor.displayName", 0},
    {SW_F_ACTOR_NAME, "okta.actor.display_name", 1},
    {SW_F_ACTOR_ALT, "actor.alternateId", 0},
    {SW_F_ACTOR_ALT, "okta.actor.alternate_id", 1},
    {SW_F_SESSION_ID, "authenticationContext.externalSessionId", 0},
    {SW_F_SESSION_ID, "okta.authentication_context.external_session_id", 1},
    {SW_F_PUBLISHED, "published", 0},
    {SW_F_TIMESTAMP, "@timestamp", 1},
    {SW_F_INGESTED, "event.ingested", 1},
    {SW_F_EVENT_DATASET, "event.dataset", 1},
    {SW_F_STREAM_DATASET, "data_stream.dataset", 1},
    {SW_F_UUID, "uuid", 0},
    {SW_F_UUID, "okta.uuid", 1},
    {SW_F_UUID, "event.id", 1},
    {SW_F_CLIENT_IP, "client.ipAddress", 0},
    {SW_F_CLIENT_IP, "client.ip", 1},
    {SW_F_CLIENT_IP, "okta.client.ip", 1},
    {SW_F_USER_AGENT, "client.userAgent.rawUserAgent", 0},
    {SW_F_USER_AGENT, "okta.client.user_agent.raw_user_agent", 1},
    {SW_F_USER_AGENT, "user_agent.original", 1},
    {SW_F_COUNTRY, "client.geographicalContext.country", 0},
    {SW_F_COUNTRY, "client.geo.country_name", 1},
    {SW_F_CITY, "client.geographicalContext.city", 0},
    {SW_F_CITY, "client.geo.city_name", 1},
    {SW_F_OUTCOME, "outcome.result", 0},
    {SW_F_OUTCOME, "okta.outcome.result", 1},
};
#define NPATHS (sizeof PATHS / sizeof PATHS[0])

/* A member that makes a record of path i's kind: a top-level okta.* key
 * for an ECS path (one that matches no wanted path); nothing for a raw
 * path (a record with neither eventType, published nor okta is raw). */
static const char *kind_member(size_t i) { return PATHS[i].ecs ? "\"okta.kind\":0," : ""; }

static int ndots(const char *path) {
    int n = 0;
    for (; *path; path++) n += *path == '.';
    return n;
}

/* One object member spelling `path` with value `val`: bit i of `nest` set
 * means the i-th dot is a nesting level, clear means a literal dot in the
 * key.  ("a.b.c", 1) gives "a":{"b.c":val}. */
static void member(char *out, size_t cap, const char *path, unsigned nest, const char *val) {
    size_t o = 0;
    int depth = 0, dot = 0;
    out[o++] = '"';
    for (const char *c = path; *c; c++) {
        if (*c == '.' && (nest & (1u << dot++))) {
            memcpy(out + o, "\":{\"", 4);
            o += 4;
            depth++;
        } else {
            out[o++] = *c;
        }
    }
    o += (size_t)snprintf(out + o, cap - o, "\":%s", val);
    while (depth--) out[o++] = '}';
    out[o] = '\0';
    assert_true(o < cap);
}

/* ---------------------------------------------------------------- formats */

static const char RAW_EVENT[] =
    "{\"actor\":{\"alternateId\":\"alice@example.com\",\"detailEntry\":null,"
    "\"displayName\":\"Alice\",\"id\":\"00uABC\",\"type\":\"User\"},"
    "\"authenticationContext\":{\"authenticationStep\":0,\"externalSessionId\":\"102sess\","
    "\"interface\":null},"
    "\"client\":{\"device\":\"Computer\",\"geographicalContext\":{\"city\":\"Dublin\","
    "\"country\":\"Ireland\",\"geolocation\":{\"lat\":53.3,\"lon\":-6.2}},"
    "\"ipAddress\":\"192.0.2.7\",\"userAgent\":{\"browser\":\"FIREFOX\","
    "\"rawUserAgent\":\"Mozilla/5.0 (X11)\"},\"zone\":\"null\"},"
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/x\",\"list\":[1,{\"eventType\":\"nested\"}]}},"
    "\"displayMessage\":\"User login to Okta\",\"eventType\":\"user.session.start\","
    "\"outcome\":{\"reason\":null,\"result\":\"SUCCESS\"},\"published\":\"2024-01-02T03:04:05.678Z\","
    "\"request\":{\"ipChain\":[{\"ip\":\"192.0.2.7\",\"source\":null}]},\"target\":null,"
    "\"transaction\":{\"detail\":{},\"id\":\"T1\",\"type\":\"WEB\"},"
    "\"uuid\":\"11111111-2222-3333-4444-555555555555\",\"version\":\"0\"}";

static void check_raw_event(const sw_event *e) {
    assert_int_equal(e->format, SW_FMT_RAW);
    is_str(&e->f[SW_F_EVENT_TYPE], "user.session.start");
    is_str(&e->f[SW_F_ACTOR_ID], "00uABC");
    is_str(&e->f[SW_F_ACTOR_NAME], "Alice");
    is_str(&e->f[SW_F_ACTOR_ALT], "alice@example.com");
    is_str(&e->f[SW_F_SESSION_ID], "102sess");
    is_str(&e->f[SW_F_PUBLISHED], "2024-01-02T03:04:05.678Z");
    is_type(&e->f[SW_F_TIMESTAMP], SW_ABSENT);
    is_type(&e->f[SW_F_INGESTED], SW_ABSENT);
    is_type(&e->f[SW_F_EVENT_DATASET], SW_ABSENT);
    is_type(&e->f[SW_F_STREAM_DATASET], SW_ABSENT);
    is_str(&e->f[SW_F_UUID], "11111111-2222-3333-4444-555555555555");
    is_str(&e->f[SW_F_CLIENT_IP], "192.0.2.7");
    is_str(&e->f[SW_F_USER_AGENT], "Mozilla/5.0 (X11)");
    is_str(&e->f[SW_F_COUNTRY], "Ireland");
    is_str(&e->f[SW_F_CITY], "Dublin");
    is_str(&e->f[SW_F_OUTCOME], "SUCCESS");
}

static void test_raw(void **state) {
    (void)state;
    check_raw_event(one(RAW_EVENT, NULL));
    is_type(&EV[0].f[SW_F_TENANT], SW_ABSENT);
    /* With whitespace everywhere JSON allows it. */
    const sw_event *e = one(" \t\r\n{ \"eventType\" : \"a\" ,\n \"actor\" :\t{ \"id\" : \"b\" } } \n ", NULL);
    is_str(&e->f[SW_F_EVENT_TYPE], "a");
    is_str(&e->f[SW_F_ACTOR_ID], "b");
    assert_int_equal(e->format, SW_FMT_RAW);
    /* An empty object is an event with nothing in it. */
    e = one("{}", NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    for (int f = 0; f < SW_F_COUNT; f++) is_type(&e->f[f], SW_ABSENT);
}

static void test_ecs_nested(void **state) {
    (void)state;
    const sw_event *e = one(
        "{\"@timestamp\":\"2024-01-02T03:04:05.678Z\","
        "\"client\":{\"geo\":{\"city_name\":\"Dublin\",\"country_name\":\"Ireland\"},"
        "\"ip\":\"192.0.2.7\",\"user\":{\"id\":\"00uABC\"}},"
        "\"data_stream\":{\"dataset\":\"okta.system\",\"type\":\"logs\"},"
        "\"event\":{\"action\":\"user.session.start\",\"dataset\":\"okta.system\","
        "\"id\":\"ev-id\",\"ingested\":\"2024-01-02T03:05:00Z\",\"original\":\"{\\\"eventType\\\":\\\"x\\\"}\"},"
        "\"okta\":{\"actor\":{\"alternate_id\":\"alice@example.com\",\"display_name\":\"Alice\","
        "\"id\":\"00uABC\",\"type\":\"User\"},"
        "\"authentication_context\":{\"authentication_step\":0,\"external_session_id\":\"102sess\"},"
        "\"client\":{\"ip\":\"198.51.100.1\",\"user_agent\":{\"raw_user_agent\":\"Mozilla/5.0 (X11)\"}},"
        "\"event_type\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCESS\"},"
        "\"uuid\":\"11111111-2222-3333-4444-555555555555\"},"
        "\"user_agent\":{\"original\":\"fallback UA\"}}",
        NULL);
    assert_int_equal(e->format, SW_FMT_ECS);
    is_str(&e->f[SW_F_EVENT_TYPE], "user.session.start");
    is_str(&e->f[SW_F_ACTOR_ID], "00uABC");
    is_str(&e->f[SW_F_ACTOR_NAME], "Alice");
    is_str(&e->f[SW_F_ACTOR_ALT], "alice@example.com");
    is_str(&e->f[SW_F_SESSION_ID], "102sess");
    is_type(&e->f[SW_F_PUBLISHED], SW_ABSENT);
    is_str(&e->f[SW_F_TIMESTAMP], "2024-01-02T03:04:05.678Z");
    is_str(&e->f[SW_F_INGESTED], "2024-01-02T03:05:00Z");
    is_str(&e->f[SW_F_EVENT_DATASET], "okta.system");
    is_str(&e->f[SW_F_STREAM_DATASET], "okta.system");
    is_str(&e->f[SW_F_UUID], "11111111-2222-3333-4444-555555555555"); /* okta.uuid beats event.id */
    is_str(&e->f[SW_F_CLIENT_IP], "192.0.2.7");                        /* client.ip beats okta.client.ip */
    is_str(&e->f[SW_F_USER_AGENT], "Mozilla/5.0 (X11)");               /* beats user_agent.original */
    is_str(&e->f[SW_F_COUNTRY], "Ireland");
    is_str(&e->f[SW_F_CITY], "Dublin");
    is_str(&e->f[SW_F_OUTCOME], "SUCCESS");
}

static void test_ecs_dotted(void **state) {
    (void)state;
    const sw_event *e = one(
        "{\"@timestamp\":\"T\",\"client.geo.city_name\":\"Dublin\",\"client.geo.country_name\":\"Ireland\","
        "\"client.ip\":\"192.0.2.7\",\"event.dataset\":\"okta.system\",\"event.id\":\"ev-id\","
        "\"okta.actor.alternate_id\":\"alt\",\"okta.actor.display_name\":\"Alice\",\"okta.actor.id\":\"00uABC\","
        "\"okta.authentication_context.external_session_id\":\"102sess\",\"okta.event_type\":\"user.session.start\","
        "\"okta.outcome.result\":\"SUCCESS\",\"user_agent.original\":\"UA\"}",
        NULL);
    assert_int_equal(e->format, SW_FMT_ECS);
    is_str(&e->f[SW_F_EVENT_TYPE], "user.session.start");
    is_str(&e->f[SW_F_ACTOR_ID], "00uABC");
    is_str(&e->f[SW_F_ACTOR_NAME], "Alice");
    is_str(&e->f[SW_F_ACTOR_ALT], "alt");
    is_str(&e->f[SW_F_SESSION_ID], "102sess");
    is_str(&e->f[SW_F_TIMESTAMP], "T");
    is_str(&e->f[SW_F_EVENT_DATASET], "okta.system");
    is_str(&e->f[SW_F_UUID], "ev-id"); /* the fallback, alone */
    is_str(&e->f[SW_F_CLIENT_IP], "192.0.2.7");
    is_str(&e->f[SW_F_USER_AGENT], "UA");
    is_str(&e->f[SW_F_COUNTRY], "Ireland");
    is_str(&e->f[SW_F_CITY], "Dublin");
    is_str(&e->f[SW_F_OUTCOME], "SUCCESS");
    /* Any okta key, wanted or not, makes a record without eventType or
     * published ECS; @timestamp alone does not, and is then not read. */
    e = one("{\"@timestamp\":\"T\"}", NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    is_type(&e->f[SW_F_TIMESTAMP], SW_ABSENT);
    e = one("{\"@timestamp\":\"T\",\"okta.foo\":\"x\"}", NULL);
    assert_int_equal(e->format, SW_FMT_ECS);
    is_str(&e->f[SW_F_TIMESTAMP], "T");
    assert_int_equal(one("{\"okta\":{\"bar\":1}}", NULL)->format, SW_FMT_ECS);
    assert_int_equal(one("{\"oktax\":1,\"x\":{\"okta\":1}}", NULL)->format, SW_FMT_RAW);
    /* eventType or published (any value, even null) makes it raw. */
    assert_int_equal(one("{\"okta.foo\":\"x\",\"okta\":{\"bar\":1},\"eventType\":\"e\"}", NULL)->format, SW_FMT_RAW);
    assert_int_equal(one("{\"okta.event_type\":\"x\",\"published\":null}", NULL)->format, SW_FMT_RAW);
    /* An okta.* intermediate that is null still marks the record ECS. */
    e = one("{\"okta\":null}", NULL);
    assert_int_equal(e->format, SW_FMT_ECS);
    is_type(&e->f[SW_F_EVENT_TYPE], SW_NULL);
}

/* Every wanted path, in every mix of nesting and dots, is the same field. */
static void test_all_spellings(void **state) {
    (void)state;
    char m[512], rec[600];
    for (size_t i = 0; i < NPATHS; i++) {
        unsigned variants = 1u << ndots(PATHS[i].path);
        for (unsigned nest = 0; nest < variants; nest++) {
            member(m, sizeof m, PATHS[i].path, nest, "\"v\\u0061l\"");
            snprintf(rec, sizeof rec, "{%s\"other\":{\"x\":[1]},%s,\"z\":0}", kind_member(i), m);
            const sw_event *e = one(rec, NULL);
            is_str(&e->f[PATHS[i].field], "val");
            assert_int_equal(e->format, PATHS[i].ecs ? SW_FMT_ECS : SW_FMT_RAW);
            for (int f = 0; f < SW_F_COUNT; f++)
                if (f != PATHS[i].field) is_type(&e->f[f], SW_ABSENT);
        }
    }
}

static void test_mixed_spellings(void **state) {
    (void)state;
    /* The four spellings of okta.actor.id named in the design. */
    const char *recs[] = {
        "{\"okta\":{\"actor\":{\"id\":\"x\"}}}",
        "{\"okta.actor.id\":\"x\"}",
        "{\"okta\":{\"actor.id\":\"x\"}}",
        "{\"okta.actor\":{\"id\":\"x\"}}",
    };
    for (size_t i = 0; i < 4; i++) {
        const sw_event *e = one(recs[i], NULL);
        is_str(&e->f[SW_F_ACTOR_ID], "x");
        assert_int_equal(e->format, SW_FMT_ECS);
    }
    /* Different fields under one parent, spelled differently, merge. */
    const sw_event *e = one(
        "{\"okta\":{\"actor\":{\"id\":\"i\"},\"event_type\":\"t\"},\"okta.actor\":{\"display_name\":\"n\"},"
        "\"okta.actor.alternate_id\":\"a\",\"okta\":{\"actor.type\":\"User\"},"
        "\"client\":{\"geo.city_name\":\"c\"},\"client.geo\":{\"country_name\":\"k\"}}",
        NULL);
    is_str(&e->f[SW_F_ACTOR_ID], "i");
    is_str(&e->f[SW_F_EVENT_TYPE], "t");
    is_str(&e->f[SW_F_ACTOR_NAME], "n");
    is_str(&e->f[SW_F_ACTOR_ALT], "a");
    is_str(&e->f[SW_F_CITY], "c");
    is_str(&e->f[SW_F_COUNTRY], "k");
    /* Near misses do not match: a trailing dot, a partial component, an
     * empty component, different case. */
    e = one("{\"actor.\":{\"id\":\"1\"},\"act\":{\"or.id\":\"2\"},\"actor..id\":\"3\",\"actor\":{\"\":{\"id\":\"4\"}},"
            "\"Actor.id\":\"5\",\"actor.idx\":\"6\",\"actor.i\":\"7\",\"\":\"8\",\"eventtype\":\"9\"}",
            NULL);
    for (int f = 0; f < SW_F_COUNT; f++) is_type(&e->f[f], SW_ABSENT);
}

static void test_eventbridge(void **state) {
    (void)state;
    static const char env_tenant[] =
        "{\"version\":\"0\",\"id\":\"e1\",\"detail-type\":\"SystemLog\",\"source\":\"aws.partner/okta.com\","
        "\"org\":\"envelope-org\",\"time\":\"2024-01-02T03:04:05Z\","
        "\"detail\":{\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"00uABC\"},"
        "\"authenticationContext\":{\"externalSessionId\":\"102sess\"},\"org\":\"detail-org\"}}";
    const sw_event *e = one(env_tenant, "org");
    assert_int_equal(e->format, SW_FMT_EVENTBRIDGE);
    is_str(&e->f[SW_F_EVENT_TYPE], "user.session.start");
    is_str(&e->f[SW_F_ACTOR_ID], "00uABC");
    is_str(&e->f[SW_F_SESSION_ID], "102sess");
    is_str(&e->f[SW_F_TENANT], "envelope-org");
    /* Without a tenant path there is no tenant. */
    is_type(&one(env_tenant, NULL)->f[SW_F_TENANT], SW_ABSENT);

    /* Tenant only in detail; detail before detail-type; envelope fields
     * that look like wanted fields are not the record's. */
    e = one("{\"eventType\":\"envelope\",\"detail\":{\"eventType\":\"inner\",\"org\":{\"id\":\"d-org\"}},"
            "\"detail-type\":\"x\"}",
            "org.id");
    assert_int_equal(e->format, SW_FMT_EVENTBRIDGE);
    is_str(&e->f[SW_F_EVENT_TYPE], "inner");
    is_str(&e->f[SW_F_TENANT], "d-org");

    /* A null tenant on the envelope is present, so detail's is not used. */
    e = one("{\"detail-type\":\"x\",\"org\":null,\"detail\":{\"org\":\"d\"}}", "org");
    is_type(&e->f[SW_F_TENANT], SW_NULL);

    /* A tenant path through "detail" on the envelope. */
    e = one("{\"detail-type\":\"x\",\"detail\":{\"eventType\":\"e\",\"account\":\"a1\"}}", "detail.account");
    assert_int_equal(e->format, SW_FMT_EVENTBRIDGE);
    is_str(&e->f[SW_F_TENANT], "a1");
    is_str(&e->f[SW_F_EVENT_TYPE], "e");

    /* ECS keys inside detail: still an EventBridge record, whose detail
     * is read as a raw LogEvent only. */
    e = one("{\"detail-type\":\"x\",\"detail\":{\"okta.event_type\":\"t\",\"@timestamp\":\"T\",\"published\":\"P\"}}",
            NULL);
    assert_int_equal(e->format, SW_FMT_EVENTBRIDGE);
    is_type(&e->f[SW_F_EVENT_TYPE], SW_ABSENT);
    is_type(&e->f[SW_F_TIMESTAMP], SW_ABSENT);
    is_str(&e->f[SW_F_PUBLISHED], "P");
    /* okta keys on the envelope do not make it ECS either. */
    e = one("{\"okta\":{\"event_type\":\"o\"},\"detail-type\":\"x\",\"detail\":{\"eventType\":\"r\"}}", NULL);
    assert_int_equal(e->format, SW_FMT_EVENTBRIDGE);
    is_str(&e->f[SW_F_EVENT_TYPE], "r");

    /* Not EventBridge: no detail-type, or detail is not an object, or
     * detail is nested.  Then the top level is the record. */
    e = one("{\"eventType\":\"top\",\"detail\":{\"eventType\":\"inner\"}}", NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    is_str(&e->f[SW_F_EVENT_TYPE], "top");
    e = one("{\"eventType\":\"top\",\"detail-type\":\"x\",\"detail\":\"text\"}", NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    is_str(&e->f[SW_F_EVENT_TYPE], "top");
    e = one("{\"x\":{\"detail-type\":\"x\",\"detail\":{\"eventType\":\"inner\"}}}", NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    is_type(&e->f[SW_F_EVENT_TYPE], SW_ABSENT);
    /* A dotted "detail.eventType" is not an envelope's detail. */
    e = one("{\"detail-type\":\"x\",\"detail.eventType\":\"dotted\"}", NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    is_type(&e->f[SW_F_EVENT_TYPE], SW_ABSENT);
    /* Non-EventBridge record with a tenant path through "detail". */
    e = one("{\"eventType\":\"top\",\"detail\":{\"account\":\"a2\"}}", "detail.account");
    assert_int_equal(e->format, SW_FMT_RAW);
    is_str(&e->f[SW_F_TENANT], "a2");
}

static void test_array(void **state) {
    (void)state;
    char rec[8192];
    snprintf(rec, sizeof rec,
             " [ %s ,{\"okta\":{\"event_type\":\"ecs\"}},"
             "{\"detail-type\":\"d\",\"org\":7,\"detail\":{\"eventType\":\"eb\"}},"
             "{\"okta.event_type\":\"dotted\",\"org\":\"o\"},{}] ",
             RAW_EVENT);
    assert_int_equal(xt(rec, "org"), SW_X_OK);
    assert_int_equal(NEV, 5);
    check_raw_event(&EV[0]);
    assert_int_equal(EV[1].format, SW_FMT_ECS);
    is_str(&EV[1].f[SW_F_EVENT_TYPE], "ecs");
    assert_int_equal(EV[2].format, SW_FMT_EVENTBRIDGE);
    is_str(&EV[2].f[SW_F_EVENT_TYPE], "eb");
    is_str(&EV[2].f[SW_F_TENANT], "7");
    assert_int_equal(EV[3].format, SW_FMT_ECS);
    is_str(&EV[3].f[SW_F_EVENT_TYPE], "dotted");
    is_str(&EV[3].f[SW_F_TENANT], "o");
    assert_int_equal(EV[4].format, SW_FMT_RAW);
    is_type(&EV[4].f[SW_F_EVENT_TYPE], SW_ABSENT);
    is_type(&EV[0].f[SW_F_TENANT], SW_ABSENT);
    /* each element's own text, to split a page into one record per event */
    is_raw(rec, 0, RAW_EVENT);
    is_raw(rec, 1, "{\"okta\":{\"event_type\":\"ecs\"}}");
    is_raw(rec, 2, "{\"detail-type\":\"d\",\"org\":7,\"detail\":{\"eventType\":\"eb\"}}");
    is_raw(rec, 3, "{\"okta.event_type\":\"dotted\",\"org\":\"o\"}");
    is_raw(rec, 4, "{}");
    /* a plain object's raw text is the whole record */
    const char *obj = " {\"eventType\":\"x\"} ";
    one(obj, NULL);
    is_raw(obj, 0, obj);
}

static void test_empty_array(void **state) {
    (void)state;
    assert_int_equal(xt("[]", NULL), SW_X_OK);
    assert_int_equal(NEV, 0);
    assert_int_equal(xt(" [ \n ] ", NULL), SW_X_OK);
    assert_int_equal(NEV, 0);
    assert_int_equal(xtn("[]", 2, NULL, 0), SW_X_OK);
    assert_int_equal(NEV, 0);
}

/* All views of all elements of one record are valid together. */
static void test_views_stable(void **state) {
    (void)state;
    static char rec[MAXEV * 200];
    size_t o = 0;
    o += (size_t)snprintf(rec + o, sizeof rec - o, "[");
    for (int i = 0; i < MAXEV; i++)
        o += (size_t)snprintf(rec + o, sizeof rec - o,
                              "%s{\"eventType\":\"t%d\",\"authenticationContext\":{\"externalSessionId\":"
                              "\"s\\u00e9%d\"},\"org\":%d%d}",
                              i ? "," : "", i, i, i + 1, i);
    snprintf(rec + o, sizeof rec - o, "]");
    assert_int_equal(xt(rec, "org"), SW_X_OK);
    assert_int_equal(NEV, MAXEV);
    for (int i = 0; i < MAXEV; i++) {
        char want[32];
        snprintf(want, sizeof want, "t%d", i);
        is_str(&EV[i].f[SW_F_EVENT_TYPE], want);
        snprintf(want, sizeof want, "s\xc3\xa9%d", i);
        is_str(&EV[i].f[SW_F_SESSION_ID], want);
        snprintf(want, sizeof want, "%d%d", i + 1, i);
        is_str(&EV[i].f[SW_F_TENANT], want);
    }
}

/* ---------------------------------------------------------------- escapes */

static void test_escapes(void **state) {
    (void)state;
    const sw_event *e = one("{\"eventTyp\\u0065\":\"user.session.start\","
                            "\"authenticationContext\":{\"externalSessionId\":\"102\\u0061b\"},"
                            "\"\\u0061ctor\":{\"\\u0069d\":\"a\\\"b\\\\c\\/d\\n\"},"
                            "\"actor.displayName\":\"\\ud83d\\ude00\","
                            "\"uuid\":\"x\\u0000y\",\"published\":\"\"}",
                            NULL);
    is_str(&e->f[SW_F_EVENT_TYPE], "user.session.start");
    is_str(&e->f[SW_F_SESSION_ID], "102ab");
    is_str(&e->f[SW_F_ACTOR_ID], "a\"b\\c/d\n");
    is_str(&e->f[SW_F_ACTOR_NAME], "\xf0\x9f\x98\x80");
    assert_int_equal(e->format, SW_FMT_RAW); /* the escaped eventType is eventType */
    assert_int_equal(e->f[SW_F_UUID].type, SW_STRING);
    assert_int_equal(e->f[SW_F_UUID].n, 3);
    assert_memory_equal(e->f[SW_F_UUID].p, "x\0y", 3);
    is_str(&e->f[SW_F_PUBLISHED], "");
    e = one("{\"okta\\u002eactor.display_name\":\"n\"}", NULL);
    assert_int_equal(e->format, SW_FMT_ECS); /* the escaped dot is a dot */
    is_str(&e->f[SW_F_ACTOR_NAME], "n");
    /* Escaped and plain spellings of one key are the same key. */
    assert_int_equal(xt("{\"eventType\":\"a\",\"eventTyp\\u0065\":\"b\"}", NULL), SW_X_DUPLICATE_KEY);
    /* A NUL in a key makes a different key. */
    e = one("{\"eventType\\u0000\":\"a\",\"actor\\u0000\":{\"id\":\"b\"}}", NULL);
    is_type(&e->f[SW_F_EVENT_TYPE], SW_ABSENT);
    is_type(&e->f[SW_F_ACTOR_ID], SW_ABSENT);
    /* Raw UTF-8 passes through. */
    e = one("{\"client\":{\"geographicalContext\":{\"city\":\"K\xc3\xb8" "benhavn\"}}}", NULL);
    is_str(&e->f[SW_F_CITY], "K\xc3\xb8" "benhavn");
}

/* ---------------------------------------------------------------- sources */

static void test_preferred_sources(void **state) {
    (void)state;
    /* ECS: okta.uuid preferred over event.id, whatever the key order. */
    is_str(&one("{\"event\":{\"id\":\"e\"},\"okta\":{\"uuid\":\"o\"}}", NULL)->f[SW_F_UUID], "o");
    is_str(&one("{\"okta.uuid\":\"o\",\"event.id\":\"e\"}", NULL)->f[SW_F_UUID], "o");
    is_str(&one("{\"event\":{\"id\":\"e\"},\"okta\":{}}", NULL)->f[SW_F_UUID], "e");
    /* A preferred source wins even when null or of the wrong type. */
    is_type(&one("{\"event.id\":\"e\",\"okta.uuid\":null}", NULL)->f[SW_F_UUID], SW_NULL);
    is_type(&one("{\"okta\":{\"uuid\":7},\"event.id\":\"e\"}", NULL)->f[SW_F_UUID], SW_OTHER);
    /* Raw: uuid; the ECS sources are not read at all. */
    is_str(&one("{\"event.id\":\"e\",\"uuid\":\"u\"}", NULL)->f[SW_F_UUID], "u");
    is_type(&one("{\"event.id\":\"e\"}", NULL)->f[SW_F_UUID], SW_ABSENT);
    is_type(&one("{\"event.id\":\"e\",\"uuid\":null}", NULL)->f[SW_F_UUID], SW_NULL);
    /* The kind decides between the raw and the ECS spelling. */
    is_str(&one("{\"okta.uuid\":\"o\",\"uuid\":\"u\"}", NULL)->f[SW_F_UUID], "o");
    is_str(&one("{\"okta.uuid\":\"o\",\"uuid\":\"u\",\"eventType\":\"t\"}", NULL)->f[SW_F_UUID], "u");

    /* ECS: client.ip, else okta.client.ip; raw: client.ipAddress. */
    is_str(&one("{\"okta\":{\"client\":{\"ip\":\"o\"}},\"client\":{\"ip\":\"c\"}}", NULL)->f[SW_F_CLIENT_IP], "c");
    is_str(&one("{\"okta.client.ip\":\"o\"}", NULL)->f[SW_F_CLIENT_IP], "o");
    is_str(&one("{\"client\":{\"ip\":\"c\",\"ipAddress\":\"r\"}}", NULL)->f[SW_F_CLIENT_IP], "r");
    is_str(&one("{\"client\":{\"ip\":\"c\",\"ipAddress\":\"r\"},\"okta\":{}}", NULL)->f[SW_F_CLIENT_IP], "c");

    /* ECS: raw_user_agent, else user_agent.original; raw: rawUserAgent. */
    is_str(&one("{\"user_agent\":{\"original\":\"u\"},\"okta.client.user_agent.raw_user_agent\":\"o\"}", NULL)
                ->f[SW_F_USER_AGENT],
           "o");
    is_str(&one("{\"user_agent.original\":\"u\",\"okta\":{}}", NULL)->f[SW_F_USER_AGENT], "u");
    is_type(&one("{\"user_agent.original\":\"u\"}", NULL)->f[SW_F_USER_AGENT], SW_ABSENT);
    is_str(&one("{\"user_agent.original\":\"u\",\"client.userAgent.rawUserAgent\":\"r\"}", NULL)
                ->f[SW_F_USER_AGENT],
           "r");

    /* A mixed record (eventType beside okta.event_type) is raw: only the
     * raw spellings are read, whatever the order. */
    const sw_event *e = one("{\"okta.event_type\":\"ecs\",\"eventType\":\"raw\",\"okta.actor.id\":\"e\","
                            "\"actor.id\":\"r\",\"client.geo.city_name\":\"ecs\",\"@timestamp\":\"T\","
                            "\"okta.authentication_context.external_session_id\":\"s\"}",
                            NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    is_str(&e->f[SW_F_EVENT_TYPE], "raw");
    is_str(&e->f[SW_F_ACTOR_ID], "r");
    is_type(&e->f[SW_F_CITY], SW_ABSENT);
    is_type(&e->f[SW_F_TIMESTAMP], SW_ABSENT);
    is_type(&e->f[SW_F_SESSION_ID], SW_ABSENT);
    e = one("{\"okta\":{\"event_type\":\"ecs\",\"actor\":{\"id\":\"e\"}},\"actor\":{\"id\":\"r\"},"
            "\"published\":\"P\"}",
            NULL);
    assert_int_equal(e->format, SW_FMT_RAW);
    is_type(&e->f[SW_F_EVENT_TYPE], SW_ABSENT);
    is_str(&e->f[SW_F_ACTOR_ID], "r");
    is_str(&e->f[SW_F_PUBLISHED], "P");
}

/* ------------------------------------------------------------------ types */

/* For every path: absent, null, string, number, true, false, object, array. */
static void test_value_types(void **state) {
    (void)state;
    static const struct {
        const char *json;
        int type;
    } vals[] = {
        {"null", SW_NULL}, {"\"s\"", SW_STRING}, {"0", SW_OTHER},     {"-1.5e+3", SW_OTHER},
        {"true", SW_OTHER}, {"false", SW_OTHER}, {"{}", SW_OTHER},     {"{\"a\":[1]}", SW_OTHER},
        {"[]", SW_OTHER},   {"[\"s\"]", SW_OTHER}, {"12345678901234567890123456789", SW_OTHER},
    };
    char m[512], rec[600];
    for (size_t i = 0; i < NPATHS; i++) {
        for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
            member(m, sizeof m, PATHS[i].path, ~0u, vals[v].json);
            snprintf(rec, sizeof rec, "{%s%s}", kind_member(i), m);
            const sw_event *e = one(rec, NULL);
            is_type(&e->f[PATHS[i].field], vals[v].type);
            if (vals[v].type == SW_STRING) is_str(&e->f[PATHS[i].field], "s");
            else assert_int_equal(e->f[PATHS[i].field].n, 0);
        }
        /* absent: some other path only */
        const sw_event *e = one("{\"unrelated\":\"x\"}", NULL);
        is_type(&e->f[PATHS[i].field], SW_ABSENT);
    }
}

static void test_intermediates(void **state) {
    (void)state;
    /* A non-object, non-null intermediate: every field below it is OTHER. */
    static const char *other[] = {"\"bob\"", "5", "true", "[]", "[{\"id\":\"x\"}]"};
    char rec[256];
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        snprintf(rec, sizeof rec, "{\"actor\":%s,\"eventType\":\"e\"}", other[i]);
        const sw_event *e = one(rec, NULL);
        is_type(&e->f[SW_F_ACTOR_ID], SW_OTHER);
        is_type(&e->f[SW_F_ACTOR_NAME], SW_OTHER);
        is_type(&e->f[SW_F_ACTOR_ALT], SW_OTHER);
        is_str(&e->f[SW_F_EVENT_TYPE], "e");
        is_type(&e->f[SW_F_SESSION_ID], SW_ABSENT);
    }
    /* A null intermediate: every field below it is NULL. */
    const sw_event *e = one("{\"actor\":null,\"client\":null}", NULL);
    is_type(&e->f[SW_F_ACTOR_ID], SW_NULL);
    is_type(&e->f[SW_F_ACTOR_NAME], SW_NULL);
    is_type(&e->f[SW_F_ACTOR_ALT], SW_NULL);
    is_type(&e->f[SW_F_CLIENT_IP], SW_NULL);
    is_type(&e->f[SW_F_USER_AGENT], SW_NULL);
    is_type(&e->f[SW_F_COUNTRY], SW_NULL);
    is_type(&e->f[SW_F_CITY], SW_NULL);
    is_type(&e->f[SW_F_EVENT_TYPE], SW_ABSENT);
    /* Deeper: only what is below the bad intermediate. */
    e = one("{\"client\":{\"geographicalContext\":\"x\",\"userAgent\":null,\"ipAddress\":\"1.2.3.4\"}}", NULL);
    is_type(&e->f[SW_F_COUNTRY], SW_OTHER);
    is_type(&e->f[SW_F_CITY], SW_OTHER);
    is_type(&e->f[SW_F_USER_AGENT], SW_NULL);
    is_str(&e->f[SW_F_CLIENT_IP], "1.2.3.4");
    /* A dotted intermediate: "okta.actor": 3 */
    e = one("{\"okta.actor\":3}", NULL);
    is_type(&e->f[SW_F_ACTOR_ID], SW_OTHER);
    assert_int_equal(e->format, SW_FMT_ECS);
    /* A bad preferred intermediate still beats a good fallback. */
    e = one("{\"client\":\"x\",\"okta\":{\"client\":{\"ip\":\"o\"}}}", NULL);
    is_type(&e->f[SW_F_CLIENT_IP], SW_OTHER);
    /* ...but a bad ECS intermediate does not hide the raw spelling. */
    e = one("{\"okta\":\"x\",\"eventType\":\"raw\"}", NULL);
    is_str(&e->f[SW_F_EVENT_TYPE], "raw");
}

/* ------------------------------------------------------------- duplicates */

static void test_duplicates(void **state) {
    (void)state;
    /* Same spelling twice, in each field. */
    char m[512], m2[512], rec[1200];
    for (size_t i = 0; i < NPATHS; i++) {
        unsigned variants = 1u << ndots(PATHS[i].path);
        /* every pair of spellings, including a spelling with itself */
        for (unsigned a = 0; a < variants; a++) {
            for (unsigned b = 0; b < variants; b++) {
                member(m, sizeof m, PATHS[i].path, a, "\"1\"");
                member(m2, sizeof m2, PATHS[i].path, b, "\"2\"");
                snprintf(rec, sizeof rec, "{%s%s,\"x\":1,%s}", kind_member(i), m, m2);
                assert_int_equal(xt(rec, NULL), SW_X_DUPLICATE_KEY);
            }
        }
    }
    /* Same value twice is still ambiguous. */
    assert_int_equal(xt("{\"eventType\":\"a\",\"eventType\":\"a\"}", NULL), SW_X_DUPLICATE_KEY);
    /* Null and a value. */
    assert_int_equal(xt("{\"uuid\":null,\"uuid\":\"u\"}", NULL), SW_X_DUPLICATE_KEY);
    /* An intermediate as a scalar and as an object with the field. */
    assert_int_equal(xt("{\"actor\":\"bob\",\"actor\":{\"id\":\"x\"}}", NULL), SW_X_DUPLICATE_KEY);
    assert_int_equal(xt("{\"actor\":null,\"actor.id\":\"x\"}", NULL), SW_X_DUPLICATE_KEY);
    /* Inside an EventBridge detail. */
    assert_int_equal(xt("{\"detail-type\":\"x\",\"detail\":{\"uuid\":\"1\",\"uuid\":\"2\"}}", NULL),
                     SW_X_DUPLICATE_KEY);
    /* Two details that both carry a field. */
    assert_int_equal(xt("{\"detail-type\":\"x\",\"detail\":{\"uuid\":\"1\"},\"detail\":{\"uuid\":\"2\"}}", NULL),
                     SW_X_DUPLICATE_KEY);
    /* The tenant twice, nested and dotted; on the envelope. */
    assert_int_equal(xt("{\"org\":{\"id\":1},\"org.id\":2}", "org.id"), SW_X_DUPLICATE_KEY);
    assert_int_equal(xt("{\"detail-type\":\"x\",\"org\":1,\"org\":2,\"detail\":{}}", "org"), SW_X_DUPLICATE_KEY);
    /* One bad element spoils the whole array. */
    assert_int_equal(xt("[{\"uuid\":\"1\"},{\"uuid\":\"1\",\"uuid\":\"2\"},{}]", NULL), SW_X_DUPLICATE_KEY);

    /* Not duplicates: keys we do not read; different sources of one field;
     * the same field in different array elements; envelope copies of
     * fields that only the detail supplies; an object read twice whose
     * wanted members differ (merged like dotted keys). */
    const sw_event *e = one("{\"displayMessage\":\"a\",\"displayMessage\":\"b\",\"debugContext\":{},"
                            "\"debugContext\":{\"x\":1,\"x\":2},\"actor\":{\"type\":\"a\",\"type\":\"b\"},"
                            "\"eventType\":\"e\"}",
                            NULL);
    is_str(&e->f[SW_F_EVENT_TYPE], "e");
    e = one("{\"uuid\":\"u\",\"okta.uuid\":\"o\",\"event.id\":\"e\",\"eventType\":\"r\",\"okta.event_type\":\"c\"}",
            NULL);
    is_str(&e->f[SW_F_UUID], "u");
    assert_int_equal(xt("[{\"uuid\":\"1\"},{\"uuid\":\"1\"}]", NULL), SW_X_OK);
    assert_int_equal(NEV, 2);
    e = one("{\"detail-type\":\"x\",\"eventType\":\"a\",\"eventType\":\"b\",\"detail\":{\"eventType\":\"c\"}}", NULL);
    is_str(&e->f[SW_F_EVENT_TYPE], "c");
    e = one("{\"actor\":{\"id\":\"i\"},\"actor\":{\"displayName\":\"n\"}}", NULL);
    is_str(&e->f[SW_F_ACTOR_ID], "i");
    is_str(&e->f[SW_F_ACTOR_NAME], "n");
    /* A tenant key twice, when no tenant path is configured, is unread. */
    assert_int_equal(xt("{\"org\":1,\"org\":2}", NULL), SW_X_OK);
    /* Duplicates below a key we skip are not looked at. */
    assert_int_equal(xt("{\"target\":[{\"id\":1,\"id\":2}],\"request\":{\"eventType\":1,\"eventType\":2}}", NULL),
                     SW_X_OK);
}

/* -------------------------------------------------------------- malformed */

static void test_truncated(void **state) {
    (void)state;
    /* Every proper prefix of a record is malformed (or, for a prefix that
     * is only whitespace, empty, which is malformed too). */
    size_t len = strlen(RAW_EVENT);
    for (size_t n = 0; n < len; n++) assert_int_equal(xtn(RAW_EVENT, n, NULL, MAXEV), SW_X_MALFORMED);
    assert_int_equal(xtn(RAW_EVENT, len, NULL, MAXEV), SW_X_OK);
    static const char arr[] = "[{\"eventType\":\"a\"},{\"eventType\":\"b\"}]";
    for (size_t n = 0; n < sizeof arr - 1; n++) assert_int_equal(xtn(arr, n, NULL, MAXEV), SW_X_MALFORMED);
    /* The same, with each kind of hostile padding after the record. */
    static const char pads[] = "}]\",:{[\\ x0\n";
    for (size_t p = 0; p < sizeof pads; p++) { /* includes the NUL */
        PAD_BYTE = pads[p];
        for (size_t n = 0; n < len; n += 7) assert_int_equal(xtn(RAW_EVENT, n, NULL, MAXEV), SW_X_MALFORMED);
        check_raw_event(one(RAW_EVENT, NULL));
    }
    PAD_BYTE = '}';
}

static void test_garbage(void **state) {
    (void)state;
    char bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (char)i;
    assert_int_equal(xtn(bytes, sizeof bytes, NULL, MAXEV), SW_X_MALFORMED);
    for (int i = 0; i < 256; i++) bytes[i] = (char)(255 - i);
    assert_int_equal(xtn(bytes, sizeof bytes, NULL, MAXEV), SW_X_MALFORMED);
    /* Garbage wrapped in braces, and as a string value. */
    char rec[600];
    rec[0] = '{';
    for (int i = 0; i < 256; i++) rec[1 + i] = (char)i;
    rec[257] = '}';
    assert_int_equal(xtn(rec, 258, NULL, MAXEV), SW_X_MALFORMED);
    memcpy(rec, "{\"eventType\":\"", 14);
    for (int i = 0; i < 256; i++) rec[14 + i] = (char)i;
    memcpy(rec + 270, "\"}", 2);
    assert_int_equal(xtn(rec, 272, NULL, MAXEV), SW_X_MALFORMED);
    /* A pseudo-random stream: almost always MALFORMED, never a crash (a
     * short one may happen to be valid, like "{}"). */
    uint32_t x = 12345;
    int malformed = 0;
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + round % 300;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            rec[i] = (char)(x >> 16);
        }
        rec[0] = round & 1 ? '{' : '[';
        malformed += xtn(rec, n, NULL, MAXEV) == SW_X_MALFORMED;
    }
    assert_true(malformed >= 1990);
}

/* Random single-byte mutations of a real record: both modes agree (xtn
 * asserts it) and nothing crashes. */
static void test_mutations(void **state) {
    (void)state;
    size_t len = strlen(RAW_EVENT);
    char *rec = malloc(len + 1);
    assert_non_null(rec);
    static const char alphabet[] = "{}[]\",:\\ u0-9eE.tfn\x00\xff\xc3";
    uint32_t x = 99;
    int ok = 0;
    for (int round = 0; round < 5000; round++) {
        memcpy(rec, RAW_EVENT, len);
        for (int k = 0; k < 1 + round % 3; k++) {
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 8) % len;
            x = x * 1103515245u + 12345u;
            rec[at] = alphabet[(x >> 8) % (sizeof alphabet - 1)];
        }
        PAD_BYTE = alphabet[round % (sizeof alphabet - 1)];
        ok += xtn(rec, len, "org", MAXEV) == SW_X_OK;
    }
    PAD_BYTE = '}';
    assert_true(ok > 0); /* some mutations land in skipped strings */
    free(rec);
}

static void test_trailing(void **state) {
    (void)state;
    static const char *bad[] = {
        "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":1}}", "{\"a\":1}]", "{\"a\":1},", "{\"a\":1} {\"b\":2}",
        "[{}]]", "[{}] 1", "[{}][]", "{\"a\":1}\"s\"", "{} null", "[] []",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(xt(bad[i], NULL), SW_X_MALFORMED);
    /* Trailing whitespace is fine. */
    assert_int_equal(xt("{\"a\":1} \n\r\t ", NULL), SW_X_OK);
}

static void test_structure(void **state) {
    (void)state;
    static const char *bad[] = {
        "{\"eventType\" \"x\"}", "{\"eventType\":}", "{,}", "[,]", "[1,]", "{\"a\":1,}", "{1:2}", "{\"a\":1 \"b\":2}",
        "{\"x\":[1,2}", "{\"x\":[[[1]]}", "[{}", "{", "[", "}", "]", ":", ",",
        /* bad scalars in values we read */
        "{\"eventType\":tru}", "{\"eventType\":nul}", "{\"eventType\":01}", "{\"eventType\":-}", "{\"eventType\":1.}",
        "{\"eventType\":.5}", "{\"eventType\":1e}", "{\"eventType\":+1}", "{\"actor\":nul}", "{\"actor\":falsey}",
        "{\"eventType\":\"\\x\"}", "{\"eventType\":\"\\u12\"}", "{\"eventType\":abc}",
        "{\"eventType\":\"\\x41\"}", "{\"eventType\":0x10}", "{\"actor\":tru}",
        /* bad escapes in a key of a walked object (the top level, or one
         * on a read path), beside a lone surrogate */
        "{\"\\ud800\\x\":1}", "{\"actor\":{\"\\q\":1}}", "{\"x\\q\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (xt(bad[i], NULL) != SW_X_MALFORMED) fail_msg("not MALFORMED: %s", bad[i]);
    }
    /* Skipped values are only checked structurally (On-Demand's skip):
     * brackets, string boundaries, UTF-8, control characters.  Their
     * escapes, number grammar and literals are not checked (checking every
     * token cost a third more per record on the benchmark mix), so these
     * are accepted, and their fields are still right. */
    static const char *unread_ok[] = {
        "{\"x\":[1,,2],\"eventType\":\"e\"}", "{\"x\":tru,\"eventType\":\"e\"}",
        "{\"x\":01,\"eventType\":\"e\"}", "{\"x\":0x10,\"eventType\":\"e\"}",
        "{\"x\":\"\\x41\",\"eventType\":\"e\"}", "{\"x\":{\"y\":[nul]},\"eventType\":\"e\"}",
        "{\"debug\":{\"x\\q\":1},\"eventType\":\"e\"}",
    };
    for (size_t i = 0; i < sizeof unread_ok / sizeof unread_ok[0]; i++)
        is_str(&one(unread_ok[i], NULL)->f[SW_F_EVENT_TYPE], "e");

    /* Lone surrogate escapes are valid JSON (RFC 8259 8.2): never decoded
     * where skipped; where read, each becomes U+FFFD (as Elasticsearch's
     * keyword terms hold them); a valid pair is one character. */
    static const struct {
        const char *json, *want;
    } sur[] = {
        {"\"\\ud800\"", "\xef\xbf\xbd"},
        {"\"\\udc00x\"", "\xef\xbf\xbdx"},
        {"\"a\\ude00\\ud83d\"", "a\xef\xbf\xbd\xef\xbf\xbd"},
        {"\"\\ud800\\ud83d\\ude00\\n\\u00e9\\\"\"", "\xef\xbf\xbd\xf0\x9f\x98\x80\n\xc3\xa9\""},
        {"\"\\uD83D\"", "\xef\xbf\xbd"},
        {"\"x\\ud800\\u0000y\"", "x\xef\xbf\xbd\0y"},
    };
    char rec[256];
    for (size_t i = 0; i < sizeof sur / sizeof sur[0]; i++) {
        size_t wn = i == 5 ? 6 : strlen(sur[i].want);
        snprintf(rec, sizeof rec, "{\"eventType\":%s,\"client\":{\"userAgent\":{\"rawUserAgent\":%s}},\"note\":%s}",
                 sur[i].json, sur[i].json, sur[i].json);
        const sw_event *e = one(rec, NULL);
        for (int f = SW_F_EVENT_TYPE; f <= SW_F_USER_AGENT; f += SW_F_USER_AGENT - SW_F_EVENT_TYPE) {
            assert_int_equal(e->f[f].type, SW_STRING);
            assert_int_equal(e->f[f].n, wn);
            assert_memory_equal(e->f[f].p, sur[i].want, wn);
        }
    }
    /* A key holding a lone surrogate matches no path. */
    const sw_event *e = one("{\"\\ud800\":1,\"actor\":{\"i\\udc00d\":\"x\",\"id\":\"a\"}}", NULL);
    is_str(&e->f[SW_F_ACTOR_ID], "a");
    /* Big numbers are valid JSON even where simdjson cannot hold them. */
    is_type(&one("{\"uuid\":123456789012345678901234567890e999}", NULL)->f[SW_F_UUID], SW_OTHER);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    static const char *bad[] = {
        "{\"eventType\":\"\xff\"}",         /* invalid byte in a read value */
        "{\"debug\":\"\xc3\x28\"}",         /* bad continuation in a skipped value */
        "{\"\xe2\x82\":1}",                 /* truncated sequence in a key */
        "{\"x\":\"\xed\xa0\x80\"}",         /* UTF-8-encoded surrogate */
        "{\"x\":\"\xc0\xaf\"}",             /* overlong */
        "{\"x\":\"\xf4\x90\x80\x80\"}",     /* beyond U+10FFFF */
        "\xef\xbb\xbf{\"eventType\":\"e\"}", /* a BOM is not JSON whitespace */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (xt(bad[i], NULL) != SW_X_MALFORMED) fail_msg("not MALFORMED: case %zu", i);
    }
}

static void test_nul_bytes(void **state) {
    (void)state;
    /* Raw NUL inside a string, between tokens, at the end. */
    static const char a[] = "{\"eventType\":\"a\0b\"}";
    static const char b[] = "{\"eventType\":\"a\",\0\"uuid\":\"u\"}";
    static const char c[] = "{\"eventType\":\"a\"}\0";
    static const char d[] = "\0{\"eventType\":\"a\"}";
    static const char e[] = "{\"uuid\":1\0}";
    assert_int_equal(xtn(a, sizeof a - 1, NULL, MAXEV), SW_X_MALFORMED);
    assert_int_equal(xtn(b, sizeof b - 1, NULL, MAXEV), SW_X_MALFORMED);
    assert_int_equal(xtn(c, sizeof c - 1, NULL, MAXEV), SW_X_MALFORMED);
    assert_int_equal(xtn(d, sizeof d - 1, NULL, MAXEV), SW_X_MALFORMED);
    assert_int_equal(xtn(e, sizeof e - 1, NULL, MAXEV), SW_X_MALFORMED);
    /* An escaped NUL is fine (checked in test_escapes). */
}

static char *nested(size_t depth, const char *prefix, const char *suffix, size_t *len) {
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + 2 * depth + sl + 1);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    memset(s + pl, '[', depth);
    memset(s + pl + depth, ']', depth);
    memcpy(s + pl + 2 * depth, suffix, sl + 1);
    *len = pl + 2 * depth + sl;
    return s;
}

static void test_deep_nesting(void **state) {
    (void)state;
    size_t len;
    char *s = nested(10000, "", "", &len);
    assert_int_equal(xtn(s, len, NULL, MAXEV), SW_X_MALFORMED);
    free(s);
    s = nested(10000, "{\"eventType\":\"e\",\"x\":", "}", &len);
    assert_int_equal(xtn(s, len, NULL, MAXEV), SW_X_MALFORMED);
    free(s);
    /* Unbalanced */
    s = nested(10000, "{\"x\":", "", &len);
    s[len - 1] = '}';
    assert_int_equal(xtn(s, len, NULL, MAXEV), SW_X_MALFORMED);
    free(s);
    /* The limit: 1024 levels in all are fine, 1025 are not. */
    s = nested(1023, "{\"eventType\":\"e\",\"x\":", "}", &len);
    is_str(&one(s, NULL)->f[SW_F_EVENT_TYPE], "e");
    free(s);
    s = nested(1024, "{\"eventType\":\"e\",\"x\":", "}", &len);
    assert_int_equal(xtn(s, len, NULL, MAXEV), SW_X_MALFORMED);
    free(s);
    /* The same limit after 6000 bytes of bracket-filled string (so the
     * cheap count sees far more than 1024 brackets). */
    char prefix[6100];
    size_t po = (size_t)sprintf(prefix, "{\"eventType\":\"e\",\"pad\":\"");
    for (int i = 0; i < 6000; i++) prefix[po++] = "[{]}"[i % 4];
    strcpy(prefix + po, "\",\"x\":");
    s = nested(1023, prefix, "}", &len);
    is_str(&one(s, NULL)->f[SW_F_EVENT_TYPE], "e");
    free(s);
    s = nested(1024, prefix, "}", &len);
    assert_int_equal(xtn(s, len, NULL, MAXEV), SW_X_MALFORMED);
    free(s);
    /* Exactly 1025 brackets in all, spread over more than 4 KiB. */
    po = (size_t)sprintf(prefix, "{\"eventType\":\"e\",\"pad\":\"");
    memset(prefix + po, 'a', 3001);
    strcpy(prefix + po + 3001, "\",\"x\":");
    s = nested(1024, prefix, "}", &len);
    assert_true(len > 16 * 255);
    assert_int_equal(xtn(s, len, NULL, MAXEV), SW_X_MALFORMED);
    free(s);
    /* 1025 levels with every '[' 16 bytes apart, all in one SIMD lane. */
    char *sp = malloc(1025 * 17 + 16);
    assert_non_null(sp);
    size_t spo = 0;
    for (int i = 0; i < 1025; i++) {
        sp[spo++] = '[';
        memset(sp + spo, ' ', 15);
        spo += 15;
    }
    memset(sp + spo, ']', 1025);
    spo += 1025;
    assert_int_equal(xtn(sp, spo, NULL, MAXEV), SW_X_MALFORMED);
    assert_int_equal(xtn(sp + 16, spo - 17, NULL, MAXEV), SW_X_OK); /* 1024 levels */
    assert_int_equal(NEV, 1);
    assert_int_equal(EV[0].not_object, 1); /* the one element is an array */
    free(sp);
    /* Many brackets, little depth: 3000 sibling arrays are fine. */
    char *sib = malloc(10000);
    assert_non_null(sib);
    size_t so = (size_t)sprintf(sib, "{\"x\":[");
    for (int i = 0; i < 3000; i++) so += (size_t)sprintf(sib + so, "%s[]", i ? "," : "");
    so += (size_t)sprintf(sib + so, "],\"eventType\":\"e\"}");
    is_str(&one(sib, NULL)->f[SW_F_EVENT_TYPE], "e");
    free(sib);
    /* Brackets inside strings do not count. */
    char *str = malloc(5000);
    assert_non_null(str);
    size_t o = (size_t)sprintf(str, "{\"eventType\":\"");
    for (int i = 0; i < 2000; i++) str[o++] = i & 1 ? '{' : '[';
    o += (size_t)sprintf(str + o, "\\\"\"}");
    sw_xstatus st = xtn(str, o, NULL, MAXEV);
    assert_int_equal(st, SW_X_OK);
    assert_int_equal(EV[0].f[SW_F_EVENT_TYPE].n, 2001);
    free(str);
}

static void test_scalars_and_empty(void **state) {
    (void)state;
    static const char *not_object[] = {"42", "-0.5e3", "\"s\"", "true", "false", "null", " 7 ", "\"\\u0041\"",
                                       "\"\\ud800\""};
    for (size_t i = 0; i < sizeof not_object / sizeof not_object[0]; i++) {
        if (xt(not_object[i], NULL) != SW_X_NOT_OBJECT) fail_msg("not NOT_OBJECT: %s", not_object[i]);
    }
    /* An array element that is not an object is an event of its own,
     * marked not_object (the rule rejects it); the others are kept. */
    static const struct {
        const char *rec;
        const char *elems; /* 'o' object, 'x' not an object */
        const char *raw[4];
    } arrays[] = {
        {"[1]", "x", {"1"}},
        {"[{}, 2]", "ox", {"{}", "2"}},
        {"[[{}]]", "x", {"[{}]"}},
        {"[null]", "x", {"null"}},
        {"[\"x\"]", "x", {"\"x\""}},
        {"[{},[]]", "ox", {"{}", "[]"}},
        {"[ null , {\"eventType\":\"a\"}, -1.5e3 ,\"\\u0041\" ]", "xoxx", {"null", "{\"eventType\":\"a\"}", "-1.5e3", "\"\\u0041\""}},
        {"[true,false,[1,[2]],{}]", "xxxo", {"true", "false", "[1,[2]]", "{}"}},
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        const char *el = arrays[i].elems;
        if (xt(arrays[i].rec, NULL) != SW_X_OK) fail_msg("not OK: %s", arrays[i].rec);
        assert_int_equal(NEV, strlen(el));
        for (size_t k = 0; k < NEV; k++) {
            assert_int_equal(EV[k].not_object, el[k] == 'x');
            is_raw(arrays[i].rec, k, arrays[i].raw[k]);
            if (el[k] == 'x')
                for (int f = 0; f < SW_F_COUNT; f++) is_type(&EV[k].f[f], SW_ABSENT);
        }
    }
    static const char *malformed[] = {"", " ", " \n\t\r ", "42 x", "42 43", "\"s\" \"t\"", "tru", "nul", "-", "01",
                                      "truex", "\"\\x\"", "\"abc", "1 {}", "x", "[1 2]"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        if (xt(malformed[i], NULL) != SW_X_MALFORMED) fail_msg("not MALFORMED: '%s'", malformed[i]);
    }
    /* An array that does not parse is malformed whole, a non-object
     * element included: it must be one valid JSON value. */
    static const char *bad_arrays[] = {"[1, {\"a\":}]", "[tru, {}]", "[01, {}]", "[nul]", "[{}, 1.]", "[\"\\x41\"]"};
    for (size_t i = 0; i < sizeof bad_arrays / sizeof bad_arrays[0]; i++)
        if (xt(bad_arrays[i], NULL) != SW_X_MALFORMED) fail_msg("not MALFORMED: '%s'", bad_arrays[i]);
}

/* ----------------------------------------------------------------- limits */

static void test_too_large(void **state) {
    (void)state;
    size_t big = 2 * MIB;
    char *s = malloc(big + SW_PADDING);
    assert_non_null(s);
    memset(s, ' ', big + SW_PADDING);
    memcpy(s, "{\"eventType\":\"", 14);
    memset(s + 14, 'a', big - 16);
    memcpy(s + big - 2, "\"}", 2);
    size_t n = 7;
    assert_int_equal(sw_parser_extract(P_copy, s, big, big + SW_PADDING, NULL, EV, MAXEV, &n), SW_X_TOO_LARGE);
    assert_int_equal(n, 0);
    assert_int_equal(sw_parser_extract(P_copy, s, big, big, NULL, EV, MAXEV, &n), SW_X_TOO_LARGE);
    assert_int_equal(sw_parser_extract(P_copy, s, MIB + 1, big, NULL, EV, MAXEV, &n), SW_X_TOO_LARGE);
    /* Exactly max_record_bytes is fine, in place and copied. */
    memcpy(s + MIB - 2, "\"}", 2);
    assert_int_equal(xtn(s, MIB, NULL, MAXEV), SW_X_OK);
    assert_int_equal(EV[0].f[SW_F_EVENT_TYPE].n, MIB - 16);
    /* A record that is all escapes: the string buffer must hold it. */
    size_t o = (size_t)sprintf(s, "{\"eventType\":\"");
    while (o + 8 < MIB) o += (size_t)sprintf(s + o, "\\u00e9");
    o += (size_t)sprintf(s + o, "\"}");
    assert_int_equal(xtn(s, o, NULL, MAXEV), SW_X_OK);
    assert_int_equal(EV[0].f[SW_F_EVENT_TYPE].n % 2, 0);
    free(s);

    /* A tiny parser. */
    sw_parser *tiny = sw_parser_new(16);
    assert_non_null(tiny);
    assert_int_equal(sw_parser_extract(tiny, "{\"eventType\":\"abcdef\"}", 22, 22, NULL, EV, 1, &n),
                     SW_X_TOO_LARGE);
    assert_int_equal(sw_parser_extract(tiny, "{\"uuid\":\"abcd\"}", 15, 15, NULL, EV, 1, &n), SW_X_OK);
    is_str(&EV[0].f[SW_F_UUID], "abcd");
    sw_parser_free(tiny);
    sw_parser *zero = sw_parser_new(0);
    assert_non_null(zero);
    assert_int_equal(sw_parser_extract(zero, "{}", 2, 2, NULL, EV, 1, &n), SW_X_TOO_LARGE);
    sw_parser_free(zero);
}

static void test_too_many(void **state) {
    (void)state;
    static const char five[] = "[{\"uuid\":\"1\"},{},{},{},{\"uuid\":\"5\"}]";
    assert_int_equal(xtn(five, sizeof five - 1, NULL, 4), SW_X_TOO_MANY);
    assert_int_equal(NEV, 0);
    assert_int_equal(xtn(five, sizeof five - 1, NULL, 5), SW_X_OK);
    assert_int_equal(NEV, 5);
    is_str(&EV[4].f[SW_F_UUID], "5");
    assert_int_equal(xtn("{}", 2, NULL, 0), SW_X_TOO_MANY);
    assert_int_equal(xtn("{}", 2, NULL, 1), SW_X_OK);
    /* Precedence: MALFORMED, then TOO_MANY, then DUPLICATE_KEY.  A
     * non-object element takes a slot like any other. */
    assert_int_equal(xtn("[{},{},1", 8, NULL, 1), SW_X_MALFORMED);
    assert_int_equal(xtn("[{},{},1]", 9, NULL, 2), SW_X_TOO_MANY);
    assert_int_equal(xtn("[{},{},1]", 9, NULL, 3), SW_X_OK);
    assert_int_equal(xtn("[{\"a\":1},{}]", 12, NULL, 1), SW_X_TOO_MANY);
    static const char dup_many[] = "[{\"uuid\":\"1\",\"uuid\":\"2\"},{}]";
    assert_int_equal(xtn(dup_many, sizeof dup_many - 1, NULL, 1), SW_X_TOO_MANY);
    assert_int_equal(xtn(dup_many, sizeof dup_many - 1, NULL, 2), SW_X_DUPLICATE_KEY);
    static const char dup_notobj[] = "[{\"uuid\":\"1\",\"uuid\":\"2\"},3]";
    assert_int_equal(xtn(dup_notobj, sizeof dup_notobj - 1, NULL, 2), SW_X_DUPLICATE_KEY);

    /* A full API page. */
    size_t cap = SW_MAX_EVENTS_PER_RECORD * 20 + 16;
    char *page = malloc(cap);
    sw_event *evs = malloc(sizeof *evs * (SW_MAX_EVENTS_PER_RECORD + 1));
    assert_non_null(page);
    assert_non_null(evs);
    size_t o = 0, n = 0;
    page[o++] = '[';
    for (int i = 0; i <= SW_MAX_EVENTS_PER_RECORD; i++) o += (size_t)sprintf(page + o, "%s{\"uuid\":\"%d\"}", i ? "," : "", i);
    page[o++] = ']';
    assert_int_equal(sw_parser_extract(P_copy, page, o, o, NULL, evs, SW_MAX_EVENTS_PER_RECORD, &n), SW_X_TOO_MANY);
    assert_int_equal(sw_parser_extract(P_copy, page, o, o, NULL, evs, SW_MAX_EVENTS_PER_RECORD + 1, &n), SW_X_OK);
    assert_int_equal(n, SW_MAX_EVENTS_PER_RECORD + 1);
    is_str(&evs[0].f[SW_F_UUID], "0");
    is_str(&evs[SW_MAX_EVENTS_PER_RECORD].f[SW_F_UUID], "1000");
    free(page);
    free(evs);
}

/* ----------------------------------------------------------------- tenant */

static void test_tenant(void **state) {
    (void)state;
    is_str(&one("{\"org\":\"acme\"}", "org")->f[SW_F_TENANT], "acme");
    is_str(&one("{\"org\":12345}", "org")->f[SW_F_TENANT], "12345");
    is_str(&one("{\"org\" : -1.5e+3 , \"x\":1}", "org")->f[SW_F_TENANT], "-1.5e+3");
    is_str(&one("{\"org\":123456789012345678901234567890}", "org")->f[SW_F_TENANT],
           "123456789012345678901234567890");
    is_str(&one("{\"org\":\n0\n}", "org")->f[SW_F_TENANT], "0");
    is_type(&one("{\"org\":true}", "org")->f[SW_F_TENANT], SW_OTHER);
    is_type(&one("{\"org\":{}}", "org")->f[SW_F_TENANT], SW_OTHER);
    is_type(&one("{\"org\":[1]}", "org")->f[SW_F_TENANT], SW_OTHER);
    is_type(&one("{\"org\":null}", "org")->f[SW_F_TENANT], SW_NULL);
    is_type(&one("{\"orgs\":\"x\"}", "org")->f[SW_F_TENANT], SW_ABSENT);
    is_type(&one("{\"org\":\"x\"}", NULL)->f[SW_F_TENANT], SW_ABSENT);
    is_type(&one("{\"org\":\"x\"}", "")->f[SW_F_TENANT], SW_ABSENT);
    assert_int_equal(xt("{\"org\":12abc}", "org"), SW_X_MALFORMED);
    assert_int_equal(xt("{\"org\":1.}", "org"), SW_X_MALFORMED);
    /* Dotted tenant paths in any spelling; intermediates like any path. */
    is_str(&one("{\"cloud\":{\"account\":{\"id\":42}}}", "cloud.account.id")->f[SW_F_TENANT], "42");
    is_str(&one("{\"cloud.account\":{\"id\":\"a\"}}", "cloud.account.id")->f[SW_F_TENANT], "a");
    is_str(&one("{\"cloud\":{\"account.id\":\"b\"}}", "cloud.account.id")->f[SW_F_TENANT], "b");
    is_type(&one("{\"cloud\":\"x\"}", "cloud.account.id")->f[SW_F_TENANT], SW_OTHER);
    is_type(&one("{\"cloud\":null}", "cloud.account.id")->f[SW_F_TENANT], SW_NULL);
    /* The tenant path may coincide with a wanted path: both see the value. */
    const sw_event *e = one("{\"uuid\":77}", "uuid");
    is_type(&e->f[SW_F_UUID], SW_OTHER);
    is_str(&e->f[SW_F_TENANT], "77");
    e = one("{\"actor\":{\"id\":\"i\",\"org\":\"o\"}}", "actor.org");
    is_str(&e->f[SW_F_ACTOR_ID], "i");
    is_str(&e->f[SW_F_TENANT], "o");
    /* A tenant path that is a prefix of a wanted path. */
    e = one("{\"actor\":{\"id\":\"i\"}}", "actor");
    is_str(&e->f[SW_F_ACTOR_ID], "i");
    is_type(&e->f[SW_F_TENANT], SW_OTHER);
    /* A long tenant path works up to 255 bytes, never beyond. */
    char path[400], rec[900];
    memset(path, 'k', 255);
    path[255] = '\0';
    snprintf(rec, sizeof rec, "{\"%s\":\"t\"}", path);
    is_str(&one(rec, path)->f[SW_F_TENANT], "t");
    memset(path, 'k', 300);
    path[300] = '\0';
    snprintf(rec, sizeof rec, "{\"%s\":\"t\"}", path);
    is_type(&one(rec, path)->f[SW_F_TENANT], SW_ABSENT);
    /* The tenant path is not remembered between calls. */
    is_type(&one("{\"org\":\"x\"}", NULL)->f[SW_F_TENANT], SW_ABSENT);
}

/* --------------------------------------------------- in place / bounds */

static void test_inplace_vs_copy(void **state) {
    (void)state;
    /* xt() compares the two modes on every record of this file; here the
     * same record goes through one parser in both modes, interleaved. */
    size_t len = strlen(RAW_EVENT), n = 0;
    char *buf = malloc(len + 200);
    assert_non_null(buf);
    memcpy(buf, RAW_EVENT, len);
    memset(buf + len, '"', 200);
    for (size_t cap = len; cap < len + 200; cap += 13) {
        sw_xstatus s = sw_parser_extract(P_copy, buf, len, cap, "version", EV, MAXEV, &n);
        assert_int_equal(s, SW_X_OK);
        assert_int_equal(n, 1);
        check_raw_event(&EV[0]);
        is_str(&EV[0].f[SW_F_TENANT], "0");
    }
    free(buf);
    /* Numeric tenant tokens are copied out of the caller's buffer (in
     * place) or live in the parser's copy (copied). */
    char rec[] = "{\"org\":31337}                                                                    ";
    size_t rlen = strlen("{\"org\":31337}");
    assert_int_equal(sw_parser_extract(P_inplace, rec, rlen, sizeof rec, "org", EV, 1, &n), SW_X_OK);
    memset(rec, '9', sizeof rec - 1);
    is_str(&EV[0].f[SW_F_TENANT], "31337");
}

static void test_len_bound(void **state) {
    (void)state;
    char buf[] = "{\"eventType\":\"a\"}\n{\"eventType\":\"b\"}\n"
                 "                                                                ";
    size_t first = strlen("{\"eventType\":\"a\"}"), n = 0;
    assert_int_equal(sw_parser_extract(P_inplace, buf, first, sizeof buf - 1, NULL, EV, 4, &n), SW_X_OK);
    assert_int_equal(n, 1);
    is_str(&EV[0].f[SW_F_EVENT_TYPE], "a");
    /* The second line, from the middle of the buffer. */
    assert_int_equal(sw_parser_extract(P_inplace, buf + first + 1, first, sizeof buf - 1 - first - 1, NULL, EV, 4, &n),
                     SW_X_OK);
    is_str(&EV[0].f[SW_F_EVENT_TYPE], "b");
    /* A truncated record is not completed by what follows it. */
    assert_int_equal(sw_parser_extract(P_inplace, buf, first - 1, sizeof buf - 1, NULL, EV, 4, &n), SW_X_MALFORMED);
    assert_int_equal(sw_parser_extract(P_inplace, buf, first - 2, sizeof buf - 1, NULL, EV, 4, &n), SW_X_MALFORMED);
    /* What follows a complete record is not trailing garbage. */
    char buf2[] = "{\"eventType\":\"a\"}}}]]x{\"eventType\":\"b\"}"
                  "                                                                ";
    assert_int_equal(sw_parser_extract(P_inplace, buf2, first, sizeof buf2 - 1, NULL, EV, 4, &n), SW_X_OK);
    is_str(&EV[0].f[SW_F_EVENT_TYPE], "a");
    /* A number at the very end of an array record. */
    char buf3[] = "[{},1]23456                                                                    ";
    assert_int_equal(sw_parser_extract(P_inplace, buf3, 6, sizeof buf3 - 1, NULL, EV, 4, &n), SW_X_OK);
    assert_int_equal(n, 2);
    assert_int_equal(EV[1].not_object, 1);
    assert_int_equal(EV[1].raw_len, 1);
    char buf4[] = "42 }                                                                            ";
    assert_int_equal(sw_parser_extract(P_inplace, buf4, 2, sizeof buf4 - 1, NULL, EV, 4, &n), SW_X_NOT_OBJECT);
}

static void test_args(void **state) {
    (void)state;
    size_t n = 5;
    sw_event ev;
    assert_int_equal(sw_parser_extract(NULL, "{}", 2, 2, NULL, &ev, 1, &n), SW_X_MALFORMED);
    assert_int_equal(n, 0);
    assert_int_equal(sw_parser_extract(P_copy, "{}", 2, 2, NULL, NULL, 1, &n), SW_X_MALFORMED);
    assert_int_equal(sw_parser_extract(P_copy, "{}", 2, 2, NULL, &ev, 1, NULL), SW_X_MALFORMED);
    assert_int_equal(sw_parser_extract(P_copy, NULL, 0, 0, NULL, &ev, 1, &n), SW_X_MALFORMED);
    assert_int_equal(sw_parser_extract(P_copy, "[]", 2, 2, NULL, NULL, 0, &n), SW_X_OK);
    assert_int_equal(n, 0);
    sw_parser_free(NULL);
    assert_null(sw_parser_new((size_t)-1));
}

/* A parser reused across records of every kind keeps no state. */
static void test_reuse(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++) {
        check_raw_event(one(RAW_EVENT, NULL));
        assert_int_equal(xt("{\"eventType\":\"a\",\"eventType\":\"b\"}", NULL), SW_X_DUPLICATE_KEY);
        assert_int_equal(xt("{\"eventType\":", NULL), SW_X_MALFORMED);
        assert_int_equal(xt("1", NULL), SW_X_NOT_OBJECT);
        assert_int_equal(xt("[1]", NULL), SW_X_OK);
        assert_int_equal(EV[0].not_object, 1);
        is_str(&one("{\"detail-type\":\"x\",\"org\":5,\"detail\":{}}", "org")->f[SW_F_TENANT], "5");
        const sw_event *e = one("{\"uuid\":\"u\"}", NULL);
        assert_int_equal(e->format, SW_FMT_RAW);
        is_type(&e->f[SW_F_EVENT_TYPE], SW_ABSENT);
        is_type(&e->f[SW_F_TENANT], SW_ABSENT);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_ecs_nested),
        cmocka_unit_test(test_ecs_dotted),
        cmocka_unit_test(test_all_spellings),
        cmocka_unit_test(test_mixed_spellings),
        cmocka_unit_test(test_eventbridge),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_empty_array),
        cmocka_unit_test(test_views_stable),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_preferred_sources),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_intermediates),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_scalars_and_empty),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_tenant),
        cmocka_unit_test(test_inplace_vs_copy),
        cmocka_unit_test(test_len_bound),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_reuse),
    };
    return cmocka_run_group_tests(tests, tu_parsers_setup, tu_parsers_teardown);
}
