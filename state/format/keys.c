/* keys.c -- see keys.h. */
#include "keys.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char KEY_PREFIX[] = "sw:{";
static const char *const KEY_SUFFIX[SW_KEY_COUNT] = {"}:meta", "}:tenants", "}:users"};
static const char RULE_INFIX[] = ":r:"; /* }:r:<rule id>:tenants | :users */
#define USER_SEP 0x1F

/* ---- escaping ------------------------------------------------------------ */

static bool escaped(sw_key_escaping e, unsigned char ch) {
    if (e == SW_ESC_TENANT) return ch == '%' || ch == USER_SEP;
    return ch < 0x20 || ch == 0x7F || ch == '%' || ch == '{' || ch == '}' || ch == ':';
}

size_t sw_key_escape(sw_key_escaping e, const char *p, size_t n, char *out) {
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (escaped(e, ch)) {
            out[k++] = '%';
            out[k++] = hex[ch >> 4];
            out[k++] = hex[ch & 15];
        } else {
            out[k++] = (char)ch;
        }
    }
    return k;
}

/* Upper-case hex only: the one spelling sw_key_escape writes. */
static int unhex(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

int sw_key_unescape(sw_key_escaping e, const char *p, size_t n, char *out, size_t *len) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch != '%') {
            if (escaped(e, ch)) return -1; /* should have been written %XX */
            out[k++] = (char)ch;
            continue;
        }
        if (n - i < 3 || unhex(p[i + 1]) < 0 || unhex(p[i + 2]) < 0) return -1;
        ch = (unsigned char)(unhex(p[i + 1]) * 16 + unhex(p[i + 2]));
        if (!escaped(e, ch)) return -1; /* a byte written as itself */
        out[k++] = (char)ch;
        i += 2;
    }
    *len = k;
    return 0;
}

/* ---- key names ----------------------------------------------------------- */

/* The hash tag's contents, G:T:P with G and T escaped, malloc'd; NULL
 * when out of memory. */
static char *tag_new(const char *group, const char *topic, int32_t partition) {
    size_t gn = strlen(group), tn = strlen(topic);
    char *tag = malloc(3 * (gn + tn) + 32);
    if (!tag) return NULL;
    size_t k = sw_key_escape(SW_ESC_TAG, group, gn, tag);
    tag[k++] = ':';
    k += sw_key_escape(SW_ESC_TAG, topic, tn, tag + k);
    snprintf(tag + k, 32, ":%" PRId32, partition);
    return tag;
}

/* "sw:{" tag "}" mid suffix, malloc'd. */
static char *key_join(const char *tag, const char *mid, const char *suffix) {
    size_t n = sizeof KEY_PREFIX + strlen(tag) + 1 + strlen(mid) + strlen(suffix);
    char *k = malloc(n);
    if (k) snprintf(k, n, "%s%s}%s%s", KEY_PREFIX, tag, mid, suffix);
    return k;
}

int sw_keys_new(const char *group, const char *topic, int32_t partition, char *key[SW_KEY_COUNT]) {
    for (int i = 0; i < SW_KEY_COUNT; i++) key[i] = NULL;
    char *tag = tag_new(group, topic, partition);
    if (!tag) return -1;
    int ok = 1;
    for (int i = 0; i < SW_KEY_COUNT && ok; i++) ok = (key[i] = key_join(tag, "", KEY_SUFFIX[i] + 1)) != NULL;
    free(tag);
    if (!ok) sw_keys_free(key);
    return ok ? 0 : -1;
}

int sw_keys_rule_new(const char *group, const char *topic, int32_t partition, const char *rule_id,
                     char *key[SW_KEY_RULE_COUNT]) {
    key[0] = key[1] = NULL;
    size_t rn = strlen(rule_id);
    char *tag = tag_new(group, topic, partition), *mid = malloc(3 * rn + 8);
    int ok = tag && mid;
    if (ok) {
        memcpy(mid, RULE_INFIX, sizeof RULE_INFIX - 1);
        mid[sizeof RULE_INFIX - 1 + sw_key_escape(SW_ESC_TAG, rule_id, rn, mid + sizeof RULE_INFIX - 1)] = '\0';
        /* :tenants and :users, as the built-in layout's suffixes end */
        ok = (key[0] = key_join(tag, mid, KEY_SUFFIX[SW_KEY_TENANTS] + 1)) != NULL &&
             (key[1] = key_join(tag, mid, KEY_SUFFIX[SW_KEY_USERS] + 1)) != NULL;
    }
    free(tag);
    free(mid);
    if (!ok) {
        free(key[0]);
        free(key[1]);
        key[0] = key[1] = NULL;
    }
    return ok ? 0 : -1;
}

void sw_keys_free(char *key[SW_KEY_COUNT]) {
    for (int i = 0; i < SW_KEY_COUNT; i++) {
        free(key[i]);
        key[i] = NULL;
    }
}

/* A partition number as sw_keys_new writes it: -?[0-9]+ within int32. */
static int parse_partition(const char *s, size_t n, int32_t *v) {
    bool neg = n > 0 && s[0] == '-';
    s += neg;
    n -= neg;
    if (n == 0 || n > 10) return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        x = x * 10 + (s[i] - '0');
    }
    if (x > INT32_MAX) return -1;
    *v = (int32_t)(neg ? -x : x);
    return 0;
}

