/* json_check.c -- see json_check.h.  A recursive-descent parser over a
 * cursor; every failure returns NULL up the stack and frees what was built. */
#include "json_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

typedef struct {
    const unsigned char *p;
    size_t n, i;
    const char *err;
} cur;

static void ws(cur *c) {
    while (c->i < c->n && (c->p[c->i] == ' ' || c->p[c->i] == '\t' || c->p[c->i] == '\n' || c->p[c->i] == '\r'))
        c->i++;
}

static jc_node *fail(cur *c, const char *why) {
    if (!c->err) c->err = why;
    return NULL;
}

/* Length of a valid UTF-8 sequence at p[0 .. n), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t jc_expect_text(const char *s, size_t n, char *out) {
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(p + i, n - i);
        if (len == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
        }
    }
    return o;
}

int jc_no_raw_separators(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0x7F) return 0;
        if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) return 0;
        if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) return 0;
    }
    return 1;
}

static int hex4(cur *c, uint32_t *v) {
    if (c->n - c->i < 4) return -1;
    uint32_t x = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char h = c->p[c->i + (size_t)k];
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0) return -1;
        x = x << 4 | (uint32_t)d;
    }
    c->i += 4;
    *v = x;
    return 0;
}

/* A string literal at the cursor ('"' expected); the decoded bytes in a
 * fresh allocation (never longer than the literal). */
static int string(cur *c, char **out, size_t *outn) {
    if (c->i >= c->n || c->p[c->i] != '"') return fail(c, "expected a string"), -1;
    c->i++;
    size_t start = c->i;
    char *o = malloc(c->n - start + 1);
    if (!o) return fail(c, "out of memory"), -1;
    size_t k = 0;
    for (;;) {
        if (c->i >= c->n) { free(o); return fail(c, "unterminated string"), -1; }
        unsigned char ch = c->p[c->i];
        if (ch == '"') { c->i++; break; }
        if (ch < 0x20) { free(o); return fail(c, "raw control character in a string"), -1; }
        if (ch != '\\') {
            size_t len = utf8_len(c->p + c->i, c->n - c->i);
            if (len == 0) { free(o); return fail(c, "invalid UTF-8 in a string"), -1; }
            memcpy(o + k, c->p + c->i, len);
            k += len;
            c->i += len;
            continue;
        }
        if (++c->i >= c->n) { free(o); return fail(c, "unterminated escape"), -1; }
        ch = c->p[c->i++];
        switch (ch) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (hex4(c, &cp)) { free(o); return fail(c, "bad \\u escape"), -1; }
            if (cp >= 0xDC00 && cp <= 0xDFFF) { free(o); return fail(c, "lone low surrogate"), -1; }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (c->n - c->i < 2 || c->p[c->i] != '\\' || c->p[c->i + 1] != 'u') {
                    free(o);
                    return fail(c, "lone high surrogate"), -1;
                }
                c->i += 2;
                if (hex4(c, &lo) || lo < 0xDC00 || lo > 0xDFFF) { free(o); return fail(c, "bad surrogate pair"), -1; }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            k += put_utf8(o + k, cp); /* an escape is 6 or 12 bytes: never longer decoded */
            break;
        }
        default: free(o); return fail(c, "unknown escape"), -1;
        }
    }
    o[k] = '\0';
    *out = o;
    *outn = k;
    return 0;
}

static int number(cur *c) {
    size_t i = c->i;
    const unsigned char *p = c->p;
    if (i < c->n && p[i] == '-') i++;
    if (i >= c->n) return -1;
    if (p[i] == '0') i++;
    else if (p[i] >= '1' && p[i] <= '9') while (i < c->n && p[i] >= '0' && p[i] <= '9') i++;
    else return -1;
    if (i < c->n && p[i] == '.') {
        size_t d = ++i;
        while (i < c->n && p[i] >= '0' && p[i] <= '9') i++;
        if (i == d) return -1;
    }
    if (i < c->n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < c->n && (p[i] == '+' || p[i] == '-')) i++;
        size_t d = i;
        while (i < c->n && p[i] >= '0' && p[i] <= '9') i++;
        if (i == d) return -1;
    }
    c->i = i;
    return 0;
}

static jc_node *value(cur *c, int depth);

static jc_node *node(jc_type t) {
    jc_node *x = calloc(1, sizeof *x);
    if (x) x->type = t;
    return x;
}

