/* test_keys.c -- pins the Redis key layout (state/format/keys.c), which
 * the worker writes with and `state inspect` reads back with: the escaping
 * round-trips every byte and its inverse accepts one spelling only, a meta
 * key name parses exactly when the worker would write it, and the SCAN /
 * HSCAN patterns match only the asked-for names (glob characters in them
 * are escaped).  Pure: no Redis needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

static void test_escape_round_trips_every_byte(void **state) {
    (void)state;
    char in[256], esc[3 * 256], out[256];
    for (int i = 0; i < 256; i++) in[i] = (char)i;
    const sw_key_escaping modes[] = {SW_ESC_TAG, SW_ESC_TENANT};
    for (size_t m = 0; m < 2; m++) {
        size_t n = sw_key_escape(modes[m], in, sizeof in, esc), len;
        assert_int_equal(sw_key_unescape(modes[m], esc, n, out, &len), 0);
        assert_int_equal(len, sizeof in);
        assert_memory_equal(out, in, sizeof in);
    }
    size_t n = sw_key_escape(SW_ESC_TAG, "a:b{x}%\x01\x7f", 9, esc);
    assert_int_equal(n, 21);
    assert_memory_equal(esc, "a%3Ab%7Bx%7D%25%01%7F", n);
    n = sw_key_escape(SW_ESC_TENANT, "a:%\x1f\x01", 5, esc);
    assert_int_equal(n, 9);
    assert_memory_equal(esc, "a:%25%1F\x01", n);
}

static void test_unescape_accepts_one_spelling(void **state) {
    (void)state;
    char out[32];
    size_t len;
    static const char *const bad_tag[] = {"%3a", "%41", "%4", "%", "%zz", "a:b", "a{", "}", "\x01", "\x7f"};
    for (size_t i = 0; i < sizeof bad_tag / sizeof *bad_tag; i++)
        assert_int_equal(sw_key_unescape(SW_ESC_TAG, bad_tag[i], strlen(bad_tag[i]), out, &len), -1);
    static const char *const bad_tenant[] = {"%41", "%3A", "%1f", "%2"};
    for (size_t i = 0; i < sizeof bad_tenant / sizeof *bad_tenant; i++)
        assert_int_equal(sw_key_unescape(SW_ESC_TENANT, bad_tenant[i], strlen(bad_tenant[i]), out, &len), -1);
    assert_int_equal(sw_key_unescape(SW_ESC_TENANT, "a:{\x01%25", 7, out, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "a:{\x01%", 5);
}

static void test_key_names(void **state) {
    (void)state;
    char *k[SW_KEY_COUNT];
    assert_int_equal(sw_keys_new("a:b{x}%", "okta.events", -12, k), 0);
    assert_string_equal(k[SW_KEY_META], "sw:{a%3Ab%7Bx%7D%25:okta.events:-12}:meta");
    assert_string_equal(k[SW_KEY_TENANTS], "sw:{a%3Ab%7Bx%7D%25:okta.events:-12}:tenants");
    assert_string_equal(k[SW_KEY_USERS], "sw:{a%3Ab%7Bx%7D%25:okta.events:-12}:users");
    sw_keys_free(k);
    assert_null(k[SW_KEY_META]);
}

/* A rule's keys: its id escaped like the group and topic, so a hostile id
 * stays inside its own names (no '}' to leave the hash tag, no ':' to pose
 * as another suffix), and no rule key is ever read as a meta key. */
static void test_rule_key_names(void **state) {
    (void)state;
    char *k[SW_KEY_RULE_COUNT];
    assert_int_equal(sw_keys_rule_new("g", "okta", 3, "621e92b6-7e54-11ee-bdc0-f661ea17fbcd", k), 0);
    assert_string_equal(k[0], "sw:{g:okta:3}:r:621e92b6-7e54-11ee-bdc0-f661ea17fbcd:tenants");
    assert_string_equal(k[1], "sw:{g:okta:3}:r:621e92b6-7e54-11ee-bdc0-f661ea17fbcd:users");
    free(k[0]);
    free(k[1]);
    assert_int_equal(sw_keys_rule_new("a:b", "t", 0, "x}:meta\n%{*", k), 0);
    assert_string_equal(k[0], "sw:{a%3Ab:t:0}:r:x%7D%3Ameta%0A%25%7B*:tenants");
    assert_string_equal(k[1], "sw:{a%3Ab:t:0}:r:x%7D%3Ameta%0A%25%7B*:users");
    char *g = NULL, *t = NULL;
    size_t gn, tn;
    int32_t p;
    int nomem;
    for (int i = 0; i < 2; i++) assert_int_equal(sw_key_meta_parse(k[i], strlen(k[i]), &g, &gn, &t, &tn, &p, &nomem), -1);
    /* the escaped id unescapes to the id */
    char id[32];
    size_t idn;
    const char *at = k[0] + strlen("sw:{a%3Ab:t:0}:r:");
    assert_int_equal(sw_key_unescape(SW_ESC_TAG, at, strlen(at) - strlen(":tenants"), id, &idn), 0);
    assert_int_equal(idn, 11);
    assert_memory_equal(id, "x}:meta\n%{*", 11);
    free(k[0]);
    free(k[1]);
}