/* part[0..n) unescaped into a new NUL-terminated string (no group or topic
 * holds a NUL); NULL when it is not an escaped name (*nomem: out of memory). */
static char *unescape_name(const char *p, size_t n, size_t *len, int *nomem) {
    char *s = malloc(n + 1);
    if (!s) {
        *nomem = 1;
        return NULL;
    }
    if (sw_key_unescape(SW_ESC_TAG, p, n, s, len) != 0 || memchr(s, '\0', *len)) {
        free(s);
        return NULL;
    }
    s[*len] = '\0';
    return s;
}

/* Whether sw_keys_new builds exactly key[0..n) as the meta key. */
static int round_trips(const char *key, size_t n, const char *group, const char *topic, int32_t partition,
                       int *nomem) {
    char *k[SW_KEY_COUNT];
    if (sw_keys_new(group, topic, partition, k) != 0) {
        *nomem = 1;
        return 0;
    }
    int same = strlen(k[SW_KEY_META]) == n && memcmp(k[SW_KEY_META], key, n) == 0;
    sw_keys_free(k);
    return same;
}

int sw_key_meta_parse(const char *key, size_t n, char **group, size_t *gn, char **topic, size_t *tn,
                      int32_t *partition, int *nomem) {
    const char *suf = KEY_SUFFIX[SW_KEY_META];
    const size_t pl = sizeof KEY_PREFIX - 1, sl = strlen(suf);
    *nomem = 0;
    if (n < pl + sl || memcmp(key, KEY_PREFIX, pl) != 0 || memcmp(key + n - sl, suf, sl) != 0) return -1;
    const char *tag = key + pl;
    size_t len = n - pl - sl;
    const char *c1 = memchr(tag, ':', len);
    const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - tag)) : NULL;
    if (!c2 || memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - tag))) return -1;
    int32_t p;
    if (parse_partition(c2 + 1, len - (size_t)(c2 + 1 - tag), &p) != 0) return -1;
    char *g = unescape_name(tag, (size_t)(c1 - tag), gn, nomem);
    char *t = g ? unescape_name(c1 + 1, (size_t)(c2 - c1 - 1), tn, nomem) : NULL;
    if (!t || !round_trips(key, n, g, t, p, nomem)) {
        free(g);
        free(t);
        return -1;
    }
    *group = g;
    *topic = t;
    *partition = p;
    return 0;
}

/* ---- SCAN patterns ------------------------------------------------------- */

/* Appends p[0..n) glob-escaped (Redis MATCH patterns: * ? [ ] \). */
static size_t glob_escape(char *o, const char *p, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] && strchr("*?[]\\", p[i])) o[k++] = '\\';
        o[k++] = p[i];
    }
    return k;
}

/* The escaped name, glob-escaped, at o; its length. */
static size_t put_name(char *o, const char *name) {
    size_t n = strlen(name);
    char *esc = malloc(3 * n + 1);
    if (!esc) return SIZE_MAX;
    size_t k = glob_escape(o, esc, sw_key_escape(SW_ESC_TAG, name, n, esc));
    free(esc);
    return k;
}

char *sw_key_meta_pattern(const char *group, const char *topic, size_t *n) {
    size_t gn = group ? strlen(group) : 0, tn = topic ? strlen(topic) : 0;
    /* Each byte: at most %XX, each of those glob-escaped: 6 bytes. */
    char *o = malloc(sizeof KEY_PREFIX + 6 * (gn + tn) + 16);
    if (!o) return NULL;
    size_t k = 0, w;
    memcpy(o, KEY_PREFIX, sizeof KEY_PREFIX - 1);
    k += sizeof KEY_PREFIX - 1;
    if (group || topic) {
        if (!group) o[k++] = '*';
        else if ((w = put_name(o + k, group)) == SIZE_MAX) goto nomem;
        else k += w;
        o[k++] = ':';
        if (topic) {
            if ((w = put_name(o + k, topic)) == SIZE_MAX) goto nomem;
            k += w;
            o[k++] = ':';
        }
    }
    o[k++] = '*';
    k += (size_t)sprintf(o + k, "%s", KEY_SUFFIX[SW_KEY_META]);
    *n = k;
    return o;
nomem:
    free(o);
    return NULL;
}

char *sw_key_user_pattern(const char *actor, size_t an, size_t *n) {
    char *o = malloc(2 * an + 3);
    if (!o) return NULL;
    size_t k = 0;
    o[k++] = '*';
    o[k++] = USER_SEP;
    k += glob_escape(o + k, actor, an);
    o[k] = '\0';
    *n = k;
    return o;
}

/* ---- user fields --------------------------------------------------------- */

size_t sw_key_user_field(const char *tenant, size_t tn, const char *actor, size_t an, char *out, size_t cap) {
    if (cap < 3 * tn + 1 + an) return 0;
    size_t k = sw_key_escape(SW_ESC_TENANT, tenant, tn, out);
    out[k++] = USER_SEP;
    memcpy(out + k, actor, an);
    return k + an;
}

int sw_key_user_field_split(const char *f, size_t n, char *tenant, size_t *tn, const char **actor, size_t *an) {
    const char *sep = memchr(f, USER_SEP, n);
    if (!sep || sw_key_unescape(SW_ESC_TENANT, f, (size_t)(sep - f), tenant, tn) != 0) return -1;
    *actor = sep + 1;
    *an = n - (size_t)(sep + 1 - f);
    return 0;
}
