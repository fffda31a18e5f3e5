/* ruleindex.c -- see ruleindex.h.
 *
 * Two structures: the event types of the rules that require them, kept
 * once each in a small open-addressing table with the mask of the rules
 * requiring each (for select), and the needles of the raw skip.
 *
 * The raw skip rests on what a match needs of a record's bytes.  Every
 * rule gives a condition in conjunctive normal form: clauses of atoms, at
 * least one atom of every clause being in any record the rule can match.
 * A rule with event types has one clause, its event types.  Any other
 * gets up to RI_RULE_CLAUSES clauses from sw_kql_clauses() (a positive
 * leaf under AND and OR, never one under NOT), each leaf read as one of
 * two atoms that it implies:
 *  - its value, for a field whose value a record holds verbatim (derive
 *    COPY, or none: an ECS document always does): an exact keyword value
 *    V; the longest literal run of a wildcard value; "true" for a boolean
 *    true.  (A field derived by the pipeline does not hold its value in a
 *    raw record's bytes: no value atom.)
 *  - its key: the field has a value, so a record holds the last segment of
 *    its raw path or of its ECS path as the end of a key (an ECS path may
 *    be nested, dotted or mixed, but the last key always ends with the
 *    last segment).  A field the pipeline derives from another has that
 *    other's key, and risk_behaviors needs "=POSITIVE" in the raw record
 *    (sw_catalogue_raw_needle); dataset and outcome rows are in every raw
 *    record: no key atom.
 * A leaf with neither atom leaves its clause without one: the clause is
 * dropped.  A rule left with no clause turns the skip off.
 *
 * An atom is found as a needle, its text as the raw bytes spell it when
 * nothing in it is escaped: "V" with its quotes, or V bare when V is the
 * text of a JSON number or literal (a keyword field matches 5 or true by
 * its text), a wildcard's run bare (it may be in a token's text), a key's
 * segment followed by its closing quote.  A needle's content (between its
 * quotes) may also be spelt with escapes: an escape spelling one of its
 * characters (\u00XX of an ASCII character, any \u escape when it holds a
 * non-ASCII byte, or a short escape \" \\ \/ \b \f \n \r \t of a
 * character it holds) counts as the atom being there.  So whatever the
 * skip cannot rule out is parsed.
 *
 * A needle of a one-clause rule decides alone (the record may match); the
 * clauses of the other rules are numbered (at most 64 in all) and a
 * record may match once every clause of one rule has an atom.
 *
 * The needles are found in one pass (AVX2, 32 positions at a time) by
 * their first three bytes: compared directly when the needles have at most
 * RI_STARTS distinct ones (the seed rule alone has one), else each byte's
 * two nibbles look up a bucket set (8 buckets, needles grouped round robin
 * by their first three bytes) and the AND of the six gives the candidate
 * positions and their buckets.  A candidate is checked against its
 * buckets' needles in full, the longer ones only when a filter of their
 * first 8 bytes has the record's next 8 (most candidates are real
 * prefixes, "us or "po, of strings no needle is).  Backslashes are found in
 * the same pass; the record's last bytes are scanned from a zero-padded
 * copy.  Without AVX2 (or at a lower sw_prefilter_limit) the same tables
 * are read byte by byte.  A needle is at least two bytes (a one-byte event
 * type turns the skip off); a two-byte needle's third byte is any byte. */
#include "ruleindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "prefilter.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SW_RI_X86 1
#endif

#define RI_BUCKETS 8
#define RI_HEAD_BITS 4096 /* the filter of the longer needles' first 8 bytes */
#define RI_STARTS 4  /* up to this many distinct first three bytes: compared directly */
#define SW_RI_NEEDLE_MAX 128 /* a longer value or key gives no atom */
#define RI_RULE_CLAUSES 4 /* clauses kept per rule */
#define RI_MAX_CLAUSES 64 /* numbered clauses in all */
#define RI_ESC_HIGH 128   /* escape table slot of every non-ASCII character */

typedef struct {
    const char *p; /* into ix->text; NULL: empty slot */
    uint32_t n;
    uint32_t mask; /* its rules: ix->masks + mask * ix->words */
} value;

