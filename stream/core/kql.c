/* kql.c -- compiles the KQL subset of kql.h into a flat tree of nodes and
 * evaluates it.  It owns the language (grammar, escapes, precedence) and
 * the matching semantics; it knows no field names (the caller's resolver
 * does) and no record format (the caller extracts the values).
 *
 * Grammar: a recursive-descent reading of Kibana's kuery grammar
 * (packages/kbn-es-query/src/kuery/grammar/grammar.peggy), written here,
 * accepting exactly what it accepts within the subset:
 *
 *   query   = Space* or Space*                     (nothing else after it)
 *   or      = and (Space+ "or" Space+ and)*        keywords case-insensitive
 *   and     = not (Space+ "and" Space+ not)*
 *   not     = "not" Space+ sub | sub               (so "not not x" and
 *   sub     = "(" Space* or Space* ")" | expr        "not(x)" are errors)
 *   expr    = literal Space* ":" Space* list
 *   list    = "(" Space* lor Space* ")" | value    (value lists: same
 *   lor/land/lnot = or/and/not over list           precedence, any depth)
 *   value   = quoted | unquoted
 *   Space   = space, tab, CR, LF, U+00A0
 *
 * Unquoted literals (field names and values) run until one of \():<>"*{}
 * or a keyword: Space+ or Space+, Space+ and Space+, or "not" Space+ at ANY
 * position (Kibana's own quirk: f:cannot be is a syntax error; quote it,
 * or write f:can\NOT be, since \not is \n then "ot", see below); so an
 * "or" or "and" with no space after it is text (f:x or is the value "x or").
 * Spaces inside are kept and the literal is trimmed of whitespace at both
 * ends (JavaScript's trim set).  Escapes, tried in this order: \t \r \n,
 * a backslash before one of \():<>"*{}, \uXXXX, \or \and \not
 * (case-insensitive, kept as written; "\not" is therefore a newline then
 * "ot", as in Kibana).  Any
 * other backslash is an error.  An unescaped * is a wildcard; ? is an
 * ordinary character (Kibana escapes it before Elasticsearch sees it, so
 * f:a?c matches the text a?c only).  Unquoted null, true and false are
 * those literals; anything else is text (numbers included).
 * Quoted strings hold any character but "; escapes \t \r \n \uXXXX \\ \";
 * a backslash before anything else is kept as a backslash.  No wildcard,
 * no trimming.  \uXXXX surrogate pairs combine; a lone surrogate is U+FFFD
 * (as the extractor reads one in a record).
 *
 * Refused, with line and column of the construct: ranges (f > 5, f <= 5),
 * nested f:{...}, free text without a field, wildcards in a field name,
 * unquoted null, CIDR values on ip fields, wildcards on non-keyword
 * fields, a value that does not fit its field's type, an unknown field, an
 * empty query; and, as limits, a query over 64 KiB, a value over 4096
 * bytes or 64 wildcards, a field name over 255 bytes, parentheses nested
 * over 32 deep.
 *
 * Semantics (Elasticsearch on the Okta integration's mapping):
 *  - keyword and flattened fields: exact, case-sensitive byte comparison
 *    of the unescaped text; * matches any run of bytes (also empty), with
 *    the same case-sensitivity.  A JSON number or boolean held by such a
 *    field is compared by its text (5, true), as Elasticsearch indexes it.
 *  - boolean fields: true/false, quoted or not; they match a JSON boolean
 *    and the strings "true"/"false" (and "" as false), which
 *    Elasticsearch accepts in a boolean field.
 *  - long fields: a decimal integer, quoted or not; it matches an integer
 *    value or a string holding that decimal integer (Elasticsearch coerces).
 *  - ip fields: an IPv4 or IPv6 address, compared as an address
 *    (1.2.3.4 equals ::ffff:1.2.3.4).
 *  - any field: an array matches when any element does; f:* is true when
 *    the field has at least one value; every clause on a missing field is
 *    false, so not f:v is true on it.  Each clause of a value list is
 *    applied to the whole array: f:(a and b) holds for ["a","b"].
 *
 * Compilation runs the parser twice over the query: a first pass checks
 * and counts, one allocation is sized exactly, a second pass fills it.  The
 * nodes are a tree in an array (first child, next sibling), evaluated by
 * recursion with short-circuit; its depth is bounded by the nesting limit. */
#include "kql.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KQL_MAX_QUERY (64u * 1024u)
#define KQL_MAX_VALUE 4096u
#define KQL_MAX_SEGS 65u /* 64 wildcards */
#define KQL_MAX_NAME 255u
#define KQL_MAX_DEPTH 32
#define NONE UINT32_MAX
/* The second pass must see what the first saw; only a resolver that
 * changes its answers between the two calls can make it differ. */
#define UNSTABLE "internal: the field resolver answered differently twice"

typedef enum {
    OP_AND,    /* kid: first child; all hold */
    OP_OR,     /* kid: first child; one holds */
    OP_NOT,    /* kid: the child */
    OP_EXISTS, /* the field has a value */
    OP_EXACT,  /* keyword: pool[text .. text+len) */
    OP_GLOB,   /* keyword: segs[seg .. seg+nseg) lengths of pool[text ..], a * between each */
    OP_BOOL,   /* boolean: b */
    OP_LONG,   /* long: i */
    OP_IP      /* ip: ip[16] */
} op_t;

typedef struct {
    uint8_t op;
    uint8_t b;
    uint32_t next; /* next sibling, or NONE */
    uint32_t kid;
    uint32_t field;
    uint32_t text, len;
    uint32_t seg, nseg;
    int64_t i;
    uint8_t ip[16];
} node;

struct sw_kql {
    const node *nodes;
    uint32_t n_nodes, root;
    const uint32_t *fields;
    uint32_t n_fields;
    const uint32_t *segs;
    const char *pool;
};

/* ---- parser state ------------------------------------------------------ */

typedef enum { LIT_TEXT, LIT_TRUE, LIT_FALSE, LIT_NULL, LIT_WILDCARD, LIT_EXISTS } lit_kind;

/* The literal just read: unescaped text with the wildcards taken out,
 * seg[k] the length of the k-th run between them. */
typedef struct {
    char text[KQL_MAX_VALUE + 1];
    uint32_t len;
    uint32_t seg[KQL_MAX_SEGS];
    uint32_t nseg;
    uint8_t quoted, kind;
    uint32_t start, end; /* where it is in the query */
} literal;

/* The field a value list applies to. */
typedef struct {
    char name[KQL_MAX_NAME + 1];
    uint32_t len, index;
    sw_kql_ftype type;
} target;

typedef struct {
    const char *s;
    uint32_t len, pos;
    int depth;
    sw_kql_resolve_fn resolve;
    void *ctx;
    sw_kql_error *err;
    int failed;
    literal lit;
    /* Output.  NULL in the counting pass, where only the counts move. */
    node *nodes;
    uint32_t *fields, *segs;
    char *pool;
    uint32_t n_nodes, n_leaves, n_fields, n_segs, n_pool;
    /* Capacities of the filling pass (the counts of the first). */
    uint32_t cap_nodes, cap_leaves, cap_segs, cap_pool;
} parser;

/* ---- errors -------------------------------------------------------------- */

