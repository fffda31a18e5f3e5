/* lines.h -- NDJSON reader: a file descriptor in, one record per line out.
 *
 * Reads in large blocks into one buffer that keeps SW_PADDING readable
 * bytes after every line, so the parser reads records in place (no copy,
 * no allocation per line).  A line longer than the record limit is never
 * buffered whole: the reader hands out its first SW_LINES_PREFIX bytes
 * flagged as oversize and skips the rest as it streams past, so a 100 MB line from a pipe costs
 * no more memory than a short one.
 *
 * Per line: a trailing CR is dropped (CRLF files) and is not counted
 * against the record limit, so a record of exactly max_line bytes passes
 * with LF, CRLF or a final CR alike; a UTF-8 byte order mark
 * at the start of the input is dropped, and blank lines are skipped (they
 * are not records).  The last line needs no final newline. */
#ifndef SW_LINES_H
#define SW_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_LINES_PREFIX 1024

typedef struct {
    int fd;
    char *buf;
    size_t size;        /* usable bytes; SW_PADDING more are allocated */
    size_t start, end;  /* unconsumed data is buf[start .. end) */
    size_t max_line;
    uint64_t lineno;    /* 1-based number of the line last returned */
    uint64_t bytes_read;/* from fd so far: every byte, oversize lines' skipped rest included */
    bool eof, at_start, error;
    char prefix[SW_LINES_PREFIX]; /* first bytes of the last oversize line */
} sw_lines;

typedef struct {
    const char *p;
    size_t len;
    size_t cap;        /* readable bytes from p (>= len + SW_PADDING unless oversize) */
    uint64_t lineno;
    bool oversize;     /* longer than max_line: p/len is only its first bytes */
} sw_line;

/* Returns -1 when out of memory. */
int sw_lines_open(sw_lines *r, int fd, size_t max_line);
void sw_lines_close(sw_lines *r); /* frees the buffer; does not close fd */

/* 1 and *out on a line, 0 at end of input, -1 on a read error (errno set). */
int sw_lines_next(sw_lines *r, sw_line *out);

#endif