static void expect_meta(const char *key, const char *group, const char *topic, int32_t partition) {
    char *g = NULL, *t = NULL;
    size_t gn, tn;
    int32_t p;
    int nomem;
    assert_int_equal(sw_key_meta_parse(key, strlen(key), &g, &gn, &t, &tn, &p, &nomem), 0);
    assert_int_equal(gn, strlen(group));
    assert_string_equal(g, group);
    assert_int_equal(tn, strlen(topic));
    assert_string_equal(t, topic);
    assert_int_equal(p, partition);
    free(g);
    free(t);
}

static void expect_not_meta(const char *key, size_t n) {
    char *g = NULL, *t = NULL;
    size_t gn, tn;
    int32_t p;
    int nomem = -1;
    assert_int_equal(sw_key_meta_parse(key, n, &g, &gn, &t, &tn, &p, &nomem), -1);
    assert_int_equal(nomem, 0);
    assert_null(g);
    assert_null(t);
}

static void test_meta_parse(void **state) {
    (void)state;
    expect_meta("sw:{a%3Ab%7Bx%7D%25:okta.events:12}:meta", "a:b{x}%", "okta.events", 12);
    expect_meta("sw:{g:t:-3}:meta", "g", "t", -3);
    expect_meta("sw:{::0}:meta", "", "", 0);
    expect_meta("sw:{g*:t?:2147483647}:meta", "g*", "t?", INT32_MAX);
    static const char *const not_ours[] = {
        "sw:{g:t:0}:users", "sw:{g:t:0}", "sw:{g:t}:meta", "sw:{g:t:1:2}:meta", "sw:{g:t:-0}:meta",
        "sw:{g:t:007}:meta", "sw:{g:t:2147483648}:meta", "sw:{g:t:}:meta", "sw:{g:t:x}:meta", "sw:{a%3ab:t:1}:meta",
        "sw:{%41:t:1}:meta", "sw:{%00:t:1}:meta", "sw:{a%7:t:1}:meta", "sw:{c\x01:t:1}:meta", "sw:{g}:t:1}:meta",
        "xx:{g:t:1}:meta", ""};
    for (size_t i = 0; i < sizeof not_ours / sizeof *not_ours; i++) expect_not_meta(not_ours[i], strlen(not_ours[i]));
    expect_not_meta("sw:{g\0:t:1}:meta", 16); /* a NUL inside the name */
}

static void expect_pattern(char *p, size_t n, const char *want, size_t wn) {
    assert_non_null(p);
    assert_int_equal(n, wn);
    assert_memory_equal(p, want, wn);
    assert_int_equal(p[n], '\0');
    free(p);
}

static void test_patterns(void **state) {
    (void)state;
    size_t n;
    char *p = sw_key_meta_pattern(NULL, NULL, &n);
    expect_pattern(p, n, "sw:{*}:meta", 11);
    p = sw_key_meta_pattern("g*[", NULL, &n);
    expect_pattern(p, n, "sw:{g\\*\\[:*}:meta", 17);
    p = sw_key_meta_pattern(NULL, "a:b\\", &n);
    expect_pattern(p, n, "sw:{*:a%3Ab\\\\:*}:meta", 21);
    p = sw_key_meta_pattern("g", "t?", &n);
    expect_pattern(p, n, "sw:{g:t\\?:*}:meta", 17);
    p = sw_key_user_pattern("00u*?", 5, &n);
    expect_pattern(p, n, "*\x1f" "00u\\*\\?", 9);
}

static void test_user_fields(void **state) {
    (void)state;
    char f[64], t[64];
    size_t n = sw_key_user_field("acme%\x1f:", 7, "00u\x1fz", 5, f, sizeof f);
    assert_int_equal(n, 11 + 1 + 5);
    assert_memory_equal(f, "acme%25%1F:\x1f" "00u\x1fz", n);
    size_t tn, an;
    const char *actor;
    assert_int_equal(sw_key_user_field_split(f, n, t, &tn, &actor, &an), 0);
    assert_int_equal(tn, 7);
    assert_memory_equal(t, "acme%\x1f:", 7);
    assert_int_equal(an, 5);
    assert_memory_equal(actor, "00u\x1fz", 5);
    assert_int_equal(sw_key_user_field_split("no-separator", 12, t, &tn, &actor, &an), -1);
    assert_int_equal(sw_key_user_field_split("%zz\x1fx", 5, t, &tn, &actor, &an), -1);
    assert_int_equal(sw_key_user_field_split("\x1f", 1, t, &tn, &actor, &an), 0);
    assert_int_equal(tn, 0);
    assert_int_equal(an, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_round_trips_every_byte),
        cmocka_unit_test(test_unescape_accepts_one_spelling),
        cmocka_unit_test(test_key_names),
        cmocka_unit_test(test_rule_key_names),
        cmocka_unit_test(test_meta_parse),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_user_fields),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