static void locate(const char *s, uint32_t len, uint32_t at, sw_kql_error *e) {
    uint32_t line = 1, col = 1;
    for (uint32_t i = 0; i < at && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') line++, col = 1;
        else if ((c & 0xC0) != 0x80) col++;
    }
    e->line = line;
    e->column = col;
    e->offset = at;
}

/* A snippet for a message: printable ASCII as is, other bytes as \xNN. */
static const char *show(char *buf, size_t cap, const char *p, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (o + 12 >= cap && i + 1 < n) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7F) buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", c);
    }
    buf[o] = '\0';
    return buf;
}

__attribute__((format(printf, 3, 4))) static uint32_t fail(parser *p, uint32_t at, const char *fmt, ...) {
    if (p->failed) return NONE;
    p->failed = 1;
    if (p->err) {
        locate(p->s, p->len, at, p->err);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
        va_end(ap);
    }
    return NONE;
}

/* ---- characters -------------------------------------------------------- */

static uint32_t space_at(const parser *p, uint32_t i) {
    if (i >= p->len) return 0;
    unsigned char c = (unsigned char)p->s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return 1;
    if (c == 0xC2 && i + 1 < p->len && (unsigned char)p->s[i + 1] == 0xA0) return 2;
    return 0;
}

static uint32_t skip_spaces(const parser *p, uint32_t i) {
    uint32_t k;
    while ((k = space_at(p, i))) i += k;
    return i;
}

static int special(char c) { return c && strchr("\\():<>\"*{}", c) != NULL; }

static int word_at(const parser *p, uint32_t i, const char *w) {
    size_t n = strlen(w);
    if (i + n > p->len) return 0;
    for (size_t k = 0; k < n; k++) {
        char c = p->s[i + k];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != w[k]) return 0;
    }
    return 1;
}

/* Length of Space+ w Space+ at i (w is "or" or "and"), else 0. */
static uint32_t binary_keyword_at(const parser *p, uint32_t i, const char *w) {
    uint32_t j = skip_spaces(p, i);
    if (j == i || !word_at(p, j, w)) return 0;
    uint32_t k = skip_spaces(p, j + (uint32_t)strlen(w));
    return k == j + strlen(w) ? 0 : k - i;
}

/* Length of "not" Space+ at i, else 0. */
static uint32_t not_keyword_at(const parser *p, uint32_t i) {
    if (!word_at(p, i, "not")) return 0;
    uint32_t k = skip_spaces(p, i + 3);
    return k == i + 3 ? 0 : k - i;
}

static int hex4(const parser *p, uint32_t i, uint32_t *v) {
    if (i + 4 > p->len) return 0;
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[i + (uint32_t)k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return 0;
        *v = *v * 16 + (uint32_t)d;
    }
    return 1;
}

/* ---- literals ------------------------------------------------------------ */

static int lit_put(parser *p, literal *l, const char *b, uint32_t n) {
    if (l->len + n > KQL_MAX_VALUE) {
        fail(p, l->start, "a value or field name longer than %u bytes is not supported", KQL_MAX_VALUE);
        return -1;
    }
    memcpy(l->text + l->len, b, n);
    l->len += n;
    l->seg[l->nseg - 1] += n;
    return 0;
}

static int lit_put_cp(parser *p, literal *l, uint32_t cp) {
    char b[4];
    uint32_t n;
    if (cp < 0x80) b[0] = (char)cp, n = 1;
    else if (cp < 0x800) b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)),
        n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3F)), b[2] = (char)(0x80 | (cp >> 6 & 0x3F)),
        b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    return lit_put(p, l, b, n);
}

/* \uXXXX at i (i at the backslash): the code point, pairing surrogates;
 * *used the bytes read.  0 when there is no \uXXXX at i. */
