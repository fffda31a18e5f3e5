/* test_kql.c -- pins the KQL subset compiler and evaluator (stream/core/kql.c):
 *
 *   - every clause of the subset, by value, on records built here: exact
 *     and quoted values, values with inner spaces, wildcards (prefix,
 *     suffix, infix; case-sensitive; * in quotes and \* literal; ? literal),
 *     f:*, arrays, not on a missing field, value lists with and/not and
 *     nesting, booleans on boolean and keyword fields, integers on long and
 *     keyword fields, ip addresses, escapes, trimming;
 *   - precedence (NOT > AND > OR) and case-insensitive keywords;
 *   - every refusal with its message and its line and column;
 *   - the required event types for the prefilter, and the fields read;
 *   - the seed rule's query (rule.h) as KQL, on its own cases;
 *   - witnesses and near misses (sw_kql_witness_find) of representative
 *     queries, by value, each checked to match / not to match;
 *   - when ../shared/testdata/rules/okta is present (SW_TESTDATA points at
 *     .../testdata/okta; the rules are its sibling ../rules/okta): every
 *     kuery rule's query compiles, with the fields they name listed.  The
 *     query is taken out of the TOML by a few lines of line-based reading,
 *     enough for those files; the product will use a real TOML parser. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kql.h"
#include "testutil.h"

/* ---- a small catalogue ------------------------------------------------------ */

enum {
    F_ACTION,  /* event.action */
    F_ETYPE,   /* okta.event_type */
    F_ACTOR,   /* okta.actor.id */
    F_NAME,    /* okta.actor.display_name */
    F_PROXY,   /* okta.security_context.is_proxy (boolean) */
    F_THREAT,  /* okta.debug_context.debug_data.threat_suspected (keyword) */
    F_COUNT,   /* okta.request.count (long, for the tests) */
    F_IP,      /* client.ip (ip) */
    F_GRANT,   /* okta.debug_context.debug_data.flattened.grantType (flattened) */
    F_DATASET, /* data_stream.dataset */
    F_TARGET,  /* okta.target.alternate_id (an array in Okta) */
    F_REASON,  /* okta.outcome.reason */
    F_SESSION, /* okta.authentication_context.external_session_id */
    F_ODD,     /* "odd name*" (reachable quoted or escaped only) */
    NF
};

static const struct {
    const char *name;
    sw_kql_ftype type;
} CATALOGUE[NF] = {
    [F_ACTION] = {"event.action", SW_KQL_KEYWORD},
    [F_ETYPE] = {"okta.event_type", SW_KQL_KEYWORD},
    [F_ACTOR] = {"okta.actor.id", SW_KQL_KEYWORD},
    [F_NAME] = {"okta.actor.display_name", SW_KQL_KEYWORD},
    [F_PROXY] = {"okta.security_context.is_proxy", SW_KQL_BOOLEAN},
    [F_THREAT] = {"okta.debug_context.debug_data.threat_suspected", SW_KQL_KEYWORD},
    [F_COUNT] = {"okta.request.count", SW_KQL_LONG},
    [F_IP] = {"client.ip", SW_KQL_IP},
    [F_GRANT] = {"okta.debug_context.debug_data.flattened.grantType", SW_KQL_FLATTENED},
    [F_DATASET] = {"data_stream.dataset", SW_KQL_KEYWORD},
    [F_TARGET] = {"okta.target.alternate_id", SW_KQL_KEYWORD},
    [F_REASON] = {"okta.outcome.reason", SW_KQL_KEYWORD},
    [F_SESSION] = {"okta.authentication_context.external_session_id", SW_KQL_KEYWORD},
    [F_ODD] = {"odd name*", SW_KQL_KEYWORD},
};

static int resolve(void *ctx, const char *name, size_t len, uint32_t *index, sw_kql_ftype *type) {
    (void)ctx;
    assert_int_equal(name[len], '\0');
    for (uint32_t i = 0; i < NF; i++) {
        if (strlen(CATALOGUE[i].name) == len && memcmp(CATALOGUE[i].name, name, len) == 0) {
            *index = i;
            *type = CATALOGUE[i].type;
            return 0;
        }
    }
    return -1;
}

/* ---- records -------------------------------------------------------------- */

#define MAXV 4
typedef struct {
    sw_kql_value v[NF][MAXV];
    sw_kql_field f[NF];
} rec;

static void rec_clear(rec *r) {
    memset(r, 0, sizeof *r);
    for (int i = 0; i < NF; i++) r->f[i].v = r->v[i];
}

static sw_kql_value *add(rec *r, int field) {
    assert_true(r->f[field].n < MAXV);
    return &r->v[field][r->f[field].n++];
}

static void str(rec *r, int field, const char *s) {
    *add(r, field) = (sw_kql_value){.p = s, .n = (uint32_t)strlen(s), .kind = SW_KQL_V_STRING};
}

static void boolean(rec *r, int field, int b) {
    *add(r, field) = (sw_kql_value){.kind = SW_KQL_V_BOOL, .b = (uint8_t)b};
}

static void integer(rec *r, int field, int64_t i) { *add(r, field) = (sw_kql_value){.kind = SW_KQL_V_INT, .i = i}; }

/* A record whose only field is `field` holding the one string s. */
static rec *one(int field, const char *s) {
    static rec r;
    rec_clear(&r);
    str(&r, field, s);
    return &r;
}

static sw_kql *compile(const char *q) {
    sw_kql_error e;
    sw_kql *k = sw_kql_compile(q, strlen(q), resolve, NULL, &e);
    if (!k) fail_msg("refused %s: %u:%u %s", q, e.line, e.column, e.message);
    return k;
}

static bool match(const char *q, const rec *r) {
    sw_kql *k = compile(q);
    bool m = sw_kql_match(k, r->f, NF);
    sw_kql_free(k);
    return m;
}

/* Refused, at line:column, with a message containing `what`. */
static void refused(const char *q, uint32_t line, uint32_t column, const char *what) {
    sw_kql_error e;
    sw_kql *k = sw_kql_compile(q, strlen(q), resolve, NULL, &e);
    if (k) {
        sw_kql_free(k);
        fail_msg("accepted: %s", q);
    }
    if (!strstr(e.message, what)) fail_msg("%s: message \"%s\" lacks \"%s\"", q, e.message, what);
    if (e.line != line || e.column != column)
        fail_msg("%s: at %u:%u, expected %u:%u (%s)", q, e.line, e.column, line, column, e.message);
}

/* ---- values ----------------------------------------------------------------- */

