/* jsonw.c -- see jsonw.h. */
#include "jsonw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

void sw_buf_free(sw_buf *b) {
    free(b->p);
    *b = (sw_buf){0};
}

static int reserve(sw_buf *b, size_t n) {
    if (b->oom) return -1;
    if (b->len + n <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n) {
        if (cap > SIZE_MAX / 2) { b->oom = 1; return -1; }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) { b->oom = 1; return -1; }
    b->p = p;
    b->cap = cap;
    return 0;
}

void sw_buf_put_slow(sw_buf *b, const void *p, size_t n) {
    if (n == 0 || reserve(b, n)) return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void sw_buf_printf(sw_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n + 1)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid
 * (overlongs, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned min, cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

/* Writes the escaped p[0..n) at o, which has room for 6 * n bytes (the
 * worst case per input byte); returns the end. */
static char *escape(char *o, const unsigned char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c == '"' || c == '\\') { *o++ = '\\'; *o++ = (char)c; i++; continue; }
        if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case '\n': *o++ = '\\'; *o++ = 'n'; break;
            case '\r': *o++ = '\\'; *o++ = 'r'; break;
            case '\t': *o++ = '\\'; *o++ = 't'; break;
            case '\b': *o++ = '\\'; *o++ = 'b'; break;
            case '\f': *o++ = '\\'; *o++ = 'f'; break;
            default:
                memcpy(o, "\\u00", 4);
                o[4] = hex[c >> 4];
                o[5] = hex[c & 15];
                o += 6;
            }
            i++;
            continue;
        }
        size_t len = utf8_seq(p + i, n - i);
        if (len == 0) {
            memcpy(o, "\\ufffd", 6); /* one replacement per invalid byte */
            o += 6;
            i++;
        } else if (len == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
            memcpy(o, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            o += 6;
            i += 3;
        } else if (len == 2 && c == 0xC2 && p[i + 1] < 0xA0) {
            /* C1 controls U+0080..U+009F are control characters too; U+0085
             * (NEL) ends a line for Unicode-aware readers (Python's
             * str.splitlines, for one). */
            memcpy(o, "\\u00", 4);
            o[4] = hex[p[i + 1] >> 4];
            o[5] = hex[p[i + 1] & 15];
            o += 6;
            i += 2;
        } else {
            memcpy(o, p + i, len);
            o += len;
            i += len;
        }
    }
    return o;
}

void sw_json_str(sw_buf *b, const char *s, size_t n) {
    /* Worst case 6 output bytes per input byte, plus quotes. */
    if (n > (SIZE_MAX - 2) / 6 || reserve(b, n * 6 + 2)) { b->oom = 1; return; }
    char *o = b->p + b->len;
    *o++ = '"';
    o = escape(o, (const unsigned char *)s, n);
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

void sw_json_str_body(sw_buf *b, const char *s, size_t n) {
    if (n == 0) return;
    if (n > SIZE_MAX / 6 || reserve(b, n * 6)) { b->oom = 1; return; }
    b->len = (size_t)(escape(b->p + b->len, (const unsigned char *)s, n) - b->p);
}

void sw_json_int(sw_buf *b, int64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    sw_buf_put(b, tmp, (size_t)n);
}

void sw_json_time(sw_buf *b, int64_t ms) {
    char tmp[32];
    size_t n = sw_time_format(ms, tmp);
    sw_buf_putc(b, '"');
    sw_buf_put(b, tmp, n);
    sw_buf_putc(b, '"');
}

void sw_json_key(sw_buf *b, const char *key) {
    sw_buf_putc(b, '"');
    sw_buf_puts(b, key);
    sw_buf_put(b, "\":", 2);
}
