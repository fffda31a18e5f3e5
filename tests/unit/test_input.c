/* test_input.c -- pins the input side before parsing: the NDJSON line
 * reader (CRLF, BOM, blank lines, no final newline, oversize lines streamed
 * past, padding for in-place parsing) and the prefilter's promise never to
 * skip a record that could be a session start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract.h"
#include "lines.h"
#include "prefilter.h"
#include "tu_proc.h"

/* Feeds data through a pipe from a child-free writer: small inputs only. */
static int pipe_with(const char *data, size_t n) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_true(n < 60000); /* fits the pipe buffer */
    assert_int_equal(write(fds[1], data, n), (ssize_t)n);
    close(fds[1]);
    return fds[0];
}

/* A line reader (max_line bytes a record) over data fed through a pipe;
 * returns the pipe's read end, to close after sw_lines_close. */
static int open_piped(sw_lines *r, const char *data, size_t n, size_t max_line) {
    int fd = pipe_with(data, n);
    assert_int_equal(sw_lines_open(r, fd, max_line), 0);
    return fd;
}

/* The reader is at its end (no more lines); it and its pipe are closed. */
static void expect_end(sw_lines *r, int fd) {
    sw_line l;
    assert_int_equal(sw_lines_next(r, &l), 0);
    sw_lines_close(r);
    close(fd);
}

static void test_lines_basic(void **state) {
    (void)state;
    const char in[] = "\xEF\xBB\xBF{\"a\":1}\r\n\n   \r\n{\"b\":2}\n{\"c\":3}";
    sw_lines r;
    int fd = open_piped(&r, in, sizeof in - 1, 1024);
    sw_line l;
    assert_int_equal(sw_lines_next(&r, &l), 1);
    assert_int_equal(l.len, 7);
    assert_memory_equal(l.p, "{\"a\":1}", 7);
    assert_int_equal(l.lineno, 1);
    assert_true(l.cap >= l.len + SW_PADDING);
    assert_false(l.oversize);
    assert_int_equal(sw_lines_next(&r, &l), 1);
    assert_memory_equal(l.p, "{\"b\":2}", 7);
    assert_int_equal(l.lineno, 4); /* blank lines 2 and 3 are skipped but counted */
    assert_int_equal(sw_lines_next(&r, &l), 1);
    assert_int_equal(l.len, 7);
    assert_memory_equal(l.p, "{\"c\":3}", 7);
    assert_int_equal(l.lineno, 5);
    expect_end(&r, fd);
}

static void test_lines_empty(void **state) {
    (void)state;
    sw_lines r;
    int fd = open_piped(&r, "", 0, 1024);
    expect_end(&r, fd);
}

/* A line far longer than the limit and longer than the reader's buffer
 * arrives through a pipe from a writer process: it is reported once as
 * oversize with its first bytes, and the next line is intact. */
static void test_lines_oversize_streamed(void **state) {
    (void)state;
    int fd;
    pid_t pid = tu_fork_writer(&fd);
    assert_true(pid >= 0);
    if (pid == 0) {
        static char chunk[65536];
        memset(chunk, 'x', sizeof chunk);
        memcpy(chunk, "{\"big\":\"", 8);
        for (int i = 0; i < 20 * 16; i++) /* 20 MiB */
            if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) _exit(1);
        const char tail[] = "\"}\n{\"next\":1}\n";
        if (write(fd, tail, sizeof tail - 1) < 0) _exit(1);
        _exit(0);
    }
    sw_lines r;
    assert_int_equal(sw_lines_open(&r, fd, 1 << 20), 0);
    sw_line l;
    assert_int_equal(sw_lines_next(&r, &l), 1);
    assert_true(l.oversize);
    assert_int_equal(l.lineno, 1);
    assert_int_equal(l.len, SW_LINES_PREFIX);
    assert_memory_equal(l.p, "{\"big\":\"xxxx", 12);
    assert_int_equal(sw_lines_next(&r, &l), 1);
    assert_false(l.oversize);
    assert_int_equal(l.lineno, 2);
    assert_int_equal(l.len, 10);
    assert_memory_equal(l.p, "{\"next\":1}", 10);
    expect_end(&r, fd);
    int st;
    waitpid(pid, &st, 0);
}

static void expect_line(sw_lines *r, const char *want, int oversize, size_t lineno) {
    sw_line l;
    assert_int_equal(sw_lines_next(r, &l), 1);
    if ((int)l.oversize != oversize) fail_msg("line %zu: oversize %d, want %d", lineno, (int)l.oversize, oversize);
    assert_int_equal(l.lineno, lineno);
    if (!oversize) {
        assert_int_equal(l.len, strlen(want));
        assert_memory_equal(l.p, want, l.len);
    }
}