static void test_exact_values(void **state) {
    (void)state;
    assert_true(match("event.action:user.session.start", one(F_ACTION, "user.session.start")));
    assert_false(match("event.action:user.session.start", one(F_ACTION, "user.session.START")));
    assert_false(match("event.action:user.session.start", one(F_ACTION, "user.session.start2")));
    assert_false(match("event.action:user.session.start", one(F_ACTION, "user.session.star")));
    assert_false(match("event.action:user.session.start", one(F_ETYPE, "user.session.start")));
    /* spaces around the colon, quoted values, quoted field names */
    assert_true(match("event.action : \"user.session.start\"", one(F_ACTION, "user.session.start")));
    assert_true(match("\"event.action\":x", one(F_ACTION, "x")));
    assert_true(match("okta.outcome.reason:\"FastPass declined phishing attempt\"",
                      one(F_REASON, "FastPass declined phishing attempt")));
    assert_false(match("okta.outcome.reason:\"FastPass declined phishing attempt\"",
                       one(F_REASON, "fastpass declined phishing attempt")));
    /* an unquoted value keeps its inner spaces (Kibana's grammar) and is
     * trimmed at both ends */
    assert_true(match("okta.target.alternate_id: Okta Admin Console ", one(F_TARGET, "Okta Admin Console")));
    assert_false(match("okta.target.alternate_id: Okta Admin Console", one(F_TARGET, "Okta")));
    assert_true(match("okta.target.alternate_id:(  Okta  Admin )", one(F_TARGET, "Okta  Admin")));
    /* a quoted value is not trimmed; "" is a value */
    assert_false(match("okta.target.alternate_id:\" a \"", one(F_TARGET, "a")));
    assert_true(match("okta.target.alternate_id:\" a \"", one(F_TARGET, " a ")));
    assert_true(match("okta.target.alternate_id:\"\"", one(F_TARGET, "")));
    /* bytes beyond ASCII compare as bytes */
    assert_true(match("okta.actor.display_name:Zoë", one(F_NAME, "Zoë")));
    assert_false(match("okta.actor.display_name:Zoë", one(F_NAME, "Zoe")));
    /* a field name with a space and a star, reachable quoted or escaped */
    assert_true(match("\"odd name*\":1", one(F_ODD, "1")));
    assert_true(match("odd name\\*:1", one(F_ODD, "1")));
}

static void test_wildcards(void **state) {
    (void)state;
    const char *prefix = "okta.actor.id:okta*";
    assert_true(match(prefix, one(F_ACTOR, "okta")));
    assert_true(match(prefix, one(F_ACTOR, "okta0123")));
    assert_false(match(prefix, one(F_ACTOR, "Okta0123"))); /* case-sensitive */
    assert_false(match(prefix, one(F_ACTOR, "xokta")));
    const char *suffix = "okta.actor.id:*admin";
    assert_true(match(suffix, one(F_ACTOR, "admin")));
    assert_true(match(suffix, one(F_ACTOR, "superadmin")));
    assert_false(match(suffix, one(F_ACTOR, "admins")));
    const char *infix = "okta.debug_context.debug_data.flattened.grantType: *administrator*";
    assert_true(match(infix, one(F_GRANT, "Super administrator role")));
    assert_true(match(infix, one(F_GRANT, "administrator")));
    assert_false(match(infix, one(F_GRANT, "Administrator")));
    const char *many = "okta.actor.id:a*b*c";
    assert_true(match(many, one(F_ACTOR, "abc")));
    assert_true(match(many, one(F_ACTOR, "a-b-c")));
    assert_true(match(many, one(F_ACTOR, "abbbc")));
    assert_false(match(many, one(F_ACTOR, "ab")));
    assert_false(match(many, one(F_ACTOR, "acb")));
    assert_false(match(many, one(F_ACTOR, "abca"))); /* the tail must end it */
    assert_true(match("okta.actor.id:a*bc*bc", one(F_ACTOR, "abcbc")));
    assert_false(match("okta.actor.id:ab*ba", one(F_ACTOR, "aba"))); /* head and tail may not overlap */
    /* a * inside quotes, and an escaped \*, are literal */
    assert_true(match("okta.actor.id:\"okta*\"", one(F_ACTOR, "okta*")));
    assert_false(match("okta.actor.id:\"okta*\"", one(F_ACTOR, "okta1")));
    assert_true(match("okta.actor.id:okta\\*", one(F_ACTOR, "okta*")));
    assert_false(match("okta.actor.id:okta\\*", one(F_ACTOR, "okta1")));
    assert_true(match("okta.actor.id:\\**", one(F_ACTOR, "*x")));
    assert_false(match("okta.actor.id:\\**", one(F_ACTOR, "x*")));
    /* ? is an ordinary character in KQL (Kibana escapes it for
     * Elasticsearch), not a one-character wildcard */
    assert_true(match("okta.actor.id:a?c", one(F_ACTOR, "a?c")));
    assert_false(match("okta.actor.id:a?c", one(F_ACTOR, "abc")));
    /* ** matches any value, like f:* on a keyword */
    assert_true(match("okta.actor.id:**", one(F_ACTOR, "")));
}

static void test_exists_arrays_missing(void **state) {
    (void)state;
    rec r;
    rec_clear(&r);
    const char *ex = "okta.authentication_context.external_session_id:*";
    assert_false(match(ex, &r)); /* missing (or null) */
    assert_false(match(" okta.authentication_context.external_session_id : * ", &r));
    str(&r, F_SESSION, "");
    assert_true(match(ex, &r)); /* "" is a value */
    rec_clear(&r);
    boolean(&r, F_SESSION, 0);
    assert_true(match(ex, &r));
    /* an index beyond the caller's table is missing */
    sw_kql *k = compile(ex);
    assert_false(sw_kql_match(k, r.f, F_SESSION));
    assert_false(sw_kql_match(k, NULL, 0));
    sw_kql_free(k);
    /* f:* on a boolean, long or ip field is allowed */
    rec_clear(&r);
    boolean(&r, F_PROXY, 0);
    assert_true(match("okta.security_context.is_proxy:*", &r));
    assert_false(match("client.ip:*", &r));

    /* arrays: any element */
    rec_clear(&r);
    str(&r, F_TARGET, "alice@example.com");
    str(&r, F_TARGET, "Okta Admin Console");
    assert_true(match("okta.target.alternate_id:\"Okta Admin Console\"", &r));
    assert_true(match("okta.target.alternate_id:alice*", &r));
    assert_false(match("okta.target.alternate_id:bob*", &r));
    assert_true(match("okta.target.alternate_id:(alice@example.com and \"Okta Admin Console\")", &r));
    assert_false(match("not okta.target.alternate_id:\"Okta Admin Console\"", &r));
    assert_true(match("okta.target.alternate_id:(* and not \"Okta\")", &r));

    /* not on a missing field is true; on an empty array too */
    rec_clear(&r);
    assert_true(match("not okta.actor.id:okta*", &r));
    assert_true(match("not okta.debug_context.debug_data.threat_suspected:true", &r));
    assert_true(match("not okta.request.count:5", &r));
    assert_false(match("okta.actor.id:okta*", &r));
    assert_false(match("okta.target.alternate_id:(* and not \"Okta\")", &r));
    r.f[F_ACTOR].v = NULL; /* a NULL array is missing too */
    r.f[F_ACTOR].n = 3;
    assert_true(match("not okta.actor.id:*", &r));
}

