/* test_timefmt.c -- pins the event-time parser and formatter: every accepted
 * RFC 3339 spelling, every rejected one, and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timefmt.h"

/* Every accepted spelling and the instant it names. */
static const struct {
    const char *text;
    int64_t ms;
} ACCEPTED[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2020-02-14T20:18:57.718Z", 1581711537718LL},
    {"2020-02-14T20:18:57Z", 1581711537000LL},
    /* offsets: the same instant */
    {"2020-02-14T21:18:57.718+01:00", 1581711537718LL},
    {"2020-02-14T15:18:57.718-05:00", 1581711537718LL},
    {"2020-02-14T20:18:57.718+00:00", 1581711537718LL},
    {"2020-02-14T20:18:57.718-00:00", 1581711537718LL},
    /* the widest offsets: 18 hours */
    {"2020-02-15T14:18:57.718+18:00", 1581711537718LL},
    {"2020-02-14T02:18:57.718-18:00", 1581711537718LL},
    /* fractions: 1 digit, 6 digits, 9 digits truncate to ms */
    {"2020-02-14T20:18:57.7Z", 1581711537700LL},
    {"2020-02-14T20:18:57.718999Z", 1581711537718LL},
    {"2020-02-14T20:18:57.000000001Z", 1581711537000LL},
    {"2020-02-14T20:18:57.999999999Z", 1581711537999LL},
    /* leap day, before the epoch, the first and last years */
    {"2024-02-29T00:00:00Z", 1709164800000LL},
    {"1969-12-31T23:59:59.999Z", -1},
    {"0000-01-01T00:00:00Z", -62167219200000LL},
    {"0000-02-29T00:00:00Z", -62167219200000LL + 59 * 86400000LL}, /* year 0 is leap */
    {"9999-12-31T23:59:59.999Z", 253402300799999LL},
};

/* Every rejected spelling. */
static const char *const REJECTED[] = {
    "",
    "yesterday",
    "2020-02-14T20:18:57",       /* no offset: ambiguous */
    "2020-02-14",
    "2020-02-30T00:00:00Z",      /* no such day */
    "2023-02-29T00:00:00Z",      /* not a leap year */
    "2020-13-01T00:00:00Z",
    "2020-00-01T00:00:00Z",
    "2020-02-14T24:00:00Z",
    "2020-02-14T20:60:00Z",
    "2020-02-14T20:18:61Z",
    "2020-02-14T20:18:57.Z",     /* empty fraction */
    "2020-02-14T20:18:57ZZ",     /* trailing bytes */
    "2020-02-14T20:18:57+1:00",
    "2020-02-14T20:18:57+24:00",
    "2020-02-14X20:18:57Z",
    "+2020-02-14T20:18:57Z",
    "2020-2-14T20:18:57Z",
    /* More than RFC 3339 allows, or than Elasticsearch reads. */
    "2020-02-14T15:18:57.718-0500", /* offset without colon */
    "2020-02-14T20:18:57+0000",
    "2020-02-14T20:18:57+00",
    "2020-02-14T20:18:57,5Z",       /* comma before the fraction */
    "2020-02-14T20:18:57.1234567890Z", /* 10 fraction digits */
    "2016-12-31T23:59:60Z",         /* leap second, even at 23:59 */
    "2020-02-14T20:18:60Z",
    "2020-02-14T20:18:57+18:01",    /* beyond 18 hours */
    "2020-02-14T20:18:57-19:00",
    "2020-02-14T20:18:57+23:59",
    "2020-02-14T20:18:57+01:60",
    "2020-02-14t20:18:57.718Z",     /* lower case t, z */
    "2020-02-14T20:18:57.718z",
    "2020-02-14 20:18:57.718Z",     /* space */
    "1581711537718",                /* epoch milliseconds */
    "2020-02-14T20:18Z",            /* no seconds */
    "20200214T201857Z",             /* basic format */
};

static void test_accepts(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof ACCEPTED / sizeof ACCEPTED[0]; i++) {
        int64_t ms = 0;
        if (sw_time_parse(ACCEPTED[i].text, strlen(ACCEPTED[i].text), &ms) != 0)
            fail_msg("%s: rejected, want %lld", ACCEPTED[i].text, (long long)ACCEPTED[i].ms);
        if (ms != ACCEPTED[i].ms) fail_msg("%s: %lld, want %lld", ACCEPTED[i].text, (long long)ms, (long long)ACCEPTED[i].ms);
    }
}

/* A rejected text leaves the output alone. */
static void test_rejects(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof REJECTED / sizeof REJECTED[0]; i++) {
        int64_t ms = 12345;
        if (sw_time_parse(REJECTED[i], strlen(REJECTED[i]), &ms) != -1) fail_msg("%s: accepted", REJECTED[i]);
        assert_int_equal(ms, 12345);
    }
    const char nul[] = "2020-02-14T20:18:57\0Z";
    int64_t ms;
    assert_int_equal(sw_time_parse(nul, sizeof nul - 1, &ms), -1);
}

static void test_format(void **state) {
    (void)state;
    char out[32];
    assert_int_equal(sw_time_format(1581711537718LL, out), 24);
    assert_string_equal(out, "2020-02-14T20:18:57.718Z");
    /* the epoch, just before it, and the clamped extremes */
    static const struct {
        int64_t ms;
        const char *text;
    } formatted[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {INT64_MIN, "0000-01-01T00:00:00.000Z"},
        {INT64_MAX, "9999-12-31T23:59:59.999Z"},
    };
    for (size_t i = 0; i < sizeof formatted / sizeof formatted[0]; i++) {
        sw_time_format(formatted[i].ms, out);
        assert_string_equal(out, formatted[i].text);
    }
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