typedef struct {
    char *p;          /* the bytes to find (owned) */
    uint32_t n;
    uint32_t c0, c1;  /* its content: p[c0 .. c1), what escapes may spell */
    uint64_t head, head_mask; /* its first (up to) 8 bytes, as loaded */
    bool decisive;    /* a one-clause rule's: found, the record may match */
    uint64_t clauses; /* the numbered clauses it satisfies */
} needle;

struct sw_ruleindex {
    size_t n_rules, words;
    uint32_t rows[2];  /* event.action, okta.event_type */
    long *types;       /* per rule: event types required, or SW_KQL_UNCONSTRAINED */
    uint8_t *clauses;  /* per rule: clauses of its raw condition (0: none) */
    uint64_t *always;  /* the rules without event types */
    uint64_t *every;   /* every rule */
    value *tab;        /* cap slots, cap a power of two, at most half full */
    size_t cap, n_values;
    uint64_t *masks;   /* n_values masks */
    char *text;        /* the values' bytes */
    uint32_t max_len;
    bool skip;         /* may_match can say no */
    bool avx2;         /* the CPU has AVX2 */
    /* the raw skip */
    needle *needles;
    size_t n_needles, cap_needles;
    uint64_t *multi;   /* per rule of several clauses: their clause bits */
    size_t n_multi;
    uint32_t n_clause_ids;
    uint32_t *bucket[RI_BUCKETS]; /* needle indices per bucket: [0 .. n_short) of
                                     under 8 bytes, then the longer ones */
    uint32_t n_bucket[RI_BUCKETS], n_short[RI_BUCKETS];
    uint64_t heads[RI_HEAD_BITS / 64]; /* the first 8 bytes of every longer needle, hashed */
    uint8_t nib[6][16]; /* bucket sets: byte k's low nibble (2k), high nibble (2k + 1) */
    uint8_t starts[RI_STARTS][3]; /* the needles' distinct first three bytes */
    size_t n_starts;              /* RI_STARTS + 1: too many (or a 2-byte needle) */
    bool esc_decisive[RI_ESC_HIGH + 1];
    uint64_t esc_clauses[RI_ESC_HIGH + 1];
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

static void set_bit(uint64_t *set, size_t i) { set[i / 64] |= (uint64_t)1 << (i % 64); }

/* Could s[0 .. n) be a JSON number or literal token (a superset)? */
static bool may_be_token(const char *s, size_t n) {
    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) return true;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", s[i]) || s[i] == '\0') return false;
    return n > 0;
}

/* ---- needles --------------------------------------------------------------- */

/* A needle's first 8 bytes (as loaded) in the filter of RI_HEAD_BITS. */
static inline size_t head_bit(uint64_t w) { return (size_t)((w * 0x9E3779B97F4A7C15ull) >> 52); }

/* A needle being built: its bytes and content (not yet in the index). */
typedef struct {
    char b[SW_RI_NEEDLE_MAX];
    uint32_t n, c0, c1;
} draft;

/* pre, s[0 .. n), post as a needle; false when it does not fit or is
 * shorter than two bytes. */
static bool draft_of(draft *d, const char *pre, const char *s, size_t n, const char *post) {
    size_t a = strlen(pre), z = strlen(post);
    if (a + n + z > SW_RI_NEEDLE_MAX || a + n + z < 2 || n == 0) return false;
    memcpy(d->b, pre, a);
    memcpy(d->b + a, s, n);
    memcpy(d->b + a + n, post, z);
    d->n = (uint32_t)(a + n + z);
    d->c0 = (uint32_t)a;
    d->c1 = (uint32_t)(a + n);
    return true;
}

/* An exact keyword value's needle: quoted, or bare when it may be a token. */
static bool value_draft(draft *d, const char *s, size_t n) {
    return may_be_token(s, n) ? draft_of(d, "", s, n, "") : draft_of(d, "\"", s, n, "\"");
}

