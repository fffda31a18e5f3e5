/* ruleindex.c -- see ruleindex.h.
 *
 * The event types of all rules are kept once each in a small open-
 * addressing table, each with the mask of the rules that require it.
 *
 * The raw skip (may_match) rests on what a KQL keyword match is: exact
 * equality of the whole unescaped value.  An event type V can be in a
 * record only
 *  - as a JSON string whose raw bytes are exactly V between two quotes,
 *    when the string holds no escape (an escape spelling a character that
 *    is not in V makes the string differ from V);
 *  - through an escape spelling one of V's characters: \u00XX of an
 *    ASCII character, any \u escape when V holds a non-ASCII byte, or one
 *    of the short escapes \" \\ \/ \b \f \n \r \t when V holds the
 *    character it stands for;
 *  - unquoted, when V is the text of a JSON number or literal (a keyword
 *    field matches 5 or true by its text): such values are looked for as
 *    plain substrings.
 * So one pass stops at every '"' and '\\' (SSE2 on x86, 16 bytes at a
 * time); with AVX2 (as sw_prefilter_limit allows), when the values have at
 * most SW_RI_STARTS distinct first two bytes, 32 bytes at a time and only
 * at a quote followed by one of them.  After a quote, the next four bytes
 * are tested against a bit set of the values' first four bytes (hashed;
 * the first two for values of 2 or 3 bytes), and only on a hit is the
 * string's length found and the table probed; after a backslash, the
 * escape is decoded and tested against the set of the values' characters.
 * A value shorter than two bytes turns the skip off (may_match is always
 * true), as does an unconstrained rule. */
#include "ruleindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "prefilter.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SW_RI_SSE2 1
#endif

/* Up to this many distinct first two bytes of the values, the AVX2 pass
 * stops only at a quote followed by one of them. */
#define SW_RI_STARTS 4

typedef struct {
    const char *p; /* into ix->text; NULL: empty slot */
    uint32_t n;
    uint32_t mask; /* its rules: ix->masks + mask * ix->words */
} value;

struct sw_ruleindex {
    size_t n_rules, words;
    uint32_t rows[2];  /* event.action, okta.event_type */
    long *types;       /* per rule: event types required, or SW_KQL_UNCONSTRAINED */
    uint64_t *always;  /* the unconstrained rules */
    uint64_t *every;   /* every rule */
    value *tab;        /* cap slots, cap a power of two, at most half full */
    size_t cap, n_values;
    uint64_t *masks;   /* n_values masks */
    char *text;        /* the values' bytes */
    bool skip;         /* may_match can say no */
    bool any_high;     /* a value holds a byte >= 0x80 */
    uint64_t chars[4];     /* every byte of every value */
    uint64_t pairs[1024];  /* the first two bytes of every 2- or 3-byte value: bit b0 | b1 << 8 */
    uint64_t quads[1024];  /* the first four bytes of every longer value: bit quad_bit() */
    bool any_short;        /* a value of 2 or 3 bytes */
    uint16_t starts[SW_RI_STARTS]; /* the values' distinct first two bytes, b0 | b1 << 8 */
    size_t n_starts;       /* how many; SW_RI_STARTS + 1: too many to scan for */
    bool avx2;             /* the CPU has AVX2: scan 32 bytes at a time */
    uint32_t max_len;
    size_t *tokens;    /* values that may stand unquoted (slots of tab) */
    size_t n_tokens;
    char *rules_block, *values_block; /* what the arrays above are carved from */
};

static int event_type_rows(uint32_t rows[2]) {
    int a = sw_catalogue_find("event.action", 12), t = sw_catalogue_find("okta.event_type", 15);
    if (a < 0 || t < 0) return -1;
    rows[0] = (uint32_t)a;
    rows[1] = (uint32_t)t;
    return 0;
}