static void test_booleans(void **state) {
    (void)state;
    rec r;
    /* a boolean field: the JSON boolean, and the strings Elasticsearch
     * accepts in one ("true", "false", "" as false) */
    const char *t = "okta.security_context.is_proxy:true", *f = "okta.security_context.is_proxy:false";
    rec_clear(&r);
    boolean(&r, F_PROXY, 1);
    assert_true(match(t, &r));
    assert_false(match(f, &r));
    assert_true(match("okta.security_context.is_proxy:\"true\"", &r));
    rec_clear(&r);
    boolean(&r, F_PROXY, 0);
    assert_false(match(t, &r));
    assert_true(match(f, &r));
    assert_true(match(t, one(F_PROXY, "true")));
    assert_false(match(t, one(F_PROXY, "True")));
    assert_true(match(f, one(F_PROXY, "false")));
    assert_true(match(f, one(F_PROXY, "")));
    assert_false(match(t, one(F_PROXY, "yes")));
    rec_clear(&r);
    integer(&r, F_PROXY, 1);
    assert_false(match(t, &r));
    /* a keyword field (threat_suspected in the Okta mapping): the string,
     * and a JSON boolean as Elasticsearch indexes it there ("true") */
    const char *kw = "okta.debug_context.debug_data.threat_suspected: true";
    assert_true(match(kw, one(F_THREAT, "true")));
    assert_false(match(kw, one(F_THREAT, "True")));
    assert_false(match(kw, one(F_THREAT, "false")));
    rec_clear(&r);
    boolean(&r, F_THREAT, 1);
    assert_true(match(kw, &r));
    assert_false(match("okta.debug_context.debug_data.threat_suspected:false", &r));
    assert_true(match("okta.debug_context.debug_data.threat_suspected:\"true\"", &r));
}

static void test_numbers(void **state) {
    (void)state;
    rec r;
    rec_clear(&r);
    integer(&r, F_COUNT, 5);
    assert_true(match("okta.request.count:5", &r));
    assert_true(match("okta.request.count:\"5\"", &r));
    assert_true(match("okta.request.count:+5", &r));
    assert_false(match("okta.request.count:6", &r));
    assert_false(match("okta.request.count:-5", &r));
    assert_true(match("okta.request.count:5", one(F_COUNT, "5"))); /* Elasticsearch coerces */
    assert_false(match("okta.request.count:5", one(F_COUNT, "5x")));
    rec_clear(&r);
    integer(&r, F_COUNT, INT64_MIN);
    assert_true(match("okta.request.count:-9223372036854775808", &r));
    rec_clear(&r);
    integer(&r, F_COUNT, INT64_MAX);
    assert_true(match("okta.request.count:9223372036854775807", &r));
    /* a number on a keyword field is text: it matches the string and a
     * JSON number with that text */
    assert_true(match("okta.actor.id:12345", one(F_ACTOR, "12345")));
    assert_false(match("okta.actor.id:12345", one(F_ACTOR, "012345")));
    rec_clear(&r);
    integer(&r, F_ACTOR, 12345);
    assert_true(match("okta.actor.id:12345", &r));
    rec_clear(&r);
    integer(&r, F_ACTOR, -7);
    assert_true(match("okta.actor.id:-7", &r));
    assert_true(match("okta.actor.id:-*", &r));
    assert_false(match("okta.actor.id:7", &r));
}

static void test_ip(void **state) {
    (void)state;
    assert_true(match("client.ip:192.0.2.7", one(F_IP, "192.0.2.7")));
    assert_false(match("client.ip:192.0.2.7", one(F_IP, "192.0.2.70")));
    assert_true(match("client.ip:192.0.2.7", one(F_IP, "::ffff:192.0.2.7")));
    assert_true(match("client.ip:\"2001:db8::1\"", one(F_IP, "2001:0db8:0:0:0:0:0:1")));
    assert_false(match("client.ip:\"2001:db8::1\"", one(F_IP, "2001:db8::2")));
    assert_false(match("client.ip:192.0.2.7", one(F_IP, "not an ip")));
    rec r;
    rec_clear(&r);
    integer(&r, F_IP, 7);
    assert_false(match("client.ip:192.0.2.7", &r));
}

static void test_lists(void **state) {
    (void)state;
    const char *q = "event.action:(zone.update or network_zone.rule.disabled or \"zone.remove_blacklist\")";
    assert_true(match(q, one(F_ACTION, "zone.update")));
    assert_true(match(q, one(F_ACTION, "network_zone.rule.disabled")));
    assert_true(match(q, one(F_ACTION, "zone.remove_blacklist")));
    assert_false(match(q, one(F_ACTION, "zone.delete")));
    /* multi-line, as in the TOML files */
    const char *ml = "event.action: (\n        \"user.authentication.verify\" or\n"
                     "        \"user.authentication.auth_via_mfa\"\n    )";
    assert_true(match(ml, one(F_ACTION, "user.authentication.auth_via_mfa")));
    assert_false(match(ml, one(F_ACTION, "user.authentication.sso")));
    /* and / not inside a list, and nesting */
    const char *an = "okta.actor.display_name:(Okta* and not \"Okta System\")";
    assert_true(match(an, one(F_NAME, "Okta Integration")));
    assert_false(match(an, one(F_NAME, "Okta System")));
    assert_false(match(an, one(F_NAME, "Datadog")));
    const char *nest = "okta.actor.id:((a* or b*) and not (*x or *y))";
    assert_true(match(nest, one(F_ACTOR, "a1")));
    assert_true(match(nest, one(F_ACTOR, "b1")));
    assert_false(match(nest, one(F_ACTOR, "ax")));
    assert_false(match(nest, one(F_ACTOR, "by")));
    assert_false(match(nest, one(F_ACTOR, "c1")));
    assert_true(match("okta.actor.id:(not a)", one(F_ACTOR, "b")));
    assert_false(match("okta.actor.id:(not a)", one(F_ACTOR, "a")));
    assert_true(match("okta.actor.id:(a)", one(F_ACTOR, "a")));
    /* precedence in lists: a or b and c is a or (b and c) */
    assert_true(match("okta.actor.id:(a or b and c)", one(F_ACTOR, "a")));
    assert_false(match("okta.actor.id:(a or b and c)", one(F_ACTOR, "b")));
    /* case-insensitive keywords in lists */
    assert_true(match("okta.actor.id:(a OR b)", one(F_ACTOR, "b")));
    assert_true(match("okta.actor.id:(a AnD NoT b)", one(F_ACTOR, "a")));
    /* a keyword needs spaces around it: "a or(b)" is not a list of two */
    refused("okta.actor.id:(a or(b))", 1, 20, "expected `)`");
}