static int unicode_escape(const parser *p, uint32_t i, uint32_t *cp, uint32_t *used) {
    uint32_t hi, lo;
    if (i + 1 >= p->len || p->s[i + 1] != 'u' || !hex4(p, i + 2, &hi)) return 0;
    *used = 6;
    *cp = hi;
    if (hi >= 0xD800 && hi <= 0xDBFF && i + 7 < p->len && p->s[i + 6] == '\\' && p->s[i + 7] == 'u' &&
        hex4(p, i + 8, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
        *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        *used = 12;
    } else if (hi >= 0xD800 && hi <= 0xDFFF) {
        *cp = 0xFFFD;
    }
    return 1;
}

/* One escape of an unquoted literal at i (a backslash); bytes read, 0 if
 * it is not one. */
static uint32_t unquoted_escape(parser *p, literal *l, uint32_t i) {
    char c = i + 1 < p->len ? p->s[i + 1] : '\0';
    uint32_t cp, used;
    static const char *const words[] = {"or", "and", "not"};
    if (c == 't' || c == 'r' || c == 'n') return lit_put(p, l, c == 't' ? "\t" : c == 'r' ? "\r" : "\n", 1) ? 0 : 2;
    if (i + 1 < p->len && special(c)) return lit_put(p, l, &p->s[i + 1], 1) ? 0 : 2;
    if (unicode_escape(p, i, &cp, &used)) return lit_put_cp(p, l, cp) ? 0 : used;
    for (int k = 0; k < 3; k++) {
        uint32_t n = (uint32_t)strlen(words[k]);
        if (word_at(p, i + 1, words[k])) return lit_put(p, l, &p->s[i + 1], n) ? 0 : n + 1;
    }
    char shown[16];
    if (!p->failed)
        fail(p, i, "invalid escape `\\%s` (KQL escapes \\t \\r \\n \\uXXXX, \\ before one of \\():<>\"*{}, "
                   "and \\or \\and \\not)",
             i + 1 < p->len ? show(shown, sizeof shown, &p->s[i + 1], 1) : "");
    return 0;
}

/* JavaScript's String.prototype.trim set: bytes of a whitespace character
 * starting at s[i] (forward) or ending at s[i - 1] (backward), else 0. */
static uint32_t js_space(const char *s, uint32_t n, uint32_t i, int backward) {
    static const char *const wide[] = {"\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF",
                                       "\xE2\x81\x9F", "\xE3\x80\x80", "\xEF\xBB\xBF"};
    if (backward ? i == 0 : i >= n) return 0;
    unsigned char c = (unsigned char)s[backward ? i - 1 : i];
    if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
    for (uint32_t w = 2; w <= 3; w++) {
        if (backward ? i < w : i + w > n) continue;
        const char *at = s + (backward ? i - w : i);
        for (size_t k = 0; k < sizeof wide / sizeof *wide; k++)
            if (strlen(wide[k]) == w && memcmp(at, wide[k], w) == 0) return w;
        /* U+2000 .. U+200A */
        if (w == 3 && (unsigned char)at[0] == 0xE2 && (unsigned char)at[1] == 0x80 && (unsigned char)at[2] >= 0x80 &&
            (unsigned char)at[2] <= 0x8A)
            return 3;
    }
    return 0;
}

static void lit_trim(literal *l) {
    uint32_t k, cut = 0;
    while (cut < l->seg[0] && (k = js_space(l->text, l->seg[0], cut, 0))) cut += k;
    memmove(l->text, l->text + cut, l->len - cut);
    l->len -= cut;
    l->seg[0] -= cut;
    uint32_t last = l->len - l->seg[l->nseg - 1];
    while (l->len > last && (k = js_space(l->text, l->len, l->len, 1)) && l->len - k >= last) {
        l->len -= k;
        l->seg[l->nseg - 1] -= k;
    }
}

static void lit_classify(literal *l) {
    l->kind = LIT_TEXT;
    if (l->quoted) return;
    if (l->nseg > 1) {
        l->kind = l->nseg == 2 && l->len == 0 ? LIT_EXISTS : LIT_WILDCARD;
        return;
    }
    if (l->len == 4 && memcmp(l->text, "null", 4) == 0) l->kind = LIT_NULL;
    if (l->len == 4 && memcmp(l->text, "true", 4) == 0) l->kind = LIT_TRUE;
    if (l->len == 5 && memcmp(l->text, "false", 5) == 0) l->kind = LIT_FALSE;
}

static int read_quoted(parser *p, literal *l) {
    uint32_t i = p->pos + 1, cp, used;
    while (i < p->len && p->s[i] != '"') {
        char c = p->s[i], d = i + 1 < p->len ? p->s[i + 1] : '\0';
        int r;
        if (c == '\\' && (d == 't' || d == 'r' || d == 'n'))
            r = lit_put(p, l, d == 't' ? "\t" : d == 'r' ? "\r" : "\n", 1), used = 2;
        else if (c == '\\' && unicode_escape(p, i, &cp, &used)) r = lit_put_cp(p, l, cp);
        else if (c == '\\' && (d == '\\' || d == '"') && i + 1 < p->len) r = lit_put(p, l, &d, 1), used = 2;
        else r = lit_put(p, l, &c, 1), used = 1;
        if (r) return -1;
        i += used;
    }
    if (i >= p->len) {
        fail(p, l->start, "unterminated quoted string (no closing \")");
        return -1;
    }
    p->pos = i + 1;
    return 0;
}

static int read_unquoted(parser *p, literal *l) {
    uint32_t i = p->pos;
    while (i < p->len && !p->failed) {
        char c = p->s[i];
        if (c == '\\') {
            uint32_t used = unquoted_escape(p, l, i);
            if (!used) return -1;
            i += used;
        } else if (c == '*') {
            if (l->nseg == KQL_MAX_SEGS) {
                fail(p, l->start, "more than %u wildcards in one value are not supported", KQL_MAX_SEGS - 1);
                return -1;
            }
            l->seg[l->nseg++] = 0;
            i++;
        } else if (special(c)) {
            break;
        } else if (space_at(p, i)) {
            /* A run of spaces is one piece: either " or "/" and " starts
             * at its first byte, or at none of them. */
            uint32_t j = skip_spaces(p, i);
            if (binary_keyword_at(p, i, "or") || binary_keyword_at(p, i, "and")) break;
            if (lit_put(p, l, p->s + i, j - i)) return -1;
            i = j;
        } else if ((c == 'n' || c == 'N') && not_keyword_at(p, i)) {
            break;
        } else if (lit_put(p, l, &c, 1)) {
            return -1;
        } else {
            i++;
        }
    }
    if (p->failed) return -1;
    p->pos = i;
    lit_trim(l);
    return 0;
}

/* Reads a literal at p->pos into p->lit.  0 when one was read; 1 when there
 * is none here (p->pos unchanged); -1 on an error (reported). */
static int read_literal(parser *p) {
    literal *l = &p->lit;
    l->len = 0;
    l->nseg = 1;
    l->seg[0] = 0;
    l->start = p->pos;
    l->quoted = p->pos < p->len && p->s[p->pos] == '"';
    if (l->quoted) {
        if (read_quoted(p, l)) return -1;
    } else {
        if (read_unquoted(p, l)) return -1;
        if (p->pos == l->start) return 1;
    }
    l->end = p->pos;
    lit_classify(l);
    return 0;
}

/* ---- output -------------------------------------------------------------- */

static uint32_t new_node(parser *p, op_t op) {
    if (p->nodes && p->n_nodes >= p->cap_nodes) return fail(p, p->pos, UNSTABLE);
    uint32_t i = p->n_nodes++;
    if (p->nodes) {
        memset(&p->nodes[i], 0, sizeof p->nodes[i]);
        p->nodes[i].op = (uint8_t)op;
        p->nodes[i].next = p->nodes[i].kid = NONE;
    }
    return i;
}

static uint32_t new_leaf(parser *p, op_t op, const target *t) {
    if (p->nodes && p->n_leaves >= p->cap_leaves) return fail(p, p->pos, UNSTABLE);
    uint32_t i = new_node(p, op);
    p->n_leaves++;
    if (i == NONE || !p->nodes) return i;
    p->nodes[i].field = t->index;
    uint32_t k = 0;
    while (k < p->n_fields && p->fields[k] != t->index) k++;
    if (k == p->n_fields) p->fields[p->n_fields++] = t->index;
    return i;
}

/* Copies the literal's text (and wildcard runs) into the pool. */
static int keep_text(parser *p, uint32_t i, int with_segs) {
    const literal *l = &p->lit;
    if (p->nodes && (p->n_pool + l->len > p->cap_pool || (with_segs && p->n_segs + l->nseg > p->cap_segs))) {
        fail(p, l->start, UNSTABLE);
        return -1;
    }
    if (p->nodes) {
        memcpy(p->pool + p->n_pool, l->text, l->len);
        p->nodes[i].text = p->n_pool;
        p->nodes[i].len = l->len;
        if (with_segs) {
            memcpy(p->segs + p->n_segs, l->seg, l->nseg * sizeof *l->seg);
            p->nodes[i].seg = p->n_segs;
            p->nodes[i].nseg = l->nseg;
        }
    }
    p->n_pool += l->len;
    if (with_segs) p->n_segs += l->nseg;
    return 0;
}

static void link_after(parser *p, uint32_t prev, uint32_t next) {
    if (p->nodes) p->nodes[prev].next = next;
}

static void set_kid(parser *p, uint32_t parent, uint32_t kid) {
    if (p->nodes) p->nodes[parent].kid = kid;
}

/* ---- leaves: a literal applied to a field -------------------------------- */

static int parse_long(const char *s, uint32_t n, int64_t *v) {
    uint32_t i = 0;
    int neg = 0;
    if (n && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', i = 1;
    if (i == n) return -1;
    uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (lim - d) / 10) return -1;
        x = x * 10 + d;
    }
    *v = neg ? (x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x) : (int64_t)x;
    return 0;
}

/* An IPv4 address as IPv4-mapped IPv6, or an IPv6 address. */
static int parse_ip(const char *s, uint32_t n, uint8_t out[16]) {
    char buf[64];
    if (n == 0 || n >= sizeof buf || memchr(s, '\0', n)) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, out + 12) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xFF;
        return 0;
    }
    return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

static const char *type_name(sw_kql_ftype t) {
    switch (t) {
    case SW_KQL_KEYWORD: return "keyword";
    case SW_KQL_BOOLEAN: return "boolean";
    case SW_KQL_LONG: return "long";
    case SW_KQL_IP: return "ip";
    case SW_KQL_FLATTENED: return "flattened";
    }
    return "unknown";
}