/* The index of needle d, added if new; -1 when out of memory. */
static long needle_add(sw_ruleindex *ix, const draft *d) {
    for (size_t k = 0; k < ix->n_needles; k++)
        if (ix->needles[k].n == d->n && ix->needles[k].c0 == d->c0 && memcmp(ix->needles[k].p, d->b, d->n) == 0)
            return (long)k;
    if (ix->n_needles == ix->cap_needles) {
        size_t cap = ix->cap_needles ? 2 * ix->cap_needles : 16;
        needle *nv = realloc(ix->needles, cap * sizeof *nv);
        if (!nv) return -1;
        ix->needles = nv;
        ix->cap_needles = cap;
    }
    char *p = malloc(d->n);
    if (!p) return -1;
    memcpy(p, d->b, d->n);
    uint64_t head = 0, mask = 0;
    memcpy(&head, p, d->n < 8 ? d->n : 8);
    memset(&mask, 0xff, d->n < 8 ? d->n : 8);
    ix->needles[ix->n_needles] = (needle){p, d->n, d->c0, d->c1, head, mask, false, 0};
    return (long)ix->n_needles++;
}

/* ---- each rule's condition ------------------------------------------------- */

#define RI_LEAF_NEEDLES 2  /* the most needles one option of a leaf gives */
#define RI_CLAUSE_NEEDLES (SW_KQL_CLAUSE_LEAVES * RI_LEAF_NEEDLES)
#define RI_CANDIDATES (SW_KQL_CLAUSES * 8)

/* What a leaf implies: its value's needle (opt 0), its key's needles
 * (opt 1); n 0: that atom is not available. */
typedef struct {
    draft d[2][RI_LEAF_NEEDLES];
    uint32_t n[2];
} leaf_atoms;

/* A candidate clause of a rule: the union of one option of each leaf. */
typedef struct {
    draft d[RI_CLAUSE_NEEDLES];
    uint32_t n;
    int kind;         /* 0: values only, 1: both, 2: keys only (the most common) */
    uint32_t shortest; /* its shortest content */
} candidate;

/* The last segment of a dotted path, followed by the key's closing quote. */
static bool key_draft(draft *d, const char *path) {
    const char *dot = strrchr(path, '.');
    const char *seg = dot ? dot + 1 : path;
    return draft_of(d, "", seg, strlen(seg), "\"");
}

static void key_atoms(const sw_catalogue_field *row, leaf_atoms *a) {
    a->n[1] = 0;
    if (row->derive == SW_DERIVE_DATASET || row->derive == SW_DERIVE_OUTCOME) return; /* in every raw record */
    draft *d = a->d[1];
    const char *hint = sw_catalogue_raw_needle(row->derive);
    uint32_t n = 0;
    if (hint) n += draft_of(&d[n], "", hint, strlen(hint), "");
    else if (row->raw) n += key_draft(&d[n], row->raw);
    if ((row->raw && n == 0) || !key_draft(&d[n], row->ecs)) return; /* a needle did not fit */
    a->n[1] = n + 1;
}

static void value_atoms(const sw_catalogue_field *row, const sw_kql_req *r, leaf_atoms *a) {
    a->n[0] = 0;
    if (row->derive != SW_DERIVE_COPY && row->derive != SW_DERIVE_NONE) return; /* not verbatim in raw records */
    draft *d = &a->d[0][0];
    bool ok = false;
    if (r->kind == SW_KQL_R_EXACT) ok = value_draft(d, r->p, r->n);
    else if (r->kind == SW_KQL_R_GLOB) ok = draft_of(d, "", r->p, r->n, "");
    else if (r->kind == SW_KQL_R_BOOL && r->b) ok = draft_of(d, "", "true", 4, "");
    a->n[0] = ok;
}

/* Candidate for leaves a[0 .. m) taking option (pick >> j & 1) of leaf j;
 * false when one of those options has no atom. */
static bool combine(const leaf_atoms *a, size_t m, unsigned pick, candidate *c) {
    c->n = 0;
    c->shortest = UINT32_MAX;
    bool values = false, keys = false;
    for (size_t j = 0; j < m; j++) {
        unsigned o = pick >> j & 1;
        if (a[j].n[o] == 0) return false;
        if (o) keys = true;
        else values = true;
        for (uint32_t k = 0; k < a[j].n[o]; k++) {
            const draft *d = &a[j].d[o][k];
            c->d[c->n++] = *d;
            if (d->c1 - d->c0 < c->shortest) c->shortest = d->c1 - d->c0;
        }
    }
    c->kind = values && keys ? 1 : keys ? 2 : 0;
    return true;
}

