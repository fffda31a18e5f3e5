/* jsonw.h -- an append-only byte buffer and the JSON writers on top of it.
 *
 * Alerts copy attacker-controlled strings (display names, user agents, ids)
 * into a stream that other programs parse, so sw_json_str is the one place
 * that quotes: it escapes '"', '\\', every control character (C0, DEL, C1),
 * U+2028/U+2029, and replaces each byte of an invalid UTF-8 sequence with
 * U+FFFD.  Whatever the input, the output is valid JSON that decodes to
 * the input's valid characters.
 *
 * The buffer grows by doubling and is reused, so steady-state writing does
 * not allocate.  A failed growth sets .oom and drops further writes; the
 * caller checks .oom once at the end instead of after every call. */
#ifndef SW_JSONW_H
#define SW_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} sw_buf;

void sw_buf_free(sw_buf *b);
static inline void sw_buf_reset(sw_buf *b) { b->len = 0; b->oom = 0; }
/* Out of line: grows the buffer, then appends (or sets .oom). */
void sw_buf_put_slow(sw_buf *b, const void *p, size_t n);

/* Appends n bytes; the common case (room left) stays inline. */
static inline void sw_buf_put(sw_buf *b, const void *p, size_t n) {
    if (n <= b->cap - b->len && !b->oom) {
        if (n) memcpy(b->p + b->len, p, n);
        b->len += n;
    } else {
        sw_buf_put_slow(b, p, n);
    }
}
static inline void sw_buf_puts(sw_buf *b, const char *s) { sw_buf_put(b, s, strlen(s)); }
static inline void sw_buf_putc(sw_buf *b, char c) { sw_buf_put(b, &c, 1); }
/* printf-style text, whatever its length (a trusted format: nothing is
 * escaped).  Not for the hot path: it formats twice.  A NUL follows the
 * text in the buffer, not counted in .len. */
void sw_buf_printf(sw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A quoted, escaped JSON string. */
void sw_json_str(sw_buf *b, const char *p, size_t n);
/* The same without the quotes: sw_json_str is '"' + sw_json_str_body + '"'.
 * For a caller that assembles one string from pieces (gen.c writes '&' in
 * URLs as \u0026 the way Okta does); a piece must not end inside a UTF-8
 * sequence, which would be replaced. */
void sw_json_str_body(sw_buf *b, const char *p, size_t n);
static inline void sw_json_cstr(sw_buf *b, const char *s) { sw_json_str(b, s, strlen(s)); }
void sw_json_int(sw_buf *b, int64_t v);
/* A quoted RFC 3339 UTC time with milliseconds. */
void sw_json_time(sw_buf *b, int64_t ms);
/* "key": -- the key is a trusted literal. */
void sw_json_key(sw_buf *b, const char *key);

/* The writers' common pair: a trusted literal (a key with the punctuation
 * around it, e.g. ",\"os\":") followed by one value. */
static inline void sw_json_lit_cstr(sw_buf *b, const char *lit, const char *s) {
    sw_buf_puts(b, lit);
    sw_json_cstr(b, s);
}
static inline void sw_json_lit_int(sw_buf *b, const char *lit, int64_t v) {
    sw_buf_puts(b, lit);
    sw_json_int(b, v);
}
static inline void sw_json_lit_time(sw_buf *b, const char *lit, int64_t ms) {
    sw_buf_puts(b, lit);
    sw_json_time(b, ms);
}

#endif