uint64_t sw_ruleindex_rows(void) {
    uint32_t rows[2];
    if (event_type_rows(rows) != 0) return 0;
    return (uint64_t)1 << rows[0] | (uint64_t)1 << rows[1];
}

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* The slot of p[0 .. n), or the empty slot where it belongs. */
static size_t slot_of(const sw_ruleindex *ix, const char *p, size_t n) {
    size_t i = (size_t)hash_bytes(p, n) & (ix->cap - 1);
    while (ix->tab[i].p && !(ix->tab[i].n == n && memcmp(ix->tab[i].p, p, n) == 0)) i = (i + 1) & (ix->cap - 1);
    return i;
}

static const uint64_t *rules_of(const sw_ruleindex *ix, const char *p, size_t n) {
    if (n > ix->max_len) return NULL;
    const value *v = &ix->tab[slot_of(ix, p, n)];
    return v->p ? ix->masks + (size_t)v->mask * ix->words : NULL;
}

/* A 16-bit hash of p[0 .. 4). */
static size_t quad_bit(const char *p) {
    uint32_t q;
    memcpy(&q, p, 4);
    return (size_t)((q * 2654435761u) >> 16);
}

static void set_bit(uint64_t *set, size_t i) { set[i / 64] |= (uint64_t)1 << (i % 64); }
static bool has_bit(const uint64_t *set, size_t i) { return set[i / 64] >> (i % 64) & 1; }

/* Could s[0 .. n) be a JSON number or literal token (a superset)? */
static bool may_be_token(const char *s, size_t n) {
    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) return true;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", s[i]) || s[i] == '\0') return false;
    return n > 0;
}

/* Notes the first two bytes of a value (of at least two). */
static void add_start(sw_ruleindex *ix, const char *p) {
    uint16_t st = (uint16_t)((unsigned char)p[0] | (unsigned)(unsigned char)p[1] << 8);
    for (size_t k = 0; k < ix->n_starts && k < SW_RI_STARTS; k++)
        if (ix->starts[k] == st) return;
    if (ix->n_starts < SW_RI_STARTS) ix->starts[ix->n_starts] = st;
    if (ix->n_starts <= SW_RI_STARTS) ix->n_starts++;
}

/* Adds value s (copied to *text) for rule r. */
static void add_value(sw_ruleindex *ix, const sw_kql_str *s, size_t r, char **text) {
    size_t i = slot_of(ix, s->p, s->n);
    value *v = &ix->tab[i];
    if (!v->p) {
        memcpy(*text, s->p, s->n);
        *v = (value){*text, (uint32_t)s->n, (uint32_t)ix->n_values++};
        *text += s->n;
        if (s->n > ix->max_len) ix->max_len = (uint32_t)s->n;
        if (s->n < 2) {
            ix->skip = false;
        } else if (s->n < 4) {
            set_bit(ix->pairs, (unsigned char)s->p[0] | (size_t)(unsigned char)s->p[1] << 8);
            ix->any_short = true;
        } else {
            set_bit(ix->quads, quad_bit(s->p));
        }
        if (s->n >= 2) add_start(ix, s->p);
        for (size_t k = 0; k < s->n; k++) {
            set_bit(ix->chars, (unsigned char)s->p[k]);
            if ((unsigned char)s->p[k] >= 0x80) ix->any_high = true;
        }
        if (may_be_token(s->p, s->n)) ix->tokens[ix->n_tokens++] = i;
    }
    set_bit(ix->masks + (size_t)v->mask * ix->words, r);
}

/* The n event types query q requires, in a new array; NULL when out of
 * memory. */
static sw_kql_str *required(const sw_kql *q, const uint32_t rows[2], long n) {
    sw_kql_str *vals = malloc((size_t)(n ? n : 1) * sizeof *vals);
    if (vals && sw_kql_required(q, rows, 2, vals, (size_t)n) != n) {
        free(vals);
        vals = NULL;
    }
    return vals;
}