static uint32_t refuse_value(parser *p, const target *t, const char *why) {
    char v[64], f[64];
    return fail(p, p->lit.start, "value `%s` on %s field `%s`: %s", show(v, sizeof v, p->lit.text, p->lit.len),
                type_name(t->type), show(f, sizeof f, t->name, t->len), why);
}

static uint32_t keyword_leaf(parser *p, const target *t) {
    int glob = p->lit.kind == LIT_WILDCARD;
    uint32_t i = new_leaf(p, glob ? OP_GLOB : OP_EXACT, t);
    if (i == NONE || keep_text(p, i, glob)) return NONE;
    return i;
}

static uint32_t boolean_leaf(parser *p, const target *t) {
    const literal *l = &p->lit;
    int yes = l->kind == LIT_TRUE || (l->kind == LIT_TEXT && l->len == 4 && memcmp(l->text, "true", 4) == 0);
    int no = l->kind == LIT_FALSE || (l->kind == LIT_TEXT && l->len == 5 && memcmp(l->text, "false", 5) == 0);
    if (l->kind == LIT_WILDCARD) return refuse_value(p, t, "wildcards apply to keyword fields only");
    if (!yes && !no) return refuse_value(p, t, "not true or false");
    uint32_t i = new_leaf(p, OP_BOOL, t);
    if (i != NONE && p->nodes) p->nodes[i].b = (uint8_t)yes;
    return i;
}

static uint32_t long_leaf(parser *p, const target *t) {
    int64_t v;
    if (p->lit.kind == LIT_WILDCARD) return refuse_value(p, t, "wildcards apply to keyword fields only");
    if (p->lit.kind != LIT_TEXT || parse_long(p->lit.text, p->lit.len, &v))
        return refuse_value(p, t, "not a 64-bit decimal integer");
    uint32_t i = new_leaf(p, OP_LONG, t);
    if (i != NONE && p->nodes) p->nodes[i].i = v;
    return i;
}

static uint32_t ip_leaf(parser *p, const target *t) {
    uint8_t ip[16];
    if (p->lit.kind == LIT_WILDCARD) return refuse_value(p, t, "wildcards apply to keyword fields only");
    if (memchr(p->lit.text, '/', p->lit.len)) return refuse_value(p, t, "CIDR ranges are not supported");
    if (p->lit.kind != LIT_TEXT || parse_ip(p->lit.text, p->lit.len, ip))
        return refuse_value(p, t, "not an IP address");
    uint32_t i = new_leaf(p, OP_IP, t);
    if (i != NONE && p->nodes) memcpy(p->nodes[i].ip, ip, 16);
    return i;
}

static uint32_t leaf(parser *p, const target *t) {
    if (p->lit.kind == LIT_EXISTS) return new_leaf(p, OP_EXISTS, t);
    if (p->lit.kind == LIT_NULL) return fail(p, p->lit.start, "unquoted `null` as a value is not supported");
    switch (t->type) {
    case SW_KQL_KEYWORD:
    case SW_KQL_FLATTENED: return keyword_leaf(p, t);
    case SW_KQL_BOOLEAN: return boolean_leaf(p, t);
    case SW_KQL_LONG: return long_leaf(p, t);
    case SW_KQL_IP: return ip_leaf(p, t);
    }
    char f[64];
    return fail(p, p->lit.start, "field `%s` has no type the query language knows", show(f, sizeof f, t->name, t->len));
}

/* ---- the grammar ----------------------------------------------------------- */

typedef uint32_t (*rule_fn)(parser *p, const target *t);

static uint32_t parse_or(parser *p, const target *t);

/* Parenthesised "or" of the query (t NULL) or of a value list. */
static uint32_t parse_group(parser *p, const target *t) {
    uint32_t open = p->pos;
    if (++p->depth > KQL_MAX_DEPTH)
        return fail(p, open, "parentheses nested deeper than %d are not supported", KQL_MAX_DEPTH);
    p->pos = skip_spaces(p, p->pos + 1);
    uint32_t q = parse_or(p, t);
    if (q == NONE) return NONE;
    p->pos = skip_spaces(p, p->pos);
    if (p->pos >= p->len || p->s[p->pos] != ')') {
        sw_kql_error at;
        locate(p->s, p->len, open, &at);
        return fail(p, p->pos, "expected `)` to close the `(` at line %u, column %u", at.line, at.column);
    }
    p->pos++;
    p->depth--;
    return q;
}

static uint32_t parse_value(parser *p, const target *t) {
    if (p->pos < p->len && p->s[p->pos] == '(') return parse_group(p, t);
    int r = read_literal(p);
    if (r < 0) return NONE;
    if (r > 0) return fail(p, p->pos, "expected a value");
    return leaf(p, t);
}

/* The field's name from the literal just read: wildcards are refused. */
static int take_field(parser *p, target *t) {
    const literal *l = &p->lit;
    char f[64];
    if (!l->quoted && l->nseg > 1) {
        fail(p, l->start, "field-name wildcard `%s` is not supported",
             show(f, sizeof f, p->s + l->start, l->end - l->start));
        return -1;
    }
    if (l->len > KQL_MAX_NAME) {
        fail(p, l->start, "a field name longer than %u bytes is not supported", KQL_MAX_NAME);
        return -1;
    }
    memcpy(t->name, l->text, l->len);
    t->name[l->len] = '\0';
    t->len = l->len;
    t->type = SW_KQL_KEYWORD;
    if (p->resolve(p->ctx, t->name, t->len, &t->index, &t->type) != 0) {
        fail(p, l->start, "unknown field `%s`", show(f, sizeof f, t->name, t->len));
        return -1;
    }
    return 0;
}

/* What follows a literal that is not "field:": a range or free text. */
static uint32_t refuse_not_field(parser *p, uint32_t start) {
    char s[64];
    const literal *l = &p->lit;
    uint32_t end = l->end;
    while (end > l->start && space_at(p, end - 1)) end--; /* an unquoted literal took the spaces after it */
    const char *text = show(s, sizeof s, p->s + l->start, end - l->start);
    if (p->pos < p->len && (p->s[p->pos] == '<' || p->s[p->pos] == '>')) {
        int eq = p->pos + 1 < p->len && p->s[p->pos + 1] == '=';
        return fail(p, start, "range query `%s %c%s ...` is not supported", text, p->s[p->pos], eq ? "=" : "");
    }
    if (end - l->start == 3 && word_at(p, l->start, "not") && p->pos < p->len && p->s[p->pos] == '(')
        return fail(p, start, "`not` needs a space before `(`");
    return fail(p, start, "free text `%s` without a field is not supported (write field:value)", text);
}

static uint32_t parse_expr(parser *p, const target *unused) {
    (void)unused;
    uint32_t start = p->pos;
    target t;
    int r = read_literal(p);
    if (r < 0) return NONE;
    if (r > 0) {
        if (p->pos >= p->len) return fail(p, p->pos, "expected a field:value clause, found the end of the query");
        if (not_keyword_at(p, p->pos)) return fail(p, p->pos, "`not` after `not` needs parentheses: not (not ...)");
        char s[16];
        return fail(p, p->pos, "expected a field:value clause, found `%s`", show(s, sizeof s, p->s + p->pos, 1));
    }
    p->pos = skip_spaces(p, p->pos);
    if (p->pos >= p->len || p->s[p->pos] != ':') return refuse_not_field(p, start);
    uint32_t after = skip_spaces(p, p->pos + 1);
    if (after < p->len && p->s[after] == '{') return fail(p, start, "nested query `field:{...}` is not supported");
    if (take_field(p, &t)) return NONE;
    p->pos = after;
    if (p->pos >= p->len) return fail(p, p->pos, "expected a value after `:`");
    return parse_value(p, &t);
}

