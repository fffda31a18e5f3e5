/* test_fixtures_extract.c -- the extractor against Elastic's real Okta
 * fixtures in ../shared/testdata/okta (see SOURCES.md there): each raw
 * LogEvent and its ECS twin, produced by Elastic's own pipeline, must give
 * the same identity, session, uuid and time.  Skips (exit 77) when the
 * fixtures are not present.  Nothing of the fixtures is copied here. */
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

#define MIB (1024 * 1024)
#define MAXLINES 64

static const char *DIR_;
#define P_raw (tu_parser[0]) /* the raw fixtures */
#define P_ecs (tu_parser[1]) /* the ECS twins */

static char *load(const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", DIR_, name);
    char *s = tu_read_file(path, len);
    if (!s) fail_msg("cannot read %s", path);
    return s;
}

typedef tu_span span;

/* One event from rec through parser p; rec's buffer runs to buf_end (so
 * records well inside it are parsed in place, the last ones copied). */
static sw_event extract_one(sw_parser *p, span rec, const char *buf_end, int format) {
    sw_event ev;
    size_t n = 0;
    sw_xstatus s = sw_parser_extract(p, rec.p, rec.n, (size_t)(buf_end - rec.p), NULL, &ev, 1, &n);
    assert_int_equal(s, SW_X_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev.format, format);
    return ev;
}

static int same(const sw_value *a, const sw_value *b) {
    return a->type == b->type && a->n == b->n && (a->type != SW_STRING || memcmp(a->p, b->p, a->n) == 0);
}

static int is(const sw_value *v, const char *s) {
    return v->type == SW_STRING && v->n == strlen(s) && memcmp(v->p, s, v->n) == 0;
}

/* The raw event and its ECS twin agree on everything the rule reads. */
static void assert_twins(const sw_event *raw, const sw_event *ecs, size_t i) {
    static const int fields[] = {SW_F_EVENT_TYPE, SW_F_ACTOR_ID, SW_F_ACTOR_NAME,
                                 SW_F_ACTOR_ALT, SW_F_SESSION_ID, SW_F_UUID};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        const sw_value *a = &raw->f[fields[k]], *b = &ecs->f[fields[k]];
        if (!same(a, b))
            fail_msg("record %zu field %d: raw type %d '%.*s' vs ECS type %d '%.*s'", i, fields[k], a->type,
                     (int)a->n, a->p ? a->p : "", b->type, (int)b->n, b->p ? b->p : "");
    }
    /* Every LogEvent has these. */
    assert_int_equal(raw->f[SW_F_EVENT_TYPE].type, SW_STRING);
    assert_int_equal(raw->f[SW_F_ACTOR_ID].type, SW_STRING);
    assert_int_equal(raw->f[SW_F_UUID].type, SW_STRING);
    /* Time: raw published vs ECS @timestamp, where both exist. */
    const sw_value *pub = &raw->f[SW_F_PUBLISHED], *ts = &ecs->f[SW_F_TIMESTAMP];
    assert_int_equal(pub->type, SW_STRING);
    if (ts->type == SW_STRING) assert_true(same(pub, ts));
    assert_int_equal(raw->f[SW_F_TIMESTAMP].type, SW_ABSENT);
    assert_int_equal(ecs->f[SW_F_PUBLISHED].type, SW_ABSENT);
}

