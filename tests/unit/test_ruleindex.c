/* test_ruleindex.c -- the rule set's prefilter (stream/core/ruleindex.c):
 * which event types each rule requires, the raw skip (literal values,
 * escapes that could spell them, values that may stand unquoted), the
 * rules selected by an event's type, unconstrained rules, and more than
 * 64 rules.  Every record that may_match refuses is also extracted, to
 * show that none of its events holds a required event type.  Rules with
 * no event type get a raw condition from their values and field names:
 * records they match are never skipped, in every input format and with
 * any character escaped (checked by evaluating the queries). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract.h"
#include "fields.h"
#include "kql.h"
#include "prefilter.h"
#include "ruleindex.h"

#define MAXQ 80

static sw_kql *Q[MAXQ];
static size_t NQ;
static sw_parser *P;

static int setup(void **state) {
    (void)state;
    P = sw_parser_new(1 << 20);
    return P ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    sw_parser_free(P);
    return 0;
}

static void clear(void) {
    for (size_t i = 0; i < NQ; i++) sw_kql_free(Q[i]);
    NQ = 0;
}

static void add(const char *query) {
    sw_kql_error err;
    Q[NQ] = query ? sw_kql_compile(query, strlen(query), sw_catalogue_resolve, NULL, &err) : NULL;
    if (query && !Q[NQ]) fail_msg("%s: %s", query, err.message);
    NQ++;
}

static sw_ruleindex *index_of(void) {
    sw_ruleindex *ix = sw_ruleindex_new((const sw_kql *const *)Q, NQ);
    assert_non_null(ix);
    return ix;
}

/* The rules selected for the events of rec (extracted with the index's
 * rows), OR-ed over its events, in word 0; asserts one word. */
static uint64_t selected(const sw_ruleindex *ix, const char *rec) {
    assert_int_equal(sw_ruleindex_words(ix), 1);
    sw_parser_want_fields(P, sw_ruleindex_rows());
    const sw_event *ev;
    size_t n;
    assert_int_equal(sw_parser_extract_events(P, rec, strlen(rec), strlen(rec), NULL, &ev, &n), SW_X_OK);
    uint64_t all = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t m;
        sw_ruleindex_select(ix, ev[i].fields, &m);
        all |= m;
    }
    return all;
}

/* may_match, the same at every scan level (prefilter.h). */
static bool may(const sw_ruleindex *ix, const char *rec) {
    bool best = sw_ruleindex_may_match(ix, rec, strlen(rec));
    for (int level = SW_SCAN_SCALAR; level < SW_SCAN_BEST; level++) {
        sw_prefilter_limit(level);
        if (sw_ruleindex_may_match(ix, rec, strlen(rec)) != best) fail_msg("level %d differs: %s", level, rec);
    }
    sw_prefilter_limit(SW_SCAN_BEST);
    return best;
}

/* may_match says no: and indeed no event of rec selects a constrained rule. */
static void skipped(const sw_ruleindex *ix, const char *rec) {
    if (may(ix, rec)) fail_msg("not skipped: %s", rec);
    assert_int_equal(selected(ix, rec), 0);
}