/* A parenthesised query, or an expression (t NULL); a list element (t set). */
static uint32_t parse_sub(parser *p, const target *t) {
    if (t) return parse_value(p, t);
    if (p->pos < p->len && p->s[p->pos] == '(') return parse_group(p, NULL);
    return parse_expr(p, NULL);
}

static uint32_t parse_not(parser *p, const target *t) {
    uint32_t k = not_keyword_at(p, p->pos);
    if (!k) return parse_sub(p, t);
    p->pos += k;
    uint32_t n = new_node(p, OP_NOT);
    uint32_t c = parse_sub(p, t);
    if (n == NONE || c == NONE) return NONE;
    set_kid(p, n, c);
    return n;
}

/* head (keyword head)*, as one n-ary node when there is more than one. */
static uint32_t parse_chain(parser *p, const target *t, op_t op, const char *word, rule_fn sub) {
    uint32_t first = sub(p, t);
    if (first == NONE) return NONE;
    uint32_t k = binary_keyword_at(p, p->pos, word);
    if (!k) return first;
    uint32_t n = new_node(p, op), last = first;
    if (n == NONE) return NONE;
    set_kid(p, n, first);
    while (k) {
        p->pos += k;
        uint32_t c = sub(p, t);
        if (c == NONE) return NONE;
        link_after(p, last, c);
        last = c;
        k = binary_keyword_at(p, p->pos, word);
    }
    return n;
}

static uint32_t parse_and(parser *p, const target *t) { return parse_chain(p, t, OP_AND, "and", parse_not); }

static uint32_t parse_or(parser *p, const target *t) { return parse_chain(p, t, OP_OR, "or", parse_and); }

/* "or" or "and" at p->pos with nothing after it but spaces and the end. */
static int dangling_keyword(const parser *p, const char *w) {
    return word_at(p, p->pos, w) && skip_spaces(p, p->pos + (uint32_t)strlen(w)) == p->len;
}

static uint32_t parse_query(parser *p) {
    p->pos = skip_spaces(p, 0);
    if (p->pos >= p->len) return fail(p, p->pos, "empty query");
    uint32_t q = parse_or(p, NULL);
    if (q == NONE) return NONE;
    p->pos = skip_spaces(p, p->pos);
    if (p->pos < p->len) {
        char s[64];
        const char *rest = show(s, sizeof s, p->s + p->pos, p->len - p->pos < 20 ? p->len - p->pos : 20);
        if (p->s[p->pos] == ')') return fail(p, p->pos, "unbalanced `)`");
        if (dangling_keyword(p, "or") || dangling_keyword(p, "and"))
            return fail(p, p->pos, "expected a clause after `%s`", rest);
        return fail(p, p->pos, "expected AND, OR or the end of the query, found `%s`", rest);
    }
    return q;
}

static uint32_t parse_pass(parser *p) {
    p->pos = 0;
    p->depth = 0;
    p->n_nodes = p->n_leaves = p->n_fields = p->n_segs = p->n_pool = 0;
    return parse_query(p);
}

/* ---- compile ------------------------------------------------------------- */

static sw_kql *allocate(const parser *c) {
    size_t head = sizeof(sw_kql), nodes = (size_t)c->n_nodes * sizeof(node);
    size_t fields = (size_t)c->n_leaves * sizeof(uint32_t), segs = (size_t)c->n_segs * sizeof(uint32_t);
    sw_kql *q = malloc(head + nodes + fields + segs + c->n_pool + 1);
    if (!q) return NULL;
    memset(q, 0, sizeof *q);
    char *b = (char *)q + head;
    q->nodes = (const node *)b;
    q->fields = (const uint32_t *)(b + nodes);
    q->segs = (const uint32_t *)(b + nodes + fields);
    q->pool = b + nodes + fields + segs;
    return q;
}