static void test_integrations_pipeline(void **state) {
    (void)state;
    size_t rlen, elen;
    char *raw = load("elastic-integrations-okta-system-events.log", &rlen);
    char *ecs = load("elastic-integrations-okta-system-events.expected-ecs.json", &elen);
    span lines[MAXLINES], docs[MAXLINES];
    size_t nl = tu_split_lines(raw, rlen, lines, MAXLINES);
    assert_non_null(strstr(ecs, "\"expected\":"));
    size_t nd = tu_json_array_objects(ecs, elen, "\"expected\":", docs, MAXLINES);
    assert_int_equal(nl, 24);
    assert_int_equal(nd, 24);
    int starts = 0, ecs_starts = 0;
    for (size_t i = 0; i < nl; i++) {
        sw_event r = extract_one(P_raw, lines[i], raw + rlen + 1, SW_FMT_RAW);
        sw_event e = extract_one(P_ecs, docs[i], ecs + elen + 1, SW_FMT_ECS);
        assert_twins(&r, &e, i);
        starts += is(&r.f[SW_F_EVENT_TYPE], "user.session.start");
        ecs_starts += is(&e.f[SW_F_EVENT_TYPE], "user.session.start");
        if (e.f[SW_F_EVENT_DATASET].type == SW_STRING) assert_true(is(&e.f[SW_F_EVENT_DATASET], "okta.system"));
        /* Line 11 (index 10) has "ipAddress":"null" as a string. */
        if (i == 10) assert_true(is(&r.f[SW_F_CLIENT_IP], "null"));
    }
    assert_int_equal(starts, 5);
    assert_int_equal(ecs_starts, 5);
    /* Lines 2, 5, 8 and 11 are the same session start. */
    static const size_t same_event[] = {1, 4, 7, 10};
    for (size_t k = 0; k < 4; k++) {
        sw_event r = extract_one(P_raw, lines[same_event[k]], raw + rlen + 1, SW_FMT_RAW);
        assert_true(is(&r.f[SW_F_EVENT_TYPE], "user.session.start"));
        assert_true(is(&r.f[SW_F_UUID], "3aeede38-4f67-11ea-abd3-1f5d113f2546"));
        assert_true(is(&r.f[SW_F_SESSION_ID], "102bZDNFfWaQSyEZQuDgWt-uQ"));
        assert_true(is(&r.f[SW_F_ACTOR_ID], "00u1abvz4pYqdM8ms4x6"));
    }
    free(raw);
    free(ecs);
}

static void test_beats_module(void **state) {
    (void)state;
    size_t rlen, elen;
    char *raw = load("beats-okta-system-test.log", &rlen);
    char *ecs = load("beats-okta-system-test.expected-ecs.json", &elen);
    span lines[MAXLINES];
    size_t nl = tu_split_lines(raw, rlen, lines, MAXLINES);
    assert_int_equal(nl, 7);
    /* The expected file is one pretty-printed top-level array: one record. */
    sw_event docs[8];
    size_t nd = 0;
    assert_int_equal(sw_parser_extract(P_ecs, ecs, elen, elen + 1, NULL, docs, 8, &nd), SW_X_OK);
    assert_int_equal(nd, 5);
    /* Same result with its newlines turned into spaces (one NDJSON line). */
    for (size_t i = 0; i < elen; i++)
        if (ecs[i] == '\n') ecs[i] = ' ';
    sw_event docs2[8];
    assert_int_equal(sw_parser_extract(P_raw, ecs, elen, elen, NULL, docs2, 8, &nd), SW_X_OK);
    assert_int_equal(nd, 5);
    for (size_t i = 0; i < nd; i++) {
        assert_int_equal(docs[i].format, SW_FMT_ECS);
        for (int f = 0; f < SW_F_COUNT; f++) assert_true(same(&docs[i].f[f], &docs2[i].f[f]));
        sw_event r = extract_one(P_raw, lines[i], raw + rlen + 1, SW_FMT_RAW);
        assert_twins(&r, &docs[i], i);
        assert_true(is(&docs[i].f[SW_F_EVENT_DATASET], "okta.system"));
    }
    /* All 7 lines: 2 session starts, both by 00u1abvz4pYqdM8ms4x6, with
     * the two sessions SOURCES.md describes. */
    int starts = 0, s1 = 0, s2 = 0;
    for (size_t i = 0; i < nl; i++) {
        sw_event r = extract_one(P_raw, lines[i], raw + rlen + 1, SW_FMT_RAW);
        if (!is(&r.f[SW_F_EVENT_TYPE], "user.session.start")) continue;
        starts++;
        assert_true(is(&r.f[SW_F_ACTOR_ID], "00u1abvz4pYqdM8ms4x6"));
        if (is(&r.f[SW_F_ACTOR_ALT], "xxxxxx@elastic.co")) {
            s1++;
            assert_true(is(&r.f[SW_F_SESSION_ID], "102bZDNFfWaQSyEZQuDgWt-uQ"));
            assert_true(is(&r.f[SW_F_PUBLISHED], "2020-02-14T20:18:57.718Z"));
        } else {
            s2++;
            assert_true(is(&r.f[SW_F_ACTOR_ALT], "test@test.com"));
            assert_true(is(&r.f[SW_F_SESSION_ID], "xxxxxx"));
            assert_true(is(&r.f[SW_F_PUBLISHED], "2022-05-11T09:25:18.716Z"));
        }
    }
    assert_int_equal(starts, 2);
    assert_int_equal(s1, 1);
    assert_int_equal(s2, 1);
    free(raw);
    free(ecs);
}