/* The candidates of one clause (its leaves r[0 .. m)): every mix of the
 * leaves' options when there are few leaves, else all values and all keys. */
static size_t clause_candidates(const sw_kql_req *r, size_t m, candidate *out, size_t cap) {
    size_t nrows, n = 0;
    const sw_catalogue_field *cat = sw_catalogue(&nrows);
    leaf_atoms a[SW_KQL_CLAUSE_LEAVES];
    for (size_t j = 0; j < m; j++) {
        if (r[j].field >= nrows) return 0;
        value_atoms(&cat[r[j].field], &r[j], &a[j]);
        key_atoms(&cat[r[j].field], &a[j]);
    }
    unsigned all = m <= 3 ? 1u << m : 2;
    for (unsigned pick = 0; pick < all && n < cap; pick++)
        n += combine(a, m, m <= 3 ? pick : pick ? (1u << m) - 1 : 0, &out[n]);
    return n;
}

/* Orders candidates best first: values before keys, longer needles first. */
static int by_strength(const void *x, const void *y) {
    const candidate *a = x, *b = y;
    if (a->kind != b->kind) return a->kind - b->kind;
    return (a->shortest < b->shortest) - (a->shortest > b->shortest);
}

/* The candidate clauses of query q, best first, into c; how many. */
static size_t rule_candidates(const sw_kql *q, candidate *c) {
    sw_kql_req r[SW_KQL_CLAUSES * SW_KQL_CLAUSE_LEAVES];
    size_t n = sw_kql_clauses(q, r, sizeof r / sizeof r[0]), got = 0;
    for (size_t s = 0; s < n;) {
        size_t e = s;
        while (e < n && r[e].clause == r[s].clause) e++;
        got += clause_candidates(r + s, e - s, c + got, RI_CANDIDATES - got);
        s = e;
    }
    qsort(c, got, sizeof *c, by_strength);
    return got;
}

/* Adds clause c of a rule: decisive (the rule's only one), or clause bit id. */
static int clause_add(sw_ruleindex *ix, const candidate *c, bool decisive, uint32_t id) {
    for (uint32_t k = 0; k < c->n; k++) {
        long i = needle_add(ix, &c->d[k]);
        if (i < 0) return -1;
        if (decisive) ix->needles[i].decisive = true;
        else ix->needles[i].clauses |= (uint64_t)1 << id;
    }
    return 0;
}

/* The raw condition of rule r (no event types) from query q. */
static int rule_condition(sw_ruleindex *ix, size_t r, const sw_kql *q, candidate *c) {
    size_t n = q ? rule_candidates(q, c) : 0;
    /* With a clause of values, keep the others that hold one (the best
     * alone): a key that most records have would only cost time. */
    size_t strong = 0;
    while (strong < n && c[strong].kind == 0) strong++;
    if (strong) n = strong + (strong < n && c[strong].kind == 1);
    if (n > RI_RULE_CLAUSES) n = RI_RULE_CLAUSES;
    if (n > 1 && ix->n_clause_ids + n > RI_MAX_CLAUSES) n = 1; /* no ids left: its best clause alone */
    ix->clauses[r] = (uint8_t)n;
    if (n == 0) {
        ix->skip = false;
        return 0;
    }
    if (n == 1) return clause_add(ix, &c[0], true, 0);
    uint64_t need = 0;
    for (size_t k = 0; k < n; k++) {
        need |= (uint64_t)1 << ix->n_clause_ids;
        if (clause_add(ix, &c[k], false, ix->n_clause_ids++) != 0) return -1;
    }
    ix->multi[ix->n_multi++] = need;
    return 0;
}

