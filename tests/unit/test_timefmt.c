/* test_timefmt.c -- pins the event-time parser and formatter: every accepted
 * RFC 3339 spelling, every rejected one, and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timefmt.h"

static int64_t parse(const char *s) {
    int64_t ms = 0;
    assert_int_equal(sw_time_parse(s, strlen(s), &ms), 0);
    return ms;
}

static void rejects(const char *s) {
    int64_t ms = 12345;
    assert_int_equal(sw_time_parse(s, strlen(s), &ms), -1);
    assert_int_equal(ms, 12345);
}

static void test_accepts(void **state) {
    (void)state;
    assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse("2020-02-14T20:18:57.718Z"), 1581711537718LL);
    assert_int_equal(parse("2020-02-14T20:18:57Z"), 1581711537000LL);
    /* offsets: the same instant */
    assert_int_equal(parse("2020-02-14T21:18:57.718+01:00"), 1581711537718LL);
    assert_int_equal(parse("2020-02-14T15:18:57.718-05:00"), 1581711537718LL);
    assert_int_equal(parse("2020-02-14T20:18:57.718+00:00"), 1581711537718LL);
    assert_int_equal(parse("2020-02-14T20:18:57.718-00:00"), 1581711537718LL);
    /* the widest offsets: 18 hours */
    assert_int_equal(parse("2020-02-15T14:18:57.718+18:00"), 1581711537718LL);
    assert_int_equal(parse("2020-02-14T02:18:57.718-18:00"), 1581711537718LL);
    /* fractions: 1 digit, 6 digits, 9 digits truncate to ms */
    assert_int_equal(parse("2020-02-14T20:18:57.7Z"), 1581711537700LL);
    assert_int_equal(parse("2020-02-14T20:18:57.718999Z"), 1581711537718LL);
    assert_int_equal(parse("2020-02-14T20:18:57.000000001Z"), 1581711537000LL);
    assert_int_equal(parse("2020-02-14T20:18:57.999999999Z"), 1581711537999LL);
    /* leap day, before the epoch, the first and last years */
    assert_int_equal(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
    assert_int_equal(parse("1969-12-31T23:59:59.999Z"), -1);
    assert_int_equal(parse("0000-01-01T00:00:00Z"), -62167219200000LL);
    assert_int_equal(parse("0000-02-29T00:00:00Z"), -62167219200000LL + 59 * 86400000LL); /* year 0 is leap */
    assert_int_equal(parse("9999-12-31T23:59:59.999Z"), 253402300799999LL);
}

static void test_rejects(void **state) {
    (void)state;
    rejects("");
    rejects("yesterday");
    rejects("2020-02-14T20:18:57");       /* no offset: ambiguous */
    rejects("2020-02-14");
    rejects("2020-02-30T00:00:00Z");      /* no such day */
    rejects("2023-02-29T00:00:00Z");      /* not a leap year */
    rejects("2020-13-01T00:00:00Z");
    rejects("2020-00-01T00:00:00Z");
    rejects("2020-02-14T24:00:00Z");
    rejects("2020-02-14T20:60:00Z");
    rejects("2020-02-14T20:18:61Z");
    rejects("2020-02-14T20:18:57.Z");     /* empty fraction */
    rejects("2020-02-14T20:18:57ZZ");     /* trailing bytes */
    rejects("2020-02-14T20:18:57+1:00");
    rejects("2020-02-14T20:18:57+24:00");
    rejects("2020-02-14X20:18:57Z");
    rejects("+2020-02-14T20:18:57Z");
    rejects("2020-2-14T20:18:57Z");
    /* More than RFC 3339 allows, or than Elasticsearch reads. */
    rejects("2020-02-14T15:18:57.718-0500"); /* offset without colon */
    rejects("2020-02-14T20:18:57+0000");
    rejects("2020-02-14T20:18:57+00");
    rejects("2020-02-14T20:18:57,5Z");       /* comma before the fraction */
    rejects("2020-02-14T20:18:57.1234567890Z"); /* 10 fraction digits */
    rejects("2016-12-31T23:59:60Z");         /* leap second, even at 23:59 */
    rejects("2020-02-14T20:18:60Z");
    rejects("2020-02-14T20:18:57+18:01");    /* beyond 18 hours */
    rejects("2020-02-14T20:18:57-19:00");
    rejects("2020-02-14T20:18:57+23:59");
    rejects("2020-02-14T20:18:57+01:60");
    rejects("2020-02-14t20:18:57.718Z");     /* lower case t, z */
    rejects("2020-02-14T20:18:57.718z");
    rejects("2020-02-14 20:18:57.718Z");     /* space */
    rejects("1581711537718");                /* epoch milliseconds */
    rejects("2020-02-14T20:18Z");            /* no seconds */
    rejects("20200214T201857Z");             /* basic format */
    const char nul[] = "2020-02-14T20:18:57\0Z";
    int64_t ms;
    assert_int_equal(sw_time_parse(nul, sizeof nul - 1, &ms), -1);
}

static void test_format(void **state) {
    (void)state;
    char out[32];
    assert_int_equal(sw_time_format(1581711537718LL, out), 24);
    assert_string_equal(out, "2020-02-14T20:18:57.718Z");
    sw_time_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    sw_time_format(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    sw_time_format(INT64_MIN, out);
    assert_string_equal(out, "0000-01-01T00:00:00.000Z");
    sw_time_format(INT64_MAX, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    /* round trip over a spread of instants */
    for (int64_t ms = -86400000LL * 366 * 3; ms < 4102444800000LL; ms += 7777777777LL + 13) {
        sw_time_format(ms, out);
        int64_t back;
        assert_int_equal(sw_time_parse(out, strlen(out), &back), 0);
        assert_int_equal(back, ms);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