static void test_constrained(void **state) {
    (void)state;
    add("event.action:policy.rule.update");
    add("data_stream.dataset:okta.system and event.action:(zone.update or \"zone.delete\")");
    add("okta.event_type:user.session.start and okta.authentication_context.external_session_id:*");
    sw_ruleindex *ix = index_of();
    assert_int_equal(sw_ruleindex_event_types(ix, 0), 1);
    assert_int_equal(sw_ruleindex_event_types(ix, 1), 2);
    assert_int_equal(sw_ruleindex_event_types(ix, 2), 1);
    assert_int_equal(sw_ruleindex_event_types(ix, 3), SW_KQL_UNCONSTRAINED);
    assert_true(sw_ruleindex_can_skip(ix));

    assert_true(may(ix, "{\"eventType\":\"policy.rule.update\"}"));
    assert_int_equal(selected(ix, "{\"eventType\":\"policy.rule.update\"}"), 1);
    assert_int_equal(selected(ix, "{\"okta\":{\"event_type\":\"zone.delete\"}}"), 2);
    assert_int_equal(selected(ix, "{\"event\":{\"action\":\"user.session.start\"},\"okta\":{}}"), 4);
    assert_int_equal(selected(ix, "[{\"eventType\":\"zone.update\"},{\"eventType\":\"user.session.start\"}]"), 6);
    /* An escaped event type: not skipped, and selected. */
    const char *escaped = "{\"eventType\":\"zone.delet\\u0065\"}";
    assert_true(may(ix, escaped));
    assert_int_equal(selected(ix, escaped), 2);
    assert_true(may(ix, "{\"eventType\":\"\\u0075ser.session.start\"}"));
    /* Other event types, whole strings only, escapes of characters no
     * value holds: skipped. */
    skipped(ix, "{\"eventType\":\"user.account.lock\"}");
    skipped(ix, "{\"eventType\":\"policy.rule.update2\"}");
    skipped(ix, "{\"eventType\":\"x\",\"displayMessage\":\"see policy.rule.update now\"}");
    skipped(ix, "{\"eventType\":\"x\",\"url\":\"/a?b=1\\u0026c=2\\/d\"}");
    skipped(ix, "{\"eventType\":\"zone.update\\n\"}");
    skipped(ix, "[{\"eventType\":\"a\"},5,{\"okta\":{\"event_type\":\"zone\"}}]");
    /* Quotes and escapes at the very end. */
    assert_false(may(ix, "\"zo"));
    assert_false(may(ix, "\"zone.update"));
    assert_false(may(ix, "\"\\u00"));
    assert_true(may(ix, "\"zone.update\""));
    sw_ruleindex_free(ix);
    clear();
}

static void test_unconstrained(void **state) {
    (void)state;
    add("event.action:zone.delete");
    add("data_stream.dataset:okta.system and (event.action:security.threat.detected or "
        "okta.debug_context.debug_data.threat_suspected:true)");
    add("okta.event_type:user.authentication*");
    add(NULL);
    sw_ruleindex *ix = index_of();
    assert_int_equal(sw_ruleindex_event_types(ix, 0), 1);
    assert_int_equal(sw_ruleindex_event_types(ix, 1), SW_KQL_UNCONSTRAINED);
    assert_int_equal(sw_ruleindex_event_types(ix, 2), SW_KQL_UNCONSTRAINED);
    assert_int_equal(sw_ruleindex_event_types(ix, 3), SW_KQL_UNCONSTRAINED);
    assert_false(sw_ruleindex_can_skip(ix));
    assert_true(may(ix, "{\"eventType\":\"user.account.lock\"}"));
    assert_true(may(ix, ""));
    assert_int_equal(selected(ix, "{\"eventType\":\"user.account.lock\"}"), 0xe);
    assert_int_equal(selected(ix, "{\"eventType\":\"zone.delete\"}"), 0xf);
    uint64_t m;
    sw_ruleindex_select(ix, NULL, &m);
    assert_int_equal(m, 0xf);
    sw_ruleindex_free(ix);
    clear();
}

/* A value that is the text of a JSON number or literal may stand
 * unquoted; a one-byte value turns the skip off. */
static void test_unquoted_and_short(void **state) {
    (void)state;
    add("event.action:12");
    add("okta.event_type:\"true\"");
    sw_ruleindex *ix = index_of();
    assert_true(sw_ruleindex_can_skip(ix));
    assert_true(may(ix, "{\"eventType\":12}"));
    assert_int_equal(selected(ix, "{\"eventType\":12}"), 1);
    assert_true(may(ix, "{\"eventType\":true}"));
    assert_int_equal(selected(ix, "{\"eventType\":true}"), 2);
    skipped(ix, "{\"eventType\":13}");
    sw_ruleindex_free(ix);
    clear();
    add("event.action:x");
    ix = index_of();
    assert_int_equal(sw_ruleindex_event_types(ix, 0), 1);
    assert_false(sw_ruleindex_can_skip(ix));
    assert_true(may(ix, "{}"));
    sw_ruleindex_free(ix);
    clear();
}

/* Each value found wherever it starts in the record (on either side of a
 * 16-byte block's edge), with few and with many distinct first bytes (the
 * scan then stops at every quote); near misses skipped. */