sw_kql *sw_kql_compile(const char *query, size_t len, sw_kql_resolve_fn resolve, void *ctx, sw_kql_error *err) {
    if (err) memset(err, 0, sizeof *err);
    if (!query || !resolve) {
        if (err) snprintf(err->message, sizeof err->message, "no query or no resolver");
        return NULL;
    }
    parser p = {.s = query, .len = (uint32_t)(len <= KQL_MAX_QUERY ? len : 0), .resolve = resolve, .ctx = ctx,
                .err = err};
    if (len > KQL_MAX_QUERY) {
        fail(&p, 0, "a query longer than %u bytes is not supported", KQL_MAX_QUERY);
        return NULL;
    }
    if (parse_pass(&p) == NONE) return NULL;
    sw_kql *q = allocate(&p);
    if (!q) {
        if (err) snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    p.nodes = (node *)q->nodes;
    p.fields = (uint32_t *)q->fields;
    p.segs = (uint32_t *)q->segs;
    p.pool = (char *)q->pool;
    p.cap_nodes = p.n_nodes, p.cap_leaves = p.n_leaves, p.cap_segs = p.n_segs, p.cap_pool = p.n_pool;
    q->root = parse_pass(&p);
    if (q->root == NONE) {
        free(q);
        return NULL;
    }
    q->n_nodes = p.n_nodes;
    q->n_fields = p.n_fields;
    return q;
}

void sw_kql_free(sw_kql *q) { free(q); }

size_t sw_kql_fields(const sw_kql *q, const uint32_t **indices) {
    *indices = q->fields;
    return q->n_fields;
}

/* ---- evaluation ------------------------------------------------------------ */

/* The text a keyword field indexes for a value: a string as is, a number
 * in decimal, a boolean as true/false.  buf holds at least 24 bytes. */
static const char *value_text(const sw_kql_value *v, char *buf, uint32_t *n) {
    if (v->kind == SW_KQL_V_STRING) {
        *n = v->p ? v->n : 0;
        return v->p ? v->p : "";
    }
    if (v->kind == SW_KQL_V_BOOL) {
        *n = v->b ? 4 : 5;
        return v->b ? "true" : "false";
    }
    uint64_t x = v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i;
    char *e = buf + 24, *s = e;
    do *--s = (char)('0' + x % 10);
    while (x /= 10);
    if (v->i < 0) *--s = '-';
    *n = (uint32_t)(e - s);
    return s;
}

/* s[0 .. n) against runs t of lengths seg[0 .. nseg), a * between each. */
static bool glob_match(const char *s, uint32_t n, const char *t, const uint32_t *seg, uint32_t nseg) {
    uint32_t head = seg[0], tail = seg[nseg - 1], total = 0;
    for (uint32_t k = 0; k < nseg; k++) total += seg[k];
    if ((uint64_t)head + tail > n || memcmp(s, t, head) != 0 || memcmp(s + n - tail, t + total - tail, tail) != 0)
        return false;
    uint32_t at = head, end = n - tail, off = head;
    for (uint32_t k = 1; k + 1 < nseg; k++) {
        if (seg[k] == 0) continue;
        const char *hit = end - at >= seg[k] ? memmem(s + at, end - at, t + off, seg[k]) : NULL;
        if (!hit) return false;
        at = (uint32_t)(hit - s) + seg[k];
        off += seg[k];
    }
    return true;
}

static bool value_matches(const sw_kql *q, const node *d, const sw_kql_value *v) {
    char buf[24];
    uint32_t n;
    const char *s;
    int64_t i;
    uint8_t ip[16];
    switch (d->op) {
    case OP_EXACT:
        s = value_text(v, buf, &n);
        return n == d->len && memcmp(s, q->pool + d->text, n) == 0;
    case OP_GLOB:
        s = value_text(v, buf, &n);
        return glob_match(s, n, q->pool + d->text, q->segs + d->seg, d->nseg);
    case OP_BOOL:
        if (v->kind == SW_KQL_V_BOOL) return (v->b != 0) == (d->b != 0);
        if (v->kind != SW_KQL_V_STRING || !v->p) return v->kind == SW_KQL_V_STRING && !d->b; /* NULL p: "" */
        return d->b ? v->n == 4 && memcmp(v->p, "true", 4) == 0
                    : v->n == 0 || (v->n == 5 && memcmp(v->p, "false", 5) == 0);
    case OP_LONG:
        if (v->kind == SW_KQL_V_INT) return v->i == d->i;
        return v->kind == SW_KQL_V_STRING && v->p && parse_long(v->p, v->n, &i) == 0 && i == d->i;
    case OP_IP:
        return v->kind == SW_KQL_V_STRING && v->p && parse_ip(v->p, v->n, ip) == 0 && memcmp(ip, d->ip, 16) == 0;
    }
    return false;
}

static bool eval(const sw_kql *q, uint32_t i, const sw_kql_field *f, size_t nf) {
    const node *d = &q->nodes[i];
    switch (d->op) {
    case OP_AND:
        for (uint32_t c = d->kid; c != NONE; c = q->nodes[c].next)
            if (!eval(q, c, f, nf)) return false;
        return true;
    case OP_OR:
        for (uint32_t c = d->kid; c != NONE; c = q->nodes[c].next)
            if (eval(q, c, f, nf)) return true;
        return false;
    case OP_NOT:
        return !eval(q, d->kid, f, nf);
    default:
        break;
    }
    if (d->field >= nf || !f[d->field].v) return false;
    if (d->op == OP_EXISTS) return f[d->field].n > 0;
    for (uint32_t k = 0; k < f[d->field].n; k++)
        if (value_matches(q, d, &f[d->field].v[k])) return true;
    return false;
}

bool sw_kql_match(const sw_kql *q, const sw_kql_field *fields, size_t n_fields) {
    if (!fields) n_fields = 0;
    return eval(q, q->root, fields, n_fields);
}

/* ---- required values (for the prefilter) ------------------------------------
 * need(i, neg) is the number of values (with repeats) one of which every
 * record satisfying node i (its negation when neg) holds, or -1 when there
 * is no such set.  An exact keyword clause on one of the fields gives its
 * value; a conjunction (AND, or NOT of OR) takes the smallest of its
 * children's sets (any one is implied; intersecting would be wrong for
 * array fields); a disjunction (OR, or NOT of AND) unites them and is
 * unconstrained if one child is; NOT swaps the two; every other clause, and
 * a negated one, constrains nothing.  emit() walks the same choices. */

typedef struct {
    const sw_kql *q;
    const uint32_t *fields;
    size_t n;
} need_ctx;

static bool on_fields(const need_ctx *c, const node *d) {
    if (d->op != OP_EXACT) return false;
    for (size_t k = 0; k < c->n; k++)
        if (c->fields[k] == d->field) return true;
    return false;
}

static long need(const need_ctx *c, uint32_t i, int neg);

/* The child a conjunction takes: the constrained one with the fewest values. */
static uint32_t conj_pick(const need_ctx *c, const node *d, int neg, long *count) {
    uint32_t best = NONE;
    *count = -1;
    for (uint32_t k = d->kid; k != NONE; k = c->q->nodes[k].next) {
        long v = need(c, k, neg);
        if (v >= 0 && (*count < 0 || v < *count)) *count = v, best = k;
    }
    return best;
}

static long need(const need_ctx *c, uint32_t i, int neg) {
    const node *d = &c->q->nodes[i];
    long count, sum = 0;
    if (d->op == OP_NOT) return need(c, d->kid, !neg);
    if (d->op != OP_AND && d->op != OP_OR) return !neg && on_fields(c, d) ? 1 : -1;
    if ((d->op == OP_AND) != (neg != 0)) {
        conj_pick(c, d, neg, &count);
        return count;
    }
    for (uint32_t k = d->kid; k != NONE; k = c->q->nodes[k].next) {
        long v = need(c, k, neg);
        if (v < 0) return -1;
        sum += v;
    }
    return sum;
}

static void emit(const need_ctx *c, uint32_t i, int neg, uint32_t *out, size_t *n) {
    const node *d = &c->q->nodes[i];
    long count;
    if (d->op == OP_NOT) {
        emit(c, d->kid, !neg, out, n);
    } else if (d->op != OP_AND && d->op != OP_OR) {
        out[(*n)++] = i;
    } else if ((d->op == OP_AND) != (neg != 0)) {
        emit(c, conj_pick(c, d, neg, &count), neg, out, n);
    } else {
        for (uint32_t k = d->kid; k != NONE; k = c->q->nodes[k].next) emit(c, k, neg, out, n);
    }
}

long sw_kql_required(const sw_kql *q, const uint32_t *fields, size_t n, sw_kql_str *out, size_t cap) {
    need_ctx c = {q, fields, fields ? n : 0};
    long total = need(&c, q->root, 0);
    if (total < 0) return SW_KQL_UNCONSTRAINED;
    uint32_t *leaves = malloc((size_t)total * sizeof *leaves);
    if (!leaves) return -2;
    size_t got = 0, distinct = 0;
    emit(&c, q->root, 0, leaves, &got);
    for (size_t k = 0; k < got; k++) {
        const node *d = &q->nodes[leaves[k]], *e;
        size_t j = 0;
        for (; j < k; j++) {
            e = &q->nodes[leaves[j]];
            if (e->len == d->len && memcmp(q->pool + e->text, q->pool + d->text, d->len) == 0) break;
        }
        if (j < k) continue; /* seen before */
        if (distinct < cap) out[distinct] = (sw_kql_str){q->pool + d->text, d->len};
        distinct++;
    }
    free(leaves);
    return (long)distinct;
}

/* ---- clauses (for the raw skip) ---------------------------------------------
 * cnf(i, neg) is node i's (or its negation's) necessary condition as a set
 * of clauses of leaf indices.  Dropping a clause or a whole condition only
 * weakens it, which is what every cap does. */

typedef struct {
    uint8_t n;
    uint32_t leaf[SW_KQL_CLAUSE_LEAVES];
} clause;
typedef struct {
    uint8_t n;
    clause c[SW_KQL_CLAUSES];
} cnf;

static void cnf_of(const sw_kql *q, uint32_t i, int neg, cnf *out);

/* a AND b: b's clauses appended to a's, as many as fit. */
static void cnf_and(cnf *a, const cnf *b) {
    for (uint8_t k = 0; k < b->n && a->n < SW_KQL_CLAUSES; k++) a->c[a->n++] = b->c[k];
}

/* a OR b: every union of a clause of a and one of b that fits. */
static void cnf_or(cnf *a, const cnf *b) {
    cnf r = {0};
    for (uint8_t x = 0; x < a->n; x++)
        for (uint8_t y = 0; y < b->n && r.n < SW_KQL_CLAUSES; y++) {
            if (a->c[x].n + b->c[y].n > SW_KQL_CLAUSE_LEAVES) continue;
            clause *c = &r.c[r.n++];
            *c = a->c[x];
            memcpy(c->leaf + c->n, b->c[y].leaf, b->c[y].n * sizeof *c->leaf);
            c->n = (uint8_t)(c->n + b->c[y].n);
        }
    *a = r;
}

static void cnf_of(const sw_kql *q, uint32_t i, int neg, cnf *out) {
    const node *d = &q->nodes[i];
    out->n = 0;
    if (d->op == OP_NOT) {
        cnf_of(q, d->kid, !neg, out);
        return;
    }
    if (d->op != OP_AND && d->op != OP_OR) {
        if (!neg) *out = (cnf){1, {{1, {i}}}};
        return;
    }
    bool conj = (d->op == OP_AND) != (neg != 0);
    cnf kid;
    for (uint32_t k = d->kid; k != NONE; k = q->nodes[k].next) {
        cnf_of(q, k, neg, &kid);
        if (conj) cnf_and(out, &kid);
        else if (k == d->kid) *out = kid;
        else cnf_or(out, &kid);
        if (!conj && out->n == 0) return; /* one side holds without a condition */
    }
}

static sw_kql_req req_of(const sw_kql *q, uint32_t i, uint32_t clause_no) {
    const node *d = &q->nodes[i];
    sw_kql_req r = {clause_no, d->field, SW_KQL_R_OTHER, d->b, NULL, 0};
    if (d->op == OP_EXACT) r.kind = SW_KQL_R_EXACT, r.p = q->pool + d->text, r.n = d->len;
    if (d->op == OP_BOOL) r.kind = SW_KQL_R_BOOL;
    if (d->op == OP_GLOB) {
        uint32_t off = 0, best = 0;
        r.kind = SW_KQL_R_GLOB;
        r.p = q->pool + d->text;
        for (uint32_t k = 0; k < d->nseg; off += q->segs[d->seg + k], k++)
            if (q->segs[d->seg + k] > best) best = q->segs[d->seg + k], r.p = q->pool + d->text + off;
        r.n = best;
    }
    return r;
}

size_t sw_kql_clauses(const sw_kql *q, sw_kql_req *out, size_t cap) {
    cnf c;
    cnf_of(q, q->root, 0, &c);
    size_t n = 0;
    for (uint32_t k = 0; k < c.n; k++)
        for (uint8_t j = 0; j < c.c[k].n; j++, n++)
            if (n < cap) out[n] = req_of(q, c.c[k].leaf[j], k);
    return n;
}

/* ---- witnesses (kql.h) ---------------------------------------------------------
 * The query is read in negation normal form without rewriting it: a node
 * seen under an even number of NOTs keeps its operator, under an odd number
 * AND and OR swap and a leaf is negated.  A term of the disjunctive normal
 * form is then a list of (leaf, negated) literals: w_count() counts a
 * node's terms (saturating), w_term() writes its t-th term (a conjunction
 * splits t over its children in mixed radix, a disjunction picks the child
 * t falls in).  w_solve() turns one term into an assignment, field by
 * field: the candidate values are the flipped clause's hint (near misses),
 * then each positive clause's own value; the first candidate every literal
 * on the field agrees with wins.  Each result is checked with
 * sw_kql_match. */

#define W_MAX_TERMS 4096u
#define W_MAX_LITS 256u
#define W_SATURATED (UINT64_C(1) << 40)

typedef struct {
    uint32_t leaf;
    uint8_t neg;
} wlit;

static bool w_leaf(const node *d) { return d->op != OP_AND && d->op != OP_OR && d->op != OP_NOT; }

/* Whether node i, negated when neg, is a conjunction. */
static bool w_conj(const node *d, int neg) { return (d->op == OP_AND) != (neg != 0); }

static uint64_t w_count(const sw_kql *q, uint32_t i, int neg) {
    const node *d = &q->nodes[i];
    if (d->op == OP_NOT) return w_count(q, d->kid, !neg);
    if (w_leaf(d)) return 1;
    bool conj = w_conj(d, neg);
    uint64_t n = conj ? 1 : 0;
    for (uint32_t c = d->kid; c != NONE; c = q->nodes[c].next) {
        uint64_t m = w_count(q, c, neg);
        if (conj) n = n > W_SATURATED / m ? W_SATURATED : n * m;
        else n = n + m > W_SATURATED ? W_SATURATED : n + m;
    }
    return n;
}

static int w_term(const sw_kql *q, uint32_t i, int neg, uint64_t t, wlit *out, uint32_t *n) {
    const node *d = &q->nodes[i];
    if (d->op == OP_NOT) return w_term(q, d->kid, !neg, t, out, n);
    if (w_leaf(d)) {
        if (*n >= W_MAX_LITS) return -1;
        out[(*n)++] = (wlit){i, (uint8_t)neg};
        return 0;
    }
    bool conj = w_conj(d, neg);
    for (uint32_t c = d->kid; c != NONE; c = q->nodes[c].next) {
        uint64_t m = w_count(q, c, neg);
        if (conj) {
            if (w_term(q, c, neg, t % m, out, n)) return -1;
            t /= m;
        } else if (t < m) {
            return w_term(q, c, neg, t, out, n);
        } else {
            t -= m;
        }
    }
    return conj ? 0 : -1;
}

/* Copies s[0 .. n) into w's arena. */
static const char *w_store(sw_kql_witness *w, const char *s, size_t n) {
    if (n > sizeof w->arena - w->arena_len) return NULL;
    char *at = w->arena + w->arena_len;
    memcpy(at, s, n);
    w->arena_len += (uint32_t)n;
    return at;
}

static sw_kql_value w_string(const char *p, size_t n) {
    return (sw_kql_value){.p = p, .n = (uint32_t)n, .kind = SW_KQL_V_STRING};
}

/* A glob's text with each * filled with "x". */
static int w_glob_text(const sw_kql *q, const node *d, sw_kql_witness *w, sw_kql_value *v) {
    const char *t = q->pool + d->text;
    const char *start = w->arena + w->arena_len;
    size_t total = 0;
    for (uint32_t s = 0; s < d->nseg; s++) {
        uint32_t n = q->segs[d->seg + s];
        if ((s && !w_store(w, "x", 1)) || !w_store(w, t, n)) return -1;
        t += n;
        total += n + (s ? 1 : 0);
    }
    *v = w_string(start, total);
    return 0;
}

static int w_ip_text(const node *d, sw_kql_witness *w, sw_kql_value *v) {
    static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char buf[INET6_ADDRSTRLEN];
    bool is4 = memcmp(d->ip, v4, 12) == 0;
    if (!inet_ntop(is4 ? AF_INET : AF_INET6, is4 ? d->ip + 12 : d->ip, buf, sizeof buf)) return -1;
    const char *p = w_store(w, buf, strlen(buf));
    if (!p) return -1;
    *v = w_string(p, strlen(buf));
    return 0;
}

/* The value a positive leaf asks for; *any for f:*.  0, or -1 (no room). */
static int w_value_of(const sw_kql *q, const node *d, sw_kql_witness *w, sw_kql_value *v, bool *any) {
    *any = false;
    memset(v, 0, sizeof *v);
    switch (d->op) {
    case OP_EXISTS: *any = true; *v = w_string("x", 1); return 0;
    case OP_EXACT: *v = w_string(q->pool + d->text, d->len); return 0;
    case OP_GLOB: return w_glob_text(q, d, w, v);
    case OP_BOOL: v->kind = SW_KQL_V_BOOL, v->b = d->b; return 0;
    case OP_LONG: v->kind = SW_KQL_V_INT, v->i = d->i; return 0;
    case OP_IP: return w_ip_text(d, w, v);
    default: return -1;
    }
}

/* The closest value a positive leaf does not hold: one letter's case
 * turned (the first ASCII letter whose turning makes the leaf false; else
 * an "x" appended), the other boolean, the integer plus one.  0 when there
 * is one; 1 when the flipped leaf is better met by a missing field (f:*, an
 * ip, a value no such change moves out of the leaf); -1 no room. */
static int w_hint(const sw_kql *q, const node *d, sw_kql_witness *w, sw_kql_value *v) {
    bool any;
    if (d->op == OP_EXISTS || d->op == OP_IP) return 1;
    if (w_value_of(q, d, w, v, &any)) return -1;
    if (d->op == OP_BOOL) v->b = !v->b;
    if (d->op == OP_LONG) v->i = v->i == INT64_MAX ? v->i - 1 : v->i + 1;
    if (d->op != OP_EXACT && d->op != OP_GLOB) return 0;
    char *p = (char *)w_store(w, v->p, v->n);
    if (!p || !w_store(w, "x", 1)) return -1;
    sw_kql_value t = w_string(p, v->n);
    for (size_t i = 0; i < v->n; i++) {
        if ((p[i] | 0x20) < 'a' || (p[i] | 0x20) > 'z') continue;
        p[i] ^= 0x20;
        if (!value_matches(q, d, &t)) {
            *v = t;
            return 0;
        }
        p[i] ^= 0x20;
    }
    t.n++; /* with the "x" */
    if (value_matches(q, d, &t)) return 1;
    *v = t;
    return 0;
}

/* Whether literal L (negation applied) holds for a field holding v. */
static bool w_holds(const sw_kql *q, const wlit *L, int flip_neg, const sw_kql_value *v) {
    const node *d = &q->nodes[L->leaf];
    bool m = d->op == OP_EXISTS || value_matches(q, d, v);
    return (L->neg ^ flip_neg) ? !m : m;
}

/* The candidate value of field f agreed by every literal on it; state set.
 * 0 solved, 1 no value agrees, -1 no room. */
static int w_solve_field(const sw_kql *q, const wlit *L, uint32_t n, int flip, uint32_t f, sw_kql_witness *w) {
    sw_kql_value cand[W_MAX_LITS + 1];
    bool cand_any[W_MAX_LITS + 1];
    uint32_t nc = 0;
    bool pos = false, neg_exists = false;
    if (flip >= 0 && q->nodes[L[flip].leaf].field == f && !L[flip].neg) {
        int r = w_hint(q, &q->nodes[L[flip].leaf], w, &cand[nc]);
        if (r < 0) return -1;
        if (r == 0) cand_any[nc++] = false;
    }
    for (uint32_t j = 0; j < n; j++) {
        const node *d = &q->nodes[L[j].leaf];
        bool neg = (L[j].neg != 0) != (j == (uint32_t)flip);
        if (d->field != f) continue;
        if (neg) {
            neg_exists |= d->op == OP_EXISTS;
            continue;
        }
        pos = true;
        if (w_value_of(q, d, w, &cand[nc], &cand_any[nc])) return -1;
        nc++;
    }
    if (neg_exists) {
        w->state[f] = SW_KQL_W_ABSENT;
        return pos ? 1 : 0;
    }
    /* A concrete value before the placeholder of f:*. */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t c = 0; c < nc; c++) {
            if (cand_any[c] != (pass == 1)) continue;
            bool ok = true;
            for (uint32_t j = 0; j < n && ok; j++)
                if (q->nodes[L[j].leaf].field == f) ok = w_holds(q, &L[j], j == (uint32_t)flip, &cand[c]);
            if (!ok) continue;
            w->value[f] = cand[c];
            w->state[f] = cand_any[c] ? SW_KQL_W_ANY : SW_KQL_W_VALUE;
            return 0;
        }
    return nc ? 1 : 0; /* only negated literals: FREE, the field missing */
}