/* The record limit counts the record's bytes, without its line end: a
 * record of exactly max_line bytes passes with LF, CRLF, or a final CR. */
static void test_lines_limit_crlf(void **state) {
    (void)state;
    const char in[] = "{\"a\":1}\n{\"a\":2}\r\n{\"a\":10}\r\n{\"a\":10}\n{\"a\":3}\r";
    sw_lines r;
    int fd = open_piped(&r, in, sizeof in - 1, 7);
    expect_line(&r, "{\"a\":1}", 0, 1);
    expect_line(&r, "{\"a\":2}", 0, 2);
    expect_line(&r, NULL, 1, 3);
    expect_line(&r, NULL, 1, 4);
    expect_line(&r, "{\"a\":3}", 0, 5);
    expect_end(&r, fd);

    /* The CR arrives before its LF: the reader waits for the LF. */
    int piped;
    pid_t pid = tu_fork_writer(&piped);
    assert_true(pid >= 0);
    if (pid == 0) {
        if (write(piped, "{\"a\":4}\r", 8) != 8) _exit(1);
        usleep(200 * 1000);
        if (write(piped, "\n{\"a\":5}\n", 9) != 9) _exit(1);
        _exit(0);
    }
    assert_int_equal(sw_lines_open(&r, piped, 7), 0);
    expect_line(&r, "{\"a\":4}", 0, 1);
    expect_line(&r, "{\"a\":5}", 0, 2);
    expect_end(&r, piped);
    int st;
    waitpid(pid, &st, 0);
}

static void check_prefilter(void) {
    const char *needle = "user.session.start";
    const char *yes[] = {
        "{\"eventType\":\"user.session.start\"}",
        "user.session.start",
        "{\"eventType\":\"user\\u002esession.start\"}",
        "{\"eventType\":\"\\u0075ser.session.start\"}",
        "{\"eventType\":\"user\\u002Esession\\u002estart\"}", /* hex digits in either case */
        "{\"x\":\"\\u0061\"}", /* 'a' is in the needle: cannot rule it out cheaply */
        "{\"padding\":\"................................................\",\"eventType\":\"user.session.start\"}",
    };
    const char *no[] = {
        "",
        "{\"eventType\":\"user.session.end\"}",
        "{\"eventType\":\"user.session.star\"}",
        "{\"eventType\":\"user\\/session.start\"}",
        "{\"eventType\":\"USER.SESSION.START\"}",
        "{\"url\":\"/a?b=1\\u0026c=2\",\"eventType\":\"user.session.end\"}", /* '&' */
        "{\"x\":\"\\u0041\\u0000\\u00\"}", /* 'A', NUL, truncated */
        "{\"x\":\"\\u0175\"}",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(sw_prefilter_may_match(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(sw_prefilter_may_match(no[i], strlen(no[i])));
    /* Every character of the event type escaped, in either hex case. */
    for (int k = 0; k < 18; k++) {
        for (int upper = 0; upper < 2; upper++) {
            char rec[128];
            snprintf(rec, sizeof rec, upper ? "{\"eventType\":\"%.*s\\u00%02X%s\"}" : "{\"eventType\":\"%.*s\\u00%02x%s\"}",
                     k, needle, (unsigned char)needle[k], needle + k + 1);
            assert_true(sw_prefilter_may_match(rec, strlen(rec)));
        }
    }
    /* The needle at every offset of a long record, including straddling the
     * SIMD blocks and the very end; and truncated by one byte: no match. */
    char buf[200];
    for (size_t off = 0; off + 18 <= sizeof buf; off++) {
        memset(buf, 'u', sizeof buf); /* many first-byte candidates */
        memcpy(buf + off, needle, 18);
        assert_true(sw_prefilter_may_match(buf, sizeof buf));
        assert_true(sw_prefilter_may_match(buf, off + 18));
        assert_false(sw_prefilter_may_match(buf, off + 17));
        if (off + 6 <= sizeof buf) {
            memset(buf, 't', sizeof buf);
            memcpy(buf + off, "\\u0073", 6);
            assert_true(sw_prefilter_may_match(buf, sizeof buf));
            assert_true(sw_prefilter_may_match(buf, off + 6));
            assert_false(sw_prefilter_may_match(buf, off + 5));
        }
    }
}

/* The same promises from the scalar, the SSE2 and the best SIMD scan. */
static void test_prefilter(void **state) {
    (void)state;
    for (int level = SW_SCAN_SCALAR; level <= SW_SCAN_BEST; level++) {
        sw_prefilter_limit(level);
        check_prefilter();
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_basic),
        cmocka_unit_test(test_lines_empty),
        cmocka_unit_test(test_lines_oversize_streamed),
        cmocka_unit_test(test_lines_limit_crlf),
        cmocka_unit_test(test_prefilter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