static void value_found_at_every_offset(const sw_ruleindex *ix, const char *value) {
    char rec[160], miss[160];
    for (int pad = 0; pad < 40; pad++) {
        snprintf(rec, sizeof rec, "{\"displayMessage\":\"%*s\",\"eventType\":\"%s\"}", pad, "", value);
        snprintf(miss, sizeof miss, "{\"displayMessage\":\"%*s\",\"eventType\":\"%sx\"}", pad, "", value);
        if (!may(ix, rec)) fail_msg("not found: %s", rec);
        skipped(ix, miss);
    }
}

static void test_block_edges(void **state) {
    (void)state;
    static const char *const values[] = {"zone.delete", "policy.rule.update", "ab", "user.session.start",
                                         "app.oauth2.token.grant"};
    for (size_t nv = 1; nv <= 5; nv++) {
        for (size_t i = 0; i < nv; i++) {
            char q[64];
            snprintf(q, sizeof q, "event.action:\"%s\"", values[i]);
            add(q);
        }
        sw_ruleindex *ix = index_of();
        for (size_t i = 0; i < nv; i++) value_found_at_every_offset(ix, values[i]);
        sw_ruleindex_free(ix);
        clear();
    }
}

/* More than 64 rules: masks of several words; one value shared by rules. */
static void test_many_rules(void **state) {
    (void)state;
    char q[64];
    for (int i = 0; i < 70; i++) {
        snprintf(q, sizeof q, "event.action:type.%d or event.action:shared.type", i);
        add(q);
    }
    sw_ruleindex *ix = index_of();
    assert_int_equal(sw_ruleindex_words(ix), 2);
    assert_int_equal(sw_ruleindex_event_types(ix, 69), 2);
    sw_parser_want_fields(P, sw_ruleindex_rows());
    const sw_event *ev;
    size_t n;
    const char *rec = "{\"eventType\":\"type.69\"}";
    assert_true(may(ix, rec));
    assert_int_equal(sw_parser_extract_events(P, rec, strlen(rec), strlen(rec), NULL, &ev, &n), SW_X_OK);
    uint64_t m[2];
    sw_ruleindex_select(ix, ev[0].fields, m);
    assert_int_equal(m[0], 0);
    assert_int_equal(m[1], (uint64_t)1 << 5);
    rec = "{\"eventType\":\"shared.type\"}";
    assert_int_equal(sw_parser_extract_events(P, rec, strlen(rec), strlen(rec), NULL, &ev, &n), SW_X_OK);
    sw_ruleindex_select(ix, ev[0].fields, m);
    assert_int_equal(m[0], ~(uint64_t)0);
    assert_int_equal(m[1], 0x3f);
    assert_false(may(ix, "{\"eventType\":\"type.70\"}"));
    sw_ruleindex_free(ix);
    clear();
}

static void test_no_rules(void **state) {
    (void)state;
    sw_ruleindex *ix = index_of();
    assert_false(sw_ruleindex_can_skip(ix));
    assert_true(may(ix, "{}"));
    uint64_t m = 1;
    sw_ruleindex_select(ix, NULL, &m);
    assert_int_equal(m, 0);
    assert_int_equal(sw_ruleindex_rows(), (uint64_t)1 << sw_catalogue_find("event.action", 12) |
                                              (uint64_t)1 << sw_catalogue_find("okta.event_type", 15));
    sw_ruleindex_free(ix);
}

/* ---- raw conditions of rules without event types --------------------------- */

/* Shaped like Elastic's four Okta rules that constrain no event type. */
static const char *const OPEN_RULES[] = {
    "event.dataset:okta.system and okta.debug_context.debug_data.risk_behaviors:*",
    "data_stream.dataset:okta.system and (event.action:security.threat.detected or "
    "okta.debug_context.debug_data.threat_suspected: true)",
    "event.dataset: \"okta.system\" and event.category: \"authentication\" and "
    "okta.target.alternate_id: \"Okta Admin Console\" and okta.outcome.result: \"FAILURE\"",
    "data_stream.dataset:okta.system and not okta.actor.id:okta* and okta.debug_context.debug_data.dt_hash:* "
    "and okta.event_type:user.authentication* and okta.security_context.is_proxy:true",
};
#define N_OPEN (sizeof OPEN_RULES / sizeof OPEN_RULES[0])