static void test_precedence(void **state) {
    (void)state;
    rec r;
    /* a or b and c == a or (b and c) */
    const char *q1 = "okta.actor.id:a or okta.actor.id:b and event.action:c";
    assert_true(match(q1, one(F_ACTOR, "a")));
    assert_false(match(q1, one(F_ACTOR, "b")));
    rec_clear(&r);
    str(&r, F_ACTOR, "b");
    str(&r, F_ACTION, "c");
    assert_true(match(q1, &r));
    /* a and b or c == (a and b) or c */
    const char *q2 = "okta.actor.id:a and event.action:b or okta.actor.display_name:c";
    assert_true(match(q2, one(F_NAME, "c")));
    assert_false(match(q2, one(F_ACTOR, "a")));
    /* parentheses override */
    const char *q3 = "okta.actor.id:a and (event.action:b or okta.actor.display_name:c)";
    assert_false(match(q3, one(F_NAME, "c")));
    rec_clear(&r);
    str(&r, F_ACTOR, "a");
    str(&r, F_NAME, "c");
    assert_true(match(q3, &r));
    /* not binds tighter than and: not a and b == (not a) and b */
    const char *q4 = "not okta.actor.id:a and event.action:b";
    assert_true(match(q4, one(F_ACTION, "b")));
    rec_clear(&r);
    assert_false(match(q4, &r)); /* would be true as not (a and b) */
    assert_true(match("not (okta.actor.id:a and event.action:b)", &r));
    /* not binds tighter than or */
    const char *q5 = "not okta.actor.id:a or event.action:b";
    assert_true(match(q5, &r));
    rec_clear(&r);
    str(&r, F_ACTOR, "a");
    assert_false(match(q5, &r));
    str(&r, F_ACTION, "b");
    assert_true(match(q5, &r));
    /* keywords in any case; line breaks as spaces */
    assert_true(match("okta.actor.id:a\nOR\tevent.action:b", one(F_ACTION, "b")));
    assert_false(match("okta.actor.id:a AND event.action:b", one(F_ACTION, "b")));
    assert_true(match("NOT okta.actor.id:a", one(F_ACTION, "b")));
    assert_true(match("nOt okta.actor.id:a aNd event.action:b", one(F_ACTION, "b")));
    /* deep parentheses and a not of a group */
    assert_true(match("((((okta.actor.id:a))))", one(F_ACTOR, "a")));
    assert_true(match("not (not okta.actor.id:a)", one(F_ACTOR, "a")));
    assert_false(match("not (not okta.actor.id:a)", one(F_ACTOR, "b")));
    /* U+00A0 is a space to KQL */
    assert_true(match("okta.actor.id:a\xC2\xA0or\xC2\xA0okta.actor.id:b", one(F_ACTOR, "b")));
}

static void test_escapes(void **state) {
    (void)state;
    assert_true(match("okta.actor.id:a\\(b\\)\\:c\\\"d\\\\e\\{f\\}g\\<h\\>", one(F_ACTOR, "a(b):c\"d\\e{f}g<h>")));
    assert_true(match("okta.actor.id:\\u0041\\u00e9", one(F_ACTOR, "A\xC3\xA9")));
    assert_true(match("okta.actor.id:\\uD83D\\uDE00", one(F_ACTOR, "\xF0\x9F\x98\x80"))); /* a pair */
    assert_true(match("okta.actor.id:x\\uD83Dy", one(F_ACTOR, "x\xEF\xBF\xBDy"))); /* lone: U+FFFD */
    assert_true(match("okta.actor.id:a\\tb", one(F_ACTOR, "a\tb")));
    assert_true(match("okta.actor.id:a\\rb\\nc", one(F_ACTOR, "a\rb\nc")));
    /* escaped keywords keep their spelling and do not split the value */
    assert_true(match("okta.actor.id:a \\or b", one(F_ACTOR, "a or b")));
    assert_true(match("okta.actor.id:a \\AND b", one(F_ACTOR, "a AND b")));
    assert_true(match("okta.actor.id:can\\NOT be", one(F_ACTOR, "canNOT be")));
    /* ...but \n comes first: "\not" is a newline and "ot" (as in Kibana),
     * and a leading newline is trimmed */
    assert_true(match("okta.actor.id:x\\not", one(F_ACTOR, "x\not")));
    assert_true(match("okta.actor.id:\\not", one(F_ACTOR, "ot")));
    /* trimming also removes escaped whitespace at the ends */
    assert_true(match("okta.actor.id:\\ta\\t", one(F_ACTOR, "a")));
    /* quoted: \" \\ \t \r \n \uXXXX; any other backslash is kept */
    assert_true(match("okta.actor.id:\"a\\\"b\\\\c\"", one(F_ACTOR, "a\"b\\c")));
    assert_true(match("okta.actor.id:\"a\\*b\\qc\"", one(F_ACTOR, "a\\*b\\qc")));
    assert_true(match("okta.actor.id:\"\\u0041\\n\"", one(F_ACTOR, "A\n")));
    assert_true(match("okta.actor.id:\"\\uZZ\"", one(F_ACTOR, "\\uZZ")));
    assert_true(match("okta.actor.id:\"a or b and not c\"", one(F_ACTOR, "a or b and not c")));
    assert_true(match("okta.actor.id:\"line1\nline2\"", one(F_ACTOR, "line1\nline2")));
    /* NUL bytes are ordinary bytes */
    sw_kql_error e;
    const char q[] = "okta.actor.id:a\0b";
    sw_kql *k = sw_kql_compile(q, sizeof q - 1, resolve, NULL, &e);
    assert_non_null(k);
    rec r;
    rec_clear(&r);
    *add(&r, F_ACTOR) = (sw_kql_value){.p = "a\0b", .n = 3, .kind = SW_KQL_V_STRING};
    assert_true(sw_kql_match(k, r.f, NF));
    rec_clear(&r);
    str(&r, F_ACTOR, "a");
    assert_false(sw_kql_match(k, r.f, NF));
    sw_kql_free(k);
}

/* ---- refusals --------------------------------------------------------------- */