/* The event types of every rule, counted (types[]) and their bytes summed. */
static int count_values(sw_ruleindex *ix, const sw_kql *const *queries, size_t *n_values, size_t *bytes) {
    *n_values = *bytes = 0;
    for (size_t r = 0; r < ix->n_rules; r++) {
        long n = queries[r] ? sw_kql_required(queries[r], ix->rows, 2, NULL, 0) : SW_KQL_UNCONSTRAINED;
        if (n == -2) return -1;
        ix->types[r] = n;
        if (n == SW_KQL_UNCONSTRAINED) {
            set_bit(ix->always, r);
            ix->skip = false;
            continue;
        }
        sw_kql_str *vals = required(queries[r], ix->rows, n);
        if (!vals) return -1;
        for (long k = 0; k < n; k++) *bytes += vals[k].n;
        *n_values += (size_t)n;
        free(vals);
    }
    return 0;
}

static int fill_values(sw_ruleindex *ix, const sw_kql *const *queries) {
    char *text = ix->text;
    for (size_t r = 0; r < ix->n_rules; r++) {
        long n = ix->types[r];
        if (n <= 0) continue;
        sw_kql_str *vals = required(queries[r], ix->rows, n);
        if (!vals) return -1;
        for (long k = 0; k < n; k++) add_value(ix, &vals[k], r, &text);
        free(vals);
    }
    return 0;
}

/* bytes (rounded up to 8) from the block at *at. */
static void *carve(char **at, size_t bytes) {
    void *p = *at;
    *at += (bytes + 7) & ~(size_t)7;
    return p;
}

/* The per-rule arrays, in one zeroed block. */
static int rules_alloc(sw_ruleindex *ix) {
    size_t words = ix->words * sizeof(uint64_t), types = ix->n_rules * sizeof(long);
    char *at = ix->rules_block = calloc(1, types + 2 * words + 16);
    if (!at) return -1;
    ix->types = carve(&at, types);
    ix->always = carve(&at, words);
    ix->every = carve(&at, words);
    return 0;
}

/* The table of values, their masks, bytes and tokens, in one zeroed block. */
static int values_alloc(sw_ruleindex *ix, size_t n_values, size_t bytes) {
    ix->cap = 16;
    while (ix->cap < 2 * n_values) ix->cap *= 2;
    size_t tab = ix->cap * sizeof(value), masks = n_values * ix->words * sizeof(uint64_t);
    size_t tokens = n_values * sizeof(size_t);
    char *at = ix->values_block = calloc(1, tab + masks + tokens + bytes + 32);
    if (!at) return -1;
    ix->tab = carve(&at, tab);
    ix->masks = carve(&at, masks);
    ix->tokens = carve(&at, tokens);
    ix->text = carve(&at, bytes);
    return 0;
}

sw_ruleindex *sw_ruleindex_new(const sw_kql *const *queries, size_t n) {
    sw_ruleindex *ix = calloc(1, sizeof *ix);
    if (!ix || event_type_rows(ix->rows) != 0) {
        free(ix);
        return NULL;
    }
    ix->n_rules = n;
#ifdef SW_RI_SSE2
    __builtin_cpu_init();
    ix->avx2 = __builtin_cpu_supports("avx2");
#endif
    ix->words = n ? (n + 63) / 64 : 1;
    ix->skip = n > 0;
    size_t n_values, bytes;
    if (rules_alloc(ix) != 0 || count_values(ix, queries, &n_values, &bytes) != 0 ||
        values_alloc(ix, n_values, bytes) != 0 || fill_values(ix, queries) != 0) {
        sw_ruleindex_free(ix);
        return NULL;
    }
    for (size_t r = 0; r < n; r++) set_bit(ix->every, r);
    return ix;
}

void sw_ruleindex_free(sw_ruleindex *ix) {
    if (!ix) return;
    free(ix->rules_block);
    free(ix->values_block);
    free(ix);
}