/* The event types of rule r as its one clause. */
static int event_type_condition(sw_ruleindex *ix, size_t r, const sw_kql_str *vals, long n) {
    ix->clauses[r] = 1;
    for (long k = 0; k < n; k++) {
        draft d;
        if (vals[k].n < 2 || !value_draft(&d, vals[k].p, vals[k].n)) {
            ix->skip = false;
            continue;
        }
        long i = needle_add(ix, &d);
        if (i < 0) return -1;
        ix->needles[i].decisive = true;
    }
    return 0;
}

/* Puts needle k in bucket b: the shorter ones first. */
static void bucket_add(sw_ruleindex *ix, size_t b, size_t k) {
    const needle *nd = &ix->needles[k];
    uint32_t *list = ix->bucket[b];
    if (nd->n < 8) {
        list[ix->n_bucket[b]] = list[ix->n_short[b]];
        list[ix->n_short[b]++] = (uint32_t)k;
    } else {
        list[ix->n_bucket[b]] = (uint32_t)k;
        size_t h = head_bit(nd->head);
        ix->heads[h / 64] |= (uint64_t)1 << (h % 64);
    }
    ix->n_bucket[b]++;
}

/* Notes a needle's first three bytes among the starts. */
static void note_start(sw_ruleindex *ix, const needle *nd) {
    if (nd->n < 3) {
        ix->n_starts = RI_STARTS + 1; /* a two-byte needle: by the nibbles, its third byte any */
        return;
    }
    for (size_t k = 0; k < ix->n_starts && k < RI_STARTS; k++)
        if (memcmp(ix->starts[k], nd->p, 3) == 0) return;
    if (ix->n_starts < RI_STARTS) memcpy(ix->starts[ix->n_starts], nd->p, 3);
    if (ix->n_starts <= RI_STARTS) ix->n_starts++;
}

/* Buckets by the needles' first three bytes (round robin); the nibble
 * tables and the escape tables. */
static int tables_build(sw_ruleindex *ix) {
    uint32_t firsts[RI_BUCKETS * 64];
    size_t n_firsts = 0;
    for (size_t k = 0; k < RI_BUCKETS; k++) {
        ix->bucket[k] = malloc((ix->n_needles ? ix->n_needles : 1) * sizeof *ix->bucket[k]);
        if (!ix->bucket[k]) return -1;
    }
    for (size_t k = 0; k < ix->n_needles; k++) {
        const needle *nd = &ix->needles[k];
        const unsigned char *b = (const unsigned char *)nd->p;
        uint32_t f = (uint32_t)(b[0] | b[1] << 8 | (nd->n > 2 ? b[2] << 16 | 1u << 24 : 0));
        size_t g = 0;
        while (g < n_firsts && firsts[g] != f) g++;
        if (g == n_firsts && n_firsts < sizeof firsts / sizeof firsts[0]) firsts[n_firsts++] = f;
        note_start(ix, nd);
        uint8_t bit = (uint8_t)(1u << (g % RI_BUCKETS));
        bucket_add(ix, g % RI_BUCKETS, k);
        for (int j = 0; j < 3; j++) {
            if (j == 2 && nd->n == 2) { /* any third byte */
                for (int x = 0; x < 16; x++) ix->nib[4][x] |= bit, ix->nib[5][x] |= bit;
                continue;
            }
            ix->nib[2 * j][b[j] & 15] |= bit;
            ix->nib[2 * j + 1][b[j] >> 4] |= bit;
        }
        for (uint32_t c = nd->c0; c < nd->c1; c++) {
            unsigned ch = b[c] < 0x80 ? b[c] : RI_ESC_HIGH;
            if (nd->decisive) ix->esc_decisive[ch] = true;
            ix->esc_clauses[ch] |= nd->clauses;
        }
    }
    return 0;
}

/* ---- the event types, for select --------------------------------------------- */