/* Does any query of Q match an event of rec (extracted with every row)? */
static bool some_rule_matches(const char *rec, size_t len) {
    size_t nrows;
    sw_catalogue(&nrows);
    sw_parser_want_fields(P, ((uint64_t)1 << nrows) - 1);
    const sw_event *ev;
    size_t n;
    if (sw_parser_extract_events(P, rec, len, len, NULL, &ev, &n) != SW_X_OK) return false;
    for (size_t i = 0; i < n; i++)
        for (size_t q = 0; q < NQ; q++)
            if (Q[q] && sw_kql_match(Q[q], ev[i].fields, SW_CATALOGUE_MAX)) return true;
    return false;
}

/* rec matches a rule (asserted), so it is never skipped; nor is any copy
 * of it with one character of a string spelt as \u00XX that still
 * matches. */
static void never_skipped(const sw_ruleindex *ix, const char *rec) {
    size_t len = strlen(rec);
    if (!some_rule_matches(rec, len)) fail_msg("matches no rule: %s", rec);
    if (!may(ix, rec)) fail_msg("skipped but matches: %s", rec);
    char esc[1024];
    assert_true(len + 6 < sizeof esc);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)rec[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '=' || c == ' '))
            continue;
        memcpy(esc, rec, i);
        snprintf(esc + i, sizeof esc - i, "\\u%04X%s", c, rec + i + 1);
        if (some_rule_matches(esc, strlen(esc)) && !may(ix, esc)) fail_msg("skipped but matches: %s", esc);
    }
}

/* may_match says no, and indeed no rule matches rec. */
static void skipped_unmatched(const sw_ruleindex *ix, const char *rec) {
    if (may(ix, rec)) fail_msg("not skipped: %s", rec);
    assert_false(some_rule_matches(rec, strlen(rec)));
}

static sw_ruleindex *open_rules_index(void) {
    for (size_t i = 0; i < N_OPEN; i++) add(OPEN_RULES[i]);
    sw_ruleindex *ix = index_of();
    for (size_t i = 0; i < N_OPEN; i++) {
        assert_int_equal(sw_ruleindex_event_types(ix, i), SW_KQL_UNCONSTRAINED);
        if (sw_ruleindex_raw_clauses(ix, i) == 0) fail_msg("no raw condition: %s", OPEN_RULES[i]);
    }
    assert_true(sw_ruleindex_can_skip(ix));
    return ix;
}

/* Each rule's positive case, in each input format, is never skipped. */
static void test_raw_conditions_found(void **state) {
    (void)state;
    sw_ruleindex *ix = open_rules_index();
    /* risk_behaviors: raw (derived from debugData.behaviors), ECS nested and dotted, EventBridge */
    never_skipped(ix, "{\"eventType\":\"user.session.start\",\"debugContext\":{\"debugData\":"
                      "{\"behaviors\":\"{New IP=NEGATIVE, New Device=POSITIVE}\"}}}");
    never_skipped(ix, "{\"okta\":{\"debug_context\":{\"debug_data\":{\"risk_behaviors\":[\"New Device\"]}}},"
                      "\"event\":{\"dataset\":\"okta.system\"}}");
    never_skipped(ix, "{\"okta.debug_context.debug_data.risk_behaviors\":\"x\",\"event.dataset\":\"okta.system\"}");
    never_skipped(ix, "{\"detail-type\":\"SystemLog\",\"detail\":{\"eventType\":\"a.b\",\"debugContext\":"
                      "{\"debugData\":{\"behaviors\":\"{Velocity=POSITIVE}\"}}}}");
    /* threat: either side of the OR; the keyword matches "true" and true */
    never_skipped(ix, "{\"eventType\":\"security.threat.detected\"}");
    never_skipped(ix, "{\"eventType\":\"x.y\",\"debugContext\":{\"debugData\":{\"threatSuspected\":\"true\"}}}");
    never_skipped(ix, "{\"eventType\":\"x.y\",\"debugContext\":{\"debugData\":{\"threatSuspected\" : true }}}");
    never_skipped(ix, "{\"okta\":{\"debug_context\":{\"debug_data\":{\"threat_suspected\":\"true\"}}},"
                      "\"data_stream\":{\"dataset\":\"okta.system\"}}");
    /* admin console, target an array of objects */
    never_skipped(ix, "{\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"FAILURE\"},"
                      "\"target\":[{\"alternateId\":\"x\"},{\"alternateId\":\"Okta Admin Console\"}]}");
    never_skipped(ix, "{\"okta\":{\"target\":{\"alternate_id\":\"Okta Admin Console\"},\"outcome\":"
                      "{\"result\":\"FAILURE\"}},\"event\":{\"category\":[\"authentication\"],"
                      "\"dataset\":\"okta.system\"}}");
    /* proxy: a wildcard on the event type, a boolean and a key */
    never_skipped(ix, "{\"eventType\":\"user.authentication.sso\",\"actor\":{\"id\":\"00u1\"},\"securityContext\":"
                      "{\"isProxy\":true},\"debugContext\":{\"debugData\":{\"dtHash\":\"abc\"}}}");
    never_skipped(ix, "[{\"eventType\":\"a.b\"},{\"okta.event_type\":\"user.authentication.verify\","
                      "\"okta.security_context.is_proxy\":\"true\",\"okta.debug_context.debug_data.dt_hash\":\"d\","
                      "\"data_stream.dataset\":\"okta.system\"}]");
    sw_ruleindex_free(ix);
    clear();
}