size_t sw_ruleindex_words(const sw_ruleindex *ix) { return ix->words; }

long sw_ruleindex_event_types(const sw_ruleindex *ix, size_t rule) {
    return rule < ix->n_rules ? ix->types[rule] : SW_KQL_UNCONSTRAINED;
}

bool sw_ruleindex_can_skip(const sw_ruleindex *ix) { return ix->skip; }

/* ---- (a) the raw skip ---------------------------------------------------- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* rec[i] is '\\': can this escape spell a character of a value?  A
 * truncated or invalid escape cannot (the record is malformed). */
static bool escape_may_spell(const sw_ruleindex *ix, const char *rec, size_t len, size_t i) {
    if (i + 1 >= len) return false;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *short_esc = rec[i + 1] ? strchr(from, rec[i + 1]) : NULL;
    if (short_esc) return has_bit(ix->chars, (unsigned char)to[short_esc - from]);
    if (rec[i + 1] != 'u' || i + 6 > len) return false;
    long cp = 0;
    for (size_t k = i + 2; k < i + 6; k++) {
        int h = hexval(rec[k]);
        if (h < 0) return false;
        cp = cp << 4 | h;
    }
    return cp < 0x80 ? has_bit(ix->chars, (size_t)cp) : ix->any_high;
}

/* rec[s - 1] is '"': could the string starting at s be a value (its first
 * bytes are some value's)?  Inline: it runs for every quote. */
static inline bool string_may_start_value(const sw_ruleindex *ix, const char *rec, size_t len, size_t s) {
    if (s + 4 <= len && has_bit(ix->quads, quad_bit(rec + s))) return true;
    return ix->any_short && s + 2 <= len &&
           has_bit(ix->pairs, (unsigned char)rec[s] | (size_t)(unsigned char)rec[s + 1] << 8);
}

/* ... and is it exactly one? */
static bool string_is_value(const sw_ruleindex *ix, const char *rec, size_t len, size_t s) {
    size_t room = len - s < (size_t)ix->max_len + 1 ? len - s : (size_t)ix->max_len + 1;
    const char *end = memchr(rec + s, '"', room);
    return end && rules_of(ix, rec + s, (size_t)(end - (rec + s))) != NULL;
}

static inline bool quote_may_match(const sw_ruleindex *ix, const char *rec, size_t len, size_t i) {
    return string_may_start_value(ix, rec, len, i + 1) && string_is_value(ix, rec, len, i + 1);
}

#ifdef SW_RI_SSE2
/* Block i's candidate quotes q and backslashes e (bit k: rec[i + k]). */
static bool stops_may_match(const sw_ruleindex *ix, const char *rec, size_t len, size_t i, unsigned q, unsigned e) {
    for (; q; q &= q - 1)
        if (quote_may_match(ix, rec, len, i + (unsigned)__builtin_ctz(q))) return true;
    for (; e; e &= e - 1)
        if (escape_may_spell(ix, rec, len, i + (unsigned)__builtin_ctz(e))) return true;
    return false;
}

/* Positions [0, *scanned) of rec, 32 at a time (AVX2), stopping only at a
 * quote followed by the first two bytes of a value, and at a backslash.
 * Loads reach rec[i + 2 + 31]: they stay inside the record. */
__attribute__((target("avx2"))) static bool scan_starts_avx2(const sw_ruleindex *ix, const char *rec, size_t len,
                                                             size_t *scanned) {
    const __m256i quote = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
    __m256i c0[SW_RI_STARTS], c1[SW_RI_STARTS];
    size_t ns = ix->n_starts;
    for (size_t k = 0; k < ns; k++) {
        c0[k] = _mm256_set1_epi8((char)(ix->starts[k] & 0xff));
        c1[k] = _mm256_set1_epi8((char)(ix->starts[k] >> 8));
    }
    size_t i = 0;
    for (; i + 2 + 32 <= len; i += 32) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(rec + i));
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(rec + i + 1));
        __m256i b2 = _mm256_loadu_si256((const __m256i *)(rec + i + 2));
        __m256i start = _mm256_setzero_si256();
        for (size_t k = 0; k < ns; k++)
            start = _mm256_or_si256(start,
                                    _mm256_and_si256(_mm256_cmpeq_epi8(b1, c0[k]), _mm256_cmpeq_epi8(b2, c1[k])));
        unsigned q = (unsigned)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(b0, quote), start));
        unsigned e = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b0, bs));
        if ((q | e) && stops_may_match(ix, rec, len, i, q, e)) return true;
    }
    *scanned = i;
    return false;
}