/* Adds value s (copied to *text) for rule r. */
static void add_value(sw_ruleindex *ix, const sw_kql_str *s, size_t r, char **text) {
    size_t i = slot_of(ix, s->p, s->n);
    value *v = &ix->tab[i];
    if (!v->p) {
        memcpy(*text, s->p, s->n);
        *v = (value){*text, (uint32_t)s->n, (uint32_t)ix->n_values++};
        *text += s->n;
        if (s->n > ix->max_len) ix->max_len = (uint32_t)s->n;
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

/* Each rule's event types (into the table) or its raw condition. */
static int fill_values(sw_ruleindex *ix, const sw_kql *const *queries, candidate *scratch) {
    char *text = ix->text;
    for (size_t r = 0; r < ix->n_rules; r++) {
        long n = ix->types[r];
        if (n == SW_KQL_UNCONSTRAINED) {
            if (rule_condition(ix, r, queries[r], scratch) != 0) return -1;
            continue;
        }
        sw_kql_str *vals = required(queries[r], ix->rows, n);
        if (!vals) return -1;
        for (long k = 0; k < n; k++) add_value(ix, &vals[k], r, &text);
        int rc = event_type_condition(ix, r, vals, n);
        free(vals);
        if (rc != 0) return -1;
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
    size_t multi = ix->n_rules * sizeof(uint64_t), clauses = ix->n_rules;
    char *at = ix->rules_block = calloc(1, types + 2 * words + multi + clauses + 32);
    if (!at) return -1;
    ix->types = carve(&at, types);
    ix->always = carve(&at, words);
    ix->every = carve(&at, words);
    ix->multi = carve(&at, multi);
    ix->clauses = carve(&at, clauses);
    return 0;
}

/* The table of values, their masks and bytes, in one zeroed block. */
static int values_alloc(sw_ruleindex *ix, size_t n_values, size_t bytes) {
    ix->cap = 16;
    while (ix->cap < 2 * n_values) ix->cap *= 2;
    size_t tab = ix->cap * sizeof(value), masks = n_values * ix->words * sizeof(uint64_t);
    char *at = ix->values_block = calloc(1, tab + masks + bytes + 24);
    if (!at) return -1;
    ix->tab = carve(&at, tab);
    ix->masks = carve(&at, masks);
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
#ifdef SW_RI_X86
    __builtin_cpu_init();
    ix->avx2 = __builtin_cpu_supports("avx2");
#endif
    ix->words = n ? (n + 63) / 64 : 1;
    ix->skip = n > 0;
    size_t n_values, bytes;
    candidate *scratch = malloc(RI_CANDIDATES * sizeof *scratch);
    if (!scratch || rules_alloc(ix) != 0 || count_values(ix, queries, &n_values, &bytes) != 0 ||
        values_alloc(ix, n_values, bytes) != 0 || fill_values(ix, queries, scratch) != 0 || tables_build(ix) != 0) {
        free(scratch);
        sw_ruleindex_free(ix);
        return NULL;
    }
    free(scratch);
    for (size_t r = 0; r < n; r++) set_bit(ix->every, r);
    return ix;
}

void sw_ruleindex_free(sw_ruleindex *ix) {
    if (!ix) return;
    for (size_t k = 0; k < ix->n_needles; k++) free(ix->needles[k].p);
    free(ix->needles);
    for (size_t k = 0; k < RI_BUCKETS; k++) free(ix->bucket[k]);
    free(ix->rules_block);
    free(ix->values_block);
    free(ix);
}

size_t sw_ruleindex_words(const sw_ruleindex *ix) { return ix->words; }

long sw_ruleindex_event_types(const sw_ruleindex *ix, size_t rule) {
    return rule < ix->n_rules ? ix->types[rule] : SW_KQL_UNCONSTRAINED;
}

size_t sw_ruleindex_raw_clauses(const sw_ruleindex *ix, size_t rule) {
    return rule < ix->n_rules ? ix->clauses[rule] : 0;
}

bool sw_ruleindex_can_skip(const sw_ruleindex *ix) { return ix->skip; }

/* ---- (a) the raw skip ---------------------------------------------------- */

/* What the record has shown so far: the numbered clauses with an atom. */
typedef struct {
    uint64_t sat;
} seen;

/* Has some rule every clause now? */
static bool rule_complete(const sw_ruleindex *ix, uint64_t sat) {
    for (size_t k = 0; k < ix->n_multi; k++)
        if ((sat & ix->multi[k]) == ix->multi[k]) return true;
    return false;
}

/* An atom (needle k) is there: true when the record may match. */
static bool found(const sw_ruleindex *ix, uint64_t clauses, bool decisive, seen *s) {
    if (decisive) return true;
    if (!(clauses & ~s->sat)) return false;
    s->sat |= clauses;
    return rule_complete(ix, s->sat);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* rec[i] is '\\': the escape table slot of the character it spells, or -1
 * (truncated or invalid: the record is malformed). */
static int escape_slot(const char *rec, size_t len, size_t i) {
    if (i + 1 >= len) return -1;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *short_esc = rec[i + 1] ? strchr(from, rec[i + 1]) : NULL;
    if (short_esc) return (unsigned char)to[short_esc - from];
    if (rec[i + 1] != 'u' || i + 6 > len) return -1;
    int cp = 0;
    for (size_t k = i + 2; k < i + 6; k++) {
        int h = hexval(rec[k]);
        if (h < 0) return -1;
        cp = cp << 4 | h;
    }
    return cp < 0x80 ? cp : RI_ESC_HIGH;
}

static bool escape_at(const sw_ruleindex *ix, const char *rec, size_t len, size_t i, seen *s) {
    int slot = escape_slot(rec, len, i);
    return slot >= 0 && found(ix, ix->esc_clauses[slot], ix->esc_decisive[slot], s);
}

/* Is needle nd at rec[i ..]?  Its first 8 bytes are compared in one load
 * when the record has them. */
static inline bool needle_is_at(const needle *nd, const char *rec, size_t len, size_t i) {
    if (nd->n > len - i) return false;
    if (len - i < 8) return memcmp(rec + i, nd->p, nd->n) == 0;
    uint64_t w;
    memcpy(&w, rec + i, 8);
    return (w & nd->head_mask) == nd->head && (nd->n <= 8 || memcmp(rec + i + 8, nd->p + 8, nd->n - 8) == 0);
}

/* Position i's candidate buckets: the needles there are checked in full;
 * the longer ones only when the filter has the next 8 bytes. */
static bool needles_at(const sw_ruleindex *ix, const char *rec, size_t len, size_t i, unsigned buckets, seen *s) {
    bool longer = true;
    if (len - i >= 8) {
        uint64_t w;
        memcpy(&w, rec + i, 8);
        size_t h = head_bit(w);
        longer = ix->heads[h / 64] >> (h % 64) & 1;
    }
    for (; buckets; buckets &= buckets - 1) {
        unsigned b = (unsigned)__builtin_ctz(buckets);
        uint32_t end = longer ? ix->n_bucket[b] : ix->n_short[b];
        for (uint32_t k = 0; k < end; k++) {
            const needle *nd = &ix->needles[ix->bucket[b][k]];
            if (needle_is_at(nd, rec, len, i) && found(ix, nd->clauses, nd->decisive, s)) return true;
        }
    }
    return false;
}

static inline unsigned nib_of(const sw_ruleindex *ix, int j, unsigned char c) {
    return ix->nib[2 * j][c & 15] & ix->nib[2 * j + 1][c >> 4];
}

/* Positions [from, len) one at a time. */
static bool scan_bytes(const sw_ruleindex *ix, const char *rec, size_t len, size_t from, seen *s) {
    for (size_t i = from; i < len; i++) {
        if (rec[i] == '\\' && escape_at(ix, rec, len, i, s)) return true;
        if (i + 1 >= len) break;
        unsigned m = nib_of(ix, 0, (unsigned char)rec[i]) & nib_of(ix, 1, (unsigned char)rec[i + 1]) &
                     (i + 2 < len ? nib_of(ix, 2, (unsigned char)rec[i + 2]) : 0xff);
        if (m && needles_at(ix, rec, len, i, m, s)) return true;
    }
    return false;
}

#ifdef SW_RI_X86
__attribute__((target("avx2"))) static inline __m256i buckets_avx2(__m256i v, __m256i lo, __m256i hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    return _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, low4)),
                            _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4)));
}