/* Records that hold no rule's condition are skipped; near misses too. */
static void test_raw_conditions_skip(void **state) {
    (void)state;
    sw_ruleindex *ix = open_rules_index();
    skipped_unmatched(ix, "{\"eventType\":\"user.session.start\",\"debugContext\":{\"debugData\":"
                          "{\"behaviors\":\"{New IP=NEGATIVE, New Device=NEGATIVE}\",\"threatSuspected\":\"false\"}},"
                          "\"securityContext\":{\"isProxy\":false},\"outcome\":{\"result\":\"SUCCESS\"}}");
    skipped_unmatched(ix, "{\"eventType\":\"security.threat.detected2\",\"target\":[{\"alternateId\":"
                          "\"Okta Admin Console \"}]}");
    skipped_unmatched(ix, "{\"eventType\":\"user.authentication.sso\",\"securityContext\":{\"isProxy\":false}}");
    /* escapes of characters no needle holds do not stop the skip */
    skipped_unmatched(ix, "{\"eventType\":\"x\",\"url\":\"/a?b=1\\u0026c=2\\/d\"}");
    /* one atom of a two-clause rule is not enough: "true" without the
     * threat key, the key without "true" */
    skipped_unmatched(ix, "{\"eventType\":\"x.y\",\"url\":\"/v?autoPush=true\"}");
    skipped_unmatched(ix, "{\"eventType\":\"x.y\",\"debugContext\":{\"debugData\":{\"threatSuspected\":\"false\"}}}");
    sw_ruleindex_free(ix);
    clear();
}

/* A rule whose query needs nothing the raw bytes show still turns the
 * skip off: a negation, a dataset (every raw record has one). */
static void test_raw_conditions_none(void **state) {
    (void)state;
    static const struct {
        const char *query;
        size_t clauses;
    } rules[] = {{"event.action:zone.delete", 1},
                 {"not okta.actor.id:x", 0},
                 {"data_stream.dataset:okta.system and event.outcome:failure", 0}};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) add(rules[i].query);
    sw_ruleindex *ix = index_of();
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        assert_int_equal(sw_ruleindex_raw_clauses(ix, i), rules[i].clauses);
    assert_false(sw_ruleindex_can_skip(ix));
    assert_true(may(ix, "{}"));
    sw_ruleindex_free(ix);
    clear();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constrained),     cmocka_unit_test(test_unconstrained),
        cmocka_unit_test(test_unquoted_and_short), cmocka_unit_test(test_many_rules),
        cmocka_unit_test(test_block_edges),
        cmocka_unit_test(test_no_rules),
        cmocka_unit_test(test_raw_conditions_found), cmocka_unit_test(test_raw_conditions_skip),
        cmocka_unit_test(test_raw_conditions_none),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