static int literal(cur *c, const char *w) {
    size_t n = strlen(w);
    if (c->n - c->i < n || memcmp(c->p + c->i, w, n) != 0) return -1;
    c->i += n;
    return 0;
}

static jc_node *container(cur *c, int depth, int object) {
    jc_node *x = node(object ? JC_OBJECT : JC_ARRAY);
    if (!x) return fail(c, "out of memory");
    jc_node **tail = &x->child;
    c->i++; /* '[' or '{' */
    ws(c);
    char close = object ? '}' : ']';
    if (c->i < c->n && c->p[c->i] == close) {
        c->i++;
        return x;
    }
    for (;;) {
        char *key = NULL;
        size_t key_n = 0;
        if (object) {
            ws(c);
            if (string(c, &key, &key_n)) { jc_free(x); return NULL; }
            for (jc_node *m = x->child; m; m = m->next)
                if (m->key_n == key_n && memcmp(m->key, key, key_n) == 0) {
                    free(key);
                    jc_free(x);
                    return fail(c, "duplicate key");
                }
            ws(c);
            if (c->i >= c->n || c->p[c->i] != ':') { free(key); jc_free(x); return fail(c, "expected ':'"); }
            c->i++;
        }
        jc_node *v = value(c, depth + 1);
        if (!v) { free(key); jc_free(x); return NULL; }
        v->key = key;
        v->key_n = key_n;
        *tail = v;
        tail = &v->next;
        x->count++;
        ws(c);
        if (c->i < c->n && c->p[c->i] == ',') { c->i++; continue; }
        if (c->i < c->n && c->p[c->i] == close) { c->i++; return x; }
        jc_free(x);
        return fail(c, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static jc_node *value(cur *c, int depth) {
    if (depth > MAX_DEPTH) return fail(c, "nested too deep");
    ws(c);
    if (c->i >= c->n) return fail(c, "expected a value");
    unsigned char ch = c->p[c->i];
    if (ch == '{' || ch == '[') return container(c, depth, ch == '{');
    if (ch == '"') {
        jc_node *x = node(JC_STRING);
        if (!x) return fail(c, "out of memory");
        if (string(c, &x->s, &x->n)) { free(x); return NULL; }
        return x;
    }
    if (ch == 't' || ch == 'f' || ch == 'n') {
        const char *w = ch == 't' ? "true" : ch == 'f' ? "false" : "null";
        if (literal(c, w)) return fail(c, "bad literal");
        jc_node *x = node(ch == 'n' ? JC_NULL : JC_BOOL);
        if (!x) return fail(c, "out of memory");
        if (ch != 'n') {
            x->s = strdup(w);
            x->n = strlen(w);
            if (!x->s) { free(x); return fail(c, "out of memory"); }
        }
        return x;
    }
    size_t start = c->i;
    if (number(c)) return fail(c, "bad number");
    jc_node *x = node(JC_NUMBER);
    if (!x || !(x->s = malloc(c->i - start + 1))) { free(x); return fail(c, "out of memory"); }
    memcpy(x->s, c->p + start, c->i - start);
    x->s[c->i - start] = '\0';
    x->n = c->i - start;
    return x;
}

jc_node *jc_parse(const char *p, size_t n, const char **err) {
    cur c = {(const unsigned char *)p, n, 0, NULL};
    jc_node *root = value(&c, 0);
    if (root) {
        ws(&c);
        if (c.i != n) {
            jc_free(root);
            root = fail(&c, "trailing bytes after the value");
        }
    }
    if (err) *err = c.err;
    return root;
}

void jc_free(jc_node *x) {
    while (x) {
        jc_node *next = x->next;
        jc_free(x->child);
        free(x->s);
        free(x->key);
        free(x);
        x = next;
    }
}

const jc_node *jc_get(const jc_node *obj, const char *key) {
    if (!obj || obj->type != JC_OBJECT) return NULL;
    size_t n = strlen(key);
    for (const jc_node *m = obj->child; m; m = m->next)
        if (m->key_n == n && memcmp(m->key, key, n) == 0) return m;
    return NULL;
}

const jc_node *jc_at(const jc_node *arr, size_t i) {
    if (!arr || arr->type != JC_ARRAY) return NULL;
    const jc_node *m = arr->child;
    while (m && i--) m = m->next;
    return m;
}

int jc_is_str(const jc_node *x, const char *p, size_t n) {
    return x && x->type == JC_STRING && x->n == n && (n == 0 || memcmp(x->s, p, n) == 0);
}