/* The tables and constants of one pass. */
typedef struct {
    __m256i nib[6], start[RI_STARTS][3];
} consts;

__attribute__((target("avx2"))) static void consts_init(const sw_ruleindex *ix, consts *c) {
    for (int k = 0; k < 6; k++) c->nib[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)ix->nib[k]));
    for (size_t k = 0; k < ix->n_starts && k < RI_STARTS; k++)
        for (int j = 0; j < 3; j++) c->start[k][j] = _mm256_set1_epi8((char)ix->starts[k][j]);
}

/* Positions p[i .. i + 32) of the first len bytes of p (valid: those of
 * them below len, a bit each); loads reach p[i + 33], which must be
 * readable.  Candidates by the starts when there are few, else by the
 * nibble tables. */
__attribute__((target("avx2"))) static inline bool block_avx2(const sw_ruleindex *ix, const consts *c, const char *p,
                                                              size_t len, size_t i, unsigned valid, seen *s) {
    __m256i b0 = _mm256_loadu_si256((const __m256i *)(p + i));
    __m256i b1 = _mm256_loadu_si256((const __m256i *)(p + i + 1));
    __m256i b2 = _mm256_loadu_si256((const __m256i *)(p + i + 2));
    unsigned cand;
    size_t ns = ix->n_starts;
    if (ns <= RI_STARTS) {
        __m256i hit = _mm256_setzero_si256();
        for (size_t k = 0; k < ns; k++)
            hit = _mm256_or_si256(hit, _mm256_and_si256(_mm256_cmpeq_epi8(b0, c->start[k][0]),
                                                        _mm256_and_si256(_mm256_cmpeq_epi8(b1, c->start[k][1]),
                                                                         _mm256_cmpeq_epi8(b2, c->start[k][2]))));
        cand = (unsigned)_mm256_movemask_epi8(hit);
    } else {
        __m256i m = _mm256_and_si256(_mm256_and_si256(buckets_avx2(b0, c->nib[0], c->nib[1]),
                                                      buckets_avx2(b1, c->nib[2], c->nib[3])),
                                     buckets_avx2(b2, c->nib[4], c->nib[5]));
        cand = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
    }
    unsigned esc = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b0, _mm256_set1_epi8('\\')));
    cand &= valid;
    esc &= valid;
    for (; cand; cand &= cand - 1) {
        size_t at = i + (unsigned)__builtin_ctz(cand);
        unsigned m = nib_of(ix, 0, (unsigned char)p[at]) & nib_of(ix, 1, (unsigned char)p[at + 1]) &
                     nib_of(ix, 2, (unsigned char)p[at + 2]);
        if (needles_at(ix, p, len, at, m, s)) return true;
    }
    for (; esc; esc &= esc - 1)
        if (escape_at(ix, p, len, i + (unsigned)__builtin_ctz(esc), s)) return true;
    return false;
}