static void test_refusals(void **state) {
    (void)state;
    /* constructs outside the subset */
    refused("okta.request.count > 5", 1, 1, "range query `okta.request.count >");
    refused("okta.request.count >= 5", 1, 1, "range query `okta.request.count >=");
    refused("event.action:x and okta.request.count<5", 1, 20, "range query `okta.request.count <");
    refused("okta.request.count<=5", 1, 1, "range query");
    refused("okta.target:{ alternate_id:x }", 1, 1, "nested query");
    refused("event.action:x or\n  okta.target : {alternate_id:x}", 2, 3, "nested query");
    refused("user.session.start", 1, 1, "free text `user.session.start` without a field");
    refused("event.action:x and \"quoted text\"", 1, 20, "free text `\"quoted text\"`");
    refused("*", 1, 1, "free text `*`");
    refused("okta.*:x", 1, 1, "field-name wildcard `okta.*`");
    refused("event.action:x and *:x", 1, 20, "field-name wildcard `*`");
    refused("client.ip:10.0.0.0/8", 1, 11, "CIDR");
    refused("client.ip:(192.0.2.1 or \"10.0.0.0/8\")", 1, 25, "CIDR");
    refused("event.action:x and no.such.field:x", 1, 20, "unknown field `no.such.field`");
    refused("\"event.action \":x", 1, 1, "unknown field `event.action `");
    refused("event.action:null", 1, 14, "`null`");
    refused("okta.security_context.is_proxy:tru*", 1, 32, "wildcards apply to keyword fields only");
    refused("okta.security_context.is_proxy:yes", 1, 32, "not true or false");
    refused("okta.security_context.is_proxy:TRUE", 1, 32, "not true or false");
    refused("okta.request.count:abc", 1, 20, "not a 64-bit decimal integer");
    refused("okta.request.count:5.5", 1, 20, "not a 64-bit decimal integer");
    refused("okta.request.count:9223372036854775808", 1, 20, "not a 64-bit decimal integer");
    refused("okta.request.count:true", 1, 20, "not a 64-bit decimal integer");
    refused("okta.request.count:1*", 1, 20, "wildcards apply to keyword fields only");
    refused("client.ip:example.com", 1, 11, "not an IP address");
    refused("client.ip:10.*", 1, 11, "wildcards apply");
    /* syntax */
    refused("", 1, 1, "empty query");
    refused(" \n\t ", 2, 3, "empty query");
    refused("(event.action:x", 1, 16, "expected `)` to close the `(` at line 1, column 1");
    refused("event.action:(x or y", 1, 21, "expected `)` to close the `(` at line 1, column 14");
    refused("event.action:x)", 1, 15, "unbalanced `)`");
    refused("event.action:\"x", 1, 14, "unterminated quoted string");
    refused("event.action:x\\y", 1, 15, "invalid escape `\\y`");
    refused("event.action:x\\", 1, 15, "invalid escape");
    refused("event.action:\\u12", 1, 14, "invalid escape");
    refused("event.action:", 1, 14, "expected a value after `:`");
    refused("event.action:()", 1, 15, "expected a value");
    refused("event.action:\"x\" or", 1, 18, "expected a clause after `or`");
    refused("event.action:x and ", 1, 20, "expected a field:value clause, found the end of the query");
    /* ...but "or" at the end of an unquoted value, with no space after it,
     * is part of the value (Kibana's grammar) */
    assert_true(match("event.action:x or", one(F_ACTION, "x or")));
    refused("event.action:\"x\" orange:y", 1, 18, "expected AND, OR or the end of the query, found `orange:y`");
    refused("event.action:x event.action:y", 1, 28, "expected AND, OR or the end of the query");
    refused("not not event.action:x", 1, 5, "`not` after `not` needs parentheses");
    refused("not(event.action:x)", 1, 1, "`not` needs a space before `(`");
    refused("event.action:x and not", 1, 20, "free text `not`");
    refused("event.action:not x", 1, 14, "expected a value");
    refused(":x", 1, 1, "expected a field:value clause, found `:`");
    refused("event.action:x and ()", 1, 21, "expected a field:value clause, found `)`");
    /* "not " anywhere in an unquoted value ends it (Kibana's grammar) */
    refused("okta.actor.id:cannot be", 1, 18, "expected AND, OR or the end of the query, found `not be`");
    /* positions: lines and columns in characters, on multi-line queries */
    refused("data_stream.dataset:okta.system\n    and not okta.actor.id:okta*\n    and okta.request.count >= 5\n",
            3, 9, "range query");
    refused("okta.actor.display_name:\"Zoë\" and x > 1", 1, 35, /* 36 in bytes */ "range query `x >");
    refused("event.action:x\r\n  and bad", 2, 7, "free text `bad`");
    /* limits */
    char deep[200] = "";
    for (int i = 0; i < 33; i++) strcat(deep, "(");
    strcat(deep, "event.action:x");
    for (int i = 0; i < 33; i++) strcat(deep, ")");
    refused(deep, 1, 33, "nested deeper than 32");
    deep[0] = ' '; /* 32 deep is fine */
    deep[strlen(deep) - 1] = '\0';
    assert_true(match(deep, one(F_ACTION, "x")));
    char *big = malloc(70000);
    memset(big, 'a', 70000);
    memcpy(big, "event.action:", 13);
    sw_kql_error e;
    assert_null(sw_kql_compile(big, 70000, resolve, NULL, &e));
    assert_non_null(strstr(e.message, "longer than 65536 bytes"));
    big[5000] = '\0';
    refused(big, 1, 14, "longer than 4096 bytes");
    free(big);
    char stars[200] = "event.action:";
    for (int i = 0; i < 65; i++) strcat(stars, "a*");
    refused(stars, 1, 14, "more than 64 wildcards");
    /* messages show hostile bytes escaped */
    refused("\x01\xff", 1, 1, "free text `\\x01\\xFF`");
    assert_null(sw_kql_compile(NULL, 0, resolve, NULL, &e));
    assert_null(sw_kql_compile("event.action:x", 14, NULL, NULL, NULL));
}

/* ---- required event types and fields ---------------------------------------- */

/* The required values of event.action / okta.event_type as "a|b|c" in
 * query order, or "*" when unconstrained. */
static const char *required(const char *q) {
    static char out[512];
    static const uint32_t fields[] = {F_ACTION, F_ETYPE};
    sw_kql_str v[16];
    sw_kql *k = compile(q);
    long n = sw_kql_required(k, fields, 2, v, 16);
    assert_true(n == SW_KQL_UNCONSTRAINED || (n >= 1 && n <= 16));
    out[0] = '\0';
    if (n == SW_KQL_UNCONSTRAINED) strcpy(out, "*");
    for (long i = 0; i < n; i++) {
        if (i) strcat(out, "|");
        strncat(out, v[i].p, v[i].n);
    }
    sw_kql_free(k);
    return out;
}

/* q's raw-skip clauses (sw_kql_clauses) as "v|v;v" (clauses in order, a
 * leaf shown by its text, "*" for one without: exists, a boolean), or ""
 * when it needs nothing. */
static const char *clauses(const char *q) {
    static char out[512];
    sw_kql_req r[SW_KQL_CLAUSES * SW_KQL_CLAUSE_LEAVES];
    sw_kql *k = compile(q);
    size_t n = sw_kql_clauses(k, r, sizeof r / sizeof r[0]);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, r[i].clause == r[i - 1].clause ? "|" : ";");
        if (r[i].p) strncat(out, r[i].p, r[i].n);
        else strcat(out, "*");
    }
    sw_kql_free(k);
    return out;
}

