/* test_jsonw.c -- pins the JSON string writer that every alert goes
 * through: exact escapes, invalid UTF-8 replaced, hostile bytes harmless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonw.h"

static void check(const char *in, size_t n, const char *want) {
    sw_buf b = {0};
    sw_json_str(&b, in, n);
    sw_buf_putc(&b, '\0');
    assert_false(b.oom);
    assert_string_equal(b.p, want);
    sw_buf_free(&b);
}
#define CHECK(lit, want) check(lit, sizeof lit - 1, want)

static void test_escapes(void **state) {
    (void)state;
    CHECK("plain", "\"plain\"");
    CHECK("", "\"\"");
    CHECK("a\"b\\c", "\"a\\\"b\\\\c\"");
    CHECK("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
    CHECK("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
    CHECK("a\0b", "\"a\\u0000b\"");
    CHECK("</script>", "\"</script>\"");
    /* valid UTF-8 passes through; U+2028/2029 are escaped for JS consumers */
    CHECK("Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80", "\"Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80\"");
    CHECK("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
    /* C1 controls are control characters too (U+0085 NEL ends a line for
     * Unicode-aware readers); U+00A0 is not one */
    CHECK("\xc2\x80\xc2\x85\xc2\x9f\xc2\xa0", "\"\\u0080\\u0085\\u009f\xc2\xa0\"");
}

static void test_invalid_utf8(void **state) {
    (void)state;
    CHECK("\xff", "\"\\ufffd\"");
    CHECK("a\xc3", "\"a\\ufffd\"");                 /* truncated sequence */
    CHECK("\xc0\xaf", "\"\\ufffd\\ufffd\"");        /* overlong '/' */
    CHECK("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* UTF-16 surrogate */
    CHECK("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    CHECK("\xe6\x9d", "\"\\ufffd\\ufffd\"");
}

/* Every byte value in every position: the output always parses as one JSON
 * string, i.e. it has no raw control characters and no unescaped quote. */
static void test_all_bytes(void **state) {
    (void)state;
    char in[256 * 3];
    for (int i = 0; i < 256; i++) {
        in[3 * i] = (char)i;
        in[3 * i + 1] = (char)(255 - i);
        in[3 * i + 2] = '"';
    }
    sw_buf b = {0};
    sw_json_str(&b, in, sizeof in);
    assert_true(b.len >= 2);
    assert_int_equal(b.p[0], '"');
    assert_int_equal(b.p[b.len - 1], '"');
    for (size_t i = 1; i + 1 < b.len; i++) {
        unsigned char c = (unsigned char)b.p[i];
        assert_true(c >= 0x20);
        if (c == '\\') { i++; continue; }
        assert_true(c != '"');
    }
    sw_buf_free(&b);
}

static void test_numbers_and_times(void **state) {
    (void)state;
    sw_buf b = {0};
    sw_json_int(&b, -9223372036854775807LL - 1);
    sw_buf_putc(&b, ' ');
    sw_json_time(&b, 1581711537718LL);
    sw_buf_putc(&b, ' ');
    sw_json_key(&b, "k");
    sw_buf_putc(&b, '\0');
    assert_string_equal(b.p, "-9223372036854775808 \"2020-02-14T20:18:57.718Z\" \"k\":");
    sw_buf_reset(&b);
    assert_int_equal(b.len, 0);
    sw_buf_free(&b);
}

/* sw_buf_printf: formatted text of any length (the metrics' lines), a NUL
 * after it that .len does not count, appended after what is there. */
static void test_printf(void **state) {
    (void)state;
    sw_buf b = {0};
    sw_buf_puts(&b, "x");
    sw_buf_printf(&b, "%s=%d;", "a", 42);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.p, "xa=42;");
    char big[2000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sw_buf_printf(&b, "[%s]", big);
    assert_int_equal(b.len, 6 + 2 + sizeof big - 1);
    assert_int_equal(b.p[b.len - 1], ']');
    assert_int_equal(b.p[b.len], '\0');
    assert_false(b.oom);
    sw_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_all_bytes),
        cmocka_unit_test(test_numbers_and_times),
        cmocka_unit_test(test_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