/* The whole record, 32 positions at a time; the last (under 34) bytes from
 * a zero-padded copy, where no needle nor escape can be found that the
 * record does not hold (positions and lengths are the copy's). */
__attribute__((target("avx2"))) static bool scan_avx2(const sw_ruleindex *ix, const char *rec, size_t len, seen *s) {
    consts c;
    consts_init(ix, &c);
    size_t i = 0;
    for (; i + 2 + 32 <= len; i += 32)
        if (block_avx2(ix, &c, rec, len, i, ~0u, s)) return true;
    char tail[32 + 34] = {0};
    size_t rest = len - i; /* < 34 */
    memcpy(tail, rec + i, rest);
    if (block_avx2(ix, &c, tail, rest, 0, rest >= 32 ? ~0u : (1u << rest) - 1, s)) return true;
    return rest > 32 && block_avx2(ix, &c, tail, rest, 32, (1u << (rest - 32)) - 1, s);
}
#endif

bool sw_ruleindex_may_match(const sw_ruleindex *ix, const char *rec, size_t len) {
    if (!ix->skip) return true;
    seen s = {0};
#ifdef SW_RI_X86
    if (ix->avx2 && sw_prefilter_level() >= SW_SCAN_AVX2) return scan_avx2(ix, rec, len, &s);
#endif
    return scan_bytes(ix, rec, len, 0, &s);
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