static void test_clauses(void **state) {
    (void)state;
    /* query, its clauses */
    static const char *const cases[][2] = {
        {"okta.actor.id:a and okta.actor.display_name:b", "a;b"},
        {"okta.actor.id:a or okta.actor.display_name:b", "a|b"},
        {"(okta.actor.id:a and okta.actor.display_name:b) or event.action:c", "a|c;b|c"},
        {"not okta.actor.id:a", ""},
        {"okta.actor.id:a or not okta.actor.display_name:b", ""},
        {"not (not okta.actor.id:a)", "a"},
        {"not (not okta.actor.id:a or not okta.actor.display_name:b)", "a;b"},
        {"okta.actor.id:(a or b) and not okta.actor.display_name:c", "a|b"},
        /* a wildcard's longest literal run; exists has no text */
        {"okta.actor.id:ab*cde*f and okta.actor.display_name:*", "cde;*"},
        /* OR multiplies out, within SW_KQL_CLAUSES clauses: beyond, clauses
         * are dropped (a weaker condition, never a wrong one) */
        {"(okta.actor.id:a and okta.actor.display_name:b and okta.target.alternate_id:c) or "
         "(event.action:d and okta.event_type:e and okta.outcome.reason:f)",
         "a|d;a|e;a|f;b|d;b|e;b|f;c|d;c|e"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(clauses(cases[i][0]), cases[i][1]) != 0)
            fail_msg("%s: %s, not %s", cases[i][0], clauses(cases[i][0]), cases[i][1]);
}

static void test_required(void **state) {
    (void)state;
    assert_string_equal(required("data_stream.dataset:okta.system and event.action:zone.delete"), "zone.delete");
    assert_string_equal(required("event.action:(a or b or \"c\")"), "a|b|c");
    assert_string_equal(required("okta.event_type:user.session.start and okta.actor.id:x"), "user.session.start");
    assert_string_equal(required("event.action:a or okta.event_type:b"), "a|b");
    assert_string_equal(required("event.action:a or okta.actor.id:x"), "*");
    assert_string_equal(required("okta.actor.id:x"), "*");
    assert_string_equal(required("event.action:a*"), "*");
    assert_string_equal(required("event.action:*"), "*");
    assert_string_equal(required("not event.action:a"), "*");
    assert_string_equal(required("event.action:(a and not b)"), "a");
    /* de Morgan: not (not a) is a; not (not a or not b) is a and b */
    assert_string_equal(required("not (not event.action:a)"), "a");
    assert_string_equal(required("not (not event.action:a or not event.action:(b or c))"), "a");
    assert_string_equal(required("not (not event.action:a and not event.action:b)"), "a|b");
    assert_string_equal(required("not (event.action:a or event.action:b)"), "*");
    assert_string_equal(required("not (not event.action:a and okta.actor.id:x)"), "*");
    /* a conjunction takes its smallest set, never an intersection (an
     * array event.action ["a","b"] matches a and b) */
    assert_string_equal(required("event.action:(a or b) and event.action:(b or c or d)"), "a|b");
    assert_string_equal(required("event.action:(x or y or z) and event.action:q"), "q");
    assert_string_equal(required("event.action:a and event.action:b"), "a");
    /* duplicates once */
    assert_string_equal(required("event.action:a or event.action:a or okta.event_type:a"), "a");
    assert_string_equal(required("(event.action:a and okta.actor.id:x) or (event.action:b and not okta.actor.id:y)"),
                        "a|b");
    assert_string_equal(required("okta.security_context.is_proxy:true and (event.action:a or (event.action:b))"),
                        "a|b");
    /* a keyword clause written as a boolean is text for the prefilter */
    assert_string_equal(required("event.action:true"), "true");
    /* the count is returned even past cap */
    sw_kql *k = compile("event.action:(a or b or c)");
    sw_kql_str v[1];
    uint32_t f = F_ACTION;
    assert_int_equal(sw_kql_required(k, &f, 1, v, 1), 3);
    assert_int_equal(v[0].n, 1);
    assert_memory_equal(v[0].p, "a", 1);
    assert_int_equal(sw_kql_required(k, &f, 1, NULL, 0), 3);
    assert_int_equal(sw_kql_required(k, NULL, 0, NULL, 0), SW_KQL_UNCONSTRAINED);
    sw_kql_free(k);
}

static void test_fields(void **state) {
    (void)state;
    sw_kql *k = compile("event.action:a and not (okta.actor.id:x or event.action:b) and client.ip:* "
                        "and okta.actor.id:(y or z)");
    const uint32_t *f;
    assert_int_equal(sw_kql_fields(k, &f), 3);
    assert_int_equal(f[0], F_ACTION);
    assert_int_equal(f[1], F_ACTOR);
    assert_int_equal(f[2], F_IP);
    sw_kql_free(k);
}

/* The seed rule (rule.h) written as KQL gives the seed rule's verdicts. */
static void test_seed_rule_query(void **state) {
    (void)state;
    const char *seed = "data_stream.dataset:okta.system and okta.event_type:user.session.start\n"
                       "  and okta.authentication_context.external_session_id:*\n"
                       "  and not (okta.actor.id: okta* or okta.actor.display_name: okta*)";
    sw_kql *k = compile(seed);
    rec r;
    rec_clear(&r);
    str(&r, F_DATASET, "okta.system");
    str(&r, F_ETYPE, "user.session.start");
    str(&r, F_SESSION, "102abc");
    str(&r, F_ACTOR, "00u1");
    str(&r, F_NAME, "Alice");
    assert_true(sw_kql_match(k, r.f, NF));
    r.v[F_ACTOR][0].p = "okta0001", r.v[F_ACTOR][0].n = 8;
    assert_false(sw_kql_match(k, r.f, NF));
    r.v[F_ACTOR][0].p = "Okta0001"; /* case-sensitive, as the seed rule by default */
    assert_true(sw_kql_match(k, r.f, NF));
    r.v[F_NAME][0].p = "okta system", r.v[F_NAME][0].n = 11;
    assert_false(sw_kql_match(k, r.f, NF));
    r.f[F_NAME].n = 0;
    assert_true(sw_kql_match(k, r.f, NF));
    r.f[F_SESSION].n = 0;
    assert_false(sw_kql_match(k, r.f, NF));
    r.f[F_SESSION].n = 1;
    r.v[F_ETYPE][0].p = "user.session.end", r.v[F_ETYPE][0].n = 16;
    assert_false(sw_kql_match(k, r.f, NF));
    uint32_t f[] = {F_ACTION, F_ETYPE};
    sw_kql_str v[4];
    assert_int_equal(sw_kql_required(k, f, 2, v, 4), 1);
    assert_int_equal(v[0].n, 18);
    assert_memory_equal(v[0].p, "user.session.start", 18);
    sw_kql_free(k);
}

/* ---- Elastic's rules ------------------------------------------------------- */

/* Any field is known; each new name gets the next index, keyword type. */
#define MAXNAMES 128
static struct {
    char name[MAXNAMES][256];
    unsigned uses[MAXNAMES];
    uint32_t n;
} NAMES;

static int accept_any(void *ctx, const char *name, size_t len, uint32_t *index, sw_kql_ftype *type) {
    (void)ctx;
    uint32_t i = 0;
    while (i < NAMES.n && !(strlen(NAMES.name[i]) == len && memcmp(NAMES.name[i], name, len) == 0)) i++;
    if (i == NAMES.n) {
        assert_true(NAMES.n < MAXNAMES && len < 256);
        memcpy(NAMES.name[i], name, len);
        NAMES.name[i][len] = '\0';
        NAMES.n++;
    }
    *index = i;
    *type = SW_KQL_KEYWORD;
    return 0;
}

/* The value of `key = '''...'''` (or a one-line "..." / '...') in a TOML
 * file's text; malloc'd, NULL when absent. */
static char *toml_string(const char *text, const char *key) {
    size_t kl = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, kl) != 0 || strncmp(line + kl, " = ", 3) != 0) continue;
        const char *v = line + kl + 3;
        if (strncmp(v, "'''", 3) == 0 || strncmp(v, "\"\"\"", 3) == 0) {
            char delim[4] = {v[0], v[0], v[0], '\0'};
            v += 3;
            if (*v == '\n') v++; /* TOML drops the newline right after the opening */
            const char *end = strstr(v, delim);
            return end ? strndup(v, (size_t)(end - v)) : NULL;
        }
        if (*v == '"' || *v == '\'') {
            const char *end = strchr(v + 1, *v);
            return end ? strndup(v + 1, (size_t)(end - v - 1)) : NULL;
        }
    }
    return NULL;
}

