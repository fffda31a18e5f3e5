/* lines.c -- see lines.h. */
#include "lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"

#define MIN_BUF (4u << 20)

int sw_lines_open(sw_lines *r, int fd, size_t max_line) {
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->max_line = max_line;
    r->size = max_line * 2 > MIN_BUF ? max_line * 2 : MIN_BUF;
    /* zeroed: the parser peeks into the padding after the last line */
    r->buf = calloc(1, r->size + SW_PADDING);
    r->at_start = true;
    return r->buf ? 0 : -1;
}

void sw_lines_close(sw_lines *r) {
    free(r->buf);
    r->buf = NULL;
}

/* Moves unconsumed bytes to the front and reads more; 0 at EOF. */
static ssize_t fill(sw_lines *r) {
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->size) return 1; /* full: the caller handles an oversize line */
    for (;;) {
        ssize_t got = read(r->fd, r->buf + r->end, r->size - r->end);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            r->error = true;
            return -1;
        }
        if (got == 0) r->eof = true;
        r->end += (size_t)got;
        r->bytes_read += (uint64_t)got;
        return got;
    }
}

/* Discards input up to and including the next newline. */
static int skip_rest_of_line(sw_lines *r) {
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            r->start = (size_t)(nl - r->buf) + 1;
            return 0;
        }
        r->start = r->end = 0;
        if (r->eof) return 0;
        if (fill(r) < 0) return -1;
    }
}

static int is_blank(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return 0;
    return 1;
}

int sw_lines_next(sw_lines *r, sw_line *out) {
    for (;;) {
        char *base = r->buf + r->start;
        size_t avail = r->end - r->start;
        char *nl = memchr(base, '\n', avail);
        size_t len;
        bool complete = nl != NULL;
        if (nl) {
            len = (size_t)(nl - base);
        } else if (avail > r->max_line + 1) {
            len = avail; /* cannot be a valid record any more (even before a CR LF) */
        } else if (!r->eof) {
            if (fill(r) < 0) return -1;
            continue;
        } else if (avail == 0) {
            return 0;
        } else {
            len = avail; /* last line without a newline */
        }

        if (r->at_start) {
            r->at_start = false;
            if (len >= 3 && memcmp(base, "\xEF\xBB\xBF", 3) == 0) {
                r->start += 3;
                continue;
            }
        }
        r->lineno++;
        out->lineno = r->lineno;
        /* The limit counts the record, not its line end: a CR before the LF
         * (or ending the last line) is not part of it. */
        size_t body = len > 0 && base[len - 1] == '\r' ? len - 1 : len;
        if (body > r->max_line) {
            /* Keep the first bytes, then stream past the rest. */
            size_t keep = len < SW_LINES_PREFIX ? len : SW_LINES_PREFIX;
            memcpy(r->prefix, base, keep);
            out->p = r->prefix;
            out->len = keep;
            out->cap = keep;
            out->oversize = true;
            if (complete) r->start += len + 1;
            else if (skip_rest_of_line(r) < 0) return -1;
            return 1;
        }
        r->start += len + (complete ? 1 : 0);
        if (is_blank(base, body)) continue;
        out->p = base;
        out->len = body;
        out->cap = (size_t)(r->buf + r->size + SW_PADDING - base);
        out->oversize = false;
        return 1;
    }
}