static void test_sample_logs_array(void **state) {
    (void)state;
    size_t len;
    char *s = load("elastic-integrations-sample_logs-okta-system.json.log", &len);
    span lines[4];
    assert_int_equal(tu_split_lines(s, len, lines, 4), 1);
    sw_event ev[4];
    size_t n = 0;
    assert_int_equal(sw_parser_extract(P_raw, lines[0].p, lines[0].n, lines[0].n, NULL, ev, 4, &n), SW_X_OK);
    assert_int_equal(n, 3);
    static const char *types[] = {"user.session.end", "user.session.start", "policy.evaluate_sign_on"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ev[i].format, SW_FMT_RAW);
        assert_true(is(&ev[i].f[SW_F_EVENT_TYPE], types[i]));
        assert_true(is(&ev[i].f[SW_F_ACTOR_ID], "00u1abvz4pYqdM8ms4x6"));
        assert_int_equal(ev[i].f[SW_F_UUID].type, SW_STRING);
        assert_int_equal(ev[i].f[SW_F_PUBLISHED].type, SW_STRING);
    }
    /* Too small an output array. */
    assert_int_equal(sw_parser_extract(P_raw, lines[0].p, lines[0].n, lines[0].n, NULL, ev, 2, &n), SW_X_TOO_MANY);
    free(s);
}

static void test_sample_event(void **state) {
    (void)state;
    size_t len;
    char *s = load("elastic-integrations-okta-system-sample_event.json", &len);
    /* Joined into one line... */
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n') s[i] = ' ';
    sw_event ev;
    size_t n = 0;
    assert_int_equal(sw_parser_extract(P_ecs, s, len, len, NULL, &ev, 1, &n), SW_X_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev.format, SW_FMT_ECS);
    assert_true(is(&ev.f[SW_F_EVENT_TYPE], "user.session.start"));
    assert_true(is(&ev.f[SW_F_SESSION_ID], "102bZDNFfWaQSyEZQuDgWt-uQ"));
    assert_true(is(&ev.f[SW_F_STREAM_DATASET], "okta.system"));
    assert_true(is(&ev.f[SW_F_EVENT_DATASET], "okta.system"));
    assert_true(is(&ev.f[SW_F_ACTOR_ID], "00u1abvz4pYqdM8ms4x6"));
    assert_true(is(&ev.f[SW_F_TIMESTAMP], "2020-02-14T20:18:57.718Z"));
    assert_true(is(&ev.f[SW_F_UUID], "3aeede38-4f67-11ea-abd3-1f5d113f2546"));
    assert_true(is(&ev.f[SW_F_CLIENT_IP], "108.255.197.247"));
    assert_int_equal(ev.f[SW_F_PUBLISHED].type, SW_ABSENT);
    /* ...or as the file is, with a tenant read from the ECS data_stream. */
    free(s);
    s = load("elastic-integrations-okta-system-sample_event.json", &len);
    assert_int_equal(sw_parser_extract(P_ecs, s, len, len + 1, "data_stream.namespace", &ev, 1, &n), SW_X_OK);
    assert_true(is(&ev.f[SW_F_TENANT], "ep"));
    free(s);
}

int main(void) {
    DIR_ = tu_fixture_dir_or_exit("");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integrations_pipeline),
        cmocka_unit_test(test_beats_module),
        cmocka_unit_test(test_sample_logs_array),
        cmocka_unit_test(test_sample_event),
    };
    return cmocka_run_group_tests(tests, tu_parsers_setup, tu_parsers_teardown);
}