/* ---- witnesses and near misses --------------------------------------------- */

static sw_kql_witness W;

/* The k-th witness (near false) or near miss (true) of qs, asserted found
 * and checked against the query again here. */
static const sw_kql_witness *witness(sw_kql *k, bool near, unsigned nth) {
    int r = sw_kql_witness_find(k, near, nth, &W);
    if (r != 0) fail_msg("no %s #%u (%d)", near ? "near miss" : "witness", nth, r);
    assert_int_equal(sw_kql_match(k, W.fields, SW_KQL_WITNESS_FIELDS), !near);
    if (near) assert_true(W.flipped >= 0);
    else assert_int_equal(W.flipped, -1);
    return &W;
}

static void assert_wstr(const sw_kql_witness *w, int field, const char *s) {
    assert_int_equal(w->state[field], SW_KQL_W_VALUE);
    assert_int_equal(w->value[field].kind, SW_KQL_V_STRING);
    if (w->value[field].n != strlen(s) || memcmp(w->value[field].p, s, strlen(s)) != 0)
        fail_msg("field %d: \"%.*s\", expected \"%s\"", field, (int)w->value[field].n, w->value[field].p, s);
}

/* Every witness and near miss of the query is what the query says. */
static void check_witnesses(sw_kql *k, const char *what) {
    for (int near = 0; near < 2; near++) {
        unsigned n = 0;
        for (; n < 64 && sw_kql_witness_find(k, near, n, &W) == 0; n++)
            if (sw_kql_match(k, W.fields, SW_KQL_WITNESS_FIELDS) == near)
                fail_msg("%s: %s %u %s", what, near ? "near miss" : "witness", n, near ? "matches" : "does not match");
        if (!n) fail_msg("%s: no %s", what, near ? "near miss" : "witness");
    }
}

/* Witnesses and near misses by value: the k-th of a query (near: a near
 * miss), the field expected to hold a string, and the field flipped (-1:
 * a witness). */
static const struct {
    const char *query;
    bool near;
    unsigned k;
    int field;
    const char *value;
    int flipped;
} BY_VALUE[] = {
    {"data_stream.dataset:okta.system and event.action:user.mfa.attempt_bypass", false, 0, F_ACTION,
     "user.mfa.attempt_bypass", -1},
    {"data_stream.dataset:okta.system and event.action:user.mfa.attempt_bypass", false, 0, F_DATASET, "okta.system", -1},
    /* near misses: each required clause flipped in turn, one letter's case */
    {"data_stream.dataset:okta.system and event.action:user.mfa.attempt_bypass", true, 0, F_DATASET, "Okta.system",
     F_DATASET},
    {"data_stream.dataset:okta.system and event.action:user.mfa.attempt_bypass", true, 0, F_ACTION,
     "user.mfa.attempt_bypass", F_DATASET},
    {"data_stream.dataset:okta.system and event.action:user.mfa.attempt_bypass", true, 1, F_ACTION,
     "User.mfa.attempt_bypass", F_ACTION},
    /* a value list: one witness per value */
    {"event.action:(zone.update or \"network_zone.rule.disabled\")", false, 0, F_ACTION, "zone.update", -1},
    {"event.action:(zone.update or \"network_zone.rule.disabled\")", false, 1, F_ACTION, "network_zone.rule.disabled", -1},
    /* not f:v's near miss supplies f:v (the * filled with "x") */
    {"okta.event_type:user.session.start and not (okta.actor.id: okta* or okta.actor.display_name: okta*)", true, 1,
     F_ACTOR, "oktax", F_ACTOR},
    {"okta.event_type:user.session.start and not (okta.actor.id: okta* or okta.actor.display_name: okta*)", true, 1,
     F_ETYPE, "user.session.start", F_ACTOR},
    {"okta.event_type:user.session.start and not (okta.actor.id: okta* or okta.actor.display_name: okta*)", true, 2,
     F_NAME, "oktax", F_NAME},
    /* a wildcard: the near miss turns a letter of the text, not of the filling */
    {"okta.debug_context.debug_data.flattened.grantType: *administrator*", false, 0, F_GRANT, "xadministratorx", -1},
    {"okta.debug_context.debug_data.flattened.grantType: *administrator*", true, 0, F_GRANT, "xAdministratorx", F_GRANT},
    /* a value with no letter: an "x" appended */
    {"okta.debug_context.debug_data.threat_suspected:\"-\"", true, 0, F_THREAT, "-x", F_THREAT},
    {"client.ip:10.1.2.3", false, 0, F_IP, "10.1.2.3", -1},
    /* two clauses met by one clause's value */
    {"event.action:user.* and event.action:user.session.start", false, 0, F_ACTION, "user.session.start", -1},
    /* a conflict: the first term wants two values of one field, the second is the witness */
    {"event.action:a and (event.action:b or okta.event_type:c)", false, 0, F_ETYPE, "c", -1},
    {"data_stream.dataset:okta.system and (event.action:security.threat.detected or "
     "okta.debug_context.debug_data.threat_suspected: true)", false, 1, F_THREAT, "true", -1},
};