/* One term (literal flip negated when flip >= 0) to an assignment, checked:
 * 0 it gives want, 1 it does not, -1 no room. */
static int w_solve(const sw_kql *q, const wlit *L, uint32_t n, int flip, bool want, sw_kql_witness *w) {
    memset(w->state, 0, sizeof w->state);
    memset(w->value, 0, sizeof w->value);
    w->arena_len = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t f = q->nodes[L[j].leaf].field;
        bool seen = false;
        for (uint32_t i = 0; i < j && !seen; i++) seen = q->nodes[L[i].leaf].field == f;
        if (seen) continue;
        int r = w_solve_field(q, L, n, flip, f, w);
        if (r) return r;
    }
    for (uint32_t f = 0; f < SW_KQL_WITNESS_FIELDS; f++) {
        w->fields[f].v = &w->value[f];
        w->fields[f].n = w->state[f] == SW_KQL_W_VALUE || w->state[f] == SW_KQL_W_ANY;
    }
    return sw_kql_match(q, w->fields, SW_KQL_WITNESS_FIELDS) == want ? 0 : 1;
}

int sw_kql_witness_find(const sw_kql *q, bool near_miss, unsigned k, sw_kql_witness *w) {
    for (uint32_t i = 0; i < q->n_fields; i++)
        if (q->fields[i] >= SW_KQL_WITNESS_FIELDS) return -1;
    uint64_t terms = w_count(q, q->root, 0);
    if (terms > W_MAX_TERMS) terms = W_MAX_TERMS;
    unsigned found = 0;
    wlit L[W_MAX_LITS];
    for (uint64_t t = 0; t < terms; t++) {
        uint32_t n = 0;
        if (w_term(q, q->root, 0, t, L, &n) || w_solve(q, L, n, -1, true, w)) continue;
        for (int flip = near_miss ? 0 : -1; flip < (near_miss ? (int)n : 0); flip++) {
            if (near_miss && w_solve(q, L, n, flip, false, w)) continue;
            if (found++ < k) continue;
            w->term = (uint32_t)t;
            w->flipped = near_miss ? (int32_t)q->nodes[L[flip].leaf].field : -1;
            return 0;
        }
    }
    return 1;
}
