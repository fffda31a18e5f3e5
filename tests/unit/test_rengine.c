/* test_rengine.c -- the rules engine (stream/core/rengine.h): every clause
 * of ISSUE14's "Semantics", each pinned with values, through the engine's
 * API (TOML text -> sw_ruleset -> sw_rulespec -> sw_rengine_feed ->
 * alerts, rejects, counters).  Records are raw Okta LogEvents built with
 * snprintf; every alert must be strict JSON (json_check.h).
 *
 *   threshold: a missing group-by field; an array group-by field (one key
 *   per element); several group-by fields in order; the count window
 *   maxT - W <= t (inclusive) and t > r; the key cleared after an alert;
 *   cardinality with an event that lacks the field; the bounded state
 *   keeps the newest values;
 *   query: one alert per matching event; deterministic ids with and
 *   without a uuid;
 *   both: the alert cap per interval bucket (and --max-alerts over it),
 *   building_block_type in the alert, lateness per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "rengine.h"
#include "ruleset.h"
#include "rulespec_of.h"
#include "testutil.h"
#include "timefmt.h"

#define MIN_MS (60LL * 1000)
#define T0 1767600000000LL /* 2026-01-05T08:00:00Z */
#define MAX_ALERTS 64

typedef struct {
    char *json[MAX_ALERTS];
    char id[MAX_ALERTS][SW_ALERT_ID_LEN + 1];
    size_t n;
    size_t rejects[SW_VERDICT_COUNT];
} sink;

/* Keeps each alert, once it is checked: strict JSON within the size bound. */
static void on_alert(void *ud, const sw_alert_out *a) {
    sink *s = ud;
    const char *err = NULL;
    jc_node *root = jc_parse(a->json, a->json_len, &err);
    if (!root) fail_msg("alert is not strict JSON (%s): %.*s", err, (int)a->json_len, a->json);
    jc_free(root);
    assert_true(a->json_len <= SW_ALERT_MAX_BYTES);
    assert_true(s->n < MAX_ALERTS);
    s->json[s->n] = strndup(a->json, a->json_len);
    memcpy(s->id[s->n], a->alert_id, SW_ALERT_ID_LEN + 1);
    s->n++;
}

static void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    (void)rec, (void)len, (void)src;
    ((sink *)ud)->rejects[why]++;
}

typedef struct {
    sw_ruleset rs;
    sw_rulespec spec[4];
    size_t nspec;
    sw_config cfg;
    sw_rengine *e;
    sw_parser *p;
    sink out;
    uint64_t line;
} rig;

/* A rule file: the required keys and the query, then extra lines (from,
 * threshold: tables last). */
static void add_rule(rig *r, const char *id, const char *type, const char *extra, const char *query) {
    char text[4096];
    snprintf(text, sizeof text,
             "[rule]\nrule_id = \"%s\"\nname = \"Rule %s\"\ntype = \"%s\"\nlanguage = \"kuery\"\n"
             "severity = \"high\"\nrisk_score = 73\nquery = '''\n%s\n'''\n%s\n",
             id, id, type, query, extra);
    size_t before = r->rs.n_loaded;
    assert_int_equal(sw_ruleset_add_text(&r->rs, id, text, strlen(text)), 0);
    if (r->rs.n_loaded == before) fail_msg("rule refused: %s", r->rs.v[r->rs.n - 1].why);
}

static void start(rig *r, int64_t max_alerts) {
    for (size_t i = 0; i < r->rs.n; i++) assert_int_equal(sw_ruledef_spec(&r->rs.v[i].def, &r->spec[r->nspec++]), 0);
    r->e = sw_rengine_new(&r->cfg, r->spec, r->nspec, max_alerts, on_alert, on_reject, &r->out);
    assert_non_null(r->e);
    r->p = sw_parser_new(r->cfg.max_record_bytes);
    assert_non_null(r->p);
}

static rig *rig_new(void) {
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    sw_config_defaults(&r->cfg);
    return r;
}