static void test_witness_values(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BY_VALUE / sizeof *BY_VALUE; i++) {
        sw_kql *k = compile(BY_VALUE[i].query);
        const sw_kql_witness *w = witness(k, BY_VALUE[i].near, BY_VALUE[i].k);
        assert_int_equal(w->flipped, BY_VALUE[i].flipped);
        assert_wstr(w, BY_VALUE[i].field, BY_VALUE[i].value);
        check_witnesses(k, BY_VALUE[i].query);
        sw_kql_free(k);
    }
}

/* States, other types, and the queries with none. */
static void test_witness_states(void **state) {
    (void)state;
    /* a witness leaves alone what no clause needs; a list has no third */
    sw_kql *k = compile("event.action:(zone.update or zone.delete)");
    assert_int_equal(witness(k, false, 0)->state[F_ACTOR], SW_KQL_W_FREE);
    assert_int_equal(sw_kql_witness_find(k, false, 2, &W), 1);
    sw_kql_free(k);
    /* f:* is any value, its near miss a missing field; not f:* is absent */
    k = compile("okta.authentication_context.external_session_id:* and not okta.actor.id:*");
    const sw_kql_witness *w = witness(k, false, 0);
    assert_int_equal(w->state[F_SESSION], SW_KQL_W_ANY);
    assert_int_equal(w->state[F_ACTOR], SW_KQL_W_ABSENT);
    assert_int_equal(witness(k, true, 0)->state[F_SESSION], SW_KQL_W_ABSENT);
    assert_int_equal(witness(k, true, 1)->state[F_ACTOR], SW_KQL_W_ANY);
    sw_kql_free(k);
    /* booleans turn over, integers move by one, an address goes missing */
    k = compile("okta.security_context.is_proxy:true and okta.request.count:5 and client.ip:10.1.2.3");
    w = witness(k, false, 0);
    assert_true(w->value[F_PROXY].kind == SW_KQL_V_BOOL && w->value[F_PROXY].b == 1);
    assert_true(w->value[F_COUNT].kind == SW_KQL_V_INT && w->value[F_COUNT].i == 5);
    assert_int_equal(witness(k, true, 0)->value[F_PROXY].b, 0);
    assert_int_equal(witness(k, true, 1)->value[F_COUNT].i, 6);
    assert_int_equal(witness(k, true, 2)->state[F_IP], SW_KQL_W_FREE);
    sw_kql_free(k);
    /* none: reported, not guessed (one value per field, candidates are the
     * clauses' own values) */
    static const char *const none[] = {"event.action:abc and not event.action:abc*",
                                       "okta.target.alternate_id:(a and b)",
                                       "event.action:user.* and event.action:*.start"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        k = compile(none[i]);
        assert_int_equal(sw_kql_witness_find(k, false, 0, &W), 1);
        assert_int_equal(sw_kql_witness_find(k, true, 0, &W), 1);
        sw_kql_free(k);
    }
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_elastic_okta_rules(void **state) {
    (void)state;
    const char *fixtures = tu_fixture_dir();
    char dir[4200];
    DIR *d = NULL;
    if (fixtures) {
        snprintf(dir, sizeof dir, "%s/../rules/okta", fixtures);
        d = opendir(dir);
    }
    if (!d) {
        printf("SKIP: Elastic's Okta rules (../shared/testdata/rules/okta; SW_TESTDATA=.../testdata/okta) not found\n");
        skip();
    }
    char *files[128];
    size_t nf = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".toml") == 0) {
            assert_true(nf < 128);
            files[nf++] = strdup(de->d_name);
        }
    }
    closedir(d);
    qsort(files, nf, sizeof *files, by_name);
    unsigned kuery = 0, by_type[3] = {0}, constrained = 0;
    static const char *const types[3] = {"query", "threshold", "new_terms"};
    memset(&NAMES, 0, sizeof NAMES);
    for (size_t i = 0; i < nf; i++) {
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        size_t len;
        char *text = tu_read_file(path, &len);
        assert_non_null(text);
        char *lang = toml_string(text, "language"), *type = toml_string(text, "type");
        if (lang && strcmp(lang, "kuery") == 0) {
            char *query = toml_string(text, "query");
            if (!query) fail_msg("%s: no query", files[i]);
            sw_kql_error e;
            sw_kql *k = sw_kql_compile(query, strlen(query), accept_any, NULL, &e);
            if (!k) fail_msg("%s: refused at %u:%u: %s", files[i], e.line, e.column, e.message);
            const uint32_t *fi;
            size_t n = sw_kql_fields(k, &fi);
            for (size_t j = 0; j < n; j++) NAMES.uses[fi[j]]++;
            /* the event types it requires, over event.action and okta.event_type */
            uint32_t ev[2];
            size_t nev = 0;
            uint32_t idx;
            sw_kql_ftype ft;
            accept_any(NULL, "event.action", 12, &idx, &ft), ev[nev++] = idx;
            accept_any(NULL, "okta.event_type", 15, &idx, &ft), ev[nev++] = idx;
            sw_kql_str v[16];
            long req = sw_kql_required(k, ev, nev, v, 16);
            printf("  %-10s %-80s requires ", type ? type : "?", files[i]);
            if (req == SW_KQL_UNCONSTRAINED) printf("any event type\n");
            for (long j = 0; j < req && j < 16; j++) printf("%.*s%s", (int)v[j].n, v[j].p, j + 1 < req ? ", " : "\n");
            if (req > 0) constrained++;
            for (int t = 0; t < 3; t++)
                if (type && strcmp(type, types[t]) == 0) by_type[t]++;
            kuery++;
            check_witnesses(k, files[i]);
            sw_kql_free(k);
            free(query);
        }
        free(lang);
        free(type);
        free(text);
        free(files[i]);
    }
    printf("  %u kuery rules compiled (query %u, threshold %u, new_terms %u); %u constrain the event type\n", kuery,
           by_type[0], by_type[1], by_type[2], constrained);
    printf("  fields they name (rules using each):\n");
    for (uint32_t i = 0; i < NAMES.n; i++)
        if (NAMES.uses[i]) printf("    %-55s %u\n", NAMES.name[i], NAMES.uses[i]);
    /* SOURCES.md: 28 query and 5 threshold rules (plus 4 new_terms) in kuery */
    assert_int_equal(by_type[0], 28);
    assert_int_equal(by_type[1], 5);
    assert_int_equal(kuery, 37);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_values),    cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_exists_arrays_missing), cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_numbers),         cmocka_unit_test(test_ip),
        cmocka_unit_test(test_lists),           cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_escapes),         cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_required),        cmocka_unit_test(test_clauses),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_seed_rule_query), cmocka_unit_test(test_elastic_okta_rules),
        cmocka_unit_test(test_witness_values), cmocka_unit_test(test_witness_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