/* The same, 16 at a time (SSE2), stopping at every quote: without AVX2,
 * or when the values have too many first pairs to test. */
static bool scan_quotes(const sw_ruleindex *ix, const char *rec, size_t len, size_t *scanned) {
    const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
    size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(rec + i));
        unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, quote));
        unsigned e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, bs));
        if ((q | e) && stops_may_match(ix, rec, len, i, q, e)) return true;
    }
    *scanned = i;
    return false;
}
#endif

bool sw_ruleindex_may_match(const sw_ruleindex *ix, const char *rec, size_t len) {
    if (!ix->skip) return true;
    for (size_t t = 0; t < ix->n_tokens; t++) {
        const value *v = &ix->tab[ix->tokens[t]];
        if (memmem(rec, len, v->p, v->n)) return true;
    }
    size_t i = 0;
#ifdef SW_RI_SSE2
    int level = sw_prefilter_level();
    bool starts = ix->n_starts <= SW_RI_STARTS && ix->avx2 && level >= SW_SCAN_AVX2;
    bool hit = level == SW_SCAN_SCALAR ? false
               : starts                ? scan_starts_avx2(ix, rec, len, &i)
                                       : scan_quotes(ix, rec, len, &i);
    if (hit) return true;
#endif
    for (; i < len; i++) {
        if (rec[i] == '"' && quote_may_match(ix, rec, len, i)) return true;
        if (rec[i] == '\\' && escape_may_spell(ix, rec, len, i)) return true;
    }
    return false;
}

/* ---- (b) the rules of one event ----------------------------------------- */

static void or_rules(const sw_ruleindex *ix, const char *p, size_t n, uint64_t *mask) {
    const uint64_t *r = rules_of(ix, p, n);
    if (r)
        for (size_t w = 0; w < ix->words; w++) mask[w] |= r[w];
}

/* Is string v event.action's first value too (a raw record's eventType is
 * both rows')? */
static bool same_as_first(const sw_kql_field *action, const sw_kql_value *v) {
    const sw_kql_value *a = &action->v[0];
    return action->n && v->kind == SW_KQL_V_STRING && a->kind == SW_KQL_V_STRING && a->n == v->n &&
           memcmp(a->p, v->p, v->n) == 0;
}

void sw_ruleindex_select(const sw_ruleindex *ix, const sw_kql_field *fields, uint64_t *mask) {
    if (!fields) {
        memcpy(mask, ix->every, ix->words * sizeof *mask);
        return;
    }
    memcpy(mask, ix->always, ix->words * sizeof *mask);
    const sw_kql_field *action = &fields[ix->rows[0]];
    for (int f = 0; f < 2; f++) {
        const sw_kql_field *fld = &fields[ix->rows[f]];
        for (uint32_t k = 0; k < fld->n; k++) {
            const sw_kql_value *v = &fld->v[k];
            char num[24];
            if (f == 1 && same_as_first(action, v)) continue; /* its rules are in already */
            if (v->kind == SW_KQL_V_STRING) or_rules(ix, v->p, v->n, mask);
            else if (v->kind == SW_KQL_V_BOOL) or_rules(ix, v->b ? "true" : "false", v->b ? 4 : 5, mask);
            else or_rules(ix, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)v->i), mask);
        }
    }
}