static void rig_free(rig *r) {
    sw_rengine_free(r->e);
    sw_parser_free(r->p);
    for (size_t i = 0; i < r->nspec; i++) sw_rulespec_release(&r->spec[i]);
    sw_ruleset_free(&r->rs);
    for (size_t i = 0; i < r->out.n; i++) free(r->out.json[i]);
    free(r);
}

static void feed(rig *r, const char *rec) {
    size_t len = strlen(rec);
    char *copy = malloc(len + SW_PADDING);
    assert_non_null(copy);
    memcpy(copy, rec, len);
    memset(copy + len, '"', SW_PADDING);
    sw_source src = {.file = "t", .line = ++r->line, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    sw_rengine_feed(r->e, r->p, copy, len, len + SW_PADDING, &src);
    free(copy);
}

/* A raw LogEvent at T0 + ms; fields is inserted as it is (",..." pieces). */
static void event(rig *r, int64_t ms, const char *type, const char *fields) {
    char when[40], rec[4096];
    sw_time_format(T0 + ms, when);
    snprintf(rec, sizeof rec, "{\"eventType\":\"%s\",\"published\":\"%s\"%s}", type, when, fields);
    feed(r, rec);
}

/* An event of actor a with device token hash dt and OS os (NULL: none). */
static void auth(rig *r, int64_t ms, const char *actor, const char *dt, const char *os) {
    char f[1024];
    int n = snprintf(f, sizeof f, ",\"actor\":{\"id\":\"%s\",\"alternateId\":\"%s@x.com\"}", actor, actor);
    if (dt) n += snprintf(f + n, sizeof f - (size_t)n, ",\"debugContext\":{\"debugData\":{\"dtHash\":\"%s\"}}", dt);
    if (os) snprintf(f + n, sizeof f - (size_t)n, ",\"client\":{\"userAgent\":{\"os\":\"%s\"}}", os);
    event(r, ms, "user.authentication.auth_via_mfa", f);
}

/* A rig running one rule, each rule's own cap. */
static rig *one_rule(const char *id, const char *type, const char *extra, const char *query) {
    rig *r = rig_new();
    add_rule(r, id, type, extra, query);
    start(r, -1);
    return r;
}

/* A rig with two rules over one query, not started (set cfg, then start). */
static rig *two_rules(const char *a, const char *a_extra, const char *b, const char *b_extra, const char *type,
                      const char *query) {
    rig *r = rig_new();
    add_rule(r, a, type, a_extra, query);
    add_rule(r, b, type, b_extra, query);
    return r;
}

/* A rig running one query rule "q" over event.action:x (extra: more
 * [rule] lines), with --tenant tenant (NULL: none). */
static rig *query_rig(const char *extra, const char *tenant, int64_t max_alerts) {
    rig *r = rig_new();
    r->cfg.tenant = tenant;
    add_rule(r, "q", "query", extra, "event.action:x");
    start(r, max_alerts);
    return r;
}

static const sw_rule_counters *counters(rig *r, size_t i) { return sw_rengine_rule_counters(r->e, i); }

#define AUTH "event.action:user.authentication.auth_via_mfa"

/* ---- threshold: keys ------------------------------------------------------- */

static void missing_group_by_field_is_not_counted(void **state) {
    (void)state;
    rig *r = one_rule("dt", "threshold",
                      "from = \"now-30m\"\n[rule.threshold]\nfield = [\"okta.debug_context.debug_data.dt_hash\"]\n"
                      "value = 2\n",
                      AUTH);
    auth(r, 0, "u1", NULL, NULL);
    auth(r, 1000, "u1", NULL, NULL);
    assert_int_equal(r->out.n, 0);
    assert_int_equal(counters(r, 0)->matched, 2);
    assert_int_equal(counters(r, 0)->no_group, 2);
    auth(r, 2000, "u1", "h1", NULL);
    assert_int_equal(r->out.n, 0); /* only one event of key h1 counted */
    auth(r, 3000, "u1", "h1", NULL);
    assert_int_equal(r->out.n, 1);
    assert_non_null(strstr(r->out.json[0], "\"terms\":[{\"field\":\"okta.debug_context.debug_data.dt_hash\","
                                           "\"value\":\"h1\"}],\"count\":2"));
    rig_free(r);
}

static void array_group_by_puts_the_event_in_one_group_per_element(void **state) {
    (void)state;
    rig *r = one_rule("tg", "threshold", "[rule.threshold]\nfield = [\"okta.target.alternate_id\"]\nvalue = 2\n",
                      "event.action:x");
    event(r, 0, "x", ",\"target\":[{\"alternateId\":\"a\"},{\"alternateId\":\"b\"}]");
    assert_int_equal(r->out.n, 0);
    event(r, 1000, "x", ",\"target\":[{\"alternateId\":\"b\"}]");
    assert_int_equal(r->out.n, 1); /* key b: two events; key a: one */
    assert_non_null(strstr(r->out.json[0], "\"value\":\"b\"}],\"count\":2"));
    event(r, 2000, "x", ",\"target\":[{\"alternateId\":\"a\"},{\"alternateId\":\"c\"}]");
    assert_int_equal(r->out.n, 2);
    assert_non_null(strstr(r->out.json[1], "\"value\":\"a\"}],\"count\":2"));
    rig_free(r);
}

/* Two array fields: one key per combination, at most SW_RENGINE_MAX_GROUPS
 * (9 x 9 = 81 here: the first 64, the event counted as cut). */
static void the_cross_product_of_arrays_is_bounded(void **state) {
    (void)state;
    rig *r = one_rule("x", "threshold",
                      "[rule.threshold]\nfield = [\"okta.target.alternate_id\", \"user_agent.os.name\"]\nvalue = 5\n",
                      "event.action:x");
    char rec[2048];
    int n = snprintf(rec, sizeof rec, "{\"@timestamp\":\"2026-01-05T08:00:00Z\",\"event\":{\"action\":\"x\"},"
                                      "\"okta\":{\"target\":[");
    for (int i = 0; i < 9; i++)
        n += snprintf(rec + n, sizeof rec - (size_t)n, "%s{\"alternate_id\":\"t%d\"}", i ? "," : "", i);
    n += snprintf(rec + n, sizeof rec - (size_t)n, "]},\"user_agent\":{\"os\":{\"name\":[");
    for (int i = 0; i < 9; i++) n += snprintf(rec + n, sizeof rec - (size_t)n, "%s\"os%d\"", i ? "," : "", i);
    snprintf(rec + n, sizeof rec - (size_t)n, "]}}}");
    feed(r, rec);
    assert_int_equal(sw_rengine_keys(r->e), SW_RENGINE_MAX_GROUPS);
    assert_int_equal(counters(r, 0)->groups_dropped, 1);
    assert_int_equal(counters(r, 0)->counted, 1);
    rig_free(r);
}

static void several_group_by_fields_key_in_order(void **state) {
    (void)state;
    rig *r = rig_new();
    add_rule(r, "two", "threshold",
             "[rule.threshold]\nfield = [\"okta.actor.alternate_id\", \"okta.debug_context.debug_data.dt_hash\"]\n"
             "value = 2\n",
             AUTH);
    start(r, -1);
    auth(r, 0, "u1", "h1", NULL);
    auth(r, 1000, "u1", "h2", NULL); /* another key */
    auth(r, 2000, "u2", "h1", NULL); /* another key */
    assert_int_equal(r->out.n, 0);
    auth(r, 3000, "u1", "h1", NULL);
    assert_int_equal(r->out.n, 1);
    assert_non_null(strstr(r->out.json[0],
                           "\"terms\":[{\"field\":\"okta.actor.alternate_id\",\"value\":\"u1@x.com\"},"
                           "{\"field\":\"okta.debug_context.debug_data.dt_hash\",\"value\":\"h1\"}]"));
    rig_free(r);
}

/* ---- threshold: the count window ------------------------------------------ */

static rig *count_rule(int value) {
    rig *r = rig_new();
    char extra[256];
    snprintf(extra, sizeof extra, "from = \"now-10m\"\n[rule.threshold]\nfield = [\"okta.actor.id\"]\nvalue = %d\n",
             value);
    add_rule(r, "cnt", "threshold", extra, AUTH);
    start(r, -1);
    return r;
}

/* A count rule of value 3 and W = 10 min, and u1's events at 0, 5 min and
 * third_ms. */
static rig *three_events(int64_t third_ms) {
    rig *r = count_rule(3);
    auth(r, 0, "u1", NULL, NULL);
    auth(r, 5 * MIN_MS, "u1", NULL, NULL);
    auth(r, third_ms, "u1", NULL, NULL);
    return r;
}

static void count_window_includes_maxT_minus_W(void **state) {
    (void)state;
    rig *r = three_events(10 * MIN_MS); /* maxT - W = 0: the first still counts */
    assert_int_equal(r->out.n, 1);
    assert_non_null(strstr(r->out.json[0], "\"count\":3,\"from\":\"2026-01-05T08:00:00.000Z\""));
    rig_free(r);
}

static void count_window_excludes_older_events(void **state) {
    (void)state;
    rig *r = three_events(10 * MIN_MS + 1); /* the first is 1 ms out */
    assert_int_equal(r->out.n, 0);
    auth(r, 11 * MIN_MS, "u1", NULL, NULL);
    assert_int_equal(r->out.n, 1);
    assert_non_null(strstr(r->out.json[0], "\"count\":3,\"from\":\"2026-01-05T08:05:00.000Z\""));
    rig_free(r);
}

static void events_at_or_before_r_are_not_counted_and_the_key_is_cleared(void **state) {
    (void)state;
    rig *r = count_rule(2);
    auth(r, 0, "u1", NULL, NULL);
    auth(r, MIN_MS, "u1", NULL, NULL);
    assert_int_equal(r->out.n, 1); /* r = T0 + 1 min */
    auth(r, MIN_MS, "u1", NULL, NULL);     /* t == r: covered */
    auth(r, 30 * 1000, "u1", NULL, NULL);  /* t < r: covered */
    assert_int_equal(counters(r, 0)->covered, 2);
    assert_int_equal(r->out.n, 0 + 1);
    auth(r, 2 * MIN_MS, "u1", NULL, NULL); /* cleared: one event counted */
    assert_int_equal(r->out.n, 1);
    auth(r, 3 * MIN_MS, "u1", NULL, NULL);
    assert_int_equal(r->out.n, 2);
    assert_non_null(strstr(r->out.json[1], "\"count\":2,\"from\":\"2026-01-05T08:02:00.000Z\""));
    assert_string_not_equal(r->out.id[0], r->out.id[1]);
    rig_free(r);
}

/* ---- threshold: cardinality ------------------------------------------------- */

static rig *os_rule(int value, int cardinality) {
    rig *r = rig_new();
    char extra[512];
    snprintf(extra, sizeof extra,
             "from = \"now-1h\"\n[rule.threshold]\nfield = [\"okta.debug_context.debug_data.dt_hash\"]\nvalue = %d\n"
             "[[rule.threshold.cardinality]]\nfield = \"user_agent.os.name\"\nvalue = %d\n",
             value, cardinality);
    add_rule(r, "os", "threshold", extra, AUTH);
    start(r, -1);
    return r;
}

static void an_event_without_the_cardinality_field_counts_but_adds_no_value(void **state) {
    (void)state;
    rig *r = os_rule(3, 2);
    auth(r, 0, "u1", "h", "Windows");
    auth(r, 1000, "u1", "h", NULL); /* counts: 2 events, 1 value */
    assert_int_equal(r->out.n, 0);
    auth(r, 2000, "u1", "h", "Mac OS X"); /* 3 events, 2 values */
    assert_int_equal(r->out.n, 1);
    assert_non_null(strstr(r->out.json[0], "\"count\":3"));
    assert_non_null(strstr(r->out.json[0], "\"cardinality\":[{\"field\":\"user_agent.os.name\",\"value\":2}]"));

    rig *q = os_rule(3, 2);
    auth(q, 0, "u1", "h", "Windows");
    auth(q, 1000, "u1", "h", "Windows");
    auth(q, 2000, "u1", "h", NULL); /* 3 events, but 1 value */
    assert_int_equal(q->out.n, 0);
    rig_free(q);
    rig_free(r);
}

static void bounded_state_keeps_the_newest_values(void **state) {
    (void)state;
    rig *r = os_rule(5, 2); /* keeps 5 event times, 2 values */
    auth(r, 0, "u1", "h", "A");
    auth(r, 1000, "u1", "h", "B");
    auth(r, 2000, "u1", "h", "C");
    auth(r, 500, "u1", "h", "D"); /* older than B and C: not kept */
    assert_int_equal(r->out.n, 0);
    auth(r, 3000, "u1", "h", "E"); /* 5 events, values newest first E, C */
    assert_int_equal(r->out.n, 1);
    const char *j = r->out.json[0];
    assert_non_null(strstr(j, "\"count\":5"));
    assert_non_null(strstr(j, "\"value\":2}]"));
    const char *c = strstr(j, "\"sessions\":[{\"id\":\"C\"");
    assert_non_null(c);
    assert_non_null(strstr(c, "},{\"id\":\"E\""));
    assert_null(strstr(j, "\"id\":\"A\""));
    assert_null(strstr(j, "\"id\":\"D\""));
    rig_free(r);
}

/* The seed rule's shape: value 1, a cardinality; the alert lists the
 * distinct values as "sessions", with the seed's id formula. */
static void seed_shape_counts_distinct_values(void **state) {
    (void)state;
    rig *r = os_rule(1, 3);
    auth(r, 0, "u1", "h", "A");
    auth(r, 1000, "u1", "h", "A");
    auth(r, 2000, "u1", "h", "B");
    assert_int_equal(r->out.n, 0);
    auth(r, 3000, "u1", "h", "C");
    assert_int_equal(r->out.n, 1);
    assert_non_null(strstr(r->out.json[0], "\"count\":4")); /* the events of Q, as the seed counts */
    assert_non_null(strstr(r->out.json[0], "{\"id\":\"A\",\"first_seen\":\"2026-01-05T08:00:00.000Z\","
                                           "\"last_seen\":\"2026-01-05T08:00:01.000Z\",\"events\":2"));
    rig_free(r);
}

/* ---- query rules -------------------------------------------------------------- */

static void query_rule_one_alert_per_matching_event(void **state) {
    (void)state;
    rig *r = one_rule("q", "query", "", "event.action:user.session.start and not okta.actor.id:okta*");
    event(r, 0, "user.session.start", ",\"uuid\":\"u-1\",\"actor\":{\"id\":\"00u1\"}");
    event(r, 0, "user.session.start", ",\"uuid\":\"u-2\",\"actor\":{\"id\":\"00u1\"}");
    event(r, 0, "user.session.start", ",\"uuid\":\"u-3\",\"actor\":{\"id\":\"okta-system\"}");
    event(r, 0, "user.session.end", ",\"uuid\":\"u-4\",\"actor\":{\"id\":\"00u1\"}");
    assert_int_equal(r->out.n, 2);
    assert_string_not_equal(r->out.id[0], r->out.id[1]);
    assert_non_null(strstr(r->out.json[0], "\"event\":{\"original\":\"{\\\"eventType\\\":\\\"user.session.start\\\""));
    assert_null(strstr(r->out.json[0], "threshold_result"));
    assert_int_equal(counters(r, 0)->matched, 2);
    /* okta-system's start is parsed and matches no rule; the session end
     * holds no event type a rule requires: skipped unparsed */
    assert_int_equal(sw_rengine_unmatched(r->e), 1);
    assert_int_equal(sw_rengine_counters(r->e)->prefiltered, 1);
    rig_free(r);
}

static void query_rule_ids_are_deterministic(void **state) {
    (void)state;
    rig *r = query_rig("", NULL, -1);
    event(r, 0, "x", ",\"uuid\":\"same\",\"a\":1");
    event(r, 5000, "x", ",\"uuid\":\"same\",\"a\":2"); /* the same uuid: the same alert */
    event(r, 0, "x", ",\"a\":1");                      /* no uuid: the bytes */
    event(r, 0, "x", ",\"a\":1");
    event(r, 0, "x", ",\"a\":2");
    assert_int_equal(r->out.n, 5);
    assert_string_equal(r->out.id[0], r->out.id[1]);
    assert_string_equal(r->out.id[2], r->out.id[3]);
    assert_string_not_equal(r->out.id[0], r->out.id[2]);
    assert_string_not_equal(r->out.id[3], r->out.id[4]);

    /* Another engine (another seed) gives the same ids; a tenant changes them. */
    rig *q = query_rig("", NULL, -1);
    event(q, 0, "x", ",\"uuid\":\"same\",\"a\":1");
    assert_string_equal(q->out.id[0], r->out.id[0]);
    rig *t = query_rig("", "acme", -1);
    event(t, 0, "x", ",\"uuid\":\"same\",\"a\":1");
    assert_string_not_equal(t->out.id[0], r->out.id[0]);
    rig_free(t);
    rig_free(q);
    rig_free(r);
}

/* ---- both ---------------------------------------------------------------------- */

static void cap_per_interval_bucket(void **state) {
    (void)state;
    rig *r = query_rig("interval = \"5m\"\nmax_signals = 2\n", NULL, -1);
    for (int i = 0; i < 3; i++) event(r, i * 1000, "x", "");        /* bucket 08:00-08:05 */
    event(r, 5 * MIN_MS - 1, "x", "");                              /* the same bucket */
    event(r, 5 * MIN_MS, "x", "");                                  /* the next */
    assert_int_equal(r->out.n, 3);
    assert_int_equal(counters(r, 0)->alerts_capped, 2);

    rig *m = query_rig("interval = \"5m\"\nmax_signals = 2\n", NULL, 1); /* --max-alerts replaces max_signals */
    for (int i = 0; i < 3; i++) event(m, i * 1000, "x", "");
    assert_int_equal(m->out.n, 1);
    rig_free(m);
    rig_free(r);
}

static void building_block_type_is_in_the_alert(void **state) {
    (void)state;
    rig *r = two_rules("bb", "building_block_type = \"default\"\n", "plain", "", "query", "event.action:x");
    start(r, -1);
    event(r, 0, "x", "");
    assert_int_equal(r->out.n, 2);
    assert_non_null(strstr(r->out.json[0], "\"risk_score\":73,\"building_block_type\":\"default\""));
    assert_null(strstr(r->out.json[1], "building_block_type"));
    rig_free(r);
}

/* A threshold table: grouped by okta.actor.id, value 100 (never reached
 * in these tests). */
#define BY_ACTOR "[rule.threshold]\nfield = [\"okta.actor.id\"]\nvalue = 100\n"

/* Four actors' events (a watermark needs four), at t0, t0 + step, ... */
static void four_actors(rig *r, int64_t t0, int64_t step) {
    static const char *const actors[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) auth(r, t0 + i * step, actors[i], NULL, NULL);
}

static void lateness_is_judged_per_rule(void **state) {
    (void)state;
    rig *r = two_rules("short", "from = \"now-1m\"\n" BY_ACTOR, "long", "from = \"now-1h\"\n" BY_ACTOR, "threshold",
                       AUTH);
    r->cfg.lateness_ms = 0;
    start(r, -1);
    four_actors(r, 10 * MIN_MS, 0);
    auth(r, 5 * MIN_MS, "a", NULL, NULL); /* 5 min late: too late for the 1-minute rule only */
    assert_int_equal(counters(r, 0)->too_late, 1);
    assert_int_equal(counters(r, 1)->too_late, 0);
    assert_int_equal(r->out.rejects[SW_R_TOO_LATE], 1); /* rejected once */
    rig_free(r);
}

static void bad_time_and_bad_records_are_rejected(void **state) {
    (void)state;
    rig *r = query_rig("", NULL, -1);
    feed(r, "{\"eventType\":\"x\",\"published\":\"yesterday\"}");
    feed(r, "{\"eventType\":\"x\"");
    feed(r, "{\"eventType\":\"y\",\"published\":\"yesterday\"}"); /* no rule reads it */
    assert_int_equal(r->out.rejects[SW_R_BAD_TIME], 1);
    assert_int_equal(r->out.rejects[SW_R_MALFORMED], 1);
    assert_int_equal(r->out.n, 0);
    rig_free(r);
}

/* timestamp_override = event.ingested: an ECS event's event.ingested when
 * it has one, else its @timestamp; other rules keep @timestamp. */
static void timestamp_override_reads_event_ingested(void **state) {
    (void)state;
    rig *r = two_rules("ing", "timestamp_override = \"event.ingested\"\n", "ts", "", "query", "event.action:x");
    start(r, -1);
    feed(r, "{\"@timestamp\":\"2026-01-05T08:00:00Z\",\"event\":{\"action\":\"x\","
            "\"ingested\":\"2026-01-05T08:03:00Z\"},\"okta\":{\"uuid\":\"e1\"}}");
    feed(r, "{\"@timestamp\":\"2026-01-05T09:00:00Z\",\"event\":{\"action\":\"x\"},\"okta\":{\"uuid\":\"e2\"}}");
    assert_int_equal(r->out.n, 4);
    assert_non_null(strstr(r->out.json[0], "\"@timestamp\":\"2026-01-05T08:03:00.000Z\",\"detected_at\""));
    assert_non_null(strstr(r->out.json[0], "\"id\":\"ing\""));
    assert_non_null(strstr(r->out.json[1], "\"@timestamp\":\"2026-01-05T08:00:00.000Z\",\"detected_at\""));
    assert_non_null(strstr(r->out.json[2], "\"@timestamp\":\"2026-01-05T09:00:00.000Z\",\"detected_at\""));
    rig_free(r);
}

/* --max-tracked-users bounds the keys of every rule together. */
static void keys_stay_within_the_budget(void **state) {
    (void)state;
    rig *r = two_rules("a", BY_ACTOR, "b", "[rule.threshold]\nfield = [\"okta.actor.alternate_id\"]\nvalue = 5\n",
                       "threshold", AUTH);
    r->cfg.max_tracked_users = 3;
    start(r, -1);
    four_actors(r, 0, 1000);
    assert_int_equal(sw_rengine_keys(r->e), 3);
    assert_int_equal(sw_rengine_counters(r->e)->cap_evicted, 5); /* 8 keys made, 3 kept */
    rig_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_group_by_field_is_not_counted),
        cmocka_unit_test(array_group_by_puts_the_event_in_one_group_per_element),
        cmocka_unit_test(several_group_by_fields_key_in_order),
        cmocka_unit_test(the_cross_product_of_arrays_is_bounded),
        cmocka_unit_test(count_window_includes_maxT_minus_W),
        cmocka_unit_test(count_window_excludes_older_events),
        cmocka_unit_test(events_at_or_before_r_are_not_counted_and_the_key_is_cleared),
        cmocka_unit_test(an_event_without_the_cardinality_field_counts_but_adds_no_value),
        cmocka_unit_test(bounded_state_keeps_the_newest_values),
        cmocka_unit_test(seed_shape_counts_distinct_values),
        cmocka_unit_test(query_rule_one_alert_per_matching_event),
        cmocka_unit_test(query_rule_ids_are_deterministic),
        cmocka_unit_test(cap_per_interval_bucket),
        cmocka_unit_test(building_block_type_is_in_the_alert),
        cmocka_unit_test(lateness_is_judged_per_rule),
        cmocka_unit_test(bad_time_and_bad_records_are_rejected),
        cmocka_unit_test(timestamp_override_reads_event_ingested),
        cmocka_unit_test(keys_stay_within_the_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
