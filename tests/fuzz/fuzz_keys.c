/* fuzz_keys.c -- libFuzzer target: the Redis key layout (state/format/keys.c).
 *
 * Key names and user fields come back from Redis (SCAN, HSCAN), where
 * anyone with access can write anything, and `state inspect` and the
 * worker's loader parse them.  The input is tried as each kind of name:
 *  - a meta key: when sw_key_meta_parse accepts it, the group and topic
 *    hold no NUL and sw_keys_new builds exactly the input back (one
 *    spelling per name); when it refuses, nothing is returned;
 *  - a user field: when sw_key_user_field_split accepts it, rebuilding it
 *    with sw_key_user_field gives exactly the input;
 *  - a name part, in both escapings: escaping then unescaping gives the
 *    bytes back, and whatever unescapes re-escapes to exactly the input;
 *  - a group, topic or actor in a SCAN/HSCAN pattern: the pattern has the
 *    documented frame and glob-escapes every glob character. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "keys.h"

static void check_meta(const char *p, size_t n) {
    char *g = NULL, *t = NULL;
    size_t gn = 0, tn = 0;
    int32_t part = 0;
    int nomem = 0;
    if (sw_key_meta_parse(p, n, &g, &gn, &t, &tn, &part, &nomem) != 0) {
        FZ_CHECK(g == NULL && t == NULL);
        return;
    }
    FZ_CHECK(strlen(g) == gn && strlen(t) == tn);
    char *k[SW_KEY_COUNT];
    FZ_CHECK(sw_keys_new(g, t, part, k) == 0);
    FZ_CHECK(strlen(k[SW_KEY_META]) == n && memcmp(k[SW_KEY_META], p, n) == 0);
    sw_keys_free(k);
    free(g);
    free(t);
}

static void check_user_field(const char *p, size_t n) {
    char *tenant = malloc(n ? n : 1), *again = malloc(3 * n + 1);
    FZ_CHECK(tenant && again);
    size_t tn, an;
    const char *actor;
    if (sw_key_user_field_split(p, n, tenant, &tn, &actor, &an) == 0) {
        FZ_CHECK(tn < n && actor >= p && actor + an == p + n);
        size_t m = sw_key_user_field(tenant, tn, actor, an, again, 3 * n + 1);
        FZ_CHECK(m == n && memcmp(again, p, n) == 0);
    }
    free(tenant);
    free(again);
}

static void check_escaping(sw_key_escaping e, const char *p, size_t n) {
    char *esc = malloc(3 * n + 1), *back = malloc(3 * n + 1);
    FZ_CHECK(esc && back);
    size_t en = sw_key_escape(e, p, n, esc), bn;
    FZ_CHECK(en >= n && en <= 3 * n);
    FZ_CHECK(sw_key_unescape(e, esc, en, back, &bn) == 0 && bn == n && memcmp(back, p, n) == 0);
    if (sw_key_unescape(e, p, n, back, &bn) == 0) {
        FZ_CHECK(bn <= n);
        FZ_CHECK(sw_key_escape(e, back, bn, esc) == n && memcmp(esc, p, n) == 0);
    }
    free(esc);
    free(back);
}

/* No unescaped glob character inside the name part of a pattern. */
static void check_glob_escaped(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            FZ_CHECK(i + 1 < n);
            i++;
            continue;
        }
        FZ_CHECK(!strchr("*?[]", s[i]) || s[i] == '\0');
    }
}

static void check_patterns(const char *p, size_t n) {
    char *name = malloc(n + 1);
    FZ_CHECK(name);
    memcpy(name, p, n);
    name[n] = '\0'; /* up to the first NUL: a C string, as the flags are */
    size_t len;
    char *pat = sw_key_meta_pattern(name, NULL, &len);
    FZ_CHECK(pat && len == strlen(pat));
    FZ_CHECK(len >= 12 && memcmp(pat, "sw:{", 4) == 0 && strcmp(pat + len - 8, ":*}:meta") == 0);
    check_glob_escaped(pat + 4, len - 12);
    free(pat);
    pat = sw_key_meta_pattern(NULL, name, &len);
    FZ_CHECK(pat && len >= 14 && memcmp(pat, "sw:{*:", 6) == 0 && strcmp(pat + len - 8, ":*}:meta") == 0);
    check_glob_escaped(pat + 6, len - 14);
    free(pat);
    pat = sw_key_user_pattern(p, n, &len);
    FZ_CHECK(pat && len >= 2 + n && pat[0] == '*' && pat[1] == 0x1F && pat[len] == '\0');
    check_glob_escaped(pat + 2, len - 2);
    free(pat);
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = (const char *)data;
    check_meta(p, size);
    check_user_field(p, size);
    check_escaping(SW_ESC_TAG, p, size);
    check_escaping(SW_ESC_TENANT, p, size);
    check_patterns(p, size);
    return 0;
}
